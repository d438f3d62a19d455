/* User-defined functions (runtime/ufunc.c) and print / reject / fatal_error.
 *
 * Each pair is one model written with functions and the same model with the
 * function bodies written inline: at several points the two log densities must be
 * equal (to rounding) and the function version's gradient must match central finite
 * differences.  Value cases check what a function returns (recursion, a matrix
 * helper, ints), and an _rng function's draws equal the inline draws with the same
 * generator state. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <gsl/gsl_rng.h>
#include "runtime/vmod.h"

typedef struct Pair { const char *fn, *inl; } Pair;

static const Pair pairs[] = {
    /* a _lpdf used with ~ and with |, vectorised arguments inside */
    {"real skew_lpdf(real y, real mu, real s, real a) {\n"
     "  real z = (y - mu) / s;\n"
     "  return normal_lpdf(y | mu, s) + log(2) + normal_lcdf(a * z | 0, 1);\n}\n"
     "data vector[3] y = [0.5, 1.5, -0.2]';\nparam real mu;\nparam real<lower=0> s;\n"
     "for (n in 1:3) y[n] ~ skew(mu, s, 2);\ntarget += skew_lpdf(1.0 | mu, s, -1);\n",
     "data vector[3] y = [0.5, 1.5, -0.2]';\nparam real mu;\nparam real<lower=0> s;\n"
     "for (n in 1:3) target += normal_lpdf(y[n] | mu, s) + log(2) + normal_lcdf(2 * (y[n] - mu) / s | 0, 1);\n"
     "target += normal_lpdf(1.0 | mu, s) + log(2) + normal_lcdf(-1 * (1.0 - mu) / s | 0, 1);\n"},
    /* a void _lp adding to the density, called from another _lp */
    {"void inner_lp(vector z, real tau) { z ~ normal(0, tau); }\n"
     "void hier_lp(vector z, real tau) { inner_lp(z, tau); target += -tau; }\n"
     "param real<lower=0> tau;\nparam vector[2] z;\nhier_lp(z, tau);\n",
     "param real<lower=0> tau;\nparam vector[2] z;\nz ~ normal(0, tau);\ntarget += -tau;\n"},
    /* scalars ~ normal inside a void _lp (not root terms there: a variable each) */
    {"void pri_lp(real m, real t) { m ~ normal(0, t); t ~ normal(1, 2); m ~ normal(t, 3); }\n"
     "param real mu;\nparam real<lower=0> tau;\npri_lp(mu, tau);\n",
     "param real mu;\nparam real<lower=0> tau;\nmu ~ normal(0, tau);\ntau ~ normal(1, 2);\nmu ~ normal(tau, 3);\n"},
    /* recursion on reals: a power by repeated multiplication */
    {"real rpow(real x, int n) { if (n == 0) return 1; return x * rpow(x, n - 1); }\n"
     "param real x;\nparam real y;\ntarget += -rpow(x, 4) - rpow(y - x, 2);\n",
     "param real x;\nparam real y;\ntarget += -x * x * x * x - (y - x) * (y - x);\n"},
    /* a matrix-valued helper, used in a parameter-dependent let */
    {"matrix outer2(vector a, vector b) { return a * b'; }\n"
     "matrix cov(vector a, real s) { matrix[2, 2] m = outer2(a, a); return m + diag_matrix(rep_vector(s, 2)); }\n"
     "param vector[2] a;\nparam real<lower=0> s;\nlet matrix[2, 2] S = cov(a, s);\n"
     "[0.3, -0.1]' ~ multi_normal([0, 0]', S);\n",
     "param vector[2] a;\nparam real<lower=0> s;\nlet matrix[2, 2] S = a * a' + diag_matrix(rep_vector(s, 2));\n"
     "[0.3, -0.1]' ~ multi_normal([0, 0]', S);\n"},
    /* a loop with an early return, locals, array arguments, int promotion */
    {"real firstpos(array[] real x, data array[] int w) {\n  for (i in 1:size(x)) {\n    real v = x[i] * w[i];\n"
     "    if (v > 0) return v;\n  }\n  return 0;\n}\n"
     "param real a;\nparam real b;\ntarget += -square(firstpos({a, b, 1.0}, {2, 3, 1}));\n",
     "param real a;\nparam real b;\ntarget += -square(2 * a > 0 ? 2 * a : (3 * b > 0 ? 3 * b : 1.0));\n"},
    /* multi_normal_prec (not a function, but checked the same way): the precision
     * form equals multi_normal with the inverse, in value and gradient */
    {"param vector[2] m;\nparam vector<lower=0>[2] s;\nparam real<lower=-1, upper=1> c;\n"
     "let matrix[2, 2] O = [[s[1], c * sqrt(s[1] * s[2])], [c * sqrt(s[1] * s[2]), s[2]]];\n"
     "[0.3, -0.1]' ~ multi_normal_prec(m, O);\n{[1, 2]', [0, 0.5]'} ~ multi_normal_prec(m, O);\n",
     "param vector[2] m;\nparam vector<lower=0>[2] s;\nparam real<lower=-1, upper=1> c;\n"
     "let matrix[2, 2] O = [[s[1], c * sqrt(s[1] * s[2])], [c * sqrt(s[1] * s[2]), s[2]]];\n"
     "[0.3, -0.1]' ~ multi_normal(m, inverse(O));\n{[1, 2]', [0, 0.5]'} ~ multi_normal(m, inverse(O));\n"},
    /* ordered_probit against its definition with Phi, every category */
    {"data array[5] int k = {1, 2, 3, 4, 2};\nparam real eta;\nparam ordered[3] c;\n"
     "k ~ ordered_probit(eta, c);\nc ~ normal(0, 2);\n",
     "data array[5] int k = {1, 2, 3, 4, 2};\nparam real eta;\nparam ordered[3] c;\n"
     "for (n in 1:5) {\n  if (k[n] == 1) target += log(1 - Phi(eta - c[1]));\n"
     "  else if (k[n] == 4) target += log(Phi(eta - c[3]));\n"
     "  else target += log(Phi(eta - c[k[n] - 1]) - Phi(eta - c[k[n]]));\n}\nc ~ normal(0, 2);\n"},
    /* the category GLMs (stdlib/dist_glm_cat.c; not in rstan 2.21's language, so
     * checked here against their definitions row by row) */
    {"data matrix[4, 2] X = [[0.1, 2], [0.5, 1.5], [-1, -0.3], [0.2, 0.7]];\ndata array[4] int y = {1, 3, 2, 3};\n"
     "param vector[2] b;\nparam ordered[2] c;\nparam vector[3] a;\nparam matrix[2, 3] B;\n"
     "y ~ ordered_logistic_glm(X, b, c);\ny ~ categorical_logit_glm(X, a, B);\n",
     "data matrix[4, 2] X = [[0.1, 2], [0.5, 1.5], [-1, -0.3], [0.2, 0.7]];\ndata array[4] int y = {1, 3, 2, 3};\n"
     "param vector[2] b;\nparam ordered[2] c;\nparam vector[3] a;\nparam matrix[2, 3] B;\n"
     "for (n in 1:4) {\n  y[n] ~ ordered_logistic(X[n] * b, c);\n  y[n] ~ categorical_logit(a + (X[n] * B)');\n}\n"},
    /* a _lpmf used with ~ on an int, with a parameter */
    {"real zip_lpmf(int k, real th, real lam) {\n  if (k == 0) return log_sum_exp(log(th), log1m(th) + poisson_lpmf(0 | lam));\n"
     "  return log1m(th) + poisson_lpmf(k | lam);\n}\n"
     "data array[4] int y = {0, 2, 0, 1};\nparam real<lower=0, upper=1> th;\nparam real<lower=0> lam;\n"
     "for (n in 1:4) y[n] ~ zip(th, lam);\n",
     "data array[4] int y = {0, 2, 0, 1};\nparam real<lower=0, upper=1> th;\nparam real<lower=0> lam;\n"
     "for (n in 1:4) if (y[n] == 0) target += log_sum_exp(log(th), log1m(th) + poisson_lpmf(0 | lam));\n"
     "  else target += log1m(th) + poisson_lpmf(y[n] | lam);\n"},
};

static VmModel *load(const char *src)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    ck_assert_msg(m != NULL, "load failed:\n%s\nmodel:\n%s", msg ? msg : "", src);
    return m;
}

static double lp_at(VmEval *e, const double *u)
{
    double lp;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
    return lp;
}

START_TEST(same_as_inline)
{
    const Pair *p = &pairs[_i];
    VmModel *mf = load(p->fn), *mi = load(p->inl);
    size_t dim = vm_model_dim(mf);
    ck_assert_uint_eq(dim, vm_model_dim(mi));
    ck_assert_uint_le(dim, 16);
    VmEval *ef = vm_eval_new(mf), *ei = vm_eval_new(mi);
    double u[16], g[16], gi[16];
    for (int rep = 0; rep < 4; rep++) {
        for (size_t k = 0; k < dim; k++) u[k] = sin(1.7 * (double)(k + 1) + 0.9 * rep) * 1.3;
        double lf, li;
        ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, g), 0);
        ck_assert_int_eq(vm_log_density(ei, u, 1, &li, gi), 0);
        ck_assert_msg(isfinite(lf) && fabs(lf - li) <= 1e-12 * fmax(1, fabs(li)), "%s\nlp %.17g, inline %.17g (%s)",
                      p->fn, lf, li, vm_eval_message(ef));
        for (size_t k = 0; k < dim; k++) {
            double h = 1e-5, u0 = u[k];
            u[k] = u0 + h;
            double fp = lp_at(ef, u);
            u[k] = u0 - h;
            double fm = lp_at(ef, u);
            u[k] = u0;
            double fd = (fp - fm) / (2 * h);
            ck_assert_msg(fabs(fd - g[k]) <= 1e-6 * fmax(1, fabs(g[k])), "%s\nd/d%s is %.12g, finite differences %.12g",
                          p->fn, vm_model_unc_name(mf, k), g[k], fd);
            ck_assert_msg(fabs(gi[k] - g[k]) <= 1e-10 * fmax(1, fabs(g[k])), "%s\nd/d%s is %.12g, inline %.12g",
                          p->fn, vm_model_unc_name(mf, k), g[k], gi[k]);
        }
    }
    vm_eval_free(ef);
    vm_eval_free(ei);
    vm_model_free(mf);
    vm_model_free(mi);
}
END_TEST

/* the values of gen `out` (Stan CSV order) */
static int values(const char *src, gsl_rng *r, double *out, int max)
{
    VmModel *m = load(src);
    VmEval *e = vm_eval_new(m);
    gsl_rng *own = r ? NULL : gsl_rng_alloc(gsl_rng_mt19937);   /* without a generator gens are NaN */
    if (own) r = own;
    size_t nv = vm_model_nvalues(m);
    double *all = calloc(nv + 1, sizeof *all), u[4] = {0.3, -0.2, 0.1, 0.4};
    ck_assert_msg(vm_write_values(e, u, r, all) == 0, "%s\n%s", src, vm_eval_message(e));
    int n = 0;
    for (size_t i = 0; i < nv; i++) {
        const char *nm = vm_model_value_name(m, i);
        if ((strcmp(nm, "out") == 0 || strncmp(nm, "out.", 4) == 0) && n < max) out[n++] = all[i];
    }
    free(all);
    if (own) gsl_rng_free(own);
    vm_eval_free(e);
    vm_model_free(m);
    return n;
}

START_TEST(returned_values)
{
    double v[8];
    ck_assert_int_eq(values("int fib(int n);\nint fib(int n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }\n"
                            "gen int out = fib(15);", NULL, v, 8), 1);
    ck_assert_double_eq(v[0], 610);
    ck_assert_int_eq(values("real fact(int n) { if (n <= 1) return 1; return n * fact(n - 1); }\n"
                            "gen real out = fact(10);", NULL, v, 8), 1);
    ck_assert_double_eq(v[0], 3628800);
    ck_assert_int_eq(values("matrix outer2(vector a, vector b) { return a * b'; }\n"
                            "gen matrix[2, 2] out = outer2([1, 2]', [3, 4]');", NULL, v, 8), 4);
    ck_assert_double_eq(v[0], 3);   /* column-major: [1,1], [2,1], [1,2], [2,2] */
    ck_assert_double_eq(v[1], 6);
    ck_assert_double_eq(v[2], 4);
    ck_assert_double_eq(v[3], 8);
    ck_assert_int_eq(values("array[] int twice(array[] int k) { array[size(k)] int r; for (i in 1:size(k)) r[i] = 2 * k[i];"
                            " return r; }\ngen array[3] int out = twice({1, 2, 3});", NULL, v, 8), 3);
    ck_assert_double_eq(v[2], 6);
    /* the caller's locals come back after a recursive call rebinds the same slots */
    ck_assert_int_eq(values("int sumto(int n) { int here = n; if (n == 0) return 0; int rest = sumto(n - 1); return here + rest; }\n"
                            "gen int out = sumto(100);", NULL, v, 8), 1);
    ck_assert_double_eq(v[0], 5050);
}
END_TEST

START_TEST(rng_function_in_gen)
{
    double a[4], b[4];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    ck_assert_int_eq(values("real shifted_rng(real mu) { return normal_rng(mu, 1) + 10; }\n"
                            "gen vector[3] out;\nfor (i in 1:3) out[i] = shifted_rng(i);", r, a, 4), 3);
    gsl_rng_set(r, 7);
    ck_assert_int_eq(values("gen vector[3] out;\nfor (i in 1:3) out[i] = normal_rng(i, 1) + 10;", r, b, 4), 3);
    for (int i = 0; i < 3; i++) ck_assert_double_eq(a[i], b[i]);
    ck_assert(a[0] != a[1]);
    gsl_rng_free(r);
}
END_TEST

/* reject: that evaluation's density is -inf with the user's message */
START_TEST(reject_in_density)
{
    VmModel *m = load("real check(real x) { if (x > 1) reject(\"x too big: \", x); return x; }\n"
                      "param real x;\ntarget += -square(check(x));\n");
    VmEval *e = vm_eval_new(m);
    double u = 0.5, g, lp;
    ck_assert_int_eq(vm_log_density(e, &u, 1, &lp, &g), 0);
    ck_assert_double_eq_tol(lp, -0.25, 1e-15);
    u = 2;
    ck_assert_int_eq(vm_log_density(e, &u, 1, &lp, &g), 0);
    ck_assert(lp == -INFINITY);
    ck_assert_str_eq(vm_eval_message(e), "x too big: 2");
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* fatal_error stops inference: vm_log_density returns -1 */
START_TEST(fatal_in_density)
{
    VmModel *m = load("param real x;\nif (x > 1) fatal_error(\"bad x \", x);\ntarget += -square(x);\n");
    VmEval *e = vm_eval_new(m);
    double u = 3, g, lp;
    ck_assert_int_eq(vm_log_density(e, &u, 1, &lp, &g), -1);
    ck_assert_str_eq(vm_eval_message(e), "bad x 3");
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* An _rng returns what Stan's returns: an int for scalar arguments (categorical's
 * vector of probabilities is one argument, not a vectorisation), an int array for an
 * array of vectors.  The column is `s`, and its frequencies are softmax(lp). */
START_TEST(rng_int_for_scalar_args)
{
    const char *src = "data vector[3] lp = [0.1, 0.5, -1]';\n"
                      "data array[2] vector[3] lps = {[0.1, 0.5, -1]', [2, 0, 0]'};\n"
                      "gen int s = categorical_logit_rng(lp);\ngen int c = categorical_rng(softmax(lp));\n"
                      "gen array[2] int ss = categorical_logit_rng(lps);\n";
    VmModel *m = load(src);
    ck_assert_uint_eq(vm_model_nvalues(m), 4);
    ck_assert_str_eq(vm_model_value_name(m, 0), "s");
    ck_assert_str_eq(vm_model_value_name(m, 1), "c");
    ck_assert_str_eq(vm_model_value_name(m, 2), "ss.1");
    VmEval *e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double out[4], cnt[2][3] = {{0}}, z = exp(0.1) + exp(0.5) + exp(-1.0);
    const double p[3] = {exp(0.1) / z, exp(0.5) / z, exp(-1.0) / z};
    int n = 20000;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(vm_write_values(e, NULL, r, out), 0);
        for (int k = 0; k < 2; k++) {
            ck_assert(out[k] == 1 || out[k] == 2 || out[k] == 3);
            cnt[k][(int)out[k] - 1]++;
        }
    }
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++)   /* 5 standard errors */
            ck_assert_msg(fabs(cnt[k][j] / n - p[j]) < 5 * sqrt(p[j] * (1 - p[j]) / n), "value %d: %g, want %g", j + 1,
                          cnt[k][j] / n, p[j]);
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* multi_normal_prec_rng: covariance = the inverse of the precision */
START_TEST(prec_rng_covariance)
{
    VmModel *m = load("gen vector[2] out = multi_normal_prec_rng([1, -1]', [[2, 0.5], [0.5, 1]]);");
    VmEval *e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double o[2], s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
    int n = 40000;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(vm_write_values(e, NULL, r, o), 0);
        s1 += o[0]; s2 += o[1]; s11 += o[0] * o[0]; s22 += o[1] * o[1]; s12 += o[0] * o[1];
    }
    double m1 = s1 / n, m2 = s2 / n, c11 = s11 / n - m1 * m1, c22 = s22 / n - m2 * m2, c12 = s12 / n - m1 * m2;
    /* inverse of [[2, .5], [.5, 1]] = [[1, -.5], [-.5, 2]] / 1.75 */
    ck_assert_msg(fabs(m1 - 1) < 0.02 && fabs(m2 + 1) < 0.03, "means %g %g", m1, m2);
    ck_assert_msg(fabs(c11 - 1 / 1.75) < 0.02 && fabs(c22 - 2 / 1.75) < 0.04 && fabs(c12 + 0.5 / 1.75) < 0.02,
                  "cov %g %g %g", c11, c22, c12);
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* ordered_probit_rng: category frequencies = differences of Phi */
START_TEST(ordered_probit_rng_freq)
{
    VmModel *m = load("gen int out = ordered_probit_rng(0.3, [-1, 0.5, 1.2]');");
    VmEval *e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 9);
    double o[1], cnt[4] = {0}, c[3] = {-1, 0.5, 1.2}, P[5];
    int n = 40000;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(vm_write_values(e, NULL, r, o), 0);
        ck_assert(o[0] >= 1 && o[0] <= 4);
        cnt[(int)o[0] - 1]++;
    }
    P[0] = 0;
    for (int k = 0; k < 3; k++) P[k + 1] = 0.5 * erfc(-(c[k] - 0.3) / sqrt(2.0));
    P[4] = 1;
    for (int k = 0; k < 4; k++) {
        double p = P[k + 1] - P[k];
        ck_assert_msg(fabs(cnt[k] / n - p) < 5 * sqrt(p * (1 - p) / n), "category %d: %g, want %g", k + 1, cnt[k] / n, p);
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Runaway recursion is an error that names the function, not a stack overflow: in
 * the density (the count of 10,000 levels alone let a default 8 MB stack overflow at
 * about 3,000) and in gen, with whatever stack the thread has. */
static void *runaway(void *arg)
{
    (void)arg;
    VmModel *m = load("real inf(real x) { return inf(x) + 1; }\nparam real x;\ntarget += -square(inf(x));\n");
    VmEval *e = vm_eval_new(m);
    double u = 0.5, g, lp;
    vm_log_density(e, &u, 1, &lp, &g);
    ck_assert(!isfinite(lp));
    ck_assert_msg(strstr(vm_eval_message(e), "'inf': calls nested") && strstr(vm_eval_message(e), "runaway recursion"),
                  "%s", vm_eval_message(e));
    vm_eval_free(e);
    vm_model_free(m);
    m = load("int deep(int n) { if (n == 0) return 0; return 1 + deep(n - 1); }\n"
             "gen int ok = deep(500);\ngen int out = deep(1000000);\n");
    e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double o[2];
    ck_assert_int_ne(vm_write_values(e, NULL, r, o), 0);
    ck_assert_msg(strstr(vm_eval_message(e), "'deep': calls nested"), "%s", vm_eval_message(e));
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
    m = load("int deep(int n) { if (n == 0) return 0; return 1 + deep(n - 1); }\ngen int out = deep(500);\n");
    e = vm_eval_new(m);
    r = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_int_eq(vm_write_values(e, NULL, r, o), 0);
    ck_assert_double_eq(o[0], 500);
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
    return NULL;
}

START_TEST(runaway_recursion)
{
    runaway(NULL);
    pthread_attr_t at;
    pthread_t t;
    ck_assert_int_eq(pthread_attr_init(&at), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&at, (size_t)2 << 20), 0);
    ck_assert_int_eq(pthread_create(&t, &at, runaway, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&at);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ufunc");
    TCase *tc = tcase_create("ufunc");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, same_as_inline, 0, (int)(sizeof pairs / sizeof *pairs));
    tcase_add_test(tc, returned_values);
    tcase_add_test(tc, rng_function_in_gen);
    tcase_add_test(tc, reject_in_density);
    tcase_add_test(tc, fatal_in_density);
    tcase_add_test(tc, rng_int_for_scalar_args);
    tcase_add_test(tc, prec_rng_covariance);
    tcase_add_test(tc, ordered_probit_rng_freq);
    tcase_add_test(tc, runaway_recursion);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
