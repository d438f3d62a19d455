/* summary_stats on draws with known answers: iid normals (ESS near the number of
 * draws), AR(1) chains (ESS = S (1 - phi) / (1 + phi)), chains that disagree (large
 * Rhat), and the undefined cases. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "driver/summary.h"

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

/* The same numbers as R's posterior package (the reference implementation of the
 * paper), when it is installed: iterations chosen so that split halves have a
 * 2,3,5-smooth length, where posterior's FFT normalisation is exact. */
typedef struct PostCase { int chains; long n; double phi, shift; int poisson; } PostCase;
static const PostCase post_cases[] = {
    {4, 1000, 0.7, 0.1, 0},
    {2, 401, 0.0, 0.0, 0},     /* odd: the middle draw is dropped */
    {3, 500, 0.5, 0.0, 1},     /* ties: average ranks */
    {1, 600, 0.95, 0.0, 0},
};

static double *post_draws(int k)
{
    const PostCase *pc = &post_cases[k];
    double *x = ar1(pc->chains, pc->n, pc->phi, pc->shift, 100 + (unsigned long)k);
    if (pc->poisson)
        for (long i = 0; i < pc->chains * pc->n; i++)
            x[i] = floor(3 + 1.5 * x[i]);
    return x;
}

/* All cases in one R session: R starts slowly. */
START_TEST(matches_r_posterior)
{
    enum { NCASE = sizeof post_cases / sizeof *post_cases };
    char dir[] = "/tmp/vmod_post_XXXXXX", in[NCASE][64], out[64], cmd[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (int k = 0; k < NCASE; k++) {
        const PostCase *pc = &post_cases[k];
        double *x = post_draws(k);
        snprintf(in[k], sizeof in[k], "%s/x%d.csv", dir, k);
        FILE *f = fopen(in[k], "w");
        for (long i = 0; i < pc->n; i++)
            for (int c = 0; c < pc->chains; c++)
                fprintf(f, "%.17g%s", x[c * pc->n + i], c + 1 < pc->chains ? "," : "\n");
        fclose(f);
        free(x);
    }
    snprintf(out, sizeof out, "%s/r.txt", dir);
    snprintf(cmd, sizeof cmd,
             "Rscript -e 'suppressMessages(library(posterior)); for (k in 0:%d) { "
             "x <- as.matrix(read.csv(sprintf(\"%s/x%%d.csv\", k), header = FALSE)); "
             "cat(sprintf(\"%%.15g\", c(mean(x), sd(x), mcse_mean(x), quantile2(x, c(0.05, 0.5, 0.95)), "
             "ess_bulk(x), ess_tail(x), rhat(x))), \"\\n\") }' > %s 2>&1", NCASE - 1, dir, out);
    int rc = system(cmd);
    /* Asked only now, to start R once when it is there. */
    if (rc != 0 && system("Rscript -e 'suppressMessages(library(posterior))' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "matches_r_posterior: skipped (no R with posterior)\n");
        return;
    }
    ck_assert_int_eq(rc, 0);
    FILE *f = fopen(out, "r");
    for (int k = 0; k < NCASE; k++) {
        const PostCase *pc = &post_cases[k];
        double r[9];
        for (int j = 0; j < 9; j++)
            ck_assert_int_eq(fscanf(f, "%lf", &r[j]), 1);
        double *x = post_draws(k);
        SumStats s;
        sum_compute(x, pc->chains, (size_t)pc->n, 1, &s);
        free(x);
        double ours[9] = {s.mean, s.sd, s.mcse_mean, s.q5, s.q50, s.q95, s.ess_bulk, s.ess_tail, s.rhat};
        static const char *const what[9] = {"mean", "sd", "mcse", "q5", "q50", "q95",
                                            "ess_bulk", "ess_tail", "rhat"};
        for (int j = 0; j < 9; j++)
            ck_assert_msg(fabs(ours[j] - r[j]) <= 1e-8 * fabs(r[j]) + 1e-12,
                          "case %d %s: ours %.12g, posterior %.12g", k, what[j], ours[j], r[j]);
        unlink(in[k]);
    }
    fclose(f);
    unlink(out);
    rmdir(dir);
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
    tcase_add_test(tc, matches_r_posterior);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
