/* Parameters with constant bounds (runtime/density.c's bind_constrained): the paths
 * that bind them without a callback (finite lower, upper, and lower and upper bounds,
 * known at load) must give the density and gradient of the general transform, which
 * the same model takes when its bounds hold a parameter (times zero), with and without
 * the Jacobian, at ordinary and extreme points; and match central differences. */
#include <check.h>
#include <stdio.h>
#include "runtime/vmod.h"
#include "tests/runtime/rt_util.h"

static const char *DATA = "{\"lo\": [-1, 0.5, -30], \"hi\": [2.5, 0.75, 40]}";

/* the model with constant bounds, and the same with "+ 0 * mu" in one of them */
typedef struct { const char *name, *fast, *general; } Case;

#define DECLS "data vector[3] lo; data vector[3] hi; param real mu;\n"
#define BODY "target += normal_lpdf(mu | 0.2, 1.5);\n"
static const Case cases[] = {
    {"a scalar in (-1, 2.5)",
     DECLS "param real<lower=-1, upper=2.5> p;\n" BODY "target += normal_lpdf(p | 0.3, 1) + mu * p;",
     DECLS "param real<lower=-1 + 0 * mu, upper=2.5> p;\n" BODY "target += normal_lpdf(p | 0.3, 1) + mu * p;"},
    {"a vector with data bounds per element",
     DECLS "param vector<lower=lo, upper=hi>[3] v;\n" BODY "v ~ normal(mu, 2); target += 0.1 * v[1] * v[3];",
     DECLS "param vector<lower=lo, upper=hi + 0 * mu>[3] v;\n" BODY "v ~ normal(mu, 2); target += 0.1 * v[1] * v[3];"},
    {"lower and upper bounds alone",
     DECLS "param real<lower=0.5> a; param vector<upper=hi>[3] b;\n" BODY "a ~ gamma(2, 1); b ~ normal(a, 3);",
     DECLS "param real<lower=0.5 + 0 * mu> a; param vector<upper=hi + 0 * mu>[3] b;\n" BODY "a ~ gamma(2, 1); b ~ normal(a, 3);"},
};

static const double extremes[] = {0.0, 25.0, -25.0, 300.0, -300.0};

START_TEST(same_as_general)
{
    const Case *c = &cases[_i];
    VmModel *mf = rt_load(c->fast, DATA, NULL, 0), *mg = rt_load(c->general, DATA, NULL, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(mg);
    size_t dim = vm_model_dim(mf);
    ck_assert_uint_eq(dim, vm_model_dim(mg));
    VmEval *ef = vm_eval_new(mf), *eg = vm_eval_new(mg);
    double u[16];
    for (int pt = 0; pt < 4 + 5; pt++) {
        if (pt < 4) rt_point(u, dim, pt);
        else for (size_t i = 0; i < dim; i++) u[i] = i ? extremes[pt - 4] * (i % 2 ? 1 : -0.5) : 0.1;
        for (int jac = 0; jac <= 1; jac++) {
            char nm[160];
            snprintf(nm, sizeof nm, "%s (point %d, jacobian %d)", c->name, pt, jac);
            ck_assert_msg(rt_same_at_jac(ef, eg, u, dim, nm, 1e-12, jac), "%s: lp not finite", nm);
        }
    }
    rt_fd_points(ef, dim, 4, c->name);
    vm_eval_free(ef);
    vm_eval_free(eg);
    vm_model_free(mf);
    vm_model_free(mg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bind");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, same_as_general, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
