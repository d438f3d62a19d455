/* Indexing: positions run over array dimensions first, then the vector or matrix
 * ones.  A read gathers values and tape ids (no node: the result aliases the same
 * variables); a write scatters them. */
#include <stdio.h>
#include <string.h>
#include <math.h>
#include "runtime/eval.h"

typedef struct Sel {
    int ndim;
    int *idx[VM_MAXDIM];      /* selected 0-based indices per dimension */
    int cnt[VM_MAXDIM];
    int kept[VM_MAXDIM];      /* dimension survives in the result */
} Sel;

static const char *base_name(const Expr *e)
{
    while (e && e->kind == E_INDEX) e = e->args[0];
    return e && e->kind == E_VAR ? e->name : "value";
}

static int get_int(Ev *ev, const Expr *e, int *out)
{
    Val v = eval_expr(ev, e);
    if (ev->fail) return -1;
    *out = v.iv[0];
    return 0;
}

/* Build the selection for `nidx` index positions applied to v. */
static int make_sel(Ev *ev, const Expr *site, const Index *ix, int nidx, const Val *v, Sel *s)
{
    s->ndim = v->ndim;
    if (nidx > v->ndim) { ev_error(ev, site->span, "too many indices"); return -1; }
    for (int d = 0; d < v->ndim; d++) {
        int size = v->dims[d];
        if (d >= nidx) {
            s->cnt[d] = size;
            s->kept[d] = 1;
            s->idx[d] = arena_alloc(&ev->arena, sizeof(int) * (size_t)(size ? size : 1));
            for (int i = 0; i < size; i++) s->idx[d][i] = i;
            continue;
        }
        const Index *x = &ix[d];
        int lo = 1, hi = size;
        if (x->kind == IX_SINGLE) {
            Val iv = eval_expr(ev, x->a);
            if (ev->fail) return -1;
            if (iv.ndim == 0) {
                int i = iv.iv[0];
                if (i < 1 || i > size) {
                    ev_error(ev, x->a->span, "index %d out of range for '%s' (dimension %d has size %d)", i,
                             base_name(site), d + 1, size);
                    return -1;
                }
                s->cnt[d] = 1;
                s->kept[d] = 0;
                s->idx[d] = arena_alloc(&ev->arena, sizeof(int));
                s->idx[d][0] = i - 1;
                continue;
            }
            s->cnt[d] = iv.n;         /* multi-index with an int array */
            s->kept[d] = 1;
            s->idx[d] = arena_alloc(&ev->arena, sizeof(int) * (size_t)(iv.n ? iv.n : 1));
            for (int k = 0; k < iv.n; k++) {
                int i = iv.iv[k];
                if (i < 1 || i > size) {
                    ev_error(ev, x->a->span, "index %d (element %d of the index array) out of range for '%s' (size %d)",
                             i, k + 1, base_name(site), size);
                    return -1;
                }
                s->idx[d][k] = i - 1;
            }
            continue;
        }
        if (x->a && get_int(ev, x->a, &lo)) return -1;
        if (x->b && get_int(ev, x->b, &hi)) return -1;
        int n = hi >= lo ? hi - lo + 1 : 0;
        if (n > 0 && (lo < 1 || hi > size)) {
            ev_error(ev, site->span, "slice %d:%d out of range for '%s' (size %d)", lo, hi, base_name(site), size);
            return -1;
        }
        s->cnt[d] = n;
        s->kept[d] = 1;
        s->idx[d] = arena_alloc(&ev->arena, sizeof(int) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) s->idx[d][i] = lo - 1 + i;
    }
    return 0;
}

/* Offset of the element with per-dimension indices c in a value of this shape. */
long val_offset(const Val *v, const int *c)
{
    int narr = v->narr;
    long off = 0;
    for (int d = 0; d < narr; d++) off = off * v->dims[d] + c[d];
    long inner = 1, ioff = 0;
    if (v->kind == TK_VECTOR || v->kind == TK_ROWVEC) { inner = v->dims[narr]; ioff = c[narr]; }
    else if (v->kind == TK_MATRIX) { inner = (long)v->dims[narr] * v->dims[narr + 1]; ioff = c[narr] + (long)c[narr + 1] * v->dims[narr]; }
    return off * inner + ioff;
}

/* Walk every selected element: source offset and the result's per-dim counters. */
typedef void (*SelVisit)(void *ctx, long src, const int *rc);

static void walk(const Val *v, const Sel *s, SelVisit f, void *ctx)
{
    int nd = s->ndim;
    int k[VM_MAXDIM] = {0}, c[VM_MAXDIM] = {0};
    for (int d = 0; d < nd; d++) if (s->cnt[d] == 0) return;
    for (;;) {
        for (int d = 0; d < nd; d++) c[d] = s->idx[d][k[d]];
        f(ctx, val_offset(v, c), k);
        int d = nd - 1;
        while (d >= 0 && ++k[d] == s->cnt[d]) { k[d] = 0; d--; }
        if (d < 0) break;
    }
}

typedef struct GetCtx { const Val *src; Val *dst; const Sel *s; int kdims[VM_MAXDIM]; int nk; } GetCtx;

static long dst_offset(const GetCtx *g, const int *rc)
{
    int c[VM_MAXDIM], j = 0;
    for (int d = 0; d < g->s->ndim; d++) if (g->s->kept[d]) c[j++] = rc[d];
    return val_offset(g->dst, c);
}

static void get_visit(void *ctx, long src, const int *rc)
{
    GetCtx *g = ctx;
    long o = dst_offset(g, rc);
    if (g->src->base == TB_INT) g->dst->iv[o] = g->src->iv[src];
    else {
        g->dst->x[o] = g->src->x[src];
        if (g->src->id) g->dst->id[o] = g->src->id[src];
    }
}

/* x[i, j] down to one element (the checker typed it scalar, so every index is one
 * int): the offset directly, without a selection. */
static int get_scalar(Ev *ev, const Expr *e, const Val *base, Val *r)
{
    if (e->ty.narr || e->ty.kind != TK_SCALAR || e->nidx != base->ndim) return 0;
    for (int d = 0; d < e->nidx; d++) if (e->idx[d].kind != IX_SINGLE) return 0;
    int c[VM_MAXDIM];
    for (int d = 0; d < e->nidx; d++) {
        const Expr *ie = e->idx[d].a;
        int i;
        if (ie->kind == E_INT) i = (int)ie->ival;          /* beta[1]: no value to build */
        else {
            Val iv = eval_expr(ev, ie);
            if (ev->fail) { *r = val_real(ev, NAN); return 1; }
            i = iv.iv[0];
        }
        if (i < 1 || i > base->dims[d]) {
            ev_error(ev, e->idx[d].a->span, "index %d out of range for '%s' (dimension %d has size %d)", i,
                     base_name(e), d + 1, base->dims[d]);
            *r = val_real(ev, NAN);
            return 1;
        }
        c[d] = i - 1;
    }
    long o = val_offset(base, c);
    if (base->base == TB_INT) { *r = val_int(ev, base->iv[o]); return 1; }
    *r = val_real(ev, base->x[o]);
    if (base->id) {
        r->id = arena_alloc(&ev->arena, sizeof(int32_t));
        r->id[0] = base->id[o];
    }
    return 1;
}

Val index_get(Ev *ev, const Expr *e, Val base)
{
    Val sr;
    if (get_scalar(ev, e, &base, &sr)) return sr;
    Sel s;
    if (make_sel(ev, e, e->idx, e->nidx, &base, &s)) return val_real(ev, NAN);
    int dims[VM_MAXDIM], nk = 0;
    for (int d = 0; d < s.ndim; d++) if (s.kept[d]) dims[nk++] = s.cnt[d];
    Val r = val_alloc(ev, base.base, e->ty.kind, e->ty.narr, dims);
    if (base.id) r.id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(r.n ? r.n : 1));
    GetCtx g = {&base, &r, &s, {0}, nk};
    walk(&base, &s, get_visit, &g);
    return r;
}

typedef struct SetCtx { Val *dst; const Val *v; const Sel *s; long k; } SetCtx;

static void set_visit(void *ctx, long dst, const int *rc)
{
    SetCtx *c = ctx;
    /* the value's elements are visited in its own layout order */
    int cc[VM_MAXDIM], j = 0;
    for (int d = 0; d < c->s->ndim; d++) if (c->s->kept[d]) cc[j++] = rc[d];
    long o = val_offset(c->v, cc);
    if (c->dst->base == TB_INT) c->dst->iv[dst] = c->v->iv[o];
    else {
        c->dst->x[dst] = c->v->x[o];
        if (c->dst->id) c->dst->id[dst] = c->v->id[o];
    }
}

/* x[i, j] = scalar (the checker typed the element scalar, so every index is one
 * int): the offset directly, as get_scalar. */
static int set_scalar(Ev *ev, const Expr *lhs, const Index *ix, int nidx, Val *t, Val v)
{
    if (lhs->ty.narr || lhs->ty.kind != TK_SCALAR || nidx != t->ndim || v.ndim) return 0;
    for (int d = 0; d < nidx; d++) if (ix[d].kind != IX_SINGLE) return 0;
    int c[VM_MAXDIM];
    for (int d = 0; d < nidx; d++) {
        const Expr *ie = ix[d].a;
        int i;
        if (ie->kind == E_INT) i = (int)ie->ival;
        else {
            Val iv = eval_expr(ev, ie);
            if (ev->fail) return 1;
            i = iv.iv[0];
        }
        if (i < 1 || i > t->dims[d]) {
            ev_error(ev, ie->span, "index %d out of range for '%s' (dimension %d has size %d)", i,
                     base_name(lhs), d + 1, t->dims[d]);
            return 1;
        }
        c[d] = i - 1;
    }
    long o = val_offset(t, c);
    if (t->base == TB_INT) { t->iv[o] = v.iv[0]; return 1; }
    if (v.base != TB_REAL) v = val_to_real(ev, v);
    if (!t->id && v.id) {             /* the target becomes a tape value */
        double *x = t->x;
        val_set_ids(ev, t);
        t->x = x;
    }
    t->x[o] = v.x[0];
    if (t->id) t->id[o] = v.id ? v.id[0] : tape_vars(ev, 1);
    return 1;
}

void index_set(Ev *ev, const Expr *lhs, Val *t, Val v)
{
    /* x[i][j] is x[i, j] when the outer indices are single */
    const Expr *chain[VM_MAXDIM];
    int nchain = 0;
    for (const Expr *e = lhs; e->kind == E_INDEX && nchain < VM_MAXDIM; e = e->args[0]) chain[nchain++] = e;
    Index all[VM_MAXDIM];
    int n = 0;
    for (int c = nchain - 1; c >= 0; c--)
        for (int i = 0; i < chain[c]->nidx && n < VM_MAXDIM; i++) {
            if (c != 0 && chain[c]->idx[i].kind != IX_SINGLE) {
                ev_error(ev, lhs->span, "assignment through a slice followed by more indices is not supported");
                return;
            }
            all[n++] = chain[c]->idx[i];
        }
    if (set_scalar(ev, lhs, all, n, t, v)) return;
    Sel s;
    if (make_sel(ev, lhs, all, n, t, &s)) return;
    long cnt = 1;
    int nk = 0;
    for (int d = 0; d < s.ndim; d++) { cnt *= s.cnt[d]; if (s.kept[d]) { if (v.ndim <= nk || v.dims[nk] != s.cnt[d]) cnt = -1; nk++; } }
    if (cnt < 0 || nk != v.ndim) {
        ev_error(ev, lhs->span, "size mismatch in assignment to '%s'", base_name(lhs));
        ev->size_error = 1;
        return;
    }
    if (t->base == TB_REAL) {
        v = val_to_real(ev, v);
        if (!t->id && v.id) {         /* the target becomes a tape value */
            double *x = t->x;
            val_set_ids(ev, t);
            t->x = x;
        }
        if (t->id && !v.id) { Val w = v; val_set_ids(ev, &w); v = w; }
    }
    SetCtx c = {t, &v, &s, 0};
    walk(t, &s, set_visit, &c);
}
