/* See timing.h. */
#include "bench/timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/alloc_count.h"

#define BN_BATCH_SECONDS 2e-3    /* one timed batch */
#define BN_MIN_BATCHES 9
#define BN_MAX_BATCHES 2000

double bn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bn_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bn_time(BnEval f, void *ctx, const double *u, size_t npts, size_t dim, double *g,
             double budget, BnResult *r)
{
    volatile double sink = 0.0;
    size_t k = 0, evals = 0;
    double t0 = bn_now(), t;
    do {                                   /* warm-up, at least every point twice */
        sink += f(ctx, u + (k++ % npts) * dim, g);
        evals++;
        t = bn_now() - t0;
    } while (evals < 2 * npts || t < 0.02);
    size_t batch = (size_t)(BN_BATCH_SECONDS / (t / (double)evals));
    batch = batch < npts ? npts : batch;

    static double times[BN_MAX_BATCHES];
    size_t nb = 0, total = 0;
    alloc_count_reset();
    double start = bn_now();
    while (nb < BN_MAX_BATCHES && (nb < BN_MIN_BATCHES || bn_now() - start < budget)) {
        double b0 = bn_now();
        for (size_t j = 0; j < batch; j++)
            sink += f(ctx, u + (k++ % npts) * dim, g);
        times[nb++] = (bn_now() - b0) / (double)batch;
        total += batch;
    }
    r->bytes = (double)alloc_count_bytes() / (double)total;
    r->calls = (double)alloc_count_calls() / (double)total;
    qsort(times, nb, sizeof times[0], bn_cmp);
    r->us = 1e6 * times[nb / 2];
    (void)sink;
}

int bn_args(int argc, char **argv, const char *prog, double *budget, long *calls)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--budget=", 9) == 0)
            *budget = atof(argv[i] + 9);
        else if (strncmp(argv[i], "--calls=", 8) == 0)
            *calls = atol(argv[i] + 8);
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: %s [--budget=SECONDS] [--calls=N] [NAME-SUBSTRING ...]\n", prog);
            return 1;
        }
    }
    return 0;
}

int bn_selected(const char *name, int argc, char **argv)
{
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        any = 1;
        if (strstr(name, argv[i]) != NULL)
            return 1;
    }
    return !any;
}
