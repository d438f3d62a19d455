/* The scalar math functions the language knows, one row each.  log2 and log10 have
 * two rows: the constants log2() and log10() (arity 0) and the functions (arity 1);
 * mathfn_find returns the first row, mathfn_find_arity picks by arity. */
#include <math.h>
#include <float.h>
#include <string.h>
#include "mathfn.h"
#include "mathfn_impl.h"

#define F1(n, lo, hi)     { #n, 1, mf_##n, NULL, NULL, 0, 0, lo, hi }
#define F1I(n, lo, hi)    { #n, 1, mf_##n, NULL, NULL, 0, 1, lo, hi }
#define F2(n, lo, hi)     { #n, 2, NULL, mf_##n, NULL, 0, 0, lo, hi }
#define F3(n, lo, hi)     { #n, 3, NULL, NULL, mf_##n, 0, 0, lo, hi }
#define C0(n, v)          { #n, 0, NULL, NULL, NULL, v, 0, 0, 0 }

/* lo, hi: a domain where the function is smooth, for the finite-difference tests
 * (rounding functions: an interval between jumps). */
const MathFn mathfn_table[] = {
    F1(exp, -5, 5), F1(log, 0.1, 10), F1(log1p, -0.9, 10), F1(expm1, -5, 5),
    F1(log2, 0.1, 10), F1(log10, 0.1, 10), F1(sqrt, 0.1, 10), F1(cbrt, 0.1, 10),
    F1(square, -5, 5), F1(inv, 0.1, 10), F1(inv_sqrt, 0.1, 10), F1(fabs, 0.1, 5),
    F1I(abs, 0.1, 5),
    F2(pow, 0.1, 3), F2(fmin, -3, 3), F2(fmax, -3, 3),
    F1(floor, 0.1, 0.9), F1(ceil, 0.1, 0.9), F1(round, 0.1, 0.4), F1(trunc, 0.1, 0.9),
    F1(sin, -3, 3), F1(cos, -3, 3), F1(tan, -1.4, 1.4), F1(asin, -0.9, 0.9),
    F1(acos, -0.9, 0.9), F1(atan, -5, 5), F2(atan2, 0.1, 3),
    F1(sinh, -3, 3), F1(cosh, -3, 3), F1(tanh, -3, 3),
    F1(lgamma, 0.1, 10), F1(tgamma, 0.1, 5), F1(digamma, 0.1, 10), F2(lbeta, 0.1, 10),
    F2(lchoose, 0.1, 5), F2(log_falling_factorial, 0.1, 5),
    F1(erf, -3, 3), F1(erfc, -3, 3), F1(Phi, -5, 5), F1(Phi_approx, -5, 5),
    F1(inv_Phi, 0.01, 0.99), F1(logit, 0.01, 0.99), F1(inv_logit, -10, 10),
    F1(log_inv_logit, -10, 10), F1(log1m, -5, 0.9), F1(log1m_exp, -10, -0.01),
    F1(log1m_inv_logit, -10, 10), F2(log_diff_exp, -5, 5), F2(log_sum_exp, -5, 5),
    F3(log_mix, 0.05, 0.95), F3(fma, -3, 3), F1(step, 0.1, 5),
    { "is_inf", 1, mf_is_inf, NULL, NULL, 0, 2, -5, 5 }, { "is_nan", 1, mf_is_nan, NULL, NULL, 0, 2, -5, 5 },
    F1(log1p_exp, -10, 10), F1(inv_cloglog, -3, 2), F2(hypot, 0.1, 3), F2(fdim, -3, 3),
    F2(log_inv_logit_diff, -5, 5),
    { "int_step", 1, mf_int_step, NULL, NULL, 0, 2, 0.1, 5 },
    { "logical_negation", 1, mf_logical_negation, NULL, NULL, 0, 2, 0.1, 5 },
    C0(pi, M_PI), C0(e, M_E), C0(sqrt2, M_SQRT2), C0(log2, M_LN2), C0(log10, M_LN10),
    C0(machine_precision, DBL_EPSILON), C0(positive_infinity, INFINITY),
    C0(negative_infinity, -INFINITY), C0(not_a_number, NAN),
    { NULL, 0, NULL, NULL, NULL, 0, 0, 0, 0 }
};

const MathFn *mathfn_find(const char *name)
{
    for (const MathFn *f = mathfn_table; f->name; f++)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

const MathFn *mathfn_find_arity(const char *name, int arity)
{
    for (const MathFn *f = mathfn_table; f->name; f++)
        if (f->arity == arity && strcmp(f->name, name) == 0) return f;
    return NULL;
}
