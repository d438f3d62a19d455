/* beta(alpha, beta), beta_proportion(mu, kappa) = beta(mu kappa, (1 - mu) kappa),
 * uniform(alpha, beta). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* ---- shared: (a - 1) log y + (b - 1) log1p(-y) - lbeta(a, b) ---- */

/* Density at y with partials dy, da, db (dg: psi(a+b), psi(a), psi(b)). */
static double beta_ab_lp(double y, double a, double b, double lb, const double *dg, double *g3)
{
    if (y < 0 || y > 1) return -INFINITY;
    if (y == 0 || y == 1) {    /* the density is 0, finite or unbounded there */
        double k = y == 0 ? a : b;
        return (k == 1 ? 0 : (k > 1 ? -INFINITY : INFINITY)) - lb;
    }
    double ly = log(y), l1y = log1p(-y);
    g3[0] = (a - 1) / y - (b - 1) / (1 - y);
    g3[1] = ly - dg[1] + dg[0];
    g3[2] = l1y - dg[2] + dg[0];
    return (a - 1) * ly + (b - 1) * l1y - lb;
}

typedef struct { double a, b, y; int wrt_b, upper; } BincCtx;

static double binc_fix(double s, const void *p)
{
    const BincCtx *q = p;
    double li, lic;
    dsf_lbeta_inc(q->wrt_b ? q->a : s, q->wrt_b ? s : q->b, q->y, 1 - q->y, &li, &lic);
    return q->upper ? lic : li;
}

/* log I_y(a, b) (or its complement) with partials dy (density / I) and da, db by a
 * numerical derivative: the closed forms are 3F2 series (Stan's inc_beta_dda). */
static double beta_ab_tail(double y, double a, double b, double lb, int need_ab, double *g3,
                           int upper)
{
    if (y <= 0) return upper ? 0 : -INFINITY;
    if (y >= 1) return upper ? -INFINITY : 0;
    BincCtx q = {a, b, y, 0, upper};
    double v = binc_fix(a, &q);
    if (v == -INFINITY) return v;
    double lp = (a - 1) * log(y) + (b - 1) * log1p(-y) - lb;
    g3[0] = (upper ? -1 : 1) * exp(lp - v);
    if (need_ab & 1) g3[1] = dsf_dnum(binc_fix, &q, a);
    q.wrt_b = 1;
    if (need_ab & 2) g3[2] = dsf_dnum(binc_fix, &q, b);
    return v;
}

/* ---- beta ---- */

static void beta_pre(const double *x, unsigned need, double *c)
{
    c[0] = gsl_sf_lnbeta(x[1], x[2]);
    if (need & 6) c[1] = gsl_sf_psi(x[1] + x[2]);   /* the shapes' partials only */
    if (need & 2) c[2] = gsl_sf_psi(x[1]);
    if (need & 4) c[3] = gsl_sf_psi(x[2]);
}

static double beta_lp(const double *x, const double *c, unsigned need, double *g)
{
    return beta_ab_lp(x[0], x[1], x[2], c[0], c + 1, g);
}

static double beta_lc(const double *x, const double *c, unsigned need, double *g)
{
    return beta_ab_tail(x[0], x[1], x[2], c[0], need >> 1, g, 0);
}

static double beta_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return beta_ab_tail(x[0], x[1], x[2], c[0], need >> 1, g, 1);
}

static double beta_rn(gsl_rng *r, const double *x) { return gsl_ran_beta(r, x[1], x[2]); }

static const DuvSpec beta_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    beta_pre, beta_lp, beta_lc, beta_lcc, beta_rn};
DUV_ENTRY_POINTS(beta)
static const double beta_test[][DIST_MAX_ARGS] = {
    {0.3, 2, 3}, {0.05, 0.5, 0.7}, {0.9, 5, 1.5}, {0.5, 1, 1}, {0.999, 20, 0.8},
};
DUV_DIST(beta, 3, "RRR", beta_test, 0, 1, "variate", "first shape", "second shape");

/* ---- beta_proportion: a = mu kappa, b = (1 - mu) kappa; chain rule onto mu, kappa ---- */

static void beta_prop_pre(const double *x, unsigned need, double *c)
{
    double a = x[1] * x[2], b = (1 - x[1]) * x[2];
    c[0] = gsl_sf_lnbeta(a, b);
    if (!(need & 6)) return;                         /* the digammas: partials only */
    c[1] = gsl_sf_psi(x[2]);
    c[2] = gsl_sf_psi(a);
    c[3] = gsl_sf_psi(b);
}

static void beta_prop_chain(const double *x, const double *g3, double *g)
{
    double mu = x[1], k = x[2];
    g[0] = g3[0];
    g[1] = k * (g3[1] - g3[2]);
    g[2] = mu * g3[1] + (1 - mu) * g3[2];
}

static double beta_prop_lp(const double *x, const double *c, unsigned need, double *g)
{
    double g3[3] = {0};
    double v = beta_ab_lp(x[0], x[1] * x[2], (1 - x[1]) * x[2], c[0], c + 1, g3);
    beta_prop_chain(x, g3, g);
    return v;
}

static double beta_prop_tail(const double *x, const double *c, unsigned need, double *g,
                             int upper)
{
    double g3[3] = {0};
    double v = beta_ab_tail(x[0], x[1] * x[2], (1 - x[1]) * x[2], c[0], need & 6 ? 3 : 0,
                            g3, upper);
    beta_prop_chain(x, g3, g);
    return v;
}

static double beta_prop_lc(const double *x, const double *c, unsigned need, double *g)
{
    return beta_prop_tail(x, c, need, g, 0);
}

static double beta_prop_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return beta_prop_tail(x, c, need, g, 1);
}

static double beta_prop_rn(gsl_rng *r, const double *x)
{
    return gsl_ran_beta(r, x[1] * x[2], (1 - x[1]) * x[2]);
}

static const DuvSpec beta_proportion_spec = {3, {DUV_NOTNAN, DUV_UNIT_OPEN, DUV_POSFIN}, NULL,
    beta_prop_pre, beta_prop_lp, beta_prop_lc, beta_prop_lcc, beta_prop_rn};
DUV_ENTRY_POINTS(beta_proportion)
static const double beta_proportion_test[][DIST_MAX_ARGS] = {
    {0.3, 0.4, 5}, {0.8, 0.7, 2.5}, {0.02, 0.1, 12},
};
DUV_DIST(beta_proportion, 3, "RRR", beta_proportion_test, 0, 1,
         "variate", "location", "precision");

/* ---- uniform: -log(beta - alpha) on [alpha, beta] ---- */

static int uniform_check(const double *x, const char **what)
{
    if (x[2] > x[1]) return 0;
    *what = "must be greater than the lower bound";
    return 2;
}

static double uniform_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], lo = x[1], hi = x[2];
    if (y < lo || y > hi) return -INFINITY;
    double iw = 1 / (hi - lo);
    g[1] = iw;
    g[2] = -iw;
    return log(iw);
}

static double uniform_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], lo = x[1], hi = x[2];
    if (y <= lo) return -INFINITY;
    if (y >= hi) return 0;
    double iw = 1 / (hi - lo), iy = 1 / (y - lo);
    g[0] = iy;
    g[1] = iw - iy;
    g[2] = -iw;
    return log((y - lo) * iw);
}

static double uniform_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], lo = x[1], hi = x[2];
    if (y <= lo) return 0;
    if (y >= hi) return -INFINITY;
    double iw = 1 / (hi - lo), iy = 1 / (hi - y);
    g[0] = -iy;
    g[1] = iw;
    g[2] = iy - iw;
    return log((hi - y) * iw);
}

static double uniform_rn(gsl_rng *r, const double *x) { return gsl_ran_flat(r, x[1], x[2]); }

static const DuvSpec uniform_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_FINITE}, uniform_check,
    NULL, uniform_lp, uniform_lc, uniform_lcc, uniform_rn};
DUV_ENTRY_POINTS(uniform)
static const double uniform_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-1.5, -2, 3}, {10.5, 10, 12},
};
DUV_DIST(uniform, 3, "RRR", uniform_test, -INFINITY, INFINITY, "variate", "lower bound",
         "upper bound");
