/* Elementary scalar functions with derivatives (exp, log, powers, trigonometry,
 * rounding, min/max, fma).  Each returns f(x) and, if dx is non-NULL, f'(x). */
#include <math.h>
#include <stddef.h>
#include <float.h>
#include "mathfn_impl.h"

#define D1(dx, v) do { if (dx) *(dx) = (v); } while (0)

double mf_exp(double x, double *dx) { double v = exp(x); D1(dx, v); return v; }
double mf_log(double x, double *dx) { D1(dx, 1.0 / x); return log(x); }
double mf_log1p(double x, double *dx) { D1(dx, 1.0 / (1.0 + x)); return log1p(x); }
double mf_expm1(double x, double *dx) { D1(dx, exp(x)); return expm1(x); }
double mf_log2(double x, double *dx) { D1(dx, 1.0 / (x * M_LN2)); return log2(x); }
double mf_log10(double x, double *dx) { D1(dx, 1.0 / (x * M_LN10)); return log10(x); }
double mf_sqrt(double x, double *dx) { double v = sqrt(x); D1(dx, 0.5 / v); return v; }
double mf_cbrt(double x, double *dx) { double v = cbrt(x); D1(dx, 1.0 / (3.0 * v * v)); return v; }
double mf_square(double x, double *dx) { D1(dx, 2.0 * x); return x * x; }
double mf_inv(double x, double *dx) { D1(dx, -1.0 / (x * x)); return 1.0 / x; }
double mf_inv_sqrt(double x, double *dx)
{
    double v = 1.0 / sqrt(x);
    D1(dx, -0.5 * v / x);
    return v;
}
/* Stan gives |x|' = 0 at 0 (a subgradient), sign(x) elsewhere. */
double mf_fabs(double x, double *dx)
{
    D1(dx, x > 0 ? 1.0 : x < 0 ? -1.0 : (isnan(x) ? x : 0.0));
    return fabs(x);
}
/* Piecewise constant: derivative 0 (Stan's convention away from the jumps). */
double mf_floor(double x, double *dx) { D1(dx, 0.0); return floor(x); }
double mf_ceil(double x, double *dx) { D1(dx, 0.0); return ceil(x); }
double mf_round(double x, double *dx) { D1(dx, 0.0); return round(x); }   /* half away from 0 */
double mf_trunc(double x, double *dx) { D1(dx, 0.0); return trunc(x); }
double mf_sin(double x, double *dx) { D1(dx, cos(x)); return sin(x); }
double mf_cos(double x, double *dx) { D1(dx, -sin(x)); return cos(x); }
double mf_tan(double x, double *dx) { double v = tan(x); D1(dx, 1.0 + v * v); return v; }
double mf_asin(double x, double *dx) { D1(dx, 1.0 / sqrt(1.0 - x * x)); return asin(x); }
double mf_acos(double x, double *dx) { D1(dx, -1.0 / sqrt(1.0 - x * x)); return acos(x); }
double mf_atan(double x, double *dx) { D1(dx, 1.0 / (1.0 + x * x)); return atan(x); }
/* cosh, tanh' = 1 - tanh^2 stay finite where the function is. */
double mf_sinh(double x, double *dx) { D1(dx, cosh(x)); return sinh(x); }
double mf_cosh(double x, double *dx) { D1(dx, sinh(x)); return cosh(x); }
double mf_tanh(double x, double *dx) { double v = tanh(x); D1(dx, 1.0 - v * v); return v; }
/* Stan: step(x) = 0 if x < 0, else 1. */
double mf_step(double x, double *dx) { D1(dx, 0.0); return x < 0 ? 0.0 : 1.0; }
double mf_is_inf(double x, double *dx) { D1(dx, 0.0); return isinf(x) ? 1.0 : 0.0; }
double mf_is_nan(double x, double *dx) { D1(dx, 0.0); return isnan(x) ? 1.0 : 0.0; }

/* d/dy x^y = log(x) x^y; at x == 0 we give 0 (the limit from the right for y > 0). */
double mf_pow(double x, double y, double *dx, double *dy)
{
    /* squares are common (variances): x * x is the correctly rounded value pow gives */
    double v = y == 2.0 ? x * x : pow(x, y);
    if (y == 2.0 && dx) { *dx = 2.0 * x; dx = NULL; }
    if (dx) *dx = (y == 0.0) ? 0.0 : y * pow(x, y - 1.0);
    if (dy) *dy = (x == 0.0) ? 0.0 : v * log(x);
    return v;
}

/* The selected argument gets the derivative; a NaN argument is ignored (C fmin). */
double mf_fmin(double x, double y, double *dx, double *dy)
{
    int pick_x = isnan(y) || (!isnan(x) && x <= y);
    if (dx) *dx = pick_x ? 1.0 : 0.0;
    if (dy) *dy = pick_x ? 0.0 : 1.0;
    return pick_x ? x : y;
}

double mf_fmax(double x, double y, double *dx, double *dy)
{
    int pick_x = isnan(y) || (!isnan(x) && x >= y);
    if (dx) *dx = pick_x ? 1.0 : 0.0;
    if (dy) *dy = pick_x ? 0.0 : 1.0;
    return pick_x ? x : y;
}

/* atan2(y, x), Stan's argument order. */
double mf_atan2(double y, double x, double *dy, double *dx)
{
    double r2 = x * x + y * y;
    if (dy) *dy = x / r2;
    if (dx) *dx = -y / r2;
    return atan2(y, x);
}

double mf_fma(double x, double y, double z, double *dx, double *dy, double *dz)
{
    if (dx) *dx = y;
    if (dy) *dy = x;
    if (dz) *dz = 1.0;
    return fma(x, y, z);
}

/* Stan's abs on reals is fabs; on ints the runtime keeps the int (int_valued). */
double mf_abs(double x, double *dx) { return mf_fabs(x, dx); }
