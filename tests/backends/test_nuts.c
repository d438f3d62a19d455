/* NUTS on analytic targets: moments within Monte Carlo error, step-size and metric
 * adaptation, divergences, determinism, the no-U-turn criterion, options. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "backends/nuts.h"
#include "sampler_util.h"

extern const Backend backend_nuts;
static const Backend *const B = &backend_nuts;

/* ---- Gaussian targets, table-driven ---- */

typedef struct GaussCase {
    const char *name;
    size_t d;
    double sd[10];        /* sd[0] == 0: all ones */
    double rho;           /* != 0: the 2-d correlated Gaussian */
    const char *metric, *delta;
    long warmup, draws;
} GaussCase;

static const GaussCase gauss_cases[] = {
    {"std normal 1-d", 1, {0}, 0, "diag_e", "0.8", 1000, 4000},
    {"std normal 10-d", 10, {0}, 0, "diag_e", "0.8", 1000, 4000},
    {"scaled sds 0.01..100", 5, {0.01, 0.1, 1, 10, 100}, 0, "diag_e", "0.8", 1000, 4000},
    {"corr 0.95 diag", 2, {0}, 0.95, "diag_e", "0.8", 1000, 4000},
    {"corr 0.95 dense", 2, {0}, 0.95, "dense_e", "0.8", 1000, 4000},
    {"std normal 10-d delta 0.95", 10, {0}, 0, "diag_e", "0.95", 1000, 2000},
    {"std normal 10-d delta 0.6", 10, {0}, 0, "diag_e", "0.6", 1000, 2000},
    {"std normal 10-d unit metric", 10, {0}, 0, "unit_e", "0.8", 500, 2000},
};

static void gauss_make(const GaussCase *c, SuGauss *g)
{
    if (c->rho != 0)
        su_gauss_corr2(g, c->rho);
    else
        su_gauss_diag(g, c->d, c->sd[0] > 0 ? c->sd : NULL);
}

static double case_sd(const GaussCase *c, size_t i)
{
    return c->sd[0] > 0 ? c->sd[i] : 1.0;
}

/* The numbers on the line after `header` in a report, into out; returns the count. */
static int report_numbers(const char *report, const char *header, double *out, int max)
{
    const char *p = strstr(report, header);
    if (!p || !(p = strchr(p, '\n')))
        return 0;
    p++;
    if (!strncmp(p, "# ", 2))
        p += 2;
    int n = 0;
    while (n < max && *p && *p != '\n') {
        char *end;
        double x = strtod(p, &end);
        if (end == p)
            break;
        out[n++] = x;
        p = end;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return n;
}

START_TEST(test_gauss)
{
    const GaussCase *c = &gauss_cases[_i];
    SuGauss g;
    gauss_make(c, &g);
    BkTarget t = su_gauss_target(&g);
    BkOpt opts[] = {{"metric", c->metric}, {"adapt-delta", c->delta}, {NULL, NULL}};
    double u0[10];
    for (size_t i = 0; i < c->d; i++)
        u0[i] = 1.0;
    SuChain ch;
    char err[256] = "";
    ck_assert_msg(su_run(B, &t, opts, c->warmup, c->draws, 42 + _i, u0, &ch, err, sizeof err) == 0,
                  "%s: %s", c->name, err);
    ck_assert_int_eq(ch.n, c->draws);

    for (size_t i = 0; i < c->d; i++) {
        double sd = case_sd(c, i);
        double zm = su_z_mean(ch.u, ch.n, ch.nu, i, 0.0);
        double zv = su_z_var(ch.u, ch.n, ch.nu, i, 0.0, sd * sd);
        ck_assert_msg(zm < 4, "%s: coordinate %zu mean %g is %.2f MCSE from 0", c->name, i,
                      su_mean(ch.u, ch.n, ch.nu, i), zm);
        ck_assert_msg(zv < 4, "%s: coordinate %zu variance %g is %.2f MCSE from %g", c->name, i,
                      su_var(ch.u, ch.n, ch.nu, i), zv, sd * sd);
        /* and no gross error, whatever the MCSE estimate says (the z-tests above are the
         * sharp ones; 2000 draws give the variance a relative sd near 5%) */
        double v = su_var(ch.u, ch.n, ch.nu, i);
        ck_assert_msg(fabs(v / (sd * sd) - 1) < 0.25, "%s: variance %g vs %g", c->name, v, sd * sd);
    }
    if (c->rho != 0) {
        /* E[x y] = rho, judged by the MCSE of the products (a diagonal metric on a 0.95
         * correlation leaves few effective draws) and for gross error */
        double *xy = malloc(sizeof(double) * (size_t)ch.n), cov = 0, v = 0;
        for (long k = 0; k < ch.n; k++)
            cov += xy[k] = ch.u[k * 2] * ch.u[k * 2 + 1];
        cov /= (double)ch.n;
        for (long k = 0; k < ch.n; k++)
            v += (xy[k] - cov) * (xy[k] - cov);
        double mcse = sqrt(v / (double)(ch.n - 1) / su_ess(xy, ch.n, 1, 0));
        free(xy);
        ck_assert_msg(fabs(cov - c->rho) < 4 * mcse && fabs(cov - c->rho) < 0.2,
                      "%s: covariance %g vs %g (mcse %g)", c->name, cov, c->rho, mcse);
    }

    /* step size adapted to the target acceptance; constant while sampling; no divergence */
    int ca = su_col(B, "accept_stat__"), ce = su_col(B, "stepsize__"),
        cdv = su_col(B, "divergent__"), cl = su_col(B, "lp__");
    ck_assert_int_eq(cl, -1);      /* lp__ is the driver's, not a method column */
    /* Dual averaging holds the warm-up's mean acceptance at delta.  The sampling phase
     * uses Stan's final exp(x_bar), a smaller step, so its acceptance is higher on these
     * simple targets (CmdStan shows ~0.9 at delta 0.8 on normals; at delta 0.6 the gap
     * reached 0.18 over seeds). */
    double delta = atof(c->delta), acc = su_mean(ch.cols, ch.n, ch.ncols, (size_t)ca);
    ck_assert_msg(fabs(ch.warm_mean[ca] - delta) < 0.03, "%s: warm-up mean accept_stat %g, delta %g",
                  c->name, ch.warm_mean[ca], delta);
    ck_assert_msg(acc > delta - 0.05 && acc < delta + 0.25, "%s: mean accept_stat %g, delta %g",
                  c->name, acc, delta);
    double div = 0;
    for (long k = 0; k < ch.n; k++) {
        div += ch.cols[k * ch.ncols + cdv];
        ck_assert(ch.cols[k * ch.ncols + ce] == ch.cols[ce]);
        /* lp__ is the log density of the drawn point */
        double lp;
        su_gauss_logp(&g, ch.u + k * ch.nu, &lp, NULL);
        ck_assert(fabs(lp - ch.lp[k]) < 1e-9 * (1 + fabs(lp)));
    }
    ck_assert_msg(div == 0, "%s: %g divergent transitions", c->name, div);

    /* CmdStan's adaptation lines; the diagonal metric close to the variances */
    ck_assert_msg(strstr(ch.report, "# Step size = "), "%s", ch.report);
    double stepsize = atof(strstr(ch.report, "Step size = ") + 12);
    ck_assert(fabs(stepsize - ch.cols[ce]) < 1e-5 * stepsize);
    if (!strcmp(c->metric, "diag_e")) {
        double m[10];
        int n = report_numbers(ch.report, "# Diagonal elements of inverse mass matrix:", m, 10);
        ck_assert_int_eq(n, (int)c->d);
        for (size_t i = 0; i < c->d; i++) {
            double var = c->rho != 0 ? 1.0 : case_sd(c, i) * case_sd(c, i);
            ck_assert_msg(m[i] / var > 0.6 && m[i] / var < 1.6, "%s: metric %g vs variance %g",
                          c->name, m[i], var);
        }
    } else if (!strcmp(c->metric, "dense_e")) {
        double m0[2], m1[2];
        ck_assert_int_eq(report_numbers(ch.report, "# Elements of inverse mass matrix:", m0, 2), 2);
        const char *row2 = strstr(ch.report, "# Elements of inverse mass matrix:\n# ");
        ck_assert_ptr_nonnull(row2);
        row2 = strchr(row2 + 36, '\n');
        ck_assert_int_eq(report_numbers(row2 - 1, "\n", m1, 2), 2);  /* the next line */
        ck_assert_msg(fabs(m0[0] - 1) < 0.3 && fabs(m1[1] - 1) < 0.3, "dense diag %g %g", m0[0],
                      m1[1]);
        ck_assert_msg(fabs(m0[1] - c->rho) < 0.3 && m0[1] == m1[0], "dense off-diag %g %g", m0[1],
                      m1[0]);
    } else {
        ck_assert_ptr_nonnull(strstr(ch.report, "No free parameters for unit metric"));
    }
    su_chain_free(&ch);
}
END_TEST

/* The dense metric undoes the correlation: far fewer leapfrog steps per draw. */
START_TEST(test_dense_helps)
{
    SuGauss g;
    su_gauss_corr2(&g, 0.99);
    BkTarget t = su_gauss_target(&g);
    double u0[2] = {0.5, -0.5}, nl[2];
    const char *metrics[2] = {"diag_e", "dense_e"};
    int cl = su_col(B, "n_leapfrog__");
    for (int k = 0; k < 2; k++) {
        BkOpt opts[] = {{"metric", metrics[k]}, {NULL, NULL}};
        SuChain ch;
        char err[256];
        ck_assert_msg(su_run(B, &t, opts, 1000, 1000, 7, u0, &ch, err, sizeof err) == 0, "%s", err);
        nl[k] = su_mean(ch.cols, ch.n, ch.ncols, (size_t)cl);
        su_chain_free(&ch);
    }
    ck_assert_msg(nl[1] < 0.4 * nl[0], "mean n_leapfrog dense %g, diag %g", nl[1], nl[0]);
}
END_TEST

/* Rate_1 (posteriordb): theta ~ Beta(6, 6) sampled as logit(theta), with Jacobian. */
START_TEST(test_beta_logit)
{
    SuBeta beta = {6, 6};
    BkTarget t = {.dim = 1, .logp = su_beta_logit_logp, .ctx = &beta};
    double u0 = 1.5;
    SuChain ch;
    char err[256];
    ck_assert_msg(su_run(B, &t, NULL, 1000, 4000, 3, &u0, &ch, err, sizeof err) == 0, "%s", err);
    for (long k = 0; k < ch.n; k++)
        ch.u[k] = 1 / (1 + exp(-ch.u[k]));
    double sd = sqrt(6.0 * 6.0 / (12.0 * 12.0 * 13.0));   /* exact Beta(6,6): 0.13868 */
    ck_assert(fabs(sd - 0.1387) < 1e-4);
    ck_assert_msg(su_z_mean(ch.u, ch.n, 1, 0, 0.5) < 4, "mean %g", su_mean(ch.u, ch.n, 1, 0));
    ck_assert_msg(su_z_var(ch.u, ch.n, 1, 0, 0.5, sd * sd) < 4, "sd %g",
                  sqrt(su_var(ch.u, ch.n, 1, 0)));
    su_chain_free(&ch);
}
END_TEST

/* Same seed, same draws bit for bit; another seed, other draws. */
START_TEST(test_deterministic)
{
    SuGauss g;
    su_gauss_corr2(&g, 0.5);
    BkTarget t = su_gauss_target(&g);
    double u0[2] = {0.3, 0.1};
    SuChain a, b, c;
    char err[256];
    BkOpt opts[] = {{"metric", "dense_e"}, {NULL, NULL}};
    ck_assert(su_run(B, &t, opts, 300, 300, 11, u0, &a, err, sizeof err) == 0);
    ck_assert(su_run(B, &t, opts, 300, 300, 11, u0, &b, err, sizeof err) == 0);
    ck_assert(su_run(B, &t, opts, 300, 300, 12, u0, &c, err, sizeof err) == 0);
    ck_assert(memcmp(a.u, b.u, 600 * sizeof *a.u) == 0);
    ck_assert(memcmp(a.cols, b.cols, 300 * a.ncols * sizeof *a.cols) == 0);
    ck_assert(memcmp(a.u, c.u, 600 * sizeof *a.u) != 0);
    su_chain_free(&a);
    su_chain_free(&b);
    su_chain_free(&c);
}
END_TEST

/* ---- the no-U-turn criterion ---- */

typedef struct CritCase {
    double ps_minus[2], ps_plus[2], rho[2];
    int expect;
} CritCase;

static const CritCase crit_cases[] = {
    {{1, 0}, {1, 0}, {3, 0}, 1},       /* both ends move along rho */
    {{1, 0}, {-1, 0}, {3, 0}, 0},      /* the forward end turned back */
    {{-1, 0}, {1, 0}, {3, 0}, 0},      /* the backward end turned back */
    {{1, 1}, {1, -0.5}, {1, 1}, 1},    /* oblique but still forward: 0.5 > 0 */
    {{1, 1}, {1, -1}, {1, 1}, 0},      /* orthogonal: p.rho == 0 stops */
    {{0, 0}, {0, 0}, {0, 0}, 0},
};

START_TEST(test_criterion)
{
    const CritCase *c = &crit_cases[_i];
    ck_assert_int_eq(nuts_criterion(c->ps_minus, c->ps_plus, c->rho, 2), c->expect);
}
END_TEST

/* In 1-d with a unit metric the trajectory is a harmonic oscillator of half period pi:
 * (a start near a turning point stops early: the momenta on both sides cancel)
 * with step 0.1 the tree must stop near 31 steps (depth 5 or 6), far below max depth. */
START_TEST(test_uturn_oscillator)
{
    SuGauss g;
    su_gauss_diag(&g, 1, NULL);
    BkTarget t = su_gauss_target(&g);
    BkOpt opts[] = {{"metric", "unit_e"}, {"stepsize", "0.1"}, {NULL, NULL}};
    double u0 = 0.2;
    SuChain ch;
    char err[256];
    ck_assert(su_run(B, &t, opts, 0, 500, 5, &u0, &ch, err, sizeof err) == 0);
    int cd = su_col(B, "treedepth__"), cn = su_col(B, "n_leapfrog__"), ce = su_col(B, "stepsize__");
    for (long k = 0; k < ch.n; k++) {
        double depth = ch.cols[k * ch.ncols + cd], n = ch.cols[k * ch.ncols + cn];
        ck_assert_msg(depth >= 1 && depth <= 6, "draw %ld: tree depth %g", k, depth);
        /* the doublings kept, plus at most one rejected subtree of the same size */
        ck_assert(n >= pow(2, depth) - 1 && n <= pow(2, depth + 1) - 1);
        ck_assert(ch.cols[k * ch.ncols + ce] == 0.1);
    }
    double mn = su_mean(ch.cols, ch.n, ch.ncols, (size_t)cn);
    ck_assert_msg(mn > 15 && mn < 64, "mean n_leapfrog %g", mn);
    ck_assert(su_z_var(ch.u, ch.n, 1, 0, 0, 1) < 4);
    ck_assert_str_eq(ch.report, "");   /* no warm-up, no adaptation lines */
    su_chain_free(&ch);
}
END_TEST

/* The checks across subtree boundaries (Stan >= 2.26): on an iid normal at these step
 * sizes the merged-trajectory criterion alone misses U-turns and runs to hundreds of
 * leapfrog steps (mean 361 at 1.5 in 10-d); with them a draw takes ~3-20. */
static const char *const boundary_eps[] = {"0.4", "0.8", "1.5", "1.7"};

START_TEST(test_boundary_checks)
{
    SuGauss g;
    su_gauss_diag(&g, 10, NULL);
    BkTarget t = su_gauss_target(&g);
    BkOpt opts[] = {{"metric", "unit_e"}, {"stepsize", boundary_eps[_i]}, {NULL, NULL}};
    double u0[10] = {0.2, 0.1, 0.3, -0.2, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1};
    SuChain ch;
    char err[256];
    ck_assert(su_run(B, &t, opts, 0, 2000, 5, u0, &ch, err, sizeof err) == 0);
    double nl = su_mean(ch.cols, ch.n, ch.ncols, (size_t)su_col(B, "n_leapfrog__"));
    ck_assert_msg(nl < 12, "stepsize %s: mean n_leapfrog %g", boundary_eps[_i], nl);
    su_chain_free(&ch);
}
END_TEST

/* max-depth caps the tree. */
START_TEST(test_max_depth)
{
    SuGauss g;
    su_gauss_diag(&g, 1, NULL);
    BkTarget t = su_gauss_target(&g);
    BkOpt opts[] = {{"metric", "unit_e"}, {"stepsize", "0.01"}, {"max-depth", "3"}, {NULL, NULL}};
    double u0 = 0.2;
    SuChain ch;
    char err[256];
    ck_assert(su_run(B, &t, opts, 0, 100, 5, &u0, &ch, err, sizeof err) == 0);
    /* 8 steps of 0.01 rarely turn: most trees hit the cap, and none goes past it (a
     * draw whose momentum is near zero may U-turn earlier) */
    int cd = su_col(B, "treedepth__"), cn = su_col(B, "n_leapfrog__");
    long full = 0;
    for (long k = 0; k < ch.n; k++) {
        ck_assert(ch.cols[k * ch.ncols + cd] <= 3);
        ck_assert(ch.cols[k * ch.ncols + cn] <= 7);
        full += ch.cols[k * ch.ncols + cd] == 3 && ch.cols[k * ch.ncols + cn] == 7;
    }
    ck_assert_msg(full >= 90, "%ld of 100 trees at the cap", full);
    su_chain_free(&ch);
}
END_TEST

/* A wall where the density is zero: trajectories hitting it are divergent, draws stay inside. */
static int wall_logp(void *ctx, const double *u, double *lp, double *grad)
{
    *lp = u[0] < 1 ? -0.5 * u[0] * u[0] : -INFINITY;
    if (grad)
        grad[0] = -u[0];
    return 0;
}

START_TEST(test_divergence)
{
    BkTarget t = {.dim = 1, .logp = wall_logp};
    BkOpt opts[] = {{"metric", "unit_e"}, {"stepsize", "0.5"}, {NULL, NULL}};
    double u0 = 0;
    SuChain ch;
    char err[256];
    ck_assert(su_run(B, &t, opts, 0, 1000, 9, &u0, &ch, err, sizeof err) == 0);
    int cdv = su_col(B, "divergent__");
    double ndiv = 0;
    for (long k = 0; k < ch.n; k++) {
        ndiv += ch.cols[k * ch.ncols + cdv];
        ck_assert(ch.u[k] < 1 && isfinite(ch.lp[k]));
    }
    ck_assert_msg(ndiv > 10, "%g divergences", ndiv);
    su_chain_free(&ch);
}
END_TEST

/* A target that fails outright stops the run with a message. */
static int failing_logp(void *ctx, const double *u, double *lp, double *grad)
{
    int *calls = ctx;
    *lp = -0.5 * u[0] * u[0];
    if (grad)
        grad[0] = -u[0];
    return ++*calls > 50;
}

START_TEST(test_logp_error)
{
    int calls = 0;
    BkTarget t = {.dim = 1, .logp = failing_logp, .ctx = &calls};
    double u0 = 0;
    SuChain ch;
    char err[256] = "";
    ck_assert(su_run(B, &t, NULL, 100, 100, 1, &u0, &ch, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "nuts: the log density failed"), "%s", err);
    su_chain_free(&ch);
}
END_TEST

/* ---- Stan's warm-up windows ---- */

typedef struct WinCase {
    long warmup;
    unsigned ends[8];     /* 0-based iterations closing a window, 0-terminated after the first */
    int nends;
    unsigned first_in, last_in;
} WinCase;

static const WinCase win_cases[] = {
    {1000, {99, 149, 249, 449, 949}, 5, 75, 949},      /* CmdStan's default schedule */
    {2000, {99, 149, 249, 449, 849, 1949}, 6, 75, 1949},
    {100, {89}, 1, 15, 89},                            /* < 150: 15% / 75% / 10% */
    {150, {99}, 1, 75, 99},                           /* exactly fits: one window */
    {10, {0}, 0, 1, 0},                               /* < 20: no metric adaptation */
};

START_TEST(test_windows)
{
    const WinCase *c = &win_cases[_i];
    NutsWindow w;
    nuts_window_set(&w, c->warmup, 75, 50, 25);
    int n = 0;
    long first = -1, last = -1;
    for (long i = 0; i < c->warmup; i++) {
        if (nuts_window_in(&w)) {
            if (first < 0)
                first = i;
            last = i;
        }
        if (nuts_window_end(&w)) {
            ck_assert_msg(n < c->nends && w.counter == c->ends[n], "warmup %ld: window end at %u",
                          c->warmup, w.counter);
            n++;
            nuts_window_next(&w);
        }
        w.counter++;
    }
    ck_assert_int_eq(n, c->nends);
    if (c->nends) {
        ck_assert_int_eq(first, c->first_in);
        ck_assert_int_eq(last, c->last_in);
    } else {
        ck_assert_int_eq(first, -1);
    }
}
END_TEST

/* Dual averaging: constant acceptance above delta drives epsilon up, below drives it down. */
START_TEST(test_dual_averaging)
{
    NutsDual a, b;
    nuts_dual_init(&a, 0.8, log(10.0));
    nuts_dual_init(&b, 0.8, log(10.0));
    double ea = 0, eb = 0;
    for (int i = 0; i < 50; i++) {
        ea = nuts_dual_learn(&a, 1.0);
        eb = nuts_dual_learn(&b, 0.2);
    }
    ck_assert(ea > 10 && eb < 1e-3);
    ck_assert(nuts_dual_final(&a) > 1 && nuts_dual_final(&b) < 1);
    /* the first update by hand: eta = 1/11, s_bar = 0.2/11, x = log 10 - s_bar / 0.05 */
    nuts_dual_init(&a, 0.8, log(10.0));
    double e1 = nuts_dual_learn(&a, 0.6);
    ck_assert(fabs(log(e1) - (log(10.0) - (0.2 / 11) / 0.05)) < 1e-12);
    ck_assert(fabs(log(nuts_dual_final(&a)) - log(e1)) < 1e-12);   /* x_eta = 1 at t = 1 */
}
END_TEST

/* Stan's regularised variance (n/(n+5)) var + 1e-3 (5/(n+5)). */
START_TEST(test_welford)
{
    double mean[2], m2d[2], m2[4], tmp[2], out[4];
    NutsWelford wd = {2, 0, 0, mean, m2d};
    double xs[4][2] = {{1, 2}, {3, 1}, {2, 5}, {6, 0}};
    nuts_welford_restart(&wd);
    for (int i = 0; i < 4; i++)
        nuts_welford_add(&wd, xs[i], tmp);
    ck_assert(nuts_welford_metric(&wd, out) == 0);
    /* sample variances: x: mean 3, (4+0+1+9)/3 = 14/3; y: mean 2, (0+1+9+4)/3 = 14/3 */
    double expect = (4.0 / 9.0) * 14.0 / 3.0 + 1e-3 * 5.0 / 9.0;
    ck_assert(fabs(out[0] - expect) < 1e-12 && fabs(out[1] - expect) < 1e-12);
    double mean2[2];
    NutsWelford wf = {2, 1, 0, mean2, m2};
    nuts_welford_restart(&wf);
    for (int i = 0; i < 4; i++)
        nuts_welford_add(&wf, xs[i], tmp);
    ck_assert(nuts_welford_metric(&wf, out) == 0);
    /* covariance: sum (x-3)(y-2) = (-2)(0) + 0(-1) + (-1)(3) + 3(-2) = -9, /3 = -3 */
    ck_assert(fabs(out[0] - expect) < 1e-12 && fabs(out[3] - expect) < 1e-12);
    ck_assert(fabs(out[1] - (4.0 / 9.0) * -3.0) < 1e-12 && out[1] == out[2]);
    double l[4];
    ck_assert(nuts_cholesky(out, l, 2) == 0);
    ck_assert(fabs(l[0] * l[0] - out[0]) < 1e-12 && fabs(l[2] * l[0] - out[2]) < 1e-12);
    ck_assert(fabs(l[2] * l[2] + l[3] * l[3] - out[3]) < 1e-12 && l[1] == 0);
    double bad[4] = {1, 2, 2, 1};
    ck_assert(nuts_cholesky(bad, l, 2) == -1);
}
END_TEST

/* ---- refusals and options ---- */

typedef struct RefuseCase {
    size_t ndisc;
    const char *key, *value;
    const char *msg;         /* expected in the message */
    int at_check;            /* refused by bk_check_options rather than create */
} RefuseCase;

static const RefuseCase refuse_cases[] = {
    {1, NULL, NULL, "NUTS needs gradients; the model has 1 discrete parameter", 0},
    {2, NULL, NULL, "use --method=mh", 0},
    {0, "metric", "banana", "--metric=banana: expected diag_e, dense_e or unit_e", 0},
    {0, "max-depth", "0", "--max-depth=0: expected an integer from 1 to 30", 0},
    {0, "adapt-delta", "1.2", "--adapt-delta=1.2: expected a number strictly between 0 and 1", 0},
    {0, "stepsize", "-1", "--stepsize=-1: expected a positive number", 0},
    {0, "max-depth", "ten", "option --max-depth expects an integer, got 'ten'", 1},
    {0, "adapt-delta", "x", "option --adapt-delta expects a real number, got 'x'", 1},
    {0, "leapfrogs", "3", "unknown option --leapfrogs for method 'nuts'", 1},
};

START_TEST(test_refuse)
{
    const RefuseCase *c = &refuse_cases[_i];
    double lo[2] = {0, 0}, hi[2] = {1, 1};
    SuGauss g;
    su_gauss_diag(&g, 1, NULL);
    BkTarget t = su_gauss_target(&g);
    t.ndisc = c->ndisc;
    t.disc_lo = lo;
    t.disc_hi = hi;
    BkOpt opts[] = {{c->key, c->value}, {NULL, NULL}};
    size_t nopts = c->key ? 1 : 0;
    char err[256] = "";
    int rc = bk_check_options(B, opts, nopts, err, sizeof err);
    if (c->at_check) {
        ck_assert_int_eq(rc, -1);
    } else {
        ck_assert_int_eq(rc, 0);
        BkSettings s = {.warmup = 10, .draws = 10, .opts = opts, .nopts = nopts};
        void *st = B->create(&s, &t, err, sizeof err);
        ck_assert_ptr_null(st);
    }
    ck_assert_msg(strstr(err, c->msg), "got: %s", err);
}
END_TEST

/* A model without parameters runs (every draw the same point) and reports no adaptation. */
static int flat_logp(void *ctx, const double *u, double *lp, double *grad)
{
    *lp = -1.5;
    return 0;
}

START_TEST(test_no_parameters)
{
    BkTarget t = {.dim = 0, .logp = flat_logp};
    SuChain ch;
    char err[256] = "";
    ck_assert_msg(su_run(B, &t, NULL, 100, 50, 1, NULL, &ch, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ch.n, 50);
    for (long k = 0; k < ch.n; k++)
        ck_assert(ch.lp[k] == -1.5);
    ck_assert_ptr_null(strstr(ch.report, "Step size"));
    su_chain_free(&ch);
}
END_TEST

START_TEST(test_registry)
{
    ck_assert_ptr_eq(bk_find("nuts"), B);
    ck_assert_ptr_null(bk_find("hmc"));
    ck_assert_int_eq(B->kind, BK_SAMPLER);
    const char *cols[] = {"accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__",
                          "divergent__", "energy__", NULL};
    for (int i = 0; cols[i] || B->columns[i]; i++)
        ck_assert_str_eq(B->columns[i], cols[i]);
    BkSettings s = {0};
    ck_assert_int_eq(bk_opt_int(&s, B, "max-depth"), 10);
    ck_assert(bk_opt_real(&s, B, "adapt-delta") == 0.8);
    ck_assert_str_eq(bk_opt_str(&s, B, "metric"), "diag_e");
    BkOpt o[] = {{"max-depth", "12"}, {NULL, NULL}};
    s.opts = o;
    s.nopts = 1;
    ck_assert_int_eq(bk_opt_int(&s, B, "max-depth"), 12);
}
END_TEST

static Suite *nuts_suite(void)
{
    Suite *s = suite_create("nuts");
    TCase *tc = tcase_create("sampling");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gauss, 0, sizeof gauss_cases / sizeof *gauss_cases);
    tcase_add_test(tc, test_dense_helps);
    tcase_add_test(tc, test_beta_logit);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_uturn_oscillator);
    tcase_add_test(tc, test_max_depth);
    tcase_add_loop_test(tc, test_boundary_checks, 0, 4);
    tcase_add_test(tc, test_divergence);
    tcase_add_test(tc, test_logp_error);
    suite_add_tcase(s, tc);
    TCase *tu = tcase_create("units");
    tcase_add_loop_test(tu, test_criterion, 0, sizeof crit_cases / sizeof *crit_cases);
    tcase_add_loop_test(tu, test_windows, 0, sizeof win_cases / sizeof *win_cases);
    tcase_add_test(tu, test_dual_averaging);
    tcase_add_test(tu, test_welford);
    tcase_add_loop_test(tu, test_refuse, 0, sizeof refuse_cases / sizeof *refuse_cases);
    tcase_add_test(tu, test_registry);
    tcase_add_test(tu, test_no_parameters);
    suite_add_tcase(s, tu);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(nuts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
