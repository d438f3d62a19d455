/* lkj_corr(Omega | eta) and lkj_corr_cholesky(L | eta) (Lewandowski, Kurowicka and
 * Joe 2009).  Density det(Omega)^(eta - 1) / c_K(eta) with
 *   log c_K(eta) = sum_{k=1}^{K-1} [ (2 eta - 2 + K - k)(K - k) log 2
 *                                    + (K - k) lbeta(b_k, b_k) ],  b_k = eta + (K-k-1)/2. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static double lkj_logc(double eta, int K, double *deta)
{
    double s = 0, ds = 0;
    for (int k = 1; k < K; k++) {
        double m = K - k, b = eta + 0.5 * (K - k - 1);
        s += (2 * eta - 2 + m) * m * M_LN2 + m * mf_lbeta_raw(b, b);
        ds += 2 * m * M_LN2 + 2 * m * (mf_psi(b) - mf_psi(2 * b));
    }
    if (deta) *deta = ds;
    return s;
}

static int check_eta(const DArg *a, int k, int i, DistErr *e)
{
    long o = du_off(a, i);
    if (!(a->x[o] > 0 && isfinite(a->x[o]))) return du_fail(e, k, o, a->x[o], "must be positive finite");
    return 0;
}

/* Cholesky factor of a correlation matrix: lower triangular, positive diagonal, rows of
 * unit length (within 1e-8). */
static int check_corr_chol(const double *L, int K, long o, DistErr *e)
{
    for (int p = 0; p < K; p++) {
        double s = 0;
        for (int q = 0; q < K; q++) {
            double x = L[p + (long)K * q];
            if (!isfinite(x)) return du_fail(e, 0, o + p + (long)K * q, x, "must be finite");
            if (q > p && x != 0.0) return du_fail(e, 0, o + p + (long)K * q, x, "must be lower triangular");
            if (q == p && !(x > 0)) return du_fail(e, 0, o + p + (long)K * q, x, "must have a positive diagonal");
            s += x * x;
        }
        if (!(fabs(s - 1.0) <= 1e-8)) return du_fail(e, 0, o + p, s, "must have rows of unit length");
    }
    return 0;
}

/* log density of L: -log c + sum_{j=1}^{K-1} (K - j - 3 + 2 eta) log L_jj (0-based j),
 * the det(Omega)^(eta-1) term plus the Jacobian of Omega = L L'. */
static int lkjc_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = a[0].rows;
    double lp = 0;
    if (a[0].cols != K) return du_fail(e, 0, 0, a[0].cols, "must be square");
    for (int i = 0; i < n; i++) {
        long oL = du_off(&a[0], i), oe = du_off(&a[1], i);
        const double *L = a[0].x + oL;
        if (check_corr_chol(L, K, oL, e) < 0 || check_eta(&a[1], 1, i, e) < 0) return -1;
        double eta = a[1].x[oe], dc, sl = 0;
        lp -= lkj_logc(eta, K, &dc);
        for (int j = 1; j < K; j++) {
            double Ljj = L[j + (long)K * j], coef = K - j - 3 + 2 * eta;
            lp += coef * log(Ljj);
            sl += log(Ljj);
            if (d && d[0]) d[0][oL + j + (long)K * j] += coef / Ljj;
        }
        if (d && d[1]) d[1][oe] += -dc + 2 * sl;
    }
    *out = lp;
    return 0;
}

static int lkj_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = a[0].rows, col, rc = 0;
    double lp = 0;
    if (a[0].cols != K) return du_fail(e, 0, 0, a[0].cols, "must be square");
    DuWork w;
    du_work_init(&w, 3 * (size_t)K * K);
    if (!w.p) return du_fail(e, 0, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *inv = du_work_take(&w, (size_t)K * K);
    double *tmp = du_work_take(&w, (size_t)K * K);
    for (int i = 0; i < n && rc == 0; i++) {
        long o = du_off(&a[0], i), oe = du_off(&a[1], i);
        const double *W = a[0].x + o;
        if ((rc = du_check_symmetric(W, K, 0, o, e)) < 0 || (rc = check_eta(&a[1], 1, i, e)) < 0) break;
        for (int j = 0; j < K; j++)
            if (!(fabs(W[j + (long)K * j] - 1.0) <= 1e-8)) {
                rc = du_fail(e, 0, o + j + (long)K * j, W[j + (long)K * j], "must have a unit diagonal");
                break;
            }
        if (rc < 0) break;
        if (du_chol(W, K, L, &col) < 0) {
            rc = du_fail(e, 0, o + col + (long)K * col, W[col + (long)K * col], "must be positive definite");
            break;
        }
        double eta = a[1].x[oe], dc, ld = du_chol_logdet(L, K);
        lp += -lkj_logc(eta, K, &dc) + (eta - 1) * ld;
        if (d && d[1]) d[1][oe] += -dc + ld;
        if (d && d[0]) {
            du_chol_inverse(L, K, inv, tmp);
            for (long j = 0; j < (long)K * K; j++) d[0][o + j] += (eta - 1) * inv[j];
        }
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

/* Stan's lkj_corr_cholesky_rng: canonical partial correlations 2 Beta(al, al) - 1 with
 * al = eta + (K - 2 - i)/2 for column i, assembled as in Stan's read_corr_L. */
static int lkj_draw(gsl_rng *r, int K, double eta, double *L)
{
    for (long j = 0; j < (long)K * K; j++) L[j] = 0.0;
    L[0] = 1.0;
    if (K == 1) return 0;
    /* acc[p] = 1 - sum of squares so far of row p; rows are built column by column. */
    double alpha = eta + 0.5 * (K - 1);
    for (int p = 1; p < K; p++) L[p + (long)K * (K - 1)] = 1.0;   /* acc, kept in the last column */
    for (int c = 0; c < K - 1; c++) {
        alpha -= 0.5;
        if (c > 0) L[c + (long)K * c] = sqrt(L[c + (long)K * (K - 1)]);
        for (int p = c + 1; p < K; p++) {
            double cpc = 2.0 * gsl_ran_beta(r, alpha, alpha) - 1.0;
            double acc = L[p + (long)K * (K - 1)];
            L[p + (long)K * c] = cpc * sqrt(acc);
            L[p + (long)K * (K - 1)] = acc * (1.0 - cpc * cpc);
        }
    }
    L[(K - 1) + (long)K * (K - 1)] = sqrt(L[(K - 1) + (long)K * (K - 1)]);
    /* The acc values of rows < K - 1 sat in the last column above the diagonal: clear. */
    for (int p = 0; p < K - 1; p++) L[p + (long)K * (K - 1)] = 0.0;
    return 0;
}

/* rng_sig "IR": a[0] = K, a[1] = eta; out is K x K. */
static int rng_args(const DArg *a, int i, int *K, double *eta, DistErr *e)
{
    long ok = du_off(&a[0], i), oe = du_off(&a[1], i);
    *K = a[0].iv[ok];
    *eta = a[1].x[oe];
    if (*K < 1) return du_fail(e, 1, ok, *K, "must be positive (the dimension)");
    if (!(*eta > 0 && isfinite(*eta))) return du_fail(e, 2, oe, *eta, "must be positive finite");
    return 0;
}

static int lkjc_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    int K;
    double eta;
    if (rng_args(a, i, &K, &eta, e) < 0) return -1;
    return lkj_draw(r, K, eta, out);
}

static int lkj_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    int K;
    double eta;
    if (rng_args(a, i, &K, &eta, e) < 0) return -1;
    DuWork w;
    du_work_init(&w, (size_t)K * K);
    if (!w.p) return du_fail(e, 1, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K);
    lkj_draw(r, K, eta, L);
    for (int c = 0; c < K; c++)
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int q = 0; q <= (p < c ? p : c); q++) s += L[p + (long)K * q] * L[c + (long)K * q];
            out[p + (long)K * c] = p == c ? 1.0 : s;
        }
    du_work_free(&w);
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_lkj_corr_cholesky = {
    .name = "lkj_corr_cholesky", .discrete = 0, .nargs = 2, .argnames = { "variate", "shape" },
    .sig = "LR", .lpdf = lkjc_lpdf, .rng = lkjc_rng, .ntest = 0, .test = no_test,
    .lo = -1, .hi = 1, .rng_sig = "IR",
};

const Dist dist_lkj_corr = {
    .name = "lkj_corr", .discrete = 0, .nargs = 2, .argnames = { "variate", "shape" },
    .sig = "CR", .lpdf = lkj_lpdf, .rng = lkj_rng, .ntest = 0, .test = no_test,
    .lo = -1, .hi = 1, .rng_sig = "IR",
};
