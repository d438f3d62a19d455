/* normal_id_glm(y | X, alpha, beta, sigma): y_i ~ normal(alpha_i + X[i] . beta, sigma_i).
 * y has n elements, X is one n x K matrix (column-major, stride 0), alpha and sigma
 * are scalars or n-vectors, beta a K-vector.  Stan has no rng and no cdf for it. */
#include <math.h>
#include "dist_util.h"

#define LOG_SQRT_2PI 0.91893853320467274178

static int glm_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *al = &a[2], *be = &a[3], *sg = &a[4];
    int K = du_len(be);
    if (X->stride != 0 || X->rows != n) return du_fail(e, 1, 0, X->rows, "must have one row per element of the variate");
    if (X->cols != K) return du_fail(e, 1, 0, X->cols, "must have one column per coefficient");
    if (be->stride != 0 && n > 1) return du_fail(e, 3, 0, n, "must be one vector");
    if (du_check_finite(X->x, (long)n * K, 1, 0, e) < 0) return -1;
    if (du_check_finite(be->x, K, 3, 0, e) < 0) return -1;
    double lp = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oa = du_off(al, i), os = du_off(sg, i);
        double y = a[0].x[oy], s = sg->x[os], mu = al->x[oa];
        if (isnan(y)) return du_fail(e, 0, oy, y, "must not be NaN");
        if (!isfinite(mu)) return du_fail(e, 2, oa, mu, "must be finite");
        if (!(s > 0 && isfinite(s))) return du_fail(e, 4, os, s, "must be positive finite");
        for (int j = 0; j < K; j++) mu += X->x[i + (long)n * j] * be->x[j];
        double z = (y - mu) / s, r = z / s;         /* r = d lp / d mu */
        lp += -LOG_SQRT_2PI - log(s) - 0.5 * z * z;
        if (!d) continue;
        if (d[0]) d[0][oy] -= r;
        if (d[2]) d[2][oa] += r;
        if (d[4]) d[4][os] += (z * z - 1.0) / s;
        for (int j = 0; j < K; j++) {
            if (d[3]) d[3][j] += X->x[i + (long)n * j] * r;
            if (d[1]) d[1][i + (long)n * j] += be->x[j] * r;
        }
    }
    *out = lp;
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_normal_id_glm = {
    .name = "normal_id_glm", .discrete = 0, .nargs = 5,
    .argnames = { "variate", "design matrix", "intercept", "coefficients", "scale" },
    .sig = "RMRVR", .lpdf = glm_lpdf, .rng = NULL, .ntest = 0, .test = no_test,
    .lo = -INFINITY, .hi = INFINITY,
};
