/* loglogistic(alpha, beta) and skew_double_exponential(mu, sigma, tau), in Stan's
 * parameterisations (the language reference's added distributions). */
#include <math.h>
#include <gsl/gsl_rng.h>
#include "stdlib/dist_uv.h"

static double sig(double u) { return u > 0 ? 1 / (1 + exp(-u)) : exp(u) / (1 + exp(u)); }
static double log_sig(double u) { return u > 0 ? -log1p(exp(-u)) : u - log1p(exp(u)); }

/* ---- loglogistic: alpha scale, beta shape.  With t = beta (log y - log alpha),
 * F = inv_logit(t) and log f = log beta - log y + log F(t) + log (1 - F(t)). ---- */

static double ll_t(const double *x, double *L) { *L = log(x[0]) - log(x[1]); return x[2] * *L; }

/* partials of a function of t with dt = ht */
static void ll_by_t(double ht, const double *x, double L, double *g)
{
    g[0] = ht * x[2] / x[0];
    g[1] = -ht * x[2] / x[1];
    g[2] = ht * L;
}

static double ll_lp(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    if (x[0] <= 0 || isinf(x[0])) return -INFINITY;
    double L, t = ll_t(x, &L);
    ll_by_t(-tanh(0.5 * t), x, L, g);
    g[0] -= 1 / x[0];
    g[2] += 1 / x[2];
    return log(x[2]) - log(x[0]) + log_sig(t) + log_sig(-t);
}

static double ll_lc(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    if (x[0] <= 0) return -INFINITY;
    if (isinf(x[0])) return 0;
    double L, t = ll_t(x, &L);
    ll_by_t(sig(-t), x, L, g);
    return log_sig(t);
}

static double ll_lcc(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    if (x[0] <= 0) return 0;
    if (isinf(x[0])) return -INFINITY;
    double L, t = ll_t(x, &L);
    ll_by_t(-sig(t), x, L, g);
    return log_sig(-t);
}

static double ll_rn(gsl_rng *r, const double *x)
{
    double u = gsl_rng_uniform_pos(r);
    return x[1] * pow(u / (1 - u), 1 / x[2]);
}

static const DuvSpec loglogistic_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL, NULL,
    ll_lp, ll_lc, ll_lcc, ll_rn};
DUV_ENTRY_POINTS(loglogistic)
static const double loglogistic_test[][DIST_MAX_ARGS] = {
    {1.3, 1, 2}, {0.2, 0.5, 3.5}, {30, 2, 1.5},
};
DUV_DIST(loglogistic, 3, "RRR", loglogistic_test, 0, INFINITY, "variate", "scale", "shape");

/* ---- skew_double_exponential: 2 tau (1 - tau) / sigma
 *      * exp(-2 / sigma [(1 - tau)(mu - y) below mu, tau (y - mu) above]) ---- */

/* In z = (y - mu) / sigma, so that a tiny sigma gives infinities, never 0 * inf. */
static double sde_lp(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    double s = 1 / x[2], z = (x[0] - x[1]) * s, tau = x[3];
    if (isinf(z) || isnan(z)) return -INFINITY;
    double C = M_LN2 + log(tau) + log1p(-tau) - log(x[2]);
    g[3] = 1 / tau - 1 / (1 - tau) - 2 * z;
    double a = z < 0 ? -2 * (1 - tau) : 2 * tau;      /* lp = C - a z */
    g[0] = -a * s;
    g[1] = a * s;
    g[2] = -s + a * z * s;
    return C - a * z;
}

static double sde_lc(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    double s = 1 / x[2], z = (x[0] - x[1]) * s, tau = x[3];
    if (z == -INFINITY) return -INFINITY;
    if (z == INFINITY) return 0;
    if (z < 0) {                       /* log tau + 2 (1 - tau) z */
        g[0] = 2 * (1 - tau) * s;
        g[1] = -g[0];
        g[2] = -2 * (1 - tau) * z * s;
        g[3] = 1 / tau - 2 * z;
        return log(tau) + 2 * (1 - tau) * z;
    }
    double E = exp(-2 * tau * z), Q = (1 - tau) * E, k = -1 / (1 - Q);      /* log(1 - Q) */
    double w = Q == 0 ? 0 : k * Q;
    g[0] = w * (-2 * tau * s);
    g[1] = -g[0];
    g[2] = w == 0 ? 0 : w * (2 * tau * z * s);
    g[3] = k * (-E) + (Q == 0 ? 0 : w * (-2 * z));
    return log1p(-Q);
}

static double sde_lcc(const double *x, const double *c, unsigned need, double *g)
{
    (void)c; (void)need;
    double s = 1 / x[2], z = (x[0] - x[1]) * s, tau = x[3];
    if (z == INFINITY) return -INFINITY;
    if (z == -INFINITY) return 0;
    if (z >= 0) {                      /* log(1 - tau) - 2 tau z */
        g[0] = -2 * tau * s;
        g[1] = -g[0];
        g[2] = 2 * tau * z * s;
        g[3] = -1 / (1 - tau) - 2 * z;
        return log1p(-tau) - 2 * tau * z;
    }
    double F = exp(2 * (1 - tau) * z), P = tau * F, k = -1 / (1 - P);        /* log(1 - P) */
    double w = P == 0 ? 0 : k * P;
    g[0] = w * 2 * (1 - tau) * s;
    g[1] = -g[0];
    g[2] = w == 0 ? 0 : w * (-2 * (1 - tau) * z * s);
    g[3] = k * F + (P == 0 ? 0 : w * (-2 * z));
    return log1p(-P);
}

static double sde_rn(gsl_rng *r, const double *x)
{
    double u = gsl_rng_uniform_pos(r), mu = x[1], sigma = x[2], tau = x[3];
    if (u < tau) return mu + sigma * log(u / tau) / (2 * (1 - tau));
    return mu - sigma * log((1 - u) / (1 - tau)) / (2 * tau);
}

static const DuvSpec skew_double_exponential_spec = {4, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN, DUV_UNIT_OPEN}, NULL, NULL,
    sde_lp, sde_lc, sde_lcc, sde_rn};
DUV_ENTRY_POINTS(skew_double_exponential)
static const double skew_double_exponential_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1, 0.35}, {-2, 1, 0.5, 0.2}, {4, 2, 3, 0.8},
};
DUV_DIST(skew_double_exponential, 4, "RRRR", skew_double_exponential_test, -INFINITY, INFINITY,
         "variate", "location", "scale", "skewness");
