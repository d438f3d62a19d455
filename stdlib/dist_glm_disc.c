/* The discrete GLMs: bernoulli_logit_glm(y | X, alpha, beta),
 * poisson_log_glm(y | X, alpha, beta) and neg_binomial_2_log_glm(y | X, alpha, beta,
 * phi): y_i ~ FAMILY(eta_i [, phi_i]) with eta_i = alpha_i + X[i] . beta.  y has n
 * elements (ints), X is one n x K matrix (column-major, stride 0), alpha and phi
 * scalars or n-vectors, beta a K-vector, as normal_id_glm (dist_glm.c).
 *
 * Rows go in blocks of GLM_BLOCK: the block's eta = alpha + X beta (BLAS dgemv),
 * each row's log pmf and d/d eta, then X' r (dgemv) into beta's partials; stack
 * buffers only, so no allocation whatever n is.  X is not scanned for non-finite
 * values up front: a non-finite eta sends its row to that check (alpha and beta are
 * checked first).  bernoulli_logit and poisson_log are written out here (one exp and
 * one log1p, or one exp, per row); neg_binomial_2_log calls the table's kernel per
 * row for its numerics and its check of phi, without d/d phi when phi is data.
 * bench_glm measures them against family(a + X * b): a row call through the table
 * with scalar loops over X was 4x slower than that for bernoulli.  Stan 2.21 has no
 * rng and no cdf for them. */
#include <math.h>
#include <cblas.h>
#include "dist_util.h"
#include "mathfn_impl.h"

enum { GLM_BLOCK = 256 };

extern const Dist dist_neg_binomial_2_log;

/* One row: log pmf at eta and d/d eta (and d/d phi unless dphi is NULL); returns 0,
 * or -1 with e filled (arg and value; the caller sets the index). */
typedef int (*GlmRow)(int y, double eta, double phi, double *lp, double *deta, double *dphi, DistErr *e);

static int bern_row(int y, double eta, double phi, double *lp, double *deta, double *dphi, DistErr *e)
{
    (void)phi; (void)dphi;
    if (y != 0 && y != 1) return du_fail(e, 0, 0, y, "must be 0 or 1");
    /* t = exp(-|eta|): log1p_exp(eta) = max(eta, 0) + log1p(t) without overflow */
    double t = exp(-fabs(eta)), l = log1p(t), p = eta >= 0 ? 1 / (1 + t) : t / (1 + t);
    *lp = y ? -(eta >= 0 ? l : l - eta) : -(eta >= 0 ? eta + l : l);
    *deta = y - p;
    return 0;
}

static int pois_row(int y, double eta, double phi, double *lp, double *deta, double *dphi, DistErr *e)
{
    (void)phi; (void)dphi;
    if (y < 0) return du_fail(e, 0, 0, y, "must be non-negative");
    double lam = exp(eta);
    *lp = y * eta - lam - mf_lfact(y);
    *deta = y - lam;
    return 0;
}

static int nb2_row(int y, double eta, double phi, double *lp, double *deta, double *dphi, DistErr *e)
{
    DArg u[3] = { { NULL, &y, 0, 1, 1 }, { &eta, NULL, 0, 1, 1 }, { &phi, NULL, 0, 1, 1 } };
    *deta = 0;
    if (dphi) *dphi = 0;
    double *du[3] = { NULL, deta, dphi };     /* no d/d phi (two digammas) when phi is data */
    return dist_neg_binomial_2_log.lpdf(1, u, lp, du, e);
}

/* always inlined into each family's entry point, so that `row` is a known function
 * there and is inlined into the row loop */
static inline __attribute__((always_inline)) int glm_rows(GlmRow row, int nargs, int n, const DArg *a, double *out,
                                                          double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *al = &a[2], *be = &a[3], *ph = nargs > 4 ? &a[4] : NULL;
    int K = du_len(be);
    if (X->stride != 0 || X->rows != n) return du_fail(e, 1, 0, X->rows, "must have one row per element of the variate");
    if (X->cols != K) return du_fail(e, 1, 0, X->cols, "must have one column per coefficient");
    if (be->stride != 0 && n > 1) return du_fail(e, 3, 0, n, "must be one vector");
    if (du_check_finite(be->x, K, 3, 0, e) < 0) return -1;
    double eta[GLM_BLOCK], r[GLM_BLOCK], lp = 0;
    for (int i0 = 0; i0 < n; i0 += GLM_BLOCK) {
        int m = n - i0 < GLM_BLOCK ? n - i0 : GLM_BLOCK;
        for (int i = 0; i < m; i++) {
            long oa = du_off(al, i0 + i);
            eta[i] = al->x[oa];
            if (!isfinite(eta[i])) return du_fail(e, 2, oa, eta[i], "must be finite");
        }
        if (K > 0) cblas_dgemv(CblasColMajor, CblasNoTrans, m, K, 1.0, X->x + i0, n, be->x, 1, 1.0, eta, 1);
        for (int i = 0; i < m; i++) {
            long oy = du_off(&a[0], i0 + i), op = ph ? du_off(ph, i0 + i) : 0, oa = du_off(al, i0 + i);
            double li = 0, rphi = 0;
            DistErr fe;
            if (!isfinite(eta[i])) {        /* X's row is not finite (alpha and beta are), or X[i] . beta overflows */
                for (int j = 0; j < K; j++)
                    if (!isfinite(X->x[i0 + i + (long)n * j]))
                        return du_fail(e, 1, i0 + i + (long)n * j, X->x[i0 + i + (long)n * j], "must be finite");
                return du_fail(e, 2, oa, al->x[oa], "plus X * beta overflows");
            }
            if (row(a[0].iv[oy], eta[i], ph ? ph->x[op] : 0, &li, &r[i], ph && d && d[4] ? &rphi : NULL, &fe)) {
                if (fe.arg == 0) return du_fail(e, 0, oy, fe.value, fe.what);
                if (fe.arg == 2) return du_fail(e, 4, op, fe.value, fe.what);
                return du_fail(e, 2, oa, eta[i], "plus X * beta gives an invalid linear predictor");
            }
            if (!isfinite(li)) return du_fail(e, 2, oa, eta[i], "plus X * beta gives a row of zero probability");
            lp += li;
            if (d && d[2]) d[2][oa] += r[i];
            if (d && ph && d[4]) d[4][op] += rphi;
        }
        if (!d) continue;
        if (d[3] && K > 0) cblas_dgemv(CblasColMajor, CblasTrans, m, K, 1.0, X->x + i0, n, r, 1, 1.0, d[3], 1);
        if (d[1])
            for (int j = 0; j < K; j++) {
                double bj = be->x[j], *dx = d[1] + (long)n * j + i0;
                for (int i = 0; i < m; i++) dx[i] += bj * r[i];
            }
    }
    *out = lp;
    return 0;
}

static int bern_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_rows(bern_row, 4, n, a, out, d, e);
}

static int pois_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_rows(pois_row, 4, n, a, out, d, e);
}

static int nb2_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    return glm_rows(nb2_row, 5, n, a, out, d, e);
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
