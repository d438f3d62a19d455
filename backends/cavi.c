/* Mean-field coordinate-ascent variational inference for conjugate models
 * (docs/cavi.md; the lecture's CAVI: q_j ∝ exp E_{-j}[log p(z, x)]).
 *
 * conj.c analyses the model once (create refuses a model that is not conjugate,
 * naming the statement); a step is one sweep: every block's q in declaration order
 * from the messages of its factors, then the ELBO in closed form.  A restart runs to
 * convergence (relative ELBO change below --tol) from a random start, the best ELBO
 * is kept; draw() samples the fitted q and returns the unconstrained point. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <jansson.h>
#include "backends/cavi.h"

#define CAVI_TOL 1e-10

typedef struct Cavi {
    CjModel cm;
    const BkTarget *t;
    double tol;
    long restarts, restart, sweeps, total;
    double elbo, prev;
    int started, converged;
    double best_elbo;
    long best_sweeps, best_restart;
    int have_best;
    double *snap, *best;       /* every q parameter, flat */
    size_t nsnap;
    double *x;                 /* draw scratch: constrained values */
} Cavi;

static const BkOption cavi_options[] = {
    {"restarts", "int", "1", "random initialisations, each run to convergence; the one with the best ELBO is kept"},
    {NULL, NULL, NULL, NULL}};

/* The q parameters of block b (pointer, count) in snapshot order. */
static size_t block_parts(CjBlock *b, double **p[6], size_t n[6])
{
    size_t d = (size_t)b->n;
    if (b->fam == Q_NORMAL) { p[0] = &b->mean; n[0] = d; p[1] = &b->cov; n[1] = d * d; p[2] = &b->chol; n[2] = d * d; return 3; }
    if (b->fam == Q_CATEG) { p[0] = &b->p1; n[0] = d * (size_t)b->K; return 1; }
    if (b->fam == Q_DIRICHLET) { p[0] = &b->p1; n[0] = d; p[1] = &b->e1; n[1] = d; return 2; }
    if (b->fam == Q_INVWISHART || b->fam == Q_WISHART) {
        p[0] = &b->p1; p[1] = &b->p2; p[2] = &b->e1; p[3] = &b->e2;
        n[0] = n[2] = d;
        n[1] = n[3] = 1;
        return 4;
    }
    p[0] = &b->p1; p[1] = &b->p2; p[2] = &b->e1; p[3] = &b->e2;
    n[0] = n[1] = n[2] = n[3] = d;
    return 4;
}

static void snapshot(Cavi *c, double *dst, int restore)
{
    size_t o = 0;
    for (int i = 0; i < c->cm.nblk; i++) {
        double **p[6];
        size_t n[6], k = block_parts(&c->cm.blk[i], p, n);
        for (size_t j = 0; j < k; j++) {
            if (restore) memcpy(*p[j], dst + o, n[j] * sizeof(double));
            else memcpy(dst + o, *p[j], n[j] * sizeof(double));
            o += n[j];
        }
    }
}

static void *cavi_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    if (!t->model) {
        snprintf(err, errlen, "cavi: needs the compiled model (its statements are analysed), not only a log density");
        return NULL;
    }
    long restarts = bk_opt_int(s, &backend_cavi, "restarts");
    if (restarts < 1) {
        snprintf(err, errlen, "cavi: --restarts=%ld: expected a positive number", restarts);
        return NULL;
    }
    Cavi *c = calloc(1, sizeof *c);
    if (cj_analyse(t->model, &c->cm, err, errlen)) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->tol = s->tol > 0 ? s->tol : CAVI_TOL;
    c->restarts = restarts;
    size_t maxn = 1;
    for (int i = 0; i < c->cm.nblk; i++) {
        double **p[6];
        size_t n[6], k = block_parts(&c->cm.blk[i], p, n);
        for (size_t j = 0; j < k; j++) c->nsnap += n[j];
        if ((size_t)c->cm.blk[i].n > maxn) maxn = (size_t)c->cm.blk[i].n;
    }
    c->snap = calloc(c->nsnap + 1, sizeof(double));
    c->best = calloc(c->nsnap + 1, sizeof(double));
    c->x = calloc(maxn, sizeof(double));
    return c;
}

static int cavi_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    (void)t; (void)r; (void)u0; (void)err; (void)errlen;
    Cavi *c = st;
    c->restart = c->sweeps = c->total = 0;
    c->started = c->have_best = 0;
    return 0;
}

static size_t acc_size(const CjBlock *b)
{
    switch (b->fam) {
    case Q_NORMAL: return (size_t)b->n * b->n + b->n;
    case Q_DIRICHLET: return (size_t)b->n;
    case Q_CATEG: return (size_t)b->n * b->K;
    case Q_INVWISHART: case Q_WISHART: return (size_t)b->n + 1;
    default: return 2 * (size_t)b->n;
    }
}

static double elbo(const CjModel *cm)
{
    double s = 0;
    for (int i = 0; i < cm->nfac; i++) {
        double w = cj_weight(cm, &cm->fac[i].sel);
        if (w > 0) s += w * cj_elogp(cm, &cm->fac[i]);
    }
    for (int b = 0; b < cm->nblk; b++) s += cj_entropy(cm, &cm->blk[b]);
    return s;
}

/* One sweep over the blocks: q_j from E_{-j} log p. */
static int sweep(CjModel *cm, char *err, size_t errlen)
{
    /* discrete blocks first: from a random start of the others, a first assignment
     * (then, as any order would, every block in turn) */
    for (int k = 0; k < 2 * cm->nblk; k++) {
        int b = k % cm->nblk;
        CjBlock *B = &cm->blk[b];
        if ((k < cm->nblk) != (B->fam == Q_CATEG)) continue;
        memset(B->acc, 0, acc_size(B) * sizeof(double));
        for (const int *f = cm->bfac[b]; *f >= 0; f++) cj_message(cm, &cm->fac[*f], b, cj_weight(cm, &cm->fac[*f].sel));
        for (const int *f = cm->bsel[b]; *f >= 0; f++) {
            const CjFactor *F = &cm->fac[*f];
            B->acc[(long)F->sel.elt * B->K + F->sel.val] += cj_elogp(cm, F);
        }
        if (cj_finish(cm, B, err, errlen)) return -1;
    }
    return 0;
}

static int cavi_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t errlen)
{
    (void)t; (void)iter; (void)warmup;
    Cavi *c = st;
    if (!c->started) {
        for (int b = 0; b < c->cm.nblk; b++) cj_start(&c->cm, &c->cm.blk[b], r);
        c->started = 1;
        c->sweeps = 0;
        c->converged = 0;
        c->prev = -INFINITY;
    }
    if (sweep(&c->cm, err, errlen)) return BK_FAIL;
    c->sweeps++;
    c->total++;
    c->prev = c->elbo;
    c->elbo = elbo(&c->cm);
    if (!isfinite(c->elbo)) {
        snprintf(err, errlen, "cavi: the ELBO is not finite after sweep %ld", c->sweeps);
        return BK_FAIL;
    }
    if (c->sweeps < 2 || fabs(c->elbo - c->prev) > c->tol * fabs(c->elbo)) return BK_OK;
    /* this restart converged */
    c->converged = 1;
    if (!c->have_best || c->elbo > c->best_elbo) {
        c->have_best = 1;
        c->best_elbo = c->elbo;
        c->best_sweeps = c->sweeps;
        c->best_restart = c->restart;
        snapshot(c, c->best, 0);
    }
    if (c->restart + 1 >= c->restarts) {
        snapshot(c, c->best, 1);
        c->elbo = c->best_elbo;
        return BK_DONE;
    }
    c->restart++;
    c->started = 0;
    return BK_OK;
}

/* One draw from q, written as the unconstrained point u. */
static void cavi_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    (void)cols;
    Cavi *c = st;
    const VgGraph *g = c->cm.g;
    for (int i = 0; i < c->cm.nblk; i++) {
        CjBlock *b = &c->cm.blk[i];
        const VgParam *pi = vg_param(g, b->param);
        double *x = c->x;
        int n = b->n;
        switch (b->fam) {
        case Q_NORMAL:
            for (int k = 0; k < n; k++) x[k] = gsl_ran_gaussian(r, 1.0);
            for (int k = n - 1; k >= 0; k--) {      /* L' y = z: y ~ N(0, Lambda^-1) */
                double s = x[k];
                for (int j = k + 1; j < n; j++) s -= b->chol[(long)j * n + k] * x[j];
                x[k] = s / b->chol[(long)k * n + k];
            }
            for (int k = 0; k < n; k++) u[pi->first + k] = b->mean[k] + x[k];
            break;
        case Q_GAMMA: case Q_INVGAMMA:
            for (int k = 0; k < n; k++) {
                double g = gsl_ran_gamma(r, b->p1[k], 1.0 / b->p2[k]);
                x[k] = b->fam == Q_GAMMA ? g : 1 / g;
                if (!(x[k] >= DBL_MIN)) x[k] = DBL_MIN;
                if (!isfinite(x[k])) x[k] = DBL_MAX;
            }
            (void)vg_unconstrain(g, b->param, x, u);   /* x is clamped inside the support */
            break;
        case Q_BETA:
            for (int k = 0; k < n; k++) {
                x[k] = gsl_ran_beta(r, b->p1[k], b->p2[k]);
                if (x[k] <= 0) x[k] = DBL_MIN;
                if (x[k] >= 1) x[k] = 1 - DBL_EPSILON / 2;
            }
            (void)vg_unconstrain(g, b->param, x, u);
            break;
        case Q_DIRICHLET:
            for (int rep = 0; rep * b->K < n; rep++) {
                double *v = x + (long)rep * b->K, s = 0;
                gsl_ran_dirichlet(r, (size_t)b->K, b->p1 + (long)rep * b->K, v);
                for (int k = 0; k < b->K; k++) { if (!(v[k] > 1e-300)) v[k] = 1e-300; s += v[k]; }
                for (int k = 0; k < b->K; k++) v[k] /= s;
            }
            (void)vg_unconstrain(g, b->param, x, u);
            break;
        case Q_INVWISHART: case Q_WISHART:
            if (cj_iw_draw(b, r, x) || vg_unconstrain(g, b->param, x, u))
                for (size_t k = 0; k < pi->ncoords; k++) u[pi->first + k] = NAN;
            break;
        case Q_CATEG:
            for (int k = 0; k < n; k++) {
                const double *p = b->p1 + (long)k * b->K;
                double w = gsl_rng_uniform(r), s = 0;
                int v = b->K - 1;
                for (int j = 0; j < b->K; j++) { s += p[j]; if (w < s) { v = j; break; } }
                u[pi->first + k] = b->lo + v;
            }
            break;
        default: break;
        }
    }
    *lp = NAN;
    if (c->t && c->t->logp(c->t->ctx, u, lp, NULL) != 0) *lp = NAN;
}

static void print_vals(FILE *out, const char *name, const double *v, long n)
{
    fprintf(out, " %s=", name);
    if (n != 1) fputc('[', out);
    for (long i = 0; i < n && i < 8; i++) fprintf(out, "%s%.6g", i ? ", " : "", v[i]);
    if (n > 8) fprintf(out, ", ... (%ld)", n);
    if (n != 1) fputc(']', out);
}

static void cavi_report(void *st, FILE *out, const char *prefix)
{
    Cavi *c = st;
    fprintf(out, "%sCAVI: ELBO = %.10g after %ld sweeps (%s)", prefix, c->elbo,
            c->have_best ? c->best_sweeps : c->sweeps, c->converged ? "converged" : "not converged");
    if (c->restarts > 1) fprintf(out, ", best of %ld restarts (restart %ld), %ld sweeps in all", c->restarts,
                                 c->best_restart + 1, c->total);
    fputc('\n', out);
    for (int i = 0; i < c->cm.nblk; i++) {
        const CjBlock *b = &c->cm.blk[i];
        fprintf(out, "%s%s: %s (prior in %d statement%s, conjugate to %d likelihood statement%s); q:", prefix, b->name,
                cj_fam_name[b->fam], b->nprior, b->nprior == 1 ? "" : "s", b->nlik, b->nlik == 1 ? "" : "s");
        switch (b->fam) {
        case Q_NORMAL: {
            print_vals(out, "mean", b->mean, b->n);
            double sd[8];
            for (int k = 0; k < b->n && k < 8; k++) sd[k] = sqrt(b->cov[(long)k * b->n + k]);
            print_vals(out, "sd", sd, b->n);
            break;
        }
        case Q_GAMMA: print_vals(out, "shape", b->p1, b->n); print_vals(out, "rate", b->p2, b->n); break;
        case Q_INVGAMMA: print_vals(out, "shape", b->p1, b->n); print_vals(out, "scale", b->p2, b->n); break;
        case Q_BETA: print_vals(out, "a", b->p1, b->n); print_vals(out, "b", b->p2, b->n); break;
        case Q_DIRICHLET: print_vals(out, "alpha", b->p1, b->n); break;
        case Q_CATEG: print_vals(out, "probs", b->p1, (long)b->n * b->K); break;
        case Q_INVWISHART: print_vals(out, "nu", b->p2, 1); print_vals(out, "Psi", b->p1, b->n); break;
        case Q_WISHART: print_vals(out, "nu", b->p2, 1); print_vals(out, "inverse scale", b->p1, b->n); break;
        default: break;
        }
        fputc('\n', out);
    }
}

/* Element k of block b for the column `name`: the block's name alone for a scalar,
 * NAME.k (1-based) for a one-dimensional parameter; -1 for anything else. */
static long cavi_element(const Cavi *c, const CjBlock *b, const char *name)
{
    size_t len = strlen(b->name);
    int ndim = vg_param(c->cm.g, b->param)->ndims;
    if (strncmp(name, b->name, len) != 0)
        return -1;
    if (ndim == 0)
        return name[len] == 0 ? 0 : -1;
    if (ndim != 1 || name[len] != '.')
        return -1;
    char *end;
    long k = strtol(name + len + 1, &end, 10);
    return *end == 0 && k >= 1 && k <= b->n ? k - 1 : -1;
}

static const double cavi_probs[3] = {0.05, 0.5, 0.95};

/* Mean, sd and quantiles of one element of q, from its family's closed form (GSL's
 * inverse distribution functions for the quantiles). */
static int cavi_exact(void *st, const char *name, double out[5])
{
    Cavi *c = st;
    for (int i = 0; i < c->cm.nblk; i++) {
        const CjBlock *b = &c->cm.blk[i];
        long k = cavi_element(c, b, name);
        if (k < 0)
            continue;
        double a = b->p1 ? b->p1[k] : NAN, r = b->p2 ? b->p2[k] : NAN;
        switch (b->fam) {
        case Q_NORMAL: {
            double sd = sqrt(b->cov[k * b->n + k]);
            out[0] = b->mean[k];
            out[1] = sd;
            for (int j = 0; j < 3; j++)
                out[2 + j] = b->mean[k] + sd * gsl_cdf_ugaussian_Pinv(cavi_probs[j]);
            return 0;
        }
        case Q_GAMMA:                      /* shape a, rate r */
            out[0] = a / r;
            out[1] = sqrt(a) / r;
            for (int j = 0; j < 3; j++)
                out[2 + j] = gsl_cdf_gamma_Pinv(cavi_probs[j], a, 1 / r);
            return 0;
        case Q_INVGAMMA:                   /* shape a, scale r: 1/x ~ gamma(a, rate r) */
            out[0] = a > 1 ? r / (a - 1) : INFINITY;
            out[1] = a > 2 ? r / ((a - 1) * sqrt(a - 2)) : INFINITY;
            for (int j = 0; j < 3; j++)
                out[2 + j] = 1 / gsl_cdf_gamma_Qinv(cavi_probs[j], a, 1 / r);
            return 0;
        case Q_BETA:
        case Q_DIRICHLET: {                /* a Dirichlet's marginal is beta(a_k, sum - a_k) */
            if (b->fam == Q_DIRICHLET) {
                if (b->n != b->K)
                    return -1;
                double s = 0;
                for (int j = 0; j < b->K; j++)
                    s += b->p1[j];
                r = s - a;
            }
            out[0] = a / (a + r);
            out[1] = sqrt(a * r / ((a + r) * (a + r) * (a + r + 1)));
            for (int j = 0; j < 3; j++)
                out[2 + j] = gsl_cdf_beta_Pinv(cavi_probs[j], a, r);
            return 0;
        }
        case Q_CATEG: {                    /* values lo .. lo + K - 1 */
            const double *p = b->p1 + k * b->K;
            double m = 0, m2 = 0;
            for (int j = 0; j < b->K; j++) {
                m += p[j] * (b->lo + j);
                m2 += p[j] * (double)(b->lo + j) * (b->lo + j);
            }
            out[0] = m;
            out[1] = sqrt(fmax(0, m2 - m * m));
            for (int q = 0; q < 3; q++) {  /* the smallest value whose cdf reaches p */
                double cdf = 0;
                out[2 + q] = b->lo + b->K - 1;
                for (int j = 0; j < b->K; j++)
                    if ((cdf += p[j]) >= cavi_probs[q] - 1e-15) {
                        out[2 + q] = b->lo + j;
                        break;
                    }
            }
            return 0;
        }
        default:
            return -1;
        }
    }
    return -1;
}

/* n values: a number for a scalar parameter, else an array (flat, as the block holds them). */
static json_t *cavi_vals(const double *v, long n, int scalar)
{
    if (scalar)
        return isfinite(v[0]) ? json_real(v[0]) : json_null();
    json_t *a = json_array();
    for (long i = 0; i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

/* Each factor's family and parameters, named as in the report ({"family": "beta",
 * "a": 19, "b": 36}); a normal block's covariance is the full matrix, row by row. */
static json_t *cavi_results(void *st)
{
    Cavi *c = st;
    json_t *fac = json_array();
    for (int i = 0; i < c->cm.nblk; i++) {
        const CjBlock *b = &c->cm.blk[i];
        int scalar = vg_param(c->cm.g, b->param)->ndims == 0;
        json_t *o = json_pack("{s:s, s:s}", "name", b->name, "family", cj_fam_name[b->fam]);
        switch (b->fam) {
        case Q_NORMAL:
            json_object_set_new(o, "mean", cavi_vals(b->mean, b->n, scalar));
            if (scalar)
                json_object_set_new(o, "sd", json_real(sqrt(b->cov[0])));
            else {
                json_t *rows = json_array();
                for (int k = 0; k < b->n; k++)
                    json_array_append_new(rows, cavi_vals(b->cov + (long)k * b->n, b->n, 0));
                json_object_set_new(o, "cov", rows);
            }
            break;
        case Q_GAMMA:
            json_object_set_new(o, "shape", cavi_vals(b->p1, b->n, scalar));
            json_object_set_new(o, "rate", cavi_vals(b->p2, b->n, scalar));
            break;
        case Q_INVGAMMA:
            json_object_set_new(o, "shape", cavi_vals(b->p1, b->n, scalar));
            json_object_set_new(o, "scale", cavi_vals(b->p2, b->n, scalar));
            break;
        case Q_BETA:
            json_object_set_new(o, "a", cavi_vals(b->p1, b->n, scalar));
            json_object_set_new(o, "b", cavi_vals(b->p2, b->n, scalar));
            break;
        case Q_DIRICHLET:
            json_object_set_new(o, "alpha", cavi_vals(b->p1, b->n, 0));
            break;
        case Q_CATEG:
            json_object_set_new(o, "probs", cavi_vals(b->p1, (long)b->n * b->K, 0));
            json_object_set_new(o, "lowest_value", json_integer(b->lo));
            break;
        default: break;
        }
        json_array_append_new(fac, o);
    }
    return json_pack("{s:o, s:b, s:I, s:I, s:o}", "elbo", isfinite(c->elbo) ? json_real(c->elbo) : json_null(),
                     "converged", c->converged, "iterations",
                     (json_int_t)(c->have_best ? c->best_sweeps : c->sweeps), "restarts",
                     (json_int_t)c->restarts, "factors", fac);
}

static void cavi_free(void *st)
{
    Cavi *c = st;
    if (!c) return;
    cj_free(&c->cm);
    free(c->snap); free(c->best); free(c->x);
    free(c);
}

double cavi_elbo(const void *st) { return ((const Cavi *)st)->elbo; }
long cavi_sweeps(const void *st) { return ((const Cavi *)st)->sweeps; }
long cavi_restart(const void *st) { return ((const Cavi *)st)->restart; }
const CjModel *cavi_model(const void *st) { return &((const Cavi *)st)->cm; }
const CjBlock *cavi_block(const void *st, const char *name)
{
    const CjModel *cm = cavi_model(st);
    for (int i = 0; i < cm->nblk; i++) if (!strcmp(cm->blk[i].name, name)) return &cm->blk[i];
    return NULL;
}

const Backend backend_cavi = {
    .name = "cavi",
    .help = "mean-field coordinate-ascent VI for conjugate models (closed-form updates, exact ELBO); "
            "refuses any other model",
    .kind = BK_VI,
    .options = cavi_options,
    .columns = NULL,
    .create = cavi_create,
    .init = cavi_init,
    .step = cavi_step,
    .draw = cavi_draw,
    .report = cavi_report,
    .results = cavi_results,
    .exact = cavi_exact,
    .free = cavi_free,
};
