/* categorical(y | theta), categorical_logit(y | beta), multinomial(y | theta):
 * y in 1..K (categorical), y a K-array of counts (multinomial). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

/* log sum exp of x[0..k). */
static double lse(const double *x, int k)
{
    double m = -INFINITY, s = 0;
    for (int j = 0; j < k; j++) if (x[j] > m) m = x[j];
    if (m == -INFINITY || m == INFINITY) return m;
    for (int j = 0; j < k; j++) s += exp(x[j] - m);
    return m + log(s);
}

/* ---- categorical ---- */

static int cat_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = du_len(&a[1]);
    double lp = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), ot = du_off(&a[1], i);
        const double *th = a[1].x + ot;
        if ((i == 0 || a[1].stride) && du_check_simplex(th, K, 1, ot, e) < 0) return -1;
        int y = a[0].iv[oy];
        if (y < 1 || y > K) return du_fail(e, 0, oy, y, "must be in 1..K");
        lp += log(th[y - 1]);
        if (d && d[1]) d[1][ot + y - 1] += 1.0 / th[y - 1];
    }
    *out = lp;
    return 0;
}

/* Inverse cdf by a linear sweep: no table to allocate. */
static int sweep(gsl_rng *r, const double *p, double shift, int K, int logit)
{
    double u = gsl_rng_uniform(r), c = 0;
    for (int j = 0; j < K - 1; j++) {
        c += logit ? exp(p[j] - shift) : p[j];
        if (u < c) return j + 1;
    }
    return K;
}

static int cat_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long ot = du_off(&a[0], i);
    if (du_check_simplex(a[0].x + ot, du_len(&a[0]), 1, ot, e) < 0) return -1;
    *out = sweep(r, a[0].x + ot, 0, du_len(&a[0]), 0);
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_categorical = {
    .name = "categorical", .discrete = 1, .nargs = 2, .argnames = { "variate", "probabilities" },
    .sig = "IS", .lpdf = cat_lpmf, .rng = cat_rng, .ntest = 0, .test = no_test,
    .lo = 1, .hi = INFINITY,
};

/* ---- categorical_logit: theta = softmax(beta) ---- */

static int catl_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = du_len(&a[1]);
    double lp = 0, z = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), ob = du_off(&a[1], i);
        const double *b = a[1].x + ob;
        if (i == 0 || a[1].stride) {
            if (du_check_finite(b, K, 1, ob, e) < 0) return -1;
            z = lse(b, K);
        }
        int y = a[0].iv[oy];
        if (y < 1 || y > K) return du_fail(e, 0, oy, y, "must be in 1..K");
        lp += b[y - 1] - z;
        if (d && d[1]) {
            for (int j = 0; j < K; j++) d[1][ob + j] -= exp(b[j] - z);
            d[1][ob + y - 1] += 1.0;
        }
    }
    *out = lp;
    return 0;
}

static int catl_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long ob = du_off(&a[0], i);
    const double *b = a[0].x + ob;
    if (du_check_finite(b, du_len(&a[0]), 1, ob, e) < 0) return -1;
    *out = sweep(r, b, lse(b, du_len(&a[0])), du_len(&a[0]), 1);
    return 0;
}

const Dist dist_categorical_logit = {
    .name = "categorical_logit", .discrete = 1, .nargs = 2,
    .argnames = { "variate", "log odds" }, .sig = "IV", .lpdf = catl_lpmf, .rng = catl_rng,
    .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};

/* ---- multinomial: lgamma(N + 1) - sum lgamma(y_k + 1) + sum y_k log theta_k ---- */

static int mn_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int K = du_len(&a[1]);
    double lp = 0;
    if (du_len(&a[0]) != K) return du_fail(e, 0, 0, du_len(&a[0]), "must have the size of theta");
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), ot = du_off(&a[1], i);
        const int *y = a[0].iv + oy;
        const double *th = a[1].x + ot;
        if ((i == 0 || a[1].stride) && du_check_simplex(th, K, 1, ot, e) < 0) return -1;
        double N = 0;
        for (int j = 0; j < K; j++) {
            if (y[j] < 0) return du_fail(e, 0, oy + j, y[j], "must be non-negative");
            N += y[j];
            lp -= mf_lfact(y[j]);
            if (y[j] > 0) {
                lp += y[j] * log(th[j]);
                if (d && d[1]) d[1][ot + j] += y[j] / th[j];
            }
        }
        lp += mf_lfact(N);
    }
    *out = lp;
    return 0;
}

/* multinomial_rng(theta, N): a[0] = theta, a[1] = N (Dist.rng_sig "SI").  Sequential
 * binomials: y_k ~ binomial(N - sum_{j<k} y_j, theta_k / (1 - sum_{j<k} theta_j)). */
static int mn_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long ot = du_off(&a[0], i);
    const double *th = a[0].x + ot;
    int K = du_len(&a[0]), N = a[1].iv[du_off(&a[1], i)];
    if (du_check_simplex(th, K, 1, ot, e) < 0) return -1;
    if (N < 0) return du_fail(e, 2, du_off(&a[1], i), N, "must be non-negative");
    double rest = 1.0;
    int left = N;
    for (int j = 0; j < K; j++) {
        double p = rest > 0 ? th[j] / rest : 0.0;
        unsigned y = j == K - 1 ? (unsigned)left
                   : gsl_ran_binomial(r, p > 1.0 ? 1.0 : p, (unsigned)left);
        out[j] = y;
        left -= (int)y;
        rest -= th[j];
    }
    return 0;
}

const Dist dist_multinomial = {
    .name = "multinomial", .discrete = 1, .nargs = 2, .argnames = { "variate", "probabilities" },
    .sig = "KS", .lpdf = mn_lpmf, .rng = mn_rng, .ntest = 0, .test = no_test,
    .lo = 0, .hi = INFINITY, .rng_sig = "SI",
};
