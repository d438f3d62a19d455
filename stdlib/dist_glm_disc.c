/* The discrete GLMs: bernoulli_logit_glm(y | X, alpha, beta),
 * poisson_log_glm(y | X, alpha, beta) and neg_binomial_2_log_glm(y | X, alpha, beta,
 * phi): y_i ~ FAMILY(eta_i [, phi_i]) with eta_i = alpha_i + X[i] . beta, FAMILY the
 * table's bernoulli_logit, poisson_log or neg_binomial_2_log.  y has n elements
 * (ints), X is one n x K matrix (column-major, stride 0), alpha and phi scalars or
 * n-vectors, beta a K-vector, as normal_id_glm (dist_glm.c).
 *
 * Each row calls the family's own kernel (its numerics, support checks and partials
 * are tested in test_dist_disc) with eta and gets d/d eta and d/d phi back; the loop,
 * the design's checks and the chain rule into X, alpha and beta are shared here.
 * Stan 2.21 has no rng and no cdf for them. */
#include <math.h>
#include "dist_util.h"

extern const Dist dist_bernoulli_logit, dist_poisson_log, dist_neg_binomial_2_log;

static int glm_rows(const Dist *fam, int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *al = &a[2], *be = &a[3], *ph = fam->nargs > 2 ? &a[4] : NULL;
    int K = du_len(be);
    if (X->stride != 0 || X->rows != n) return du_fail(e, 1, 0, X->rows, "must have one row per element of the variate");
    if (X->cols != K) return du_fail(e, 1, 0, X->cols, "must have one column per coefficient");
    if (be->stride != 0 && n > 1) return du_fail(e, 3, 0, n, "must be one vector");
    if (du_check_finite(X->x, (long)n * K, 1, 0, e) < 0) return -1;
    if (du_check_finite(be->x, K, 3, 0, e) < 0) return -1;
    double lp = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oa = du_off(al, i), op = ph ? du_off(ph, i) : 0;
        double eta = al->x[oa], li, r = 0, rphi = 0;
        if (!isfinite(eta)) return du_fail(e, 2, oa, eta, "must be finite");
        for (int j = 0; j < K; j++) eta += X->x[i + (long)n * j] * be->x[j];
        DArg u[3] = { { NULL, &a[0].iv[oy], 0, 1, 1 }, { &eta, NULL, 0, 1, 1 }, { ph ? &ph->x[op] : NULL, NULL, 0, 1, 1 } };
        double *du[3] = { NULL, d ? &r : NULL, d && ph && d[4] ? &rphi : NULL };
        DistErr fe;
        if (fam->lpdf(1, u, &li, du, &fe)) {
            if (fe.arg == 0) return du_fail(e, 0, oy, fe.value, fe.what);
            if (fe.arg == 2) return du_fail(e, 4, op, fe.value, fe.what);
            return du_fail(e, 2, oa, eta, "plus X * beta gives an invalid linear predictor");
        }
        if (!isfinite(li)) return du_fail(e, 2, oa, eta, "plus X * beta gives a row of zero probability");
        lp += li;
        if (!d) continue;
        if (d[2]) d[2][oa] += r;
        if (du[2]) d[4][op] += rphi;
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
    return glm_rows(&dist_bernoulli_logit, n, a, out, d, e);
}

static int pois_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_rows(&dist_poisson_log, n, a, out, d, e);
}

static int nb2_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_rows(&dist_neg_binomial_2_log, n, a, out, d, e);
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

const Dist dist_neg_binomial_2_log_glm = {
    .name = "neg_binomial_2_log_glm", .discrete = 1, .nargs = 5,
    .argnames = { "variate", "design matrix", "intercept", "coefficients", "precision" },
    .sig = "IMRVR", .lpdf = nb2_lpmf, .rng = NULL, .ntest = 0, .test = no_test, .lo = 0, .hi = INFINITY,
};
