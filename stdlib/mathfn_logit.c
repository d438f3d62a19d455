/* Log-scale and logistic functions with derivatives, in forms that stay finite in
 * the tails (Stan's log1m_exp, log_sum_exp, log_inv_logit...). */
#include <math.h>
#include <stddef.h>
#include "mathfn_impl.h"

double mf_inv_logit(double x, double *dx)
{
    double v;
    if (x >= 0) v = 1.0 / (1.0 + exp(-x));
    else { double e = exp(x); v = e / (1.0 + e); }
    if (dx) *dx = x >= 0 ? v * (exp(-x) / (1.0 + exp(-x)))
                         : v * (1.0 / (1.0 + exp(x)));
    return v;
}

double mf_logit(double p, double *dx)
{
    if (dx) *dx = 1.0 / (p * (1.0 - p));
    return log(p) - log1p(-p);
}

/* log(1 / (1 + exp(-x))) = -log1p(exp(-x)); for x < 0 write it x - log1p(exp(x)) so
 * exp never overflows.  Derivative inv_logit(-x). */
double mf_log_inv_logit(double x, double *dx)
{
    if (dx) *dx = mf_inv_logit(-x, NULL);
    if (x >= 0) return -log1p(exp(-x));
    return x - log1p(exp(x));
}

double mf_log1m_inv_logit(double x, double *dx)
{
    double v = mf_log_inv_logit(-x, dx);
    if (dx) *dx = -*dx;
    return v;
}

double mf_log1m(double x, double *dx)
{
    if (dx) *dx = -1.0 / (1.0 - x);
    return log1p(-x);
}

/* log(1 - exp(x)), x <= 0: log(-expm1(x)) near 0, log1p(-exp(x)) far below
 * (Maechler 2012, "Accurately computing log(1 - exp(-|a|))").  Derivative
 * -exp(x) / (1 - exp(x)) = -1 / expm1(-x). */
double mf_log1m_exp(double x, double *dx)
{
    if (dx) *dx = x < 0 ? -1.0 / expm1(-x) : NAN;
    if (x > 0) return NAN;
    if (x > -M_LN2) return log(-expm1(x));
    return log1p(-exp(x));
}

/* log(exp(x) - exp(y)) = x + log1m_exp(y - x); NaN for x < y, -inf for x == y. */
double mf_log_diff_exp(double x, double y, double *dx, double *dy)
{
    if (isnan(x) || isnan(y) || x < y) {
        if (dx) *dx = NAN;
        if (dy) *dy = NAN;
        return NAN;
    }
    if (y == -INFINITY) {
        if (dx) *dx = 1.0;
        if (dy) *dy = 0.0;
        return x;
    }
    if (dx) *dx = -1.0 / expm1(y - x);
    if (dy) *dy = -1.0 / expm1(x - y);
    if (x == y) return -INFINITY;
    return x + mf_log1m_exp(y - x, NULL);
}

/* max + log1p(exp(-|x - y|)); the derivatives are the softmax weights. */
double mf_log_sum_exp(double x, double y, double *dx, double *dy)
{
    double m = x > y ? x : y;
    if (isnan(x) || isnan(y)) {
        if (dx) *dx = NAN;
        if (dy) *dy = NAN;
        return NAN;
    }
    if (m == -INFINITY) {
        if (dx) *dx = 0.5;
        if (dy) *dy = 0.5;
        return -INFINITY;
    }
    if (m == INFINITY) {
        if (dx) *dx = x == INFINITY ? 1.0 : 0.0;
        if (dy) *dy = x == INFINITY ? 0.0 : 1.0;
        return INFINITY;
    }
    double v = m + log1p(exp(-fabs(x - y)));
    if (dx) *dx = exp(x - v);
    if (dy) *dy = exp(y - v);
    return v;
}

/* log(theta exp(lp1) + (1 - theta) exp(lp2)). */
double mf_log_mix(double theta, double lp1, double lp2, double *dt, double *d1, double *d2)
{
    double a = log(theta) + lp1, b = log1p(-theta) + lp2;
    double v = mf_log_sum_exp(a, b, NULL, NULL);
    if (dt) *dt = exp(lp1 - v) - exp(lp2 - v);
    if (d1) *d1 = exp(a - v);
    if (d2) *d2 = exp(b - v);
    return v;
}
