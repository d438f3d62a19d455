/* The methods' results as JSON fields (Backend.results, for --summary): what their
 * report() lines say in text, as numbers a script can read.  One file for every
 * method so that the JSON dependency stays out of the samplers' and VI's own files. */
#include <math.h>
#include <jansson.h>
#include "backends/results.h"
#include "backends/vi_backends.h"

static json_t *res_real(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *vi_core_results(const ViCore *c)
{
    const ViStats *s = vi_core_stats(c);
    return json_pack("{s:o, s:o, s:I, s:o, s:o, s:I, s:I, s:I}", "elbo", res_real(s->elbo),
                     "elbo_mcse", res_real(s->elbo_se), "eval_draws", (json_int_t)s->eval_draws,
                     "khat", isnan(s->khat) ? json_null() : res_real(s->khat),
                     "converged", json_boolean(s->finished && s->converged),
                     "iterations", (json_int_t)s->iters, "rejected_draws", (json_int_t)s->rejected,
                     "nonfinite_eval_draws", (json_int_t)s->eval_nonfinite);
}

struct json_t *bbvi_results(void *st) { return vi_core_results(bbvi_core(st)); }
struct json_t *flow_results(void *st) { return vi_core_results(flow_core(st)); }
