/* Special functions (gamma family, error function, normal cdf) with derivatives.
 * GSL's special functions call the GSL error handler (abort by default) on domain
 * errors, so every call here is guarded to stay inside the domain: library code must
 * never abort, whatever handler the program installed. */
#include <math.h>
#include <stddef.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_cdf.h>
#include "mathfn_impl.h"

#define SQRT_2PI 2.50662827463100050242
#define INV_SQRT_2PI 0.39894228040143267794

/* The poles of the gamma function: 0, -1, -2, ... */
static int at_pole(double x) { return x <= 0 && x == floor(x); }

double mf_psi(double x)
{
    if (isnan(x) || at_pole(x)) return NAN;
    if (isinf(x)) return x > 0 ? INFINITY : NAN;
    return gsl_sf_psi(x);
}

double mf_trigamma(double x)
{
    if (isnan(x) || at_pole(x)) return NAN;
    if (isinf(x)) return x > 0 ? 0.0 : NAN;
    return gsl_sf_psi_1(x);
}

/* lgamma_r: the reentrant glibc version (lgamma writes the global signgam). */
double mf_lgamma_raw(double x)
{
    int sg;
    return lgamma_r(x, &sg);
}

/* log n! = lgamma(n + 1) of the counts of discrete densities (poisson's variate, a
 * multinomial's): a table for n = 0 .. MF_LFACT_N - 1, filled at start-up with the
 * very values lgamma_r gives (so results are bit for bit those of lgamma_r), read
 * only afterwards (threads share it without locks).  Other n: lgamma_r. */
#define MF_LFACT_N 1024
static double mf_lfact_tab[MF_LFACT_N];
static int mf_lfact_ready;

__attribute__((constructor)) static void mf_lfact_init(void)
{
    for (int k = 0; k < MF_LFACT_N; k++) mf_lfact_tab[k] = mf_lgamma_raw(k + 1.0);
    mf_lfact_ready = 1;
}

double mf_lfact(double n)
{
    if (n >= 0 && n < MF_LFACT_N && mf_lfact_ready) {
        int k = (int)n;
        if (k == n) return mf_lfact_tab[k];
    }
    return mf_lgamma_raw(n + 1.0);
}

double mf_lgamma(double x, double *dx)
{
    if (dx) *dx = mf_psi(x);
    return mf_lgamma_raw(x);
}

double mf_tgamma(double x, double *dx)
{
    double v = tgamma(x);
    if (dx) *dx = v * mf_psi(x);
    return v;
}

double mf_digamma(double x, double *dx)
{
    if (dx) *dx = mf_trigamma(x);
    return mf_psi(x);
}

/* log B(a, b); GSL's lnbeta avoids the cancellation of lgamma(a)+lgamma(b)-lgamma(a+b)
 * when a or b is large. */
double mf_lbeta_raw(double a, double b)
{
    if (a > 0 && b > 0 && isfinite(a) && isfinite(b)) return gsl_sf_lnbeta(a, b);
    if (isnan(a) || isnan(b)) return NAN;
    return mf_lgamma_raw(a) + mf_lgamma_raw(b) - mf_lgamma_raw(a + b);
}

double mf_lbeta(double a, double b, double *da, double *db)
{
    double pab = (da || db) ? mf_psi(a + b) : 0.0;
    if (da) *da = mf_psi(a) - pab;
    if (db) *db = mf_psi(b) - pab;
    return mf_lbeta_raw(a, b);
}

/* log C(n, k) = -log(n + 1) - log B(n - k + 1, k + 1), as Stan's lchoose (real args). */
double mf_lchoose(double n, double k, double *dn, double *dk)
{
    double p = (dn || dk) ? mf_psi(n - k + 1.0) : 0.0;
    if (dn) *dn = mf_psi(n + 1.0) - p;
    if (dk) *dk = p - mf_psi(k + 1.0);
    if (n - k + 1.0 > 0 && k + 1.0 > 0)
        return -log1p(n) - mf_lbeta_raw(n - k + 1.0, k + 1.0);
    return mf_lgamma_raw(n + 1.0) - mf_lgamma_raw(k + 1.0) - mf_lgamma_raw(n - k + 1.0);
}

/* log(x (x-1) ... (x-n+1)) = lgamma(x + 1) - lgamma(x - n + 1). */
double mf_log_falling_factorial(double x, double n, double *dx, double *dn)
{
    double p = (dx || dn) ? mf_psi(x - n + 1.0) : 0.0;
    if (dx) *dx = mf_psi(x + 1.0) - p;
    if (dn) *dn = p;
    return mf_lgamma_raw(x + 1.0) - mf_lgamma_raw(x - n + 1.0);
}

double mf_erf(double x, double *dx)
{
    if (dx) *dx = M_2_SQRTPI * exp(-x * x);
    return erf(x);
}

double mf_erfc(double x, double *dx)
{
    if (dx) *dx = -M_2_SQRTPI * exp(-x * x);
    return erfc(x);
}

/* Phi(x) = erfc(-x / sqrt 2) / 2: erfc keeps full relative accuracy in the lower
 * tail, where 1 + erf(x / sqrt 2) would cancel. */
double mf_Phi(double x, double *dx)
{
    if (dx) *dx = INV_SQRT_2PI * exp(-0.5 * x * x);
    return 0.5 * erfc(-x * M_SQRT1_2);
}

/* Stan's Phi_approx: inv_logit(0.07056 x^3 + 1.5976 x) (Bowling et al. 2009). */
double mf_Phi_approx(double x, double *dx)
{
    double u = 0.07056 * x * x * x + 1.5976 * x, du;
    double v = mf_inv_logit(u, &du);
    if (dx) *dx = du * (3.0 * 0.07056 * x * x + 1.5976);
    return v;
}

double mf_inv_Phi(double p, double *dx)
{
    double v;
    if (!(p >= 0.0 && p <= 1.0)) v = NAN;
    else v = gsl_cdf_ugaussian_Pinv(p);
    if (dx) *dx = SQRT_2PI * exp(0.5 * v * v);
    return v;
}
