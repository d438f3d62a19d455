/* Scalar math functions with derivatives, applied element-wise by the runtime.
 * One row per function in mathfn_table.c.  A derivative pointer is NULL when the
 * caller does not need it (a constant argument). */
#ifndef VM_MATHFN_H
#define VM_MATHFN_H

typedef double (*MathF1)(double x, double *dx);
typedef double (*MathF2)(double x, double y, double *dx, double *dy);
typedef double (*MathF3)(double x, double y, double z, double *dx, double *dy, double *dz);

typedef struct MathFn {
    const char *name;
    int arity;                 /* 0 (constants: pi()), 1, 2 or 3 */
    MathF1 f1; MathF2 f2; MathF3 f3;
    double c;                  /* arity 0: the value */
    int int_valued;            /* 1: result is an int when every argument is (abs, ...);
                                * 2: always an int (is_inf, is_nan) */
    /* Domain for the finite-difference tests: each argument in [lo, hi]. */
    double lo, hi;
} MathFn;

extern const MathFn mathfn_table[];          /* terminated by name == NULL */
const MathFn *mathfn_find(const char *name);
/* The row with this name and arity (log2() the constant vs log2(x)), or NULL. */
const MathFn *mathfn_find_arity(const char *name, int arity);

#endif
