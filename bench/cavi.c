/* bench_cavi: CAVI's time to convergence per model.
 *
 * For each model: the time to load it (parse, check, read the data), to analyse it
 * (create: the conjugacy probes), and to converge (the sweeps), the number of sweeps,
 * and the final ELBO.  The models are tests/backends/cavi/, with generated
 * data for the large ones: the normal model with unknown mean and precision at
 * N = 10^5 observations (target: analysis + sweeps under 100 ms), a regression with
 * N = 10^4 and P = 5, and Gaussian mixtures with N = 300 and 3000 discrete
 * assignments.  Times are CPU seconds of this (single-threaded) process, robust to
 * other jobs on a shared machine; the median of a few repetitions; they never fail.
 *
 * usage: bench_cavi [--reps=N] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "backends/cavi.h"
#include "runtime/model.h"

#ifndef VM_BENCH_SRC_DIR
#define VM_BENCH_SRC_DIR "."
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time: the machine is shared */
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int logp(void *ctx, const double *u, double *lp, double *grad) { return vm_log_density(ctx, u, 1, lp, grad); }

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Data generators: write JSON to f. */
static void gen_normal(FILE *f, gsl_rng *r, int N)
{
    fprintf(f, "{\"N\": %d, \"y\": [", N);
    for (int i = 0; i < N; i++) fprintf(f, "%s%.10g", i ? "," : "", 1.3 + 0.7 * gsl_ran_gaussian(r, 1));
    fprintf(f, "]}");
}

static void gen_linreg(FILE *f, gsl_rng *r, int N, int P)
{
    fprintf(f, "{\"N\": %d, \"P\": %d, \"X\": [", N, P);
    double *y = malloc(sizeof(double) * N);
    for (int n = 0; n < N; n++) {
        y[n] = 0.4 + 0.7 * gsl_ran_gaussian(r, 1);
        fprintf(f, "%s[", n ? "," : "");
        for (int p = 0; p < P; p++) {
            double x = gsl_ran_gaussian(r, 1);
            y[n] += x * (p + 1) * 0.3;
            fprintf(f, "%s%.10g", p ? "," : "", x);
        }
        fprintf(f, "]");
    }
    fprintf(f, "], \"y\": [");
    for (int n = 0; n < N; n++) fprintf(f, "%s%.10g", n ? "," : "", y[n]);
    fprintf(f, "]}");
    free(y);
}

static void gen_mixture(FILE *f, gsl_rng *r, int N)
{
    const double mu[3] = {-4, 0, 4.5};
    fprintf(f, "{\"K\": 3, \"N\": %d, \"y\": [", N);
    for (int n = 0; n < N; n++) fprintf(f, "%s%.10g", n ? "," : "", mu[gsl_rng_uniform_int(r, 3)] + 0.6 * gsl_ran_gaussian(r, 1));
    fprintf(f, "]}");
}

typedef struct BenchCase {
    const char *label, *model;
    int kind, n, p;            /* generator: 0 none, 1 normal, 2 linreg, 3 mixture */
    const char *restarts;
} BenchCase;

static const BenchCase cases[] = {
    {"beta_bernoulli", "beta_bernoulli.vmod", 0, 0, 0, NULL},
    {"gamma_poisson (4 groups)", "gamma_poisson.vmod", 0, 0, 0, NULL},
    {"dirichlet_categorical", "dirichlet_categorical.vmod", 0, 0, 0, NULL},
    {"mvn_mean", "mvn_mean.vmod", 0, 0, 0, NULL},
    {"hier_normal (5 groups)", "hier_normal.vmod", 0, 0, 0, NULL},
    {"normal_gamma N=1000", "normal_gamma.vmod", 1, 1000, 0, NULL},
    {"normal_gamma N=100000", "normal_gamma.vmod", 1, 100000, 0, NULL},
    {"linreg N=10000 P=5", "linreg_known.vmod", 2, 10000, 5, NULL},
    {"mixture N=300 K=3", "mixture3.vmod", 3, 300, 0, "1"},
    {"mixture N=300 K=3, 5 restarts", "mixture3.vmod", 3, 300, 0, "5"},
    {"mixture N=3000 K=3", "mixture3.vmod", 3, 3000, 0, "1"},
};

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    int reps = 5;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--reps=", 7)) reps = atoi(argv[i] + 7);
    if (reps < 1) reps = 1;
    const char *src = getenv("VMOD_SRC");
    if (!src) src = VM_BENCH_SRC_DIR;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    printf("%-32s %9s %10s %10s %10s %7s %16s\n", "model", "load ms", "analyse ms", "sweeps ms", "total ms", "sweeps",
           "ELBO");
    int status = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const BenchCase *bc = &cases[c];
        char path[1024], data[64] = "";
        snprintf(path, sizeof path, "%s/tests/backends/cavi/%s", src, bc->model);
        if (bc->kind) {
            snprintf(data, sizeof data, "/tmp/bench_cavi_XXXXXX");
            int fd = mkstemp(data);
            FILE *f = fdopen(fd, "w");
            gsl_rng_set(r, 1);
            if (bc->kind == 1) gen_normal(f, r, bc->n);
            else if (bc->kind == 2) gen_linreg(f, r, bc->n, bc->p);
            else gen_mixture(f, r, bc->n);
            fclose(f);
        }
        double tl[16], ta[16], ts[16], elbo = NAN;
        long sweeps = 0;
        for (int k = 0; k < reps && k < 16; k++) {
            char *msg = NULL;
            double t0 = now();
            VmModel *m = vm_model_load_file(path, bc->kind ? data : NULL, &msg);
            if (!m) { fprintf(stderr, "%s: %s\n", bc->label, msg); free(msg); status = 1; break; }
            VmEval *e = vm_eval_new(m);
            BkTarget t = {vm_model_dim(m), vm_model_ndisc(m), m->disc_lo, m->disc_hi, logp, e, m};
            BkOpt opts[] = {{"restarts", bc->restarts}, {NULL, NULL}};
            BkSettings s = {.iters = 100000, .tol = 0, .opts = opts, .nopts = bc->restarts ? 1 : 0};
            char err[2048];
            double t1 = now();
            void *st = backend_cavi.create(&s, &t, err, sizeof err);
            if (!st) { fprintf(stderr, "%s: %s\n", bc->label, err); status = 1; vm_eval_free(e); vm_model_free(m); break; }
            double t2 = now();
            gsl_rng_set(r, 7);
            backend_cavi.init(st, &t, r, NULL, err, sizeof err);
            long it = 0;
            int rc = BK_OK;
            while (rc == BK_OK && it < s.iters) { rc = backend_cavi.step(st, &t, r, it, 0, err, sizeof err); it++; }
            double t3 = now();
            if (rc != BK_DONE) { fprintf(stderr, "%s: %s\n", bc->label, rc == BK_FAIL ? err : "no convergence"); status = 1; }
            tl[k] = t1 - t0; ta[k] = t2 - t1; ts[k] = t3 - t2;
            sweeps = it;
            elbo = cavi_elbo(st);
            backend_cavi.free(st);
            vm_eval_free(e);
            vm_model_free(m);
        }
        if (bc->kind) unlink(data);
        if (status) continue;
        int n = reps < 16 ? reps : 16;
        double tot[16];
        for (int k = 0; k < n; k++) tot[k] = ta[k] + ts[k];
        qsort(tl, n, sizeof(double), dcmp);
        qsort(ta, n, sizeof(double), dcmp);
        qsort(ts, n, sizeof(double), dcmp);
        qsort(tot, n, sizeof(double), dcmp);
        printf("%-32s %9.2f %10.2f %10.2f %10.2f %7ld %16.8g\n", bc->label, 1e3 * tl[n / 2], 1e3 * ta[n / 2],
               1e3 * ts[n / 2], 1e3 * tot[n / 2], sweeps, elbo);
    }
    printf("(total = analyse + sweeps, the time to convergence once the data are read; medians of %d runs)\n", reps);
    gsl_rng_free(r);
    return status;
}
