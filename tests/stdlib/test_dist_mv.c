/* Multivariate distributions and normal_id_glm: partials vs finite differences
 * (covariance and Cholesky entries included), values vs GSL and closed forms,
 * normalisation of lkj for K = 2 and 3, rng moments, argument errors. */
#include <check.h>
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf.h>
#include "stdlib/dist.h"
#include "tests/stdlib/mv_util.h"

/* Perturbation modes for argument k: each element; symmetric pairs (i,j)+(j,i);
 * lower triangle only. */
enum { FD_EACH, FD_SYM, FD_LOWER };

static void fd_check(const Dist *D, int n, DArg *a, int k, double *x, long m, int mode, int K)
{
    static double g[4096];
    double *d[MAXA] = { 0 };
    memset(g, 0, sizeof(double) * m);
    d[k] = g;
    lp_call(D, n, a, d);
    for (long j = 0; j < m; j++) {
        long r = j % (K ? K : 1), c = (j / (K ? K : 1)) % (K ? K : 1);
        long base = j - r - c * K;            /* start of this replicate's matrix */
        long jt = base + c + r * K;           /* transposed position */
        if (mode == FD_SYM && r < c) continue;
        if (mode == FD_LOWER && r < c) continue;
        double x0 = x[j], xt0 = x[jt], h = 1e-6 * fmax(1e-2, fabs(x0));
        double fp, fm;
        x[j] = x0 + h;
        if (mode == FD_SYM && jt != j) x[jt] = xt0 + h;
        fp = lp_call(D, n, a, NULL);
        x[j] = x0 - h;
        if (mode == FD_SYM && jt != j) x[jt] = xt0 - h;
        fm = lp_call(D, n, a, NULL);
        x[j] = x0;
        x[jt] = xt0;
        double fd = (fp - fm) / (2 * h);
        double an = g[j] + (mode == FD_SYM && jt != j ? g[jt] : 0.0);
        ck_assert_msg(fabs(fd - an) <= 2e-5 * fmax(1, fabs(fd)), "%s arg %d element %ld: analytic %.10g fd %.10g",
                      D->name, k, j, an, fd);
    }
}



/* ---- multi_normal, multi_normal_cholesky, multi_student_t ------------------------- */

START_TEST(mvn_partials_and_values)
{
    enum { K = 3, N = 2 };
    double y[K * N] = { 0.3, -1.2, 2.0, 1.1, 0.4, -0.7 }, mu[K] = { 0.1, -0.5, 0.9 };
    double S[K * K], L[K * K], nu = 5.5;
    spd_matrix(K, S, 0.4);
    chol(K, S, L);
    const Dist *MN = dist_find("multi_normal"), *MC = dist_find("multi_normal_cholesky");
    const Dist *MT = dist_find("multi_student_t");
    DArg a[3] = { { y, NULL, 1, K, 1 }, { mu, NULL, 0, K, 1 }, { S, NULL, 0, K, K } };
    DArg c[3] = { { y, NULL, 1, K, 1 }, { mu, NULL, 0, K, 1 }, { L, NULL, 0, K, K } };
    DArg t[4] = { { y, NULL, 1, K, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, K, 1 }, { S, NULL, 0, K, K } };
    fd_check(MN, N, a, 0, y, K * N, FD_EACH, 0);
    fd_check(MN, N, a, 1, mu, K, FD_EACH, 0);
    fd_check(MN, N, a, 2, S, K * K, FD_SYM, K);
    fd_check(MC, N, c, 0, y, K * N, FD_EACH, 0);
    fd_check(MC, N, c, 1, mu, K, FD_EACH, 0);
    fd_check(MC, N, c, 2, L, K * K, FD_LOWER, K);
    fd_check(MT, N, t, 0, y, K * N, FD_EACH, 0);
    fd_check(MT, N, t, 1, &nu, 1, FD_EACH, 0);
    fd_check(MT, N, t, 2, mu, K, FD_EACH, 0);
    fd_check(MT, N, t, 3, S, K * K, FD_SYM, K);
    /* values: GSL's multivariate Gaussian; the Cholesky form agrees */
    gsl_vector_view mv = gsl_vector_view_array(mu, K);
    gsl_matrix *Lg = gsl_matrix_alloc(K, K);
    gsl_vector *work = gsl_vector_alloc(K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(Lg, i, j, L[i + K * j]);
    double ref = 0, r1;
    for (int i = 0; i < N; i++) {
        gsl_vector_view yv = gsl_vector_view_array(y + K * i, K);
        gsl_ran_multivariate_gaussian_log_pdf(&yv.vector, &mv.vector, Lg, &r1, work);
        ref += r1;
    }
    ck_assert(fabs(lp_call(MN, N, a, NULL) - ref) < 1e-12 * fabs(ref));
    ck_assert(fabs(lp_call(MC, N, c, NULL) - ref) < 1e-12 * fabs(ref));
    gsl_matrix_free(Lg);
    gsl_vector_free(work);
    /* multi_student_t with K = 1 is student_t: GSL's tdist on the standardised value */
    double y1 = 1.7, m1 = 0.2, s2 = 2.25, nu1 = 4.0;
    DArg t1[4] = { { &y1, NULL, 0, 1, 1 }, { &nu1, NULL, 0, 1, 1 }, { &m1, NULL, 0, 1, 1 }, { &s2, NULL, 0, 1, 1 } };
    double ref1 = log(gsl_ran_tdist_pdf((y1 - m1) / 1.5, nu1) / 1.5);
    ck_assert(fabs(lp_call(MT, 1, t1, NULL) - ref1) < 1e-12);
    /* K = 2 closed form: lgamma((nu+2)/2) - lgamma(nu/2) - log(nu pi) - log|S|/2 - (nu+2)/2 log(1 + q/nu) */
    double S2[4] = { 2.0, 0.6, 0.6, 1.0 }, y2[2] = { 0.5, -1.0 }, m2[2] = { 0, 0 };
    double det = 2.0 - 0.36, q = (1.0 * 0.25 - 2 * 0.6 * 0.5 * -1.0 + 2.0 * 1.0) / det;
    DArg t2[4] = { { y2, NULL, 0, 2, 1 }, { &nu1, NULL, 0, 1, 1 }, { m2, NULL, 0, 2, 1 }, { S2, NULL, 0, 2, 2 } };
    double ref2 = lgamma(3.0) - lgamma(2.0) - log(4.0 * M_PI) - 0.5 * log(det) - 3.0 * log1p(q / 4.0);
    ck_assert(fabs(lp_call(MT, 1, t2, NULL) - ref2) < 1e-12);
}
END_TEST

/* Replicates with a broadcast covariance equal the sum of single calls; the covariance
 * gradient accumulates. */
START_TEST(mvn_replicates)
{
    enum { K = 2, N = 3 };
    double y[K * N] = { 0.3, -1.2, 2.0, 1.1, 0.4, -0.7 }, mu[K * N] = { 0, 1, 2, 3, -1, 0.5 };
    double S[K * K] = { 1.5, 0.3, 0.3, 0.8 };
    const Dist *MN = dist_find("multi_normal");
    double gS[K * K] = { 0 }, gsum[K * K] = { 0 }, s = 0;
    DArg a[3] = { { y, NULL, 1, K, 1 }, { mu, NULL, 1, K, 1 }, { S, NULL, 0, K, K } };
    double *d[3] = { NULL, NULL, gS };
    double all = lp_call(MN, N, a, d);
    for (int i = 0; i < N; i++) {
        double g1[K * K] = { 0 };
        DArg b[3] = { { y + K * i, NULL, 0, K, 1 }, { mu + K * i, NULL, 0, K, 1 }, { S, NULL, 0, K, K } };
        double *d1[3] = { NULL, NULL, g1 };
        s += lp_call(MN, 1, b, d1);
        for (int j = 0; j < K * K; j++) gsum[j] += g1[j];
    }
    ck_assert(fabs(all - s) < 1e-12 * fabs(s));
    /* row vectors (1 x K) are accepted like column vectors */
    DArg rv[3] = { { y, NULL, 1, 1, K }, { mu, NULL, 1, 1, K }, { S, NULL, 0, K, K } };
    ck_assert(lp_call(MN, N, rv, NULL) == all);
    for (int j = 0; j < K * K; j++) ck_assert(fabs(gS[j] - gsum[j]) < 1e-12);
    /* per-replicate covariance (stride 1) */
    double S3[K * K * N];
    for (int i = 0; i < N; i++) {
        spd_matrix(K, S3 + K * K * i, 0.1 * i);
    }
    DArg b[3] = { { y, NULL, 1, K, 1 }, { mu, NULL, 1, K, 1 }, { S3, NULL, 1, K, K } };
    fd_check(MN, N, b, 2, S3, K * K * N, FD_SYM, K);
}
END_TEST

START_TEST(mvn_rng_moments)
{
    enum { K = 3, N = 40000 };
    double mu[K] = { 1.0, -2.0, 0.5 }, S[K * K], L[K * K], nu = 8.0;
    spd_matrix(K, S, 1.3);
    chol(K, S, L);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    for (int which = 0; which < 3; which++) {
        const Dist *D = dist_find(which == 0 ? "multi_normal" : which == 1 ? "multi_normal_cholesky" : "multi_student_t");
        DArg p[3];
        if (which < 2) {
            p[0] = (DArg){ mu, NULL, 0, K, 1 };
            p[1] = (DArg){ which ? L : S, NULL, 0, K, K };
        } else {
            p[0] = (DArg){ &nu, NULL, 0, 1, 1 };
            p[1] = (DArg){ mu, NULL, 0, K, 1 };
            p[2] = (DArg){ S, NULL, 0, K, K };
        }
        double m[K] = { 0 }, C[K * K] = { 0 }, x[K];
        DistErr e;
        for (int i = 0; i < N; i++) {
            REQUIRE(D->rng(r, p, 0, x, &e) == 0);
            for (int j = 0; j < K; j++) {
                m[j] += x[j] / N;
                for (int l = 0; l < K; l++) C[j + K * l] += (x[j] - mu[j]) * (x[l] - mu[l]) / N;
            }
        }
        double f = which == 2 ? nu / (nu - 2) : 1.0;
        for (int j = 0; j < K; j++) {
            double sd = sqrt(f * S[j + K * j] / N);
            ck_assert_msg(fabs(m[j] - mu[j]) < 5 * sd, "%s mean %d: %g vs %g", D->name, j, m[j], mu[j]);
            for (int l = 0; l < K; l++) {
                double ref = f * S[j + K * l];
                /* sd of a sample covariance ~ sqrt((S_jj S_ll + S_jl^2) / N), wider for t */
                double sc = (which == 2 ? 3.0 : 1.0) * f * sqrt((S[j + K * j] * S[l + K * l] + S[j + K * l] * S[j + K * l]) / N);
                ck_assert_msg(fabs(C[j + K * l] - ref) < 6 * sc, "%s cov %d,%d: %g vs %g", D->name, j, l, C[j + K * l], ref);
            }
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* K beyond the kernels' stack scratch: the heap path gives the same values. */
START_TEST(mvn_large_K)
{
    enum { K = 24 };
    static double y[K], mu[K], S[K * K], L[K * K], gy[K], gm[K];
    for (int i = 0; i < K; i++) { y[i] = sin(i); mu[i] = 0.1 * i; gy[i] = gm[i] = 0; }
    spd_matrix(K, S, 0.9);
    chol(K, S, L);
    const Dist *MN = dist_find("multi_normal"), *MC = dist_find("multi_normal_cholesky");
    DArg a[3] = { { y, NULL, 0, K, 1 }, { mu, NULL, 0, K, 1 }, { S, NULL, 0, K, K } };
    DArg c[3] = { { y, NULL, 0, K, 1 }, { mu, NULL, 0, K, 1 }, { L, NULL, 0, K, K } };
    double *d[3] = { gy, gm, NULL };
    gsl_vector_view yv = gsl_vector_view_array(y, K), mv = gsl_vector_view_array(mu, K);
    gsl_matrix_view Lv = gsl_matrix_view_array(L, K, K);     /* row-major view = L' */
    gsl_matrix *Lg = gsl_matrix_alloc(K, K);
    gsl_matrix_transpose_memcpy(Lg, &Lv.matrix);
    gsl_vector *work = gsl_vector_alloc(K);
    double ref;
    gsl_ran_multivariate_gaussian_log_pdf(&yv.vector, &mv.vector, Lg, &ref, work);
    ck_assert(fabs(lp_call(MN, 1, a, d) - ref) < 1e-11 * fabs(ref));
    ck_assert(fabs(lp_call(MC, 1, c, NULL) - ref) < 1e-11 * fabs(ref));
    for (int i = 0; i < K; i++) ck_assert(fabs(gy[i] + gm[i]) < 1e-12 * fmax(1, fabs(gm[i])));
    fd_check(MN, 1, a, 1, mu, K, FD_EACH, 0);
    gsl_matrix_free(Lg);
    gsl_vector_free(work);
}
END_TEST

/* ---- dirichlet ------------------------------------------------------------------- */

START_TEST(dirichlet)
{
    enum { K = 4 };
    double th[2 * K] = { 0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.4, 0.1 }, al[K] = { 0.7, 2.0, 3.5, 1.0 };
    const Dist *D = dist_find("dirichlet");
    DArg a[2] = { { th, NULL, 1, K, 1 }, { al, NULL, 0, K, 1 } };
    double ref = gsl_ran_dirichlet_lnpdf(K, al, th) + gsl_ran_dirichlet_lnpdf(K, al, th + K);
    ck_assert(fabs(lp_call(D, 2, a, NULL) - ref) < 1e-12 * fabs(ref));
    fd_check(D, 2, a, 1, al, K, FD_EACH, 0);
    /* theta moves inside the simplex: along e_i - e_j the derivative is g_i - g_j */
    double g[2 * K] = { 0 };
    double *d[2] = { g, NULL };
    lp_call(D, 2, a, d);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            if (i == j) continue;
            double h = 1e-7;
            th[i] += h; th[j] -= h;
            double fp = lp_call(D, 2, a, NULL);
            th[i] -= 2 * h; th[j] += 2 * h;
            double fm = lp_call(D, 2, a, NULL);
            th[i] += h; th[j] -= h;
            double fd = (fp - fm) / (2 * h);
            ck_assert_msg(fabs(fd - (g[i] - g[j])) < 1e-5 * fmax(1, fabs(fd)), "dirichlet theta %d-%d", i, j);
        }
    /* rng mean alpha / sum(alpha), each draw a simplex */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double m[K] = { 0 }, x[K], a0 = 7.2;
    DistErr e;
    DArg p = { al, NULL, 0, K, 1 };
    for (int i = 0; i < 20000; i++) {
        REQUIRE(D->rng(r, &p, 0, x, &e) == 0);
        double s = 0;
        for (int k = 0; k < K; k++) { s += x[k]; m[k] += x[k] / 20000; }
        REQUIRE(fabs(s - 1) < 1e-12);
    }
    for (int k = 0; k < K; k++) {
        double mk = al[k] / a0, sd = sqrt(mk * (1 - mk) / (a0 + 1) / 20000);
        ck_assert_msg(fabs(m[k] - mk) < 5 * sd, "dirichlet mean %d: %g vs %g", k, m[k], mk);
    }
    gsl_rng_free(r);
    /* errors */
    double out;
    th[2] = 0.35;
    ck_assert_int_eq(D->lpdf(2, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 0);
    th[2] = 0.3;
    al[1] = -1;
    ck_assert_int_eq(D->lpdf(2, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 1 && e.index == 1);
}
END_TEST

/* ---- lkj ------------------------------------------------------------------------- */

/* L of a K x K correlation matrix from K(K-1)/2 canonical partial correlations in
 * (-1, 1) (Stan's read_corr_L, written independently: row by row). */
static void cpc_to_L(int K, const double *z, double *L)
{
    memset(L, 0, sizeof(double) * K * K);
    L[0] = 1;
    int idx[8][8], c = 0;
    for (int j = 0; j < K; j++)
        for (int i = j + 1; i < K; i++) idx[i][j] = c++;
    for (int i = 1; i < K; i++) {
        double rem = 1;
        for (int j = 0; j < i; j++) {
            L[i + K * j] = z[idx[i][j]] * sqrt(rem);
            rem -= L[i + K * j] * L[i + K * j];
        }
        L[i + K * i] = sqrt(rem);
    }
}

START_TEST(lkj_partials)
{
    enum { K = 4 };
    double z[6] = { 0.3, -0.5, 0.1, 0.6, -0.2, 0.4 }, L[K * K], eta = 1.7, g[K * K];
    const Dist *LC = dist_find("lkj_corr_cholesky"), *LK = dist_find("lkj_corr");
    cpc_to_L(K, z, L);
    DArg a[2] = { { L, NULL, 0, K, K }, { &eta, NULL, 0, 1, 1 } };
    fd_check(LC, 1, a, 1, &eta, 1, FD_EACH, 0);
    /* along the manifold: d lp(L(z)) / dz_k = sum g_ij dL_ij/dz_k */
    memset(g, 0, sizeof g);
    double *d[2] = { g, NULL };
    lp_call(LC, 1, a, d);
    for (int k = 0; k < 6; k++) {
        double zp[6], zm[6], Lp[K * K], Lm[K * K], h = 1e-6;
        memcpy(zp, z, sizeof z);
        memcpy(zm, z, sizeof z);
        zp[k] += h;
        zm[k] -= h;
        cpc_to_L(K, zp, Lp);
        cpc_to_L(K, zm, Lm);
        DArg ap[2] = { { Lp, NULL, 0, K, K }, { &eta, NULL, 0, 1, 1 } };
        DArg am[2] = { { Lm, NULL, 0, K, K }, { &eta, NULL, 0, 1, 1 } };
        double fd = (lp_call(LC, 1, ap, NULL) - lp_call(LC, 1, am, NULL)) / (2 * h), an = 0;
        for (int j = 0; j < K * K; j++) an += g[j] * (Lp[j] - Lm[j]) / (2 * h);
        ck_assert_msg(fabs(fd - an) < 1e-5 * fmax(1, fabs(fd)), "lkj_corr_cholesky dz%d: %g vs %g", k, an, fd);
    }
    /* lkj_corr: off-diagonal entries in symmetric pairs, and eta */
    double W[K * K];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int q = 0; q < K; q++) s += L[i + K * q] * L[j + K * q];
            W[i + K * j] = i == j ? 1.0 : s;
        }
    DArg b[2] = { { W, NULL, 0, K, K }, { &eta, NULL, 0, 1, 1 } };
    fd_check(LK, 1, b, 1, &eta, 1, FD_EACH, 0);
    double gw[K * K] = { 0 };
    double *dw[2] = { gw, NULL };
    lp_call(LK, 1, b, dw);
    for (int i = 1; i < K; i++)
        for (int j = 0; j < i; j++) {
            double h = 1e-6, w0 = W[i + K * j];
            W[i + K * j] = W[j + K * i] = w0 + h;
            double fp = lp_call(LK, 1, b, NULL);
            W[i + K * j] = W[j + K * i] = w0 - h;
            double fm = lp_call(LK, 1, b, NULL);
            W[i + K * j] = W[j + K * i] = w0;
            double fd = (fp - fm) / (2 * h);
            ck_assert(fabs(fd - gw[i + K * j] - gw[j + K * i]) < 1e-5 * fmax(1, fabs(fd)));
        }
    /* the two agree up to the Jacobian of Omega = L L': sum_{i>=1} (K - i - 1) log L_ii */
    double jac = 0;
    for (int i = 1; i < K; i++) jac += (K - i - 1) * log(L[i + K * i]);
    ck_assert(fabs(lp_call(LC, 1, a, NULL) - (lp_call(LK, 1, b, NULL) + jac)) < 1e-12);
}
END_TEST

static double lkj2_density(double rr, void *p)
{
    const Dist *D = ((const Dist **)p)[0];
    double eta = *(double *)((void **)p)[1];
    int chol = *(int *)((void **)p)[2];
    double M[4];
    if (chol) { M[0] = 1; M[1] = rr; M[2] = 0; M[3] = sqrt(1 - rr * rr); }
    else { M[0] = 1; M[1] = rr; M[2] = rr; M[3] = 1; }
    DArg a[2] = { { M, NULL, 0, 2, 2 }, { &eta, NULL, 0, 1, 1 } };
    double out;
    DistErr e;
    if (D->lpdf(1, a, &out, NULL, &e) < 0) return 0;
    return exp(out);
}

START_TEST(lkj_normalisation)
{
    /* K = 2: the density of r integrates to 1 (both forms: L's free coordinate is r) */
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    static const double etas[] = { 0.5, 1.0, 2.5, 10.0 };
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 4; i++) {
            const Dist *D = dist_find(c ? "lkj_corr_cholesky" : "lkj_corr");
            double eta = etas[i];
            int chol = c;
            void *p[3] = { (void *)D, &eta, &chol };
            gsl_function F = { lkj2_density, p };
            double res, err;
            gsl_integration_qags(&F, -1, 1, 0, 1e-10, 200, w, &res, &err);
            ck_assert_msg(fabs(res - 1) < 1e-7, "%s K=2 eta=%g: integral %.10g", D->name, eta, res);
        }
    gsl_integration_workspace_free(w);
    /* K = 3: Monte Carlo over the cube of (r12, r13, r23); mass 1 within 1.5% */
    const Dist *D = dist_find("lkj_corr");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    static const double e3[] = { 1.0, 2.0 };
    for (int t = 0; t < 2; t++) {
        double eta = e3[t], s = 0;
        const int M = 200000;
        for (int i = 0; i < M; i++) {
            double a = 2 * gsl_rng_uniform(r) - 1, b = 2 * gsl_rng_uniform(r) - 1, c = 2 * gsl_rng_uniform(r) - 1;
            double W[9] = { 1, a, b, a, 1, c, b, c, 1 };
            if (1 - a * a - b * b - c * c + 2 * a * b * c <= 0) continue;
            DArg arg[2] = { { W, NULL, 0, 3, 3 }, { &eta, NULL, 0, 1, 1 } };
            s += exp(lp_call(D, 1, arg, NULL));
        }
        double integral = 8 * s / M;
        ck_assert_msg(fabs(integral - 1) < 0.015, "lkj_corr K=3 eta=%g: integral %g", eta, integral);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(lkj_rng)
{
    enum { K = 3, N = 20000 };
    const Dist *LC = dist_find("lkj_corr_cholesky"), *LK = dist_find("lkj_corr");
    ck_assert_str_eq(LC->rng_sig, "IR");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    int Kv = K;
    double eta = 2.0, L[K * K], W[K * K], m[3] = { 0 }, v[3] = { 0 };
    DArg p[2] = { { NULL, &Kv, 0, 1, 1 }, { &eta, NULL, 0, 1, 1 } };
    DistErr e;
    for (int i = 0; i < N; i++) {
        REQUIRE(LC->rng(r, p, 0, L, &e) == 0);
        for (int a = 0; a < K; a++) {
            double s = 0;
            for (int b = 0; b < K; b++) s += L[a + K * b] * L[a + K * b];
            REQUIRE(fabs(s - 1) < 1e-12);
            for (int b = a + 1; b < K; b++) REQUIRE(L[a + K * b] == 0);
        }
        REQUIRE(LK->rng(r, p, 0, W, &e) == 0);
        double pr[3] = { W[1], W[2], W[5] };
        REQUIRE(W[1] == W[3] && W[0] == 1 && W[4] == 1 && W[8] == 1);
        for (int j = 0; j < 3; j++) { m[j] += pr[j] / N; v[j] += pr[j] * pr[j] / N; }
    }
    /* marginals: r_ij ~ 2 Beta(eta - 1 + K/2, same) - 1: mean 0, variance 1 / (2 eta + K - 1) */
    double var = 1.0 / (2 * eta + K - 1);
    for (int j = 0; j < 3; j++) {
        ck_assert_msg(fabs(m[j]) < 5 * sqrt(var / N), "lkj mean %g", m[j]);
        ck_assert_msg(fabs(v[j] - var) < 0.05 * var, "lkj var %g vs %g", v[j], var);
    }
    gsl_rng_free(r);
    /* errors: a non-unit diagonal, eta <= 0 */
    double Wb[4] = { 1.1, 0.2, 0.2, 1 }, out;
    DArg b[2] = { { Wb, NULL, 0, 2, 2 }, { &eta, NULL, 0, 1, 1 } };
    ck_assert_int_eq(LK->lpdf(1, b, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 0);
    Wb[0] = 1;
    eta = -1;
    ck_assert_int_eq(LK->lpdf(1, b, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
}
END_TEST

/* ---- wishart, inv_wishart --------------------------------------------------------- */

START_TEST(wishart_partials_values)
{
    enum { K = 3 };
    double W[K * K], S[K * K], nu = 6.5;
    spd_matrix(K, W, 2.0);
    spd_matrix(K, S, 0.7);
    const Dist *WI = dist_find("wishart"), *IW = dist_find("inv_wishart");
    for (int c = 0; c < 2; c++) {
        const Dist *D = c ? IW : WI;
        DArg a[3] = { { W, NULL, 0, K, K }, { &nu, NULL, 0, 1, 1 }, { S, NULL, 0, K, K } };
        fd_check(D, 1, a, 0, W, K * K, FD_SYM, K);
        fd_check(D, 1, a, 1, &nu, 1, FD_EACH, 0);
        fd_check(D, 1, a, 2, S, K * K, FD_SYM, K);
    }
    /* K = 1: wishart(nu, s) is gamma(nu/2, scale 2 s); inv_wishart is inv_gamma(nu/2, s/2) */
    double w1 = 1.7, s1 = 0.6, n1 = 3.3, out;
    DArg a1[3] = { { &w1, NULL, 0, 1, 1 }, { &n1, NULL, 0, 1, 1 }, { &s1, NULL, 0, 1, 1 } };
    out = lp_call(WI, 1, a1, NULL);
    ck_assert(fabs(out - log(gsl_ran_gamma_pdf(w1, n1 / 2, 2 * s1))) < 1e-12);
    out = lp_call(IW, 1, a1, NULL);
    double b = s1 / 2, al = n1 / 2;
    double ref = al * log(b) - lgamma(al) - (al + 1) * log(w1) - b / w1;
    ck_assert(fabs(out - ref) < 1e-12);
    /* K = 2 closed form with explicit 2 x 2 determinants and inverses */
    double W2[4] = { 2.0, 0.5, 0.5, 1.5 }, S2[4] = { 1.0, -0.3, -0.3, 0.8 }, n2 = 4.2;
    double dW = 2.0 * 1.5 - 0.25, dS = 0.8 - 0.09;
    double trSiW = (0.8 * 2.0 - 2 * (-0.3) * 0.5 * -1 * -1 + 1.0 * 1.5) / dS;
    /* S^-1 = [0.8 0.3; 0.3 1.0] / dS: tr(S^-1 W) = (0.8*2 + 2*0.3*0.5 + 1.0*1.5) / dS */
    trSiW = (0.8 * 2.0 + 2 * 0.3 * 0.5 + 1.0 * 1.5) / dS;
    double lmg = 0.5 * log(M_PI) + lgamma(n2 / 2) + lgamma(n2 / 2 - 0.5);
    double refw = 0.5 * (n2 - 3) * log(dW) - 0.5 * trSiW - n2 * M_LN2 - 0.5 * n2 * log(dS) - lmg;
    DArg a2[3] = { { W2, NULL, 0, 2, 2 }, { &n2, NULL, 0, 1, 1 }, { S2, NULL, 0, 2, 2 } };
    ck_assert(fabs(lp_call(WI, 1, a2, NULL) - refw) < 1e-12);
    /* W^-1 = [1.5 -0.5; -0.5 2.0] / dW: tr(S W^-1) */
    double trSWi = (1.0 * 1.5 + 2 * (-0.3) * (-0.5) + 0.8 * 2.0) / dW;
    double refi = 0.5 * n2 * log(dS) - n2 * M_LN2 - lmg - 0.5 * (n2 + 3) * log(dW) - 0.5 * trSWi;
    ck_assert(fabs(lp_call(IW, 1, a2, NULL) - refi) < 1e-12);
    /* errors: nu <= K - 1, non-symmetric, not positive definite */
    DistErr e;
    double nbad = 0.5;
    DArg a3[3] = { { W2, NULL, 0, 2, 2 }, { &nbad, NULL, 0, 1, 1 }, { S2, NULL, 0, 2, 2 } };
    ck_assert_int_eq(WI->lpdf(1, a3, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    S2[1] = 0.1;
    ck_assert_int_eq(WI->lpdf(1, a2, &out, NULL, &e), -1);
    ck_assert(e.arg == 2 && e.index == 1);
    S2[1] = -0.3;
    W2[1] = W2[2] = 3.0;
    ck_assert_int_eq(IW->lpdf(1, a2, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 0);
    ck_assert_str_eq(e.what, "must be positive definite");
}
END_TEST

START_TEST(wishart_rng_moments)
{
    enum { K = 2, N = 40000 };
    double S[K * K] = { 1.0, 0.4, 0.4, 0.5 }, nu = 7.0, x[K * K];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    DistErr e;
    for (int c = 0; c < 2; c++) {
        const Dist *D = dist_find(c ? "inv_wishart" : "wishart");
        DArg p[2] = { { &nu, NULL, 0, 1, 1 }, { S, NULL, 0, K, K } };
        double m[K * K] = { 0 }, m2[K * K] = { 0 };
        for (int i = 0; i < N; i++) {
            REQUIRE(D->rng(r, p, 0, x, &e) == 0);
            REQUIRE(x[1] == x[2] || fabs(x[1] - x[2]) < 1e-12 * fabs(x[1]));
            for (int j = 0; j < K * K; j++) { m[j] += x[j] / N; m2[j] += x[j] * x[j] / N; }
        }
        /* E wishart = nu S; E inv_wishart = S / (nu - K - 1) */
        for (int j = 0; j < K * K; j++) {
            double ref = c ? S[j] / (nu - K - 1) : nu * S[j];
            double sd = sqrt((m2[j] - m[j] * m[j]) / N);
            ck_assert_msg(fabs(m[j] - ref) < 6 * sd, "%s mean[%d] %g vs %g (sd %g)", D->name, j, m[j], ref, sd);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* ---- normal_id_glm ---------------------------------------------------------------- */

START_TEST(normal_id_glm)
{
    enum { N = 4, K = 2 };
    double y[N] = { 1.0, -0.5, 2.2, 0.3 }, X[N * K] = { 0.1, 0.5, -1.0, 2.0, 1.5, -0.3, 0.2, 0.7 };
    double alpha[N] = { 0.2, 0.2, -0.1, 0.4 }, beta[K] = { 0.8, -1.1 }, sigma = 1.3;
    const Dist *G = dist_find("normal_id_glm");
    DArg a[5] = { { y, NULL, 1, 1, 1 }, { X, NULL, 0, N, K }, { alpha, NULL, 1, 1, 1 },
                  { beta, NULL, 0, K, 1 }, { &sigma, NULL, 0, 1, 1 } };
    double ref = 0;
    for (int i = 0; i < N; i++) {
        double mu = alpha[i] + X[i] * beta[0] + X[i + N] * beta[1];
        ref += log(gsl_ran_gaussian_pdf(y[i] - mu, sigma));
    }
    ck_assert(fabs(lp_call(G, N, a, NULL) - ref) < 1e-12 * fabs(ref));
    fd_check(G, N, a, 0, y, N, FD_EACH, 0);
    fd_check(G, N, a, 1, X, N * K, FD_EACH, 0);
    fd_check(G, N, a, 2, alpha, N, FD_EACH, 0);
    fd_check(G, N, a, 3, beta, K, FD_EACH, 0);
    fd_check(G, N, a, 4, &sigma, 1, FD_EACH, 0);
    double out;
    DistErr e;
    sigma = 0;
    ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 4);
    sigma = 1.3;
    a[1].rows = 3;
    ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
}
END_TEST

/* ---- bernoulli_logit_glm, poisson_log_glm, neg_binomial_2_log_glm ------------------- */

/* Each equals the sum of its family's univariate rows at eta = alpha + X beta (the
 * rows' own kernels are checked against GSL in test_dist_disc; this checks the
 * linear predictor, the sum and the argument mapping), and every partial matches
 * finite differences; scalar and per-row intercept and precision. */
START_TEST(discrete_glms)
{
    enum { N = 5, K = 3 };
    double X[N * K] = { 0.1, 0.5, -1.0, 2.0, 1.5, -0.3, 0.2, 0.7, -2.5, 0.0, 1.1, -0.4, 0.9, 0.3, -1.7 };
    double alpha[N] = { 0.2, -0.6, -0.1, 0.4, 1.2 }, beta[K] = { 0.8, -1.1, 0.35 }, a1 = -0.3;
    double phi[N] = { 0.7, 3.0, 1.5, 12.0, 0.4 }, phi1 = 2.5;
    int yb[N] = { 1, 0, 0, 1, 1 }, yp[N] = { 0, 3, 1, 7, 2 };
    static const char *const names[3][2] = { { "bernoulli_logit_glm", "bernoulli_logit" },
                                              { "poisson_log_glm", "poisson_log" },
                                              { "neg_binomial_2_log_glm", "neg_binomial_2_log" } };
    for (int fam = 0; fam < 3; fam++) {
        const Dist *G = dist_find(names[fam][0]), *U = dist_find(names[fam][1]);
        ck_assert_ptr_nonnull(G);
        ck_assert_int_eq(G->nargs, U->nargs + 2);
        int *y = fam ? yp : yb;
        for (int scalar = 0; scalar < 2; scalar++) {
            double *al = scalar ? &a1 : alpha, *ph = scalar ? &phi1 : phi;
            DArg a[5] = { { NULL, y, 1, 1, 1 }, { X, NULL, 0, N, K }, { al, NULL, !scalar, 1, 1 },
                          { beta, NULL, 0, K, 1 }, { ph, NULL, !scalar, 1, 1 } };
            double ref = 0;
            for (int i = 0; i < N; i++) {
                double eta = al[scalar ? 0 : i];
                for (int j = 0; j < K; j++) eta += X[i + N * j] * beta[j];
                DArg u[3] = { { NULL, &y[i], 0, 1, 1 }, { &eta, NULL, 0, 1, 1 }, { &ph[scalar ? 0 : i], NULL, 0, 1, 1 } };
                ref += lp_call(U, 1, u, NULL);
            }
            double lp = lp_call(G, N, a, NULL);
            ck_assert_msg(fabs(lp - ref) < 1e-12 * fabs(ref), "%s: %.17g, rows %.17g", G->name, lp, ref);
            fd_check(G, N, a, 1, X, N * K, FD_EACH, 0);
            fd_check(G, N, a, 2, al, scalar ? 1 : N, FD_EACH, 0);
            fd_check(G, N, a, 3, beta, K, FD_EACH, 0);
            if (fam == 2) fd_check(G, N, a, 4, ph, scalar ? 1 : N, FD_EACH, 0);
        }
        DArg a[5] = { { NULL, y, 1, 1, 1 }, { X, NULL, 0, N, K }, { alpha, NULL, 1, 1, 1 }, { beta, NULL, 0, K, 1 },
                      { phi, NULL, 1, 1, 1 } };
        DistErr e;
        double out;
        /* far-out linear predictors: finite for bernoulli, an error once exp overflows */
        beta[0] = 400;
        int rc = G->lpdf(N, a, &out, NULL, &e);
        if (fam == 1) ck_assert(rc == -1 && e.arg == 2 && e.index == 3);
        if (fam == 0) ck_assert(rc == 0 && isfinite(out));
        beta[0] = 0.8;
        /* the variate's support (the family's message), the design's shape, NaN */
        y[2] = fam ? -1 : 2;
        ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
        ck_assert(e.arg == 0 && e.index == 2 && e.value == y[2] && e.what);
        y[2] = fam ? 1 : 0;
        a[1].rows = 4;
        ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
        ck_assert_int_eq(e.arg, 1);
        a[1].rows = N;
        beta[1] = NAN;
        ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
        ck_assert(e.arg == 3 && e.index == 1);
        beta[1] = -1.1;
        for (int k = 0; k < 2; k++) {   /* a non-finite design element, at its index */
            X[7] = k ? NAN : -INFINITY;
            ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
            ck_assert_msg(e.arg == 1 && e.index == 7, "%s: arg %d index %ld", G->name, e.arg, e.index);
        }
        X[7] = 0.7;
        if (fam == 2) {            /* the precision's check, at its element */
            phi[3] = -1;
            ck_assert_int_eq(G->lpdf(N, a, &out, NULL, &e), -1);
            ck_assert(e.arg == 4 && e.index == 3 && e.value == -1);
            phi[3] = 12.0;
        }
    }
}
END_TEST

/* ---- ordered_logistic_glm, categorical_logit_glm ------------------------------------ */

/* Each equals the sum of its family's rows (ordered_logistic at X[i] . beta with the
 * cut points; categorical_logit at alpha + (X[i] B)'), every partial matches finite
 * differences, and errors name the argument and element. */
START_TEST(category_glms)
{
    enum { N = 6, P = 2, C = 3 };
    double X[N * P] = { 0.1, 0.5, -1.0, 2.0, 1.5, -0.3, 0.2, 0.7, -2.5, 0.0, 1.1, -0.4 };
    double beta[P] = { 0.8, -1.1 }, cut[C - 1] = { -0.5, 0.9 }, alpha[C] = { 0.3, -0.2, 0.5 };
    double B[P * C] = { 0.4, -0.7, 1.2, 0.1, -0.3, 0.9 };
    int y[N] = { 1, 3, 2, 2, 3, 1 };
    const Dist *OG = dist_find("ordered_logistic_glm"), *O = dist_find("ordered_logistic");
    const Dist *CG = dist_find("categorical_logit_glm"), *CL = dist_find("categorical_logit");
    ck_assert(OG && CG);
    DArg oa[4] = { { NULL, y, 1, 1, 1 }, { X, NULL, 0, N, P }, { beta, NULL, 0, P, 1 }, { cut, NULL, 0, C - 1, 1 } };
    DArg ca[4] = { { NULL, y, 1, 1, 1 }, { X, NULL, 0, N, P }, { alpha, NULL, 0, C, 1 }, { B, NULL, 0, P, C } };
    double ro = 0, rc = 0;
    for (int i = 0; i < N; i++) {
        double eta = X[i] * beta[0] + X[i + N] * beta[1], lo[C];
        DArg u[3] = { { NULL, &y[i], 0, 1, 1 }, { &eta, NULL, 0, 1, 1 }, { cut, NULL, 0, C - 1, 1 } };
        ro += lp_call(O, 1, u, NULL);
        for (int k = 0; k < C; k++) lo[k] = alpha[k] + X[i] * B[0 + P * k] + X[i + N] * B[1 + P * k];
        DArg v[2] = { { NULL, &y[i], 0, 1, 1 }, { lo, NULL, 0, C, 1 } };
        rc += lp_call(CL, 1, v, NULL);
    }
    double lo_ = lp_call(OG, N, oa, NULL), lc = lp_call(CG, N, ca, NULL);
    ck_assert_msg(fabs(lo_ - ro) < 1e-12 * fabs(ro), "ordered_logistic_glm %.17g, rows %.17g", lo_, ro);
    ck_assert_msg(fabs(lc - rc) < 1e-12 * fabs(rc), "categorical_logit_glm %.17g, rows %.17g", lc, rc);
    fd_check(OG, N, oa, 1, X, N * P, FD_EACH, 0);
    fd_check(OG, N, oa, 2, beta, P, FD_EACH, 0);
    fd_check(OG, N, oa, 3, cut, C - 1, FD_EACH, 0);
    fd_check(CG, N, ca, 1, X, N * P, FD_EACH, 0);
    fd_check(CG, N, ca, 2, alpha, C, FD_EACH, 0);
    fd_check(CG, N, ca, 3, B, P * C, FD_EACH, 0);
    DistErr e;
    double out;
    y[4] = 4;                                   /* outside 1..C */
    ck_assert_int_eq(OG->lpdf(N, oa, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 4 && e.value == 4);
    ck_assert_int_eq(CG->lpdf(N, ca, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 4 && e.value == 4);
    y[4] = 3;
    cut[1] = -1;                                /* not ordered */
    ck_assert_int_eq(OG->lpdf(N, oa, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 3);
    cut[1] = 0.9;
    ca[3].cols = 2;                             /* B has a column per category */
    ck_assert_int_eq(CG->lpdf(N, ca, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 3);
    ca[3].cols = C;
    ca[3].rows = 1;                             /* and a row per column of X */
    ck_assert_int_eq(CG->lpdf(N, ca, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    ca[3].rows = P;
    B[2] = INFINITY;
    ck_assert_int_eq(CG->lpdf(N, ca, &out, NULL, &e), -1);
    ck_assert(e.arg == 3 && e.index == 2);
    B[2] = 1.2;
}
END_TEST

/* ---- errors of the multivariate normals ------------------------------------------- */

START_TEST(mvn_errors)
{
    double y[2] = { 0, 1 }, mu[2] = { 0, 0 }, S[4] = { 1, 0.5, 0.4, 1 }, out, nu = 3;
    const Dist *MN = dist_find("multi_normal"), *MT = dist_find("multi_student_t");
    DArg a[3] = { { y, NULL, 0, 2, 1 }, { mu, NULL, 0, 2, 1 }, { S, NULL, 0, 2, 2 } };
    DistErr e;
    ck_assert_int_eq(MN->lpdf(1, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 2 && e.index == 1);
    ck_assert_str_eq(e.what, "must be symmetric");
    S[2] = 0.5;
    S[3] = 0.2;                 /* det < 0 */
    ck_assert_int_eq(MN->lpdf(1, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 2 && e.index == 3);
    S[3] = 1;
    mu[1] = INFINITY;
    ck_assert_int_eq(MN->lpdf(1, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 1 && e.index == 1);
    mu[1] = 0;
    a[1].rows = 3;
    ck_assert_int_eq(MN->lpdf(1, a, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    a[1].rows = 2;
    nu = -1;
    DArg t[4] = { { y, NULL, 0, 2, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, 2, 1 }, { S, NULL, 0, 2, 2 } };
    ck_assert_int_eq(MT->lpdf(1, t, &out, NULL, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    /* the rng checks too */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    S[3] = 0.2;
    double x[2];
    ck_assert_int_eq(MN->rng(r, a + 1, 0, x, &e), -1);
    ck_assert_int_eq(e.arg, 2);
    gsl_rng_free(r);
    S[3] = 1;
    y[1] = NAN;
    ck_assert_int_eq(MN->lpdf(1, a, &out, NULL, &e), -1);
    ck_assert(e.arg == 0 && e.index == 1);
    y[1] = 1;
    /* far-out variates give a finite log density and finite partials */
    S[3] = 1;
    y[0] = 1e150;
    double gy[2] = { 0 }, *d[3] = { gy, NULL, NULL };
    ck_assert_int_eq(MN->lpdf(1, a, &out, d, &e), 0);
    ck_assert(!isnan(out) && !isnan(gy[0]));
}
END_TEST

/* Extreme but valid arguments: finite values and partials, and the limits hold. */
START_TEST(mv_extremes)
{
    double th[3] = { 0.2, 0.5, 0.3 }, al[3] = { 1e-8, 1e8, 1.0 }, g0[3] = { 0 }, g1[3] = { 0 };
    const Dist *D = dist_find("dirichlet");
    DArg a[2] = { { th, NULL, 0, 3, 1 }, { al, NULL, 0, 3, 1 } };
    double *d[2] = { g0, g1 };
    ck_assert(isfinite(lp_call(D, 1, a, d)));
    for (int k = 0; k < 3; k++) ck_assert(isfinite(g0[k]) && isfinite(g1[k]));
    /* multi_student_t with nu = 1e8 is multi_normal up to O(1/nu) */
    double y[2] = { 0.4, -1.0 }, mu[2] = { 0, 0.2 }, S[4] = { 1.0, 0.3, 0.3, 2.0 }, nu = 1e8;
    DArg t[4] = { { y, NULL, 0, 2, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, 2, 1 }, { S, NULL, 0, 2, 2 } };
    DArg m[3] = { { y, NULL, 0, 2, 1 }, { mu, NULL, 0, 2, 1 }, { S, NULL, 0, 2, 2 } };
    double gn = 0, *dt[4] = { NULL, &gn, NULL, NULL };
    ck_assert(fabs(lp_call(dist_find("multi_student_t"), 1, t, dt) - lp_call(dist_find("multi_normal"), 1, m, NULL)) < 1e-6);
    ck_assert(isfinite(gn));
    /* wishart with large nu, lkj with large and tiny eta */
    double W[4] = { 2.0, 0.1, 0.1, 1.0 }, nw = 1e6, gw[4] = { 0 }, gnw = 0;
    DArg w[3] = { { W, NULL, 0, 2, 2 }, { &nw, NULL, 0, 1, 1 }, { S, NULL, 0, 2, 2 } };
    double *dw[3] = { gw, &gnw, NULL };
    ck_assert(isfinite(lp_call(dist_find("wishart"), 1, w, dw)) && isfinite(gnw) && isfinite(gw[0]));
    ck_assert(isfinite(lp_call(dist_find("inv_wishart"), 1, w, dw)) && isfinite(gnw));
    double O[4] = { 1.0, 0.3, 0.3, 1.0 }, etas[2] = { 1e5, 1e-5 };
    for (int i = 0; i < 2; i++) {
        double ge = 0, *de[2] = { NULL, &ge };
        DArg l[2] = { { O, NULL, 0, 2, 2 }, { &etas[i], NULL, 0, 1, 1 } };
        ck_assert(isfinite(lp_call(dist_find("lkj_corr"), 1, l, de)) && isfinite(ge));
    }
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("dist_mv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mvn_partials_and_values);
    tcase_add_test(tc, mvn_replicates);
    tcase_add_test(tc, mvn_large_K);
    tcase_add_test(tc, mvn_rng_moments);
    tcase_add_test(tc, dirichlet);
    tcase_add_test(tc, lkj_partials);
    tcase_add_test(tc, lkj_normalisation);
    tcase_add_test(tc, lkj_rng);
    tcase_add_test(tc, wishart_partials_values);
    tcase_add_test(tc, wishart_rng_moments);
    tcase_add_test(tc, normal_id_glm);
    tcase_add_test(tc, discrete_glms);
    tcase_add_test(tc, category_glms);
    tcase_add_test(tc, mvn_errors);
    tcase_add_test(tc, mv_extremes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
