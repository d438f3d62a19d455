/* Conjugate models for the DSM backend (dsm_conj.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>
#include "backends/backend.h"
#include "runtime/vmod.h"
#include "bench/dsm_conj.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

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

int dsm_conj_run(int k, long sims, long epochs, long draws, unsigned long seed, DsmConjFit *fit, char *err, size_t errlen)
{
    const Conj *c = &conj[k];
    const Backend *b = bk_find("dsm");
    memset(fit, 0, sizeof *fit);
    fit->model = c->name;
    fit->sims = sims;
    fit->epochs = epochs;
    fit->np = c->np;
    char path[] = "/tmp/vmod_dsm_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { snprintf(err, errlen, "cannot make a temporary file"); return -1; }
    close(fd);
    char sims_s[32], ep_s[32];
    snprintf(sims_s, sizeof sims_s, "%ld", sims);
    snprintf(ep_s, sizeof ep_s, "%ld", epochs);
    BkOpt train[] = {{"sims", sims_s}, {"epochs", ep_s}, {"save-net", path}, {NULL, NULL}};
    BkSettings s = {.draws = draws, .seed = seed, .opts = train, .nopts = 3};
    if (bk_check_options(b, train, 3, err, errlen)) return -1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    Tgt g;
    int rc = -1;
    void *st = NULL;
    char *js = json_of(c, 0);
    if (tgt_open(&g, c->src, js)) { free(js); snprintf(err, errlen, "model does not load"); goto out; }
    free(js);
    double t0 = now();
    st = b->create(&s, &g.t, err, errlen);
    if (!st || b->init(st, &g.t, r, NULL, err, errlen)) { tgt_close(&g); goto out; }
    double t1 = now();
    long it = 0;
    int sr;
    while ((sr = b->step(st, &g.t, r, it++, 0, err, errlen)) == BK_OK) {}
    fit->t_sim = t1 - t0;
    fit->t_train = now() - t1;
    b->free(st);
    tgt_close(&g);
    if (sr != BK_DONE) goto out;
    BkOpt load[] = {{"load-net", path}, {NULL, NULL}};
    double *u = calloc(3, sizeof(double)), *x = calloc(3, sizeof(double));
    for (int d = 0; d < DSM_CONJ_DATASETS; d++) {
        BkSettings s2 = {.draws = draws, .seed = seed + 1, .opts = load, .nopts = 1};
        js = json_of(c, d);
        int bad = tgt_open(&g, c->src, js);
        free(js);
        if (bad) { snprintf(err, errlen, "model does not load"); free(u); free(x); goto out; }
        st = b->create(&s2, &g.t, err, errlen);
        if (!st || b->init(st, &g.t, r, NULL, err, errlen) || b->step(st, &g.t, r, 0, 0, err, errlen) != BK_DONE) {
            if (st) b->free(st);
            tgt_close(&g);
            free(u); free(x);
            goto out;
        }
        double sum[2] = {0, 0}, sum2[2] = {0, 0}, lp, t2 = now();
        for (long i = 0; i < draws; i++) {
            b->draw(st, r, u, &lp, NULL);
            vm_constrain(g.e, u, x);
            for (int j = 0; j < c->np; j++) { sum[j] += x[j]; sum2[j] += x[j] * x[j]; }
        }
        fit->t_sample += (now() - t2) / DSM_CONJ_DATASETS;
        c->exact(c->data[d], fit->exact_mean[d], fit->exact_sd[d]);
        for (int j = 0; j < c->np; j++) {
            double mean = sum[j] / draws;
            fit->mean[d][j] = mean;
            fit->sd[d][j] = sqrt((sum2[j] - draws * mean * mean) / (draws - 1));
        }
        b->free(st);
        tgt_close(&g);
    }
    free(u);
    free(x);
    rc = 0;
out:
    gsl_rng_free(r);
    unlink(path);
    return rc;
}

void dsm_conj_print(const DsmConjFit *f, FILE *out)
{
    for (int d = 0; d < DSM_CONJ_DATASETS; d++)
        for (int j = 0; j < f->np; j++)
            fprintf(out, "%s, data set %d, parameter %d: mean %.4f (exact %.4f, %+.3f sd), sd %.4f (exact %.4f, %+.1f%%)\n",
                    f->model, d + 1, j + 1, f->mean[d][j], f->exact_mean[d][j],
                    (f->mean[d][j] - f->exact_mean[d][j]) / f->exact_sd[d][j], f->sd[d][j], f->exact_sd[d][j],
                    100 * (f->sd[d][j] / f->exact_sd[d][j] - 1));
}

int dsm_fit_once(const char *src, const char *json, const BkOpt *opts, size_t nopts, long draws, unsigned long seed,
                 int np, double *mean, double *sd, char *err, size_t errlen)
{
    const Backend *b = bk_find("dsm");
    if (bk_check_options(b, opts, nopts, err, errlen)) return -1;
    BkSettings s = {.draws = draws, .seed = seed, .opts = opts, .nopts = nopts};
    Tgt g;
    if (tgt_open(&g, src, json)) { snprintf(err, errlen, "model does not load"); return -1; }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    int rc = -1;
    void *st = b->create(&s, &g.t, err, errlen);
    if (st && !b->init(st, &g.t, r, NULL, err, errlen)) {
        long it = 0;
        int sr;
        while ((sr = b->step(st, &g.t, r, it++, 0, err, errlen)) == BK_OK) {}
        if (sr == BK_DONE) {
            double *u = calloc(g.t.dim + 1, sizeof(double)), *x = calloc(vm_model_nparam_values(g.m) + 1, sizeof(double));
            double s1[8] = {0}, s2[8] = {0}, lp;
            for (long i = 0; i < draws; i++) {
                b->draw(st, r, u, &lp, NULL);
                vm_constrain(g.e, u, x);
                for (int j = 0; j < np && j < 8; j++) { s1[j] += x[j]; s2[j] += x[j] * x[j]; }
            }
            for (int j = 0; j < np && j < 8; j++) {
                mean[j] = s1[j] / draws;
                sd[j] = sqrt((s2[j] - draws * mean[j] * mean[j]) / (draws - 1));
            }
            free(u);
            free(x);
            rc = 0;
        }
    }
    if (st) b->free(st);
    tgt_close(&g);
    gsl_rng_free(r);
    return rc;
}
