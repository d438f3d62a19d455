/* Stan's constraining transforms: unconstrained block u -> constrained x, the log
 * absolute Jacobian determinant, and the reverse pass.  Pure functions on arrays:
 * the evaluator wraps each call in one tape node. */
#ifndef VM_TRANSFORM_H
#define VM_TRANSFORM_H

#include <stddef.h>

typedef enum {
    TR_NONE, TR_LOWER, TR_UPPER, TR_LOWER_UPPER,
    TR_SIMPLEX, TR_ORDERED, TR_POSITIVE_ORDERED,
    TR_CHOLESKY_CORR, TR_COV_MATRIX, TR_CORR_MATRIX
} TrKind;

/* For element-wise kinds n is the number of elements; for simplex/ordered the vector
 * length K; for the matrix kinds the matrix dimension K (x is K*K, column-major). */
size_t tr_free_size(TrKind k, size_t n);     /* length of u */
/* The n above for a block of blk values (K for the matrix kinds, whose block is K*K). */
size_t tr_block_dim(TrKind k, size_t blk);
size_t tr_value_size(TrKind k, size_t n);    /* length of x */

/* x = constrain(u); returns log|J|.  lo/hi: bounds per element (n entries) for the
 * bounded kinds, NULL otherwise; an infinite bound acts as absent. */
double tr_constrain(TrKind k, size_t n, const double *u, const double *lo, const double *hi, double *x);

/* u = unconstrain(x).  Returns 0, or -1 if x violates the constraint; then *bad is
 * the offending element. */
int tr_unconstrain(TrKind k, size_t n, const double *x, const double *lo, const double *hi, double *u, size_t *bad);

/* Does x satisfy the constraint, as Stan's check_* functions see it (a data value or a
 * let)?  Unlike tr_unconstrain, boundary values are allowed where Stan allows them (a
 * simplex [1, 0, 0]).  Returns 0, or -1 with *bad the offending element. */
int tr_check(TrKind k, size_t n, const double *x, size_t *bad);

/* Reverse pass: given gx = dL/dx (may be NULL) and gl = dL/dlog|J|, ADD dL/du into gu
 * and dL/dlo, dL/dhi into glo, ghi (each may be NULL when the bound is constant). */
void tr_backward(TrKind k, size_t n, const double *u, const double *lo, const double *hi,
                 const double *x, const double *gx, double gl,
                 double *gu, double *glo, double *ghi);

#endif
