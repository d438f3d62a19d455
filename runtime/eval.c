/* Expressions and statements of the IR, evaluated with the tape (eval.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include "runtime/eval.h"
#include "runtime/interrupt.h"
#include "runtime/model.h"
#include "runtime/plan.h"

void ev_error(Ev *ev, Span sp, const char *fmt, ...)
{
    if (ev->fail) return;             /* keep the first reason */
    ev->fail = 1;
    ev->fail_span = sp;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->msg, sizeof ev->msg, fmt, ap);
    va_end(ap);
}

int val_inner_rows(const Val *v) { return v->kind == TK_SCALAR ? 1 : v->dims[v->narr]; }

int val_count(const int *dims, int nd, size_t *n)
{
    /* one pass, no division: it runs at every allocation of every evaluation */
    size_t k = 1;
    int zero = 0, big = 0;
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0) return -1;
        zero |= dims[i] == 0;
        big |= __builtin_mul_overflow(k, (size_t)dims[i], &k) || k > VM_MAX_ELEMENTS;
        if (big) k = 1;
    }
    if (zero) { *n = 0; return 0; }
    if (big) return -1;
    *n = k;
    return 0;
}

void val_dims_text(char *buf, size_t len, const int *dims, int nd)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < nd && k < len; i++) {
        int w = snprintf(buf + k, len - k, "%s%d", i ? " x " : "", dims[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
}

Val val_alloc(Ev *ev, int base, int kind, int narr, const int *dims)
{
    Val v = {0};
    v.base = (uint8_t)base;
    v.kind = (uint8_t)kind;
    v.narr = (uint8_t)narr;
    int inner = kind == TK_MATRIX ? 2 : kind == TK_SCALAR ? 0 : 1;
    v.ndim = (uint8_t)(narr + inner);
    size_t n = 1;
    for (int i = 0; i < v.ndim; i++) v.dims[i] = dims[i] < 0 ? 0 : dims[i];
    if (val_count(v.dims, v.ndim, &n) != 0) {
        /* Declarations check their sizes first, naming the variable; this catches a
         * size made by an expression (rep_array(0, N, N, N)).  The value is empty, so
         * nothing is written into it before the failure is seen. */
        char t[160];
        val_dims_text(t, sizeof t, v.dims, v.ndim);
        ev_error(ev, (Span){-1, 0}, "a value of size %s has more than the limit of %zu elements", t, (size_t)VM_MAX_ELEMENTS);
        memset(v.dims, 0, sizeof v.dims);
        n = 0;
    }
    v.n = (int)n;
    if (base == TB_INT) v.iv = arena_alloc(&ev->arena, sizeof(int) * (size_t)(n ? n : 1));
    else v.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(n ? n : 1));
    return v;
}

__attribute__((optimize("tree-vectorize"))) void val_set_ids(Ev *ev, Val *v)
{
    int32_t b = tape_vars(ev, v->n);
    int32_t *id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v->n ? v->n : 1));
    for (int i = 0, n = v->n; i < n; i++) id[i] = b + i;    /* (through v, no vectorising) */
    v->id = id;
}

Val val_to_real(Ev *ev, Val v)
{
    if (v.base == TB_REAL) return v;
    Val r = v;
    r.base = TB_REAL;
    r.iv = NULL;
    r.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
    for (int i = 0; i < v.n; i++) r.x[i] = v.iv[i] == INT_MIN ? NAN : v.iv[i];
    return r;
}

static Val poison(Ev *ev) { return val_real(ev, NAN); }

static int eval_int(Ev *ev, const Expr *e, int *out)
{
    Val v = eval_expr(ev, e);
    if (ev->fail) return -1;
    if (v.base != TB_INT || v.n != 1) { ev_error(ev, e->span, "expected an int"); return -1; }
    if (v.iv[0] == INT_MIN) { ev_error(ev, e->span, "int value used before it was assigned"); return -1; }
    *out = v.iv[0];
    return 0;
}

static __attribute__((noinline)) Val literal(Ev *ev, const Expr *e)
{
    Val *el = arena_alloc(&ev->arena, sizeof(Val) * (size_t)e->nargs);
    int any_id = 0;
    for (int i = 0; i < e->nargs; i++) {
        el[i] = eval_expr(ev, e->args[i]);
        if (ev->fail) return poison(ev);
        if (e->ty.base == TB_REAL) el[i] = val_to_real(ev, el[i]);
        if (el[i].id) any_id = 1;
        if (i && el[i].n != el[0].n) { ev_error(ev, e->args[i]->span, "elements of a container literal must have the same size"); return poison(ev); }
    }
    int dims[VM_MAXDIM];
    int m = el[0].n;
    Val r;
    if (e->kind == E_ARRAY) {
        dims[0] = e->nargs;
        for (int d = 0; d < el[0].ndim; d++) dims[d + 1] = el[0].dims[d];
        r = val_alloc(ev, e->ty.base, e->ty.kind, e->ty.narr, dims);
        for (int i = 0; i < e->nargs; i++) {
            if (r.base == TB_INT) memcpy(r.iv + (size_t)i * m, el[i].iv, sizeof(int) * (size_t)m);
            else memcpy(r.x + (size_t)i * m, el[i].x, sizeof(double) * (size_t)m);
        }
    } else if (e->ty.kind == TK_ROWVEC) {
        dims[0] = e->nargs;
        r = val_alloc(ev, TB_REAL, TK_ROWVEC, 0, dims);
        for (int i = 0; i < e->nargs; i++) r.x[i] = el[i].x[0];
    } else {                          /* matrix from row vectors: column-major */
        dims[0] = e->nargs;
        dims[1] = m;
        r = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
        for (int i = 0; i < e->nargs; i++)
            for (int j = 0; j < m; j++) r.x[i + (size_t)j * e->nargs] = el[i].x[j];
    }
    if (any_id && r.base == TB_REAL) {
        r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(r.n ? r.n : 1));
        int rows = e->nargs;
        for (int i = 0; i < e->nargs; i++) {
            if (!el[i].id) { Val t = el[i]; val_set_ids(ev, &t); el[i].id = t.id; }
            for (int j = 0; j < m; j++) {
                size_t pos = e->kind == E_ARRAY || e->ty.kind == TK_ROWVEC ? (size_t)i * m + j : i + (size_t)j * rows;
                r.id[pos] = el[i].id[j];
            }
        }
    }
    return r;
}

/* Calls, out of line: their argument array would weigh on every expression's frame. */
static __attribute__((noinline)) Val eval_call(Ev *ev, const Expr *e)
{
    if (e->fkind == FN_DIST_LPDF && ev->vec_depth) return vec_dist(ev, e);
    if (e->fkind == FN_BUILTIN && ev->vec_depth) {
        Val r;
        if (vec_call(ev, e, &r)) return r;
    }
    if (e->fkind == FN_DIST_LPDF) {   /* normal_lpdf(y | ...) inside an expression */
        double lp;
        int32_t id;
        if (fast_dist(ev, e, e->fn, e->args, e->nargs, e->span, 0, &lp, &id)) {
            if (ev->fail) return poison(ev);
            Val r = val_real(ev, lp);
            if (id >= 0) { r.id = arena_alloc(&ev->arena, sizeof(int32_t)); r.id[0] = id; }
            return r;
        }
    }
    Val args[16];
    int n = e->nargs < 16 ? e->nargs : 16;
    for (int i = 0; i < n; i++) args[i] = eval_expr(ev, e->args[i]);
    if (ev->fail) return poison(ev);
    switch (e->fkind) {
    case FN_MATH: return call_math(ev, e, args, n);
    case FN_BUILTIN: return ((const struct Builtin *)e->fn)->fn(ev, e, args, n);
    case FN_NONE: ev_error(ev, e->span, "unresolved call"); return poison(ev);
    case FN_USER: return call_user(ev, e, args, n);
    case FN_PRINT: case FN_REJECT: case FN_FATAL: return poison(ev);   /* statements: exec_stmt */
    default: return call_dist(ev, e, e->fn, e->fkind, args, n, e->span);
    }
    return poison(ev);
}

Val eval_expr(Ev *ev, const Expr *e)
{
    if (ev->fail) return poison(ev);
    /* a data-only subexpression computed at load (hoist.c); never a leaf, so the
     * leaves, most of the nodes evaluated, do not pay for the test.  A temporary's id
     * 0 finds the table's empty entry 0. */
#define HOISTED() do { if (ev->hoist && ev->hoist[e->id]) return *ev->hoist[e->id]; } while (0)
    switch (e->kind) {
    case E_INT: return val_int(ev, (int)e->ival);
    case E_REAL: return val_real(ev, e->rval);
    case E_VAR: return ev->env[e->slot];
    case E_BINOP: {
        HOISTED();
        if (ev->vec_depth) {
            Val r;
            if (vec_rowprod(ev, e, &r)) return r;
        }
        if (e->op == OP_AND || e->op == OP_OR) {   /* short-circuit, as in Stan */
            Val a = eval_expr(ev, e->args[0]);
            if (ev->fail) return poison(ev);
            double av = a.base == TB_INT ? a.iv[0] : a.x[0];
            if (e->op == OP_AND && av == 0) return val_int(ev, 0);
            if (e->op == OP_OR && av != 0) return val_int(ev, 1);
            Val b = eval_expr(ev, e->args[1]);
            if (ev->fail) return poison(ev);
            double bv = b.base == TB_INT ? b.iv[0] : b.x[0];
            return val_int(ev, bv != 0);
        }
        Val a = eval_expr(ev, e->args[0]);
        Val b = eval_expr(ev, e->args[1]);
        if (ev->fail) return poison(ev);
        if (a.ndim == 0 && b.ndim == 0 && a.base == TB_REAL && b.base == TB_REAL
            && (e->op <= OP_DIV || e->op == OP_EMUL || e->op == OP_EDIV))
            return op_scalar(ev, e->op, &a, &b);
        /* in a vectorised loop a scalar product holds vectors: element-wise */
        if (e->op == OP_MUL && ev->vec_depth && e->ty.narr == 0 && e->ty.kind == TK_SCALAR)
            return op_binary(ev, e, OP_EMUL, a, b);
        return op_binary(ev, e, e->op, a, b);
    }
    case E_UNOP: {
        HOISTED();
        Val a = eval_expr(ev, e->args[0]);
        if (ev->fail) return poison(ev);
        return op_unary(ev, e, e->op, a);
    }
    case E_COND: {
        HOISTED();
        int c;
        if (eval_int(ev, e->args[0], &c)) return poison(ev);
        Val v = eval_expr(ev, e->args[c ? 1 : 2]);
        if (e->ty.base == TB_REAL) v = val_to_real(ev, v);
        return v;
    }
    case E_INDEX: {
        HOISTED();
        if (ev->vec_depth) {
            int ok;
            Val r = vec_index(ev, e, &ok);
            if (ok) return r;
        }
        Val b = eval_expr(ev, e->args[0]);
        if (ev->fail) return poison(ev);
        return index_get(ev, e, b);
    }
    case E_TRANSPOSE: {
        HOISTED();
        Val a = eval_expr(ev, e->args[0]);
        if (ev->fail) return poison(ev);
        return op_transpose(ev, val_to_real(ev, a));
    }
    case E_ROWVEC: case E_ARRAY: HOISTED(); return literal(ev, e);
    case E_CALL: HOISTED(); return eval_call(ev, e);
    case E_STR: break;                /* only print's arguments, which call_print reads */
    }
#undef HOISTED
    return poison(ev);
}

/* ---- statements ---- */

/* Shape of a declared variable, from its sizes (evaluated now). */
int decl_dims(Ev *ev, const TypeSpec *ts, int *dims, int *kind)
{
    int nd = 0;
    for (int i = 0; i < ts->narr; i++) {
        if (eval_int(ev, ts->arr[i], &dims[nd])) return -1;
        if (dims[nd] < 0) { ev_error(ev, ts->arr[i]->span, "array size is %d, but must be >= 0", dims[nd]); return -1; }
        nd++;
    }
    *kind = TK_SCALAR;
    switch (ts->name) {
    case TS_INT: case TS_REAL: break;
    default: *kind = vm_type_kind(ts->name); break;
    }
    for (int i = 0; i < 2 && ts->size[i]; i++) {
        if (eval_int(ev, ts->size[i], &dims[nd])) return -1;
        if (dims[nd] < 0) { ev_error(ev, ts->size[i]->span, "size is %d, but must be >= 0", dims[nd]); return -1; }
        nd++;
    }
    if (ts->size[0] && !ts->size[1] && vm_type_square(ts->name)) {
        dims[nd] = dims[nd - 1];
        nd++;
    }
    return nd;
}

static int same_shape(const Val *a, const Val *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++) if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* Store v into *t (a whole variable): sizes must match the declaration. */
static void assign_whole(Ev *ev, Span sp, const char *name, Val *t, Val v)
{
    if (t->base == TB_REAL) v = val_to_real(ev, v);
    if (t->ndim && !same_shape(t, &v)) {
        char b1[64] = "", b2[64] = "";
        for (int i = 0; i < t->ndim; i++) snprintf(b1 + strlen(b1), sizeof b1 - strlen(b1), "%s%d", i ? "," : "", t->dims[i]);
        for (int i = 0; i < v.ndim; i++) snprintf(b2 + strlen(b2), sizeof b2 - strlen(b2), "%s%d", i ? "," : "", v.dims[i]);
        ev_error(ev, sp, "size mismatch assigning to '%s': declared [%s], value has [%s]", name, b1, b2);
        ev->size_error = 1;
        return;
    }
    Val r = *t;
    if (t->ndim == 0) {               /* scalars are replaced, never written in place: share */
        if (t->base == TB_INT) r.iv = v.iv;
        else { r.x = v.x; r.id = v.id; }
        *t = r;
        return;
    }
    if (t->base == TB_INT) {
        r.iv = arena_alloc(&ev->arena, sizeof(int) * (size_t)(v.n ? v.n : 1));
        memcpy(r.iv, v.iv, sizeof(int) * (size_t)v.n);
    } else {
        r.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
        memcpy(r.x, v.x, sizeof(double) * (size_t)v.n);
        r.id = NULL;
        if (v.id) {
            r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v.n ? v.n : 1));
            memcpy(r.id, v.id, sizeof(int32_t) * (size_t)v.n);
        }
    }
    *t = r;
}

/* Every element of v not set: NaN, or INT_MIN for ints.  A local vector of an ARMA's
 * T elements is filled at every gradient: the compiler's vectoriser (not at -O2) does
 * it two or four elements at a time. */
__attribute__((optimize("tree-vectorize"))) static void fill_unset(Val *v)
{
    if (v->base == TB_INT) for (int i = 0; i < v->n; i++) v->iv[i] = INT_MIN;
    else for (int i = 0; i < v->n; i++) v->x[i] = NAN;
}

static void exec_decl(Ev *ev, const Stmt *s)
{
    const VarInfo *vi = &ev->m->ir->vars[s->slot];
    Val v;
    if (s->type) {
        int dims[VM_MAXDIM], kind;
        int nd = decl_dims(ev, s->type, dims, &kind);
        if (nd < 0) return;
        size_t count;
        if (val_count(dims, nd, &count) != 0) {
            char t[160];
            val_dims_text(t, sizeof t, dims, nd);
            ev_error(ev, s->span, "'%s' of size %s would have more than the limit of %zu elements", s->name, t, (size_t)VM_MAX_ELEMENTS);
            return;
        }
        v = val_alloc(ev, vi->ty.base, kind, s->type->narr, dims);
        if (!s->init) fill_unset(&v);   /* else the initial value writes every element */
        else {
            Val x;
            if (!fast_affine(ev, s->init, &x)) x = eval_expr(ev, s->init);
            if (ev->fail) return;
            assign_whole(ev, s->init->span, s->name, &v, x);
        }
    } else {
        if (!fast_affine(ev, s->init, &v)) v = eval_expr(ev, s->init);
        if (ev->fail) return;
        if (vi->ty.base == TB_REAL) v = val_to_real(ev, v);
        /* elements of v will be written in place: not into a value shared with a
         * data variable or a hoisted expression (model.h, idx_assigned) */
        if (v.ndim && ev->m->idx_assigned && ev->m->idx_assigned[s->slot]) {
            Val c = val_alloc(ev, v.base, v.kind, v.narr, v.dims);
            if (v.base == TB_INT) memcpy(c.iv, v.iv, sizeof(int) * (size_t)v.n);
            else memcpy(c.x, v.x, sizeof(double) * (size_t)v.n);
            if (v.id) {
                c.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v.n ? v.n : 1));
                memcpy(c.id, v.id, sizeof(int32_t) * (size_t)v.n);
            }
            v = c;
        }
    }
    ev->env[s->slot] = v;
}

static void exec_assign(Ev *ev, const Stmt *s)
{
    Val v;
    if (!fast_affine(ev, s->rhs, &v)) v = eval_expr(ev, s->rhs);
    if (ev->fail) return;
    if (s->aop != (Op)-1) {
        Val cur = eval_expr(ev, s->lhs);
        if (ev->fail) return;
        Expr tmp = {.kind = E_BINOP, .op = s->aop, .span = s->span, .ty = s->lhs->ty};
        v = op_binary(ev, &tmp, s->aop, cur, v);
        if (ev->fail) return;
    }
    const Expr *b = s->lhs;
    while (b->kind == E_INDEX) b = b->args[0];
    Val *t = &ev->env[b->slot];
    if (s->lhs->kind == E_VAR) assign_whole(ev, s->rhs->span, b->name, t, v);
    else index_set(ev, s->lhs, t, v);
}

static void exec_stmt_kind(Ev *ev, const Stmt *s);

/* A hook's verdict on its statement: a nonzero value it did not raise as an error
 * stops the walk, unwinding as an error does. */
static void run_hook(Ev *ev, int (*fn)(Ev *, const Stmt *, void *), const Stmt *s)
{
    int rc = fn(ev, s, ev->hook->ctx);
    if (rc && !ev->fail) {
        ev->halt = rc;
        ev->fail = 1;
    }
}

/* The probe reads the model's structure once for all parameter values: what decides
 * it (loop bounds, conditions) must not read a parameter.  Inside a function's body
 * the walk is the function's own business. */
static int fixed_by_data(Ev *ev, const Expr *e, const char *what)
{
    if (!ev->hook || !ev->hook->fixed_structure || ev->call_depth || e->level <= LV_DATA) return 1;
    ev_error(ev, e->span, "%s depends on a parameter: the model's structure must be fixed by the data", what);
    return 0;
}

/* A `~` statement's term (or target += of a density) goes into the log density as it
 * is, its partials into the adjoints at once (tape_seed), unless an undo may follow
 * (a vectorised run, a function's body) or the term will be dropped (Ev.noseed). */
static int root_term(const Ev *ev) { return !ev->vec_depth && !ev->call_depth && !ev->noseed; }

/* A failure raised without a position (val_alloc's size limit) gets the statement's. */
void exec_stmt(Ev *ev, const Stmt *s)
{
    exec_stmt_kind(ev, s);
    if (ev->fail && ev->fail_span.off < 0) ev->fail_span = s->span;
}

static void exec_stmt_kind(Ev *ev, const Stmt *s)
{
    if (ev->fail || ev->returning) return;
    switch (s->kind) {
    case S_DECL:
        if (s->decl == D_DATA || s->decl == D_PARAM) return;   /* bound by the model */
        if (ev->vec_depth && vec_decl(ev, s)) return;
        exec_decl(ev, s);
        return;
    case S_TILDE: {
        if (ev->hook) { run_hook(ev, ev->hook->tilde, s); return; }
        Expr *ex[DIST_MAX_ARGS_EV];
        double lpv;
        int32_t lpid;
        if (s->nargs + 1 <= DIST_MAX_ARGS_EV) {
            ex[0] = s->lhs;
            for (int i = 0; i < s->nargs; i++) ex[i + 1] = s->args[i];
            if (fast_dist(ev, s, s->fn, ex, s->nargs + 1, s->span, root_term(ev), &lpv, &lpid)) {
                if (!ev->fail) ev_add_term(ev, lpv, lpid);
                return;
            }
        }
        Val args[DIST_MAX_ARGS_EV];
        args[0] = eval_expr(ev, s->lhs);
        for (int i = 0; i < s->nargs; i++) args[i + 1] = eval_expr(ev, s->args[i]);
        if (ev->fail) return;
        Val lp = call_dist(ev, NULL, s->fn, FN_DIST_LPDF, args, s->nargs + 1, s->span);
        if (ev->fail) return;
        ev_add_term(ev, lp.x[0], lp.id ? lp.id[0] : -1);
        return;
    }
    case S_TARGET: {
        if (ev->hook) {
            if (ev->hook->target) run_hook(ev, ev->hook->target, s);
            return;
        }
        const Expr *r = s->rhs;
        double lpv;
        int32_t lpid;
        if (ev->vec_depth && vec_target(ev, s)) return;
        if (r->kind == E_CALL && r->fkind == FN_DIST_LPDF
            && fast_dist(ev, r, r->fn, r->args, r->nargs, r->span, root_term(ev), &lpv, &lpid)) {
            if (!ev->fail) ev_add_term(ev, lpv, lpid);
            return;
        }
        Val v = eval_expr(ev, s->rhs);
        if (ev->fail) return;
        v = val_sum(ev, val_to_real(ev, v));
        ev_add_term(ev, v.x[0], v.id ? v.id[0] : -1);
        return;
    }
    case S_ASSIGN:
        if (ev->vec_depth) vec_assign(ev, s);
        else exec_assign(ev, s);
        return;
    case S_FOR: {
        int lo, hi;
        if (!fixed_by_data(ev, s->lo, "the loop's lower bound") || !fixed_by_data(ev, s->hi, "the loop's upper bound"))
            return;
        if (eval_int(ev, s->lo, &lo) || eval_int(ev, s->hi, &hi)) return;
        /* the vectorised paths hold the range's length in an int: a longer range
         * (for (n in -2147483647:N)) runs one iteration at a time; under a hook, so
         * does a loop holding `~` (the planned strategies add it to the density) */
        const PlLoop *pl = ev->vec_depth ? NULL : plan_loop(ev->m ? ev->m->plan : NULL, s);
        if ((long)hi - lo >= (long)VM_MAX_ELEMENTS || (ev->hook && (!pl || pl->dens))) {
        } else if (pl) {              /* decided at load (plan.h) */
            if (pl->vec && vec_loop_planned(ev, s, lo, hi, pl->vec)) return;
            if (pl->lin && lr_loop(ev, pl->lin, s, lo, hi)) return;
            if (pl->sc && sc_loop(ev, pl->sc, s, lo, hi)) return;
            if (pl->rec && rec_loop_planned(ev, pl->rec, lo, hi)) return;
        } else if (vec_loop(ev, s, lo, hi) || rec_loop(ev, s, lo, hi)) return;
        Val iv = val_int(ev, 0);
        long tick = VM_INTERRUPT_EVERY;
        for (long i = lo; i <= hi && !ev->fail && !ev->returning; i++) {
            if (--tick == 0) {
                tick = VM_INTERRUPT_EVERY;
                if (vm_interrupt_pending()) { ev_error(ev, s->span, "interrupted"); return; }
            }
            iv.iv = arena_alloc(&ev->arena, sizeof(int));
            iv.iv[0] = (int)i;
            ev->env[s->slot] = iv;
            exec_stmt(ev, s->body);
        }
        return;
    }
    case S_WHILE: {
        if (ev->hook && ev->hook->fixed_structure && !ev->call_depth) {
            ev_error(ev, s->span, "a while loop: the model's structure must be fixed by the data (use a for loop)");
            return;
        }
        const PlLoop *pl = ev->hook || ev->vec_depth ? NULL : plan_loop(ev->m ? ev->m->plan : NULL, s);
        if (pl && pl->sc && sc_loop(ev, pl->sc, s, 1, 1)) return;
        for (long guard = 0;; guard++) {
            int c;
            if (eval_int(ev, s->cond, &c) || !c) return;
            if (guard > 100000000L) { ev_error(ev, s->span, "while loop ran 10^8 times: stopped"); return; }
            if ((guard & 0xffff) == 0xffff && vm_interrupt_pending()) {   /* about every 10^5 */
                ev_error(ev, s->span, "interrupted");
                return;
            }
            exec_stmt(ev, s->body);
            if (ev->fail || ev->returning) return;
        }
    }
    case S_IF: {
        int c;
        if (!fixed_by_data(ev, s->cond, "the condition") || eval_int(ev, s->cond, &c)) return;
        if (c) exec_stmt(ev, s->body);
        else if (s->els) exec_stmt(ev, s->els);
        return;
    }
    case S_BLOCK:
        for (int i = 0; i < s->nstmts && !ev->fail && !ev->returning; i++) exec_stmt(ev, s->stmts[i]);
        return;
    case S_EMPTY: return;
    case S_RETURN:
        ev->retval = s->rhs ? eval_expr(ev, s->rhs) : (Val){0};
        if (!ev->fail) ev->returning = 1;
        return;
    case S_CALL:
        if (ev->hook && ev->hook->fixed_structure && !ev->call_depth && s->rhs->fkind == FN_USER
            && ((const FunDef *)s->rhs->fn)->suffix == FK_LP) {
            ev_error(ev, s->span, "a call of an _lp function: its density terms cannot be analysed one `~` at a time");
            return;
        }
        if (s->rhs->fkind == FN_USER) (void)eval_expr(ev, s->rhs);
        else call_print(ev, s->rhs);
        return;
    }
}
