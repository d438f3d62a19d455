/* bench_recur: the recurrence strategy (runtime/recur.c) on garch11's posterior, which
 * the plan gives a scalar program unless scalar programs are disabled: CPU
 * microseconds per log density + gradient of the same model run three ways in the
 * same process, and the ratios between them (figures only; never fails):
 *   program  as planned (scalar.c's program)
 *   recur    vm_plan_scalar_disabled at load: recur.c's forward mode
 *   interp   the loop's body behind `if (1)`: the interpreter
 * usage: bench_recur [--budget=SECONDS (0.3)] [--calls=N] [program|recur|interp ...]
 * --calls=N runs N gradients of each selected way and no timing, for
 * `valgrind --tool=callgrind --toggle-collect=vm_log_density bench_recur --calls=200 recur`.
 * Paths: $VMOD_SHARED/posteriordb and $VMOD_SRC/examples/posteriordb, defaulting to
 * the source tree this was built from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <cblas.h>
#include "runtime/vmod.h"
#include "runtime/plan.h"
#include "runtime/readfile.h"
#include "bench/timing.h"

#ifndef VM_BENCH_SRC_DIR
#define VM_BENCH_SRC_DIR "."
#endif
#define NPTS 6

static double eval_grad(void *ctx, const double *u, double *g)
{
    double lp;
    vm_log_density(ctx, u, 1, &lp, g);
    return lp;
}

/* src with the first `from` replaced by `to` (the caller frees), or NULL */
static char *replace(const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    if (!p) return NULL;
    size_t n = strlen(src) + strlen(to) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%.*s%s%s", (int)(p - src), src, to, p + strlen(from));
    return r;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    openblas_set_num_threads(1);
    double budget = 0.3;
    long calls = 0;
    if (bn_args(argc, argv, "bench_recur", &budget, &calls)) return 0;
    const char *srcdir = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : VM_BENCH_SRC_DIR;
    char mpath[4096], dpath[4096];
    snprintf(mpath, sizeof mpath, "%s/examples/posteriordb/garch-garch11.vmod", srcdir);
    if (getenv("VMOD_SHARED")) snprintf(dpath, sizeof dpath, "%s/posteriordb/garch-garch11/data.json", getenv("VMOD_SHARED"));
    else snprintf(dpath, sizeof dpath, "%s/../shared/posteriordb/garch-garch11/data.json", srcdir);
    char err[256];
    char *src = vm_read_file(mpath, "model file", VM_MAX_MODEL_BYTES, NULL, err, sizeof err);
    char *data = src ? vm_read_file(dpath, "data file", VM_MAX_DATA_BYTES, NULL, err, sizeof err) : NULL;
    if (!src || !data) { fprintf(stderr, "bench_recur: %s: %s\n", src ? dpath : mpath, err); return 1; }
    char *interp = replace(src, "sigma[t] = ", "if (1) sigma[t] = ");
    if (!interp) { fprintf(stderr, "bench_recur: %s: no `sigma[t] = `\n", mpath); return 1; }

    static const char *way[] = {"program", "recur", "interp"};
    double us[3] = {0, 0, 0};
    printf("garch11 (T = 200), CPU us per gradient\n");
    for (int w = 0; w < 3; w++) {
        if (!bn_selected(way[w], argc, argv)) continue;
        char *msg = NULL;
        const char *s = w == 2 ? interp : src;
        vm_plan_scalar_disabled = w == 1;
        VmModel *m = vm_model_load(s, strlen(s), mpath, data, dpath, &msg);
        vm_plan_scalar_disabled = 0;
        if (!m) { fprintf(stderr, "bench_recur: %s\n", msg ? msg : "?"); return 1; }
        free(msg);
        VmEval *e = vm_eval_new(m);
        size_t dim = vm_model_dim(m);
        double u[NPTS * 4], g[4];
        if (dim != 4) { fprintf(stderr, "bench_recur: dimension %zu, not 4\n", dim); return 1; }
        for (int k = 0; k < NPTS * 4; k++) u[k] = 0.3 * ((k * 7919) % 11 - 5) / 5.0;
        if (calls > 0) {
            volatile double sink = 0;
            for (long k = 0; k < calls; k++) sink += eval_grad(e, u + (k % NPTS) * 4, g);
            (void)sink;
            printf("  %-8s %ld gradients\n", way[w], calls);
        } else {
            BnResult r;
            bn_time(eval_grad, e, u, NPTS, dim, g, budget, &r);
            us[w] = r.us;
            printf("  %-8s %9.3f us  %6.1f bytes  %5.2f allocs per gradient\n", way[w], r.us, r.bytes, r.calls);
        }
        vm_eval_free(e);
        vm_model_free(m);
    }
    if (us[1] > 0 && us[2] > 0) printf("recur / interp  %.3f\n", us[1] / us[2]);
    if (us[1] > 0 && us[0] > 0) printf("recur / program %.3f\n", us[1] / us[0]);
    free(src);
    free(data);
    free(interp);
    return 0;
}
