/* double_exponential(mu, sigma), logistic(mu, sigma), gumbel(mu, beta). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>

static void scale_pre(const double *x, unsigned need, double *c)
{
    c[0] = log(x[2]);
    c[1] = 1 / x[2];
}

/* Partials of a function of z = (y - mu) / sigma: gz = d / dz. */
static void by_z(double gz, double z, const double *c, double *g)
{
    g[0] = gz * c[1];
    g[1] = -gz * c[1];
    g[2] = -gz * z * c[1];
}

/* ---- double_exponential: -log 2 - log sigma - |y - mu| / sigma ---- */

static double dexp_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (isinf(z)) return -INFINITY;
    double s = (z > 0) - (z < 0);
    by_z(-s, z, c, g);
    g[2] -= c[1];
    return -M_LN2 - c[0] - fabs(z);
}

/* F = exp(z)/2 below mu, 1 - exp(-z)/2 above. */
static double dexp_lc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == -INFINITY) return -INFINITY;
    if (z == INFINITY) return 0;
    if (z < 0) {
        by_z(1, z, c, g);
        return z - M_LN2;
    }
    by_z(1 / (2 * exp(z) - 1), z, c, g);
    return log1p(-0.5 * exp(-z));
}

static double dexp_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == INFINITY) return -INFINITY;
    if (z == -INFINITY) return 0;
    if (z > 0) {
        by_z(-1, z, c, g);
        return -z - M_LN2;
    }
    by_z(-1 / (2 * exp(-z) - 1), z, c, g);
    return log1p(-0.5 * exp(z));
}

static double dexp_rn(gsl_rng *r, const double *x) { return x[1] + gsl_ran_laplace(r, x[2]); }

static const DuvSpec double_exponential_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN},
    NULL, scale_pre, dexp_lp, dexp_lc, dexp_lcc, dexp_rn};
DUV_ENTRY_POINTS(double_exponential)
static const double double_exponential_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-2, 1, 0.5}, {40, 2, 3},
};
DUV_DIST(double_exponential, 3, "RRR", double_exponential_test, -INFINITY, INFINITY,
         "variate", "location", "scale");

/* ---- logistic: -z - log sigma - 2 log1p(exp(-z)), written in |z| (the density is
 * symmetric) so that neither tail overflows. ---- */

static double log_inv_logit(double u) { return u > 0 ? -log1p(exp(-u)) : u - log1p(exp(u)); }
static double inv_logit(double u)
{
    return u > 0 ? 1 / (1 + exp(-u)) : exp(u) / (1 + exp(u));
}

static double logistic_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (isinf(z)) return -INFINITY;
    double a = fabs(z);
    by_z(-tanh(0.5 * z), z, c, g);
    g[2] -= c[1];
    return -a - c[0] - 2 * log1p(exp(-a));
}

static double logistic_lc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == -INFINITY) return -INFINITY;
    if (z == INFINITY) return 0;
    by_z(inv_logit(-z), z, c, g);
    return log_inv_logit(z);
}

static double logistic_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == INFINITY) return -INFINITY;
    if (z == -INFINITY) return 0;
    by_z(-inv_logit(z), z, c, g);
    return log_inv_logit(-z);
}

static double logistic_rn(gsl_rng *r, const double *x) { return x[1] + gsl_ran_logistic(r, x[2]); }

static const DuvSpec logistic_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN}, NULL,
    scale_pre, logistic_lp, logistic_lc, logistic_lcc, logistic_rn};
DUV_ENTRY_POINTS(logistic)
static const double logistic_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-2, 1, 0.5}, {30, 2, 3},
};
DUV_DIST(logistic, 3, "RRR", logistic_test, -INFINITY, INFINITY, "variate", "location", "scale");

/* ---- gumbel: -log beta - z - exp(-z);  F = exp(-exp(-z)) ---- */

static double gumbel_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (isinf(z)) return -INFINITY;
    double ez = exp(-z);
    if (isinf(ez)) return -INFINITY;
    by_z(ez - 1, z, c, g);
    g[2] -= c[1];
    return -c[0] - z - ez;
}

static double gumbel_lc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == INFINITY) return 0;
    double ez = exp(-z);
    if (isinf(ez)) return -INFINITY;
    by_z(ez, z, c, g);
    return -ez;
}

/* log(1 - exp(-t)), t = exp(-z); d/dz = -t / expm1(t), -1 as t -> 0. */
static double gumbel_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (z == INFINITY) return -INFINITY;
    if (z == -INFINITY) return 0;
    double t = exp(-z);
    by_z(-dsf_x_over_expm1(t), z, c, g);
    return dsf_log1m_expm(t, -z);
}

static double gumbel_rn(gsl_rng *r, const double *x)
{
    /* GSL's type-1 Gumbel a b exp(-(b exp(-a x) + a x)) is ours with a = 1/beta,
     * b = exp(mu/beta); sampling the standard one and shifting avoids overflow. */
    return x[1] + x[2] * gsl_ran_gumbel1(r, 1, 1);
}

static const DuvSpec gumbel_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN}, NULL,
    scale_pre, gumbel_lp, gumbel_lc, gumbel_lcc, gumbel_rn};
DUV_ENTRY_POINTS(gumbel)
static const double gumbel_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-1, 1, 0.5}, {20, 2, 3},
};
DUV_DIST(gumbel, 3, "RRR", gumbel_test, -INFINITY, INFINITY, "variate", "location", "scale");
