/* Helpers of the multivariate distribution tests (test_dist_mv.c, test_dist_mv2.c). */
#ifndef VM_TEST_MV_UTIL_H
#define VM_TEST_MV_UTIL_H
#include "stdlib/dist.h"
/* Check's ck_assert records a mark per call (a write to a file in fork mode): in loops
 * of thousands of draws use this, which costs nothing until it fails. */
#define REQUIRE(c) do { if (!(c)) ck_abort_msg("requirement failed: %s (line %d)", #c, __LINE__); } while (0)
#define MAXA 6                /* arguments of a density, the variate included */
/* D's log density of n replicates; an argument error fails the running test. */
double lp_call(const Dist *D, int n, const DArg *a, double *const *d);
/* A fixed SPD K x K matrix (column-major): B B' + K/2 I with B's entries from a formula. */
void spd_matrix(int K, double *A, double seed);
/* L, the lower Cholesky factor of the SPD matrix A (both column-major), by GSL. */
void chol(int K, const double *A, double *L);
#endif
