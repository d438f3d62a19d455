/* The discrete GLMs: bernoulli_logit_glm(y | X, alpha, beta) and
 * poisson_log_glm(y | X, alpha, beta), y_i ~ bernoulli_logit(eta_i) or
 * poisson_log(eta_i) with eta_i = alpha_i + X[i] . beta.  y has n elements (ints),
 * X is one n x K matrix (column-major, stride 0), alpha a scalar or n-vector, beta
 * a K-vector, as normal_id_glm (dist_glm.c).  Each family is its log pmf in eta and
 * d/d eta; the loop over rows, the checks and the chain rule into X, alpha and beta
 * are shared.  Stan 2.21 has no rng and no cdf for them. */
#include <math.h>
#include "dist_util.h"

/* log p(y | eta) and d/d eta; returns 0, or -1 when y is outside the support */
typedef int (*GlmFam)(int y, double eta, double *lp, double *deta);

static int bern_fam(int y, double eta, double *lp, double *deta)
{
    if (y != 0 && y != 1) return -1;
    /* log inv_logit(eta) = -log1p_exp(-eta); log1m_inv_logit(eta) = -log1p_exp(eta) */
    double p = eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta));
    *lp = y ? -du_log1p_exp(-eta) : -du_log1p_exp(eta);
    *deta = y - p;
    return 0;
}

static int pois_fam(int y, double eta, double *lp, double *deta)
{
    if (y < 0) return -1;
    double lam = exp(eta);
    *lp = y * eta - lam - lgamma(y + 1.0);
    *deta = y - lam;
    return 0;
}

static int glm_disc(GlmFam fam, const char *ywhat, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *al = &a[2], *be = &a[3];
    int K = du_len(be);
    if (X->stride != 0 || X->rows != n) return du_fail(e, 1, 0, X->rows, "must have one row per element of the variate");
    if (X->cols != K) return du_fail(e, 1, 0, X->cols, "must have one column per coefficient");
    if (be->stride != 0 && n > 1) return du_fail(e, 3, 0, n, "must be one vector");
    if (du_check_finite(X->x, (long)n * K, 1, 0, e) < 0) return -1;
    if (du_check_finite(be->x, K, 3, 0, e) < 0) return -1;
    double lp = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oa = du_off(al, i);
        double eta = al->x[oa], li, r;
        if (!isfinite(eta)) return du_fail(e, 2, oa, eta, "must be finite");
        for (int j = 0; j < K; j++) eta += X->x[i + (long)n * j] * be->x[j];
        if (fam(a[0].iv[oy], eta, &li, &r)) return du_fail(e, 0, oy, a[0].iv[oy], ywhat);
        if (!isfinite(li)) return du_fail(e, 2, oa, eta, "plus X * beta must give a finite log probability");
        lp += li;
        if (!d) continue;
        if (d[2]) d[2][oa] += r;
        for (int j = 0; j < K; j++) {
            if (d[3]) d[3][j] += X->x[i + (long)n * j] * r;
            if (d[1]) d[1][i + (long)n * j] += be->x[j] * r;
        }
    }
    *out = lp;
    return 0;
}

static int bern_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_disc(bern_fam, "must be 0 or 1", n, a, out, d, e);
}

static int pois_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_disc(pois_fam, "must be >= 0", n, a, out, d, e);
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_bernoulli_logit_glm = {
    .name = "bernoulli_logit_glm", .discrete = 1, .nargs = 4,
    .argnames = { "variate", "design matrix", "intercept", "coefficients" },
    .sig = "IMRV", .lpdf = bern_lpmf, .rng = NULL, .ntest = 0, .test = no_test, .lo = 0, .hi = 1,
};

const Dist dist_poisson_log_glm = {
    .name = "poisson_log_glm", .discrete = 1, .nargs = 4,
    .argnames = { "variate", "design matrix", "intercept", "coefficients" },
    .sig = "IMRV", .lpdf = pois_lpmf, .rng = NULL, .ntest = 0, .test = no_test, .lo = 0, .hi = INFINITY,
};
