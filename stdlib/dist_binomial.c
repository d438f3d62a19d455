/* binomial(n | N, theta), binomial_logit(n | N, alpha), beta_binomial(n | N, a, b). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static int n_check(const double *v, DistErr *e)
{
    if (!(v[1] >= 0)) return du_fail(e, 1, 0, v[1], "must be non-negative");
    return 0;
}

static int y_in_0N(const double *v, DistErr *e)
{
    if (!(v[0] >= 0 && v[0] <= v[1])) return du_fail(e, 0, 0, v[0], "must be in [0, N]");
    return 0;
}

static double lchoose_int(double N, double n)
{
    return mf_lchoose(N, n, NULL, NULL);
}

/* ---- binomial ---- */

static int bi_check(const double *v, DistErr *e)
{
    if (n_check(v, e) < 0) return -1;
    if (!(v[2] >= 0.0 && v[2] <= 1.0)) return du_fail(e, 2, 0, v[2], "must be in [0, 1]");
    return 0;
}

/* n log(theta) + (N - n) log(1 - theta), with 0 log 0 = 0 at theta in {0, 1}. */
static double bi_lpmf(const double *v, unsigned need, double *g)
{
    double n = v[0], N = v[1], th = v[2];
    double lp = lchoose_int(N, n);
    if (n > 0) lp += n * log(th);
    if (N - n > 0) lp += (N - n) * log1p(-th);
    if (need & 4) g[2] = (n > 0 ? n / th : 0.0) - (N - n > 0 ? (N - n) / (1.0 - th) : 0.0);
    return lp;
}

static void bi_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = v[1];
    *mode = floor((v[1] + 1) * v[2]);
    if (*mode > v[1]) *mode = v[1];
}

static int bi_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    *out = gsl_ran_binomial(r, v[2], (unsigned)v[1]);
    return 0;
}

static double bi_up(const double *v, unsigned need, double *g)
{
    double j = v[0], N = v[1], th = v[2];
    g[2] = 1.0 / th + 1.0 / (1.0 - th);
    return log(N - j) - log(j + 1) + log(th) - log1p(-th);
}

static const DuUni U_bi = { 3, "IIR", bi_check, y_in_0N, bi_lpmf, bi_support, 1, NULL, bi_rng, bi_up };
DU_WRAP(bi, U_bi)

static const double bi_test[][DIST_MAX_ARGS] = {
    { 3, 10, 0.3 }, { 0, 5, 0.5 }, { 20, 20, 0.9 }, { 7, 40, 0.05 }, { 2, 3, 0.999 },
};

const Dist dist_binomial = {
    .name = "binomial", .discrete = 1, .nargs = 3,
    .argnames = { "successes", "population size", "probability" },
    .sig = "IIR", .lpdf = bi_w_lpmf, .lp1 = bi_w_lp1, .rng = bi_w_rng, .cdf = bi_w_cdf, .lcdf = bi_w_lcdf,
    .lccdf = bi_w_lccdf, .ntest = 5, .test = bi_test, .lo = 0, .hi = INFINITY,
};

/* ---- binomial_logit: theta = inv_logit(alpha) ---- */

static int bl_check(const double *v, DistErr *e)
{
    if (n_check(v, e) < 0) return -1;
    if (isnan(v[2])) return du_fail(e, 2, 0, v[2], "must not be NaN");
    return 0;
}

static double bl_lpmf(const double *v, unsigned need, double *g)
{
    double n = v[0], N = v[1], a = v[2];
    double lp = lchoose_int(N, n);
    if (n > 0) lp += n * mf_log_inv_logit(a, NULL);
    if (N - n > 0) lp += (N - n) * mf_log1m_inv_logit(a, NULL);
    /* d/da = n (1 - theta) - (N - n) theta = n - N theta */
    if (need & 4) g[2] = n * mf_inv_logit(-a, NULL) - (N - n) * mf_inv_logit(a, NULL);
    return lp;
}

static void bl_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = v[1];
    *mode = floor((v[1] + 1) * mf_inv_logit(v[2], NULL));
    if (*mode > v[1]) *mode = v[1];
}

static int bl_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    *out = gsl_ran_binomial(r, mf_inv_logit(v[2], NULL), (unsigned)v[1]);
    return 0;
}

static double bl_up(const double *v, unsigned need, double *g)
{
    g[2] = 1.0;
    return log(v[1] - v[0]) - log(v[0] + 1) + v[2];
}

static const DuUni U_bl = { 3, "IIR", bl_check, y_in_0N, bl_lpmf, bl_support, 1, NULL, bl_rng, bl_up };
DU_WRAP(bl, U_bl)

static const double bl_test[][DIST_MAX_ARGS] = {
    { 3, 10, -0.5 }, { 0, 5, 0.0 }, { 20, 20, 3.0 }, { 7, 40, -3.0 }, { 1, 30, -25.0 },
};

const Dist dist_binomial_logit = {
    .name = "binomial_logit", .discrete = 1, .nargs = 3,
    .argnames = { "successes", "population size", "log odds" },
    .sig = "IIR", .lpdf = bl_w_lpmf, .lp1 = bl_w_lp1, .rng = bl_w_rng, .cdf = bl_w_cdf, .lcdf = bl_w_lcdf,
    .lccdf = bl_w_lccdf, .ntest = 5, .test = bl_test, .lo = 0, .hi = INFINITY,
};

/* ---- beta_binomial: C(N, n) B(n + a, N - n + b) / B(a, b) ---- */

static int bb_check(const double *v, DistErr *e)
{
    if (n_check(v, e) < 0) return -1;
    if (!(v[2] > 0 && isfinite(v[2]))) return du_fail(e, 2, 0, v[2], "must be positive finite");
    if (!(v[3] > 0 && isfinite(v[3]))) return du_fail(e, 3, 0, v[3], "must be positive finite");
    return 0;
}

/* log(x (x+1) ... (x+k-1)) = lgamma(x + k) - lgamma(x) = lgamma(k) - lbeta(x, k):
 * B(n+a, N-n+b) / B(a, b) as three such ratios stays accurate when a and b are huge
 * (the binomial limit), where lbeta(n+a, ...) - lbeta(a, b) would cancel. */
static double log_rising(double x, double k)
{
    return k > 0 ? mf_lgamma_raw(k) - mf_lbeta_raw(x, k) : 0.0;
}

static double bb_lpmf(const double *v, unsigned need, double *g)
{
    double n = v[0], N = v[1], a = v[2], b = v[3];
    if (need & 12) {
        double c = mf_psi(a + b) - mf_psi(N + a + b);
        if (need & 4) g[2] = mf_psi(n + a) - mf_psi(a) + c;
        if (need & 8) g[3] = mf_psi(N - n + b) - mf_psi(b) + c;
    }
    return lchoose_int(N, n) + log_rising(a, n) + log_rising(b, N - n) - log_rising(a + b, N);
}

/* Not unimodal in general (a, b < 1 give a U shape): sum whole tails. */
static void bb_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = v[1];
    *mode = floor(v[1] * v[2] / (v[2] + v[3]));
}

static int bb_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    double p = gsl_ran_beta(r, v[2], v[3]);
    *out = gsl_ran_binomial(r, p, (unsigned)v[1]);
    return 0;
}

static double bb_up(const double *v, unsigned need, double *g)
{
    double j = v[0], N = v[1], a = v[2], b = v[3];
    g[2] = 1.0 / (j + a);
    g[3] = -1.0 / (N - j - 1 + b);
    return log(N - j) - log(j + 1) + log(j + a) - log(N - j - 1 + b);
}

static const DuUni U_bb = { 4, "IIRR", bb_check, y_in_0N, bb_lpmf, bb_support, 0, NULL, bb_rng, bb_up };
DU_WRAP(bb, U_bb)

static const double bb_test[][DIST_MAX_ARGS] = {
    { 3, 10, 2.0, 3.0 }, { 0, 5, 0.5, 0.5 }, { 12, 20, 0.3, 4.0 }, { 7, 7, 10.0, 1.5 },
};

const Dist dist_beta_binomial = {
    .name = "beta_binomial", .discrete = 1, .nargs = 4,
    .argnames = { "successes", "population size", "first prior sample size",
                  "second prior sample size" },
    .sig = "IIRR", .lpdf = bb_w_lpmf, .lp1 = bb_w_lp1, .rng = bb_w_rng, .cdf = bb_w_cdf, .lcdf = bb_w_lcdf,
    .lccdf = bb_w_lccdf, .ntest = 4, .test = bb_test, .lo = 0, .hi = INFINITY,
};
