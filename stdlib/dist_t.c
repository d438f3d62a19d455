/* student_t(nu, mu, sigma) and cauchy(mu, sigma). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* ---- student_t: lgamma((nu+1)/2) - lgamma(nu/2) - log(nu pi)/2 - log sigma
 *                 - (nu+1)/2 log1p(z^2/nu) ---- */

static void student_t_pre(const double *x, unsigned need, double *c)
{
    double nu = x[1];
    c[0] = gsl_sf_lngamma(0.5 * (nu + 1)) - gsl_sf_lngamma(0.5 * nu) - 0.5 * log(nu * M_PI)
           - log(x[3]);
    c[1] = 1 / x[3];
    if (need & 2) c[2] = 0.5 * (gsl_sf_psi(0.5 * (nu + 1)) - gsl_sf_psi(0.5 * nu) - 1 / nu);   /* d / d nu */
}

static double student_t_lp(const double *x, const double *c, unsigned need, double *g)
{
    double nu = x[1], z = (x[0] - x[2]) * c[1];
    if (isinf(z)) return -INFINITY;
    double z2 = z * z, l = log1p(z2 / nu), w = (nu + 1) / (nu + z2);
    g[0] = -w * z * c[1];
    g[2] = -g[0];
    g[3] = (w * z2 - 1) * c[1];
    g[1] = c[2] - 0.5 * l + 0.5 * w * z2 / nu;
    return c[0] - 0.5 * (nu + 1) * l;
}

/* The tail mass beyond |z|: Pr(T <= -|z|) = I_x(nu/2, 1/2) / 2, x = nu / (nu + z^2). */
static void student_t_tails(double nu, double z, double *lsmall, double *lbig)
{
    double z2 = z * z, li, lic;
    if (isinf(z)) { *lsmall = -INFINITY; *lbig = 0; return; }
    if (fabs(z) > 1e100) {   /* I_x(a, 1/2) ~ x^a / (a B(a, 1/2)), x = nu / z^2: z^2 overflows */
        double a = 0.5 * nu;
        li = a * (log(nu) - 2 * log(fabs(z))) - log(a) - gsl_sf_lnbeta(a, 0.5);
    } else {
        dsf_lbeta_inc(0.5 * nu, 0.5, nu / (nu + z2), z2 / (nu + z2), &li, &lic);
    }
    *lsmall = li - M_LN2;                          /* log Pr(T <= -|z|) */
    *lbig = log1p(-0.5 * exp(li));                 /* log Pr(T <= |z|) */
}

typedef struct { double z; int upper; } StudentCtx;

static double student_t_lcfix(double nu, const void *p)
{
    const StudentCtx *s = p;
    double ls, lb;
    student_t_tails(nu, s->z, &ls, &lb);
    return (s->z < 0) != s->upper ? ls : lb;
}

/* Partials: y, mu, sigma through the density; nu by a numerical derivative of the
 * incomplete beta function (no practical closed form). */
static double student_t_tail(const double *x, const double *c, unsigned need, double *g,
                             int upper)
{
    double nu = x[1], z = (x[0] - x[2]) * c[1];
    StudentCtx s = {z, upper};
    double v = student_t_lcfix(nu, &s);
    if (v == -INFINITY || isinf(z)) return v;
    double lpz = c[0] + log(x[3]) - 0.5 * (nu + 1) * log1p(z * z / nu);
    double r = exp(lpz - v) * c[1] * (upper ? -1 : 1);
    g[0] = r;
    g[2] = -r;
    g[3] = -r * z;
    if (need & 2) g[1] = dsf_dnum(student_t_lcfix, &s, nu);
    return v;
}

static double student_t_lc(const double *x, const double *c, unsigned need, double *g)
{
    return student_t_tail(x, c, need, g, 0);
}

static double student_t_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return student_t_tail(x, c, need, g, 1);
}

static double student_t_rn(gsl_rng *r, const double *x)
{
    return x[2] + x[3] * gsl_ran_tdist(r, x[1]);
}

static const DuvSpec student_t_spec = {4, {DUV_NOTNAN, DUV_POSFIN, DUV_FINITE, DUV_POSFIN},
    NULL, student_t_pre, student_t_lp, student_t_lc, student_t_lcc, student_t_rn};
DUV_ENTRY_POINTS(student_t)
static const double student_t_test[][DIST_MAX_ARGS] = {
    {0.4, 3, 0, 1}, {-3, 1.5, 1, 2}, {25, 4, 1, 1.5}, {0.01, 30, 0, 1}, {-8, 0.7, 0.5, 0.3},
};
DUV_DIST(student_t, 4, "RRRR", student_t_test, -INFINITY, INFINITY,
         "variate", "degrees of freedom", "location", "scale");

/* ---- cauchy: -log pi - log sigma - log1p(z^2);  F = atan2(1, -z) / pi, whose
 * small values in either tail are computed without cancellation. ---- */

static void cauchy_pre(const double *x, unsigned need, double *c)
{
    c[0] = log(x[2]);
    c[1] = 1 / x[2];
}

static double cauchy_lp(const double *x, const double *c, unsigned need, double *g)
{
    double z = (x[0] - x[1]) * c[1];
    if (isinf(z)) return -INFINITY;
    double w = 2 * z / (1 + z * z);
    g[0] = -w * c[1];
    g[1] = w * c[1];
    g[2] = (w * z - 1) * c[1];
    return -log(M_PI) - c[0] - log1p(z * z);
}

static double cauchy_tail(const double *x, const double *c, double *g, double sgn)
{
    double z = sgn * (x[0] - x[1]) * c[1];
    double f = atan2(1, -z) / M_PI;
    if (f == 0) return -INFINITY;
    if (isinf(z)) return log(f);
    double r = isinf(z) ? 0 : sgn / (M_PI * f * (1 + z * z)) * c[1];
    g[0] = r;
    g[1] = -r;
    g[2] = -r * sgn * z;
    return log(f);
}

static double cauchy_lc(const double *x, const double *c, unsigned need, double *g)
{
    return cauchy_tail(x, c, g, 1);
}

static double cauchy_lcc(const double *x, const double *c, unsigned need, double *g)
{
    return cauchy_tail(x, c, g, -1);
}

static double cauchy_rn(gsl_rng *r, const double *x) { return x[1] + gsl_ran_cauchy(r, x[2]); }

static const DuvSpec cauchy_spec = {3, {DUV_NOTNAN, DUV_FINITE, DUV_POSFIN}, NULL,
    cauchy_pre, cauchy_lp, cauchy_lc, cauchy_lcc, cauchy_rn};
DUV_ENTRY_POINTS(cauchy)
static const double cauchy_test[][DIST_MAX_ARGS] = {
    {0.5, 0, 1}, {-3, 1, 0.5}, {100, -2, 3},
};
DUV_DIST(cauchy, 3, "RRR", cauchy_test, -INFINITY, INFINITY, "variate", "location", "scale");
