/* backends/langevin.c on analytic targets written in C: MALA recovers Gaussian and
 * Beta moments within 4 MCSE, the perturbed-score estimator matches its closed form,
 * annealing recovers mixture weights that MALA cannot, ULA shows its step-size bias. */
#include <check.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include "tests/test_seed.h"
#include "backends/backend.h"
#include "backends/langevin.h"

extern const Backend backend_langevin;

/* ---- targets ---- */

#define MAXD 4

typedef struct Gauss {           /* N(mu, Sigma) through its precision */
    size_t d;
    double mu[MAXD], prec[MAXD * MAXD];
} Gauss;

static int gauss_logp(void *ctx, const double *u, double *lp, double *grad)
{
    const Gauss *g = ctx;
    double q = 0;
    for (size_t i = 0; i < g->d; i++) {
        double gi = 0;
        for (size_t j = 0; j < g->d; j++)
            gi -= g->prec[i * g->d + j] * (u[j] - g->mu[j]);
        q += (u[i] - g->mu[i]) * gi;
        if (grad)
            grad[i] = gi;
    }
    *lp = 0.5 * q;
    return 0;
}

/* Beta(a, b) for x = inv_logit(u), with the log-Jacobian log x(1-x). */
typedef struct { double a, b; } BetaT;

static int beta_logp(void *ctx, const double *u, double *lp, double *grad)
{
    const BetaT *bt = ctx;
    double x = 1 / (1 + exp(-u[0]));
    *lp = bt->a * log(x) + bt->b * log1p(-x);
    if (grad)
        grad[0] = bt->a * (1 - x) - bt->b * x;
    return 0;
}

/* 2-d mixture w N(m1, s^2 I) + (1-w) N(m2, s^2 I). */
typedef struct { double w, s, m1[2], m2[2]; } Mix;

static int mix_logp(void *ctx, const double *u, double *lp, double *grad)
{
    const Mix *m = ctx;
    double q1 = 0, q2 = 0;
    for (int k = 0; k < 2; k++) {
        q1 += (u[k] - m->m1[k]) * (u[k] - m->m1[k]);
        q2 += (u[k] - m->m2[k]) * (u[k] - m->m2[k]);
    }
    double a = log(m->w) - 0.5 * q1 / (m->s * m->s);
    double b = log1p(-m->w) - 0.5 * q2 / (m->s * m->s);
    double mx = fmax(a, b);
    *lp = mx + log(exp(a - mx) + exp(b - mx));
    if (grad) {
        double r1 = exp(a - *lp), r2 = exp(b - *lp);
        for (int k = 0; k < 2; k++)
            grad[k] = -(r1 * (u[k] - m->m1[k]) + r2 * (u[k] - m->m2[k])) / (m->s * m->s);
    }
    return 0;
}

/* N(0, I) cut to the box |u_k| < 3: outside, lp = -inf (an invalid argument). */
static int box_logp(void *ctx, const double *u, double *lp, double *grad)
{
    size_t d = *(const size_t *)ctx;
    *lp = 0;
    for (size_t k = 0; k < d; k++) {
        if (fabs(u[k]) >= 3) {
            *lp = -INFINITY;
            return 0;
        }
        *lp -= 0.5 * u[k] * u[k];
        if (grad)
            grad[k] = -u[k];
    }
    return 0;
}

/* ---- a minimal driver: chains x draws x dim, as run.c would produce ---- */

typedef struct Run {
    int chains;
    long draws;
    size_t d;
    double *u;                   /* [chain][draw][k] */
    double *acc;                 /* [chain][draw] accept_stat__ */
    double *step;                /* [chain][draw] stepsize__ */
    char report[2048];
} Run;

static BkSettings settings(long warmup, long draws, unsigned long seed, const BkOpt *opts)
{
    BkSettings s = {0};
    s.warmup = warmup;
    s.draws = draws;
    s.seed = test_seed(seed);
    s.opts = opts;
    for (s.nopts = 0; opts && opts[s.nopts].key; s.nopts++)
        ;
    return s;
}

/* inits: chains x d starting points (NULL: uniform(-2, 2) as the driver does). */
static void run_chains(const BkTarget *t, BkSettings s, int chains, const double *inits, Run *out)
{
    const Backend *b = &backend_langevin;
    char err[256] = "";
    out->chains = chains;
    out->draws = s.draws;
    out->d = t->dim;
    out->u = malloc(sizeof(double) * (size_t)chains * (size_t)s.draws * t->dim);
    out->acc = malloc(sizeof(double) * (size_t)chains * (size_t)s.draws);
    out->step = malloc(sizeof(double) * (size_t)chains * (size_t)s.draws);
    ck_assert_int_eq(bk_check_options(b, s.opts, s.nopts, err, sizeof err), 0);
    double u0[MAXD], lp, cols[BK_MAX_COLUMNS];
    for (int c = 0; c < chains; c++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, s.seed * 7919 + (unsigned long)c);
        s.chain = c;
        void *st = b->create(&s, t, err, sizeof err);
        ck_assert_msg(st != NULL, "create: %s", err);
        for (size_t k = 0; k < t->dim; k++)
            u0[k] = inits ? inits[(size_t)c * t->dim + k] : gsl_ran_flat(r, -2, 2);
        ck_assert_msg(b->init(st, t, r, u0, err, sizeof err) == 0, "init: %s", err);
        /* no ck_assert inside the loops: each one is a write to Check's pipe */
        int bad = 0;
        for (long i = 0; i < s.warmup && !bad; i++)
            bad = b->step(st, t, r, i, 1, err, sizeof err) != BK_OK;
        for (long i = 0; i < s.draws && !bad; i++) {
            bad = b->step(st, t, r, s.warmup + i, 0, err, sizeof err) != BK_OK;
            size_t row = (size_t)c * (size_t)s.draws + (size_t)i;
            b->draw(st, r, out->u + row * t->dim, &lp, cols);
            bad |= !isfinite(lp);
            out->acc[row] = cols[0];
            out->step[row] = cols[1];
        }
        ck_assert_msg(!bad, "chain %d: %s", c, err);
        if (c == 0) {
            FILE *f = fmemopen(out->report, sizeof out->report - 1, "w");
            b->report(st, f, "# ");
            fclose(f);
        }
        b->free(st);
        gsl_rng_free(r);
    }
}

static void run_free(Run *r)
{
    free(r->u);
    free(r->acc);
    free(r->step);
}

/* Mean of f over all draws and its MCSE by batch means (batches of `bs` within chains). */
typedef double (*Stat)(const double *u, const void *arg);

static void mean_mcse(const Run *r, Stat f, const void *arg, long bs, double *mean, double *mcse)
{
    long nb = r->draws / bs, nbt = 0;
    double sum = 0, sum2 = 0;
    for (int c = 0; c < r->chains; c++)
        for (long b = 0; b < nb; b++) {
            double m = 0;
            for (long i = b * bs; i < (b + 1) * bs; i++)
                m += f(r->u + ((size_t)c * (size_t)r->draws + (size_t)i) * r->d, arg);
            m /= (double)bs;
            sum += m;
            sum2 += m * m;
            nbt++;
        }
    *mean = sum / (double)nbt;
    double var = (sum2 - (double)nbt * *mean * *mean) / (double)(nbt - 1);
    *mcse = sqrt(var / (double)nbt);
}

typedef struct { size_t k; double centre; int power; } CoordArg;

static double coord_stat(const double *u, const void *arg)
{
    const CoordArg *a = arg;
    double x = u[a->k] - a->centre;
    return a->power == 1 ? x : x * x;
}

static double invlogit_stat(const double *u, const void *arg)
{
    const CoordArg *a = arg;
    double x = 1 / (1 + exp(-u[0])) - a->centre;
    return a->power == 1 ? x : x * x;
}

/* ---- MALA recovers moments ---- */

START_TEST(mala_correlated_gaussian)
{
    /* scales 1, 10, 0.1; correlation 0.7 between the first two */
    const double sd[3] = {1, 10, 0.1}, mu[3] = {1, -20, 0.3}, rho = 0.7;
    Gauss g = {.d = 3};
    gsl_matrix *S = gsl_matrix_calloc(3, 3);
    for (size_t i = 0; i < 3; i++) {
        g.mu[i] = mu[i];
        gsl_matrix_set(S, i, i, sd[i] * sd[i]);
    }
    gsl_matrix_set(S, 0, 1, rho * sd[0] * sd[1]);
    gsl_matrix_set(S, 1, 0, rho * sd[0] * sd[1]);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(S), 0);
    ck_assert_int_eq(gsl_linalg_cholesky_invert(S), 0);
    for (size_t i = 0; i < 9; i++)
        g.prec[i] = S->data[i];
    gsl_matrix_free(S);
    BkTarget t = {.dim = 3, .logp = gauss_logp, .ctx = &g};
    Run r;
    run_chains(&t, settings(1000, 2000, 11, NULL), 4, NULL, &r);
    for (size_t k = 0; k < 3; k++) {
        double m, se, v, sev;
        CoordArg a1 = {k, mu[k], 1}, a2 = {k, mu[k], 2};
        mean_mcse(&r, coord_stat, &a1, 100, &m, &se);
        mean_mcse(&r, coord_stat, &a2, 100, &v, &sev);
        ck_assert_msg(fabs(m) < 4 * se, "coord %zu: mean off by %g, mcse %g", k, m, se);
        ck_assert_msg(fabs(v - sd[k] * sd[k]) < 4 * sev, "coord %zu: variance %g vs %g, mcse %g",
                      k, v, sd[k] * sd[k], sev);
        ck_assert(se < 0.1 * sd[k]);     /* the chain did move */
    }
    double acc = 0;
    for (long i = 0; i < 4 * r.draws; i++)
        acc += r.acc[i];
    acc /= (double)(4 * r.draws);
    /* dual averaging ends at the weighted mean of log h, which accepts more than the
     * target (as Stan's NUTS does): near the target, not on it */
    ck_assert_msg(acc > 0.45 && acc < 0.8, "mean accept_stat %g", acc);
    ck_assert_ptr_nonnull(strstr(r.report, "MALA"));
    run_free(&r);
}
END_TEST

START_TEST(mala_beta_logit)
{
    const double a = 6, b = 6;
    BetaT bt = {a, b};
    BkTarget t = {.dim = 1, .logp = beta_logp, .ctx = &bt};
    Run r;
    run_chains(&t, settings(1000, 4000, 12, NULL), 4, NULL, &r);
    /* x ~ Beta(6, 6): mean a/(a+b), variance ab/((a+b)^2 (a+b+1)) (sd 0.1387) */
    double emean = a / (a + b), evar = a * b / ((a + b) * (a + b) * (a + b + 1));
    double m, se, v, sev;
    CoordArg a1 = {0, emean, 1}, a2 = {0, emean, 2};
    mean_mcse(&r, invlogit_stat, &a1, 100, &m, &se);
    mean_mcse(&r, invlogit_stat, &a2, 100, &v, &sev);
    ck_assert_msg(fabs(m) < 4 * se, "mean off by %g, mcse %g", m, se);
    ck_assert_msg(fabs(v - evar) < 4 * sev, "variance %g vs %g, mcse %g", v, evar, sev);
    double sdv = sqrt(v);
    ck_assert_msg(fabs(sdv - 0.1387) < 4 * sev / (2 * sdv), "sd %g", sdv);
    run_free(&r);
}
END_TEST

START_TEST(support_cut_by_minus_infinity)
{
    /* samples outside the box get weight 0; every path still recovers the truncated
     * normal: mean 0, variance 1 - 2 c phi(c) / (2 Phi(c) - 1) at c = 3 */
    static const BkOpt opts[][3] = {{{NULL, NULL}}, {{"anneal", "5"}, {NULL, NULL}},
                                    {{"anneal", "5"}, {"sigma-max", "20"}, {NULL, NULL}}};
    size_t d = 2;
    BkTarget t = {.dim = 2, .logp = box_logp, .ctx = &d};
    double c = 3, evar = 1 - 2 * c * gsl_ran_ugaussian_pdf(c) / (2 * gsl_cdf_ugaussian_P(c) - 1);
    Run r;
    run_chains(&t, settings(500, 2000, 51, opts[_i]), 4, NULL, &r);
    for (size_t k = 0; k < 2; k++) {
        double m, se, v, sev;
        CoordArg a1 = {k, 0, 1}, a2 = {k, 0, 2};
        mean_mcse(&r, coord_stat, &a1, 100, &m, &se);
        mean_mcse(&r, coord_stat, &a2, 100, &v, &sev);
        ck_assert_msg(fabs(m) < 4 * se, "mean %g, mcse %g", m, se);
        ck_assert_msg(fabs(v - evar) < 4 * sev, "variance %g vs %g, mcse %g", v, evar, sev);
    }
    run_free(&r);
}
END_TEST

/* ---- the score of the noise-perturbed target ---- */

static const double score_sigmas[] = {0.05, 0.3, 1.0, 3.0};

START_TEST(perturbed_score_closed_form)
{
    /* p = N(mu, diag(v)): p_sigma = N(mu, diag(v + sigma^2)), score -(x - mu)/(v + sigma^2) */
    double sigma = score_sigmas[_i];
    Gauss g = {.d = 2, .mu = {0.5, -1}, .prec = {1.0, 0, 0, 0.25}};
    const double v[2] = {1.0, 4.0}, x[2] = {2.0, 1.0};
    BkTarget t = {.dim = 2, .logp = gauss_logp, .ctx = &g};
    double work[8], score[2], zbest[2], exact[2];
    for (int k = 0; k < 2; k++)
        exact[k] = -(x[k] - g.mu[k]) / (v[k] + sigma * sigma);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    LgvScoreInfo nf;
    /* blend with the true variances: the noise cancels sample by sample */
    ck_assert_int_eq(lgv_noisy_score(&t, r, x, sigma, 16, LGV_SCORE_BLEND, v, score, work, zbest,
                                     &nf), 0);
    ck_assert_int_eq(nf.nfinite, 16);
    ck_assert(nf.ess > 1 && nf.ess <= 16);
    for (int k = 0; k < 2; k++)
        ck_assert_msg(fabs(score[k] - exact[k]) < 1e-10, "blend %g vs %g", score[k], exact[k]);
    /* grad and tweedie: mean of R estimates of n samples within 4 standard errors;
     * exp(logpsig) is unbiased for p_sigma(x) = prod_k sqrt(v/(v+sigma^2))
     * exp(-(x-mu)^2/(2(v+sigma^2))) (p here is unnormalised: exp(-q/2)) */
    double psig = 1;
    for (int k = 0; k < 2; k++)
        psig *= sqrt(v[k] / (v[k] + sigma * sigma)) *
                exp(-0.5 * (x[k] - g.mu[k]) * (x[k] - g.mu[k]) / (v[k] + sigma * sigma));
    for (int kind = LGV_SCORE_GRAD; kind <= LGV_SCORE_TWEEDIE; kind++) {
        enum { R = 40, N = 2000 };
        double s1[2] = {0}, s2[2] = {0}, p1 = 0, p2 = 0;
        for (int rep = 0; rep < R; rep++) {
            ck_assert_int_eq(lgv_noisy_score(&t, r, x, sigma, N, kind, v, score, work, zbest,
                                             &nf), 0);
            for (int k = 0; k < 2; k++) {
                s1[k] += score[k];
                s2[k] += score[k] * score[k];
            }
            p1 += exp(nf.logpsig);
            p2 += exp(2 * nf.logpsig);
        }
        double pm = p1 / R, pse = sqrt((p2 / R - pm * pm) / (R - 1));
        ck_assert_msg(fabs(pm - psig) < 4 * pse, "p_sigma %g vs %g (se %g)", pm, psig, pse);
        for (int k = 0; k < 2; k++) {
            double m = s1[k] / R, se = sqrt((s2[k] / R - m * m) / (R - 1));
            ck_assert_msg(fabs(m - exact[k]) < 4 * se + 1e-12,
                          "%s sigma %g coord %d: %g vs %g (se %g)", lgv_score_names[kind], sigma,
                          k, m, exact[k], se);
            /* and it is the perturbed score, not the score of p at x */
            double plain = -(x[k] - g.mu[k]) / v[k];
            if (sigma >= 1)
                ck_assert(fabs(m - plain) > 10 * se);
        }
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(sigma_levels_geometric)
{
    double s[5];
    lgv_sigma_levels(10, 0.1, 5, s);
    ck_assert(fabs(s[0] - 10) < 1e-12 && fabs(s[4] - 0.1) < 1e-12);
    for (int i = 1; i < 5; i++)
        ck_assert(fabs(s[i] / s[i - 1] - pow(0.01, 0.25)) < 1e-12);
}
END_TEST

/* ---- mixture weights: annealing versus MALA ---- */

enum { MIX_CHAINS = 1000 };

static double mix_right_fraction(const BkOpt *opts, const double *inits, unsigned long seed,
                                 char *report, size_t rlen)
{
    Mix m = {.w = 0.3, .s = 0.5, .m1 = {-3, 0}, .m2 = {3, 0}};
    BkTarget t = {.dim = 2, .logp = mix_logp, .ctx = &m};
    Run r;
    run_chains(&t, settings(1000, 10, seed, opts), MIX_CHAINS, inits, &r);
    long right = 0, n = (long)MIX_CHAINS * r.draws;
    for (long i = 0; i < n; i++)
        right += r.u[2 * i] > 0;
    if (report)
        snprintf(report, rlen, "%s", r.report);
    run_free(&r);
    return (double)right / (double)n;
}

START_TEST(anneal_recovers_mixture_weights)
{
    /* one chain lands in one mode, so the fraction is binomial over chains: with 1000
     * chains its sd is 0.0145, and 0.05 is 3.4 sd (40 chains would give sd 0.072, so
     * 0.05 could not be asserted) */
    static const BkOpt anneal[] = {{"anneal", "10"}, {NULL, NULL}};
    char rep[2048];
    double fa = mix_right_fraction(anneal, NULL, 21, rep, sizeof rep);
    ck_assert_msg(fabs(fa - 0.7) < 0.05, "annealed: right-mode weight %g", fa);
    ck_assert_ptr_nonnull(strstr(rep, "annealed"));
    /* MALA from the same overdispersed starts keeps the basins' split (about 0.5) */
    double fm = mix_right_fraction(NULL, NULL, 21, NULL, 0);
    ck_assert_msg(fabs(fm - 0.7) > 0.1, "MALA: right-mode weight %g", fm);
    /* MALA started in the left mode never leaves it */
    static double left[2 * MIX_CHAINS];
    for (int c = 0; c < MIX_CHAINS; c++) {
        left[2 * c] = -3 + 0.01 * (c % 7);
        left[2 * c + 1] = 0.01 * (c % 5);
    }
    double fl = mix_right_fraction(NULL, left, 22, NULL, 0);
    /* (a few chains hop during the early warm-up, when dual averaging tries steps of
     * ten times the initial one, but most stay) */
    ck_assert_msg(fl < 0.5, "MALA from the left mode: right weight %g", fl);
    /* annealing from that same start still finds the right weights, given a sigma_1
     * that spans the modes (the pilot, stuck in its mode, cannot see the other one) */
    static const BkOpt anneal8[] = {{"anneal", "10"}, {"sigma-max", "8"}, {NULL, NULL}};
    double fal = mix_right_fraction(anneal8, left, 22, NULL, 0);
    ck_assert_msg(fabs(fal - 0.7) < 0.05, "annealed from the left mode: %g", fal);
    printf("mixture right-mode weight (exact 0.7): annealed %.3f, MALA %.3f, from the left "
           "mode: MALA %.3f, annealed %.3f\n", fa, fm, fl, fal);
}
END_TEST

/* ---- ULA's bias ---- */

START_TEST(ula_bias_at_large_step)
{
    /* N(0, 1) with u' = u + (h^2/2)(-u) + h xi: stationary variance 1 / (1 - h^2/4) */
    const double h = 1.2, ula_var = 1 / (1 - h * h / 4);
    Gauss g = {.d = 1, .mu = {0}, .prec = {1}};
    BkTarget t = {.dim = 1, .logp = gauss_logp, .ctx = &g};
    static const BkOpt ula[] = {{"ula", "true"}, {"stepsize", "1.2"}, {NULL, NULL}};
    static const BkOpt mala[] = {{"stepsize", "1.2"}, {NULL, NULL}};
    CoordArg a2 = {0, 0, 2};
    double v, se;
    Run r;
    /* no warm-up: the metric stays the identity, so the step really is h */
    run_chains(&t, settings(0, 5000, 31, ula), 4, NULL, &r);
    mean_mcse(&r, coord_stat, &a2, 100, &v, &se);
    ck_assert_msg(fabs(v - 1) > 8 * se, "ULA variance %g shows no bias (mcse %g)", v, se);
    ck_assert_msg(fabs(v - ula_var) < 4 * se, "ULA variance %g vs %g (mcse %g)", v, ula_var, se);
    ck_assert_ptr_nonnull(strstr(r.report, "WARNING"));
    ck_assert_ptr_nonnull(strstr(r.report, "bias"));
    run_free(&r);
    run_chains(&t, settings(0, 5000, 31, mala), 4, NULL, &r);
    mean_mcse(&r, coord_stat, &a2, 100, &v, &se);
    ck_assert_msg(fabs(v - 1) < 4 * se, "MALA variance %g (mcse %g)", v, se);
    ck_assert_ptr_null(strstr(r.report, "WARNING"));
    run_free(&r);
}
END_TEST

/* ---- determinism and refusals ---- */

static const BkOpt det_opts[][4] = {
    {{NULL, NULL}},
    {{"ula", "true"}, {NULL, NULL}},
    {{"anneal", "5"}, {NULL, NULL}},
    {{"anneal", "5"}, {"anneal-mh", "false"}, {"score", "grad"}, {NULL, NULL}},
    {{"anneal", "3"}, {"score", "tweedie"}, {"steps-per-level", "20"}, {NULL, NULL}},
    {{"anneal", "4"}, {"stepsize", "0.5"}, {"ula", "true"}, {NULL, NULL}},
};

START_TEST(same_seed_same_draws)
{
    /* bit-identical for one seed, different for another; every chain ends in a mode */
    Mix m = {.w = 0.3, .s = 0.5, .m1 = {-3, 0}, .m2 = {3, 0}};
    BkTarget t = {.dim = 2, .logp = mix_logp, .ctx = &m};
    Run a, b;
    run_chains(&t, settings(200, 50, 41, det_opts[_i]), 3, NULL, &a);
    run_chains(&t, settings(200, 50, 41, det_opts[_i]), 3, NULL, &b);
    ck_assert(memcmp(a.u, b.u, sizeof(double) * 3 * 50 * 2) == 0);
    run_free(&b);
    run_chains(&t, settings(200, 50, 42, det_opts[_i]), 3, NULL, &b);
    ck_assert(memcmp(a.u, b.u, sizeof(double) * 3 * 50 * 2) != 0);
    /* each chain's draws sit in one mode: their mean |x| near 3, mean y near 0 (single
     * draws are not bounded: ULA's are wider than the target's, by its bias) */
    for (int c = 0; c < 3; c++) {
        double ax = 0, y = 0;
        for (int i = 0; i < 50; i++) {
            ax += fabs(a.u[2 * (c * 50 + i)]) / 50;
            y += a.u[2 * (c * 50 + i) + 1] / 50;
        }
        ck_assert_msg(fabs(ax - 3) < 1 && fabs(y) < 1, "chain %d: mean |x| %g, mean y %g", c, ax, y);
    }
    if (det_opts[_i][0].key && !strcmp(det_opts[_i][0].key, "anneal"))
        ck_assert_ptr_nonnull(strstr(a.report, "importance ESS"));
    for (int k = 0; det_opts[_i][k].key; k++)
        if (!strcmp(det_opts[_i][k].key, "stepsize"))
            for (int i = 0; i < 3 * 50; i++)
                ck_assert_double_eq(a.step[i], atof(det_opts[_i][k].value));
    run_free(&a);
    run_free(&b);
}
END_TEST

static const struct {
    BkOpt opts[3];
    long warmup;
    size_t ndisc;
    const char *msg;
} refusals[] = {
    {{{NULL, NULL}}, 100, 1, "needs a gradient: the model has 1 discrete parameters"},
    {{{"target-accept", "1.5"}, {NULL, NULL}}, 100, 0, "--target-accept must lie in (0, 1), not 1.5"},
    {{{"score", "exact"}, {NULL, NULL}}, 100, 0, "--score must be grad, tweedie or blend, not 'exact'"},
    {{{"anneal", "10"}, {NULL, NULL}}, 30, 0, "--warmup=30 is too short for --anneal=10"},
    {{{"anneal", "4"}, {"steps-per-level", "100"}, {NULL, NULL}}, 300, 0, "too short for --anneal=4"},
    {{{"sigma-max", "1"}, {"sigma-min", "2"}, {NULL, NULL}}, 100, 0, "--sigma-min=2 must be below --sigma-max=1"},
};

START_TEST(create_refuses)
{
    double lo = 0, hi = 1;
    BkTarget t = {.dim = 1, .ndisc = refusals[_i].ndisc, .disc_lo = &lo, .disc_hi = &hi,
                  .logp = beta_logp};
    BkSettings s = settings(refusals[_i].warmup, 10, 1, refusals[_i].opts);
    char err[256] = "";
    ck_assert_ptr_null(backend_langevin.create(&s, &t, err, sizeof err));
    ck_assert_msg(strstr(err, refusals[_i].msg) != NULL, "got: %s", err);
}
END_TEST

START_TEST(options_checked)
{
    char err[256] = "";
    BkOpt bad[] = {{"anneal", "many"}, {NULL, NULL}};
    BkOpt unknown[] = {{"max-depth", "3"}, {NULL, NULL}};
    BkOpt good[] = {{"ula", ""}, {"eps", "0.01"}, {"score", "grad"}, {NULL, NULL}};
    ck_assert_int_eq(bk_check_options(&backend_langevin, bad, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "option --anneal expects an integer, got 'many'");
    ck_assert_int_eq(bk_check_options(&backend_langevin, unknown, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "unknown option --max-depth for method 'langevin'");
    ck_assert_int_eq(bk_check_options(&backend_langevin, good, 3, err, sizeof err), 0);
    ck_assert_ptr_eq(bk_find("langevin"), &backend_langevin);
    ck_assert_str_eq(backend_langevin.columns[0], "accept_stat__");
    ck_assert_str_eq(backend_langevin.columns[1], "stepsize__");
}
END_TEST

static Suite *langevin_suite(void)
{
    Suite *s = suite_create("langevin");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mala_correlated_gaussian);
    tcase_add_test(tc, mala_beta_logit);
    tcase_add_loop_test(tc, support_cut_by_minus_infinity, 0, 3);
    tcase_add_loop_test(tc, perturbed_score_closed_form, 0,
                        sizeof score_sigmas / sizeof *score_sigmas);
    tcase_add_test(tc, sigma_levels_geometric);
    tcase_add_test(tc, anneal_recovers_mixture_weights);
    tcase_add_test(tc, ula_bias_at_large_step);
    tcase_add_loop_test(tc, same_seed_same_draws, 0, sizeof det_opts / sizeof *det_opts);
    tcase_add_loop_test(tc, create_refuses, 0, sizeof refusals / sizeof *refusals);
    tcase_add_test(tc, options_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(langevin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
