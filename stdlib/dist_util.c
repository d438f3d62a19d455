/* Helpers shared by the distribution kernels: the univariate discrete driver (pmf,
 * cdfs by tail sums, rng) and small dense linear algebra. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dist_util.h"
#include "mathfn_impl.h"

int du_fail(DistErr *e, int arg, long index, double value, const char *what)
{
    if (e) {
        e->arg = arg;
        e->index = index;
        e->value = value;
        e->what = what;
    }
    return -1;
}

double du_log1p_exp(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* ---- univariate discrete driver ---------------------------------------------- */

static void gather(const DuUni *u, const DArg *a, int i, double *v)
{
    for (int k = 0; k < u->nargs; k++) {
        long o = du_off(&a[k], i);
        v[k] = u->sig[k] == 'I' ? (double)a[k].iv[o] : a[k].x[o];
    }
}

static unsigned needed(const DuUni *u, double *const *d)
{
    unsigned need = 0;
    for (int k = 1; d && k < u->nargs; k++)
        if (d[k] && u->sig[k] != 'I') need |= 1u << k;
    return need;
}

/* A failing check names the argument; the driver adds the element index. */
static int check_params(const DuUni *u, const DArg *a, int i, const double *v, DistErr *e)
{
    if (u->check && u->check(v, e) < 0) {
        if (e) e->index = du_off(&a[e->arg], i);
        return -1;
    }
    return 0;
}

int du_uni_lpmf(const DuUni *u, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    double v[DIST_MAX_ARGS], g[DIST_MAX_ARGS] = { 0 }, lp = 0;
    unsigned need = needed(u, d);
    for (int i = 0; i < n; i++) {
        gather(u, a, i, v);
        if (check_params(u, a, i, v, e) < 0) return -1;
        if (u->ycheck && u->ycheck(v, e) < 0) {
            if (e) e->index = du_off(&a[0], i);
            return -1;
        }
        lp += u->lpmf(v, need, g);
        for (int k = 1; k < u->nargs; k++)
            if (need & (1u << k)) d[k][du_off(&a[k], i)] += g[k];
    }
    *out = lp;
    return 0;
}

int du_uni_lpmf1(const DuUni *u, const double *v, unsigned want, double *out, double *g, DistErr *e)
{
    if ((u->check && u->check(v, e) < 0) || (u->ycheck && u->ycheck(v, e) < 0)) {
        if (e) e->index = 0;
        return -1;
    }
    unsigned need = 0;                /* needed()'s: real parameters only */
    for (int k = 1; k < u->nargs; k++)
        if ((want >> k & 1) && u->sig[k] != 'I') need |= 1u << k;
    for (int k = 0; k < u->nargs; k++) g[k] = 0;   /* a kernel writes the bits of need only */
    double lp = 0;
    lp += u->lpmf(v, need, g);
    *out = lp;
    return 0;
}

#define DU_TAIL_MAX_TERMS 20000000L

/* log sum of pmf(y) for y = start, start + dir, ... inside [lo, hi], with the gradient
 * of that log in gl.  Terms are scaled by the largest so far (an online log-sum-exp);
 * for a unimodal pmf walked away from its mode the terms shrink, and the walk stops
 * once the geometric bound on the remainder is below 1e-17 of the sum. */
static double tail_sum(const DuUni *u, const double *v0, double start, int dir,
                       double lo, double hi, unsigned need, double *gl)
{
    double v[DIST_MAX_ARGS], g[DIST_MAX_ARGS] = { 0 }, G[DIST_MAX_ARGS] = { 0 };
    double m = -INFINITY, S = 0.0, prev = NAN, last = NAN;
    memcpy(v, v0, sizeof(double) * u->nargs);
    for (long it = 0; it < DU_TAIL_MAX_TERMS; it++) {
        double y = start + (double)dir * (double)it, lp;
        if (y < lo || y > hi) break;
        if (u->up && it % 32 != 0 && isfinite(last)) {
            /* the next term from the last by the pmf ratio: a few flops instead of
             * lgamma and digamma; re-anchored on the exact pmf every 32 terms */
            double gr[DIST_MAX_ARGS] = { 0 };
            v[0] = dir > 0 ? y - 1 : y;
            double r = u->up(v, need, gr);
            lp = last + dir * r;
            for (int k = 1; k < u->nargs; k++) g[k] += dir * gr[k];
            v[0] = y;
        } else {
            v[0] = y;
            lp = u->lpmf(v, need, g);
        }
        last = lp;
        if (lp == -INFINITY) {
            if (u->unimodal) break;
            continue;
        }
        if (lp > m) {
            double sc = exp(m - lp);
            S *= sc;
            for (int k = 1; k < u->nargs; k++) G[k] *= sc;
            m = lp;
        }
        double t = exp(lp - m);
        S += t;
        for (int k = 1; k < u->nargs; k++)
            if (need & (1u << k)) G[k] += t * g[k];
        if (u->unimodal && it > 0 && lp < prev) {
            double r = exp(lp - prev);
            if (t * r / (1.0 - r) < 1e-17 * S) break;
        }
        prev = lp;
    }
    for (int k = 1; k < u->nargs; k++) gl[k] = S > 0 ? G[k] / S : 0.0;
    return S > 0 ? m + log(S) : -INFINITY;
}

/* log cdf and log ccdf of one replicate: sum the tail on the far side of the mode
 * (few terms, full relative accuracy there) and take log1m_exp for the other. */
static void cdf_one(const DuUni *u, const double *v, unsigned need, double *lc, double *lcc,
                    double *glc, double *glcc)
{
    double lo, hi, mode, y = v[0];
    for (int k = 0; k < u->nargs; k++) glc[k] = glcc[k] = 0.0;
    u->support(v, &lo, &hi, &mode);
    if (y < lo) { *lc = -INFINITY; *lcc = 0.0; return; }
    if (y >= hi) { *lc = 0.0; *lcc = -INFINITY; return; }
    if (u->cdf1) { u->cdf1(v, need, lc, lcc, glc, glcc); return; }
    du_uni_cdf_sum(u, v, need, lc, lcc, glc, glcc);
}

void du_uni_cdf_sum(const DuUni *u, const double *v, unsigned need, double *lc, double *lcc,
                    double *glc, double *glcc)
{
    double lo, hi, mode, y = v[0];
    u->support(v, &lo, &hi, &mode);
    if (y < mode) {
        *lc = tail_sum(u, v, y, -1, lo, hi, need, glc);
        *lcc = *lc > -M_LN2 ? log(-expm1(*lc)) : log1p(-exp(*lc));
        double w = -exp(*lc - *lcc);          /* d log(1-F) = -F/(1-F) d log F */
        for (int k = 1; k < u->nargs; k++) glcc[k] = w * glc[k];
    } else {
        *lcc = tail_sum(u, v, y + 1, +1, lo, hi, need, glcc);
        *lc = *lcc > -M_LN2 ? log(-expm1(*lcc)) : log1p(-exp(*lcc));
        double w = -exp(*lcc - *lc);
        for (int k = 1; k < u->nargs; k++) glc[k] = w * glcc[k];
    }
}

int du_uni_cdf(const DuUni *u, int kind, int n, const DArg *a, double *out,
               double *const *d, DistErr *e)
{
    double v[DIST_MAX_ARGS], glc[DIST_MAX_ARGS], glcc[DIST_MAX_ARGS], lc, lcc, sum = 0;
    unsigned need = needed(u, d);
    for (int i = 0; i < n; i++) {
        gather(u, a, i, v);
        if (check_params(u, a, i, v, e) < 0) return -1;
        cdf_one(u, v, kind == 0 ? 0 : need, &lc, &lcc, glc, glcc);
        sum += kind == 2 ? lcc : lc;
        if (kind == 0) continue;
        for (int k = 1; k < u->nargs; k++)
            if (need & (1u << k)) d[k][du_off(&a[k], i)] += kind == 2 ? glcc[k] : glc[k];
    }
    if (kind != 0) {
        *out = sum;
        return 0;
    }
    /* The cdf is the product P of the replicates' cdfs: dP = P * sum d log F_i, so a
     * second pass once P is known. */
    double P = exp(sum);
    *out = P;
    if (!need || P == 0.0) return 0;
    for (int i = 0; i < n; i++) {
        gather(u, a, i, v);
        cdf_one(u, v, need, &lc, &lcc, glc, glcc);
        for (int k = 1; k < u->nargs; k++)
            if (need & (1u << k)) d[k][du_off(&a[k], i)] += P * glc[k];
    }
    return 0;
}

int du_uni_rng(const DuUni *u, gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    double v[DIST_MAX_ARGS];
    v[0] = 0.0;
    for (int k = 1; k < u->nargs; k++) {
        long o = du_off(&a[k - 1], i);
        v[k] = u->sig[k] == 'I' ? (double)a[k - 1].iv[o] : a[k - 1].x[o];
    }
    if (u->check && u->check(v, e) < 0) {
        /* The rng's arguments are the parameters: argument k of the density is
         * a[k - 1] here, but messages keep the density's numbering. */
        if (e) e->index = du_off(&a[e->arg - 1], i);
        return -1;
    }
    return u->rng(r, v, out, e);
}

/* ---- vectors ------------------------------------------------------------------ */

int du_check_simplex(const double *x, int k, int arg, long off, DistErr *e)
{
    double s = 0;
    for (int j = 0; j < k; j++) {
        if (!(x[j] >= 0.0)) return du_fail(e, arg, off + j, x[j], "must be a simplex (entries >= 0)");
        s += x[j];
    }
    if (!(fabs(s - 1.0) <= 1e-8))
        return du_fail(e, arg, off, s, "must be a simplex (sum to 1)");
    return 0;
}

int du_check_finite(const double *x, long k, int arg, long off, DistErr *e)
{
    for (long j = 0; j < k; j++)
        if (!isfinite(x[j])) return du_fail(e, arg, off + j, x[j], "must be finite");
    return 0;
}

/* ---- linear algebra ------------------------------------------------------------ */

void du_work_init(DuWork *w, size_t n)
{
    w->used = 0;
    w->cap = n;
    w->p = n <= sizeof w->buf / sizeof w->buf[0] ? w->buf : malloc(n * sizeof(double));
}

double *du_work_take(DuWork *w, size_t n)
{
    double *q = w->p + w->used;
    w->used += n;
    return q;
}

void du_work_free(DuWork *w)
{
    if (w->p && w->p != w->buf) free(w->p);
    w->p = NULL;
}

int du_chol(const double *A, int K, double *L, int *col)
{
    for (int j = 0; j < K; j++) {
        double s = A[j + (long)K * j];
        for (int k = 0; k < j; k++) s -= L[j + (long)K * k] * L[j + (long)K * k];
        if (!(s > 0.0) || !isfinite(s)) {
            if (col) *col = j;
            return -1;
        }
        double ljj = sqrt(s);
        L[j + (long)K * j] = ljj;
        for (int i = 0; i < j; i++) L[i + (long)K * j] = 0.0;
        for (int i = j + 1; i < K; i++) {
            double t = A[i + (long)K * j];
            for (int k = 0; k < j; k++) t -= L[i + (long)K * k] * L[j + (long)K * k];
            L[i + (long)K * j] = t / ljj;
        }
    }
    return 0;
}

void du_trsv_lower(const double *L, int K, double *x)
{
    for (int i = 0; i < K; i++) {
        double t = x[i];
        for (int k = 0; k < i; k++) t -= L[i + (long)K * k] * x[k];
        x[i] = t / L[i + (long)K * i];
    }
}

void du_trsv_upper_t(const double *L, int K, double *x)
{
    for (int i = K - 1; i >= 0; i--) {
        double t = x[i];
        for (int k = i + 1; k < K; k++) t -= L[k + (long)K * i] * x[k];
        x[i] = t / L[i + (long)K * i];
    }
}

void du_chol_inverse(const double *L, int K, double *Ainv, double *tmp)
{
    /* tmp = L^{-1} column by column, then Ainv = L^{-T} L^{-1}. */
    for (int j = 0; j < K; j++) {
        double *c = tmp + (long)K * j;
        for (int i = 0; i < K; i++) c[i] = i == j ? 1.0 : 0.0;
        du_trsv_lower(L, K, c);
    }
    for (int j = 0; j < K; j++)
        for (int i = j; i < K; i++) {
            double s = 0;
            for (int k = i; k < K; k++) s += tmp[k + (long)K * i] * tmp[k + (long)K * j];
            Ainv[i + (long)K * j] = Ainv[j + (long)K * i] = s;
        }
}

double du_chol_logdet(const double *L, int K)
{
    double s = 0;
    for (int j = 0; j < K; j++) s += log(L[j + (long)K * j]);
    return 2.0 * s;
}

int du_check_symmetric(const double *A, int K, int arg, long off, DistErr *e)
{
    for (int j = 0; j < K; j++)
        for (int i = 0; i < K; i++) {
            double x = A[i + (long)K * j];
            if (!isfinite(x)) return du_fail(e, arg, off + i + (long)K * j, x, "must be finite");
            if (i > j && !(fabs(x - A[j + (long)K * i]) <= 1e-8))
                return du_fail(e, arg, off + i + (long)K * j, x, "must be symmetric");
        }
    return 0;
}

double du_lmgamma(int K, double x)
{
    double s = 0.25 * K * (K - 1) * log(M_PI);
    for (int j = 1; j <= K; j++) s += mf_lgamma_raw(x + 0.5 * (1 - j));
    return s;
}
