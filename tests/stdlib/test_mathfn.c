/* The scalar math table: derivatives vs central finite differences over each row's
 * domain, values vs independent formulas (libm, GSL), finite values in the tails. */
#include <check.h>
#include <math.h>
#include <float.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf.h>
#include <gsl/gsl_cdf.h>
#include "stdlib/mathfn.h"
#include "stdlib/mathfn_impl.h"

static int nrows(void)
{
    int n = 0;
    while (mathfn_table[n].name) n++;
    return n;
}

/* Evaluate row f at x[0..arity), gradient into g. */
static double eval(const MathFn *f, const double *x, double *g)
{
    switch (f->arity) {
    case 1: return f->f1(x[0], g ? &g[0] : NULL);
    case 2: return f->f2(x[0], x[1], g ? &g[0] : NULL, g ? &g[1] : NULL);
    case 3: return f->f3(x[0], x[1], x[2], g ? &g[0] : NULL, g ? &g[1] : NULL, g ? &g[2] : NULL);
    default: return f->c;
    }
}

/* Kinks of fmin/fmax sit on x == y; log_diff_exp needs x > y. */
static int skip_point(const MathFn *f, const double *x)
{
    if (f->arity >= 2 && (strcmp(f->name, "fmin") == 0 || strcmp(f->name, "fmax") == 0 || strcmp(f->name, "fdim") == 0))
        return fabs(x[0] - x[1]) < 1e-3;
    if (strcmp(f->name, "log_diff_exp") == 0 || strcmp(f->name, "log_inv_logit_diff") == 0) return x[0] - x[1] < 1e-2;
    return 0;
}

START_TEST(derivative_vs_fd)
{
    const MathFn *f = &mathfn_table[_i];
    if (f->arity == 0) return;
    const int P = 6;
    int tested = 0;
    int npts = 1;
    for (int k = 0; k < f->arity; k++) npts *= P;
    for (int t = 0; t < npts; t++) {
        double x[3], g[3];
        int r = t;
        for (int k = 0; k < f->arity; k++) {
            /* interior points, different per argument so that x != y mostly */
            int j = r % P;
            r /= P;
            double u = (j + 0.5 + 0.13 * k) / (P + 0.5);
            x[k] = f->lo + u * (f->hi - f->lo);
        }
        if (skip_point(f, x)) continue;
        double v = eval(f, x, g);
        if (!isfinite(v)) continue;
        for (int k = 0; k < f->arity; k++) {
            double h = 1e-6 * fmax(1.0, fabs(x[k])), xp[3], xm[3];
            memcpy(xp, x, sizeof xp);
            memcpy(xm, x, sizeof xm);
            xp[k] += h;
            xm[k] -= h;
            double fd = (eval(f, xp, NULL) - eval(f, xm, NULL)) / (2 * h);
            ck_assert_msg(fabs(fd - g[k]) <= 1e-5 * fmax(1.0, fabs(fd)),
                          "%s: d/dx%d at (%g, %g, %g): analytic %.10g, fd %.10g",
                          f->name, k, x[0], f->arity > 1 ? x[1] : 0, f->arity > 2 ? x[2] : 0, g[k], fd);
        }
        tested++;
    }
    ck_assert_msg(tested >= 3, "%s: only %d valid points in [%g, %g]", f->name, tested, f->lo, f->hi);
}
END_TEST

typedef struct ValCase {
    const char *name;
    int arity;
    double x, y, z;
    double expect;
    double tol;          /* relative */
} ValCase;

/* Expected values from independent formulas evaluated at run time. */
static ValCase vals[64];
static int nvals;

static void add(const char *name, int arity, double x, double y, double z, double expect, double tol)
{
    vals[nvals++] = (ValCase){ name, arity, x, y, z, expect, tol };
}

static void build_vals(void)
{
    nvals = 0;
    add("lgamma", 1, 4.5, 0, 0, gsl_sf_lngamma(4.5), 1e-13);
    add("lgamma", 1, 1e10, 0, 0, gsl_sf_lngamma(1e10), 1e-13);
    add("lgamma", 1, -2.5, 0, 0, log(fabs(tgamma(-2.5))), 1e-12);
    add("tgamma", 1, 5.0, 0, 0, 24.0, 1e-14);
    add("digamma", 1, 2.3, 0, 0, (gsl_sf_lngamma(2.3 + 1e-5) - gsl_sf_lngamma(2.3 - 1e-5)) / 2e-5, 1e-8);
    add("lbeta", 2, 2.5, 3.5, 0, gsl_sf_lngamma(2.5) + gsl_sf_lngamma(3.5) - gsl_sf_lngamma(6.0), 1e-12);
    add("lbeta", 2, 1e8, 0.5, 0, gsl_sf_lnbeta(1e8, 0.5), 1e-10);
    add("lchoose", 2, 10, 3, 0, log(120.0), 1e-13);
    add("log_falling_factorial", 2, 5, 2, 0, log(20.0), 1e-13);
    add("erf", 1, 0.7, 0, 0, gsl_sf_erf(0.7), 1e-14);
    add("erfc", 1, 3.0, 0, 0, gsl_sf_erfc(3.0), 1e-13);
    add("Phi", 1, -1.3, 0, 0, gsl_cdf_ugaussian_P(-1.3), 1e-13);
    add("Phi", 1, -30.0, 0, 0, gsl_cdf_ugaussian_P(-30.0), 1e-10);
    add("inv_Phi", 1, 0.025, 0, 0, gsl_cdf_ugaussian_Pinv(0.025), 1e-13);
    add("inv_Phi", 1, 1e-300, 0, 0, gsl_cdf_ugaussian_Pinv(1e-300), 1e-12);
    add("Phi_approx", 1, 0.8, 0, 0, 1 / (1 + exp(-(0.07056 * 0.512 + 1.5976 * 0.8))), 1e-14);
    add("inv_logit", 1, 0.3, 0, 0, 1 / (1 + exp(-0.3)), 1e-15);
    add("inv_logit", 1, -800, 0, 0, 0.0, 0);
    add("logit", 1, 0.2, 0, 0, log(0.25), 1e-14);
    add("log_inv_logit", 1, -800, 0, 0, -800.0, 1e-15);
    add("log_inv_logit", 1, 2.0, 0, 0, log(1 / (1 + exp(-2.0))), 1e-14);
    add("log1m_inv_logit", 1, 800, 0, 0, -800.0, 1e-15);
    add("log1m_inv_logit", 1, -1.5, 0, 0, log(1 - 1 / (1 + exp(1.5))), 1e-14);
    add("log1m", 1, 1e-20, 0, 0, -1e-20, 1e-14);
    add("log1m_exp", 1, -1e-20, 0, 0, log(1e-20), 1e-14);
    add("log1m_exp", 1, -2.0, 0, 0, log(1 - exp(-2.0)), 1e-14);
    add("log_diff_exp", 2, 1000, 999, 0, 1000 + log(1 - exp(-1.0)), 1e-14);
    add("log_diff_exp", 2, 1.0, 0.5, 0, log(exp(1.0) - exp(0.5)), 1e-14);
    add("log_sum_exp", 2, 1000, 1000, 0, 1000 + log(2.0), 1e-15);
    add("log_sum_exp", 2, 1.0, 2.0, 0, log(exp(1.0) + exp(2.0)), 1e-14);
    add("log_mix", 3, 0.3, -1, -2, log(0.3 * exp(-1.0) + 0.7 * exp(-2.0)), 1e-14);
    add("log_mix", 3, 0.5, -1000, -1000, -1000.0, 1e-15);
    add("fma", 3, 2, 3, 4, 10, 0);
    add("pow", 2, 2, 10, 0, 1024, 0);
    add("atan2", 2, 1, 2, 0, atan(0.5), 1e-15);
    add("fmin", 2, NAN, 2, 0, 2, 0);
    add("fmax", 2, 1, 3, 0, 3, 0);
    add("round", 1, 2.5, 0, 0, 3, 0);
    add("round", 1, -2.5, 0, 0, -3, 0);
    add("cbrt", 1, -8, 0, 0, -2, 1e-15);
    add("step", 1, -1, 0, 0, 0, 0);
    add("step", 1, 0, 0, 0, 1, 0);
    add("is_inf", 1, -INFINITY, 0, 0, 1, 0);
    add("is_nan", 1, NAN, 0, 0, 1, 0);
    add("is_nan", 1, 1.0, 0, 0, 0, 0);
    add("inv_sqrt", 1, 4.0, 0, 0, 0.5, 1e-15);
    add("abs", 1, -3.0, 0, 0, 3, 0);
    add("log1p_exp", 1, 800, 0, 0, 800, 1e-15);
    add("log1p_exp", 1, 0.3, 0, 0, log(1 + exp(0.3)), 1e-14);
    add("inv_cloglog", 1, 0.4, 0, 0, 1 - exp(-exp(0.4)), 1e-14);
    add("hypot", 2, 3, 4, 0, 5, 1e-15);
    add("fdim", 2, 5, 2, 0, 3, 0);
    add("fdim", 2, 2, 5, 0, 0, 0);
    add("log_inv_logit_diff", 2, 1.0, -0.5, 0, log(1 / (1 + exp(-1.0)) - 1 / (1 + exp(0.5))), 1e-14);
    /* (e^40 - e^30) / ((1 + e^40)(1 + e^30)), its logarithm written out (the naive
     * difference of inv_logits loses three digits here) */
    add("log_inv_logit_diff", 2, 40, 30, 0, -30 + log1p(-exp(-10.0)) - log1p(exp(-40.0)) - log1p(exp(-30.0)), 1e-14);
    add("int_step", 1, 0, 0, 0, 0, 0);
    add("int_step", 1, 0.5, 0, 0, 1, 0);
    add("logical_negation", 1, 0, 0, 0, 1, 0);
}

START_TEST(values)
{
    build_vals();
    for (int i = 0; i < nvals; i++) {
        const ValCase *c = &vals[i];
        const MathFn *f = mathfn_find_arity(c->name, c->arity);
        ck_assert_msg(f != NULL, "%s/%d missing", c->name, c->arity);
        double x[3] = { c->x, c->y, c->z };
        double v = eval(f, x, NULL);
        ck_assert_msg(fabs(v - c->expect) <= c->tol * fabs(c->expect) || v == c->expect,
                      "%s(%g, %g, %g) = %.17g, expected %.17g", c->name, c->x, c->y, c->z, v, c->expect);
    }
}
END_TEST

/* Where the function is finite, value and derivative stay finite far out. */
START_TEST(no_nan_in_tails)
{
    static const struct { const char *name; int arity; double x, y, z; } pts[] = {
        { "log1m_exp", 1, -1e-300, 0, 0 }, { "log1m_exp", 1, -800, 0, 0 },
        { "log_inv_logit", 1, -1e5, 0, 0 }, { "log_inv_logit", 1, 1e5, 0, 0 },
        { "log1m_inv_logit", 1, 1e5, 0, 0 }, { "log1m_inv_logit", 1, -1e5, 0, 0 },
        { "inv_logit", 1, 1e5, 0, 0 }, { "inv_logit", 1, -1e5, 0, 0 },
        { "log_sum_exp", 2, 1e5, -1e5, 0 }, { "log_sum_exp", 2, -1e300, -1e300, 0 },
        { "log_diff_exp", 2, 1e5, -1e5, 0 }, { "log_mix", 3, 0.5, 1e5, -1e5 },
        { "log_mix", 3, 1e-300, -1, -2 }, { "lgamma", 1, 1e300, 0, 0 },
        { "digamma", 1, 1e300, 0, 0 }, { "Phi", 1, -40, 0, 0 }, { "Phi", 1, 40, 0, 0 },
        { "Phi_approx", 1, 100, 0, 0 }, { "Phi_approx", 1, -100, 0, 0 },
        { "erfc", 1, 30, 0, 0 }, { "tanh", 1, 1e3, 0, 0 }, { "lbeta", 2, 1e300, 1e300, 0 },
        { "lchoose", 2, 1e15, 3, 0 }, { "logit", 1, 1e-300, 0, 0 }, { "log1m", 1, -1e300, 0, 0 },
        { "inv_Phi", 1, 1e-300, 0, 0 }, { "inv_Phi", 1, 0.999999999, 0, 0 },
        { "log1p_exp", 1, 1e5, 0, 0 }, { "log1p_exp", 1, -1e5, 0, 0 }, { "inv_cloglog", 1, 30, 0, 0 },
        { "inv_cloglog", 1, -800, 0, 0 }, { "log_inv_logit_diff", 2, -30, -40, 0 },
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        const MathFn *f = mathfn_find_arity(pts[i].name, pts[i].arity);
        ck_assert_ptr_nonnull(f);
        double x[3] = { pts[i].x, pts[i].y, pts[i].z }, g[3] = { 0, 0, 0 };
        double v = eval(f, x, g);
        ck_assert_msg(isfinite(v), "%s(%g, %g) = %g", pts[i].name, x[0], x[1], v);
        for (int k = 0; k < f->arity; k++)
            ck_assert_msg(isfinite(g[k]), "%s(%g, %g): d/dx%d = %g", pts[i].name, x[0], x[1], k, g[k]);
    }
}
END_TEST

START_TEST(lookup)
{
    static const char *names[] = {
        "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "cbrt", "square", "inv",
        "inv_sqrt", "fabs", "abs", "pow", "fmin", "fmax", "floor", "ceil", "round", "trunc",
        "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "lgamma",
        "tgamma", "digamma", "lbeta", "lchoose", "log_falling_factorial", "erf", "erfc", "Phi",
        "Phi_approx", "inv_Phi", "logit", "inv_logit", "log_inv_logit", "log1m", "log1m_exp",
        "log1m_inv_logit", "log_diff_exp", "log_sum_exp", "log_mix", "fma", "step", "is_inf",
        "is_nan", "pi", "e", "sqrt2", "machine_precision", "positive_infinity",
        "negative_infinity", "not_a_number",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(mathfn_find(names[i]) != NULL, "%s missing", names[i]);
    ck_assert_int_eq(mathfn_find("log2")->arity, 1);
    ck_assert(mathfn_find_arity("log2", 0)->c == M_LN2);
    ck_assert(mathfn_find_arity("log10", 0)->c == M_LN10);
    ck_assert_ptr_nonnull(mathfn_find_arity("log10", 1)->f1);
    ck_assert_ptr_null(mathfn_find_arity("log2", 2));
    ck_assert_ptr_null(mathfn_find("no_such_fn"));
    ck_assert(mathfn_find("pi")->c == M_PI);
    ck_assert(mathfn_find("machine_precision")->c == DBL_EPSILON);
    ck_assert(isnan(mathfn_find("not_a_number")->c));
    ck_assert(mathfn_find("negative_infinity")->c == -INFINITY);
    ck_assert_int_eq(mathfn_find("abs")->int_valued, 1);
    ck_assert_int_eq(mathfn_find("fabs")->int_valued, 0);
    /* every row with arity k has exactly its f_k */
    for (const MathFn *f = mathfn_table; f->name; f++) {
        ck_assert(!!f->f1 == (f->arity == 1));
        ck_assert(!!f->f2 == (f->arity == 2));
        ck_assert(!!f->f3 == (f->arity == 3));
    }
}
END_TEST

/* The log-factorial table of the discrete densities: exactly lgamma_r's values, in
 * the table, past its end and off the integers. */
START_TEST(lfact)
{
    for (int k = 0; k < 3000; k++) {
        int sg;
        double want = lgamma_r(k + 1.0, &sg);
        ck_assert_msg(mf_lfact(k) == want, "mf_lfact(%d) = %.17g, lgamma(%d) = %.17g", k, mf_lfact(k), k + 1, want);
    }
    static const double x[] = {0.5, 2.25, 1023.5, 1e6, -0.5};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
        int sg;
        ck_assert(mf_lfact(x[i]) == lgamma_r(x[i] + 1.0, &sg));
    }
    ck_assert(isnan(mf_lfact(NAN)));
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("mathfn");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, derivative_vs_fd, 0, nrows());
    tcase_add_test(tc, values);
    tcase_add_test(tc, no_nan_in_tails);
    tcase_add_test(tc, lookup);
    tcase_add_test(tc, lfact);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
