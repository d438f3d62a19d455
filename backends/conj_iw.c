/* The (inverse-)Wishart q of a covariance or precision parameter and its factors,
 * all written in the precision P (Sigma^-1 for a covariance Sigma with an inv_wishart
 * prior, the parameter itself for a precision with a wishart prior):
 *   k0 + a/2 log|P| - tr(B P)/2.
 * inv_wishart(nu0, Psi) on Sigma: a = nu0 + K + 1, B = Psi; wishart(nu0, V) on P:
 * a = nu0 - K - 1, B = V^-1; N rows of multi_normal(mu, Sigma) or
 * multi_normal_prec(mu, P) with a data mean: a = N, B = their scatter S.  So q(P) =
 * Wishart(nu, B^-1) with nu = sum a - K - 1 (IW) or sum a + K + 1 (Wishart): exactly
 * IW(nu0 + N, Psi + S), or Wishart(nu0 + N, (V^-1 + S)^-1).  The ELBO needs
 * E P = nu B^-1 and E log|P| = sum_{i=1..K} digamma((nu - i + 1)/2) + K log 2 - log|B|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "backends/conj.h"

double cj_lmgamma(int K, double a)
{
    double s = 0.25 * K * (K - 1) * log(M_PI);
    for (int j = 1; j <= K; j++) s += gsl_sf_lngamma(a + 0.5 * (1 - j));
    return s;
}

/* log|A| and (when inv) A^-1 of the symmetric K x K A; -1 if not positive definite. */
static int spd(const double *A, int K, double *logdet, double *inv)
{
    gsl_matrix *M = gsl_matrix_alloc((size_t)K, (size_t)K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(M, (size_t)i, (size_t)j, 0.5 * (A[i + K * j] + A[j + K * i]));
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_cholesky_decomp1(M);
    gsl_set_error_handler(old);
    if (rc) { gsl_matrix_free(M); return -1; }
    double ld = 0;
    for (int k = 0; k < K; k++) ld += 2 * log(gsl_matrix_get(M, (size_t)k, (size_t)k));
    *logdet = ld;
    if (inv) {
        gsl_linalg_cholesky_invert(M);
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) inv[i + K * j] = gsl_matrix_get(M, (size_t)i, (size_t)j);
    }
    gsl_matrix_free(M);
    return 0;
}

void cj_iw_expect(CjBlock *b)
{
    int K = b->K;
    double nu = b->p2[0], ld = 0;
    if (spd(b->p1, K, &ld, b->e1)) { b->e2[0] = NAN; return; }
    for (int j = 0; j < K * K; j++) b->e1[j] *= nu;
    double s = K * M_LN2 - ld;
    for (int i = 1; i <= K; i++) s += gsl_sf_psi(0.5 * (nu - i + 1));
    b->e2[0] = s;
}

double cj_iw_elogp(const CjModel *cm, const CjFactor *f)
{
    const CjBlock *b = &cm->blk[f->iblk];
    double tr = 0;
    for (int j = 0; j < b->n; j++) tr += f->iB[j] * b->e1[j];
    return f->k0 + 0.5 * f->ia * b->e2[0] - 0.5 * tr;
}

void cj_iw_message(CjModel *cm, const CjFactor *f, int b, double wgt)
{
    if (f->iblk != b) return;
    CjBlock *B = &cm->blk[b];
    for (int j = 0; j < B->n; j++) B->acc[j] += wgt * f->iB[j];
    B->acc[B->n] += wgt * f->ia;
}

int cj_iw_finish(CjBlock *b, char *err, size_t errlen)
{
    int K = b->K;
    double nu = b->acc[b->n] + (b->fam == Q_WISHART ? K + 1 : -(K + 1)), ld;
    if (!(nu > K - 1) || spd(b->acc, K, &ld, NULL)) {
        snprintf(err, errlen, "cavi: q(%s) is improper (degrees of freedom %g, scale %s): the statements do not "
                 "determine '%s' (give it a proper %s prior)", b->name, nu,
                 nu > K - 1 ? "not positive definite" : "positive definite", b->name,
                 b->fam == Q_WISHART ? "wishart" : "inv_wishart");
        return -1;
    }
    memcpy(b->p1, b->acc, sizeof(double) * (size_t)b->n);
    b->p2[0] = nu;
    cj_iw_expect(b);
    return 0;
}

double cj_iw_entropy(const CjBlock *b)
{
    int K = b->K;
    double nu = b->p2[0], ld = 0;
    if (spd(b->p1, K, &ld, NULL)) return NAN;
    /* -E log q with E tr(B P) = nu K: q is a density on Sigma = P^-1 (log|Sigma|
     * weight -(nu + K + 1)/2) for IW, on P (weight (nu - K - 1)/2) for Wishart */
    double w = b->fam == Q_WISHART ? 0.5 * (nu - K - 1) : 0.5 * (nu + K + 1);
    double elq = 0.5 * nu * ld - 0.5 * nu * K * M_LN2 - cj_lmgamma(K, 0.5 * nu) + w * b->e2[0] - 0.5 * nu * K;
    return -elq;
}

void cj_iw_start(CjBlock *b, gsl_rng *r)
{
    int K = b->K;
    double s = r ? 0.5 + gsl_rng_uniform(r) : 1;
    memset(b->p1, 0, sizeof(double) * (size_t)b->n);
    for (int i = 0; i < K; i++) b->p1[i + K * i] = s * (K + 2);
    b->p2[0] = K + 2;
    cj_iw_expect(b);
}

int cj_iw_draw(const CjBlock *b, gsl_rng *r, double *x)
{
    int K = b->K;
    double ld;
    /* P ~ Wishart(nu, B^-1); a covariance is P^-1 */
    double *pinv = malloc(sizeof(double) * (size_t)b->n);
    int rc = spd(b->p1, K, &ld, pinv);
    gsl_matrix *L = gsl_matrix_alloc((size_t)K, (size_t)K), *W = gsl_matrix_alloc((size_t)K, (size_t)K),
               *work = gsl_matrix_alloc((size_t)K, (size_t)K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(L, (size_t)i, (size_t)j, pinv[i + K * j]);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (!rc) rc = gsl_linalg_cholesky_decomp1(L);
    if (!rc) rc = gsl_ran_wishart(r, b->p2[0], L, W, work);
    if (!rc && b->fam == Q_INVWISHART) rc = gsl_linalg_cholesky_decomp1(W);
    if (!rc && b->fam == Q_INVWISHART) rc = gsl_linalg_cholesky_invert(W);
    gsl_set_error_handler(old);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) x[i + K * j] = rc ? NAN : 0.5 * (gsl_matrix_get(W, (size_t)i, (size_t)j) +
                                                                   gsl_matrix_get(W, (size_t)j, (size_t)i));
    gsl_matrix_free(L); gsl_matrix_free(W); gsl_matrix_free(work);
    free(pinv);
    return rc ? -1 : 0;
}
