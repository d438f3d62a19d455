/* docs/functions.md is what tools/gen_functions_doc writes from the tables: a table
 * row added without regenerating the page fails here. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/functions_doc.h"
#include "stdlib/mathfn.h"
#include "stdlib/dist.h"
#include "runtime/eval.h"

static char *generated(size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fdoc_write(f), 0);
    fclose(f);
    return buf;
}

static char *committed(size_t *len)
{
    const char *src = getenv("VMOD_SRC");
    ck_assert_msg(src != NULL, "VMOD_SRC is not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/functions.md", src);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s is missing: run `ninja -C build functions-doc`", path);
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

START_TEST(page_is_current)
{
    size_t ng, nc;
    char *g = generated(&ng), *c = committed(&nc);
    size_t k = 0;
    while (k < ng && k < nc && g[k] == c[k]) k++;
    ck_assert_msg(ng == nc && k == ng, "docs/functions.md is stale (first difference at byte %zu): "
                  "run `ninja -C build functions-doc` and commit it", k);
    free(g);
    free(c);
}
END_TEST

/* Every row of every table has its line on the page. */
START_TEST(page_lists_every_row)
{
    size_t n;
    char *g = generated(&n), key[128];
    for (const MathFn *m = mathfn_table; m->name; m++) {
        snprintf(key, sizeof key, m->arity ? "| `%s` | `" : "| `%s()` |", m->name);
        ck_assert_msg(strstr(g, key) != NULL, "math function %s is not listed", m->name);
    }
    for (const struct Builtin *b = builtin_table; b->name; b++) {
        snprintf(key, sizeof key, "| `%s` | ", b->name);
        ck_assert_msg(strstr(g, key) != NULL, "builtin %s is not listed", b->name);
    }
    for (const Dist *const *d = dist_table; *d; d++) {
        snprintf(key, sizeof key, "| `%s` | %s (%c", (*d)->name, (*d)->argnames[0], (*d)->sig[0]);
        ck_assert_msg(strstr(g, key) != NULL, "distribution %s is not listed", (*d)->name);
        snprintf(key, sizeof key, "`%s_%s`", (*d)->name, (*d)->discrete ? "lpmf" : "lpdf");
        ck_assert_msg(strstr(g, key) != NULL, "%s", key);
    }
    ck_assert_ptr_nonnull(strstr(g, "`matrix mdivide_right_tri_low(matrix, matrix)`"));
    ck_assert_ptr_nonnull(strstr(g, "`normal_rng`, `normal_cdf`, `normal_lcdf`, `normal_lccdf`"));
    free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("functions_doc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, page_is_current);
    tcase_add_test(tc, page_lists_every_row);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
