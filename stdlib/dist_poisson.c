/* poisson(n | lambda) and poisson_log(n | alpha), lambda = exp(alpha). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_errno.h>
#include "dist_util.h"
#include "mathfn_impl.h"

/* Stan's POISSON_MAX_RATE: larger rates overflow the int variate in the rng. */
#define POISSON_MAX_RATE 1073741824.0


/* Beyond this rate the tail sums (about 10 sqrt(lambda) terms) give way to the
 * regularised incomplete gamma: P(Y <= y) = Q(y + 1, lambda), d/dlambda = -pmf(y). */
#define P_CLOSED_RATE 1e5

static double log_gamma_inc(double a, double x, int upper)
{
    gsl_sf_result r;
    int st = upper ? gsl_sf_gamma_inc_Q_e(a, x, &r) : gsl_sf_gamma_inc_P_e(a, x, &r);
    if (st != GSL_SUCCESS && !(r.val > 0)) return -INFINITY;
    return r.val > 0 ? log(r.val) : -INFINITY;
}

/* Both tails above e^-600 (pmf at y and y + 1): GSL's incomplete gamma cannot
 * underflow, so never reaches its error handler.  Far tails are short sums anyway. */
static int p_bulk(double y, double lam)
{
    double l = log(lam), lp = y * l - lam - mf_lfact(y);
    return lp > -600 && lp + l - log(y + 1) > -600;
}

/* Partials w.r.t. lambda into gl[0] (lcdf) and gh[0] (lccdf). */
static void p_cdf_closed(double y, double lam, double *lc, double *lcc, double *gl, double *gh)
{
    double lp = y * log(lam) - lam - mf_lfact(y);
    *lc = log_gamma_inc(y + 1, lam, 1);
    *lcc = log_gamma_inc(y + 1, lam, 0);
    *gl = isfinite(*lc) ? -exp(lp - *lc) : 0.0;
    *gh = isfinite(*lcc) ? exp(lp - *lcc) : 0.0;
}

static int y_nonneg(const double *v, DistErr *e)
{
    if (!(v[0] >= 0)) return du_fail(e, 0, 0, v[0], "must be non-negative");
    return 0;
}

static int p_check(const double *v, DistErr *e)
{
    if (!(v[1] >= 0)) return du_fail(e, 1, 0, v[1], "must be non-negative");
    return 0;
}

/* n log(lambda) - lambda - lgamma(n + 1), with 0 log 0 = 0. */
static double p_lpmf(const double *v, unsigned need, double *g)
{
    double n = v[0], lam = v[1];
    if (need & 2) g[1] = (n > 0 ? n / lam : 0.0) - 1.0;
    if (lam == INFINITY) return -INFINITY;
    return (n > 0 ? n * log(lam) : 0.0) - lam - mf_lfact(n);
}

static void p_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = INFINITY;
    *mode = floor(v[1]);
}

static int p_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    if (!(v[1] < POISSON_MAX_RATE)) return du_fail(e, 1, 0, v[1], "must be less than 2^30");
    *out = gsl_ran_poisson(r, v[1]);
    return 0;
}

static double p_up(const double *v, unsigned need, double *g)
{
    g[1] = 1.0 / v[1];
    return log(v[1]) - log(v[0] + 1);
}

static const DuUni U_p;

static void p_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    if (v[1] < P_CLOSED_RATE || !p_bulk(v[0], v[1])) {
        du_uni_cdf_sum(&U_p, v, need, lc, lcc, glc, glcc);
        return;
    }
    p_cdf_closed(v[0], v[1], lc, lcc, &glc[1], &glcc[1]);
}

static const DuUni U_p = { 2, "IR", p_check, y_nonneg, p_lpmf, p_support, 1, p_cdf1, p_rng, p_up };
DU_WRAP(p, U_p)

static const double p_test[][DIST_MAX_ARGS] = { { 3, 2.5 }, { 0, 0.1 }, { 12, 4.0 }, { 40, 55.0 }, { 1, 1e-6 } };

const Dist dist_poisson = {
    .name = "poisson", .discrete = 1, .nargs = 2, .argnames = { "variate", "rate" },
    .sig = "IR", .lpdf = p_w_lpmf, .lp1 = p_w_lp1, .rng = p_w_rng, .cdf = p_w_cdf, .lcdf = p_w_lcdf, .lccdf = p_w_lccdf,
    .ntest = 5, .test = p_test, .lo = 0, .hi = INFINITY,
};

/* ---- poisson_log ---- */

static int pl_check(const double *v, DistErr *e)
{
    if (isnan(v[1]) || v[1] == INFINITY) return du_fail(e, 1, 0, v[1], "must be finite or -inf");
    return 0;
}

static double pl_lpmf(const double *v, unsigned need, double *g)
{
    double n = v[0], a = v[1];
    if (need & 2) g[1] = n - exp(a);
    if (a == -INFINITY) return n == 0 ? 0.0 : -INFINITY;
    return n * a - exp(a) - mf_lfact(n);
}

static void pl_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = INFINITY;
    *mode = floor(exp(v[1]));
}

static int pl_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    double lam = exp(v[1]);
    if (!(lam < POISSON_MAX_RATE)) return du_fail(e, 1, 0, v[1], "must be less than log(2^30)");
    *out = gsl_ran_poisson(r, lam);
    return 0;
}

static double pl_up(const double *v, unsigned need, double *g)
{
    g[1] = 1.0;
    return v[1] - log(v[0] + 1);
}

static const DuUni U_pl;

static void pl_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double lam = exp(v[1]);
    if (lam < P_CLOSED_RATE || !p_bulk(v[0], lam)) {
        du_uni_cdf_sum(&U_pl, v, need, lc, lcc, glc, glcc);
        return;
    }
    p_cdf_closed(v[0], lam, lc, lcc, &glc[1], &glcc[1]);
    glc[1] *= lam;
    glcc[1] *= lam;
}

static const DuUni U_pl = { 2, "IR", pl_check, y_nonneg, pl_lpmf, pl_support, 1, pl_cdf1, pl_rng, pl_up };
DU_WRAP(pl, U_pl)

static const double pl_test[][DIST_MAX_ARGS] = { { 3, 0.9 }, { 0, -2.0 }, { 12, 1.4 }, { 40, 4.0 }, { 0, 2.0 } };

const Dist dist_poisson_log = {
    .name = "poisson_log", .discrete = 1, .nargs = 2, .argnames = { "variate", "log rate" },
    .sig = "IR", .lpdf = pl_w_lpmf, .lp1 = pl_w_lp1, .rng = pl_w_rng, .cdf = pl_w_cdf, .lcdf = pl_w_lcdf,
    .lccdf = pl_w_lccdf, .ntest = 5, .test = pl_test, .lo = 0, .hi = INFINITY,
};
