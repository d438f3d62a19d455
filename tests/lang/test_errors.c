/* The catalogue of wrong models: tests/lang/errors/NAME.vmod and, beside it,
 * NAME.expected, the exact text `vrun --check` prints (file:line:col, message, the
 * source line, caret and tildes).  VMOD_REGEN=1 rewrites the .expected files from the
 * current output (review the diff before committing). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang_util.h"

static char **cases;
static int ncases;

START_TEST(test_case)
{
    const char *name = cases[_i];
    char rel[512];
    snprintf(rel, sizeof rel, "tests/lang/errors/%s", name);
    char *path = tl_src_path(rel);
    size_t len;
    char *src = tl_read(path, &len);
    ck_assert_msg(src != NULL, "cannot read %s", path);
    TlRun r;
    tl_run(&r, name, src, len);
    free(path);
    snprintf(rel, sizeof rel, "tests/lang/errors/%.*s.expected", (int)(strlen(name) - 5), name);
    char *epath = tl_src_path(rel);
    if (getenv("VMOD_REGEN")) {
        FILE *f = fopen(epath, "w");
        ck_assert_ptr_nonnull(f);
        fputs(r.rendered, f);
        fclose(f);
    }
    char *expected = tl_read(epath, NULL);
    ck_assert_msg(expected != NULL, "%s has no .expected file", name);
    ck_assert_msg(strcmp(expected, r.rendered) == 0, "%s:\n--- expected\n%s--- got\n%s", name, expected, r.rendered);
    /* a case is an error case exactly when it expects an error; warnings alone pass */
    int wants_error = strstr(expected, ": error: ") != NULL;
    ck_assert_int_eq(wants_error, r.ir == NULL);
    ck_assert_int_eq(wants_error, r.diags.nerrors > 0);
    ck_assert_msg(r.diags.n > 0, "%s: no diagnostic at all", name);
    free(expected);
    free(epath);
    tl_run_free(&r);
    free(src);
}
END_TEST

START_TEST(test_catalogue_size)
{
    ck_assert_int_ge(ncases, 40);
}
END_TEST

int main(void)
{
    ncases = tl_list("tests/lang/errors", ".vmod", &cases);
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("catalogue");
    tcase_add_test(tc, test_catalogue_size);
    tcase_add_loop_test(tc, test_case, 0, ncases);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < ncases; i++) free(cases[i]);
    free(cases);
    return nf ? 1 : 0;
}
