/* bench_plan_survey: models of shapes real users write that the execution plan's
 * scalar programs took over in round 2 (bench/survey/NAME.vmod with NAME.json: rows of
 * a matrix in a loop, a local vector per observation, a user function with vector
 * arguments or loops in its body, a while loop, a conditional expression), each timed
 * with the plan as it is and with scalar programs off (vm_plan_scalar_disabled: the
 * vectoriser, the recurrences and the interpreter, as before), in the same run: CPU
 * microseconds per log density + gradient, their ratio, and how many loops the
 * interpreter runs one statement at a time in each (vrun --plan's lines).  The two
 * loads must agree on the log density (relative 1e-10): exit 1 otherwise.  Figures,
 * never pass/fail on time.
 *
 * usage: bench_plan_survey [--budget=SECONDS] [--calls=N] [NAME-SUBSTRING ...] */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>

#include "runtime/vmod.h"
#include "runtime/plan.h"
#include "bench/timing.h"

#ifndef VM_BENCH_SRC_DIR
#define VM_BENCH_SRC_DIR "."
#endif

static double bn_vm_eval(void *ctx, const double *u, double *g)
{
    double lp = NAN;
    return vm_log_density(ctx, u, 1, &lp, g) ? NAN : lp;
}

/* loops vrun --plan says the interpreter runs */
static int interpreted(const VmModel *m)
{
    char *d = vm_model_plan_describe(m);
    int n = 0;
    for (const char *p = d; p && (p = strstr(p, "the interpreter, one statement")); p++) n++;
    free(d);
    return n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    double budget = 0.3;
    long calls = 0;
    if (bn_args(argc, argv, "bench_plan_survey", &budget, &calls)) return 0;
    gsl_set_error_handler_off();
    const char *src = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : VM_BENCH_SRC_DIR;
    char dir[4096], path[4200], data[4200];
    snprintf(dir, sizeof dir, "%s/bench/survey", src);
    DIR *dp = opendir(dir);
    if (!dp) { fprintf(stderr, "bench_plan_survey: cannot open %s\n", dir); return 1; }
    char *names[64];
    int nn = 0;
    for (struct dirent *de; (de = readdir(dp)) && nn < 64;) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".vmod")) names[nn++] = strndup(de->d_name, l - 5);
    }
    closedir(dp);
    qsort(names, (size_t)nn, sizeof *names, by_name);
    printf("%-18s %4s %12s %12s %9s %13s\n", "model", "dim", "plan us/gr", "no-prog us/gr", "speed-up", "interp loops");
    int bad = 0;
    for (int i = 0; i < nn; i++) {
        if (!bn_selected(names[i], argc, argv)) continue;
        snprintf(path, sizeof path, "%s/%s.vmod", dir, names[i]);
        snprintf(data, sizeof data, "%s/%s.json", dir, names[i]);
        char *msg = NULL;
        VmModel *m[2];
        for (int k = 0; k < 2; k++) {
            vm_plan_scalar_disabled = k;
            m[k] = vm_model_load_file(path, data, &msg);
            if (!m[k]) { fprintf(stderr, "%s: %s\n", names[i], msg ? msg : "load failed"); return 1; }
        }
        vm_plan_scalar_disabled = 0;
        size_t dim = vm_model_dim(m[0]);
        double *u = calloc(dim + 1, sizeof *u), *g = calloc(dim + 1, sizeof *g), lp[2];
        for (size_t j = 0; j < dim; j++) u[j] = 0.1 * ((int)(j % 7) - 3) / 3.0;
        VmEval *e[2];
        BnResult r[2] = {{0}};
        for (int k = 0; k < 2; k++) {
            e[k] = vm_eval_new(m[k]);
            lp[k] = bn_vm_eval(e[k], u, g);
        }
        if (!isfinite(lp[0]) || fabs(lp[0] - lp[1]) > 1e-10 * fmax(1, fabs(lp[1]))) {
            fprintf(stderr, "%s: log density %.17g with the programs, %.17g without\n", names[i], lp[0], lp[1]);
            bad = 1;
        }
        for (int k = 0; k < 2; k++) {
            if (calls) for (long c = 0; c < calls; c++) bn_vm_eval(e[k], u, g);
            else bn_time(bn_vm_eval, e[k], u, 1, dim, g, budget, &r[k]);
        }
        if (calls) printf("%-18s %4zu %12s %12s %9s %6d %6d\n", names[i], dim, "-", "-", "-", interpreted(m[0]), interpreted(m[1]));
        else
            printf("%-18s %4zu %12.2f %12.2f %8.2fx %6d %6d\n", names[i], dim, r[0].us, r[1].us, r[1].us / r[0].us,
                   interpreted(m[0]), interpreted(m[1]));
        for (int k = 0; k < 2; k++) { vm_eval_free(e[k]); vm_model_free(m[k]); }
        free(u);
        free(g);
        free(names[i]);
    }
    return bad;
}
