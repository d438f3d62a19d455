/* Forward simulation (runtime/simulate.c): moments of prior-predictive draws against
 * their exact values, generative ordering, and every refusal with its position. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "runtime/simulate.h"
#include "driver/sim_outputs.h"
#include "driver/run.h"
#include "runtime/model.h"

static VmModel *load(const char *src, const char *data)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", data, data ? "d.json" : NULL, &msg);
    if (!m) fprintf(stderr, "%s", msg);
    free(msg);
    return m;
}

/* Likelihood before the priors, a half-normal scale, a vector prior in a loop:
 * the moments of mu, sigma and y are known in closed form. */
static const char *HIER =
    "data int N = 3;\n"
    "data vector[N] y = [0, 0, 0]';\n"
    "param real mu;\n"
    "param real<lower=0> sigma;\n"
    "param vector[N] theta;\n"
    "let m2 = mu * 2;\n"
    "y ~ normal(theta, 1);\n"
    "for (n in 1:N) theta[n] ~ normal(m2 / 2, sigma);\n"
    "sigma ~ normal(0, 2);\n"
    "mu ~ normal(1, 3);\n";

START_TEST(moments)
{
    VmModel *m = load(HIER, NULL);
    ck_assert_ptr_nonnull(m);
    char *msg = NULL;
    Sim *s = sim_new(m, &msg);
    ck_assert_msg(s != NULL, "%s", msg ? msg : "");
    ck_assert_int_eq((int)sim_ndata(s), 3);
    ck_assert_str_eq(sim_data_name(s, 2), "y.3");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    size_t d = vm_model_dim(m);
    double u[8], x[3];
    double smu = 0, smu2 = 0, ssig = 0, sy = 0, sy2 = 0;
    int n = 20000;
    for (int i = 0; i < n; i++) {
        ck_assert_msg(sim_draw(s, r, u, x) == 0, "%s", sim_message(s));
        ck_assert_int_eq((int)d, 5);
        smu += u[0]; smu2 += u[0] * u[0];
        ssig += exp(u[1]);
        sy += x[0]; sy2 += x[0] * x[0];
    }
    double mmu = smu / n, vmu = smu2 / n - mmu * mmu;
    /* mu ~ N(1, 3); sigma half-normal(2): mean 2 sqrt(2/pi); y = mu + sigma z1 + z2:
     * var = 9 + E sigma^2 + 1 = 9 + 4 + 1 */
    ck_assert_double_eq_tol(mmu, 1.0, 4 * 3 / sqrt(n));
    ck_assert_double_eq_tol(vmu, 9.0, 9 * 4 * sqrt(2.0 / n));
    ck_assert_double_eq_tol(ssig / n, 2 * sqrt(2 / M_PI), 4 * 1.2 / sqrt(n));
    double my = sy / n;
    ck_assert_double_eq_tol(my, 1.0, 4 * sqrt(14.0 / n));
    ck_assert_double_eq_tol(sy2 / n - my * my, 14.0, 14 * 5 * sqrt(2.0 / n));
    /* data given the parameters: y | theta ~ N(theta, 1) */
    double u0[5] = {0, 0, 5, -5, 0}, se = 0, sm = 0;
    for (int i = 0; i < 4000; i++) {
        ck_assert_int_eq(sim_data_given(s, u0, r, x), 0);
        sm += x[1];
        se += (x[0] - 5) * (x[0] - 5);
    }
    ck_assert_double_eq_tol(sm / 4000, -5, 0.07);
    ck_assert_double_eq_tol(se / 4000, 1, 0.1);
    /* the observed data are untouched */
    double obs[3];
    sim_observed(s, obs);
    ck_assert(obs[0] == 0 && obs[1] == 0 && obs[2] == 0);
    gsl_rng_free(r);
    sim_free(s);
    vm_model_free(m);
}
END_TEST

/* Discrete data, a data-only let recomputed from the simulated data. */
START_TEST(bernoulli_stats)
{
    const char *src =
        "data int N = 10;\n"
        "data array[N] int<lower=0, upper=1> y = {0,0,0,0,0,0,0,0,0,1};\n"
        "let k = sum(y);\n"
        "param real<lower=0, upper=1> p;\n"
        "p ~ beta(2, 3);\n"
        "y ~ bernoulli(p);\n";
    VmModel *m = load(src, NULL);
    char *msg = NULL;
    Sim *s = sim_new(m, &msg);
    ck_assert_msg(s != NULL, "%s", msg ? msg : "");
    char err[200];
    ck_assert_int_eq((int)sim_stats_size(s, "k", err, sizeof err), 1);
    ck_assert_int_eq((int)sim_stats_size(s, "p", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "'p' is not"));
    double k0;
    sim_stats_observed(s, "k", &k0);
    ck_assert_double_eq(k0, 1);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double u[1], x[10], sk = 0;
    for (int i = 0; i < 5000; i++) {
        ck_assert_int_eq(sim_draw(s, r, u, x), 0);
        double k, t = 0;
        sim_stats(s, "k", &k);
        for (int j = 0; j < 10; j++) { ck_assert(x[j] == 0 || x[j] == 1); t += x[j]; }
        ck_assert_double_eq(k, t);
        sk += k;
    }
    ck_assert_double_eq_tol(sk / 5000, 10 * 0.4, 0.1);   /* E k = N E p = 4, sd ~ 2.4 */
    gsl_rng_free(r);
    sim_free(s);
    vm_model_free(m);
}
END_TEST

/* Multivariate families: replicated multi_normal data, a vector and a simplex. */
START_TEST(multivariate)
{
    const char *src =
        "data int K = 2;\n"
        "data matrix[K, K] S = [[1, 0.5], [0.5, 1]];\n"
        "data array[3] vector[K] y = {[0, 0]', [0, 0]', [0, 0]'};\n"
        "param vector[K] mu;\n"
        "param simplex[3] p;\n"
        "mu ~ multi_normal(rep_vector(0, K), S);\n"
        "p ~ dirichlet(rep_vector(1, 3));\n"
        "y ~ multi_normal(mu, S);\n";
    VmModel *m = load(src, NULL);
    ck_assert_ptr_nonnull(m);
    char *msg = NULL;
    Sim *s = sim_new(m, &msg);
    ck_assert_msg(s != NULL, "%s", msg ? msg : "");
    ck_assert_int_eq((int)sim_ndata(s), 6);
    ck_assert_str_eq(sim_data_name(s, 1), "y.2.1");   /* column-major: y[2][1] */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    VmEval *e = vm_eval_new(m);
    double u[8], x[6], c[8];
    double s11 = 0, s12 = 0, sm = 0, sp = 0, sy = 0;
    int n = 20000;
    for (int i = 0; i < n; i++) {
        ck_assert_msg(sim_draw(s, r, u, x) == 0, "%s", sim_message(s));
        ck_assert_int_eq(vm_constrain(e, u, c), 0);   /* mu.1 mu.2 p.1 p.2 p.3 */
        ck_assert_double_eq_tol(c[2] + c[3] + c[4], 1, 1e-12);
        sm += c[0];
        s11 += c[0] * c[0];
        s12 += c[0] * c[1];
        sp += c[2];
        sy += x[0] * x[3];    /* y[1][1] * y[1][2]: cov 0.5 + 0.5 */
    }
    ck_assert_double_eq_tol(sm / n, 0, 4 / sqrt(n));
    ck_assert_double_eq_tol(s11 / n, 1, 4 * sqrt(2.0 / n));
    ck_assert_double_eq_tol(s12 / n, 0.5, 4 * sqrt(1.25 / n));
    ck_assert_double_eq_tol(sp / n, 1.0 / 3, 4 * sqrt(2.0 / 36 / n));
    ck_assert_double_eq_tol(sy / n, 1.0, 4 * sqrt(5.0 / n));
    vm_eval_free(e);
    gsl_rng_free(r);
    sim_free(s);
    vm_model_free(m);
}
END_TEST

/* Refusals: the message and its line:col. */
static const struct { const char *src, *where, *what; } refuse[] = {
    {"param real a;\na ~ normal(0, 1);\ntarget += -a * a;\n", "t.vmod:3:1:", "`target +=`"},
    {"data real y = 1;\nparam real a;\na ~ normal(0, 1);\nlet z = a * 2;\nz ~ normal(0, 1);\n", "t.vmod:5:1:",
     "'z' is not a parameter or data"},
    {"data real y = 1;\nparam real a;\na ~ normal(0, 1);\nlog(y) ~ normal(a, 1);\n", "t.vmod:4:1:",
     "the left side of `~` is an expression"},
    {"data real y = 1;\nparam real a;\nparam real b;\na ~ normal(0, 1);\ny ~ normal(a + b, 1);\n", "t.vmod:3:12:",
     "parameter 'b' has no `~`"},
    {"param real a;\nparam real b;\na ~ normal(b, 1);\nb ~ normal(a, 1);\n", "t.vmod:3:1:", "no generative order"},
    {"param real a;\na ~ normal(0, 1);\na ~ normal(1, 1);\n", "t.vmod:3:1:", "drawn twice"},
};

START_TEST(refusals)
{
    VmModel *m = load(refuse[_i].src, NULL);
    ck_assert_ptr_nonnull(m);
    char *msg = NULL;
    Sim *s = sim_new(m, &msg);
    if (s) {   /* some refusals happen only when drawing */
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        double u[4];
        ck_assert_int_eq(sim_draw(s, r, u, NULL), -1);
        msg = strdup(sim_message(s));
        gsl_rng_free(r);
        sim_free(s);
    }
    ck_assert_msg(msg && strstr(msg, refuse[_i].where) && strstr(msg, refuse[_i].what), "case %d: %s", _i, msg);
    free(msg);
    vm_model_free(m);
}
END_TEST

/* ---- the whole driver: --method=prior-predictive with the data columns ---- */

static int pp_logp(void *ctx, const double *u, double *lp, double *grad) { return vm_log_density(ctx, u, 1, lp, grad); }
static int pp_target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    VmModel *m = model;
    t->dim = vm_model_dim(m);
    t->ndisc = vm_model_ndisc(m);
    t->logp = pp_logp;
    t->ctx = vm_eval_new(m);
    t->model = m;
    return 0;
}
static void pp_target_free(void *model, BkTarget *t) { vm_eval_free(t->ctx); }
static int pp_values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    return vm_write_values(t->ctx, u, r, out);
}

START_TEST(driver_columns)
{
    VmModel *m = load(HIER, NULL);
    const char *names[8];
    for (size_t i = 0; i < vm_model_nvalues(m); i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {"hier.vmod", vm_model_dim(m), vm_model_ndisc(m), pp_target_new, pp_target_free,
                   vm_model_nvalues(m), names, pp_values, NULL, m};
    char *msg = NULL;
    SimOutputs *so = sim_outputs_wrap(&rm, m, &msg);
    ck_assert_msg(so != NULL, "%s", msg ? msg : "");
    ck_assert_int_eq((int)rm.ncols, (int)vm_model_nvalues(m) + 3);
    const Backend *b = bk_find("prior-predictive");
    ck_assert_ptr_nonnull(b);
    RunConfig cfg = {.backend = b, .chains = 2, .threads = 2, .quiet = 1, .progress = 0};
    cfg.base.draws = 4000;
    cfg.base.warmup = 10;
    cfg.base.seed = 5;
    BkOpt none[] = {{NULL, NULL}};
    cfg.base.opts = none;
    RunResult res;
    memset(&res, 0, sizeof res);
    char err[1024];
    ck_assert_int_eq(run_inference(&rm, &cfg, &res, err, sizeof err), 0);
    size_t jy = 0, jmu = 0;
    for (size_t j = 0; j < res.ncols; j++) {
        if (!strcmp(res.col_names[j], "y.2")) jy = j;
        if (!strcmp(res.col_names[j], "mu")) jmu = j;
    }
    ck_assert(jy > 0 && jmu > 0);
    /* y.2 - mu = sigma z1 + z2: mean 0, variance E sigma^2 + 1 = 5, whatever mu is */
    long n = res.ndraws * res.chains;
    double s = 0, s2 = 0, sm = 0;
    for (long i = 0; i < n; i++) {
        const double *row = res.draws + (size_t)i * res.ncols;
        double d = row[jy] - row[jmu];
        s += d; s2 += d * d; sm += row[jmu];
    }
    ck_assert_double_eq_tol(s / n, 0, 4 * sqrt(5.0 / n));
    ck_assert_double_eq_tol(s2 / n, 5, 5 * 5 * sqrt(2.0 / n));
    ck_assert_double_eq_tol(sm / n, 1, 4 * 3 / sqrt(n));
    run_result_free(&res);
    sim_outputs_free(so);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, moments);
    tcase_add_test(tc, bernoulli_stats);
    tcase_add_test(tc, driver_columns);
    tcase_add_test(tc, multivariate);
    tcase_add_loop_test(tc, refusals, 0, (int)(sizeof refuse / sizeof refuse[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
