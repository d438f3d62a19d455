/* Regressions of two bugs found by the builtin tests (both fixed in runtime/density.c):
 *
 * 1. model_make_outputs:
 * The loader runs the model once at u = 0 to learn the sizes of lets and gens.  When a
 * parameter-dependent let or a gen fails there with an evaluation error (not a bound
 * check, which is handled), the model is refused with "cannot determine the size of
 * 'y' (declare its type with sizes)", although the declaration gives the sizes, and
 * the real error is lost.  Expected: the model loads, the point u = 0 is rejected
 * (lp = -inf) with the real message; or at least the load error is the real one.
 * 2. vm_log_density with a gradient and no parameters (UBSan only, see below).
 * 3. an empty vector's element-wise node as the tape's first triples (tape.c; clang's
 *    UBSan only). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "runtime/vmod.h"

typedef struct Bug { const char *src; const char *msg; int is_gen; } Bug;

static const Bug bugs[] = {
    {"param real x;\nx ~ normal(2, 1);\nlet real y = sd(head({x, 2.0}, x > -1 ? 0 : 2));\n",
     "sd of an empty container", 0},
    {"param real a;\na ~ normal(0, 1);\nlet matrix[2, 2] L = cholesky_decompose([[1, 1 - a], [1 - a, 1]]);\n",
     "cholesky_decompose: the matrix is not positive definite", 0},
    {"param real x;\nx ~ normal(0, 1);\ngen int out = 1 / 0;\n", "integer division by zero", 1},
};

/* A gradient requested from a model without parameters: density.c:226 passes the
 * never-allocated adjoint buffer (NULL) to memset and memcpy; UBSan ("null pointer
 * passed as argument 1") stops here in the -Db_sanitize=address,undefined build. */
START_TEST(gradient_without_parameters)
{
    const char *src = "data real y = 1;\ntarget += -y;\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    double lp = 0, g[1] = {7};
    ck_assert_int_eq(vm_log_density(e, NULL, 1, &lp, g), 0);
    ck_assert(lp == -1);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* An element-wise node over an empty vector as the gradient's first triples (a fuzz
 * input, tests/fuzz/corpus_run/empty_vector_first_triples.vmod): tape_push_run
 * reserved room for none and took the tape's end from arrays never allocated (clang's
 * UBSan: "applying zero offset to null pointer", tape.c; GCC's does not check a zero
 * offset, so the fuzz smoke's corpus holds the regression).  Here: the density is the
 * prior of v alone, the gradient v's. */
START_TEST(empty_vector_first_on_tape)
{
    const char *src = "param real v;\nparam vector[0] x;\nv ~ normal(0, 3);\nx ~ normal(0, exp(x / 2));\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    ck_assert_uint_eq(vm_model_dim(m), 1);
    VmEval *e = vm_eval_new(m);
    double u[1] = {1.5}, lp = 0, g[1] = {0};
    ck_assert_int_eq(vm_log_density(e, u, 0, &lp, g), 0);     /* the fuzz input's first call */
    ck_assert(fabs(lp - (-log(3.0) - 0.5 * log(2 * M_PI) - 0.5 * (1.5 / 3) * (1.5 / 3))) < 1e-12);
    ck_assert(fabs(g[0] - (-1.5 / 9)) < 1e-12);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

START_TEST(failing_let_at_zero)
{
    const Bug *b = &bugs[_i];
    char *msg = NULL;
    VmModel *m = vm_model_load(b->src, strlen(b->src), "t.vmod", NULL, NULL, &msg);
    if (!m) {
        ck_assert_msg(msg && strstr(msg, b->msg), "%s\nload failed with: %s\nwant the model to load, or: %s", b->src,
                      msg ? msg : "", b->msg);
        free(msg);
        return;
    }
    VmEval *e = vm_eval_new(m);
    double u[1] = {0}, lp = 0, out[4];
    if (b->is_gen) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_int_eq(vm_write_values(e, u, r, out), -1);
        gsl_rng_free(r);
    } else {
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
        ck_assert(lp == -INFINITY);
    }
    ck_assert_msg(strstr(vm_eval_message(e), b->msg) != NULL, "message: %s", vm_eval_message(e));
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("eval_known_bugs");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, failing_let_at_zero, 0, (int)(sizeof bugs / sizeof bugs[0]));
    tcase_add_test(tc, gradient_without_parameters);
    tcase_add_test(tc, empty_vector_first_on_tape);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
