/* Arithmetic operators on values: element-wise with scalar broadcasting, matrix
 * products, transpose, and the sum node.  Each vectorised operation is one node. */
#include <math.h>
#include <string.h>
#include <limits.h>
#include <cblas.h>
#include "runtime/eval.h"

static Val result_like(Ev *ev, const Val *shape, int base)
{
    return val_alloc(ev, base, shape->kind, shape->narr, shape->dims);
}

static int int_of(const Val *v, int k) { return v->iv[v->n == 1 ? 0 : k]; }
static double real_of(const Val *v, int k) { return v->x[v->n == 1 ? 0 : k]; }

static Val int_binop(Ev *ev, const Expr *e, Op op, Val a, Val b)
{
    const Val *shape = a.n >= b.n && a.ndim >= b.ndim ? &a : &b;
    Val r = a.ndim == 0 && b.ndim == 0 ? val_int(ev, 0) : result_like(ev, shape, TB_INT);
    for (int k = 0; k < r.n; k++) {
        long x = int_of(&a, k), y = int_of(&b, k), z = 0;
        if (x == INT_MIN || y == INT_MIN) { ev_error(ev, e->span, "int value used before it was assigned"); return r; }
        switch (op) {
        case OP_ADD: z = x + y; break;
        case OP_SUB: z = x - y; break;
        case OP_MUL: case OP_EMUL: z = x * y; break;
        case OP_DIV: case OP_EDIV: case OP_MOD:
            if (y == 0) { ev_error(ev, e->span, "integer division by zero"); return r; }
            z = op == OP_MOD ? x % y : x / y;
            break;
        case OP_LT: z = x < y; break;
        case OP_LE: z = x <= y; break;
        case OP_GT: z = x > y; break;
        case OP_GE: z = x >= y; break;
        case OP_EQ: z = x == y; break;
        case OP_NE: z = x != y; break;
        default: break;
        }
        if (z > INT_MAX || z < -INT_MAX) { ev_error(ev, e->span, "integer overflow"); return r; }
        r.iv[k] = (int)z;
    }
    return r;
}

/* +, -, * and / by a constant: loops without a switch per element, and the tape
 * written as runs (the partial of x + y is 1, of x * y is y...). */
static void linear_op(Ev *ev, Op op, const Val *a, const Val *b, Val *r)
{
    int n = r->n, ia = a->n == 1 ? 0 : 1, ib = b->n == 1 ? 0 : 1;
    const double *x = a->x, *y = b->x;
    double *z = r->x;
    switch (op) {
    case OP_ADD: for (int k = 0; k < n; k++) z[k] = x[k * ia] + y[k * ib]; break;
    case OP_SUB: for (int k = 0; k < n; k++) z[k] = x[k * ia] - y[k * ib]; break;
    case OP_MUL: case OP_EMUL: for (int k = 0; k < n; k++) z[k] = x[k * ia] * y[k * ib]; break;
    default: for (int k = 0; k < n; k++) z[k] = x[k * ia] / y[k * ib]; break;
    }
    if (!a->id && !b->id) return;
    if ((op == OP_ADD && !(a->id && b->id)) || (op == OP_SUB && !b->id)) {
        /* x + c, c + x, x - c: the partial is 1, so the result can be x's own
         * variables, with no node (a jitter added to a covariance costs nothing) */
        const Val *v = a->id ? a : b;
        int iv = v == a ? ia : ib;
        r->id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(n ? n : 1));
        for (int k = 0; k < n; k++) r->id[k] = v->id[k * iv];
        return;
    }
    val_set_ids(ev, r);
    int32_t o = r->id[0];
    switch (op) {
    case OP_ADD: case OP_SUB:
        if (a->id) tape_push_run(ev, a->id, ia, o, NULL, 0, 1, n);
        if (b->id) tape_push_run(ev, b->id, ib, o, NULL, 0, op == OP_ADD ? 1 : -1, n);
        break;
    case OP_MUL: case OP_EMUL:
        if (a->id) tape_push_run(ev, a->id, ia, o, y, ib, 1, n);
        if (b->id) tape_push_run(ev, b->id, ib, o, x, ia, 1, n);
        break;
    default:                          /* b constant: d(x / y)/dx = 1 / y */
        if (ib) {
            tape_reserve(ev, n);
            for (int k = 0; k < n; k++) tape_push(ev, a->id[k * ia], o + k, 1 / y[k]);
        } else tape_push_run(ev, a->id, ia, o, NULL, 0, 1 / y[0], n);
        break;
    }
}

/* Two real scalars under + - * /: no shapes, no loops. */
Val op_scalar(Ev *ev, Op op, const Val *a, const Val *b)
{
    double x = a->x[0], y = b->x[0], z, gx, gy;
    switch (op) {
    case OP_ADD: z = x + y; gx = 1; gy = 1; break;
    case OP_SUB: z = x - y; gx = 1; gy = -1; break;
    case OP_MUL: case OP_EMUL: z = x * y; gx = y; gy = x; break;
    default: z = x / y; gx = 1 / y; gy = -z / y; break;
    }
    Val r = val_real(ev, z);
    if (!a->id && !b->id) return r;
    int32_t o = tape_vars(ev, 1);
    r.id = arena_alloc(&ev->arena, sizeof(int32_t));
    r.id[0] = o;
    if (a->id) tape_push(ev, a->id[0], o, gx);
    if (b->id) tape_push(ev, b->id[0], o, gy);
    return r;
}

Val op_binary(Ev *ev, const Expr *e, Op op, Val a, Val b)
{
    if (a.ndim == 0 && b.ndim == 0 && a.base == TB_REAL && b.base == TB_REAL
        && (op <= OP_DIV || op == OP_EMUL || op == OP_EDIV))
        return op_scalar(ev, op, &a, &b);
    if (a.base == TB_INT && b.base == TB_INT && op != OP_POW && e->ty.base == TB_INT) return int_binop(ev, e, op, a, b);
    if (a.ndim == 0 && b.ndim == 0 && (op <= OP_DIV || op == OP_EMUL || op == OP_EDIV)) {
        if (a.base != TB_REAL) a = val_to_real(ev, a);
        if (b.base != TB_REAL) b = val_to_real(ev, b);
        return op_scalar(ev, op, &a, &b);
    }
    if (a.base != TB_REAL) a = val_to_real(ev, a);
    if (b.base != TB_REAL) b = val_to_real(ev, b);
    if (op >= OP_LT && op <= OP_NE) {
        double x = a.x[0], y = b.x[0];
        int z = op == OP_LT ? x < y : op == OP_LE ? x <= y : op == OP_GT ? x > y : op == OP_GE ? x >= y : op == OP_EQ ? x == y : x != y;
        return val_int(ev, z);
    }
    int as = a.ndim == 0, bs = b.ndim == 0;
    if (op == OP_MUL && !as && !bs) return op_matmul(ev, e, a, b);
    if (op == OP_LDIV) { ev_error(ev, e->span, "'\\' is not supported yet: use mdivide_left_tri_low or inverse"); return val_real(ev, NAN); }
    if (!as && !bs && (a.n != b.n || a.ndim != b.ndim)) {
        ev_error(ev, e->span, "size mismatch: %d and %d elements", a.n, b.n);
        ev->size_error = 1;
        return val_real(ev, NAN);
    }
    const Val *shape = as ? &b : &a;
    Val r = result_like(ev, shape, TB_REAL);
    if (op <= OP_DIV || op == OP_EMUL || op == OP_EDIV) {
        if ((op == OP_DIV || op == OP_EDIV) && b.id) goto general;
        linear_op(ev, op, &a, &b, &r);
        return r;
    }
general:;
    int need = a.id || b.id;
    double *da = need && a.id ? arena_alloc(&ev->arena, sizeof(double) * (size_t)r.n) : NULL;
    double *db = need && b.id ? arena_alloc(&ev->arena, sizeof(double) * (size_t)r.n) : NULL;
    for (int k = 0; k < r.n; k++) {
        double x = real_of(&a, k), y = real_of(&b, k), z, gx, gy;
        switch (op) {
        case OP_ADD: z = x + y; gx = 1; gy = 1; break;
        case OP_SUB: z = x - y; gx = 1; gy = -1; break;
        case OP_MUL: case OP_EMUL: z = x * y; gx = y; gy = x; break;
        case OP_DIV: case OP_EDIV: z = x / y; gx = 1 / y; gy = -z / y; break;
        case OP_POW:
            z = pow(x, y);
            gx = y == 0 ? 0 : y * pow(x, y - 1);
            gy = x > 0 ? z * log(x) : (x == 0 ? 0 : NAN);
            if (!b.id) gy = 0;
            break;
        case OP_MOD: z = fmod(x, y); gx = 1; gy = -trunc(x / y); break;
        default: z = NAN; gx = gy = 0; break;
        }
        r.x[k] = z;
        if (da) da[k] = gx;
        if (db) db[k] = gy;
    }
    if (need) {
        val_set_ids(ev, &r);
        for (int k = 0; k < r.n; k++) {
            if (da) tape_push(ev, a.id[as ? 0 : k], r.id[k], da[k]);
            if (db) tape_push(ev, b.id[bs ? 0 : k], r.id[k], db[k]);
        }
    }
    return r;
}

Val op_unary(Ev *ev, const Expr *e, Op op, Val a)
{
    if (op == OP_PLUS) return a;
    if (op == OP_NOT) {
        double x = a.base == TB_INT ? a.iv[0] : a.x[0];
        return val_int(ev, x == 0);
    }
    if (a.base == TB_INT) {
        Val r = result_like(ev, &a, TB_INT);
        for (int k = 0; k < a.n; k++) r.iv[k] = -a.iv[k];
        return r;
    }
    Val r = result_like(ev, &a, TB_REAL);
    for (int k = 0; k < a.n; k++) r.x[k] = -a.x[k];
    if (a.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < a.n; k++) tape_push(ev, a.id[k], r.id[k], -1);
    }
    return r;
}

Val op_transpose(Ev *ev, Val a)
{
    Val r = a;
    if (a.kind == TK_VECTOR) { r.kind = TK_ROWVEC; return r; }
    if (a.kind == TK_ROWVEC) { r.kind = TK_VECTOR; return r; }
    int R = a.dims[0], C = a.dims[1];
    int dims[2] = {C, R};
    r = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    if (a.id) r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(a.n ? a.n : 1));
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            r.x[j + (size_t)i * C] = a.x[i + (size_t)j * R];
            if (a.id) r.id[j + (size_t)i * C] = a.id[i + (size_t)j * R];
        }
    return r;
}

/* C = A * B with A data: the reverse pass is B's adjoint += A' * C's adjoint, done as
 * code rather than R*K*C triples. */
typedef struct MatmulData { const double *A; const int32_t *bid; double *tmp; int32_t cbase; int R, K, C, lda; } MatmulData;

/* B's adjoint += A' * C's adjoint: one GEMV (GEMM for several columns) into tmp, then
 * scattered to B's tape variables (C's are consecutive, so its adjoint is a matrix). */
static void matmul_const_back(Ev *ev, void *p)
{
    MatmulData *m = p;
    double *adj = ev->adj;
    size_t n = (size_t)m->K * m->C;
    if (m->R == 0) return;
    if (m->C == 1)
        cblas_dgemv(CblasColMajor, CblasTrans, m->R, m->K, 1.0, m->A, m->lda, adj + m->cbase, 1, 0.0, m->tmp, 1);
    else
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, m->K, m->C, m->R, 1.0, m->A, m->lda,
                    adj + m->cbase, m->R, 0.0, m->tmp, m->K);
    for (size_t k = 0; k < n; k++) adj[m->bid[k]] += m->tmp[k];
}

/* C = A * B with A a parameter (B either): A's adjoint += C's adjoint * B', B's
 * adjoint += A' * C's adjoint, as code rather than 2 R*K*C triples.  The node keeps
 * copies of the values and ids: an operand may be a variable assigned into later. */
typedef struct MatmulVar { const double *A, *B; const int32_t *aid, *bid; int32_t cbase; int R, K, C; } MatmulVar;

static void matmul_var_back(Ev *ev, void *p)
{
    const MatmulVar *m = p;
    double *adj = ev->adj;
    for (int j = 0; j < m->C; j++) {
        const double *cj = adj + m->cbase + (size_t)j * m->R;
        for (int k = 0; k < m->K; k++) {
            const double *Ak = m->A + (size_t)k * m->R;
            const int32_t *ak = m->aid + (size_t)k * m->R;
            double bkj = m->B[k + (size_t)j * m->K], s = 0;
            for (int i = 0; i < m->R; i++) {
                adj[ak[i]] += cj[i] * bkj;
                s += Ak[i] * cj[i];
            }
            if (m->bid) adj[m->bid[k + (size_t)j * m->K]] += s;
        }
    }
}

static void *arena_copy(Ev *ev, const void *src, size_t bytes)
{
    void *p = arena_alloc(&ev->arena, bytes);
    if (bytes) memcpy(p, src, bytes);
    return p;
}

static void matmul_var_node(Ev *ev, const Val *a, const Val *b, int32_t cbase, int R, int K, int C)
{
    if (ev->notape) return;
    size_t na = (size_t)R * K, nb = (size_t)K * C;
    MatmulVar *m = arena_alloc(&ev->arena, sizeof *m);
    *m = (MatmulVar){arena_copy(ev, a->x, sizeof(double) * na), arena_copy(ev, b->x, sizeof(double) * nb),
                     arena_copy(ev, a->id, sizeof(int32_t) * na), b->id ? arena_copy(ev, b->id, sizeof(int32_t) * nb) : NULL,
                     cbase, R, K, C};
    tape_callback(ev, matmul_var_back, m);
}

Val op_matmul(Ev *ev, const Expr *e, Val a, Val b)
{
    int R = a.kind == TK_ROWVEC ? 1 : a.dims[0];
    int K = a.kind == TK_ROWVEC ? a.dims[0] : a.kind == TK_VECTOR ? 1 : a.dims[1];
    int K2 = b.kind == TK_ROWVEC ? 1 : b.dims[0];
    int C = b.kind == TK_ROWVEC ? b.dims[0] : b.kind == TK_VECTOR ? 1 : b.dims[1];
    if (K != K2) {
        ev_error(ev, e->span, "matrix product size mismatch: %d columns times %d rows", K, K2);
        ev->size_error = 1;
        return val_real(ev, NAN);
    }
    Val r;
    int dims[2] = {R, C};
    if (e->ty.kind == TK_SCALAR) r = val_real(ev, 0);
    else if (e->ty.kind == TK_VECTOR) r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    else if (e->ty.kind == TK_ROWVEC) { dims[0] = C; r = val_alloc(ev, TB_REAL, TK_ROWVEC, 0, dims); }
    else r = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    /* all of a, b, r are column-major R x K, K x C, R x C: one GEMV or GEMM (docs/ir.md
     * says why OpenBLAS's threads do not change the result) */
    if (R > 0 && C > 0 && K == 0)
        memset(r.x, 0, sizeof(double) * (size_t)R * (size_t)C);
    else if (R > 0 && C == 1)
        cblas_dgemv(CblasColMajor, CblasNoTrans, R, K, 1.0, a.x, R, b.x, 1, 0.0, r.x, 1);
    else if (R > 0 && C > 0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, R, C, K, 1.0, a.x, R, b.x, K, 0.0, r.x, R);
    if (!a.id && !b.id) return r;
    val_set_ids(ev, &r);
    if (!a.id) {
        MatmulData *m = arena_alloc(&ev->arena, sizeof *m);
        double *tmp = arena_alloc(&ev->arena, sizeof(double) * (size_t)(K > 0 && C > 0 ? K * C : 1));
        *m = (MatmulData){a.x, b.id, tmp, r.id[0], R, K, C, R};
        tape_callback(ev, matmul_const_back, m);
        return r;
    }
    matmul_var_node(ev, &a, &b, r.id[0], R, K, C);
    return r;
}

Val op_matvec_rows(Ev *ev, const double *A, int lda, int R, int K, Val b)
{
    int dims[1] = {R};
    Val r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    if (R == 0) return r;
    if (K == 0) memset(r.x, 0, sizeof(double) * (size_t)R);
    else cblas_dgemv(CblasColMajor, CblasNoTrans, R, K, 1.0, A, lda, b.x, 1, 0.0, r.x, 1);
    if (!b.id) return r;
    val_set_ids(ev, &r);
    MatmulData *m = arena_alloc(&ev->arena, sizeof *m);
    double *tmp = arena_alloc(&ev->arena, sizeof(double) * (size_t)(K > 0 ? K : 1));
    *m = (MatmulData){A, b.id, tmp, r.id[0], R, K, 1, lda};
    tape_callback(ev, matmul_const_back, m);
    return r;
}

Val val_sum(Ev *ev, Val a)
{
    a = val_to_real(ev, a);
    double s = 0;
    for (int k = 0; k < a.n; k++) s += a.x[k];
    Val r = val_real(ev, s);
    if (a.id) {
        val_set_ids(ev, &r);
        for (int k = 0; k < a.n; k++) tape_push(ev, a.id[k], r.id[0], 1);
    }
    return r;
}
