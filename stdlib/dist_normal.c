/* normal(mu, sigma), std_normal(), lognormal(mu, sigma): Stan's parameterisations
 * (sigma the standard deviation), full normalising constants. */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>

/* ---- normal: log N(y | mu, sigma) = -log sqrt(2 pi) - log sigma - z^2 / 2 ---- */

static void normal_pre(const double *x, unsigned need, double *c)
{
    c[0] = log(x[2]);
    c[1] = 1 / x[2];
}

static double normal_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    double v = -DSF_LOG_SQRT_2PI - c[0] - 0.5 * z * z;
    g[0] = -z * c[1];
    g[1] = z * c[1];
    g[2] = (z * z - 1) * c[1];
    return v;
}

/* d log Phi(z) / dz is the inverse Mills ratio, finite however far in the tail. */
static double normal_lc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    double r = dsf_inv_mills(z) * c[1];
    g[0] = r;
    g[1] = -r;
    g[2] = isinf(z) ? 0 : -r * z;
    return dsf_log_Phi(z);
}

static double normal_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    double r = dsf_inv_mills(-z) * c[1];
    g[0] = -r;
    g[1] = r;
    g[2] = isinf(z) ? 0 : r * z;
    return dsf_log_Phi(-z);
}

static double normal_rn(gsl_rng *r, const double *x) { return x[1] + gsl_ran_gaussian(r, x[2]); }

static const DuvSpec normal_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN}, NULL,
    normal_pre, normal_lp, normal_lc, normal_lcc, normal_rn};
DUV_ENTRY_POINTS(normal)
static const double normal_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-2.5, 1.5, 0.7}, {12, 10, 3}, {-40, 0, 2},
};
DUV_DIST(normal, 3, "RRR", normal_test, -INFINITY, INFINITY, "variate", "location", "scale");

/* ---- std_normal ---- */

static double stdn_lp(const double *x, const double *c, unsigned need, double *g)
{
    g[0] = -x[0];
    return -DSF_LOG_SQRT_2PI - 0.5 * x[0] * x[0];
}

static double stdn_lc(const double *x, const double *c, unsigned need, double *g)
{
    g[0] = dsf_inv_mills(x[0]);
    return dsf_log_Phi(x[0]);
}

static double stdn_lcc(const double *x, const double *c, unsigned need, double *g)
{
    g[0] = -dsf_inv_mills(-x[0]);
    return dsf_log_Phi(-x[0]);
}

static double stdn_rn(gsl_rng *r, const double *x) { return gsl_ran_ugaussian(r); }

static const DuvSpec std_normal_spec = {1, {DUV_NOTNAN}, NULL, NULL,
    stdn_lp, stdn_lc, stdn_lcc, stdn_rn};
DUV_ENTRY_POINTS(std_normal)
static const double std_normal_test[][DIST_MAX_ARGS] = {{0.1}, {-1.7}, {3.2}, {-30}};
DUV_DIST(std_normal, 1, "R", std_normal_test, -INFINITY, INFINITY, "variate");

/* ---- lognormal: log y ~ normal(mu, sigma); the density carries 1/y ---- */

static double lognormal_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0];
    if (y <= 0 || isinf(y)) return -INFINITY;
    double ly = log(y), z = (ly - x[1]) * c[1];
    g[0] = -(1 + z * c[1]) / y;
    g[1] = z * c[1];
    g[2] = (z * z - 1) * c[1];
    return -DSF_LOG_SQRT_2PI - c[0] - ly - 0.5 * z * z;
}

static double lognormal_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0];
    if (y <= 0) return -INFINITY;
    if (isinf(y)) return 0;
    double z = (log(y) - x[1]) * c[1];
    double r = dsf_inv_mills(z) * c[1];
    g[0] = r / y;
    g[1] = -r;
    g[2] = -r * z;
    return dsf_log_Phi(z);
}

static double lognormal_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0];
    if (y <= 0) return 0;
    if (isinf(y)) return -INFINITY;
    double z = (log(y) - x[1]) * c[1];
    double r = dsf_inv_mills(-z) * c[1];
    g[0] = -r / y;
    g[1] = r;
    g[2] = r * z;
    return dsf_log_Phi(-z);
}

static double lognormal_rn(gsl_rng *r, const double *x) { return gsl_ran_lognormal(r, x[1], x[2]); }

static const DuvSpec lognormal_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN}, NULL,
    normal_pre, lognormal_lp, lognormal_lc, lognormal_lcc, lognormal_rn};
DUV_ENTRY_POINTS(lognormal)
static const double lognormal_test[][DIST_MAX_ARGS] = {
    {1.3, 0, 1}, {0.2, -1, 0.5}, {30, 2, 1.5},
};
DUV_DIST(lognormal, 3, "RRR", lognormal_test, 0, INFINITY, "variate", "location", "scale");
