/* summary_stats on draws with known answers: iid normals (ESS near the number of
 * draws), AR(1) chains (ESS = S (1 - phi) / (1 + phi)), chains that disagree (large
 * Rhat), and the undefined cases. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "runtime/summary.h"

static double *ar1(int chains, long n, double phi, double shift, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *x = malloc((size_t)chains * (size_t)n * sizeof *x);
    double sd = sqrt(1 - phi * phi);
    for (int c = 0; c < chains; c++) {
        double v = gsl_ran_gaussian(r, 1);
        for (long i = 0; i < n; i++) {
            v = phi * v + sd * gsl_ran_gaussian(r, 1);
            x[c * n + i] = v + shift * c;
        }
    }
    gsl_rng_free(r);
    return x;
}

typedef struct Ar1Case { double phi; double ess_lo, ess_hi; } Ar1Case;
static const Ar1Case ar1_cases[] = {
    {0.0, 3200, 4800},
    {0.5, 4000 * 0.5 / 1.5 * 0.75, 4000 * 0.5 / 1.5 * 1.3},
    {0.9, 4000 * 0.1 / 1.9 * 0.7, 4000 * 0.1 / 1.9 * 1.4},
    {-0.5, 4000 * 1.5 / 0.5 * 0.7, 4000 * log10(4000.0) + 1},
};

START_TEST(ess_of_ar1_chains)
{
    const Ar1Case *k = &ar1_cases[_i];
    double *x = ar1(4, 1000, k->phi, 0, 7 + (unsigned long)_i);
    SumStats s;
    sum_compute(x, 4, 1000, 1, &s);
    ck_assert_msg(s.ess_bulk > k->ess_lo && s.ess_bulk < k->ess_hi, "phi %g ess_bulk %g", k->phi, s.ess_bulk);
    ck_assert_msg(s.rhat > 0.99 && s.rhat < (k->phi > 0.8 ? 1.05 : 1.02), "rhat %g", s.rhat);
    ck_assert(s.ess_tail > 0.3 * k->ess_lo);
    double sd_mean = sqrt((1 + k->phi) / (1 - k->phi) / 4000);   /* the true MCSE */
    ck_assert_msg(fabs(s.mean) < 4 * sd_mean, "mean %g", s.mean);
    ck_assert_msg(s.mcse_mean > 0.7 * sd_mean && s.mcse_mean < 1.4 * sd_mean, "mcse %g vs %g", s.mcse_mean, sd_mean);
    ck_assert(fabs(s.sd - 1) < 0.1 && fabs(s.q50) < 0.15);
    ck_assert(fabs(s.q5 + 1.645) < 0.2 && fabs(s.q95 - 1.645) < 0.2);
    free(x);
}
END_TEST

START_TEST(rhat_sees_disagreeing_chains)
{
    double *x = ar1(4, 500, 0.3, 1.0, 11);   /* chain c centred at c */
    SumStats s;
    sum_compute(x, 4, 500, 1, &s);
    ck_assert_msg(s.rhat > 1.3, "rhat %g", s.rhat);
    ck_assert(s.ess_bulk < 100);
    free(x);
    /* A trend inside each chain: split-Rhat sees it even with one chain. */
    double y[400];
    for (int i = 0; i < 400; i++)
        y[i] = i / 100.0 + 0.01 * ((i * 7919) % 13);
    sum_compute(y, 1, 400, 1, &s);
    ck_assert_msg(s.rhat > 1.5, "rhat %g", s.rhat);
}
END_TEST

START_TEST(quantiles_type7_and_moments)
{
    double x[20];
    for (int i = 0; i < 20; i++)
        x[i] = 20 - i;   /* unsorted on purpose */
    SumStats s;
    sum_compute(x, 2, 10, 1, &s);
    ck_assert_double_eq_tol(s.q5, 1.95, 1e-12);
    ck_assert_double_eq_tol(s.q50, 10.5, 1e-12);
    ck_assert_double_eq_tol(s.q95, 19.05, 1e-12);
    ck_assert_double_eq_tol(s.mean, 10.5, 1e-12);
    ck_assert_double_eq_tol(s.sd, sqrt(35.0), 1e-12);
}
END_TEST

START_TEST(undefined_cases_are_nan)
{
    double c[40];
    for (int i = 0; i < 40; i++)
        c[i] = 3.0;
    SumStats s;
    sum_compute(c, 2, 20, 1, &s);
    ck_assert_double_eq(s.mean, 3.0);
    ck_assert_double_eq(s.sd, 0.0);
    ck_assert(isnan(s.rhat) && isnan(s.ess_bulk) && isnan(s.ess_tail));
    c[5] = NAN;
    sum_compute(c, 2, 20, 1, &s);
    ck_assert(isnan(s.mean) && isnan(s.q50) && isnan(s.rhat));
    double two[2] = {1, 2};
    sum_compute(two, 1, 2, 1, &s);
    ck_assert_double_eq(s.mean, 1.5);
    ck_assert(isnan(s.ess_bulk) && isnan(s.rhat));
    sum_compute(two, 1, 0, 1, &s);
    ck_assert(isnan(s.mean));
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("summary_basic");
    TCase *tc = tcase_create("summary_basic");
    tcase_add_loop_test(tc, ess_of_ar1_chains, 0, sizeof ar1_cases / sizeof *ar1_cases);
    tcase_add_test(tc, rhat_sees_disagreeing_chains);
    tcase_add_test(tc, quantiles_type7_and_moments);
    tcase_add_test(tc, undefined_cases_are_nan);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
