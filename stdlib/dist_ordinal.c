/* ordered_logistic(k | eta, c), ordered_probit(k | eta, c) and discrete_range(y | lower, upper). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

/* ---- ordered_logistic and ordered_probit: P(k) = F(eta - c[k-2]) - F(eta - c[k-1]),
 * with c[-1] = -inf and c[K-1] = +inf (K = size(c) + 1 categories), F the link's CDF.
 * One loop serves both links; a link gives the three cases of log P(k) with their
 * partials, and F for the draws. ---- */

typedef struct OrdLink {
    double (*first)(double eta, double c0, double *ge);     /* log(1 - F(eta - c0)), d/deta */
    double (*last)(double eta, double cl, double *ge);      /* log F(eta - cl), d/deta */
    double (*diff)(double a, double b, double *da, double *db);   /* log(F(a) - F(b)), a > b */
    double (*cdf)(double x);
} OrdLink;

static int check_cuts(const double *c, int m, long oc, DistErr *e)
{
    for (int j = 0; j < m; j++) {
        if (!isfinite(c[j])) return du_fail(e, 2, oc + j, c[j], "must be finite");
        if (j > 0 && !(c[j] > c[j - 1])) return du_fail(e, 2, oc + j, c[j], "must be strictly increasing");
    }
    return 0;
}

static int ord_lpmf(const OrdLink *L, int n, const DArg *a, double *out, double *const *d, DistErr *e)
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
        if (y == 1) {
            lp += L->first(eta, c[0], &ge);
            gc1 = -ge;
        } else if (y == K) {
            lp += L->last(eta, c[m - 1], &ge);
            gc0 = -ge;
        } else {
            double da, db;
            lp += L->diff(eta - c[y - 2], eta - c[y - 1], &da, &db);
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

/* P(y <= k) = F(c[k-1] - eta): the first k with u below it. */
static int ord_rng(const OrdLink *L, gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oe = du_off(&a[0], i), oc = du_off(&a[1], i);
    const double *c = a[1].x + oc;
    int m = du_len(&a[1]);
    double eta = a[0].x[oe], u = gsl_rng_uniform(r);
    if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    if (check_cuts(c, m, oc, e) < 0) return -1;
    int k = 0;
    while (k < m && !(u < L->cdf(c[k] - eta))) k++;
    *out = k + 1;
    return 0;
}

/* logit: F = inv_logit.  log(inv_logit(a) - inv_logit(b)), a > b, as
 * a + log1m_exp(b - a) - log1p_exp(a) - log1p_exp(b). */
static double ol_first(double eta, double c0, double *ge) { return mf_log1m_inv_logit(eta - c0, ge); }
static double ol_last(double eta, double cl, double *ge) { return mf_log_inv_logit(eta - cl, ge); }
static double ol_diff(double a, double b, double *da, double *db)
{
    double em = expm1(a - b);
    *da = 1.0 - mf_inv_logit(a, NULL) + 1.0 / em;
    *db = -1.0 / em - mf_inv_logit(b, NULL);
    return a + mf_log1m_exp(b - a, NULL) - du_log1p_exp(a) - du_log1p_exp(b);
}
static double ol_cdf(double x) { return mf_inv_logit(x, NULL); }
static const OrdLink link_logit = {ol_first, ol_last, ol_diff, ol_cdf};

/* probit: F = Phi.  The difference of two Phi is taken in the tail where both are
 * small (Phi(a) - Phi(b) = Phi(-b) - Phi(-a)) so that it keeps its digits. */
static double log_Phi(double x) { return log(0.5 * erfc(-x * M_SQRT1_2)); }
static double log_phi(double x) { return -0.5 * x * x - 0.91893853320467274178; }
static double op_first(double eta, double c0, double *ge)   /* log Phi(c0 - eta) */
{
    double x = c0 - eta, v = log_Phi(x);
    *ge = -exp(log_phi(x) - v);
    return v;
}
static double op_last(double eta, double cl, double *ge)    /* log Phi(eta - cl) */
{
    double x = eta - cl, v = log_Phi(x);
    *ge = exp(log_phi(x) - v);
    return v;
}
static double op_diff(double a, double b, double *da, double *db)
{
    double la, lb;
    if (a + b > 0) { la = log_Phi(-b); lb = log_Phi(-a); }
    else { la = log_Phi(a); lb = log_Phi(b); }
    double v = la + log1p(-exp(lb - la));
    *da = exp(log_phi(a) - v);
    *db = -exp(log_phi(b) - v);
    return v;
}
static double op_cdf(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }
static const OrdLink link_probit = {op_first, op_last, op_diff, op_cdf};

static int ol_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e) { return ord_lpmf(&link_logit, n, a, out, d, e); }
static int ol_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e) { return ord_rng(&link_logit, r, a, i, out, e); }
static int opr_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e) { return ord_lpmf(&link_probit, n, a, out, d, e); }
static int opr_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e) { return ord_rng(&link_probit, r, a, i, out, e); }

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_ordered_logistic = {
    .name = "ordered_logistic", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "cut points" }, .sig = "IRV",
    .lpdf = ol_lpmf, .rng = ol_rng, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};

const Dist dist_ordered_probit = {
    .name = "ordered_probit", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "cut points" }, .sig = "IRV",
    .lpdf = opr_lpmf, .rng = opr_rng, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
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
    .lpdf = dr_w_lpmf, .lp1 = dr_w_lp1, .rng = dr_w_rng, .cdf = dr_w_cdf, .lcdf = dr_w_lcdf, .lccdf = dr_w_lccdf,
    .ntest = 3, .test = dr_test, .lo = -INFINITY, .hi = INFINITY,
};
