/* Scalar functions that ported Stan programs reach for (the language reference's
 * "Also what ported Stan programs reach for"), each with its derivatives. */
#include <math.h>
#include <stddef.h>
#include "mathfn_impl.h"

/* log(1 + exp(x)) without overflow; derivative inv_logit(x). */
double mf_log1p_exp(double x, double *dx)
{
    if (dx) *dx = x > 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* 1 - exp(-exp(x)), the inverse complementary log-log link; derivative exp(x - exp(x)). */
double mf_inv_cloglog(double x, double *dx)
{
    if (dx) *dx = exp(x - exp(x));
    return -expm1(-exp(x));
}

double mf_hypot(double x, double y, double *dx, double *dy)
{
    double h = hypot(x, y);
    if (dx) *dx = h > 0 ? x / h : 0;
    if (dy) *dy = h > 0 ? y / h : 0;
    return h;
}

/* max(x - y, 0) (Stan's fdim); the derivative of the kink's right side at x == y */
double mf_fdim(double x, double y, double *dx, double *dy)
{
    int pos = x > y;
    if (dx) *dx = pos ? 1 : 0;
    if (dy) *dy = pos ? -1 : 0;
    return pos ? x - y : 0;
}

/* log(inv_logit(x) - inv_logit(y)) for x > y:
 * inv_logit(x) - inv_logit(y) = (e^x - e^y) / ((1 + e^x)(1 + e^y)), so
 * log_diff_exp(x, y) - log1p_exp(x) - log1p_exp(y), stable for large |x|, |y|. */
double mf_log_inv_logit_diff(double x, double y, double *dx, double *dy)
{
    if (isnan(x) || isnan(y) || x <= y) {
        if (dx) *dx = NAN;
        if (dy) *dy = NAN;
        return x == y ? -INFINITY : NAN;
    }
    double ix, iy;
    double v = x + log1p(-exp(y - x)) - mf_log1p_exp(x, &ix) - mf_log1p_exp(y, &iy);
    if (dx) *dx = -1.0 / expm1(y - x) - ix;
    if (dy) *dy = -1.0 / expm1(x - y) - iy;
    return v;
}

/* int_step(x): 1 if x > 0 else 0 (Stan; 0 at 0, unlike step); logical_negation: !x */
double mf_int_step(double x, double *dx)
{
    if (dx) *dx = 0;
    return x > 0 ? 1.0 : 0.0;
}

double mf_logical_negation(double x, double *dx)
{
    if (dx) *dx = 0;
    return x == 0 ? 1.0 : 0.0;
}
