/* Driver of the continuous univariate distributions: checks, the replicate loop,
 * the parameter cache and the accumulation of partials (see dist_uv.h). */
#include "stdlib/dist_uv.h"

#include <math.h>
#include <string.h>

static const char *duv_bad(int chk, double v)
{
    switch (chk) {
    case DUV_NOTNAN: return isnan(v) ? "must not be NaN" : NULL;
    case DUV_FINITE: return isfinite(v) ? NULL : "must be finite";
    case DUV_POSFIN:
        if (!isfinite(v)) return "must be finite";
        return v > 0 ? NULL : "must be positive";
    case DUV_NONNEGFIN:
        if (!isfinite(v)) return "must be finite";
        return v >= 0 ? NULL : "must be non-negative";
    case DUV_UNIT_OPEN: return v > 0 && v < 1 ? NULL : "must be in (0, 1)";
    }
    return NULL;
}

static int duv_fail(DistErr *e, int arg, long index, double value, const char *what)
{
    if (e) {
        e->arg = arg;
        e->index = index;
        e->value = value;
        e->what = what;
    }
    return -1;
}

/* Checks every element once (a broadcast argument once), then the cross-argument
 * rule per replicate.  first = 0 for densities, 1 for rng (no variate). */
static int duv_check(const DuvSpec *s, int n, const DArg *a, int first, DistErr *e)
{
    int anyvec = 0;
    for (int k = first; k < s->nargs; k++) {
        const DArg *ak = &a[k - first];
        int cnt = ak->stride ? n : 1;
        anyvec |= ak->stride;
        for (int i = 0; i < cnt; i++) {
            double v = ak->x[i];
            const char *w = duv_bad(s->chk[k], v);
            if (w) return duv_fail(e, k, i, v, w);
        }
    }
    if (!s->check) return 0;
    int reps = anyvec ? n : (n > 0);
    for (int i = 0; i < reps; i++) {
        double x[DIST_MAX_ARGS] = {0};
        for (int k = first; k < s->nargs; k++)
            x[k] = a[k - first].x[(long)i * a[k - first].stride];
        const char *w = NULL;
        int k = s->check(x, &w);
        if (k) return duv_fail(e, k, (long)i * a[k - first].stride, x[k], w);
    }
    return 0;
}

static unsigned duv_need(const DuvSpec *s, double *const *d)
{
    unsigned need = 0;
    if (d)
        for (int k = 0; k < s->nargs; k++)
            if (d[k]) need |= 1u << k;
    return need;
}

/* Sum of fn over the replicates; partials times scale added into d when need != 0.
 * Broadcast arguments accumulate locally and are written once.  The cache is
 * refreshed only when a parameter changes.  Stops at the first -inf term (the
 * partials are then meaningless). */
static double duv_sum(const DuvSpec *s, DuvFn fn, int n, const DArg *a, double *const *d,
                      unsigned need, double scale)
{
    double x[DIST_MAX_ARGS], prev[DIST_MAX_ARGS], c[DUV_NCACHE] = {0};
    double g[DIST_MAX_ARGS], acc[DIST_MAX_ARGS] = {0}, sum = 0;
    int np = s->nargs, pvec = 0;
    if (n <= 0) return 0;
    for (int k = 0; k < np; k++) {
        x[k] = prev[k] = a[k].x[0];
        if (k > 0) pvec |= a[k].stride;
    }
    if (s->pre) s->pre(x, need, c);
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            x[0] = a[0].x[(long)i * a[0].stride];
            if (pvec) {
                int changed = 0;
                for (int k = 1; k < np; k++) {
                    x[k] = a[k].x[(long)i * a[k].stride];
                    changed |= x[k] != prev[k];
                }
                if (changed && s->pre) {
                    s->pre(x, need, c);
                    memcpy(prev, x, sizeof x);
                }
            }
        }
        for (int k = 0; k < np; k++) g[k] = 0;
        double v = fn(x, c, need, g);
        if (v == -INFINITY) return -INFINITY;
        sum += v;
        if (!need || !isfinite(v)) continue;
        for (int k = 0; k < np; k++) {
            if (!(need & (1u << k))) continue;
            if (a[k].stride) d[k][i] += scale * g[k];
            else acc[k] += g[k];
        }
    }
    for (int k = 0; k < np; k++)
        if ((need & (1u << k)) && !a[k].stride) d[k][0] += scale * acc[k];
    return sum;
}

static int duv_run(const DuvSpec *s, DuvFn fn, int n, const DArg *a, double *out,
                   double *const *d, DistErr *e)
{
    if (duv_check(s, n, a, 0, e)) return -1;
    *out = duv_sum(s, fn, n, a, d, duv_need(s, d), 1.0);
    return 0;
}

int duv_lpdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return duv_run(s, s->lpdf, n, a, out, d, e);
}

/* duv_check, duv_sum and their order for n = 1 (the same bits) */
int duv_lpdf1(const DuvSpec *s, const double *x, unsigned want, double *out, double *g, DistErr *e)
{
    int np = s->nargs;
    for (int k = 0; k < np; k++) {
        const char *w = duv_bad(s->chk[k], x[k]);
        if (w) return duv_fail(e, k, 0, x[k], w);
    }
    if (s->check) {
        const char *w = NULL;
        int k = s->check(x, &w);
        if (k) return duv_fail(e, k, 0, x[k], w);
    }
    unsigned need = want & ((1u << np) - 1);
    double c[DUV_NCACHE] = {0}, sum = 0;
    if (s->pre) s->pre(x, need, c);
    for (int k = 0; k < np; k++) g[k] = 0;
    double v = s->lpdf(x, c, need, g);
    *out = sum + v;
    /* duv_sum adds no partial of a term that is not finite, and none not asked for */
    for (int k = 0; k < np; k++) if (!isfinite(v) || !(need & (1u << k))) g[k] = 0;
    return 0;
}

int duv_lcdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return duv_run(s, s->lcdf, n, a, out, d, e);
}

int duv_lccdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return duv_run(s, s->lccdf, n, a, out, d, e);
}

/* cdf = prod F_i = exp(sum log F_i); d cdf = cdf * d sum log F_i.  Two passes: the
 * scale of the partials is only known once the sum is. */
int duv_cdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    if (duv_check(s, n, a, 0, e)) return -1;
    unsigned need = duv_need(s, d);
    double l = duv_sum(s, s->lcdf, n, a, NULL, 0, 0);
    *out = exp(l);
    if (need && *out > 0) duv_sum(s, s->lcdf, n, a, d, need, *out);
    return 0;
}

int duv_rng(const DuvSpec *s, gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    double x[DIST_MAX_ARGS] = {0};
    DArg one[DIST_MAX_ARGS];
    for (int k = 1; k < s->nargs; k++) {
        one[k - 1] = a[k - 1];
        one[k - 1].x = a[k - 1].x + (long)i * a[k - 1].stride;
        one[k - 1].stride = 0;
        x[k] = one[k - 1].x[0];
    }
    if (duv_check(s, 1, one, 1, e)) {
        if (e) e->index = (long)i * a[e->arg - 1].stride;
        return -1;
    }
    *out = s->rng(r, x);
    return 0;
}
