/* Figures for the discrete and multivariate kernels: nanoseconds per replicate of a
 * vectorised call with all partials wanted.  Prints; never fails on timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include "stdlib/dist.h"
#include "stdlib/mathfn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

enum { N = 10000, REPS = 50 };

static void uni(const char *name, double p1, double p2)
{
    const Dist *D = dist_find(name);
    static int y[N], Ni[N];
    static double x1[N], x2[N], g1[N], g2[N], g3[N];
    for (int i = 0; i < N; i++) {
        y[i] = strncmp(name, "bernoulli", 9) == 0 ? i % 2 : i % 7;
        Ni[i] = 10;
        x1[i] = p1;
        x2[i] = p2;
    }
    DArg a[4] = { { NULL, y, 1, 1, 1 }, { x1, Ni, 1, 1, 1 }, { x2, NULL, 1, 1, 1 }, { x2, NULL, 1, 1, 1 } };
    double *d[4] = { NULL, D->sig[1] == 'R' ? g1 : NULL, D->nargs > 2 ? g2 : NULL, D->nargs > 3 ? g3 : NULL };
    double out, t0 = now();
    DistErr e;
    for (int r = 0; r < REPS; r++)
        if (D->lpdf(N, a, &out, d, &e) < 0) { printf("%s: error\n", name); return; }
    double t1 = now();
    for (int r = 0; r < REPS; r++) D->lccdf(N, a, &out, d, &e);
    double t2 = now();
    printf("%-20s lpmf %7.1f ns/replicate   lccdf %8.1f ns/replicate\n", name,
           1e9 * (t1 - t0) / (REPS * N), 1e9 * (t2 - t1) / (REPS * N));
}

static void mvn(int K, int n)
{
    const Dist *D = dist_find("multi_normal");
    double *y = malloc(sizeof(double) * K * n), *gy = calloc(K * n, sizeof(double));
    double *mu = calloc(K, sizeof(double)), *gm = calloc(K, sizeof(double));
    double *S = malloc(sizeof(double) * K * K), *gS = calloc(K * K, sizeof(double));
    for (int i = 0; i < K * n; i++) y[i] = sin(i);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) S[i + K * j] = (i == j ? 2.0 : 0.0) + 0.5 * exp(-abs(i - j));
    DArg a[3] = { { y, NULL, 1, K, 1 }, { mu, NULL, 0, K, 1 }, { S, NULL, 0, K, K } };
    double *d[3] = { gy, gm, gS }, out;
    DistErr e;
    int reps = 20;
    double t0 = now();
    for (int r = 0; r < reps; r++) D->lpdf(n, a, &out, d, &e);
    printf("multi_normal K=%-3d n=%-4d %9.1f us/call (all partials)\n", K, n, 1e6 * (now() - t0) / reps);
    free(y); free(gy); free(mu); free(gm); free(S); free(gS);
}

int main(void)
{
    gsl_set_error_handler_off();
    uni("bernoulli_logit", 0.3, 0);
    uni("binomial", 0, 0.3);
    uni("poisson", 3.5, 0);
    uni("poisson_log", 1.2, 0);
    uni("neg_binomial_2", 3.5, 2.0);
    uni("neg_binomial_2_log", 1.2, 2.0);
    uni("beta_binomial", 0, 2.0);
    mvn(5, 100);
    mvn(20, 100);
    mvn(50, 10);
    const MathFn *f = mathfn_find("log_sum_exp");
    double s = 0, dx, dy, t0 = now();
    for (int i = 0; i < 10000000; i++) s += f->f2(i * 1e-7, 0.5, &dx, &dy);
    printf("log_sum_exp with both partials: %.1f ns/call (%g)\n", 1e9 * (now() - t0) / 1e7, s);
    return 0;
}
