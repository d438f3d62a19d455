/* Recurrences in forward mode (runtime/recur.c), with the scalar programs disabled at
 * load (vm_plan_scalar_disabled) so that the plan gives them to recur.c: each model
 * must give the interpreter's density, gradient and message (the same loop behind
 * `if (1)`), recur.c must really have run it or refused it (Ev.rec_runs), its gradient
 * must match central differences, and its program must be compiled once, at load
 * (vm_rec_compiles does not move over 100 gradients). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "runtime/eval.h"
#include "runtime/plan.h"
#include "runtime/model.h"
#include "tests/runtime/rt_util.h"

static const char *DATA =
    "{\"N\": 7, \"J\": 3, \"y\": [0.3, -1.2, 2.5, 0.8, 1.1, -0.4, 0.0],"
    " \"x\": [1.0, 2.0, -0.5, 0.25, 3.0, -2.0, 0.5],"
    " \"sv\": [1.0, 0.5, 2.0, 1.5, 0.7, 1.2, 3.0], \"r0\": 0.4,"
    " \"k\": [0, 3, 1, 7, 2, 0, 5]}";

#define DECLS \
    "data int N; data int J; data vector[N] y; data vector[N] x; data vector[N] sv; data real r0;\n" \
    "data array[N] int k;\n" \
    "param real a; param real b; param real c; param real<lower=0> s; param real t;\n" \
    "param vector[N] th;\n"

/* fast: the recurrence; slow: the same behind `if (1)`; runs: whether recur.c takes it
 * (1: at every point, 0: never, -1: at some points, values that are not finite) */
typedef struct { const char *name, *fast, *slow; int runs; } Case;

static const Case cases[] = {
    {"garch",
     DECLS "{ vector[N] h; h[1] = sv[1]; for (i in 2:N) h[i] = sqrt(exp(c) + inv_logit(a) * pow(y[i - 1] - b, 2) + 0.3 * pow(h[i - 1], 2));\n"
     "  y ~ normal(b, h); }",
     DECLS "{ vector[N] h; h[1] = sv[1]; for (i in 2:N) if (1) h[i] = sqrt(exp(c) + inv_logit(a) * pow(y[i - 1] - b, 2) + 0.3 * pow(h[i - 1], 2));\n"
     "  y ~ normal(b, h); }", 1},
    {"two lags, division, minus, int data, int and real data scalars, the loop variable, ^",
     DECLS "{ vector[N] m; m[1] = a; m[2] = b; for (i in 3:N) m[i] = -0.5 * m[i - 1] + m[i - 2] / (2 + s) + k[i] * 0.1 + i * c ^ 2 - J * r0;\n"
     "  y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = a; m[2] = b; for (i in 3:N) if (1) m[i] = -0.5 * m[i - 1] + m[i - 2] / (2 + s) + k[i] * 0.1 + i * c ^ 2 - J * r0;\n"
     "  y ~ normal(m, s); }", 1},
    {"from a parameter's element, data shifted forward",
     DECLS "{ vector[N] m; m[1] = th[1]; for (i in 2:N - 1) m[i] = m[i - 1] * 0.9 + x[i + 1] * a; m[N] = 0; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = th[1]; for (i in 2:N - 1) if (1) m[i] = m[i - 1] * 0.9 + x[i + 1] * a; m[N] = 0; y ~ normal(m, s); }", 1},
    {"in a user-defined function called twice",
     "vector ar(vector u, real rho, real z) { vector[rows(u)] m; m[1] = z;\n"
     "  for (i in 2:rows(u)) m[i] = rho * m[i - 1] + u[i]; return m; }\n"
     DECLS "y ~ normal(ar(x, inv_logit(a), b), s); sv ~ normal(ar(y, 0.5, c), s + 1);",
     "vector ar(vector u, real rho, real z) { vector[rows(u)] m; m[1] = z;\n"
     "  for (i in 2:rows(u)) if (1) m[i] = rho * m[i - 1] + u[i]; return m; }\n"
     DECLS "y ~ normal(ar(x, inv_logit(a), b), s); sv ~ normal(ar(y, 0.5, c), s + 1);", 1},
    {"reading a parameter vector (refused at run time)",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) m[i] = m[i - 1] + th[i]; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) if (1) m[i] = m[i - 1] + th[i]; y ~ normal(m, s); }", 0},
    {"index out of range (refused at run time, the interpreter's message)",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) m[i] = m[i - 1] + x[i + 1] * a; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) if (1) m[i] = m[i - 1] + x[i + 1] * a; y ~ normal(m, s); }", 0},
    {"invalid scale (log of a negative at some points)",
     DECLS "{ vector[N] h; h[1] = 1; for (i in 2:N) h[i] = log(h[i - 1] + t + 1); y ~ normal(a, h); }",
     DECLS "{ vector[N] h; h[1] = 1; for (i in 2:N) if (1) h[i] = log(h[i - 1] + t + 1); y ~ normal(a, h); }", -1},
};

/* without scalar programs: recur.c takes the recurrences */
/* linear recurrences are linrec.c's when it runs: off here (test_linrec.c tests it) */
static VmModel *load(const char *src)
{
    vm_plan_linrec_disabled = 1;
    VmModel *m = rt_load(src, DATA, &vm_plan_scalar_disabled, 1);
    vm_plan_linrec_disabled = 0;
    return m;
}


static long rec_runs(VmEval *e) { return ((Ev *)e)->rec_runs; }

START_TEST(same_as_interpreter)
{
    const Case *c = &cases[_i];
    VmModel *mf = load(c->fast), *ms = load(c->slow);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    size_t dim = vm_model_dim(mf);
    ck_assert_uint_eq(dim, vm_model_dim(ms));
    ck_assert_uint_le(dim, 32);
    /* planned for recur.c (and the interpreter's version not) */
    ck_assert_int_eq(((Model *)mf)->plan->nrec, 1);
    ck_assert_int_eq(((Model *)ms)->plan->nrec, 0);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32];
    int nfinite = 0, ninf = 0, taken = 0;
    for (int pt = 0; pt < 8; pt++) {
        rt_point(u, dim, pt);
        long before = rec_runs(ef);
        int finite = rt_same_at(ef, es, u, dim, c->name, 1e-10);
        taken += rec_runs(ef) > before;
        if (finite) nfinite++;
        else ninf++;
    }
    if (c->runs == 1) ck_assert_msg(taken == 8 && nfinite == 8, "%s: taken at %d points, %d finite", c->name, taken, nfinite);
    if (c->runs == 0) ck_assert_msg(taken == 0, "%s: taken at %d points", c->name, taken);
    if (c->runs == -1) ck_assert_msg(taken > 0 && taken < 8 && ninf > 0, "%s: taken at %d points, %d failed", c->name, taken, ninf);
    ck_assert_int_eq(rec_runs(es), 0);
    vm_eval_free(ef);
    vm_eval_free(es);
    vm_model_free(mf);
    vm_model_free(ms);
}
END_TEST

/* recur.c's gradient against central differences of its own density. */
START_TEST(finite_differences)
{
    const Case *c = &cases[_i];
    if (c->runs != 1) return;
    VmModel *m = load(c->fast);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    rt_fd_points(e, vm_model_dim(m), 3, c->name);
    ck_assert(rec_runs(e) > 0);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* The programs are compiled when the plan is built, not at each gradient: a loop of
 * the model and one in a function the model calls twice run 3 times per gradient,
 * and no compile happens over 100 gradients (compiling per call would add 300). */
START_TEST(compiled_at_load)
{
    const char *src =
        "vector ar(vector u, real rho, real z) { vector[rows(u)] m; m[1] = z;\n"
        "  for (i in 2:rows(u)) m[i] = rho * m[i - 1] + u[i]; return m; }\n"
        DECLS "{ vector[N] h; h[1] = sv[1]; for (i in 2:N) h[i] = sqrt(exp(c) + inv_logit(a) * pow(y[i - 1] - b, 2) + 0.3 * pow(h[i - 1], 2));\n"
        "  y ~ normal(b, h); }\n"
        "x ~ normal(ar(y, inv_logit(a), b), s); sv ~ normal(ar(y, 0.5, c), s + 1);";
    long c0 = vm_rec_compiles;
    VmModel *m = load(src);
    ck_assert_ptr_nonnull(m);
    long c1 = vm_rec_compiles;
    ck_assert_int_eq(c1 - c0, 2);           /* the model's loop and the function's */
    const Plan *p = ((Model *)m)->plan;
    ck_assert_int_eq(p->nrec, 2);
    VmEval *e = vm_eval_new(m);
    double u[32], g[32], lp;
    for (int k = 0; k < 100; k++) {
        rt_point(u, vm_model_dim(m), k % 5);
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    }
    ck_assert_int_eq(rec_runs(e), 300);
    ck_assert_int_eq(vm_rec_compiles, c1);
    vm_eval_free(e);
    vm_model_free(m);
    /* the scalar programs take both loops when enabled, the function's too (plan.c's
     * plan_fun_stmt): no program for recur.c */
    char *msg = NULL;
    m = vm_model_load(src, strlen(src), "test.vmod", DATA, "data.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "?");
    free(msg);
    ck_assert_int_eq(((Model *)m)->plan->nrec, 0);
    ck_assert_int_eq(((Model *)m)->plan->nsc, 2);
    vm_model_free(m);
}
END_TEST

/* A recurrence of the data phase runs at load, before the plan exists: compiled there
 * (once), with the interpreter's values. */
START_TEST(data_phase)
{
    const char *fast = DECLS "let vector[N] w; w[1] = 1; for (i in 2:N) w[i] = 0.5 * w[i - 1] + x[i] * r0;\n"
                             "y ~ normal(a * w, s);";
    const char *slow = DECLS "let vector[N] w; w[1] = 1; for (i in 2:N) if (1) w[i] = 0.5 * w[i - 1] + x[i] * r0;\n"
                             "y ~ normal(a * w, s);";
    long c0 = vm_rec_compiles;
    VmModel *mf = load(fast);
    ck_assert_ptr_nonnull(mf);
    /* once on the spot in the data phase, once by the plan (which then never runs it) */
    ck_assert_int_eq(vm_rec_compiles - c0, 2);
    VmModel *ms = load(slow);
    ck_assert_ptr_nonnull(ms);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32], gf[32], gs[32], lf, ls;
    size_t dim = vm_model_dim(mf);
    for (int pt = 0; pt < 4; pt++) {
        rt_point(u, dim, pt);
        ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, gf), 0);
        ck_assert_int_eq(vm_log_density(es, u, 1, &ls, gs), 0);
        ck_assert_msg(fabs(lf - ls) <= 1e-12 * fmax(1, fabs(ls)), "lp %.17g vs %.17g", lf, ls);
        for (size_t i = 0; i < dim; i++) ck_assert(fabs(gf[i] - gs[i]) <= 1e-12 * fmax(1, fabs(gs[i])));
    }
    ck_assert_int_eq(rec_runs(ef), 0);     /* the model phase has no recurrence */
    vm_eval_free(ef);
    vm_eval_free(es);
    vm_model_free(mf);
    vm_model_free(ms);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("recur");
    TCase *tc = tcase_create("core");
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, same_as_interpreter, 0, n);
    tcase_add_loop_test(tc, finite_differences, 0, n);
    tcase_add_test(tc, compiled_at_load);
    tcase_add_test(tc, data_phase);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
