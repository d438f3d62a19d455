/* skew_normal(xi, omega, alpha) and exp_mod_normal(mu, sigma, lambda). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

static void loc_scale_pre(const double *x, unsigned need, double *c)
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

/* log F(z; alpha) for the standard skew normal, with d/dz and d/dalpha.
 * z >= 0: F = Phi(z) - 2 T(z, alpha) (Owen's T), at least min(1/2, atan(1/alpha)/pi).
 * z < 0: F may be tiny and the difference would cancel, so integrate instead:
 *   F = 2 int_0^inf phi(z - s) Phi(alpha (z - s)) ds = g(0) int_0^inf g(s)/g(0) ds,
 * the ratio decaying at least as exp(z s - s^2/2), over a range set by that rate.
 * dF/dz = 2 phi(z) Phi(alpha z); dF/dalpha = -exp(-z^2 (1 + alpha^2)/2) / (pi (1 + alpha^2)). */
typedef struct { double z, a, lg0; } SnQ;

static double sn_ratio(double s, void *p)
{
    const SnQ *q = p;
    double t = q->z - s;
    return exp(M_LN2 + dsf_log_phi(t) + dsf_log_Phi(q->a * t) - q->lg0);
}

static double sn_lcdf(double z, double a, double *gz, double *ga)
{
    if (z == -INFINITY) return -INFINITY;
    if (z == INFINITY) { *gz = *ga = 0; return 0; }
    double lg0 = M_LN2 + dsf_log_phi(z) + dsf_log_Phi(a * z), lv;
    if (z >= 0) {
        double f = gsl_cdf_ugaussian_P(z) - 2 * dsf_owens_t(z, a);
        if (f <= 0) return -INFINITY;
        lv = log(fmin(f, 1));
    } else {
        SnQ q = {z, a, lg0};
        double ap = a > 0 ? a : 0, rate = -z + ap * fmax(-ap * z, 1);
        double up = fmin(10, 46 / rate);
        /* alpha < 0: Phi(alpha (z - s)) rises from Phi(alpha z) to 1 within 1/|alpha| */
        double mid = fabs(a) > 1 ? fmin(0.5 * up, 8 / fabs(a)) : 0;
        double r = dsf_quad(sn_ratio, &q, mid, up, 1e-13);
        if (mid > 0) r += dsf_quad(sn_ratio, &q, 0, mid, 1e-13);
        if (!(r > 0)) return -INFINITY;
        lv = lg0 + log(r);
    }
    *gz = exp(lg0 - lv);
    double az = a * z;
    *ga = -exp(-0.5 * (z * z + az * az) - log(M_PI) - log1p(a * a) - lv);
    return lv;
}

/* 1 - F(z; alpha) = F(-z; -alpha) */
static double skew_normal_tail(const double *x, const double *c, double *g, int upper)
{
    double z = (x[0] - x[1]) * c[1], a = x[3], gz = 0, ga = 0;
    double lv = upper ? sn_lcdf(-z, -a, &gz, &ga) : sn_lcdf(z, a, &gz, &ga);
    if (lv == -INFINITY) return lv;
    if (upper) { gz = -gz; ga = -ga; }
    g[0] = gz * c[1];
    g[1] = -gz * c[1];
    g[2] = isinf(z) ? 0 : -gz * z * c[1];
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
    return lam * sig * (0.5 * lam * sig - z) + dsf_log_Phi(w);
}

static double exp_mod_normal_lp(const double *x, const double *c, unsigned need, double *g)
{
    double u = x[0] - x[1], sig = x[2], lam = x[3], z = u * c[1], w = z - lam * sig;
    if (isinf(u)) return -INFINITY;
    double r = dsf_inv_mills(w);
    if (r > 0) {
        /* In terms of dl = w + r (-> -1/w as w -> -inf, where r ~ -w is huge) the
         * partials have no cancelling large terms:
         *   d/dy = (dl - z)/sigma, d/dsigma = z^2/sigma - dl (z/sigma + lambda),
         *   d/dlambda = 1/lambda - sigma dl   (using sigma z = u). */
        double dl = w < -1e8 ? -1 / w + 2 / (w * w * w) : w + r;
        g[0] = (dl - z) * c[1];
        g[2] = z * z * c[1] - dl * (z * c[1] + lam);
        g[3] = 1 / lam - sig * dl;
    } else {            /* deep right tail, z may have overflowed */
        g[0] = -lam;
        g[2] = lam * lam * sig;
        g[3] = 1 / lam - u + lam * sig * sig;
    }
    g[1] = -g[0];
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
    g[2] = s * ((eL > 0 ? -lam * lam * sig * eL : 0) + (ph > 0 ? lam * ph : 0));
    g[3] = s * ((eL > 0 ? (u - lam * sig * sig) * eL : 0) + (ph > 0 ? sig * ph : 0));
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
