/* The GLMs against the same density written with the family and X * beta (BLAS for
 * the product): gradients per second of each, measured in the same run (figures
 * only; never fails).  Data: N rows, K predictors, generated here with a fixed seed.
 * usage: bench_glm [N=2000] [K=10] [EVALS=2000] [GLM: only that row; with `family`,
 * only its family(X*b) model, to profile one side] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/vmod.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double rate(const char *src, const char *data, long n)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "b.vmod", data, "b.json", &msg);
    if (!m) { fprintf(stderr, "%s\n", msg); exit(1); }
    VmEval *e = vm_eval_new(m);
    size_t dim = vm_model_dim(m);
    double *u = calloc(dim, sizeof *u), *g = calloc(dim, sizeof *g), lp, best = 0;
    for (size_t k = 0; k < dim; k++) u[k] = 0.1 * sin((double)k);
    for (int rep = 0; rep < 3; rep++) {      /* best of three */
        double t0 = now();
        for (long i = 0; i < n; i++) { u[0] = 1e-9 * (double)i; vm_log_density(e, u, 1, &lp, g); }
        double r = (double)n / (now() - t0);
        if (r > best) best = r;
    }
    free(u);
    free(g);
    vm_eval_free(e);
    vm_model_free(m);
    return best;
}

/* CmdStan JSON: X (N x K, row-major), y in {0, 1}, c counts */
static char *make_data(int N, int K)
{
    size_t cap = (size_t)N * (size_t)K * 24 + (size_t)N * 16 + 256, len = 0;
    char *s = malloc(cap);
    unsigned long long st = 20261206;
    len += (size_t)snprintf(s + len, cap - len, "{\"N\": %d, \"K\": %d, \"X\": [", N, K);
    for (int i = 0; i < N; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s[", i ? ", " : "");
        for (int j = 0; j < K; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            double x = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 2;
            len += (size_t)snprintf(s + len, cap - len, "%s%.6f", j ? ", " : "", x);
        }
        len += (size_t)snprintf(s + len, cap - len, "]");
    }
    len += (size_t)snprintf(s + len, cap - len, "], \"y\": [");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(s + len, cap - len, "%s%d", i ? ", " : "", (i * 7 + 3) % 5 < 2);
    len += (size_t)snprintf(s + len, cap - len, "], \"c\": [");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(s + len, cap - len, "%s%d", i ? ", " : "", (i * 13 + 5) % 7);
    snprintf(s + len, cap - len, "]}");
    return s;
}

#define DECL "data int N;\ndata int K;\ndata matrix[N, K] X;\ndata array[N] int y;\ndata array[N] int c;\n" \
             "param real a;\nparam vector[K] b;\n"

int main(int argc, char **argv)
{
    int N = argc > 1 ? atoi(argv[1]) : 2000, K = argc > 2 ? atoi(argv[2]) : 10;
    long n = argc > 3 ? atol(argv[3]) : 2000;
    char *data = make_data(N, K);
    static const char *const rows[][3] = {
        {"bernoulli_logit_glm", DECL "y ~ bernoulli_logit_glm(X, a, b);\n", DECL "y ~ bernoulli_logit(a + X * b);\n"},
        {"poisson_log_glm", DECL "c ~ poisson_log_glm(X, a, b);\n", DECL "c ~ poisson_log(a + X * b);\n"},
        {"neg_binomial_2_log_glm", DECL "c ~ neg_binomial_2_log_glm(X, a, b, 3);\n",
         DECL "c ~ neg_binomial_2_log(a + X * b, 3);\n"},
    };
    printf("N = %d rows, K = %d predictors: gradients/s (best of 3 x %ld)\n", N, K, n);
    printf("%-24s %12s %12s %8s\n", "", "GLM", "family(X*b)", "ratio");
    const char *only = argc > 4 ? argv[4] : NULL;
    int fam_only = argc > 5 && !strcmp(argv[5], "family");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (only && strcmp(only, rows[r][0])) continue;
        double rg = fam_only ? NAN : rate(rows[r][1], data, n), rf = only && !fam_only ? NAN : rate(rows[r][2], data, n);
        printf("%-24s %12.0f %12.0f %8.2f\n", rows[r][0], rg, rf, rg / rf);
    }
    free(data);
    return 0;
}
