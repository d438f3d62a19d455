/* The RunModel adapter over a compiled VmModel (moved here from main.c so that the
 * REPL runs methods exactly as the command line does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/session.h"
#include "runtime/sim_outputs.h"
#include "runtime/model.h"
#include "runtime/readfile.h"

typedef struct Adapter { VmModel *m; } Adapter;

static int target_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density((VmEval *)ctx, u, 1, lp, grad);
}

static int target_logp_terms(void *ctx, const double *u, double *lp, double *grad, double *terms)
{
    return vm_log_density_terms((VmEval *)ctx, u, 1, lp, grad, terms);
}

static int target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    Adapter *a = model;
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

static void target_free(void *model, BkTarget *t) { vm_eval_free((VmEval *)t->ctx); }

static int values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    /* a failed let/gen leaves the parameters' values (vm_write_values) */
    return vm_write_values((VmEval *)t->ctx, u, r, out) ? RUN_VALUES_PARTIAL : 0;
}

int session_method(const Cli *c, const Backend **b, char *err, size_t errlen)
{
    *b = NULL;
    if (!strcmp(c->method, "logprob") || !strcmp(c->method, "diagnose")) {
        if (c->nopts) {
            snprintf(err, errlen, "unknown option --%s for --method=%s", c->opts[0].key, c->method);
            return 1;
        }
        return 0;
    }
    *b = bk_find(c->method);
    if (!*b) {
        snprintf(err, errlen, "unknown method '%s' (try --help for the list)", c->method);
        return 1;
    }
    return bk_check_options(*b, c->opts, c->nopts, err, errlen) ? 1 : 0;
}

/* --init: constrained values by name, to the unconstrained start. */
static double *session_init(const Cli *c, VmModel *m, char *err, size_t errlen)
{
    char why[256];
    char *txt = vm_read_file(c->init, "file", VM_MAX_MODEL_BYTES, NULL, why, sizeof why);
    double *init = calloc(vm_model_dim(m) + vm_model_ndisc(m) + 1, sizeof(double));
    VmEval *e = vm_eval_new(m);
    if (!txt || !init || !e || vm_unconstrain_json(e, txt, init)) {
        snprintf(err, errlen, "%s: %s", c->init, !txt ? why : e ? vm_eval_message(e) : "out of memory");
        free(init);
        init = NULL;
    }
    free(txt);
    vm_eval_free(e);
    return init;
}

static char *why(void *model, BkTarget *t) { return vm_eval_explain((VmEval *)t->ctx); }

int session_run(const Cli *c, const Backend *b, VmModel *m, const char *name, RunResult *res,
                char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int nchains = c->chains > 0 ? (int)c->chains : (b->kind == BK_SAMPLER ? 4 : 1);
    if (vrun_check_outputs(c, nchains, err, errlen)) return 1;
    double *init = NULL;
    if (c->init && !(init = session_init(c, m, err, errlen))) return 1;
    Adapter ad = {m};
    const char **names = malloc(sizeof(char *) * (vm_model_nvalues(m) + 1));
    for (size_t i = 0; i < vm_model_nvalues(m); i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {name, vm_model_dim(m), vm_model_ndisc(m), target_new, target_free,
                   vm_model_nvalues(m), names, values, init, &ad, why};
    SimOutputs *so = NULL;     /* prior-predictive: the simulated data as extra columns */
    if (!strcmp(b->name, "prior-predictive")) {
        char *msg = NULL;
        if (!(so = sim_outputs_wrap(&rm, m, &msg))) {
            snprintf(err, errlen, "%s", msg ? msg : "the model cannot be simulated");
            free(msg);
            free(init);
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
    cfg.chains = c->chains > 0 ? (int)c->chains : (b->kind == BK_SAMPLER ? 4 : 1);
    cfg.threads = (int)c->threads;
    cfg.output_csv = c->output;
    cfg.summary_json = c->summary;
    cfg.quiet = c->quiet;
    cfg.progress = c->progress;
    cfg.command_line = c->command_line;
    cfg.out = stdout;
    int rc = run_inference(&rm, &cfg, res, err, errlen);
    sim_outputs_free(so);
    free(init);
    free(names);
    return rc;
}
