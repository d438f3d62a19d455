/* Posterior summaries against R's posterior package: the draw sets and
 * summarise_draws() values in tests/fixtures/summary were made by
 * tests/fixtures/make_summary_fixtures.R and are read here at run time. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "driver/summary.h"

#define MAXVARS 16
#define MAXLINE 4096

typedef struct {
    int chains;
    size_t ndraws, nvars;
    char names[MAXVARS][64];
    double *draws[MAXVARS];   /* [chain][draw] */
} DrawSet;

static FILE *open_fixture(const char *set, const char *kind)
{
    const char *src = getenv("VMOD_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/summary/%s_%s.csv", src ? src : ".", set, kind);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    return f;
}

/* Split a CSV line in place; returns the field count. */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static double parse_num(const char *s)
{
    if (strcmp(s, "NA") == 0) return NAN;
    if (strcmp(s, "Inf") == 0) return INFINITY;
    if (strcmp(s, "-Inf") == 0) return -INFINITY;
    char *end;
    double v = strtod(s, &end);
    ck_assert_msg(*s && *end == '\0', "bad number '%s'", s);
    return v;
}

static void load_draws(const char *set, DrawSet *d)
{
    FILE *f = open_fixture(set, "draws");
    char line[MAXLINE], *fld[MAXVARS + 2];
    ck_assert(fgets(line, sizeof line, f));
    size_t nf = split_csv(line, fld, MAXVARS + 2);
    ck_assert(nf >= 3 && strcmp(fld[0], "chain") == 0 && strcmp(fld[1], "iter") == 0);
    d->nvars = nf - 2;
    for (size_t v = 0; v < d->nvars; v++) snprintf(d->names[v], sizeof d->names[v], "%s", fld[v + 2]);
    /* first pass: shape */
    long pos = ftell(f);
    int chains = 0;
    size_t nd = 0;
    while (fgets(line, sizeof line, f)) {
        split_csv(line, fld, MAXVARS + 2);
        int c = atoi(fld[0]);
        size_t it = (size_t)atol(fld[1]);
        if (c > chains) chains = c;
        if (it > nd) nd = it;
    }
    d->chains = chains;
    d->ndraws = nd;
    for (size_t v = 0; v < d->nvars; v++) {
        d->draws[v] = malloc((size_t)chains * nd * sizeof(double));
        for (size_t i = 0; i < (size_t)chains * nd; i++) d->draws[v][i] = NAN;
    }
    fseek(f, pos, SEEK_SET);
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        ck_assert_uint_eq(split_csv(line, fld, MAXVARS + 2), d->nvars + 2);
        size_t c = (size_t)atoi(fld[0]) - 1, it = (size_t)atol(fld[1]) - 1;
        for (size_t v = 0; v < d->nvars; v++) d->draws[v][c * nd + it] = parse_num(fld[v + 2]);
        rows++;
    }
    ck_assert_uint_eq(rows, (size_t)chains * nd);
    fclose(f);
}

static void free_draws(DrawSet *d)
{
    for (size_t v = 0; v < d->nvars; v++) free(d->draws[v]);
}

static const char *const stat_names[] = {"mean", "sd", "mcse_mean", "q5", "q50", "q95",
                                         "rhat", "ess_bulk", "ess_tail"};
#define NSTATS 9

static double stat_of(const SumStats *s, int k)
{
    const double v[NSTATS] = {s->mean, s->sd, s->mcse_mean, s->q5, s->q50, s->q95,
                              s->rhat, s->ess_bulk, s->ess_tail};
    return v[k];
}

static const char *const sets[] = {"iid", "long", "poor", "odd", "single"};
#define NSETS (sizeof sets / sizeof sets[0])

START_TEST(test_against_posterior)
{
    const char *set = sets[_i];
    DrawSet d;
    load_draws(set, &d);
    SumWork *w = sum_work_new(d.chains, d.ndraws);
    ck_assert(w != NULL);
    FILE *f = open_fixture(set, "summary");
    char line[MAXLINE], *fld[NSTATS + 1];
    ck_assert(fgets(line, sizeof line, f));
    ck_assert_uint_eq(split_csv(line, fld, NSTATS + 1), NSTATS + 1);
    for (int k = 0; k < NSTATS; k++) ck_assert_str_eq(fld[k + 1], stat_names[k]);
    size_t checked = 0;
    while (fgets(line, sizeof line, f)) {
        ck_assert_uint_eq(split_csv(line, fld, NSTATS + 1), NSTATS + 1);
        size_t v = 0;
        while (v < d.nvars && strcmp(d.names[v], fld[0]) != 0) v++;
        ck_assert_msg(v < d.nvars, "%s: no draws for %s", set, fld[0]);
        SumStats s;
        sum_column(w, d.draws[v], 1, &s);
        int any_nan = 0;
        for (int k = 0; k < NSTATS; k++) {
            double want = parse_num(fld[k + 1]), got = stat_of(&s, k);
            if (isnan(want)) {
                ck_assert_msg(isnan(got), "%s/%s %s: posterior NA, got %.17g", set, fld[0], stat_names[k], got);
                any_nan = 1;
            } else if (isinf(want)) {
                ck_assert_msg(got == want, "%s/%s %s: want %g, got %.17g", set, fld[0], stat_names[k], want, got);
            } else {
                ck_assert_msg(fabs(got - want) <= 1e-6 * fabs(want) + 1e-13,
                              "%s/%s %s: posterior %.17g, got %.17g", set, fld[0], stat_names[k], want, got);
            }
        }
        /* every NA that posterior reports comes with a reason */
        if (any_nan) ck_assert_msg(s.flags != 0, "%s/%s: NaN without a flag", set, fld[0]);
        checked++;
    }
    ck_assert_uint_eq(checked, d.nvars);
    fclose(f);
    sum_work_free(w);
    free_draws(&d);
}
END_TEST

/* The flags posterior's NAs map to, on the fixture columns that have them. */
START_TEST(test_fixture_flags)
{
    DrawSet d;
    load_draws("iid", &d);
    SumStats s;
    for (size_t v = 0; v < d.nvars; v++) {
        ck_assert_int_eq(sum_compute(d.draws[v], d.chains, d.ndraws, 1, &s), 0);
        if (strcmp(d.names[v], "constant") == 0) {
            ck_assert(s.flags & SUM_F_CONSTANT);
            ck_assert(isnan(s.rhat) && isnan(s.ess_bulk) && isnan(s.ess_tail) && isnan(s.mcse_mean));
            ck_assert(s.sd == 0 && s.mean == 2.5 && s.q5 == 2.5);
        } else if (strcmp(d.names[v], "anti") == 0) {
            /* antithetic AR(1): posterior warns that the ESS was capped at S log10(S) */
            ck_assert_uint_eq(s.flags, SUM_F_ESS_CAPPED);
            ck_assert(fabs(s.ess_bulk - 800 * log10(800.0)) < 1e-9);
        } else {
            ck_assert_msg(s.flags == 0, "%s: flags %u", d.names[v], s.flags);
        }
    }
    free_draws(&d);
    load_draws("poor", &d);
    for (size_t v = 0; v < d.nvars; v++) {
        sum_compute(d.draws[v], d.chains, d.ndraws, 1, &s);
        int inf = strcmp(d.names[v], "with_inf") == 0;
        ck_assert_msg(!!(s.flags & SUM_F_NONFINITE) == inf, "%s: flags %u", d.names[v], s.flags);
    }
    free_draws(&d);
}
END_TEST

/* A column inside [chain][draw][col] gives the same as the column alone. */
START_TEST(test_stride)
{
    DrawSet d;
    load_draws("odd", &d);
    size_t nc = d.nvars, tot = (size_t)d.chains * d.ndraws;
    double *inter = malloc(tot * nc * sizeof *inter);
    for (size_t i = 0; i < tot; i++)
        for (size_t v = 0; v < nc; v++) inter[i * nc + v] = d.draws[v][i];
    for (size_t v = 0; v < nc; v++) {
        SumStats a, b;
        sum_compute(d.draws[v], d.chains, d.ndraws, 1, &a);
        sum_compute(inter + v, d.chains, d.ndraws, nc, &b);
        for (int k = 0; k < NSTATS; k++) ck_assert(stat_of(&a, k) == stat_of(&b, k));
    }
    free(inter);
    free_draws(&d);
}
END_TEST

START_TEST(test_nan_draw)
{
    double x[4 * 50];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int i = 0; i < 200; i++) x[i] = gsl_ran_gaussian(r, 1.0);
    x[77] = NAN;
    SumStats s;
    sum_compute(x, 4, 50, 1, &s);
    for (int k = 0; k < NSTATS; k++) ck_assert(isnan(stat_of(&s, k)));
    ck_assert(s.flags & SUM_F_NAN);
    char buf[256];
    sum_flags_describe(s.flags, buf, sizeof buf);
    ck_assert_str_eq(buf, "some draws are NaN, so every statistic is undefined");
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_few_draws)
{
    double x[4 * 4] = {1, 2, 3, 4, 2, 3, 1, 5, 0, 1, 2, 2, 7, 1, 3, 2};
    SumStats s;
    sum_compute(x, 4, 4, 1, &s);
    ck_assert(isnan(s.ess_bulk) && isnan(s.ess_tail) && isnan(s.mcse_mean));
    ck_assert(s.flags & SUM_F_FEW_DRAWS);
    ck_assert(isfinite(s.rhat) && isfinite(s.mean) && isfinite(s.sd));
}
END_TEST

/* Independent draws: ESS near S and R-hat near 1; a stuck chain drives R-hat up. */
START_TEST(test_iid_sanity)
{
    enum { C = 4, N = 1000 };
    static double x[C * N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int i = 0; i < C * N; i++) x[i] = gsl_ran_gaussian(r, 1.0);
    SumStats s;
    sum_compute(x, C, N, 1, &s);
    ck_assert_msg(s.ess_bulk > 3200 && s.ess_bulk < 4800, "ess_bulk %g", s.ess_bulk);
    ck_assert_msg(s.ess_tail > 2800 && s.ess_tail < 5200, "ess_tail %g", s.ess_tail);
    ck_assert_msg(fabs(s.rhat - 1) < 0.01, "rhat %g", s.rhat);
    ck_assert(fabs(s.mcse_mean - 1 / sqrt(4000.0)) < 0.003);
    for (int i = 0; i < N; i++) x[i] += 2.0;
    sum_compute(x, C, N, 1, &s);
    ck_assert_msg(s.rhat > 1.3, "rhat %g", s.rhat);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_flag_texts)
{
    for (int i = 0; i < SUM_NFLAGS; i++) {
        const char *t = sum_flag_text(1u << i);
        ck_assert(t && strlen(t) > 10 && strcmp(t, "unknown summary flag") != 0);
    }
    char buf[16];
    size_t need = sum_flags_describe(SUM_F_CONSTANT | SUM_F_FEW_DRAWS, buf, sizeof buf);
    ck_assert_uint_eq(need, strlen(sum_flag_text(SUM_F_CONSTANT)) + 2 + strlen(sum_flag_text(SUM_F_FEW_DRAWS)));
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
    ck_assert_uint_eq(sum_flags_describe(0, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* The printed table: NA cells for NaN and a note for every flagged row. */
START_TEST(test_table)
{
    DrawSet d;
    load_draws("iid", &d);
    SumStats st[MAXVARS];
    const char *names[MAXVARS];
    for (size_t v = 0; v < d.nvars; v++) {
        sum_compute(d.draws[v], d.chains, d.ndraws, 1, &st[v]);
        names[v] = d.names[v];
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    size_t notes = sum_write_table(f, d.nvars, names, st);
    fclose(f);
    ck_assert_uint_eq(notes, 2);   /* constant, and the capped ESS of anti */
    ck_assert_msg(strstr(text, "ess_bulk  ess_tail   rhat\n"), "%s", text);
    ck_assert_msg(strstr(text, "\nconstant: all draws are equal, so R-hat, ESS and MCSE are undefined\n"), "%s", text);
    ck_assert_msg(strstr(text, "\nanti: ESS was capped"), "%s", text);
    /* the constant row: mean 2.5, sd 0, then NA for mcse, ESS and R-hat */
    const char *row = strstr(text, "\nconstant ");
    ck_assert(row);
    char want[256];
    /* the name column is as wide as the longest name, "lognormal" */
    snprintf(want, sizeof want, "\n%-9s %8.2f %8.2f %8s %8.2f %8.2f %8.2f %9s %9s %6s\n", "constant", 2.5, 0.0,
             "NA", 2.5, 2.5, 2.5, "NA", "NA", "NA");
    ck_assert_msg(strncmp(row, want, strlen(want)) == 0, "got:\n%s", row);
    ck_assert(strstr(text, "nan") == NULL && strstr(text, "NaN") == NULL);
    free(text);
    free_draws(&d);
}
END_TEST

static Suite *summary_suite(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_against_posterior, 0, NSETS);
    tcase_add_test(tc, test_fixture_flags);
    tcase_add_test(tc, test_stride);
    tcase_add_test(tc, test_nan_draw);
    tcase_add_test(tc, test_few_draws);
    tcase_add_test(tc, test_iid_sanity);
    tcase_add_test(tc, test_flag_texts);
    tcase_add_test(tc, test_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(summary_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
