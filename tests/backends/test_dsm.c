/* Denoising score matching (backends/nn.c, dsm_net.c, dsm.c):
 *  - network and DSM-loss gradients against central finite differences;
 *  - on a one-dimensional Gaussian family the learned score of p_sigma matches the
 *    exact one at every level;
 *  - on three conjugate models, posterior means and sds from one trained network
 *    (saved, then loaded for each data set) match the exact posteriors for several
 *    data sets.
 * The budgets here are small, to keep each case well under a minute (the cases run
 * as separate meson tests through CK_RUN_CASE); bench/dsm.c runs the full budget. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "backends/backend.h"
#include "backends/dsm.h"
#include "backends/nn.h"
#include "runtime/vmod.h"

/* ---- gradients ---- */

static const int archs[][5] = {   /* nlayers, widths */
    {1, 3, 2, 0, 0},
    {2, 4, 5, 3, 0},
    {3, 2, 7, 6, 2},
};

/* L = sum(c .* out) for fixed weights c: dL/dtheta and dL/dx against differences. */
START_TEST(nn_gradient)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int L = archs[_i][0];
    const int *sz = &archs[_i][1];
    int B = 3;
    Nn *n = nn_new(L, sz, B, r);
    ck_assert_ptr_nonnull(n);
    for (size_t k = 0; k < n->nparams; k++) n->theta[k] += 0.3 * gsl_ran_gaussian(r, 1);   /* non-zero biases too */
    int nin = sz[0], nout = sz[L];
    double X[64], C[64], dx[64];
    for (int k = 0; k < B * nin; k++) X[k] = gsl_ran_gaussian(r, 1);
    for (int k = 0; k < B * nout; k++) C[k] = gsl_ran_gaussian(r, 1);
    nn_forward(n, X, B);
    nn_zero_grad(n);
    nn_backward(n, C, B, dx);
    double h = 1e-6;
#define LOSS(res) do { const double *o = nn_forward(n, X, B); res = 0; \
        for (int q = 0; q < B * nout; q++) res += C[q] * o[q]; } while (0)
    for (size_t k = 0; k < n->nparams; k++) {
        double t = n->theta[k], lp, lm;
        n->theta[k] = t + h; LOSS(lp);
        n->theta[k] = t - h; LOSS(lm);
        n->theta[k] = t;
        double fd = (lp - lm) / (2 * h);
        ck_assert_msg(fabs(fd - n->grad[k]) <= 1e-6 * (1 + fabs(fd)), "param %zu: fd %g backward %g", k, fd, n->grad[k]);
    }
    for (int k = 0; k < B * nin; k++) {
        double t = X[k], lp, lm;
        X[k] = t + h; LOSS(lp);
        X[k] = t - h; LOSS(lm);
        X[k] = t;
        double fd = (lp - lm) / (2 * h);
        ck_assert_msg(fabs(fd - dx[k]) <= 1e-6 * (1 + fabs(fd)), "input %d: fd %g backward %g", k, fd, dx[k]);
    }
    /* write and read back: the same outputs */
    FILE *f = tmpfile();
    ck_assert_int_eq(nn_write(n, f), 0);
    rewind(f);
    char err[100];
    Nn *m = nn_read(f, B, err, sizeof err);
    fclose(f);
    ck_assert_ptr_nonnull(m);
    const double *o1 = nn_forward(n, X, B), *o2 = nn_forward(m, X, B);
    for (int k = 0; k < B * nout; k++) ck_assert_double_eq(o1[k], o2[k]);
    nn_free(m);
    nn_free(n);
    gsl_rng_free(r);
}
END_TEST

/* The DSM loss l = (1/B) sum ||o(w + sigma eps, sigma, x) + eps||^2 and its gradient. */
START_TEST(dsm_loss_gradient)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    DsmConfig c = {.levels = 4, .sigma_min = 0.1, .sigma_max = 1, .hidden = 6, .layers = 2, .batch = 5, .lr = 1e-3,
                   .steps = 1, .step_ratio = 0.1, .stop = 0.5};
    char err[200];
    int d = 2, nx = 3, B = 5;
    Dsm *m = dsm_new(&c, d, nx, r, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    double W[10], Xs[15], sig[5], eps[10];
    for (int k = 0; k < B * d; k++) { W[k] = gsl_ran_gaussian(r, 1); eps[k] = gsl_ran_gaussian(r, 1); }
    for (int k = 0; k < B * nx; k++) Xs[k] = gsl_ran_gaussian(r, 1);
    for (int i = 0; i < B; i++) sig[i] = m->sigmas[i % c.levels];
    /* the loss by hand from the network's output */
    double in[5 * 6];
    for (int i = 0; i < B; i++) {
        for (int j = 0; j < d; j++) in[i * 6 + j] = W[i * d + j] + sig[i] * eps[i * d + j];
        in[i * 6 + d] = log(sig[i]);
        for (int j = 0; j < nx; j++) in[i * 6 + d + 1 + j] = Xs[i * nx + j];
    }
    const double *o = nn_forward(m->net, in, B);
    double byhand = 0;
    for (int k = 0; k < B * d; k++) byhand += (o[k] + eps[k]) * (o[k] + eps[k]);
    byhand /= B;
    nn_zero_grad(m->net);
    double l = dsm_loss(m, W, Xs, sig, eps, B, 1);
    ck_assert_double_eq_tol(l, byhand, 1e-12);
    double h = 1e-6;
    for (size_t k = 0; k < m->net->nparams; k++) {
        double t = m->net->theta[k];
        m->net->theta[k] = t + h;
        double lp = dsm_loss(m, W, Xs, sig, eps, B, 0);
        m->net->theta[k] = t - h;
        double lm = dsm_loss(m, W, Xs, sig, eps, B, 0);
        m->net->theta[k] = t;
        double fd = (lp - lm) / (2 * h);
        ck_assert_msg(fabs(fd - m->net->grad[k]) <= 1e-6 * (1 + fabs(fd)), "param %zu: fd %g backward %g", k, fd,
                      m->net->grad[k]);
    }
    dsm_free(m);
    gsl_rng_free(r);
}
END_TEST

/* ---- one-dimensional Gaussian family ----
 * z ~ N(0, 1), x | z ~ N(z, 1): p(z | x) = N(x/2, 1/2) and p_sigma(z | x) =
 * N(x/2, 1/2 + sigma_z^2), whose score is -(z - x/2) / (1/2 + sigma_z^2).  The
 * error is measured in units of that score's scale, 1/sd_sigma, over z within 2 sd
 * of the centre and x in {-1.5, 0, 1.5}.  Tolerance (rms over the grid):
 * max(0.15, 0.05 sd_sigma / sigma) at every level.  The second term is an error of
 * 0.05 in the network's own output o = sigma s, which the loss weights alike at
 * every level: the denoising target's signal is only sigma / sd of its noise, so a
 * fixed budget learns o, not s, to a fixed accuracy.  The levels the sampler ends
 * on (sigma about half the posterior sd, --stop) are held to about 0.15. */
START_TEST(gaussian_family_score)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    DsmConfig c = {.levels = 8, .sigma_min = 0.03, .sigma_max = 2, .hidden = 48, .layers = 2, .batch = 256,
                   .lr = 2e-3, .steps = 100, .step_ratio = 0.1, .stop = 0.5};
    char err[200];
    Dsm *m = dsm_new(&c, 1, 1, r, err, sizeof err);
    long n = 40000;
    int epochs = 30;
    double *Z = malloc(sizeof(double) * n), *X = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) { Z[i] = gsl_ran_gaussian(r, 1); X[i] = Z[i] + gsl_ran_gaussian(r, 1); }
    dsm_standardise(m, Z, X, n);
    for (int e = 0; e < epochs; e++)
        dsm_epoch(m, Z, X, n, c.lr * (0.05 + 0.95 * 0.5 * (1 + cos(M_PI * e / epochs))), r);
    dsm_finish(m);
    for (int l = 0; l < c.levels; l++) {
        double sg = m->sigmas[l], sz = sg * m->zsd[0], e2 = 0;
        int cnt = 0;
        for (double x = -1.5; x <= 1.6; x += 1.5) {
            double v = 0.5 + sz * sz, mu = x / 2;
            for (double q = -2; q <= 2.01; q += 0.25) {
                double z = mu + q * sqrt(v), s;
                dsm_score(m, &z, &x, sg, 1, &s);
                double e = (s + (z - mu) / v) * sqrt(v);
                e2 += e * e;
                cnt++;
            }
        }
        double sdsig = sqrt(0.5 + sz * sz), rms = sqrt(e2 / cnt), tol = fmax(0.15, 0.05 * sdsig / sz);
        fprintf(stderr, "gaussian family: level %d sigma %.3f rms score error %.3f (tolerance %.2f)\n", l, sg, rms, tol);
        ck_assert_msg(rms <= tol, "level %d (sigma %.3f): rms error %.3f > %.2f", l, sg, rms, tol);
    }
    free(Z);
    free(X);
    dsm_free(m);
    gsl_rng_free(r);
}
END_TEST

/* ---- conjugate models through the backend ---- */

typedef struct Tgt { VmModel *m; VmEval *e; BkTarget t; } Tgt;

static int tgt_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density(ctx, u, 1, lp, grad);
}

static int tgt_open(Tgt *g, const char *src, const char *json)
{
    char *msg = NULL;
    g->m = vm_model_load(src, strlen(src), "conj.vmod", json, "data.json", &msg);
    if (!g->m) { fprintf(stderr, "%s", msg); free(msg); return -1; }
    g->e = vm_eval_new(g->m);
    memset(&g->t, 0, sizeof g->t);
    g->t.dim = vm_model_dim(g->m);
    g->t.logp = tgt_logp;
    g->t.ctx = g->e;
    g->t.model = g->m;
    return 0;
}

static void tgt_close(Tgt *g) { vm_eval_free(g->e); vm_model_free(g->m); }

/* Exact posterior means and sds of the constrained parameters, given the data. */
typedef void (*ExactFn)(const double *data, double *mean, double *sd);

#define NOBS 10
static const double XCOV[NOBS] = {-1.5, -1.1, -0.7, -0.4, -0.1, 0.2, 0.5, 0.8, 1.2, 1.6};

static void exact_normal(const double *y, double *mean, double *sd)
{
    /* mu ~ N(0, 2^2), y_i ~ N(mu, 1) */
    double s = 0, prec = 0.25 + NOBS;
    for (int i = 0; i < NOBS; i++) s += y[i];
    mean[0] = s / prec;
    sd[0] = 1 / sqrt(prec);
}

static void exact_beta(const double *y, double *mean, double *sd)
{
    /* theta ~ Beta(2, 2), 20 Bernoulli draws */
    double k = 0;
    for (int i = 0; i < 20; i++) k += y[i];
    double a = 2 + k, b = 2 + 20 - k;
    mean[0] = a / (a + b);
    sd[0] = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
}

static void exact_regression(const double *y, double *mean, double *sd)
{
    /* (alpha, beta) ~ N(0, I), y_i ~ N(alpha + beta x_i, 1): precision I + X'X */
    double s0 = NOBS, s1 = 0, s2 = 0, b0 = 0, b1 = 0;
    for (int i = 0; i < NOBS; i++) { s1 += XCOV[i]; s2 += XCOV[i] * XCOV[i]; b0 += y[i]; b1 += XCOV[i] * y[i]; }
    double p00 = 1 + s0, p01 = s1, p11 = 1 + s2, det = p00 * p11 - p01 * p01;
    double c00 = p11 / det, c01 = -p01 / det, c11 = p00 / det;
    mean[0] = c00 * b0 + c01 * b1;
    mean[1] = c01 * b0 + c11 * b1;
    sd[0] = sqrt(c00);
    sd[1] = sqrt(c11);
}

typedef struct Conj {
    const char *name, *src;
    int ny, np, is_int;
    double data[3][20];
    ExactFn exact;
} Conj;

static const Conj conj[] = {
    {"normal mean",
     "data int N = 10;\ndata vector[N] y;\nparam real mu;\nmu ~ normal(0, 2);\ny ~ normal(mu, 1);\n",
     10, 1, 0,
     {{0.5, 1.2, -0.3, 0.8, 1.9, 0.1, 0.7, 1.1, 0.4, 0.9},
      {-2.1, -3.0, -1.2, -2.6, -1.7, -2.2, -3.3, -1.9, -2.4, -2.8},
      {3.2, 2.1, 4.0, 2.7, 3.5, 1.9, 3.1, 2.6, 3.8, 2.2}},
     exact_normal},
    {"beta-Bernoulli",
     "data int N = 20;\ndata array[N] int<lower=0, upper=1> y;\nparam real<lower=0, upper=1> theta;\n"
     "theta ~ beta(2, 2);\ny ~ bernoulli(theta);\n",
     20, 1, 1,
     {{0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0},
      {1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0},
      {1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1}},
     exact_beta},
    {"linear regression",
     "data int N = 10;\ndata vector[N] x = [-1.5, -1.1, -0.7, -0.4, -0.1, 0.2, 0.5, 0.8, 1.2, 1.6]';\n"
     "data vector[N] y;\nparam real alpha;\nparam real beta;\nalpha ~ normal(0, 1);\nbeta ~ normal(0, 1);\n"
     "y ~ normal(alpha + beta * x, 1);\n",
     10, 2, 0,
     {{-0.9, -0.2, 0.3, 0.1, 1.0, 0.8, 1.5, 1.2, 2.1, 2.4},
      {1.1, 0.2, 0.6, -0.4, -0.3, -0.9, -0.6, -1.5, -1.2, -2.2},
      {0.4, -0.8, 0.9, 0.1, 0.3, -0.4, 0.6, -0.2, 0.5, 0.0}},
     exact_regression},
};

static char *json_of(const Conj *c, int k)
{
    char *s = malloc(1024);
    size_t o = (size_t)snprintf(s, 1024, "{\"y\": [");
    for (int i = 0; i < c->ny; i++) o += (size_t)snprintf(s + o, 1024 - o, c->is_int ? "%s%.0f" : "%s%.17g", i ? ", " : "", c->data[k][i]);
    snprintf(s + o, 1024 - o, "]}");
    return s;
}

static const Backend *find_dsm(void)
{
    const Backend *b = bk_find("dsm");
    ck_assert_ptr_nonnull(b);
    return b;
}

/* Train one network, then sample each data set's posterior with it reloaded. */
static void run_conj(const Conj *c, long sims, long epochs, double tol_mean, double tol_sd)
{
    gsl_set_error_handler_off();
    const Backend *b = find_dsm();
    char path[] = "/tmp/vmod_dsm_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char sims_s[32], ep_s[32];
    snprintf(sims_s, sizeof sims_s, "%ld", sims);
    snprintf(ep_s, sizeof ep_s, "%ld", epochs);
    BkOpt train[] = {{"sims", sims_s}, {"epochs", ep_s}, {"save-net", path}, {NULL, NULL}};
    BkSettings s = {.draws = 1000, .seed = 42, .opts = train, .nopts = 3};
    char err[1024] = "";
    ck_assert_int_eq(bk_check_options(b, train, 3, err, sizeof err), 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    Tgt g;
    char *js = json_of(c, 0);
    ck_assert_int_eq(tgt_open(&g, c->src, js), 0);
    free(js);
    void *st = b->create(&s, &g.t, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(b->init(st, &g.t, r, NULL, err, sizeof err), 0);
    int rc;
    long it = 0;
    while ((rc = b->step(st, &g.t, r, it++, 0, err, sizeof err)) == BK_OK) {}
    ck_assert_msg(rc == BK_DONE, "%s", err);
    ck_assert_int_eq((int)it, (int)epochs);
    b->report(st, stderr, "  ");
    b->free(st);
    tgt_close(&g);
    BkOpt load[] = {{"load-net", path}, {NULL, NULL}};
    for (int k = 0; k < 3; k++) {
        BkSettings s2 = {.draws = 1000, .seed = 43, .opts = load, .nopts = 1};
        js = json_of(c, k);
        ck_assert_int_eq(tgt_open(&g, c->src, js), 0);
        free(js);
        st = b->create(&s2, &g.t, err, sizeof err);
        ck_assert_msg(st != NULL, "%s", err);
        ck_assert_int_eq(b->init(st, &g.t, r, NULL, err, sizeof err), 0);
        ck_assert_int_eq(b->step(st, &g.t, r, 0, 0, err, sizeof err), BK_DONE);
        double sum[2] = {0, 0}, sum2[2] = {0, 0}, u[2], x[2], lp;
        for (int i = 0; i < 1000; i++) {
            b->draw(st, r, u, &lp, NULL);
            ck_assert(isfinite(lp));
            ck_assert_int_eq(vm_constrain(g.e, u, x), 0);
            for (int j = 0; j < c->np; j++) { sum[j] += x[j]; sum2[j] += x[j] * x[j]; }
        }
        double em[2], es[2];
        c->exact(c->data[k], em, es);
        for (int j = 0; j < c->np; j++) {
            double mean = sum[j] / 1000, sd = sqrt((sum2[j] - 1000 * mean * mean) / 999);
            fprintf(stderr, "%s, data set %d, parameter %d: mean %.4f (exact %.4f, %+.3f sd), sd %.4f (exact %.4f, %+.1f%%)\n",
                    c->name, k + 1, j + 1, mean, em[j], (mean - em[j]) / es[j], sd, es[j], 100 * (sd / es[j] - 1));
            ck_assert_msg(fabs(mean - em[j]) <= tol_mean * es[j], "%s data %d: mean %g, exact %g", c->name, k + 1, mean, em[j]);
            ck_assert_msg(fabs(sd / es[j] - 1) <= tol_sd, "%s data %d: sd %g, exact %g", c->name, k + 1, sd, es[j]);
        }
        b->free(st);
        tgt_close(&g);
    }
    gsl_rng_free(r);
    unlink(path);
}

/* Small budget: 20000 simulations, 20 epochs (about 5 s of training here); the
 * tolerances are the (0.1 sd, 15%) widened to 0.2 sd and 20% for it. */
START_TEST(conjugate)
{
    run_conj(&conj[_i], 20000, 40, 0.2, 0.20);
}
END_TEST

/* Refusals reach the caller as a message naming the statement. */
START_TEST(refuse_target)
{
    const Backend *b = find_dsm();
    Tgt g;
    ck_assert_int_eq(tgt_open(&g, "data real y = 1;\nparam real mu;\nmu ~ normal(0, 1);\ntarget += normal_lpdf(y | mu, 1);\n",
                              NULL), 0);
    BkOpt none[] = {{NULL, NULL}};
    BkSettings s = {.draws = 10, .opts = none};
    char err[1024] = "";
    void *st = b->create(&s, &g.t, err, sizeof err);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err, "conj.vmod:4:1: error: forward simulation: `target +=`"), "%s", err);
    tgt_close(&g);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("dsm");
    TCase *tg = tcase_create("gradients");
    tcase_add_loop_test(tg, nn_gradient, 0, (int)(sizeof archs / sizeof archs[0]));
    tcase_add_test(tg, dsm_loss_gradient);
    tcase_add_test(tg, refuse_target);
    suite_add_tcase(s, tg);
    TCase *tf = tcase_create("gaussian");
    tcase_set_timeout(tf, 300);
    tcase_add_test(tf, gaussian_family_score);
    suite_add_tcase(s, tf);
    static const char *const names[] = {"normal", "beta", "regression"};
    for (int i = 0; i < 3; i++) {
        TCase *tc = tcase_create(names[i]);
        tcase_set_timeout(tc, 300);
        tcase_add_loop_test(tc, conjugate, i, i + 1);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
