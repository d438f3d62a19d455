/* The log density as per-statement terms (vm_log_density_terms) and the table of which
 * terms each coordinate enters (vm_model_term_deps): what Rao-Blackwellised VI reads. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/vmod.h"

#define LOG_SQRT_2PI 0.91893853320467274178

/* Statement indices in the comments: lets, a bound read from another parameter, a
 * vector parameter, a loop, a discrete parameter and a term with no tape variable. */
static const char *src =
    "data int J = 3;\n"                                /* 0 */
    "data vector[J] y = [1, 2, 3]';\n"                 /* 1 */
    "param real mu;\n"                                 /* 2  coordinate 0 */
    "param real<lower=0> tau;\n"                       /* 3  coordinate 1 */
    "param real<lower=mu> b;\n"                        /* 4  coordinate 2, reads mu */
    "param vector[J] th;\n"                            /* 5  coordinates 3..5 */
    "param int<lower=1, upper=2> k;\n"                 /* 6  discrete coordinate 6 */
    "let s = 2 * tau;\n"                               /* 7  a let: no term */
    "mu ~ normal(0, 1);\n"                             /* 8 */
    "tau ~ normal(0, 1);\n"                            /* 9 */
    "b ~ normal(mu, s);\n"                             /* 10 reads tau through s */
    "for (j in 1:J) y[j] ~ normal(th[j] + b, 1);\n"    /* 11 */
    "th ~ normal(0, 1);\n"                             /* 12 */
    "y[k] ~ normal(mu, 1);\n"                          /* 13 */
    "target += log(k);\n"                              /* 14 a constant of the tape */
    "gen z = normal_rng(mu, 1);\n";                    /* 15 */

static VmModel *load(void)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "terms.vmod", NULL, NULL, &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    return m;
}

START_TEST(test_deps)
{
    VmModel *m = load();
    ck_assert_uint_eq(vm_model_dim(m), 6);
    ck_assert_uint_eq(vm_model_ndisc(m), 1);
    ck_assert_uint_eq(vm_model_nterms(m), 16);
    static const int want[7][6] = {
        {2, 4, 8, 10, 13, -1}, {3, 9, 10, -1}, {4, 10, 11, -1},
        {5, 11, 12, -1}, {5, 11, 12, -1}, {5, 11, 12, -1}, {6, 13, 14, -1},
    };
    const size_t *st;
    const int *idx;
    vm_model_term_deps(m, &st, &idx);
    for (size_t i = 0; i < 7; i++) {
        size_t n = 0;
        while (want[i][n] >= 0) n++;
        ck_assert_msg(st[i + 1] - st[i] == n, "coordinate %zu enters %zu terms, want %zu", i,
                      st[i + 1] - st[i], n);
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(idx[st[i] + k] == want[i][k], "coordinate %zu: term %d, want %d", i,
                          idx[st[i] + k], want[i][k]);
    }
    vm_model_free(m);
}
END_TEST

START_TEST(test_values)
{
    VmModel *m = load();
    VmEval *e = vm_eval_new(m);
    const double u[7] = {0.3, -0.4, 0.2, 0.5, -1.1, 0.7, 2};
    double lp, lp2, g[6], g2[6], t[16];
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    ck_assert_int_eq(vm_log_density_terms(e, u, 1, &lp2, g2, t), 0);
    ck_assert(isfinite(lp));
    ck_assert_double_eq(lp, lp2);
    for (int i = 0; i < 6; i++) ck_assert_double_eq(g[i], g2[i]);
    double sum = 0;
    for (int i = 0; i < 16; i++) sum += t[i];
    ck_assert_msg(fabs(sum - lp) < 1e-12 * fmax(1, fabs(lp)), "terms sum to %.17g, lp %.17g", sum, lp);
    /* a few terms by hand */
    double tau = exp(u[1]), b = u[0] + exp(u[2]);
    ck_assert_double_eq_tol(t[2], 0, 1e-15);
    ck_assert_double_eq_tol(t[3], u[1], 1e-15);                       /* log-Jacobian of tau */
    ck_assert_double_eq_tol(t[4], u[2], 1e-15);                       /* of b */
    ck_assert_double_eq_tol(t[8], -0.5 * u[0] * u[0] - LOG_SQRT_2PI, 1e-14);
    ck_assert_double_eq_tol(t[10], -0.5 * pow((b - u[0]) / (2 * tau), 2) - log(2 * tau) - LOG_SQRT_2PI, 1e-14);
    ck_assert_double_eq_tol(t[13], -0.5 * pow(2 - u[0], 2) - LOG_SQRT_2PI, 1e-14);
    ck_assert_double_eq_tol(t[14], log(2), 1e-15);
    ck_assert_double_eq_tol(t[7], 0, 1e-15);
    ck_assert_double_eq_tol(t[15], 0, 1e-15);
    /* the same evaluator again, without a gradient: the same terms */
    double t2[16];
    ck_assert_int_eq(vm_log_density_terms(e, u, 1, &lp2, NULL, t2), 0);
    for (int i = 0; i < 16; i++) ck_assert_double_eq_tol(t[i], t2[i], 1e-14);
    /* outside the support: every term is -inf */
    const double bad[7] = {NAN, 0, 0, 0, 0, 0, 1};
    ck_assert_int_eq(vm_log_density_terms(e, bad, 1, &lp2, g2, t2), 0);
    ck_assert(isinf(lp2) && lp2 < 0);
    for (int i = 0; i < 16; i++) ck_assert(isinf(t2[i]) && t2[i] < 0);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("terms");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_deps);
    tcase_add_test(tc, test_values);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
