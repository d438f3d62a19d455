/* von_mises(mu, kappa): exp(kappa cos(y - mu)) / (2 pi I0(kappa)).
 * The density is periodic (Stan does not restrict y); the cdf is that of the
 * variate represented in [-pi, pi], F(y) = int_{-pi}^y f, as Stan's von_mises_cdf. */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>

#define VM_NMAX 2000            /* series terms; beyond, kappa > ~48000: normal limit */

static void von_mises_pre(const double *x, unsigned need, double *c)
{
    double k = x[2], i0 = gsl_sf_bessel_I0_scaled(k);
    c[0] = log(2 * M_PI) + log(i0) + k;
    c[1] = gsl_sf_bessel_I1_scaled(k) / i0;       /* d log I0 / d kappa */
}

static double von_mises_lp(const double *x, const double *c, unsigned need, double *g)
{
    if (isinf(x[0])) return -INFINITY;
    double k = x[2], d = x[0] - x[1], s = sin(d), co = cos(d);
    g[0] = -k * s;
    g[1] = k * s;
    g[2] = co - c[1];
    return k * co - c[0];
}

/* rho[j] = I_j(kappa) / I_0(kappa), j = 0..n+1, by Miller's backward recurrence
 * I_{j-1} = (2j / kappa) I_j + I_{j+1}, rescaled against overflow. */
static void vm_ratios(double k, int n, double *rho)
{
    if (k < 1e-6) {            /* leading term of the series: (k/2)^j / j! */
        rho[0] = 1;
        for (int j = 1; j <= n + 1; j++) rho[j] = rho[j - 1] * 0.5 * k / j;
        return;
    }
    int m = n + 40 + (int)sqrt(40 * k);
    double ip1 = 0, ij = 1e-300;                      /* I_{j+1}, I_j at j = m */
    for (int j = m; j >= 1; j--) {
        double im1 = 2 * j / k * ij + ip1;
        if (j - 1 <= n + 1) rho[j - 1] = im1;
        ip1 = ij;
        ij = im1;
        if (ij > 1e250) {
            ij *= 1e-250;
            ip1 *= 1e-250;
            for (int i = j - 1; i <= n + 1; i++) rho[i] *= 1e-250;
        }
    }
    double i0 = rho[0];
    for (int j = 0; j <= n + 1; j++) rho[j] /= i0;
}

/* S(t) = int_0^t f0 = t / (2 pi) + (1/pi) sum_j rho_j sin(j t) / j (f0: mu = 0),
 * and dS/dkappa with d rho_j / d kappa = (rho_{j-1} + rho_{j+1}) / 2 - rho_j rho_1;
 * F(y) = S(y - mu) - S(-pi - mu). */
typedef struct { double k; int n; double rho[VM_NMAX + 2]; } VmSeries;

static void vm_series_init(VmSeries *s, double k)
{
    s->k = k;
    s->n = k > 0 ? 20 + (int)ceil(9 * sqrt(k)) : 0;
    if (s->n > VM_NMAX) { s->n = -1; return; }
    s->rho[0] = 1;
    if (s->n > 0) vm_ratios(k, s->n, s->rho);
}

/* S(a) - S(b) and its kappa-derivative, with sin(ja) - sin(jb) written as
 * 2 cos(j(a+b)/2) sin(j(a-b)/2) so that a small difference does not cancel. */
static double vm_D(const VmSeries *s, double a, double b, double amb, double *dk)
{
    if (s->n < 0) {      /* kappa so large that the wrapped normal limit is exact to 1/kappa */
        double v = 0, d = 0;
        for (int side = 0; side < 2; side++) {
            double t = side ? b : a, sg = side ? -1 : 1, sk = sqrt(s->k);
            double w = floor((t + M_PI) / (2 * M_PI)), r = t - 2 * M_PI * w;
            v += sg * (w + gsl_cdf_ugaussian_P(r * sk));
            d += sg * gsl_ran_ugaussian_pdf(r * sk) * r / (2 * sk);
        }
        *dk = d;
        return v;
    }
    double h = 0.5 * amb, m = 0.5 * (a + b), v = amb / (2 * M_PI), d = 0;
    for (int j = 1; j <= s->n; j++) {
        double sj = 2 * cos(j * m) * sin(j * h) / (j * M_PI);
        v += s->rho[j] * sj;
        d += (0.5 * (s->rho[j - 1] + s->rho[j + 1]) - s->rho[j] * s->rho[1]) * sj;
    }
    *dk = d;
    return v;
}

/* Where F (or 1 - F) is small the series, accurate to ~1e-16 absolute, is not
 * accurate relatively: integrate the density over the arc instead, scaled by its
 * largest value there.  Returns log p and sets *dk = d log p / d kappa. */
typedef struct { double k, mu, m; int weighted; } VmArc;

static double vm_arc_f(double t, void *p)
{
    const VmArc *q = p;
    double co = cos(t - q->mu);
    return (q->weighted ? co : 1) * exp(q->k * co - q->m);
}

static double vm_arc(double lo, double hi, double mu, double k, const double *c, double *dk)
{
    double tm = mu + 2 * M_PI * round((0.5 * (lo + hi) - mu) / (2 * M_PI));
    double m = (tm >= lo && tm <= hi) ? k : k * fmax(cos(lo - mu), cos(hi - mu));
    VmArc q = {k, mu, m, 0};
    double i0 = dsf_quad(vm_arc_f, &q, lo, hi, 1e-12);
    q.weighted = 1;
    double i1 = dsf_quad(vm_arc_f, &q, lo, hi, 1e-12);
    *dk = i1 / i0 - c[1];
    return m - c[0] + log(i0);
}

static double von_mises_tail(const double *x, const double *c, double *g, int upper)
{
    /* mu modulo 2 pi once, so that F and 1 - F see the same angle */
    double y = x[0], mu = remainder(x[1], 2 * M_PI), k = x[2];
    if (y < -M_PI) return upper ? 0 : -INFINITY;
    if (y > M_PI) return upper ? -INFINITY : 0;
    VmSeries s;
    vm_series_init(&s, k);
    /* a - b passed as pi -+ y: exact near the bounds, where F or 1 - F is small */
    double dk, p = upper ? vm_D(&s, M_PI - mu, y - mu, M_PI - y, &dk)
                         : vm_D(&s, y - mu, -M_PI - mu, y + M_PI, &dk);
    double lv, sg = upper ? -1 : 1, gk;
    if (p < 1e-6 && k > 0 && (upper ? y < M_PI : y > -M_PI)) {
        lv = upper ? vm_arc(y, M_PI, mu, k, c, &gk) : vm_arc(-M_PI, y, mu, k, c, &gk);
    } else {
        if (p <= 0) return -INFINITY;
        if (p > 1) p = 1;
        lv = log(p);
        gk = dk / p;
    }
    double fy = exp(k * cos(y - mu) - c[0] - lv), fpi = exp(k * cos(M_PI + mu) - c[0] - lv);
    g[0] = sg * fy;
    g[1] = sg * (fpi - fy);
    g[2] = gk;
    return lv;
}

static double von_mises_lc(const double *x, const double *c, unsigned need, double *g)
{
    return von_mises_tail(x, c, g, 0);
}

static double von_mises_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return von_mises_tail(x, c, g, 1);
}

/* Best and Fisher (1979), as Stan's von_mises_rng; the draw is wrapped to [-pi, pi]. */
static double von_mises_rn(gsl_rng *r, const double *x)
{
    double mu = x[1], k = x[2], th;
    if (k < 1.4e-8) {
        th = gsl_ran_flat(r, -M_PI, M_PI);
    } else {
        double rr = 1 + sqrt(1 + 4 * k * k), rho = (rr - sqrt(2 * rr)) / (2 * k);
        double s = (1 + rho * rho) / (2 * rho), W;
        for (;;) {
            double u1 = gsl_rng_uniform(r), u2 = gsl_rng_uniform_pos(r);
            double z = cos(M_PI * u1);
            W = (1 + s * z) / (s + z);
            double Y = k * (s - W);
            if (Y * (2 - Y) - u2 > 0 || log(Y / u2) + 1 - Y >= 0) break;
        }
        if (W > 1) W = 1;
        if (W < -1) W = -1;
        th = (gsl_rng_uniform(r) > 0.5 ? 1 : -1) * acos(W);
    }
    double y = fmod(mu + th + M_PI, 2 * M_PI);
    if (y < 0) y += 2 * M_PI;
    return y - M_PI;
}

static const DuvSpec von_mises_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_NONNEGFIN}, NULL,
    von_mises_pre, von_mises_lp, von_mises_lc, von_mises_lcc, von_mises_rn};
DUV_ENTRY_POINTS(von_mises)
static const double von_mises_test[][DIST_MAX_ARGS] = {
    {0.3, 0, 1}, {-2, 1, 4}, {2.8, -2.5, 0.5}, {0.1, 0.2, 60},
};
DUV_DIST(von_mises, 3, "RRR", von_mises_test, -M_PI, M_PI, "variate", "location", "concentration");
