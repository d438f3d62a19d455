/* Targets written in C for the VI tests, and a small driver loop (create, init, step
 * until done, draw) standing in for driver/run.c.  Header-only: each test includes it. */
#ifndef VM_TEST_VI_TARGETS_H
#define VM_TEST_VI_TARGETS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "backends/vi_backends.h"
#include "tests/test_seed.h"

#define VT_MAXD 16

typedef int (*BkLogp)(void *ctx, const double *u, double *lp, double *grad);

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* ---- Gaussian N(m, L L^T), normalised, plus an optional constant offset ---------- */
typedef struct VtGauss {
    size_t d;
    double m[VT_MAXD];
    double L[VT_MAXD * VT_MAXD];      /* lower Cholesky factor, row-major */
    double offset;
} VtGauss;

static int vt_gauss_logp(void *ctx, const double *u, double *lp, double *grad)
{
    VtGauss *g = ctx;
    size_t d = g->d;
    double y[VT_MAXD], a[VT_MAXD];
    double q = 0, ld = 0;
    for (size_t i = 0; i < d; i++) {     /* y = L^-1 (u - m) */
        double s = u[i] - g->m[i];
        for (size_t j = 0; j < i; j++) s -= g->L[i * d + j] * y[j];
        y[i] = s / g->L[i * d + i];
        q += y[i] * y[i];
        ld += log(g->L[i * d + i]);
    }
    *lp = -0.5 * q - ld - 0.5 * (double)d * log(2 * M_PI) + g->offset;
    if (grad) {
        for (size_t ii = d; ii-- > 0;) { /* a = L^-T y, grad = -a */
            double s = y[ii];
            for (size_t k = ii + 1; k < d; k++) s -= g->L[k * d + ii] * a[k];
            a[ii] = s / g->L[ii * d + ii];
        }
        for (size_t i = 0; i < d; i++) grad[i] = -a[i];
    }
    return 0;
}

static BkTarget vt_gauss_target(VtGauss *g)
{
    BkTarget t = {.dim = g->d, .ndisc = 0, .logp = vt_gauss_logp, .ctx = g};
    return t;
}

/* Covariance entry (i, j) of a VtGauss */
static double vt_gauss_cov(const VtGauss *g, size_t i, size_t j)
{
    double s = 0;
    for (size_t k = 0; k < g->d; k++) s += g->L[i * g->d + k] * g->L[j * g->d + k];
    return s;
}

/* ---- a mixture with a discrete indicator -------------------------------------------
 * theta ~ N(1, 0.5); z in {1, 2, 3} with prior w; one observation y ~ N(mu_z, 1).
 * u = (theta, z).  The posterior factorises, so a mean-field q can be exact:
 * q(z = k) = w_k N(y; mu_k, 1) / sum. */
typedef struct VtMix { double w[3], mu[3], y; double lo, hi; } VtMix;

static int vt_mix_logp(void *ctx, const double *u, double *lp, double *grad)
{
    VtMix *m = ctx;
    double th = u[0];
    int k = (int)u[1] - 1;
    if (k < 0 || k > 2) { *lp = -INFINITY; return 0; }
    double r = (th - 1) / 0.5;
    *lp = -0.5 * r * r - log(0.5) - 0.5 * log(2 * M_PI) + log(m->w[k])
          - 0.5 * (m->y - m->mu[k]) * (m->y - m->mu[k]) - 0.5 * log(2 * M_PI);
    if (grad) grad[0] = -r / 0.5;
    return 0;
}

static void vt_mix_post(const VtMix *m, double *p)
{
    double s = 0;
    for (int k = 0; k < 3; k++) s += p[k] = m->w[k] * exp(-0.5 * (m->y - m->mu[k]) * (m->y - m->mu[k]));
    for (int k = 0; k < 3; k++) p[k] /= s;
}

static BkTarget vt_mix_target(VtMix *m)
{
    m->lo = 1;
    m->hi = 3;
    BkTarget t = {.dim = 1, .ndisc = 1, .disc_lo = &m->lo, .disc_hi = &m->hi,
                  .logp = vt_mix_logp, .ctx = m};
    return t;
}

/* ---- Neal's funnel: v ~ N(0, 3), x ~ N(0, exp(v/2)); u = (v, x) ------------------- */
static int vt_funnel_logp(void *ctx, const double *u, double *lp, double *grad)
{
    double v = u[0], x = u[1];
    *lp = -v * v / 18 - log(3.0) - 0.5 * x * x * exp(-v) - 0.5 * v - log(2 * M_PI);
    if (grad) {
        grad[0] = -v / 9 - 0.5 + 0.5 * x * x * exp(-v);
        grad[1] = -x * exp(-v);
    }
    return 0;
}

/* ---- banana: x1 ~ N(0, 1), x2 ~ N(x1^2, 0.5) -------------------------------------- */
static int vt_banana_logp(void *ctx, const double *u, double *lp, double *grad)
{
    double a = u[0], r = (u[1] - a * a) / 0.5;
    *lp = -0.5 * a * a - 0.5 * r * r - log(0.5) - log(2 * M_PI);
    if (grad) {
        grad[0] = -a + r / 0.5 * 2 * a;
        grad[1] = -r / 0.5;
    }
    return 0;
}

/* ---- the driver loop ----------------------------------------------------------------- */
typedef struct VtRun {
    int rc;                    /* last step's result */
    void *st;                  /* kept when the caller asks (free with b->free) */
    ViStats stats;
    double mean[VT_MAXD + 1], sd[VT_MAXD + 1], corr01;
    double pk[3];              /* mixture: frequencies of z = 1, 2, 3 */
    char err[256];
    char report[2048];
} VtRun;

static void vt_run(const Backend *b, const BkTarget *t, const BkOpt *opts, size_t nopts, long iters,
                   long mc, double lr, unsigned long seed, long ndraws, const double *u0,
                   int keep, VtRun *o)
{
    memset(o, 0, sizeof *o);
    seed = test_seed(seed);
    BkSettings s = {.iters = iters, .mc = mc, .lr = lr, .seed = seed, .opts = opts, .nopts = nopts};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    void *st = b->create(&s, t, o->err, sizeof o->err);
    if (!st) { o->rc = BK_FAIL; gsl_rng_free(r); return; }
    double u[VT_MAXD + 2], lp, cols[BK_MAX_COLUMNS];
    b->init(st, t, r, u0, o->err, sizeof o->err);
    for (long it = 0; it < iters; it++) {
        o->rc = b->step(st, t, r, it, 0, o->err, sizeof o->err);
        if (o->rc != BK_OK) break;
    }
    size_t D = t->dim + t->ndisc;
    double s1[VT_MAXD + 1] = {0}, s2[VT_MAXD + 1] = {0}, s01 = 0;
    for (long n = 0; n < ndraws; n++) {
        b->draw(st, r, u, &lp, cols);
        for (size_t i = 0; i < D; i++) { s1[i] += u[i]; s2[i] += u[i] * u[i]; }
        if (D > 1) s01 += u[0] * u[1];
        if (t->ndisc) {
            int k = (int)u[t->dim] - 1;
            if (k >= 0 && k < 3) o->pk[k] += 1.0 / (double)ndraws;
        }
    }
    for (size_t i = 0; i < D; i++) {
        o->mean[i] = s1[i] / (double)ndraws;
        o->sd[i] = sqrt(s2[i] / (double)ndraws - o->mean[i] * o->mean[i]);
    }
    if (D > 1)
        o->corr01 = (s01 / (double)ndraws - o->mean[0] * o->mean[1]) / (o->sd[0] * o->sd[1]);
    ViCore *c = b == &backend_bbvi ? bbvi_core(st) : flow_core(st);
    o->stats = *vi_core_stats(c);
    FILE *f = fmemopen(o->report, sizeof o->report - 1, "w");
    if (f) { b->report(st, f, "# "); fclose(f); }
    if (keep) o->st = st;
    else b->free(st);
    gsl_rng_free(r);
}

#endif
