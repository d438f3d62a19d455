/* Container and linear-algebra functions ported Stan programs reach for
 * (the language reference's list): sort_indices_asc/desc, rank, identity_matrix,
 * matrix_power, eigenvalues_sym.  Registered in builtin_table (builtins.c). */
#include <math.h>
#include <string.h>
#include "runtime/eval.h"
#include "runtime/builtins_port.h"

#define NANV val_real(ev, NAN)

static double at(const Val *x, int i) { return x->base == TB_INT ? (double)x->iv[i] : x->x[i]; }

/* 1-based indices that sort x; stable (ties keep their order), as Stan. */
static Val sort_indices(Ev *ev, const Expr *e, Val x, int desc)
{
    int n = x.n, dims[1] = {n};
    for (int i = 0; i < n; i++)
        if (x.base == TB_REAL && isnan(x.x[i])) { ev_error(ev, e->span, "%s: element %d is nan", e->name, i + 1); return NANV; }
    Val r = val_alloc(ev, TB_INT, TK_SCALAR, 1, dims);
    int *map = r.iv, *tmp = arena_alloc(&ev->arena, sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) map[i] = i;
    for (int w = 1; w < n; w *= 2) {          /* bottom-up merge sort */
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                double a = at(&x, map[i]), b = at(&x, map[j]);
                tmp[k++] = (desc ? b > a : b < a) ? map[j++] : map[i++];
            }
            while (i < mid) tmp[k++] = map[i++];
            while (j < hi) tmp[k++] = map[j++];
        }
        memcpy(map, tmp, sizeof(int) * (size_t)n);
    }
    for (int i = 0; i < n; i++) map[i]++;
    return r;
}

Val b_sort_indices_asc(Ev *ev, const Expr *e, Val *a, int n) { (void)n; return sort_indices(ev, e, a[0], 0); }
Val b_sort_indices_desc(Ev *ev, const Expr *e, Val *a, int n) { (void)n; return sort_indices(ev, e, a[0], 1); }

/* rank(v, s): how many elements of v are smaller than v[s] */
Val b_rank(Ev *ev, const Expr *e, Val *a, int n)
{
    (void)n;
    int s = a[1].iv[0];
    if (s < 1 || s > a[0].n) { ev_error(ev, e->span, "rank: index %d out of range (size %d)", s, a[0].n); return val_int(ev, 0); }
    double v = at(&a[0], s - 1);
    int c = 0;
    for (int i = 0; i < a[0].n; i++) c += at(&a[0], i) < v;
    return val_int(ev, c);
}

Val b_identity_matrix(Ev *ev, const Expr *e, Val *a, int n)
{
    (void)n;
    int k = a[0].iv[0];
    if (k < 0) { ev_error(ev, e->span, "identity_matrix: size %d, but must be >= 0", k); return NANV; }
    int dims[2] = {k, k};
    Val r = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    for (int i = 0; i < k * k; i++) r.x[i] = i % (k + 1) == 0;
    return r;
}

/* matrix_power(M, k) by repeated squaring of the tape's matrix products: the
 * gradient comes with them */
Val b_matrix_power(Ev *ev, const Expr *e, Val *a, int n)
{
    (void)n;
    Val M = val_to_real(ev, a[0]);
    int k = a[1].iv[0], N = M.dims[0];
    if (M.dims[1] != N) { ev_error(ev, e->span, "matrix_power: the matrix is %dx%d, not square", N, M.dims[1]); return NANV; }
    if (k < 0) { ev_error(ev, e->span, "matrix_power: power %d, but must be >= 0", k); return NANV; }
    Val id = val_int(ev, N);
    Val r = b_identity_matrix(ev, e, &id, 1), p = M;
    int first = 1;
    for (; k > 0; k >>= 1) {
        if (k & 1) { r = first ? p : op_matmul(ev, e, r, p); first = 0; }
        if (k > 1) p = op_matmul(ev, e, p, p);
        if (ev->fail) return NANV;
    }
    return r;
}

/* Eigenvalues of a symmetric matrix, ascending (Stan), by cyclic Jacobi rotations
 * (arena memory: no allocation after the first evaluations).  d lambda_i / d A_jk =
 * v_ji v_ki with v_i the unit eigenvector. */
Val b_eigenvalues_sym(Ev *ev, const Expr *e, Val *a, int n)
{
    (void)n;
    Val M = val_to_real(ev, a[0]);
    int N = M.dims[0];
    if (M.dims[1] != N) { ev_error(ev, e->span, "eigenvalues_sym: the matrix is %dx%d, not square", N, M.dims[1]); return NANV; }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++) {
            double x = M.x[i + (long)j * N], y = M.x[j + (long)i * N];
            if (!(fabs(x - y) <= 1e-8 * fmax(1, fmax(fabs(x), fabs(y))))) {
                ev_error(ev, e->span, "eigenvalues_sym: the matrix is not symmetric (element [%d,%d])", i + 1, j + 1);
                return NANV;
            }
        }
    size_t nn = (size_t)N * (size_t)N;
    double *A = arena_alloc(&ev->arena, sizeof(double) * (nn ? nn : 1)), *V = arena_alloc(&ev->arena, sizeof(double) * (nn ? nn : 1));
    memcpy(A, M.x, sizeof(double) * nn);
    for (size_t i = 0; i < nn; i++) V[i] = i % (size_t)(N + 1) == 0;
#define A_(i, j) A[(i) + (long)(j) * N]
#define V_(i, j) V[(i) + (long)(j) * N]
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, tot = 0;
        for (int p = 0; p < N; p++)
            for (int q = 0; q < N; q++) { tot += A_(p, q) * A_(p, q); if (p != q) off += A_(p, q) * A_(p, q); }
        if (off <= 1e-30 * tot || off == 0) break;
        for (int p = 0; p < N - 1; p++)
            for (int q = p + 1; q < N; q++) {
                if (A_(p, q) == 0) continue;
                double th = (A_(q, q) - A_(p, p)) / (2 * A_(p, q));
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1)), c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < N; k++) {            /* A <- J' A J */
                    double akp = A_(k, p), akq = A_(k, q);
                    A_(k, p) = c * akp - s * akq;
                    A_(k, q) = s * akp + c * akq;
                }
                for (int k = 0; k < N; k++) {
                    double apk = A_(p, k), aqk = A_(q, k);
                    A_(p, k) = c * apk - s * aqk;
                    A_(q, k) = s * apk + c * aqk;
                }
                for (int k = 0; k < N; k++) {
                    double vkp = V_(k, p), vkq = V_(k, q);
                    V_(k, p) = c * vkp - s * vkq;
                    V_(k, q) = s * vkp + c * vkq;
                }
            }
    }
    /* ascending order */
    int *ord = arena_alloc(&ev->arena, sizeof(int) * (size_t)(N ? N : 1));
    for (int i = 0; i < N; i++) ord[i] = i;
    for (int i = 1; i < N; i++)
        for (int j = i; j > 0 && A_(ord[j], ord[j]) < A_(ord[j - 1], ord[j - 1]); j--) { int t = ord[j]; ord[j] = ord[j - 1]; ord[j - 1] = t; }
    int dims[1] = {N};
    Val r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    for (int i = 0; i < N; i++) r.x[i] = A_(ord[i], ord[i]);
    if (M.id) {
        val_set_ids(ev, &r);
        tape_reserve(ev, (long)N * (long)nn);
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++)
                for (int j = 0; j < N; j++)
                    tape_put(ev, M.id[j + (long)k * N], r.id[i], V_(j, ord[i]) * V_(k, ord[i]));
    }
#undef A_
#undef V_
    return r;
}

/* quantile(x, p): the sample quantile of type 7 (R's default, Stan's): with the
 * sorted values s and h = (n - 1) p, s[floor h] + (h - floor h)(s[floor h + 1] -
 * s[floor h]); piecewise linear in the values and in p. */
Val b_quantile(Ev *ev, const Expr *e, Val *a, int n)
{
    (void)n;
    Val x = val_to_real(ev, a[0]), p = val_to_real(ev, a[1]);
    int N = x.n;
    if (N == 0) { ev_error(ev, e->span, "quantile of an empty container"); return NANV; }
    double pv = p.x[0];
    if (!(pv >= 0 && pv <= 1)) { ev_error(ev, e->span, "quantile: p is %g, but must be in [0, 1]", pv); return NANV; }
    Val idx = sort_indices(ev, e, x, 0);
    if (ev->fail) return NANV;
    double h = (N - 1) * pv;
    int lo = (int)floor(h), hi = lo + 1 < N ? lo + 1 : lo;
    double f = h - lo;
    int il = idx.iv[lo] - 1, ih = idx.iv[hi] - 1;
    Val r = val_real(ev, x.x[il] + f * (x.x[ih] - x.x[il]));
    if (x.id || p.id) {
        val_set_ids(ev, &r);
        if (x.id) {
            tape_push(ev, x.id[il], r.id[0], 1 - f);
            tape_push(ev, x.id[ih], r.id[0], f);
        }
        if (p.id && hi != lo) tape_push(ev, p.id[0], r.id[0], (N - 1) * (x.x[ih] - x.x[il]));
    }
    return r;
}
