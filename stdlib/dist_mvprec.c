/* multi_normal_prec(y | mu, Omega): the multivariate normal given its precision
 * matrix, as Stan's.  log p = -K/2 log 2 pi + 1/2 log det Omega - 1/2 r' Omega r,
 * r = y - mu; d/dOmega = (Omega^{-1} - r r') / 2.  A broadcast Omega is factored
 * once per call. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"

#define LOG_2PI 1.83787706640934548356

static int mnp_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *y = &a[0], *mu = &a[1], *P = &a[2];
    int K = du_len(y);
    double *dy = d ? d[0] : NULL, *dmu = d ? d[1] : NULL, *dP = d ? d[2] : NULL;
    if (du_len(mu) != K) return du_fail(e, 1, 0, du_len(mu), "must have the size of the variate");
    if (P->rows != K || P->cols != K) return du_fail(e, 2, 0, P->rows, "must be K x K, K the size of the variate");
    DuWork w;
    du_work_init(&w, 3 * (size_t)K * K + 2 * (size_t)K);
    if (!w.p) return du_fail(e, 2, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *Pinv = du_work_take(&w, (size_t)K * K);
    double *tmp = du_work_take(&w, (size_t)K * K), *r = du_work_take(&w, K), *av = du_work_take(&w, K);
    double lp = 0, logdet = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long oy = du_off(y, i), om = du_off(mu, i), oP = du_off(P, i);
        const double *O = P->x + oP;
        if (i == 0 || P->stride) {
            int col;
            if ((rc = du_check_symmetric(O, K, 2, oP, e)) < 0) break;
            if (du_chol(O, K, L, &col) < 0) {
                rc = du_fail(e, 2, oP + col + (long)K * col, O[col + (long)K * col], "must be positive definite");
                break;
            }
            logdet = du_chol_logdet(L, K);
            if (dP) du_chol_inverse(L, K, Pinv, tmp);
        }
        for (int p = 0; p < K && rc == 0; p++)
            if (isnan(y->x[oy + p])) rc = du_fail(e, 0, oy + p, y->x[oy + p], "must not be NaN");
        if (rc < 0) break;
        if ((rc = du_check_finite(mu->x + om, K, 1, om, e)) < 0) break;
        for (int p = 0; p < K; p++) r[p] = y->x[oy + p] - mu->x[om + p];
        double q = 0;
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += O[p + (long)K * c] * r[c];
            av[p] = s;
            q += r[p] * s;
        }
        lp += -0.5 * K * LOG_2PI + 0.5 * logdet - 0.5 * q;
        for (int p = 0; p < K; p++) {
            if (dy) dy[oy + p] -= av[p];
            if (dmu) dmu[om + p] += av[p];
        }
        if (dP)
            for (int c = 0; c < K; c++)
                for (int p = 0; p < K; p++)
                    dP[oP + p + (long)K * c] += 0.5 * (Pinv[p + (long)K * c] - r[p] * r[c]);
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

/* y = mu + L^{-T} z with Omega = L L' and z standard normal: cov L^{-T} L^{-1} = Omega^{-1}. */
static int mnp_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    const DArg *mu = &a[0], *P = &a[1];
    int K = du_len(mu), col;
    if (P->rows != K || P->cols != K) return du_fail(e, 1, 0, P->rows, "must be K x K, K the size of the location");
    DuWork w;
    du_work_init(&w, (size_t)K * K + 1);
    if (!w.p) return du_fail(e, 1, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K);
    long om = du_off(mu, i), oP = du_off(P, i);
    int rc = du_check_symmetric(P->x + oP, K, 1, oP, e);
    if (rc == 0 && du_chol(P->x + oP, K, L, &col) < 0)
        rc = du_fail(e, 1, oP + col + (long)K * col, P->x[oP + col + (long)K * col], "must be positive definite");
    if (rc == 0) {
        for (int p = 0; p < K; p++) out[p] = gsl_ran_ugaussian(r);
        du_trsv_upper_t(L, K, out);
        for (int p = 0; p < K; p++) out[p] += mu->x[om + p];
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

/* ---- ordered_probit(k | eta, c): P(k) = Phi(eta - c[k-2]) - Phi(eta - c[k-1]),
 * c[-1] = -inf, c[K-1] = +inf; the difference of two Phi taken in the tail where
 * both are small (Phi(a) - Phi(b) = Phi(-b) - Phi(-a)) so that it keeps its digits. */

static double log_Phi(double x) { return log(0.5 * erfc(-x * M_SQRT1_2)); }
static double log_phi(double x) { return -0.5 * x * x - 0.91893853320467274178; }

/* log(Phi(a) - Phi(b)), a > b; da, db its partials */
static double log_Phi_diff(double a, double b, double *da, double *db)
{
    double la, lb;
    if (a + b > 0) { la = log_Phi(-b); lb = log_Phi(-a); }
    else { la = log_Phi(a); lb = log_Phi(b); }
    double v = la + log1p(-exp(lb - la));
    *da = exp(log_phi(a) - v);
    *db = -exp(log_phi(b) - v);
    return v;
}

static int op_check_cuts(const double *c, int m, long oc, DistErr *e)
{
    for (int j = 0; j < m; j++) {
        if (!isfinite(c[j])) return du_fail(e, 2, oc + j, c[j], "must be finite");
        if (j > 0 && !(c[j] > c[j - 1])) return du_fail(e, 2, oc + j, c[j], "must be strictly increasing");
    }
    return 0;
}

static int opr_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    int m = du_len(&a[2]), K = m + 1;
    double lp = 0;
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i), oe = du_off(&a[1], i), oc = du_off(&a[2], i);
        const double *c = a[2].x + oc;
        double eta = a[1].x[oe], ge = 0, gc0 = 0, gc1 = 0;
        int y = a[0].iv[oy];
        if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
        if ((i == 0 || a[2].stride) && op_check_cuts(c, m, oc, e) < 0) return -1;
        if (y < 1 || y > K) return du_fail(e, 0, oy, y, "must be in 1..K");
        if (y == 1) {                               /* log Phi(c0 - eta) */
            double x = c[0] - eta, v = log_Phi(x);
            lp += v;
            gc1 = exp(log_phi(x) - v);
            ge = -gc1;
        } else if (y == K) {                        /* log Phi(eta - c[K-2]) */
            double x = eta - c[m - 1], v = log_Phi(x);
            lp += v;
            ge = exp(log_phi(x) - v);
            gc0 = -ge;
        } else {
            double da, db;
            lp += log_Phi_diff(eta - c[y - 2], eta - c[y - 1], &da, &db);
            ge = da + db;
            gc0 = -da;
            gc1 = -db;
        }
        if (d && d[1]) d[1][oe] += ge;
        if (d && d[2]) {
            if (y > 1) d[2][oc + y - 2] += gc0;
            if (y < K) d[2][oc + y - 1] += gc1;
        }
    }
    *out = lp;
    return 0;
}

/* P(y <= k) = Phi(c[k-1] - eta) */
static int opr_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e)
{
    long oe = du_off(&a[0], i), oc = du_off(&a[1], i);
    const double *c = a[1].x + oc;
    int m = du_len(&a[1]);
    double eta = a[0].x[oe], u = gsl_rng_uniform(r);
    if (!isfinite(eta)) return du_fail(e, 1, oe, eta, "must be finite");
    if (m < 1) return du_fail(e, 2, 0, m, "must have at least one cut point");
    if (op_check_cuts(c, m, oc, e) < 0) return -1;
    int k = 0;
    while (k < m && !(u < 0.5 * erfc(-(c[k] - eta) * M_SQRT1_2))) k++;
    *out = k + 1;
    return 0;
}

const Dist dist_ordered_probit = {
    .name = "ordered_probit", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "cut points" }, .sig = "IRV",
    .lpdf = opr_lpmf, .rng = opr_rng, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};
