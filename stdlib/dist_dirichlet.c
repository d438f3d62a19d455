/* dirichlet(theta | alpha): lgamma(sum alpha) - sum lgamma(alpha_k)
 *                            + sum (alpha_k - 1) log theta_k. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static int check_alpha(const double *al, int K, long o, DistErr *e)
{
    for (int k = 0; k < K; k++)
        if (!(al[k] > 0 && isfinite(al[k]))) return du_fail(e, 1, o + k, al[k], "must be positive finite");
    return 0;
}

static int dir_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = du_len(&a[0]);
    double lp = 0, c = 0, psum = 0;
    if (du_len(&a[1]) != K) return du_fail(e, 1, 0, du_len(&a[1]), "must have the size of the variate");
    for (int i = 0; i < n; i++) {
        long ot = du_off(&a[0], i), oa = du_off(&a[1], i);
        const double *th = a[0].x + ot, *al = a[1].x + oa;
        if (du_check_simplex(th, K, 0, ot, e) < 0) return -1;
        if (i == 0 || a[1].stride) {
            if (check_alpha(al, K, oa, e) < 0) return -1;
            double s = 0;
            c = 0;
            for (int k = 0; k < K; k++) { s += al[k]; c -= mf_lgamma_raw(al[k]); }
            c += mf_lgamma_raw(s);
            psum = (d && d[1]) ? mf_psi(s) : 0.0;
        }
        lp += c;
        for (int k = 0; k < K; k++) {
            double lt = log(th[k]);
            if (al[k] != 1.0) lp += (al[k] - 1.0) * lt;     /* 0 log 0 = 0 at alpha = 1 */
            if (d && d[0]) d[0][ot + k] += (al[k] - 1.0) / th[k];
            if (d && d[1]) d[1][oa + k] += psum - mf_psi(al[k]) + lt;
        }
    }
    *out = lp;
    return 0;
}

static int dir_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oa = du_off(&a[0], i);
    int K = du_len(&a[0]);
    if (check_alpha(a[0].x + oa, K, oa, e) < 0) return -1;
    gsl_ran_dirichlet(r, (size_t)K, a[0].x + oa, out);
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_dirichlet = {
    .name = "dirichlet", .discrete = 0, .nargs = 2, .argnames = { "variate", "prior sample sizes" },
    .sig = "SV", .lpdf = dir_lpdf, .rng = dir_rng, .ntest = 0, .test = no_test, .lo = 0, .hi = 1,
};
