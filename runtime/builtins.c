/* Container and linear-algebra functions: one row each in builtin_table, with the
 * signature sema checks (lang/builtin_sig.c's letters) and the implementation. */
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_permutation.h>
#include "runtime/eval.h"
#include "runtime/builtins_port.h"
#include "runtime/builtins_mat.h"

#define NANV val_real(ev, NAN)

static Val vec_of(Ev *ev, int kind, int n)
{
    int dims[1] = {n};
    return val_alloc(ev, TB_REAL, kind, 0, dims);
}

/* Result sharing one scalar input (id or none) into many outputs with partial 1. */
static void link_each(Ev *ev, Val *r, const Val *src, const int *map, const double *d)
{
    if (!src->id) return;
    val_set_ids(ev, r);
    for (int k = 0; k < r->n; k++) tape_push(ev, src->id[map ? map[k] : 0], r->id[k], d ? d[k] : 1);
}

static Val b_sum(Ev *ev, const Expr *e, Val *a, int n)
{
    if (a[0].base == TB_INT) {
        int s = 0;
        for (int k = 0; k < a[0].n; k++)
            if (__builtin_add_overflow(s, a[0].iv[k], &s)) { ev_error(ev, e->span, "sum: integer overflow"); return val_int(ev, 0); }
        return val_int(ev, s);
    }
    return val_sum(ev, a[0]);
}

static Val b_mean(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = val_to_real(ev, a[0]);
    if (x.n == 0) { ev_error(ev, e->span, "mean of an empty container"); return NANV; }
    Val s = val_sum(ev, x);
    Val r = val_real(ev, s.x[0] / x.n);
    if (s.id) { val_set_ids(ev, &r); tape_push(ev, s.id[0], r.id[0], 1.0 / x.n); }
    return r;
}

static Val variance_of(Ev *ev, const Expr *e, Val x, int sd)
{
    x = val_to_real(ev, x);
    int n = x.n;
    /* as Stan: an error for no element, 0 for one */
    if (n == 0) { ev_error(ev, e->span, "%s of an empty container", sd ? "sd" : "variance"); return NANV; }
    if (n == 1) return val_real(ev, 0);
    double m = 0, v = 0;
    for (int k = 0; k < n; k++) m += x.x[k];
    m /= n;
    for (int k = 0; k < n; k++) v += (x.x[k] - m) * (x.x[k] - m);
    v /= n - 1;
    double out = sd ? sqrt(v) : v;
    Val r = val_real(ev, out);
    if (x.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < n; k++) {
            double dv = 2 * (x.x[k] - m) / (n - 1);
            tape_push(ev, x.id[k], r.id[0], sd ? (out > 0 ? dv / (2 * out) : 0) : dv);
        }
    }
    return r;
}
static Val b_variance(Ev *ev, const Expr *e, Val *a, int n) { return variance_of(ev, e, a[0], 0); }
static Val b_sd(Ev *ev, const Expr *e, Val *a, int n) { return variance_of(ev, e, a[0], 1); }

static Val b_prod(Ev *ev, const Expr *e, Val *a, int n)
{
    if (a[0].base == TB_INT) {
        int p = 1;
        for (int k = 0; k < a[0].n; k++)
            if (__builtin_mul_overflow(p, a[0].iv[k], &p)) { ev_error(ev, e->span, "prod: integer overflow"); return val_int(ev, 0); }
        return val_int(ev, p);
    }
    Val x = a[0];
    double p = 1;
    for (int k = 0; k < x.n; k++) p *= x.x[k];
    Val r = val_real(ev, p);
    if (x.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < x.n; k++) {
            double q = 1;
            for (int j = 0; j < x.n; j++) if (j != k) q *= x.x[j];
            tape_push(ev, x.id[k], r.id[0], q);
        }
    }
    return r;
}

static Val extreme(Ev *ev, const Expr *e, Val *a, int n, int want_max)
{
    if (n == 2) {                      /* max(a, b) of scalars */
        if (a[0].base == TB_INT && a[1].base == TB_INT) {
            int x = a[0].iv[0], y = a[1].iv[0];
            return val_int(ev, want_max ? (x > y ? x : y) : (x < y ? x : y));
        }
        Val x = val_to_real(ev, a[0]), y = val_to_real(ev, a[1]);
        int pick_x = want_max ? x.x[0] >= y.x[0] : x.x[0] <= y.x[0];
        return pick_x ? x : y;
    }
    Val x = a[0];
    if (x.n == 0) {                    /* as Stan: -inf (max) or inf (min) for reals */
        if (x.base == TB_REAL) return val_real(ev, want_max ? -INFINITY : INFINITY);
        ev_error(ev, e->span, "%s of an empty container", want_max ? "max" : "min");
        return val_int(ev, 0);
    }
    int best = 0;
    for (int k = 1; k < x.n; k++) {
        double v = x.base == TB_INT ? x.iv[k] : x.x[k], b = x.base == TB_INT ? x.iv[best] : x.x[best];
        if (want_max ? v > b : v < b) best = k;
    }
    if (x.base == TB_INT) return val_int(ev, x.iv[best]);
    Val r = val_real(ev, x.x[best]);
    if (x.id) { r.id = arena_alloc(&ev->arena, sizeof(int32_t)); r.id[0] = x.id[best]; }
    return r;
}
static Val b_max(Ev *ev, const Expr *e, Val *a, int n) { return extreme(ev, e, a, n, 1); }
static Val b_min(Ev *ev, const Expr *e, Val *a, int n) { return extreme(ev, e, a, n, 0); }

static Val b_log_sum_exp(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = val_to_real(ev, a[0]);
    if (x.n == 0) return val_real(ev, -INFINITY);
    double m = -INFINITY;
    for (int k = 0; k < x.n; k++) if (x.x[k] > m) m = x.x[k];
    if (!isfinite(m)) return val_real(ev, m);
    double s = 0;
    for (int k = 0; k < x.n; k++) s += exp(x.x[k] - m);
    double out = m + log(s);
    Val r = val_real(ev, out);
    if (x.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < x.n; k++) tape_push(ev, x.id[k], r.id[0], exp(x.x[k] - out));
    }
    return r;
}

static Val softmax_impl(Ev *ev, Val x, int log_out)
{
    x = val_to_real(ev, x);
    Val r = vec_of(ev, TK_VECTOR, x.n);
    double m = -INFINITY, s = 0;
    for (int k = 0; k < x.n; k++) if (x.x[k] > m) m = x.x[k];
    for (int k = 0; k < x.n; k++) s += exp(x.x[k] - m);
    double lse = m + log(s);
    for (int k = 0; k < x.n; k++) r.x[k] = log_out ? x.x[k] - lse : exp(x.x[k] - lse);
    if (x.id) {
        val_set_ids(ev, &r);
        for (int i = 0; i < x.n; i++)
            for (int j = 0; j < x.n; j++) {
                double pj = exp(x.x[j] - lse);
                double d = log_out ? (i == j) - pj : r.x[i] * ((i == j) - pj);
                tape_push(ev, x.id[j], r.id[i], d);
            }
    }
    return r;
}
static Val b_softmax(Ev *ev, const Expr *e, Val *a, int n) { return softmax_impl(ev, a[0], 0); }
static Val b_log_softmax(Ev *ev, const Expr *e, Val *a, int n) { return softmax_impl(ev, a[0], 1); }

static Val b_dot_product(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = val_to_real(ev, a[0]), y = val_to_real(ev, a[n > 1 ? 1 : 0]);
    if (x.n != y.n) { ev_error(ev, e->span, "dot_product: sizes %d and %d differ", x.n, y.n); return NANV; }
    double s = 0;
    for (int k = 0; k < x.n; k++) s += x.x[k] * y.x[k];
    Val r = val_real(ev, s);
    if (x.id || y.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < x.n; k++) {
            if (x.id) tape_push(ev, x.id[k], r.id[0], n > 1 ? y.x[k] : 2 * x.x[k]);
            if (y.id && n > 1) tape_push(ev, y.id[k], r.id[0], x.x[k]);
        }
    }
    return r;
}

static Val b_rows(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    return val_int(ev, x.kind == TK_ROWVEC ? 1 : x.ndim ? x.dims[x.narr] : 1);
}
static Val b_cols(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    return val_int(ev, x.kind == TK_VECTOR ? 1 : x.kind == TK_ROWVEC ? x.dims[x.narr] : x.kind == TK_MATRIX ? x.dims[x.narr + 1] : 1);
}
/* Stan: an array's first dimension, the number of elements of a vector, row vector or
 * matrix (rows * cols), 1 for a scalar. */
static Val b_size(Ev *ev, const Expr *e, Val *a, int n)
{
    const Val *x = &a[0];
    return val_int(ev, x->narr ? x->dims[0] : x->ndim ? x->n : 1);
}
static Val b_num_elements(Ev *ev, const Expr *e, Val *a, int n) { return val_int(ev, a[0].n); }

static Val rep_impl(Ev *ev, int kind, Val x, int r, int c)
{
    if (r < 0 || c < 0) { r = r < 0 ? 0 : r; c = c < 0 ? 0 : c; }
    int dims[2] = {r, c};
    Val v = val_alloc(ev, TB_REAL, kind, 0, dims);
    x = val_to_real(ev, x);
    for (int k = 0; k < v.n; k++) v.x[k] = x.x[0];
    link_each(ev, &v, &x, NULL, NULL);
    return v;
}
static Val b_rep_vector(Ev *ev, const Expr *e, Val *a, int n) { return rep_impl(ev, TK_VECTOR, a[0], a[1].iv[0], 1); }
static Val b_rep_row_vector(Ev *ev, const Expr *e, Val *a, int n) { return rep_impl(ev, TK_ROWVEC, a[0], a[1].iv[0], 1); }
static Val b_rep_matrix(Ev *ev, const Expr *e, Val *a, int n)
{
    if (n == 3) return rep_impl(ev, TK_MATRIX, a[0], a[1].iv[0], a[2].iv[0]);
    /* rep_matrix(vector v, int n): n columns of v; rep_matrix(row_vector, int m): m rows */
    Val x = val_to_real(ev, a[0]);
    int k = a[1].iv[0], len = x.n;
    int col = x.kind == TK_VECTOR;
    int dims[2] = {col ? len : k, col ? k : len};
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    int *map = arena_alloc(&ev->arena, sizeof(int) * (size_t)(v.n ? v.n : 1));
    for (int i = 0; i < dims[0]; i++)
        for (int j = 0; j < dims[1]; j++) {
            int src = col ? i : j;
            v.x[i + j * dims[0]] = x.x[src];
            map[i + j * dims[0]] = src;
        }
    link_each(ev, &v, &x, map, NULL);
    return v;
}

static Val b_rep_array(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    int dims[VM_MAXDIM], nd = 0;
    for (int i = 1; i < n; i++) dims[nd++] = a[i].iv[0] < 0 ? 0 : a[i].iv[0];
    for (int d = 0; d < x.ndim; d++) dims[nd + d] = x.dims[d];
    Val v = val_alloc(ev, x.base, x.kind, nd + x.narr, dims);
    int m = x.n;
    int *map = arena_alloc(&ev->arena, sizeof(int) * (size_t)(v.n ? v.n : 1));
    for (int k = 0; k < v.n; k++) {
        if (x.base == TB_INT) v.iv[k] = x.iv[k % m];
        else v.x[k] = x.x[k % m];
        map[k] = k % m;
    }
    if (x.base == TB_REAL) link_each(ev, &v, &x, map, NULL);
    return v;
}

/* Reinterpret in column-major order (to_vector of a matrix stacks its columns). */
static Val to_kind(Ev *ev, Val x, int kind)
{
    x = val_to_real(ev, x);
    int dims[1] = {x.n};
    /* a 1-d real array is an array of scalars: one array dimension, not a vector's */
    Val v = val_alloc(ev, TB_REAL, kind, kind == TK_SCALAR, dims);
    int c[VM_MAXDIM] = {0};
    if (x.id) v.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(x.n ? x.n : 1));
    if (x.narr == 0 || (x.ndim == 1 && x.kind == TK_SCALAR)) {
        /* a vector, a matrix (column-major), a 1-d array: stored in the order read */
        memcpy(v.x, x.x, sizeof(double) * (size_t)x.n);
        if (x.id) memcpy(v.id, x.id, sizeof(int32_t) * (size_t)x.n);
        return v;
    }
    for (int t = 0; t < x.n; t++) {
        long o = val_offset(&x, c);
        v.x[t] = x.x[o];
        if (x.id) v.id[t] = x.id[o];
        for (int d = 0; d < x.ndim; d++) { if (++c[d] < x.dims[d]) break; c[d] = 0; }
    }
    return v;
}
static Val b_to_vector(Ev *ev, const Expr *e, Val *a, int n) { return to_kind(ev, a[0], TK_VECTOR); }
static Val b_to_row_vector(Ev *ev, const Expr *e, Val *a, int n) { return to_kind(ev, a[0], TK_ROWVEC); }
static Val b_to_array_1d(Ev *ev, const Expr *e, Val *a, int n)
{
    if (a[0].base == TB_INT) {
        Val x = a[0];
        int dims[1] = {x.n};
        Val v = val_alloc(ev, TB_INT, TK_SCALAR, 1, dims);
        memcpy(v.iv, x.iv, sizeof(int) * (size_t)x.n);
        return v;
    }
    return to_kind(ev, a[0], TK_SCALAR);
}

static Val slice_impl(Ev *ev, const Expr *e, Val x, int start, int len)
{
    int total = x.ndim ? x.dims[0] : 0;
    if (len < 0 || start < 0 || start + len > total) {
        ev_error(ev, e->span, "%s: range %d..%d out of bounds for size %d", e->name, start + 1, start + len, total);
        return NANV;
    }
    /* a copy, not a view: `v[2:3] = head(v, 2)` must read v before it is written */
    int inner = x.dims[0] ? x.n / x.dims[0] : 0, dims[VM_MAXDIM];
    memcpy(dims, x.dims, sizeof dims);
    dims[0] = len;
    Val v = val_alloc(ev, x.base, x.kind, x.narr, dims);
    size_t off = (size_t)start * inner, cnt = (size_t)len * inner;
    if (x.base == TB_INT) { memcpy(v.iv, x.iv + off, sizeof(int) * cnt); return v; }
    memcpy(v.x, x.x + off, sizeof(double) * cnt);
    if (x.id) {
        v.id = arena_alloc(&ev->arena, sizeof(int32_t) * (cnt ? cnt : 1));
        memcpy(v.id, x.id + off, sizeof(int32_t) * cnt);
    }
    return v;
}
static Val b_head(Ev *ev, const Expr *e, Val *a, int n) { return slice_impl(ev, e, a[0], 0, a[1].iv[0]); }
static Val b_tail(Ev *ev, const Expr *e, Val *a, int n) { int t = a[0].ndim ? a[0].dims[0] : 0; return slice_impl(ev, e, a[0], t - a[1].iv[0], a[1].iv[0]); }
static Val b_segment(Ev *ev, const Expr *e, Val *a, int n) { return slice_impl(ev, e, a[0], a[1].iv[0] - 1, a[2].iv[0]); }

static Val b_cumulative_sum(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    if (x.base == TB_INT) {
        Val v = val_alloc(ev, TB_INT, x.kind, x.narr, x.dims);
        int s = 0;
        for (int k = 0; k < x.n; k++) {
            if (__builtin_add_overflow(s, x.iv[k], &s)) { ev_error(ev, e->span, "cumulative_sum: integer overflow"); return v; }
            v.iv[k] = s;
        }
        return v;
    }
    Val v = val_alloc(ev, TB_REAL, x.kind, x.narr, x.dims);
    double s = 0;
    for (int k = 0; k < x.n; k++) { s += x.x[k]; v.x[k] = s; }
    if (x.id) {
        val_set_ids(ev, &v);
        /* out[k] = out[k-1] + x[k]: two triples per element, not k */
        for (int k = 0; k < x.n; k++) {
            tape_push(ev, x.id[k], v.id[k], 1);
            if (k) tape_push(ev, v.id[k - 1], v.id[k], 1);
        }
    }
    return v;
}

static Val append(Ev *ev, const Expr *e, Val a, Val b, int rows)
{
    a = val_to_real(ev, a);
    b = val_to_real(ev, b);
    int ar = a.kind == TK_ROWVEC ? 1 : a.ndim ? a.dims[0] : 1, ac = a.kind == TK_MATRIX ? a.dims[1] : a.kind == TK_ROWVEC ? a.dims[0] : 1;
    int br = b.kind == TK_ROWVEC ? 1 : b.ndim ? b.dims[0] : 1, bc = b.kind == TK_MATRIX ? b.dims[1] : b.kind == TK_ROWVEC ? b.dims[0] : 1;
    if (rows ? ac != bc : ar != br) { ev_error(ev, e->span, "%s: sizes do not match", e->name); return NANV; }
    int R = rows ? ar + br : ar, C = rows ? ac : ac + bc;
    int dims[2] = {R, C};
    Val v;
    if (e->ty.kind == TK_MATRIX) v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    else { dims[0] = rows ? R : C; v = val_alloc(ev, TB_REAL, e->ty.kind, 0, dims); }
    int any = a.id || b.id;
    if (any) {
        v.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v.n ? v.n : 1));
        if (!a.id) val_set_ids(ev, &a);
        if (!b.id) val_set_ids(ev, &b);
    }
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++) {
            int ina = rows ? i < ar : j < ac;
            const Val *s = ina ? &a : &b;
            int si = rows && !ina ? i - ar : i, sj = !rows && !ina ? j - ac : j;
            int sr = ina ? ar : br;
            long so = si + (long)sj * sr;
            v.x[i + (long)j * R] = s->x[so];
            if (any) v.id[i + (long)j * R] = s->id[so];
        }
    return v;
}
static Val b_append_row(Ev *ev, const Expr *e, Val *a, int n) { return append(ev, e, a[0], a[1], 1); }
static Val b_append_col(Ev *ev, const Expr *e, Val *a, int n) { return append(ev, e, a[0], a[1], 0); }

static Val b_diag_matrix(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = val_to_real(ev, a[0]);
    int dims[2] = {x.n, x.n};
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    memset(v.x, 0, sizeof(double) * (size_t)v.n);
    for (int k = 0; k < x.n; k++) v.x[k + (long)k * x.n] = x.x[k];
    if (x.id) {
        val_set_ids(ev, &v);
        for (int k = 0; k < x.n; k++) tape_push(ev, x.id[k], v.id[k + (long)k * x.n], 1);
    }
    return v;
}

static Val b_diagonal(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    int R = x.dims[0], C = x.dims[1], m = R < C ? R : C;
    Val v = vec_of(ev, TK_VECTOR, m);
    if (x.id) v.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(m ? m : 1));
    for (int k = 0; k < m; k++) { v.x[k] = x.x[k + (long)k * R]; if (x.id) v.id[k] = x.id[k + (long)k * R]; }
    return v;
}

static Val b_linspaced_vector(Ev *ev, const Expr *e, Val *a, int n)
{
    int k = a[0].iv[0];
    Val lo = val_to_real(ev, a[1]), hi = val_to_real(ev, a[2]);
    Val v = vec_of(ev, TK_VECTOR, k < 0 ? 0 : k);
    for (int i = 0; i < v.n; i++) v.x[i] = k == 1 ? hi.x[0] : lo.x[0] + (hi.x[0] - lo.x[0]) * i / (k - 1);
    if (lo.id || hi.id) {              /* v[i] = (1 - t) lo + t hi, t = i / (k - 1) */
        val_set_ids(ev, &v);
        for (int i = 0; i < v.n; i++) {
            double t = k == 1 ? 1 : (double)i / (k - 1);
            if (lo.id) tape_push(ev, lo.id[0], v.id[i], 1 - t);
            if (hi.id) tape_push(ev, hi.id[0], v.id[i], t);
        }
    }
    return v;
}

static Val b_one_hot_vector(Ev *ev, const Expr *e, Val *a, int n)
{
    int k = a[0].iv[0], i = a[1].iv[0];
    if (k < 1 || i < 1 || i > k) { ev_error(ev, e->span, "one_hot_vector: index %d out of 1..%d", i, k); return NANV; }
    Val v = vec_of(ev, TK_VECTOR, k);
    for (int j = 0; j < k; j++) v.x[j] = j == i - 1;
    return v;
}

/* Squared-exponential covariance, Stan's gp_exp_quad_cov:
 *   K[i,j] = alpha^2 exp(-|x1_i - x2_j|^2 / (2 rho^2)),
 * points given as reals (array[] real) or vectors (array[] vector, squared Euclidean
 * distance), x2 = x1 without a second set.  Partials: 2K/alpha, K |d|^2 / rho^3, and
 * -/+ K d / rho^2 for the coordinates of x1_i and x2_j.
 *
 * alpha and rho feed every entry, so their partials are one callback (two sums over
 * the entries' adjoints) rather than two triples per entry; the points, usually data,
 * add triples only when they are parameters. */
typedef struct GpNode { int n; const double *K, *r2; int32_t kbase, aid, rid; double A, L; } GpNode;

static void gp_back(Ev *ev, void *p)
{
    const GpNode *g = p;
    const double *ka = ev->adj + g->kbase;
    double sa = 0, sr = 0;
    for (int o = 0; o < g->n; o++) {
        double w = ka[o] * g->K[o];
        sa += w;
        sr += w * g->r2[o];
    }
    if (g->aid >= 0) ev->adj[g->aid] += 2 * sa / g->A;
    if (g->rid >= 0) ev->adj[g->rid] += sr / (g->L * g->L * g->L);
}

/* Squared distances between the points, column-major N1 x N2; K(x, x) computes one
 * triangle (a difference and its negation square to the same double). */
static void gp_sqdist(const double *x1, const double *x2, int N1, int N2, int D, int sym, double *r2)
{
    for (int j = 0; j < N2; j++)
        for (int i = sym ? j : 0; i < N1; i++) {
            const double *p = x1 + (long)i * D, *q = x2 + (long)j * D;
            double s = 0;
            for (int d = 0; d < D; d++) s += (p[d] - q[d]) * (p[d] - q[d]);
            r2[i + (long)j * N1] = s;
            if (sym) r2[j + (long)i * N1] = s;
        }
}

/* Coordinates of parameter points: -/+ K d / rho^2 per entry and coordinate. */
static void gp_point_partials(Ev *ev, const Val *x1, const Val *x2, const Val *v, int N1, int N2, int D, double L)
{
    for (int j = 0; j < N2; j++)
        for (int i = 0; i < N1; i++) {
            const double *p = x1->x + (long)i * D, *q = x2->x + (long)j * D;
            long o = i + (long)j * N1;
            for (int d = 0; d < D; d++) {
                double g = -v->x[o] * (p[d] - q[d]) / (L * L);
                if (g == 0) continue;          /* the diagonal of K(x, x) */
                if (x1->id) tape_push(ev, x1->id[(long)i * D + d], v->id[o], g);
                if (x2->id) tape_push(ev, x2->id[(long)j * D + d], v->id[o], -g);
            }
        }
}

static Val b_gp_exp_quad_cov(Ev *ev, const Expr *e, Val *a, int n)
{
    int cross = n == 4;
    Val x1 = val_to_real(ev, a[0]), x2 = cross ? val_to_real(ev, a[1]) : x1;
    Val al = val_to_real(ev, a[n - 2]), rho = val_to_real(ev, a[n - 1]);
    int N1 = x1.ndim ? x1.dims[0] : 0, N2 = x2.ndim ? x2.dims[0] : 0;
    int D = N1 ? x1.n / N1 : N2 ? x2.n / N2 : 1, D2 = N2 ? x2.n / N2 : D;
    if (D != D2) { ev_error(ev, e->span, "gp_exp_quad_cov: points of dimension %d and %d", D, D2); return NANV; }
    double A = al.x[0], L = rho.x[0];
    if (!(A > 0) || !(L > 0)) { ev_error(ev, e->span, "gp_exp_quad_cov: %s is %g, but must be positive", A > 0 ? "rho" : "alpha", A > 0 ? L : A); return NANV; }
    int dims[2] = {N1, N2};
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    size_t nn = (size_t)v.n ? (size_t)v.n : 1;
    double *r2 = arena_alloc(&ev->arena, sizeof(double) * nn);
    gp_sqdist(x1.x, x2.x, N1, N2, D, !cross, r2);
    double A2 = A * A, c = -1 / (2 * L * L);
    for (int j = 0; j < N2; j++)
        for (int i = cross ? 0 : j; i < N1; i++) {
            long o = i + (long)j * N1, up = o - 1 - N1;
            double k;
            if (i == j && !cross) k = A2;
            /* the same squared distance as the entry up and to the left gives the same
             * double: on a regular grid K is Toeplitz and only its first column needs exp */
            else if (i && j && r2[o] == r2[up]) k = v.x[up];
            else k = A2 * exp(r2[o] * c);
            v.x[o] = k;
            if (!cross) v.x[j + (long)i * N1] = k;
        }
    if (!(x1.id || x2.id || al.id || rho.id)) return v;
    val_set_ids(ev, &v);
    if (al.id || rho.id) {
        GpNode *g = arena_alloc(&ev->arena, sizeof *g);
        double *K = arena_alloc(&ev->arena, sizeof(double) * nn);
        memcpy(K, v.x, sizeof(double) * (size_t)v.n);       /* v may be assigned into later */
        *g = (GpNode){v.n, K, r2, v.id[0], al.id ? al.id[0] : -1, rho.id ? rho.id[0] : -1, A, L};
        tape_callback(ev, gp_back, g);
    }
    if (x1.id || x2.id) gp_point_partials(ev, &x1, &x2, &v, N1, N2, D, L);
    return v;
}

/* Cholesky factor L of a symmetric positive-definite matrix.  The reverse pass is
 * the exact reverse of the forward loop below: columns from the last, off-diagonal
 * entries before the diagonal one that divides them.  Both passes work on row-major
 * copies (R[i*N + k] = L[i,k]) so that every inner loop, a sum over k < j along two
 * rows, reads contiguous memory; the node keeps its own copy, as L may be assigned
 * into later. */
typedef struct CholNode { int N; const double *R; const int32_t *aid; int32_t lbase; double *F; } CholNode;

/* F (row-major, lower triangle) from L's adjoint to A's, in place. */
static void chol_adjoint(int N, const double *R, double *F)
{
    for (int j = N - 1; j >= 0; j--) {
        const double *restrict rj = R + (long)j * N;
        double *restrict fj = F + (long)j * N;
        double d = rj[j];
        for (int i = N - 1; i > j; i--) {
            const double *restrict ri = R + (long)i * N;
            double *restrict fi = F + (long)i * N;
            double tb = fi[j] / d;                 /* adjoint of t = A[i,j] - sum_k L[i,k] L[j,k] */
            fj[j] -= tb * ri[j];
            for (int k = 0; k < j; k++) {
                fi[k] -= tb * rj[k];
                fj[k] -= tb * ri[k];
            }
            fi[j] = tb;                            /* now dA[i,j] */
        }
        double sb = fj[j] / (2 * d);               /* adjoint of s = A[j,j] - sum_k L[j,k]^2 */
        for (int k = 0; k < j; k++) fj[k] -= 2 * sb * rj[k];
        fj[j] = sb;
    }
}

static void chol_back(Ev *ev, void *p)
{
    CholNode *c = p;
    int N = c->N;
    double *F = c->F, *adj = ev->adj;
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++) F[(long)i * N + j] = adj[c->lbase + i + (long)j * N];
    chol_adjoint(N, c->R, F);
    /* the forward read only the lower triangle; share off-diagonals with the upper
     * one so a symmetric perturbation sees the same derivative */
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++) {
            double g = 0.5 * F[(long)i * N + j];
            adj[c->aid[i + (long)j * N]] += g;
            adj[c->aid[j + (long)i * N]] += g;
        }
        adj[c->aid[i + (long)i * N]] += F[(long)i * N + i];
    }
}

/* s - sum_k a[k] b[k], subtracting in order k = 0.. */
static double chol_minus_dot(double s, const double *restrict a, const double *restrict b, int n)
{
    for (int k = 0; k < n; k++) s -= a[k] * b[k];
    return s;
}

/* The factor of A (column-major) as R (row-major) and L (column-major, written as
 * it goes: a transposing copy afterwards costs as much as a third of the
 * factorisation); 0, or 1 if A is not positive definite.  The subtraction order is
 * the textbook one: near-singular covariances (a GP with a long length scale and a
 * tiny jitter) are sensitive to it. */
static int chol_factor(int N, const double *A, double *R, double *L)
{
    for (int j = 0; j < N; j++) {
        double *rj = R + (long)j * N, *lj = L + (long)j * N;
        double s = chol_minus_dot(A[j + (long)j * N], rj, rj, j);
        if (!(s > 0)) return 1;
        double d = sqrt(s);
        for (int i = 0; i < j; i++) lj[i] = 0;
        rj[j] = lj[j] = d;
        for (int i = j + 1; i < N; i++) {
            double *ri = R + (long)i * N;
            ri[j] = lj[i] = chol_minus_dot(A[i + (long)j * N], ri, rj, j) / d;
        }
    }
    return 0;
}

static Val b_cholesky_decompose(Ev *ev, const Expr *e, Val *a, int n)
{
    Val A = val_to_real(ev, a[0]);
    int N = A.dims[0];
    if (A.dims[1] != N) { ev_error(ev, e->span, "cholesky_decompose: the matrix is %dx%d, not square", N, A.dims[1]); return NANV; }
    for (int j = 0; j < N; j++)
        for (int i = j + 1; i < N; i++)
            if (fabs(A.x[i + (long)j * N] - A.x[j + (long)i * N]) > 1e-8 * (fabs(A.x[i + (long)j * N]) + 1)) {
                ev_error(ev, e->span, "cholesky_decompose: the matrix is not symmetric (element [%d,%d])", i + 1, j + 1);
                return NANV;
            }
    int dims[2] = {N, N};
    Val L = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    size_t nn = (size_t)(N > 0 ? N * N : 1);
    double *R = arena_alloc(&ev->arena, sizeof(double) * nn);
    if (chol_factor(N, A.x, R, L.x)) { ev_error(ev, e->span, "cholesky_decompose: the matrix is not positive definite"); return NANV; }
    if (A.id) {
        val_set_ids(ev, &L);
        CholNode *c = arena_alloc(&ev->arena, sizeof *c);
        *c = (CholNode){N, R, A.id, L.id[0], arena_alloc(&ev->arena, sizeof(double) * nn)};
        tape_callback(ev, chol_back, c);
    }
    return L;
}

static Val b_dot_self(Ev *ev, const Expr *e, Val *a, int n) { return b_dot_product(ev, e, a, 1); }

/* diag(d) * M (pre) or M * diag(d) (post): element (i, j) scaled by d[i] or d[j] */
static Val diag_multiply(Ev *ev, const Expr *e, Val d, Val M, int pre)
{
    int R = M.dims[0], C = M.dims[1], want = pre ? R : C;
    if (d.n != want) {
        ev_error(ev, e->span, "diag_%s_multiply: %d diagonal elements for %d %s", pre ? "pre" : "post", d.n, want,
                 pre ? "rows" : "columns");
        return NANV;
    }
    int dims[2] = {R, C};
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++) v.x[i + (long)j * R] = d.x[pre ? i : j] * M.x[i + (long)j * R];
    if (d.id || M.id) {
        val_set_ids(ev, &v);
        for (int j = 0; j < C; j++)
            for (int i = 0; i < R; i++) {
                long o = i + (long)j * R;
                int k = pre ? i : j;
                if (d.id) tape_push(ev, d.id[k], v.id[o], M.x[o]);
                if (M.id) tape_push(ev, M.id[o], v.id[o], d.x[k]);
            }
    }
    return v;
}

static Val b_diag_pre_multiply(Ev *ev, const Expr *e, Val *a, int n)
{
    return diag_multiply(ev, e, val_to_real(ev, a[0]), val_to_real(ev, a[1]), 1);
}

static Val b_diag_post_multiply(Ev *ev, const Expr *e, Val *a, int n)
{
    return diag_multiply(ev, e, val_to_real(ev, a[1]), val_to_real(ev, a[0]), 0);
}

static Val b_multiply_lower_tri_self_transpose(Ev *ev, const Expr *e, Val *a, int n)
{
    Val L = val_to_real(ev, a[0]);
    int R = L.dims[0], C = L.dims[1];
    /* zero the strict upper triangle, then L * L' */
    int dims[2] = {R, C};
    Val T = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    if (L.id) T.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(T.n ? T.n : 1));
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++) {
            long o = i + (long)j * R;
            T.x[o] = i >= j ? L.x[o] : 0;
            if (L.id) T.id[o] = L.id[o];
        }
    if (L.id) {                        /* the zeroed entries must not carry gradient */
        int32_t z = tape_vars(ev, 1);
        for (int j = 0; j < C; j++) for (int i = 0; i < j && i < R; i++) T.id[i + (long)j * R] = z;
    }
    Val Tt = op_transpose(ev, T);
    Expr tmp = *e;
    tmp.ty = (Ty){TB_REAL, TK_MATRIX, 0};
    return op_matmul(ev, &tmp, T, Tt);
}

static Val b_crossprod(Ev *ev, const Expr *e, Val *a, int n)
{
    Val M = val_to_real(ev, a[0]);
    Expr tmp = *e;
    tmp.ty = (Ty){TB_REAL, TK_MATRIX, 0};
    return op_matmul(ev, &tmp, op_transpose(ev, M), M);
}

static Val b_tcrossprod(Ev *ev, const Expr *e, Val *a, int n)
{
    Val M = val_to_real(ev, a[0]);
    Expr tmp = *e;
    tmp.ty = (Ty){TB_REAL, TK_MATRIX, 0};
    return op_matmul(ev, &tmp, M, op_transpose(ev, M));
}

static Val b_quad_form(Ev *ev, const Expr *e, Val *a, int n)
{
    Val A = val_to_real(ev, a[0]), B = val_to_real(ev, a[1]);
    Expr tmp = *e;
    if (B.kind == TK_VECTOR) {
        tmp.ty = (Ty){TB_REAL, TK_VECTOR, 0};
        Val Ab = op_matmul(ev, &tmp, A, B);
        tmp.ty = (Ty){TB_REAL, TK_SCALAR, 0};
        return op_matmul(ev, &tmp, op_transpose(ev, B), Ab);
    }
    tmp.ty = (Ty){TB_REAL, TK_MATRIX, 0};
    return op_matmul(ev, &tmp, op_transpose(ev, B), op_matmul(ev, &tmp, A, B));
}

/* Solve L x = b by forward substitution, reverse pass by triples. */
static Val b_mdivide_left_tri_low(Ev *ev, const Expr *e, Val *a, int n)
{
    Val L = val_to_real(ev, a[0]), B = val_to_real(ev, a[1]);
    int N = L.dims[0];
    int C = B.kind == TK_VECTOR ? 1 : B.dims[1];
    if (L.dims[1] != N || B.dims[0] != N) { ev_error(ev, e->span, "mdivide_left_tri_low: sizes do not match"); return NANV; }
    Val X = val_alloc(ev, TB_REAL, B.kind, 0, B.dims);
    int any = L.id || B.id;
    if (any) val_set_ids(ev, &X);
    for (int c = 0; c < C; c++)
        for (int i = 0; i < N; i++) {
            double s = B.x[i + (long)c * N];
            for (int k = 0; k < i; k++) s -= L.x[i + (long)k * N] * X.x[k + (long)c * N];
            double d = L.x[i + (long)i * N];
            double xi = s / d;
            X.x[i + (long)c * N] = xi;
            if (!any) continue;
            int32_t out = X.id[i + (long)c * N];
            if (B.id) tape_push(ev, B.id[i + (long)c * N], out, 1 / d);
            for (int k = 0; k < i; k++) {
                tape_push(ev, X.id[k + (long)c * N], out, -L.x[i + (long)k * N] / d);
                if (L.id) tape_push(ev, L.id[i + (long)k * N], out, -X.x[k + (long)c * N] / d);
            }
            if (L.id) tape_push(ev, L.id[i + (long)i * N], out, -xi / d);
        }
    return X;
}

/* Solve x L = b (b * inverse(tri(L)), Stan's mdivide_right_tri_low) row by row: the
 * transpose of L' x' = b', so back substitution from the last column; only the lower
 * triangle of L is read.  Reverse pass by triples, as mdivide_left_tri_low. */
static Val b_mdivide_right_tri_low(Ev *ev, const Expr *e, Val *a, int n)
{
    Val B = val_to_real(ev, a[0]), L = val_to_real(ev, a[1]);
    int N = L.dims[0];
    int R = B.kind == TK_ROWVEC ? 1 : B.dims[0], C = B.kind == TK_ROWVEC ? B.dims[0] : B.dims[1];
    if (L.dims[1] != N || C != N) {
        ev_error(ev, e->span, "mdivide_right_tri_low: %d columns on the left for a %dx%d matrix", C, N, L.dims[1]);
        return NANV;
    }
    Val X = val_alloc(ev, TB_REAL, B.kind, 0, B.dims);
    int any = L.id || B.id;
    if (any) val_set_ids(ev, &X);
    for (int r = 0; r < R; r++)
        for (int j = N - 1; j >= 0; j--) {
            double s = B.x[r + (long)j * R];
            for (int k = j + 1; k < N; k++) s -= X.x[r + (long)k * R] * L.x[k + (long)j * N];
            double d = L.x[j + (long)j * N];
            double xj = s / d;
            X.x[r + (long)j * R] = xj;
            if (!any) continue;
            int32_t out = X.id[r + (long)j * R];
            if (B.id) tape_push(ev, B.id[r + (long)j * R], out, 1 / d);
            for (int k = j + 1; k < N; k++) {
                tape_push(ev, X.id[r + (long)k * R], out, -L.x[k + (long)j * N] / d);
                if (L.id) tape_push(ev, L.id[k + (long)j * N], out, -X.x[r + (long)k * R] / d);
            }
            if (L.id) tape_push(ev, L.id[j + (long)j * N], out, -xj / d);
        }
    return X;
}

/* det A (log_form 0) or log |det A| (log_form 1) of any square matrix, as Stan's
 * determinant and log_determinant, by LU with partial pivoting (GSL) on arena copies;
 * d det / dA = det A^-T and d log|det| / dA = A^-T.  GSL reads our column-major array
 * as the row-major A', which has the same determinant; its inverse is A^-T, row-major. */
static Val lu_determinant(Ev *ev, const Expr *e, Val *a, int log_form)
{
    const char *name = log_form ? "log_determinant" : "determinant";
    Val A = val_to_real(ev, a[0]);
    int N = A.dims[0];
    if (A.dims[1] != N) { ev_error(ev, e->span, "%s: the matrix is %dx%d, not square", name, N, A.dims[1]); return NANV; }
    if (N == 0) return val_real(ev, log_form ? 0 : 1);
    size_t nn = (size_t)N * (size_t)N;
    double *W = arena_alloc(&ev->arena, sizeof(double) * nn);
    memcpy(W, A.x, sizeof(double) * nn);
    gsl_matrix_view M = gsl_matrix_view_array(W, (size_t)N, (size_t)N);
    gsl_permutation p = {(size_t)N, arena_alloc(&ev->arena, sizeof(size_t) * (size_t)N)};
    int sgn;
    gsl_linalg_LU_decomp(&M.matrix, &p, &sgn);
    double val = log_form ? gsl_linalg_LU_lndet(&M.matrix) : gsl_linalg_LU_det(&M.matrix, sgn);
    if (log_form && !(val > -INFINITY) && !isnan(val)) {
        ev_error(ev, e->span, "log_determinant: the matrix is singular");
        return NANV;
    }
    Val r = val_real(ev, val);
    if (!A.id) return r;
    if (!log_form && val == 0) {       /* the adjugate would be needed; not worth it here */
        val_set_ids(ev, &r);
        ev_error(ev, e->span, "determinant: the matrix is singular (no derivative)");
        return NANV;
    }
    double *Inv = arena_alloc(&ev->arena, sizeof(double) * nn);
    gsl_matrix_view I = gsl_matrix_view_array(Inv, (size_t)N, (size_t)N);
    if (gsl_linalg_LU_invert(&M.matrix, &p, &I.matrix) && log_form) {
        ev_error(ev, e->span, "log_determinant: the matrix is singular");
        return NANV;
    }
    val_set_ids(ev, &r);
    double scale = log_form ? 1 : val;
    for (int l = 0; l < N; l++)        /* A[k,l] (column-major k + l N) gets A^-T[k,l] = row-major Inv[k N + l] */
        for (int k = 0; k < N; k++) tape_push(ev, A.id[k + (long)l * N], r.id[0], scale * Inv[(long)k * N + l]);
    return r;
}

static Val b_log_determinant(Ev *ev, const Expr *e, Val *a, int n) { return lu_determinant(ev, e, a, 1); }
static Val b_determinant(Ev *ev, const Expr *e, Val *a, int n) { return lu_determinant(ev, e, a, 0); }

/* Sums of the element-wise product A .* B along columns (a row vector, one entry per
 * column) or along rows (a vector, one entry per row). */
static Val dot_products(Ev *ev, const Expr *e, Val *a, int by_column)
{
    Val A = val_to_real(ev, a[0]), B = val_to_real(ev, a[1]);
    Expr tmp = *e;
    tmp.op = OP_EMUL;
    tmp.ty = (Ty){TB_REAL, A.kind, 0};
    Val P = op_binary(ev, &tmp, OP_EMUL, A, B);
    if (ev->fail) return NANV;
    int R = P.kind == TK_ROWVEC ? 1 : P.dims[0], C = P.kind == TK_MATRIX ? P.dims[1] : P.kind == TK_ROWVEC ? P.dims[0] : 1;
    Val v = by_column ? vec_of(ev, TK_ROWVEC, C) : vec_of(ev, TK_VECTOR, R);
    if (P.id) val_set_ids(ev, &v);
    for (int k = 0; k < v.n; k++) v.x[k] = 0;
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++) {
            int k = by_column ? j : i;
            v.x[k] += P.x[i + (long)j * R];
            if (P.id) tape_push(ev, P.id[i + (long)j * R], v.id[k], 1);
        }
    return v;
}

static Val b_columns_dot_product(Ev *ev, const Expr *e, Val *a, int n) { return dot_products(ev, e, a, 1); }
static Val b_rows_dot_product(Ev *ev, const Expr *e, Val *a, int n) { return dot_products(ev, e, a, 0); }

static Val b_inverse(Ev *ev, const Expr *e, Val *a, int n)
{
    /* Gauss-Jordan on a copy; reverse pass dA = -A^-T dX A^-T as triples */
    Val A = val_to_real(ev, a[0]);
    int N = A.dims[0];
    if (A.dims[1] != N) { ev_error(ev, e->span, "inverse: the matrix is not square"); return NANV; }
    int dims[2] = {N, N};
    Val X = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    double *W = arena_alloc(&ev->arena, sizeof(double) * (size_t)(N > 0 ? N * N : 1));
    memcpy(W, A.x, sizeof(double) * (size_t)(N * N));
    for (int i = 0; i < N * N; i++) X.x[i] = 0;
    for (int i = 0; i < N; i++) X.x[i + (long)i * N] = 1;
    for (int c = 0; c < N; c++) {
        int p = c;
        for (int r = c + 1; r < N; r++) if (fabs(W[r + (long)c * N]) > fabs(W[p + (long)c * N])) p = r;
        if (W[p + (long)c * N] == 0) { ev_error(ev, e->span, "inverse: the matrix is singular"); return NANV; }
        for (int k = 0; k < N; k++) {
            double t = W[c + (long)k * N]; W[c + (long)k * N] = W[p + (long)k * N]; W[p + (long)k * N] = t;
            t = X.x[c + (long)k * N]; X.x[c + (long)k * N] = X.x[p + (long)k * N]; X.x[p + (long)k * N] = t;
        }
        double d = W[c + (long)c * N];
        for (int k = 0; k < N; k++) { W[c + (long)k * N] /= d; X.x[c + (long)k * N] /= d; }
        for (int r = 0; r < N; r++) {
            if (r == c) continue;
            double f = W[r + (long)c * N];
            for (int k = 0; k < N; k++) { W[r + (long)k * N] -= f * W[c + (long)k * N]; X.x[r + (long)k * N] -= f * X.x[c + (long)k * N]; }
        }
    }
    if (A.id) {
        val_set_ids(ev, &X);
        /* dX[i,j]/dA[k,l] = -Xinv[i,k] Xinv[l,j] */
        for (int j = 0; j < N; j++)
            for (int i = 0; i < N; i++)
                for (int l = 0; l < N; l++)
                    for (int k = 0; k < N; k++)
                        tape_push(ev, A.id[k + (long)l * N], X.id[i + (long)j * N], -X.x[i + (long)k * N] * X.x[l + (long)j * N]);
    }
    return X;
}

/* ---- selections: out[k] = x[map[k]], values and tape ids (no new node) ---- */

static Val gather(Ev *ev, Val x, int kind, int narr, const int *dims, const int *map)
{
    Val v = val_alloc(ev, x.base, kind, narr, dims);
    if (x.base == TB_INT) {
        for (int k = 0; k < v.n; k++) v.iv[k] = x.iv[map[k]];
        return v;
    }
    for (int k = 0; k < v.n; k++) v.x[k] = x.x[map[k]];
    if (x.id) {
        v.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v.n ? v.n : 1));
        for (int k = 0; k < v.n; k++) v.id[k] = x.id[map[k]];
    }
    return v;
}

static int *map_of(Ev *ev, int n) { return arena_alloc(&ev->arena, sizeof(int) * (size_t)(n ? n : 1)); }

static Val b_reverse(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = a[0];
    int *map = map_of(ev, x.n);
    for (int k = 0; k < x.n; k++) map[k] = x.n - 1 - k;
    return gather(ev, x, x.kind, x.narr, x.dims, map);
}

/* Stable bottom-up merge sort of the index map by value (n log n, arena scratch). */
static void sort_map(Ev *ev, const Val *x, int *map, int desc)
{
    int n = x->n, *tmp = map_of(ev, n);
#define VAL_AT(i) (x->base == TB_INT ? (double)x->iv[i] : x->x[i])
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                double a = VAL_AT(map[i]), b = VAL_AT(map[j]);
                tmp[k++] = (desc ? b > a : b < a) ? map[j++] : map[i++];
            }
            while (i < mid) tmp[k++] = map[i++];
            while (j < hi) tmp[k++] = map[j++];
        }
        memcpy(map, tmp, sizeof(int) * (size_t)n);
    }
#undef VAL_AT
}

static Val sort_impl(Ev *ev, const Expr *e, Val x, int desc)
{
    int *map = map_of(ev, x.n);
    for (int k = 0; k < x.n; k++) {
        map[k] = k;
        if (x.base == TB_REAL && isnan(x.x[k])) {
            ev_error(ev, e->span, "%s: element %d is nan", e->name, k + 1);
            return NANV;
        }
    }
    sort_map(ev, &x, map, desc);
    return gather(ev, x, x.kind, x.narr, x.dims, map);
}
static Val b_sort_asc(Ev *ev, const Expr *e, Val *a, int n) { return sort_impl(ev, e, a[0], 0); }
static Val b_sort_desc(Ev *ev, const Expr *e, Val *a, int n) { return sort_impl(ev, e, a[0], 1); }

/* to_matrix(x): a vector is a column, a row vector a row; to_matrix(x, m, n) fills an
 * m x n matrix in column-major order from x's elements in column-major order. */
static Val b_to_matrix(Ev *ev, const Expr *e, Val *a, int n)
{
    Val x = val_to_real(ev, a[0]);
    int R, C;
    if (n == 1) { R = x.kind == TK_ROWVEC ? 1 : x.dims[0]; C = x.kind == TK_MATRIX ? x.dims[1] : x.kind == TK_ROWVEC ? x.dims[0] : 1; }
    else { R = a[1].iv[0]; C = a[2].iv[0]; }
    if (R < 0 || C < 0 || (long)R * C != x.n) {
        ev_error(ev, e->span, "to_matrix: %d elements do not make a %dx%d matrix", x.n, R, C);
        return NANV;
    }
    int dims[2] = {R, C}, *map = map_of(ev, x.n);
    for (int k = 0; k < x.n; k++) map[k] = k;
    return gather(ev, x, TK_MATRIX, 0, dims, map);
}

/* block(m, i, j, nr, nc), sub_col(m, i, j, nr), sub_row(m, i, j, nc): 1-based corners. */
static Val block_impl(Ev *ev, const Expr *e, Val M, int i, int j, int nr, int nc, int kind)
{
    int R = M.dims[0], C = M.dims[1];
    if (i < 1 || j < 1 || nr < 0 || nc < 0 || i - 1 + nr > R || j - 1 + nc > C) {
        ev_error(ev, e->span, "%s: rows %d..%d, columns %d..%d out of range for a %dx%d matrix", e->name, i, i - 1 + nr, j,
                 j - 1 + nc, R, C);
        return NANV;
    }
    int dims[2] = {kind == TK_ROWVEC ? nc : nr, nc}, *map = map_of(ev, nr * nc);
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++) map[r + c * nr] = (i - 1 + r) + (j - 1 + c) * R;
    return gather(ev, M, kind, 0, dims, map);
}
static Val b_block(Ev *ev, const Expr *e, Val *a, int n)
{
    return block_impl(ev, e, val_to_real(ev, a[0]), a[1].iv[0], a[2].iv[0], a[3].iv[0], a[4].iv[0], TK_MATRIX);
}
static Val b_sub_col(Ev *ev, const Expr *e, Val *a, int n)
{
    return block_impl(ev, e, val_to_real(ev, a[0]), a[1].iv[0], a[2].iv[0], a[3].iv[0], 1, TK_VECTOR);
}
static Val b_sub_row(Ev *ev, const Expr *e, Val *a, int n)
{
    return block_impl(ev, e, val_to_real(ev, a[0]), a[1].iv[0], a[2].iv[0], 1, a[3].iv[0], TK_ROWVEC);
}
/* col(m, j), row(m, i): a whole column or row (Stan's; m[:, j] and m[i] are the same) */
static Val b_col(Ev *ev, const Expr *e, Val *a, int n)
{
    int j = a[1].iv[0], R = a[0].dims[0], C = a[0].dims[1];
    if (j < 1 || j > C) { ev_error(ev, e->span, "col: column %d out of range for a %dx%d matrix", j, R, C); return NANV; }
    return block_impl(ev, e, val_to_real(ev, a[0]), 1, j, R, 1, TK_VECTOR);
}
static Val b_row(Ev *ev, const Expr *e, Val *a, int n)
{
    int i = a[1].iv[0], R = a[0].dims[0], C = a[0].dims[1];
    if (i < 1 || i > R) { ev_error(ev, e->span, "row: row %d out of range for a %dx%d matrix", i, R, C); return NANV; }
    return block_impl(ev, e, val_to_real(ev, a[0]), i, 1, 1, C, TK_ROWVEC);
}

static Val b_dims(Ev *ev, const Expr *e, Val *a, int n)
{
    int d[1] = {a[0].ndim};
    Val v = val_alloc(ev, TB_INT, TK_SCALAR, 1, d);
    for (int k = 0; k < a[0].ndim; k++) v.iv[k] = a[0].dims[k];
    if (a[0].kind == TK_ROWVEC) {              /* Stan: a row vector's dims are {1, n} */
        d[0] = a[0].ndim + 1;
        Val w = val_alloc(ev, TB_INT, TK_SCALAR, 1, d);
        for (int k = 0; k < a[0].narr; k++) w.iv[k] = a[0].dims[k];
        w.iv[a[0].narr] = 1;
        w.iv[a[0].narr + 1] = a[0].dims[a[0].narr];
        return w;
    }
    return v;
}

/* add_diag(m, d): m with d (a scalar or one value per diagonal element) added. */
static Val b_add_diag(Ev *ev, const Expr *e, Val *a, int n)
{
    Val M = val_to_real(ev, a[0]), d = val_to_real(ev, a[1]);
    int R = M.dims[0], C = M.dims[1], K = R < C ? R : C;
    if (d.ndim && d.n != K) { ev_error(ev, e->span, "add_diag: %d values for a diagonal of %d", d.n, K); return NANV; }
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, M.dims);
    memcpy(v.x, M.x, sizeof(double) * (size_t)M.n);
    for (int k = 0; k < K; k++) v.x[k + (long)k * R] += d.x[d.ndim ? k : 0];
    if (M.id || d.id) {
        val_set_ids(ev, &v);
        for (int k = 0; k < v.n; k++) if (M.id) tape_push(ev, M.id[k], v.id[k], 1);
        if (d.id) for (int k = 0; k < K; k++) tape_push(ev, d.id[d.ndim ? k : 0], v.id[k + (long)k * R], 1);
    }
    return v;
}

static Val b_trace(Ev *ev, const Expr *e, Val *a, int n)
{
    Val M = val_to_real(ev, a[0]);
    int R = M.dims[0], C = M.dims[1], K = R < C ? R : C;
    double s = 0;
    for (int k = 0; k < K; k++) s += M.x[k + (long)k * R];
    Val r = val_real(ev, s);
    if (M.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < K; k++) tape_push(ev, M.id[k + (long)k * R], r.id[0], 1);
    }
    return r;
}

/* quad_form_diag(m, v) = diag(v) m diag(v): out[i,j] = v[i] m[i,j] v[j]. */
static Val b_quad_form_diag(Ev *ev, const Expr *e, Val *a, int n)
{
    Val M = val_to_real(ev, a[0]), d = val_to_real(ev, a[1]);
    int N = M.dims[0];
    if (M.dims[1] != N || d.n != N) { ev_error(ev, e->span, "quad_form_diag: a %dx%d matrix and %d values", N, M.dims[1], d.n); return NANV; }
    Val v = val_alloc(ev, TB_REAL, TK_MATRIX, 0, M.dims);
    if (M.id || d.id) val_set_ids(ev, &v);
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            long o = i + (long)j * N;
            v.x[o] = d.x[i] * M.x[o] * d.x[j];
            if (M.id) tape_push(ev, M.id[o], v.id[o], d.x[i] * d.x[j]);
            if (d.id) {                    /* i == j: d[i]^2 m[i,i], one partial 2 d[i] m[i,i] */
                tape_push(ev, d.id[i], v.id[o], M.x[o] * d.x[j]);
                tape_push(ev, d.id[j], v.id[o], d.x[i] * M.x[o]);
            }
        }
    return v;
}

/* squared_distance(x, y) = sum (x - y)^2 and distance = its square root (partial 0 at
 * distance 0, where it has none). */
static Val dist_impl(Ev *ev, const Expr *e, Val *a, int sq)
{
    Val x = val_to_real(ev, a[0]), y = val_to_real(ev, a[1]);
    if (x.n != y.n) { ev_error(ev, e->span, "%s: sizes %d and %d differ", e->name, x.n, y.n); return NANV; }
    double s = 0;
    for (int k = 0; k < x.n; k++) s += (x.x[k] - y.x[k]) * (x.x[k] - y.x[k]);
    double out = sq ? s : sqrt(s);
    Val r = val_real(ev, out);
    if (x.id || y.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < x.n; k++) {
            double g = 2 * (x.x[k] - y.x[k]);
            if (!sq) g = out > 0 ? g / (2 * out) : 0;
            if (x.id) tape_push(ev, x.id[k], r.id[0], g);
            if (y.id) tape_push(ev, y.id[k], r.id[0], -g);
        }
    }
    return r;
}
static Val b_squared_distance(Ev *ev, const Expr *e, Val *a, int n) { return dist_impl(ev, e, a, 1); }
static Val b_distance(Ev *ev, const Expr *e, Val *a, int n) { return dist_impl(ev, e, a, 0); }

/* Alphabetical (docs/functions.md follows this order); builtin_find scans. */
int builtin_is(const Expr *e, const char *name)
{
    return e->kind == E_CALL && e->fkind == FN_BUILTIN && strcmp(((const struct Builtin *)e->fn)->name, name) == 0;
}

int builtin_flattens(const Expr *e)
{
    return e->nargs == 1 && (builtin_is(e, "to_vector") || builtin_is(e, "to_row_vector") || builtin_is(e, "to_array_1d"));
}

const struct Builtin builtin_table[] = {
    {"add_diag", "m(m,r);m(m,v);m(m,w)", b_add_diag},
    {"append_col", "m(m,m);m(m,v);m(v,m);m(v,v);w(w,w);w(r,w);w(w,r)", b_append_col},
    {"append_row", "m(m,m);m(m,w);m(w,m);m(w,w);v(v,v);v(r,v);v(v,r)", b_append_row},
    {"block", "m(m,i,i,i,i)", b_block},
    {"cholesky_decompose", "m(m)", b_cholesky_decompose},
    {"col", "v(m,i)", b_col},
    {"cols", "i(v);i(w);i(m)", b_cols},
    {"columns_dot_product", "w(v,v);w(w,w);w(m,m)", b_columns_dot_product},
    {"crossprod", "m(m)", b_crossprod},
    {"cumulative_sum", "T(v);T(w);T(R);T(I)", b_cumulative_sum},
    {"determinant", "r(m)", b_determinant},
    {"diag_matrix", "m(v)", b_diag_matrix},
    {"diag_post_multiply", "m(m,v);m(m,w)", b_diag_post_multiply},
    {"diag_pre_multiply", "m(v,m);m(w,m)", b_diag_pre_multiply},
    {"diagonal", "v(m)", b_diagonal},
    {"dims", "I(a)", b_dims},
    {"distance", "r(v,v);r(w,w);r(v,w);r(w,v);r(r,r)", b_distance},
    {"dot_product", "r(s,s)", b_dot_product},
    {"dot_self", "r(s)", b_dot_self},
    {"eigenvalues_sym", "v(m)", b_eigenvalues_sym},
    {"gp_exp_quad_cov", "m(R,r,r);m(V,r,r);m(R,R,r,r);m(V,V,r,r)", b_gp_exp_quad_cov},
    {"head", "T(v,i);T(w,i);T(R,i);T(I,i);T(V,i)", b_head},
    {"identity_matrix", "m(i)", b_identity_matrix},
    {"inverse", "m(m)", b_inverse},
    {"linspaced_vector", "v(i,r,r)", b_linspaced_vector},
    {"log_determinant", "r(m)", b_log_determinant},
    {"log_softmax", "v(v)", b_log_softmax},
    {"log_sum_exp", "r(v);r(w);r(R);r(m)", b_log_sum_exp},
    {"matrix_exp", "m(m)", b_matrix_exp},
    {"matrix_power", "m(m,i)", b_matrix_power},
    {"max", "i(I);r(R);r(v);r(w);r(m);i(i,i);r(r,r)", b_max},
    {"mdivide_left_tri_low", "v(m,v);m(m,m)", b_mdivide_left_tri_low},
    {"mdivide_right_tri_low", "w(w,m);m(m,m)", b_mdivide_right_tri_low},
    {"mean", "r(R);r(v);r(w);r(m)", b_mean},
    {"min", "i(I);r(R);r(v);r(w);r(m);i(i,i);r(r,r)", b_min},
    {"multiply_lower_tri_self_transpose", "m(m)", b_multiply_lower_tri_self_transpose},
    {"num_elements", "i(a)", b_num_elements},
    {"one_hot_vector", "v(i,i)", b_one_hot_vector},
    {"prod", "i(I);r(R);r(v);r(w);r(m)", b_prod},
    {"quad_form", "r(m,v);m(m,m)", b_quad_form},
    {"quad_form_diag", "m(m,v);m(m,w)", b_quad_form_diag},
    {"quantile", "r(v,r);r(w,r);r(R,r)", b_quantile},
    {"rank", "i(R,i);i(I,i);i(v,i);i(w,i)", b_rank},
    {"rep_array", "A(a,i);A(a,i,i);A(a,i,i,i)", b_rep_array},
    {"rep_matrix", "m(r,i,i);m(v,i);m(w,i)", b_rep_matrix},
    {"rep_row_vector", "w(r,i)", b_rep_row_vector},
    {"rep_vector", "v(r,i)", b_rep_vector},
    {"reverse", "T(v);T(w);T(R);T(I)", b_reverse},
    {"row", "w(m,i)", b_row},
    {"rows", "i(v);i(w);i(m)", b_rows},
    {"rows_dot_product", "v(v,v);v(w,w);v(m,m)", b_rows_dot_product},
    {"sd", "r(R);r(v);r(w);r(m)", b_sd},
    {"segment", "T(v,i,i);T(w,i,i);T(R,i,i);T(I,i,i);T(V,i,i)", b_segment},
    {"singular_values", "v(m)", b_singular_values},
    {"size", "i(a)", b_size},
    {"softmax", "v(v)", b_softmax},
    {"sort_asc", "T(v);T(w);T(R);T(I)", b_sort_asc},
    {"sort_desc", "T(v);T(w);T(R);T(I)", b_sort_desc},
    {"sort_indices_asc", "I(v);I(w);I(R);I(I)", b_sort_indices_asc},
    {"sort_indices_desc", "I(v);I(w);I(R);I(I)", b_sort_indices_desc},
    {"squared_distance", "r(v,v);r(w,w);r(v,w);r(w,v);r(r,r)", b_squared_distance},
    {"sub_col", "v(m,i,i,i)", b_sub_col},
    {"sub_row", "w(m,i,i,i)", b_sub_row},
    {"sum", "i(I);r(R);r(v);r(w);r(m)", b_sum},
    {"tail", "T(v,i);T(w,i);T(R,i);T(I,i);T(V,i)", b_tail},
    {"tcrossprod", "m(m)", b_tcrossprod},
    {"to_array_1d", "I(I);R(R);R(v);R(w);R(m)", b_to_array_1d},
    {"to_matrix", "m(v);m(w);m(m);m(v,i,i);m(w,i,i);m(m,i,i);m(R,i,i);m(I,i,i)", b_to_matrix},
    {"to_row_vector", "w(R);w(v);w(w);w(m)", b_to_row_vector},
    {"to_vector", "v(R);v(v);v(w);v(m)", b_to_vector},
    {"trace", "r(m)", b_trace},
    {"variance", "r(R);r(v);r(w);r(m)", b_variance},
    {NULL, NULL, NULL},
};

const Builtin *builtin_find(const char *name)
{
    for (int i = 0; builtin_table[i].name; i++)
        if (!strcmp(builtin_table[i].name, name)) return (const Builtin *)&builtin_table[i];
    return NULL;
}
/* The i-th name, NULL past the end: the checker's "did you mean" goes through them. */
const char *builtin_name_at(int i)
{
    for (int k = 0; k <= i; k++) if (!builtin_table[k].name) return NULL;
    return builtin_table[i].name;
}
const char *builtin_name(const Builtin *b) { return ((const struct Builtin *)b)->name; }
const char *builtin_sig(const Builtin *b) { return ((const struct Builtin *)b)->sig; }
