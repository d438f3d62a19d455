/* Adaptive random-walk Metropolis on analytic targets, continuous and discrete:
 * moments within Monte Carlo error, scale adaptation, Gibbs and +-k discrete moves,
 * determinism, options. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include "sampler_util.h"

extern const Backend backend_mh;
static const Backend *const B = &backend_mh;

/* ---- Gaussian targets ---- */

typedef struct GaussCase {
    const char *name;
    size_t d;
    double sd[10];
    double rho;
    long warmup, draws;
    double target_accept;
} GaussCase;

static const GaussCase gauss_cases[] = {
    {"std normal 1-d", 1, {0}, 0, 2000, 20000, 0.44},
    {"std normal 10-d", 10, {0}, 0, 5000, 40000, 0.234},
    {"corr 0.95", 2, {0}, 0.95, 3000, 20000, 0.234},
    {"scaled sds 0.1..10", 3, {0.1, 1, 10}, 0, 5000, 30000, 0.234},
};

START_TEST(test_gauss)
{
    const GaussCase *c = &gauss_cases[_i];
    SuGauss g;
    if (c->rho != 0)
        su_gauss_corr2(&g, c->rho);
    else
        su_gauss_diag(&g, c->d, c->sd[0] > 0 ? c->sd : NULL);
    BkTarget t = su_gauss_target(&g);
    double u0[10];
    for (size_t i = 0; i < c->d; i++)
        u0[i] = 1.0;
    SuChain ch;
    char err[256] = "";
    ck_assert_msg(su_run(B, &t, NULL, c->warmup, c->draws, 100 + _i, u0, &ch, err, sizeof err) == 0,
                  "%s: %s", c->name, err);
    for (size_t i = 0; i < c->d; i++) {
        double sd = c->sd[0] > 0 ? c->sd[i] : 1.0;
        double zm = su_z_mean(ch.u, ch.n, ch.nu, i, 0), zv = su_z_var(ch.u, ch.n, ch.nu, i, 0, sd * sd);
        double v = su_var(ch.u, ch.n, ch.nu, i);
        ck_assert_msg(zm < 4, "%s: coordinate %zu mean %g is %.2f MCSE off", c->name, i,
                      su_mean(ch.u, ch.n, ch.nu, i), zm);
        ck_assert_msg(zv < 4, "%s: coordinate %zu variance %g is %.2f MCSE off %g", c->name, i, v,
                      zv, sd * sd);
        ck_assert_msg(fabs(v / (sd * sd) - 1) < 0.2, "%s: variance %g vs %g", c->name, v, sd * sd);
    }
    /* the scale reached the optimal acceptance and stays frozen while sampling */
    int ca = su_col(B, "accept_stat__"), cs = su_col(B, "stepsize__");
    double acc = su_mean(ch.cols, ch.n, ch.ncols, (size_t)ca);
    ck_assert_msg(fabs(acc - c->target_accept) < 0.1, "%s: acceptance %g, target %g", c->name, acc,
                  c->target_accept);
    for (long k = 0; k < ch.n; k++) {
        ck_assert(ch.cols[k * ch.ncols + cs] == ch.cols[cs]);
        double lp;
        su_gauss_logp(&g, ch.u + k * ch.nu, &lp, NULL);
        ck_assert(fabs(lp - ch.lp[k]) < 1e-9 * (1 + fabs(lp)));
    }
    char line[128];
    snprintf(line, sizeof line, "# Proposal scale = %g (adapted toward acceptance %g)\n", ch.cols[cs],
             c->target_accept);
    ck_assert_msg(strstr(ch.report, line), "%s", ch.report);
    ck_assert_msg(strstr(ch.report, "# Acceptance rate = "), "%s", ch.report);
    double rate = atof(strstr(ch.report, "Acceptance rate = ") + 18);
    ck_assert(fabs(rate - acc) < 1e-5);
    su_chain_free(&ch);
}
END_TEST

/* The adapted covariance follows a strong correlation: higher ESS than the fixed proposal
 * (about 2.8 times over seeds 1..7). */
START_TEST(test_adapt_helps)
{
    SuGauss g;
    su_gauss_corr2(&g, 0.99);
    BkTarget t = su_gauss_target(&g);
    double u0[2] = {0.5, 0.5}, ess[2];
    const char *adapt[2] = {"false", "true"};
    for (int k = 0; k < 2; k++) {
        BkOpt opts[] = {{"adapt", adapt[k]}, {"proposal-scale", "0.3"}, {NULL, NULL}};
        SuChain ch;
        char err[256];
        ck_assert(su_run(B, &t, opts, 3000, 20000, 8, u0, &ch, err, sizeof err) == 0);
        ess[k] = su_ess(ch.u, ch.n, 2, 0);
        if (k == 0)   /* no adaptation: the scale stays as given */
            ck_assert(ch.cols[1] == 0.3 && strstr(ch.report, "Proposal scale = 0.3 (fixed)"));
        su_chain_free(&ch);
    }
    ck_assert_msg(ess[1] > 2 * ess[0], "ESS adapted %g, fixed %g", ess[1], ess[0]);
}
END_TEST

/* Rate_1 (posteriordb): theta ~ Beta(6, 6) on the logit scale. */
START_TEST(test_beta_logit)
{
    SuBeta beta = {6, 6};
    BkTarget t = {.dim = 1, .logp = su_beta_logit_logp, .ctx = &beta};
    double u0 = -1;
    SuChain ch;
    char err[256];
    ck_assert(su_run(B, &t, NULL, 2000, 20000, 4, &u0, &ch, err, sizeof err) == 0);
    for (long k = 0; k < ch.n; k++)
        ch.u[k] = 1 / (1 + exp(-ch.u[k]));
    double sd = sqrt(36.0 / (144.0 * 13.0));
    ck_assert_msg(su_z_mean(ch.u, ch.n, 1, 0, 0.5) < 4, "mean %g", su_mean(ch.u, ch.n, 1, 0));
    ck_assert_msg(su_z_var(ch.u, ch.n, 1, 0, 0.5, sd * sd) < 4, "sd %g vs %g",
                  sqrt(su_var(ch.u, ch.n, 1, 0)), sd);
    su_chain_free(&ch);
}
END_TEST

/* ---- discrete coordinates ---- */

/* Mixture: z ~ Bernoulli(0.3), x | z ~ N(mu_z, 1), mu = (-2, 2).  P(z = 1) = 0.3 exactly,
 * E x = 0.7 (-2) + 0.3 (2) = -0.8, Var x = 1 + 0.21 * 16 = 4.36. */
static int mixture_logp(void *ctx, const double *u, double *lp, double *grad)
{
    double z = u[1], mu = z == 1 ? 2 : -2, e = u[0] - mu;
    *lp = (z == 1 ? log(0.3) : log(0.7)) - 0.5 * e * e;
    if (grad)
        grad[0] = -e;
    return 0;
}

/* z ~ Binomial(100, 0.3) on 0..100 (+-k moves), x | z ~ N(z / 10, 1):
 * E z = 30, Var z = 21, E x = 3, Var x = 1 + 0.21. */
static int binom_logp(void *ctx, const double *u, double *lp, double *grad)
{
    double z = u[1], e = u[0] - z / 10;
    *lp = gsl_sf_lnchoose(100, (unsigned)z) + z * log(0.3) + (100 - z) * log(0.7) - 0.5 * e * e;
    if (grad)
        grad[0] = -e;
    return 0;
}

/* A discrete coordinate alone: P(z = k) proportional to k + 1 on 0..4 (Gibbs, exact draws):
 * E z = 40/15, E z^2 = (0 + 2 + 12 + 36 + 80)/15 = 130/15. */
static int ramp_logp(void *ctx, const double *u, double *lp, double *grad)
{
    *lp = log(u[0] + 1);
    return 0;
}

typedef struct DiscCase {
    const char *name;
    int (*logp)(void *, const double *, double *, double *);
    size_t dim;
    double lo, hi;
    double u0[2];
    size_t coord[2];          /* which u coordinate */
    double mean[2], var[2];   /* known marginal moments */
    int ncheck;
} DiscCase;

static const DiscCase disc_cases[] = {
    {"mixture indicator (Gibbs)", mixture_logp, 1, 0, 1, {0.5, 0}, {1, 0}, {0.3, -0.8},
     {0.21, 4.36}, 2},
    {"binomial(100) (+-k moves)", binom_logp, 1, 0, 100, {0, 50}, {1, 0}, {30, 3}, {21, 1.21}, 2},
    {"discrete only (Gibbs)", ramp_logp, 0, 0, 4, {2}, {0}, {40.0 / 15.0},
     {130.0 / 15.0 - (40.0 / 15.0) * (40.0 / 15.0)}, 1},
};

START_TEST(test_discrete)
{
    const DiscCase *c = &disc_cases[_i];
    double lo = c->lo, hi = c->hi;
    BkTarget t = {.dim = c->dim, .ndisc = 1, .disc_lo = &lo, .disc_hi = &hi, .logp = c->logp};
    SuChain ch;
    char err[256] = "";
    ck_assert_msg(su_run(B, &t, NULL, 2000, 20000, 200 + _i, c->u0, &ch, err, sizeof err) == 0,
                  "%s: %s", c->name, err);
    for (long k = 0; k < ch.n; k++) {
        double z = ch.u[k * ch.nu + c->dim];
        ck_assert(z == floor(z) && z >= lo && z <= hi);
        double lp;                      /* lp__ is the log density of the drawn point */
        c->logp(NULL, ch.u + k * ch.nu, &lp, NULL);
        ck_assert(lp == ch.lp[k]);
    }
    for (int j = 0; j < c->ncheck; j++) {
        size_t i = c->coord[j];
        double zm = su_z_mean(ch.u, ch.n, ch.nu, i, c->mean[j]);
        double zv = su_z_var(ch.u, ch.n, ch.nu, i, c->mean[j], c->var[j]);
        ck_assert_msg(zm < 4, "%s: coordinate %zu mean %g vs %g (%.2f MCSE)", c->name, i,
                      su_mean(ch.u, ch.n, ch.nu, i), c->mean[j], zm);
        ck_assert_msg(zv < 4, "%s: coordinate %zu variance %g vs %g (%.2f MCSE)", c->name, i,
                      su_var(ch.u, ch.n, ch.nu, i), c->var[j], zv);
    }
    su_chain_free(&ch);
}
END_TEST

START_TEST(test_deterministic)
{
    double lo = 0, hi = 100;
    BkTarget t = {.dim = 1, .ndisc = 1, .disc_lo = &lo, .disc_hi = &hi, .logp = binom_logp};
    double u0[2] = {0, 50};
    SuChain a, b, c;
    char err[256];
    ck_assert(su_run(B, &t, NULL, 500, 500, 21, u0, &a, err, sizeof err) == 0);
    ck_assert(su_run(B, &t, NULL, 500, 500, 21, u0, &b, err, sizeof err) == 0);
    ck_assert(su_run(B, &t, NULL, 500, 500, 22, u0, &c, err, sizeof err) == 0);
    ck_assert(memcmp(a.u, b.u, 1000 * sizeof *a.u) == 0);
    ck_assert(memcmp(a.cols, b.cols, 500 * a.ncols * sizeof *a.cols) == 0);
    ck_assert(memcmp(a.u, c.u, 1000 * sizeof *a.u) != 0);
    su_chain_free(&a);
    su_chain_free(&b);
    su_chain_free(&c);
}
END_TEST

/* ---- refusals, options, failures ---- */

static int failing_logp(void *ctx, const double *u, double *lp, double *grad)
{
    int *calls = ctx;
    *lp = -0.5 * u[0] * u[0];
    return ++*calls > 30;
}

typedef struct RefuseCase {
    const char *key, *value;
    double u0_disc, lo, hi;
    int failing;
    const char *msg;
} RefuseCase;

static const RefuseCase refuse_cases[] = {
    {"proposal-scale", "0", 1, 0, 3, 0, "mh: --proposal-scale=0: expected a positive number"},
    {"proposal-scale", "abc", 1, 0, 3, 0,
     "option --proposal-scale expects a real number, got 'abc'"},
    {"adapt", "maybe", 1, 0, 3, 0, "option --adapt expects true or false, got 'maybe'"},
    {"max-depth", "3", 1, 0, 3, 0, "unknown option --max-depth for method 'mh'"},
    {NULL, NULL, 1.5, 0, 3, 0, "mh: initial value 1.5 of discrete parameter 1 is not an integer in [0, 3]"},
    {NULL, NULL, 7, 0, 3, 0, "mh: initial value 7 of discrete parameter 1 is not an integer in [0, 3]"},
    {NULL, NULL, 1, 3, 0, 0, "mh: discrete parameter 1 has an empty range [3, 0]"},
    {NULL, NULL, 1, 0, 3, 1, "mh: the log density failed at iteration"},
};

START_TEST(test_refuse)
{
    const RefuseCase *c = &refuse_cases[_i];
    int calls = 0;
    double lo = c->lo, hi = c->hi, u0[2] = {0, c->u0_disc};
    BkTarget t = {.dim = 1, .ndisc = 1, .disc_lo = &lo, .disc_hi = &hi, .logp = failing_logp,
                  .ctx = &calls};
    if (!c->failing)
        calls = -1000000;
    BkOpt opts[] = {{c->key, c->value}, {NULL, NULL}};
    SuChain ch;
    char err[256] = "";
    ck_assert(su_run(B, &t, opts, 50, 50, 1, u0, &ch, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, c->msg), "got: %s", err);
    su_chain_free(&ch);
}
END_TEST

/* A model without parameters runs (every draw the same point) and reports no adaptation. */
static int flat_logp(void *ctx, const double *u, double *lp, double *grad)
{
    *lp = -1.5;
    return 0;
}

START_TEST(test_no_parameters)
{
    BkTarget t = {.dim = 0, .logp = flat_logp};
    SuChain ch;
    char err[256] = "";
    ck_assert_msg(su_run(B, &t, NULL, 100, 50, 1, NULL, &ch, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ch.n, 50);
    for (long k = 0; k < ch.n; k++)
        ck_assert(ch.lp[k] == -1.5);
    ck_assert_ptr_null(strstr(ch.report, "Step size"));
    su_chain_free(&ch);
}
END_TEST

START_TEST(test_registry)
{
    ck_assert_ptr_eq(bk_find("mh"), B);
    ck_assert_int_eq(B->kind, BK_SAMPLER);
    ck_assert_str_eq(B->columns[0], "accept_stat__");
    ck_assert_str_eq(B->columns[1], "stepsize__");
    ck_assert_ptr_null(B->columns[2]);
    BkSettings s = {0};
    ck_assert(bk_opt_real(&s, B, "proposal-scale") == 1.0);
    ck_assert_int_eq(bk_opt_bool(&s, B, "adapt"), 1);
    BkOpt o[] = {{"adapt", "off"}, {NULL, NULL}};
    s.opts = o;
    s.nopts = 1;
    ck_assert_int_eq(bk_opt_bool(&s, B, "adapt"), 0);
}
END_TEST

static Suite *mh_suite(void)
{
    Suite *s = suite_create("mh");
    TCase *tc = tcase_create("sampling");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gauss, 0, sizeof gauss_cases / sizeof *gauss_cases);
    tcase_add_test(tc, test_adapt_helps);
    tcase_add_test(tc, test_beta_logit);
    tcase_add_loop_test(tc, test_discrete, 0, sizeof disc_cases / sizeof *disc_cases);
    tcase_add_test(tc, test_deterministic);
    tcase_add_loop_test(tc, test_refuse, 0, sizeof refuse_cases / sizeof *refuse_cases);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_no_parameters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(mh_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
