/* flow: VI with a normalising flow q = (f_K o ... o f_1)# N(mu, diag(s^2)).
 *
 * z_0 = mu + s .* eps, z_k = f_k(z_{k-1}), and
 *   log q(z_K) = log N(eps) - sum log s - sum_k log|det df_k/dz_{k-1}|.
 * The gradient of log p(z_K) - log q(z_K) is the reparameterisation gradient: one
 * reverse pass through the layers (flow_layers.c) from dL/dz_K = grad log p and
 * dL/dlog|det_k| = 1.  No "sticking the landing" here: it needs grad_z log q at z_K,
 * i.e. the inverse of the flow, which planar layers do not have in closed form.
 * Optimiser, stopping rule and reporting are vi_common's.
 *
 * With --init-mode (the default) the flow lives in whitened coordinates: q is the
 * push-forward of the flow through the fixed affine map u = m + A w, A the Cholesky
 * factor of the Laplace covariance at the mode m.  The family is the same up to that
 * map (an affine map of a flow is a flow), but the layers start from a posterior that is
 * already round and unit-scaled: on earnings (sds 9667 and 144, correlation -0.999) the
 * unwhitened flow had to learn the whole covariance by stochastic gradient and missed
 * by 6 sd within its budget.  log q(u) = log q_w(w) - log|det A|, grad_w = A' grad_u. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/results.h"
#include "backends/flow_layers.h"
#include "backends/vi_backends.h"
#include "backends/mode.h"
#include <gsl/gsl_linalg.h>

#define FLOW_MAX_LAYERS 64

enum { PREFIT_NONE = 0, PREFIT_LAPLACE = 1, PREFIT_FULLRANK = 2 };

typedef struct Flow {
    size_t d, nl;
    FlLayer layer[FLOW_MAX_LAYERS];
    size_t off[FLOW_MAX_LAYERS];   /* parameter offsets (after mu, theta) */
    size_t coff[FLOW_MAX_LAYERS];  /* cache offsets */
    double *cache, *zs, *eps, *ga, *gb, *gq, *swork;
    int stl;                       /* path gradient: grad log q at the draw dropped from the chain */
    char spec[128];
    int init_mode;
    double *wm, *wA, wlogdet;      /* whitening u = wm + wA w (wA lower, row-major), or NULL */
    double elbo_white, elbo_unit;  /* the two starts' ELBOs (64 draws each) */
    int white_refused;
    int prefit;                    /* PREFIT_*: what the whitening comes from */
    long iters;                    /* the iteration cap, for the full-rank prefit too */
    double prefit_elbo;
    long prefit_iters;
    int prefit_converged;
    ViFamily fam;
    ViCore *core;
} Flow;

static const BkOption flow_options[] = {
    {"flow", "string", "auto", "layers, applied left to right: planar:K, radial:K, iaf:K, coupling:K, "
     "comma-separated (auto: planar:8 in one dimension, iaf:3 up to 100, planar:16 above)"},
    {"hidden", "int", "0", "hidden units of each IAF layer (0: min(2 * dim + 2, 64))"},
    {"activation", "string", "tanh", "IAF hidden activation: tanh or elu"},
    /* auto: exp up to 20 dimensions, where on the funnels it is the difference between
     * sd(v) 1.7 and 2.5-3.0 (exact 3) and on posteriordb its k-hat was lower or equal
     * everywhere; gate above, where exp broke down on radon's 90 (layers overflowing
     * within a few thousand iterations, whitened or not) and gate fits */
    {"iaf-scale", "string", "auto", "IAF update: exp (exp(s) z + m: can widen as well as narrow), gate "
     "(Kingma et al.'s sigma z + (1 - sigma) m, sigma in (0, 1)), or auto (exp up to 20 dimensions)"},
    /* flows climb slowly to the last hundredths of a nat: longer windows see it */
    {"window", "int", "200", "iterations per window of the stopping rule"},
    {"eval-draws", "int", "1000", "draws for the final ELBO, its MCSE and the Pareto k-hat"},
    {"psis-resample", "bool", "false", "return draws importance-resampled (Pareto-smoothed weights) from "
     "the --eval-draws draws of q, instead of fresh draws of q"},
    {"prefit", "string", "fullrank", "what whitens the flow's coordinates: fullrank (a full-rank Gaussian VI "
     "fit, so the flow starts where it ends), laplace (the Laplace approximation at the mode) or none"},
    {"stl", "bool", "true", "path (sticking-the-landing) gradient: grad log q at the draw from one "
     "transposed solve per layer; zero variance at an exact fit"},
    {"init-mode", "bool", "true", "start the base Gaussian at the nearest mode (worse for a funnel, "
     "whose mode sits in its neck)"},
    {NULL, NULL, NULL, NULL}
};

static const char *const flow_columns[] = {"log_p__", "log_q__", NULL};

/* Push the base draw eps through the flow; z_k land in f->zs; returns log q(z_K). */
static double flow_push(Flow *f, const double *p)
{
    size_t d = f->d;
    const double *mu = p, *th = p + d;
    double lq = -0.5 * (double)d * log(2 * M_PI);
    for (size_t i = 0; i < d; i++) {
        f->zs[i] = mu[i] + exp(th[i]) * f->eps[i];
        lq -= 0.5 * f->eps[i] * f->eps[i] + th[i];
    }
    for (size_t k = 0; k < f->nl; k++)
        lq -= fl_forward(&f->layer[k], p + f->off[k], f->zs + k * d, f->zs + (k + 1) * d,
                         f->cache + f->coff[k]);
    return lq;
}

static double flow_sample(void *self, const double *p, gsl_rng *r, double *z)
{
    Flow *f = self;
    size_t d = f->d;
    for (size_t i = 0; i < d; i++) f->eps[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
    double lq = flow_push(f, p);
    const double *w = f->zs + f->nl * d;
    if (!f->wA) {
        memcpy(z, w, d * sizeof *z);
        return lq;
    }
    for (size_t i = 0; i < d; i++) {
        double a = f->wm[i];
        for (size_t j = 0; j <= i; j++) a += f->wA[i * d + j] * w[j];
        z[i] = a;
    }
    return lq - f->wlogdet;
}

static void flow_grad(void *self, const double *p, const double *z, const double *g, double *gp)
{
    Flow *f = self;
    size_t d = f->d;
    double *gcur = f->ga, *gnext = f->gb;
    (void)z;
    if (f->wA) {
        for (size_t j = 0; j < d; j++) {
            double a = 0;
            for (size_t i = j; i < d; i++) a += f->wA[i * d + j] * g[i];
            gcur[j] = a;
        }
    } else {
        memcpy(gcur, g, d * sizeof *gcur);
    }
    const double *th = p + d;
    if (f->stl) {
        /* grad_w log q at the draw, layer by layer from the base's -eps / s: the ELBO's
         * integrand log p(w) - log q(w) then goes through the draw's path only, and its
         * variance vanishes as q reaches p (the exact-funnel IAF is reachable but the
         * full reparameterisation gradient's noise kept sd(v) 15-20% short) */
        for (size_t i = 0; i < d; i++) f->gq[i] = -f->eps[i] * exp(-th[i]);
        for (size_t k = 0; k < f->nl; k++)
            fl_score(&f->layer[k], p + f->off[k], f->zs + k * d, f->cache + f->coff[k], f->gq, f->swork);
        for (size_t i = 0; i < d; i++) gcur[i] -= f->gq[i];
    }
    double gld = f->stl ? 0.0 : 1.0;
    for (size_t k = f->nl; k-- > 0;) {
        fl_backward(&f->layer[k], p + f->off[k], f->zs + k * d, f->cache + f->coff[k], gcur, gld,
                    gnext, gp + f->off[k]);
        double *tmp = gcur; gcur = gnext; gnext = tmp;
    }
    for (size_t i = 0; i < d; i++) {
        gp[i] += gcur[i];
        gp[d + i] += gcur[i] * exp(th[i]) * f->eps[i] + gld;   /* + 1: the base entropy */
    }
}

static void flow_scales(void *self, const double *p, double *scale)
{
    Flow *f = self;
    for (size_t i = 0; i < f->d; i++) scale[i] = exp(p[f->d + i]);
}

/* "iaf:2,planar:8" -> layers.  0, or -1 with err naming the bad part. */
static int flow_parse(Flow *f, const char *spec, size_t hidden, int elu, int expscale, char *err, size_t errlen)
{
    const char *s = spec;
    size_t niaf = 0, ncpl = 0;
    f->nl = 0;
    if (!*s) goto bad;
    while (*s) {
        const char *start = s;
        size_t n = strcspn(s, ":,");
        FlKind kind;
        if (n == 6 && !strncmp(s, "planar", 6)) kind = FL_PLANAR;
        else if (n == 6 && !strncmp(s, "radial", 6)) kind = FL_RADIAL;
        else if (n == 3 && !strncmp(s, "iaf", 3)) kind = FL_IAF;
        else if (n == 8 && !strncmp(s, "coupling", 8)) kind = FL_COUPLING;
        else {
            snprintf(err, errlen, "flow: unknown layer '%.*s' in --flow=%s (planar, radial, iaf or coupling)",
                     (int)strcspn(start, ","), start, spec);
            return -1;
        }
        s += n;
        if (*s != ':' || !isdigit((unsigned char)s[1])) {
            snprintf(err, errlen, "flow: layer '%.*s' in --flow=%s needs a count, e.g. %s:4",
                     (int)strcspn(start, ","), start, spec, fl_kind_name(kind));
            return -1;
        }
        char *end;
        long k = strtol(s + 1, &end, 10);
        if (k < 1 || (*end && *end != ',')) goto bad;
        if ((size_t)k > FLOW_MAX_LAYERS - f->nl) {
            snprintf(err, errlen, "flow: --flow=%s has more than %d layers", spec, FLOW_MAX_LAYERS);
            return -1;
        }
        for (long i = 0; i < k; i++) {
            int rev = kind == FL_IAF ? niaf++ % 2 == 1 : kind == FL_COUPLING ? ncpl++ % 2 == 1 : 0;
            fl_layer_setup(&f->layer[f->nl], kind, f->d, hidden, rev, elu);
            f->layer[f->nl++].expscale = (kind == FL_IAF || kind == FL_COUPLING) && expscale;
        }
        s = end;
        if (*s == ',') {
            s++;
            if (!*s) goto bad;
        }
    }
    return 0;
bad:
    snprintf(err, errlen, "flow: cannot read --flow=%s (expected layers like planar:8 or "
             "iaf:2,planar:8: planar, radial, iaf or coupling, a colon and a count >= 1, comma-separated)", spec);
    return -1;
}

static void flow_free(void *st)
{
    Flow *f = st;
    if (!f) return;
    vi_core_free(f->core);
    free(f->cache); free(f->zs); free(f->eps); free(f->ga); free(f->gb); free(f->gq); free(f->swork);
    free(f->wm); free(f->wA);
    free(f);
}

static void *flow_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    const Backend *be = &backend_flow;
    const char *spec = bk_opt_str(s, be, "flow"), *act = bk_opt_str(s, be, "activation");
    long hidden = bk_opt_int(s, be, "hidden");
    if (strcmp(act, "tanh") && strcmp(act, "elu")) {
        snprintf(err, errlen, "flow: unknown --activation=%s (tanh or elu)", act);
        return NULL;
    }
    const char *pfs = bk_opt_str(s, be, "prefit");
    if (strcmp(pfs, "fullrank") && strcmp(pfs, "laplace") && strcmp(pfs, "none")) {
        snprintf(err, errlen, "flow: unknown --prefit=%s (fullrank, laplace or none)", pfs);
        return NULL;
    }
    const char *isc = bk_opt_str(s, be, "iaf-scale");
    if (strcmp(isc, "gate") && strcmp(isc, "exp") && strcmp(isc, "auto")) {
        snprintf(err, errlen, "flow: unknown --iaf-scale=%s (auto, exp or gate)", isc);
        return NULL;
    }
    int expscale = !strcmp(isc, "exp") || (!strcmp(isc, "auto") && t->dim <= 20);
    if (hidden < 0) {
        snprintf(err, errlen, "flow: --hidden must be >= 0");
        return NULL;
    }
    if (t->dim == 0) {
        snprintf(err, errlen, "flow: the model has no continuous parameter to put a flow on");
        return NULL;
    }
    Flow *f = calloc(1, sizeof *f);
    if (f) {
        f->init_mode = bk_opt_bool(s, be, "init-mode");
        f->stl = bk_opt_bool(s, be, "stl");
        const char *pf = bk_opt_str(s, be, "prefit");
        f->prefit = !strcmp(pf, "fullrank") ? PREFIT_FULLRANK : !strcmp(pf, "laplace") ? PREFIT_LAPLACE : PREFIT_NONE;
        f->iters = s->iters > 0 ? s->iters : 10000;
    }
    if (!f) { snprintf(err, errlen, "out of memory"); return NULL; }
    f->d = t->dim;
    /* an IAF layer has O(dim^2) parameters (MADE's masks and direct connections): above
     * 100 dimensions the default turns to planar layers, O(dim) each */
    /* and in one dimension an IAF layer is affine (its one coordinate has no earlier
     * inputs): a bimodal target needs the planar layers' bends */
    if (!strcmp(spec, "auto")) spec = t->dim == 1 ? "planar:8" : t->dim <= 100 ? "iaf:3" : "planar:16";
    snprintf(f->spec, sizeof f->spec, "%s", spec);
    if (flow_parse(f, spec, (size_t)hidden, !strcmp(act, "elu"), expscale, err, errlen)) {
        flow_free(f);
        return NULL;
    }
    size_t d = f->d, np = 2 * d, nc = 0, nw = 1;
    for (size_t k = 0; k < f->nl; k++) {
        if (fl_score_work(&f->layer[k]) > nw) nw = fl_score_work(&f->layer[k]);
        f->off[k] = np;
        f->coff[k] = nc;
        np += f->layer[k].np;
        nc += f->layer[k].ncache;
    }
    f->cache = calloc(nc + 1, sizeof *f->cache);
    f->zs = calloc((f->nl + 1) * d, sizeof *f->zs);
    f->eps = calloc(d, sizeof *f->eps);
    f->ga = calloc(d, sizeof *f->ga);
    f->gb = calloc(d, sizeof *f->gb);
    f->gq = calloc(d, sizeof *f->gq);
    f->swork = calloc(nw, sizeof *f->swork);
    if (!f->cache || !f->zs || !f->eps || !f->ga || !f->gb || !f->gq || !f->swork) {
        flow_free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ViConfig cfg = {.est = VI_REPARAM};
    cfg.window = bk_opt_int(s, be, "window");
    cfg.eval_draws = bk_opt_int(s, be, "eval-draws");
    cfg.psis_resample = bk_opt_bool(s, be, "psis-resample");
    if (cfg.window < 10 || cfg.eval_draws < 100) {
        flow_free(f);
        snprintf(err, errlen, "flow: --window must be at least 10 and --eval-draws at least 100");
        return NULL;
    }
    vi_config_defaults(&cfg, s, t->ndisc ? 16 : 8, 0.01);
    f->fam = (ViFamily){
        /* the layers' weights have symmetries and need not settle: the stopping rule
         * watches estimates of q's mean and entropy from the draws instead */
        .nparam = np, .nmon = 0, .watch_draws = 1, .ngroup = 1, .group = NULL, .self = f,
        .sample = flow_sample, .grad_reparam = flow_grad, .score = NULL,
        .monitor = NULL, .scales = flow_scales,
        .breakdown_hint = expscale ? " or --iaf-scale=gate" : NULL,
    };
    f->core = vi_core_new(t, &f->fam, &cfg, err, errlen);
    if (!f->core) { flow_free(f); return NULL; }
    return f;
}

/* The ELBO of the Gaussian start u = c + A eps (A lower, NULL: the identity) from S draws:
 * -inf when any draw leaves the support. */
static double start_elbo(const BkTarget *t, gsl_rng *r, size_t d, const double *c, const double *A,
                         double logdet, double *eps, double *u)
{
    enum { S = 64 };
    double sum = 0;
    for (int k = 0; k < S; k++) {
        double lq = -0.5 * (double)d * log(2 * M_PI) - logdet, lp;
        for (size_t i = 0; i < d; i++) {
            eps[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
            lq -= 0.5 * eps[i] * eps[i];
        }
        for (size_t i = 0; i < d; i++) {
            double a = c[i];
            if (A) for (size_t j = 0; j <= i; j++) a += A[i * d + j] * eps[j];
            else a += eps[i];
            u[i] = a;
        }
        if (t->logp(t->ctx, u, &lp, NULL) != 0 || !isfinite(lp)) return -INFINITY;
        sum += lp - lq;
    }
    return sum / S;
}

/* Whitening by the Laplace approximation at the nearest mode: 1 when set. */
static int prefit_laplace(Flow *f, const BkTarget *t, gsl_rng *r, const double *u0)
{
    size_t d = f->d;
    double *mode = malloc((d + t->ndisc + 1) * sizeof *mode), *cov = malloc((d * d + 1) * sizeof *cov), lp;
    int have_cov = 0, ok = 0;
    if (mode && cov && bk_find_mode(t, r, u0, mode, &lp, cov, &have_cov) == 0 && have_cov) {
        gsl_matrix_view C = gsl_matrix_view_array(cov, d, d);
        if (gsl_linalg_cholesky_decomp1(&C.matrix) == GSL_SUCCESS) {
            memcpy(f->wm, mode, d * sizeof *f->wm);
            f->wlogdet = 0;
            for (size_t i = 0; i < d; i++) {
                for (size_t j = 0; j <= i; j++) f->wA[i * d + j] = gsl_matrix_get(&C.matrix, i, j);
                f->wlogdet += log(f->wA[i * d + i]);
            }
            ok = 1;
        }
    }
    free(mode);
    free(cov);
    return ok;
}

/* Whitening by a full-rank Gaussian VI fit (bbvi --family=fullrank, itself started at
 * the mode), run to its own stopping rule with this chain's stream: the flow then starts
 * exactly where full-rank VI ends and its layers only add to it.  1 when set. */
static int prefit_fullrank(Flow *f, const BkTarget *t, gsl_rng *r, const double *u0)
{
    BkOpt po[] = {{"family", "fullrank"}, {NULL, NULL}};
    BkSettings ps = {.iters = f->iters, .opts = po, .nopts = 1};
    char perr[256];
    void *b = backend_bbvi.create(&ps, t, perr, sizeof perr);
    int ok = 0;
    if (b && backend_bbvi.init(b, t, r, u0, perr, sizeof perr) == 0) {
        int rc = BK_OK;
        for (long it = 0; it < f->iters && rc == BK_OK; it++) rc = backend_bbvi.step(b, t, r, it, 0, perr, sizeof perr);
        ViCore *c = bbvi_core(b);
        const ViStats *st = vi_core_stats(c);
        if (rc != BK_FAIL && st->finished && isfinite(st->elbo)) {
            f->wlogdet = bbvi_gaussian(b, f->wm, f->wA);
            f->prefit_elbo = st->elbo;
            f->prefit_iters = st->iters;
            f->prefit_converged = st->converged;
            ok = 1;
        }
    }
    if (b) (backend_bbvi.free)(b);   /* parenthesised: free() is the allocator seam's macro */
    return ok;
}

static int flow_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    Flow *f = st;
    double *p = vi_core_par(f->core);
    size_t d = f->d;
    memcpy(p, u0, d * sizeof *p);
    memset(p + d, 0, d * sizeof *p);
    const double *centre = u0;
    double *zero = calloc(d + 1, sizeof *zero);
    if (f->init_mode && f->prefit && d > 0 && t->ndisc == 0 && zero &&
        (f->wm = malloc(d * sizeof *f->wm)) && (f->wA = calloc(d * d, sizeof *f->wA)) &&
        (f->prefit == PREFIT_FULLRANK ? prefit_fullrank(f, t, r, u0) : prefit_laplace(f, t, r, u0))) {
        /* whitened: the base starts as N(0, I) around w = 0.  The whitening Gaussian can
         * be a poor place to start: a funnel's mode lies deep in its neck (v = -40 in 10
         * dimensions, where the Laplace scales are e^-20) and a flow whitened there
         * never gets out.  Keep it only when it scores an ELBO at least as high as the
         * unit Gaussian at the initial point (64 draws each). */
        memset(p, 0, 2 * d * sizeof *p);
        centre = zero;
        double *u = malloc(d * sizeof *u);
        if (u) {
            f->elbo_white = start_elbo(t, r, d, f->wm, f->wA, f->wlogdet, f->eps, u);
            f->elbo_unit = start_elbo(t, r, d, u0, NULL, 0, f->eps, u);
            free(u);
        }
        if (!u || f->elbo_unit > f->elbo_white) {
            free(f->wm); free(f->wA);
            f->wm = f->wA = NULL;
            f->white_refused = 1;
            memcpy(p, u0, d * sizeof *p);
            memset(p + d, 0, d * sizeof *p);
            centre = u0;
        }
    } else {
        free(f->wm); free(f->wA);
        f->wm = f->wA = NULL;
    }
    for (size_t k = 0; k < f->nl; k++) fl_layer_init(&f->layer[k], p + f->off[k], centre, r);
    free(zero);
    vi_core_start(f->core);
    return 0;
}

static int flow_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                     size_t errlen)
{
    Flow *f = st;
    int rc = vi_core_step(f->core, t, r, iter, err, errlen);
    const double *p = vi_core_par(f->core);
    for (size_t k = 0; rc != BK_FAIL && k < f->nl; k++)
        if (!fl_invertible(&f->layer[k], p + f->off[k])) {
            /* cannot happen by construction; a check that it did not */
            snprintf(err, errlen, "flow: layer %zu (%s) lost invertibility at iteration %ld",
                     k + 1, fl_kind_name(f->layer[k].kind), iter + 1);
            return BK_FAIL;
        }
    return rc;
}

static void flow_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    vi_core_draw(((Flow *)st)->core, r, u, lp, cols);
}

static void flow_report(void *st, FILE *out, const char *prefix)
{
    Flow *f = st;
    fprintf(out, "%sflow: %s (%zu layers, %zu parameters) on a diagonal Gaussian base%s\n", prefix,
            f->spec, f->nl, f->fam.nparam, !f->wA ? "" : f->prefit == PREFIT_FULLRANK ? ", whitened by a full-rank VI fit"
            : ", whitened by the Laplace approximation at the mode");
    if (f->white_refused)
        fprintf(out, "%sstarted from N(u0, I), not the %s: its start ELBO %.4g was lower than %.4g\n", prefix,
                f->prefit == PREFIT_FULLRANK ? "full-rank prefit" : "Laplace approximation at the mode",
                f->elbo_white, f->elbo_unit);
    else if (f->wA && f->prefit == PREFIT_FULLRANK)
        fprintf(out, "%sprefit: full-rank Gaussian VI, %ld iterations (%s), ELBO %.6g\n", prefix, f->prefit_iters,
                f->prefit_converged ? "converged" : "NOT converged", f->prefit_elbo);
    vi_core_report(f->core, out, prefix);
}

static void flow_trace(void *st, FILE *out, const char *prefix)
{
    vi_core_trace(((Flow *)st)->core, out, prefix);
}

ViCore *flow_core(void *st) { return ((Flow *)st)->core; }

size_t flow_layers(void *st, const FlLayer **layers, const double **par, const size_t **off)
{
    Flow *f = st;
    *layers = f->layer;
    *par = vi_core_final(f->core);
    *off = f->off;
    return f->nl;
}

const Backend backend_flow = {
    .name = "flow",
    .sums_discrete = BK_SUM_IF_POSSIBLE,
    .help = "VI with a normalising flow (planar, radial, IAF layers) on a Gaussian base",
    .kind = BK_VI,
    .options = flow_options,
    .columns = flow_columns,
    .create = flow_create,
    .init = flow_init,
    .step = flow_step,
    .draw = flow_draw,
    .report = flow_report,
    .results = flow_results,
    .trace = flow_trace,
    .free = flow_free,
};
