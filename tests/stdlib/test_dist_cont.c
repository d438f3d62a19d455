/* Continuous univariate distributions, table-driven over dist_table: partials against
 * finite differences in several argument layouts, normalisation, GSL densities, cdf as
 * the integral of the density, rng by Kolmogorov-Smirnov, tails, argument errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stdlib/dist.h"

#define NREP 3
#define KS_N 2000

/* ---------------------------------------------------------------- the table */

static const Dist *cont[64];
static int ncont;

/* GSL's default handler aborts: the kernels must never reach it.  Counted here. */
static int gsl_errors;
static void count_gsl_error(const char *reason, const char *file, int line, int err)
{
    if (gsl_errors++ < 5) fprintf(stderr, "GSL error: %s (%s:%d)\n", reason, file, line);
}

static void collect(void)
{
    gsl_set_error_handler(count_gsl_error);
    if (ncont) return;
    for (const Dist *const *d = dist_table; *d; d++) {
        if ((*d)->discrete || (int)strspn((*d)->sig, "R") != (*d)->nargs) continue;
        cont[ncont++] = *d;
    }
}

enum { F_LPDF, F_CDF, F_LCDF, F_LCCDF, F_N };
static const char *fname[F_N] = {"lpdf", "cdf", "lcdf", "lccdf"};

static DistFn fn_of(const Dist *D, int f)
{
    return f == F_LPDF ? D->lpdf : f == F_CDF ? D->cdf : f == F_LCDF ? D->lcdf : D->lccdf;
}

/* One vectorised call: n replicates, per-argument stride and values. */
typedef struct Call {
    int n, nargs;
    int stride[DIST_MAX_ARGS];
    double x[DIST_MAX_ARGS][NREP];
    double d[DIST_MAX_ARGS][NREP];
} Call;

static int run(DistFn f, Call *c, double *out, int grads, DistErr *e)
{
    DArg a[DIST_MAX_ARGS];
    double *dp[DIST_MAX_ARGS];
    DistErr dummy;
    for (int k = 0; k < c->nargs; k++) {
        a[k] = (DArg){c->x[k], NULL, c->stride[k], 1, 1};
        dp[k] = c->d[k];
        if (grads)   /* partials are ADDED: start from a non-zero value */
            for (int i = 0; i < NREP; i++) c->d[k][i] = 0.25;
    }
    int rc = f(c->n, a, out, grads ? dp : NULL, e ? e : &dummy);
    if (grads)
        for (int k = 0; k < c->nargs; k++)
            for (int i = 0; i < NREP; i++) c->d[k][i] -= 0.25;
    return rc;
}

static void one_call(Call *c, int nargs, const double *x)
{
    memset(c, 0, sizeof *c);
    c->n = 1;
    c->nargs = nargs;
    for (int k = 0; k < nargs; k++) c->x[k][0] = x[k];
}

static double eval1(const Dist *D, int f, const double *x)
{
    Call c;
    double out = NAN;
    one_call(&c, D->nargs, x);
    ck_assert_int_eq(run(fn_of(D, f), &c, &out, 0, NULL), 0);
    return out;
}

/* Support of the variate for these parameters (pareto and uniform move it). */
static void support(const Dist *D, const double *x, double *lo, double *hi)
{
    *lo = D->lo;
    *hi = D->hi;
    if (!strcmp(D->name, "pareto")) *lo = x[1];
    if (!strcmp(D->name, "uniform")) { *lo = x[1]; *hi = x[2]; }
}

/* The y with lcdf(y) = lp (upper = 0) or lccdf(y) = lp (upper = 1), by bisection;
 * returns the bracket [*a, *b] it ends on. */
static double quantile(const Dist *D, const double *x0, double lp, int upper, double *pa,
                       double *pb)
{
    double x[DIST_MAX_ARGS], lo, hi;
    memcpy(x, x0, sizeof x);
    support(D, x, &lo, &hi);
    double a = isinf(lo) ? -1 : lo, b = isinf(hi) ? 1 : hi;
    int f = upper ? F_LCCDF : F_LCDF;
#define BELOW(y) (x[0] = (y), upper ? eval1(D, f, x) > lp : eval1(D, f, x) < lp)
    while (isinf(lo) && !BELOW(a) && a > -1e300) a *= 2;
    while (isinf(hi) && BELOW(b) && b < 1e300) b *= 2;
    for (int it = 0; it < 3000; it++) {
        double m;
        if (a > 0 && b > 8 * a) m = sqrt(a * b);
        else if (b < 0 && a < 8 * b) m = -sqrt(a * b);
        else if (a == 0 && b > 1e-300) m = b / 16;
        else if (b == 0 && a < -1e-300) m = a / 16;
        else m = 0.5 * (a + b);
        if (m <= a || m >= b) break;
        if (BELOW(m)) a = m;
        else b = m;
    }
#undef BELOW
    if (pa) *pa = a;
    if (pb) *pb = b;
    return 0.5 * (a + b);
}

/* Points to test at: the table's, and the same parameters with the variate at
 * quantiles 1e-12 .. 1 - 1e-12 (deep tails, near the support's bounds). */
#define NEDGE 5
static const double edge_p[NEDGE] = {1e-12, 0.01, 0.5, 0.99, 1 - 1e-12};

static int points(const Dist *D, double (*pt)[DIST_MAX_ARGS], int max)
{
    int np = 0;
    for (int t = 0; t < D->ntest && np < max; t++) {
        memcpy(pt[np++], D->test[t], sizeof pt[0]);
        for (int q = 0; q < NEDGE && np < max; q++) {
            memcpy(pt[np], D->test[t], sizeof pt[0]);
            double p = edge_p[q];
            pt[np][0] = p <= 0.5 ? quantile(D, D->test[t], log(p), 0, NULL, NULL)
                                 : quantile(D, D->test[t], log1p(-p), 1, NULL, NULL);
            np++;
        }
    }
    return np;
}

/* --------------------------------------------------- (1) partials, layouts */

/* Five-point central difference of the call's value in element (k, i).  The step
 * shrinks until the estimates at h and h/2 agree (the stencil must not straddle a
 * support bound or a kink) and the values are finite.  Returns 0 when no step works. */
static double fd5(DistFn f, Call *c, int k, int i, double h, int *ok)
{
    double x0 = c->x[k][i], v[4], off[4] = {-2, -1, 1, 2};
    volatile double xh = x0 + h;
    h = xh - x0;          /* the step actually taken, a multiple of x0's ulp */
    *ok = 1;
    for (int s = 0; s < 4 && *ok; s++) {
        c->x[k][i] = x0 + off[s] * h;
        DistErr e;
        if (run(f, c, &v[s], 0, &e) != 0 || !isfinite(v[s])) *ok = 0;
    }
    c->x[k][i] = x0;
    return (v[0] - 8 * v[1] + 8 * v[2] - v[3]) / (12 * h);
}

static int fdiff(DistFn f, Call *c, int k, int i, double hmax, double *der, double *tol)
{
    double x0 = c->x[k][i], h = fmin(1e-4 * fmax(fabs(x0), 1e-3), hmax), v0 = 0;
    run(f, c, &v0, 0, NULL);
    for (int tries = 0; tries < 40; tries++, h /= 4) {
        int ok1, ok2;
        double d1 = fd5(f, c, k, i, h, &ok1);
        if (!ok1) continue;
        double d2 = fd5(f, c, k, i, h / 2, &ok2);
        if (!ok2) continue;
        *der = d2;
        *tol = 1e-6 * (1 + fabs(d2)) + 1e-13 * (1 + fabs(v0)) / h;
        if (fabs(d1 - d2) <= *tol) return 1;
    }
    return 0;
}

/* Layouts: 0 all scalars (n = 1); 1 all broadcast, n = 3; 2 variate a vector, the
 * rest broadcast; 3 everything a vector with distinct parameters per replicate. */
static void layout(Call *c, const Dist *D, const double *pt, const double *ys, int lay)
{
    memset(c, 0, sizeof *c);
    c->nargs = D->nargs;
    c->n = lay == 0 ? 1 : NREP;
    for (int k = 0; k < D->nargs; k++) {
        c->stride[k] = lay == 3 || (lay == 2 && k == 0);
        for (int i = 0; i < NREP; i++) {
            double v = pt[k];
            if (k == 0 && c->stride[0]) v = ys[i];
            if (k > 0 && lay == 3) v = pt[k] * (1 + 0.01 * i) + (pt[k] == 0 ? 0.01 * i : 0);
            c->x[k][i] = v;
        }
    }
}

static int n_checked, n_skipped;

static int check_partials(const Dist *D, int f, Call *c, const char *where)
{
    double out;
    DistErr e;
    if (run(fn_of(D, f), c, &out, 1, &e) != 0) return 0;   /* invalid perturbed layout */
    if (!isfinite(out) || (f == F_CDF && out == 0)) return 0;
    int bad = 0;
    /* The stencil must stay clear of the support's bounds and of kinks: steps at most
     * 1% of the distance to the nearest one, over all replicates. */
    double hmax = INFINITY;
    for (int i = 0; i < c->n; i++) {
        double lo, hi, x[DIST_MAX_ARGS];
        for (int k = 0; k < D->nargs; k++) x[k] = c->x[k][c->stride[k] ? i : 0];
        support(D, x, &lo, &hi);
        if (x[0] <= lo || x[0] >= hi) return 0;
        hmax = fmin(hmax, 0.01 * fmin(x[0] - lo, hi - x[0]));
        if (!strcmp(D->name, "double_exponential")) {
            if (x[0] == x[1]) return 0;
            hmax = fmin(hmax, 0.01 * fabs(x[0] - x[1]));
        }
    }
    for (int k = 0; k < D->nargs; k++)
        for (int i = 0; i < (c->stride[k] ? c->n : 1); i++) {
            double der, tol, an = c->d[k][i];
            ck_assert_msg(!isnan(an), "%s_%s %s: NaN partial arg %d", D->name, fname[f], where, k);
            if (!fdiff(fn_of(D, f), c, k, i, hmax, &der, &tol)) {
                n_skipped++;
                continue;
            }
            n_checked++;
            if (fabs(an - der) > tol) {
                fprintf(stderr, "%s_%s %s arg %d[%d] = %.17g: partial %.12g, fd %.12g\n",
                        D->name, fname[f], where, k, i, c->x[k][i], an, der);
                bad++;
            }
        }
    return bad;
}

START_TEST(t_partials)
{
    collect();
    const Dist *D = cont[_i];
    double pt[64][DIST_MAX_ARGS];
    int np = points(D, pt, 64), bad = 0;
    for (int p = 0; p < np; p++) {
        double ys[NREP] = {pt[p][0], pt[p][0], pt[p][0]};
        if (p % (NEDGE + 1) == 0) {   /* a table point: vary the variate around it */
            double ql, qm, qh;
            ql = quantile(D, pt[p], log(0.3), 0, NULL, NULL);
            qm = quantile(D, pt[p], log(0.5), 0, NULL, NULL);
            qh = quantile(D, pt[p], log(0.3), 1, NULL, NULL);
            ys[0] = pt[p][0]; ys[1] = ql; ys[2] = 0.5 * (qm + qh);
        }
        /* edge points: scalars and a vector variate; table points: every layout */
        for (int lay = 0; lay < 4; lay++)
            for (int f = 0; f < F_N; f++) {
                Call c;
                char where[96];
                if (p % (NEDGE + 1) != 0 && (lay == 1 || lay == 3)) continue;
                layout(&c, D, pt[p], ys, lay);
                snprintf(where, sizeof where, "point %d layout %d", p, lay);
                bad += check_partials(D, f, &c, where);
            }
    }
    ck_assert_msg(bad == 0, "%s: %d partials disagree with finite differences", D->name, bad);
    /* the finite differences must have worked almost everywhere */
    ck_assert_msg(n_checked > 300 && n_skipped < n_checked / 20, "%s: %d partials checked, %d skipped",
                  D->name, n_checked, n_skipped);
    fprintf(stderr, "%s: %d partials checked, %d without a usable stencil\n", D->name, n_checked,
            n_skipped);
}
END_TEST

/* The vectorised value is the sum (cdf: product) of the scalar ones. */
START_TEST(t_vector_sum)
{
    collect();
    const Dist *D = cont[_i];
    for (int t = 0; t < D->ntest; t++) {
        double ys[NREP] = {D->test[t][0], quantile(D, D->test[t], log(0.2), 0, NULL, NULL),
                           quantile(D, D->test[t], log(0.2), 1, NULL, NULL)};
        for (int lay = 1; lay < 4; lay++)
            for (int f = 0; f < F_N; f++) {
                Call c, s;
                double out, acc = f == F_CDF ? 1 : 0;
                layout(&c, D, D->test[t], ys, lay);
                if (run(fn_of(D, f), &c, &out, 0, NULL) != 0) continue;
                for (int i = 0; i < NREP; i++) {
                    double x[DIST_MAX_ARGS], v;
                    for (int k = 0; k < D->nargs; k++) x[k] = c.x[k][c.stride[k] ? i : 0];
                    one_call(&s, D->nargs, x);
                    ck_assert_int_eq(run(fn_of(D, f), &s, &v, 0, NULL), 0);
                    acc = f == F_CDF ? acc * v : acc + v;
                }
                ck_assert_msg(fabs(out - acc) <= 1e-12 * (1 + fabs(acc)) || out == acc,
                              "%s_%s layout %d: %.17g vs sum %.17g", D->name, fname[f], lay,
                              out, acc);
            }
    }
}
END_TEST

/* ------------------------------------------- (2) normalisation, (4) cdf */

typedef struct { const Dist *D; double x[DIST_MAX_ARGS]; } Dens;

static double dens(double y, void *p)
{
    Dens *q = p;
    q->x[0] = y;
    return exp(eval1(q->D, F_LPDF, q->x));
}

static gsl_integration_workspace *ws;

/* Infinite tails in u = log|y|: f(+-e^u) e^u decays exponentially even for the
 * heavy-tailed densities, which GSL's 1/t maps of infinite ranges do not resolve. */
typedef struct { Dens *q; double sign; } LogSub;

static double dens_log(double u, void *p)
{
    LogSub *l = p;
    double e = exp(u);
    if (isinf(e)) return 0;
    return dens(l->sign * e, l->q) * e;
}

/* int_a^b of the density, either end possibly infinite. */
static double integrate(Dens *q, double a, double b)
{
    gsl_function F = {dens, q};
    double r = 0, err;
    if (!(b > a)) return 0;
    /* pieces within (-inf, -1], [-1, 1], [1, inf), wide ones cut geometrically */
    if (a < -1 && b > -1) return integrate(q, a, -1) + integrate(q, -1, b);
    if (a < 1 && b > 1) return integrate(q, a, 1) + integrate(q, 1, b);
    if (a >= 1 && b > 100 * a && !isinf(b)) return integrate(q, a, 100 * a) + integrate(q, 100 * a, b);
    if (b <= -1 && a < 100 * b && !isinf(a)) return integrate(q, a, 100 * b) + integrate(q, 100 * b, b);
    if (isinf(a) || isinf(b)) {
        LogSub l = {q, isinf(b) ? 1 : -1};
        gsl_function G = {dens_log, &l};
        gsl_integration_qagiu(&G, log(isinf(b) ? a : -b), 0, 1e-11, 1000, ws, &r, &err);
        return r;
    }
    gsl_integration_qags(&F, a, b, 0, 1e-11, 1000, ws, &r, &err);
    return r;
}

/* Split points for integrate_to: the 10%, 50% and 90% quantiles (the parameters of pt). */
static void cuts_of(const Dist *D, const double *pt, double *cut)
{
    cut[0] = quantile(D, pt, log(0.1), 0, NULL, NULL);
    cut[1] = quantile(D, pt, log(0.5), 0, NULL, NULL);
    cut[2] = quantile(D, pt, log(0.1), 1, NULL, NULL);
}

/* int_lo^y, split at the cuts so that narrow peaks are not missed. */
static double integrate_to(Dens *q, const double *pt, const double *cut, double y)
{
    double lo, hi;
    support(q->D, pt, &lo, &hi);
    double a = lo, s = 0;
    for (int j = 0; j < 3 && a < y; j++) {
        double b = fmin(cut[j], y);
        s += integrate(q, a, b);
        a = fmax(a, b);
    }
    return s + integrate(q, a, fmin(y, hi));
}

/* int_y^hi, the same pieces from the other end (small upper tails keep their
 * relative accuracy). */
static double integrate_from(Dens *q, const double *pt, const double *cut, double y)
{
    double lo, hi, s = 0, a = y;
    support(q->D, pt, &lo, &hi);
    for (int j = 0; j < 3; j++)
        if (cut[j] > a) {
            s += integrate(q, a, fmin(cut[j], hi));
            a = cut[j];
        }
    return s + integrate(q, a, hi);
}

START_TEST(t_normalised)
{
    collect();
    const Dist *D = cont[_i];
    ws = gsl_integration_workspace_alloc(1000);
    for (int t = 0; t < D->ntest; t++) {
        Dens q = {D, {0}};
        memcpy(q.x, D->test[t], sizeof q.x);
        double lo, hi, cut[3];
        support(D, D->test[t], &lo, &hi);
        cuts_of(D, D->test[t], cut);
        double tot = integrate_to(&q, D->test[t], cut, hi);
        ck_assert_msg(fabs(tot - 1) < 1e-7, "%s test %d: density integrates to %.12g",
                      D->name, t, tot);
    }
    gsl_integration_workspace_free(ws);
}
END_TEST

START_TEST(t_cdf_integral)
{
    collect();
    const Dist *D = cont[_i];
    ws = gsl_integration_workspace_alloc(1000);
    double pt[64][DIST_MAX_ARGS];
    int np = points(D, pt, 64);
    double cut[3];
    for (int p = 0; p < np; p++) {
        Dens q = {D, {0}};
        memcpy(q.x, pt[p], sizeof q.x);
        double lo, hi;
        support(D, pt[p], &lo, &hi);
        if (p % (NEDGE + 1) == 0) cuts_of(D, pt[p], cut);   /* new parameters */
        double F = integrate_to(&q, pt[p], cut, pt[p][0]);
        double Fc = integrate_from(&q, pt[p], cut, pt[p][0]);
        double cdf = eval1(D, F_CDF, pt[p]), lcdf = eval1(D, F_LCDF, pt[p]);
        double lccdf = eval1(D, F_LCCDF, pt[p]);
        ck_assert_msg(fabs(cdf - F) < 1e-14 + 1e-7 * F, "%s point %d y=%g: cdf %.12g, integral %.12g",
                      D->name, p, pt[p][0], cdf, F);
        ck_assert_msg(fabs(exp(lcdf) - cdf) <= 1e-12 * cdf, "%s: lcdf != log(cdf)", D->name);
        ck_assert_msg(fabs(exp(lccdf) - Fc) < 1e-14 + 1e-7 * Fc,
                      "%s point %d y=%g: ccdf %.12g, integral %.12g", D->name, p, pt[p][0],
                      exp(lccdf), Fc);
        if (cdf < 0.9)
            ck_assert_msg(fabs(lccdf - log1p(-cdf)) < 1e-10, "%s: lccdf != log1m(cdf)", D->name);
    }
    gsl_integration_workspace_free(ws);
}
END_TEST

/* ------------------------------------------------------ (3) GSL densities */

static double gsl_density(const char *n, const double *x, int *have)
{
    double y = x[0], a = x[1], b = x[2], c = x[3];
    *have = 1;
    if (!strcmp(n, "normal")) return gsl_ran_gaussian_pdf(y - a, b);
    if (!strcmp(n, "std_normal")) return gsl_ran_ugaussian_pdf(y);
    if (!strcmp(n, "student_t")) return gsl_ran_tdist_pdf((y - b) / c, a) / c;
    if (!strcmp(n, "cauchy")) return gsl_ran_cauchy_pdf(y - a, b);
    if (!strcmp(n, "double_exponential")) return gsl_ran_laplace_pdf(y - a, b);
    /* the two without a GSL density, written from their definitions (Stan's manual) */
    if (!strcmp(n, "loglogistic")) return (b / a) * pow(y / a, b - 1) / pow(1 + pow(y / a, b), 2);
    if (!strcmp(n, "skew_double_exponential"))
        return 2 * c * (1 - c) / b * exp(-2 / b * (y < a ? (1 - c) * (a - y) : c * (y - a)));
    if (!strcmp(n, "logistic")) return gsl_ran_logistic_pdf(y - a, b);
    if (!strcmp(n, "gumbel")) return gsl_ran_gumbel1_pdf(y, 1 / b, exp(a / b));
    if (!strcmp(n, "lognormal")) return gsl_ran_lognormal_pdf(y, a, b);
    if (!strcmp(n, "chi_square")) return gsl_ran_chisq_pdf(y, a);
    if (!strcmp(n, "exponential")) return gsl_ran_exponential_pdf(y, 1 / a);
    if (!strcmp(n, "gamma")) return gsl_ran_gamma_pdf(y, a, 1 / b);
    if (!strcmp(n, "inv_gamma")) return gsl_ran_gamma_pdf(1 / y, a, 1 / b) / (y * y);
    if (!strcmp(n, "inv_chi_square")) return gsl_ran_chisq_pdf(1 / y, a) / (y * y);
    if (!strcmp(n, "weibull")) return gsl_ran_weibull_pdf(y, b, a);
    if (!strcmp(n, "frechet")) return gsl_ran_weibull_pdf(1 / y, 1 / b, a) / (y * y);
    if (!strcmp(n, "pareto")) return gsl_ran_pareto_pdf(y, b, a);
    if (!strcmp(n, "beta")) return gsl_ran_beta_pdf(y, a, b);
    if (!strcmp(n, "beta_proportion")) return gsl_ran_beta_pdf(y, a * b, (1 - a) * b);
    if (!strcmp(n, "uniform")) return gsl_ran_flat_pdf(y, a, b);
    if (!strcmp(n, "skew_normal"))   /* 2/omega phi(z) Phi(alpha z), Phi from GSL's cdf */
        return 2 / b * gsl_ran_ugaussian_pdf((y - a) / b) * gsl_cdf_ugaussian_P(c * (y - a) / b);
    (void)c;
    *have = 0;
    return 0;
}

START_TEST(t_gsl_values)
{
    collect();
    const Dist *D = cont[_i];
    int have = 0;
    for (int t = 0; t < D->ntest; t++) {
        double ref = gsl_density(D->name, D->test[t], &have);
        if (!have) break;
        double v = exp(eval1(D, F_LPDF, D->test[t]));
        ck_assert_msg(fabs(v - ref) <= 1e-10 * ref + 1e-300, "%s test %d: %.15g vs GSL %.15g",
                      D->name, t, v, ref);
    }
    if (!have) {   /* no GSL density: check against the integral of the density instead */
        ck_assert(!strcmp(D->name, "von_mises") || !strcmp(D->name, "exp_mod_normal"));
    }
}
END_TEST

/* ---------------------------------------------------------- (5) rng, KS */

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(t_rng_ks)
{
    collect();
    const Dist *D = cont[_i];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261125);
    static double y[KS_N];
    /* sqrt(n) D > 2.69 has probability 2 exp(-2 * 2.69^2) ~ 1e-6 under the null */
    double crit = 2.69 / sqrt(KS_N);
    for (int t = 0; t < D->ntest; t++) {
        DArg a[DIST_MAX_ARGS];
        for (int k = 1; k < D->nargs; k++)
            a[k - 1] = (DArg){&D->test[t][k], NULL, 0, 1, 1};
        for (int i = 0; i < KS_N; i++) {
            DistErr e;
            ck_assert_int_eq(D->rng(r, a, i, &y[i], &e), 0);
        }
        qsort(y, KS_N, sizeof y[0], cmpd);
        double dmax = 0, x[DIST_MAX_ARGS];
        memcpy(x, D->test[t], sizeof x);
        for (int i = 0; i < KS_N; i++) {
            x[0] = y[i];
            double F = eval1(D, F_CDF, x);
            dmax = fmax(dmax, fmax(fabs(F - (double)i / KS_N), fabs(F - (double)(i + 1) / KS_N)));
        }
        ck_assert_msg(dmax < crit, "%s test %d: KS distance %.4f >= %.4f", D->name, t, dmax, crit);
    }
    gsl_rng_free(r);
}
END_TEST

/* Replicate i of vector parameters draws with replicate i's values: the same draw as a
 * scalar call from the same generator state. */
START_TEST(t_rng_vector)
{
    collect();
    const Dist *D = cont[_i];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double ys[NREP] = {0};
    Call c;
    layout(&c, D, D->test[0], ys, 3);
    for (int i = 0; i < NREP; i++) {
        DArg av[DIST_MAX_ARGS], as[DIST_MAX_ARGS];
        double xs[DIST_MAX_ARGS], v1, v2;
        DistErr e;
        for (int k = 1; k < D->nargs; k++) {
            av[k - 1] = (DArg){c.x[k], NULL, 1, 1, 1};
            xs[k] = c.x[k][i];
            as[k - 1] = (DArg){&xs[k], NULL, 0, 1, 1};
        }
        gsl_rng_set(r, 77 + i);
        ck_assert_int_eq(D->rng(r, av, i, &v1, &e), 0);
        gsl_rng_set(r, 77 + i);
        ck_assert_int_eq(D->rng(r, as, 0, &v2, &e), 0);
        ck_assert_msg(v1 == v2, "%s_rng replicate %d: %g vs %g", D->name, i, v1, v2);
    }
    gsl_rng_free(r);
}
END_TEST

/* ------------------------------------------------------------- (6) tails */

static const double tail_y[] = {-1e300, -1e10, -700, -30, -1, -1e-300, 0, 1e-300, 1e-10, 0.5,
                                1, 30, 700, 1e10, 1e300, INFINITY, -INFINITY};
static const double tail_scale[] = {1, 1e8, 1e-8, 1e100, 1e-100, 1e300, 1e-300};

static int tail_point(const Dist *D, const double *x, char *msg, size_t len)
{
    double v[F_N];
    for (int f = 0; f < F_N; f++) {
        Call c;
        DistErr e;
        one_call(&c, D->nargs, x);
        if (run(fn_of(D, f), &c, &v[f], 1, &e) != 0) return 0;
        if (isnan(v[f])) {
            snprintf(msg, len, "%s_%s NaN", D->name, fname[f]);
            return 1;
        }
        if (isfinite(v[f]) && !(f == F_CDF && v[f] == 0))
            for (int k = 0; k < D->nargs; k++)
                if (isnan(c.d[k][0])) {
                    snprintf(msg, len, "%s_%s NaN partial %d", D->name, fname[f], k);
                    return 1;
                }
    }
    if (v[F_LCDF] > 1e-12 || v[F_LCCDF] > 1e-12 || v[F_CDF] < 0 || v[F_CDF] > 1 + 1e-12) {
        snprintf(msg, len, "%s: probability out of range", D->name);
        return 1;
    }
    double s = exp(v[F_LCDF]) + exp(v[F_LCCDF]);
    if (fabs(s - 1) > 1e-9) {
        snprintf(msg, len, "%s: cdf + ccdf = %.12g", D->name, s);
        return 1;
    }
    return 0;
}

START_TEST(t_tails)
{
    collect();
    const Dist *D = cont[_i];
    int bad = 0;
    for (int t = 0; t < D->ntest; t++)
        for (int k = 0; k < D->nargs; k++)
            for (size_t s = 0; s < sizeof tail_scale / sizeof tail_scale[0]; s++)
                for (size_t j = 0; j < sizeof tail_y / sizeof tail_y[0]; j++) {
                    double x[DIST_MAX_ARGS];
                    char msg[160];
                    memcpy(x, D->test[t], sizeof x);
                    if (k > 0) x[k] *= tail_scale[s];
                    else if (s > 0) continue;
                    x[0] = tail_y[j];
                    if (tail_point(D, x, msg, sizeof msg)) {
                        fprintf(stderr, "%s at (%g, %g, %g, %g)\n", msg, x[0], x[1], x[2], x[3]);
                        bad++;
                    }
                }
    ck_assert_msg(bad == 0, "%s: %d bad tail points", D->name, bad);
    ck_assert_msg(gsl_errors == 0, "%s: %d calls to GSL's error handler", D->name, gsl_errors);
}
END_TEST

/* lcdf and lccdf stay finite deep in the tails: the log probability log p is reached
 * (no underflow to -inf at a point inside the support). */
static const char *const deep_exempt[] = {
    NULL,     /* none now; a name here would skip that family */
};

START_TEST(t_deep_tails)
{
    collect();
    const Dist *D = cont[_i];
    for (int j = 0; deep_exempt[j]; j++)
        if (!strcmp(D->name, deep_exempt[j])) return;
    const double lps[] = {log(1e-20), log(1e-100), log(1e-300)};
    for (int t = 0; t < D->ntest; t++)
        for (int up = 0; up < 2; up++)
            for (int q = 0; q < 3; q++) {
                double a, b, x[DIST_MAX_ARGS], lo, hi;
                memcpy(x, D->test[t], sizeof x);
                support(D, x, &lo, &hi);
                quantile(D, x, lps[q], up, &a, &b);
                x[0] = up ? b : a;        /* the side where the value is below log p */
                double v = eval1(D, up ? F_LCCDF : F_LCDF, x);
                /* interior, and not a subnormal distance from the bound (x / 2 is 0) */
                int interior = up ? x[0] < hi && hi - x[0] > 1e-300
                                  : x[0] > lo && x[0] - lo > 1e-300;
                ck_assert_msg(!(v == -INFINITY && interior),
                              "%s test %d: %s is -inf at interior y = %.17g (target %g)", D->name,
                              t, up ? "lccdf" : "lcdf", x[0], lps[q]);
            }
}
END_TEST

/* ---------------------------------------------------------- (7) errors */

typedef struct Bad { const char *dist; int arg; double value; const char *what; } Bad;

static const Bad bad_args[] = {
    {"normal", 0, NAN, "must not be NaN"},
    {"normal", 1, INFINITY, "must be finite"},
    {"normal", 2, 0, "must be positive"},
    {"normal", 2, -1, "must be positive"},
    {"normal", 2, INFINITY, "must be finite"},
    {"std_normal", 0, NAN, "must not be NaN"},
    {"student_t", 1, -2, "must be positive"},
    {"student_t", 1, INFINITY, "must be finite"},
    {"student_t", 2, NAN, "must be finite"},
    {"student_t", 3, 0, "must be positive"},
    {"cauchy", 1, -INFINITY, "must be finite"},
    {"cauchy", 2, -3, "must be positive"},
    {"double_exponential", 2, 0, "must be positive"},
    {"double_exponential", 0, NAN, "must not be NaN"},
    {"logistic", 2, -1, "must be positive"},
    {"gumbel", 2, 0, "must be positive"},
    {"lognormal", 2, -1, "must be positive"},
    {"lognormal", 1, INFINITY, "must be finite"},
    {"chi_square", 1, 0, "must be positive"},
    {"inv_chi_square", 1, -1, "must be positive"},
    {"exponential", 1, 0, "must be positive"},
    {"exponential", 1, INFINITY, "must be finite"},
    {"gamma", 1, -1, "must be positive"},
    {"gamma", 2, 0, "must be positive"},
    {"inv_gamma", 1, 0, "must be positive"},
    {"inv_gamma", 2, INFINITY, "must be finite"},
    {"weibull", 1, 0, "must be positive"},
    {"weibull", 2, -2, "must be positive"},
    {"frechet", 1, -1, "must be positive"},
    {"pareto", 1, 0, "must be positive"},
    {"pareto", 2, -1, "must be positive"},
    {"beta", 1, 0, "must be positive"},
    {"beta", 2, INFINITY, "must be finite"},
    {"beta", 0, NAN, "must not be NaN"},
    {"beta_proportion", 1, 1, "must be in (0, 1)"},
    {"beta_proportion", 1, 0, "must be in (0, 1)"},
    {"beta_proportion", 2, 0, "must be positive"},
    {"uniform", 1, INFINITY, "must be finite"},
    {"uniform", 2, -50, "must be greater than the lower bound"},
    {"von_mises", 2, -1, "must be non-negative"},
    {"von_mises", 1, INFINITY, "must be finite"},
    {"skew_normal", 2, 0, "must be positive"},
    {"skew_normal", 3, INFINITY, "must be finite"},
    {"exp_mod_normal", 3, 0, "must be positive"},
    {"exp_mod_normal", 2, -1, "must be positive"},
};

START_TEST(t_bad_args)
{
    collect();
    const Bad *b = &bad_args[_i];
    const Dist *D = dist_find(b->dist);
    ck_assert_ptr_nonnull(D);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int lay = 0; lay < 2; lay++)
        for (int f = 0; f < F_N + 1; f++) {
            Call c;
            double ys[NREP] = {D->test[0][0], D->test[0][0], D->test[0][0]};
            layout(&c, D, D->test[0], ys, lay ? 3 : 1);
            if (lay) for (int i = 0; i < NREP; i++) c.x[b->arg][i] = D->test[0][b->arg];
            c.x[b->arg][lay ? 2 : 0] = b->value;
            DistErr e = {-9, -9, 0, NULL};
            double out;
            int rc;
            if (f < F_N) {
                rc = run(fn_of(D, f), &c, &out, 1, &e);
            } else {     /* rng: the parameters only; replicate 2 of the vector layout */
                if (b->arg == 0) continue;
                DArg a[DIST_MAX_ARGS];
                for (int k = 1; k < D->nargs; k++) a[k - 1] = (DArg){c.x[k], NULL, c.stride[k], 1, 1};
                rc = D->rng(r, a, lay ? 2 : 0, &out, &e);
            }
            ck_assert_msg(rc == -1, "%s %s arg %d = %g accepted", D->name,
                          f < F_N ? fname[f] : "rng", b->arg, b->value);
            ck_assert_int_eq(e.arg, b->arg);
            ck_assert_int_eq(e.index, lay ? 2 : 0);
            ck_assert_str_eq(e.what, b->what);
            ck_assert(isnan(b->value) ? isnan(e.value) : e.value == b->value);
        }
    gsl_rng_free(r);
}
END_TEST

/* Out-of-support variates give -inf (not an error), and the cdf 0 or 1. */
START_TEST(t_out_of_support)
{
    collect();
    const Dist *D = cont[_i];
    double lo, hi, x[DIST_MAX_ARGS];
    memcpy(x, D->test[0], sizeof x);
    support(D, x, &lo, &hi);
    if (isfinite(lo)) {
        x[0] = lo - 1;
        if (strcmp(D->name, "von_mises")) ck_assert(eval1(D, F_LPDF, x) == -INFINITY);
        ck_assert(eval1(D, F_LCDF, x) == -INFINITY);
        ck_assert(eval1(D, F_CDF, x) == 0);
        ck_assert(eval1(D, F_LCCDF, x) == 0);
    }
    if (isfinite(hi)) {
        x[0] = hi + 1;
        if (strcmp(D->name, "von_mises")) ck_assert(eval1(D, F_LPDF, x) == -INFINITY);
        ck_assert(eval1(D, F_LCDF, x) == 0);
        ck_assert(eval1(D, F_LCCDF, x) == -INFINITY);
    }
}
END_TEST

/* n = 0 gives 0 (cdf: 1) and touches nothing. */
START_TEST(t_empty)
{
    collect();
    const Dist *D = cont[_i];
    for (int f = 0; f < F_N; f++) {
        Call c;
        double out = NAN;
        layout(&c, D, D->test[0], D->test[0], 2);
        c.n = 0;
        ck_assert_int_eq(run(fn_of(D, f), &c, &out, 1, NULL), 0);
        ck_assert(out == (f == F_CDF ? 1 : 0));
        for (int k = 0; k < D->nargs; k++) ck_assert(c.d[k][0] == 0);
    }
}
END_TEST

START_TEST(t_table)
{
    collect();
    const char *want[] = {"normal", "std_normal", "student_t", "cauchy", "double_exponential",
        "logistic", "gumbel", "lognormal", "chi_square", "inv_chi_square", "exponential",
        "gamma", "inv_gamma", "weibull", "frechet", "pareto", "beta", "beta_proportion",
        "uniform", "von_mises", "skew_normal", "exp_mod_normal"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const Dist *D = dist_find(want[i]);
        ck_assert_msg(D != NULL, "%s missing", want[i]);
        ck_assert(D->lpdf && D->rng && D->cdf && D->lcdf && D->lccdf && D->ntest > 0);
        ck_assert_str_eq(D->name, want[i]);
    }
    ck_assert_ptr_null(dist_find("norml"));
}
END_TEST

static Suite *suite(void)
{
    collect();
    Suite *s = suite_create("dist_cont");
    struct { const char *name; const TTest *t; int n; } cases[] = {
        {"partials", t_partials, ncont},   {"vector_sum", t_vector_sum, ncont},
        {"normalised", t_normalised, ncont}, {"cdf_integral", t_cdf_integral, ncont},
        {"gsl_values", t_gsl_values, ncont}, {"rng_ks", t_rng_ks, ncont},
        {"rng_vector", t_rng_vector, ncont},
        {"tails", t_tails, ncont},         {"deep_tails", t_deep_tails, ncont},
        {"out_of_support", t_out_of_support, ncont}, {"empty", t_empty, ncont},
        {"bad_args", t_bad_args, (int)(sizeof bad_args / sizeof bad_args[0])},
        {"table", t_table, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_loop_test(tc, cases[i].t, 0, cases[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
