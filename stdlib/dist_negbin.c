/* neg_binomial(n | alpha, beta), neg_binomial_2(n | mu, phi),
 * neg_binomial_2_log(n | eta, phi): one kernel in (eta = log mean, phi = shape);
 * Stan's neg_binomial has mean alpha / beta and shape alpha. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

#define POISSON_MAX_RATE 1073741824.0

/* log pmf = lgamma(n + phi) - lgamma(n + 1) - lgamma(phi)
 *         + n (eta - log(mu + phi)) + phi (log phi - log(mu + phi)),
 * gradient w.r.t. eta (*deta) and phi (*dphi) when non-NULL. */
static double nb_core(double n, double eta, double phi, double *deta, double *dphi)
{
    double lphi = log(phi);
    double lse = mf_log_sum_exp(eta, lphi, NULL, NULL);   /* log(mu + phi) */
    double q = exp(eta - lse);                             /* mu / (mu + phi) */
    if (deta) *deta = n - (n + phi) * q;
    if (dphi)
        *dphi = mf_psi(n + phi) - mf_psi(phi) + (lphi - lse) + q - n * exp(-lse);
    double lp = (n > 0 ? mf_lgamma_raw(n + phi) - mf_lgamma_raw(phi) - mf_lgamma_raw(n + 1.0)
                          + n * (eta - lse) : 0.0);
    return lp + phi * (lphi - lse);
}

static int y_nonneg(const double *v, DistErr *e)
{
    if (!(v[0] >= 0)) return du_fail(e, 0, 0, v[0], "must be non-negative");
    return 0;
}

static int pos_finite(const double *v, int k, DistErr *e)
{
    if (!(v[k] > 0 && isfinite(v[k]))) return du_fail(e, k, 0, v[k], "must be positive finite");
    return 0;
}

/* Mode of the negative binomial with mean mu, shape phi. */
static void nb_support(double mu, double phi, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = INFINITY;
    *mode = phi > 1 ? floor(mu * (phi - 1) / phi) : 0.0;
}

/* Gamma-Poisson mixture, as Stan's rngs. */
static int nb_draw(gsl_rng *r, double mu, double phi, int arg, double *out, DistErr *e)
{
    double lam = gsl_ran_gamma(r, phi, mu / phi);
    if (!(lam < POISSON_MAX_RATE))
        return du_fail(e, arg, 0, mu, "gives a gamma draw above 2^30 (mean too large)");
    *out = gsl_ran_poisson(r, lam);
    return 0;
}

/* ---- neg_binomial(alpha, beta): eta = log(alpha / beta), phi = alpha ---- */

static int nb_check(const double *v, DistErr *e)
{
    return pos_finite(v, 1, e) < 0 || pos_finite(v, 2, e) < 0 ? -1 : 0;
}

static double nb_lpmf(const double *v, unsigned need, double *g)
{
    double a = v[1], b = v[2], de, dp;
    double lp = nb_core(v[0], log(a) - log(b), a, need ? &de : NULL, (need & 2) ? &dp : NULL);
    if (need & 2) g[1] = de / a + dp;
    if (need & 4) g[2] = -de / b;
    return lp;
}

static void nb_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(v[1] / v[2], v[1], lo, hi, mode);
}

static int nb_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, v[1] / v[2], v[1], 1, out, e);
}

static const DuUni U_nb = { 3, "IRR", nb_check, y_nonneg, nb_lpmf, nb_sup, 1, NULL, nb_rng };
DU_WRAP(nb, U_nb)

static const double nb_test[][DIST_MAX_ARGS] = {
    { 3, 2.0, 0.5 }, { 0, 0.7, 1.3 }, { 12, 5.0, 0.8 }, { 25, 0.4, 0.05 },
};

const Dist dist_neg_binomial = {
    .name = "neg_binomial", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "shape", "inverse scale" },
    .sig = "IRR", .lpdf = nb_w_lpmf, .rng = nb_w_rng, .cdf = nb_w_cdf, .lcdf = nb_w_lcdf,
    .lccdf = nb_w_lccdf, .ntest = 4, .test = nb_test, .lo = 0, .hi = INFINITY,
};

/* ---- neg_binomial_2(mu, phi) ---- */

static double nb2_lpmf(const double *v, unsigned need, double *g)
{
    double mu = v[1], de;
    double lp = nb_core(v[0], log(mu), v[2], (need & 2) ? &de : NULL, (need & 4) ? &g[2] : NULL);
    if (need & 2) g[1] = de / mu;
    return lp;
}

static void nb2_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(v[1], v[2], lo, hi, mode);
}

static int nb2_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, v[1], v[2], 1, out, e);
}

static const DuUni U_nb2 = { 3, "IRR", nb_check, y_nonneg, nb2_lpmf, nb2_sup, 1, NULL, nb2_rng };
DU_WRAP(nb2, U_nb2)

static const double nb2_test[][DIST_MAX_ARGS] = {
    { 3, 2.0, 0.5 }, { 0, 0.7, 1.3 }, { 12, 9.0, 20.0 }, { 30, 8.0, 1.5 },
};

const Dist dist_neg_binomial_2 = {
    .name = "neg_binomial_2", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "precision" },
    .sig = "IRR", .lpdf = nb2_w_lpmf, .rng = nb2_w_rng, .cdf = nb2_w_cdf, .lcdf = nb2_w_lcdf,
    .lccdf = nb2_w_lccdf, .ntest = 4, .test = nb2_test, .lo = 0, .hi = INFINITY,
};

/* ---- neg_binomial_2_log(eta, phi) ---- */

static int nbl_check(const double *v, DistErr *e)
{
    if (!isfinite(v[1])) return du_fail(e, 1, 0, v[1], "must be finite");
    return pos_finite(v, 2, e);
}

static double nbl_lpmf(const double *v, unsigned need, double *g)
{
    return nb_core(v[0], v[1], v[2], (need & 2) ? &g[1] : NULL, (need & 4) ? &g[2] : NULL);
}

static void nbl_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(exp(v[1]), v[2], lo, hi, mode);
}

static int nbl_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, exp(v[1]), v[2], 1, out, e);
}

static const DuUni U_nbl = { 3, "IRR", nbl_check, y_nonneg, nbl_lpmf, nbl_sup, 1, NULL, nbl_rng };
DU_WRAP(nbl, U_nbl)

static const double nbl_test[][DIST_MAX_ARGS] = {
    { 3, 0.7, 0.5 }, { 0, -1.0, 1.3 }, { 12, 2.2, 20.0 }, { 30, 2.0, 1.5 },
};

const Dist dist_neg_binomial_2_log = {
    .name = "neg_binomial_2_log", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "log location", "precision" },
    .sig = "IRR", .lpdf = nbl_w_lpmf, .rng = nbl_w_rng, .cdf = nbl_w_cdf, .lcdf = nbl_w_lcdf,
    .lccdf = nbl_w_lccdf, .ntest = 4, .test = nbl_test, .lo = 0, .hi = INFINITY,
};
