/* Flows against full-rank Gaussian VI on the test models of examples/flows/ (funnels
 * in 2 and 10 dimensions, a banana, a bimodal mixture; all normalised, so KL(q || p) =
 * -ELBO), seed by seed: KL, Pareto k-hat from 10000 evaluation draws, the first
 * coordinate's mean and sd (the funnels' v: sd 3; the banana's x1; the mixture), the
 * second's mean (the banana's x2: 1), iterations and wall time.  Prints, never fails.
 *   bench_flow_models [--seeds=N] [--mc=N] [--KEY=VALUE (flow options)] [name]
 * Run from build/ with VMOD_SRC at the project root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "tests/backends/vi_targets.h"

static int model_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density(ctx, u, 1, lp, grad);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void row(const char *name, const char *fam, unsigned long seed, const VtRun *o, double secs)
{
    if (o->rc != BK_DONE && o->rc != BK_OK) {
        printf("%-9s %-8s %4lu  failed: %s\n", name, fam, seed, o->err);
        return;
    }
    printf("%-9s %-8s %4lu %8.4f %7.4f %6.2f %8.3f %7.3f %8.3f %7ld %4s %7.2f\n", name, fam, seed,
           -o->stats.elbo, o->stats.elbo_se, o->stats.khat, o->mean[0], o->sd[0], o->mean[1],
           o->stats.iters, o->stats.converged ? "yes" : "no", secs);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    int seeds = 3;
    long mc = 0;
    const char *filter = NULL;
    BkOpt fo[16];
    size_t nfo = 0;
    fo[nfo++] = (BkOpt){"eval-draws", "10000"};
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strncmp(a, "--seeds=", 8)) seeds = atoi(a + 8);
        else if (!strncmp(a, "--mc=", 5)) mc = atol(a + 5);
        else if (!strncmp(a, "--", 2) && strchr(a, '=') && nfo < 15) {
            char *eq = strchr(a, '=');
            *eq = 0;
            fo[nfo++] = (BkOpt){a + 2, eq + 1};
        } else filter = a;
    }
    fo[nfo] = (BkOpt){NULL, NULL};
    BkOpt fr[] = {{"family", "fullrank"}, {"eval-draws", "10000"}, {NULL, NULL}};
    const char *src = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : "..";
    const char *names[] = {"funnel2", "funnel10", "banana", "bimodal"};
    printf("flow options:");
    for (size_t i = 0; i < nfo; i++) printf(" --%s=%s", fo[i].key, fo[i].value);
    printf("%s\n", mc ? "" : " (default draws per step)");
    if (mc) printf("draws per step (flow): %ld\n", mc);
    printf("%-9s %-8s %4s %8s %7s %6s %8s %7s %8s %7s %4s %7s\n", "model", "family", "seed", "KL",
           "MCSE", "k-hat", "mean[0]", "sd[0]", "mean[1]", "iters", "conv", "time s");
    for (int k = 0; k < 4; k++) {
        if (filter && !strstr(names[k], filter)) continue;
        char path[1024], *msg = NULL;
        snprintf(path, sizeof path, "%s/examples/flows/%s.vmod", src, names[k]);
        VmModel *m = vm_model_load_file(path, NULL, &msg);
        if (!m) { printf("%s: %s\n", path, msg ? msg : "?"); free(msg); continue; }
        VmEval *e = vm_eval_new(m);
        BkTarget t = {.dim = vm_model_dim(m), .logp = model_logp, .ctx = e};
        double u0[VT_MAXD] = {0};
        for (int s = 1; s <= seeds; s++) {
            VtRun o;
            double t0 = now();
            vt_run(&backend_flow, &t, fo, nfo, 40000, mc, 0, (unsigned long)s, 20000, u0, 0, &o);
            row(names[k], "flow", (unsigned long)s, &o, now() - t0);
            t0 = now();
            vt_run(&backend_bbvi, &t, fr, 2, 40000, 0, 0, (unsigned long)s, 20000, u0, 0, &o);
            row(names[k], "fullrank", (unsigned long)s, &o, now() - t0);
            fflush(stdout);
        }
        vm_eval_free(e);
        vm_model_free(m);
    }
    return 0;
}
