/* Inputs at and past the front end's limits: each gives a result or one clear error,
 * never a crash (they overflowed the C stack, or were refused at line 1). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang_util.h"

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *unit2, int n2,
                    const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * (size_t)n + strlen(mid) + strlen(unit2) * (size_t)n2 + strlen(tail) + 1;
    char *s = malloc(len), *p = s;
    p = stpcpy(p, head);
    for (int i = 0; i < n; i++) p = stpcpy(p, unit);
    p = stpcpy(p, mid);
    for (int i = 0; i < n2; i++) p = stpcpy(p, unit2);
    stpcpy(p, tail);
    return s;
}

static void run(const char *src, TlRun *r) { tl_run(r, "limits.vmod", src, strlen(src)); }

START_TEST(long_sum_is_refused_not_crashed)
{
    /* 100,000 chained '+': deeper than VM_MAX_EXPR_DEPTH */
    char *s = repeat("data real a;\nparam real mu;\nmu ~ normal(a", "+a", 100000, "", "", 0, ", 1);\n");
    TlRun r;
    run(s, &r);
    ck_assert_ptr_null(r.prog);
    ck_assert_int_eq(r.diags.nerrors, 1);
    ck_assert_msg(strstr(r.rendered, "limits.vmod:3:13: error: expression nested too deeply") == r.rendered,
                  "%.300s", r.rendered);
    tl_run_free(&r);
    free(s);
}
END_TEST

START_TEST(sum_at_the_limit_checks)
{
    char *s = repeat("data real a;\nparam real mu;\nmu ~ normal(a", "+a", VM_MAX_EXPR_DEPTH - 1, "", "", 0, ", 1);\n");
    TlRun r;
    run(s, &r);
    ck_assert_msg(r.ir != NULL, "%.300s", r.rendered);
    char *f = vm_format(r.prog);       /* the formatter recurses as deep */
    ck_assert_ptr_nonnull(strstr(f, "a + a + a"));
    free(f);
    tl_run_free(&r);
    free(s);
}
END_TEST

START_TEST(long_else_if_chain_checks)
{
    /* 1,000 branches: each one holds parser stack until the chain ends */
    char *s = repeat("data int k;\nparam real mu;\nmu ~ normal(0, 1);\ngen real x;\nif (k == 0) x = 0;\n",
                     "else if (k == 1) x = 1;\n", 1000, "else x = -1;\n", "", 0, "");
    TlRun r;
    run(s, &r);
    ck_assert_msg(r.ir != NULL, "%.300s", r.rendered);
    tl_run_free(&r);
    free(s);
}
END_TEST

START_TEST(deep_blocks_point_at_the_token)
{
    char *s = repeat("param real mu;\nmu ~ normal(0, 1);\n", "{", 20000, "", "}", 20000, "\n");
    TlRun r;
    run(s, &r);
    ck_assert_ptr_null(r.prog);
    ck_assert_int_eq(r.diags.nerrors, 1);
    /* line 3, not line 1: the brace where the stack ran out */
    ck_assert_msg(strncmp(r.rendered, "limits.vmod:3:", 14) == 0, "%.100s", r.rendered);
    ck_assert_ptr_nonnull(strstr(r.rendered, "nested too deeply here"));
    tl_run_free(&r);
    free(s);
}
END_TEST

START_TEST(literals_out_of_range)
{
    static const char *const cases[][2] = {
        {"data int N = 2147483648;\n", "integer literal is out of the int range"},
        {"data int N = 99999999999999999999999;\n", "integer literal is out of the int range"},
        {"data real x = 1e309;\n", "real literal is too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        TlRun r;
        run(cases[i][0], &r);
        ck_assert_ptr_null(r.prog);
        ck_assert_msg(strstr(r.rendered, cases[i][1]) != NULL, "%s", r.rendered);
        tl_run_free(&r);
    }
    TlRun r;
    run("data int N = 2147483647;\ndata real x = 1.7976931348623157e308;\ndata real y = 1e-400;\n", &r);
    ck_assert_msg(r.ir != NULL, "%s", r.rendered);
    tl_run_free(&r);
}
END_TEST

START_TEST(nul_and_empty_inputs)
{
    TlRun r;
    tl_run(&r, "empty.vmod", "", 0);
    ck_assert_ptr_nonnull(r.ir);          /* an empty model is valid: no statements */
    tl_run_free(&r);
    static const char with_nul[] = "param real mu;\0mu ~ normal(0, 1);\n";
    tl_run(&r, "nul.vmod", with_nul, sizeof with_nul - 1);
    ck_assert_ptr_null(r.prog);
    ck_assert_ptr_nonnull(strstr(r.rendered, "nul.vmod:1:15: error: unexpected NUL byte"));
    tl_run_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, long_sum_is_refused_not_crashed);
    tcase_add_test(tc, sum_at_the_limit_checks);
    tcase_add_test(tc, long_else_if_chain_checks);
    tcase_add_test(tc, deep_blocks_point_at_the_token);
    tcase_add_test(tc, literals_out_of_range);
    tcase_add_test(tc, nul_and_empty_inputs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
