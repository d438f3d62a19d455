/* Linear recurrences (runtime/linrec.c): each model must give the density, gradient
 * and message of the same loop run otherwise (linrec.c off at load: the scalar
 * program, or the interpreter behind `if (1)`), linrec.c must really have run it or
 * declined it (Ev.lr_runs), and its gradient must match central differences. */
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
    "{\"N\": 7, \"y\": [0.3, -1.2, 2.5, 0.8, 1.1, -0.4, 0.0],"
    " \"x\": [1.0, 2.0, -0.5, 0.25, 3.0, -2.0, 0.5], \"r0\": 0.4,"
    " \"k\": [0, 3, 1, 7, 2, 0, 5]}";

#define DECLS \
    "data int N; data vector[N] y; data vector[N] x; data real r0; data array[N] int k;\n" \
    "param real mu; param real<lower=-1, upper=1> phi; param real<lower=-1, upper=1> theta;\n" \
    "param real<lower=0> s; param vector[N] th;\n"

/* src; runs: linrec.c takes it at every point (1) or never (0); keep: its runs copy
 * what the reverse pass reads (something after the loop may change it) */
typedef struct { const char *name, *src; int runs, keep; } Case;

static const Case cases[] = {
    {"ARMA(1,1) as Stan's users write it: two arrays, an element of this step",
     DECLS "{ vector[N] nu; vector[N] err; nu[1] = mu + phi * mu; err[1] = y[1] - nu[1];\n"
     "  for (t in 2:N) { nu[t] = mu + phi * y[t - 1] + theta * err[t - 1]; err[t] = y[t] - nu[t]; }\n"
     "  err ~ normal(0, s); }", 1, 0},
    {"ARMA(2,1) with the arrays' first elements from parameters, nu read after the loop",
     DECLS "{ vector[N] nu; vector[N] err; nu[1] = th[1]; nu[2] = th[2]; err[1] = y[1] - nu[1]; err[2] = y[2] - nu[2];\n"
     "  for (t in 3:N) { nu[t] = mu + phi * y[t - 1] - 0.3 * phi * y[t - 2] + theta * err[t - 1];\n"
     "    err[t] = y[t] - nu[t]; }\n"
     "  err ~ normal(0, s); target += -0.1 * dot_self(nu); }", 1, 0},
    {"a local level (random walk) with parameter steps, lag 2, a negated term, coefficients multiplied",
     DECLS "{ vector[N] lv; lv[1] = mu; lv[2] = mu + th[2]; for (t in 3:N) lv[t] = 0.5 * theta * lv[t - 1] - -(0.25 * lv[t - 2]) + th[t] * s;\n"
     "  y ~ normal(lv, s); }", 1, 0},
    {"a term of its own times a coefficient with a parameter, int data, the loop variable as a value",
     DECLS "{ array[N] real m; m[1] = r0; for (t in 2:N) m[t] = phi * (m[t - 1] + k[t] * 0.1 + t * mu) + x[t];\n"
     "  y ~ normal(m, s); }", 1, 0},
    {"constant terms only (no tape variable), the array read after",
     DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) m[t] = 0.5 * m[t - 1] + x[t] * r0; y ~ normal(mu * m, s); }", 1, 0},
    {"a data array assigned (its first element data)",
     DECLS "{ vector[N] m = x; for (t in 2:N) m[t] = theta * m[t - 1] + y[t]; y ~ normal(m, s); }", 1, 0},
    {"one state read by three equations, two of them through elements of this step",
     DECLS "{ vector[N] a; vector[N] b; vector[N] c; a[1] = mu; b[1] = th[1]; c[1] = r0;\n"
     "  for (t in 2:N) { a[t] = theta * c[t - 1] + x[t]; b[t] = 0.5 * a[t] - phi * c[t - 1] + th[t];\n"
     "    c[t] = b[t] - 2 * a[t] + s * c[t - 1]; }\n"
     "  y ~ normal(c, s); target += -0.2 * dot_self(a) - 0.1 * dot_self(b); }", 1, 0},
    {"MA(1): one array, its own element at t - 1",
     DECLS "{ vector[N] err; err[1] = y[1] - mu; for (t in 2:N) err[t] = y[t] - mu - theta * err[t - 1];\n"
     "  err ~ normal(0, s); }", 1, 0},
    {"an element out of range (declined, the interpreter's message)",
     DECLS "{ vector[N] m; m[1] = 0; for (t in 2:N + 1) m[t] = m[t - 1] * theta + 1; y ~ normal(m[1:N], s); }", 0, 0},
    {"a lag reaching before the array (declined)",
     DECLS "{ vector[N] m; m[1] = 0; m[2] = 1; for (t in 2:N) m[t] = m[t - 2] * theta + 1; y ~ normal(m, s); }", 0, 0},
    {"a term that fails (index out of range in data, declined)",
     DECLS "{ vector[N] m; m[1] = 0; for (t in 2:N) m[t] = m[t - 1] * theta + x[t + 1]; y ~ normal(m, s); }", 0, 0},
    {"the arrays assigned after the loop: the reverse pass reads copies",
     DECLS "{ vector[N] nu; vector[N] err; nu[1] = mu; err[1] = y[1] - nu[1];\n"
     "  for (t in 2:N) { nu[t] = mu + phi * y[t - 1] + theta * err[t - 1]; err[t] = y[t] - nu[t]; }\n"
     "  err ~ normal(0, s); err[2] = 0; nu = 2 * nu; target += -0.1 * dot_self(err) - 0.05 * dot_self(nu); }", 1, 1},
    {"a term's variable assigned after the loop: copies",
     DECLS "{ vector[N] z = th; vector[N] m; m[1] = mu; for (t in 2:N) m[t] = phi * z[t - 1] + theta * m[t - 1];\n"
     "  y ~ normal(m, s); z[3] = 5; target += -0.1 * dot_self(z); }", 1, 1},
    {"arrays declared outside the loop's block: copies",
     DECLS "{ vector[N] m; m[1] = mu; { for (t in 2:N) m[t] = theta * m[t - 1] + x[t] * th[t]; }\n"
     "  y ~ normal(m, s); }", 1, 1},
    {"a model-level let, read after the loop: its own storage",
     DECLS "let vector[N] m; m[1] = mu; for (t in 2:N) m[t] = theta * m[t - 1] + x[t] * th[t];\n"
     "y ~ normal(m, s); target += -0.1 * dot_self(m);", 1, 0},
    {"a block run twice by an outer loop, its array made anew each time",
     DECLS "for (r in 1:2) { vector[N] m; m[1] = r0 * r; for (t in 2:N) m[t] = theta * m[t - 1] + x[t] * th[t];\n"
     "  y ~ normal(m, s); target += -0.01 * sum(cumulative_sum(m)); }", 1, 0},
};

/* not linear (the plan gives them another strategy) */
static const char *not_linear[] = {
    DECLS "{ vector[N] m; m[1] = 0; for (t in 2:N) m[t] = m[t - 1] * m[t - 1] * 0.1 + x[t]; y ~ normal(m, s); }",
    DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) m[t] = exp(0.1 * m[t - 1]); y ~ normal(m, s); }",
    DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) m[t] = y[t] / m[t - 1]; y ~ normal(m, s); }",
    DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) m[t] = m[t - 1] * x[t]; y ~ normal(m, s); }",
    DECLS "{ vector[N] a; vector[N] b; a[1] = 0; b[1] = 0; for (t in 2:N) { a[t] = b[t] + 1; b[t] = a[t - 1]; } y ~ normal(a + b, s); }",
    DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) { m[t] = m[t - 1] * 0.5; y[t] ~ normal(m[t], s); } }",
    DECLS "{ vector[N] m; m[1] = 1; for (t in 2:N) m[t] += m[t - 1] * 0.5; y ~ normal(m, s); }",
};

static VmModel *load(const char *src, int lin) { return rt_load(src, DATA, &vm_plan_linrec_disabled, !lin); }
static long lr_runs(VmEval *e) { return ((Ev *)e)->lr_runs; }

START_TEST(same_as_other_strategies)
{
    const Case *c = &cases[_i];
    VmModel *mf = load(c->src, 1), *ms = load(c->src, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    const Plan *pl = ((Model *)mf)->plan;
    ck_assert_int_eq(pl->nlin, 1);
    ck_assert_int_eq(((Model *)ms)->plan->nlin, 0);
    for (int i = 0; i < pl->cap; i++)
        if (pl->tab[i].lin) ck_assert_msg(lr_keeps(pl->tab[i].lin) == c->keep, "%s: keeps copies %d", c->name, !c->keep);
    size_t dim = vm_model_dim(mf);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32];
    int taken = 0;
    for (int pt = 0; pt < 6; pt++) {
        rt_point(u, dim, pt);
        long before = lr_runs(ef);
        rt_same_at(ef, es, u, dim, c->name, 1e-11);
        taken += lr_runs(ef) > before;
    }
    if (c->runs) ck_assert_msg(taken == 6, "%s: taken at %d points", c->name, taken);
    else ck_assert_msg(taken == 0, "%s: taken at %d points", c->name, taken);
    ck_assert_int_eq(lr_runs(es), 0);
    vm_eval_free(ef);
    vm_eval_free(es);
    vm_model_free(mf);
    vm_model_free(ms);
}
END_TEST

START_TEST(finite_differences)
{
    const Case *c = &cases[_i];
    if (!c->runs) return;
    VmModel *m = load(c->src, 1);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    rt_fd_points(e, vm_model_dim(m), 3, c->name);
    ck_assert(lr_runs(e) > 0);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

START_TEST(other_shapes_refused)
{
    VmModel *m = load(not_linear[_i], 1);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(((Model *)m)->plan->nlin == 0, "model %d planned as a linear recurrence", _i);
    vm_model_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("linrec");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, same_as_other_strategies, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, finite_differences, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, other_shapes_refused, 0, (int)(sizeof not_linear / sizeof not_linear[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
