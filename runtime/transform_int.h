/* The transforms of the amended spec (affine, unit_vector, sum_to_zero_vector,
 * cholesky_factor_cov), kept apart from transform.c's older kinds; transform.c
 * dispatches to them. */
#ifndef VM_TRANSFORM_INT_H
#define VM_TRANSFORM_INT_H

#include <stddef.h>

/* Stan's CONSTRAINT_TOLERANCE for simplex sums, unit rows, unit norms, zero sums and symmetry. */
#define TR_TOL 1e-8

double trx_affine_fwd(size_t n, const double *u, const double *off, const double *mul, double *x);
int trx_affine_inv(size_t n, const double *x, const double *off, const double *mul, double *u, size_t *bad);
void trx_affine_bwd(size_t n, const double *u, const double *mul, const double *gx, double gl,
                    double *gu, double *goff, double *gmul);

double trx_unit_fwd(size_t K, const double *u, double *x);
int trx_unit_inv(size_t K, const double *x, double *u, size_t *bad);
void trx_unit_bwd(size_t K, const double *u, const double *x, const double *gx, double gl, double *gu);

void trx_stz_fwd(size_t K, const double *u, double *x);
int trx_stz_inv(size_t K, const double *x, double *u, size_t *bad);
void trx_stz_bwd(size_t K, const double *gx, double *gu);

size_t trx_cholcov_free_size(size_t M, size_t N);
double trx_cholcov_fwd(size_t M, size_t N, const double *u, double *x);
int trx_cholcov_inv(size_t M, size_t N, const double *x, double *u, size_t *bad);
void trx_cholcov_bwd(size_t M, size_t N, const double *u, const double *gx, double gl, double *gu);

#endif
