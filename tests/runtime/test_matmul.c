/* Matrix products with a data operand run as one OpenBLAS GEMV / GEMM forward and
 * backward (runtime/ops.c): values and gradients against the same products written as
 * loops of scalar products, and the gradient against central finite differences. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"

static const char *DATA =
    "{\"N\": 5, \"K\": 3, \"X\": [[1.0, 0.5, -2.0], [0.3, -1.1, 0.7], [2.2, 0.0, 1.0], [-0.4, 1.5, 0.9], [0.8, -0.6, -1.3]],"
    " \"y\": [0.3, -1.2, 2.5, 0.8, 1.1], \"W\": [[0.2, -0.7], [1.1, 0.4], [-0.3, 0.9]]}";

#define DECLS \
    "data int N; data int K; data matrix[N, K] X; data vector[N] y; data matrix[K, 2] W;\n" \
    "param vector[K] b; param real<lower=0> s; param matrix[2, N] P; param row_vector[N] r;\n" \
    "b ~ normal(0, 1); to_vector(P) ~ normal(0, 1); r ~ normal(0, 1);\n"

typedef struct { const char *name, *blas, *loops; } Pair;

static const Pair pairs[] = {
    {"data matrix times parameter vector (GEMV)",
     DECLS "y ~ normal(X * b, s);",
     DECLS "{ vector[N] m; for (n in 1:N) { real t = 0; for (k in 1:K) t += X[n, k] * b[k]; m[n] = t; } y ~ normal(m, s); }"},
    {"data matrix times parameter matrix (GEMM)",
     DECLS "{ matrix[K, N] Q = W * P; target += -0.5 * sum(Q .* Q) / s - log(s); }",
     DECLS "{ real acc = 0; for (k in 1:K) for (n in 1:N) { real t = 0; for (j in 1:2) t += W[k, j] * P[j, n]; acc += t * t; }\n"
     "  target += -0.5 * acc / s - log(s); }"},
    {"parameter row vector times data matrix",
     DECLS "{ row_vector[K] q = r * X; target += -0.5 * dot_self(q - 1); }",
     DECLS "{ real acc = 0; for (k in 1:K) { real t = 0; for (n in 1:N) t += r[n] * X[n, k]; acc += (t - 1) * (t - 1); }\n"
     "  target += -0.5 * acc; }"},
};

static VmModel *load(const char *src)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "test.vmod", DATA, "data.json", &msg);
    if (!m) fprintf(stderr, "%s\n", msg ? msg : "?");
    free(msg);
    return m;
}

START_TEST(blas_same_as_loops)
{
    const Pair *p = &pairs[_i];
    VmModel *ma = load(p->blas), *mb = load(p->loops);
    ck_assert_ptr_nonnull(ma);
    ck_assert_ptr_nonnull(mb);
    size_t dim = vm_model_dim(ma);
    ck_assert_uint_eq(dim, vm_model_dim(mb));
    ck_assert_uint_le(dim, 32);
    VmEval *ea = vm_eval_new(ma), *eb = vm_eval_new(mb);
    double u[32], ga[32], gb[32], gx[32];
    for (int pt = 0; pt < 4; pt++) {
        for (size_t i = 0; i < dim; i++) u[i] = 0.8 * sin(1.7 * (double)i + 2.3 * pt + 0.2);
        double la, lb;
        ck_assert_int_eq(vm_log_density(ea, u, 1, &la, ga), 0);
        ck_assert_int_eq(vm_log_density(eb, u, 1, &lb, gb), 0);
        ck_assert_msg(fabs(la - lb) <= 1e-11 * fmax(1, fabs(lb)), "%s: lp %.17g vs %.17g", p->name, la, lb);
        for (size_t i = 0; i < dim; i++) {
            ck_assert_msg(fabs(ga[i] - gb[i]) <= 1e-11 * fmax(1, fabs(gb[i])), "%s: grad[%zu] %.17g vs %.17g",
                          p->name, i, ga[i], gb[i]);
            double h = 1e-6 * fmax(1, fabs(u[i])), ui = u[i], up, dn;
            u[i] = ui + h;
            vm_log_density(ea, u, 1, &up, gx);
            u[i] = ui - h;
            vm_log_density(ea, u, 1, &dn, gx);
            u[i] = ui;
            ck_assert_msg(fabs((up - dn) / (2 * h) - ga[i]) <= 1e-5 * fmax(1, fabs(ga[i])), "%s: grad[%zu] %.10g vs differences",
                          p->name, i, ga[i]);
        }
    }
    vm_eval_free(ea);
    vm_eval_free(eb);
    vm_model_free(ma);
    vm_model_free(mb);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("matmul");
    TCase *tc = tcase_create("matmul");
    tcase_add_loop_test(tc, blas_same_as_loops, 0, (int)(sizeof pairs / sizeof pairs[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
