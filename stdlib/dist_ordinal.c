/* ordered_logistic(k | eta, c) and discrete_range(y | lower, upper). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

/* ---- ordered_logistic: P(k) = inv_logit(eta - c[k-2]) - inv_logit(eta - c[k-1]),
 * with c[-1] = -inf and c[K-1] = +inf (K = size(c) + 1 categories). ---- */

static int check_cuts(const double *c, int m, long oc, DistErr *e)
{
    for (int j = 0; j < m; j++) {
        if (!isfinite(c[j])) return du_fail(e, 2, oc + j, c[j], "must be finite");
        if (j > 0 && !(c[j] > c[j - 1])) return du_fail(e, 2, oc + j, c[j], "must be strictly increasing");
    }
    return 0;
}

/* log(inv_logit(a) - inv_logit(b)), a > b, as
 * a + log1m_exp(b - a) - log1p_exp(a) - log1p_exp(b); da, db its partials. */
static double log_inv_logit_diff(double a, double b, double *da, double *db)
{
    double em = expm1(a - b);
    *da = 1.0 - mf_inv_logit(a, NULL) + 1.0 / em;
    *db = -1.0 / em - mf_inv_logit(b, NULL);
    return a + mf_log1m_exp(b - a, NULL) - du_log1p_exp(a) - du_log1p_exp(b);
}

static int ol_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int m = du_len(&a[2]), K = m + 1;
    double lp = 0;
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oe = du_off(&a[1], i), oc = du_off(&a[2], i);
        const double *c = a[2].x + oc;
        double eta = a[1].x[oe], ge = 0, gc0 = 0, gc1 = 0;
        int y = a[0].iv[oy];
        if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
        if ((i == 0 || a[2].stride) && check_cuts(c, m, oc, e) < 0) return -1;
        if (y < 1 || y > K) return du_fail(e, 0, oy, y, "must be in 1..K");
        if (y == 1) {                               /* log(1 - inv_logit(eta - c0)) */
            lp += mf_log1m_inv_logit(eta - c[0], &ge);
            gc1 = -ge;
        } else if (y == K) {                        /* log inv_logit(eta - c[K-2]) */
            lp += mf_log_inv_logit(eta - c[m - 1], &ge);
            gc0 = -ge;
        } else {
            double da, db;
            lp += log_inv_logit_diff(eta - c[y - 2], eta - c[y - 1], &da, &db);
            ge = da + db;
            gc0 = -da;
            gc1 = -db;
        }
        if (d && d[1]) d[1][oe] += ge;
        if (d && d[2]) {
            if (y > 1) d[2][oc + y - 2] += gc0;
            if (y < K) d[2][oc + y - 1] += gc1;
        }
    }
    *out = lp;
    return 0;
}

/* P(y <= k) = inv_logit(c[k-1] - eta): find the first k with u below it. */
static int ol_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oe = du_off(&a[0], i), oc = du_off(&a[1], i);
    const double *c = a[1].x + oc;
    int m = du_len(&a[1]);
    double eta = a[0].x[oe], u = gsl_rng_uniform(r);
    if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    if (check_cuts(c, m, oc, e) < 0) return -1;
    int k = 0;
    while (k < m && !(u < mf_inv_logit(c[k] - eta, NULL))) k++;
    *out = k + 1;
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_ordered_logistic = {
    .name = "ordered_logistic", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "cut points" }, .sig = "IRV",
    .lpdf = ol_lpmf, .rng = ol_rng, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};

/* ---- discrete_range: uniform on lower..upper ---- */

static int dr_check(const double *v, DistErr *e)
{
    if (!(v[1] <= v[2])) return du_fail(e, 1, 0, v[1], "must be at most the upper bound");
    return 0;
}

static double dr_lpmf(const double *v, unsigned need, double *g)
{
    if (v[0] < v[1] || v[0] > v[2]) return -INFINITY;
    return -log(v[2] - v[1] + 1.0);
}

static void dr_support(const double *v, double *lo, double *hi, double *mode)
{
    *lo = v[1];
    *hi = v[2];
    *mode = v[1];
}

static void dr_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double w = v[2] - v[1] + 1.0;
    *lc = log((v[0] - v[1] + 1.0) / w);
    *lcc = log((v[2] - v[0]) / w);
}

static int dr_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    double w = v[2] - v[1] + 1.0;
    /* gsl_rng_uniform_int needs w <= the generator's range: use a double draw beyond. */
    if (w <= (double)gsl_rng_max(r) - (double)gsl_rng_min(r))
        *out = v[1] + (double)gsl_rng_uniform_int(r, (unsigned long)w);
    else
        *out = v[1] + floor(gsl_rng_uniform(r) * w);
    return 0;
}

static const DuUni U_dr = { 3, "III", dr_check, NULL, dr_lpmf, dr_support, 0, dr_cdf1, dr_rng };
DU_WRAP(dr, U_dr)

static const double dr_test[][DIST_MAX_ARGS] = { { 2, 1, 5 }, { -3, -4, 0 }, { 7, 7, 7 } };

const Dist dist_discrete_range = {
    .name = "discrete_range", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "lower bound", "upper bound" }, .sig = "III",
    .lpdf = dr_w_lpmf, .rng = dr_w_rng, .cdf = dr_w_cdf, .lcdf = dr_w_lcdf, .lccdf = dr_w_lccdf,
    .ntest = 3, .test = dr_test, .lo = -INFINITY, .hi = INFINITY,
};
