/* Size mismatches `vrun --check` can know: once the data is bound (embedded
 * defaults, or --data), every declared size is known, and a mismatch such as
 * `data vector[3] y; param vector[2] mu; y ~ normal(mu, 1);` shows at the first
 * evaluation whatever the parameters' values.  So the check evaluates the model
 * once at the unconstrained origin (and draws the gens once) and reports a size
 * error with its place; any other failure there (a value outside a support) is a
 * property of that point, not of the model, and is not reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "runtime/model.h"

struct VmEval { Ev ev; };             /* as in density.c */

static char *size_msg(VmEval *e)
{
    if (!e->ev.fail || !e->ev.size_error) return NULL;
    return vm_eval_explain(e);
}

char *vm_model_check_sizes(const VmModel *m)
{
    size_t dim = vm_model_dim(m), nd = vm_model_ndisc(m);
    double *u = calloc(dim + nd + 1, sizeof *u), *g = calloc(dim + 1, sizeof *g);
    size_t nv = vm_model_nvalues(m);
    double *vals = calloc(nv + 1, sizeof *vals);
    VmEval *e = vm_eval_new(m);
    char *msg = NULL;
    if (u && g && vals && e) {
        /* discrete coordinates at their lower bounds: inside the support */
        for (size_t j = 0; j < nd; j++) u[dim + j] = m->disc_lo && isfinite(m->disc_lo[j]) ? m->disc_lo[j] : 0;
        e->ev.quiet = 1;
        double lp;
        vm_log_density(e, u, 1, &lp, dim ? g : NULL);
        msg = size_msg(e);
        if (!msg && !e->ev.fail) {
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            if (r) {
                vm_write_values(e, u, r, vals);
                msg = size_msg(e);
                gsl_rng_free(r);
            }
        }
    }
    vm_eval_free(e);
    free(u);
    free(g);
    free(vals);
    return msg;
}
