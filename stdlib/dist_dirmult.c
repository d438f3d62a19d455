/* dirichlet_multinomial(n | alpha): n an int array of K counts (N = sum n), alpha K
 * positive prior sample sizes.  As Stan 2.36 writes it, for N > 0
 *   log N + lbeta(alpha0, N) - sum_{k: n_k > 0} (log n_k + lbeta(alpha_k, n_k)),
 * alpha0 = sum alpha; 0 for N = 0.  This form is the Gamma-ratio definition with the
 * factorials folded into the betas: one lbeta per count instead of three lgammas
 * whose difference cancels when alpha is large (the multinomial limit). */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

static int check_alpha(const double *al, int K, long o, int arg, DistErr *e)
{
    for (int k = 0; k < K; k++)
        if (!(al[k] > 0 && isfinite(al[k]))) return du_fail(e, arg, o + k, al[k], "must be positive finite");
    return 0;
}

static int dm_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = du_len(&a[1]);
    double *da = d ? d[1] : NULL, lp = 0, a0 = 0;
    if (du_len(&a[0]) != K) return du_fail(e, 0, 0, du_len(&a[0]), "must have the size of the prior sample sizes");
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oa = du_off(&a[1], i);
        const int *y = a[0].iv + oy;
        const double *al = a[1].x + oa;
        if (i == 0 || a[1].stride) {
            if (check_alpha(al, K, oa, 1, e) < 0) return -1;
            a0 = 0;
            for (int k = 0; k < K; k++) a0 += al[k];
        }
        long N = 0;
        for (int k = 0; k < K; k++) {
            if (y[k] < 0) return du_fail(e, 0, oy + k, y[k], "must be non-negative");
            N += y[k];
        }
        if (N == 0) continue;                  /* the one composition: probability 1 */
        double Nd = (double)N;
        lp += log(Nd) + mf_lbeta_raw(a0, Nd);
        for (int k = 0; k < K; k++)
            if (y[k] > 0) lp -= log((double)y[k]) + mf_lbeta_raw(al[k], (double)y[k]);
        if (da) {
            double c = mf_psi(a0) - mf_psi(a0 + Nd);
            for (int k = 0; k < K; k++)
                da[oa + k] += c + (y[k] > 0 ? mf_psi(al[k] + y[k]) - mf_psi(al[k]) : 0.0);
        }
    }
    *out = lp;
    return 0;
}

/* dirichlet_multinomial_rng(alpha, N) (Dist.rng_sig "VI"): a[0] = alpha, a[1] = N.
 * As Stan: theta ~ dirichlet(alpha), then multinomial(theta, N). */
static int dm_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oa = du_off(&a[0], i), on = du_off(&a[1], i);
    const double *al = a[0].x + oa;
    int K = du_len(&a[0]), N = a[1].iv[on];
    if (check_alpha(al, K, oa, 1, e) < 0) return -1;
    if (N < 0) return du_fail(e, 2, on, N, "must be non-negative");
    if (K == 0) return 0;
    double thb[64], *th = K <= 64 ? thb : malloc(sizeof(double) * (size_t)K);
    unsigned cb[64], *c = K <= 64 ? cb : malloc(sizeof(unsigned) * (size_t)K);
    int rc = 0;
    if (!th || !c) {
        rc = du_fail(e, 1, 0, K, "is too large (out of memory)");
    } else {
        gsl_ran_dirichlet(r, (size_t)K, al, th);
        /* tiny alphas can leave every gamma draw at 0 (0/0): put the mass on the
         * largest alpha, the limit of the draw as the alphas shrink together */
        double s = 0;
        for (int k = 0; k < K; k++) s += isfinite(th[k]) ? th[k] : 0.0;
        if (!(s > 0)) {
            int b = 0;
            for (int k = 1; k < K; k++) if (al[k] > al[b]) b = k;
            for (int k = 0; k < K; k++) th[k] = k == b;
        }
        gsl_ran_multinomial(r, (size_t)K, (unsigned)N, th, c);
        for (int k = 0; k < K; k++) out[k] = c[k];
    }
    if (th != thb) free(th);
    if (c != cb) free(c);
    return rc;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_dirichlet_multinomial = {
    .name = "dirichlet_multinomial", .discrete = 1, .nargs = 2,
    .argnames = { "variate", "prior sample sizes" }, .sig = "KV", .lpdf = dm_lpmf, .rng = dm_rng,
    .ntest = 0, .test = no_test, .lo = 0, .hi = INFINITY, .rng_sig = "VI",
};
