/* The prior predictive's output rows: the model's values at the draw followed by the
 * data simulated given its parameters.  Each chain's target gets its own simulator
 * (a Sim owns an evaluator), so the wrapped RunModel needs no lock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver/sim_outputs.h"
#include "runtime/simulate.h"

struct SimOutputs {
    RunModel inner;
    const VmModel *m;
    size_t ndata;
    const char **names;
};

typedef struct SoCtx {
    void *inner_ctx;
    int (*inner_logp)(void *, const double *, double *, double *);
    int (*inner_terms)(void *, const double *, double *, double *, double *);
    Sim *sim;
} SoCtx;

static int so_logp(void *ctx, const double *u, double *lp, double *grad)
{
    SoCtx *c = ctx;
    return c->inner_logp(c->inner_ctx, u, lp, grad);
}

static int so_logp_terms(void *ctx, const double *u, double *lp, double *grad, double *terms)
{
    SoCtx *c = ctx;
    return c->inner_terms(c->inner_ctx, u, lp, grad, terms);
}

static int so_target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    SimOutputs *so = model;
    if (so->inner.target_new(so->inner.model, t, err, errlen)) return 1;
    char *msg = NULL;
    Sim *sim = sim_new(so->m, &msg);
    if (!sim) {
        snprintf(err, errlen, "%s", msg ? msg : "the model cannot be simulated");
        free(msg);
        so->inner.target_free(so->inner.model, t);
        return 1;
    }
    SoCtx *c = calloc(1, sizeof *c);
    c->inner_ctx = t->ctx;
    c->inner_logp = t->logp;
    c->inner_terms = t->logp_terms;
    c->sim = sim;
    t->ctx = c;
    t->logp = so_logp;
    if (t->logp_terms) t->logp_terms = so_logp_terms;
    return 0;
}

static void unwrap(BkTarget *t, SoCtx *c)
{
    t->ctx = c->inner_ctx;
    t->logp = c->inner_logp;
    t->logp_terms = c->inner_terms;
}

static void so_target_free(void *model, BkTarget *t)
{
    SimOutputs *so = model;
    SoCtx *c = t->ctx;
    unwrap(t, c);
    sim_free(c->sim);
    free(c);
    so->inner.target_free(so->inner.model, t);
}

static int so_values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    SimOutputs *so = model;
    SoCtx *c = t->ctx;
    BkTarget in = *t;
    unwrap(&in, c);
    int rc = so->inner.values(so->inner.model, &in, u, r, out);
    if (rc && rc != RUN_VALUES_PARTIAL) {
        for (size_t i = 0; i < so->inner.ncols; i++) out[i] = NAN;
        rc = RUN_VALUES_PARTIAL;
    }
    double *x = out + so->inner.ncols;
    if (sim_data_given(c->sim, u, r, x)) {
        for (size_t i = 0; i < so->ndata; i++) x[i] = NAN;
        rc = RUN_VALUES_PARTIAL;
    }
    return rc;
}

/* The reason the log density failed: the inner model's, at its own context (the
 * wrapped target's ctx is an SoCtx, not what the inner callback expects). */
static char *so_why(void *model, BkTarget *t)
{
    SimOutputs *so = model;
    if (!so->inner.why) return NULL;
    BkTarget in = *t;
    unwrap(&in, t->ctx);
    return so->inner.why(so->inner.model, &in);
}

/* The reject counts, likewise of the inner model at its own context. */
static char *so_report(void *model, BkTarget *t)
{
    SimOutputs *so = model;
    if (!so->inner.report) return NULL;
    BkTarget in = *t;
    unwrap(&in, t->ctx);
    return so->inner.report(so->inner.model, &in);
}

SimOutputs *sim_outputs_wrap(RunModel *rm, const VmModel *m, char **msg)
{
    *msg = NULL;
    Sim *probe = sim_new(m, msg);
    if (!probe) return NULL;
    SimOutputs *so = calloc(1, sizeof *so);
    so->inner = *rm;
    so->m = m;
    so->ndata = sim_ndata(probe);
    so->names = malloc(sizeof(char *) * (rm->ncols + so->ndata + 1));
    for (size_t i = 0; i < rm->ncols; i++) so->names[i] = rm->col_names[i];
    for (size_t i = 0; i < so->ndata; i++) so->names[rm->ncols + i] = strdup(sim_data_name(probe, i));
    sim_free(probe);
    rm->target_new = so_target_new;
    rm->target_free = so_target_free;
    rm->values = so_values;
    rm->why = so_why;
    rm->report = so->inner.report ? so_report : NULL;
    rm->ncols = so->inner.ncols + so->ndata;
    rm->col_names = so->names;
    rm->model = so;
    return so;
}

void sim_outputs_free(SimOutputs *so)
{
    if (!so) return;
    for (size_t i = 0; i < so->ndata; i++) free((char *)so->names[so->inner.ncols + i]);
    free(so->names);
    free(so);
}
