/* The cost of a user-defined function call: gradients per second of a model written
 * with functions against the same model written inline, measured in the same run
 * (figures only; never fails).  usage: bench_ufunc_call [EVALS=20000] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/vmod.h"

static const char *fn_src =
    "real skew_lpdf(real y, real mu, real s, real a) {\n"
    "  real z = (y - mu) / s;\n"
    "  return normal_lpdf(y | mu, s) + log(2) + normal_lcdf(a * z | 0, 1);\n}\n"
    "data int N = 50;\ndata vector[N] y = linspaced_vector(N, -2, 3);\n"
    "param real mu;\nparam real<lower=0> s;\nfor (n in 1:N) y[n] ~ skew(mu, s, 2);\n";
static const char *inl_src =
    "data int N = 50;\ndata vector[N] y = linspaced_vector(N, -2, 3);\n"
    "param real mu;\nparam real<lower=0> s;\n"
    "for (n in 1:N) target += normal_lpdf(y[n] | mu, s) + log(2) + normal_lcdf(2 * (y[n] - mu) / s | 0, 1);\n";

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double rate(const char *src, long n)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "b.vmod", NULL, NULL, &msg);
    if (!m) { fprintf(stderr, "%s\n", msg); exit(1); }
    VmEval *e = vm_eval_new(m);
    double u[2] = {0.3, -0.2}, g[2], lp, best = 0;
    for (int rep = 0; rep < 3; rep++) {      /* best of three */
        double t0 = now();
        for (long i = 0; i < n; i++) { u[0] = 0.3 + 1e-9 * (double)i; vm_log_density(e, u, 1, &lp, g); }
        double r = (double)n / (now() - t0);
        if (r > best) best = r;
    }
    vm_eval_free(e);
    vm_model_free(m);
    return best;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    double rf = rate(fn_src, n), ri = rate(inl_src, n);
    printf("skew_lpdf as a function, 50 observations: %10.0f gradients/s\n", rf);
    printf("the same written inline:                  %10.0f gradients/s\n", ri);
    printf("function / inline time ratio: %.2f\n", ri / rf);
    return 0;
}
