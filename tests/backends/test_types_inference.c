/* Inference on the structured-matrix types and the _rngs of their families:
 *  - NUTS recovers the correlation matrix and the scales of an LKJ
 *    multi_normal_cholesky model from simulated data;
 *  - a covariance with an inverse-Wishart prior and a known mean has the posterior
 *    inverse-Wishart(nu + N, Psi + S): NUTS's posterior mean of Sigma matches
 *    (Psi + S) / (nu + N - p - 1) within MCSE;
 *  - CAVI recognises multi_normal with an inv_wishart covariance and multi_normal_prec
 *    with a wishart precision as conjugate: its q is exactly the closed-form posterior
 *    and its ELBO the log evidence; multi_normal_prec against multi_normal;
 *  - lkj_corr_rng, lkj_corr_cholesky_rng, wishart_rng, inv_wishart_rng,
 *    multi_normal_rng and multi_normal_cholesky_rng by their first two moments. */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>
#include "backends/cavi.h"
#include "driver/run.h"
#include "driver/summary.h"
#include "runtime/vmod.h"
#include "tests/test_seed.h"

typedef struct Tgt { VmEval *e; } Tgt;

static int logp(void *p, const double *u, double *lp, double *g) { return vm_log_density(((Tgt *)p)->e, u, 1, lp, g); }

static int tnew(void *model, BkTarget *t, char *err, size_t n)
{
    (void)err; (void)n;
    Tgt *x = malloc(sizeof *x);
    x->e = vm_eval_new(model);
    memset(t, 0, sizeof *t);
    t->dim = vm_model_dim(model);
    t->logp = logp;
    t->ctx = x;
    t->model = model;
    return 0;
}

static void tfree(void *model, BkTarget *t)
{
    (void)model;
    Tgt *x = t->ctx;
    vm_eval_free(x->e);
    free(x);
}

static int values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    (void)model;
    return vm_write_values(((Tgt *)t->ctx)->e, u, r, out);
}

static VmModel *load(const char *src, const char *data)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "types.vmod", data, "data.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    return m;
}

/* NUTS, 4 chains x 1000 draws after 1000 warm-up; the summary of column `name`. */
typedef struct Run { RunResult res; VmModel *m; } Run;

static void run_nuts(VmModel *m, unsigned long seed, Run *out)
{
    size_t nv = vm_model_nvalues(m);
    const char **names = malloc(sizeof(char *) * (nv + 1));
    for (size_t i = 0; i < nv; i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {"types.vmod", vm_model_dim(m), 0, tnew, tfree, nv, names, values, NULL, m};
    RunConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = bk_find("nuts");
    cfg.base = (BkSettings){1000, 1000, 10000, 0, 0, 0, test_seed(seed), 0, NULL, 0};
    cfg.chains = 4;
    cfg.threads = 1;
    cfg.quiet = 1;
    char *rep = NULL;
    size_t replen = 0;
    cfg.out = open_memstream(&rep, &replen);
    memset(&out->res, 0, sizeof out->res);
    char err[512] = "";
    int rc = run_inference(&rm, &cfg, &out->res, err, sizeof err);
    fclose(cfg.out);
    free(rep);
    free(names);
    ck_assert_msg(rc == 0, "nuts failed (%d): %s", rc, err);
    out->m = m;
}

static SumStats col(const Run *r, const char *name)
{
    for (size_t j = 0; j < r->res.ncols; j++)
        if (!strcmp(r->res.col_names[j], name)) {
            SumStats s;
            ck_assert(sum_compute(r->res.draws + j, r->res.chains, (size_t)r->res.ndraws, r->res.ncols, &s) == 0);
            return s;
        }
    ck_abort_msg("no column %s", name);
    return (SumStats){0};
}

/* y_i ~ N(0, diag(tau) Omega diag(tau)), written as CmdStan JSON */
static char *simulate_mvn(gsl_rng *r, int N, int K, const double *Sigma, double *S_out)
{
    gsl_matrix *L = gsl_matrix_alloc((size_t)K, (size_t)K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(L, (size_t)i, (size_t)j, Sigma[i + K * j]);
    gsl_linalg_cholesky_decomp1(L);
    size_t cap = (size_t)N * (size_t)K * 32 + 256, o = 0;
    char *s = malloc(cap);
    o += (size_t)snprintf(s + o, cap - o, "{\"N\": %d, \"y\": [", N);
    if (S_out) memset(S_out, 0, sizeof(double) * (size_t)(K * K));
    for (int n = 0; n < N; n++) {
        double z[8], y[8];
        for (int i = 0; i < K; i++) z[i] = gsl_ran_gaussian(r, 1.0);
        for (int i = 0; i < K; i++) {
            y[i] = 0;
            for (int j = 0; j <= i; j++) y[i] += gsl_matrix_get(L, (size_t)i, (size_t)j) * z[j];
        }
        for (int i = 0; S_out && i < K; i++)
            for (int j = 0; j < K; j++) S_out[i + K * j] += y[i] * y[j];
        o += (size_t)snprintf(s + o, cap - o, "%s[", n ? ", " : "");
        for (int i = 0; i < K; i++) o += (size_t)snprintf(s + o, cap - o, "%s%.17g", i ? ", " : "", y[i]);
        o += (size_t)snprintf(s + o, cap - o, "]");
    }
    snprintf(s + o, cap - o, "]}");
    gsl_matrix_free(L);
    return s;
}

START_TEST(test_lkj_recovery)
{
    const int K = 3, N = 400;
    const double tau[3] = {1.0, 2.0, 0.5};
    const double om[9] = {1, 0.5, -0.3, 0.5, 1, 0.2, -0.3, 0.2, 1};
    double Sigma[9];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) Sigma[i + K * j] = tau[i] * tau[j] * om[i + K * j];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, test_seed(19));
    char *data = simulate_mvn(r, N, K, Sigma, NULL);
    VmModel *m = load("data int<lower=0> N;\n"
                      "data array[N] vector[3] y;\n"
                      "param cholesky_factor_corr[3] L;\n"
                      "param vector<lower=0>[3] tau;\n"
                      "L ~ lkj_corr_cholesky(2);\n"
                      "tau ~ normal(0, 3);\n"
                      "y ~ multi_normal_cholesky(rep_vector(0, 3), diag_pre_multiply(tau, L));\n"
                      "let matrix[3, 3] Omega = multiply_lower_tri_self_transpose(L);\n",
                      data);
    Run run;
    run_nuts(m, 1919, &run);
    char nm[32];
    for (int i = 0; i < K; i++) {
        snprintf(nm, sizeof nm, "tau.%d", i + 1);
        SumStats s = col(&run, nm);
        ck_assert_msg(s.rhat < 1.01, "%s: rhat %g", nm, s.rhat);
        ck_assert_msg(fabs(s.mean - tau[i]) < 4 * s.sd, "%s: mean %g sd %g, truth %g", nm, s.mean, s.sd, tau[i]);
        ck_assert_msg(s.sd < 0.1 * tau[i], "%s: sd %g: the data do not inform it", nm, s.sd);
        for (int j = 0; j < i; j++) {
            snprintf(nm, sizeof nm, "Omega.%d.%d", i + 1, j + 1);
            SumStats o = col(&run, nm);
            ck_assert_msg(o.rhat < 1.01, "%s: rhat %g", nm, o.rhat);
            ck_assert_msg(fabs(o.mean - om[i + K * j]) < 4 * o.sd, "%s: mean %g sd %g, truth %g", nm, o.mean, o.sd,
                          om[i + K * j]);
            ck_assert_msg(o.sd < 0.08, "%s: sd %g", nm, o.sd);
        }
    }
    run_result_free(&run.res);
    vm_model_free(m);
    free(data);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_inv_wishart_posterior)
{
    const int K = 2, N = 15;
    const double nu = 5, Psi[4] = {1.5, 0.3, 0.3, 0.8}, Sigma[4] = {2.0, 0.6, 0.6, 1.0};
    double S[4];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, test_seed(23));
    char *data = simulate_mvn(r, N, K, Sigma, S);
    VmModel *m = load("data int<lower=0> N;\n"
                      "data array[N] vector[2] y;\n"
                      "param cov_matrix[2] Sigma;\n"
                      "Sigma ~ inv_wishart(5, [[1.5, 0.3], [0.3, 0.8]]);\n"
                      "y ~ multi_normal(rep_vector(0, 2), Sigma);\n",
                      data);
    Run run;
    run_nuts(m, 2323, &run);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            /* inverse-Wishart(nu + N, Psi + S) has mean (Psi + S) / (nu + N - K - 1) */
            double want = (Psi[i + K * j] + S[i + K * j]) / (nu + N - K - 1);
            char nm[32];
            snprintf(nm, sizeof nm, "Sigma.%d.%d", i + 1, j + 1);
            SumStats s = col(&run, nm);
            ck_assert_msg(s.rhat < 1.01, "%s: rhat %g", nm, s.rhat);
            ck_assert_msg(fabs(s.mean - want) < 4 * s.mcse_mean, "%s: mean %g (mcse %g), closed form %g", nm, s.mean,
                          s.mcse_mean, want);
        }
    run_result_free(&run.res);
    vm_model_free(m);
    free(data);
    gsl_rng_free(r);
}
END_TEST

static double lmgamma(int K, double a)
{
    double s = 0.25 * K * (K - 1) * log(M_PI);
    for (int j = 1; j <= K; j++) s += gsl_sf_lngamma(a + 0.5 * (1 - j));
    return s;
}

static double logdet2(const double *A) { return log(A[0] * A[3] - A[1] * A[2]); }

static int cavi_logp(void *ctx, const double *u, double *lp, double *grad) { return vm_log_density(ctx, u, 1, lp, grad); }

/* CAVI on a conjugate (inverse-)Wishart model: prior matrix P0 (Psi, or V^-1 for a
 * Wishart), N rows with scatter S.  q's parameters are then exactly nu0 + N and
 * P0 + S, and the ELBO is the log evidence
 *   -N K/2 log pi + lmgamma(nu'/2) - lmgamma(nu/2) + nu/2 log|P0| - nu'/2 log|P0 + S|
 * (the same expression for both: Psi for IW, V^-1 for Wishart). */
typedef struct {
    const char *name, *src, *param;
    int wishart;
    double nu, P0[4];
} CaviCase;

static const CaviCase cavi_cases[] = {
    {"inv_wishart",
     "data int<lower=0> N;\ndata array[N] vector[2] y;\nparam cov_matrix[2] Sigma;\n"
     "Sigma ~ inv_wishart(5, [[1.5, 0.3], [0.3, 0.8]]);\ny ~ multi_normal(rep_vector(0, 2), Sigma);\n",
     "Sigma", 0, 5, {1.5, 0.3, 0.3, 0.8}},
    /* V = [[0.8, 0.1], [0.1, 1.2]]: V^-1 = [[1.2, -0.1], [-0.1, 0.8]] / 0.95 */
    {"wishart",
     "data int<lower=0> N;\ndata array[N] vector[2] y;\nparam cov_matrix[2] Omega;\n"
     "Omega ~ wishart(6, [[0.8, 0.1], [0.1, 1.2]]);\ny ~ multi_normal_prec(rep_vector(0, 2), Omega);\n",
     "Omega", 1, 6, {1.2 / 0.95, -0.1 / 0.95, -0.1 / 0.95, 0.8 / 0.95}},
};
#define NCAVI (sizeof cavi_cases / sizeof cavi_cases[0])

START_TEST(test_cavi_wishart)
{
    const CaviCase *c = &cavi_cases[_i];
    const int K = 2, N = 12;
    const double Sigma[4] = {2.0, -0.6, -0.6, 1.0};
    double S[4];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, test_seed(29 + _i));
    char *data = simulate_mvn(r, N, K, Sigma, S);
    VmModel *m = load(c->src, data);
    VmEval *e = vm_eval_new(m);
    BkTarget t = {vm_model_dim(m), 0, NULL, NULL, cavi_logp, e, m};
    BkSettings s = {.iters = 1000, .seed = test_seed(3)};
    char err[2048] = "";
    void *st = backend_cavi.create(&s, &t, err, sizeof err);
    ck_assert_msg(st != NULL, "%s: cavi refused: %s", c->name, err);
    ck_assert_int_eq(backend_cavi.init(st, &t, r, NULL, err, sizeof err), 0);
    int rc = BK_OK;
    for (long it = 0; it < 1000 && rc == BK_OK; it++) rc = backend_cavi.step(st, &t, r, it, 0, err, sizeof err);
    ck_assert_msg(rc == BK_DONE, "%s: %s", c->name, err);
    const CjBlock *q = cavi_block(st, c->param);
    ck_assert(q != NULL && q->fam == (c->wishart ? Q_WISHART : Q_INVWISHART));
    double post[4];
    ck_assert_msg(fabs(q->p2[0] - (c->nu + N)) < 1e-12, "%s: nu %g", c->name, q->p2[0]);
    for (int j = 0; j < 4; j++) {
        post[j] = c->P0[j] + S[j];
        ck_assert_msg(fabs(q->p1[j] - post[j]) <= 1e-10 * (1 + fabs(post[j])), "%s: q[%d] %.15g, closed form %.15g",
                      c->name, j, q->p1[j], post[j]);
    }
    double ev = -0.5 * N * K * log(M_PI) + lmgamma(K, 0.5 * (c->nu + N)) - lmgamma(K, 0.5 * c->nu) +
                0.5 * c->nu * logdet2(c->P0) - 0.5 * (c->nu + N) * logdet2(post);
    ck_assert_msg(fabs(cavi_elbo(st) - ev) <= 1e-9 * (1 + fabs(ev)), "%s: ELBO %.15g, log evidence %.15g", c->name,
                  cavi_elbo(st), ev);
    /* draws from q: E Sigma = post / (nu' - K - 1) (IW), E Omega = nu' post^-1 (Wishart) */
    double u[3], lp, x[4], mean[4] = {0}, want[4];
    double det = post[0] * post[3] - post[1] * post[2], nu1 = c->nu + N;
    const double inv[4] = {post[3] / det, -post[1] / det, -post[2] / det, post[0] / det};
    for (int j = 0; j < 4; j++) want[j] = c->wishart ? nu1 * inv[j] : post[j] / (nu1 - K - 1);
    const int M = 20000;
    for (int d = 0; d < M; d++) {
        backend_cavi.draw(st, r, u, &lp, NULL);
        ck_assert_int_eq(vm_constrain(e, u, x), 0);
        for (int j = 0; j < 4; j++) mean[j] += x[j] / M;
    }
    for (int j = 0; j < 4; j++)
        ck_assert_msg(fabs(mean[j] - want[j]) < 0.03 * (1 + fabs(want[j])), "%s: E[%d] %g, closed form %g", c->name, j,
                      mean[j], want[j]);
    backend_cavi.free(st);
    vm_eval_free(e);
    vm_model_free(m);
    free(data);
    gsl_rng_free(r);
}
END_TEST

/* multi_normal_prec(y | mu, Omega) is multi_normal(y | mu, inverse(Omega)), and its
 * gradient (through mu and a cov_matrix Omega) matches finite differences. */
START_TEST(test_multi_normal_prec)
{
    const char *data = "{\"y\": [[1, 0.5], [-0.3, 1.2], [0.7, -0.4]]}";
    VmModel *a = load("data array[3] vector[2] y;\nparam vector[2] mu;\nparam cov_matrix[2] Omega;\n"
                      "y ~ multi_normal_prec(mu, Omega);\n", data);
    VmModel *b = load("data array[3] vector[2] y;\nparam vector[2] mu;\nparam cov_matrix[2] Omega;\n"
                      "y ~ multi_normal(mu, inverse(Omega));\n", data);
    VmEval *ea = vm_eval_new(a), *eb = vm_eval_new(b);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, test_seed(31));
    double u[5], g[5], gb[5], lpa, lpb;
    for (int rep = 0; rep < 10; rep++) {
        for (int i = 0; i < 5; i++) u[i] = gsl_ran_gaussian(r, 0.7);
        ck_assert_int_eq(vm_log_density(ea, u, 1, &lpa, g), 0);
        ck_assert_int_eq(vm_log_density(eb, u, 1, &lpb, gb), 0);
        ck_assert_msg(fabs(lpa - lpb) < 1e-10 * (1 + fabs(lpb)), "lp %.15g vs multi_normal %.15g", lpa, lpb);
        for (int i = 0; i < 5; i++) {
            double up[5], um[5], fp, fm, h = 1e-5;
            memcpy(up, u, sizeof u);
            memcpy(um, u, sizeof u);
            up[i] += h;
            um[i] -= h;
            vm_log_density(ea, up, 1, &fp, NULL);
            vm_log_density(ea, um, 1, &fm, NULL);
            double fd = (fp - fm) / (2 * h);
            ck_assert_msg(fabs(g[i] - fd) < 1e-6 * (1 + fabs(fd)), "d/du[%d] %.12g, FD %.12g", i, g[i], fd);
            ck_assert_msg(fabs(g[i] - gb[i]) < 1e-9 * (1 + fabs(gb[i])), "d/du[%d] %.12g vs multi_normal %.12g", i, g[i], gb[i]);
        }
    }
    gsl_rng_free(r);
    vm_eval_free(ea);
    vm_eval_free(eb);
    vm_model_free(a);
    vm_model_free(b);
}
END_TEST

/* The mean a parameter too: no normal-inverse-Wishart factor, refused by name. */
START_TEST(test_cavi_inv_wishart_refusal)
{
    VmModel *m = load("data int<lower=0> N;\n"
                      "data array[N] vector[2] y;\n"
                      "param vector[2] mu;\n"
                      "param cov_matrix[2] Sigma;\n"
                      "mu ~ normal(0, 1);\n"
                      "Sigma ~ inv_wishart(5, [[1.5, 0.3], [0.3, 0.8]]);\n"
                      "y ~ multi_normal(mu, Sigma);\n",
                      "{\"N\": 2, \"y\": [[1, 2], [0.5, -1]]}");
    VmEval *e = vm_eval_new(m);
    BkTarget t = {vm_model_dim(m), 0, NULL, NULL, cavi_logp, e, m};
    BkSettings s = {.iters = 100, .seed = 1};
    char err[2048] = "";
    void *st = backend_cavi.create(&s, &t, err, sizeof err);
    ck_assert(st == NULL);
    ck_assert_msg(strstr(err, ":7:18: error: cavi: with a (inverse-)Wishart covariance or precision the location of "
                              "multi_normal must come from the data") != NULL, "%s", err);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* ---- _rngs by their moments: M draws of a model with only gens ---- */

#define RNG_M 20000

typedef struct {
    const char *name;
    const char *src;          /* gen matrix/vector X = ...; */
    int n;                    /* values */
    double mean[9], var[9];   /* of each value (column-major), var < 0: not checked */
} RngCase;

/* K = 3, eta = 1.5: off-diagonal r ~ 2 Beta(b, b) - 1 with b = eta - 1 + K / 2: var 1 / (2 b + 1) */
#define LKJV (1.0 / (2 * 2.0 + 1))
/* wishart(nu = 5, S): E W = nu S, Var W_ij = nu (S_ij^2 + S_ii S_jj); S = [[1, .5], [.5, 2]] */
/* inv_wishart(nu = 8, S): E W = S / (nu - p - 1), Var W_ii = 2 S_ii^2 / ((nu-p-1)^2 (nu-p-3)) */
static const RngCase rng_cases[] = {
    {"lkj_corr", "gen matrix[3, 3] X = lkj_corr_rng(3, 1.5);", 9,
     {1, 0, 0, 0, 1, 0, 0, 0, 1}, {0, LKJV, LKJV, LKJV, 0, LKJV, LKJV, LKJV, 0}},
    {"lkj_corr_cholesky", "gen matrix[3, 3] X = multiply_lower_tri_self_transpose(lkj_corr_cholesky_rng(3, 1.5));", 9,
     {1, 0, 0, 0, 1, 0, 0, 0, 1}, {0, LKJV, LKJV, LKJV, 0, LKJV, LKJV, LKJV, 0}},
    {"wishart", "gen matrix[2, 2] X = wishart_rng(5, [[1, 0.5], [0.5, 2]]);", 4,
     {5, 2.5, 2.5, 10}, {10, 5 * (0.25 + 2), 5 * (0.25 + 2), 40}},
    {"inv_wishart", "gen matrix[2, 2] X = inv_wishart_rng(8, [[1, 0.5], [0.5, 2]]);", 4,
     {0.2, 0.1, 0.1, 0.4}, {2.0 / (25 * 3), -1, -1, 8.0 / (25 * 3)}},
    {"multi_normal", "gen vector[2] X = multi_normal_rng([1, -2]', [[2, 0.6], [0.6, 0.5]]);", 2,
     {1, -2}, {2, 0.5}},
    {"multi_normal_cholesky", "gen vector[2] X = multi_normal_cholesky_rng([1, -2]', [[1.5, 0], [0.4, 0.7]]);", 2,
     {1, -2}, {2.25, 0.16 + 0.49}},
    /* precision [[2, 0.6], [0.6, 0.5]]: covariance [[0.5, -0.6], [-0.6, 2]] / 0.64 */
    {"multi_normal_prec", "gen vector[2] X = multi_normal_prec_rng([1, -2]', [[2, 0.6], [0.6, 0.5]]);", 2,
     {1, -2}, {0.5 / 0.64, 2 / 0.64}},
};
#define NRNG (sizeof rng_cases / sizeof rng_cases[0])

START_TEST(test_rng_moments)
{
    const RngCase *c = &rng_cases[_i];
    VmModel *m = load(c->src, NULL);
    VmEval *e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, test_seed(700 + _i));
    size_t nv = vm_model_nvalues(m);
    ck_assert_uint_eq(nv, (size_t)c->n);
    double out[9], s1[9] = {0}, s2[9] = {0}, s4[9] = {0}, u[1] = {0};
    for (int d = 0; d < RNG_M; d++) {
        ck_assert_msg(vm_write_values(e, u, r, out) == 0, "%s: %s", c->name, vm_eval_message(e));
        for (int i = 0; i < c->n; i++) {
            double t = out[i] - c->mean[i];
            s1[i] += t; s2[i] += t * t; s4[i] += t * t * t * t;
        }
    }
    for (int i = 0; i < c->n; i++) {
        double mean = s1[i] / RNG_M, m2 = s2[i] / RNG_M, m4 = s4[i] / RNG_M;
        /* the sample mean within 4.5 standard errors; the variance within 4.5 of its own */
        double se = sqrt(m2 / RNG_M);
        ck_assert_msg(fabs(mean) <= 4.5 * se + 1e-12, "%s[%d]: mean %g off by %g (se %g)", c->name, i,
                      c->mean[i] + mean, mean, se);
        if (c->var[i] < 0) continue;
        double var = m2 - mean * mean, sev = sqrt(fmax(m4 - m2 * m2, 0) / RNG_M);
        ck_assert_msg(fabs(var - c->var[i]) <= 4.5 * sev + 1e-12, "%s[%d]: var %g, expected %g (se %g)", c->name, i, var,
                      c->var[i], sev);
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("types_inference");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_rng_moments, 0, NRNG);
    tcase_add_test(tc, test_inv_wishart_posterior);
    tcase_add_loop_test(tc, test_cavi_wishart, 0, NCAVI);
    tcase_add_test(tc, test_multi_normal_prec);
    tcase_add_test(tc, test_cavi_inv_wishart_refusal);
    tcase_add_test(tc, test_lkj_recovery);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
