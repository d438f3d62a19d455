/* The fast paths of fast.c (fused affine locations, the normal / bernoulli_logit /
 * poisson_log kernels) are chosen per statement at load (runtime/plan_fast.c).  Each
 * case checks that (1) the plan's choices are the ones the evaluator used to make at
 * every call (vm_plan_fast_check counts each disagreement), (2) the plan chose the
 * number of kernels and affine values the model's shape calls for, and (3) density
 * and gradient equal the interpreter's (vm_plan_fast_disabled: no fast path), and the
 * gradient the finite differences of the density. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "runtime/eval.h"
#include "runtime/model.h"
#include "runtime/plan.h"
#include "tests/runtime/rt_util.h"

static const char *DATA =
    "{\"N\": 7, \"J\": 3, \"y\": [0.3, -1.2, 2.5, 0.8, 1.1, -0.4, 0.0],"
    " \"x\": [1.0, 2.0, -0.5, 0.25, 3.0, -2.0, 0.5],"
    " \"sv\": [1.0, 0.5, 2.0, 1.5, 0.7, 1.2, 3.0],"
    " \"z\": [0, 1, 1, 0, 1, 0, 1], \"k\": [0, 3, 1, 7, 2, 0, 5], \"g\": [1, 3, 2, 2, 1, 3, 1],"
    " \"X\": [[1, 0.5], [0.2, -1], [0.3, 0.3], [-2, 1], [0.1, 0.9], [1.5, -0.4], [0, 1]]}";

#define DECLS \
    "data int N; data int J; data vector[N] y; data vector[N] x; data vector[N] sv;\n" \
    "data array[N] int z; data array[N] int k; data array[N] int g; data matrix[N, 2] X;\n" \
    "param real a; param real b; param real c; param real<lower=0> s;\n" \
    "param vector[N] th; param vector[J] al; param vector[2] be;\n"

#define T11 "a * x + b * sv + c * y + a * x + b * sv + c * y + a * x + b * sv + c * y + a * x + b * sv + "

/* ndist: statements given a kernel; naff: values (or locations) planned affine in
 * either context; ntilde: `~` statements whose operands are variables and literals
 * (PlTilde: read from the environment, nothing evaluated) */
typedef struct { const char *name, *src; int ndist, naff, ntilde; } Case;

static const Case cases[] = {
    {"affine location, three kernels", DECLS "y ~ normal(a + b * x, s); z ~ bernoulli_logit(a - c * x);\n"
     "k ~ poisson_log(0.1 * x + b);", 3, 3},
    {"lpdf calls in expressions, one affine", DECLS "target += normal_lpdf(y | a + b * x, s) + 0;\n"
     "target += 0.5 * bernoulli_logit_lpmf(z | th);", 2, 1},
    {"a product of two parameters is not affine", DECLS "y ~ normal(a * b + x, s); y ~ normal(th * a, s);", 2, 0},
    {"a product of two data vectors is not affine", DECLS "y ~ normal(x .* sv + a, s);", 1, 0},
    {"a matrix product is not affine", DECLS "y ~ normal(X * be + a, s);", 1, 0},
    {"more terms than the form holds (32)",
     DECLS "y ~ normal(" T11 T11 T11 "a * x, s);", 1, 0},
    {"vectorised loop: a data matrix's row times a parameter vector",
     DECLS "for (n in 1:N) y[n] ~ normal(al[g[n]] + X[n] * be - 0.5 * c, s);", 1, 1},
    {"vectorised loop: a row product inside a value, and a product of two",
     DECLS "for (n in 1:N) { real m = exp(0.1 * (X[n] * be)); y[n] ~ normal(m * (X[n] * be), s); }", 1, 0},
    {"scalar values are not tried, nor a parameter vector as a term",
     DECLS "{ real q = a + b; vector[N] m = a + b * x; m = m + c * sv; vector[N] w = c * sv - q;\n"
     "  y ~ normal(m, s); y ~ normal(w, s); }", 2, 2, 2},
    {"vectorised loop: varying and invariant values",
     DECLS "for (n in 1:N) { real m = a + b * x[n]; real q = a + c; y[n] ~ normal(m + q, s); }", 1, 2},
    {"vectorised loop: two varying factors",
     DECLS "for (n in 1:N) y[n] ~ normal(x[n] * sv[n] + a, s);", 1, 0},
    {"vectorised loop: an element assignment and a lookup",
     DECLS "{ vector[N] m; for (n in 1:N) { m[n] = al[g[n]] + b * x[n]; y[n] ~ normal(m[n], s); } }", 1, 1},
    {"a loop the plan does not vectorise (carried value)",
     DECLS "{ vector[N] m; m[1] = a; for (n in 2:N) { m[n] = m[n - 1] * 0.5 + b * x[n]; y[n] ~ normal(m[n], s); } }", 1, 0},
    {"other families have no kernel", DECLS "y ~ cauchy(a + b * x, s); y ~ student_t(3, a, s);", 0, 0, 1},
    {"variables and literals as operands: normal's kernel, a family's scalar entry point, containers",
     DECLS "a ~ normal(0, 10); b ~ normal(-1, 2.5); s ~ cauchy(0, 2.5); c ~ student_t(3, -0.5, 1);\n"
     "th ~ normal(a, s); y ~ normal(a, s); al ~ logistic(0, 1); be ~ normal(b, 1); J ~ poisson(s);\n"
     "k ~ poisson(s); s ~ gamma(2, s); s ~ exponential(1); c ~ normal(a, s); J ~ normal(a, s);", 7, 0, 14},
    {"flattened variates with scalar operands (the elements as stored); with a vector location, not",
     DECLS "to_vector(X) ~ normal(a, s); to_row_vector(th) ~ normal(b, 2); to_array_1d(al) ~ normal(0, s);\n"
     "to_vector(be) ~ normal(be, 1); to_vector(X) ~ normal(a, 1.5);", 5, 0, 4},
    {"a density inside a location is not a term of its own (its partials are not final)",
     DECLS "a ~ normal(normal_lpdf(b | 0, 1) + c, 2); target += normal_lpdf(th | a, s);\n"
     "y ~ normal(0.5 * normal_lpdf(a | b, 1), s);", 5, 0, 0},
};

static VmModel *load(const char *src, int fast) { return rt_load(src, DATA, &vm_plan_fast_disabled, !fast); }

static void point(double *u, size_t dim, int pt)
{
    for (size_t i = 0; i < dim; i++) u[i] = 0.7 * sin(1.7 * (double)i + 1.9 * pt + 0.3);
}

START_TEST(plan_matches_evaluator)
{
    const Case *c = &cases[_i];
    VmModel *mf = load(c->src, 1), *ms = load(c->src, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    const Plan *p = ((Ev *)ef)->m->plan;
    ck_assert_msg(p->nfdist == c->ndist, "%s: %d kernels planned, expected %d", c->name, p->nfdist, c->ndist);
    ck_assert_msg(p->nfaff == c->naff, "%s: %d affine values planned, expected %d", c->name, p->nfaff, c->naff);
    ck_assert_msg(p->ntilde == c->ntilde, "%s: %d statements with operands, expected %d", c->name, p->ntilde, c->ntilde);
    ck_assert_int_eq(((Ev *)es)->m->plan->nfdist + ((Ev *)es)->m->plan->nfaff + ((Ev *)es)->m->plan->ntilde, 0);
    size_t dim = vm_model_dim(mf);
    double u[64], gf[64], gs[64], lf, ls;
    ck_assert(dim <= 64);
    for (int pt = 0; pt < 3; pt++) {
        point(u, dim, pt);
        vm_plan_fast_mismatch = 0;
        vm_plan_fast_check = 1;
        int rc = vm_log_density(ef, u, 1, &lf, gf);
        vm_plan_fast_check = 0;
        ck_assert_int_eq(rc, 0);
        ck_assert_msg(vm_plan_fast_mismatch == 0, "%s: %ld verdicts differ from the evaluator's", c->name,
                      vm_plan_fast_mismatch);
        ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, gf), 0);
        ck_assert_int_eq(vm_log_density(es, u, 1, &ls, gs), 0);
        ck_assert_msg(fabs(lf - ls) <= 1e-12 * fmax(1, fabs(ls)), "%s: lp %.17g vs %.17g", c->name, lf, ls);
        for (size_t i = 0; i < dim; i++)
            ck_assert_msg(fabs(gf[i] - gs[i]) <= 1e-10 * fmax(1, fabs(gs[i])), "%s: grad[%zu] %.17g vs %.17g",
                          c->name, i, gf[i], gs[i]);
        for (size_t i = 0; i < dim; i++) {          /* central differences */
            double h = 1e-6, up, dn, save = u[i];
            u[i] = save + h;
            ck_assert_int_eq(vm_log_density(ef, u, 1, &up, NULL), 0);
            u[i] = save - h;
            ck_assert_int_eq(vm_log_density(ef, u, 1, &dn, NULL), 0);
            u[i] = save;
            double fd = (up - dn) / (2 * h);
            ck_assert_msg(fabs(fd - gf[i]) <= 1e-5 * fmax(1, fabs(fd)), "%s: grad[%zu] %.10g, differences %.10g",
                          c->name, i, gf[i], fd);
        }
    }
    vm_eval_free(ef); vm_eval_free(es);
    vm_model_free(mf); vm_model_free(ms);
}
END_TEST

/* An invalid argument met through the operands gets the interpreter's message. */
static const char *invalid_srcs[] = {DECLS "a ~ normal(0, -1);", DECLS "s ~ cauchy(0, -2.5);",
                                     DECLS "y ~ normal(a, -2);", DECLS "a ~ gamma(s, -1);",
                                     DECLS "to_vector(X) ~ normal(a, -1);"};

START_TEST(operands_invalid_argument)
{
    const char *src = invalid_srcs[_i];
    VmModel *mf = load(src, 1), *ms = load(src, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    ck_assert_int_eq(((Ev *)ef)->m->plan->ntilde, 1);
    size_t dim = vm_model_dim(mf);
    double u[64], g[64], lf, ls;
    point(u, dim, 0);
    vm_log_density(ef, u, 1, &lf, g);
    vm_log_density(es, u, 1, &ls, g);
    ck_assert(lf == -INFINITY && ls == -INFINITY);
    char *wf = vm_eval_explain(ef), *ws = vm_eval_explain(es);
    ck_assert_ptr_nonnull(wf);
    ck_assert_ptr_nonnull(ws);
    ck_assert_str_eq(wf, ws);
    ck_assert_ptr_nonnull(strstr(wf, ":5:"));     /* the statement's line */
    free(wf); free(ws);
    vm_eval_free(ef); vm_eval_free(es);
    vm_model_free(mf); vm_model_free(ms);
}
END_TEST

/* A root term's partials go into the adjoints during the forward pass (tape_seed): an
 * evaluation that fails after them, or one without a gradient, leaves nothing behind
 * for the next (each evaluation starts from zero adjoints). */
START_TEST(seeds_do_not_leak)
{
    const char *src = DECLS "a ~ normal(0, 2); th ~ normal(a, s); y ~ normal(b, s);\n"
                      "if (c > 0.5) reject(\"c is \", c);\nal ~ cauchy(0, 1);";
    VmModel *m = load(src, 1);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m), *f = vm_eval_new(m);
    size_t dim = vm_model_dim(m);
    double u[64], g[64], gf[64], lp, lf;
    point(u, dim, 1);
    u[2] = -1;                          /* c: accepted */
    ck_assert_int_eq(vm_log_density(f, u, 1, &lf, gf), 0);
    for (int round = 0; round < 3; round++) {
        double v[64];
        memcpy(v, u, sizeof v);
        v[2] = 2;                       /* rejected after the seeds */
        vm_log_density(e, v, 1, &lp, g);
        ck_assert(lp == -INFINITY);
        vm_log_density(e, v, 0, &lp, NULL);
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
        ck_assert(lp == lf);
        for (size_t i = 0; i < dim; i++) ck_assert_msg(g[i] == gf[i], "grad[%zu] %.17g vs %.17g", i, g[i], gf[i]);
    }
    vm_eval_free(e); vm_eval_free(f);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("plan_fast");
    TCase *tc = tcase_create("plan_fast");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, plan_matches_evaluator, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, operands_invalid_argument, 0, (int)(sizeof invalid_srcs / sizeof invalid_srcs[0]));
    tcase_add_test(tc, seeds_do_not_leak);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
