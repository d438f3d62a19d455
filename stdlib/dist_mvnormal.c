/* multi_normal(y | mu, Sigma), multi_normal_cholesky(y | mu, L),
 * multi_student_t(y | nu, mu, Sigma), multi_student_t_cholesky(y | nu, mu, L).  y may
 * hold n replicates of K-vectors; a broadcast covariance (stride 0) is factored once
 * per call. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "dist_util.h"
#include "mathfn_impl.h"

#define LOG_2PI 1.83787706640934548356

static int check_sizes(const DArg *y, const DArg *mu, const DArg *S, int iS, DistErr *e)
{
    int K = du_len(y);
    if (du_len(mu) != K) return du_fail(e, iS - 1, 0, du_len(mu), "must have the size of the variate");
    if (S->rows != K || S->cols != K)
        return du_fail(e, iS, 0, S->rows, "must be K x K, K the size of the variate");
    return 0;
}

/* Factor the covariance (or check the given Cholesky factor) of replicate i into L;
 * Sinv too when wanted.  is_chol 1 reads the lower triangle only (Stan's
 * multi_normal_cholesky checks nothing above it); 2 also requires zeros above the
 * diagonal, as Stan's check_cholesky_factor in multi_student_t_cholesky. */
static int factor(const DArg *S, int iS, int i, int is_chol, double *L, double *Sinv,
                  double *tmp, DistErr *e)
{
    int K = S->rows, col;
    long o = du_off(S, i);
    const double *A = S->x + o;
    if (is_chol) {
        for (int q = 0; q < K; q++)
            for (int p = 0; p < K; p++) {
                double x = p >= q ? A[p + (long)K * q] : 0.0;
                if (is_chol == 2 && p < q && A[p + (long)K * q] != 0.0)
                    return du_fail(e, iS, o + p + (long)K * q, A[p + (long)K * q], "must be lower triangular (zero above the diagonal)");
                if (!isfinite(x)) return du_fail(e, iS, o + p + (long)K * q, x, "must be finite");
                if (p == q && !(x > 0)) return du_fail(e, iS, o + p + (long)K * q, x, "must have a positive diagonal");
                L[p + (long)K * q] = x;
            }
    } else {
        if (du_check_symmetric(A, K, iS, o, e) < 0) return -1;
        if (du_chol(A, K, L, &col) < 0)
            return du_fail(e, iS, o + col + (long)K * col, A[col + (long)K * col], "must be positive definite");
    }
    if (Sinv) du_chol_inverse(L, K, Sinv, tmp);
    return 0;
}

/* The four densities share this loop: student selects the Student t (argument 1 is
 * nu), is_chol a Cholesky factor L as the last argument instead of Sigma. */
static int mvn_lpdf(int n, const DArg *a, double *out, double *const *d, DistErr *e,
                    int student, int is_chol)
{
    const DArg *y = &a[0], *nu = student ? &a[1] : NULL, *mu = &a[1 + student], *S = &a[2 + student];
    int iy = 0, inu = 1, imu = 1 + student, iS = 2 + student;
    int K = du_len(y);
    double *dy = d ? d[iy] : NULL, *dmu = d ? d[imu] : NULL, *dS = d ? d[iS] : NULL;
    double *dnu = d && student ? d[inu] : NULL;
    if (check_sizes(y, mu, S, iS, e) < 0) return -1;
    DuWork w;
    du_work_init(&w, 3 * (size_t)K * K + 2 * (size_t)K);
    if (!w.p) return du_fail(e, iS, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *Sinv = du_work_take(&w, (size_t)K * K);
    double *tmp = du_work_take(&w, (size_t)K * K), *z = du_work_take(&w, K), *av = du_work_take(&w, K);
    double lp = 0, logdet = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long oy = du_off(y, i), om = du_off(mu, i), oS = du_off(S, i);
        if (i == 0 || S->stride) {
            if ((rc = factor(S, iS, i, is_chol, L, (dS && !is_chol) ? Sinv : NULL, tmp, e)) < 0) break;
            logdet = du_chol_logdet(L, K);
        }
        for (int p = 0; p < K && rc == 0; p++)        /* Stan: the variate only not NaN */
            if (isnan(y->x[oy + p])) rc = du_fail(e, iy, oy + p, y->x[oy + p], "must not be NaN");
        if (rc < 0) break;
        if ((rc = du_check_finite(mu->x + om, K, imu, om, e)) < 0) break;
        double v = 0;
        if (student) {
            long on = du_off(nu, i);
            v = nu->x[on];
            if (!(v > 0 && isfinite(v))) { rc = du_fail(e, inu, on, v, "must be positive finite"); break; }
        }
        for (int p = 0; p < K; p++) z[p] = y->x[oy + p] - mu->x[om + p];
        du_trsv_lower(L, K, z);                 /* z = L^{-1} (y - mu) */
        double q = 0;
        for (int p = 0; p < K; p++) { q += z[p] * z[p]; av[p] = z[p]; }
        du_trsv_upper_t(L, K, av);              /* av = Sigma^{-1} (y - mu) */
        double wt = 1.0;                        /* d lp / d(q / 2), negated */
        if (student) {
            wt = (v + K) / (v + q);
            lp += mf_lgamma_raw(0.5 * (v + K)) - mf_lgamma_raw(0.5 * v) - 0.5 * K * log(v * M_PI)
                  - 0.5 * logdet - 0.5 * (v + K) * log1p(q / v);
            if (dnu)
                dnu[du_off(nu, i)] += 0.5 * (mf_psi(0.5 * (v + K)) - mf_psi(0.5 * v)) - 0.5 * K / v
                                      - 0.5 * log1p(q / v) + 0.5 * (v + K) * q / (v * (v + q));
        } else {
            lp += -0.5 * K * LOG_2PI - 0.5 * logdet - 0.5 * q;
        }
        for (int p = 0; p < K; p++) {
            if (dy) dy[oy + p] -= wt * av[p];
            if (dmu) dmu[om + p] += wt * av[p];
        }
        if (dS && is_chol) {
            /* d(-q/2)/dL = a z' (lower part), d(-log det / 2)/dL_pp = -1 / L_pp */
            for (int c = 0; c < K; c++)
                for (int r = c; r < K; r++)
                    dS[oS + r + (long)K * c] += wt * av[r] * z[c] - (r == c ? 1.0 / L[r + (long)K * r] : 0.0);
        } else if (dS) {
            for (int c = 0; c < K; c++)
                for (int r = 0; r < K; r++)
                    dS[oS + r + (long)K * c] += 0.5 * (wt * av[r] * av[c] - Sinv[r + (long)K * c]);
        }
    }
    du_work_free(&w);
    if (rc == 0) *out = lp;
    return rc;
}

static int mn_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e)
{ return mvn_lpdf(n, a, o, d, e, 0, 0); }
static int mnc_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e)
{ return mvn_lpdf(n, a, o, d, e, 0, 1); }
static int mst_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e)
{ return mvn_lpdf(n, a, o, d, e, 1, 0); }
static int mstc_lpdf(int n, const DArg *a, double *o, double *const *d, DistErr *e)
{ return mvn_lpdf(n, a, o, d, e, 1, 2); }

/* y = mu + sqrt(w) L z, z standard normal; w = 1 (Gaussian) or inv_gamma(nu/2, nu/2). */
static int mvn_rng(gsl_rng *r, const DArg *a, int i, double *out, DistErr *e, int student, int is_chol)
{
    const DArg *mu = &a[student], *S = &a[1 + student];
    int K = du_len(mu), rc;
    double sw = 1.0;
    if (S->rows != K || S->cols != K) return du_fail(e, 2 + student, 0, S->rows, "must be K x K, K the size of the location");
    if (student) {
        long on = du_off(&a[0], i);
        double v = a[0].x[on];
        if (!(v > 0 && isfinite(v))) return du_fail(e, 1, on, v, "must be positive finite");
        sw = sqrt(1.0 / gsl_ran_gamma(r, 0.5 * v, 2.0 / v));
    }
    long om = du_off(mu, i);
    if (du_check_finite(mu->x + om, K, 1 + student, om, e) < 0) return -1;
    DuWork w;
    du_work_init(&w, 2 * (size_t)K * K + K);
    if (!w.p) return du_fail(e, 2 + student, 0, K, "is too large (out of memory)");
    double *L = du_work_take(&w, (size_t)K * K), *tmp = du_work_take(&w, (size_t)K * K);
    double *z = du_work_take(&w, K);
    if ((rc = factor(S, 2 + student, i, is_chol, L, NULL, tmp, e)) == 0) {
        for (int p = 0; p < K; p++) z[p] = gsl_ran_gaussian_ziggurat(r, 1.0);
        for (int p = 0; p < K; p++) {
            double s = 0;
            for (int c = 0; c <= p; c++) s += L[p + (long)K * c] * z[c];
            out[p] = mu->x[om + p] + sw * s;
        }
    }
    du_work_free(&w);
    return rc;
}

static int mn_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return mvn_rng(r, a, i, o, e, 0, 0); }
static int mnc_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return mvn_rng(r, a, i, o, e, 0, 1); }
static int mst_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return mvn_rng(r, a, i, o, e, 1, 0); }
static int mstc_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) { return mvn_rng(r, a, i, o, e, 1, 2); }

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_multi_normal = {
    .name = "multi_normal", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "location", "covariance" }, .sig = "VVC",
    .lpdf = mn_lpdf, .rng = mn_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};

const Dist dist_multi_normal_cholesky = {
    .name = "multi_normal_cholesky", .discrete = 0, .nargs = 3,
    .argnames = { "variate", "location", "Cholesky factor of covariance" }, .sig = "VVL",
    .lpdf = mnc_lpdf, .rng = mnc_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};

const Dist dist_multi_student_t = {
    .name = "multi_student_t", .discrete = 0, .nargs = 4,
    .argnames = { "variate", "degrees of freedom", "location", "scale matrix" }, .sig = "VRVC",
    .lpdf = mst_lpdf, .rng = mst_rng, .ntest = 0, .test = no_test, .lo = -INFINITY, .hi = INFINITY,
};

const Dist dist_multi_student_t_cholesky = {
    .name = "multi_student_t_cholesky", .discrete = 0, .nargs = 4,
    .argnames = { "variate", "degrees of freedom", "location", "Cholesky factor of scale matrix" },
    .sig = "VRVL", .lpdf = mstc_lpdf, .rng = mstc_rng, .ntest = 0, .test = no_test,
    .lo = -INFINITY, .hi = INFINITY,
};
