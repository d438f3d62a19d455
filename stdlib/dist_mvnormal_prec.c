/* multi_normal_prec(y | mu, Omega): the multivariate normal with precision Omega
 * (Stan's multi_normal_prec), the form a Wishart prior on a precision is conjugate
 * to.  With Omega = L L' and r = y - mu:
 *   lp = -K/2 log(2 pi) + log det(L) - r' Omega r / 2,
 *   d/dy = -Omega r, d/dmu = Omega r, d/dOmega = (Omega^-1 - r r') / 2. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"

#define LOG_2PI 1.83787706640934548356

static int factor(const DArg *O, int i, double *L, double *Oinv, double *tmp, DistErr *e)
{
    int K = O->rows, col;
    long o = du_off(O, i);
    const double *A = O->x + o;
    if (du_check_symmetric(A, K, 2, o, e) < 0) return -1;
    if (du_chol(A, K, L, &col) < 0) return du_fail(e, 2, o + col + (long)K * col, A[col + (long)K * col], "must be positive definite");
    if (Oinv) du_chol_inverse(L, K, Oinv, tmp);
    return 0;
}

static int mnp_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *y = &a[0], *mu = &a[1], *O = &a[2];
    int K = du_len(y);
    double *dy = d ? d[0] : NULL, *dmu = d ? d[1] : NULL, *dO = d ? d[2] : NULL;
    if (du_len(mu) != K) return du_fail(e, 1, 0, du_len(mu), "must have the size of the variate");
    if (O->rows != K || O->cols != K) return du_fail(e, 2, 0, O->rows, "must be K x K, K the size of the variate");
    DuWork w;
    du_work_init(&w, 3 * (size_t)K * K + 2 * (size_t)K);
    if (!w.p) return du_fail(e, 2, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *Oinv = du_work_take(&w, (size_t)K * K);
    double *tmp = du_work_take(&w, (size_t)K * K), *r = du_work_take(&w, K), *av = du_work_take(&w, K);
    double lp = 0, logdet = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long oy = du_off(y, i), om = du_off(mu, i), oO = du_off(O, i);
        if (i == 0 || O->stride) {
            if ((rc = factor(O, i, L, dO ? Oinv : NULL, tmp, e)) < 0) break;
            logdet = du_chol_logdet(L, K);
        }
        for (int p = 0; p < K && rc == 0; p++)
            if (isnan(y->x[oy + p])) rc = du_fail(e, 0, oy + p, y->x[oy + p], "must not be NaN");
        if (rc < 0) break;
        if ((rc = du_check_finite(mu->x + om, K, 1, om, e)) < 0) break;
        for (int p = 0; p < K; p++) r[p] = y->x[oy + p] - mu->x[om + p];
        /* av = Omega r, q = r' Omega r */
        double q = 0;
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += O->x[oO + p + (long)K * c] * r[c];
            av[p] = s;
            q += r[p] * s;
        }
        lp += -0.5 * K * LOG_2PI + 0.5 * logdet - 0.5 * q;
        for (int p = 0; p < K; p++) {
            if (dy) dy[oy + p] -= av[p];
            if (dmu) dmu[om + p] += av[p];
        }
        if (dO)
            for (int c = 0; c < K; c++)
                for (int p = 0; p < K; p++) dO[oO + p + (long)K * c] += 0.5 * (Oinv[p + (long)K * c] - r[p] * r[c]);
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

/* y = mu + L^-T z, z standard normal, Omega = L L' */
static int mnp_rng(gsl_rng *rg, const DArg *a, int i, double *out, DistErr *e)
{
    const DArg *mu = &a[0], *O = &a[1];
    int K = du_len(mu), col;
    if (O->rows != K || O->cols != K) return du_fail(e, 2, 0, O->rows, "must be K x K, K the size of the location");
    long om = du_off(mu, i), oO = du_off(O, i);
    if (du_check_finite(mu->x + om, K, 1, om, e) < 0) return -1;
    if (du_check_symmetric(O->x + oO, K, 2, oO, e) < 0) return -1;
    DuWork w;
    du_work_init(&w, (size_t)K * K + K);
    if (!w.p) return du_fail(e, 2, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *z = du_work_take(&w, K);
    int rc = 0;
    if (du_chol(O->x + oO, K, L, &col) < 0)
        rc = du_fail(e, 2, oO + col + (long)K * col, O->x[oO + col + (long)K * col], "must be positive definite");
    else {
        for (int p = 0; p < K; p++) z[p] = gsl_ran_gaussian_ziggurat(rg, 1.0);
        du_trsv_upper_t(L, K, z);
        for (int p = 0; p < K; p++) out[p] = mu->x[om + p] + z[p];
    }
    du_work_free(&w);
    return rc;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_multi_normal_prec = {
    .name = "multi_normal_prec", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "location", "precision" }, .sig = "VVC",
    .lpdf = mnp_lpdf, .rng = mnp_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};
