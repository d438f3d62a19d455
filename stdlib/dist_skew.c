/* skew_normal(xi, omega, alpha) and exp_mod_normal(mu, sigma, lambda). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

static void loc_scale_pre(const double *x, double *c)
{
    c[0] = log(x[2]);
    c[1] = 1 / x[2];
}

/* ---- skew_normal: log 2 - log omega + log phi(z) + log Phi(alpha z) ---- */

static double skew_normal_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1], a = x[3];
    if (isinf(z)) return -INFINITY;
    double r = dsf_inv_mills(a * z), dz = -z + a * r;
    g[0] = dz * c[1];
    g[1] = -dz * c[1];
    g[2] = -(1 + z * dz) * c[1];
    g[3] = z * r;
    return M_LN2 - c[0] + dsf_log_phi(z) + dsf_log_Phi(a * z);
}

/* F = Phi(z) - 2 T(z, alpha) (Owen's T).  The sum Phi(z) + 2|T| is formed for
 * whichever of F and 1 - F it gives, the other is 1 minus it unless that is small.
 * dF/dz = 2 phi(z) Phi(alpha z); dF/dalpha = -exp(-z^2 (1 + alpha^2) / 2) / (pi (1 + alpha^2)). */
static double skew_normal_tail(const double *x, const double *c, double *g, int upper)
{
    double z = (x[0] - x[1]) * c[1], a = x[3];
    if (isinf(z)) return (z > 0) == upper ? -INFINITY : 0;
    double t = dsf_owens_t(z, a), f, fc;
    if (t >= 0) {
        fc = gsl_cdf_ugaussian_Q(z) + 2 * t;
        f = fc < 0.5 ? 1 - fc : gsl_cdf_ugaussian_P(z) - 2 * t;
    } else {
        f = gsl_cdf_ugaussian_P(z) - 2 * t;
        fc = f < 0.5 ? 1 - f : gsl_cdf_ugaussian_Q(z) + 2 * t;
    }
    double p = upper ? fc : f;
    if (p <= 0) return -INFINITY;
    if (p > 1) p = 1;
    double lv = log(p), s = upper ? -1 : 1;
    double gz = s * exp(M_LN2 + dsf_log_phi(z) + dsf_log_Phi(a * z) - lv);
    double ga = -s * exp(-0.5 * z * z * (1 + a * a) - log(M_PI * (1 + a * a)) - lv);
    g[0] = gz * c[1];
    g[1] = -gz * c[1];
    g[2] = -gz * z * c[1];
    g[3] = ga;
    return lv;
}

static double skew_normal_lc(const double *x, const double *c, unsigned need, double *g)
{
    return skew_normal_tail(x, c, g, 0);
}

static double skew_normal_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return skew_normal_tail(x, c, g, 1);
}

/* Azzalini: delta |U0| + sqrt(1 - delta^2) U1 is skew normal with delta = a / sqrt(1+a^2). */
static double skew_normal_rn(gsl_rng *r, const double *x)
{
    double d = x[3] / sqrt(1 + x[3] * x[3]);
    double u0 = gsl_ran_ugaussian(r), u1 = gsl_ran_ugaussian(r);
    return x[1] + x[2] * (d * fabs(u0) + sqrt(1 - d * d) * u1);
}

static const DuvSpec skew_normal_spec = {4,
    {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN, DUV_FINITE}, NULL,
    loc_scale_pre, skew_normal_lp, skew_normal_lc, skew_normal_lcc, skew_normal_rn};
DUV_ENTRY_POINTS(skew_normal)
static const double skew_normal_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1, 2}, {-1.2, 0.5, 2, -3}, {2, 1, 0.5, 0.4}, {-4, 0, 1, 1.5}, {5, 1, 1, -0.5},
};
DUV_DIST(skew_normal, 4, "RRRR", skew_normal_test, -INFINITY, INFINITY,
         "variate", "location", "scale", "shape");

/* ---- exp_mod_normal: log lambda + L,
 *   L = -lambda u + lambda^2 sigma^2 / 2 + log Phi(w),  u = y - mu, w = u/sigma - lambda sigma.
 * Since exp(-lambda u + lambda^2 sigma^2/2) phi(w) = phi(z), z = u / sigma,
 *   L = log phi(z) - log(phi(w) / Phi(w)),
 * which avoids cancelling two huge terms when w is very negative. ---- */

static double emn_L(double z, double w, double lam, double u, double sig)
{
    if (w < 0) return dsf_log_phi(z) - log(dsf_inv_mills(w));
    return -lam * u + 0.5 * lam * lam * sig * sig + dsf_log_Phi(w);
}

static double exp_mod_normal_lp(const double *x, const double *c, unsigned need, double *g)
{
    double u = x[0] - x[1], sig = x[2], lam = x[3], z = u * c[1], w = z - lam * sig;
    if (isinf(u)) return -INFINITY;
    double r = dsf_inv_mills(w);
    g[0] = -lam + r * c[1];
    g[1] = -g[0];
    g[2] = lam * lam * sig - r * (z * c[1] + lam);
    g[3] = 1 / lam - u + lam * sig * sig - r * sig;
    return log(lam) + emn_L(z, w, lam, u, sig);
}

/* F = Phi(z) - exp(L); 1 - F = Phi(-z) + exp(L).
 * dF/dy = lambda e^L, dF/dsigma = -lambda^2 sigma e^L + lambda phi(z),
 * dF/dlambda = (u - lambda sigma^2) e^L + sigma phi(z). */
static double exp_mod_normal_tail(const double *x, double *g, int upper)
{
    double u = x[0] - x[1], sig = x[2], lam = x[3], z = u / sig, w = z - lam * sig;
    if (isinf(u)) return (u > 0) == upper ? -INFINITY : 0;
    double L = emn_L(z, w, lam, u, sig), lv, s;
    if (upper) {
        lv = dsf_log_sum_exp(dsf_log_Phi(-z), L);
        s = -1;
    } else {
        double lP = dsf_log_Phi(z);
        if (L >= lP) return -INFINITY;
        lv = lP + dsf_log1m_exp(L - lP);
        s = 1;
    }
    if (lv == -INFINITY) return lv;
    double eL = exp(L - lv), ph = exp(dsf_log_phi(z) - lv);
    g[0] = s * lam * eL;
    g[1] = -g[0];
    g[2] = s * (-lam * lam * sig * eL + lam * ph);
    g[3] = s * ((u - lam * sig * sig) * eL + sig * ph);
    return lv;
}

static double exp_mod_normal_lc(const double *x, const double *c, unsigned need, double *g)
{
    return exp_mod_normal_tail(x, g, 0);
}

static double exp_mod_normal_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return exp_mod_normal_tail(x, g, 1);
}

static double exp_mod_normal_rn(gsl_rng *r, const double *x)
{
    return x[1] + gsl_ran_gaussian(r, x[2]) + gsl_ran_exponential(r, 1 / x[3]);
}

static const DuvSpec exp_mod_normal_spec = {4,
    {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN, DUV_POSFIN}, NULL,
    loc_scale_pre, exp_mod_normal_lp, exp_mod_normal_lc, exp_mod_normal_lcc, exp_mod_normal_rn};
DUV_ENTRY_POINTS(exp_mod_normal)
static const double exp_mod_normal_test[][DIST_MAX_ARGS] = {
    {0.5, 0, 1, 1}, {3, 1, 0.5, 0.4}, {-1, 0, 2, 3}, {10, 0, 1, 0.8},
};
DUV_DIST(exp_mod_normal, 4, "RRRR", exp_mod_normal_test, -INFINITY, INFINITY,
         "variate", "location", "scale", "inverse scale");
