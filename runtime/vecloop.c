/* Loops run as vectors.  A for loop whose iterations are independent,
 *     for (n in lo:hi) { mu[n] = a + b * x[n];  y[n] ~ normal(mu[n], sigma); }
 * gives the same density as the statements run once with n standing for the whole
 * range lo..hi: x[n] becomes the vector x[lo..hi], arithmetic is element-wise, a
 * univariate distribution sums over its elements, mu[n] = ... is a slice
 * assignment.  One vectorised node replaces hi - lo + 1 interpreted iterations.
 *
 * The loop qualifies when (checked on its syntax once per evaluator): the body holds
 * only `~` of univariate families, `target += ` of a real expression, assignments to
 * element [..n..] of a variable, and accumulations r = r + f(n) (r += f(n)) of a
 * scalar used nowhere else in the body; every statement depends on n; n appears as
 * a whole index (x[n], p[i, n]), through an int lookup or shift (alpha[g[n]],
 * y[t - n]) or as a value in arithmetic; expressions use arithmetic, element-wise
 * math functions and univariate *_lpdf (one density per element); a variable
 * assigned in the loop is read only at the same element and only after its
 * assignment.  Then no iteration reads what another one writes, and sums commute.
 * Any run-time error (an index out of range, an invalid argument) undoes the
 * vectorised run and runs the loop one iteration at a time, for the same message.
 *
 * Stan-style bodies qualify too: scalar real locals declared in the body (`real mu =
 * alpha;`) are per-iteration values, held as vectors over the range (a scalar value is
 * broadcast), assigned whole and read anywhere after their declaration; and inner for
 * loops whose bounds do not depend on n run as ordinary loops inside, their bodies
 * under the same rules (no element assignments in them):
 *     for (t in K + 1:T) { real mu = alpha;
 *                          for (k in 1:K) mu += beta[k] * y[t - k];
 *                          y[t] ~ normal(mu, sigma); }
 * runs K + 2 vector statements instead of (T - K)(K + 2) scalar ones.
 *
 * So do local vectors whose size does not vary with n, read and assigned an element
 * at a time (the index not varying with n) and whole only by log_sum_exp; the
 * mixture as the Stan User's Guide writes it:
 *     for (n in 1:N) { vector[K] lps = log(theta);
 *                      for (k in 1:K) lps[k] += normal_lpdf(y[n] | mu[k], sigma[k]);
 *                      target += log_sum_exp(lps); }
 * A local vector of K elements is held as an (hi - lo + 1) x K matrix, element k the
 * column k (adjacent values: a view); log_sum_exp takes each row.
 *
 * A body that is one if/else on a condition of data alone (a zero-inflated model's
 * y[n] == 0) runs as two vectorised runs, the then branch over the iterations where
 * the condition holds and the else branch over the others: which ones is worked out
 * at the loop's first run and kept (Ev.vsplit), the runs read x[n] through the list
 * of iterations (Ev.vec_idx). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/eval.h"
#include "runtime/model.h"
#include "runtime/vecmath.h"
#include "stdlib/dist.h"
#include "stdlib/dist_sf.h"
#include "stdlib/mathfn_impl.h"
#include "stdlib/mathfn.h"
#include <math.h>

extern const Dist dist_normal, dist_poisson;

#define VL_MAXASG 8

typedef struct VCtx {
    int slot;                           /* the loop variable */
    int nasg;
    const Expr *asg[VL_MAXASG];         /* lhs of each assignment, in order */
    int sofar;                          /* assignments before the current statement */
    int nred, red[VL_MAXASG];           /* scalars accumulated: r = r + f(n) */
    int need_iv;                        /* n itself is a value (t - n): bind lo..hi */
    int nloc, loc[VL_MAXASG];           /* scalar real locals declared in the body */
    int infor;                          /* inside an inner for loop */
    int nlv, lv[VL_MAXASG];             /* local vectors declared in the body */
    const Stmt *split;                  /* the body's one statement, an if on data alone */
} VCtx;

/* A loop's iterations split by its if (VCtx.split) for one range: the then branch's
 * n values, then the else branch's. */
typedef struct VecSplit { const Stmt *s; int lo, hi, nthen, nelse; int *idx; } VecSplit;

static int in_slots(const int *v, int n, int slot)
{
    for (int i = 0; i < n; i++) if (v[i] == slot) return 1;
    return 0;
}

static int is_loc(const VCtx *c, int slot) { return in_slots(c->loc, c->nloc, slot); }
static int is_red(const VCtx *c, int slot) { return in_slots(c->red, c->nred, slot); }
static int is_lv(const VCtx *c, int slot) { return in_slots(c->lv, c->nlv, slot); }


/* r = r + D, r = D + r or r += D: the term D, or NULL. */
static const Expr *red_term(const Stmt *s)
{
    const Expr *l = s->lhs, *r = s->rhs;
    if (l->kind != E_VAR) return NULL;
    if (s->aop == OP_ADD) return r;
    if (s->aop != (Op)-1 || r->kind != E_BINOP || r->op != OP_ADD) return NULL;
    if (r->args[0]->kind == E_VAR && r->args[0]->slot == l->slot) return r->args[1];
    if (r->args[1]->kind == E_VAR && r->args[1]->slot == l->slot) return r->args[0];
    return NULL;
}

static int scalar_real(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR && t.base == TB_REAL; }

static int same_ix(const Expr *a, const Expr *b)
{
    if (a->kind != b->kind) return 0;
    if (a->kind == E_VAR) return a->slot == b->slot;
    if (a->kind == E_INT) return a->ival == b->ival;
    return 0;
}

/* Position of the loop variable among e's indices (e an E_INDEX), -1 if none. */
static int loop_pos(const VCtx *c, const Expr *e)
{
    for (int i = 0; i < e->nidx; i++) {
        const Expr *a = e->idx[i].a;
        if (e->idx[i].kind == IX_SINGLE && a && a->kind == E_VAR && a->slot == c->slot) return i;
    }
    return -1;
}

/* n - c, n + c (c an int literal): vec_index takes x[n - c] as a view, as x[n], without
 * n's values, except in a branch's iterations (vec_idx) */
static int is_shift(const Expr *pa, int slot)
{
    return pa->kind == E_BINOP && (pa->op == OP_ADD || pa->op == OP_SUB) && pa->args[0]->kind == E_VAR
           && pa->args[0]->slot == slot && pa->args[1]->kind == E_INT && pa->args[1]->ival > -1000000
           && pa->args[1]->ival < 1000000;
}

/* The index position that varies with the loop variable: n itself, or an int
 * lookup such as idx[n] (alpha[county[n]]); -1 if none. */
static int vary_pos(int slot, const Expr *e)
{
    for (int i = 0; i < e->nidx; i++)
        if (e->idx[i].kind == IX_SINGLE && ast_expr_mentions(e->idx[i].a, slot)) return i;
    return -1;
}

/* Index of the assignment (in c->asg) of variable slot, -1 if not assigned. */
static int asg_of(const VCtx *c, int slot)
{
    for (int i = 0; i < c->nasg; i++) if (c->asg[i]->args[0]->slot == slot) return i;
    return -1;
}

static int univariate(const void *dist)
{
    const Dist *d = dist;
    for (const char *p = d->sig; *p; p++) if (*p != 'R' && *p != 'I') return 0;
    return 1;
}

int vec_rowprod_shape(const Expr *e, int slot)
{
    if (e->kind != E_BINOP || e->op != OP_MUL || !scalar_real(e->ty)) return 0;
    const Expr *x = e->args[0], *b = e->args[1];
    if (x->kind != E_INDEX || x->nidx != 1 || x->idx[0].kind != IX_SINGLE) return 0;
    const Expr *X = x->args[0], *i = x->idx[0].a;
    return X->kind == E_VAR && X->ty.narr == 0 && X->ty.kind == TK_MATRIX && X->level < LV_PARAM && i
        && i->kind == E_VAR && i->slot == slot && b->ty.narr == 0 && b->ty.kind == TK_VECTOR;
}

const double *vec_rows(Ev *ev, const Val *X, int *ld)
{
    int R = X->dims[0], K = X->dims[1], m = ev->vec_hi - ev->vec_lo + 1;
    const int *ix = ev->vec_idx;
    if (!ix) {
        if (ev->vec_lo < 1 || ev->vec_hi > R) return NULL;
        *ld = R;
        return X->x + (ev->vec_lo - 1);
    }
    for (int k = 0; k < m; k++)
        if (ix[k] < 1 || ix[k] > R) return NULL;
    double *A = arena_alloc(&ev->arena, sizeof(double) * ((size_t)m * K + 1));   /* some rows: a matrix of their own */
    for (int j = 0; j < K; j++)
        for (int k = 0; k < m; k++) A[k + (size_t)j * m] = X->x[(ix[k] - 1) + (size_t)j * R];
    *ld = m;
    return A;
}

int vec_rowprod(Ev *ev, const Expr *e, Val *out)
{
    if (!vec_rowprod_shape(e, ev->vec_slot)) return 0;
    const Val *X = &ev->env[e->args[0]->args[0]->slot];
    if (X->base != TB_REAL || X->id || !X->x || X->ndim != 2) return 0;   /* the loop then declines */
    Val b = eval_expr(ev, e->args[1]);
    if (ev->fail) { *out = val_real(ev, 0); return 1; }
    b = val_to_real(ev, b);
    int K = X->dims[1], ld;
    const double *A = b.ndim == 1 && b.n == K ? vec_rows(ev, X, &ld) : NULL;
    if (!A) {
        ev_error(ev, e->span, "vectorised row product");      /* one at a time, for the message */
        *out = val_real(ev, 0);
        return 1;
    }
    *out = op_matvec_rows(ev, A, ld, ev->vec_hi - ev->vec_lo + 1, K, b);
    return 1;
}

/* 1: e depends on the loop variable in an allowed way, 0: it does not, -1: the loop
 * cannot run as vectors. */
static int vdep(VCtx *c, const Expr *e)
{
    if (vec_rowprod_shape(e, c->slot))     /* X[n] * b: row n of data times a vector */
        return asg_of(c, e->args[0]->args[0]->slot) < 0 && vdep(c, e->args[1]) == 0 ? 1 : -1;
    switch (e->kind) {
    case E_INT: case E_REAL: return 0;
    case E_VAR:
        if (e->slot == c->slot) { c->need_iv = 1; return 1; }
        if (is_loc(c, e->slot)) return 1;           /* a vector over the range */
        if (is_lv(c, e->slot)) return -1;           /* whole: only log_sum_exp's (below) */
        return asg_of(c, e->slot) >= 0 || is_red(c, e->slot) ? -1 : 0;
    case E_INDEX: {
        const Expr *b = e->args[0];
        if (b->kind == E_VAR && is_lv(c, b->slot))  /* lps[k]: a column */
            return e->nidx == 1 && e->idx[0].kind == IX_SINGLE && vdep(c, e->idx[0].a) == 0 ? 1 : -1;
        int pos = loop_pos(c, e), ai = b->kind == E_VAR ? asg_of(c, b->slot) : -1;
        if (b->kind != E_VAR && vdep(c, b) != 0) return -1;
        if (pos < 0) {                  /* an int lookup: idx[n] as the index */
            pos = vary_pos(c->slot, e);
            if (pos >= 0) {
                const Expr *a = e->idx[pos].a;
                if (ai >= 0 || a->ty.base != TB_INT || a->ty.narr) return -1;
                if (!(is_shift(a, c->slot) && !c->split) && vdep(c, a) != 1) return -1;
            }
        }
        for (int i = 0; i < e->nidx; i++) {
            if (i == pos) continue;
            const Index *x = &e->idx[i];
            if ((x->a && vdep(c, x->a) != 0) || (x->b && vdep(c, x->b) != 0)) return -1;
            if (pos >= 0 && x->kind != IX_SINGLE) return -1;
        }
        if (ai >= 0) {                  /* the element this iteration assigned */
            const Expr *l = c->asg[ai];
            if (ai >= c->sofar || pos < 0 || l->nidx != e->nidx) return -1;
            for (int i = 0; i < e->nidx; i++)
                if (!same_ix(l->idx[i].a, e->idx[i].a)) return -1;
        }
        if (pos < 0) return 0;
        return b->kind == E_VAR && e->ty.narr == 0 && e->ty.kind == TK_SCALAR ? 1 : -1;
    }
    default: break;
    }
    if (builtin_is(e, "log_sum_exp") && e->nargs == 1 && e->args[0]->kind == E_VAR && is_lv(c, e->args[0]->slot))
        return 1;
    int dep = 0;
    for (int i = 0; i < e->nargs; i++) {
        int d = vdep(c, e->args[i]);
        if (d < 0) return -1;
        dep |= d;
    }
    if (!dep) return 0;
    if (e->kind == E_BINOP && e->ty.base == TB_INT && e->ty.narr == 0 && e->ty.kind == TK_SCALAR)
        return e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL ? 1 : -1;   /* t - n */
    if (!scalar_real(e->ty)) return -1;
    if (e->kind == E_BINOP)
        return e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL || e->op == OP_DIV || e->op == OP_EMUL
            || e->op == OP_EDIV || e->op == OP_POW ? 1 : -1;
    if (e->kind == E_UNOP) return e->op == OP_NEG || e->op == OP_PLUS ? 1 : -1;
    if (e->kind == E_CALL) return e->fkind == FN_MATH || (e->fkind == FN_DIST_LPDF && univariate(e->fn)) ? 1 : -1;
    return -1;
}

int vec_expr_ok(const Expr *e, int slot, int *need_iv)
{
    VCtx c = {.slot = slot};
    int ok = vdep(&c, e) >= 0;
    *need_iv |= c.need_iv;
    return ok;
}

/* Every argument allowed, at least one depending on the loop variable. */
static int args_ok(VCtx *c, Expr *const *ex, int n)
{
    int dep = 0;
    for (int i = 0; i < n; i++) {
        int d = vdep(c, ex[i]);
        if (d < 0) return 0;
        dep |= d;
    }
    return dep;
}

static int stmt_ok(VCtx *c, const Stmt *s, int collect)
{
    switch (s->kind) {
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) if (!stmt_ok(c, s->stmts[i], collect)) return 0;
        return 1;
    case S_DECL: {
        const TypeSpec *ty = s->type;
        if (s->decl == D_LOCAL && ty && ty->name == TS_VECTOR && !ty->narr && !ty->lower && !ty->upper
            && !ty->offset && !ty->multiplier) {
            /* a local vector: its size and value the same for every n */
            if (collect) {
                if (c->nlv == VL_MAXASG || is_lv(c, s->slot)) return 0;
                c->lv[c->nlv++] = s->slot;
                return 1;
            }
            return vdep(c, ty->size[0]) == 0 && (!s->init || vdep(c, s->init) == 0);
        }
        /* a scalar real local: per iteration, so a vector over the range */
        if (s->decl != D_LOCAL || !ty || ty->name != TS_REAL || ty->narr || ty->lower || ty->upper) return 0;
        if (collect) {
            if (c->nloc == VL_MAXASG || is_loc(c, s->slot)) return 0;
            c->loc[c->nloc++] = s->slot;
            return 1;
        }
        return !s->init || vdep(c, s->init) >= 0;
    }
    case S_FOR:
        /* an inner loop over bounds that do not vary with n: run as it is, its body
         * vectorised over n */
        if (s->slot == c->slot) return 0;
        if (!collect && (vdep(c, s->lo) != 0 || vdep(c, s->hi) != 0)) return 0;
        c->infor++;
        {
            int ok = stmt_ok(c, s->body, collect);
            c->infor--;
            return ok;
        }
    case S_ASSIGN: {
        const Expr *l = s->lhs;
        if (l->kind == E_INDEX && l->args[0]->kind == E_VAR && is_lv(c, l->args[0]->slot)) {
            /* lps[k] (op)= v: a column, in inner loops too (each n has its own vector) */
            if (collect) return 1;
            if (l->nidx != 1 || l->idx[0].kind != IX_SINGLE || vdep(c, l->idx[0].a) != 0) return 0;
            if (s->aop != (Op)-1 && s->aop != OP_ADD && s->aop != OP_SUB && s->aop != OP_MUL && s->aop != OP_DIV)
                return 0;
            return vdep(c, s->rhs) >= 0;
        }
        if (l->kind == E_VAR && is_loc(c, l->slot)) {   /* a local, assigned whole */
            if (collect) return 1;
            return vdep(c, s->rhs) >= 0;
        }
        if (l->kind == E_VAR) {             /* a reduction */
            const Expr *d = red_term(s);
            if (!d || !scalar_real(l->ty) || l->slot == c->slot) return 0;
            if (collect) {
                if (c->nred == VL_MAXASG || is_red(c, l->slot) || asg_of(c, l->slot) >= 0) return 0;
                c->red[c->nred++] = l->slot;
                return 1;
            }
            return vdep(c, d) == 1;
        }
        if (collect) {
            /* element assignments only at the top level: "read after its assignment"
             * is a statement order, which an inner loop's repetition breaks */
            if (c->infor) return 0;
            if (s->aop != (Op)-1 || l->kind != E_INDEX || l->args[0]->kind != E_VAR || c->nasg == VL_MAXASG) return 0;
            if (loop_pos(c, l) < 0 || l->ty.narr || l->ty.kind != TK_SCALAR || l->ty.base != TB_REAL) return 0;
            for (int i = 0; i < l->nidx; i++) {
                const Expr *a = l->idx[i].a;
                if (l->idx[i].kind != IX_SINGLE || !(a->kind == E_VAR || a->kind == E_INT)) return 0;
            }
            c->asg[c->nasg++] = l;
            return 1;
        }
        for (int i = 0; i < l->nidx; i++)
            if (l->idx[i].a->kind == E_VAR && l->idx[i].a->slot != c->slot && vdep(c, l->idx[i].a) != 0) return 0;
        int ok = vdep(c, s->rhs) == 1;
        c->sofar++;
        return ok;
    }
    case S_TILDE: {
        if (collect) return univariate(s->fn) && s->nargs + 1 <= DIST_MAX_ARGS_EV;
        Expr *ex[DIST_MAX_ARGS_EV];
        ex[0] = s->lhs;
        for (int i = 0; i < s->nargs; i++) ex[i + 1] = s->args[i];
        return args_ok(c, ex, s->nargs + 1);
    }
    case S_TARGET:                      /* the sum over n of a real expression */
        if (!scalar_real(s->rhs->ty)) return 0;
        return collect || vdep(c, s->rhs) == 1;
    default: return 0;
    }
}

static int ev_is_lv(const Ev *ev, int slot) { return in_slots(ev->vec_lv, ev->vec_nlv, slot); }

/* An int index that does not vary with n, in 1..n: 0 and *k, else an error. */
static int lv_index(Ev *ev, const Expr *e, int n, int *k)
{
    Val v = eval_expr(ev, e);
    if (ev->fail) return -1;
    if (v.base != TB_INT || v.ndim || v.iv[0] < 1 || v.iv[0] > n) {
        ev_error(ev, e->span, "vectorised local vector index");    /* one at a time, for the message */
        return -1;
    }
    *k = v.iv[0];
    return 0;
}

/* Element k of local vector t over the range: column k, a view. */
static Val lv_column(const Val *t, int k)
{
    int m = t->dims[0];
    Val r = {.base = TB_REAL, .kind = TK_VECTOR, .ndim = 1, .n = m, .x = t->x + (size_t)(k - 1) * m,
             .id = t->id ? t->id + (size_t)(k - 1) * m : NULL};
    r.dims[0] = m;
    return r;
}

/* x[.., n, ..] with n the vectorised loop variable: the elements lo..hi as a vector
 * (a view when they are adjacent), or *ok = 0 to leave it to index_get. */
Val vec_index(Ev *ev, const Expr *e, int *ok)
{
    *ok = 0;
    if (e->args[0]->kind == E_VAR && ev_is_lv(ev, e->args[0]->slot)) {    /* lps[k]: column k */
        *ok = 1;
        const Val *t = &ev->env[e->args[0]->slot];
        int k;
        if (lv_index(ev, e->idx[0].a, t->dims[1], &k)) return val_real(ev, 0);
        return lv_column(t, k);
    }
    int pos = vary_pos(ev->vec_slot, e);
    if (pos < 0) return (Val){0};
    *ok = 1;
    const Expr *pa = e->idx[pos].a;
    int bare = pa->kind == E_VAR && pa->slot == ev->vec_slot, shift = 0;
    if (!bare && !ev->vec_idx && is_shift(pa, ev->vec_slot)) {
        /* x[n - c], x[n + c]: lo - c .. hi - c, a view as x[n] is (arK's y[t - k]) */
        bare = 1;
        shift = (int)(pa->op == OP_ADD ? pa->args[1]->ival : -pa->args[1]->ival);
    }
    Val b = ev->env[e->args[0]->slot];
    if (e->nidx != b.ndim || !(b.x || b.iv)) { ev_error(ev, e->span, "vectorised index"); return val_real(ev, 0); }
    int cc[VM_MAXDIM], m = ev->vec_hi - ev->vec_lo + 1;
    const int *lk = NULL;                /* the index's values, when not lo..hi: a lookup's, or
                                          * the iterations of a branch (vec_idx) */
    if (!bare) {
        Val look = eval_expr(ev, pa);
        if (ev->fail) return val_real(ev, 0);
        if (look.base != TB_INT || look.n != m) { ev_error(ev, e->span, "vectorised index"); return val_real(ev, 0); }
        lk = look.iv;
    } else if (ev->vec_idx) {
        lk = ev->vec_idx;
    }
    if (lk)
        for (int k = 0; k < m; k++)
            if (lk[k] < 1 || lk[k] > b.dims[pos]) { ev_error(ev, e->span, "vectorised index out of range"); return val_real(ev, 0); }
    for (int i = 0; i < e->nidx; i++) {
        int v = lk ? 1 : ev->vec_lo + shift;
        if (i != pos) {
            Val iv = eval_expr(ev, e->idx[i].a);
            if (ev->fail) return val_real(ev, 0);
            if (iv.base != TB_INT || iv.ndim) { ev_error(ev, e->span, "vectorised index"); return val_real(ev, 0); }
            v = iv.iv[0];
        }
        if (v < 1 || v > b.dims[i] || (i == pos && !lk && (long)ev->vec_hi + shift > b.dims[i])) {
            ev_error(ev, e->span, "vectorised index out of range");
            return val_real(ev, 0);
        }
        cc[i] = v - 1;
    }
    long o0 = val_offset(&b, cc), st = 0;
    if (b.dims[pos] > 1) { cc[pos]++; st = val_offset(&b, cc) - o0; }
    int dims[1] = {m};
    if (lk) {                            /* gather through the lookup */
        Val r = val_alloc(ev, b.base, b.base == TB_INT ? TK_SCALAR : TK_VECTOR, b.base == TB_INT, dims);
        if (b.base == TB_INT) {
            for (int k = 0; k < m; k++) r.iv[k] = b.iv[o0 + (lk[k] - 1) * st];
            return r;
        }
        for (int k = 0; k < m; k++) r.x[k] = b.x[o0 + (lk[k] - 1) * st];
        if (b.id) {
            r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)m);
            for (int k = 0; k < m; k++) r.id[k] = b.id[o0 + (lk[k] - 1) * st];
        }
        return r;
    }
    if (b.base == TB_INT) {
        Val r = val_alloc(ev, TB_INT, TK_SCALAR, 1, dims);
        for (int k = 0; k < m; k++) r.iv[k] = b.iv[o0 + k * st];
        return r;
    }
    if (st == 1) {                       /* a view */
        Val r = {.base = TB_REAL, .kind = TK_VECTOR, .ndim = 1, .n = m, .x = b.x + o0, .id = b.id ? b.id + o0 : NULL};
        r.dims[0] = m;
        return r;
    }
    Val r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    for (int k = 0; k < m; k++) r.x[k] = b.x[o0 + k * st];
    if (b.id) {
        r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)m);
        for (int k = 0; k < m; k++) r.id[k] = b.id[o0 + k * st];
    }
    return r;
}

/* e reads a variable the body declares or assigns (its value is not data's) */
static int reads_body_var(const VCtx *c, const Expr *e)
{
    if (!e) return 0;
    if (e->kind == E_VAR)
        return is_loc(c, e->slot) || is_lv(c, e->slot) || is_red(c, e->slot) || asg_of(c, e->slot) >= 0;
    for (int i = 0; i < e->nargs; i++) if (reads_body_var(c, e->args[i])) return 1;
    for (int i = 0; i < e->nidx; i++)
        if (reads_body_var(c, e->idx[i].a) || reads_body_var(c, e->idx[i].b)) return 1;
    return 0;
}

/* The loop's verdict and what the run needs (the assignments, the reductions, the
 * locals), from its syntax alone: 0 if it cannot run as vectors. */
static int vec_verdict(const Stmt *s, VCtx *c)
{
    *c = (VCtx){.slot = s->slot};
    const Stmt *b = s->body;
    while (b && b->kind == S_BLOCK && b->nstmts == 1) b = b->stmts[0];
    if (b && b->kind == S_IF) {
        /* an if on data alone (and n): each branch over its iterations; the condition
         * is evaluated once per iteration at the first run, not vectorised */
        if (b->cond->level >= LV_PARAM || !ast_expr_mentions(b->cond, s->slot)) return 0;   /* if (1): nothing to split */
        c->split = b;
        if (!stmt_ok(c, b->body, 1) || (b->els && !stmt_ok(c, b->els, 1))) return 0;
        if (reads_body_var(c, b->cond)) return 0;
        VCtx check = *c;
        if (!stmt_ok(&check, b->body, 0) || (b->els && !stmt_ok(&check, b->els, 0))) return 0;
        c->need_iv = check.need_iv;
        return 1;
    }
    if (!stmt_ok(c, s->body, 1)) return 0;      /* collects the assignments */
    VCtx check = *c;                           /* the check pass finds need_iv */
    if (!stmt_ok(&check, s->body, 0)) return 0;
    c->need_iv = check.need_iv;
    return 1;
}

const void *vec_plan(const Stmt *s, Arena *a)
{
    VCtx c;
    if (s->kind != S_FOR || !vec_verdict(s, &c)) return NULL;
    VCtx *p = arena_alloc(a, sizeof *p);
    *p = c;
    return p;
}

int vec_loop(Ev *ev, const Stmt *s, int lo, int hi)
{
    VCtx c;
    if (hi < lo || ev->vec_depth || !vec_verdict(s, &c)) return 0;
    return vec_loop_planned(ev, s, lo, hi, &c);
}

/* The iterations of loop s (lo..hi) where its if's condition holds, then the others:
 * kept in ev from the first run (the condition reads data and n only), NULL when the
 * condition cannot be evaluated (the interpreter, one iteration at a time, says why)
 * or out of memory. */
static const VecSplit *vec_split(Ev *ev, const Stmt *s, const Stmt *ifs, int lo, int hi)
{
    for (int i = 0; i < ev->nvsplit; i++)
        if (ev->vsplit[i].s == s && ev->vsplit[i].lo == lo && ev->vsplit[i].hi == hi) return &ev->vsplit[i];
    long n = (long)hi - lo + 1;
    int *idx = malloc(sizeof(int) * (size_t)n), *els = malloc(sizeof(int) * (size_t)n);
    VecSplit *grown = realloc(ev->vsplit, sizeof(VecSplit) * (size_t)(ev->nvsplit + 1));
    if (!idx || !els || !grown) { free(idx); free(els); if (grown) ev->vsplit = grown; return NULL; }
    ev->vsplit = grown;
    Val loopv = ev->env[s->slot], iv = val_int(ev, 0);
    int nt = 0, ne = 0;
    for (long i = lo; i <= hi; i++) {
        iv.iv[0] = (int)i;
        ev->env[s->slot] = iv;
        Val c = eval_expr(ev, ifs->cond);
        if (ev->fail || c.ndim || (c.base == TB_INT ? c.iv[0] == INT_MIN : isnan(c.x[0]))) break;
        if (c.base == TB_INT ? c.iv[0] != 0 : c.x[0] != 0) idx[nt++] = (int)i;
        else els[ne++] = (int)i;
    }
    ev->env[s->slot] = loopv;
    if (ev->fail || nt + ne != n) {      /* the run one iteration at a time raises it again */
        ev->fail = 0;
        ev->msg[0] = 0;
        free(idx);
        free(els);
        return NULL;
    }
    memcpy(idx + nt, els, sizeof(int) * (size_t)ne);
    free(els);
    ev->vsplit[ev->nvsplit] = (VecSplit){s, lo, hi, nt, ne, idx};
    return &ev->vsplit[ev->nvsplit++];
}

void vec_free(Ev *ev)
{
    for (int i = 0; i < ev->nvsplit; i++) free(ev->vsplit[i].idx);
    free(ev->vsplit);
    ev->vsplit = NULL;
    ev->nvsplit = 0;
}

/* The ints v[0..n) (v NULL: lo, lo + 1, ...) as a value: n in a vectorised run */
static Val vec_ints(Ev *ev, const int *v, int lo, int n)
{
    int dims[1] = {n};
    Val iv = val_alloc(ev, TB_INT, TK_SCALAR, 1, dims);
    for (int k = 0; k < n; k++) iv.iv[k] = v ? v[k] : lo + k;
    return iv;
}

void vec_enter(Ev *ev, int slot, int lo, int hi, int bind)
{
    if (bind) ev->env[slot] = vec_ints(ev, NULL, lo, hi - lo + 1);
    ev->vec_depth = 1;
    ev->vec_slot = slot;
    ev->vec_lo = lo;
    ev->vec_hi = hi;
    ev->vec_idx = NULL;
    ev->vec_nloc = ev->vec_nasg = ev->vec_nlv = 0;
}

void vec_leave(Ev *ev, int slot, Val v)
{
    ev->vec_depth = 0;
    ev->vec_idx = NULL;
    ev->vec_nloc = ev->vec_nasg = ev->vec_nlv = 0;
    ev->env[slot] = v;
}

int vec_loop_planned(Ev *ev, const Stmt *s, int lo, int hi, const void *plan)
{
    if (hi < lo || ev->vec_depth) return 0;
    VCtx c = *(const VCtx *)plan;
    const VecSplit *sp = c.split ? vec_split(ev, s, c.split, lo, hi) : NULL;
    if (c.split && !sp) return 0;
    TapeMark mark = tape_mark(ev);      /* what an undo restores */
    Val saved[VL_MAXASG], rsaved[VL_MAXASG], loopv = ev->env[s->slot];
    for (int i = 0; i < c.nasg; i++) saved[i] = ev->env[c.asg[i]->args[0]->slot];
    for (int i = 0; i < c.nred; i++) rsaved[i] = ev->env[c.red[i]];
    /* n as a value, and index_set's selection: lo..hi */
    vec_enter(ev, s->slot, lo, hi, c.nasg || c.need_iv);
    ev->vec_nloc = c.nloc;
    memcpy(ev->vec_loc, c.loc, sizeof c.loc);
    ev->vec_nlv = c.nlv;
    memcpy(ev->vec_lv, c.lv, sizeof c.lv);
    ev->vec_nasg = c.nasg;
    for (int i = 0; i < c.nasg; i++) ev->vec_asg[i] = c.asg[i]->args[0]->slot;
    if (sp) {                           /* each branch over its iterations */
        for (int br = 0; br < 2 && !ev->fail; br++) {
            const Stmt *body = br ? c.split->els : c.split->body;
            int n = br ? sp->nelse : sp->nthen;
            if (!body || n == 0) continue;
            ev->vec_idx = sp->idx + (br ? sp->nthen : 0);
            ev->vec_lo = 1;
            ev->vec_hi = n;
            if (c.nasg || c.need_iv) ev->env[s->slot] = vec_ints(ev, ev->vec_idx, 0, n);
            exec_stmt(ev, body);
        }
    } else {
        exec_stmt(ev, s->body);
    }
    vec_leave(ev, s->slot, loopv);
    if (!ev->fail || ev->fatal) return 1;
    ev->fail = 0;
    ev->msg[0] = 0;
    tape_undo(ev, &mark);
    for (int i = 0; i < c.nasg; i++) ev->env[c.asg[i]->args[0]->slot] = saved[i];
    for (int i = 0; i < c.nred; i++) ev->env[c.red[i]] = rsaved[i];
    return 0;
}

/* normal_lpdf per element, the formula inline (dist_normal.c's normal_lp);
 * -1 for an argument it would reject (the kernel then says which). */
static int vec_normal(Ev *ev, const Val *a, Val *r, int m)
{
    int sy = a[0].n > 1, sm = a[1].n > 1, ss = a[2].n > 1;
    const double *y = a[0].x, *mu = a[1].x, *sg = a[2].x;
    for (int k = 0; k < m; k++) {
        double s = sg[ss * k];
        if (isnan(y[sy * k]) || !isfinite(mu[sm * k]) || !(s > 0 && s < INFINITY)) return -1;
    }
    double s0 = sg[0], ls0 = log(s0), is0 = 1 / s0;   /* a scalar scale: log once */
    if (!r->id || ev->notape) {
        for (int k = 0; k < m; k++) {
            double s = ss ? sg[k] : s0, is = ss ? 1 / s : is0, z = (y[sy * k] - mu[sm * k]) * is;
            r->x[k] = -DSF_LOG_SQRT_2PI - (ss ? log(s) : ls0) - 0.5 * z * z;
        }
        return 0;
    }
    tape_reserve(ev, 3L * m);
    /* the tape's arrays in locals that nothing else writes (through ev, each store
     * would reload them) */
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt;
    double *restrict td = ev->td + ev->nt;
    const int32_t *iy = a[0].id, *im = a[1].id, *is_ = a[2].id, *out = r->id;
    long t = 0;
    /* data y, one location and one scale (a mixture's component): no strides, no branch
     * per element (mixture_local 4% faster than through the loop below) */
    if (!ss && !iy && sy && !sm && im && is_) {
        double m0 = mu[0], c0 = -DSF_LOG_SQRT_2PI - ls0;
        int32_t i0 = im[0], i1 = is_[0];
        for (int k = 0; k < m; k++) {
            double z = (y[k] - m0) * is0;
            r->x[k] = c0 - 0.5 * z * z;
            ti[2 * k] = i0; to[2 * k] = out[k]; td[2 * k] = z * is0;
            ti[2 * k + 1] = i1; to[2 * k + 1] = out[k]; td[2 * k + 1] = (z * z - 1) * is0;
        }
        ev->nt += 2L * m;
        return 0;
    }
    for (int k = 0; k < m; k++) {
        double s = ss ? sg[k] : s0, is = ss ? 1 / s : is0, z = (y[sy * k] - mu[sm * k]) * is;
        r->x[k] = -DSF_LOG_SQRT_2PI - (ss ? log(s) : ls0) - 0.5 * z * z;
        if (iy) { ti[t] = iy[sy * k]; to[t] = out[k]; td[t] = -z * is; t++; }
        if (im) { ti[t] = im[sm * k]; to[t] = out[k]; td[t] = z * is; t++; }
        if (is_) { ti[t] = is_[ss * k]; to[t] = out[k]; td[t] = (z * z - 1) * is; t++; }
    }
    ev->nt += t;
    return 0;
}

/* poisson_lpmf per element, p_lpmf's formula inline (int counts, a real rate): -1 for
 * an argument it would reject or a rate that is not finite (the lp1 path then says
 * which, or gives -inf) */
static int vec_poisson(Ev *ev, const Val *a, Val *r, int m)
{
    if (a[0].base != TB_INT || a[1].base != TB_REAL) return -1;
    int sy = a[0].n > 1, sl = a[1].n > 1;
    const int *y = a[0].iv;
    const double *lam = a[1].x;
    for (int k = 0; k < m; k++)
        if (y[sy * k] < 0 || !(lam[sl * k] >= 0 && lam[sl * k] < INFINITY)) return -1;
    double l0 = sl ? 0 : log(lam[0]);      /* one rate: its log once */
    int push = r->id && a[1].id && !ev->notape;
    if (push) tape_reserve(ev, m);
    int32_t *restrict ti = push ? ev->tin + ev->nt : NULL, *restrict to = push ? ev->tout + ev->nt : NULL;
    double *restrict td = push ? ev->td + ev->nt : NULL;
    for (int k = 0; k < m; k++) {
        double n = y[sy * k], l = lam[sl * k];
        r->x[k] = (n > 0 ? n * (sl ? log(l) : l0) : 0.0) - l - mf_lfact(n);
        if (push) { ti[k] = a[1].id[sl * k]; to[k] = r->id[k]; td[k] = (n > 0 ? n / l : 0.0) - 1.0; }
    }
    if (push) ev->nt += m;
    return 0;
}

/* f_lpdf(y[n] | ...) inside an expression of a vectorised loop: one log density per
 * element (the loop would compute them one at a time), each the kernel on one
 * replicate, with its partials as triples to that element. */

/* add + f_lpdf(...) per element, add a column of a local vector (lps[k] += f_lpdf(...)):
 * the density's own elements take add's value and a triple to it, where the sum as
 * values would make a second tape variable per element with two triples */
static Val vec_dist_plus(Ev *ev, const Expr *e, const Val *add)
{
    Val r = vec_dist(ev, e);
    if (ev->fail) return r;
    int m = ev->vec_hi - ev->vec_lo + 1;
    if (r.n != m || r.ndim != 1) {      /* a density that does not vary: add it the usual way */
        Expr tmp = {.kind = E_BINOP, .op = OP_ADD, .span = e->span, .ty = e->ty};
        return op_binary(ev, &tmp, OP_ADD, *add, r);
    }
    for (int k = 0; k < m; k++) r.x[k] = add->x[k] + r.x[k];
    if (!add->id) return r;
    if (!r.id) val_set_ids(ev, &r);
    tape_push_run(ev, add->id, 1, r.id[0], NULL, 0, 1, m);   /* r's variables are consecutive */
    return r;
}

Val vec_dist(Ev *ev, const Expr *e)
{
    const Dist *d = e->fn;
    int na = e->nargs;
    if (na > DIST_MAX_ARGS || na != d->nargs) { ev_error(ev, e->span, "vectorised call"); return val_real(ev, 0); }
    Val a[DIST_MAX_ARGS];
    int m = 1;
    for (int i = 0; i < na; i++) {
        a[i] = eval_expr(ev, e->args[i]);
        if (ev->fail) return val_real(ev, 0);
        char c = d->sig[i];
        if (i == 0 && d->discrete) c = 'I';
        if (c == 'I' ? a[i].base != TB_INT : a[i].base != TB_REAL) {
            if (c == 'I') { ev_error(ev, e->span, "vectorised call"); return val_real(ev, 0); }
            a[i] = val_to_real(ev, a[i]);
        }
        if (a[i].n != 1) {
            if (m != 1 && a[i].n != m) { ev_error(ev, e->span, "vectorised call"); return val_real(ev, 0); }
            m = a[i].n;
        }
    }
    int dims[1] = {m}, vec = 0;
    for (int i = 0; i < na; i++) vec |= a[i].ndim > 0;
    Val r = vec ? val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims) : val_real(ev, 0);
    int any = 0;
    for (int i = 0; i < na; i++) any |= a[i].id != NULL;
    if (any) val_set_ids(ev, &r);
    if (d == &dist_normal && vec_normal(ev, a, &r, m) == 0) return r;
    if (d == &dist_poisson && vec_poisson(ev, a, &r, m) == 0) return r;
    if (d->lp1) {                       /* the family's scalar entry point: no DArg, no loop */
        unsigned want = 0;
        for (int i = 0; i < na; i++) if (a[i].id && a[i].base == TB_REAL) want |= 1u << i;
        if (any) tape_reserve(ev, (long)na * m);
        double v[DIST_MAX_ARGS], gk[DIST_MAX_ARGS];
        for (int k = 0; k < m; k++) {
            for (int i = 0; i < na; i++) {
                int o = a[i].n == 1 ? 0 : k;
                v[i] = a[i].base == TB_INT ? a[i].iv[o] : a[i].x[o];
            }
            DistErr err = {0};
            if (d->lp1(v, want, &r.x[k], gk, &err) != 0 || isnan(r.x[k])) {
                ev_error(ev, e->span, "vectorised call: invalid argument");   /* one at a time, for the message */
                return val_real(ev, 0);
            }
            if (want)
                for (int i = 0; i < na; i++)
                    if (want >> i & 1) tape_put(ev, a[i].id[a[i].n == 1 ? 0 : k], r.id[k], gk[i]);
        }
        return r;
    }
    DArg da[DIST_MAX_ARGS];
    double g[DIST_MAX_ARGS], *part[DIST_MAX_ARGS];
    memset(da, 0, sizeof da);
    for (int k = 0; k < m; k++) {
        for (int i = 0; i < na; i++) {
            int o = a[i].n == 1 ? 0 : k;
            da[i].rows = da[i].cols = 1;
            if (a[i].base == TB_INT) da[i].iv = a[i].iv + o;
            else da[i].x = a[i].x + o;
            g[i] = 0;
            part[i] = a[i].id ? &g[i] : NULL;
        }
        DistErr err = {0};
        if (d->lpdf(1, da, &r.x[k], part, &err)) { ev_error(ev, e->span, "vectorised call: invalid argument"); return val_real(ev, 0); }
        if (any)
            for (int i = 0; i < na; i++)
                if (a[i].id) tape_push(ev, a[i].id[a[i].n == 1 ? 0 : k], r.id[k], g[i]);
    }
    return r;
}

static int ev_is_loc(const Ev *ev, int slot) { return in_slots(ev->vec_loc, ev->vec_nloc, slot); }
/* vector[K] v [= init] in a vectorised run: an (hi - lo + 1) x K matrix, init's
 * element k (the same for every n) down column k, without one not-a-number. */
static void lv_decl(Ev *ev, const Stmt *s)
{
    int m = ev->vec_hi - ev->vec_lo + 1;
    Val sz = eval_expr(ev, s->type->size[0]);
    if (ev->fail) return;
    if (sz.base != TB_INT || sz.ndim || sz.iv[0] < 0 || (double)sz.iv[0] * m > (double)VM_MAX_ELEMENTS) {
        ev_error(ev, s->span, "vectorised local vector size");
        return;
    }
    int K = sz.iv[0], dims[2] = {m, K};
    Val t = val_alloc(ev, TB_REAL, TK_MATRIX, 0, dims);
    if (!s->init) {
        for (int i = 0; i < t.n; i++) t.x[i] = NAN;
        ev->env[s->slot] = t;
        return;
    }
    Val x = eval_expr(ev, s->init);
    if (ev->fail) return;
    x = val_to_real(ev, x);
    if (x.ndim != 1 || x.n != K) { ev_error(ev, s->span, "vectorised local vector size"); return; }
    for (int k = 0; k < K; k++)
        for (int i = 0; i < m; i++) t.x[(size_t)k * m + i] = x.x[k];
    if (x.id) {
        t.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(t.n ? t.n : 1));
        for (int k = 0; k < K; k++)
            for (int i = 0; i < m; i++) t.id[(size_t)k * m + i] = x.id[k];
    }
    ev->env[s->slot] = t;
}

/* v[k] (op)= rhs in a vectorised run: column k */
static void lv_assign(Ev *ev, const Stmt *s)
{
    const Expr *l = s->lhs;
    Val *t = &ev->env[l->args[0]->slot];
    int k;
    if (lv_index(ev, l->idx[0].a, t->dims[1], &k)) return;
    Val v;
    const Expr *rhs = s->rhs;
    if (s->aop == OP_ADD && rhs->kind == E_CALL && rhs->fkind == FN_DIST_LPDF) {   /* lps[k] += f_lpdf(...) */
        Val col = lv_column(t, k);
        v = vec_dist_plus(ev, rhs, &col);
        if (ev->fail) return;
    } else {
        if (!fast_affine(ev, rhs, &v)) v = eval_expr(ev, rhs);
        if (ev->fail) return;
        if (s->aop != (Op)-1) {
            Op op = s->aop == OP_MUL ? OP_EMUL : s->aop == OP_DIV ? OP_EDIV : s->aop;
            Expr tmp = {.kind = E_BINOP, .op = op, .span = s->span, .ty = l->ty};
            v = op_binary(ev, &tmp, op, lv_column(t, k), v);
            if (ev->fail) return;
        }
    }
    v = val_to_real(ev, v);
    int m = t->dims[0];
    if (v.n != 1 && v.n != m) { ev_error(ev, s->span, "vectorised local vector assignment"); return; }
    if (!t->id && v.id) {               /* the vector becomes a tape value */
        double *x = t->x;
        val_set_ids(ev, t);
        t->x = x;
    }
    if (t->id && !v.id) val_set_ids(ev, &v);
    double *dx = t->x + (size_t)(k - 1) * m;
    int32_t *di = t->id ? t->id + (size_t)(k - 1) * m : NULL;
    int step = v.n == m;              /* a scalar (not varying) down the whole column */
    for (int i = 0; i < m; i++) dx[i] = v.x[i * step];
    if (di) for (int i = 0; i < m; i++) di[i] = v.id[i * step];
}

/* log_sum_exp of each row of local vector t: b_log_sum_exp's value, as max + log1p of
 * the other elements' exponentials (the same sum; log1p keeps the bits log(1 + s)
 * would round away), the exponentials and the logs computed for all rows at once
 * (vecmath.c: four lanes at a time); the partials exp(x_k - max) / sum, one triple per
 * element of a row whose max is finite (b_log_sum_exp's other rows are constants). */
static Val lv_lse(Ev *ev, const Val *t)
{
    int m = t->dims[0], K = t->dims[1], dims[1] = {m};
    size_t n = (size_t)m * K;
    Val r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    double *mx = arena_alloc(&ev->arena, sizeof(double) * (size_t)(m ? m : 1));
    int *km = arena_alloc(&ev->arena, sizeof(int) * (size_t)(m ? m : 1));
    double *d = arena_alloc(&ev->arena, sizeof(double) * (n ? n : 1));
    double *e = arena_alloc(&ev->arena, sizeof(double) * (n ? n : 1));
    double *s1 = arena_alloc(&ev->arena, sizeof(double) * (size_t)(m ? m : 1));
    double *l1 = arena_alloc(&ev->arena, sizeof(double) * (size_t)(m ? m : 1));
    const double *x = t->x;
    for (int i = 0; i < m; i++) { mx[i] = -INFINITY; km[i] = 0; }
    for (int k = 0; k < K; k++)
        for (int i = 0; i < m; i++)
            if (x[(size_t)k * m + i] > mx[i]) { mx[i] = x[(size_t)k * m + i]; km[i] = k; }
    for (int k = 0; k < K; k++)
        for (int i = 0; i < m; i++) d[(size_t)k * m + i] = isfinite(mx[i]) ? x[(size_t)k * m + i] - mx[i] : 0;
    vm_vexp(d, e, (int)n);
    for (int i = 0; i < m; i++) s1[i] = 0;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < m; i++) {
            if (k == km[i]) e[(size_t)k * m + i] = 1;    /* exp(0) */
            else s1[i] += e[(size_t)k * m + i];
        }
    vm_vlog1p(s1, l1, m);
    for (int i = 0; i < m; i++) r.x[i] = isfinite(mx[i]) ? mx[i] + l1[i] : mx[i];
    if (!t->id) return r;
    val_set_ids(ev, &r);
    if (ev->notape) return r;
    tape_reserve(ev, (long)n);
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt;
    double *restrict td = ev->td + ev->nt;
    long nt = 0;
    for (int i = 0; i < m; i++) {
        if (!isfinite(mx[i])) continue;
        double is = 1 / (1 + s1[i]);
        for (int k = 0; k < K; k++) {
            ti[nt] = t->id[(size_t)k * m + i];
            to[nt] = r.id[i];
            td[nt++] = e[(size_t)k * m + i] * is;
        }
    }
    ev->nt += nt;
    return r;
}

/* One term of a vectorised `target +=` (vec_target), summed over the run's
 * iterations and added to the log density, negated when neg. */
static void vt_term(Ev *ev, const Expr *e, int neg)
{
    if (e->kind == E_BINOP && (e->op == OP_ADD || e->op == OP_SUB) && scalar_real(e->ty)) {
        vt_term(ev, e->args[0], neg);
        if (!ev->fail) vt_term(ev, e->args[1], e->op == OP_SUB ? !neg : neg);
        return;
    }
    double lp;
    int32_t id;
    Val v;
    int summed = 1;                     /* v is the sum over the iterations already */
    if (e->kind == E_CALL && e->fkind == FN_DIST_LPDF && fast_dist(ev, e, e->fn, e->args, e->nargs, e->span, 0, &lp, &id)) {
        if (ev->fail) return;
        v = val_real(ev, lp);
        if (id >= 0) { v.id = arena_alloc(&ev->arena, sizeof(int32_t)); v.id[0] = id; }
    } else if (e->kind == E_CALL && e->fkind == FN_DIST_LPDF && e->nargs <= DIST_MAX_ARGS) {
        /* the family's kernel over the vectors: their sum at once, one partial per
         * scalar argument (vec_dist would give a value and a tape variable per element) */
        Val a[DIST_MAX_ARGS];
        int vec = 0;
        for (int i = 0; i < e->nargs; i++) {
            a[i] = eval_expr(ev, e->args[i]);
            vec |= a[i].ndim > 0;
        }
        if (ev->fail) return;
        if (vec) v = call_dist(ev, e, e->fn, FN_DIST_LPDF, a, e->nargs, e->span);
        else { v = vec_dist(ev, e); summed = 0; }
    } else {
        v = eval_expr(ev, e);
        summed = 0;
    }
    if (ev->fail) return;
    v = val_to_real(ev, v);
    if (summed) {
    } else if (v.ndim == 0) {           /* the same for every iteration: m times it */
        Val m = val_real(ev, ev->vec_hi - ev->vec_lo + 1);
        v = op_scalar(ev, OP_MUL, &v, &m);
    } else {
        v = val_sum(ev, v);
    }
    if (neg) {
        Expr tmp = {.kind = E_UNOP, .op = OP_NEG, .span = e->span, .ty = e->ty};
        v = op_unary(ev, &tmp, OP_NEG, v);
    }
    if (!ev->fail) ev_add_term(ev, v.x[0], v.id ? v.id[0] : -1);
}

int vec_target(Ev *ev, const Stmt *s)
{
    const Expr *r = s->rhs;
    if (r->kind != E_BINOP || (r->op != OP_ADD && r->op != OP_SUB) || !scalar_real(r->ty)) return 0;
    vt_term(ev, r, 0);
    return 1;
}

int vec_call(Ev *ev, const Expr *e, Val *out)
{
    if (e->nargs != 1 || e->args[0]->kind != E_VAR || !ev_is_lv(ev, e->args[0]->slot)) return 0;
    if (!builtin_is(e, "log_sum_exp")) return 0;
    *out = lv_lse(ev, &ev->env[e->args[0]->slot]);
    return 1;
}

/* A local's value over the range: v itself if it has one element per iteration, in a
 * copy if v is vec_index's view into a variable the loop writes element by element
 * (`real v = m[n]; m[n] = ...;` must keep the old value); a scalar is broadcast (its
 * tape variable shared by every element). */
static Val vec_spread(Ev *ev, Val v)
{
    int m = ev->vec_hi - ev->vec_lo + 1, dims[1] = {m};
    if (v.base != TB_REAL) v = val_to_real(ev, v);
    int whole = v.ndim == 1 && v.n == m;
    if (!whole && v.n != 1) { ev_error(ev, (Span){0}, "vectorised local"); return v; }
    if (whole) {
        int view = 0;
        for (int i = 0; i < ev->vec_nasg; i++) {
            const Val *t = &ev->env[ev->vec_asg[i]];
            view |= t->x && v.x >= t->x && v.x < t->x + t->n;
        }
        for (int i = 0; i < ev->vec_nlv; i++) {     /* a column of a local vector: assigned later */
            const Val *t = &ev->env[ev->vec_lv[i]];
            view |= t->x && v.x >= t->x && v.x < t->x + t->n;
        }
        if (!view) return v;
    }
    Val r = val_alloc(ev, TB_REAL, TK_VECTOR, 0, dims);
    for (int k = 0; k < m; k++) r.x[k] = v.x[whole ? k : 0];
    if (v.id) {
        r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)m);
        for (int k = 0; k < m; k++) r.id[k] = v.id[whole ? k : 0];
    }
    return r;
}

/* real mu [= init] in a vectorised loop's body (stmt_ok admitted only scalar real
 * locals): a vector over the range */
int vec_decl(Ev *ev, const Stmt *s)
{
    if (ev_is_lv(ev, s->slot)) { lv_decl(ev, s); return 1; }
    if (!ev_is_loc(ev, s->slot)) return 0;
    Val v;
    if (s->init) {
        if (!fast_affine(ev, s->init, &v)) v = eval_expr(ev, s->init);
        if (ev->fail) return 1;
    } else {
        v = val_real(ev, NAN);
    }
    ev->env[s->slot] = vec_spread(ev, v);
    return 1;
}

/* x[.., n, ..] = rhs in a vectorised loop: the elements lo..hi in one strided pass
 * (index_set's selection walk costs more than the copy); a body local, whole; a
 * reduction r = r + D(n). */
void vec_assign(Ev *ev, const Stmt *s)
{
    const Expr *l = s->lhs;
    if (l->kind == E_INDEX && l->args[0]->kind == E_VAR && ev_is_lv(ev, l->args[0]->slot)) { lv_assign(ev, s); return; }
    if (l->kind == E_VAR && ev_is_loc(ev, l->slot)) {     /* a local, whole */
        Val v;
        if (!fast_affine(ev, s->rhs, &v)) v = eval_expr(ev, s->rhs);
        if (ev->fail) return;
        if (s->aop != (Op)-1) {
            Expr tmp = {.kind = E_BINOP, .op = s->aop, .span = s->span, .ty = l->ty};
            v = op_binary(ev, &tmp, s->aop, ev->env[l->slot], v);
            if (ev->fail) return;
        }
        ev->env[l->slot] = vec_spread(ev, v);
        return;
    }
    if (l->kind == E_VAR) {             /* r = r + D(n): r + sum of D over the range */
        Val d = eval_expr(ev, red_term(s));
        if (ev->fail) return;
        Val sum = val_sum(ev, d);
        Expr tmp = {.kind = E_BINOP, .op = OP_ADD, .span = s->span, .ty = l->ty};
        Val *t = &ev->env[l->slot];
        Val r = op_binary(ev, &tmp, OP_ADD, *t, sum);
        if (ev->fail) return;
        t->x = r.x;
        t->id = r.id;
        return;
    }
    Val v;
    if (!fast_affine(ev, s->rhs, &v)) v = eval_expr(ev, s->rhs);
    if (ev->fail) return;
    Val *t = &ev->env[l->args[0]->slot];
    VCtx c = {.slot = ev->vec_slot};
    int pos = loop_pos(&c, l), m = ev->vec_hi - ev->vec_lo + 1;
    if (pos < 0 || l->nidx != t->ndim || t->base != TB_REAL || !t->x || v.ndim != 1 || v.n != m) {
        index_set(ev, l, t, v);
        return;
    }
    int cc[VM_MAXDIM];
    const int *lk = ev->vec_idx;        /* a branch's iterations, else lo..hi */
    for (int i = 0; i < l->nidx; i++) {
        int x = lk ? 1 : ev->vec_lo;
        if (i != pos) {
            Val iv = eval_expr(ev, l->idx[i].a);
            if (ev->fail) return;
            x = iv.iv[0];
        }
        if (x < 1 || x > t->dims[i] || (i == pos && !lk && ev->vec_hi > t->dims[i])) {
            ev_error(ev, l->span, "vectorised assignment out of range");
            return;
        }
        cc[i] = x - 1;
    }
    if (lk)
        for (int k = 0; k < m; k++)
            if (lk[k] < 1 || lk[k] > t->dims[pos]) { ev_error(ev, l->span, "vectorised assignment out of range"); return; }
    long o0 = val_offset(t, cc), st = 0;
    if (t->dims[pos] > 1) { cc[pos]++; st = val_offset(t, cc) - o0; }
    if (lk) {                           /* scattered: the offsets of the iterations' elements */
        long *off = arena_alloc(&ev->arena, sizeof(long) * (size_t)m);
        for (int k = 0; k < m; k++) off[k] = o0 + (long)(lk[k] - 1) * st;
        if (v.base != TB_REAL) v = val_to_real(ev, v);
        if (!t->id && v.id) {
            double *x = t->x;
            val_set_ids(ev, t);
            t->x = x;
        }
        if (t->id && !v.id) val_set_ids(ev, &v);
        for (int k = 0; k < m; k++) t->x[off[k]] = v.x[k];
        if (t->id) for (int k = 0; k < m; k++) t->id[off[k]] = v.id[k];
        return;
    }
    if (v.base != TB_REAL) v = val_to_real(ev, v);
    if (!t->id && v.id) {               /* the target becomes a tape value */
        double *x = t->x;
        val_set_ids(ev, t);
        t->x = x;
    }
    if (t->id && !v.id) val_set_ids(ev, &v);
    for (int k = 0; k < m; k++) t->x[o0 + k * st] = v.x[k];
    if (t->id) for (int k = 0; k < m; k++) t->id[o0 + k * st] = v.id[k];
}
