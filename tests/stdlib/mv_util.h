/* Helpers of the multivariate distribution tests (test_dist_mv.c, test_dist_mv2.c). */
#ifndef VM_TEST_MV_UTIL_H
#define VM_TEST_MV_UTIL_H
#include "stdlib/dist.h"
/* D's log density of n replicates; an argument error fails the running test. */
double lp_call(const Dist *D, int n, const DArg *a, double *const *d);
/* A fixed SPD K x K matrix (column-major): B B' + K/2 I with B's entries from a formula. */
void spd_matrix(int K, double *A, double seed);
/* L, the lower Cholesky factor of the SPD matrix A (both column-major), by GSL. */
void chol(int K, const double *A, double *L);
#endif
