/* matrix_exp and singular_values (Stan's), rows of builtin_table (builtins.c).
 * Every buffer comes from the evaluator's arena, the reverse pass's included: it is
 * taken in the forward pass, so a gradient allocates nothing once the arena has grown. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include "runtime/eval.h"
#include "runtime/builtins_mat.h"

#define NANV val_real(ev, NAN)

/* ---------------------------------------------------------------- matrix_exp */

/* C = A B, n x n, column-major; C must not alias A or B. */
static void mm(int n, const double *A, const double *B, double *C)
{
    size_t nn = (size_t)n * (size_t)n;
    memset(C, 0, sizeof(double) * nn);
    for (int j = 0; j < n; j++)
        for (int k = 0; k < n; k++) {
            double b = B[k + (long)j * n];
            if (b == 0) continue;
            const double *a = A + (long)k * n;
            double *c = C + (long)j * n;
            for (int i = 0; i < n; i++) c[i] += a[i] * b;
        }
}

/* out = sum_k c[k] P[k] + c0 I over the np matrices P (NULL c0: no identity term). */
static void lincomb(int n, double *out, int np, const double *const *P, const double *c, double c0)
{
    size_t nn = (size_t)n * (size_t)n;
    for (size_t t = 0; t < nn; t++) {
        double s = 0;
        for (int k = 0; k < np; k++) s += c[k] * P[k][t];
        out[t] = s;
    }
    for (int i = 0; i < n; i++) out[i + (long)i * n] += c0;
}

/* Solve D X = N in place (X into N) by Gaussian elimination with partial pivoting;
 * 1 if a pivot is zero. */
static int solve_in_place(int n, double *D, double *N)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++) if (fabs(D[r + (long)c * n]) > fabs(D[p + (long)c * n])) p = r;
        if (D[p + (long)c * n] == 0) return 1;
        if (p != c)
            for (int k = 0; k < n; k++) {
                double t = D[c + (long)k * n]; D[c + (long)k * n] = D[p + (long)k * n]; D[p + (long)k * n] = t;
                t = N[c + (long)k * n]; N[c + (long)k * n] = N[p + (long)k * n]; N[p + (long)k * n] = t;
            }
        double d = D[c + (long)c * n];
        for (int r = c + 1; r < n; r++) {
            double f = D[r + (long)c * n] / d;
            if (f == 0) continue;
            for (int k = c; k < n; k++) D[r + (long)k * n] -= f * D[c + (long)k * n];
            for (int k = 0; k < n; k++) N[r + (long)k * n] -= f * N[c + (long)k * n];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double d = D[c + (long)c * n];
        for (int k = 0; k < n; k++) {
            double s = N[c + (long)k * n];
            for (int j = c + 1; j < n; j++) s -= D[c + (long)j * n] * N[j + (long)k * n];
            N[c + (long)k * n] = s / d;
        }
    }
    return 0;
}

/* Doubles of scratch expm needs for an n x n matrix. */
static size_t expm_work(int n) { return 7 * (size_t)n * (size_t)n + 1; }

/* E = exp(A), n x n column-major, by the Padé approximant of degree 3, 5, 7, 9 or 13
 * chosen from the 1-norm, with scaling and squaring for degree 13: Higham (2005), the
 * algorithm and thresholds of Eigen's MatrixExponential, which Stan's matrix_exp_pade
 * runs.  work: expm_work(n) doubles.  1 if the denominator is singular (not for
 * finite A in practice). */
static int expm(int n, const double *A, double *E, double *work)
{
    size_t nn = (size_t)n * (size_t)n;
    double *A2 = work, *A4 = A2 + nn, *A6 = A4 + nn, *T = A6 + nn, *U = T + nn, *V = U + nn, *S = V + nn;
    double norm = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) s += fabs(A[i + (long)j * n]);
        if (s > norm) norm = s;
    }
    int squarings = 0;
    const double *X = A;
    if (norm >= 2.097847961257068) {
        frexp(norm / 5.371920351148152, &squarings);
        if (squarings < 0) squarings = 0;
        for (size_t t = 0; t < nn; t++) S[t] = ldexp(A[t], -squarings);
        X = S;
    }
    mm(n, X, X, A2);
    if (norm < 1.495585217958292e-2) {
        static const double b[] = {120, 60, 12, 1};
        const double *P[] = {A2};
        lincomb(n, T, 1, P, (const double[]){b[3]}, b[1]);
        mm(n, X, T, U);
        lincomb(n, V, 1, P, (const double[]){b[2]}, b[0]);
    } else if (norm < 2.539398330063230e-1) {
        static const double b[] = {30240, 15120, 3360, 420, 30, 1};
        mm(n, A2, A2, A4);
        const double *P[] = {A4, A2};
        lincomb(n, T, 2, P, (const double[]){b[5], b[3]}, b[1]);
        mm(n, X, T, U);
        lincomb(n, V, 2, P, (const double[]){b[4], b[2]}, b[0]);
    } else if (norm < 9.504178996162932e-1) {
        static const double b[] = {17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1};
        mm(n, A2, A2, A4);
        mm(n, A4, A2, A6);
        const double *P[] = {A6, A4, A2};
        lincomb(n, T, 3, P, (const double[]){b[7], b[5], b[3]}, b[1]);
        mm(n, X, T, U);
        lincomb(n, V, 3, P, (const double[]){b[6], b[4], b[2]}, b[0]);
    } else if (norm < 2.097847961257068) {
        static const double b[] = {17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880., 3960., 90., 1.};
        mm(n, A2, A2, A4);
        mm(n, A4, A2, A6);
        mm(n, A6, A2, E);                                  /* A8, E as scratch */
        const double *P[] = {E, A6, A4, A2};
        lincomb(n, T, 4, P, (const double[]){b[9], b[7], b[5], b[3]}, b[1]);
        mm(n, X, T, U);
        lincomb(n, V, 4, P, (const double[]){b[8], b[6], b[4], b[2]}, b[0]);
    } else {
        static const double b[] = {64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
                                   129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
                                   40840800., 960960., 16380., 182., 1.};
        mm(n, A2, A2, A4);
        mm(n, A4, A2, A6);
        const double *P[] = {A6, A4, A2};
        /* U = X (A6 (b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I) */
        lincomb(n, T, 3, P, (const double[]){b[13], b[11], b[9]}, 0);
        mm(n, A6, T, E);
        lincomb(n, T, 3, P, (const double[]){b[7], b[5], b[3]}, b[1]);
        for (size_t t = 0; t < nn; t++) T[t] += E[t];
        mm(n, X, T, U);
        /* V = A6 (b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I */
        lincomb(n, T, 3, P, (const double[]){b[12], b[10], b[8]}, 0);
        mm(n, A6, T, E);
        lincomb(n, V, 3, P, (const double[]){b[6], b[4], b[2]}, b[0]);
        for (size_t t = 0; t < nn; t++) V[t] += E[t];
    }
    /* (V - U) E = V + U */
    for (size_t t = 0; t < nn; t++) { double u = U[t], v = V[t]; E[t] = v + u; U[t] = v - u; }
    if (solve_in_place(n, U, E)) return 1;
    for (int s = 0; s < squarings; s++) {
        mm(n, E, E, T);
        memcpy(E, T, sizeof(double) * nn);
    }
    return 0;
}

/* The node: A's values and ids copied (A may be assigned into later), the result's
 * first id, and scratch for the 2n x 2n exponential of the reverse pass. */
typedef struct ExpNode { int n; double *A; int32_t *aid; int32_t rbase; double *B, *F, *work; } ExpNode;

/* A's adjoint is the Fréchet derivative L(A', G) of the exponential at A' in the
 * direction G, the result's adjoint: the upper-right block of exp([[A', G], [0, A']]).
 * L is linear in G, so G is scaled to the norm of A first: a large adjoint would
 * otherwise add squarings, and error, for nothing. */
static void exp_back(Ev *ev, void *p)
{
    ExpNode *c = p;
    int n = c->n, m = 2 * n;
    const double *adj = ev->adj;
    double gnorm = 0, anorm = 0;
    for (int j = 0; j < n; j++) {
        double sg = 0, sa = 0;
        for (int i = 0; i < n; i++) { sg += fabs(adj[c->rbase + i + (long)j * n]); sa += fabs(c->A[i + (long)j * n]); }
        if (sg > gnorm) gnorm = sg;
        if (sa > anorm) anorm = sa;
    }
    if (gnorm == 0) return;
    if (!isfinite(gnorm)) {                 /* no meaningful partials: say so downstream */
        for (int k = 0; k < n * n; k++) ev->adj[c->aid[k]] += NAN;
        return;
    }
    double scale = (anorm > 0 ? anorm : 1) / gnorm;
    double *B = c->B;
    memset(B, 0, sizeof(double) * (size_t)m * (size_t)m);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double at = c->A[j + (long)i * n];                      /* A'[i,j] */
            B[i + (long)j * m] = at;
            B[(n + i) + (long)(n + j) * m] = at;
            B[i + (long)(n + j) * m] = scale * adj[c->rbase + i + (long)j * n];
        }
    if (expm(m, B, c->F, c->work)) {
        for (int k = 0; k < n * n; k++) ev->adj[c->aid[k]] += NAN;
        return;
    }
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) ev->adj[c->aid[i + (long)j * n]] += c->F[i + (long)(n + j) * m] / scale;
}

/* 1 and the 1-based [i,j] of the first non-finite element of the column-major R x C
 * matrix x, or 0 if all are finite. */
static int nonfinite(const double *x, int R, int C, int *ri, int *cj)
{
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++)
            if (!isfinite(x[i + (long)j * R])) { *ri = i + 1; *cj = j + 1; return 1; }
    return 0;
}

Val b_matrix_exp(Ev *ev, const Expr *e, Val *a, int na)
{
    (void)na;
    Val A = val_to_real(ev, a[0]);
    int n = A.dims[0], ri, cj;
    if (A.dims[1] != n) {                 /* whatever the values: --check reports it (sizecheck.c) */
        ev_error(ev, e->span, "matrix_exp: the matrix is %dx%d, not square", n, A.dims[1]);
        ev->size_error = 1;
        return NANV;
    }
    if (nonfinite(A.x, n, n, &ri, &cj)) {
        ev_error(ev, e->span, "matrix_exp: element [%d,%d] is %g", ri, cj, A.x[ri - 1 + (long)(cj - 1) * n]);
        return NANV;
    }
    int dims[2] = {n, n};
    Val E = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    if (n == 0) return E;
    size_t nn = (size_t)n * (size_t)n;
    int grad = A.id && !ev->notape;
    /* the reverse pass's scratch (for 2n) serves the forward pass too */
    double *work = arena_alloc(&ev->arena, sizeof(double) * expm_work(grad ? 2 * n : n));
    if (expm(n, A.x, E.x, work)) { ev_error(ev, e->span, "matrix_exp: the Padé denominator is singular"); return NANV; }
    if (!A.id) return E;
    val_set_ids(ev, &E);
    if (!grad) return E;
    ExpNode *c = arena_alloc(&ev->arena, sizeof *c);
    c->n = n;
    c->A = arena_alloc(&ev->arena, sizeof(double) * nn);
    c->aid = arena_alloc(&ev->arena, sizeof(int32_t) * nn);
    memcpy(c->A, A.x, sizeof(double) * nn);
    memcpy(c->aid, A.id, sizeof(int32_t) * nn);
    c->rbase = E.id[0];
    c->B = arena_alloc(&ev->arena, sizeof(double) * 4 * nn);
    c->F = arena_alloc(&ev->arena, sizeof(double) * 4 * nn);
    c->work = work;
    tape_callback(ev, exp_back, c);
    return E;
}

/* ---------------------------------------------------------------- singular_values */

/* The singular values of the R x C matrix A, decreasing, by GSL's one-sided Jacobi
 * SVD (gsl_linalg_SV_decomp_jacobi: it allocates nothing, where the Golub-Reinsch
 * gsl_linalg_SV_decomp takes three heap blocks a call, and it is the more accurate
 * for small singular values).  It wants at least as many rows as columns: it gets A
 * (copied row-major) when R >= C, else A' (A's column-major array as it is).  With
 * A = U S V', d sigma_k / dA = u_k v_k' (the sign of a pair u_k, v_k cancels).  Where
 * singular values repeat, the individual ones are not differentiable: the partials
 * are those of the basis the SVD picked, and only sums over the repeated group are
 * right whatever the basis.  At a zero singular value (a rank-deficient A) the
 * Jacobi SVD leaves u_k zero, so the partials are 0: a subgradient of that kink, as
 * 0 is of |x| at 0. */
Val b_singular_values(Ev *ev, const Expr *e, Val *a, int na)
{
    (void)na;
    Val A = val_to_real(ev, a[0]);
    int R = A.dims[0], C = A.dims[1], ri, cj;
    int M = R >= C ? R : C, N = R >= C ? C : R;
    if (nonfinite(A.x, R, C, &ri, &cj)) {
        ev_error(ev, e->span, "singular_values: element [%d,%d] is %g", ri, cj, A.x[ri - 1 + (long)(cj - 1) * R]);
        return NANV;
    }
    int dims[1] = {N};
    Val s = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    if (N == 0) return s;
    size_t mn = (size_t)M * (size_t)N;
    double *T = arena_alloc(&ev->arena, sizeof(double) * mn);
    double *V = arena_alloc(&ev->arena, sizeof(double) * (size_t)N * (size_t)N);
    if (R >= C) {
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) T[(long)i * C + j] = A.x[i + (long)j * R];
    } else {
        memcpy(T, A.x, sizeof(double) * mn);
    }
    gsl_matrix_view Tv = gsl_matrix_view_array(T, (size_t)M, (size_t)N);
    gsl_matrix_view Vv = gsl_matrix_view_array(V, (size_t)N, (size_t)N);
    gsl_vector_view Sv = gsl_vector_view_array(s.x, (size_t)N);   /* sorted decreasing by GSL */
    if (gsl_linalg_SV_decomp_jacobi(&Tv.matrix, &Vv.matrix, &Sv.vector)) {
        ev_error(ev, e->span, "singular_values: the SVD did not converge");
        return NANV;
    }
    if (!A.id) return s;
    val_set_ids(ev, &s);
    /* T now holds the M x N left vectors of the tall matrix, row-major, and V its
     * N x N right ones: for R >= C u_k = T[., k] (length R), v_k = V[., k] (length C);
     * for R < C the roles swap. */
    tape_reserve(ev, (long)N * (long)R * (long)C);
    for (int k = 0; k < N; k++)
        for (int j = 0; j < C; j++)
            for (int i = 0; i < R; i++) {
                double d = R >= C ? T[(long)i * N + k] * V[(long)j * N + k] : V[(long)i * N + k] * T[(long)j * N + k];
                tape_put(ev, A.id[i + (long)j * R], s.id[k], d);
            }
    return s;
}
