/* bench_mpi_gradient: wall time of one log density + gradient of a logistic
 * regression over N rows (default 10^6, K = 5 predictors), on however many MPI
 * processes it was started with (bench/mpi_scaling.sh runs it on 1 and 2 and prints
 * the ratio), the density split by rows (split.c) when there is more than one.
 *
 * Rank 0 prints one line of key=value figures: processes, rows, microseconds per
 * gradient (wall clock, median of timed batches, every process starting each batch
 * together), rank 0's CPU time per gradient and per row of its share (what a loaded
 * machine does not inflate), and the latency of the ordered all-reduce of
 * the gradient alone (what a process adds per gradient besides its rows), from which
 * docs/mpi.md models the scaling beyond this machine.
 *
 * CPU time on a shared machine: MPI waits by polling, so a process's CPU time per
 * gradient includes the time it spun in the all-reduce waiting for a descheduled
 * peer.  The work itself is timed apart (share_cpu_us): the same evaluations of this
 * process's share without the all-reduce (vm_eval_set_share), its CPU time alone.
 *
 * With more than one process it also times, batch for batch in the same run, rank 0
 * evaluating the whole density alone (the others waiting in a barrier), so that the
 * wall-clock ratio has a baseline under the same load.
 *
 * usage: [mpirun -n R] bench_mpi_gradient [--rows=N] [--seconds=S] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "runtime/vmod.h"
#include "runtime/mpi.h"
#include "runtime/model.h"

#define BM_K 5
#define BM_BATCHES 15

static const char bm_model[] =
    "data int<lower=0> N;\n"
    "data int<lower=0> K;\n"
    "data matrix[N, K] X;\n"
    "data array[N] int<lower=0, upper=1> y;\n"
    "param real alpha;\n"
    "param vector[K] beta;\n"
    "alpha ~ normal(0, 2.5);\n"
    "beta ~ normal(0, 2.5);\n"
    "y ~ bernoulli_logit(alpha + X * beta);\n";

static double bm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The data as CmdStan JSON, the same on every process (fixed seed). */
static char *bm_data(long n)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    size_t cap = (size_t)n * (BM_K * 12 + 8) + 256, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    static const double beta[BM_K] = {0.8, -0.5, 0.3, 0.0, 1.1};
    char *y = malloc((size_t)n * 2 + 8);
    size_t ylen = 0;
    len += (size_t)sprintf(s + len, "{\"N\": %ld, \"K\": %d, \"X\": [", n, BM_K);
    for (long i = 0; i < n; i++) {
        double eta = -0.3;
        s[len++] = i ? ',' : ' ';
        s[len++] = '[';
        for (int k = 0; k < BM_K; k++) {
            double x = gsl_ran_gaussian(r, 1);
            eta += beta[k] * x;
            len += (size_t)sprintf(s + len, "%s%.4f", k ? "," : "", x);
        }
        s[len++] = ']';
        y[ylen++] = i ? ',' : ' ';
        y[ylen++] = gsl_rng_uniform(r) < 1 / (1 + exp(-eta)) ? '1' : '0';
    }
    y[ylen] = 0;
    len += (size_t)sprintf(s + len, "], \"y\": [");
    memcpy(s + len, y, ylen);
    len += ylen;
    len += (size_t)sprintf(s + len, "]}");
    free(y);
    gsl_rng_free(r);
    return s;
}

static double bm_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bm_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    char err[512];
    if (mp_init(&argc, &argv, err, sizeof err)) {
        fprintf(stderr, "bench_mpi_gradient: %s\n", err);
        return 1;
    }
    long rows = 1000000;
    double seconds = 3;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--rows=", 7))
            rows = atol(argv[i] + 7);
        else if (!strncmp(argv[i], "--seconds=", 10))
            seconds = atof(argv[i] + 10);
    }
    int rank = mp_rank(), size = mp_size();
    char *data = bm_data(rows), *msg = NULL;
    VmModel *m = data ? vm_model_load(bm_model, sizeof bm_model - 1, "logistic.vmod", data, "generated", &msg) : NULL;
    free(data);
    if (!m) {
        if (rank == 0)
            fprintf(stderr, "bench_mpi_gradient: %s\n", msg ? msg : "out of memory");
        free(msg);
        mp_finalize();
        return 1;
    }
    int nsplit = 0;
    if (size > 1 && (nsplit = vm_model_split(m, rank, size, &msg)) < 1) {
        if (rank == 0)
            fprintf(stderr, "bench_mpi_gradient: the likelihood was not split (%s)\n", msg ? msg : "probe");
        free(msg);
        vm_model_free(m);
        mp_finalize();
        return 1;
    }
    size_t dim = vm_model_dim(m);
    VmEval *e = vm_eval_new(m);
    double u[1 + BM_K] = {-0.2, 0.7, -0.4, 0.2, 0.1, 0.9}, g[1 + BM_K], lp = 0, lp_alone = 0;
    for (int i = 0; i < 3; i++)
        vm_log_density(e, u, 1, &lp, g);
    /* batch size: about seconds / BM_BATCHES each, agreed by every process */
    mp_barrier();
    double t0 = bm_now();
    vm_log_density(e, u, 1, &lp, g);
    double one = bm_now() - t0;
    mp_bcast(&one, sizeof one, 0);
    long per = (long)(seconds / BM_BATCHES / (one > 1e-9 ? one : 1e-9));
    if (per < 1)
        per = 1;
    double t[BM_BATCHES], c[BM_BATCHES], alone[BM_BATCHES];
    for (int b = 0; b < BM_BATCHES; b++) {
        mp_barrier();
        t0 = bm_now();
        double c0 = bm_cpu();
        for (long i = 0; i < per; i++)
            vm_log_density(e, u, 1, &lp, g);
        t[b] = (bm_now() - t0) / (double)per;
        c[b] = (bm_cpu() - c0) / (double)per;
        /* the baseline in the same run, batch for batch under the same load: rank 0
         * evaluates the whole density alone while the others wait */
        mp_barrier();
        if (size > 1 && rank == 0) {
            vm_eval_set_share(e, -1, 0);
            t0 = bm_now();
            for (long i = 0; i < per; i++)
                vm_log_density(e, u, 1, &lp_alone, g);
            alone[b] = (bm_now() - t0) / (double)per;
            vm_eval_set_share(e, 0, 1);
        }
    }
    qsort(t, BM_BATCHES, sizeof *t, bm_cmp);
    double us_alone = 0;
    if (size > 1 && rank == 0) {
        qsort(alone, BM_BATCHES, sizeof *alone, bm_cmp);
        us_alone = 1e6 * alone[BM_BATCHES / 2];
    }
    qsort(c, BM_BATCHES, sizeof *c, bm_cmp);
    double us = 1e6 * t[BM_BATCHES / 2], cpu_us = 1e6 * c[BM_BATCHES / 2];
    /* the share's work alone: no all-reduce, so no waiting for the other processes */
    double s_cpu[BM_BATCHES], lp_share = 0;
    if (size > 1)
        vm_eval_set_share(e, rank, 0);
    for (int b = 0; b < BM_BATCHES; b++) {
        double c0 = bm_cpu();
        for (long i = 0; i < per; i++)
            vm_log_density(e, u, 1, &lp_share, g);
        s_cpu[b] = (bm_cpu() - c0) / (double)per;
    }
    qsort(s_cpu, BM_BATCHES, sizeof *s_cpu, bm_cmp);
    double share_us = 1e6 * s_cpu[BM_BATCHES / 2];
    /* every process's share time, for rank 0 to print (each slot filled by its owner) */
    double by_rank[64] = {0}, by_tmp[64 * 64];
    if (size <= 64) {
        by_rank[rank] = share_us;
        mp_sum_ordered(by_rank, (size_t)size, by_tmp);
    }
    /* the all-reduce alone: lp, the gradient and the status, summed in rank order */
    double red_us = 0;
    if (size > 1) {
        double buf[2 + 1 + BM_K], scratch[(2 + 1 + BM_K) * 64];
        int reps = 2000;
        if (size <= 64) {
            memset(buf, 0, sizeof buf);
            mp_barrier();
            t0 = bm_now();
            for (int i = 0; i < reps; i++)
                mp_sum_ordered(buf, 2 + dim, scratch);
            red_us = 1e6 * (bm_now() - t0) / reps;
        }
    }
    if (rank == 0) {
        printf("processes=%d rows=%ld us_per_gradient=%.1f cpu_us_per_gradient=%.1f share_cpu_us=%.1f "
               "rows_per_process=%ld cpu_ns_per_row=%.2f allreduce_us=%.2f lp=%.10g",
               size, rows, us, cpu_us, share_us, rows / size, 1e3 * share_us / ((double)rows / size), red_us, lp);
        if (size > 1)
            printf(" us_one_process_same_run=%.1f wall_ratio_same_run=%.3f lp_one_process=%.10g", us_alone,
                   us / us_alone, lp_alone);
        for (int r = 0; r < size && r < 64; r++)
            printf("%s%.1f", r ? "," : " share_cpu_us_by_rank=", by_rank[r]);
        printf("\n");
    }
    vm_eval_free(e);
    vm_model_free(m);
    mp_finalize();
    return 0;
}
