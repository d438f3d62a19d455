/* Discrete parameters summed out for gradient methods (runtime/marginal.c).
 *
 * - The mixture of examples/ with z enumerated has exactly the log density and
 *   gradient of the same mixture marginalised by hand (log_sum_exp), at several
 *   points; its gradient also matches finite differences.
 * - Per-observation z draws have the frequencies of their exact conditionals.
 * - A model whose discrete elements interact (a Markov chain) and one with too many
 *   values are refused with the elements named.
 * - A change-point model (Poisson counts, a change point s in 1..T) run with NUTS by
 *   vrun (argv[1]) gives the posterior of s that the test computes by enumeration
 *   (the rates integrate out in closed form under their gamma priors). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

static double normal_pdf(double x, double sd) { return exp(-0.5 * x * x / (sd * sd)) / (sd * sqrt(2 * M_PI)); }
#include "runtime/vmod.h"

static const char *vrun_path;

#define MIX_DATA "data int<lower=1> K = 2;\ndata int<lower=0> N = 6;\n" \
    "data vector[N] y = [-1.94, 3.72, 0.4, 3.09, -3.58, 2.0]';\n" \
    "param simplex[K] w;\nparam ordered[K] mu;\nparam vector<lower=0>[K] sigma;\n" \
    "w ~ dirichlet(rep_vector(2, K));\nmu ~ normal(0, 5);\nsigma ~ lognormal(0, 1);\n"

static const char *mix_z = MIX_DATA "param array[N] int<lower=1, upper=K> z;\n"
    "for (n in 1:N) {\n  z[n] ~ categorical(w);\n  y[n] ~ normal(mu[z[n]], sigma[z[n]]);\n}\n";
static const char *mix_hand = MIX_DATA
    "for (n in 1:N) target += log_sum_exp(log(w[1]) + normal_lpdf(y[n] | mu[1], sigma[1]),\n"
    "                                     log(w[2]) + normal_lpdf(y[n] | mu[2], sigma[2]));\n";

static VmModel *load(const char *src)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    ck_assert_msg(m != NULL, "load failed:\n%s\nmodel:\n%s", msg ? msg : "", src);
    return m;
}

START_TEST(mixture_exact)
{
    VmModel *mz = load(mix_z), *mh = load(mix_hand);
    char *msg = NULL;
    VmMarg *g = vm_marg_new(mz, &msg);
    ck_assert_msg(g != NULL, "%s", msg ? msg : "");
    VmEval *eh = vm_eval_new(mh);
    size_t dim = vm_model_dim(mz);
    ck_assert_uint_eq(dim, vm_model_dim(mh));
    double u[16], gz[16], gh[16];
    for (int rep = 0; rep < 5; rep++) {
        for (size_t i = 0; i < dim; i++) u[i] = 1.2 * sin(2.3 * (double)i + 1.1 * rep);
        double lz, lh;
        ck_assert_int_eq(vm_marg_log_density(g, u, &lz, gz), 0);
        ck_assert_int_eq(vm_log_density(eh, u, 1, &lh, gh), 0);
        ck_assert_msg(fabs(lz - lh) <= 1e-10 * (1 + fabs(lh)), "lp %.15g, by hand %.15g", lz, lh);
        for (size_t i = 0; i < dim; i++) {
            ck_assert_msg(fabs(gz[i] - gh[i]) <= 1e-8 * (1 + fabs(gh[i])), "d/d%s %.12g, by hand %.12g",
                          vm_model_unc_name(mz, i), gz[i], gh[i]);
            double h = 1e-5, u0 = u[i], fp, fm;
            u[i] = u0 + h;
            vm_marg_log_density(g, u, &fp, NULL);
            u[i] = u0 - h;
            vm_marg_log_density(g, u, &fm, NULL);
            u[i] = u0;
            ck_assert_msg(fabs((fp - fm) / (2 * h) - gz[i]) <= 1e-6 * (1 + fabs(gz[i])), "d/d%s %.12g, FD %.12g",
                          vm_model_unc_name(mz, i), gz[i], (fp - fm) / (2 * h));
        }
    }
    vm_eval_free(eh);
    vm_marg_free(g);
    vm_model_free(mz);
    vm_model_free(mh);
}
END_TEST

START_TEST(z_draws_exact_conditional)
{
    VmModel *m = load(mix_z);
    char *msg = NULL;
    VmMarg *g = vm_marg_new(m, &msg);
    ck_assert_msg(g != NULL, "%s", msg ? msg : "");
    size_t dim = vm_model_dim(m), nv = vm_model_nvalues(m);
    double u[16], *vals = calloc(nv, sizeof *vals);
    for (size_t i = 0; i < dim; i++) u[i] = 0.4 * cos(1.7 * (double)i);
    /* the constrained w, mu, sigma at u: the first 6 values (w.1 w.2 mu.1 mu.2 sigma.1 sigma.2) */
    VmEval *e = vm_eval_new(m);
    double full[32] = {0}, x[16];
    memcpy(full, u, dim * sizeof *u);
    for (int j = 0; j < 6; j++) full[dim + j] = 1;
    ck_assert_int_eq(vm_constrain(e, full, x), 0);
    const double y[6] = {-1.94, 3.72, 0.4, 3.09, -3.58, 2.0};
    double p1[6];
    for (int n = 0; n < 6; n++) {
        double a = x[0] * normal_pdf(y[n] - x[2], x[4]);
        double b = x[1] * normal_pdf(y[n] - x[3], x[5]);
        p1[n] = a / (a + b);
    }
    size_t zcol = 0;
    for (size_t i = 0; i < nv; i++) if (!strcmp(vm_model_value_name(m, i), "z.1")) zcol = i;
    ck_assert(zcol > 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    int ndraw = 20000;
    double cnt[6] = {0};
    for (int d = 0; d < ndraw; d++) {
        ck_assert_int_eq(vm_marg_write_values(g, u, r, vals), 0);
        for (int n = 0; n < 6; n++) {
            ck_assert(vals[zcol + n] == 1 || vals[zcol + n] == 2);
            cnt[n] += vals[zcol + n] == 1;
        }
    }
    for (int n = 0; n < 6; n++) {
        double f = cnt[n] / ndraw, se = sqrt(p1[n] * (1 - p1[n]) / ndraw);
        ck_assert_msg(fabs(f - p1[n]) <= 5 * se + 1e-12, "z[%d] = 1 in %.4f of the draws, exact %.4f", n + 1, f, p1[n]);
    }
    gsl_rng_free(r);
    free(vals);
    vm_eval_free(e);
    vm_marg_free(g);
    vm_model_free(m);
}
END_TEST

START_TEST(refused)
{
    VmModel *m = load("param real<lower=0, upper=1> p;\nparam array[3] int<lower=1, upper=2> z;\n"
                      "z[1] ~ categorical([p, 1 - p]');\n"
                      "for (t in 2:3) target += z[t] == z[t - 1] ? log(0.9) : log(0.1);\n");
    char *msg = NULL;
    ck_assert(vm_marg_new(m, &msg) == NULL);
    ck_assert_msg(msg && strstr(msg, "'z[1]' and 'z[2]' interact in the density"), "%s", msg ? msg : "(none)");
    free(msg);
    vm_model_free(m);
    m = load("param real mu;\nparam int<lower=1, upper=1000> k;\nmu ~ normal(k, 1);\n");
    ck_assert(vm_marg_new(m, &msg) == NULL);
    ck_assert_msg(msg && strstr(msg, "cannot sum 'k' out") && strstr(msg, "--method=mh"), "%s", msg ? msg : "(none)");
    free(msg);
    vm_model_free(m);
}
END_TEST

/* log of the gamma-Poisson marginal of counts y[a..b) under rate ~ gamma(A, B), without the 1/y! */
static double seg(const int *y, int a, int b, double A, double B)
{
    double S = 0;
    for (int t = a; t < b; t++) S += y[t];
    return A * log(B) - lgamma(A) + lgamma(A + S) - (A + S) * log(B + (b - a));
}

/* The change-point model run by vrun with `method`: the draws of s (the files
 * d_1.csv ... d_<files>.csv, or d.csv) against the exact posterior, each P(s = k)
 * within se_mult standard errors plus slack of it.  A VI method's file starts with
 * the row of q's mean (Stan's CSV for ADVI), which is not a draw. */
static void change_point_run(const char *method, int files, long ndraws, double se_mult, double slack, int vi)
{
    enum { T = 12 };
    const int y[T] = {2, 1, 3, 2, 1, 2, 5, 4, 6, 3, 7, 5};
    char dir[] = "/tmp/vmod_cpXXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/cp.vmod", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "data int T = %d;\ndata array[T] int y = {", T);
    for (int t = 0; t < T; t++) fprintf(f, "%s%d", t ? ", " : "", y[t]);
    fprintf(f, "};\nparam real<lower=0> e;\nparam real<lower=0> l;\nparam int<lower=1, upper=T> s;\n"
               "e ~ gamma(2, 1);\nl ~ gamma(2, 1);\nfor (t in 1:T) y[t] ~ poisson(t < s ? e : l);\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s' --method=%s --seed=11 --output='%s/d.csv' > '%s/out' 2>&1", vrun_path, path,
             method, dir, dir);
    ck_assert_msg(system(cmd) == 0, "vrun failed: %s", cmd);
    /* exact posterior of s: s = k puts y[1..k-1] on e and y[k..T] on l */
    double lw[T], mx = -INFINITY, z = 0, p[T];
    for (int k = 1; k <= T; k++) {
        lw[k - 1] = seg(y, 0, k - 1, 2, 1) + seg(y, k - 1, T, 2, 1);
        if (lw[k - 1] > mx) mx = lw[k - 1];
    }
    for (int k = 0; k < T; k++) z += exp(lw[k] - mx);
    for (int k = 0; k < T; k++) p[k] = exp(lw[k] - mx) / z;
    double cnt[T] = {0};
    long n = 0;
    for (int c = 1; c <= files; c++) {
        char csv[300], line[4096];
        snprintf(csv, sizeof csv, "%s/d_%d.csv", dir, c);
        FILE *in = fopen(csv, "r");
        if (!in && files == 1) { snprintf(csv, sizeof csv, "%s/d.csv", dir); in = fopen(csv, "r"); }
        ck_assert_msg(in != NULL, "no %s", csv);
        int scol = -1, mean_row = vi;
        while (fgets(line, sizeof line, in)) {
            if (line[0] == '#') continue;
            char *tok = strtok(line, ",\n");
            if (scol < 0) {
                for (int k = 0; tok; k++, tok = strtok(NULL, ",\n")) if (!strcmp(tok, "s")) scol = k;
                ck_assert(scol >= 0);
                continue;
            }
            if (mean_row) { mean_row = 0; continue; }
            for (int k = 0; tok && k < scol; k++) tok = strtok(NULL, ",\n");
            ck_assert(tok != NULL);
            int sv = atoi(tok);
            ck_assert(sv >= 1 && sv <= T);
            cnt[sv - 1]++;
            n++;
        }
        fclose(in);
    }
    ck_assert_int_eq(n, ndraws);
    for (int k = 0; k < T; k++) {
        double fk = cnt[k] / n, se = sqrt(p[k] * (1 - p[k]) / n);
        ck_assert_msg(fabs(fk - p[k]) <= se_mult * se + slack, "%s: P(s = %d): %.4f of the draws, exact %.4f", method,
                      k + 1, fk, p[k]);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
}

START_TEST(change_point_nuts)
{
    /* 5 standard errors, doubled for the autocorrelation of the rates' draws */
    change_point_run("nuts", 4, 4000, 10, 0.002, 0);
}
END_TEST

/* bbvi and flow sum s out too (Backend.sums_discrete): s is drawn from its exact
 * conditional given each draw of q, so its frequencies follow the posterior up to
 * q's error in (e, l); a categorical q of their own, as before, put all its mass on
 * one or two values of s. */
START_TEST(change_point_vi)
{
    change_point_run("bbvi", 1, 1000, 5, 0.04, 1);
    change_point_run("flow", 1, 1000, 5, 0.04, 1);
}
END_TEST

int main(int argc, char **argv)
{
    vrun_path = argc > 1 ? argv[1] : "vrun";
    Suite *s = suite_create("marginal");
    TCase *tc = tcase_create("marginal");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, mixture_exact);
    tcase_add_test(tc, z_draws_exact_conditional);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, change_point_nuts);
    tcase_add_test(tc, change_point_vi);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
