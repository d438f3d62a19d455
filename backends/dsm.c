/* --method=dsm (alias npse): amortised posterior sampling with a learned score.
 *
 * init simulates `sims` draws (z, x) from the prior predictive (runtime/simulate.c);
 * each step is one epoch of denoising score matching on them (backends/dsm_net.c);
 * the draws are then made all at once, by annealed Langevin dynamics with the learned
 * score, for the summary of the data given with --data.  --save-net keeps the
 * trained network, --load-net reuses it for new data without simulating or training.
 *
 * The data enter through a summary: the simulated data themselves when there are at
 * most DSM_RAW_MAX values, else the mean and sd of each simulated data variable, or
 * the values of the variables named by --stats (data-only lets the model computes from
 * its data, such as sufficient statistics).  docs/dsm.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backends/backend.h"
#include "backends/dsm.h"
#include "runtime/simulate.h"
#include "runtime/mpi.h"
#include "runtime/vmod.h"

#define DSM_RAW_MAX 20
#define DSM_SIM_RETRIES 100

extern const Backend backend_dsm;

typedef struct DsmBk {
    const Backend *b;
    const BkSettings *s;
    const BkTarget *t;
    Sim *sim;
    Dsm *net;
    const char *stats;         /* --stats, or NULL */
    int mode;                  /* 0 raw data, 1 mean/sd per variable, 2 --stats */
    int d, nx;
    size_t ndata;
    long nsims, epochs, epoch;
    double lr, loss, t_sim, t_train, t_sample;
    double *Z, *X, *xbuf, *xobs;
    long ndraws, next;
    double *draws;
    int loaded;
    const char *save;
} DsmBk;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The summary of one data set: raw values, per-variable mean and sd, or --stats. */
static void summarise(DsmBk *s, const double *x, int observed, double *out)
{
    if (s->mode == 0) { memcpy(out, x, sizeof(double) * s->ndata); return; }
    if (s->mode == 2) {
        if (observed) sim_stats_observed(s->sim, s->stats, out);
        else sim_stats(s->sim, s->stats, out);
        return;
    }
    size_t o = 0;
    for (int k = 0; k < sim_nvars(s->sim); k++) {
        size_t n = sim_var_size(s->sim, k);
        double mu = 0, v = 0;
        for (size_t i = 0; i < n; i++) mu += x[o + i];
        mu = n ? mu / n : 0;
        for (size_t i = 0; i < n; i++) v += (x[o + i] - mu) * (x[o + i] - mu);
        out[2 * k] = mu;
        out[2 * k + 1] = n > 1 ? sqrt(v / (n - 1)) : 0;
        o += n;
    }
}

static void bk_free(void *st)
{
    DsmBk *s = st;
    if (!s) return;
    sim_free(s->sim);
    dsm_free(s->net);
    free(s->Z); free(s->X); free(s->xbuf); free(s->xobs); free(s->draws);
    free(s);
}

static void *bk_create(const BkSettings *st, const BkTarget *t, char *err, size_t errlen)
{
    const Backend *b = &backend_dsm;
    if (!t->model) { snprintf(err, errlen, "dsm needs a compiled model"); return NULL; }
    if (t->ndisc) { snprintf(err, errlen, "dsm: the score is taken on continuous parameters only (the model has param int)"); return NULL; }
    char *msg = NULL;
    Sim *sim = sim_new(t->model, &msg);
    if (!sim) {
        snprintf(err, errlen, "%s", msg ? msg : "dsm: the model cannot be simulated");
        size_t l = strlen(err);
        while (l && err[l - 1] == '\n') err[--l] = 0;
        free(msg);
        return NULL;
    }
    DsmBk *s = calloc(1, sizeof *s);
    s->b = b;
    s->s = st;
    s->t = t;
    s->sim = sim;
    s->d = (int)t->dim;
    s->ndata = sim_ndata(sim);
    const char *stats = bk_opt_str(st, b, "stats");
    if (stats && *stats) {
        long n = sim_stats_size(sim, stats, err, errlen);
        if (n < 0) { bk_free(s); return NULL; }
        s->stats = stats;
        s->mode = 2;
        s->nx = (int)n;
    } else if (s->ndata <= DSM_RAW_MAX) s->nx = (int)s->ndata;
    else { s->mode = 1; s->nx = 2 * sim_nvars(sim); }
    DsmConfig c = {
        .levels = (int)bk_opt_int(st, b, "levels"), .sigma_min = bk_opt_real(st, b, "sigma-min"),
        .sigma_max = bk_opt_real(st, b, "sigma-max"), .hidden = (int)bk_opt_int(st, b, "hidden"),
        .layers = (int)bk_opt_int(st, b, "layers"), .batch = (int)bk_opt_int(st, b, "batch"),
        .lr = st->lr > 0 ? st->lr : 2e-3, .steps = (int)bk_opt_int(st, b, "steps"),
        .step_ratio = bk_opt_real(st, b, "step-ratio"), .stop = bk_opt_real(st, b, "stop"),
    };
    if (c.batch > 4096) { snprintf(err, errlen, "dsm: --batch is at most 4096"); bk_free(s); return NULL; }
    s->nsims = bk_opt_int(st, b, "sims");
    s->epochs = bk_opt_int(st, b, "epochs");
    if (s->epochs < 1 && !(bk_opt_str(st, b, "load-net") && *bk_opt_str(st, b, "load-net"))) {
        snprintf(err, errlen, "dsm: --epochs must be at least 1 (an untrained network gives meaningless draws)");
        bk_free(s);
        return NULL;
    }
    s->lr = c.lr;
    s->save = bk_opt_str(st, b, "save-net");
    if (s->save && !*s->save) s->save = NULL;
    const char *load = bk_opt_str(st, b, "load-net");
    if (load && *load) {
        s->net = dsm_load(load, &c, err, errlen);
        if (!s->net) { bk_free(s); return NULL; }
        if (s->net->d != s->d || s->net->nx != s->nx) {
            snprintf(err, errlen, "dsm: '%s' was trained for %d parameters and %d summaries, this model has %d and %d",
                     load, s->net->d, s->net->nx, s->d, s->nx);
            bk_free(s);
            return NULL;
        }
        s->loaded = 1;
    } else {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, st->seed ^ 0x5eed);
        s->net = dsm_new(&c, s->d, s->nx, r, err, errlen);
        gsl_rng_free(r);
        if (!s->net) { bk_free(s); return NULL; }
        if (s->nsims < 2) { snprintf(err, errlen, "dsm: --sims must be at least 2"); bk_free(s); return NULL; }
        int parts = vm_model_split_size(t->model);
        if (parts > 1) {       /* data-parallel: simulations and batches split (docs/mpi.md) */
            size_t np = s->net->net->nparams;
            s->net->parts = parts;
            s->net->part = mp_rank();
            s->net->gsum = malloc(sizeof(double) * (np + 1));
            s->net->gtmp = malloc(sizeof(double) * (np + 1) * (size_t)parts);
            if (!s->net->gsum || !s->net->gtmp) { snprintf(err, errlen, "out of memory"); bk_free(s); return NULL; }
        }
        s->Z = malloc(sizeof(double) * (size_t)s->nsims * (size_t)s->d);
        s->X = malloc(sizeof(double) * ((size_t)s->nsims * (size_t)s->nx + 1));
    }
    s->xbuf = calloc(s->ndata + 1, sizeof(double));
    s->xobs = calloc((size_t)s->nx + 1, sizeof(double));
    sim_observed(sim, s->xbuf);
    summarise(s, s->xbuf, 1, s->xobs);
    for (int j = 0; j < s->nx; j++)
        if (!isfinite(s->xobs[j])) {
            snprintf(err, errlen, "dsm: the data summary (value %d) is not finite: give the observed data with --data", j + 1);
            bk_free(s);
            return NULL;
        }
    return s;
}

/* The simulations, made once before training. */
static int bk_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    DsmBk *s = st;
    if (s->loaded) return 0;
    double t0 = now();
    double *u = malloc(sizeof(double) * (size_t)(s->d + 1));
    /* Split over processes, each simulates its share with a stream of its own (every
     * process draws its seed from r, so their r stay together), then all share them. */
    int parts = s->net->parts > 1 ? s->net->parts : 1, bad = 0;
    long lo = s->nsims * s->net->part / parts, hi = s->nsims * (s->net->part + 1) / parts;
    gsl_rng *own = NULL;
    if (parts > 1) {
        unsigned long base = gsl_rng_get(r);
        if (!(own = gsl_rng_alloc(gsl_rng_mt19937))) { snprintf(err, errlen, "out of memory"); bad = 1; }
        else gsl_rng_set(own, base + 1000003UL * (unsigned long)(s->net->part + 1));
    }
    gsl_rng *rs = own ? own : r;
    for (long i = lo; i < hi && !bad; i++) {
        int ok = 0;
        for (int k = 0; k < DSM_SIM_RETRIES && !ok; k++) {
            if (sim_draw(s->sim, rs, u, s->xbuf)) continue;
            summarise(s, s->xbuf, 0, s->X + (size_t)i * s->nx);
            ok = 1;
            for (int j = 0; j < s->d; j++) ok &= isfinite(u[j]) != 0;
            for (int j = 0; j < s->nx; j++) ok &= isfinite(s->X[(size_t)i * s->nx + j]) != 0;
        }
        if (!ok) {
            snprintf(err, errlen, "dsm: %d simulations in a row failed: %s", DSM_SIM_RETRIES, sim_message(s->sim));
            bad = 1;
            break;
        }
        memcpy(s->Z + (size_t)i * s->d, u, sizeof(double) * (size_t)s->d);
    }
    free(u);
    if (own) gsl_rng_free(own);
    if (parts > 1) {
        if (mp_max_int(bad) && !bad) {
            snprintf(err, errlen, "dsm: the simulations failed on another process");
            bad = 1;
        }
        if (!bad) {
            mp_gather_shares(s->Z, s->nsims, (size_t)s->d);
            mp_gather_shares(s->X, s->nsims, (size_t)s->nx);
        }
    }
    if (bad) return -1;
    dsm_standardise(s->net, s->Z, s->X, s->nsims);
    s->t_sim = now() - t0;
    return 0;
}

/* One epoch, the step decayed by a cosine from lr to lr / 20. */
static int bk_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t errlen)
{
    DsmBk *s = st;
    if (s->loaded || s->epoch >= s->epochs) return BK_DONE;
    double t0 = now();
    double f = (double)s->epoch / (double)s->epochs;
    double lr = s->lr * (0.05 + 0.95 * 0.5 * (1 + cos(M_PI * f)));
    s->loss = dsm_epoch(s->net, s->Z, s->X, s->nsims, lr, r);
    s->t_train += now() - t0;
    if (!isfinite(s->loss)) { snprintf(err, errlen, "dsm: the loss diverged (%g) at epoch %ld: lower --lr", s->loss, s->epoch + 1); return BK_FAIL; }
    s->epoch++;
    if (s->epoch < s->epochs) return BK_OK;
    dsm_finish(s->net);
    if (s->save && dsm_save(s->net, s->save, err, errlen)) return BK_FAIL;
    return BK_DONE;
}

static void bk_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    DsmBk *s = st;
    if (!s->draws) {
        double t0 = now();
        s->ndraws = s->s->draws > 0 ? s->s->draws : 1;
        s->draws = malloc(sizeof(double) * (size_t)s->ndraws * (size_t)s->d);
        dsm_sample(s->net, s->xobs, s->ndraws, r, s->draws);
        s->t_sample = now() - t0;
    }
    long k = s->next < s->ndraws ? s->next++ : s->ndraws - 1;
    memcpy(u, s->draws + (size_t)k * s->d, sizeof(double) * (size_t)s->d);
    *lp = NAN;
    s->t->logp(s->t->ctx, u, lp, NULL);
}

static void bk_report(void *st, FILE *out, const char *prefix)
{
    DsmBk *s = st;
    static const char *const modes[] = {"the data values", "mean and sd of each simulated data variable", "--stats"};
    fprintf(out, "%sDSM: summary = %s (%d values)\n", prefix, modes[s->mode], s->nx);
    if (s->loaded) fprintf(out, "%sDSM: network loaded, no training\n", prefix);
    else
        fprintf(out, "%sDSM: %ld simulations in %.2f s; %ld epochs in %.2f s; final loss %.4f (%.4f per coordinate)\n",
                prefix, s->nsims, s->t_sim, s->epoch, s->t_train, s->loss, s->loss / s->d);
    fprintf(out, "%sDSM: %d levels, sigma %.4g .. %.4g (standardised scale)\n", prefix, s->net->c.levels,
            s->net->sigmas[0], s->net->sigmas[s->net->c.levels - 1]);
}

static const BkOption dsm_options[] = {
    {"sims", "int", "20000", "simulations (z, x) from the prior predictive to train on"},
    {"epochs", "int", "40", "passes over the simulations"},
    {"hidden", "int", "64", "width of the hidden layers"},
    {"layers", "int", "2", "number of hidden layers"},
    {"batch", "int", "128", "mini-batch size (training) and chains per batch (sampling)"},
    {"levels", "int", "10", "noise levels L, geometric from sigma-max to sigma-min"},
    {"sigma-min", "real", "0.01", "smallest noise level (standardised scale)"},
    {"sigma-max", "real", "2", "largest noise level (standardised scale)"},
    {"steps", "int", "100", "Langevin steps per level"},
    {"step-ratio", "real", "0.1", "Langevin step / smallest variance of the chains"},
    {"stop", "real", "0.5", "stop annealing once sigma <= stop x chains' sd, then half a Tweedie step; 0: all levels"},
    {"stats", "string", "", "comma-separated data-only lets (or data) to condition on; default: automatic"},
    {"save-net", "string", "", "write the trained network to this file"},
    {"load-net", "string", "", "reuse a trained network: no simulation, no training"},
    {NULL, NULL, NULL, NULL},
};
static const char *const dsm_columns[] = {NULL};

const Backend backend_dsm = {
    .name = "dsm",
    .help = "amortised posterior: denoising score matching on simulations, annealed Langevin",
    .kind = BK_VI,
    .options = dsm_options,
    .columns = dsm_columns,
    .create = bk_create,
    .init = bk_init,
    .step = bk_step,
    .draw = bk_draw,
    .report = bk_report,
    .free = bk_free,
};

/* The name for the same method (neural posterior score estimation). */
const Backend backend_npse = {
    .name = "npse",
    .help = "neural posterior score estimation: the same method as dsm",
    .kind = BK_VI,
    .options = dsm_options,
    .columns = dsm_columns,
    .create = bk_create,
    .init = bk_init,
    .step = bk_step,
    .draw = bk_draw,
    .report = bk_report,
    .free = bk_free,
};
