/* The hand-written baselines of bench/handwritten.c against Stan: a benchmark ratio
 * means nothing if the baseline computes something else.  At every point of each
 * posterior's gradients.json: lp_full_jacobian to 1e-10 and grad_jacobian to 1e-8
 * (|x - x_stan| / max(1, |x_stan|), posteriordb/README.md), and the gradient
 * against a central finite difference of the hand-written lp itself. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/handwritten.h"

#define HT_GRAD_TOL 1e-8
#define HT_LP_TOL 1e-10
#define HT_FD_STEP 1e-6
#define HT_FD_TOL 1e-5

static double ht_err(double x, double ref)
{
    return fabs(x - ref) / fmax(1.0, fabs(ref));
}

START_TEST(test_against_stan)
{
    const HwModel *hm = &hw_models[_i];
    const char *shared = getenv("VMOD_SHARED");
    char dpath[4096], gpath[4096], err[512];
    snprintf(dpath, sizeof dpath, "%s/posteriordb/%s/data.json", shared ? shared : "../shared", hm->posterior);
    snprintf(gpath, sizeof gpath, "%s/posteriordb/%s/gradients.json", shared ? shared : "../shared", hm->posterior);

    HwData d;
    ck_assert_msg(hw_data_load(hm, dpath, &d, err, sizeof err) == 0, "%s: %s", hm->posterior, err);
    json_error_t je;
    json_t *g = json_load_file(gpath, 0, &je);
    ck_assert_msg(g != NULL, "%s: %s", gpath, je.text);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "dimension")), (json_int_t)hm->dim);

    json_t *pts = json_object_get(g, "points");
    ck_assert_uint_gt(json_array_size(pts), 0);
    double u[16], gr[16], gh[16];
    ck_assert_uint_le(hm->dim, 16);
    for (size_t k = 0; k < json_array_size(pts); k++) {
        json_t *pt = json_array_get(pts, k);
        for (size_t i = 0; i < hm->dim; i++)
            u[i] = json_number_value(json_array_get(json_object_get(pt, "unconstrained"), i));
        double lp = hm->lp_grad(&d, u, gr);
        double lp_stan = json_number_value(json_object_get(pt, "lp_full_jacobian"));
        ck_assert_msg(ht_err(lp, lp_stan) <= HT_LP_TOL, "%s point %zu: lp %.17g, Stan %.17g",
                      hm->posterior, k + 1, lp, lp_stan);
        for (size_t i = 0; i < hm->dim; i++) {
            double ref = json_number_value(json_array_get(json_object_get(pt, "grad_jacobian"), i));
            ck_assert_msg(ht_err(gr[i], ref) <= HT_GRAD_TOL,
                          "%s point %zu: grad[%zu] %.17g, Stan %.17g", hm->posterior, k + 1,
                          i + 1, gr[i], ref);
            /* Skip the far-tail zero point: its lp is too large for a difference. */
            if (fabs(lp) > 1e7)
                continue;
            double ui = u[i];
            u[i] = ui + HT_FD_STEP;
            double up = hm->lp_grad(&d, u, gh);
            u[i] = ui - HT_FD_STEP;
            double um = hm->lp_grad(&d, u, gh);
            u[i] = ui;
            double fd = (up - um) / (2 * HT_FD_STEP);
            ck_assert_msg(ht_err(gr[i], fd) <= HT_FD_TOL * fmax(1.0, fabs(lp)),
                          "%s point %zu: grad[%zu] %.17g, finite difference %.17g",
                          hm->posterior, k + 1, i + 1, gr[i], fd);
        }
    }
    json_decref(g);
    hw_data_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_handwritten");
    TCase *tc = tcase_create("handwritten");
    tcase_add_loop_test(tc, test_against_stan, 0, (int)hw_nmodels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
