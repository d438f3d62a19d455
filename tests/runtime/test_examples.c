/* The starter models (the .vmod files in examples/) run with no data file: each
 * loads from its embedded defaults, has the expected dimension and output values, and
 * at random points its log density equals the same density written out here by hand
 * (from the numbers embedded in the file, so a misread default shows) and its
 * gradient equals a central finite difference. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#include "runtime/vmod.h"

#define EX_LP_TOL 1e-10   /* |lp - exact| / max(1, |exact|) */
#define EX_FD_STEP 1e-6
#define EX_FD_TOL 1e-6    /* |g - fd| / max(1, |fd|) */
#define EX_POINTS 4
#define EX_MAXDIM 64

static const double ex_log_sqrt_2pi = 0.91893853320467274178;

static double ex_normal(double x, double mu, double s)
{
    double z = (x - mu) / s;
    return -ex_log_sqrt_2pi - log(s) - 0.5 * z * z;
}

static double ex_cauchy(double x, double mu, double s)
{
    double z = (x - mu) / s;
    return -log(M_PI) - log(s) - log1p(z * z);
}

static double ex_inv_logit(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* ---- eight_schools.vmod: u = (mu, log tau, theta_raw[1..8]) ---- */
static const double es_y[8] = {28, 8, -3, 7, -1, 1, 18, 12};
static const double es_sigma[8] = {15, 10, 16, 11, 9, 11, 10, 18};

static double ex_eight_schools(const double *u, int jac)
{
    double mu = u[0], tau = exp(u[1]);
    double lp = ex_normal(mu, 0, 5) + ex_cauchy(tau, 0, 5);
    for (int j = 0; j < 8; j++)
        lp += ex_normal(u[2 + j], 0, 1) + ex_normal(es_y[j], mu + tau * u[2 + j], es_sigma[j]);
    return lp + (jac ? u[1] : 0.0);
}

/* ---- linear_regression.vmod: u = (alpha, beta, log sigma) ---- */
static const double lr_x[20] = {-0.7, -1.4, 0.6, -1.71, 0.14, -0.54, -1.77, 0.03, -1.85, -0.27,
                                -1.72, -1.64, -0.3, 1.31, -1.5, -1.11, 0.51, 1.79, 0.31, -0.41};
static const double lr_y[20] = {-0.16, -1.84, 2.62, -2.93, 1.53, 0.24, -3.07, 2.43, -2.25, 1.42,
                                -2.94, -2.87, 0.12, 3.53, -1.49, -1.02, 1.66, 3.81, 1.2, 1.16};

static double ex_linear_regression(const double *u, int jac)
{
    double a = u[0], b = u[1], s = exp(u[2]);
    double lp = ex_normal(a, 0, 10) + ex_normal(b, 0, 10) + (-s);   /* exponential(1) */
    for (int n = 0; n < 20; n++)
        lp += ex_normal(lr_y[n], a + b * lr_x[n], s);
    return lp + (jac ? u[2] : 0.0);
}

/* ---- logistic_regression.vmod: u = (alpha, beta) ---- */
static const double lg_x[30] = {-0.28, -1.2, 1.77, 1.19, -1.54, 0.45, 0.15, 2.25, 1.38, -1.27,
                                2.88, -2.29, -0.49, 1.54, -2.09, -0.07, -2.76, 1.01, 1.59, 0.44,
                                2.25, -1.12, 1.17, 0.57, 0.48, -0.26, 2.04, 2.67, -0.16, 0.98};
static const int lg_y[30] = {1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0,
                             1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1};

static double ex_logistic_regression(const double *u, int jac)
{
    double lp = ex_normal(u[0], 0, 2.5) + ex_normal(u[1], 0, 2.5);
    for (int n = 0; n < 30; n++) {
        double p = ex_inv_logit(u[0] + u[1] * lg_x[n]);
        lp += lg_y[n] ? log(p) : log1p(-p);
    }
    (void)jac;
    return lp;
}

/* ---- beta_binomial.vmod: u = (logit theta) ---- */
static const unsigned bb_n[6] = {10, 15, 12, 20, 8, 15};
static const unsigned bb_y[6] = {3, 5, 2, 7, 1, 5};

static double ex_beta_binomial(const double *u, int jac)
{
    double th = ex_inv_logit(u[0]);
    double lp = log(gsl_ran_beta_pdf(th, 2, 2));
    for (int j = 0; j < 6; j++)
        lp += log(gsl_ran_binomial_pdf(bb_y[j], th, bb_n[j]));
    return lp + (jac ? log(th) + log1p(-th) : 0.0);
}

/* ---- mixture.vmod: u = (w__free[1], mu[1], log gap, log sigma[1..2]), then z[1..24] ---- */
static const double mx_y[24] = {-1.94, 3.72, 2.99, 3.09, -3.58, 2.0, 1.89, -2.71, 3.38, 1.0,
                                -2.26, 3.28, -1.56, -1.8, -1.99, -2.0, -2.1, 3.17, 3.45, -1.57,
                                -1.02, 4.36, 2.58, -1.97};

static double ex_mixture(const double *u, int jac)
{
    /* Stan's stick-breaking for K = 2: w1 = inv_logit(u1 - log(1)) */
    double w[2], mu[2], s[2];
    w[0] = ex_inv_logit(u[0]);
    w[1] = 1.0 - w[0];
    mu[0] = u[1];
    mu[1] = u[1] + exp(u[2]);
    s[0] = exp(u[3]);
    s[1] = exp(u[4]);
    double lp = log(gsl_ran_dirichlet_pdf(2, (const double[]){2, 2}, w));
    for (int k = 0; k < 2; k++)
        lp += ex_normal(mu[k], 0, 5) + log(gsl_ran_lognormal_pdf(s[k], 0, 1));
    for (int n = 0; n < 24; n++) {
        int z = (int)u[5 + n] - 1;
        lp += log(w[z]) + ex_normal(mx_y[n], mu[z], s[z]);
    }
    if (jac)
        lp += log(w[0]) + log(w[1]) + u[2] + u[3] + u[4];
    return lp;
}

typedef struct {
    const char *file;
    size_t dim, ndisc, nvalues;
    const char *first_names[4];    /* the first output value names */
    double (*exact)(const double *u, int jac);
} Example;

static const Example examples[] = {
    {"eight_schools.vmod", 10, 0, 2 + 8 + 8 + 8, {"mu", "tau", "theta_raw.1", "theta_raw.2"}, ex_eight_schools},
    {"linear_regression.vmod", 3, 0, 3 + 20, {"alpha", "beta", "sigma", "y_rep.1"}, ex_linear_regression},
    {"logistic_regression.vmod", 2, 0, 2 + 1 + 30, {"alpha", "beta", "p_at_zero", "y_rep.1"}, ex_logistic_regression},
    {"beta_binomial.vmod", 1, 0, 1 + 6, {"theta", "y_rep.1", "y_rep.2", "y_rep.3"}, ex_beta_binomial},
    {"mixture.vmod", 5, 24, 2 + 2 + 2 + 24, {"w.1", "w.2", "mu.1", "mu.2"}, ex_mixture},
};

static VmModel *ex_load(const Example *ex)
{
    const char *src = getenv("VMOD_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/%s", src ? src : ".", ex->file);
    char *msg = NULL;
    VmModel *m = vm_model_load_file(path, NULL, &msg);
    ck_assert_msg(m != NULL, "%s does not load without a data file:\n%s", path, msg ? msg : "");
    free(msg);
    return m;
}

START_TEST(test_example)
{
    const Example *ex = &examples[_i];
    VmModel *m = ex_load(ex);
    ck_assert_msg(vm_model_dim(m) == ex->dim, "%s: dimension %zu, expected %zu", ex->file,
                  vm_model_dim(m), ex->dim);
    ck_assert_msg(vm_model_ndisc(m) == ex->ndisc, "%s: %zu discrete, expected %zu", ex->file,
                  vm_model_ndisc(m), ex->ndisc);
    ck_assert_msg(vm_model_nvalues(m) == ex->nvalues, "%s: %zu values, expected %zu", ex->file,
                  vm_model_nvalues(m), ex->nvalues);
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(strcmp(vm_model_value_name(m, i), ex->first_names[i]) == 0,
                      "%s: value %zu is '%s', expected '%s'", ex->file, i + 1,
                      vm_model_value_name(m, i), ex->first_names[i]);

    VmEval *e = vm_eval_new(m);
    ck_assert_ptr_nonnull(e);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261125 + (unsigned long)_i);
    double u[EX_MAXDIM], g[EX_MAXDIM], gd[EX_MAXDIM], vals[EX_MAXDIM];
    size_t d = ex->dim;
    for (int pt = 0; pt < EX_POINTS; pt++) {
        for (size_t i = 0; i < d; i++)
            u[i] = gsl_ran_gaussian(r, 0.7);
        for (size_t i = 0; i < ex->ndisc; i++)   /* discrete values: 1 or 2 */
            u[d + i] = (double)(1 + gsl_rng_uniform_int(r, 2));
        for (int jac = 0; jac <= 1; jac++) {
            double lp = NAN;
            ck_assert_msg(vm_log_density(e, u, jac, &lp, g) == 0, "%s: %s", ex->file, vm_eval_message(e));
            double want = ex->exact(u, jac);
            ck_assert_msg(fabs(lp - want) <= EX_LP_TOL * fmax(1.0, fabs(want)),
                          "%s point %d jacobian %d: lp %.17g, by hand %.17g", ex->file, pt, jac,
                          lp, want);
            for (size_t i = 0; i < d; i++) {
                double ui = u[i], lpp, lpm;
                u[i] = ui + EX_FD_STEP;
                ck_assert_int_eq(vm_log_density(e, u, jac, &lpp, gd), 0);
                u[i] = ui - EX_FD_STEP;
                ck_assert_int_eq(vm_log_density(e, u, jac, &lpm, gd), 0);
                u[i] = ui;
                double fd = (lpp - lpm) / (2 * EX_FD_STEP);
                ck_assert_msg(fabs(g[i] - fd) <= EX_FD_TOL * fmax(1.0, fabs(fd)),
                              "%s point %d jacobian %d: grad[%zu] %.17g, finite difference %.17g",
                              ex->file, pt, jac, i + 1, g[i], fd);
            }
        }
        ck_assert_msg(vm_write_values(e, u, r, vals) == 0, "%s: %s", ex->file, vm_eval_message(e));
        for (size_t i = 0; i < ex->nvalues; i++)
            ck_assert_msg(isfinite(vals[i]), "%s: value %s is %g", ex->file,
                          vm_model_value_name(m, i), vals[i]);
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("examples");
    TCase *tc = tcase_create("examples");
    tcase_add_loop_test(tc, test_example, 0, (int)(sizeof examples / sizeof examples[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
