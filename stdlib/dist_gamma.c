/* gamma(alpha, beta) with beta the rate, inv_gamma(alpha, beta), chi_square(nu),
 * inv_chi_square(nu), exponential(beta) with beta the rate. */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* ---- shared: log P(a, X) or log Q(a, X) with partials ---- */

typedef struct { double X; int upper; } GincCtx;

static double ginc_fix(double a, const void *p)
{
    const GincCtx *s = p;
    return dsf_lgamma_inc(a, s->X, s->upper);
}

/* d/dX is the gamma density over P (or -density over Q), formed in log space;
 * d/da by a numerical derivative (the closed form is a hypergeometric series). */
static double ginc(double a, double X, int upper, int need_a, double *dX, double *da)
{
    GincCtx s = {X, upper};
    double v = ginc_fix(a, &s);
    *dX = *da = 0;
    if (v == -INFINITY || X <= 0 || isinf(X)) return v;
    double lh = (a - 1) * log(X) - X - gsl_sf_lngamma(a);
    *dX = (upper ? -1 : 1) * exp(lh - v);
    if (need_a) *da = dsf_dnum(ginc_fix, &s, a);
    return v;
}

/* Density term (k - 1) log y at y = 0: 0, -inf or +inf (an unbounded density). */
static double log_pow0(double k) { return k == 1 ? 0 : (k > 1 ? -INFINITY : INFINITY); }

/* ---- gamma: alpha log beta - lgamma(alpha) + (alpha - 1) log y - beta y ---- */

static void gamma_pre(const double *x, unsigned need, double *c)
{
    double lb = log(x[2]);
    c[0] = x[1] * lb - gsl_sf_lngamma(x[1]);
    if (need & 2) c[1] = lb - gsl_sf_psi(x[1]);     /* d / d shape only */
}

static double gamma_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1], b = x[2];
    if (y < 0 || isinf(y)) return -INFINITY;
    if (y == 0) {
        g[0] = -b;
        g[2] = a / b;
        return c[0] + log_pow0(a);
    }
    double ly = log(y);
    g[0] = (a - 1) / y - b;
    g[1] = c[1] + ly;
    g[2] = a / b - y;
    return c[0] + (a - 1) * ly - b * y;
}

static double gamma_tail(const double *x, unsigned need, double *g, int upper)
{
    double y = x[0], dX, da;
    double v = ginc(x[1], x[2] * y, upper, need & 2, &dX, &da);
    if (isinf(y)) return v;
    g[0] = dX * x[2];
    g[1] = da;
    g[2] = dX * y;
    return v;
}

static double gamma_lc(const double *x, const double *c, unsigned need, double *g)
{
    return gamma_tail(x, need, g, 0);
}

static double gamma_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return gamma_tail(x, need, g, 1);
}

static double gamma_rn(gsl_rng *r, const double *x) { return gsl_ran_gamma(r, x[1], 1 / x[2]); }

static const DuvSpec gamma_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    gamma_pre, gamma_lp, gamma_lc, gamma_lcc, gamma_rn};
DUV_ENTRY_POINTS(gamma)
static const double gamma_test[][DIST_MAX_ARGS] = {
    {1.5, 2, 1}, {0.3, 0.5, 2}, {12, 9, 0.8}, {0.02, 1.5, 3}, {700, 400, 0.5},
};
DUV_DIST(gamma, 3, "RRR", gamma_test, 0, INFINITY, "variate", "shape", "inverse scale");

/* ---- inv_gamma: alpha log beta - lgamma(alpha) - (alpha + 1) log y - beta / y;
 * F(y) = Q(alpha, beta / y) ---- */

static double inv_gamma_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1], b = x[2];
    if (y <= 0 || isinf(y)) return -INFINITY;
    double ly = log(y), iy = 1 / y;
    g[0] = (-(a + 1) + b * iy) * iy;
    g[1] = c[1] - ly;
    g[2] = a / b - iy;
    return c[0] - (a + 1) * ly - b * iy;
}

static double inv_gamma_tail(const double *x, unsigned need, double *g, int upper)
{
    double y = x[0], b = x[2], dX, da;
    if (y <= 0) return upper ? 0 : -INFINITY;
    double v = ginc(x[1], b / y, !upper, need & 2, &dX, &da);
    g[0] = -dX * b / y / y;
    g[1] = da;
    g[2] = dX / y;
    return v;
}

static double inv_gamma_lc(const double *x, const double *c, unsigned need, double *g)
{
    return inv_gamma_tail(x, need, g, 0);
}

static double inv_gamma_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return inv_gamma_tail(x, need, g, 1);
}

static double inv_gamma_rn(gsl_rng *r, const double *x)
{
    return 1 / gsl_ran_gamma(r, x[1], 1 / x[2]);
}

static const DuvSpec inv_gamma_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    gamma_pre, inv_gamma_lp, inv_gamma_lc, inv_gamma_lcc, inv_gamma_rn};
DUV_ENTRY_POINTS(inv_gamma)
static const double inv_gamma_test[][DIST_MAX_ARGS] = {
    {1.5, 2, 1}, {0.3, 3, 2}, {40, 1.5, 0.8}, {0.05, 6, 1},
};
DUV_DIST(inv_gamma, 3, "RRR", inv_gamma_test, 0, INFINITY, "variate", "shape", "scale");

/* ---- chi_square: gamma(nu / 2, 1 / 2) ---- */

static void chi_square_pre(const double *x, unsigned need, double *c)
{
    double h = 0.5 * x[1];
    c[0] = -h * M_LN2 - gsl_sf_lngamma(h);
    if (need & 2) c[1] = -0.5 * M_LN2 - 0.5 * gsl_sf_psi(h);
}

static double chi_square_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], h = 0.5 * x[1];
    if (y < 0 || isinf(y)) return -INFINITY;
    if (y == 0) {
        g[0] = -0.5;
        return c[0] + log_pow0(h);
    }
    double ly = log(y);
    g[0] = (h - 1) / y - 0.5;
    g[1] = c[1] + 0.5 * ly;
    return c[0] + (h - 1) * ly - 0.5 * y;
}

static double chi_square_tail(const double *x, unsigned need, double *g, int upper)
{
    double dX, da;
    double v = ginc(0.5 * x[1], 0.5 * x[0], upper, need & 2, &dX, &da);
    g[0] = 0.5 * dX;
    g[1] = 0.5 * da;
    return v;
}

static double chi_square_lc(const double *x, const double *c, unsigned need, double *g)
{
    return chi_square_tail(x, need, g, 0);
}

static double chi_square_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return chi_square_tail(x, need, g, 1);
}

static double chi_square_rn(gsl_rng *r, const double *x) { return gsl_ran_chisq(r, x[1]); }

static const DuvSpec chi_square_spec = {2, {DUV_NOTNAN, DUV_POSFIN}, NULL,
    chi_square_pre, chi_square_lp, chi_square_lc, chi_square_lcc, chi_square_rn};
DUV_ENTRY_POINTS(chi_square)
static const double chi_square_test[][DIST_MAX_ARGS] = {{1.5, 3}, {0.2, 1.5}, {30, 12}, {4, 0.7}};
DUV_DIST(chi_square, 2, "RR", chi_square_test, 0, INFINITY, "variate", "degrees of freedom");

/* ---- inv_chi_square: 1 / y ~ chi_square(nu);  F(y) = Q(nu / 2, 1 / (2 y)) ---- */

static double inv_chi_square_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], h = 0.5 * x[1];
    if (y <= 0 || isinf(y)) return -INFINITY;
    double ly = log(y), iy = 1 / y;
    g[0] = (-(h + 1) + 0.5 * iy) * iy;
    g[1] = c[1] - 0.5 * ly;
    return c[0] - (h + 1) * ly - 0.5 * iy;
}

static double inv_chi_square_tail(const double *x, unsigned need, double *g, int upper)
{
    double y = x[0], dX, da;
    if (y <= 0) return upper ? 0 : -INFINITY;
    double v = ginc(0.5 * x[1], 0.5 / y, !upper, need & 2, &dX, &da);
    g[0] = -dX * 0.5 / y / y;
    g[1] = 0.5 * da;
    return v;
}

static double inv_chi_square_lc(const double *x, const double *c, unsigned need, double *g)
{
    return inv_chi_square_tail(x, need, g, 0);
}

static double inv_chi_square_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return inv_chi_square_tail(x, need, g, 1);
}

static double inv_chi_square_rn(gsl_rng *r, const double *x) { return 1 / gsl_ran_chisq(r, x[1]); }

static const DuvSpec inv_chi_square_spec = {2, {DUV_NOTNAN, DUV_POSFIN}, NULL,
    chi_square_pre, inv_chi_square_lp, inv_chi_square_lc, inv_chi_square_lcc,
    inv_chi_square_rn};
DUV_ENTRY_POINTS(inv_chi_square)
static const double inv_chi_square_test[][DIST_MAX_ARGS] = {{0.5, 3}, {0.1, 6}, {4, 2.5}};
DUV_DIST(inv_chi_square, 2, "RR", inv_chi_square_test, 0, INFINITY,
         "variate", "degrees of freedom");

/* ---- exponential: log beta - beta y;  F = 1 - exp(-beta y) ---- */

static double exponential_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], b = x[1];
    if (y < 0 || isinf(y)) return -INFINITY;
    g[0] = -b;
    g[1] = 1 / b - y;
    return log(b) - b * y;
}

/* log(1 - exp(-X)), X = beta y; d/dX = 1 / expm1(X) = w / X with w bounded. */
static double exponential_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], b = x[1], X = b * y;
    if (y <= 0) return -INFINITY;
    if (isinf(y)) return 0;
    double w = dsf_x_over_expm1(X);
    g[0] = w / y;
    g[1] = w / b;
    return dsf_log1m_expm(X, log(b) + log(y));
}

static double exponential_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], b = x[1];
    if (y <= 0) return 0;
    if (isinf(y)) return -INFINITY;
    g[0] = -b;
    g[1] = -y;
    return -b * y;
}

static double exponential_rn(gsl_rng *r, const double *x) { return gsl_ran_exponential(r, 1 / x[1]); }

static const DuvSpec exponential_spec = {2, {DUV_NOTNAN, DUV_POSFIN}, NULL, NULL,
    exponential_lp, exponential_lc, exponential_lcc, exponential_rn};
DUV_ENTRY_POINTS(exponential)
static const double exponential_test[][DIST_MAX_ARGS] = {{0.7, 1}, {3, 0.2}, {0.01, 5}, {60, 1.2}};
DUV_DIST(exponential, 2, "RR", exponential_test, 0, INFINITY, "variate", "inverse scale");
