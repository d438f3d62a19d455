/* libFuzzer target over the runtime: a model and its data, mutated together, go
 * through check and load, a few log densities and gradients, the output values with
 * their `_rng`s, a short prior-predictive run and a short NUTS run.  Any crash, leak,
 * sanitizer report or hang fails; errors (a model that does not check, data of the
 * wrong shape, no finite initial point) are expected results.
 *
 * Input: the model text, then optionally a line "---" and the JSON data.  A watchdog
 * thread stops one input's work after VM_FUZZ_MS milliseconds through the library's
 * interrupt flag (the interpreter's loops look at it), so `while (1)` is a result,
 * not a libFuzzer timeout. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "runtime/vmod.h"
#include "runtime/model.h"
#include "driver/run.h"
#include "driver/sim_outputs.h"
#include "runtime/interrupt.h"
#include "backends/backend.h"

#define VM_FUZZ_MS 700

static atomic_long fuzz_deadline;   /* ms since the epoch; 0: no input running */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        long d = atomic_load(&fuzz_deadline);
        if (d && now_ms() > d) vm_interrupt_set(2);
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    gsl_set_error_handler_off();
    pthread_t t;
    pthread_create(&t, NULL, watchdog, NULL);
    pthread_detach(t);
    return 0;
}

/* The RunModel over a VmModel, as vrun/session.c makes it. */
static int f_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density((VmEval *)ctx, u, 1, lp, grad);
}

static int f_target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    VmModel *m = model;
    VmEval *e = vm_eval_new(m);
    if (!e) { snprintf(err, errlen, "out of memory"); return 1; }
    memset(t, 0, sizeof *t);
    t->dim = vm_model_dim(m);
    t->ndisc = vm_model_ndisc(m);
    t->disc_lo = m->disc_lo;
    t->disc_hi = m->disc_hi;
    t->logp = f_logp;
    t->ctx = e;
    t->model = m;
    t->nterms = vm_model_nterms(m);
    vm_model_term_deps(m, &t->term_start, &t->term_idx);
    return 0;
}

static void f_target_free(void *model, BkTarget *t) { (void)model; vm_eval_free((VmEval *)t->ctx); }

static int f_values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    (void)model;
    return vm_write_values((VmEval *)t->ctx, u, r, out) ? RUN_VALUES_PARTIAL : 0;
}

static char *f_why(void *model, BkTarget *t) { (void)model; return vm_eval_explain((VmEval *)t->ctx); }

static void run_method(VmModel *m, const char *method, unsigned long seed)
{
    const Backend *b = bk_find(method);
    if (!b) __builtin_trap();
    size_t nv = vm_model_nvalues(m);
    const char **names = malloc(sizeof(char *) * (nv + 1));
    for (size_t i = 0; i < nv; i++) names[i] = vm_model_value_name(m, i);
    RunModel rm = {"fuzz.vmod", vm_model_dim(m), vm_model_ndisc(m), f_target_new, f_target_free,
                   nv, names, f_values, NULL, m, f_why};
    SimOutputs *so = NULL;
    char *msg = NULL;
    if (!strcmp(method, "prior-predictive") && !(so = sim_outputs_wrap(&rm, m, &msg))) {
        free(msg);
        free(names);
        return;
    }
    static BkOpt opts[] = {{"max-depth", "4"}, {NULL, NULL}};
    RunConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = b;
    cfg.base.warmup = 20;
    cfg.base.draws = 20;
    cfg.base.iters = 20;
    cfg.base.mc = 1;
    cfg.base.seed = seed;
    if (!strcmp(method, "nuts")) { cfg.base.opts = opts; cfg.base.nopts = 1; }
    cfg.chains = 1;
    cfg.threads = 1;
    cfg.quiet = 1;
    cfg.progress = 0;
    cfg.out = NULL;
    char err[1024];
    RunResult res;
    run_inference(&rm, &cfg, &res, err, sizeof err);
    run_result_free(&res);
    sim_outputs_free(so);
    free(names);
}

static void densities(VmModel *m, unsigned long seed)
{
    size_t d = vm_model_dim(m), n = d + vm_model_ndisc(m);
    VmEval *e = vm_eval_new(m);
    double *u = calloc(n + 1, sizeof *u), *g = calloc(d + 1, sizeof *g);
    double *out = calloc(vm_model_nvalues(m) + 1, sizeof *out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int k = 0; k < 4 && !vm_interrupt_pending(); k++) {
        for (size_t i = 0; i < d; i++) u[i] = k == 0 ? 0 : 4 * gsl_rng_uniform(r) - 2;
        for (size_t i = d; i < n; i++) u[i] = m->disc_lo && isfinite(m->disc_lo[i - d]) ? m->disc_lo[i - d] : 0;
        double lp;
        vm_log_density(e, u, k & 1, &lp, g);
        vm_log_density(e, u, 1, &lp, NULL);
        char *why = vm_eval_explain(e);
        free(why);
        vm_write_values(e, u, r, out);
        vm_constrain(e, u, out);
    }
    gsl_rng_free(r);
    free(out);
    free(u);
    free(g);
    vm_eval_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 14) return 0;
    char *src = malloc(size + 1);
    memcpy(src, data, size);
    src[size] = 0;
    char *json = NULL;
    size_t mlen = size;
    char *sep = strstr(src, "\n---\n");
    if (sep) {
        mlen = (size_t)(sep - src);
        *sep = 0;
        json = sep + 5;
    } else mlen = strlen(src);
    unsigned long seed = 0;
    for (size_t i = 0; i < size; i++) seed = seed * 31 + data[i];
    vm_interrupt_clear();
    atomic_store(&fuzz_deadline, now_ms() + VM_FUZZ_MS);
    char *msg = NULL;
    VmModel *m = vm_model_load(src, mlen, "fuzz.vmod", json, json ? "fuzz.json" : NULL, &msg);
    free(msg);
    if (m) {
        densities(m, seed);
        if (!vm_interrupt_pending()) run_method(m, "prior-predictive", seed);
        if (!vm_interrupt_pending()) run_method(m, "nuts", seed);
        vm_model_free(m);
    }
    atomic_store(&fuzz_deadline, 0);
    vm_interrupt_clear();
    free(src);
    return 0;
}
