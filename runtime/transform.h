/* Stan's constraining transforms: unconstrained block u -> constrained x, the log
 * absolute Jacobian determinant, and the reverse pass.  Pure functions on arrays:
 * the evaluator wraps each call in one tape node.
 *
 * Every call names the block by its kind and its shape r x c:
 *   element-wise kinds (none, bounds, affine): r elements, c = 1;
 *   vector kinds (simplex, ordered, unit_vector, sum_to_zero): length r, c = 1;
 *   matrix kinds: r rows and c columns (c = r except cholesky_factor_cov[M, N]),
 *   x column-major. */
#ifndef VM_TRANSFORM_H
#define VM_TRANSFORM_H

#include <stddef.h>

typedef enum {
    TR_NONE, TR_LOWER, TR_UPPER, TR_LOWER_UPPER,
    TR_SIMPLEX, TR_ORDERED, TR_POSITIVE_ORDERED,
    TR_CHOLESKY_CORR, TR_COV_MATRIX, TR_CORR_MATRIX,
    TR_AFFINE,            /* <offset=, multiplier=>: lo carries the offset, hi the multiplier */
    TR_UNIT_VECTOR, TR_SUM_TO_ZERO, TR_CHOLESKY_COV
} TrKind;
#define TR_NKINDS (TR_CHOLESKY_COV + 1)

/* Which coordinates of x Stan's log|J| is a density on (what the tests take the
 * finite-difference determinant against). */
typedef enum {
    TR_LJ_FREE,     /* log|det d free(x) / du| with free() = tr_free_coords */
    TR_LJ_GRAM,     /* 0.5 log det(J'J), J = dx/du: the surface measure (sum_to_zero: 0) */
    TR_LJ_NONE      /* not a Jacobian (unit_vector's -0.5 u'u keeps |u| proper) */
} TrLjRef;

int tr_elementwise(TrKind k);   /* one coordinate per element, bounds per element */
int tr_is_matrix(TrKind k);     /* x is a matrix (r x c) */
const char *tr_name(TrKind k);  /* the language's name of the kind */
TrLjRef tr_lj_ref(TrKind k);

size_t tr_free_size(TrKind k, size_t r, size_t c);    /* length of u */
size_t tr_value_size(TrKind k, size_t r, size_t c);   /* length of x */

/* The coordinates of x that determine it (free(x) has tr_free_size entries when
 * tr_lj_ref is TR_LJ_FREE); returns how many were written to out. */
size_t tr_free_coords(TrKind k, size_t r, size_t c, const double *x, double *out);

/* x = constrain(u); returns log|J| (NaN when the bounds are invalid: lower not
 * below upper, multiplier not positive and finite).  lo/hi: bounds per element (r
 * entries) for the bounded kinds, offset/multiplier per element for TR_AFFINE (NULL:
 * 0 and 1), NULL otherwise; an infinite bound acts as absent. */
double tr_constrain(TrKind k, size_t r, size_t c, const double *u, const double *lo, const double *hi,
                    double *x);

/* u = unconstrain(x).  Returns 0, or -1 if x violates the constraint; then *bad is
 * the offending element. */
int tr_unconstrain(TrKind k, size_t r, size_t c, const double *x, const double *lo, const double *hi,
                   double *u, size_t *bad);

/* Does x satisfy the constraint, as Stan's check_* functions see it (a data value or a
 * let)?  Unlike tr_unconstrain, boundary values are allowed where Stan allows them (a
 * simplex [1, 0, 0]).  Returns 0, or -1 with *bad the offending element. */
int tr_check(TrKind k, size_t r, size_t c, const double *x, size_t *bad);

/* Reverse pass: given gx = dL/dx (may be NULL) and gl = dL/dlog|J|, ADD dL/du into gu
 * and dL/dlo, dL/dhi into glo, ghi (each may be NULL when the bound is constant). */
void tr_backward(TrKind k, size_t r, size_t c, const double *u, const double *lo, const double *hi,
                 const double *x, const double *gx, double gl,
                 double *gu, double *glo, double *ghi);

#endif
