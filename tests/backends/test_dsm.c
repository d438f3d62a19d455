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
#include "tests/test_seed.h"
#include "backends/backend.h"
#include "backends/dsm.h"
#include "backends/nn.h"
#include "runtime/vmod.h"
#include "bench/dsm_conj.h"

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
    gsl_rng_set(r, test_seed(11));
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

/* ---- conjugate models through the backend (bench/dsm_conj.c) ---- */

/* Small budget: 20000 simulations, 40 epochs (5 to 10 s of training here); the
 * tolerances are the (0.1 sd, 15%) widened to 0.3 sd and 25% for it: over four
 * seeds the worst errors were 0.27 sd and +17% (bench/dsm.c: the full budget and the
 * issue's tolerances).  A posterior this far off the prior still fails: the priors are
 * 2 to 13 posterior sds wide. */
START_TEST(conjugate)
{
    DsmConjFit f;
    char err[1024] = "";
    ck_assert_msg(dsm_conj_run(_i, 20000, 40, 1000, test_seed(42), &f, err, sizeof err) == 0, "%s", err);
    fprintf(stderr, "%s: %ld simulations in %.2f s, %ld epochs in %.2f s, sampling %.2f s per data set\n", f.model,
            f.sims, f.t_sim, f.epochs, f.t_train, f.t_sample);
    dsm_conj_print(&f, stderr);
    for (int d = 0; d < DSM_CONJ_DATASETS; d++)
        for (int j = 0; j < f.np; j++) {
            ck_assert_msg(fabs(f.mean[d][j] - f.exact_mean[d][j]) <= 0.3 * f.exact_sd[d][j], "%s data %d: mean %g, exact %g",
                          f.model, d + 1, f.mean[d][j], f.exact_mean[d][j]);
            ck_assert_msg(fabs(f.sd[d][j] / f.exact_sd[d][j] - 1) <= 0.25, "%s data %d: sd %g, exact %g", f.model, d + 1,
                          f.sd[d][j], f.exact_sd[d][j]);
        }
}
END_TEST

/* Summaries of larger data: the automatic mean and sd of each variable (sufficient
 * for a normal mean with known sd), and a user-chosen statistic (--stats=ybar).
 * N = 40, posterior sd 1/sqrt(40.25); the same tolerances as above. */
START_TEST(summaries)
{
    const char *src = _i == 0
        ? "data int N = 40;\ndata vector[N] y;\nparam real mu;\nmu ~ normal(0, 2);\ny ~ normal(mu, 1);\n"
        : "data int N = 40;\ndata vector[N] y;\nlet ybar = mean(y);\nparam real mu;\nmu ~ normal(0, 2);\n"
          "y ~ normal(mu, 1);\n";
    char json[2048];
    size_t o = (size_t)snprintf(json, sizeof json, "{\"y\": [");
    double sum = 0;
    for (int i = 0; i < 40; i++) {
        double y = 1.3 + 0.9 * sin(1.7 * i);   /* a fixed, spread data set */
        sum += y;
        o += (size_t)snprintf(json + o, sizeof json - o, "%s%.6f", i ? ", " : "", y);
    }
    snprintf(json + o, sizeof json - o, "]}");
    BkOpt opts[] = {{"sims", "20000"}, {"epochs", "40"}, {"stats", "ybar"}, {NULL, NULL}};
    double mean, sd, em = sum / 40.25, es = 1 / sqrt(40.25);
    char err[1024] = "";
    ck_assert_msg(dsm_fit_once(src, json, opts, _i == 0 ? 2 : 3, 1000, test_seed(7), 1, &mean, &sd, err, sizeof err) == 0, "%s", err);
    fprintf(stderr, "summary %s: mean %.4f (exact %.4f, %+.3f sd), sd %.4f (exact %.4f, %+.1f%%)\n",
            _i == 0 ? "mean/sd" : "--stats=ybar", mean, em, (mean - em) / es, sd, es, 100 * (sd / es - 1));
    ck_assert_double_eq_tol(mean, em, 0.3 * es);
    ck_assert_double_eq_tol(sd / es, 1, 0.25);
}
END_TEST

/* Refusals reach the caller as a message naming the statement. */
START_TEST(refuse_target)
{
    const Backend *b = bk_find("dsm");
    ck_assert_ptr_nonnull(b);
    const char *src = "data real y = 1;\nparam real mu;\nmu ~ normal(0, 1);\ntarget += normal_lpdf(y | mu, 1);\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "conj.vmod", NULL, NULL, &msg);
    ck_assert_ptr_nonnull(m);
    BkTarget t = {.dim = vm_model_dim(m), .model = m};
    BkOpt none[] = {{NULL, NULL}};
    BkSettings s = {.draws = 10, .opts = none};
    char err[1024] = "";
    void *st = b->create(&s, &t, err, sizeof err);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err, "conj.vmod:4:1: error: forward simulation: `target +=`"), "%s", err);
    vm_model_free(m);
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
    TCase *tsum = tcase_create("summaries");
    tcase_set_timeout(tsum, 300);
    tcase_add_loop_test(tsum, summaries, 0, 2);
    suite_add_tcase(s, tsum);
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
