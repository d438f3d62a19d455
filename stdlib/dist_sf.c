/* Special functions for the distribution kernels: see dist_sf.h. */
#include "stdlib/dist_sf.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

#define DSF_TINY 1e-290      /* below this GSL's value has lost relative precision */

double dsf_log_phi(double z) { return -0.5 * z * z - DSF_LOG_SQRT_2PI; }

/* Phi(z) = erfc(-z / sqrt 2) / 2; GSL's log_erfc is asymptotic for large arguments. */
double dsf_log_Phi(double z)
{
    if (z == INFINITY) return 0;
    if (z == -INFINITY) return -INFINITY;
    /* GSL gives NaN beyond |x| ~ 1e77; there the leading asymptotic term is exact */
    if (z < -1e50) return -0.5 * z * z - log(-z) - DSF_LOG_SQRT_2PI;
    if (z > 1e50) return 0;
    return gsl_sf_log_erfc(-z * M_SQRT1_2) - M_LN2;
}

/* The hazard of -z: GSL computes it without forming the tiny Phi(z). */
double dsf_inv_mills(double z)
{
    if (z == -INFINITY) return INFINITY;
    if (z > 30) return exp(dsf_log_phi(z) - dsf_log_Phi(z));   /* GSL reports underflow */
    if (z < -1e50) return -z;
    return gsl_sf_hazard(-z);
}

/* Maechler's choice of expm1 or log1p by the size of a. */
double dsf_log1m_exp(double a)
{
    if (a >= 0) return -INFINITY;
    return a > -M_LN2 ? log(-expm1(a)) : log1p(-exp(a));
}

double dsf_log1m_expm(double s, double ls)
{
    if (s < 1e-10) return ls + log1p(-0.5 * s);
    return dsf_log1m_exp(-s);
}

double dsf_x_over_expm1(double s)
{
    if (s == 0) return 1;
    if (isinf(s)) return 0;
    if (s > 700) return exp(log(s) - s);
    return s / expm1(s);
}

double dsf_log_sum_exp(double a, double b)
{
    double m = a > b ? a : b;
    if (m == -INFINITY) return -INFINITY;
    return m + log1p(exp(-fabs(a - b)));
}

double dsf_xlogy(double k, double y) { return k == 0 ? 0 : k * log(y); }

/* log P(a, x) by the series x^a e^-x / Gamma(a+1) sum_k x^k / ((a+1)...(a+k)). */
static double dsf_lp_series(double a, double x)
{
    double sum = 1, term = 1;
    for (int k = 1; k < 20000; k++) {   /* converges in O(sqrt(a)) terms */
        term *= x / (a + k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return a * log(x) - x - gsl_sf_lngamma(a + 1) + log(sum);
}

/* log Q(a, x) by Legendre's continued fraction, modified Lentz (x > a + 1). */
static double dsf_lq_cf(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 5000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16) break;
    }
    return a * log(x) - x - gsl_sf_lngamma(a) + log(h);
}

/* GSL computes P and Q each to full relative accuracy; only where its value underflows
 * (or it fails) the log-space series / continued fraction takes over. */
double dsf_lgamma_inc(double a, double x, int upper)
{
    if (x <= 0) return upper ? 0 : -INFINITY;
    if (isinf(x)) return upper ? -INFINITY : 0;
    gsl_sf_result r;
    if (!upper) {
        if (gsl_sf_gamma_inc_P_e(a, x, &r) == 0 && r.val > DSF_TINY) return fmin(0, log(r.val));
        if (x < a + 1) return fmin(0, dsf_lp_series(a, x));
        return dsf_log1m_exp(fmin(0, dsf_lq_cf(a, x)));
    }
    if (gsl_sf_gamma_inc_Q_e(a, x, &r) == 0 && r.val > DSF_TINY) return fmin(0, log(r.val));
    if (x >= a + 1) return fmin(0, dsf_lq_cf(a, x));
    return dsf_log1m_exp(fmin(0, dsf_lp_series(a, x)));
}

/* Continued fraction of I_x(a, b) (Numerical Recipes betacf), modified Lentz. */
static double dsf_betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m < 5000; m++) {   /* O(sqrt(max(a, b))): absurd shapes are cut off */
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16) break;
    }
    return h;
}

/* log I_x(a, b) from the front factor and the continued fraction: accurate where
 * x < (a + 1) / (a + b + 2), the side where it converges fast. */
static double dsf_lbeta_cf(double a, double b, double x, double xc)
{
    return a * log(x) + b * log(xc) - gsl_sf_lnbeta(a, b) - log(a) + log(dsf_betacf(a, b, x));
}

/* The side of x where the continued fraction converges is computed directly (GSL
 * forms the other side as 1 - I from its own, rounded, 1 - x); the other log is
 * log1p of minus it.  Where GSL underflows, the log-space continued fraction. */
void dsf_lbeta_inc(double a, double b, double x, double xc, double *li, double *lic)
{
    if (x <= 0) { *li = -INFINITY; *lic = 0; return; }
    if (xc <= 0) { *li = 0; *lic = -INFINITY; return; }
    int low = x < (a + 1) / (a + b + 2);
    double pa = low ? a : b, pb = low ? b : a, px = low ? x : xc, pxc = low ? xc : x, l;
    gsl_sf_result r;
    /* GSL signals underflow (through its error handler) when the front factor
     * x^a (1-x)^b / (a B(a, b)) underflows, and fails for absurd shapes: go straight
     * to the log-space form. */
    double front = pa * log(px) + pb * log(pxc) - gsl_sf_lnbeta(pa, pb) - log(pa);
    if (front > -600 && pa + pb < 1e15 && gsl_sf_beta_inc_e(pa, pb, px, &r) == 0 && r.val > DSF_TINY)
        l = fmin(0, log(r.val));
    else
        l = fmin(0, dsf_lbeta_cf(pa, pb, px, pxc));
    double other = l > -M_LN2 ? log(-expm1(l)) : log1p(-exp(l));
    *li = low ? l : other;
    *lic = low ? other : l;
}

#define DSF_QPIECES 32

double dsf_quad(double (*f)(double x, void *p), void *p, double a, double b, double epsrel)
{
    gsl_function fn = {f, p};
    double lo[DSF_QPIECES], hi[DSF_QPIECES], val[DSF_QPIECES], err[DSF_QPIECES];
    double ra, rb;
    int n = 1;
    lo[0] = a;
    hi[0] = b;
    gsl_integration_qk61(&fn, a, b, &val[0], &err[0], &ra, &rb);
    for (;;) {
        double tot = 0, terr = 0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            tot += val[i];
            terr += err[i];
            if (err[i] > err[worst]) worst = i;
        }
        if (terr <= epsrel * fabs(tot) || n == DSF_QPIECES) return tot;
        double m = 0.5 * (lo[worst] + hi[worst]);
        lo[n] = m;
        hi[n] = hi[worst];
        hi[worst] = m;
        gsl_integration_qk61(&fn, lo[worst], m, &val[worst], &err[worst], &ra, &rb);
        gsl_integration_qk61(&fn, m, hi[n], &val[n], &err[n], &ra, &rb);
        n++;
    }
}

/* Owen's T for h >= 0, 0 < a <= 1, by Gauss-Kronrod quadrature.  For h > 1 the integrand is rescaled, t = h x, so that its width does
 * not shrink with h: T = exp(-h^2/2) / (2 pi h) int_0^{ah} exp(-t^2/2) / (1 + t^2/h^2). */
static double dsf_owt_x(double x, void *p)
{
    double h = *(double *)p;
    return exp(-0.5 * h * h * (1 + x * x)) / (1 + x * x);
}

static double dsf_owt_t(double t, void *p)
{
    double h = *(double *)p;
    return exp(-0.5 * t * t) / (1 + t * t / (h * h));
}

static double dsf_owt_small(double h, double a)
{
    if (h > 1) {
        double up = fmin(a * h, 12.0);
        return exp(-0.5 * h * h) / (2 * M_PI * h) * dsf_quad(dsf_owt_t, &h, 0, up, 1e-13);
    }
    return dsf_quad(dsf_owt_x, &h, 0, a, 1e-13) / (2 * M_PI);
}

/* T is even in h and odd in a; for a > 1 Owen's identity
 * T(h, a) + T(ah, 1/a) = (Phi(h) Q(ah) + Phi(ah) Q(h)) / 2   (h >= 0)
 * brings a into (0, 1]. */
double dsf_owens_t(double h, double a)
{
    if (a == 0 || isnan(h) || isnan(a)) return a == 0 ? 0 : NAN;
    if (a < 0) return -dsf_owens_t(h, -a);
    h = fabs(h);
    if (isinf(h)) return 0;
    if (h == 0) return atan(a) / (2 * M_PI);
    if (a <= 1) return dsf_owt_small(h, a);
    double ah = a * h;
    double v = 0.5 * (gsl_cdf_ugaussian_P(h) * gsl_cdf_ugaussian_Q(ah)
                      + gsl_cdf_ugaussian_P(ah) * gsl_cdf_ugaussian_Q(h));
    return v - (isinf(ah) ? 0 : dsf_owt_small(ah, 1 / a));
}

double dsf_dnum(double (*f)(double s, const void *ctx), const void *ctx, double s)
{
    /* the scale on which log P(a, x) varies is a for small a, sqrt(a) for large a */
    double h = fmax(1e-3 * (s < 1 ? s : sqrt(s)), 1e-9 * s);
    volatile double t = s + h;      /* make s + h - s exact */
    h = t - s;
    double d = (f(s - 2 * h, ctx) - 8 * f(s - h, ctx) + 8 * f(s + h, ctx) - f(s + 2 * h, ctx))
               / (12 * h);
    return isnan(d) ? 0 : d;        /* -inf - -inf deep in a tail: no information */
}
