/* Constraining transforms: round trips, constraint satisfaction, log|J| against the
 * log-determinant of a finite-difference Jacobian, the reverse pass against finite
 * differences (w.r.t. u and the bounds), and rejection of invalid values. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "runtime/transform.h"

#define MAXV 256

/* One row per kind and shape: every test below runs on every row, driven only by
 * the kind's entry points and its TrLjRef, so a new row is tested without new code.
 * bounds (element-wise kinds): 0 none, 1 finite, 2 some entries infinite (act as
 * absent); for TR_AFFINE the offset and multiplier are drawn, 2 leaves the offset out. */
typedef struct {
    const char *name;
    TrKind k;
    size_t r, c;
    int bounds;
} Case;

static const Case cases[] = {
    {"none", TR_NONE, 3, 1, 0},
    {"lower", TR_LOWER, 4, 1, 1},
    {"lower_inf", TR_LOWER, 4, 1, 2},
    {"upper", TR_UPPER, 4, 1, 1},
    {"upper_inf", TR_UPPER, 4, 1, 2},
    {"lub", TR_LOWER_UPPER, 4, 1, 1},
    {"lub_inf", TR_LOWER_UPPER, 6, 1, 2},
    {"affine", TR_AFFINE, 5, 1, 1},
    {"affine_mul", TR_AFFINE, 3, 1, 2},
    {"simplex1", TR_SIMPLEX, 1, 1, 0},
    {"simplex2", TR_SIMPLEX, 2, 1, 0},
    {"simplex5", TR_SIMPLEX, 5, 1, 0},
    {"simplex40", TR_SIMPLEX, 40, 1, 0},
    {"ordered1", TR_ORDERED, 1, 1, 0},
    {"ordered", TR_ORDERED, 5, 1, 0},
    {"pos_ordered", TR_POSITIVE_ORDERED, 5, 1, 0},
    {"unit1", TR_UNIT_VECTOR, 1, 1, 0},
    {"unit2", TR_UNIT_VECTOR, 2, 1, 0},
    {"unit7", TR_UNIT_VECTOR, 7, 1, 0},
    {"stz1", TR_SUM_TO_ZERO, 1, 1, 0},
    {"stz2", TR_SUM_TO_ZERO, 2, 1, 0},
    {"stz6", TR_SUM_TO_ZERO, 6, 1, 0},
    {"stz50", TR_SUM_TO_ZERO, 50, 1, 0},
    {"cholcorr1", TR_CHOLESKY_CORR, 1, 1, 0},
    {"cholcorr2", TR_CHOLESKY_CORR, 2, 2, 0},
    {"cholcorr4", TR_CHOLESKY_CORR, 4, 4, 0},
    {"cholcorr9", TR_CHOLESKY_CORR, 9, 9, 0},
    {"cov1", TR_COV_MATRIX, 1, 1, 0},
    {"cov2", TR_COV_MATRIX, 2, 2, 0},
    {"cov3", TR_COV_MATRIX, 3, 3, 0},
    {"cov8", TR_COV_MATRIX, 8, 8, 0},
    {"corr1", TR_CORR_MATRIX, 1, 1, 0},
    {"corr2", TR_CORR_MATRIX, 2, 2, 0},
    {"corr4", TR_CORR_MATRIX, 4, 4, 0},
    {"corr5", TR_CORR_MATRIX, 5, 5, 0},
    {"corr9", TR_CORR_MATRIX, 9, 9, 0},
    {"cholcov1", TR_CHOLESKY_COV, 1, 1, 0},
    {"cholcov3", TR_CHOLESKY_COV, 3, 3, 0},
    {"cholcov4x2", TR_CHOLESKY_COV, 4, 2, 0},
    {"cholcov5x1", TR_CHOLESKY_COV, 5, 1, 0},
    {"cholcov10", TR_CHOLESKY_COV, 10, 10, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

typedef struct {
    const Case *c;
    size_t nu, nx;
    double lo[MAXV], hi[MAXV];
    const double *plo, *phi;
} Setup;

static int has_args(TrKind k) { return k == TR_LOWER || k == TR_UPPER || k == TR_LOWER_UPPER || k == TR_AFFINE; }

static void setup(const Case *c, gsl_rng *r, Setup *s)
{
    s->c = c;
    s->nu = tr_free_size(c->k, c->r, c->c);
    s->nx = tr_value_size(c->k, c->r, c->c);
    ck_assert_msg(s->nu <= MAXV && s->nx <= MAXV, "%s: raise MAXV", c->name);
    s->plo = s->phi = NULL;
    for (size_t i = 0; i < c->r && has_args(c->k); i++) {
        s->lo[i] = gsl_ran_flat(r, -3, 3);
        s->hi[i] = s->lo[i] + 0.1 + gsl_ran_exponential(r, 2.0);
        if (c->k == TR_AFFINE) { s->hi[i] = 0.05 + gsl_ran_exponential(r, 2.0); continue; }
        if (c->bounds == 2 && i % 3 == 1) s->lo[i] = -INFINITY;
        if (c->bounds == 2 && i % 3 == 2) s->hi[i] = INFINITY;
        if (c->bounds == 2 && i % 3 == 0 && i > 0) { s->lo[i] = -INFINITY; s->hi[i] = INFINITY; }
    }
    if (c->k == TR_LOWER || c->k == TR_LOWER_UPPER || (c->k == TR_AFFINE && c->bounds != 2)) s->plo = s->lo;
    if (c->k == TR_UPPER || c->k == TR_LOWER_UPPER || c->k == TR_AFFINE) s->phi = s->hi;
}

static void draw_u(gsl_rng *r, size_t nu, double scale, double *u)
{
    for (size_t i = 0; i < nu; i++) u[i] = gsl_ran_gaussian(r, scale);
}

/* x satisfies the constraint: the module's own check (Stan's check_*), and the
 * bounds, which that check does not see. */
static int satisfies(const Setup *s, const double *x)
{
    size_t bad;
    if (tr_check(s->c->k, s->c->r, s->c->c, x, &bad)) return 0;
    for (size_t i = 0; i < s->nx; i++) {
        if (!isfinite(x[i])) return 0;
        if (s->c->k == TR_AFFINE) continue;
        if (s->plo && isfinite(s->lo[i]) && !(x[i] > s->lo[i])) return 0;
        if (s->phi && isfinite(s->hi[i]) && !(x[i] < s->hi[i])) return 0;
    }
    return 1;
}

static size_t free_coords(const Setup *s, const double *x, double *out)
{
    return tr_free_coords(s->c->k, s->c->r, s->c->c, x, out);
}

static gsl_rng *new_rng(unsigned long seed)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

START_TEST(test_sizes)
{
    ck_assert_uint_eq(tr_free_size(TR_SIMPLEX, 5, 1), 4);
    ck_assert_uint_eq(tr_free_size(TR_CHOLESKY_CORR, 4, 4), 6);
    ck_assert_uint_eq(tr_free_size(TR_CORR_MATRIX, 1, 1), 0);
    ck_assert_uint_eq(tr_free_size(TR_COV_MATRIX, 3, 3), 6);
    ck_assert_uint_eq(tr_value_size(TR_COV_MATRIX, 3, 3), 9);
    ck_assert_uint_eq(tr_free_size(TR_LOWER_UPPER, 7, 1), 7);
    ck_assert_uint_eq(tr_value_size(TR_ORDERED, 7, 1), 7);
    ck_assert_uint_eq(tr_free_size(TR_SUM_TO_ZERO, 5, 1), 4);
    ck_assert_uint_eq(tr_free_size(TR_UNIT_VECTOR, 5, 1), 5);
    /* (N choose 2) + N + (M - N) N: Stan's cholesky_factor_cov[M, N] */
    ck_assert_uint_eq(tr_free_size(TR_CHOLESKY_COV, 4, 2), 3 + 4);
    ck_assert_uint_eq(tr_value_size(TR_CHOLESKY_COV, 4, 2), 8);
}
END_TEST

START_TEST(test_round_trip)
{
    const Case *c = &cases[_i];
    gsl_rng *r = new_rng(100 + _i);
    Setup s;
    setup(c, r, &s);
    double u[MAXV], x[MAXV], u2[MAXV], x2[MAXV];
    /* u is recovered where the transform is a bijection (not unit_vector's |u|) */
    int bij = tr_lj_ref(c->k) != TR_LJ_NONE;
    /* wide draws approach the boundary; for a large matrix that is a condition
     * number past what a Cholesky step in doubles resolves, so they narrow with size */
    double wide = 2.5 * fmin(1.0, sqrt(10.0 / (double)(s.nu + 1)));
    for (int rep = 0; rep < 50; rep++) {
        draw_u(r, s.nu, rep < 25 ? 1.0 : wide, u);
        double lj = tr_constrain(c->k, c->r, c->c, u, s.plo, s.phi, x);
        ck_assert_msg(isfinite(lj), "%s: log|J| %g", c->name, lj);
        ck_assert_msg(satisfies(&s, x), "%s rep %d: constraint violated", c->name, rep);
        size_t bad = 999;
        ck_assert_msg(tr_unconstrain(c->k, c->r, c->c, x, s.plo, s.phi, u2, &bad) == 0,
                      "%s rep %d: unconstrain refused element %zu", c->name, rep, bad);
        tr_constrain(c->k, c->r, c->c, u2, s.plo, s.phi, x2);
        for (size_t i = 0; i < s.nx; i++)
            ck_assert_msg(fabs(x2[i] - x[i]) <= 1e-10 * (1 + fabs(x[i])),
                          "%s: x[%zu] %.17g -> %.17g", c->name, i, x[i], x2[i]);
        /* u itself comes back only as well as x conditions it: near-singular
         * correlation matrices (the wide draws) lose digits in the Cholesky step. */
        for (size_t i = 0; i < s.nu && rep < 25 && bij; i++)
            ck_assert_msg(fabs(u2[i] - u[i]) <= 1e-7 * (1 + fabs(u[i])),
                          "%s: u[%zu] %.17g -> %.17g", c->name, i, u[i], u2[i]);
    }
    gsl_rng_free(r);
}
END_TEST

/* log|J| against the central-difference Jacobian J of u -> x: log|det| of its rows
 * for the free coordinates (TR_LJ_FREE), or 0.5 log det(J'J), the surface measure
 * (TR_LJ_GRAM). */
START_TEST(test_logj_fd)
{
    const Case *c = &cases[_i];
    gsl_rng *r = new_rng(200 + _i);
    Setup s;
    setup(c, r, &s);
    TrLjRef ref = tr_lj_ref(c->k);
    double u[MAXV], x[MAXV], up[MAXV], fp[MAXV], fm[MAXV];
    size_t m = s.nu, rows = ref == TR_LJ_GRAM ? s.nx : m;
    if (m == 0 || ref == TR_LJ_NONE) { gsl_rng_free(r); return; }
    gsl_matrix *J = gsl_matrix_alloc(rows, m), *G = gsl_matrix_alloc(m, m);
    gsl_permutation *perm = gsl_permutation_alloc(m);
    for (int rep = 0; rep < 10; rep++) {
        draw_u(r, m, 1.0, u);
        double lj = tr_constrain(c->k, c->r, c->c, u, s.plo, s.phi, x);
        for (size_t b = 0; b < m; b++) {
            double h = 1e-5 * (1 + fabs(u[b]));
            memcpy(up, u, m * sizeof *u);
            up[b] = u[b] + h;
            tr_constrain(c->k, c->r, c->c, up, s.plo, s.phi, x);
            if (ref == TR_LJ_GRAM) memcpy(fp, x, s.nx * sizeof *x);
            else ck_assert_uint_eq(free_coords(&s, x, fp), m);
            up[b] = u[b] - h;
            tr_constrain(c->k, c->r, c->c, up, s.plo, s.phi, x);
            if (ref == TR_LJ_GRAM) memcpy(fm, x, s.nx * sizeof *x);
            else free_coords(&s, x, fm);
            for (size_t a = 0; a < rows; a++) gsl_matrix_set(J, a, b, (fp[a] - fm[a]) / (2 * h));
        }
        double ld;
        int sign;
        if (ref == TR_LJ_GRAM) {
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double g = 0;
                    for (size_t k = 0; k < rows; k++) g += gsl_matrix_get(J, k, a) * gsl_matrix_get(J, k, b);
                    gsl_matrix_set(G, a, b, g);
                }
            gsl_linalg_LU_decomp(G, perm, &sign);
            ld = 0.5 * gsl_linalg_LU_lndet(G);
        } else {
            gsl_linalg_LU_decomp(J, perm, &sign);
            ld = gsl_linalg_LU_lndet(J);
        }
        ck_assert_msg(fabs(ld - lj) <= 1e-6 * (1 + fabs(lj)), "%s rep %d: log|J| %.12g, FD %.12g",
                      c->name, rep, lj, ld);
    }
    gsl_permutation_free(perm);
    gsl_matrix_free(G);
    gsl_matrix_free(J);
    gsl_rng_free(r);
}
END_TEST

/* f(+) - f(-) for f = gx . x + gl log|J| at two points (u, lo, hi): the sum of
 * per-element differences, so that a huge x_j elsewhere adds no rounding noise. */
static double objective_diff(const Setup *s, const double *up, const double *lop, const double *hip,
                             const double *um, const double *lom, const double *him,
                             const double *gx, double gl)
{
    double xp[MAXV], xm[MAXV];
    double ljp = tr_constrain(s->c->k, s->c->r, s->c->c, up, s->plo ? lop : NULL, s->phi ? hip : NULL, xp);
    double ljm = tr_constrain(s->c->k, s->c->r, s->c->c, um, s->plo ? lom : NULL, s->phi ? him : NULL, xm);
    double d = gl * (ljp - ljm);
    for (size_t i = 0; i < s->nx; i++) d += gx[i] * (xp[i] - xm[i]);
    return d;
}

static void check_close(const char *what, const char *name, size_t i, double an, double fd, double scale)
{
    ck_assert_msg(fabs(an - fd) <= 2e-6 * (1 + fabs(fd) + scale), "%s %s[%zu]: analytic %.12g, FD %.12g",
                  name, what, i, an, fd);
}

static void grad_check(const Setup *s, const double *u, gsl_rng *r, int with_gx)
{
    const Case *c = s->c;
    double x[MAXV], gx[MAXV], gu[MAXV], glo[MAXV], ghi[MAXV], vp[MAXV], vm[MAXV];
    double lop[MAXV], hip[MAXV], lom[MAXV], him[MAXV];
    for (size_t i = 0; i < s->nx; i++) gx[i] = with_gx ? gsl_ran_gaussian(r, 1.0) : 0.0;
    double gl = gsl_ran_gaussian(r, 1.0);
    tr_constrain(c->k, c->r, c->c, u, s->plo, s->phi, x);
    /* tr_backward ADDS: start from a known offset and subtract it. */
    for (size_t i = 0; i < MAXV; i++) gu[i] = glo[i] = ghi[i] = 0.25;
    tr_backward(c->k, c->r, c->c, u, s->plo, s->phi, x, with_gx ? gx : NULL, gl, gu, s->plo ? glo : NULL,
                s->phi ? ghi : NULL);
    double scale = 0;
    for (size_t i = 0; i < s->nu; i++) scale = fmax(scale, fabs(gu[i] - 0.25));
    for (size_t i = 0; i < s->nu; i++) {
        double h = 1e-6 * (1 + fabs(u[i]));
        memcpy(vp, u, s->nu * sizeof *u);
        memcpy(vm, u, s->nu * sizeof *u);
        vp[i] = u[i] + h;
        vm[i] = u[i] - h;
        double d = objective_diff(s, vp, s->lo, s->hi, vm, s->lo, s->hi, gx, gl);
        check_close("du", c->name, i, gu[i] - 0.25, d / (2 * h), 1e-3 * scale);
    }
    for (int which = 0; which < 2; which++) {
        const double *b = which ? s->hi : s->lo;
        double *g = which ? ghi : glo, *bp = which ? hip : lop, *bm = which ? him : lom;
        if (!(which ? s->phi : s->plo)) continue;
        for (size_t i = 0; i < c->r; i++) {
            if (!isfinite(b[i])) { ck_assert(g[i] == 0.25); continue; }
            /* x is affine in a one-sided bound, so a step on the scale of x is exact */
            double h = 1e-6 * (1 + fabs(b[i]) + fabs(x[i]));
            memcpy(lop, s->lo, sizeof lop); memcpy(lom, s->lo, sizeof lom);
            memcpy(hip, s->hi, sizeof hip); memcpy(him, s->hi, sizeof him);
            bp[i] = b[i] + h;
            bm[i] = b[i] - h;
            double d = objective_diff(s, u, lop, hip, u, lom, him, gx, gl);
            check_close(which ? "dhi" : "dlo", c->name, i, g[i] - 0.25, d / (2 * h), 0);
        }
    }
}

START_TEST(test_backward_fd)
{
    const Case *c = &cases[_i];
    gsl_rng *r = new_rng(300 + _i);
    Setup s;
    setup(c, r, &s);
    double u[MAXV];
    for (int rep = 0; rep < 12; rep++) {
        /* moderate, wide, and (for element-wise kinds) large |u| */
        double scale = rep < 4 ? 0.7 : rep < 8 ? 2.0 : 4.0;
        draw_u(r, s.nu, scale, u);
        if (rep >= 10 && has_args(c->k) && c->k != TR_AFFINE)
            for (size_t i = 0; i < s.nu; i++) u[i] = (i % 2 ? -1 : 1) * (12.0 + 6.0 * (double)i);
        grad_check(&s, u, r, rep % 3 != 2);
    }
    gsl_rng_free(r);
}
END_TEST

/* Rejections: {kind, n, lo, hi, x, expected bad index}. */
typedef struct {
    const char *name;
    TrKind k;
    size_t r, c;
    double lo, hi;
    double x[16];
    size_t bad;
} Bad;

static const Bad bads[] = {
    {"lower", TR_LOWER, 3, 1, 0, 0, {1, -1, 2}, 1},
    {"lower_at", TR_LOWER, 3, 1, 0, 0, {1, 2, 0}, 2},
    {"upper", TR_UPPER, 3, 1, 0, 0, {-1, -2, 0.5}, 2},
    {"lub_hi", TR_LOWER_UPPER, 2, 1, 0, 1, {0.5, 1.0}, 1},
    {"lub_lo", TR_LOWER_UPPER, 2, 1, 0, 1, {-0.1, 0.5}, 0},
    {"lub_empty", TR_LOWER_UPPER, 2, 1, 1, 1, {1, 1}, 0},
    {"none_nan", TR_NONE, 3, 1, 0, 0, {0, 1, NAN}, 2},
    {"simplex_neg", TR_SIMPLEX, 3, 1, 0, 0, {0.6, -0.1, 0.5}, 1},
    {"simplex_sum", TR_SIMPLEX, 3, 1, 0, 0, {0.2, 0.2, 0.2}, 2},
    {"ordered", TR_ORDERED, 4, 1, 0, 0, {-1, 1, 3, 2}, 3},
    {"ordered_tie", TR_ORDERED, 3, 1, 0, 0, {-1, -1, 2}, 1},
    {"pos_ordered", TR_POSITIVE_ORDERED, 3, 1, 0, 0, {-0.5, 1, 2}, 0},
    {"cholcorr_upper", TR_CHOLESKY_CORR, 2, 2, 0, 0, {1, 0, 0.1, 1}, 2},
    {"cholcorr_row", TR_CHOLESKY_CORR, 2, 2, 0, 0, {1, 0.5, 0, 1}, 3},
    {"cholcorr_diag", TR_CHOLESKY_CORR, 2, 2, 0, 0, {1, 0.6, 0, -0.8}, 3},
    {"corr_asym", TR_CORR_MATRIX, 2, 2, 0, 0, {1, 0.5, 0.4, 1}, 1},
    {"corr_diag", TR_CORR_MATRIX, 2, 2, 0, 0, {2, 0.5, 0.5, 1}, 0},
    {"corr_pd", TR_CORR_MATRIX, 2, 2, 0, 0, {1, 1.5, 1.5, 1}, 3},
    {"cov_pd", TR_COV_MATRIX, 3, 3, 0, 0, {1, 0, 0, 0, 1, 2, 0, 2, 1}, 8},
    {"cov_asym", TR_COV_MATRIX, 2, 2, 0, 0, {1, 0.1, 0.2, 1}, 1},
    {"cov_inf", TR_COV_MATRIX, 2, 2, 0, 0, {1, 0, 0, INFINITY}, 3},
    {"unit_long", TR_UNIT_VECTOR, 3, 1, 0, 0, {0.6, 0.8, 0.1}, 2},
    {"unit_nan", TR_UNIT_VECTOR, 2, 1, 0, 0, {NAN, 1}, 0},
    {"unit_empty", TR_UNIT_VECTOR, 0, 1, 0, 0, {0}, 0},
    {"stz_sum", TR_SUM_TO_ZERO, 3, 1, 0, 0, {1, -0.5, -0.4}, 2},
    {"stz_inf", TR_SUM_TO_ZERO, 3, 1, 0, 0, {1, INFINITY, -0.4}, 1},
    {"cholcov_upper", TR_CHOLESKY_COV, 2, 2, 0, 0, {1, 0.5, 0.1, 1}, 2},
    {"cholcov_diag", TR_CHOLESKY_COV, 3, 2, 0, 0, {1, 0.5, 2, 0, -1, 3}, 4},
    {"cholcov_wide", TR_CHOLESKY_COV, 2, 3, 0, 0, {1, 0, 0, 1, 0, 0}, 0},
    {"affine_mul", TR_AFFINE, 2, 1, 0, -1, {1, 2}, 0},
    {"affine_nan", TR_AFFINE, 2, 1, 0, 2, {1, NAN}, 1},
};
#define NBADS (sizeof bads / sizeof bads[0])

START_TEST(test_invalid)
{
    const Bad *b = &bads[_i];
    double lo[16], hi[16], u[16];
    for (int i = 0; i < 16; i++) { lo[i] = b->lo; hi[i] = b->hi; }
    size_t bad = 12345;
    int rc = tr_unconstrain(b->k, b->r, b->c, b->x, lo, hi, u, &bad);
    ck_assert_msg(rc == -1, "%s: accepted", b->name);
    ck_assert_msg(bad == b->bad, "%s: bad %zu, expected %zu", b->name, bad, b->bad);
}
END_TEST

/* Known values: Stan's forms evaluated by hand. */
START_TEST(test_known_values)
{
    double x[16], lo = 1, hi = 3;
    double u0 = 0.0;
    double lj = tr_constrain(TR_LOWER_UPPER, 1, 1, &u0, &lo, &hi, x);
    ck_assert(fabs(x[0] - 2.0) < 1e-15);
    ck_assert(fabs(lj - (log(2.0) + 2 * log(0.5))) < 1e-15);
    /* simplex at u = 0 is uniform: z_k = 1/(K-k) */
    double us[3] = {0, 0, 0};
    lj = tr_constrain(TR_SIMPLEX, 4, 1, us, NULL, NULL, x);
    for (int i = 0; i < 4; i++) ck_assert(fabs(x[i] - 0.25) < 1e-15);
    /* cov K=1: Sigma = exp(2u), log|J| = log 2 + 2u */
    double uc = 0.3;
    lj = tr_constrain(TR_COV_MATRIX, 1, 1, &uc, NULL, NULL, x);
    ck_assert(fabs(x[0] - exp(0.6)) < 1e-14 && fabs(lj - (log(2.0) + 0.6)) < 1e-14);
    /* cholesky_corr K=3 reads u row by row: L(1,0), L(2,0), L(2,1) */
    double ur[3] = {0.1, 0.2, 0.3};
    tr_constrain(TR_CHOLESKY_CORR, 3, 3, ur, NULL, NULL, x);
    ck_assert(fabs(x[1] - tanh(0.1)) < 1e-15 && fabs(x[2] - tanh(0.2)) < 1e-15);
    ck_assert(fabs(x[5] - tanh(0.3) * sqrt(1 - tanh(0.2) * tanh(0.2))) < 1e-15);
    /* corr_matrix K=3 reads CPCs column by column: (1,0), (2,0), (2,1) -- same here */
    tr_constrain(TR_CORR_MATRIX, 3, 3, ur, NULL, NULL, x);
    ck_assert(fabs(x[1] - tanh(0.1)) < 1e-15 && fabs(x[3] - tanh(0.1)) < 1e-15);
    /* K=4: corr's third CPC is (3,0); cholesky_corr's is (2,1) */
    double u4[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    tr_constrain(TR_CORR_MATRIX, 4, 4, u4, NULL, NULL, x + 0);
    double omega30 = x[3];
    ck_assert(fabs(omega30 - tanh(0.3)) < 1e-15);
    double L[16];
    tr_constrain(TR_CHOLESKY_CORR, 4, 4, u4, NULL, NULL, L);
    ck_assert(fabs(L[3] - tanh(0.4)) < 1e-15);
    /* unit_vector: x = u / |u|, Stan's -0.5 u'u */
    double uu[2] = {3, 4};
    lj = tr_constrain(TR_UNIT_VECTOR, 2, 1, uu, NULL, NULL, x);
    ck_assert(fabs(x[0] - 0.6) < 1e-15 && fabs(x[1] - 0.8) < 1e-15 && fabs(lj + 12.5) < 1e-13);
    /* sum_to_zero K=3: the Helmert basis (1,-1,0)/sqrt2, (1,1,-2)/sqrt6 */
    double uz[2] = {0.7, -1.3};
    lj = tr_constrain(TR_SUM_TO_ZERO, 3, 1, uz, NULL, NULL, x);
    ck_assert(lj == 0);
    ck_assert(fabs(x[0] - (0.7 / sqrt(2) - 1.3 / sqrt(6))) < 1e-15);
    ck_assert(fabs(x[1] - (-0.7 / sqrt(2) - 1.3 / sqrt(6))) < 1e-15);
    ck_assert(fabs(x[2] - 2.6 / sqrt(6)) < 1e-15);
    /* cholesky_factor_cov[3, 2] reads rows: L00 (log), L10, L11 (log), L20, L21 */
    double ul[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    lj = tr_constrain(TR_CHOLESKY_COV, 3, 2, ul, NULL, NULL, x);
    ck_assert(fabs(x[0] - exp(0.1)) < 1e-15 && x[1] == 0.2 && x[2] == 0.4);
    ck_assert(x[3] == 0 && fabs(x[4] - exp(0.3)) < 1e-15 && x[5] == 0.5 && fabs(lj - 0.4) < 1e-15);
    /* affine: offset + multiplier u, log|J| = log multiplier */
    double ua = 0.5, off = 1, mul = 2;
    lj = tr_constrain(TR_AFFINE, 1, 1, &ua, &off, &mul, x);
    ck_assert(x[0] == 2 && fabs(lj - log(2.0)) < 1e-15);
    lj = tr_constrain(TR_AFFINE, 1, 1, &ua, NULL, NULL, x);
    ck_assert(x[0] == 0.5 && lj == 0);
}
END_TEST

/* Large |u| must give finite values and log|J| (no overflow in the Jacobian terms). */
START_TEST(test_extreme)
{
    double lo = -1, hi = 2, x[16];
    double us[] = {-40, -25, 25, 40};
    for (size_t i = 0; i < 4; i++) {
        double lj = tr_constrain(TR_LOWER_UPPER, 1, 1, &us[i], &lo, &hi, x);
        ck_assert(isfinite(lj) && x[0] >= lo && x[0] <= hi);
        ck_assert(fabs(lj - (log(3.0) - fabs(us[i]))) < 1e-9);
    }
    double uc[6] = {30, -30, 25, 40, -40, 50};
    double lj = tr_constrain(TR_CHOLESKY_CORR, 4, 4, uc, NULL, NULL, x);
    ck_assert(isfinite(lj));
    lj = tr_constrain(TR_CORR_MATRIX, 4, 4, uc, NULL, NULL, x);
    ck_assert(isfinite(lj));
    double usx[3] = {40, -40, 40};
    lj = tr_constrain(TR_SIMPLEX, 4, 1, usx, NULL, NULL, x);
    ck_assert(isfinite(lj));
}
END_TEST

static Suite *transform_suite(void)
{
    Suite *s = suite_create("transform");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_known_values);
    tcase_add_test(tc, test_extreme);
    tcase_add_loop_test(tc, test_round_trip, 0, NCASES);
    tcase_add_loop_test(tc, test_logj_fd, 0, NCASES);
    tcase_add_loop_test(tc, test_backward_fd, 0, NCASES);
    tcase_add_loop_test(tc, test_invalid, 0, NBADS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transform_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
