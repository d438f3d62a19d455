/* bernoulli(y | theta) and bernoulli_logit(y | alpha), y in {0, 1}. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static int y01(const double *v, DistErr *e)
{
    if (v[0] != 0.0 && v[0] != 1.0) return du_fail(e, 0, 0, v[0], "must be 0 or 1");
    return 0;
}

static void support01(const double *v, double *lo, double *hi, double *mode)
{
    (void)v;
    *lo = 0;
    *hi = 1;
    *mode = 1;     /* unused: closed-form cdf */
}

/* ---- bernoulli ---- */

static int b_check(const double *v, DistErr *e)
{
    if (!(v[1] >= 0.0 && v[1] <= 1.0)) return du_fail(e, 1, 0, v[1], "must be in [0, 1]");
    return 0;
}

static double b_lpmf(const double *v, unsigned need, double *g)
{
    double th = v[1];
    if (need & 2) g[1] = v[0] == 1.0 ? 1.0 / th : -1.0 / (1.0 - th);
    return v[0] == 1.0 ? log(th) : log1p(-th);
}

/* P(y <= 0) = 1 - theta. */
static void b_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double th = v[1];
    *lc = log1p(-th);
    *lcc = log(th);
    glc[1] = -1.0 / (1.0 - th);
    glcc[1] = 1.0 / th;
}

static int b_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    *out = gsl_ran_bernoulli(r, v[1]);
    return 0;
}

static const DuUni U_bern = { 2, "IR", b_check, y01, b_lpmf, support01, 1, b_cdf1, b_rng };
DU_WRAP(bern, U_bern)

static const double bern_test[][DIST_MAX_ARGS] = { { 1, 0.3 }, { 0, 0.3 }, { 1, 0.9 }, { 0, 0.02 } };

const Dist dist_bernoulli = {
    .name = "bernoulli", .discrete = 1, .nargs = 2, .argnames = { "variate", "chance of success" },
    .sig = "IR", .lpdf = bern_w_lpmf, .lp1 = bern_w_lp1, .rng = bern_w_rng, .cdf = bern_w_cdf, .lcdf = bern_w_lcdf,
    .lccdf = bern_w_lccdf, .ntest = 4, .test = bern_test, .lo = 0, .hi = 1,
};

/* ---- bernoulli_logit: theta = inv_logit(alpha) ---- */

static int bl_check(const double *v, DistErr *e)
{
    if (isnan(v[1])) return du_fail(e, 1, 0, v[1], "must not be NaN");
    return 0;
}

static double bl_lpmf(const double *v, unsigned need, double *g)
{
    double a = v[1];
    if (need & 2) g[1] = v[0] == 1.0 ? mf_inv_logit(-a, NULL) : -mf_inv_logit(a, NULL);
    return v[0] == 1.0 ? mf_log_inv_logit(a, NULL) : mf_log1m_inv_logit(a, NULL);
}

static void bl_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double a = v[1];
    *lc = mf_log1m_inv_logit(a, NULL);
    *lcc = mf_log_inv_logit(a, NULL);
    glc[1] = -mf_inv_logit(a, NULL);
    glcc[1] = mf_inv_logit(-a, NULL);
}

static int bl_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    *out = gsl_ran_bernoulli(r, mf_inv_logit(v[1], NULL));
    return 0;
}

static const DuUni U_bl = { 2, "IR", bl_check, y01, bl_lpmf, support01, 1, bl_cdf1, bl_rng };
DU_WRAP(bl, U_bl)

static const double bl_test[][DIST_MAX_ARGS] = { { 1, 0.3 }, { 0, -2.0 }, { 1, 4.0 }, { 0, 30.0 } };

const Dist dist_bernoulli_logit = {
    .name = "bernoulli_logit", .discrete = 1, .nargs = 2,
    .argnames = { "variate", "log odds of success" },
    .sig = "IR", .lpdf = bl_w_lpmf, .lp1 = bl_w_lp1, .rng = bl_w_rng, .cdf = bl_w_cdf, .lcdf = bl_w_lcdf,
    .lccdf = bl_w_lccdf, .ntest = 4, .test = bl_test, .lo = 0, .hi = 1,
};
