/* Every data error of the language spec, with its exact message: the variable, the
 * element index and the value. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/vmod.h"
#include "runtime/model.h"

static const char *model_src =
    "data int<lower=0> N;\n"
    "data vector[N] y;\n"
    "data array[N] int<lower=0, upper=1> z;\n"
    "data matrix[2, 3] X;\n"
    "data vector<lower=0>[N] s;\n"
    "data simplex[3] w = [0.2, 0.3, 0.5]';\n"
    "param real mu;\n"
    "y ~ normal(mu, s);\n";

typedef struct Case { const char *json; const char *expect; } Case;

static const Case cases[] = {
    {"{\"N\": 2, \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'y' is missing: it is not in the data file and has no default in the model\n"},
    {"{\"N\": 2, \"y\": [1, 2, 3], \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'y': expected 2 elements, found 3\n"},
    {"{\"N\": 2, \"y\": [1, 2], \"z\": [0, 1], \"X\": [[1,2,3],[4,5]], \"s\": [1, 1]}",
     "d.json: error: data 'X': X[2] should have 3 elements, found 2\n"},
    {"{\"N\": 2, \"y\": [1, 2], \"z\": [0, 1.5], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'z': z[2] is 1.5, but 'z' is declared int\n"},
    {"{\"N\": 2, \"y\": [1, 2], \"z\": [0, 2], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'z': z[2] is 2, but must be <= 1\n"},
    {"{\"N\": 2, \"y\": [1, 2], \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, -1]}",
     "d.json: error: data 's': s[2] is -1, but must be >= 0\n"},
    {"{\"N\": -1, \"y\": [], \"z\": [], \"X\": [[1,2,3],[4,5,6]], \"s\": []}",
     "d.json: error: data 'N': N is -1, but must be >= 0\n"},
    {"{\"N\": 2, \"y\": [1, \"a\"], \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'y': element y[2] is not a number\n"},
    {"{\"N\": 2, \"y\": 3, \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1]}",
     "d.json: error: data 'y': expected 1 dimension, but the value is not an array\n"},
    {"{\"N\": 2, \"y\": [1, 2], \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 1], \"w\": [0.5, 0.6, 0.1]}",
     "d.json: error: data 'w': the value is not a valid simplex (element 3)\n"},
    {"{\"N\": 2.5}", "d.json: error: data 'N': N is 2.5, but 'N' is declared int\n"},
    {"{\"N\": 2, ", "d.json:1:9: error: invalid JSON: string or '}' expected near end of file"},
    {"[1, 2]", "d.json: error: the data must be a JSON object of variable names"},
};

START_TEST(data_errors)
{
    const Case *c = &cases[_i];
    char *msg = NULL;
    VmModel *m = vm_model_load(model_src, strlen(model_src), "m.vmod", c->json, "d.json", &msg);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strncmp(msg, c->expect, strlen(c->expect)) == 0, "case %d\n got: %s\nwant: %s", _i, msg, c->expect);
    free(msg);
}
END_TEST

START_TEST(extra_variable_warns)
{
    const char *json = "{\"N\": 1, \"y\": [1], \"z\": [0], \"X\": [[1,2,3],[4,5,6]], \"s\": [1], \"extra\": 3}";
    char *msg = NULL;
    VmModel *m = vm_model_load(model_src, strlen(model_src), "m.vmod", json, "d.json", &msg);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(vm_model_warnings(m));
    ck_assert_ptr_nonnull(strstr(vm_model_warnings(m),
        "warning: the data file has 'extra', which the model does not declare (ignored)"));
    vm_model_free(m);
}
END_TEST

START_TEST(defaults_and_layout)
{
    /* embedded defaults are used when the file lacks a name; matrices are read as rows */
    const char *json = "{\"N\": 2, \"y\": [1, 2], \"z\": [0, 1], \"X\": [[1,2,3],[4,5,6]], \"s\": [1, 2]}";
    const char *src = "data int N; data matrix[2,3] X; data vector[N] y; data vector[N] s;\n"
                      "data real c = 2.5; param real mu;\n"
                      "target += -0.5 * square(mu - X[2, 1] * c);\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "m.vmod", json, "d.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    VmEval *e = vm_eval_new(m);
    double u[1] = {10}, lp, g[1];
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    ck_assert_double_eq_tol(lp, -0.5 * 0.0 * 0.0, 1e-12);    /* X[2,1] = 4, c = 2.5: mode at 10 */
    ck_assert_double_eq_tol(g[0], 0, 1e-12);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Stan's check_simplex allows exact zeros in data: [1, 0, 0] is a simplex */
START_TEST(simplex_data_with_zeros)
{
    const char *src = "data simplex[3] w; param real mu; mu ~ normal(w[1], 1);";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "m.vmod", "{\"w\": [1, 0, 0]}", "d.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    vm_model_free(m);
    m = vm_model_load(src, strlen(src), "m.vmod", "{\"w\": [1, -0.1, 0.1]}", "d.json", &msg);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(msg, "data 'w': the value is not a valid simplex (element 2)"));
    free(msg);
}
END_TEST

START_TEST(large_file_loads)
{
    /* 10^6 numbers */
    const int n = 1000000;
    size_t cap = (size_t)n * 12 + 64;
    char *json = malloc(cap);
    size_t k = (size_t)snprintf(json, cap, "{\"N\": %d, \"y\": [", n);
    for (int i = 0; i < n; i++) k += (size_t)snprintf(json + k, cap - k, "%s%d.5", i ? "," : "", i % 1000);
    snprintf(json + k, cap - k, "]}");
    const char *src = "data int N; data vector[N] y; param real mu; y ~ normal(mu, 1);";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "m.vmod", json, "d.json", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    vm_model_free(m);
    free(json);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, data_errors, 0, (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, extra_variable_warns);
    tcase_add_test(tc, defaults_and_layout);
    tcase_add_test(tc, simplex_data_with_zeros);
    tcase_add_test(tc, large_file_loads);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
