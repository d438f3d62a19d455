/* When the REPL stops collecting lines (vrun/repl_input.c): one row per input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/repl_int.h"

static const struct { const char *text; int complete; } stmt_cases[] = {
    {"", 1},
    {"   \n", 1},
    {"// only a comment\n", 1},
    {"# hash comment\n", 1},
    {"param real mu;\n", 1},
    {"param real mu\n", 0},
    {"mu ~ normal(0,\n", 0},
    {"mu ~ normal(0,\n  1);\n", 1},
    {"for (n in 1:N)\n", 0},
    {"for (n in 1:N) {\n", 0},
    {"for (n in 1:N) {\n  y[n] ~ normal(mu, 1);\n", 0},
    {"for (n in 1:N) {\n  y[n] ~ normal(mu, 1);\n}\n", 1},
    {"for (n in 1:N)\n  y[n] ~ normal(mu, 1);\n", 1},
    {"data vector[3] y = [1, 2, 3]'\n", 0},
    {"data vector[3] y = [1, 2, 3]';\n", 1},
    {"mu ~ normal(0, 1); // a { in a comment\n", 1},
    {"mu ~ normal(0, 1); # a ( in a comment\n", 1},
    {"/* unterminated comment;\n", 0},
    {"/* a comment */ mu ~ normal(0, 1);\n", 1},
    {"mu ~ normal(0, 1); /* open\n", 0},
    {"mu ~ normal(0, 1));\n", 1},        /* too many closing: the parser reports it */
    {"x = {1, 2,\n 3};\n", 1},
    {"x = {1, 2,\n", 0},
    {"param real a; param real b;\n", 1},
    {"if (a > 0) {\n b = 1;\n} else {\n", 0},
};

START_TEST(statement_complete)
{
    ck_assert_msg(repl_input_complete(stmt_cases[_i].text) == stmt_cases[_i].complete, "input %d: \"%s\" should be %s",
                  _i, stmt_cases[_i].text, stmt_cases[_i].complete ? "complete" : "incomplete");
}
END_TEST

static const struct { const char *text; int complete; } cmd_cases[] = {
    {":model\n", 1},
    {":run nuts --draws=10\n", 1},
    {":eval mean(theta[1:\n", 1},              /* only :replace continues */
    {":replace 3 mu ~ normal(0, 1);\n", 1},
    {":replace 3 mu ~ normal(0,\n", 0},
    {":replace 3 for (n in 1:N) {\n", 0},
    {":replace 3 for (n in 1:N) {\n y[n] ~ normal(0, 1);\n}\n", 1},
    {":replace\n", 1},                          /* a usage error, not more input */
    {":replaced 3 (\n", 1},                     /* not :replace */
};

START_TEST(command_complete)
{
    ck_assert_msg(repl_command_complete(cmd_cases[_i].text) == cmd_cases[_i].complete, "command %d: \"%s\"", _i,
                  cmd_cases[_i].text);
}
END_TEST

static const struct { const char *line; const char *words[5]; } word_cases[] = {
    {"nuts --draws=10", {"nuts", "--draws=10", NULL}},
    {"   a   b\t c  ", {"a", "b", "c", NULL}},
    {"--output='my draws.csv' x", {"--output=my draws.csv", "x", NULL}},
    {"\"a b\"c", {"a bc", NULL}},
    {"", {NULL}},
};

START_TEST(words)
{
    const char *p = word_cases[_i].line;
    int k = 0;
    for (char *w; (w = repl_word(&p)); k++) {
        ck_assert_ptr_nonnull(word_cases[_i].words[k]);
        ck_assert_str_eq(w, word_cases[_i].words[k]);
        free(w);
    }
    ck_assert_ptr_null(word_cases[_i].words[k]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("repl_input");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, statement_complete, 0, (int)(sizeof stmt_cases / sizeof stmt_cases[0]));
    tcase_add_loop_test(tc, command_complete, 0, (int)(sizeof cmd_cases / sizeof cmd_cases[0]));
    tcase_add_loop_test(tc, words, 0, (int)(sizeof word_cases / sizeof word_cases[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
