/* Shared VI engine: estimators, categorical factors, Adam, stopping rule, averaging,
 * final ELBO and PSIS k-hat.  See vi_common.h and docs/vi.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/vi_common.h"

#define VI_MAX_CATEGORIES 10000
#define VI_MAX_BAD_STEPS 50       /* consecutive steps with no finite draw: give up */
#define VI_LOOKBACK 5             /* windows back the ELBO is compared with */
#define VI_TRACE_MAX 1000000     /* iterations whose ELBO is kept for the CSV */
#define VI_MOVE 0.02              /* an immaterial move over a window (see window_update) */

struct ViCore {
    BkTarget t;                /* a copy: draw() has no target argument */
    ViFamily fam;
    ViConfig cfg;
    size_t dim, ndisc, np;     /* np: family + logits */
    size_t *cat_off, *cat_k;   /* per discrete coordinate: offset of its logits, K */
    double *cat_lo;
    int *group;                /* np group ids: the family's, then one per factor */
    size_t ngroup;
    double *par, *grad, *scale, *fin;
    double *adam_m, *adam_v;
    long adam_t;
    double *u, *g;             /* one draw and its gradient */
    /* --psis-resample: the final evaluation's draws, their log p and log q, and the
     * cumulative PSIS weights that draw() resamples by; scratch for the sort */
    double *pool_u, *pool_lp, *pool_lq, *pool_cw;
    struct PsisPair { double lw; size_t i; } *pool_sort;   /* a log weight, then a weight */
    int pool_ready;
    long lr_cuts;              /* step-size halvings after rejected steps */
    double *H, *f;             /* mc x hw scores (parameters hoff..), mc log p - log q */
    size_t hoff, hw;
    unsigned char *ok;
    size_t *kidx;              /* mc x ndisc sampled categories */
    double *gsum_a, *gsum_b, *gsum_c;   /* per group: sum Cov(f h, h), sum Var(h), sum h^2 */
    double *s_h, *s_hf, *s_hh, *s_hhf;   /* per parameter: batch sums of the score */
    /* stopping rule */
    double *win_elbo, *win_mon, *win_sum, *mon;
    long win_n, nwin, bad_steps;
    size_t nmon;               /* watched: family's, draws' (flows), categorical probabilities */
    double lr;                 /* current step size */
    int stage;
    long thin, slot_n, npass;  /* iterations per window slot (grows as lr shrinks) */
    double slot_elbo;
    long stage_at[8];          /* iterations at which each stage became stationary */
    double hist_m[VI_LOOKBACK + 1], hist_se[VI_LOOKBACK + 1];   /* window ELBO means, ring */
    double *lw, *rhat_work;    /* final evaluation's log weights; R-hat scratch */
    double *zs1, *zs2, zn;     /* the window's draws of q: sums, for q's sd */
    double *slot_mon;          /* watched quantities summed over the current slot */
    double *bz, blq;           /* this step's batch: mean draw and mean log q */
    size_t ndraw_mon;
    /* Rao-Blackwellisation (Ranganath et al. 2014, sec. 3.1), when rb is set */
    int rb, rb_cont;           /* rb_cont: the continuous factors too */
    int *gcoord;               /* per group: the coordinate its factor is over, -1: none */
    double *terms;             /* the current draw's terms of log p (BkTarget.nterms) */
    double *lqc;               /* the current draw's log q_i, per coordinate (dim + ndisc) */
    double *F;                 /* mc x ngroup: each factor's f at each draw */
    /* per group: decayed sums over past steps of sum_j h_j^2 (f - mean f)^2 with the
     * factor's f and with the whole f, and whether this step uses the factor's */
    double *v_rb, *v_all;
    unsigned char *use_rb;
    double *trace;             /* the ELBO estimate of each iteration, ntrace at most */
    long ntrace;
    ViStats st;
};

void vi_config_defaults(ViConfig *cfg, const BkSettings *s, long mc_def, double lr_def)
{
    cfg->mc = s->mc > 0 ? s->mc : mc_def;
    cfg->iters = s->iters > 0 ? s->iters : 10000;
    cfg->lr = s->lr > 0 ? s->lr : lr_def;
    cfg->tol = s->tol > 0 ? s->tol : 0.01;
    if (cfg->window <= 0) cfg->window = 100;
    if (cfg->eval_draws <= 0) cfg->eval_draws = 1000;
    if (cfg->rhat_max <= 0) cfg->rhat_max = 1.1;
    if (cfg->stages <= 0) cfg->stages = 2;
    if (cfg->stages > 8) cfg->stages = 8;
    if (cfg->lr_decay <= 0) cfg->lr_decay = 0.2;
}

/* ---- building blocks ------------------------------------------------------------ */

/* Residuals of y[h] about its least-squares line, into r[h]; returns their variance. */
static double detrend(const double *y, size_t h, double *r)
{
    double tm = 0.5 * (double)(h - 1), ym = 0, sxy = 0, sxx = 0;
    for (size_t i = 0; i < h; i++) ym += y[i];
    ym /= (double)h;
    for (size_t i = 0; i < h; i++) {
        sxy += ((double)i - tm) * (y[i] - ym);
        sxx += ((double)i - tm) * ((double)i - tm);
    }
    double b = sxy / sxx, v = 0;
    for (size_t i = 0; i < h; i++) {
        r[i] = y[i] - ym - b * ((double)i - tm);
        v += r[i] * r[i];
    }
    return v / (double)(h - 2);
}

/* Integrated autocorrelation time of two residual series r0, r1 (length h, mean 0), by
 * Geyer's initial monotone sequence, as Stan's ESS does. */
static double halves_tau(const double *r0, const double *r1, size_t h)
{
    double c0 = 0;
    for (size_t i = 0; i < h; i++) c0 += r0[i] * r0[i] + r1[i] * r1[i];
    if (!(c0 > 0)) return 1;
    double tau = 1, prev = INFINITY;
    for (size_t t = 1; t + 1 < h; t += 2) {
        double pair = 0;
        for (size_t lag = t; lag <= t + 1; lag++)
            for (size_t i = 0; i + lag < h; i++) pair += (r0[i] * r0[i + lag] + r1[i] * r1[i + lag]) / c0;
        if (pair <= 0) break;
        if (pair > prev) pair = prev;           /* monotone */
        prev = pair;
        tau += 2 * pair;
    }
    return tau;
}

/* split-R-hat with caller's scratch work[n] (no allocation in step()) */
static double split_rhat(const double *x, size_t n, double *work)
{
    size_t h = n / 2;
    if (h < 4) return NAN;
    const double *y[2] = {x, x + (n - h)};
    double *r[2] = {work, work + h};
    double m[2] = {0, 0}, v[2];
    for (int c = 0; c < 2; c++) {
        for (size_t i = 0; i < h; i++) m[c] += y[c][i];
        m[c] /= (double)h;
        v[c] = detrend(y[c], h, r[c]);
    }
    /* Within: the halves' variance about their trend lines, so that a drift does not
     * hide itself by widening W.  Optimiser iterates are autocorrelated (Adam's momentum
     * alone spans ~10 steps), which inflates B by the autocorrelation time tau even
     * without drift: divide it out, so B/W weighs the halves' difference against its
     * actual noise (ESS = h / tau). */
    double W = 0.5 * (v[0] + v[1]);
    double mm = 0.5 * (m[0] + m[1]);
    double B = (double)h * ((m[0] - mm) * (m[0] - mm) + (m[1] - mm) * (m[1] - mm));
    if (!(W > 0)) return m[0] == m[1] ? 1.0 : INFINITY;
    double tau = halves_tau(r[0], r[1], h);
    if (tau < 1) tau = 1;
    double vplus = (double)(h - 1) / (double)h * W + B / tau / (double)h;
    return sqrt(vplus / W);
}

double vi_split_rhat(const double *x, size_t n)
{
    double *work = malloc((n + 1) * sizeof *work);
    if (!work) return NAN;
    double rh = split_rhat(x, n, work);
    free(work);
    return rh;
}

/* Profile log-likelihood of Zhang & Stephens at theta (loo's lx), per observation. */
static double gpd_profile(double theta, const double *x, size_t n)
{
    double k = 0;
    for (size_t i = 0; i < n; i++) k += log1p(-theta * x[i]);
    k /= (double)n;
    return log(-theta / k) - k - 1;
}

double vi_gpd_fit(const double *x, size_t n, double *sigma)
{
    const double prior = 3;
    size_t M = 30 + (size_t)floor(sqrt((double)n));
    size_t iq = (size_t)floor((double)n / 4 + 0.5);
    double xstar = x[iq > 0 ? iq - 1 : 0];
    /* Weighted average of theta over the grid, weights = normalised profile likelihood;
     * accumulated in two passes (max, then sums) to need no scratch array. */
    double lmax = -INFINITY;
    for (size_t j = 1; j <= M; j++) {
        double th = 1 / x[n - 1] + (1 - sqrt((double)M / ((double)j - 0.5))) / prior / xstar;
        double l = (double)n * gpd_profile(th, x, n);
        if (l > lmax) lmax = l;
    }
    double wsum = 0, tsum = 0;
    for (size_t j = 1; j <= M; j++) {
        double th = 1 / x[n - 1] + (1 - sqrt((double)M / ((double)j - 0.5))) / prior / xstar;
        double l = (double)n * gpd_profile(th, x, n);
        if (!isfinite(l)) continue;
        double w = exp(l - lmax);
        wsum += w;
        tsum += w * th;
    }
    double theta = tsum / wsum;
    double k = 0;
    for (size_t i = 0; i < n; i++) k += log1p(-theta * x[i]);
    k /= (double)n;
    if (sigma) *sigma = -k / theta;
    /* loo's weakly informative prior: shrink towards 0.5 as if 10 more points */
    const double a = 10;
    return k * (double)n / ((double)n + a) + a * 0.5 / ((double)n + a);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double vi_psis_khat(double *lw, size_t S)
{
    size_t M = (size_t)ceil(fmin(0.2 * (double)S, 3 * sqrt((double)S)));
    if (M < 5 || S < M + 1) return INFINITY;
    qsort(lw, S, sizeof *lw, cmp_double);
    double mx = lw[S - 1];
    if (!isfinite(mx)) return INFINITY;
    double cutoff = lw[S - M - 1] - mx;
    if (lw[S - 1] - lw[S - M] < 1e-9) return NAN;       /* constant up to rounding */
    /* exceedances over the cutoff, in place of the tail (the caller's order is lost) */
    double ec = exp(cutoff);
    double *x = lw + (S - M);
    for (size_t i = 0; i < M; i++) x[i] = exp(x[i] - mx) - ec;
    if (!(x[M - 1] > 0)) return NAN;
    /* exact ties at the cutoff give zero exceedances: they carry no tail information */
    size_t z = 0;
    while (z < M && !(x[z] > 0)) z++;
    if (M - z < 5) return NAN;
    return vi_gpd_fit(x + z, M - z, NULL);
}

/* ---- categorical factors ------------------------------------------------------- */

/* Probabilities of one factor from its logits (softmax), into p[K]. */
static void cat_probs(const double *logit, size_t K, double *p)
{
    double mx = -INFINITY, s = 0;
    for (size_t k = 0; k < K; k++) if (logit[k] > mx) mx = logit[k];
    for (size_t k = 0; k < K; k++) s += (p[k] = exp(logit[k] - mx));
    for (size_t k = 0; k < K; k++) p[k] /= s;
}

/* Draw every discrete coordinate from its factor into u[dim..]; the chosen indices into
 * kidx and each factor's log q into lqk (either may be NULL); returns the factors' log q. */
static double cat_sample(ViCore *c, const double *par, gsl_rng *r, double *u, size_t *kidx,
                         double *lqk)
{
    double lq = 0;
    for (size_t j = 0; j < c->ndisc; j++) {
        const double *lg = par + c->cat_off[j];
        size_t K = c->cat_k[j];
        double mx = -INFINITY, s = 0;
        for (size_t k = 0; k < K; k++) if (lg[k] > mx) mx = lg[k];
        for (size_t k = 0; k < K; k++) s += exp(lg[k] - mx);
        double uu = gsl_rng_uniform(r) * s, acc = 0;
        size_t pick = K - 1;
        for (size_t k = 0; k < K; k++) {
            acc += exp(lg[k] - mx);
            if (uu < acc) { pick = k; break; }
        }
        u[c->dim + j] = c->cat_lo[j] + (double)pick;
        if (kidx) kidx[j] = pick;
        double l = lg[pick] - mx - log(s);
        if (lqk) lqk[j] = l;
        lq += l;
    }
    return lq;
}

/* h = d log q(k) / d logits = onehot(k) - softmax(logits), for every factor. */
static void cat_score(ViCore *c, const double *par, const size_t *kidx, double *h)
{
    for (size_t j = 0; j < c->ndisc; j++) {
        size_t o = c->cat_off[j] - c->hoff, K = c->cat_k[j];   /* h starts at hoff */
        cat_probs(par + c->cat_off[j], K, h + o);
        for (size_t k = 0; k < K; k++) h[o + k] = -h[o + k];
        h[o + kidx[j]] += 1;
    }
}

/* ---- construction ------------------------------------------------------------- */

/* Rao-Blackwellisation needs the target's terms and a factor per group: the family's
 * groups when it factorises over coordinates (group i = coordinate i), and every
 * categorical factor.  Without any such group there is nothing to gain: rb stays 0.
 * Returns -1 when out of memory. */
static int rb_setup(ViCore *c, const BkTarget *t, const ViFamily *fam)
{
    if (!t->nterms || !t->logp_terms || !t->term_start || !t->term_idx) return 0;
    size_t nfg = fam->ngroup ? fam->ngroup : 1, mc = (size_t)c->cfg.mc;
    /* (the reparameterisation estimator uses no score for the continuous part) */
    int per_coord = c->cfg.est == VI_SCORE && fam->logq_coords && fam->ngroup == t->dim && t->dim > 0;
    if (!per_coord && t->ndisc == 0) return 0;
    c->gcoord = malloc(c->ngroup * sizeof *c->gcoord);
    c->terms = malloc(t->nterms * sizeof *c->terms);
    c->lqc = calloc(t->dim + t->ndisc + 1, sizeof *c->lqc);
    c->F = malloc(mc * c->ngroup * sizeof *c->F);
    c->v_rb = calloc(c->ngroup, sizeof *c->v_rb);
    c->v_all = calloc(c->ngroup, sizeof *c->v_all);
    c->use_rb = calloc(c->ngroup, 1);
    if (!c->gcoord || !c->terms || !c->lqc || !c->F || !c->v_rb || !c->v_all || !c->use_rb) return -1;
    for (size_t g = 0; g < c->ngroup; g++)
        c->gcoord[g] = g < nfg ? (per_coord ? (int)g : -1) : (int)(t->dim + g - nfg);
    c->rb = 1;
    c->rb_cont = per_coord;
    return 0;
}

int vi_core_rb(const ViCore *c) { return c->rb; }

size_t vi_core_rb_factors(const ViCore *c, size_t *nfactors)
{
    size_t n = 0, k = 0;
    for (size_t g = 0; c->rb && g < c->ngroup; g++)
        if (c->gcoord[g] >= 0) { n++; k += c->use_rb[g]; }
    if (nfactors) *nfactors = n;
    return k;
}

ViCore *vi_core_new(const BkTarget *t, const ViFamily *fam, const ViConfig *cfg,
                    char *err, size_t errlen)
{
    if (cfg->est == VI_SCORE && !fam->score) {
        snprintf(err, errlen, "this variational family has no score-function estimator");
        return NULL;
    }
    size_t np = fam->nparam;
    for (size_t j = 0; j < t->ndisc; j++) {
        double lo = t->disc_lo[j], hi = t->disc_hi[j];
        if (!isfinite(lo) || !isfinite(hi) || hi < lo || hi - lo + 1 > VI_MAX_CATEGORIES) {
            snprintf(err, errlen, "discrete parameter %zu has support [%g, %g]: VI needs a finite "
                     "support of at most %d values to fit a categorical factor", j + 1, lo, hi,
                     VI_MAX_CATEGORIES);
            return NULL;
        }
        np += (size_t)(hi - lo) + 1;
    }
    ViCore *c = calloc(1, sizeof *c);
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    c->t = *t;
    c->fam = *fam;
    c->cfg = *cfg;
    c->dim = t->dim;
    c->ndisc = t->ndisc;
    c->np = np;
    size_t mc = (size_t)cfg->mc, W = (size_t)cfg->window, nd = t->ndisc ? t->ndisc : 1;
    c->cat_off = calloc(nd, sizeof *c->cat_off);
    c->cat_k = calloc(nd, sizeof *c->cat_k);
    c->cat_lo = calloc(nd, sizeof *c->cat_lo);
    c->group = calloc(np ? np : 1, sizeof *c->group);
    c->par = calloc(np + 1, sizeof *c->par);
    c->grad = calloc(np + 1, sizeof *c->grad);
    c->scale = calloc(np + 1, sizeof *c->scale);
    c->fin = calloc(np + 1, sizeof *c->fin);
    c->adam_m = calloc(np + 1, sizeof *c->adam_m);
    c->adam_v = calloc(np + 1, sizeof *c->adam_v);
    c->win_sum = calloc(np + 1, sizeof *c->win_sum);
    c->s_h = calloc(np + 1, sizeof *c->s_h);
    c->s_hf = calloc(np + 1, sizeof *c->s_hf);
    c->s_hh = calloc(np + 1, sizeof *c->s_hh);
    c->s_hhf = calloc(np + 1, sizeof *c->s_hhf);
    c->u = calloc(c->dim + c->ndisc + 1, sizeof *c->u);
    if (cfg->psis_resample) {
        size_t S = (size_t)cfg->eval_draws, n = c->dim + c->ndisc;
        c->pool_u = malloc(S * (n + 1) * sizeof *c->pool_u);
        c->pool_lp = malloc(S * sizeof *c->pool_lp);
        c->pool_lq = malloc(S * sizeof *c->pool_lq);
        c->pool_cw = malloc(S * sizeof *c->pool_cw);
        c->pool_sort = malloc(S * sizeof *c->pool_sort);
        if (!c->pool_u || !c->pool_lp || !c->pool_lq || !c->pool_cw || !c->pool_sort) {
            vi_core_free(c);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    c->g = calloc(c->dim + 1, sizeof *c->g);
    /* scores are kept only for the parameters the score estimator serves */
    c->hoff = cfg->est == VI_SCORE ? 0 : fam->nparam;
    c->hw = np - c->hoff;
    c->H = calloc(mc * (c->hw + 1), sizeof *c->H);
    c->f = calloc(mc, sizeof *c->f);
    c->ok = calloc(mc, 1);
    c->kidx = calloc(mc * nd, sizeof *c->kidx);
    c->win_elbo = calloc(W, sizeof *c->win_elbo);
    c->ntrace = cfg->iters < VI_TRACE_MAX ? cfg->iters : VI_TRACE_MAX;
    c->trace = calloc((size_t)c->ntrace + 1, sizeof *c->trace);
    /* watched: the family's quantities, [the batch means of the draws and of log q],
     * the categorical probabilities */
    c->ndraw_mon = fam->watch_draws ? t->dim + 1 : 0;
    c->nmon = fam->nmon + c->ndraw_mon + (np - fam->nparam);
    c->slot_mon = calloc(c->nmon + 1, sizeof *c->slot_mon);
    c->bz = calloc(t->dim + 1, sizeof *c->bz);
    c->win_mon = calloc(W * (c->nmon + 1), sizeof *c->win_mon);
    c->mon = calloc(c->nmon + 1, sizeof *c->mon);
    c->lw = calloc((size_t)cfg->eval_draws, sizeof *c->lw);
    c->rhat_work = calloc(W + 1, sizeof *c->rhat_work);
    c->zs1 = calloc(c->dim + 1, sizeof *c->zs1);
    c->zs2 = calloc(c->dim + 1, sizeof *c->zs2);
    /* groups: the family's, then one per categorical factor */
    size_t gmax = (fam->ngroup ? fam->ngroup : 1) + nd + 1;
    c->gsum_a = calloc(gmax, sizeof *c->gsum_a);
    c->gsum_b = calloc(gmax, sizeof *c->gsum_b);
    c->gsum_c = calloc(gmax, sizeof *c->gsum_c);
    if (!c->cat_off || !c->cat_k || !c->cat_lo || !c->group || !c->par || !c->grad || !c->scale
        || !c->fin || !c->adam_m || !c->adam_v || !c->win_sum || !c->u || !c->g || !c->H || !c->f
        || !c->ok || !c->kidx || !c->win_elbo || !c->trace || !c->win_mon || !c->mon || !c->lw
        || !c->rhat_work || !c->slot_mon || !c->bz || !c->zs1 || !c->zs2 || !c->gsum_a
        || !c->gsum_b || !c->gsum_c || !c->s_h || !c->s_hf || !c->s_hh || !c->s_hhf) {
        vi_core_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t off = fam->nparam, ng = fam->ngroup ? fam->ngroup : 1;
    for (size_t i = 0; i < fam->nparam; i++) c->group[i] = fam->group ? fam->group[i] : 0;
    for (size_t j = 0; j < t->ndisc; j++) {
        c->cat_off[j] = off;
        c->cat_k[j] = (size_t)(t->disc_hi[j] - t->disc_lo[j]) + 1;
        c->cat_lo[j] = t->disc_lo[j];
        for (size_t k = 0; k < c->cat_k[j]; k++) c->group[off + k] = (int)ng;
        ng++;
        off += c->cat_k[j];
    }
    c->ngroup = ng;
    if (cfg->rb && rb_setup(c, t, fam)) {
        vi_core_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return c;
}

double *vi_core_par(ViCore *c) { return c->par; }
size_t vi_core_nparam(const ViCore *c) { return c->np; }
const ViStats *vi_core_stats(const ViCore *c) { return &c->st; }
const double *vi_core_final(const ViCore *c) { return c->st.finished ? c->fin : c->par; }

void vi_core_start(ViCore *c)
{
    for (size_t i = c->fam.nparam; i < c->np; i++) c->par[i] = 0;
    memset(c->adam_m, 0, c->np * sizeof *c->adam_m);
    memset(c->adam_v, 0, c->np * sizeof *c->adam_v);
    memset(c->win_sum, 0, c->np * sizeof *c->win_sum);
    c->adam_t = 0;
    c->win_n = c->nwin = c->bad_steps = 0;
    c->lr = c->cfg.lr;
    c->stage = 0;
    c->thin = 1;
    c->npass = 0;
    c->slot_n = 0;
    memset(c->slot_mon, 0, c->nmon * sizeof *c->slot_mon);
    memset(c->zs1, 0, c->dim * sizeof *c->zs1);
    memset(c->zs2, 0, c->dim * sizeof *c->zs2);
    c->zn = 0;
    c->slot_elbo = 0;
    if (c->rb) {
        memset(c->v_rb, 0, c->ngroup * sizeof *c->v_rb);
        memset(c->v_all, 0, c->ngroup * sizeof *c->v_all);
    }
    memset(&c->st, 0, sizeof c->st);
    c->st.rel_change = c->st.rhat = c->st.elbo = c->st.elbo_se = c->st.khat = NAN;
}

void vi_core_free(ViCore *c)
{
    if (!c) return;
    free(c->cat_off); free(c->cat_k); free(c->cat_lo); free(c->group);
    free(c->par); free(c->grad); free(c->scale); free(c->fin);
    free(c->adam_m); free(c->adam_v); free(c->win_sum); free(c->u); free(c->g);
    free(c->H); free(c->f); free(c->ok); free(c->kidx); free(c->win_elbo); free(c->trace);
    free(c->win_mon); free(c->mon); free(c->lw); free(c->rhat_work); free(c->slot_mon);
    free(c->bz); free(c->zs1); free(c->zs2); free(c->gsum_a); free(c->gsum_b); free(c->gsum_c);
    free(c->s_h); free(c->s_hf); free(c->s_hh); free(c->s_hhf);
    free(c->gcoord); free(c->terms); free(c->lqc); free(c->F);
    free(c->v_rb); free(c->v_all); free(c->use_rb);
    free(c->pool_u); free(c->pool_lp); free(c->pool_lq); free(c->pool_cw); free(c->pool_sort);
    free(c);
}

/* ---- the gradient estimate ---------------------------------------------------- */

/* Each factor's share of log p - log q at draw s (Ranganath et al. 2014, eq. 10): the
 * terms of log p in the Markov blanket of its coordinate, minus its own log q_i.  The
 * other terms and the other factors' log q are independent of z_i under q, so their
 * product with the factor's score has expectation zero: leaving them out keeps the
 * gradient unbiased and removes their variance.  A group over no single coordinate
 * (fullrank's rows, which mix coordinates) keeps the whole log p - log q. */
static void factor_f(ViCore *c, const BkTarget *t, size_t s)
{
    double *F = c->F + s * c->ngroup;
    for (size_t gi = 0; gi < c->ngroup; gi++) {
        int i = c->gcoord[gi];
        if (i < 0) { F[gi] = c->f[s]; continue; }
        double v = -c->lqc[i];
        for (size_t k = t->term_start[i]; k < t->term_start[i + 1]; k++) v += c->terms[t->term_idx[k]];
        F[gi] = v;
    }
}

/* The f that multiplies group g's scores at draw s. */
static double draw_f(const ViCore *c, size_t s, int g)
{
    return c->rb && c->use_rb[g] ? c->F[s * c->ngroup + (size_t)g] : c->f[s];
}

/* Which f each factor uses, from past steps only (so that the choice does not depend on
 * the draws it weighs, which keeps the gradient unbiased).  Leaving the other factors'
 * terms out removes their noise, but it also removes their cancellations: a hub (the
 * mean of a hierarchical prior) sees every group's prior term, whose variation the whole
 * log p - log q offsets with the groups' own log q.  Near the optimum the hub's blanket
 * can then vary far more than log p - log q.  Both f are unbiased, so each factor takes
 * the one whose score-weighted spread sum_j h_j^2 (f - mean f)^2 has been smaller. */
static void rb_choose(ViCore *c)
{
    for (size_t g = 0; g < c->ngroup; g++)
        c->use_rb[g] = c->gcoord[g] >= 0 && !(c->v_rb[g] > c->v_all[g]);
}

/* Add this batch's spreads of both f to the decayed sums (see rb_choose). */
static void rb_update(ViCore *c, size_t lo, size_t hi, size_t nok)
{
    size_t mc = (size_t)c->cfg.mc, ng = c->ngroup;
    for (size_t g = 0; g < ng; g++) { c->v_rb[g] *= 0.9; c->v_all[g] *= 0.9; }
    double fm = 0;
    for (size_t s = 0; s < mc; s++) if (c->ok[s]) fm += c->f[s];
    fm /= (double)nok;
    /* each group's mean of its own f: in the group sums' scratch (free after
     * score_combine) */
    double *gm = c->gsum_a;
    memset(gm, 0, ng * sizeof *gm);
    for (size_t s = 0; s < mc; s++)
        if (c->ok[s]) for (size_t g = 0; g < ng; g++) gm[g] += c->F[s * ng + g];
    for (size_t g = 0; g < ng; g++) gm[g] /= (double)nok;
    for (size_t s = 0; s < mc; s++) {
        if (!c->ok[s]) continue;
        for (size_t j = lo; j < hi; j++) {
            int g = c->group[j];
            if (c->gcoord[g] < 0) continue;
            double h = c->H[s * c->hw + j - c->hoff], d1 = c->F[s * ng + (size_t)g] - gm[g], d2 = c->f[s] - fm;
            c->v_rb[g] += h * h * d1 * d1 / (double)nok;
            c->v_all[g] += h * h * d2 * d2 / (double)nok;
        }
    }
}

/* Score-function part for parameters [lo, hi): grad_j = mean_s h_js (f_gs - a_g), with
 * one control-variate scale per group g (a factor of q), a_g = sum_j Cov(h_j f_g, h_j) /
 * sum_j Var(h_j) (Ranganath et al. 2014, eq. 9), f_g the factor's share of log p - log q
 * (factor_f) or all of it.  a_g is estimated from the batch leaving out the draw it
 * multiplies: a scale estimated from the same draw would bias the gradient by O(1/mc). */
static void score_combine(ViCore *c, size_t lo, size_t hi, size_t nok, double *grad)
{
    size_t mc = (size_t)c->cfg.mc, hw = c->hw, hoff = c->hoff;
    int use_cv = c->cfg.cv && nok >= 3;
    double n1 = (double)nok - 1;
    for (size_t j = lo; j < hi; j++) {
        double sh = 0, shf = 0, shh = 0, shhf = 0;
        for (size_t s = 0; s < mc; s++) {
            if (!c->ok[s]) continue;
            double h = c->H[s * hw + j - hoff], f = draw_f(c, s, c->group[j]);
            sh += h; shf += h * f; shh += h * h; shhf += h * h * f;
        }
        c->s_h[j] = sh; c->s_hf[j] = shf; c->s_hh[j] = shh; c->s_hhf[j] = shhf;
        grad[j] = 0;
    }
    for (size_t s = 0; s < mc; s++) {
        if (!c->ok[s]) continue;
        if (use_cv) {
            memset(c->gsum_a, 0, c->ngroup * sizeof *c->gsum_a);
            memset(c->gsum_b, 0, c->ngroup * sizeof *c->gsum_b);
            memset(c->gsum_c, 0, c->ngroup * sizeof *c->gsum_c);
            for (size_t j = lo; j < hi; j++) {
                double h = c->H[s * hw + j - hoff], f = draw_f(c, s, c->group[j]);
                double sh = c->s_h[j] - h, shf = c->s_hf[j] - h * f;
                double shh = c->s_hh[j] - h * h, shhf = c->s_hhf[j] - h * h * f;
                c->gsum_a[c->group[j]] += shhf - shf * sh / n1;    /* (n-2) Cov(hf, h) */
                c->gsum_b[c->group[j]] += shh - sh * sh / n1;      /* (n-2) Var(h) */
                c->gsum_c[c->group[j]] += shh;
            }
        }
        for (size_t j = lo; j < hi; j++) {
            int gi = c->group[j];
            /* no scale when h did not vary over the other draws (a factor that drew the
             * same category every time): Var(h) is then rounding noise */
            double a = (use_cv && c->gsum_b[gi] > 1e-9 * c->gsum_c[gi]) ? c->gsum_a[gi] / c->gsum_b[gi] : 0;
            grad[j] += c->H[s * hw + j - hoff] * (draw_f(c, s, gi) - a);
        }
    }
    for (size_t j = lo; j < hi; j++) grad[j] /= (double)nok;
}

int vi_core_gradient(ViCore *c, const BkTarget *t, gsl_rng *r, const double *par,
                     double *grad, double *elbo)
{
    size_t mc = (size_t)c->cfg.mc, np = c->np, fp = c->fam.nparam;
    int score_cont = c->cfg.est == VI_SCORE;
    memset(grad, 0, np * sizeof *grad);
    size_t nok = 0;
    double fsum = 0;
    memset(c->bz, 0, c->dim * sizeof *c->bz);
    c->blq = 0;
    for (size_t s = 0; s < mc; s++) {
        double lq = c->fam.sample(c->fam.self, par, r, c->u);
        size_t *ks = c->kidx + s * (c->ndisc ? c->ndisc : 1);
        if (c->ndisc) lq += cat_sample(c, par, r, c->u, ks, c->rb ? c->lqc + c->dim : NULL);
        if (c->rb_cont) c->fam.logq_coords(c->fam.self, par, c->u, c->lqc);
        double lp;
        int trc = c->rb ? t->logp_terms(t->ctx, c->u, &lp, c->dim ? c->g : NULL, c->terms)
                        : t->logp(t->ctx, c->u, &lp, c->dim ? c->g : NULL);
        if (trc != 0) return -1;
        int fin = isfinite(lp) && isfinite(lq);
        for (size_t i = 0; fin && i < c->dim; i++) fin = isfinite(c->g[i]);
        c->ok[s] = (unsigned char)fin;
        if (!fin) { c->st.rejected++; continue; }
        c->f[s] = lp - lq;
        fsum += c->f[s];
        if (c->rb) factor_f(c, t, s);
        for (size_t i = 0; i < c->dim; i++) {
            c->zs1[i] += c->u[i];
            c->zs2[i] += c->u[i] * c->u[i];
            c->bz[i] += c->u[i];
        }
        c->zn += 1;
        c->blq += lq;
        nok++;
        double *h = c->H + s * c->hw;
        if (score_cont) c->fam.score(c->fam.self, par, c->u, h);
        else c->fam.grad_reparam(c->fam.self, par, c->u, c->g, grad);
        if (c->ndisc) cat_score(c, par, ks, h);
    }
    if (nok == 0) return 1;
    for (size_t i = 0; i < c->dim; i++) c->bz[i] /= (double)nok;
    c->blq /= (double)nok;
    if (!score_cont)
        for (size_t j = 0; j < fp; j++) grad[j] /= (double)nok;
    if (c->rb) rb_choose(c);
    score_combine(c, score_cont ? 0 : fp, np, nok, grad);
    if (c->rb) rb_update(c, score_cont ? 0 : fp, np, nok);
    *elbo = fsum / (double)nok;
    return 0;
}

/* ---- Adam, stopping rule, averaging ------------------------------------------- */

/* Adam (Kingma & Ba 2015) ascent; each step is multiplied by the family's scale, which
 * puts the means' steps in units of q's standard deviations: the same lr then fits a
 * posterior of any scale. */
/* Returns -1, leaving the parameters as they were, when the step would make one of them
 * non-finite (the moments are updated either way). */
static int adam_step(ViCore *c)
{
    const double b1 = 0.9, b2 = 0.99, eps = 1e-8;
    c->adam_t++;
    double c1 = 1 - pow(b1, (double)c->adam_t), c2 = 1 - pow(b2, (double)c->adam_t);
    for (size_t j = 0; j < c->np; j++) c->scale[j] = 1;
    if (c->fam.scales) c->fam.scales(c->fam.self, c->par, c->scale);
    for (size_t j = 0; j < c->np; j++) {
        double gj = c->grad[j];
        c->adam_m[j] = b1 * c->adam_m[j] + (1 - b1) * gj;
        c->adam_v[j] = b2 * c->adam_v[j] + (1 - b2) * gj * gj;
    }
    /* A categorical factor's logits share one second moment (their mean): per-logit
     * normalisation would blow a rare category's tiny, noisy gradient up to full steps,
     * a random walk that ends in a collapsed factor whose score gradient vanishes. */
    for (size_t f = 0; f < c->ndisc; f++) {
        size_t o = c->cat_off[f], K = c->cat_k[f];
        double v = 0;
        for (size_t k = 0; k < K; k++) v += c->adam_v[o + k];
        for (size_t k = 0; k < K; k++) c->adam_v[o + k] = v / (double)K;
    }
    /* the steps go into grad, whose values the moments now hold, and are applied only if
     * every new parameter is finite */
    int fin = 1;
    for (size_t j = 0; j < c->np; j++) {
        c->grad[j] = c->lr * c->scale[j] * (c->adam_m[j] / c1) / (sqrt(c->adam_v[j] / c2) + eps);
        fin &= isfinite(c->par[j] + c->grad[j]);
    }
    if (!fin) return -1;
    for (size_t j = 0; j < c->np; j++) c->par[j] += c->grad[j];
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    double x = ((const struct PsisPair *)a)->lw, y = ((const struct PsisPair *)b)->lw;
    return (x > y) - (x < y);
}

/* Pareto-smoothed importance weights of the pool (Vehtari et al. 2024): the largest M =
 * min(S/5, 3 sqrt(S)) raw weights are replaced by the expected order statistics of the
 * generalised Pareto distribution fitted to them, capped at the largest raw weight; the
 * cumulative normalised weights go to pool_cw.  -1 when no draw has a finite weight. */
static int psis_weights(ViCore *c, size_t S)
{
    struct PsisPair *ps = c->pool_sort;
    for (size_t s = 0; s < S; s++) ps[s] = (struct PsisPair){isnan(c->lw[s]) ? -INFINITY : c->lw[s], s};
    qsort(ps, S, sizeof *ps, cmp_pair);
    double mx = ps[S - 1].lw;
    if (!isfinite(mx)) return -1;
    /* from here ps[s].lw holds the weight, in sorted order */
    for (size_t s = 0; s < S; s++) ps[s].lw = exp(ps[s].lw - mx);
    size_t M = (size_t)ceil(fmin(0.2 * (double)S, 3 * sqrt((double)S)));
    if (M >= 5 && S > M + 1) {
        double cut = ps[S - M - 1].lw, sigma = 0;
        double *x = c->pool_cw;             /* scratch until the weights go there below */
        for (size_t j = 0; j < M; j++) x[j] = ps[S - M + j].lw - cut;
        if (x[M - 1] > 0 && x[0] >= 0) {
            double k = vi_gpd_fit(x, M, &sigma);
            if (isfinite(k) && sigma > 0)
                for (size_t j = 0; j < M; j++) {
                    double pj = ((double)j + 0.5) / (double)M;
                    double q = fabs(k) > 1e-12 ? sigma / k * (pow(1 - pj, -k) - 1) : -sigma * log1p(-pj);
                    ps[S - M + j].lw = fmin(cut + q, 1.0);
                }
        }
    }
    /* back to draw order, cumulative and normalised */
    for (size_t s = 0; s < S; s++) c->pool_cw[ps[s].i] = ps[s].lw;
    double tot = 0;
    for (size_t s = 0; s < S; s++) { tot += c->pool_cw[s]; c->pool_cw[s] = tot; }
    for (size_t s = 0; s < S; s++) c->pool_cw[s] /= tot;
    return 0;
}

/* Final ELBO +- MCSE and k-hat from eval_draws fresh draws of the averaged q. */
static int finish(ViCore *c, const BkTarget *t, gsl_rng *r, int converged)
{
    size_t S = (size_t)c->cfg.eval_draws;
    c->st.finished = 1;
    c->st.converged = converged;
    double sum = 0, sum2 = 0, mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double lq = c->fam.sample(c->fam.self, c->fin, r, c->u);
        if (c->ndisc) lq += cat_sample(c, c->fin, r, c->u, NULL, NULL);
        double lp;
        if (t->logp(t->ctx, c->u, &lp, NULL) != 0) return -1;
        if (isnan(lp)) lp = -INFINITY;
        c->lw[s] = lp - lq;
        if (c->pool_u) {
            size_t n = c->dim + c->ndisc;
            memcpy(c->pool_u + s * n, c->u, n * sizeof *c->u);
            c->pool_lp[s] = lp;
            c->pool_lq[s] = lq;
        }
        if (c->lw[s] > mx) mx = c->lw[s];
        if (!isfinite(c->lw[s])) { c->st.eval_nonfinite++; continue; }
        sum += c->lw[s];
        sum2 += c->lw[s] * c->lw[s];
    }
    /* A draw of the final q with a non-finite log density is a zero weight; a few are
     * reported, more than 10% mean the fit broke down (a flow whose layers overflowed)
     * and the run fails rather than print a summary of such draws. */
    if (c->st.eval_nonfinite * 10 > (long)S) return -2;
    double nf = (double)(S - (size_t)c->st.eval_nonfinite);
    double m = sum / nf;
    /* beyond 1e15 a double cannot tell log weights 0.1 apart: no posterior's ELBO is
     * that large, a broken fit's is (-5.9e301 for an overflowed flow on radon) */
    if (!(fabs(m) < 1e15)) { c->st.eval_nonfinite = (long)S; return -2; }
    c->st.elbo = m;
    c->st.elbo_se = nf > 1 ? sqrt(fmax(0, sum2 / nf - m * m) / (nf - 1)) : NAN;
    c->st.eval_draws = (long)S;
    if (c->pool_u) c->pool_ready = psis_weights(c, S) == 0;
    c->st.khat = vi_psis_khat(c->lw, S);
    /* lw is now sorted up to its tail: when the largest weight is within 10% of the
     * median one, q matches p so closely that a tail shape means nothing (ties of a
     * discrete factor would otherwise fake a heavy tail) */
    if (isfinite(mx) && mx - c->lw[S / 2] < log(1.1)) c->st.khat = NAN;
    return 0;
}

/* Window bookkeeping after an accepted step; 1 when the stopping rule is met. */
static int window_update(ViCore *c, double elbo)
{
    size_t W = (size_t)c->cfg.window, nm = c->nmon;
    /* a window holds W slots of `thin` iterations each: the slot's mean ELBO and mean
     * watched quantities */
    for (size_t j = 0; j < c->np; j++) c->win_sum[j] += c->par[j];
    c->slot_elbo += elbo;
    for (size_t k = 0; k < nm; k++) c->slot_mon[k] += c->mon[k];
    if (++c->slot_n < c->thin) return 0;
    c->win_elbo[c->win_n] = c->slot_elbo / (double)c->thin;
    for (size_t k = 0; k < nm; k++) {
        c->win_mon[k * W + (size_t)c->win_n] = c->slot_mon[k] / (double)c->thin;
        c->slot_mon[k] = 0;
    }
    c->slot_elbo = 0;
    c->slot_n = 0;
    if (++c->win_n < (long)W) return 0;
    /* a full window: ELBO mean and its standard error, largest split-R-hat */
    double m = 0, v = 0;
    for (size_t i = 0; i < W; i++) m += c->win_elbo[i];
    m /= (double)W;
    for (size_t i = 0; i < W; i++) v += (c->win_elbo[i] - m) * (c->win_elbo[i] - m);
    double se = sqrt(v / (double)(W - 1) / (double)W);
    /* Each watched quantity must be stationary (split-R-hat) or have moved by less than
     * a tolerance that is immaterial for q: VI_MOVE of q's sd for a location, VI_MOVE in
     * a log-scale, VI_MOVE / 4 in a probability.  Without the second test a fit whose
     * iterates wander slowly in a nearly flat direction at a tiny step size (flows do)
     * would never stop, though q no longer changes. */
    double rh = 1, rh_moved = 1, move = 0;
    int stationary = 1;
    for (size_t k = 0; k < nm; k++) {
        const double *x = c->win_mon + k * W;
        double x_rh = split_rhat(x, W, c->rhat_work);
        double m1 = 0, m2 = 0;
        size_t h = W / 2;
        for (size_t i = 0; i < h; i++) { m1 += x[i]; m2 += x[W - h + i]; }
        double tol;
        size_t nf = c->fam.nmon;
        int coord = k < nf && c->fam.mon_coord ? c->fam.mon_coord[k]
                  : k >= nf && k < nf + c->dim && c->ndraw_mon ? (int)(k - nf) : -1;
        if (k >= nf + c->ndraw_mon) tol = VI_MOVE / 4;
        else if (coord >= 0 && c->zn > 1) {
            double zm = c->zs1[coord] / c->zn;
            tol = VI_MOVE * sqrt(fmax(0, c->zs2[coord] / c->zn - zm * zm));
        } else tol = VI_MOVE;
        double mv = fabs(m2 - m1) / (double)h / tol;
        if (!(mv <= move)) move = mv;
        if (!(x_rh <= rh)) rh = x_rh;                /* NaN counts as not stationary */
        if (!(mv < 1)) {
            if (!(x_rh <= rh_moved)) rh_moved = x_rh;
            if (!(x_rh < c->cfg.rhat_max)) stationary = 0;
        }
    }
    memset(c->zs1, 0, c->dim * sizeof *c->zs1);
    memset(c->zs2, 0, c->dim * sizeof *c->zs2);
    c->zn = 0;
    c->st.move = move;
    c->st.rhat_moved = rh_moved;
    int conv = 0;
    c->hist_m[c->nwin % (VI_LOOKBACK + 1)] = m;
    c->hist_se[c->nwin % (VI_LOOKBACK + 1)] = se;
    if (c->nwin >= VI_LOOKBACK) {
        /* the ELBO against the previous window and against VI_LOOKBACK windows back: a
         * slow climb hides in the noise of one window's change, not of five's.  Each
         * change must be small relative to the ELBO, or within the noise of the two window
         * means (an ELBO near 0, e.g. a normalised target, makes the relative test
         * meaningless); and the watched quantities must have stopped drifting (Dhaka et
         * al. 2020) */
        int elbo_ok = 1;
        for (int back = 1; back <= VI_LOOKBACK; back += VI_LOOKBACK - 1) {
            size_t o = (size_t)(c->nwin - back) % (VI_LOOKBACK + 1);
            double d = fabs(m - c->hist_m[o]), se2 = c->hist_se[o];
            double rel = d / fmax(1.0, fabs(m));
            if (back == 1) c->st.rel_change = rel;
            elbo_ok &= rel < c->cfg.tol || d < 2 * sqrt(se * se + se2 * se2);
        }
        conv = elbo_ok && stationary;
    }
    /* one passing window can be luck: ask for two in a row */
    c->npass = conv ? c->npass + 1 : 0;
    conv = c->npass >= 2;
    c->st.rhat = rh;
    c->nwin++;
    /* Polyak averaging over this window: the final parameters if it is the last one */
    long span = (long)W * c->thin;
    for (size_t j = 0; j < c->np; j++) {
        c->fin[j] = c->win_sum[j] / (double)span;
        c->win_sum[j] = 0;
    }
    c->st.avg_to = c->st.iters;
    c->st.avg_from = c->st.iters - span + 1;
    c->win_n = 0;
    return conv;
}

int vi_core_step(ViCore *c, const BkTarget *t, gsl_rng *r, long iter, char *err, size_t errlen)
{
    if (c->st.finished) return BK_DONE;
    double elbo = NAN;
    int rc = vi_core_gradient(c, t, r, c->par, c->grad, &elbo);
    if (rc < 0) {
        snprintf(err, errlen, "the log density failed at a draw of q (iteration %ld)", iter + 1);
        return BK_FAIL;
    }
    c->st.iters++;
    if (c->st.iters <= c->ntrace) c->trace[c->st.iters - 1] = rc == 0 ? elbo : NAN;
    /* a non-finite gradient (a flow layer's scale overflowing at a finite log density)
     * must not reach Adam's moments, which would keep it forever: reject the step */
    for (size_t j = 0; rc == 0 && j < c->np; j++)
        if (!isfinite(c->grad[j])) rc = 2;
    if (rc > 0) {
        /* no draw of q had a finite log density, or the gradient was not finite: the
         * step is rejected and the step size halved (down to 1/1024 of the configured
         * one) */
        if (c->lr > c->cfg.lr / 1024) { c->lr *= 0.5; c->lr_cuts++; }
        if (++c->bad_steps >= VI_MAX_BAD_STEPS) {
            snprintf(err, errlen, rc == 2 ? "VI failed: the ELBO gradient was not finite for %d "
                     "iterations in a row (iteration %ld)" : "VI failed: log p was not finite at any "
                     "draw of q for %d iterations in a row (iteration %ld)", VI_MAX_BAD_STEPS, iter + 1);
            return BK_FAIL;
        }
    } else {
        c->bad_steps = 0;
        if (adam_step(c) != 0) {
            /* an overflowing step, not taken: halve the step size; give up only when even
             * 1/1024 of it overflows */
            if (c->lr <= c->cfg.lr / 1024) {
                snprintf(err, errlen, "VI diverged: a variational parameter became non-finite at "
                         "iteration %ld even at step size %g (try a smaller --lr)", iter + 1, c->lr);
                return BK_FAIL;
            }
            c->lr *= 0.5;
            c->lr_cuts++;
            return BK_OK;
        }
        if (c->fam.monitor) c->fam.monitor(c->fam.self, c->par, c->mon);
        if (c->ndraw_mon) {
            memcpy(c->mon + c->fam.nmon, c->bz, c->dim * sizeof *c->bz);
            c->mon[c->fam.nmon + c->dim] = c->blq;
        }
        size_t co = c->fam.nmon + c->ndraw_mon;
        for (size_t j = 0; j < c->ndisc; j++)
            cat_probs(c->par + c->cat_off[j], c->cat_k[j], c->mon + co + (c->cat_off[j] - c->fam.nparam));
        if (window_update(c, elbo)) {
            c->stage_at[c->stage] = c->st.iters;
            if (c->stage + 1 >= c->cfg.stages) {
                int fr = finish(c, t, r, 1);
                if (fr == -2) goto fit_fail;
                if (fr) goto target_fail;
                return BK_DONE;
            }
            /* stationary at this step size: the iterates now bounce around the optimum with
             * an O(lr) spread and bias (Adam on skewed gradient noise); a smaller step, then
             * stationarity again and averaging, removes most of both */
            c->stage++;
            c->lr *= c->cfg.lr_decay;
            c->nwin = 0;
            c->npass = 0;
            /* the iterates now move lr_decay times slower: a window spans as much longer */
            c->thin = (long)floor(pow(1 / c->cfg.lr_decay, c->stage) + 0.5);
        }
    }
    if (c->st.iters >= c->cfg.iters) {
        /* the cap: average over the last full window if there is one, never claim
         * convergence */
        if (c->nwin == 0) {
            memcpy(c->fin, c->par, c->np * sizeof *c->fin);
            c->st.avg_from = c->st.avg_to = c->st.iters;
        }
        int fr = finish(c, t, r, 0);
        if (fr == -2) goto fit_fail;
        if (fr) goto target_fail;
        return BK_OK;     /* not BK_DONE: the driver reports the limit, not convergence */
    }
    return BK_OK;
fit_fail:
    snprintf(err, errlen, "VI failed: %ld of %ld draws of the fitted q have a log density that is not "
             "finite or beyond 1e15 in size (the fit broke down after %ld iterations; try a smaller --lr%s)", c->st.eval_nonfinite,
             c->cfg.eval_draws, c->st.iters, c->fam.breakdown_hint ? c->fam.breakdown_hint : "");
    return BK_FAIL;
target_fail:
    snprintf(err, errlen, "the log density failed at a draw of q (final evaluation)");
    return BK_FAIL;
}

void vi_core_draw(ViCore *c, gsl_rng *r, double *u, double *lp, double *cols)
{
    if (c->pool_ready) {
        /* sampling importance resampling from the pool, with replacement */
        size_t S = (size_t)c->st.eval_draws, lo = 0, hi = S - 1, n = c->dim + c->ndisc;
        double v = gsl_rng_uniform(r);
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (c->pool_cw[mid] > v) hi = mid; else lo = mid + 1;
        }
        memcpy(u, c->pool_u + lo * n, n * sizeof *u);
        *lp = c->pool_lp[lo];
        if (cols) { cols[0] = c->pool_lp[lo]; cols[1] = c->pool_lq[lo]; }
        return;
    }
    const double *p = vi_core_final(c);
    double lq = c->fam.sample(c->fam.self, p, r, u);
    if (c->ndisc) lq += cat_sample(c, p, r, u, NULL, NULL);
    double l = -INFINITY;
    if (c->t.logp(c->t.ctx, u, &l, NULL) != 0 || isnan(l)) l = -INFINITY;
    *lp = l;
    if (cols) { cols[0] = l; cols[1] = lq; }
}

void vi_core_report(const ViCore *c, FILE *out, const char *prefix)
{
    const ViStats *s = &c->st;
    if (!s->finished) {
        fprintf(out, "%sVI stopped early after %ld iterations: NOT converged; draws come from the "
                "current q\n", prefix, s->iters);
        return;
    }
    if (s->converged)
        fprintf(out, "%sConverged after %ld iterations: ELBO change between windows %.3g "
                "(tol %g); watched quantities stationary (largest split-R-hat %.3f among those "
                "that moved, < %.2f)\n", prefix, s->iters, s->rel_change, c->cfg.tol,
                s->rhat_moved, c->cfg.rhat_max);
    else
        fprintf(out, "%sNOT converged: stopped at the iteration cap %ld (last ELBO change %.3g, "
                "tol %g; largest split-R-hat %.3f among quantities that moved, needs < %.2f)\n",
                prefix, s->iters, s->rel_change, c->cfg.tol, s->rhat_moved, c->cfg.rhat_max);
    if (c->cfg.stages > 1) {
        fprintf(out, "%sStep size %g", prefix, c->cfg.lr);
        double lr = c->cfg.lr;
        for (int k = 0; k < c->stage; k++) {
            lr *= c->cfg.lr_decay;
            fprintf(out, ", %g after iteration %ld", lr, c->stage_at[k]);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "%sParameters averaged over iterations %ld..%ld\n", prefix, s->avg_from, s->avg_to);
    if (s->rejected)
        fprintf(out, "%s%ld draws of q had a non-finite log density and were skipped\n",
                prefix, s->rejected);
    if (s->eval_nonfinite)
        fprintf(out, "%s%ld of the %ld evaluation draws had a non-finite log density (zero weight, "
                "left out of the ELBO)\n", prefix, s->eval_nonfinite, s->eval_draws);
    /* decimals down to the MCSE's second digit: at |ELBO| ~ 10^4 six significant digits
     * would hide differences of 0.01 nats that the MCSE resolves */
    int dec = isfinite(s->elbo_se) && s->elbo_se > 0 ? (int)ceil(-log10(s->elbo_se)) + 1 : 6;
    dec = dec < 1 ? 1 : dec > 10 ? 10 : dec;
    fprintf(out, "%sELBO = %.*f ± %.2g (MCSE, %ld draws)\n", prefix, dec, s->elbo, s->elbo_se,
            s->eval_draws);
    if (isnan(s->khat))
        fprintf(out, "%sPareto k-hat = NaN (the importance weights vary by less than 10%%: q "
                "matches the posterior)\n", prefix);
    else
        fprintf(out, "%sPareto k-hat = %.2f\n", prefix, s->khat);
    if (s->khat > 0.7)
        fprintf(out, "%sWarning: Pareto k-hat > 0.7: the approximation is not reliable\n", prefix);
    if (c->pool_ready)
        fprintf(out, "%sDraws importance-resampled (PSIS, with replacement) from the %ld evaluation "
                "draws of q%s\n", prefix, s->eval_draws,
                s->khat > 0.7 ? ": with k-hat > 0.7 the weights cannot correct q either" : "");
    if (c->lr_cuts)
        fprintf(out, "%sStep size halved %ld times after rejected steps (non-finite ELBO or "
                "parameters)\n", prefix, c->lr_cuts);
}

void vi_core_trace(const ViCore *c, FILE *out, const char *prefix)
{
    long n = c->st.iters < c->ntrace ? c->st.iters : c->ntrace;
    if (n <= 0) return;
    fprintf(out, "%selbo_window = %ld\n", prefix, c->cfg.window);
    for (long i = 0; i < n; i++) {
        if (i % 10 == 0) fprintf(out, "%s%selbo_trace = ", i ? "\n" : "", prefix);
        fprintf(out, i % 10 ? ",%.6g" : "%.6g", c->trace[i]);
    }
    fprintf(out, "\n");
}
