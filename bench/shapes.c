/* bench_shapes: cost of one log density + gradient of the model shapes that issue 18
 * names as slow (bench/shapes/NAME.vmod: dense X * beta regression, HMM forward
 * algorithms, ARMA(1,1), three nested loops; and a zero-inflated poisson, an if in a
 * loop; a hierarchical regression row by row; a finite mixture with a local vector in
 * the loop), on data generated here from a fixed
 * seed, against the same density written by hand in C (shapes_hw.c) and timed in the
 * same run.
 *
 * Before timing, at four points near the data's generating values, vmod's and the
 * hand-written log density and gradient must agree (relative 1e-8), and the
 * hand-written gradient must match central finite differences: otherwise the ratio
 * means nothing, and the exit status is 1.  Timings never fail.
 *
 * usage: bench_shapes [--budget=SECONDS] [--calls=N] [NAME-SUBSTRING ...]
 * --calls=N: no timing, N vmod gradients (bn_vm_eval) and N hand-written ones
 * (bn_hw_eval) per model, for valgrind --tool=callgrind --toggle-collect=... */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <cblas.h>

#include "runtime/vmod.h"
#include "runtime/eval.h"      /* Ev.sc_ops: the scalar programs' operation count (--calls) */
#include "bench/shapes_hw.h"
#include "bench/timing.h"

#ifndef VM_BENCH_SRC_DIR
#define VM_BENCH_SRC_DIR "."
#endif

#define SH_NPTS 4
#define SH_TOL 1e-8
#define SH_FD_TOL 1e-5

static double bn_vm_eval(void *ctx, const double *u, double *g)
{
    double lp = NAN;
    if (vm_log_density(ctx, u, 1, &lp, g) != 0)
        return NAN;
    return lp;
}

typedef struct {
    const ShModel *sm;
    ShData *d;
} ShHw;

static double bn_hw_eval(void *ctx, const double *u, double *g)
{
    ShHw *h = ctx;
    return h->sm->lp_grad(h->d, u, g);
}

static double sh_rel(double a, double b) { return fabs(a - b) / fmax(1.0, fabs(b)); }

/* largest relative difference of vmod from the hand-written value and gradient, and of
 * the hand-written gradient from central differences, over the points */
static void sh_check(VmEval *e, ShHw *h, const double *pts, size_t dim, double *err, double *fderr)
{
    double *g1 = malloc(2 * dim * sizeof *g1), *g2 = g1 + dim;
    double *v = malloc(dim * sizeof *v), *gs = malloc(dim * sizeof *gs);
    *err = *fderr = 0.0;
    for (int k = 0; k < SH_NPTS; k++) {
        const double *u = pts + (size_t)k * dim;
        double a = bn_vm_eval(e, u, g1), b = bn_hw_eval(h, u, g2);
        double r = sh_rel(a, b);
        *err = isnan(r) || r > *err ? r : *err;
        for (size_t i = 0; i < dim; i++) {
            r = sh_rel(g1[i], g2[i]);
            *err = isnan(r) || r > *err ? r : *err;
        }
        memcpy(v, u, dim * sizeof *v);
        for (size_t i = 0; i < dim; i++) {
            double hstep = 1e-6 * fmax(1.0, fabs(u[i]));
            v[i] = u[i] + hstep;
            double up = bn_hw_eval(h, v, gs);
            v[i] = u[i] - hstep;
            double dn = bn_hw_eval(h, v, gs);
            v[i] = u[i];
            r = sh_rel((up - dn) / (2 * hstep), g2[i]);
            *fderr = isnan(r) || r > *fderr ? r : *fderr;
        }
    }
    free(g1);
    free(v);
    free(gs);
}

static int sh_run(const ShModel *sm, const char *src, double budget, long calls)
{
    ShData d = {0};
    char *json = NULL, *path = NULL, *msg = NULL;
    size_t jlen = 0;
    FILE *f = open_memstream(&json, &jlen);
    if (f == NULL || asprintf(&path, "%s/bench/shapes/%s", src, sm->file) < 0)
        return 1;
    sm->make(sm->p1, sm->p2, &d, f);
    fclose(f);
    size_t dim = sm->dim(&d);
    printf("%-30s %4zu", sm->name, dim);
    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = fopen(path, "rb");
    if (mf != NULL) {
        FILE *tf = open_memstream(&text, &tlen);
        char buf[4096];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, mf)) > 0)
            fwrite(buf, 1, k, tf);
        fclose(tf);
        fclose(mf);
    }
    VmModel *m = text ? vm_model_load(text, tlen, path, json, "generated", &msg) : NULL;
    free(text);
    VmEval *e = m ? vm_eval_new(m) : NULL;
    int fail = 0;
    if (e == NULL || vm_model_dim(m) != dim) {
        printf("  cannot run: %.*s\n", msg ? (int)strcspn(msg, "\n") : 40,
               msg ? msg : "wrong dimension or no evaluator");
        fail = 1;
    } else {
        unsigned long long s = 99;
        double *pts = malloc(SH_NPTS * dim * sizeof *pts), *g = malloc(dim * sizeof *g);
        for (int k = 0; k < SH_NPTS; k++)
            for (size_t i = 0; i < dim; i++)
                pts[(size_t)k * dim + i] = d.truth[i] + 0.1 * sh_normal(&s);
        ShHw h = {sm, &d};
        double err, fderr;
        sh_check(e, &h, pts, dim, &err, &fderr);
        fail = !(err <= SH_TOL) || !(fderr <= SH_FD_TOL);
        if (calls > 0) {
            volatile double sink = 0.0;
            for (long k = 0; k < calls; k++)
                sink += bn_vm_eval(e, pts + (size_t)(k % SH_NPTS) * dim, g);
            for (long k = 0; k < calls; k++)
                sink += bn_hw_eval(&h, pts + (size_t)(k % SH_NPTS) * dim, g);
            (void)sink;
            /* for bench/scalar_cost.sh: what the scalar programs executed per gradient */
            printf(" %9.1e %9.1e  scalar-ops/gradient %.1f\n", err, fderr,
                   (double)((Ev *)e)->sc_ops / (double)(calls + SH_NPTS));
        } else {
            BnResult ours, hw;
            bn_time(bn_vm_eval, e, pts, SH_NPTS, dim, g, budget, &ours);
            bn_time(bn_hw_eval, &h, pts, SH_NPTS, dim, g, budget, &hw);
            printf(" %10.2f %9.1f %7.2f %9.2f %7.2fx %9.1e %9.1e%s\n", ours.us, ours.bytes, ours.calls,
                   hw.us, ours.us / hw.us, err, fderr, fail ? "  WRONG" : "");
        }
        free(pts);
        free(g);
    }
    fflush(stdout);
    vm_eval_free(e);
    if (m)
        vm_model_free(m);
    free(msg);
    free(json);
    free(path);
    sh_data_free(&d);
    return fail;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    /* the time measured is this thread's CPU time: BLAS threads would hide work */
    openblas_set_num_threads(1);
    double budget = 0.3;
    long calls = 0;
    if (bn_args(argc, argv, "bench_shapes", &budget, &calls))
        return 0;
    const char *src = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : VM_BENCH_SRC_DIR;
    printf("%-30s %4s %10s %9s %7s %9s %8s %9s %9s\n", "model", "dim", "cpu us/gr", "bytes/gr",
           "allocs", "C us", "vs C", "vs C err", "C fd err");
    int fail = 0;
    for (size_t i = 0; i < sh_nmodels; i++)
        if (bn_selected(sh_models[i].name, argc, argv))
            fail |= sh_run(&sh_models[i], src, budget, calls);
    return fail;
}
