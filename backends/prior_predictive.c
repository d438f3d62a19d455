/* --method=prior-predictive: every draw is a fresh, independent draw of the
 * parameters from the prior by ancestral sampling of the model's `~` statements
 * (runtime/simulate.c).  vrun adds the data simulated given those parameters as
 * extra CSV columns (sim_outputs_wrap); lp__ is 0, as in Stan's fixed_param. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends/backend.h"
#include "runtime/simulate.h"

typedef struct Pp {
    Sim *sim;
    size_t n;
    double *u;
} Pp;

static void *pp_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    if (!t->model) { snprintf(err, errlen, "prior-predictive needs a compiled model"); return NULL; }
    char *msg = NULL;
    Sim *sim = sim_new(t->model, &msg);
    if (!sim) {
        snprintf(err, errlen, "%s", msg ? msg : "the model cannot be simulated");
        size_t l = strlen(err);
        while (l && err[l - 1] == '\n') err[--l] = 0;
        free(msg);
        return NULL;
    }
    Pp *p = calloc(1, sizeof *p);
    p->sim = sim;
    p->n = t->dim + t->ndisc;
    p->u = calloc(p->n + 1, sizeof(double));
    return p;
}

static int pp_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    return 0;
}

static int pp_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t errlen)
{
    Pp *p = st;
    if (warmup) return BK_OK;             /* independent draws need no warm-up */
    if (sim_draw(p->sim, r, p->u, NULL)) {
        snprintf(err, errlen, "%s", sim_message(p->sim));
        size_t l = strlen(err);
        while (l && err[l - 1] == '\n') err[--l] = 0;
        return BK_FAIL;
    }
    return BK_OK;
}

static void pp_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Pp *p = st;
    memcpy(u, p->u, sizeof(double) * p->n);
    *lp = 0;
}

static void pp_free(void *st)
{
    Pp *p = st;
    if (!p) return;
    sim_free(p->sim);
    free(p->u);
    free(p);
}

static const BkOption pp_options[] = {{NULL, NULL, NULL, NULL}};
static const char *const pp_columns[] = {NULL};

const Backend backend_prior_predictive = {
    .name = "prior-predictive",
    .help = "independent draws of the parameters and the data from the prior predictive",
    .kind = BK_SAMPLER,
    .options = pp_options,
    .columns = pp_columns,
    .create = pp_create,
    .init = pp_init,
    .step = pp_step,
    .draw = pp_draw,
    .report = NULL,
    .free = pp_free,
};
