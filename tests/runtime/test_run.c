/* The driver on analytic targets: a 2-d Gaussian model written in C and backends
 * defined here (an exact independent Gaussian sampler, a "VI" that converges after k
 * steps, one that fails), so every expectation is known in closed form. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <jansson.h>
#include "driver/run.h"
#include "driver/summary.h"

/* ---- the model: x ~ N(mu, s), 2-d, plus a gen y ~ N(x.1, 1) ---------------------- */

static const double tm_mu[2] = {1.0, -2.0};
static const double tm_sd[2] = {0.5, 2.0};

typedef struct TestModel {
    double fail_above;        /* values() fails when x.1 > this */
    int never_finite;         /* logp is -inf everywhere */
    double disc_lo, disc_hi;  /* bounds of the discrete coordinate, when ndisc = 1 */
} TestModel;

typedef struct TestCtx { TestModel *tm; size_t ndisc; } TestCtx;

static int tm_logp(void *ctx, const double *u, double *lp, double *grad)
{
    TestCtx *c = ctx;
    if (c->tm->never_finite) {
        *lp = -INFINITY;
        return 0;
    }
    double s = 0;
    for (int i = 0; i < 2; i++) {
        double z = (u[i] - tm_mu[i]) / tm_sd[i];
        s += -0.5 * z * z - log(tm_sd[i]) - 0.5 * log(2 * M_PI);
        if (grad)
            grad[i] = -z / tm_sd[i];
    }
    *lp = s;
    return 0;
}

static int tm_target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    TestModel *tm = model;
    TestCtx *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    c->tm = tm;
    c->ndisc = tm->disc_hi > tm->disc_lo ? 1 : 0;
    *t = (BkTarget){.dim = 2, .ndisc = c->ndisc, .disc_lo = &tm->disc_lo, .disc_hi = &tm->disc_hi,
                    .logp = tm_logp, .ctx = c};
    return 0;
}

static void tm_target_free(void *model, BkTarget *t)
{
    free(t->ctx);
}

static int tm_values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    TestModel *tm = model;
    out[0] = u[0];
    out[1] = u[1];
    out[2] = u[0] + gsl_ran_gaussian(r, 1.0);
    if (t->ndisc)
        out[3] = u[2];
    return u[0] > tm->fail_above ? 1 : 0;
}

static const char *const tm_names[] = {"x.1", "x.2", "y", "k"};

static char *tm_why(void *model, BkTarget *t)
{
    (void)model;
    (void)t;
    return strdup("m.vmod:3:1: error: x.1 above the limit\n");
}

static RunModel tm_model(TestModel *tm)
{
    *tm = (TestModel){.fail_above = INFINITY};
    return (RunModel){.name = "gauss2d.vmod", .dim = 2, .ndisc = 0, .target_new = tm_target_new,
                      .target_free = tm_target_free, .ncols = 3, .col_names = tm_names,
                      .values = tm_values, .model = tm};
}

/* ---- backends --------------------------------------------------------------------- */

typedef struct GaussState {
    const BkTarget *t;
    double u[3], lp, scale;
    long sleep_us, warm, kvi, fail_at;
    int dim;
} GaussState;

static const BkOption gauss_opts[] = {
    {"max-depth", "int", "10", "unused, for the option tests"},
    {"sleep-us", "int", "0", "pause per step"},
    {"scale", "real", "1", "written as stepsize__"},
    {"allow-discrete", "bool", "false", "accept discrete coordinates (kept fixed)"},
    {"label", "string", "none", "unused"},
    {NULL, NULL, NULL, NULL}};
static const char *const gauss_cols[] = {"accept_stat__", "stepsize__", NULL};

static const Backend backend_gauss;
static const Backend backend_vi;

static void *gauss_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    const Backend *b = &backend_gauss;
    if (t->ndisc > 0 && !bk_opt_bool(s, b, "allow-discrete")) {
        snprintf(err, errlen, "gauss cannot sample discrete parameters");
        return NULL;
    }
    GaussState *g = calloc(1, sizeof *g);
    g->t = t;
    g->dim = (int)(t->dim + t->ndisc);
    g->scale = bk_opt_real(s, b, "scale");
    g->sleep_us = bk_opt_int(s, b, "sleep-us");
    return g;
}

static int gauss_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t n)
{
    GaussState *g = st;
    memcpy(g->u, u0, (size_t)g->dim * sizeof *u0);
    return t->logp(t->ctx, g->u, &g->lp, NULL);
}

static int gauss_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                      size_t n)
{
    GaussState *g = st;
    if (g->sleep_us) {
        struct timespec ts = {0, g->sleep_us * 1000};
        nanosleep(&ts, NULL);
    }
    if (warmup) {
        g->warm++;
        return BK_OK;
    }
    for (int i = 0; i < 2; i++)
        g->u[i] = tm_mu[i] + tm_sd[i] * gsl_ran_gaussian(r, 1.0);
    return t->logp(t->ctx, g->u, &g->lp, NULL) == 0 ? BK_OK : BK_FAIL;
}

static void gauss_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    GaussState *g = st;
    memcpy(u, g->u, (size_t)g->dim * sizeof *u);
    *lp = g->lp;
    cols[0] = 1.0;
    cols[1] = g->scale;
}

static void gauss_report(void *st, FILE *out, const char *prefix)
{
    GaussState *g = st;
    fprintf(out, "%sStep size = %g\n%swarm-up iterations = %ld\n", prefix, g->scale, prefix, g->warm);
}

static void gauss_free(void *st)
{
    free(st);
}

static const Backend backend_gauss = {
    .name = "gauss", .help = "exact draws from the test Gaussian", .kind = BK_SAMPLER,
    .options = gauss_opts, .columns = gauss_cols, .create = gauss_create, .init = gauss_init,
    .step = gauss_step, .draw = gauss_draw, .report = gauss_report, .free = gauss_free};

/* "VI": converges after k steps, then draws exactly from the target. */
static const BkOption vi_opts[] = {{"k", "int", "5", "steps to converge"}, {NULL, NULL, NULL, NULL}};
static const char *const vi_cols[] = {"log_p__", "log_g__", NULL};

static void *vi_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    GaussState *g = calloc(1, sizeof *g);
    g->t = t;
    g->dim = 2;
    g->kvi = bk_opt_int(s, &backend_vi, "k");
    return g;
}

static int vi_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t n)
{
    GaussState *g = st;
    g->warm = iter + 1;
    return iter + 1 >= g->kvi ? BK_DONE : BK_OK;
}

static void vi_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    GaussState *g = st;
    for (int i = 0; i < 2; i++)
        u[i] = tm_mu[i] + tm_sd[i] * gsl_ran_gaussian(r, 1.0);
    g->t->logp(g->t->ctx, u, lp, NULL);
    cols[0] = *lp;
    cols[1] = *lp;
}

static void vi_report(void *st, FILE *out, const char *prefix)
{
    GaussState *g = st;
    fprintf(out, "%sfit after %ld steps\n", prefix, g->warm);
}

static const Backend backend_vi = {
    .name = "testvi", .help = "converges after k steps", .kind = BK_VI, .options = vi_opts,
    .columns = vi_cols, .create = vi_create, .init = gauss_init, .step = vi_step, .draw = vi_draw,
    .report = vi_report, .free = gauss_free};

/* Fails at its fourth step. */
static int fail_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t n)
{
    if (iter == 3) {
        snprintf(err, n, "diverged at iteration %ld", iter);
        return BK_FAIL;
    }
    return BK_OK;
}

static const Backend backend_fail = {
    .name = "fail", .kind = BK_SAMPLER, .options = gauss_opts, .columns = gauss_cols,
    .create = gauss_create, .init = gauss_init, .step = fail_step, .draw = gauss_draw,
    .free = gauss_free};

/* ---- helpers ---------------------------------------------------------------------- */

static char tmpdir[256];

static void setup_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vmod_test_run_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void teardown_tmp(void)
{
    if (nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static char *tpath(const char *name)
{
    static char buf[64][512];   /* a ring: a test keeps at most 64 paths at once */
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    if (len)
        *len = got;
    return s;
}

/* The file without its timing block (the only bytes that depend on the clock). */
static char *slurp_untimed(const char *path)
{
    char *s = slurp(path, NULL);
    ck_assert_ptr_nonnull(s);
    char *out = malloc(strlen(s) + 1), *o = out;
    for (char *p = s; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!strstr(p, "seconds (") || (nl && strstr(p, "seconds (") > nl)) {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    *o = 0;
    free(s);
    return out;
}

typedef struct CsvInfo {
    int ok;
    size_t ncols;
    long nrows;
    char header[512];
    int has_adapt, has_timing;
    double first[16];         /* the first data row */
} CsvInfo;

/* A Stan CSV reader as strict as the R and Python ones: comments, one header row,
 * rows of exactly as many numbers, every line complete. */
static CsvInfo csv_parse(const char *path)
{
    CsvInfo ci = {0};
    size_t len;
    char *s = slurp(path, &len);
    if (!s)
        return ci;
    ci.ok = len > 0 && s[len - 1] == '\n';
    for (char *p = s; *p && ci.ok;) {
        char *nl = strchr(p, '\n');
        *nl = 0;
        if (*p == '#') {
            ci.has_adapt |= strstr(p, "# Adaptation terminated") == p;
            ci.has_timing |= strstr(p, "#  Elapsed Time: ") == p;
        } else if (!ci.ncols) {
            snprintf(ci.header, sizeof ci.header, "%s", p);
            ci.ncols = 1;
            for (char *q = p; *q; q++)
                ci.ncols += *q == ',';
        } else {
            size_t n = 0;
            for (char *q = p;; n++) {
                char *end;
                double v = strtod(q, &end);
                if (end == q) {
                    ci.ok = 0;
                    break;
                }
                if (ci.nrows == 0 && n < 16)
                    ci.first[n] = v;
                if (*end == 0) {
                    n++;
                    break;
                }
                if (*end != ',') {
                    ci.ok = 0;
                    break;
                }
                q = end + 1;
            }
            if (n != ci.ncols)
                ci.ok = 0;
            ci.nrows++;
        }
        p = nl + 1;
    }
    free(s);
    return ci;
}

static RunConfig base_config(const Backend *b, FILE *out)
{
    RunConfig cfg = {.backend = b, .chains = 4, .threads = 1, .quiet = 1, .progress = 0,
                     .command_line = "vrun gauss2d.vmod --seed=42", .out = out};
    cfg.base = (BkSettings){.warmup = 50, .draws = 400, .iters = 100, .mc = 1, .seed = 42};
    return cfg;
}

/* ---- determinism and streams ------------------------------------------------------ */

START_TEST(same_seed_same_bytes_any_threads)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char *files[2][4];
    RunResult res[2];
    char err[512];
    for (int run = 0; run < 2; run++) {
        RunConfig cfg = base_config(&backend_gauss, NULL);
        cfg.threads = run == 0 ? 1 : 2;
        cfg.output_csv = tpath("out.csv");
        ck_assert_int_eq(run_inference(&m, &cfg, &res[run], err, sizeof err), 0);
        for (int c = 0; c < 4; c++) {
            char name[32];
            snprintf(name, sizeof name, "out_%d.csv", c + 1);
            files[run][c] = slurp_untimed(tpath(name));
        }
    }
    for (int c = 0; c < 4; c++) {
        ck_assert_str_eq(files[0][c], files[1][c]);
        ck_assert(strstr(files[0][c], "\n# id = ") != NULL);
        free(files[0][c]);
        free(files[1][c]);
    }
    ck_assert_int_eq(res[0].ndraws, 400);
    ck_assert_int_eq(res[1].ndraws, 400);
    ck_assert_int_eq(res[0].ncols, 1 + 2 + 3);
    ck_assert(memcmp(res[0].draws, res[1].draws, 4 * 400 * 6 * sizeof(double)) == 0);
    /* Different chains, different streams: no chain repeats another's first draw. */
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            ck_assert(res[0].draws[a * 400 * 6 + 3] != res[0].draws[b * 400 * 6 + 3]);
    run_result_free(&res[0]);
    run_result_free(&res[1]);
}
END_TEST

START_TEST(chain_rng_streams)
{
    unsigned long first[3][8];
    unsigned long seeds[3] = {0, 1, 42};
    for (int s = 0; s < 3; s++)
        for (int c = 0; c < 8; c++) {
            gsl_rng *r = run_chain_rng(seeds[s], c);
            gsl_rng *r2 = run_chain_rng(seeds[s], c);
            ck_assert_ptr_nonnull(r);
            first[s][c] = gsl_rng_get(r);
            ck_assert_uint_eq(first[s][c], gsl_rng_get(r2));   /* a function of (seed, chain) */
            gsl_rng_free(r);
            gsl_rng_free(r2);
        }
    for (int i = 0; i < 24; i++)
        for (int j = i + 1; j < 24; j++)
            ck_assert_uint_ne(first[i / 8][i % 8], first[j / 8][j % 8]);
}
END_TEST

/* ---- CSV ---------------------------------------------------------------------------- */

START_TEST(csv_parses_and_is_named_like_cmdstan)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    RunConfig cfg = base_config(&backend_gauss, NULL);
    cfg.chains = 3;
    cfg.output_csv = tpath("fit.csv");
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err, sizeof err), 0);
    for (int c = 1; c <= 3; c++) {
        char name[32];
        snprintf(name, sizeof name, "fit_%d.csv", c);
        CsvInfo ci = csv_parse(tpath(name));
        ck_assert(ci.ok);
        ck_assert_str_eq(ci.header, "lp__,accept_stat__,stepsize__,x.1,x.2,y");
        ck_assert_int_eq(ci.nrows, 400);
        ck_assert(ci.has_adapt && ci.has_timing);
        ck_assert_double_eq(ci.first[1], 1.0);
        /* lp__ is the log density of the written x (6 significant digits) */
        double lp;
        TestCtx ctx = {&tm, 0};
        tm_logp(&ctx, &ci.first[3], &lp, NULL);
        ck_assert_double_eq_tol(ci.first[0], lp, 1e-4 * fabs(lp) + 1e-5);
        char *s = slurp(tpath(name), NULL);
        ck_assert(strstr(s, "# model = gauss2d.vmod\n# method = sample (Default)\n#   sample\n"
                            "#     num_samples = 400\n#     num_warmup = 50\n") == s + strlen("# vrun_version = 0.1\n"));
        ck_assert(strstr(s, "#     algorithm = gauss\n#       gauss\n#         max_depth = 10 (Default)\n"));
        ck_assert(strstr(s, "# random\n#   seed = 42\n"));
        ck_assert(strstr(s, "# Adaptation terminated\n# Step size = 1\n# warm-up iterations = 50\n"));
        ck_assert(strstr(s, "\n# \n#  Elapsed Time: "));
        ck_assert(strstr(s, " seconds (Warm-up)\n#                "));
        ck_assert(strstr(s, " seconds (Total)\n# \n"));
        free(s);
    }
    ck_assert_int_ne(access(tpath("fit_4.csv"), F_OK), 0);
    /* A placeholder names the files itself; one chain keeps the path as given. */
    cfg.output_csv = tpath("p-{chain}-x.csv");
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err, sizeof err), 0);
    ck_assert(csv_parse(tpath("p-2-x.csv")).ok);
    cfg.chains = 1;
    cfg.output_csv = tpath("single.csv");
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err, sizeof err), 0);
    ck_assert(csv_parse(tpath("single.csv")).nrows == 400);
    ck_assert_int_ne(access(tpath("single_1.csv"), F_OK), 0);
}
END_TEST

/* The bytes of a row are exactly CmdStan's 6 significant digits. */
START_TEST(csv_number_format)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    RunConfig cfg = base_config(&backend_gauss, NULL);
    static const BkOpt opts[] = {{"scale", "0.000123456789"}, {NULL, NULL}};
    cfg.base.opts = opts;
    cfg.base.nopts = 1;
    cfg.chains = 1;
    cfg.base.draws = 3;
    cfg.output_csv = tpath("fmt.csv");
    tm.fail_above = -INFINITY;   /* every values() fails: NaN columns */
    m.why = tm_why;
    RunResult res;
    /* a run of nothing but NaN rows is a failed run (status 2), its CSV still written;
     * the error gives the first failure's reason on its own line */
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 2);
    ck_assert(strstr(err, "every draw failed a check in a let or gen statement"));
    ck_assert_msg(strstr(err, "; the first failure:\nm.vmod:3:1: error: x.1 above the limit") &&
                  err[strlen(err) - 1] != '\n', "%s", err);
    char *s = slurp(tpath("fmt.csv"), NULL);
    char *row = strstr(s, "\nlp__,");
    row = strchr(row + 1, '\n') + 1;
    while (*row == '#')
        row = strchr(row, '\n') + 1;
    char expect[128];
    snprintf(expect, sizeof expect, "%.6g,1,0.000123457,nan,nan,nan\n", res.draws[0]);
    ck_assert(strncmp(row, expect, strlen(expect)) == 0);
    free(s);
    run_result_free(&res);
}
END_TEST

/* ---- summary ------------------------------------------------------------------------ */

START_TEST(summary_means_within_4_mcse)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    char *outp = tpath("summary.txt"), *jsonp = tpath("summary.json");
    FILE *out = fopen(outp, "w");
    RunConfig cfg = base_config(&backend_gauss, out);
    cfg.summary_json = jsonp;
    RunResult res;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    fclose(out);
    double *col = malloc(4 * 400 * sizeof *col);
    json_error_t je;
    json_t *root = json_load_file(jsonp, 0, &je);
    ck_assert_ptr_nonnull(root);
    char *text = slurp(outp, NULL);
    ck_assert(strncmp(text, "vrun 0.1  model: gauss2d.vmod  method: gauss  chains: 4 x 400 draws  time: ",
                      strlen("vrun 0.1  model: gauss2d.vmod  method: gauss  chains: 4 x 400 draws  time: ")) == 0);
    ck_assert(strstr(text, "mean     sd   mcse     5%    50%    95% ess_bulk ess_tail   rhat\n"));
    /* the adaptation is in the CSV and the JSON, not on the screen; the sampler's line is */
    ck_assert(!strstr(text, "Step size = 1"));
    ck_assert(strstr(text, "\ngauss: mean acceptance 1.00, step size 1\n"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_array_get(json_object_get(root, "per_chain"), 2),
                                                                      "report"), 0)), "Step size = 1");
    for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 4 * 400; i++)
            col[i] = res.draws[i * 6 + 3 + j];
        SumStats s;
        sum_compute(col, 4, 400, 1, &s);
        double mu = j == 1 ? tm_mu[1] : tm_mu[0];
        double sd = j == 0 ? tm_sd[0] : j == 1 ? tm_sd[1] : sqrt(tm_sd[0] * tm_sd[0] + 1);
        ck_assert_msg(fabs(s.mean - mu) < 4 * s.mcse_mean, "column %d mean %g mcse %g", j, s.mean, s.mcse_mean);
        ck_assert(fabs(s.sd - sd) < 0.1 * sd);
        ck_assert(s.rhat < 1.02 && s.ess_bulk > 800);
        json_t *c = json_array_get(json_object_get(root, "columns"), (size_t)j);
        ck_assert_str_eq(json_string_value(json_object_get(c, "name")), tm_names[j]);
        ck_assert_double_eq(json_real_value(json_object_get(c, "mean")), s.mean);
        ck_assert_double_eq(json_real_value(json_object_get(c, "ess_bulk")), s.ess_bulk);
        char line[128];
        snprintf(line, sizeof line, "\n%-4s %6.2f %6.2f", tm_names[j], s.mean, s.sd);
        ck_assert_msg(strstr(text, line) != NULL, "no line starting '%s'", line + 1);
    }
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "settings"), "seed")), 42);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(root, "settings"), "options"), "max-depth")), "10");
    ck_assert(json_is_real(json_object_get(json_object_get(root, "timing"), "total")));
    json_decref(root);
    free(text);
    free(col);
    run_result_free(&res);
}
END_TEST

START_TEST(summary_counts_failed_values)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    tm.fail_above = 1.5;   /* P(x.1 > 1.5) = 16% */
    char err[512];
    char *outp = tpath("s.txt");
    FILE *out = fopen(outp, "w");
    RunConfig cfg = base_config(&backend_gauss, out);
    RunResult res;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    fclose(out);
    long nan_rows = 0;
    for (long i = 0; i < 4 * 400; i++)
        nan_rows += isnan(res.draws[i * 6 + 3]);
    ck_assert(nan_rows > 100 && nan_rows < 400);
    char *text = slurp(outp, NULL), expect[160];
    snprintf(expect, sizeof expect, "\n%ld draws failed a check in a let or gen statement", nan_rows);
    ck_assert_msg(strstr(text, expect), "%s", text);
    ck_assert(strstr(text, "\nx.1      NA     NA"));
    free(text);
    run_result_free(&res);
}
END_TEST

/* ---- VI kind, failures, initialisation ---------------------------------------------- */

START_TEST(vi_converges_then_draws)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    static const BkOpt opts[] = {{"k", "7"}, {NULL, NULL}};
    char *outp = tpath("vi.txt");
    FILE *out = fopen(outp, "w");
    RunConfig cfg = base_config(&backend_vi, out);
    cfg.base.opts = opts;
    cfg.base.nopts = 1;
    cfg.chains = 2;
    cfg.output_csv = tpath("vi.csv");
    cfg.summary_json = tpath("vi.json");
    RunResult res;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    fclose(out);
    ck_assert_int_eq(res.ndraws, 400);
    CsvInfo ci = csv_parse(tpath("vi_2.csv"));
    ck_assert(ci.ok && ci.nrows == 1 + 400 && !ci.has_adapt);
    /* CmdStan's first variational row: zeros, then the mean of each column. */
    ck_assert(ci.first[0] == 0 && ci.first[1] == 0 && ci.first[2] == 0);
    double m1 = 0;
    for (long i = 0; i < 400; i++)
        m1 += res.draws[(400 + i) * 6 + 3] / 400;
    ck_assert_double_eq_tol(ci.first[3], m1, 1e-5 * fabs(m1) + 1e-6);
    ck_assert_str_eq(ci.header, "lp__,log_p__,log_g__,x.1,x.2,y");
    char *s = slurp(tpath("vi_1.csv"), NULL);
    ck_assert(strstr(s, "# method = variational\n#   variational\n#     algorithm = testvi\n#       testvi\n#         k = 7\n"));
    ck_assert(strstr(s, "\n# fit after 7 steps\n"));
    free(s);
    json_t *root = json_load_file(tpath("vi.json"), 0, NULL);
    json_t *c1 = json_array_get(json_object_get(root, "per_chain"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c1, "iterations")), 7);
    ck_assert(json_is_true(json_object_get(c1, "converged")));
    json_decref(root);
    char *text = slurp(outp, NULL);
    ck_assert(strstr(text, "\nchain 2: converged after 7 iterations\nchain 2: fit after 7 steps\n"));
    free(text);
    run_result_free(&res);
    /* A limit below k: not converged, said in the CSV and the summary. */
    out = fopen(outp, "w");
    cfg.out = out;
    cfg.base.iters = 3;
    cfg.chains = 1;
    cfg.output_csv = tpath("vi3.csv");
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err, sizeof err), 0);
    fclose(out);
    text = slurp(outp, NULL);
    ck_assert(strstr(text, "\ndid not converge (the --iters limit) after 3 iterations\n"));
    free(text);
    s = slurp(tpath("vi3.csv"), NULL);
    ck_assert(strstr(s, "\n# Stopped at the limit of 3 iterations without converging\n"));
    free(s);
}
END_TEST

typedef struct ErrCase {
    const char *what;
    const Backend *b;
    int never_finite, discrete, use_init;
    int rc;
    const char *msg;
    const char *output;
} ErrCase;

static const ErrCase err_cases[] = {
    {"step fails", &backend_fail, 0, 0, 0, 2, "chain 1: diverged at iteration 3"},
    {"no finite init", &backend_gauss, 1, 0, 0, 2,
     "chain 1: no initial point with finite log density and gradient after 100 tries of "
     "uniform(-2, 2) on the unconstrained scale"},
    {"bad --init", &backend_gauss, 1, 0, 1, 2,
     "chain 1: the log density or its gradient is not finite at the initial point given by --init"},
    {"discrete refused", &backend_gauss, 0, 1, 0, 1, "gauss cannot sample discrete parameters"},
    {"unwritable output", &backend_gauss, 0, 0, 0, 1,
     "cannot write /nonexistent-dir/out.csv: No such file or directory", "/nonexistent-dir/out.csv"},
};

START_TEST(errors_give_status_and_message)
{
    const ErrCase *ec = &err_cases[_i];
    TestModel tm;
    RunModel m = tm_model(&tm);
    tm.never_finite = ec->never_finite;
    if (ec->discrete) {
        tm.disc_lo = 3;
        tm.disc_hi = 5;
        m.ndisc = 1;
    }
    static const double u0[2] = {0, 0};
    if (ec->use_init)
        m.init_u = u0;
    char err[512] = "";
    RunConfig cfg = base_config(ec->b, NULL);
    cfg.chains = 1;
    cfg.output_csv = ec->output;
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err, sizeof err), ec->rc);
    ck_assert_str_eq(err, ec->msg);
}
END_TEST

/* Discrete coordinates start uniform within their bounds, and init_u is used as given. */
START_TEST(init_discrete_and_given)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    tm.disc_lo = 3;
    tm.disc_hi = 5;
    m.ndisc = 1;
    m.ncols = 4;
    static const BkOpt opts[] = {{"allow-discrete", NULL}, {NULL, NULL}};
    RunConfig cfg = base_config(&backend_gauss, NULL);
    cfg.base.opts = opts;
    cfg.base.nopts = 1;
    cfg.chains = 30;
    cfg.base.draws = 4;
    RunResult res;
    char err[512];
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    int seen[3] = {0, 0, 0};
    for (int c = 0; c < 30; c++) {
        double k = res.draws[(size_t)c * 4 * 7 + 6];
        ck_assert(k == 3 || k == 4 || k == 5);
        seen[(int)k - 3] = 1;
    }
    ck_assert(seen[0] && seen[1] && seen[2]);   /* 30 chains: each value */
    run_result_free(&res);
    static const double u0[3] = {0.5, 0.5, 4};
    m.init_u = u0;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    for (int c = 0; c < 30; c++)
        ck_assert_double_eq(res.draws[(size_t)c * 4 * 7 + 6], 4);
    run_result_free(&res);
}
END_TEST

/* ---- options ------------------------------------------------------------------------ */

typedef struct OptCase {
    BkOpt opt;
    const char *msg;          /* NULL: accepted */
} OptCase;

static const OptCase opt_cases[] = {
    {{"max-depth", "12"}, NULL},
    {{"max-depth", "x"}, "option --max-depth expects an integer, got 'x'"},
    {{"max-depth", "1.5"}, "option --max-depth expects an integer, got '1.5'"},
    {{"max-depth", NULL}, "option --max-depth expects an integer, got ''"},
    {{"max-dept", "12"}, "unknown option --max-dept for method 'gauss' (did you mean --max-depth?)"},
    {{"maxdepth", "12"}, "unknown option --maxdepth for method 'gauss' (did you mean --max-depth?)"},
    {{"scal", "2"}, "unknown option --scal for method 'gauss' (did you mean --scale?)"},
    {{"warp", "1"}, "unknown option --warp for method 'gauss'"},
    {{"scale", "2.5e-3"}, NULL},
    {{"scale", "fast"}, "option --scale expects a real number, got 'fast'"},
    {{"scale", "nan"}, "option --scale expects a real number, got 'nan'"},
    {{"allow-discrete", NULL}, NULL},
    {{"allow-discrete", "off"}, NULL},
    {{"allow-discrete", "maybe"}, "option --allow-discrete expects true or false, got 'maybe'"},
    {{"label", "abc"}, NULL},
};

START_TEST(options_checked)
{
    const OptCase *oc = &opt_cases[_i];
    BkOpt opts[2] = {oc->opt, {NULL, NULL}};
    char err[256] = "";
    int rc = bk_check_options(&backend_gauss, opts, 1, err, sizeof err);
    if (!oc->msg) {
        ck_assert_int_eq(rc, 0);
        return;
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err, oc->msg);
    /* run_inference refuses the same way, with status 1, before any work. */
    TestModel tm;
    RunModel m = tm_model(&tm);
    RunConfig cfg = base_config(&backend_gauss, NULL);
    cfg.base.opts = opts;
    cfg.base.nopts = 1;
    cfg.output_csv = tpath("never.csv");
    char err2[256] = "";
    ck_assert_int_eq(run_inference(&m, &cfg, NULL, err2, sizeof err2), 1);
    ck_assert_str_eq(err2, oc->msg);
    ck_assert_int_ne(access(tpath("never_1.csv"), F_OK), 0);
}
END_TEST

START_TEST(option_lookups)
{
    BkSettings s = {0};
    ck_assert_int_eq(bk_opt_int(&s, &backend_gauss, "max-depth"), 10);
    ck_assert_double_eq(bk_opt_real(&s, &backend_gauss, "scale"), 1.0);
    ck_assert_int_eq(bk_opt_bool(&s, &backend_gauss, "allow-discrete"), 0);
    ck_assert_str_eq(bk_opt_str(&s, &backend_gauss, "label"), "none");
    const BkOpt given[] = {{"max-depth", "3"}, {"scale", "0.25"}, {"allow-discrete", NULL},
                           {"max-depth", "12"}, {"label", "abc"}, {NULL, NULL}};
    s.opts = given;
    s.nopts = 5;
    ck_assert_int_eq(bk_opt_int(&s, &backend_gauss, "max-depth"), 12);   /* the last one wins */
    ck_assert_double_eq(bk_opt_real(&s, &backend_gauss, "scale"), 0.25);
    ck_assert_int_eq(bk_opt_bool(&s, &backend_gauss, "allow-discrete"), 1);
    ck_assert_str_eq(bk_opt_str(&s, &backend_gauss, "label"), "abc");
    const BkOpt off[] = {{"allow-discrete", "false"}, {NULL, NULL}};
    s.opts = off;
    s.nopts = 1;
    ck_assert_int_eq(bk_opt_bool(&s, &backend_gauss, "allow-discrete"), 0);
}
END_TEST

START_TEST(registry_lookup)
{
    size_t n = 0;
    for (; bk_registry[n]; n++) {
        ck_assert_ptr_eq(bk_find(bk_registry[n]->name), bk_registry[n]);
        ck_assert_ptr_nonnull(bk_registry[n]->create);
        ck_assert_ptr_nonnull(bk_registry[n]->step);
        ck_assert_ptr_nonnull(bk_registry[n]->draw);
        ck_assert(n < 64);
    }
    ck_assert_ptr_null(bk_find("no-such-method"));
    ck_assert_ptr_null(bk_find(NULL));
}
END_TEST

/* ---- interruption ------------------------------------------------------------------- */

/* Run a slow chain pair in a child with stdout/stderr to files; return its pid. */
static pid_t spawn_slow_run(const char *csv, const char *outp, const char *errp, int progress,
                            int chains)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen(outp, "w", stdout) || !freopen(errp, "w", stderr))
            _exit(99);
        TestModel tm;
        RunModel m = tm_model(&tm);
        static const BkOpt opts[] = {{"sleep-us", "1000"}, {NULL, NULL}};
        RunConfig cfg = base_config(&backend_gauss, stdout);
        cfg.base.opts = opts;
        cfg.base.nopts = 1;
        cfg.chains = chains;
        cfg.threads = 2;
        cfg.quiet = 0;
        cfg.progress = progress;
        cfg.base.warmup = 20;
        cfg.base.draws = 200000;
        cfg.output_csv = csv;
        char err[512];
        int rc = run_inference(&m, &cfg, NULL, err, sizeof err);
        fflush(stdout);
        _exit(rc);
    }
    return pid;
}

static long wait_rows(const char *path, long rows)
{
    for (int k = 0; k < 1000; k++) {
        CsvInfo ci = csv_parse(path);
        if (ci.ok && ci.nrows >= rows)
            return ci.nrows;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

START_TEST(sigint_stops_writes_and_summarises)
{
    char *csv = tpath("int.csv"), *outp = tpath("int.out"), *errp = tpath("int.err");
    pid_t pid = spawn_slow_run(csv, outp, errp, 1, 3);
    /* both running chains past 30 rows (on a loaded machine one may lag) */
    ck_assert_int_ge(wait_rows(tpath("int_1.csv"), 30), 30);
    ck_assert_int_ge(wait_rows(tpath("int_2.csv"), 30), 30);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 130);
    CsvInfo c1 = csv_parse(tpath("int_1.csv")), c2 = csv_parse(tpath("int_2.csv"));
    ck_assert(c1.ok && c2.ok && c1.has_timing);
    ck_assert(c1.nrows >= 30 && c1.nrows < 200000);
    ck_assert_int_eq(c1.nrows, c2.nrows);   /* cut back to the draws both chains have */
    char *text = slurp(outp, NULL);
    long n = c1.nrows < c2.nrows ? c1.nrows : c2.nrows;
    char head[160];
    snprintf(head, sizeof head, "vrun 0.1  model: gauss2d.vmod  method: gauss  chains: 2 x %ld draws", n);
    ck_assert_msg(strncmp(text, head, strlen(head)) == 0, "%s", text);
    ck_assert(strstr(text, "\nx.1 "));
    snprintf(head, sizeof head, "\ninterrupted: 2 of 3 chains started, %ld of 200000 draws per chain done", n);
    ck_assert_msg(strstr(text, head), "%s", text);
    ck_assert_int_ne(access(tpath("int_3.csv"), F_OK), 0);   /* never started: no file */
    free(text);
    /* stderr is not a terminal: plain progress lines, each chain in brief, the third
     * chain queued behind the two threads */
    text = slurp(errp, NULL);
    ck_assert_msg(strstr(text, "gauss: chain 1 ") == text, "%s", text);
    ck_assert_msg(strstr(text, " chain 3 queued, elapsed "), "%s", text);
    free(text);
}
END_TEST

START_TEST(sigkill_leaves_parseable_csv)
{
    char *csv = tpath("kill.csv"), *outp = tpath("kill.out"), *errp = tpath("kill.err");
    pid_t pid = spawn_slow_run(csv, outp, errp, 0, 2);
    ck_assert_int_ge(wait_rows(tpath("kill_2.csv"), 40), 40);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    for (int c = 1; c <= 2; c++) {
        char name[32];
        snprintf(name, sizeof name, "kill_%d.csv", c);
        CsvInfo ci = csv_parse(tpath(name));
        ck_assert(ci.ok && ci.nrows >= 30 && !ci.has_timing);
        ck_assert_str_eq(ci.header, "lp__,accept_stat__,stepsize__,x.1,x.2,y");
    }
    char *text = slurp(errp, NULL);
    ck_assert_str_eq(text, "");   /* --no-progress: nothing on stderr */
    free(text);
}
END_TEST

/* On a terminal the progress is a bar redrawn in place; --quiet silences it. */
START_TEST(progress_bar_on_a_terminal)
{
    char *capture = tpath("bar.txt");
    for (int quiet = 0; quiet < 2; quiet++) {
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int master, slave;
            if (openpty(&master, &slave, NULL, NULL, NULL) != 0 || dup2(slave, STDERR_FILENO) < 0)
                _exit(99);
            TestModel tm;
            RunModel m = tm_model(&tm);
            static const BkOpt opts[] = {{"sleep-us", "1000"}, {NULL, NULL}};
            RunConfig cfg = base_config(&backend_gauss, NULL);
            cfg.base.opts = opts;
            cfg.base.nopts = 1;
            cfg.chains = 2;
            cfg.threads = 2;
            cfg.base.draws = 300;
            cfg.quiet = quiet;
            cfg.progress = -1;
            char err[512];
            int rc = run_inference(&m, &cfg, NULL, err, sizeof err);
            fcntl(master, F_SETFL, O_NONBLOCK);
            char buf[4096];
            ssize_t n;
            FILE *f = fopen(capture, "w");
            while ((n = read(master, buf, sizeof buf)) > 0)
                fwrite(buf, 1, (size_t)n, f);
            fclose(f);
            _exit(rc);
        }
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        char *text = slurp(capture, NULL);
        if (quiet)
            ck_assert_str_eq(text, "");
        else {
            /* one line per chain and one for the run, redrawn in place */
            ck_assert_msg(strncmp(text, "\rchain 1 [", 10) == 0, "%s", text);
            ck_assert_msg(strstr(text, "\033[3A\rchain 1 [") != NULL, "%s", text);
            ck_assert_msg(strstr(text, "\rchain 2 [########################] 100%  done\033[K\r\n"), "%s", text);   /* the pty adds the \r */
            ck_assert(strstr(text, "\rgauss: 2 of 2 chains done, 0 running  elapsed "));
            ck_assert(strstr(text, "  left 0s\033[K\r\n"));
            ck_assert(text[strlen(text) - 1] == '\n');
        }
        free(text);
    }
}
END_TEST

START_TEST(zero_draws_and_no_warmup)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    char *outp = tpath("zero.txt");
    FILE *out = fopen(outp, "w");
    RunConfig cfg = base_config(&backend_gauss, out);
    cfg.base.draws = 0;
    cfg.base.warmup = 0;
    cfg.threads = 0;   /* all cores */
    cfg.output_csv = tpath("zero.csv");
    RunResult res;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    fclose(out);
    ck_assert_int_eq(res.ndraws, 0);
    ck_assert_int_eq(res.chains, 4);
    CsvInfo ci = csv_parse(tpath("zero_4.csv"));
    ck_assert(ci.ok && ci.nrows == 0 && !ci.has_adapt && ci.has_timing);
    char *text = slurp(outp, NULL);
    ck_assert(strstr(text, "chains: 4 x 0 draws"));
    ck_assert_msg(strstr(text, "\nx.1      NA     NA     NA     NA     NA     NA       NA       NA     NA\n"), "%s", text);
    free(text);
    run_result_free(&res);
}
END_TEST

/* ---- rstan reads what we write ------------------------------------------------------ */

START_TEST(rstan_reads_our_csv)
{
    TestModel tm;
    RunModel m = tm_model(&tm);
    char err[512];
    RunConfig cfg = base_config(&backend_gauss, NULL);
    Backend nuts = backend_gauss;   /* named as CmdStan's hmc engine */
    nuts.name = "nuts";
    cfg.backend = &nuts;
    cfg.chains = 2;
    cfg.base.draws = 300;
    cfg.output_csv = tpath("rs.csv");
    RunResult res;
    ck_assert_int_eq(run_inference(&m, &cfg, &res, err, sizeof err), 0);
    RunConfig vcfg = base_config(&backend_vi, NULL);
    vcfg.chains = 1;
    vcfg.output_csv = tpath("rsvi.csv");
    ck_assert_int_eq(run_inference(&m, &vcfg, NULL, err, sizeof err), 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "Rscript -e 'suppressMessages(library(rstan)); "
             "f <- read_stan_csv(c(\"%s\", \"%s\")); e <- extract(f, permuted = FALSE); "
             "cat(dim(e), \"\\n\"); cat(sprintf(\"%%.6g\", mean(e[, , \"x[1]\"])), \"\\n\"); "
             "cat(f@stan_args[[1]]$sampler_t, f@sim$warmup, \"\\n\"); "
             "v <- read_stan_csv(\"%s\"); cat(v@stan_args[[1]]$method, dim(as.matrix(v)), \"\\n\")' > %s 2>&1",
             tpath("rs_1.csv"), tpath("rs_2.csv"), tpath("rsvi.csv"), tpath("rs.out"));
    int rc = system(cmd);
    char *text = slurp(tpath("rs.out"), NULL);
    /* Asked only now, to start R once when it is there. */
    if (rc != 0 && system("Rscript -e 'suppressMessages(library(rstan))' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "rstan_reads_our_csv: skipped (no R with rstan)\n");
        free(text);
        run_result_free(&res);
        return;
    }
    ck_assert_msg(rc == 0, "Rscript failed: %s", text);
    /* iterations x chains x (x[1], x[2], y, lp__): rstan's parameters, not the sampler's __ columns */
    ck_assert_msg(strstr(text, "300 2 4 \n") == text, "%s", text);
    double mean = 0;
    for (int c = 0; c < 2; c++)
        for (long i = 0; i < 300; i++)
            mean += res.draws[((size_t)c * 300 + (size_t)i) * 6 + 3] / 600;
    double rmean = atof(strchr(text, '\n') + 1);
    ck_assert_msg(fabs(rmean - mean) < 1e-5, "rstan's mean of x[1] %g, ours %g", rmean, mean);
    ck_assert_msg(strstr(text, "\nNUTS(diag_e) 50 \nvariational 400 6 \n"), "%s", text);
    free(text);
    run_result_free(&res);
}
END_TEST

static Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, same_seed_same_bytes_any_threads);
    tcase_add_test(tc, chain_rng_streams);
    tcase_add_test(tc, csv_parses_and_is_named_like_cmdstan);
    tcase_add_test(tc, csv_number_format);
    tcase_add_test(tc, summary_means_within_4_mcse);
    tcase_add_test(tc, summary_counts_failed_values);
    tcase_add_test(tc, vi_converges_then_draws);
    tcase_add_loop_test(tc, errors_give_status_and_message, 0, sizeof err_cases / sizeof *err_cases);
    tcase_add_test(tc, init_discrete_and_given);
    tcase_add_loop_test(tc, options_checked, 0, sizeof opt_cases / sizeof *opt_cases);
    tcase_add_test(tc, option_lookups);
    tcase_add_test(tc, registry_lookup);
    tcase_add_test(tc, sigint_stops_writes_and_summarises);
    tcase_add_test(tc, sigkill_leaves_parseable_csv);
    tcase_add_test(tc, progress_bar_on_a_terminal);
    tcase_add_test(tc, zero_draws_and_no_warmup);
    tcase_add_test(tc, rstan_reads_our_csv);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(run_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
