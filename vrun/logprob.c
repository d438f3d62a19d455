/* --method=logprob: log density and gradient at a point, as JSON.
 * --method=diagnose: the gradient against central finite differences, a table like
 * CmdStan's diagnose. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <gsl/gsl_rng.h>
#include "vrun/cli.h"

/* A number as JSON: a non-finite one as the string CmdStan's JSON uses ("NaN",
 * "Inf", "-Inf"), since JSON has no literal for it. */
static void json_num(FILE *out, double x)
{
    if (isnan(x)) fputs("\"NaN\"", out);
    else if (isinf(x)) fputs(x > 0 ? "\"Inf\"" : "\"-Inf\"", out);
    else fprintf(out, "%.17g", x);
}

static double *point(const Cli *c, VmModel *m, VmEval *e, int *rc)
{
    size_t n = vm_model_dim(m) + vm_model_ndisc(m);
    double *u = calloc(n + 1, sizeof(double));
    *rc = 0;
    if (c->at_unc) {
        char *txt = vrun_read_file(c->at_unc, "file", NULL);
        if (!txt) { *rc = 1; return u; }
        json_error_t je;
        json_t *j = txt ? json_loads(txt, JSON_DECODE_ANY, &je) : NULL;
        free(txt);
        if (!j || !json_is_array(j) || json_array_size(j) != n) {
            fprintf(stderr, "%s: error: expected a JSON array of %zu numbers (the unconstrained point)\n", c->at_unc, n);
            json_decref(j);
            *rc = 1;
            return u;
        }
        for (size_t i = 0; i < n && !*rc; i++) {
            json_t *x = json_array_get(j, i);
            if (!json_is_number(x) || !isfinite(json_number_value(x))) {
                fprintf(stderr, "%s: error: element %zu of the unconstrained point is not a finite number\n", c->at_unc, i + 1);
                *rc = 1;
            }
            u[i] = json_number_value(x);
        }
        json_decref(j);
    } else if (c->at) {
        char *txt = vrun_read_file(c->at, "file", NULL);
        if (!txt || vm_unconstrain_json(e, txt, u)) {
            if (txt) fprintf(stderr, "%s: error: %s\n", c->at, vm_eval_message(e));
            *rc = 1;
        }
        free(txt);
    } else {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, (unsigned long)c->seed);
        for (size_t i = 0; i < vm_model_dim(m); i++) u[i] = -2 + 4 * gsl_rng_uniform(r);
        gsl_rng_free(r);
    }
    return u;
}

int vrun_logprob(const Cli *c, VmModel *m, FILE *out)
{
    if (!c->at && !c->at_unc) {
        fprintf(stderr, "vrun: error: --method=logprob needs --at=POINT.json or --at-unconstrained=POINT.json\n");
        return 1;
    }
    VmEval *e = vm_eval_new(m);
    int rc;
    double *u = point(c, m, e, &rc);
    size_t d = vm_model_dim(m);
    double lp, *g = calloc(d + 1, sizeof(double));
    if (!rc && vm_log_density(e, u, c->jacobian, &lp, g)) {
        fprintf(stderr, "vrun: error: %s\n", vm_eval_message(e));
        rc = 2;
    }
    if (!rc) {
        /* lp = -inf is an answer (the point is outside the support: exit 0, with the
         * reason); NaN or +inf, or a non-finite gradient at a finite lp, is a fault of
         * the model at this point: the JSON is still written, and the status is 2 */
        int gbad = 0;
        for (size_t i = 0; i < d && isfinite(lp); i++) gbad |= !isfinite(g[i]);
        if (lp == -INFINITY && vm_eval_message(e)[0]) fprintf(stderr, "vrun: warning: log density is -inf: %s\n", vm_eval_message(e));
        else if (isnan(lp) || lp == INFINITY || gbad) {
            fprintf(stderr, "vrun: error: the %s is not finite at this point%s%s\n", gbad ? "gradient" : "log density",
                    vm_eval_message(e)[0] ? ": " : "", vm_eval_message(e));
            rc = 2;
        }
        if (!isfinite(lp)) for (size_t i = 0; i < d; i++) g[i] = NAN;   /* no gradient where there is no density */
        fprintf(out, "{\n  \"lp\": ");
        json_num(out, lp);
        fprintf(out, ",\n  \"jacobian\": %s,\n  \"unconstrained\": [", c->jacobian ? "true" : "false");
        for (size_t i = 0; i < d; i++) { fputs(i ? ", " : "", out); json_num(out, u[i]); }
        fprintf(out, "],\n  \"gradient\": [");
        for (size_t i = 0; i < d; i++) { fputs(i ? ", " : "", out); json_num(out, g[i]); }
        fprintf(out, "],\n  \"names\": [");
        for (size_t i = 0; i < d; i++) fprintf(out, "%s\"%s\"", i ? ", " : "", vm_model_unc_name(m, i));
        fprintf(out, "]\n}\n");
    }
    free(u);
    free(g);
    vm_eval_free(e);
    return rc;
}

int vrun_diagnose(const Cli *c, VmModel *m, FILE *out)
{
    VmEval *e = vm_eval_new(m);
    int rc;
    double *u = point(c, m, e, &rc);
    size_t d = vm_model_dim(m);
    double lp, *g = calloc(d + 1, sizeof(double));
    if (!rc && (vm_log_density(e, u, c->jacobian, &lp, g) || !isfinite(lp))) {
        fprintf(stderr, "vrun: error: the log density is not finite at this point%s%s\n",
                vm_eval_message(e)[0] ? ": " : "", vm_eval_message(e));
        rc = 2;
    }
    if (!rc) {
        const double h = 1e-6;
        double worst = 0;
        fprintf(out, "log density = %.10g at this point (jacobian %s)\n\n", lp, c->jacobian ? "on" : "off");
        fprintf(out, " %-24s %14s %14s %14s %12s\n", "param", "value", "model", "finite diff", "error");
        for (size_t i = 0; i < d; i++) {
            double keep = u[i], lp1, lp2;
            u[i] = keep + h;
            vm_log_density(e, u, c->jacobian, &lp1, NULL);
            u[i] = keep - h;
            vm_log_density(e, u, c->jacobian, &lp2, NULL);
            u[i] = keep;
            double fd = (lp1 - lp2) / (2 * h), err = g[i] - fd;
            double rel = fabs(err) / fmax(1, fabs(fd));
            if (rel > worst) worst = rel;
            fprintf(out, " %-24s %14.6g %14.6g %14.6g %12.3g\n", vm_model_unc_name(m, i), u[i], g[i], fd, err);
        }
        fprintf(out, "\nlargest relative error: %.3g (%s)\n", worst, worst < 1e-6 ? "ok" : "CHECK the gradient");
    }
    free(u);
    free(g);
    vm_eval_free(e);
    return rc;
}
