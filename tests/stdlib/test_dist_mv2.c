/* multi_student_t_cholesky, dirichlet_multinomial, wishart_cholesky (Stan 2.36's
 * definitions): values against independent formulas (multi_student_t with
 * Sigma = L L'; beta_binomial for K = 2 and the Gamma-ratio pmf; wishart of L L' plus
 * the log-Jacobian of W -> L, and K = 1 normalisation), every partial against central
 * finite differences at several points, rng moments within a few standard errors,
 * invalid arguments rejected with the argument and element; then the same three
 * through the language (checker, ~, _rng return types, gradients). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf.h>
#include "stdlib/dist.h"
#include "tests/stdlib/mv_util.h"
#include "runtime/vmod.h"

static int lp_err(const Dist *D, int n, const DArg *a, DistErr *e)
{
    double out;
    memset(e, 0, sizeof *e);
    return D->lpdf(n, a, &out, NULL, e);
}

/* Central differences for every element of argument k (x[0..m)); lower: only the
 * lower triangle of each K x K block (Cholesky factors: the upper part is zero). */
static void fd_check(const Dist *D, int n, DArg *a, int k, double *x, long m, int lower, int K)
{
    static double g[4096];
    double *d[MAXA] = { 0 };
    memset(g, 0, sizeof(double) * m);
    d[k] = g;
    lp_call(D, n, a, d);
    for (long j = 0; j < m; j++) {
        if (lower && (j % K) < (j / K) % K) {
            ck_assert_msg(g[j] == 0, "%s arg %d element %ld above the diagonal has a partial", D->name, k, j);
            continue;
        }
        double x0 = x[j], h = 1e-6 * fmax(1, fabs(x0));   /* rounding of |lp| ~ 1e3 stays below 1e-6 */
        x[j] = x0 + h;
        double fp = lp_call(D, n, a, NULL);
        x[j] = x0 - h;
        double fm = lp_call(D, n, a, NULL);
        x[j] = x0;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - g[j]) <= 2e-6 * fmax(1, fabs(fd)), "%s arg %d element %ld: analytic %.10g fd %.10g",
                      D->name, k, j, g[j], fd);
    }
}



static void llt(int K, const double *L, double *W)
{
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int q = 0; q < K; q++) s += L[i + K * q] * L[j + K * q];
            W[i + K * j] = s;
        }
}

/* ---- multi_student_t_cholesky ------------------------------------------------------ */

START_TEST(mstc_values_partials)
{
    enum { K = 3, N = 2 };
    const Dist *T = dist_find("multi_student_t"), *TC = dist_find("multi_student_t_cholesky");
    ck_assert_ptr_nonnull(TC);
    static const double nus[3] = { 0.7, 4.5, 60.0 };
    for (int pt = 0; pt < 3; pt++) {
        double y[K * N], mu[K * N], S[K * K], L[K * K], nu = nus[pt];
        for (int j = 0; j < K * N; j++) { y[j] = 2 * sin(1.3 * j + pt); mu[j] = 0.5 * cos(0.7 * j - pt); }
        spd_matrix(K, S, 0.4 + pt);
        chol(K, S, L);
        /* broadcast location, then one location per replicate */
        for (int ms = 0; ms < 2; ms++) {
            DArg t[4] = { { y, NULL, 1, K, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, ms, K, 1 }, { S, NULL, 0, K, K } };
            DArg c[4] = { { y, NULL, 1, K, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, ms, K, 1 }, { L, NULL, 0, K, K } };
            double ref = lp_call(T, N, t, NULL), v = lp_call(TC, N, c, NULL);
            ck_assert_msg(fabs(v - ref) < 1e-12 * fmax(1, fabs(ref)), "point %d: %.17g vs multi_student_t %.17g", pt, v,
                          ref);
            fd_check(TC, N, c, 0, y, K * N, 0, K);
            fd_check(TC, N, c, 1, &nu, 1, 0, K);
            fd_check(TC, N, c, 2, mu, ms ? K * N : K, 0, K);
            fd_check(TC, N, c, 3, L, K * K, 1, K);
        }
        /* one factor per replicate (stride 1) equals the sum of single calls */
        double L2[K * K * N], S2[K * K];
        memcpy(L2, L, sizeof L);
        spd_matrix(K, S2, 2.1 + pt);
        chol(K, S2, L2 + K * K);
        DArg c2[4] = { { y, NULL, 1, K, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, K, 1 }, { L2, NULL, 1, K, K } };
        double sum = 0;
        for (int i = 0; i < N; i++) {
            DArg c1[4] = { { y + K * i, NULL, 0, K, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, K, 1 },
                           { L2 + K * K * i, NULL, 0, K, K } };
            sum += lp_call(TC, 1, c1, NULL);
        }
        ck_assert(fabs(lp_call(TC, N, c2, NULL) - sum) < 1e-12 * fmax(1, fabs(sum)));
        fd_check(TC, N, c2, 3, L2, K * K * N, 1, K);
    }
    /* K = 1: student_t(y | nu, mu, L11), GSL's t density on the standardised value */
    double y1 = -0.8, n1 = 3.3, m1 = 0.4, l1 = 1.7;
    DArg a1[4] = { { &y1, NULL, 0, 1, 1 }, { &n1, NULL, 0, 1, 1 }, { &m1, NULL, 0, 1, 1 }, { &l1, NULL, 0, 1, 1 } };
    ck_assert(fabs(lp_call(TC, 1, a1, NULL) - log(gsl_ran_tdist_pdf((y1 - m1) / l1, n1) / l1)) < 1e-12);
}
END_TEST

START_TEST(mstc_rng_moments)
{
    enum { K = 3, N = 40000 };
    const Dist *TC = dist_find("multi_student_t_cholesky");
    double mu[K] = { 1.0, -2.0, 0.5 }, S[K * K], L[K * K], nu = 9.0, x[K];
    spd_matrix(K, S, 1.3);
    chol(K, S, L);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 31);
    DArg p[3] = { { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, K, 1 }, { L, NULL, 0, K, K } };
    double m[K] = { 0 }, C[K * K] = { 0 };
    DistErr e;
    for (int i = 0; i < N; i++) {
        REQUIRE(TC->rng(r, p, 0, x, &e) == 0);
        for (int j = 0; j < K; j++) {
            m[j] += x[j] / N;
            for (int l = 0; l < K; l++) C[j + K * l] += (x[j] - mu[j]) * (x[l] - mu[l]) / N;
        }
    }
    /* mean mu, covariance nu / (nu - 2) L L' */
    double f = nu / (nu - 2);
    for (int j = 0; j < K; j++) {
        ck_assert_msg(fabs(m[j] - mu[j]) < 5 * sqrt(f * S[j + K * j] / N), "mean %d: %g vs %g", j, m[j], mu[j]);
        for (int l = 0; l < K; l++) {
            /* a t's sample covariance has heavier tails than a Gaussian's: 3x its sd */
            double sc = 3 * f * sqrt((S[j + K * j] * S[l + K * l] + S[j + K * l] * S[j + K * l]) / N);
            ck_assert_msg(fabs(C[j + K * l] - f * S[j + K * l]) < 6 * sc, "cov %d,%d: %g vs %g", j, l, C[j + K * l],
                          f * S[j + K * l]);
        }
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(mstc_errors)
{
    const Dist *TC = dist_find("multi_student_t_cholesky");
    double y[2] = { 0.1, 1.0 }, mu[2] = { 0, 0 }, L[4] = { 1.0, 0.3, 0.0, 0.8 }, nu = 3, x[2];
    DArg a[4] = { { y, NULL, 0, 2, 1 }, { &nu, NULL, 0, 1, 1 }, { mu, NULL, 0, 2, 1 }, { L, NULL, 0, 2, 2 } };
    DistErr e;
    ck_assert_int_eq(lp_err(TC, 1, a, &e), 0);
    L[2] = 0.2;                                 /* above the diagonal */
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert(e.arg == 3 && e.index == 2 && e.value == 0.2);
    ck_assert_str_eq(e.what, "must be lower triangular (zero above the diagonal)");
    L[2] = 0;
    L[3] = -0.8;                                /* a non-positive diagonal */
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert(e.arg == 3 && e.index == 3);
    ck_assert_str_eq(e.what, "must have a positive diagonal");
    L[3] = 0.8;
    static const double bad_nu[3] = { 0, -1, INFINITY };
    for (int i = 0; i < 3; i++) {
        nu = bad_nu[i];
        ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
        ck_assert_int_eq(e.arg, 1);
    }
    nu = NAN;
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    nu = 3;
    mu[1] = INFINITY;
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert(e.arg == 2 && e.index == 1);
    mu[1] = 0;
    y[0] = NAN;
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert(e.arg == 0 && e.index == 0);
    y[0] = 0.1;
    a[2].rows = 3;                              /* location of another size */
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 2);
    a[2].rows = 2;
    a[3].rows = a[3].cols = 1;                  /* factor of another size */
    ck_assert_int_eq(lp_err(TC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 3);
    a[3].rows = a[3].cols = 2;
    /* the rng checks the same (its arguments are the density's 1..3) */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    L[2] = 0.5;
    ck_assert_int_eq(TC->rng(r, a + 1, 0, x, &e), -1);
    ck_assert_int_eq(e.arg, 3);
    L[2] = 0;
    nu = -2;
    ck_assert_int_eq(TC->rng(r, a + 1, 0, x, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    gsl_rng_free(r);
}
END_TEST

/* ---- dirichlet_multinomial ----------------------------------------------------------- */

/* The definition as Gamma ratios, written independently of the kernel's lbeta form. */
static double dm_ref(int K, const int *n, const double *al)
{
    double a0 = 0, N = 0, s = 0;
    for (int k = 0; k < K; k++) { a0 += al[k]; N += n[k]; }
    s = gsl_sf_lngamma(a0) + gsl_sf_lngamma(N + 1) - gsl_sf_lngamma(N + a0);
    for (int k = 0; k < K; k++)
        s += gsl_sf_lngamma(n[k] + al[k]) - gsl_sf_lngamma(al[k]) - gsl_sf_lngamma(n[k] + 1.0);
    return s;
}

START_TEST(dirmult_values)
{
    const Dist *DM = dist_find("dirichlet_multinomial"), *BB = dist_find("beta_binomial");
    ck_assert_ptr_nonnull(DM);
    ck_assert(DM->discrete && strcmp(DM->sig, "KV") == 0 && strcmp(DM->rng_sig, "VI") == 0);
    /* K = 2 is beta_binomial(n1 | N, alpha1, alpha2) */
    static const double ab[4][2] = { { 0.3, 0.9 }, { 2.0, 5.0 }, { 40.0, 1.5 }, { 1e4, 3e4 } };
    for (int t = 0; t < 4; t++)
        for (int N = 0; N <= 12; N += 3)
            for (int n1 = 0; n1 <= N; n1++) {
                int n[2] = { n1, N - n1 }, Nv = N;
                double al[2] = { ab[t][0], ab[t][1] };
                DArg a[2] = { { NULL, n, 0, 2, 1 }, { al, NULL, 0, 2, 1 } };
                DArg b[4] = { { NULL, &n[0], 0, 1, 1 }, { NULL, &Nv, 0, 1, 1 }, { &al[0], NULL, 0, 1, 1 },
                              { &al[1], NULL, 0, 1, 1 } };
                double v = lp_call(DM, 1, a, NULL), ref = lp_call(BB, 1, b, NULL);
                ck_assert_msg(fabs(v - ref) < 1e-10 * fmax(1, fabs(ref)), "K=2 n=(%d,%d) alpha=(%g,%g): %.17g vs %.17g",
                              n[0], n[1], al[0], al[1], v, ref);
            }
    /* K = 4 against the Gamma ratios, replicates with per-replicate alpha */
    int n[12] = { 3, 0, 5, 1, 0, 0, 0, 0, 7, 2, 0, 11 };
    double al[12] = { 0.5, 1.2, 3.0, 0.8, 2.0, 2.0, 2.0, 2.0, 0.1, 9.0, 4.4, 0.05 };
    DArg a[2] = { { NULL, n, 1, 4, 1 }, { al, NULL, 1, 4, 1 } };
    double ref = dm_ref(4, n, al) + dm_ref(4, n + 4, al + 4) + dm_ref(4, n + 8, al + 8);
    ck_assert_msg(fabs(lp_call(DM, 3, a, NULL) - ref) < 1e-11 * fabs(ref), "K=4: %.17g vs %.17g",
                  lp_call(DM, 3, a, NULL), ref);
    /* N = 0 has probability 1 (the second replicate above contributes 0) */
    DArg z[2] = { { NULL, n + 4, 0, 4, 1 }, { al, NULL, 0, 4, 1 } };
    ck_assert(lp_call(DM, 1, z, NULL) == 0);
    /* the pmf sums to 1 over all compositions of N = 7 into K = 3 */
    double al3[3] = { 0.4, 2.5, 1.1 }, tot = 0;
    for (int i = 0; i <= 7; i++)
        for (int j = 0; i + j <= 7; j++) {
            int c[3] = { i, j, 7 - i - j };
            DArg q[2] = { { NULL, c, 0, 3, 1 }, { al3, NULL, 0, 3, 1 } };
            tot += exp(lp_call(DM, 1, q, NULL));
        }
    ck_assert_msg(fabs(tot - 1) < 1e-12, "mass %.17g", tot);
}
END_TEST

START_TEST(dirmult_partials)
{
    const Dist *DM = dist_find("dirichlet_multinomial");
    /* several points: small, moderate and large alphas, zero and non-zero counts */
    static const double als[3][4] = { { 0.05, 0.3, 1.0, 0.7 }, { 2.0, 5.5, 0.9, 12.0 }, { 300.0, 40.0, 1e3, 7.0 } };
    int n[8] = { 4, 0, 2, 9, 0, 1, 0, 3 };
    for (int t = 0; t < 3; t++) {
        double al[4];
        memcpy(al, als[t], sizeof al);
        DArg a[2] = { { NULL, n, 1, 4, 1 }, { al, NULL, 0, 4, 1 } };   /* alpha broadcast to 2 replicates */
        fd_check(DM, 2, a, 1, al, 4, 0, 0);
        double al2[8];
        for (int k = 0; k < 8; k++) al2[k] = als[t][k % 4] * (1 + 0.3 * k);
        DArg b[2] = { { NULL, n, 1, 4, 1 }, { al2, NULL, 1, 4, 1 } };
        fd_check(DM, 2, b, 1, al2, 8, 0, 0);
    }
}
END_TEST

START_TEST(dirmult_rng_errors)
{
    enum { K = 3, D = 20000 };
    const Dist *DM = dist_find("dirichlet_multinomial");
    double al[K] = { 0.7, 2.0, 4.3 }, a0 = 7.0, x[K], m[K] = { 0 }, v[K] = { 0 };
    int N = 15;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);
    DArg p[2] = { { al, NULL, 0, K, 1 }, { NULL, &N, 0, 1, 1 } };
    DistErr e;
    for (int i = 0; i < D; i++) {
        REQUIRE(DM->rng(r, p, 0, x, &e) == 0);
        double s = 0;
        for (int k = 0; k < K; k++) {
            REQUIRE(x[k] >= 0 && x[k] == floor(x[k]));
            s += x[k];
            m[k] += x[k] / D;
            v[k] += x[k] * x[k] / D;
        }
        REQUIRE(s == N);
    }
    for (int k = 0; k < K; k++) {
        /* mean N p, variance N p (1 - p) (N + a0) / (1 + a0) */
        double pk = al[k] / a0, mk = N * pk, vk = N * pk * (1 - pk) * (N + a0) / (1 + a0);
        ck_assert_msg(fabs(m[k] - mk) < 5 * sqrt(vk / D), "mean %d: %g vs %g", k, m[k], mk);
        ck_assert_msg(fabs(v[k] - m[k] * m[k] - vk) < 0.06 * vk, "variance %d: %g vs %g", k, v[k] - m[k] * m[k], vk);
    }
    /* K beyond the rng's stack scratch (64): counts still sum to N, mean N alpha / alpha0 */
    {
        enum { KB = 100 };
        static double alb[KB], xb[KB], sb[KB];
        int NB = 50;
        for (int k = 0; k < KB; k++) { alb[k] = 0.5 + k % 4; sb[k] = 0; }
        DArg pb[2] = { { alb, NULL, 0, KB, 1 }, { NULL, &NB, 0, 1, 1 } };
        double a0b = 0;
        for (int k = 0; k < KB; k++) a0b += alb[k];
        for (int i = 0; i < 2000; i++) {
            REQUIRE(DM->rng(r, pb, 0, xb, &e) == 0);
            double s = 0;
            for (int k = 0; k < KB; k++) { s += xb[k]; sb[k] += xb[k] / 2000; }
            REQUIRE(s == NB);
        }
        /* the four alpha classes pooled: 25 categories each */
        for (int c = 0; c < 4; c++) {
            double m = 0;
            for (int k = c; k < KB; k += 4) m += sb[k] / 25;
            double pk = (0.5 + c) / a0b, vk = NB * pk * (1 - pk) * (NB + a0b) / (1 + a0b);
            ck_assert_msg(fabs(m - NB * pk) < 5 * sqrt(vk / 2000 / 25), "K=100 class %d: %g vs %g", c, m, NB * pk);
        }
    }
    N = 0;
    ck_assert_int_eq(DM->rng(r, p, 0, x, &e), 0);
    ck_assert(x[0] == 0 && x[1] == 0 && x[2] == 0);
    /* rng errors: N < 0, alpha not positive finite */
    N = -1;
    ck_assert_int_eq(DM->rng(r, p, 0, x, &e), -1);
    ck_assert_int_eq(e.arg, 2);
    N = 5;
    al[1] = 0;
    ck_assert_int_eq(DM->rng(r, p, 0, x, &e), -1);
    ck_assert(e.arg == 1 && e.index == 1);
    al[1] = 2.0;
    gsl_rng_free(r);
    /* lpmf errors: a negative count, alpha <= 0 or infinite, sizes that differ */
    int n[3] = { 2, -1, 4 };
    DArg a[2] = { { NULL, n, 0, 3, 1 }, { al, NULL, 0, 3, 1 } };
    ck_assert_int_eq(lp_err(DM, 1, a, &e), -1);
    ck_assert(e.arg == 0 && e.index == 1 && e.value == -1);
    ck_assert_str_eq(e.what, "must be non-negative");
    n[1] = 1;
    al[2] = INFINITY;
    ck_assert_int_eq(lp_err(DM, 1, a, &e), -1);
    ck_assert(e.arg == 1 && e.index == 2);
    al[2] = -3;
    ck_assert_int_eq(lp_err(DM, 1, a, &e), -1);
    ck_assert(e.arg == 1 && e.index == 2);
    ck_assert_str_eq(e.what, "must be positive finite");
    al[2] = 4.3;
    a[0].rows = 2;
    ck_assert_int_eq(lp_err(DM, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 0);
}
END_TEST

/* ---- wishart_cholesky ------------------------------------------------------------------ */

START_TEST(wchol_values_partials)
{
    enum { K = 3 };
    const Dist *W = dist_find("wishart"), *WC = dist_find("wishart_cholesky");
    ck_assert_ptr_nonnull(WC);
    static const double nus[3] = { 2.3, 5.0, 40.0 };
    for (int pt = 0; pt < 3; pt++) {
        double A[K * K], S[K * K], LW[K * K], LS[K * K], WW[K * K], SS[K * K], nu = nus[pt];
        spd_matrix(K, A, 2.0 + pt);
        spd_matrix(K, S, 0.7 - pt);
        chol(K, A, LW);
        chol(K, S, LS);
        llt(K, LW, WW);
        llt(K, LS, SS);
        /* wishart of the products plus log|J| = K log 2 + sum_k (K - k + 1) log LW_kk (1-based) */
        double jac = K * M_LN2;
        for (int k = 0; k < K; k++) jac += (K - k) * log(LW[k + K * k]);
        DArg w[3] = { { WW, NULL, 0, K, K }, { &nu, NULL, 0, 1, 1 }, { SS, NULL, 0, K, K } };
        DArg c[3] = { { LW, NULL, 0, K, K }, { &nu, NULL, 0, 1, 1 }, { LS, NULL, 0, K, K } };
        double ref = lp_call(W, 1, w, NULL) + jac, v = lp_call(WC, 1, c, NULL);
        ck_assert_msg(fabs(v - ref) < 1e-11 * fmax(1, fabs(ref)), "point %d: %.17g vs %.17g", pt, v, ref);
        fd_check(WC, 1, c, 0, LW, K * K, 1, K);
        fd_check(WC, 1, c, 1, &nu, 1, 0, K);
        fd_check(WC, 1, c, 2, LS, K * K, 1, K);
        /* two replicates: per-replicate variates and nu, broadcast scale */
        double LW2[2 * K * K], nu2[2] = { nu, nu + 1.7 };
        memcpy(LW2, LW, sizeof LW);
        spd_matrix(K, A, 5.5 + pt);
        chol(K, A, LW2 + K * K);
        DArg c2[3] = { { LW2, NULL, 1, K, K }, { nu2, NULL, 1, 1, 1 }, { LS, NULL, 0, K, K } };
        double sum = 0;
        for (int i = 0; i < 2; i++) {
            DArg c1[3] = { { LW2 + K * K * i, NULL, 0, K, K }, { &nu2[i], NULL, 0, 1, 1 }, { LS, NULL, 0, K, K } };
            sum += lp_call(WC, 1, c1, NULL);
        }
        ck_assert(fabs(lp_call(WC, 2, c2, NULL) - sum) < 1e-12 * fmax(1, fabs(sum)));
        fd_check(WC, 2, c2, 0, LW2, 2 * K * K, 1, K);
        fd_check(WC, 2, c2, 1, nu2, 2, 0, K);
        fd_check(WC, 2, c2, 2, LS, K * K, 1, K);
    }
}
END_TEST

/* K beyond the kernels' stack scratch: the heap path gives the same value as wishart
 * plus the Jacobian, and its partials match finite differences. */
START_TEST(wchol_large_K)
{
    enum { K = 20 };
    static double A[K * K], S[K * K], LW[K * K], LS[K * K], WW[K * K], SS[K * K];
    double nu = K + 3.5;
    spd_matrix(K, A, 0.3);
    spd_matrix(K, S, 1.9);
    chol(K, A, LW);
    chol(K, S, LS);
    llt(K, LW, WW);
    llt(K, LS, SS);
    double jac = K * M_LN2;
    for (int k = 0; k < K; k++) jac += (K - k) * log(LW[k + K * k]);
    const Dist *W = dist_find("wishart"), *WC = dist_find("wishart_cholesky");
    DArg w[3] = { { WW, NULL, 0, K, K }, { &nu, NULL, 0, 1, 1 }, { SS, NULL, 0, K, K } };
    DArg c[3] = { { LW, NULL, 0, K, K }, { &nu, NULL, 0, 1, 1 }, { LS, NULL, 0, K, K } };
    double ref = lp_call(W, 1, w, NULL) + jac, v = lp_call(WC, 1, c, NULL);
    ck_assert_msg(fabs(v - ref) < 1e-10 * fabs(ref), "K=%d: %.17g vs %.17g", K, v, ref);
    fd_check(WC, 1, c, 0, LW, K * K, 1, K);
    fd_check(WC, 1, c, 2, LS, K * K, 1, K);
}
END_TEST

static double wc1_density(double l, void *p)
{
    double *q = p, lw = l, nu = q[0], ls = q[1], out;
    DArg a[3] = { { &lw, NULL, 0, 1, 1 }, { &nu, NULL, 0, 1, 1 }, { &ls, NULL, 0, 1, 1 } };
    DistErr e;
    if (dist_find("wishart_cholesky")->lpdf(1, a, &out, NULL, &e) < 0) return 0;
    return exp(out);
}

/* K = 1: the density of l = sqrt(w) integrates to 1 over l > 0 (checks the Jacobian
 * and the constant independently of wishart). */
START_TEST(wchol_normalisation)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
    static const double pars[4][2] = { { 0.5, 1.0 }, { 1.0, 0.3 }, { 3.7, 2.0 }, { 25.0, 0.8 } };
    for (int i = 0; i < 4; i++) {
        double q[2] = { pars[i][0], pars[i][1] }, res, err;
        gsl_function F = { wc1_density, q };
        gsl_integration_qagiu(&F, 0, 0, 1e-11, 200, ws, &res, &err);
        ck_assert_msg(fabs(res - 1) < 1e-8, "nu %g s %g: integral %.12g", q[0], q[1], res);
    }
    gsl_integration_workspace_free(ws);
}
END_TEST

START_TEST(wchol_rng_moments)
{
    enum { K = 3, N = 40000 };
    const Dist *WC = dist_find("wishart_cholesky");
    double S[K * K], LS[K * K], nu = 6.5, x[K * K], Wx[K * K], mW[K * K] = { 0 }, m2[K * K] = { 0 }, md = 0, md2 = 0;
    spd_matrix(K, S, 0.9);
    chol(K, S, LS);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    DArg p[2] = { { &nu, NULL, 0, 1, 1 }, { LS, NULL, 0, K, K } };
    DistErr e;
    for (int i = 0; i < N; i++) {
        REQUIRE(WC->rng(r, p, 0, x, &e) == 0);
        for (int a = 0; a < K; a++) {
            REQUIRE(x[a + K * a] > 0);
            for (int b = a + 1; b < K; b++) REQUIRE(x[a + K * b] == 0);
        }
        llt(K, x, Wx);
        for (int j = 0; j < K * K; j++) { mW[j] += Wx[j] / N; m2[j] += Wx[j] * Wx[j] / N; }
        md += x[0] / N;
        md2 += x[0] * x[0] / N;
    }
    /* E[L L'] = nu S (the Wishart mean); E[L_11] = LS_11 sqrt(2) Gamma((nu+1)/2) / Gamma(nu/2) */
    for (int j = 0; j < K * K; j++) {
        double sd = sqrt((m2[j] - mW[j] * mW[j]) / N);
        ck_assert_msg(fabs(mW[j] - nu * S[j]) < 5 * sd, "E W[%d] %g vs %g (sd %g)", j, mW[j], nu * S[j], sd);
    }
    double e11 = LS[0] * M_SQRT2 * exp(lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu));
    ck_assert_msg(fabs(md - e11) < 5 * sqrt((md2 - md * md) / N), "E L11 %g vs %g", md, e11);
    gsl_rng_free(r);
}
END_TEST

START_TEST(wchol_errors)
{
    const Dist *WC = dist_find("wishart_cholesky");
    double LW[4] = { 1.2, 0.3, 0.0, 0.9 }, LS[4] = { 1.0, -0.2, 0.0, 0.7 }, nu = 2.5, x[4];
    DArg a[3] = { { LW, NULL, 0, 2, 2 }, { &nu, NULL, 0, 1, 1 }, { LS, NULL, 0, 2, 2 } };
    DistErr e;
    ck_assert_int_eq(lp_err(WC, 1, a, &e), 0);
    nu = 1.0;                                   /* nu must exceed K - 1 = 1 */
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert(e.arg == 1 && e.value == 1.0);
    nu = INFINITY;
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    nu = 2.5;
    LW[2] = 0.1;                                /* the variate above its diagonal */
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert(e.arg == 0 && e.index == 2);
    ck_assert_str_eq(e.what, "must be lower triangular (zero above the diagonal)");
    LW[2] = 0;
    LW[3] = 0;                                  /* a zero diagonal */
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert(e.arg == 0 && e.index == 3);
    ck_assert_str_eq(e.what, "must have a positive diagonal");
    LW[3] = 0.9;
    LS[1] = NAN;
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert(e.arg == 2 && e.index == 1);
    LS[1] = -0.2;
    a[2].rows = a[2].cols = 1;                  /* sizes differ */
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 2);
    a[2].rows = a[2].cols = 2;
    a[0].cols = 1;                              /* not square */
    ck_assert_int_eq(lp_err(WC, 1, a, &e), -1);
    ck_assert_int_eq(e.arg, 0);
    a[0].cols = 2;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    nu = 0.5;
    ck_assert_int_eq(WC->rng(r, a + 1, 0, x, &e), -1);
    ck_assert_int_eq(e.arg, 1);
    nu = 2.5;
    LS[0] = -1;
    ck_assert_int_eq(WC->rng(r, a + 1, 0, x, &e), -1);
    ck_assert(e.arg == 2 && e.index == 0);
    gsl_rng_free(r);
}
END_TEST

/* ---- through the language --------------------------------------------------------------- */

static VmModel *load(const char *src, char **msg)
{
    *msg = NULL;
    return vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, msg);
}

/* Two models with the same parameters: equal log densities at several points, and
 * the first one's gradient equals central finite differences. */
static void same_density(const char *a, const char *b, double off)
{
    char *msg;
    VmModel *ma = load(a, &msg);
    ck_assert_msg(ma != NULL, "%s\n%s", a, msg ? msg : "");
    VmModel *mb = load(b, &msg);
    ck_assert_msg(mb != NULL, "%s\n%s", b, msg ? msg : "");
    size_t dim = vm_model_dim(ma);
    ck_assert_uint_eq(dim, vm_model_dim(mb));
    ck_assert_uint_le(dim, 32);
    VmEval *ea = vm_eval_new(ma), *eb = vm_eval_new(mb);
    double u[32], g[32], la, lb;
    for (int rep = 0; rep < 3; rep++) {
        for (size_t k = 0; k < dim; k++) u[k] = 0.6 * sin(1.3 * (double)(k + 1) + 0.7 * rep);
        ck_assert_int_eq(vm_log_density(ea, u, 1, &la, g), 0);
        ck_assert_int_eq(vm_log_density(eb, u, 1, &lb, NULL), 0);
        ck_assert_msg(isfinite(la) && fabs(la - lb - off) < 1e-10 * fmax(1, fabs(lb)), "%s\n%.17g vs %.17g", a, la,
                      lb + off);
        for (size_t k = 0; k < dim; k++) {
            double h = 1e-6, u0 = u[k], fp, fm;
            u[k] = u0 + h;
            ck_assert_int_eq(vm_log_density(ea, u, 1, &fp, NULL), 0);
            u[k] = u0 - h;
            ck_assert_int_eq(vm_log_density(ea, u, 1, &fm, NULL), 0);
            u[k] = u0;
            double fd = (fp - fm) / (2 * h);
            ck_assert_msg(fabs(fd - g[k]) < 1e-6 * fmax(1, fabs(fd)), "%s\nd/d%s %.10g, fd %.10g", a,
                          vm_model_unc_name(ma, k), g[k], fd);
        }
    }
    vm_eval_free(ea);
    vm_eval_free(eb);
    vm_model_free(ma);
    vm_model_free(mb);
}

START_TEST(lang_densities)
{
    /* multi_student_t_cholesky with a cholesky_factor_cov parameter = multi_student_t of L L' */
    same_density("data array[2] vector[3] y = {[0.3, -1, 2]', [1, 0.2, -0.4]'};\nparam real<lower=0> nu;\n"
                 "param vector[3] mu;\nparam cholesky_factor_cov[3] L;\ny ~ multi_student_t_cholesky(nu, mu, L);\n",
                 "data array[2] vector[3] y = {[0.3, -1, 2]', [1, 0.2, -0.4]'};\nparam real<lower=0> nu;\n"
                 "param vector[3] mu;\nparam cholesky_factor_cov[3] L;\ny ~ multi_student_t(nu, mu, L * L');\n", 0);
    /* dirichlet_multinomial with K = 2 = beta_binomial, with ~ and with _lpmf */
    same_density("data array[2] int n = {3, 9};\nparam vector<lower=0>[2] a;\nn ~ dirichlet_multinomial(a);\n"
                 "target += dirichlet_multinomial_lpmf({0, 4} | a);\n",
                 "data array[2] int n = {3, 9};\nparam vector<lower=0>[2] a;\n3 ~ beta_binomial(12, a[1], a[2]);\n"
                 "target += beta_binomial_lpmf(0 | 4, a[1], a[2]);\n", 0);
    /* wishart_cholesky = wishart of the products + the log-Jacobian, which is
     * K log 2 + sum_k (K - k + 1) log L_kk: written out in the second model */
    same_density("param real<lower=2> nu;\nparam cholesky_factor_cov[3] LS;\nparam cholesky_factor_cov[3] LW;\n"
                 "LW ~ wishart_cholesky(nu, LS);\n",
                 "param real<lower=2> nu;\nparam cholesky_factor_cov[3] LS;\nparam cholesky_factor_cov[3] LW;\n"
                 "target += wishart_lpdf(LW * LW' | nu, LS * LS');\n"
                 "target += 3 * log(2) + 3 * log(LW[1, 1]) + 2 * log(LW[2, 2]) + log(LW[3, 3]);\n", 0);
}
END_TEST

START_TEST(lang_rng_types)
{
    char *msg;
    VmModel *m = load("gen array[3] int c = dirichlet_multinomial_rng([1, 2, 3]', 10);\n"
                      "gen matrix[2, 2] L = wishart_cholesky_rng(4.0, [[1, 0], [0.5, 2]]);\n"
                      "gen vector[2] t = multi_student_t_cholesky_rng(5, [1, -1]', [[1, 0], [0.3, 0.5]]);\n", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    ck_assert_uint_eq(vm_model_nvalues(m), 3 + 4 + 2);
    ck_assert_str_eq(vm_model_value_name(m, 0), "c.1");
    VmEval *e = vm_eval_new(m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double o[9];
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(vm_write_values(e, NULL, r, o), 0);
        REQUIRE(o[0] + o[1] + o[2] == 10 && o[0] == floor(o[0]));
        REQUIRE(o[5] == 0 && o[3] > 0 && o[6] > 0);        /* column-major: L[1, 2] = 0 */
        REQUIRE(isfinite(o[7]) && isfinite(o[8]));
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
    /* the checker: argument types, and a bad argument at run time names the function */
    ck_assert_ptr_null(load("param vector[2] a;\n{1.5, 2.0} ~ dirichlet_multinomial(a);\n", &msg));
    ck_assert_msg(msg && strstr(msg, "dirichlet_multinomial"), "%s", msg ? msg : "(none)");
    free(msg);
    ck_assert_ptr_null(load("param real<lower=2> nu;\nparam cholesky_factor_cov[2] L;\n"
                            "L ~ wishart_cholesky(nu, [1, 2]');\n", &msg));
    ck_assert_msg(msg && strstr(msg, "wishart_cholesky"), "%s", msg ? msg : "(none)");
    free(msg);
    m = load("param real<lower=0> nu;\n[1, 2]' ~ multi_student_t_cholesky(nu, [0, 0]', [[1, 0.5], [0, 1]]);\n", &msg);
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    e = vm_eval_new(m);
    double u = 0.1, lp;
    ck_assert_int_eq(vm_log_density(e, &u, 1, &lp, NULL), 0);     /* an invalid argument rejects the point */
    ck_assert(lp == -INFINITY);
    ck_assert_msg(strstr(vm_eval_message(e), "multi_student_t_cholesky_lpdf") &&
                  strstr(vm_eval_message(e), "lower triangular"), "%s", vm_eval_message(e));
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("dist_mv2");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mstc_values_partials);
    tcase_add_test(tc, mstc_rng_moments);
    tcase_add_test(tc, mstc_errors);
    tcase_add_test(tc, dirmult_values);
    tcase_add_test(tc, dirmult_partials);
    tcase_add_test(tc, dirmult_rng_errors);
    tcase_add_test(tc, wchol_values_partials);
    tcase_add_test(tc, wchol_large_K);
    tcase_add_test(tc, wchol_normalisation);
    tcase_add_test(tc, wchol_rng_moments);
    tcase_add_test(tc, wchol_errors);
    tcase_add_test(tc, lang_densities);
    tcase_add_test(tc, lang_rng_types);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
