/* weibull(alpha, sigma), frechet(alpha, sigma), pareto(y_min, alpha). */
#include "stdlib/dist_uv.h"
#include "stdlib/dist_sf.h"

#include <math.h>
#include <gsl/gsl_randist.h>

static void shape_scale_pre(const double *x, unsigned need, double *c)
{
    c[0] = log(x[1]);
    c[1] = log(x[2]);
}

/* ---- weibull: log alpha - log sigma + (alpha - 1) log(y/sigma) - (y/sigma)^alpha ---- */

static double weibull_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1], s = x[2];
    if (y < 0 || isinf(y)) return -INFINITY;
    if (y == 0) {
        g[0] = a == 1 ? -1 / s : 0;
        g[2] = -a / s;
        return c[0] - c[1] + (a == 1 ? 0 : (a > 1 ? -INFINITY : INFINITY));
    }
    double lt = log(y) - c[1], ta = exp(a * lt);
    if (isinf(ta)) return -INFINITY;
    g[0] = ((a - 1) - a * ta) / y;
    g[1] = 1 / a + lt - ta * lt;
    g[2] = a * (ta - 1) / s;
    return c[0] - c[1] + (a - 1) * lt - ta;
}

/* F = 1 - exp(-t^alpha): log(1 - exp(-ta)) with d/d ta = w / ta, w = ta / expm1(ta). */
static double weibull_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1];
    if (y <= 0) return -INFINITY;
    if (isinf(y)) return 0;
    double lt = log(y) - c[1], ta = exp(a * lt), w = dsf_x_over_expm1(ta);
    g[0] = w * a / y;
    g[1] = w * lt;
    g[2] = -w * a / x[2];
    return dsf_log1m_expm(ta, a * lt);
}

static double weibull_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1];
    if (y <= 0) return 0;
    if (isinf(y)) return -INFINITY;
    double lt = log(y) - c[1], ta = exp(a * lt);
    if (isinf(ta)) return -INFINITY;
    g[0] = -a * ta / y;
    g[1] = -ta * lt;
    g[2] = a * ta / x[2];
    return -ta;
}

/* GSL's weibull(a, b) is b/a^b x^(b-1) exp(-(x/a)^b): a the scale, b the shape. */
static double weibull_rn(gsl_rng *r, const double *x) { return gsl_ran_weibull(r, x[2], x[1]); }

static const DuvSpec weibull_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    shape_scale_pre, weibull_lp, weibull_lc, weibull_lcc, weibull_rn};
DUV_ENTRY_POINTS(weibull)
static const double weibull_test[][DIST_MAX_ARGS] = {
    {1.2, 2, 1}, {0.3, 0.7, 2}, {9, 3, 5}, {0.001, 1.5, 1},
};
DUV_DIST(weibull, 3, "RRR", weibull_test, 0, INFINITY, "variate", "shape", "scale");

/* ---- frechet: log alpha - log sigma - (1 + alpha) log(y/sigma) - (y/sigma)^-alpha ---- */

static double frechet_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1];
    if (y <= 0 || isinf(y)) return -INFINITY;
    double lt = log(y) - c[1], s = exp(-a * lt);
    if (isinf(s)) return -INFINITY;
    g[0] = (-(1 + a) + a * s) / y;
    g[1] = 1 / a - lt + s * lt;
    g[2] = a * (1 - s) / x[2];
    return c[0] - c[1] - (1 + a) * lt - s;
}

static double frechet_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1];
    if (y <= 0) return -INFINITY;
    if (isinf(y)) return 0;
    double lt = log(y) - c[1], s = exp(-a * lt);
    if (isinf(s)) return -INFINITY;
    g[0] = a * s / y;
    g[1] = s * lt;
    g[2] = -a * s / x[2];
    return -s;
}

static double frechet_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], a = x[1];
    if (y <= 0) return 0;
    if (isinf(y)) return -INFINITY;
    double lt = log(y) - c[1], s = exp(-a * lt), w = dsf_x_over_expm1(s);
    g[0] = -w * a / y;
    g[1] = -w * lt;
    g[2] = w * a / x[2];
    return dsf_log1m_expm(s, -a * lt);
}

/* 1/Y is weibull(alpha, 1/sigma) */
static double frechet_rn(gsl_rng *r, const double *x) { return x[2] / gsl_ran_weibull(r, 1, x[1]); }

static const DuvSpec frechet_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    shape_scale_pre, frechet_lp, frechet_lc, frechet_lcc, frechet_rn};
DUV_ENTRY_POINTS(frechet)
static const double frechet_test[][DIST_MAX_ARGS] = {
    {1.2, 2, 1}, {0.5, 3, 0.7}, {40, 1.5, 2},
};
DUV_DIST(frechet, 3, "RRR", frechet_test, 0, INFINITY, "variate", "shape", "scale");

/* ---- pareto: log alpha + alpha log y_min - (alpha + 1) log y on y >= y_min ---- */

static void pareto_pre(const double *x, unsigned need, double *c)
{
    c[1] = log(x[1]);
    c[0] = log(x[2]) + x[2] * c[1];
}

static double pareto_lp(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], m = x[1], a = x[2];
    if (y < m || isinf(y)) return -INFINITY;
    double ly = log(y);
    g[0] = -(a + 1) / y;
    g[1] = a / m;
    g[2] = 1 / a + c[1] - ly;
    return c[0] - (a + 1) * ly;
}

/* log(y / y_min) without cancellation near y_min */
static double pareto_lr(double y, double m) { return log1p((y - m) / m); }

static double pareto_lc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], m = x[1], a = x[2];
    if (y <= m) return -INFINITY;
    if (isinf(y)) return 0;
    double lr = pareto_lr(y, m), s = a * lr, w = dsf_x_over_expm1(s);
    g[0] = w / (lr * y);
    g[1] = -w / (lr * m);
    g[2] = w / a;
    return dsf_log1m_expm(s, log(a) + log(lr));
}

static double pareto_lcc(const double *x, const double *c, unsigned need, double *g)
{
    double y = x[0], m = x[1], a = x[2];
    if (y <= m) return 0;
    if (isinf(y)) return -INFINITY;
    double lr = pareto_lr(y, m);
    g[0] = -a / y;
    g[1] = a / m;
    g[2] = -lr;
    return -a * lr;
}

/* GSL's pareto(a, b) is (a/b) / (x/b)^(a+1): a the shape, b the minimum. */
static double pareto_rn(gsl_rng *r, const double *x) { return gsl_ran_pareto(r, x[2], x[1]); }

static const DuvSpec pareto_spec = {3, {DUV_NOTNAN, DUV_POSFIN, DUV_POSFIN}, NULL,
    pareto_pre, pareto_lp, pareto_lc, pareto_lcc, pareto_rn};
DUV_ENTRY_POINTS(pareto)
static const double pareto_test[][DIST_MAX_ARGS] = {
    {2.5, 1, 2}, {0.7, 0.5, 3}, {1000, 2, 0.8},
};
DUV_DIST(pareto, 3, "RRR", pareto_test, 0, INFINITY, "variate", "minimum", "shape");
