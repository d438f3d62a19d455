/* See mv_util.h. */
#include <check.h>
#include <math.h>
#include <gsl/gsl_linalg.h>
#include "tests/stdlib/mv_util.h"

double lp_call(const Dist *D, int n, const DArg *a, double *const *d)
{
    double out;
    DistErr e;
    int rc = D->lpdf(n, a, &out, d, &e);
    if (rc != 0) ck_abort_msg("%s: error arg %d index %ld value %g: %s", D->name, e.arg, e.index, e.value,
                              e.what ? e.what : "");
    return out;
}

void spd_matrix(int K, double *A, double seed)
{
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int q = 0; q < K; q++) s += sin(seed + i + 3.0 * q) * sin(seed + j + 3.0 * q);
            A[i + K * j] = s + (i == j ? 0.5 * K : 0);
        }
}

void chol(int K, const double *A, double *L)
{
    gsl_matrix *M = gsl_matrix_alloc(K, K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(M, i, j, A[i + K * j]);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(M), 0);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) L[i + K * j] = i >= j ? gsl_matrix_get(M, i, j) : 0.0;
    gsl_matrix_free(M);
}
