/* Discrete distributions: partials vs finite differences, normalisation, values vs
 * GSL, cdfs vs cumulative sums, rng vs pmf (chi-square), argument errors, extremes. */
#include <check.h>
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf.h>
#include "stdlib/dist.h"

/* Check's ck_assert records a mark per call (a write to a file in fork mode): in loops
 * of thousands of draws use this, which costs nothing until it fails. */
#define REQUIRE(c) do { if (!(c)) ck_abort_msg("requirement failed: %s (line %d)", #c, __LINE__); } while (0)

/* ---- calling a univariate kernel on one point ---------------------------------- */

typedef struct Call {
    DArg a[DIST_MAX_ARGS];
    double x[DIST_MAX_ARGS];
    int iv[DIST_MAX_ARGS];
    double g[DIST_MAX_ARGS];
    double *d[DIST_MAX_ARGS];
} Call;

static void setup(Call *c, const Dist *D, const double *v, int want_grad)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < D->nargs; k++) {
        c->x[k] = v[k];
        c->iv[k] = (int)v[k];
        c->a[k] = (DArg){ &c->x[k], &c->iv[k], 0, 1, 1 };
        c->d[k] = (want_grad && k > 0 && D->sig[k] == 'R') ? &c->g[k] : NULL;
    }
}

static int call(const Dist *D, DistFn fn, const double *v, double *out, double *g, DistErr *e)
{
    Call c;
    DistErr e0;
    setup(&c, D, v, g != NULL);
    int rc = fn(1, c.a, out, c.d, e ? e : &e0);
    if (g) memcpy(g, c.g, sizeof c.g);
    return rc;
}

static double val(const Dist *D, DistFn fn, const double *v)
{
    double out = NAN;
    if (call(D, fn, v, &out, NULL, NULL) < 0) return NAN;
    return out;
}

static int is_scalar(const Dist *D)
{
    return D->discrete && strspn(D->sig, "IR") == strlen(D->sig);
}

static const Dist *nth_scalar(int i)
{
    for (const Dist *const *p = dist_table; *p; p++)
        if (is_scalar(*p) && i-- == 0) return *p;
    return NULL;
}

static int n_scalar(void)
{
    int n = 0;
    for (const Dist *const *p = dist_table; *p; p++) n += is_scalar(*p);
    return n;
}

/* Central differences for every real parameter of fn at v. */
static void check_fd(const Dist *D, DistFn fn, const char *what, const double *v)
{
    double out, g[DIST_MAX_ARGS];
    ck_assert_int_eq(call(D, fn, v, &out, g, NULL), 0);
    if (!isfinite(out)) return;        /* log 0 at the end of the support */
    for (int k = 1; k < D->nargs; k++) {
        if (D->sig[k] != 'R') continue;
        double vp[DIST_MAX_ARGS], vm[DIST_MAX_ARGS], h = 1e-6 * fmax(1e-3, fabs(v[k]));
        memcpy(vp, v, sizeof vp);
        memcpy(vm, v, sizeof vm);
        vp[k] += h;
        vm[k] -= h;
        double fd = (val(D, fn, vp) - val(D, fn, vm)) / (2 * h);
        ck_assert_msg(fabs(fd - g[k]) <= 2e-5 * fmax(1.0, fabs(fd)),
                      "%s_%s at (%g, %g, %g, %g): d/d%s analytic %.10g, fd %.10g", D->name, what,
                      v[0], v[1], v[2], v[3], D->argnames[k], g[k], fd);
    }
}

/* pmf(y) for y from the support's start; y outside [lo, hi] is zero mass. */
static double pmf(const Dist *D, const double *v, double y)
{
    double w[DIST_MAX_ARGS];
    memcpy(w, v, sizeof w);
    w[0] = y;
    double lp = val(D, D->lpdf, w);
    return isnan(lp) ? 0.0 : exp(lp);
}

/* First y with mass (the support's lower end), found by scanning down from v[0]. */
static double support_lo(const Dist *D, const double *v)
{
    if (isfinite(D->lo)) return D->lo;
    double y = v[0];
    while (pmf(D, v, y - 1) > 0 && y > v[0] - 1e6) y--;
    return y;
}

START_TEST(partials_vs_fd)
{
    const Dist *D = nth_scalar(_i);
    for (int t = 0; t < D->ntest; t++) {
        check_fd(D, D->lpdf, "lpmf", D->test[t]);
        check_fd(D, D->lcdf, "lcdf", D->test[t]);
        check_fd(D, D->lccdf, "lccdf", D->test[t]);
        check_fd(D, D->cdf, "cdf", D->test[t]);
    }
}
END_TEST

START_TEST(pmf_sums_to_one)
{
    const Dist *D = nth_scalar(_i);
    for (int t = 0; t < D->ntest; t++) {
        const double *v = D->test[t];
        double s = 0, y = support_lo(D, v);
        for (long it = 0; it < 2000000; it++, y++) {
            double p = pmf(D, v, y);
            s += p;
            if (y > v[0] && s > 1 - 1e-13 && p < 1e-16) break;
            if (y > v[0] + 10 && p == 0 && s > 0.5) break;
        }
        ck_assert_msg(fabs(s - 1) < 1e-10, "%s at test %d: total mass %.15g", D->name, t, s);
    }
}
END_TEST

/* cdf(y) = sum_{j <= y} pmf(j), ccdf = sum_{j > y}; lcdf/lccdf their logs. */
START_TEST(cdf_vs_cumsum)
{
    const Dist *D = nth_scalar(_i);
    for (int t = 0; t < D->ntest; t++) {
        const double *v = D->test[t];
        double lo = support_lo(D, v), below = 0, above = 0;
        for (double j = lo; j <= v[0]; j++) below += pmf(D, v, j);
        for (double j = v[0] + 1; j < v[0] + 2000000; j++) {
            double p = pmf(D, v, j);
            above += p;
            if (p <= 1e-18 * above && j > v[0] + 50) break;
        }
        double c = val(D, D->cdf, v), lc = val(D, D->lcdf, v), lcc = val(D, D->lccdf, v);
        ck_assert_msg(fabs(c - below) <= 5e-9, "%s cdf %.15g vs sum %.15g", D->name, c, below);
        ck_assert_msg(fabs(exp(lc) - below) <= 5e-9 * fmax(below, 1e-300) + 1e-300,
                      "%s lcdf %g vs log sum %g", D->name, lc, log(below));
        ck_assert_msg(fabs(exp(lcc) - above) <= 5e-9 * above + 1e-300 || (above == 0 && lcc == -INFINITY),
                      "%s lccdf %g vs log sum %g (test %d)", D->name, lcc, log(above), t);
        /* below the support the cdf is 0, at the top 1 */
        double w[DIST_MAX_ARGS];
        memcpy(w, v, sizeof w);
        w[0] = lo - 1;
        ck_assert(val(D, D->cdf, w) == 0.0);
        ck_assert(val(D, D->lcdf, w) == -INFINITY);
    }
}
END_TEST

/* 20000 draws at a fixed seed; cells of expected count >= 5, tails pooled; reject
 * at p < 1e-6. */
START_TEST(rng_chi_square)
{
    const Dist *D = nth_scalar(_i);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261125 + _i);
    enum { N = 20000, MAXC = 4096 };
    static double obs[MAXC], expc[MAXC];
    static double ys[MAXC];
    for (int t = 0; t < D->ntest; t++) {
        const double *v = D->test[t];
        double lo = support_lo(D, v), mass = 0;
        int nc = 0;
        /* cells y = lo, lo+1, ...; the last cell takes the upper tail */
        for (double y = lo; nc < MAXC - 1; y++) {
            double p = pmf(D, v, y);
            ys[nc] = y;
            expc[nc] = N * p;
            obs[nc] = 0;
            nc++;
            mass += p;
            if (1 - mass < 1e-9 || (y > v[0] + 20 && p == 0)) break;
        }
        expc[nc - 1] += N * fmax(0.0, 1 - mass);
        Call c;
        setup(&c, D, v, 0);
        for (int i = 0; i < N; i++) {
            double y;
            DistErr e;
            REQUIRE(D->rng(r, c.a + 1, 0, &y, &e) == 0);
            int k = (int)(y - lo);
            REQUIRE(k >= 0);
            obs[k < nc ? k : nc - 1] += 1;
        }
        /* pool cells until each expects >= 5 */
        double chi = 0, eacc = 0, oacc = 0;
        int df = -1;
        for (int k = 0; k < nc; k++) {
            eacc += expc[k];
            oacc += obs[k];
            if (eacc >= 5 || k == nc - 1) {
                if (eacc > 0) {
                    chi += (oacc - eacc) * (oacc - eacc) / eacc;
                    df++;
                } else {
                    ck_assert_msg(oacc == 0, "%s: draws where pmf is 0 (near y = %g)", D->name, ys[k]);
                }
                eacc = oacc = 0;
            }
        }
        if (df < 1) continue;            /* degenerate: one cell */
        double pval = gsl_cdf_chisq_Q(chi, df);
        ck_assert_msg(pval > 1e-6, "%s test %d: chi2 %g on %d df, p = %g", D->name, t, chi, df, pval);
    }
    gsl_rng_free(r);
}
END_TEST

/* The vectorised call equals the sum of single calls; a broadcast parameter
 * accumulates the partials of every replicate. */
START_TEST(vectorised_matches_scalar)
{
    const Dist *D = nth_scalar(_i);
    if (D->ntest < 2) return;
    int n = D->ntest;
    double x[DIST_MAX_ARGS][16];
    int iv[DIST_MAX_ARGS][16];
    double g[DIST_MAX_ARGS][16];
    DArg a[DIST_MAX_ARGS];
    double *d[DIST_MAX_ARGS];
    memset(g, 0, sizeof g);
    /* variate and ints vectorised; real parameters broadcast from test 0 */
    for (int k = 0; k < D->nargs; k++) {
        int vec = k == 0 || D->sig[k] == 'I';
        for (int i = 0; i < n; i++) {
            double v = vec ? D->test[i][k] : D->test[0][k];
            x[k][i] = v;
            iv[k][i] = (int)v;
        }
        a[k] = (DArg){ x[k], iv[k], vec, 1, 1 };
        d[k] = D->sig[k] == 'R' && k > 0 ? g[k] : NULL;
    }
    /* skip if some replicate is invalid with the broadcast parameters (y > N...) */
    double out;
    DistErr e;
    if (D->lpdf(n, a, &out, d, &e) < 0) return;
    double s = 0, gs[DIST_MAX_ARGS] = { 0 };
    for (int i = 0; i < n; i++) {
        double v[DIST_MAX_ARGS], o, gi[DIST_MAX_ARGS];
        for (int k = 0; k < D->nargs; k++) v[k] = x[k][i];
        ck_assert_int_eq(call(D, D->lpdf, v, &o, gi, NULL), 0);
        s += o;
        for (int k = 1; k < D->nargs; k++) gs[k] += gi[k];
    }
    ck_assert_msg(fabs(out - s) <= 1e-12 * fmax(1, fabs(s)), "%s: %g vs %g", D->name, out, s);
    for (int k = 1; k < D->nargs; k++)
        if (d[k]) ck_assert(fabs(g[k][0] - gs[k]) <= 1e-10 * fmax(1, fabs(gs[k])));
    /* the cdf is the product of the replicates' cdfs */
    double c, prod = 1;
    ck_assert_int_eq(D->cdf(n, a, &c, NULL, &e), 0);
    for (int i = 0; i < n; i++) {
        double v[DIST_MAX_ARGS];
        for (int k = 0; k < D->nargs; k++) v[k] = x[k][i];
        prod *= val(D, D->cdf, v);
    }
    ck_assert(fabs(c - prod) <= 1e-12);
}
END_TEST

/* The closed-form cdfs used for large means (incomplete gamma / beta): partials vs
 * finite differences (the test points of the table stay small to keep sums cheap). */
START_TEST(closed_form_cdf_partials)
{
    static const struct { const char *name; double v[DIST_MAX_ARGS]; } pts[] = {
        { "poisson", { 200300, 2e5 } }, { "poisson", { 199000, 2e5 } },
        { "poisson_log", { 199500, 12.206 } }, { "neg_binomial", { 9000, 3.0, 3e-4 } },
        { "neg_binomial_2", { 9000, 1e4, 2.0 } }, { "neg_binomial_2", { 30000, 1e4, 2.0 } },
        { "neg_binomial_2_log", { 9000, 9.2, 2.0 } }, { "neg_binomial_2_log", { 2, 9.2, 0.5 } },
    };
    /* far tails of a large-rate Poisson (below DBL_MIN): geometric-series asymptotics
     * F(y) ~ pmf(y) / (1 - y/lambda), 1 - F(y) ~ pmf(y+1) / (1 - lambda/(y+2)) */
    const Dist *P = dist_find("poisson");
    double lo[2] = { 1e5, 1e6 }, hi[2] = { 4e6, 1e6 }, g[DIST_MAX_ARGS], out;
    ck_assert_int_eq(call(P, P->lcdf, lo, &out, g, NULL), 0);
    double lpm = val(P, P->lpdf, lo);
    ck_assert_msg(lpm < -700 && fabs(out - (lpm - log1p(-lo[0] / lo[1]))) < 1e-3,
                  "poisson lcdf far tail %g vs %g", out, lpm - log1p(-lo[0] / lo[1]));
    ck_assert(isfinite(g[1]));
    ck_assert_int_eq(call(P, P->lccdf, hi, &out, g, NULL), 0);
    double up[2] = { hi[0] + 1, hi[1] };
    lpm = val(P, P->lpdf, up);
    ck_assert_msg(lpm < -700 && fabs(out - (lpm - log1p(-hi[1] / (hi[0] + 2)))) < 1e-3,
                  "poisson lccdf far tail %g vs %g", out, lpm - log1p(-hi[1] / (hi[0] + 2)));
    ck_assert(isfinite(g[1]));
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        const Dist *D = dist_find(pts[i].name);
        check_fd(D, D->lcdf, "lcdf", pts[i].v);
        check_fd(D, D->lccdf, "lccdf", pts[i].v);
        check_fd(D, D->cdf, "cdf", pts[i].v);
        check_fd(D, D->lpdf, "lpmf", pts[i].v);
    }
}
END_TEST

/* ---- values against GSL's densities --------------------------------------------- */

static double lp_of(const char *name, double y, double p1, double p2, double p3)
{
    const Dist *D = dist_find(name);
    double v[DIST_MAX_ARGS] = { y, p1, p2, p3 };
    return val(D, D->lpdf, v);
}

START_TEST(values_vs_gsl)
{
    static const double th[] = { 0.01, 0.3, 0.5, 0.93 };
    for (int i = 0; i < 4; i++)
        for (unsigned k = 0; k <= 12; k++) {
            double ref = log(gsl_ran_binomial_pdf(k, th[i], 12));
            ck_assert(fabs(lp_of("binomial", k, 12, th[i], 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
            double al = log(th[i] / (1 - th[i]));
            ck_assert(fabs(lp_of("binomial_logit", k, 12, al, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
            ck_assert(fabs(lp_of("bernoulli", k % 2, th[i], 0, 0) - log(gsl_ran_bernoulli_pdf(k % 2, th[i]))) < 1e-13);
            ck_assert(fabs(lp_of("bernoulli_logit", k % 2, al, 0, 0) - log(gsl_ran_bernoulli_pdf(k % 2, th[i]))) < 1e-12);
        }
    static const double lam[] = { 0.05, 1.0, 7.5, 120.0 };
    for (int i = 0; i < 4; i++)
        for (unsigned k = 0; k <= 150; k += 3) {
            double ref = log(gsl_ran_poisson_pdf(k, lam[i]));
            if (!isfinite(ref)) continue;
            ck_assert(fabs(lp_of("poisson", k, lam[i], 0, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
            ck_assert(fabs(lp_of("poisson_log", k, log(lam[i]), 0, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
        }
    /* neg_binomial(alpha, beta): GSL's p = beta / (1 + beta), n = alpha;
     * neg_binomial_2(mu, phi): p = phi / (mu + phi), n = phi. */
    static const double ab[][2] = { { 0.5, 0.2 }, { 3.0, 1.5 }, { 20.0, 0.4 } };
    for (int i = 0; i < 3; i++)
        for (unsigned k = 0; k <= 60; k += 2) {
            double a = ab[i][0], b = ab[i][1];
            double ref = log(gsl_ran_negative_binomial_pdf(k, b / (1 + b), a));
            ck_assert(fabs(lp_of("neg_binomial", k, a, b, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
            double mu = b * 10, phi = a;
            ref = log(gsl_ran_negative_binomial_pdf(k, phi / (mu + phi), phi));
            ck_assert(fabs(lp_of("neg_binomial_2", k, mu, phi, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
            ck_assert(fabs(lp_of("neg_binomial_2_log", k, log(mu), phi, 0) - ref) < 1e-10 * fmax(1, fabs(ref)));
        }
    /* huge precision: neg_binomial_2 tends to poisson (difference O(mu^2 / phi)) */
    for (unsigned k = 0; k <= 20; k++) {
        double ref = log(gsl_ran_poisson_pdf(k, 6.5));
        ck_assert_msg(fabs(lp_of("neg_binomial_2", k, 6.5, 1e13, 0) - ref) < 1e-9,
                      "neg_binomial_2(%u | 6.5, 1e13) = %.12g vs poisson %.12g", k,
                      lp_of("neg_binomial_2", k, 6.5, 1e13, 0), ref);
        ck_assert(fabs(lp_of("neg_binomial_2_log", k, log(6.5), 1e15, 0) - ref) < 1e-9);
    }
    /* beta_binomial with a + b huge tends to binomial(N, a / (a + b)) */
    for (unsigned k = 0; k <= 12; k++) {
        double ref = log(gsl_ran_binomial_pdf(k, 0.3, 12));
        ck_assert_msg(fabs(lp_of("beta_binomial", k, 12, 0.3e13, 0.7e13) - ref) < 1e-9,
                      "beta_binomial(%u | 12, 3e12, 7e12) = %.12g vs binomial %.12g", k,
                      lp_of("beta_binomial", k, 12, 0.3e13, 0.7e13), ref);
    }
    /* beta_binomial: C(N, k) B(k + a, N - k + b) / B(a, b) with GSL's choose and beta */
    for (unsigned k = 0; k <= 9; k++) {
        double ref = log(gsl_sf_choose(9, k) * gsl_sf_beta(k + 1.5, 9 - k + 0.7) / gsl_sf_beta(1.5, 0.7));
        ck_assert(fabs(lp_of("beta_binomial", k, 9, 1.5, 0.7) - ref) < 1e-10 * fmax(1, fabs(ref)));
    }
    /* cdfs against GSL's, including the closed forms for large rates */
    static const struct { const char *name; double y, p1, p2, ref; } cdfs[] = {
        { "poisson", 3, 2.5, 0, 0 }, { "poisson", 200300, 2e5, 0, 0 }, { "poisson", 1e6 + 2000, 1e6, 0, 0 },
        { "binomial", 3, 10, 0.3, 0 }, { "binomial", 300, 1000, 0.29, 0 },
        { "neg_binomial_2", 4, 3.0, 1.5, 0 }, { "neg_binomial_2", 9000, 1e4, 2.0, 0 },
        { "neg_binomial_2", 2e6, 1e8, 0.5, 0 },
    };
    for (size_t i = 0; i < sizeof cdfs / sizeof cdfs[0]; i++) {
        const Dist *D = dist_find(cdfs[i].name);
        double v[DIST_MAX_ARGS] = { cdfs[i].y, cdfs[i].p1, cdfs[i].p2 }, ref, refq;
        if (D == dist_find("poisson")) {
            ref = gsl_cdf_poisson_P((unsigned)v[0], v[1]);
            refq = gsl_cdf_poisson_Q((unsigned)v[0], v[1]);
        } else if (D == dist_find("binomial")) {
            ref = gsl_cdf_binomial_P((unsigned)v[0], v[2], (unsigned)v[1]);
            refq = gsl_cdf_binomial_Q((unsigned)v[0], v[2], (unsigned)v[1]);
        } else {
            ref = gsl_cdf_negative_binomial_P((unsigned)v[0], v[2] / (v[1] + v[2]), v[2]);
            refq = gsl_cdf_negative_binomial_Q((unsigned)v[0], v[2] / (v[1] + v[2]), v[2]);
        }
        double lc = val(D, D->lcdf, v), lcc = val(D, D->lccdf, v);
        ck_assert_msg(fabs(exp(lc) - ref) <= 1e-9 * ref, "%s cdf(%g | %g, %g) = %.15g, gsl %.15g",
                      D->name, v[0], v[1], v[2], exp(lc), ref);
        ck_assert_msg(fabs(exp(lcc) - refq) <= 1e-9 * refq, "%s ccdf(%g | %g, %g) = %.15g, gsl %.15g",
                      D->name, v[0], v[1], v[2], exp(lcc), refq);
    }
    ck_assert(fabs(lp_of("discrete_range", 3, 1, 6, 0) - log(1.0 / 6)) < 1e-14);
    ck_assert(lp_of("discrete_range", 0, 1, 6, 0) == -INFINITY);
}
END_TEST

/* ---- invalid arguments ------------------------------------------------------------ */

typedef struct Bad {
    const char *name;
    double v[DIST_MAX_ARGS];
    int arg;
} Bad;

static const Bad bad[] = {
    { "bernoulli", { 2, 0.5 }, 0 },          { "bernoulli", { 1, 1.5 }, 1 },
    { "bernoulli", { 1, NAN }, 1 },          { "bernoulli_logit", { 1, NAN }, 1 },
    { "binomial", { 11, 10, 0.5 }, 0 },      { "binomial", { -1, 10, 0.5 }, 0 },
    { "binomial", { 1, -2, 0.5 }, 1 },       { "binomial", { 1, 10, -0.1 }, 2 },
    { "binomial_logit", { 3, 10, NAN }, 2 }, { "beta_binomial", { 1, 5, -1, 1 }, 2 },
    { "beta_binomial", { 1, 5, 1, 0 }, 3 },  { "beta_binomial", { 6, 5, 1, 1 }, 0 },
    { "poisson", { -1, 2.0 }, 0 },           { "poisson", { 1, -2.0 }, 1 },
    { "poisson", { 1, NAN }, 1 },            { "poisson_log", { 1, INFINITY }, 1 },
    { "neg_binomial", { 1, 0, 1 }, 1 },      { "neg_binomial", { 1, 1, -1 }, 2 },
    { "neg_binomial_2", { 1, 1, INFINITY }, 2 }, { "neg_binomial_2", { -3, 1, 1 }, 0 },
    { "neg_binomial_2_log", { 1, NAN, 1 }, 1 }, { "neg_binomial_2_log", { 1, 0, -1 }, 2 },
    { "discrete_range", { 1, 5, 2 }, 1 },
};

START_TEST(invalid_arguments)
{
    const Bad *b = &bad[_i];
    const Dist *D = dist_find(b->name);
    ck_assert_ptr_nonnull(D);
    double out;
    DistErr e = { -1, -1, 0, NULL };
    ck_assert_int_eq(call(D, D->lpdf, b->v, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, b->arg);
    ck_assert_int_eq(e.index, 0);
    ck_assert(e.what != NULL && strlen(e.what) > 5);
    ck_assert(isnan(b->v[b->arg]) ? isnan(e.value) : e.value == b->v[b->arg]);
    /* parameter errors also stop the cdfs and the rng */
    if (b->arg > 0) {
        ck_assert_int_eq(call(D, D->lcdf, b->v, &out, NULL, &e), -1);
        ck_assert_int_eq(e.arg, b->arg);
        Call c;
        double y;
        setup(&c, D, b->v, 0);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_int_eq(D->rng(r, c.a + 1, 0, &y, &e), -1);
        ck_assert_int_eq(e.arg, b->arg);
        gsl_rng_free(r);
    }
}
END_TEST

/* The element index of a bad entry in a vectorised argument. */
START_TEST(invalid_element_index)
{
    const Dist *D = dist_find("binomial");
    double th[4] = { 0.2, 0.4, 1.2, 0.5 };
    int y[4] = { 1, 2, 3, 4 }, N = 10;
    DArg a[3] = { { NULL, y, 1, 1, 1 }, { NULL, &N, 0, 1, 1 }, { th, NULL, 1, 1, 1 } };
    double out;
    DistErr e;
    ck_assert_int_eq(D->lpdf(4, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 2);
    ck_assert_int_eq(e.index, 2);
    ck_assert(e.value == 1.2);
    y[3] = 11;
    th[2] = 0.3;
    ck_assert_int_eq(D->lpdf(4, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 0);
    ck_assert_int_eq(e.index, 3);
}
END_TEST

/* ---- extreme arguments: no NaN --------------------------------------------------- */

static const double extreme[][DIST_MAX_ARGS + 1] = {
    /* index of the dist in the list below, then the values */
    { 0, 0, 1e-300 }, { 0, 1e9, 1e9 }, { 0, 0, 1e15 }, { 0, 5, 1e-300 }, { 0, 1e6, 1.0 },
    { 1, 0, -1e3 }, { 1, 100, 50 }, { 1, 3, -700 },
    { 2, 0, 10, 0.0 }, { 2, 10, 10, 1.0 }, { 2, 5, 1000000, 1e-12 }, { 2, 0, 1000000, 1 - 1e-12 },
    { 3, 0, 10, -1e4 }, { 3, 10, 10, 1e4 }, { 3, 3, 10, 1e4 }, { 3, 7, 10, -1e4 },
    { 4, 0, 1e-10, 1e-10 }, { 4, 1e6, 1e-8, 1e8 }, { 4, 0, 1e15, 1 },
    { 5, 3, 1e10, 1e-10 }, { 5, 3, 1e-10, 1e10 }, { 5, 0, 1e-300, 1e-300 },
    { 6, 5, 50, 1e-12 }, { 6, 5, -50, 1e12 },
    { 7, 1, 10, 1e10, 1e10 }, { 7, 1, 10, 1e-10, 1e-10 }, { 7, 1000, 5000, 1e-10, 1e10 },
    { 8, 1, 1e4 }, { 8, 0, -1e4 }, { 8, 0, 1e4 },
};
static const char *ext_names[] = { "poisson", "poisson_log", "binomial", "binomial_logit",
    "neg_binomial_2", "neg_binomial", "neg_binomial_2_log", "beta_binomial", "bernoulli_logit" };

START_TEST(extremes_no_nan)
{
    const double *row = extreme[_i];
    const Dist *D = dist_find(ext_names[(int)row[0]]);
    const double *v = row + 1;
    DistFn fns[4] = { D->lpdf, D->cdf, D->lcdf, D->lccdf };
    for (int f = 0; f < 4; f++) {
        double out, g[DIST_MAX_ARGS];
        if (f > 0 && D->sig[1] == 'I' && v[0] > 1e5) continue;
        ck_assert_int_eq(call(D, fns[f], v, &out, g, NULL), 0);
        ck_assert_msg(!isnan(out), "%s fn %d at (%g, %g, %g) is NaN", D->name, f, v[0], v[1], v[2]);
        for (int k = 1; k < D->nargs; k++)
            if (D->sig[k] == 'R')
                ck_assert_msg(!isnan(g[k]), "%s fn %d at (%g, %g, %g): partial %d NaN", D->name, f,
                              v[0], v[1], v[2], k);
    }
}
END_TEST

/* ---- categorical, categorical_logit, multinomial, ordered_logistic ---------------- */

/* log density of a kernel whose args are given as DArgs, gradients into d. */
static double lp_args(const Dist *D, int n, DArg *a, double *const *d)
{
    double out;
    DistErr e;
    ck_assert_int_eq(D->lpdf(n, a, &out, d, &e), 0);
    return out;
}

/* FD on every element of the real argument k (data x of m elements). */
static void fd_vec(const Dist *D, int n, DArg *a, int k, double *x, int m, const double *g)
{
    for (int j = 0; j < m; j++) {
        double x0 = x[j], h = 1e-6 * fmax(1, fabs(x0));
        x[j] = x0 + h;
        double fp = lp_args(D, n, a, NULL);
        x[j] = x0 - h;
        double fm = lp_args(D, n, a, NULL);
        x[j] = x0;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - g[j]) <= 2e-5 * fmax(1, fabs(fd)), "%s arg %d elt %d: %g vs fd %g",
                      D->name, k, j, g[j], fd);
    }
}

START_TEST(categorical_family)
{
    const Dist *C = dist_find("categorical"), *CL = dist_find("categorical_logit");
    double th[4] = { 0.1, 0.2, 0.3, 0.4 }, be[4] = { 0.3, -1.0, 2.0, 0.5 };
    int y[5] = { 1, 3, 3, 4, 2 };
    double gth[4] = { 0 }, gbe[4] = { 0 };
    DArg a[2] = { { NULL, y, 1, 1, 1 }, { th, NULL, 0, 4, 1 } };
    double *d[2] = { NULL, gth };
    double lp = lp_args(C, 5, a, d);
    ck_assert(fabs(lp - (log(0.1) + 2 * log(0.3) + log(0.4) + log(0.2))) < 1e-13);
    /* FD on a simplex entry leaves the simplex: check the formula instead, 1/theta per hit */
    ck_assert(fabs(gth[2] - 2 / 0.3) < 1e-12 && fabs(gth[0] - 1 / 0.1) < 1e-12);
    DArg b[2] = { { NULL, y, 1, 1, 1 }, { be, NULL, 0, 4, 1 } };
    double *db[2] = { NULL, gbe };
    double lse = log(exp(0.3) + exp(-1.0) + exp(2.0) + exp(0.5));
    lp = lp_args(CL, 5, b, db);
    ck_assert(fabs(lp - (0.3 + 2 * 2.0 + 0.5 - 1.0 - 5 * lse)) < 1e-12);
    fd_vec(CL, 5, b, 1, be, 4, gbe);
    /* sums to one over 1..K */
    double s = 0, s2 = 0;
    for (int k = 1; k <= 4; k++) {
        DArg a1[2] = { { NULL, &k, 0, 1, 1 }, { th, NULL, 0, 4, 1 } };
        DArg b1[2] = { { NULL, &k, 0, 1, 1 }, { be, NULL, 0, 4, 1 } };
        s += exp(lp_args(C, 1, a1, NULL));
        s2 += exp(lp_args(CL, 1, b1, NULL));
    }
    ck_assert(fabs(s - 1) < 1e-14 && fabs(s2 - 1) < 1e-14);
    /* rng: chi-square on the 4 cells */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const Dist *Ds[2] = { C, CL };
    for (int which = 0; which < 2; which++) {
        double obs[4] = { 0 }, out;
        DArg p = { which ? be : th, NULL, 0, 4, 1 };
        DistErr e;
        for (int i = 0; i < 20000; i++) {
            REQUIRE(Ds[which]->rng(r, &p, 0, &out, &e) == 0);
            REQUIRE(out >= 1 && out <= 4);
            obs[(int)out - 1]++;
        }
        double chi = 0;
        for (int k = 0; k < 4; k++) {
            double pk = which ? exp(be[k] - lse) : th[k];
            chi += (obs[k] - 20000 * pk) * (obs[k] - 20000 * pk) / (20000 * pk);
        }
        ck_assert_msg(gsl_cdf_chisq_Q(chi, 3) > 1e-6, "categorical rng chi2 %g", chi);
    }
    gsl_rng_free(r);
    /* errors: not a simplex (arg 1, element), y out of range (arg 0, element) */
    DistErr e;
    double out;
    th[3] = 0.5;
    ck_assert_int_eq(C->lpdf(5, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    th[3] = 0.4;
    th[1] = -0.1;
    ck_assert_int_eq(C->lpdf(5, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 1 && e.index == 1);
    th[1] = 0.2;
    y[3] = 5;
    ck_assert_int_eq(C->lpdf(5, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 3);
    ck_assert_int_eq(CL->lpdf(5, b, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 3);
    /* extreme logits: finite */
    double bx[3] = { 1e4, -1e4, 0 };
    int y2 = 2;
    DArg c2[2] = { { NULL, &y2, 0, 1, 1 }, { bx, NULL, 0, 3, 1 } };
    ck_assert(fabs(lp_args(CL, 1, c2, NULL) + 2e4) < 1e-9);
}
END_TEST

START_TEST(multinomial)
{
    const Dist *M = dist_find("multinomial");
    double th[3] = { 0.2, 0.5, 0.3 }, g[3] = { 0 };
    int y[3];
    double total = 0;
    /* all compositions of N = 5 into 3 cells: mass 1, each vs GSL */
    for (int a0 = 0; a0 <= 5; a0++)
        for (int a1 = 0; a1 <= 5 - a0; a1++) {
            y[0] = a0; y[1] = a1; y[2] = 5 - a0 - a1;
            DArg a[2] = { { NULL, y, 0, 3, 1 }, { th, NULL, 0, 3, 1 } };
            double lp = lp_args(M, 1, a, NULL);
            unsigned u[3] = { (unsigned)y[0], (unsigned)y[1], (unsigned)y[2] };
            ck_assert(fabs(lp - gsl_ran_multinomial_lnpdf(3, th, u)) < 1e-12);
            total += exp(lp);
        }
    ck_assert(fabs(total - 1) < 1e-13);
    y[0] = 2; y[1] = 0; y[2] = 3;
    DArg a[2] = { { NULL, y, 0, 3, 1 }, { th, NULL, 0, 3, 1 } };
    double *d[2] = { NULL, g };
    lp_args(M, 1, a, d);
    ck_assert(fabs(g[0] - 2 / 0.2) < 1e-12 && g[1] == 0 && fabs(g[2] - 3 / 0.3) < 1e-12);
    /* rng(theta, N): chi-square over the 21 compositions of N = 5 */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    int N = 5;
    DArg p[2] = { { th, NULL, 0, 3, 1 }, { NULL, &N, 0, 1, 1 } };
    double obs[6][6] = { { 0 } }, out[3];
    DistErr e;
    ck_assert_str_eq(M->rng_sig, "SI");
    for (int i = 0; i < 20000; i++) {
        REQUIRE(M->rng(r, p, 0, out, &e) == 0);
        REQUIRE(out[0] + out[1] + out[2] == 5 && out[0] >= 0 && out[1] >= 0 && out[2] >= 0);
        obs[(int)out[0]][(int)out[1]]++;
    }
    double chi = 0, eacc = 0, oacc = 0;
    int df = -1;
    for (int a0 = 0; a0 <= 5; a0++)
        for (int a1 = 0; a1 <= 5 - a0; a1++) {
            unsigned u[3] = { (unsigned)a0, (unsigned)a1, (unsigned)(5 - a0 - a1) };
            eacc += 20000 * gsl_ran_multinomial_pdf(3, th, u);
            oacc += obs[a0][a1];
            if (eacc >= 5) { chi += (oacc - eacc) * (oacc - eacc) / eacc; df++; eacc = oacc = 0; }
        }
    if (eacc > 0) { chi += (oacc - eacc) * (oacc - eacc) / eacc; df++; }
    ck_assert_msg(gsl_cdf_chisq_Q(chi, df) > 1e-6, "multinomial rng chi2 %g on %d", chi, df);
    gsl_rng_free(r);
    y[1] = -1;
    ck_assert_int_eq(M->lpdf(1, a, out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 1);
}
END_TEST

START_TEST(ordered_logistic)
{
    const Dist *O = dist_find("ordered_logistic");
    double c[3] = { -1.0, 0.5, 2.0 }, eta[4] = { 0.3, -2.0, 1.0, 4.0 };
    int y[4] = { 1, 2, 3, 4 };
    double ge[4] = { 0 }, gc[3] = { 0 };
    DArg a[3] = { { NULL, y, 1, 1, 1 }, { eta, NULL, 1, 1, 1 }, { c, NULL, 0, 3, 1 } };
    double *d[3] = { NULL, ge, gc };
    double lp = lp_args(O, 4, a, d);
    /* independent: P(k) = inv_logit(eta - c[k-2]) - inv_logit(eta - c[k-1]) */
    double ref = 0;
    for (int i = 0; i < 4; i++) {
        double up = y[i] == 1 ? 1 : 1 / (1 + exp(-(eta[i] - c[y[i] - 2])));
        double dn = y[i] == 4 ? 0 : 1 / (1 + exp(-(eta[i] - c[y[i] - 1])));
        ref += log(up - dn);
    }
    ck_assert(fabs(lp - ref) < 1e-12);
    fd_vec(O, 4, a, 1, eta, 4, ge);
    fd_vec(O, 4, a, 2, c, 3, gc);
    /* sums to 1 over 1..4 for each eta */
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int k = 1; k <= 4; k++) {
            DArg b[3] = { { NULL, &k, 0, 1, 1 }, { &eta[i], NULL, 0, 1, 1 }, { c, NULL, 0, 3, 1 } };
            s += exp(lp_args(O, 1, b, NULL));
        }
        ck_assert(fabs(s - 1) < 1e-13);
    }
    /* rng chi-square at eta = 0.3 */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    DArg p[2] = { { eta, NULL, 0, 1, 1 }, { c, NULL, 0, 3, 1 } };
    double obs[4] = { 0 }, out, chi = 0;
    DistErr e;
    for (int i = 0; i < 20000; i++) {
        REQUIRE(O->rng(r, p, 0, &out, &e) == 0);
        obs[(int)out - 1]++;
    }
    for (int k = 1; k <= 4; k++) {
        DArg b[3] = { { NULL, &k, 0, 1, 1 }, { eta, NULL, 0, 1, 1 }, { c, NULL, 0, 3, 1 } };
        double ex = 20000 * exp(lp_args(O, 1, b, NULL));
        chi += (obs[k - 1] - ex) * (obs[k - 1] - ex) / ex;
    }
    ck_assert_msg(gsl_cdf_chisq_Q(chi, 3) > 1e-6, "ordered_logistic rng chi2 %g", chi);
    gsl_rng_free(r);
    /* far tails stay finite; unordered cut points are an error naming the element */
    double big[1] = { 60.0 };
    int k2 = 2;
    DArg t[3] = { { NULL, &k2, 0, 1, 1 }, { big, NULL, 0, 1, 1 }, { c, NULL, 0, 3, 1 } };
    double gt[3] = { 0 }, gbig = 0;
    double *dt[3] = { NULL, &gbig, gt };
    ck_assert(isfinite(lp_args(O, 1, t, dt)) && isfinite(gbig) && isfinite(gt[0]));
    c[2] = 0.0;
    ck_assert_int_eq(O->lpdf(4, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 2 && e.index == 2);
}
END_TEST

START_TEST(table_lookup)
{
    static const char *names[] = { "bernoulli", "bernoulli_logit", "binomial", "binomial_logit",
        "beta_binomial", "poisson", "poisson_log", "neg_binomial", "neg_binomial_2",
        "neg_binomial_2_log", "categorical", "categorical_logit", "multinomial",
        "ordered_logistic", "discrete_range" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const Dist *D = dist_find(names[i]);
        ck_assert_msg(D != NULL, "%s", names[i]);
        ck_assert_int_eq(D->discrete, 1);
        ck_assert_int_eq((int)strlen(D->sig), D->nargs);
        ck_assert_ptr_nonnull(D->lpdf);
        ck_assert_ptr_nonnull(D->rng);
        if (is_scalar(D)) ck_assert(D->cdf && D->lcdf && D->lccdf && D->ntest > 0);
    }
    ck_assert_ptr_null(dist_find("norml"));
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("dist_disc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    int ns = n_scalar();
    tcase_add_loop_test(tc, partials_vs_fd, 0, ns);
    tcase_add_loop_test(tc, pmf_sums_to_one, 0, ns);
    tcase_add_loop_test(tc, cdf_vs_cumsum, 0, ns);
    tcase_add_loop_test(tc, rng_chi_square, 0, ns);
    tcase_add_loop_test(tc, vectorised_matches_scalar, 0, ns);
    tcase_add_test(tc, values_vs_gsl);
    tcase_add_test(tc, closed_form_cdf_partials);
    tcase_add_loop_test(tc, invalid_arguments, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, invalid_element_index);
    tcase_add_loop_test(tc, extremes_no_nan, 0, sizeof extreme / sizeof extreme[0]);
    tcase_add_test(tc, categorical_family);
    tcase_add_test(tc, multinomial);
    tcase_add_test(tc, ordered_logistic);
    tcase_add_test(tc, table_lookup);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
