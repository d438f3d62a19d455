/* Langevin samplers driven by the model's score (docs/langevin.md):
 *  - MALA (default): u' = u + (h^2/2) M^{-1} grad log p(u) + h M^{-1/2} xi, accepted by
 *    Metropolis-Hastings with the asymmetric proposal density in both directions
 *    (Roberts & Tweedie 1996).  Warm-up adapts h by Nesterov dual averaging toward an
 *    acceptance of 0.574 (Roberts & Rosenthal 1998) and a diagonal M^{-1} in Stan's
 *    windows (stan/mcmc/windowed_adaptation.hpp, var_adaptation.hpp).
 *  - ULA (ula=true): the same move, never rejected when sampling: biased by O(h^2).
 *  - Annealed Langevin (anneal=L): warm-up runs a MALA pilot, then Song & Ermon's
 *    annealing over sigma_1 > ... > sigma_L (langevin_anneal.c; each level's steps are
 *    pseudo-marginal MH on p_sigma unless anneal-mh=false), then MALA at sigma = 0 with
 *    its own adaptation; sampling iterations are MALA at sigma = 0, so the draws target
 *    the exact posterior and annealing only decides where each chain settles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/langevin.h"

enum { PH_PILOT, PH_ANNEAL, PH_MALA };

/* Stan's defaults: dual averaging (gamma, t0, kappa) and warm-up windows. */
#define DA_GAMMA 0.05
#define DA_T0 10.0
#define DA_KAPPA 0.75
#define WIN_INIT 75
#define WIN_TERM 50
#define WIN_BASE 25

typedef struct Lgv {
    size_t d;
    int ula, anneal, fixed_h, finalised;
    double delta;                   /* target acceptance */
    long warmup, witer;             /* warm-up length, warm-up iterations done */
    /* current state and proposal */
    double lp, lpp, h, h_user, accept;
    double *u, *g, *up, *gp, *xi, *minv, *u0;
    /* dual averaging (Hoffman & Gelman 2014, sec. 3.2) */
    double da_mu, da_sbar, da_xbar;
    long da_n;
    /* windowed variance of the MALA phase: local iteration indices [0, mlen) */
    long mstart, mlen, init_buf, term_buf, win_size, win_end;
    long wn;
    double *wmean, *wm2;
    /* annealing */
    long pilot, L, T, mc, level, lstep, nzero, nanneal;
    int score_kind, anneal_mh;
    double acc_sum;
    LgvScoreInfo cur;               /* the estimate at u for the current level */
    double smax_opt, smin_opt, eps_opt, eps_a, travel;
    double *sigma, *var, *score, *work, *zbest;
    double *lvl_ess, *lvl_n;        /* importance ESS summed per level, and its count */
    double *mem;                    /* the one block every vector lives in */
    double *upilot, lp_pilot;       /* where the pilot ended: the fallback of a divergence */
    int diverged;
    int phase;
    /* sampling statistics */
    long nsamp;
    double sum_accept;
} Lgv;

static const BkOption lgv_options[] = {
    {"target-accept", "real", "0.574", "MALA acceptance targeted by the step-size adaptation"},
    {"ula", "bool", "false", "unadjusted Langevin: no Metropolis-Hastings correction (biased)"},
    {"stepsize", "real", "0", "fixed step size h > 0 (no step adaptation); 0: adapted"},
    {"anneal", "int", "0", "annealed Langevin over L noise levels during warm-up; 0: off"},
    {"sigma-max", "real", "0", "largest noise level sigma_1; 0: from the pilot"},
    {"sigma-min", "real", "0", "smallest noise level sigma_L; 0: 0.3 x the pilot's smallest sd"},
    {"steps-per-level", "int", "0", "Langevin steps T per noise level; 0: fill the warm-up"},
    {"eps", "real", "0", "step at the last level, alpha_i = eps sigma_i^2/sigma_L^2; 0: sigma_L^2"},
    {"score", "string", "blend", "perturbed-score estimator: grad, tweedie or blend"},
    {"anneal-mh", "bool", "true", "pseudo-marginal Metropolis-Hastings on each level (false: "
     "unadjusted, as Song & Ermon)"},
    {"pilot", "int", "0", "MALA iterations that set the noise scales; 0: min(200, warmup/10)"},
    {NULL, NULL, NULL, NULL}
};

static const char *const lgv_columns[] = {"accept_stat__", "stepsize__", NULL};

extern const Backend backend_langevin;

/* ---- warm-up windows (Stan's windowed_adaptation) ---- */

static void win_setup(Lgv *s, long start, long len)
{
    s->mstart = start;
    s->mlen = len;
    s->init_buf = WIN_INIT;
    s->term_buf = WIN_TERM;
    s->win_size = WIN_BASE;
    if (len < 20) {                 /* too short: step size only */
        s->init_buf = len;
        s->term_buf = 0;
        s->win_size = 0;
    } else if (WIN_INIT + WIN_TERM + WIN_BASE > len) {
        s->init_buf = (long)(0.15 * (double)len);
        s->term_buf = (long)(0.1 * (double)len);
        s->win_size = len - s->init_buf - s->term_buf;
    }
    s->win_end = s->init_buf + s->win_size - 1;
    s->wn = 0;
}

static void welford_add(Lgv *s, const double *u)
{
    s->wn++;
    for (size_t k = 0; k < s->d; k++) {
        double dlt = u[k] - s->wmean[k];
        s->wmean[k] += dlt / (double)s->wn;
        s->wm2[k] += dlt * (u[k] - s->wmean[k]);
    }
}

/* Stan's regularised variance: shrink toward 1e-3 with weight 5 / (n + 5). */
static void welford_var(Lgv *s, double *out)
{
    double n = (double)s->wn;
    for (size_t k = 0; k < s->d; k++) {
        double v = n > 1 ? s->wm2[k] / (n - 1) : 1.0;
        out[k] = (n / (n + 5.0)) * v + 1e-3 * (5.0 / (n + 5.0));
    }
    s->wn = 0;
    memset(s->wmean, 0, s->d * sizeof *s->wmean);
    memset(s->wm2, 0, s->d * sizeof *s->wm2);
}

/* ---- MALA ---- */

/* Propose from (u, g) with noise xi at step h into (up, gp, lpp); return log alpha. */
static int mala_propose(Lgv *s, const BkTarget *t, double h, double *logalpha)
{
    size_t d = s->d;
    double h2 = 0.5 * h * h, fwd = 0, bwd = 0;
    for (size_t k = 0; k < d; k++) {
        s->up[k] = s->u[k] + h2 * s->minv[k] * s->g[k] + h * sqrt(s->minv[k]) * s->xi[k];
        fwd += s->xi[k] * s->xi[k];
    }
    int rc = t->logp(t->ctx, s->up, &s->lpp, s->gp);
    if (rc)
        return rc;
    int ok = isfinite(s->lpp);
    for (size_t k = 0; ok && k < d; k++)
        ok = isfinite(s->gp[k]);
    if (!ok) {
        s->lpp = -INFINITY;
        *logalpha = -INFINITY;
        return 0;
    }
    for (size_t k = 0; k < d; k++) {
        double r = (s->u[k] - s->up[k] - h2 * s->minv[k] * s->gp[k]) / (h * sqrt(s->minv[k]));
        bwd += r * r;
    }
    /* log q(u | u') - log q(u' | u); the normalising constants are equal and cancel */
    *logalpha = s->lpp - s->lp - 0.5 * bwd + 0.5 * fwd;
    if (isnan(*logalpha))
        *logalpha = -INFINITY;
    return 0;
}

static void draw_xi(Lgv *s, gsl_rng *r)
{
    for (size_t k = 0; k < s->d; k++)
        s->xi[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
}

static void accept_move(Lgv *s)
{
    double *tmp = s->u; s->u = s->up; s->up = tmp;
    tmp = s->g; s->g = s->gp; s->gp = tmp;
    s->lp = s->lpp;
}

/* Stan's init_stepsize: double or halve h until one proposal's acceptance crosses the
 * target, so dual averaging starts at the right order of magnitude. */
static int find_stepsize(Lgv *s, const BkTarget *t, gsl_rng *r)
{
    double la, ref = log(s->delta);
    draw_xi(s, r);
    int rc = mala_propose(s, t, s->h, &la);
    if (rc)
        return rc;
    int dir = la > ref ? 1 : -1;
    for (int i = 0; i < 60; i++) {
        double h = dir > 0 ? 2 * s->h : 0.5 * s->h;
        if (h > 1e3 || h < 1e-12)
            break;
        if ((rc = mala_propose(s, t, h, &la)))
            return rc;
        s->h = h;
        if ((dir > 0) != (la > ref))
            break;
    }
    return 0;
}

static void da_restart(Lgv *s)
{
    s->da_mu = log(10 * s->h);
    s->da_sbar = 0;
    s->da_xbar = 0;
    s->da_n = 0;
}

static void da_learn(Lgv *s, double accept)
{
    s->da_n++;
    double n = (double)s->da_n, eta = 1.0 / (n + DA_T0);
    s->da_sbar = (1 - eta) * s->da_sbar + eta * (s->delta - accept);
    double x = s->da_mu - s->da_sbar * sqrt(n) / DA_GAMMA;
    double w = pow(n, -DA_KAPPA);
    s->da_xbar = w * x + (1 - w) * s->da_xbar;
    s->h = exp(x);
}

/* One MALA transition, adapting h in warm-up.  ULA drops the correction only when
 * sampling: in warm-up dual averaging tries steps ten times too large, which an
 * uncorrected chain would follow to infinity. */
static int mala_step(Lgv *s, const BkTarget *t, gsl_rng *r, int warm)
{
    double la;
    draw_xi(s, r);
    int rc = mala_propose(s, t, s->h, &la);
    if (rc)
        return rc;
    s->accept = la >= 0 ? 1.0 : exp(la);
    int take = s->ula && !warm ? isfinite(s->lpp) : log(gsl_rng_uniform_pos(r)) < la;
    if (take)
        accept_move(s);
    if (warm && !s->fixed_h)
        da_learn(s, s->accept);
    return 0;
}

/* Warm-up MALA iteration i (0-based within its phase): windows, then step adaptation. */
static int mala_warm(Lgv *s, const BkTarget *t, gsl_rng *r, long i)
{
    int rc = mala_step(s, t, r, 1);
    if (rc || s->win_size == 0)
        return rc;
    long slow_end = s->mlen - s->term_buf;
    if (i >= s->init_buf && i < slow_end) {
        welford_add(s, s->u);
        if (i == s->win_end) {
            welford_var(s, s->minv);
            if (!s->fixed_h && (rc = find_stepsize(s, t, r)))
                return rc;
            da_restart(s);
            if (s->win_end < slow_end - 1) {     /* Stan's compute_next_window */
                s->win_size *= 2;
                s->win_end = i + s->win_size;
                if (s->win_end + 2 * s->win_size >= slow_end)
                    s->win_end = slow_end - 1;
            }
        }
    }
    return 0;
}

/* ---- annealing ---- */

static int anneal_start(Lgv *s)
{
    welford_var(s, s->var);             /* the pilot's second half */
    memcpy(s->upilot, s->u, s->d * sizeof *s->u);
    s->lp_pilot = s->lp;
    /* The blend's lambda needs the local curvature of p; a pilot that hopped between
     * modes has a variance inflated by their distance, and trusting it makes the grad
     * term overshoot.  MALA's adapted step measures the smallest local scale (optimal
     * h ~ 1.65 sd d^(-1/6), Roberts & Rosenthal 1998), which no hop inflates. */
    double hp = s->da_n > 0 && !s->fixed_h ? exp(s->da_xbar) : s->h;
    double vloc = pow(hp * pow((double)s->d, 1.0 / 6) / 1.65, 2);
    double vmin = INFINITY, vmax = 0, dist = 0;
    for (size_t k = 0; k < s->d; k++) {
        vmin = fmin(vmin, s->var[k]);
        vmax = fmax(vmax, s->var[k]);
        dist += (s->u[k] - s->u0[k]) * (s->u[k] - s->u0[k]);
        s->minv[k] = s->var[k];
        s->var[k] = fmin(s->var[k], vloc);
    }
    s->travel = sqrt(dist);
    /* Song & Ermon pick sigma_1 about the largest distance between data points: here,
     * twice the way the pilot came from its overdispersed start (other chains' modes
     * may lie that far on the other side), and at least 3 local sd. */
    double smax = s->smax_opt > 0 ? s->smax_opt : fmax(2 * s->travel, 3 * sqrt(vmax));
    /* below the posterior's own scale p_sigma hardly differs from p: stop at 0.3 sd and
     * leave the rest to MALA at sigma = 0 */
    double smin = s->smin_opt > 0 ? s->smin_opt : 0.3 * sqrt(vmin);
    if (smin >= smax)
        smin = smax / 10;
    lgv_sigma_levels(smax, smin, s->L, s->sigma);
    /* alpha_i = sigma_i^2: p_sigma_i has variance at least sigma_i^2, so the step is
     * about that level's own scale */
    s->eps_a = s->eps_opt > 0 ? s->eps_opt : smin * smin;
    s->level = 0;
    s->lstep = 0;
    return 0;
}

/* Score (and p_sigma estimate) at the current point for the current level. */
static int anneal_estimate(Lgv *s, const BkTarget *t, gsl_rng *r, const double *x, double *score,
                           LgvScoreInfo *info)
{
    int rc = lgv_noisy_score(t, r, x, s->sigma[s->level], s->mc, (LgvScoreKind)s->score_kind,
                             s->var, score, s->work, s->zbest, info);
    s->lvl_ess[s->level] += info->ess;
    s->lvl_n[s->level] += 1;
    return rc;
}

/* One Langevin step on p_sigma at the current level, alpha_i = eps sigma_i^2 / sigma_L^2.
 * Unadjusted as in Song & Ermon, or (anneal-mh) accepted by pseudo-marginal
 * Metropolis-Hastings: mean_j p(z_j) is an unbiased estimate of p_sigma, so the chain
 * leaves p_sigma exactly invariant whatever the number of samples (Andrieu & Roberts
 * 2009); the proposal's drift is the estimated score carried with the state. */
static int anneal_step(Lgv *s, const BkTarget *t, gsl_rng *r)
{
    int rc;
    double sig = s->sigma[s->level], sL = s->sigma[s->L - 1];
    double alpha = s->eps_a * sig * sig / (sL * sL);
    if (s->lstep == 0 && (rc = anneal_estimate(s, t, r, s->u, s->score, &s->cur)))
        return rc;
    if (s->cur.nfinite == 0)
        s->nzero++;
    s->h = sqrt(alpha);
    double fwd = 0, bwd = 0;
    for (size_t k = 0; k < s->d; k++) {
        s->xi[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
        s->up[k] = s->u[k] + 0.5 * alpha * s->score[k] + s->h * s->xi[k];
        fwd += s->xi[k] * s->xi[k];
    }
    LgvScoreInfo nw;
    if ((rc = anneal_estimate(s, t, r, s->up, s->gp, &nw)))
        return rc;
    int take = nw.nfinite > 0;
    s->accept = NAN;
    if (s->anneal_mh && take) {
        for (size_t k = 0; k < s->d; k++) {
            double b = (s->u[k] - s->up[k] - 0.5 * alpha * s->gp[k]) / s->h;
            bwd += b * b;
        }
        double la = nw.logpsig - s->cur.logpsig - 0.5 * bwd + 0.5 * fwd;
        s->accept = la >= 0 ? 1.0 : exp(la);
        s->acc_sum += s->accept;
        s->nanneal++;
        take = log(gsl_rng_uniform_pos(r)) < la;
    }
    if (take) {
        double *tmp = s->u; s->u = s->up; s->up = tmp;
        tmp = s->score; s->score = s->gp; s->gp = tmp;
        s->cur = nw;
        if ((rc = t->logp(t->ctx, s->u, &s->lp, NULL)))
            return rc;
    }
    if (++s->lstep == s->T) {
        s->lstep = 0;
        s->level++;
    }
    return 0;
}

/* Leave annealing for MALA at sigma = 0: needs lp and gradient at a point of support. */
static int anneal_end(Lgv *s, const BkTarget *t, gsl_rng *r, char *err, size_t errlen)
{
    int rc = t->logp(t->ctx, s->u, &s->lp, s->g);
    if (rc)
        return rc;
    if (!isfinite(s->lp)) {
        memcpy(s->u, s->zbest, s->d * sizeof *s->u);
        if ((rc = t->logp(t->ctx, s->u, &s->lp, s->g)))
            return rc;
    }
    /* Unadjusted steps too large for a noisy score can run off to where even MALA cannot
     * come back from (lp hundreds of nats below the pilot's): restart from the pilot's
     * point rather than sample garbage, and say so in the report. */
    if (!isfinite(s->lp) || s->lp < s->lp_pilot - 20.0 * (double)s->d - 200.0) {
        s->diverged = 1;
        memcpy(s->u, s->upilot, s->d * sizeof *s->u);
        if ((rc = t->logp(t->ctx, s->u, &s->lp, s->g)))
            return rc;
        if (!isfinite(s->lp)) {
            snprintf(err, errlen, "langevin: annealing ended outside the support of the target");
            return -1;
        }
    }
    s->phase = PH_MALA;
    s->h = s->fixed_h ? s->h_user : 1.0;     /* annealing left sqrt(alpha_L) in h */
    if (!s->fixed_h && (rc = find_stepsize(s, t, r)))
        return rc;
    da_restart(s);
    return 0;
}

/* ---- Backend ---- */

/* The options into c (no memory yet), or -1 with err filled. */
static int lgv_configure(Lgv *c, const BkSettings *st, const BkTarget *t, char *err, size_t errlen)
{
    const Backend *b = &backend_langevin;
    long W = st->warmup > 0 ? st->warmup : 0, L = bk_opt_int(st, b, "anneal");
    long T = bk_opt_int(st, b, "steps-per-level"), pilot = bk_opt_int(st, b, "pilot");
    double smax = bk_opt_real(st, b, "sigma-max"), smin = bk_opt_real(st, b, "sigma-min");
    double eps = bk_opt_real(st, b, "eps"), h = bk_opt_real(st, b, "stepsize");
    c->delta = bk_opt_real(st, b, "target-accept");
    c->score_kind = lgv_score_kind(bk_opt_str(st, b, "score"));
    if (t->ndisc > 0)
        snprintf(err, errlen, "langevin needs a gradient: the model has %zu discrete parameters",
                 t->ndisc);
    else if (!(c->delta > 0 && c->delta < 1))
        snprintf(err, errlen, "langevin: --target-accept must lie in (0, 1), not %g", c->delta);
    else if (c->score_kind < 0)
        snprintf(err, errlen, "langevin: --score must be grad, tweedie or blend, not '%s'",
                 bk_opt_str(st, b, "score"));
    else if (L < 0 || T < 0 || pilot < 0 || smax < 0 || smin < 0 || eps < 0 || h < 0)
        snprintf(err, errlen, "langevin: --anneal, --steps-per-level, --pilot, --sigma-max, "
                 "--sigma-min, --eps and --stepsize cannot be negative");
    else if (smax > 0 && smin > 0 && smin >= smax)
        snprintf(err, errlen, "langevin: --sigma-min=%g must be below --sigma-max=%g", smin, smax);
    else
        err[0] = 0;
    if (err[0])
        return -1;
    /* warm-up = pilot + L x T annealing steps + final MALA adaptation (docs/langevin.md) */
    long F = W;
    if (L > 0) {
        if (pilot == 0)
            pilot = W / 10 < 200 ? W / 10 : 200;
        F = T > 0 ? W - pilot - L * T : W / 4;
        if (T == 0)
            T = (W - pilot - F) / L;
        if (pilot < 4 || T < 1 || F < 10) {
            snprintf(err, errlen, "langevin: --warmup=%ld is too short for --anneal=%ld: it must "
                     "hold a pilot of at least 4 iterations, %ld x %ld annealing steps and 10 "
                     "final MALA iterations", W, L, L, T > 0 ? T : 1);
            return -1;
        }
    }
    c->ula = bk_opt_bool(st, b, "ula");
    c->fixed_h = h > 0;
    c->h = c->h_user = h > 0 ? h : 1.0;
    c->warmup = W;
    c->anneal = L > 0;
    c->L = L;
    c->T = T;
    c->pilot = pilot;
    c->mc = st->mc > 0 ? st->mc : 16;
    c->anneal_mh = bk_opt_bool(st, b, "anneal-mh");
    c->smax_opt = smax;
    c->smin_opt = smin;
    c->eps_opt = eps;
    c->mlen = F;
    c->d = t->dim;
    return 0;
}

static void *lgv_create(const BkSettings *st, const BkTarget *t, char *err, size_t errlen)
{
    Lgv c = {0};
    if (lgv_configure(&c, st, t, err, errlen))
        return NULL;
    size_t d = c.d, L = (size_t)c.L;
    Lgv *s = calloc(1, sizeof *s);
    double *mem = calloc(13 * d + lgv_score_work_len(d) + 3 * L + 1, sizeof *mem);
    if (!s || !mem) {
        free(s);
        free(mem);
        snprintf(err, errlen, "langevin: out of memory");
        return NULL;
    }
    *s = c;
    double *p = s->mem = mem;
    double **vecs[] = {&s->u, &s->g, &s->up, &s->gp, &s->xi, &s->minv, &s->u0, &s->wmean,
                       &s->wm2, &s->var, &s->score, &s->zbest, &s->upilot};
    for (size_t i = 0; i < sizeof vecs / sizeof *vecs; i++, p += d)
        *vecs[i] = p;
    s->work = p;
    p += lgv_score_work_len(d);
    s->sigma = p;
    s->lvl_ess = p + L;
    s->lvl_n = p + 2 * L;
    return s;
}

static int lgv_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err,
                    size_t errlen)
{
    Lgv *s = st;
    size_t d = s->d;
    memcpy(s->u, u0, d * sizeof *u0);
    memcpy(s->u0, u0, d * sizeof *u0);
    int rc = t->logp(t->ctx, s->u, &s->lp, s->g);
    if (rc)
        return rc;
    if (!isfinite(s->lp)) {
        snprintf(err, errlen, "langevin: log density at the initial point is not finite");
        return -1;
    }
    for (size_t k = 0; k < d; k++)
        s->minv[k] = 1.0;
    s->witer = 0;
    s->finalised = 0;
    s->nsamp = 0;
    s->sum_accept = 0;
    s->nzero = 0;
    s->acc_sum = 0;
    s->nanneal = 0;
    s->diverged = 0;
    memset(s->lvl_ess, 0, 2 * (size_t)s->L * sizeof *s->lvl_ess);
    s->accept = NAN;
    s->wn = 0;
    memset(s->wmean, 0, d * sizeof *s->wmean);
    memset(s->wm2, 0, d * sizeof *s->wm2);
    if (s->anneal) {
        s->phase = PH_PILOT;
        win_setup(s, s->pilot + s->L * s->T, s->mlen);
    } else {
        s->phase = PH_MALA;
        win_setup(s, 0, s->mlen);
    }
    if (!s->fixed_h && (rc = find_stepsize(s, t, r)))
        return rc;
    da_restart(s);
    return 0;
}

static int lgv_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                    size_t errlen)
{
    Lgv *s = st;
    int rc = 0;
    if (err && errlen)
        err[0] = 0;
    if (!warmup || s->witer >= s->warmup) {
        if (!s->finalised) {
            /* an interrupted annealing (warm-up cut short) still samples at sigma = 0 */
            if (s->phase == PH_ANNEAL && (rc = anneal_end(s, t, r, err, errlen)))
                goto fail;
            if (!s->fixed_h && s->da_n > 0)
                s->h = exp(s->da_xbar);
            s->phase = PH_MALA;
            s->finalised = 1;
        }
        if ((rc = mala_step(s, t, r, 0)))
            goto fail;
        s->nsamp++;
        s->sum_accept += s->accept;
        return BK_OK;
    }
    long i = s->witer++;
    if (s->phase == PH_PILOT) {
        if ((rc = mala_step(s, t, r, 1)))
            goto fail;
        if (i >= s->pilot / 2)
            welford_add(s, s->u);
        if (i == s->pilot - 1) {
            anneal_start(s);
            s->phase = PH_ANNEAL;
        }
        return BK_OK;
    }
    if (s->phase == PH_ANNEAL) {
        if ((rc = anneal_step(s, t, r)))
            goto fail;
        if (s->level == s->L && (rc = anneal_end(s, t, r, err, errlen)))
            goto fail;
        return BK_OK;
    }
    if ((rc = mala_warm(s, t, r, i - s->mstart)))
        goto fail;
    return BK_OK;
fail:
    if (!err[0])
        snprintf(err, errlen, "langevin: the log density failed (code %d)", rc);
    return BK_FAIL;
}

static void lgv_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Lgv *s = st;
    memcpy(u, s->u, s->d * sizeof *u);
    *lp = s->lp;
    cols[0] = s->accept;
    cols[1] = s->h;
}

static void lgv_report(void *st, FILE *out, const char *prefix)
{
    Lgv *s = st;
    double vmin = INFINITY, vmax = 0;
    for (size_t k = 0; k < s->d; k++) {
        vmin = fmin(vmin, s->minv[k]);
        vmax = fmax(vmax, s->minv[k]);
    }
    fprintf(out, "%s%s: step size h = %.4g%s, diagonal inverse metric in [%.3g, %.3g]\n", prefix,
            s->ula ? "ULA" : "MALA", s->h, s->fixed_h ? " (fixed)" : " (adapted)", vmin, vmax);
    if (s->nsamp > 0)
        fprintf(out, "%smean accept_stat__ = %.3f over %ld draws (target %.3f)\n", prefix,
                s->sum_accept / (double)s->nsamp, s->nsamp, s->delta);
    if (s->ula)
        fprintf(out, "%sWARNING: ULA has no Metropolis-Hastings correction: the draws carry a "
                "step-size bias of order h^2; accept_stat__ shows what MALA would accept\n",
                prefix);
    if (s->anneal && s->phase != PH_PILOT) {
        double sL = s->sigma[s->L - 1];
        fprintf(out, "%sannealed: %ld levels sigma %.4g -> %.4g, %ld steps each, alpha %.4g -> "
                "%.4g, %ld score samples (%s), pilot %ld iterations (travelled %.3g)\n", prefix,
                s->L, s->sigma[0], sL, s->T, s->eps_a * s->sigma[0] * s->sigma[0] / (sL * sL),
                s->eps_a, s->mc, lgv_score_names[s->score_kind], s->pilot, s->travel);
        /* the level where importance sampling was poorest says whether --mc suffices */
        long worst = 0;
        for (long i = 1; i < s->L; i++)
            if (s->lvl_n[i] > 0 && s->lvl_ess[i] / s->lvl_n[i] <
                                       s->lvl_ess[worst] / fmax(s->lvl_n[worst], 1))
                worst = i;
        fprintf(out, "%sannealed: importance ESS per score estimate at worst %.1f of %ld (sigma "
                "%.4g)%s", prefix, s->lvl_ess[worst] / fmax(s->lvl_n[worst], 1), s->mc,
                s->sigma[worst], s->anneal_mh ? "" : "\n");
        if (s->anneal_mh)
            fprintf(out, ", pseudo-marginal acceptance %.3f\n",
                    s->nanneal ? s->acc_sum / (double)s->nanneal : 0.0);
        fprintf(out, "%sannealed: each chain settles in one mode; mode weights are the "
                "proportions of chains, so run many\n", prefix);
        if (s->diverged)
            fprintf(out, "%sWARNING: annealing diverged (lp far below the pilot's at its end) and "
                    "restarted from the pilot's point: lower --eps or keep --anneal-mh\n", prefix);
        if (s->nzero > 0)
            fprintf(out, "%sannealed: %ld steps found no score sample inside the support\n",
                    prefix, s->nzero);
    }
}

static void lgv_free(void *st)
{
    Lgv *s = st;
    if (!s)
        return;
    free(s->mem);
    free(s);
}

const Backend backend_langevin = {
    .name = "langevin",
    .sums_discrete = BK_SUM,
    .help = "Langevin: MALA (default), --ula unadjusted, --anneal=L annealed over noise levels",
    .kind = BK_SAMPLER,
    .options = lgv_options,
    .columns = lgv_columns,
    .create = lgv_create,
    .init = lgv_init,
    .step = lgv_step,
    .draw = lgv_draw,
    .report = lgv_report,
    .free = lgv_free,
};
