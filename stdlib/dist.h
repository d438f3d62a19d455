/* Distributions: one file per family, one row each in dist_table.c.
 *
 * A kernel sees flat arrays, never the interpreter's values or tape: the runtime
 * gathers arguments, calls the kernel once per `~` statement (vectorised), and turns
 * the partials into one tape node (Stan's operands_and_partials). */
#ifndef VM_DIST_H
#define VM_DIST_H

#include <gsl/gsl_rng.h>

/* One argument of a vectorised call.  The call has n replicates; replicate i of the
 * argument starts at x[i * stride * size] (stride 0: one value broadcast to all n).
 * size = rows * cols is the element size (1 for univariate arguments; a vector of
 * length K has rows = K, cols = 1; a matrix is column-major). */
typedef struct DArg {
    const double *x;           /* real values (ints are converted for real arguments) */
    const int *iv;             /* int values, for integer arguments ('I' in sig) */
    int stride;                /* 0 or 1 */
    int rows, cols;
} DArg;

/* Why an argument is invalid: names the argument by index, the element (0-based
 * replicate*size + offset), its value and the requirement ("must be positive"). */
typedef struct DistErr {
    int arg;                   /* 0 = the variate */
    long index;
    double value;
    const char *what;          /* "must be positive", "must be in [0, 1]", ... */
} DistErr;

/* Sum over the n replicates of the log density (or log cdf...).  If d[k] is non-NULL
 * the kernel ADDS the partial derivative of the sum with respect to each element of
 * argument k into d[k][i * stride * size + j] (so a broadcast argument accumulates
 * into its one element).  d[k] is NULL for constant arguments and for int ones:
 * skip that work.  Returns 0, or -1 with e filled (invalid argument). */
typedef int (*DistFn)(int n, const DArg *a, double *out, double *const *d, DistErr *e);

/* One draw for replicate i of the parameters a[0..nargs-2] (the variate is not
 * passed), written to out[0..size) (size: the variate's element size, 1 for
 * univariate; ints as doubles).  Returns 0 or -1 with e filled. */
typedef int (*DistRng)(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e);

#define DIST_MAX_ARGS 6

typedef struct Dist {
    const char *name;          /* "normal": gives normal_lpdf, normal_rng, normal_cdf... */
    int discrete;              /* 1: _lpmf and an int variate */
    int nargs;                 /* including the variate */
    const char *argnames[DIST_MAX_ARGS];   /* for messages: "location", "scale" */
    /* One code per argument, variate first:
     *   R real, vectorisable (scalar, array or vector)    I int, vectorisable
     *   V vector (row vector or array of reals accepted)   S simplex vector
     *   M matrix  L Cholesky factor  C covariance/correlation matrix
     *   K int array of length K (multinomial counts)
     * Multivariate variates may be arrays of vectors (replicates). */
    const char *sig;
    DistFn lpdf;               /* required */
    DistRng rng;               /* NULL only where Stan has none */
    DistFn cdf, lcdf, lccdf;   /* univariate: required; cdf's out is the product */
    /* Test data, used by tests/stdlib: a few valid argument tuples (nargs values each,
     * variate first) and the support of the variate for normalisation checks. */
    int ntest;
    const double (*test)[DIST_MAX_ARGS];
    double lo, hi;             /* support of the variate (may be +-INFINITY) */
    /* Added by dist-disc: the rng's argument codes when they are not the density's
     * parameters (sig + 1), as Stan's multinomial_rng(theta, N) -> "SI" and
     * lkj_corr_rng(K, eta) -> "IR"; NULL otherwise.  The draw's size then follows
     * from them (K for multinomial, K * K for lkj). */
    const char *rng_sig;
    /* One replicate of scalar arguments v[0..nargs) (variate first, ints as doubles):
     * the log density into *out and, for each argument k whose bit is set in want, its
     * partial into g[k] (0 for the other k < nargs; nothing beyond); the same value and
     * partials as lpdf with n = 1.
     * Returns 0, or -1 with e filled (e->index 0).  NULL where there is none
     * (multivariate families): what runtime/scalar.c calls per operation. */
    int (*lp1)(const double *v, unsigned want, double *out, double *g, DistErr *e);
} Dist;

extern const Dist *const dist_table[];       /* NULL-terminated */
const Dist *dist_find(const char *name);

#endif
