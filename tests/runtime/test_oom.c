/* Out of memory at every allocation (Lua's ltests.c idea): for several models, the
 * k-th allocation of loading and of one gradient is made to fail, for every k until
 * the load and the gradient need fewer than k.  Each failure must come back as "out
 * of memory" (a NULL model with that message, or vm_log_density's -1 with it), never a
 * crash; in the sanitizer build LeakSanitizer checks at exit that nothing leaked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "runtime/alloc.h"

typedef struct { const char *name, *src, *data; } Case;

static const Case cases[] = {
    {"scalar", "param real mu;\nmu ~ normal(0, 1);\n", NULL},
    {"data and loop",
     "data int N;\ndata vector[N] y;\nparam real mu;\nparam real<lower=0> sigma;\n"
     "mu ~ normal(0, 10);\nsigma ~ exponential(1);\nfor (n in 1:N) y[n] ~ normal(mu, sigma);\n"
     "gen real yrep = normal_rng(mu, sigma);\n",
     "{\"N\": 4, \"y\": [0.5, 1.5, -0.3, 2.0]}"},
    {"vectors and lets",
     "data int K;\nparam simplex[K] w;\nparam vector<lower=0>[K] s;\nlet vector[K] t = w .* s;\n"
     "s ~ gamma(2, 2);\ntarget += sum(log(t));\n",
     "{\"K\": 3}"},
    {"matrix", "param cov_matrix[2] S;\nS ~ wishart(4, [[1, 0], [0, 1]]);\n", NULL},
};

/* The hook of the load options: counts, and fails the allocation numbered hook_fail. */
static long hook_n, hook_fail;
static void *hook(void *ud, void *p, size_t size)
{
    (void)ud;
    if (size == 0) { free(p); return NULL; }
    if (++hook_n == hook_fail) return NULL;
    return realloc(p, size);
}

/* Through VmLoadOptions: the same sweep for the load alone, with the program's hook. */
static int sweep_hook(void)
{
    static const char src[] = "data int N;\nparam vector[N] b;\nb ~ normal(0, 1);\n";
    VmLoadOptions opt = {hook, NULL};
    int fails = 0;
    long k;
    for (k = 1;; k++) {
        hook_n = 0;
        hook_fail = k;
        char *msg = NULL;
        VmModel *m = vm_model_load_opts(src, sizeof src - 1, "hook.vmod", "{\"N\": 3}", "hook.json", &opt, &msg);
        int hit = hook_n >= k;
        if (!m && (!msg || strcmp(msg, "out of memory\n"))) {
            printf("FAIL hook, k=%ld: '%s'\n", k, msg ? msg : "(no message)");
            fails++;
        }
        vm_model_free(m);
        free(msg);
        if (!hit) break;
    }
    hook_fail = 0;
    printf("hook: %ld allocations of the load failed one at a time\n", k - 1);
    if (k < 10) { printf("FAIL hook: fewer than 10 allocations went through the hook\n"); fails++; }
    vm_set_allocator(NULL, NULL);
    return fails;
}

int main(void)
{
    gsl_set_error_handler_off();
    int fails = sweep_hook();
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const Case *t = &cases[c];
        long k, injected = 0;
        for (k = 1;; k++) {
            vm_alloc_fail_at(k);
            char *msg = NULL;
            VmModel *m = vm_model_load(t->src, strlen(t->src), "oom.vmod", t->data, t->data ? "oom.json" : NULL, &msg);
            int hit = 0;   /* the k-th allocation happened (and failed) */
            if (!m) {
                if (!msg || !strstr(msg, "out of memory")) {
                    printf("FAIL %s, k=%ld: the load failed with '%s'\n", t->name, k, msg ? msg : "(no message)");
                    fails++;
                }
                hit = 1;
            } else {
                VmEval *e = vm_eval_new(m);
                if (!e) hit = 1;
                else {
                    size_t n = vm_model_dim(m) + vm_model_ndisc(m);
                    double *u = calloc(n + 1, sizeof *u), *g = calloc(n + 1, sizeof *g), lp;
                    for (size_t i = 0; i < n; i++) u[i] = 0.1 * (double)(i + 1);
                    int rc = vm_log_density(e, u, 1, &lp, g);
                    if (rc != 0) {
                        if (!strstr(vm_eval_message(e), "out of memory")) {
                            printf("FAIL %s, k=%ld: the gradient failed with '%s'\n", t->name, k, vm_eval_message(e));
                            fails++;
                        }
                        hit = 1;
                        /* the evaluator is whole: the next call works */
                        vm_alloc_fail_at(0);
                        if (vm_log_density(e, u, 1, &lp, g) != 0 || !isfinite(lp)) {
                            printf("FAIL %s, k=%ld: no finite gradient after the failure\n", t->name, k);
                            fails++;
                        }
                    } else if (!isfinite(lp)) {
                        printf("FAIL %s, k=%ld: lp %g\n", t->name, k, lp);
                        fails++;
                    }
                    free(u);
                    free(g);
                    vm_eval_free(e);
                }
                if (!hit && vm_alloc_count() >= k) hit = 1;   /* failed somewhere it was absorbed */
                vm_model_free(m);
            }
            free(msg);
            if (!hit) break;
            injected++;
        }
        vm_alloc_fail_at(0);
        printf("%s: %ld allocations failed one at a time, then none needed\n", t->name, injected);
        if (injected < 10) { printf("FAIL %s: fewer than 10 allocations seen\n", t->name); fails++; }
    }
    printf("%d failures\n", fails);
    return fails ? 1 : 0;
}
