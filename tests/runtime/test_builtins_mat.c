/* matrix_exp and singular_values (runtime/builtins_mat.c) beyond test_builtins'
 * generated cases: values against closed forms and independent algorithms (cos/sin,
 * a scaled Taylor series, sqrt of the eigenvalues of A'A by GSL's symmetric
 * eigensolver), gradients against central finite differences at chosen points (every
 * Padé degree, scaling and squaring, non-normal and non-square matrices) and against
 * closed forms, and the errors with their places. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>
#include "runtime/vmod.h"
#include "runtime/alloc.h"

/* Every heap call of the process, GSL's included (vm_alloc_count sees only the
 * library's own): these definitions interpose the C library's for the shared
 * libraries too.  Not under AddressSanitizer, which owns malloc. */
#if !defined(__SANITIZE_ADDRESS__)
#define HEAP_COUNTED 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);
static long heap_calls;
void *malloc(size_t n) { heap_calls++; return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { heap_calls++; return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { heap_calls++; return __libc_realloc(p, n); }
#endif

static VmModel *load(const char *src, const char *data)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", data, data ? "d.json" : NULL, &msg);
    ck_assert_msg(m != NULL, "load failed:\n%s\nmodel:\n%s", msg ? msg : "", src);
    return m;
}

/* The values of variable `out` after one draw of the gens, column-major; its count. */
static int out_values(const char *src, const char *data, double *vals, int cap)
{
    VmModel *m = load(src, data);
    VmEval *e = vm_eval_new(m);
    size_t nv = vm_model_nvalues(m), dim = vm_model_dim(m) + vm_model_ndisc(m);
    double *all = malloc((nv ? nv : 1) * sizeof *all), *u = calloc(dim ? dim : 1, sizeof *u);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = vm_write_values(e, u, r, all), n = 0;
    ck_assert_msg(rc == 0, "%s\n%s", src, vm_eval_message(e));
    for (size_t i = 0; i < nv; i++) {
        const char *nm = vm_model_value_name(m, i);
        if (!strcmp(nm, "out") || !strncmp(nm, "out.", 4)) {
            ck_assert_int_lt(n, cap);
            vals[n++] = all[i];
        }
    }
    gsl_rng_free(r);
    free(all);
    free(u);
    vm_eval_free(e);
    vm_model_free(m);
    return n;
}

/* "[[a, b], [c, d]]" of the column-major R x C matrix x, into buf. */
static void literal(char *buf, size_t len, const double *x, int R, int C)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int i = 0; i < R; i++) {
        o += (size_t)snprintf(buf + o, len - o, "%s[", i ? ", " : "");
        for (int j = 0; j < C; j++) o += (size_t)snprintf(buf + o, len - o, "%s%.17g", j ? ", " : "", x[i + j * R]);
        o += (size_t)snprintf(buf + o, len - o, "]");
    }
    snprintf(buf + o, len - o, "]");
    ck_assert_uint_lt(o, len - 2);
}

/* C = A B, n x n column-major */
static void mul(int n, const double *A, const double *B, double *C)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += A[i + k * n] * B[k + j * n];
            C[i + j * n] = s;
        }
}

/* exp(A) by the Taylor series of A / 2^k (norm <= 1/2, 30 terms), squared k times:
 * another approximant and another scaling than the Padé code's. */
static void expm_taylor(int n, const double *A, double *E)
{
    double norm = 0, S[64], T[64], P[64];
    for (int t = 0; t < n * n; t++) norm = fmax(norm, fabs(A[t]) * n);
    int k = 0;
    while (norm > 0.5) { norm /= 2; k++; }
    for (int t = 0; t < n * n; t++) { S[t] = ldexp(A[t], -k); E[t] = P[t] = (t % (n + 1) == 0); }
    for (int j = 1; j <= 30; j++) {
        mul(n, P, S, T);
        for (int t = 0; t < n * n; t++) { P[t] = T[t] / j; E[t] += P[t]; }
    }
    for (int s = 0; s < k; s++) {
        mul(n, E, E, T);
        memcpy(E, T, sizeof(double) * (size_t)(n * n));
    }
}

/* ---------------------------------------------------------------- values */

/* exp([[0, -t], [t, 0]]) = [[cos t, -sin t], [sin t, cos t]]: t picks every Padé degree
 * (1-norms 0.01, 0.2, 0.5, 1.5) and degree 13 without and with squarings (3, 12, 40). */
static const double rot_t[] = {0.01, -0.2, 0.5, 1.5, 3, 12, -40};

START_TEST(exp_rotation)
{
    double t = rot_t[_i], got[4];
    char src[256];
    snprintf(src, sizeof src, "gen matrix[2, 2] out = matrix_exp([[0, -%.17g], [%.17g, 0]]);", t, t);
    ck_assert_int_eq(out_values(src, NULL, got, 4), 4);
    double want[4] = {cos(t), sin(t), -sin(t), cos(t)};
    for (int k = 0; k < 4; k++)
        ck_assert_msg(fabs(got[k] - want[k]) <= 1e-13 * fmax(1, fabs(t)), "t = %g: element %d is %.17g, want %.17g", t, k,
                      got[k], want[k]);
}
END_TEST

START_TEST(exp_diagonal_and_nilpotent)
{
    double got[9];
    /* a diagonal: exp of each element, off-diagonals exactly 0; norm 20 squares */
    ck_assert_int_eq(out_values("gen matrix[3, 3] out = matrix_exp([[-1, 0, 0], [0, 0.5, 0], [0, 0, 20]]);", NULL, got, 9), 9);
    const double d[3] = {-1, 0.5, 20};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double g = got[i + 3 * j];
            if (i != j) ck_assert_msg(g == 0, "[%d,%d] = %g", i, j, g);
            else ck_assert_msg(fabs(g - exp(d[i])) <= 1e-13 * exp(d[i]), "[%d,%d] = %.17g, want %.17g", i, j, g, exp(d[i]));
        }
    /* strictly upper triangular N: exp(N) = I + N + N^2 / 2, exactly */
    ck_assert_int_eq(out_values("gen matrix[3, 3] out = matrix_exp([[0, 2, -1], [0, 0, 3], [0, 0, 0]]);", NULL, got, 9), 9);
    const double want[9] = {1, 0, 0, 2, 1, 0, -1 + 2 * 3 / 2.0, 3, 1};
    for (int k = 0; k < 9; k++) ck_assert_msg(fabs(got[k] - want[k]) <= 1e-14, "element %d is %.17g, want %g", k, got[k], want[k]);
    /* the empty matrix */
    ck_assert_int_eq(out_values("gen out = matrix_exp(rep_matrix(1.0, 0, 0));", NULL, got, 9), 0);
}
END_TEST

/* Non-normal 4 x 4 matrices of 1-norm about 0.04 to 12 against the Taylor series, and
 * exp(A) exp(-A) = I. */
static const double taylor_scale[] = {0.01, 0.06, 0.2, 0.5, 1, 3};

START_TEST(exp_vs_taylor)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77 + (unsigned long)_i);
    double A[16], E[16], got[16], inv[16], P[16];
    for (int t = 0; t < 16; t++) A[t] = taylor_scale[_i] * gsl_ran_gaussian(r, 1) + (t == 4 ? 3 * taylor_scale[_i] : 0);
    gsl_rng_free(r);
    char lit[1024], src[2048];
    literal(lit, sizeof lit, A, 4, 4);
    snprintf(src, sizeof src, "gen matrix[4, 4] out = matrix_exp(%s);", lit);
    ck_assert_int_eq(out_values(src, NULL, got, 16), 16);
    expm_taylor(4, A, E);
    double big = 0;
    for (int t = 0; t < 16; t++) big = fmax(big, fabs(E[t]));
    for (int t = 0; t < 16; t++)
        ck_assert_msg(fabs(got[t] - E[t]) <= 1e-12 * big, "scale %g: element %d is %.17g, Taylor %.17g", taylor_scale[_i], t, got[t], E[t]);
    for (int t = 0; t < 16; t++) A[t] = -A[t];
    literal(lit, sizeof lit, A, 4, 4);
    snprintf(src, sizeof src, "gen matrix[4, 4] out = matrix_exp(%s);", lit);
    ck_assert_int_eq(out_values(src, NULL, inv, 16), 16);
    mul(4, got, inv, P);
    for (int t = 0; t < 16; t++)
        ck_assert_msg(fabs(P[t] - (t % 5 == 0)) <= 1e-12 * big * big, "exp(A) exp(-A)[%d] = %g", t, P[t]);
}
END_TEST

/* Singular values of random R x C matrices against the square roots of the
 * eigenvalues of the smaller Gram matrix (A'A or AA'), decreasing. */
static const int sv_shape[][2] = {{3, 5}, {5, 3}, {4, 4}, {1, 3}, {3, 1}, {2, 6}};

START_TEST(sv_vs_gram_eigenvalues)
{
    int R = sv_shape[_i][0], C = sv_shape[_i][1], N = R < C ? R : C;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99 + (unsigned long)_i);
    double A[36];
    for (int t = 0; t < R * C; t++) A[t] = gsl_ran_gaussian(r, 1.5);
    gsl_rng_free(r);
    char lit[2048], src[4096];
    literal(lit, sizeof lit, A, R, C);
    snprintf(src, sizeof src, "gen vector[%d] out = singular_values(%s);", N, lit);
    double got[8];
    ck_assert_int_eq(out_values(src, NULL, got, 8), N);
    gsl_matrix *G = gsl_matrix_alloc((size_t)N, (size_t)N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            if (R >= C) for (int k = 0; k < R; k++) s += A[k + i * R] * A[k + j * R];   /* A'A */
            else for (int k = 0; k < C; k++) s += A[i + k * R] * A[j + k * R];          /* AA' */
            gsl_matrix_set(G, (size_t)i, (size_t)j, s);
        }
    gsl_vector *ev = gsl_vector_alloc((size_t)N);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc((size_t)N);
    ck_assert_int_eq(gsl_eigen_symm(G, ev, w), 0);
    gsl_sort_vector(ev);
    for (int k = 0; k < N; k++) {
        double want = sqrt(fmax(0, gsl_vector_get(ev, (size_t)(N - 1 - k))));
        ck_assert_msg(fabs(got[k] - want) <= 1e-12 * got[0], "%dx%d: sigma %d is %.17g, want %.17g", R, C, k + 1, got[k], want);
        if (k) ck_assert_msg(got[k] <= got[k - 1], "%dx%d: not decreasing at %d", R, C, k + 1);
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(G);
}
END_TEST

START_TEST(sv_special)
{
    double got[4];
    /* rows that repeat, a zero matrix, no rows */
    ck_assert_int_eq(out_values("gen out = singular_values([[1, 1], [1, 1], [1, 1]]);", NULL, got, 4), 2);
    ck_assert_msg(fabs(got[0] - sqrt(6)) <= 1e-14 && fabs(got[1]) <= 1e-14, "%g %g", got[0], got[1]);
    ck_assert_int_eq(out_values("gen out = singular_values(rep_matrix(0.0, 2, 3));", NULL, got, 4), 2);
    ck_assert_msg(got[0] == 0 && got[1] == 0, "%g %g", got[0], got[1]);
    ck_assert_int_eq(out_values("gen out = singular_values(rep_matrix(1.0, 0, 3));", NULL, got, 4), 0);
}
END_TEST

/* ---------------------------------------------------------------- gradients */

static double lp_at(VmEval *e, const double *u, double *g)
{
    double lp;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    ck_assert_msg(isfinite(lp), "lp %g: %s", lp, vm_eval_message(e));
    return lp;
}

/* Central differences at h and h/2, Richardson-extrapolated: O(h^4). */
static double fd(VmEval *e, double *u, size_t k)
{
    double u0 = u[k], h = 1e-3 * fmax(1e-2, fabs(u0)), d[2];
    for (int s = 0; s < 2; s++) {
        double hs = h / (1 << s);
        u[k] = u0 + hs;
        double fp = lp_at(e, u, NULL);
        u[k] = u0 - hs;
        double fm = lp_at(e, u, NULL);
        d[s] = (fp - fm) / (2 * hs);
    }
    u[k] = u0;
    return (4 * d[1] - d[0]) / 3;
}

#define W3 "data matrix[3, 3] W = [[0.7, -1.3, 0.4], [1.1, -0.6, 0.9], [-0.8, 0.5, 1.2]];\n"
#define W2 "data matrix[2, 2] W = [[0.7, -1.3], [1.1, -0.6]];\n"
#define WV "data vector[6] w = [1.3, -0.7, 0.45, 1.1, -0.9, 0.6]';\n"

/* A model, and points: NULL pts for random normal points at the scales given. */
typedef struct GCase { const char *src; int npts; double pts[4][9]; double scales[5]; } GCase;

static const GCase gcases[] = {
    /* every Padé degree by the scale of the point; 2.5 squares */
    {W3 "param matrix[3, 3] A;\ntarget += sum(W .* matrix_exp(A));\n", 2,
     {{1, 0, 0, 4, 1, 0, 0, 4, 1},                      /* [[1, 4, 0], [0, 1, 4], [0, 0, 1]]: non-normal */
      {0.5, 0, 0, 10, -0.3, 0, 0, 0, 2}},               /* far from normal, distinct eigenvalues */
     {0.002, 0.05, 0.2, 0.6, 2.5}},
    /* a defective 2 x 2 (one eigenvalue, one eigenvector) and a rotation */
    {W2 "param matrix[2, 2] A;\ntarget += sum(W .* matrix_exp(A));\n", 3,
     {{1, 0, 3, 1}, {0, 2, -2, 0}, {-0.4, 0.3, 7, -0.4}}, {0.3, 1, 3}},
    /* the same element in several places, and data in the matrix */
    {W2 "param real t;\ntarget += sum(W .* matrix_exp([[0, -t], [t, 0]])) + matrix_exp([[t, 1], [0, 2 * t]])[1, 2];\n", 3,
     {{0.01}, {1.7}, {-9}}, {0}},
    /* composed: matrix_exp of a product, its result in a product */
    {W2 WV "param matrix[2, 2] A; param real s;\n"
     "target += sum(W .* matrix_exp(s * A)) + dot_product(head(w, 2), matrix_exp(A) * tail(w, 2)) + log_determinant(matrix_exp(A' + A));\n",
     0, {{0}}, {0.3, 1}},
    /* singular values: square non-normal, tall, wide, a single row, a nonlinear use */
    {WV "param matrix[3, 3] A;\ntarget += dot_product(head(w, 3), singular_values(A));\n", 2,
     {{1, 0, 0, 4, 1, 0, 0, 4, 1}, {0.5, 0, 0, 10, -0.3, 0, 0, 0, 2}}, {0.01, 1, 6}},
    {WV "param matrix[4, 2] A;\ntarget += dot_product(head(w, 2), singular_values(A));\n", 0, {{0}}, {0.01, 1, 6}},
    {WV "param matrix[2, 4] A;\ntarget += dot_product(tail(w, 2), singular_values(A));\n", 0, {{0}}, {0.01, 1, 6}},
    {WV "param matrix[1, 3] A;\ntarget += 2 * singular_values(A)[1];\n", 0, {{0}}, {0.01, 1, 6}},
    {WV "param matrix[3, 2] A;\ntarget += -sum(exp(-singular_values(A))) + log_sum_exp(singular_values(A * A'));\n", 0, {{0}},
     {0.3, 1, 2}},
};

START_TEST(gradients_vs_fd)
{
    const GCase *c = &gcases[_i];
    VmModel *m = load(c->src, NULL);
    VmEval *e = vm_eval_new(m);
    size_t n = vm_model_dim(m);
    ck_assert_uint_le(n, 16);
    double u[16], g[16];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242 + (unsigned long)_i);
    int nsc = 0;
    while (nsc < 5 && c->scales[nsc] != 0) nsc++;
    for (int p = 0; p < c->npts + 2 * nsc; p++) {
        if (p < c->npts) memcpy(u, c->pts[p], n * sizeof *u);
        else for (size_t k = 0; k < n; k++) u[k] = c->scales[(p - c->npts) / 2] * gsl_ran_gaussian(r, 1);
        lp_at(e, u, g);
        for (size_t k = 0; k < n; k++) {
            double f = fd(e, u, k);
            ck_assert_msg(fabs(g[k] - f) <= 2e-6 * fmax(1, fabs(g[k])), "model %d point %d: d/d%s is %.12g, finite differences %.12g\n%s",
                          _i, p, vm_model_unc_name(m, k), g[k], f, c->src);
        }
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Closed forms: log det exp(A) = trace A (gradient I), sum sigma^2 = |A|_F^2
 * (gradient 2A), at random non-normal points. */
START_TEST(gradients_closed_form)
{
    VmModel *m = load("param matrix[3, 3] A; param matrix[2, 4] B;\n"
                      "target += log_determinant(matrix_exp(A)) - 0.5 * dot_self(singular_values(B));\n", NULL);
    ck_assert_str_eq(vm_model_unc_name(m, 1), "A[2,1]");   /* column-major, as assumed below */
    VmEval *e = vm_eval_new(m);
    double u[17], g[17];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5 + (unsigned long)_i);
    for (int k = 0; k < 17; k++) u[k] = (1 + _i) * gsl_ran_gaussian(r, 1);
    gsl_rng_free(r);
    lp_at(e, u, g);
    for (int k = 0; k < 9; k++)
        ck_assert_msg(fabs(g[k] - (k % 4 == 0)) <= 1e-9, "d/d%s = %.17g", vm_model_unc_name(m, (size_t)k), g[k]);
    for (int k = 9; k < 17; k++)
        ck_assert_msg(fabs(g[k] + u[k]) <= 1e-12 * fmax(1, fabs(u[k])), "d/d%s = %.17g, want %.17g", vm_model_unc_name(m, (size_t)k),
                      g[k], -u[k]);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Rank one (a kink of the zero singular value, where finite differences are not
 * smooth): the zero singular value's partials are 0, so the gradient of
 * 1.3 s1 - 0.7 s2 is 1.3 u1 v1'. */
START_TEST(sv_rank_deficient_gradient)
{
    static const double pts[2][4] = {{1, 2, 2, 4}, {0, 0, 3, 0}};
    static const double want[2][4] = {{0.26, 0.52, 0.52, 1.04}, {0, 0, 1.3, 0}};   /* u1 = v1 = (1, 2)/sqrt 5; e1, e2 */
    VmModel *m = load("param matrix[2, 2] A;\ntarget += dot_product([1.3, -0.7]', singular_values(A));\n", NULL);
    VmEval *e = vm_eval_new(m);
    for (int p = 0; p < 2; p++) {
        double g[4];
        lp_at(e, pts[p], g);
        for (int k = 0; k < 4; k++)
            ck_assert_msg(fabs(g[k] - want[p][k]) <= 1e-14, "point %d: d/d%s = %.17g, want %g", p, vm_model_unc_name(m, (size_t)k),
                          g[k], want[p][k]);
    }
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* After a few gradients the arena and the tape have grown to size: later gradients,
 * at points that take other Padé degrees and squarings, allocate nothing, in the
 * library or in GSL. */
START_TEST(no_heap_per_gradient)
{
    VmModel *m = load(W3 WV "param matrix[3, 3] A; param matrix[4, 2] B; param matrix[2, 4] C;\n"
                      "target += sum(W .* matrix_exp(A)) + dot_product(head(w, 2), singular_values(B)) + "
                      "dot_product(tail(w, 2), singular_values(C));\n", NULL);
    VmEval *e = vm_eval_new(m);
    size_t n = vm_model_dim(m);
    double u[25], g[25];
    ck_assert_uint_eq(n, 25);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 31);
    static const double scale[] = {0.001, 0.05, 0.2, 0.5, 1, 3};
    int bad = 0;
    for (int it = 0; it < 30; it++) {
        if (it == 6) {
            vm_alloc_fail_at(0);
#ifdef HEAP_COUNTED
            heap_calls = 0;
#endif
        }
        for (size_t k = 0; k < n; k++) u[k] = scale[it % 6] * gsl_ran_gaussian(r, 1);
        double lp;   /* no ck_assert in the loop: check's own bookkeeping allocates */
        bad += vm_log_density(e, u, 1, &lp, g) != 0 || !isfinite(lp);
    }
    long lib = vm_alloc_count();
#ifdef HEAP_COUNTED
    long heap = heap_calls;
    ck_assert_msg(heap == 0, "%ld heap calls in 24 gradients", heap);
#endif
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(lib, 0);
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------- errors */

/* A non-square matrix_exp is a size error whatever the values: the load's check
 * (vm_model_check_sizes, vrun --check) reports it at the call. */
START_TEST(exp_not_square)
{
    static const char src[] = "param real a;\na ~ normal(0, 1);\nlet matrix[2, 2] m = matrix_exp(rep_matrix(a, 2, 3));\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    if (m) {
        msg = vm_model_check_sizes(m);
        vm_model_free(m);
    }
    ck_assert_msg(msg && strstr(msg, "t.vmod:3:22: error: matrix_exp: the matrix is 2x3, not square"), "message: %s", msg ? msg : "(none)");
    free(msg);
}
END_TEST

/* Non-finite elements reject the point with the element's place. */
static const char *const bad[][2] = {
    {"let matrix[2, 2] m = matrix_exp([[1, a > 1 ? positive_infinity() : 0], [0, 1]]);", "matrix_exp: element [1,2] is inf"},
    {"let vector[2] s = singular_values([[1, 2, 3], [4, 5, a > 1 ? not_a_number() : 0]]);", "singular_values: element [2,3] is nan"},
};

START_TEST(nonfinite_rejects)
{
    char src[512];
    snprintf(src, sizeof src, "param real a;\ntarget += a;\n%s\n", bad[_i][0]);
    VmModel *m = load(src, NULL);
    VmEval *e = vm_eval_new(m);
    double u[1] = {2}, lp = 0;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
    ck_assert_msg(lp == -INFINITY, "lp %g", lp);
    ck_assert_msg(strstr(vm_eval_message(e), bad[_i][1]) != NULL, "message: %s\nwant: %s", vm_eval_message(e), bad[_i][1]);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("builtins_mat");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, exp_rotation, 0, (int)(sizeof rot_t / sizeof rot_t[0]));
    tcase_add_test(tc, exp_diagonal_and_nilpotent);
    tcase_add_loop_test(tc, exp_vs_taylor, 0, (int)(sizeof taylor_scale / sizeof taylor_scale[0]));
    tcase_add_loop_test(tc, sv_vs_gram_eigenvalues, 0, (int)(sizeof sv_shape / sizeof sv_shape[0]));
    tcase_add_test(tc, sv_special);
    tcase_add_loop_test(tc, gradients_vs_fd, 0, (int)(sizeof gcases / sizeof gcases[0]));
    tcase_add_loop_test(tc, gradients_closed_form, 0, 3);
    tcase_add_test(tc, sv_rank_deficient_gradient);
    tcase_add_test(tc, no_heap_per_gradient);
    tcase_add_test(tc, exp_not_square);
    tcase_add_loop_test(tc, nonfinite_rejects, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
