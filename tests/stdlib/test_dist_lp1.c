/* Dist.lp1, the scalar entry point a scalar program calls (runtime/scalar.c), against
 * the family's lpdf of one replicate: over dist_table, every test tuple and every set
 * of wanted partials, the same value and the same partials bit for bit, and the same
 * verdict (the argument named) on invalid arguments.  Every univariate family of
 * scalar arguments must have one. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>

#include "stdlib/dist.h"

static int scalar_family(const Dist *d)
{
    return (int)strspn(d->sig, "RI") == d->nargs && d->nargs <= DIST_MAX_ARGS;
}

/* lpdf at v with one replicate: value, partials of the args in want (d[k] NULL else) */
static int lpdf1(const Dist *d, const double *v, unsigned want, double *out, double *g, DistErr *e)
{
    DArg a[DIST_MAX_ARGS];
    double x[DIST_MAX_ARGS], *dp[DIST_MAX_ARGS];
    int iv[DIST_MAX_ARGS];
    for (int k = 0; k < d->nargs; k++) {
        int isint = d->sig[k] == 'I';
        x[k] = v[k];
        iv[k] = (int)v[k];
        a[k] = (DArg){.x = &x[k], .iv = isint ? &iv[k] : NULL, .stride = 1, .rows = 1, .cols = 1};
        g[k] = 0;
        dp[k] = !isint && (want >> k & 1) ? &g[k] : NULL;
    }
    return d->lpdf(1, a, out, dp, e);
}

static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

START_TEST(t_same_as_lpdf)
{
    gsl_set_error_handler_off();
    int nfam = 0, ncmp = 0;
    for (const Dist *const *dd = dist_table; *dd; dd++) {
        const Dist *d = *dd;
        if (!scalar_family(d)) continue;
        ck_assert_msg(d->lp1 != NULL, "%s: a univariate family without lp1", d->name);
        nfam++;
        for (int t = 0; t < d->ntest; t++) {
            const double *v = d->test[t];
            for (unsigned want = 0; want < 1u << d->nargs; want++) {
                unsigned w = want;
                for (int k = 0; k < d->nargs; k++) if (d->sig[k] == 'I') w &= ~(1u << k);
                double o1 = NAN, o2 = NAN, g1[DIST_MAX_ARGS], g2[DIST_MAX_ARGS];
                DistErr e1 = {0}, e2 = {0};
                for (int k = 0; k < DIST_MAX_ARGS; k++) g1[k] = 12345;
                int r1 = d->lp1(v, w, &o1, g1, &e1), r2 = lpdf1(d, v, w, &o2, g2, &e2);
                ck_assert_msg(r1 == r2, "%s test %d: lp1 %d, lpdf %d", d->name, t, r1, r2);
                if (r1) continue;
                ck_assert_msg(same(o1, o2), "%s test %d want %u: %.17g vs %.17g", d->name, t, w, o1, o2);
                for (int k = 0; k < d->nargs; k++)
                    ck_assert_msg(same(g1[k], (w >> k & 1) ? g2[k] : 0.0), "%s test %d want %u: d/d arg %d %.17g vs %.17g",
                                  d->name, t, w, k, g1[k], g2[k]);
                for (int k = d->nargs; k < DIST_MAX_ARGS; k++) ck_assert(g1[k] == 12345);   /* nothing beyond */
                ncmp++;
            }
            /* an invalid argument: NaN (reals), then -1 where a scale, a shape or a
             * count must be positive (the variate too: a negative count) */
            for (int k = 0; k < d->nargs; k++) {
                for (int b = d->sig[k] == 'I'; b < 2; b++) {
                    double u[DIST_MAX_ARGS];
                    memcpy(u, v, sizeof u);
                    u[k] = b ? -1.0 : NAN;
                    double o1, o2, g1[DIST_MAX_ARGS], g2[DIST_MAX_ARGS];
                    DistErr e1 = {0}, e2 = {0};
                    int r1 = d->lp1(u, 0, &o1, g1, &e1), r2 = lpdf1(d, u, 0, &o2, g2, &e2);
                    ck_assert_msg(r1 == r2, "%s arg %d = %g: lp1 %d, lpdf %d", d->name, k, u[k], r1, r2);
                    if (r1) ck_assert_msg(e1.arg == e2.arg, "%s: lp1 names arg %d, lpdf %d", d->name, e1.arg, e2.arg);
                    else ck_assert_msg(same(o1, o2), "%s arg %d = %g: %.17g vs %.17g", d->name, k, u[k], o1, o2);
                }
            }
        }
    }
    ck_assert_int_ge(nfam, 20);
    ck_assert_int_ge(ncmp, 200);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dist_lp1");
    TCase *tc = tcase_create("lp1");
    tcase_add_test(tc, t_same_as_lpdf);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
