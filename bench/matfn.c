/* matrix_exp and singular_values: CPU microseconds per log density + gradient, with
 * baselines timed in the same run (figures only; never fails).
 *   matrix_exp(A), n x n: against A * A (one tape matrix product of the same size),
 *     and against the same model evaluated without the gradient (what the reverse
 *     pass, one 2n x 2n exponential, adds).
 *   singular_values(A): against sqrt(eigenvalues_sym(crossprod(A))), what a model
 *     without the function would write.
 * Every output is weighted (W, w), so every partial is live.  Heap traffic per
 * gradient after warm-up is counted (alloc_count.c: the library's own calls).
 * usage: bench_matfn [--budget=SECONDS (0.3)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "bench/alloc_count.h"
#include "bench/timing.h"

#define NPTS 4

static double eval_grad(void *ctx, const double *u, double *g)
{
    double lp;
    vm_log_density(ctx, u, 1, &lp, g);
    return lp;
}

static double eval_value(void *ctx, const double *u, double *g)
{
    (void)g;
    double lp;
    vm_log_density(ctx, u, 1, &lp, NULL);
    return lp;
}

/* One model timed; its result in r (us < 0: failed to load). */
static void run(const char *src, const char *data, int grad, double budget, BnResult *r)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "b.vmod", data, "b.json", &msg);
    if (!m) { fprintf(stderr, "%s\n%s\n", msg ? msg : "", src); exit(1); }
    VmEval *e = vm_eval_new(m);
    size_t dim = vm_model_dim(m);
    double *u = malloc(NPTS * dim * sizeof *u), *g = malloc((dim ? dim : 1) * sizeof *g);
    unsigned long long st = 20261207;
    for (size_t k = 0; k < NPTS * dim; k++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        u[k] = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 1.2;
    }
    bn_time(grad ? eval_grad : eval_value, e, u, NPTS, dim, g, budget, r);
    free(u);
    free(g);
    vm_eval_free(e);
    vm_model_free(m);
}

/* {"W": R x C matrix, "w": vector of K} with fixed pseudo-random entries */
static char *weights(int R, int C, int K)
{
    size_t cap = (size_t)(R * C + K) * 16 + 64, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "{\"W\": [");
    for (int i = 0; i < R; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s[", i ? ", " : "");
        for (int j = 0; j < C; j++) len += (size_t)snprintf(s + len, cap - len, "%s%.3f", j ? ", " : "", sin(1.0 + i * 7 + j * 3));
        len += (size_t)snprintf(s + len, cap - len, "]");
    }
    len += (size_t)snprintf(s + len, cap - len, "], \"w\": [");
    for (int k = 0; k < K; k++) len += (size_t)snprintf(s + len, cap - len, "%s%.3f", k ? ", " : "", cos(2.0 + k));
    snprintf(s + len, cap - len, "]}");
    return s;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    double budget = 0.3;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--budget=", 9)) budget = atof(argv[i] + 9);
    char src[1024];
    BnResult a, b, c;
    printf("matrix_exp(A), A n x n of a model's parameters, entries in (-0.6, 0.6):\n");
    printf("%4s %12s %12s %8s %14s %8s %12s\n", "n", "exp us/grad", "A*A us/grad", "ratio", "exp value-only", "grad/val", "allocs/grad");
    static const int ns[] = {2, 4, 8, 16};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        int n = ns[t];
        char *data = weights(n, n, 1);
        snprintf(src, sizeof src, "data matrix[%d, %d] W;\ndata vector[1] w;\nparam matrix[%d, %d] A;\ntarget += sum(W .* matrix_exp(A));\n", n, n, n, n);
        run(src, data, 1, budget, &a);
        run(src, data, 0, budget, &c);
        snprintf(src, sizeof src, "data matrix[%d, %d] W;\ndata vector[1] w;\nparam matrix[%d, %d] A;\ntarget += sum(W .* (A * A));\n", n, n, n, n);
        run(src, data, 1, budget, &b);
        printf("%4d %12.2f %12.2f %8.1f %14.2f %8.1f %12.1f\n", n, a.us, b.us, a.us / b.us, c.us, a.us / c.us, a.calls);
        free(data);
    }
    printf("\nsingular_values(A), A R x C of a model's parameters:\n");
    printf("%8s %12s %16s %8s %12s\n", "R x C", "sv us/grad", "sqrt-eig us/grad", "ratio", "allocs/grad");
    static const int shapes[][2] = {{3, 3}, {8, 4}, {4, 8}, {12, 12}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int R = shapes[t][0], C = shapes[t][1], K = R < C ? R : C;
        char *data = weights(1, 1, K);
        snprintf(src, sizeof src, "data matrix[1, 1] W;\ndata vector[%d] w;\nparam matrix[%d, %d] A;\ntarget += dot_product(w, singular_values(A));\n", K, R, C);
        run(src, data, 1, budget, &a);
        snprintf(src, sizeof src, "data matrix[1, 1] W;\ndata vector[%d] w;\nparam matrix[%d, %d] A;\n"
                 "target += dot_product(w, sqrt(eigenvalues_sym(%s)));\n", K, R, C, R >= C ? "crossprod(A)" : "tcrossprod(A)");
        run(src, data, 1, budget, &b);
        printf("%4d x %-3d %12.2f %16.2f %8.2f %12.1f\n", R, C, a.us, b.us, a.us / b.us, a.calls);
        free(data);
    }
    return 0;
}
