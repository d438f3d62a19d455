/* wishart(W | nu, S) and inv_wishart(W | nu, S), W and S symmetric positive definite
 * K x K, nu > K - 1.
 *   wishart:     (nu-K-1)/2 log|W| - tr(S^-1 W)/2 - nu K/2 log 2 - nu/2 log|S| - lmgamma_K(nu/2)
 *   inv_wishart: nu/2 log|S| - nu K/2 log 2 - lmgamma_K(nu/2) - (nu+K+1)/2 log|W| - tr(S W^-1)/2 */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static int spd(const DArg *A, int k, int i, double *L, DistErr *e)
{
    int K = A->rows, col;
    long o = du_off(A, i);
    if (du_check_symmetric(A->x + o, K, k, o, e) < 0) return -1;
    if (du_chol(A->x + o, K, L, &col) < 0)
        return du_fail(e, k, o + col + (long)K * col, A->x[o + col + (long)K * col], "must be positive definite");
    return 0;
}

/* C = A B for K x K column-major. */
static void matmul(const double *A, const double *B, int K, double *C)
{
    for (int c = 0; c < K; c++)
        for (int r = 0; r < K; r++) {
            double s = 0;
            for (int q = 0; q < K; q++) s += A[r + (long)K * q] * B[q + (long)K * c];
            C[r + (long)K * c] = s;
        }
}

static double sum_psi(int K, double nu)
{
    double s = 0;
    for (int j = 1; j <= K; j++) s += mf_psi(0.5 * nu + 0.5 * (1 - j));
    return s;
}

/* inv = 0: wishart, 1: inv_wishart. */
static int wish_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e, int inv)
{
    int K = a[0].rows, rc = 0;
    if (a[0].cols != K) return du_fail(e, 0, 0, a[0].cols, "must be square");
    if (a[2].rows != K || a[2].cols != K) return du_fail(e, 2, 0, a[2].rows, "must be K x K, K the size of the variate");
    size_t KK = (size_t)K * K;
    DuWork w;
    du_work_init(&w, 7 * KK);
    if (!w.p) return du_fail(e, 0, 0, K, "is too large (out of memory)");
    double *LW = du_work_take(&w, KK), *LS = du_work_take(&w, KK), *Wi = du_work_take(&w, KK);
    double *Si = du_work_take(&w, KK), *tmp = du_work_take(&w, KK), *M1 = du_work_take(&w, KK);
    double *M2 = du_work_take(&w, KK);
    double lp = 0, ldS = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long oW = du_off(&a[0], i), on = du_off(&a[1], i), oS = du_off(&a[2], i);
        const double *W = a[0].x + oW, *S = a[2].x + oS;
        double nu = a[1].x[on];
        if (!(nu > K - 1 && isfinite(nu))) { rc = du_fail(e, 1, on, nu, "must be greater than K - 1"); break; }
        if ((rc = spd(&a[0], 0, i, LW, e)) < 0) break;
        if (i == 0 || a[2].stride) {
            if ((rc = spd(&a[2], 2, i, LS, e)) < 0) break;
            ldS = du_chol_logdet(LS, K);
            du_chol_inverse(LS, K, Si, tmp);
        }
        double ldW = du_chol_logdet(LW, K), tr = 0;
        du_chol_inverse(LW, K, Wi, tmp);
        double c = -0.5 * nu * K * M_LN2 - du_lmgamma(K, 0.5 * nu);
        double dnu = -0.5 * K * M_LN2 - 0.5 * sum_psi(K, nu);
        if (!inv) {
            for (size_t j = 0; j < KK; j++) tr += Si[j] * W[j];
            lp += c + 0.5 * (nu - K - 1) * ldW - 0.5 * tr - 0.5 * nu * ldS;
            dnu += 0.5 * ldW - 0.5 * ldS;
            if (d && d[0]) for (size_t j = 0; j < KK; j++) d[0][oW + j] += 0.5 * (nu - K - 1) * Wi[j] - 0.5 * Si[j];
            if (d && d[2]) {                 /* -nu/2 S^-1 + S^-1 W S^-1 / 2 */
                matmul(Si, W, K, M1);
                matmul(M1, Si, K, M2);
                for (size_t j = 0; j < KK; j++) d[2][oS + j] += -0.5 * nu * Si[j] + 0.5 * M2[j];
            }
        } else {
            for (size_t j = 0; j < KK; j++) tr += S[j] * Wi[j];
            lp += c + 0.5 * nu * ldS - 0.5 * (nu + K + 1) * ldW - 0.5 * tr;
            dnu += 0.5 * ldS - 0.5 * ldW;
            if (d && d[0]) {                 /* -(nu+K+1)/2 W^-1 + W^-1 S W^-1 / 2 */
                matmul(Wi, S, K, M1);
                matmul(M1, Wi, K, M2);
                for (size_t j = 0; j < KK; j++) d[0][oW + j] += -0.5 * (nu + K + 1) * Wi[j] + 0.5 * M2[j];
            }
            if (d && d[2]) for (size_t j = 0; j < KK; j++) d[2][oS + j] += 0.5 * nu * Si[j] - 0.5 * Wi[j];
        }
        if (d && d[1]) d[1][on] += dnu;
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

static int w_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e) { return wish_lpdf(n, a, o, d, e, 0); }
static int iw_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e) { return wish_lpdf(n, a, o, d, e, 1); }

/* Bartlett: W = (L A)(L A)', A lower with A_jj = sqrt(chi2(nu - j)), A_pq ~ N(0, 1). */
static void bartlett(gsl_rng *r, const double *L, int K, double nu, double *A, double *B, double *W)
{
    for (int c = 0; c < K; c++)
        for (int p = 0; p < K; p++)
            A[p + (long)K * c] = p == c ? sqrt(gsl_ran_chisq(r, nu - p))
                               : p > c ? gsl_ran_gaussian_ziggurat(r, 1.0) : 0.0;
    matmul(L, A, K, B);
    for (int c = 0; c < K; c++)
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int q = 0; q < K; q++) s += B[p + (long)K * q] * B[c + (long)K * q];
            W[p + (long)K * c] = s;
        }
}

static int wish_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e, int inv)
{
    int K = a[1].rows, col, rc = 0;
    long on = du_off(&a[0], i);
    double nu = a[0].x[on];
    if (a[1].cols != K) return du_fail(e, 2, 0, a[1].cols, "must be square");
    if (!(nu > K - 1 && isfinite(nu))) return du_fail(e, 1, on, nu, "must be greater than K - 1");
    size_t KK = (size_t)K * K;
    DuWork w;
    du_work_init(&w, 5 * KK);
    if (!w.p) return du_fail(e, 2, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, KK), *A = du_work_take(&w, KK), *B = du_work_take(&w, KK);
    double *M = du_work_take(&w, KK), *tmp = du_work_take(&w, KK);
    if ((rc = spd(&a[1], 2, i, L, e)) == 0) {
        if (!inv) {
            bartlett(r, L, K, nu, A, B, out);
        } else {
            /* Stan: inverse(wishart_rng(nu, inverse(S))). */
            du_chol_inverse(L, K, M, tmp);
            if (du_chol(M, K, L, &col) == 0) {
                bartlett(r, L, K, nu, A, B, M);
                if (du_chol(M, K, L, &col) == 0) du_chol_inverse(L, K, out, tmp);
                else rc = du_fail(e, 2, 0, nu, "gave a singular draw");
            } else {
                rc = du_fail(e, 2, 0, K, "is too ill-conditioned to invert");
            }
        }
    }
    du_work_free(&w);
    return rc;
}

static int w_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return wish_rng(r, a, i, o, e, 0); }
static int iw_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return wish_rng(r, a, i, o, e, 1); }

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_wishart = {
    .name = "wishart", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "degrees of freedom", "scale matrix" }, .sig = "CRC",
    .lpdf = w_lpdf, .rng = w_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};

const Dist dist_inv_wishart = {
    .name = "inv_wishart", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "degrees of freedom", "scale matrix" }, .sig = "CRC",
    .lpdf = iw_lpdf, .rng = iw_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};
