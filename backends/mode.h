/* The nearest mode of a target and the curvature there, for methods that start better
 * from it than from a random point in the tails (MH's Laplace-shaped proposal, VI's
 * initial q).  Not a method itself: --method=map is backends/map.c. */
#ifndef VM_MODE_H
#define VM_MODE_H
#include <gsl/gsl_rng.h>
#include "backends/backend.h"

/* From u0 (dim + ndisc values; discrete ones held fixed), maximise log p over the
 * continuous block with GSL's BFGS on the exact gradient; when the optimiser stalls
 * before the gradient vanishes (a plateau near a bound), retry from up to 9 further
 * uniform(-2, 2) points drawn with r, as Stan draws initial points.  On success writes
 * the mode to mode[0..dim) (discrete values copied from u0), *lp, and, when cov is
 * non-NULL, the inverse of the Hessian of -log p there (dim x dim, row-major) if it is
 * positive definite (*have_cov = 1).  Returns 0, or -1 when no point better than u0
 * was found (mode untouched). */
int bk_find_mode(const BkTarget *t, gsl_rng *r, const double *u0, double *mode, double *lp,
                 double *cov, int *have_cov);
#endif
