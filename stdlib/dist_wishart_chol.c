/* wishart_cholesky(L_W | nu, L_S): the density of the Cholesky factor L_W of a
 * W ~ wishart(nu, L_S L_S'), as Stan 2.36 defines it: wishart(L_W L_W' | nu, L_S L_S')
 * times the Jacobian of L_W -> W, log |J| = K log 2 + sum_{i=1..K} (K - i + 1) log L_W[i,i]
 * (1-based).  With M = L_S^-1 L_W (lower triangular) the two collapse to
 *   K log 2 (1 - nu/2) - lmgamma_K(nu/2)
 *   + sum_i [ -|M row i|^2 / 2 - nu log L_S[i,i] + (nu - i) log L_W[i,i] ]   (1-based i)
 * and no matrix is ever formed from its factor.  Partials (lower triangles, since the
 * entries above the diagonal are structural zeros): with A = L_S^-T M,
 *   d L_W = -A + diag((nu - i) / L_W[i,i]),  d L_S = A M' - diag(nu / L_S[i,i]),
 *   d nu  = -K/2 log 2 - sum_j psi(nu/2 + (1 - j)/2) / 2 - sum log L_S[i,i] + sum log L_W[i,i]. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

/* Stan's check_cholesky_factor: square, zero above the diagonal, a positive diagonal
 * (and finite entries, which Stan's later arithmetic would otherwise turn into NaN). */
static int check_chol(const DArg *A, int k, int i, DistErr *e)
{
    int K = A->rows;
    long o = du_off(A, i);
    const double *x = A->x + o;
    if (A->cols != K) return du_fail(e, k, 0, A->cols, "must be square");
    for (int q = 0; q < K; q++)
        for (int p = 0; p < K; p++) {
            double v = x[p + (long)K * q];
            long at = o + p + (long)K * q;
            if (p < q && v != 0.0) return du_fail(e, k, at, v, "must be lower triangular (zero above the diagonal)");
            if (!isfinite(v)) return du_fail(e, k, at, v, "must be finite");
            if (p == q && !(v > 0)) return du_fail(e, k, at, v, "must have a positive diagonal");
        }
    return 0;
}

static int check_nu(double nu, int K, int k, long at, DistErr *e)
{
    if (!(nu > K - 1 && isfinite(nu))) return du_fail(e, k, at, nu, "must be greater than K - 1 (and finite)");
    return 0;
}

/* Linv = L^-1 (lower triangular), column by column. */
static void tri_inverse(const double *L, int K, double *Linv)
{
    for (int j = 0; j < K; j++) {
        double *c = Linv + (long)K * j;
        for (int p = 0; p < K; p++) c[p] = p == j ? 1.0 : 0.0;
        du_trsv_lower(L, K, c);
    }
}

static int wc_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = a[0].rows;
    if (a[0].cols != K) return du_fail(e, 0, 0, a[0].cols, "must be square");
    if (a[2].rows != K || a[2].cols != K) return du_fail(e, 2, 0, a[2].rows, "must be K x K, K the size of the variate");
    double *dW = d ? d[0] : NULL, *dnu = d ? d[1] : NULL, *dS = d ? d[2] : NULL;
    size_t KK = (size_t)K * K;
    DuWork w;
    du_work_init(&w, 3 * KK);
    if (!w.p) return du_fail(e, 0, 0, K, "is too large (out of memory)");
    double *Linv = du_work_take(&w, KK), *M = du_work_take(&w, KK), *A = du_work_take(&w, KK);
    double lp = 0, ldS = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        long oW = du_off(&a[0], i), on = du_off(&a[1], i), oS = du_off(&a[2], i);
        double nu = a[1].x[on];
        if ((rc = check_nu(nu, K, 1, on, e)) < 0) break;
        if ((rc = check_chol(&a[0], 0, i, e)) < 0) break;
        const double *LW = a[0].x + oW, *LS = a[2].x + oS;
        if (i == 0 || a[2].stride) {
            if ((rc = check_chol(&a[2], 2, i, e)) < 0) break;
            tri_inverse(LS, K, Linv);
            ldS = 0;
            for (int p = 0; p < K; p++) ldS += log(LS[p + (long)K * p]);
        }
        /* M = Linv LW: lower triangular, M[p,q] = sum_{q <= k <= p} Linv[p,k] LW[k,q] */
        double ss = 0, ldW = 0;
        for (int q = 0; q < K; q++)
            for (int p = 0; p < K; p++) {
                double s = 0;
                for (int k = q; k <= p; k++) s += Linv[p + (long)K * k] * LW[k + (long)K * q];
                M[p + (long)K * q] = s;
                ss += s * s;
            }
        for (int p = 0; p < K; p++) {
            double l = log(LW[p + (long)K * p]);
            ldW += l;
            lp += (nu - p - 1) * l;
        }
        lp += K * M_LN2 * (1 - 0.5 * nu) - du_lmgamma(K, 0.5 * nu) - 0.5 * ss - nu * ldS;
        if (dnu) {
            double ps = 0;
            for (int j = 1; j <= K; j++) ps += mf_psi(0.5 * nu + 0.5 * (1 - j));
            dnu[on] += -0.5 * K * M_LN2 - 0.5 * ps - ldS + ldW;
        }
        if (!dW && !dS) continue;
        /* A = Linv' M: A[p,q] = sum_{k >= max(p,q)} Linv[k,p] M[k,q] */
        for (int q = 0; q < K; q++)
            for (int p = 0; p < K; p++) {
                double s = 0;
                for (int k = p > q ? p : q; k < K; k++) s += Linv[k + (long)K * p] * M[k + (long)K * q];
                A[p + (long)K * q] = s;
            }
        for (int q = 0; q < K; q++)
            for (int p = q; p < K; p++) {
                long j = p + (long)K * q;
                if (dW) dW[oW + j] += -A[j] + (p == q ? (nu - p - 1) / LW[j] : 0.0);
                if (dS) {
                    /* (A M')[p,q] = sum_k A[p,k] M[q,k], M[q,k] = 0 for k > q */
                    double s = 0;
                    for (int k = 0; k <= q; k++) s += A[p + (long)K * k] * M[q + (long)K * k];
                    dS[oS + j] += s - (p == q ? nu / LS[j] : 0.0);
                }
            }
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

/* wishart_cholesky_rng(nu, L_S): L_S B with B the Bartlett factor (B[j,j] =
 * sqrt(chi2(nu - j)), 0-based j; N(0, 1) below the diagonal), lower triangular with
 * a positive diagonal, so already the Cholesky factor of the Wishart draw. */
static int wc_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    int K = a[1].rows;
    long on = du_off(&a[0], i), oS = du_off(&a[1], i);
    double nu = a[0].x[on];
    if (check_nu(nu, K, 1, on, e) < 0) return -1;
    if (check_chol(&a[1], 2, i, e) < 0) return -1;
    size_t KK = (size_t)K * K;
    DuWork w;
    du_work_init(&w, KK);
    if (!w.p) return du_fail(e, 2, 0, K, "is too large (out of memory)");
    double *B = du_work_take(&w, KK);
    for (int q = 0; q < K; q++)
        for (int p = 0; p < K; p++)
            B[p + (long)K * q] = p == q ? sqrt(gsl_ran_chisq(r, nu - p))
                               : p > q ? gsl_ran_gaussian_ziggurat(r, 1.0) : 0.0;
    const double *LS = a[1].x + oS;
    for (int q = 0; q < K; q++)
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int k = q; k <= p; k++) s += LS[p + (long)K * k] * B[k + (long)K * q];
            out[p + (long)K * q] = s;
        }
    du_work_free(&w);
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_wishart_cholesky = {
    .name = "wishart_cholesky", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "degrees of freedom", "Cholesky factor of scale matrix" }, .sig = "LRL",
    .lpdf = wc_lpdf, .rng = wc_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};
