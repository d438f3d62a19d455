/* map: the mode of a posterior known in closed form, and the Laplace approximation on
 * a near-Gaussian shared posterior. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "tests/pdb_run.h"
#include "runtime/vmod.h"

extern const Backend backend_map;

/* y ~ normal(mu, 2), mu ~ normal(1, 3): the mode is the precision-weighted mean */
START_TEST(mode_of_conjugate_normal)
{
    const char *src = "data int N; data vector[N] y; param real mu; param real<lower=0> s;\n"
                      "mu ~ normal(1, 3); s ~ lognormal(0, 0.5); y ~ normal(mu, 2);\n";
    const char *data = "{\"N\": 4, \"y\": [2.5, 3.1, 0.4, 1.9]}";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "m.vmod", data, "d.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    VmEval *e = vm_eval_new(m);
    BkTarget t = {vm_model_dim(m), 0, NULL, NULL, NULL, NULL, m};
    BkSettings s = {.iters = 1000};
    char err[256];
    void *st = backend_map.create(&s, &t, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    double u0[2] = {-1.5, 0.7};
    ck_assert_int_eq(backend_map.init(st, &t, NULL, u0, err, sizeof err), 0);
    int rc = BK_OK;
    for (long i = 0; i < 1000 && rc == BK_OK; i++) rc = backend_map.step(st, &t, NULL, i, 0, err, sizeof err);
    ck_assert_int_eq(rc, BK_DONE);
    double u[2], lp, cols[1];
    backend_map.draw(st, NULL, u, &lp, cols);
    double sy = 2.5 + 3.1 + 0.4 + 1.9, prec = 1 / 9.0 + 4 / 4.0;
    double mode_mu = (1 / 9.0 + sy / 4.0) / prec;
    ck_assert_msg(fabs(u[0] - mode_mu) < 1e-6, "mu mode %.10g, exact %.10g", u[0], mode_mu);
    /* lognormal(0, 0.5) on the constrained scale without Jacobian: mode exp(-0.25) */
    ck_assert_msg(fabs(exp(u[1]) - exp(-0.25)) < 1e-6, "s mode %.10g", exp(u[1]));
    backend_map.free(st);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

START_TEST(laplace_on_kidiq)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/posteriordb", getenv("VMOD_SHARED"));
    BkOpt opts[] = {{"laplace", "true"}, {NULL, NULL}};
    PdbSpec s = {"map", 1, 1, 0, 4000, 2000, 0, 0, 0, 7, opts, 1};
    PdbOutcome o;
    ck_assert_msg(pdb_run(dir, getenv("VMOD_SRC"), "kidiq-kidscore_momiq", &s, &o) == 0, "%s", o.msg);
    fprintf(stderr, "laplace kidiq: err/sd %.3f sd ratio %.2f-%.2f\n", o.max_err_sd, o.sd_ratio_lo, o.sd_ratio_hi);
    /* the Gaussian is centred at the mode of log sigma, not its mean: sigma, right-skewed,
     * comes out about 0.1 sd low, an error of the approximation, not of the code */
    ck_assert_msg(o.max_err_sd < 0.15, "%s off by %.3f sd", o.worst, o.max_err_sd);
    ck_assert(o.sd_ratio_lo > 0.9 && o.sd_ratio_hi < 1.1);
}
END_TEST

START_TEST(refuses_discrete)
{
    double lo[1] = {0}, hi[1] = {1};
    BkTarget t = {1, 1, lo, hi, NULL, NULL, NULL};
    BkSettings s = {0};
    char err[256];
    ck_assert_ptr_null(backend_map.create(&s, &t, err, sizeof err));
    ck_assert_str_eq(err, "map needs gradients: the model has 1 discrete parameter value(s); use --method=mh");
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("map");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, mode_of_conjugate_normal);
    tcase_add_test(tc, laplace_on_kidiq);
    tcase_add_test(tc, refuses_discrete);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
