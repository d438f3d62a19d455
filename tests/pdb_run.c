#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/pdb_run.h"
#include "tests/test_seed.h"
#include "runtime/model.h"
#include "driver/run.h"
#include "driver/summary.h"

typedef struct Ctx { VmModel *m; atomic_long grads; } Ctx;
typedef struct Tgt { VmEval *e; Ctx *c; } Tgt;

static int logp(void *p, const double *u, double *lp, double *g)
{
    Tgt *t = p;
    atomic_fetch_add(&t->c->grads, 1);
    return vm_log_density(t->e, u, 1, lp, g);
}

static int logp_terms(void *p, const double *u, double *lp, double *g, double *terms)
{
    Tgt *t = p;
    atomic_fetch_add(&t->c->grads, 1);
    return vm_log_density_terms(t->e, u, 1, lp, g, terms);
}

static int tnew(void *model, BkTarget *t, char *err, size_t n)
{
    Ctx *c = model;
    Tgt *x = malloc(sizeof *x);
    x->e = vm_eval_new(c->m);
    x->c = c;
    t->dim = vm_model_dim(c->m);
    t->ndisc = vm_model_ndisc(c->m);
    t->disc_lo = c->m->disc_lo;
    t->disc_hi = c->m->disc_hi;
    t->logp = logp;
    t->ctx = x;
    t->model = c->m;
    t->nterms = vm_model_nterms(c->m);
    vm_model_term_deps(c->m, &t->term_start, &t->term_idx);
    t->logp_terms = logp_terms;
    return 0;
}

static void tfree(void *model, BkTarget *t)
{
    Tgt *x = t->ctx;
    vm_eval_free(x->e);
    free(x);
}

static int values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    return vm_write_values(((Tgt *)t->ctx)->e, u, r, out);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* "theta[1,2]" -> "theta.1.2" */
static void stan_to_csv(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        if (*in == '[' || *in == ',') out[k++] = '.';
        else if (*in != ']' && *in != ' ') out[k++] = *in;
    }
    out[k] = 0;
}

int pdb_run(const char *shared, const char *src, const char *name, const PdbSpec *spec, PdbOutcome *o)
{
    memset(o, 0, sizeof *o);
    char mpath[1024], dpath[1024], rpath[1024];
    snprintf(mpath, sizeof mpath, "%s/examples/posteriordb/%s.vmod", src, name);
    snprintf(dpath, sizeof dpath, "%s/%s/data.json", shared, name);
    snprintf(rpath, sizeof rpath, "%s/%s/reference.csv", shared, name);
    char *msg = NULL;
    VmModel *m = vm_model_load_file(mpath, dpath, &msg);
    if (!m) { snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "load failed"); free(msg); return -1; }
    const Backend *b = bk_find(spec->method);
    if (!b) { snprintf(o->msg, sizeof o->msg, "no method %s", spec->method); vm_model_free(m); return -1; }
    Ctx c = {m, 0};
    size_t nv = vm_model_nvalues(m);
    const char **names = malloc(sizeof(char *) * (nv + 1));
    for (size_t i = 0; i < nv; i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {name, vm_model_dim(m), vm_model_ndisc(m), tnew, tfree, nv, names, values, NULL, &c};
    RunConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = b;
    cfg.base = (BkSettings){spec->warmup, spec->draws, spec->iters ? spec->iters : 10000, spec->mc, spec->lr, spec->tol,
                            test_seed(spec->seed), 0, spec->opts, spec->nopts};
    cfg.chains = spec->chains ? spec->chains : 4;
    cfg.threads = spec->threads;
    cfg.quiet = 1;
    cfg.progress = 0;
    cfg.command_line = "pdb_run";
    char *rep = NULL;
    size_t replen = 0;
    cfg.out = open_memstream(&rep, &replen);
    RunResult res;
    memset(&res, 0, sizeof res);
    char err[512] = "";
    double t0 = now();
    int rc = run_inference(&rm, &cfg, &res, err, sizeof err);
    o->seconds = now() - t0;
    fclose(cfg.out);
    if (rep) {
        /* keep the end of the text: the method's report lines follow the table */
        size_t n = strlen(rep), keep = sizeof o->report - 1;
        snprintf(o->report, sizeof o->report, "%s", n > keep ? rep + n - keep : rep);
        free(rep);
    }
    o->gradients = atomic_load(&c.grads);
    if (rc != 0) {
        snprintf(o->msg, sizeof o->msg, "run failed (%d): %s", rc, err);
        run_result_free(&res);
        free(names);
        vm_model_free(m);
        return -1;
    }
    o->divergent = -1;
    for (size_t j = 0; j < res.ncols; j++)
        if (!strcmp(res.col_names[j], "divergent__")) {
            o->divergent = 0;
            for (size_t r = 0; r < (size_t)res.chains * (size_t)res.ndraws; r++)
                o->divergent += res.draws[r * res.ncols + j] != 0;
        }
    FILE *f = fopen(rpath, "r");
    char line[1024];
    o->sd_ratio_lo = INFINITY;
    o->sd_ratio_hi = 0;
    o->min_ess_bulk = INFINITY;
    SumWork *w = sum_work_new(res.chains, (size_t)res.ndraws);
    while (f && fgets(line, sizeof line, f)) {
        char nm[256], csv[256];
        double mean, sd;
        if (sscanf(line, "%255[^,],%lf,%lf", nm, &mean, &sd) != 3) continue;
        stan_to_csv(nm, csv, sizeof csv);
        size_t col = (size_t)-1;
        for (size_t j = 0; j < res.ncols; j++) if (!strcmp(res.col_names[j], csv)) col = j;
        if (col == (size_t)-1) continue;
        SumStats s;
        sum_column(w, res.draws + col, res.ncols, &s);
        o->ncols++;
        double e = fabs(s.mean - mean) / sd;
        if (e > o->max_err_sd || isnan(e)) { o->max_err_sd = e; snprintf(o->worst, sizeof o->worst, "%s", nm); }
        /* the reference is itself a Monte Carlo estimate (about 10000 effective draws):
         * its error adds to ours */
        double z = fabs(s.mean - mean) / sqrt(s.mcse_mean * s.mcse_mean + sd * sd / 1e4);
        if (z > o->max_z || isnan(z)) o->max_z = z;
        double r = s.sd / sd;
        if (r < o->sd_ratio_lo) o->sd_ratio_lo = r;
        if (r > o->sd_ratio_hi) o->sd_ratio_hi = r;
        if (s.rhat > o->max_rhat || isnan(s.rhat)) o->max_rhat = s.rhat;
        if (s.ess_bulk < o->min_ess_bulk) o->min_ess_bulk = s.ess_bulk;
    }
    if (f) fclose(f);
    sum_work_free(w);
    o->ok = o->ncols > 0;
    if (!o->ok) snprintf(o->msg, sizeof o->msg, "no reference column matched");
    run_result_free(&res);
    free(names);
    vm_model_free(m);
    return o->ok ? 0 : -1;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **pdb_names(const char *shared)
{
    DIR *d = opendir(shared);
    if (!d) return NULL;
    char **v = calloc(64, sizeof(char *));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 63)
        if (e->d_name[0] != '.' && strchr(e->d_name, '-')) v[n++] = strdup(e->d_name);
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v;
}

void pdb_free_names(char **names)
{
    for (int i = 0; names && names[i]; i++) free(names[i]);
    free(names);
}
