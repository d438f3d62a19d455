#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "sampler_util.h"
#include "tests/test_seed.h"

int su_gauss_logp(void *ctx, const double *u, double *lp, double *grad)
{
    const SuGauss *g = ctx;
    size_t d = g->d;
    double r[16], s = 0;
    for (size_t i = 0; i < d; i++)
        r[i] = u[i] - g->mean[i];
    for (size_t i = 0; i < d; i++) {
        double a = 0;
        for (size_t j = 0; j < d; j++)
            a += g->prec[i * d + j] * r[j];
        s += r[i] * a;
        if (grad)
            grad[i] = -a;
    }
    *lp = -0.5 * s;
    return 0;
}

void su_gauss_diag(SuGauss *g, size_t d, const double *sd)
{
    memset(g, 0, sizeof *g);
    g->d = d;
    for (size_t i = 0; i < d; i++)
        g->prec[i * d + i] = 1.0 / (sd ? sd[i] * sd[i] : 1.0);
}

void su_gauss_corr2(SuGauss *g, double rho)
{
    memset(g, 0, sizeof *g);
    g->d = 2;
    double det = 1 - rho * rho;
    g->prec[0] = g->prec[3] = 1 / det;
    g->prec[1] = g->prec[2] = -rho / det;
}

BkTarget su_gauss_target(SuGauss *g)
{
    BkTarget t = {.dim = g->d, .logp = su_gauss_logp, .ctx = g};
    return t;
}

int su_beta_logit_logp(void *ctx, const double *u, double *lp, double *grad)
{
    const SuBeta *b = ctx;
    double log_th = -log1p(exp(-u[0])), log_1m = -log1p(exp(u[0]));
    *lp = b->a * log_th + b->b * log_1m;   /* (a-1) log th + (b-1) log(1-th) + log Jacobian */
    if (grad)
        grad[0] = b->a - (b->a + b->b) * exp(log_th);
    return 0;
}

int su_col(const Backend *b, const char *name)
{
    for (int i = 0; b->columns[i]; i++)
        if (!strcmp(b->columns[i], name))
            return i;
    return -1;
}

int su_run(const Backend *b, const BkTarget *t, const BkOpt *opts, long warmup, long draws,
           unsigned long seed, const double *u0, SuChain *c, char *err, size_t errlen)
{
    size_t nopts = 0;
    while (opts && opts[nopts].key)
        nopts++;
    memset(c, 0, sizeof *c);
    if (bk_check_options(b, opts, nopts, err, errlen) != 0)
        return -1;
    seed = test_seed(seed);
    BkSettings s = {.warmup = warmup, .draws = draws, .seed = seed, .opts = opts, .nopts = nopts};
    size_t ncols = 0;
    while (b->columns[ncols])
        ncols++;
    c->nu = t->dim + t->ndisc;
    c->ncols = ncols;
    c->u = calloc((size_t)draws * c->nu + 1, sizeof *c->u);
    c->lp = calloc((size_t)draws + 1, sizeof *c->lp);
    c->cols = calloc((size_t)draws * ncols + 1, sizeof *c->cols);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    void *st = b->create(&s, t, err, errlen);
    int rc = -1;
    if (!st)
        goto out;
    if (b->init(st, t, r, u0, err, errlen) != 0)
        goto out;
    for (long i = 0; i < warmup + draws; i++) {
        int w = i < warmup;
        if (b->step(st, t, r, i, w, err, errlen) != BK_OK)
            goto out;
        if (w) {
            double cols[BK_MAX_COLUMNS], u[64], lp;
            if (c->nu <= 64) {
                b->draw(st, r, u, &lp, cols);
                for (size_t j = 0; j < ncols; j++)
                    c->warm_mean[j] += cols[j] / (double)warmup;
            }
        } else {
            long k = i - warmup;
            b->draw(st, r, c->u + k * c->nu, &c->lp[k], c->cols + k * ncols);
            c->n = k + 1;
        }
    }
    if (b->report) {
        FILE *f = fmemopen(c->report, sizeof c->report - 1, "w");
        if (f) {
            b->report(st, f, "# ");
            fclose(f);
        }
    }
    rc = 0;
out:
    if (st)
        b->free(st);
    gsl_rng_free(r);
    return rc;
}

void su_chain_free(SuChain *c)
{
    free(c->u);
    free(c->lp);
    free(c->cols);
    memset(c, 0, sizeof *c);
}

double su_mean(const double *x, long n, size_t stride, size_t off)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i * stride + off];
    return s / (double)n;
}

double su_var(const double *x, long n, size_t stride, size_t off)
{
    double m = su_mean(x, n, stride, off), s = 0;
    for (long i = 0; i < n; i++) {
        double e = x[i * stride + off] - m;
        s += e * e;
    }
    return s / (double)(n - 1);
}

static double autocov(const double *x, long n, size_t stride, size_t off, double m, long lag)
{
    double s = 0;
    for (long i = 0; i + lag < n; i++)
        s += (x[i * stride + off] - m) * (x[(i + lag) * stride + off] - m);
    return s / (double)n;
}

double su_ess(const double *x, long n, size_t stride, size_t off)
{
    double m = su_mean(x, n, stride, off), g0 = autocov(x, n, stride, off, m, 0);
    if (!(g0 > 0))
        return 1;
    double tau = -1;
    for (long k = 0; 2 * k + 1 < n; k++) {
        double pair = (autocov(x, n, stride, off, m, 2 * k) +
                       autocov(x, n, stride, off, m, 2 * k + 1)) / g0;
        if (pair <= 0)
            break;
        tau += 2 * pair;
    }
    if (tau < 1.0 / log10((double)n))   /* Stan's cap on antithetic chains */
        tau = 1.0 / log10((double)n);
    return (double)n / tau;
}

double su_z_mean(const double *x, long n, size_t stride, size_t off, double mu)
{
    double mcse = sqrt(su_var(x, n, stride, off) / su_ess(x, n, stride, off));
    return fabs(su_mean(x, n, stride, off) - mu) / mcse;
}

double su_z_var(const double *x, long n, size_t stride, size_t off, double mu, double var)
{
    double *f = malloc((size_t)n * sizeof *f);
    for (long i = 0; i < n; i++) {
        double e = x[i * stride + off] - mu;
        f[i] = e * e;
    }
    double z = su_z_mean(f, n, 1, 0, var);
    free(f);
    return z;
}
