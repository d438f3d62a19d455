/* ordered_probit(k | eta, c), as Stan's. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"

static const double no_test[1][DIST_MAX_ARGS];

/* ---- ordered_probit(k | eta, c): P(k) = Phi(eta - c[k-2]) - Phi(eta - c[k-1]),
 * c[-1] = -inf, c[K-1] = +inf; the difference of two Phi taken in the tail where
 * both are small (Phi(a) - Phi(b) = Phi(-b) - Phi(-a)) so that it keeps its digits. */

static double log_Phi(double x) { return log(0.5 * erfc(-x * M_SQRT1_2)); }
static double log_phi(double x) { return -0.5 * x * x - 0.91893853320467274178; }

/* log(Phi(a) - Phi(b)), a > b; da, db its partials */
static double log_Phi_diff(double a, double b, double *da, double *db)
{
    double la, lb;
    if (a + b > 0) { la = log_Phi(-b); lb = log_Phi(-a); }
    else { la = log_Phi(a); lb = log_Phi(b); }
    double v = la + log1p(-exp(lb - la));
    *da = exp(log_phi(a) - v);
    *db = -exp(log_phi(b) - v);
    return v;
}

static int op_check_cuts(const double *c, int m, long oc, DistErr *e)
{
    for (int j = 0; j < m; j++) {
        if (!isfinite(c[j])) return du_fail(e, 2, oc + j, c[j], "must be finite");
        if (j > 0 && !(c[j] > c[j - 1])) return du_fail(e, 2, oc + j, c[j], "must be strictly increasing");
    }
    return 0;
}

static int opr_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
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
        if ((i == 0 || a[2].stride) && op_check_cuts(c, m, oc, e) < 0) return -1;
        if (y < 1 || y > K) return du_fail(e, 0, oy, y, "must be in 1..K");
        if (y == 1) {                               /* log Phi(c0 - eta) */
            double x = c[0] - eta, v = log_Phi(x);
            lp += v;
            gc1 = exp(log_phi(x) - v);
            ge = -gc1;
        } else if (y == K) {                        /* log Phi(eta - c[K-2]) */
            double x = eta - c[m - 1], v = log_Phi(x);
            lp += v;
            ge = exp(log_phi(x) - v);
            gc0 = -ge;
        } else {
            double da, db;
            lp += log_Phi_diff(eta - c[y - 2], eta - c[y - 1], &da, &db);
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

/* P(y <= k) = Phi(c[k-1] - eta) */
static int opr_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oe = du_off(&a[0], i), oc = du_off(&a[1], i);
    const double *c = a[1].x + oc;
    int m = du_len(&a[1]);
    double eta = a[0].x[oe], u = gsl_rng_uniform(r);
    if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    if (op_check_cuts(c, m, oc, e) < 0) return -1;
    int k = 0;
    while (k < m && !(u < 0.5 * erfc(-(c[k] - eta) * M_SQRT1_2))) k++;
    *out = k + 1;
    return 0;
}

const Dist dist_ordered_probit = {
    .name = "ordered_probit", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "cut points" }, .sig = "IRV",
    .lpdf = opr_lpmf, .rng = opr_rng, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};
