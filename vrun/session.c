/* The RunModel adapter over a compiled VmModel (moved here from main.c so that the
 * REPL runs methods exactly as the command line does). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/session.h"
#include "driver/sim_outputs.h"
#include "runtime/model.h"
#include "runtime/readfile.h"
#include "runtime/mpi.h"

/* marg: a gradient method on a model with discrete parameters, which are summed
 * out (runtime/marginal.c); each chain's target is then a VmMarg, not a VmEval */
typedef struct Adapter { VmModel *m; int marg; } Adapter;

static VmEval *eval_of(void *model, BkTarget *t)
{
    return ((Adapter *)model)->marg ? vm_marg_eval((VmMarg *)t->ctx) : (VmEval *)t->ctx;
}

static int marg_logp(void *ctx, const double *u, double *lp, double *grad)
{
    int rc = vm_marg_log_density((VmMarg *)ctx, u, lp, grad);
    if (rc) {
        char *why = vm_eval_explain(vm_marg_eval((VmMarg *)ctx));
        if (why) fprintf(stderr, "%s%s", why, why[strlen(why) - 1] == '\n' ? "" : "\n");
        free(why);
    }
    return rc;
}

static int target_logp(void *ctx, const double *u, double *lp, double *grad)
{
    int rc = vm_log_density((VmEval *)ctx, u, 1, lp, grad);
    if (rc) {                         /* fatal_error(): the run stops; say why, with the place */
        char *why = vm_eval_explain((VmEval *)ctx);
        if (why) fprintf(stderr, "%s%s", why, why[strlen(why) - 1] == '\n' ? "" : "\n");
        free(why);
    }
    return rc;
}

static int target_logp_terms(void *ctx, const double *u, double *lp, double *grad, double *terms)
{
    return vm_log_density_terms((VmEval *)ctx, u, 1, lp, grad, terms);
}

static int target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    Adapter *a = model;
    if (a->marg) {
        char *msg = NULL;
        VmMarg *g = vm_marg_new(a->m, &msg);
        if (!g) { snprintf(err, errlen, "%s", msg ? msg : "out of memory"); free(msg); return 1; }
        memset(t, 0, sizeof *t);
        t->dim = vm_model_dim(a->m);
        t->logp = marg_logp;
        t->ctx = g;
        t->model = a->m;
        return 0;
    }
    VmEval *e = vm_eval_new(a->m);
    if (!e) { snprintf(err, errlen, "out of memory"); return 1; }
    t->dim = vm_model_dim(a->m);
    t->ndisc = vm_model_ndisc(a->m);
    t->disc_lo = a->m->disc_lo;
    t->disc_hi = a->m->disc_hi;
    t->logp = target_logp;
    t->ctx = e;
    t->model = a->m;
    t->nterms = vm_model_nterms(a->m);
    vm_model_term_deps(a->m, &t->term_start, &t->term_idx);
    t->logp_terms = target_logp_terms;
    return 0;
}

static void target_free(void *model, BkTarget *t)
{
    if (((Adapter *)model)->marg) vm_marg_free((VmMarg *)t->ctx);
    else vm_eval_free((VmEval *)t->ctx);
}

static int values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    /* marginalised: a failure may come before the discrete draw, so the whole row goes */
    if (((Adapter *)model)->marg) return vm_marg_write_values((VmMarg *)t->ctx, u, r, out) ? 1 : 0;
    /* a failed let/gen leaves the parameters' values (vm_write_values) */
    return vm_write_values((VmEval *)t->ctx, u, r, out) ? RUN_VALUES_PARTIAL : 0;
}

int session_method(const Cli *c, const Backend **b, char *err, size_t errlen)
{
    *b = NULL;
    if (!strcmp(c->method, "logprob") || !strcmp(c->method, "diagnose")) {
        if (c->nopts) {
            cli_check_unknown(c->opts[0].key, NULL, c->method, err, errlen);
            return 1;
        }
        return 0;
    }
    *b = bk_find(c->method);
    if (!*b) {
        snprintf(err, errlen, "unknown method '%s' (try --help for the list)", c->method);
        return 1;
    }
    for (size_t i = 0; i < c->nopts; i++)
        if (cli_check_unknown(c->opts[i].key, *b, c->method, err, errlen)) return 1;
    return bk_check_options(*b, c->opts, c->nopts, err, errlen) ? 1 : 0;
}

/* --init=R as CmdStan reads it: a number is a radius (0: every unconstrained
 * coordinate 0), anything else a file.  Returns 1 and sets *r for a number. */
static int session_init_radius(const char *s, double *r)
{
    char *end;
    double x = strtod(s, &end);
    if (!*s || *end || !(x == x))
        return 0;
    *r = x;
    return 1;
}

/* --init=FILE: constrained values by name (parameters left out are marked in *given
 * and start as without --init), to the unconstrained start.  --init=0: all zeros
 * (discrete parameters at 0 moved into their bounds). */
static double *session_init(const Cli *c, VmModel *m, unsigned char **given, char *err, size_t errlen)
{
    size_t n = vm_model_dim(m) + vm_model_ndisc(m);
    double r;
    if (session_init_radius(c->init, &r)) {
        double *z = calloc(n + 1, sizeof(double));
        for (size_t j = 0; z && j < vm_model_ndisc(m); j++) {
            double lo = m->disc_lo ? m->disc_lo[j] : -INFINITY, hi = m->disc_hi ? m->disc_hi[j] : INFINITY;
            z[vm_model_dim(m) + j] = 0 < lo ? lo : 0 > hi ? hi : 0;
        }
        return z;
    }
    char why[256];
    char *txt = vm_read_file(c->init, "file", VM_MAX_MODEL_BYTES, NULL, why, sizeof why);
    double *init = calloc(n + 1, sizeof(double));
    *given = calloc(n + 1, 1);
    VmEval *e = vm_eval_new(m);
    if (!txt || !init || !*given || !e || vm_unconstrain_json_partial(e, txt, init, *given)) {
        snprintf(err, errlen, "%s: %s", c->init, !txt ? why : e && init && *given ? vm_eval_message(e) : "out of memory");
        free(init);
        init = NULL;
    }
    size_t k = 0;
    while (init && k < n && (*given)[k]) k++;
    if (k == n) { free(*given); *given = NULL; }   /* every parameter given: a fixed start */
    free(txt);
    vm_eval_free(e);
    return init;
}

static int session_chains(const Cli *c, const Backend *b)
{
    return c->chains > 0 ? (int)c->chains : (b && b->kind == BK_SAMPLER ? 4 : 1);
}

static int session_dp(const Cli *c, const Backend *b)
{
    return mp_size() > 1 && (c->data_parallel || !b || session_chains(c, b) < mp_size());
}

int session_split(const Cli *c, const Backend *b, VmModel *m, char *err, size_t errlen)
{
    if (!session_dp(c, b))
        return 0;
    char *msg = NULL;
    int n = vm_model_split(m, mp_rank(), mp_size(), &msg);
    if (n < 0) {
        snprintf(err, errlen, "%s", msg ? msg : "cannot split the model");
        free(msg);
        return 1;
    }
    if (!c->quiet) {
        char *d = vm_model_split_describe(m);
        fprintf(stderr, "data-parallel over %d processes: %d density statement%s split by observation%s\n%s",
                mp_size(), n, n == 1 ? "" : "s", d && *d ? ":" : "", d ? d : "");
        free(d);
    }
    return 0;
}

static char *why(void *model, BkTarget *t) { return vm_eval_explain(eval_of(model, t)); }
static char *report(void *model, BkTarget *t) { return vm_eval_reject_report(eval_of(model, t)); }

int session_run(const Cli *c, const Backend *b, VmModel *m, const char *name, RunResult *res,
                char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int nchains = c->chains > 0 ? (int)c->chains : (b->kind == BK_SAMPLER ? 4 : 1);
    if (vrun_check_outputs(c, nchains, err, errlen)) return 1;
    double *init = NULL, radius = 0;
    unsigned char *given = NULL;
    if (c->init && session_init_radius(c->init, &radius) && radius < 0) {
        snprintf(err, errlen, "--init=%s: a radius must not be negative", c->init);
        return 1;
    }
    if (c->init && radius > 0) init = NULL;    /* --init=R: uniform(-R, R) */
    else if (c->init && !(init = session_init(c, m, &given, err, errlen))) { free(given); return 1; }
    /* gradient methods sum discrete parameters out (Backend.sums_discrete); bbvi and
     * flow where the model allows it, their discrete families where it does not */
    int marg = vm_model_ndisc(m) > 0 && b->sums_discrete;
    if (marg && b->sums_discrete == BK_SUM_IF_POSSIBLE) {
        char *why_not = NULL;
        VmMarg *probe = vm_marg_new(m, &why_not);
        marg = probe != NULL;
        vm_marg_free(probe);
        free(why_not);
    }
    Adapter ad = {m, marg};
    const char **names = malloc(sizeof(char *) * (vm_model_nvalues(m) + 1));
    for (size_t i = 0; i < vm_model_nvalues(m); i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {name, vm_model_dim(m), marg ? 0 : vm_model_ndisc(m), target_new, target_free,
                   vm_model_nvalues(m), names, values, init, &ad, why};
    rm.init_given = given;
    rm.init_radius = radius;
    rm.report = report;
    SimOutputs *so = NULL;     /* prior-predictive: the simulated data as extra columns */
    if (!strcmp(b->name, "prior-predictive")) {
        char *msg = NULL;
        if (!(so = sim_outputs_wrap(&rm, m, &msg))) {
            snprintf(err, errlen, "%s", msg ? msg : "the model cannot be simulated");
            free(msg);
            free(init);
            free(given);
            free(names);
            return 1;
        }
    }
    RunConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = b;
    cfg.base.warmup = c->warmup;
    cfg.base.draws = c->draws;
    cfg.base.iters = c->iters;
    cfg.base.mc = c->mc;
    cfg.base.lr = c->lr;
    cfg.base.tol = c->tol;
    cfg.base.seed = (unsigned long)c->seed;
    cfg.base.opts = c->opts;
    cfg.base.nopts = c->nopts;
    /* --jacobian is vrun's (logprob's) option, and also the optimiser's */
    BkOpt *opts = NULL;
    if (c->jacobian_given && bk_opt_str(&cfg.base, b, "jacobian")) {
        opts = calloc(c->nopts + 2, sizeof *opts);
        if (c->nopts) memcpy(opts, c->opts, c->nopts * sizeof *opts);
        opts[c->nopts] = (BkOpt){"jacobian", c->jacobian ? "true" : "false"};
        cfg.base.opts = opts;
        cfg.base.nopts = c->nopts + 1;
    }
    cfg.chains = session_chains(c, b);
    cfg.threads = (int)c->threads;
    cfg.data_parallel = session_dp(c, b);
    if (cfg.data_parallel)
        cfg.threads = 1;       /* the processes evaluate each chain's density together, in step */
    cfg.output_csv = c->output;
    cfg.summary_json = c->summary;
    cfg.quiet = c->quiet;
    cfg.strict = c->strict;
    cfg.thin = c->thin;
    cfg.save_warmup = c->save_warmup;
    cfg.progress = c->progress;
    cfg.command_line = c->command_line;
    cfg.out = stdout;
    int rc = run_inference(&rm, &cfg, res, err, errlen);
    sim_outputs_free(so);
    free(opts);
    free(init);
    free(given);
    free(names);
    return rc;
}
