/* driver/radix.c against a comparison sort: the same bits in the same order as a
 * stable sort by (x > y) - (x < y) (so -0.0 and +0.0 tie and keep their order), for
 * doubles and (value, position) pairs, short and long arrays, ties, zeros of both
 * signs, infinities, subnormals. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "driver/radix.h"

static const double *ref_x;

/* by value, then position: a total order, so qsort's own stability does not matter */
static int ref_cmp(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    double x = ref_x[i], y = ref_x[j];
    if (x != y) return (x > y) - (x < y);
    return (i > j) - (i < j);
}

static unsigned long long lcg_state;
static double lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* kind 0: spread values; 1: few distinct values; 2: zeros of both signs, infinities,
 * subnormals and extremes among them; 3: all equal */
static void fill(double *x, size_t n, int kind)
{
    static const double odd[] = {0.0, -0.0, INFINITY, -INFINITY, DBL_MIN / 8, -DBL_MIN / 8, DBL_MAX, -DBL_MAX, 1, -1};
    for (size_t i = 0; i < n; i++) {
        double u = lcg();
        switch (kind) {
        case 0: x[i] = (u - 0.5) * pow(10, 12 * lcg() - 6); break;
        case 1: x[i] = floor(u * 5) - 2; break;
        case 2: x[i] = lcg() < 0.5 ? odd[(size_t)(u * 10)] : u - 0.5; break;
        default: x[i] = 3.25; break;
        }
    }
}

static const size_t sizes[] = {0, 1, 2, 3, 47, 48, 49, 257, 5000, 100003};

START_TEST(doubles_as_a_stable_sort)
{
    size_t n = sizes[_i % 10];
    int kind = _i / 10;
    lcg_state = 12345 + (unsigned long long)_i;
    double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y), *tmp = malloc((n + 1) * sizeof *tmp);
    size_t *idx = malloc((n + 1) * sizeof *idx);
    fill(x, n, kind);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    ref_x = x;
    qsort(idx, n, sizeof *idx, ref_cmp);
    memcpy(y, x, n * sizeof *x);
    radix_doubles(y, n, tmp);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(!memcmp(&y[i], &x[idx[i]], sizeof y[i]), "n %zu kind %d: at %zu %a, not %a", n, kind, i, y[i],
                      x[idx[i]]);
    free(x), free(y), free(tmp), free(idx);
}
END_TEST

START_TEST(pairs_by_value_then_position)
{
    size_t n = sizes[_i % 10];
    int kind = _i / 10;
    lcg_state = 777 + (unsigned long long)_i;
    double *x = malloc((n + 1) * sizeof *x);
    size_t *idx = malloc((n + 1) * sizeof *idx);
    RadixPair *p = malloc((n + 1) * sizeof *p), *tmp = malloc((n + 1) * sizeof *tmp);
    fill(x, n, kind);
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        p[i] = (RadixPair){x[i], i};
    }
    ref_x = x;
    qsort(idx, n, sizeof *idx, ref_cmp);
    radix_pairs(p, n, tmp);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(p[i].i == idx[i] && !memcmp(&p[i].v, &x[idx[i]], sizeof p[i].v),
                      "n %zu kind %d: at %zu position %zu, not %zu", n, kind, i, p[i].i, idx[i]);
    free(x), free(idx), free(p), free(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("radix");
    TCase *tc = tcase_create("radix");
    tcase_add_loop_test(tc, doubles_as_a_stable_sort, 0, 40);
    tcase_add_loop_test(tc, pairs_by_value_then_position, 0, 40);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
