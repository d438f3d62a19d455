/* The fast paths' verdicts (fast.c), made once at load for every position of the
 * model's program where the interpreter would try one: each `~` statement, each
 * *_lpdf call, each declared or assigned value.  Inside a loop the plan runs as
 * vectors the values are judged twice, for the vectorised run and for the
 * interpreter's (which takes over when the vectorised run declines at run time).
 * A loop inside a vectorised loop runs one iteration at a time in the outer loop's
 * context, so its values are judged in that one (a vectorised loop nested in one the
 * plan vectorises is judged so too: it runs as vectors itself only when the outer one
 * declines at run time, and then a wrong verdict costs one evaluation, not a result). */
#include <limits.h>
#include <stdint.h>
#include "runtime/plan.h"
#include "runtime/model.h"

typedef struct VCtx {         /* a vectorised loop: its variable and body locals */
    int *vs;
    int nv;
} VCtx;

typedef struct Walk {
    Plan *p;
    int count;                /* first pass: count the keys only */
    int nkeys;
} Walk;

int vm_plan_fast_disabled;

static void put(Walk *w, const void *key, int dist, int aff)
{
    if (w->count) { w->nkeys++; return; }
    if (vm_plan_fast_disabled) dist = aff = 0;
    Plan *p = w->p;
    int i = (int)(plan_hash(key) & (unsigned long)(p->fcap - 1));
    while (p->ftab[i].key && p->ftab[i].key != key) i = (i + 1) & (p->fcap - 1);
    PlFast *f = &p->ftab[i];
    if (!f->key) p->nfast++;
    f->key = key;
    if (dist && !f->dist) p->nfdist++;
    if (aff && !f->aff) p->nfaff++;
    f->dist = (unsigned char)(dist ? dist : f->dist);
    f->aff |= (unsigned char)aff;
}

static int aff_bits(const Expr *e, const VCtx *vc)
{
    int b = fast_affine_plan(e, 0, NULL, 0) ? PL_AFF : 0;
    if (vc && fast_affine_plan(e, 1, vc->vs, vc->nv)) b |= PL_AFF_VEC;
    return b;
}

static void walk_expr(Walk *w, const Expr *e, const VCtx *vc)
{
    if (!e) return;
    if (e->kind == E_CALL && e->fkind == FN_DIST_LPDF) {
        int k = fast_dist_kind(e->fn, e->nargs);
        put(w, e, k, k ? aff_bits(e->args[1], vc) : 0);
    }
    for (int i = 0; i < e->nargs; i++) walk_expr(w, e->args[i], vc);
    for (int i = 0; i < e->nidx; i++) { walk_expr(w, e->idx[i].a, vc); walk_expr(w, e->idx[i].b, vc); }
}

/* A value given to fast_affine: only sums and products can be affine (fast.c tests
 * the kind before it looks the value up). */
static void walk_value(Walk *w, const Expr *e, const VCtx *vc)
{
    if (!e) return;
    if (e->kind == E_BINOP) put(w, e, 0, aff_bits(e, vc));
    walk_expr(w, e, vc);
}

/* A literal, with a sign (`-1` parses as a negation of 1), into *v: 1, else 0. */
static int literal(Model *m, const Expr *e, Val *v, Val *vr)
{
    double sg = 1;
    if (e->kind == E_UNOP && e->op == OP_NEG) { sg = -1; e = e->args[0]; }
    if (e->kind != E_INT && e->kind != E_REAL) return 0;
    double val = sg * (e->kind == E_INT ? (double)e->ival : e->rval);
    if (e->kind == E_INT && !(val >= INT_MIN && val <= INT_MAX)) return 0;   /* beyond an int */
    double *x = arena_alloc(&m->arena, sizeof(double));
    *x = val;
    *vr = (Val){.base = TB_REAL, .kind = TK_SCALAR, .n = 1, .x = x};
    if (e->kind == E_REAL) { *v = *vr; return 1; }
    int *iv = arena_alloc(&m->arena, sizeof(int));
    *iv = (int)val;
    *v = (Val){.base = TB_INT, .kind = TK_SCALAR, .n = 1, .iv = iv};
    return 1;
}

/* The variable a variate flattens (to_vector(zb), to_row_vector, to_array_1d of a
 * variable), or NULL: where every other operand is a scalar, the density of the
 * elements in any order is the same sum, so the normal kernel takes the variable's
 * elements as they are stored (nested3's to_vector(zb) ~ normal(0, 1): no copy of the
 * matrix, values and tape variables, at each gradient). */
static const Expr *flattened(const Stmt *s)
{
    const Expr *e = s->lhs;
    if (!builtin_flattens(e) || e->args[0]->kind != E_VAR || fast_dist_kind(s->fn, s->nargs + 1) != 1) return NULL;
    for (int k = 0; k < s->nargs; k++)
        if (s->args[k]->ty.narr || s->args[k]->ty.kind != TK_SCALAR) return NULL;
    return e->args[0];
}

/* s's operands as a PlTilde, or NULL when one is neither a variable nor a literal
 * (nor a flattened variable, as the variate). */
static const PlTilde *tilde_operands(Model *m, const Stmt *s)
{
    if (s->nargs + 1 > DIST_MAX_ARGS_EV) return NULL;
    PlTilde t = {.n = s->nargs + 1};
    for (int k = 0; k < t.n; k++) {
        const Expr *e = k ? s->args[k - 1] : s->lhs, *f;
        t.slot[k] = -1;
        if (e->kind == E_VAR) t.slot[k] = e->slot;
        else if (!k && (f = flattened(s))) t.slot[k] = f->slot;
        else if (!literal(m, e, &t.c[k], &t.cr[k])) return NULL;
    }
    PlTilde *r = arena_alloc(&m->arena, sizeof *r);
    *r = t;
    return r;
}

static void body_locals(const Stmt *s, int *vs, int *nv)
{
    if (!s) return;
    switch (s->kind) {
    case S_DECL: if (vs) vs[*nv] = s->slot; (*nv)++; return;
    case S_FOR: body_locals(s->body, vs, nv); return;      /* its variable: one int at a time */
    case S_WHILE: body_locals(s->body, vs, nv); return;
    case S_IF: body_locals(s->body, vs, nv); body_locals(s->els, vs, nv); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) body_locals(s->stmts[i], vs, nv); return;
    default: return;
    }
}

static void walk_stmt(Model *m, Walk *w, const Stmt *s, const VCtx *vc)
{
    if (!s) return;
    switch (s->kind) {
    case S_DECL:
        if (s->decl == D_DATA || s->decl == D_PARAM) return;
        walk_value(w, s->init, vc);
        return;
    case S_TILDE: {
        int k = fast_dist_kind(s->fn, s->nargs + 1);
        put(w, s, k, k ? aff_bits(s->args[0], vc) : 0);
        if (!w->count && !vc && !vm_plan_fast_disabled) {   /* inside a vectorised run scalars hold vectors */
            PlFast *f = (PlFast *)plan_fast(w->p, s);
            if ((f->tilde = tilde_operands(m, s))) w->p->ntilde++;
        }
        walk_expr(w, s->lhs, vc);
        for (int i = 0; i < s->nargs; i++) walk_expr(w, s->args[i], vc);
        return;
    }
    case S_TARGET: walk_expr(w, s->rhs, vc); return;
    case S_ASSIGN: walk_value(w, s->rhs, vc); walk_expr(w, s->lhs, vc); return;
    case S_FOR: {
        walk_expr(w, s->lo, vc);
        walk_expr(w, s->hi, vc);
        const PlLoop *l = plan_loop(w->p, s);
        VCtx in = {0};
        if (l && l->vec && !vc) {      /* inside a vectorised run, loops run one at a time */
            int n = 1;
            body_locals(s->body, NULL, &n);
            in.vs = arena_alloc(&m->arena, sizeof(int) * (size_t)n);
            in.vs[in.nv++] = s->slot;
            body_locals(s->body, in.vs, &in.nv);
            vc = &in;
        }
        walk_stmt(m, w, s->body, vc);
        return;
    }
    case S_WHILE: walk_expr(w, s->cond, vc); walk_stmt(m, w, s->body, vc); return;
    case S_IF: walk_expr(w, s->cond, vc); walk_stmt(m, w, s->body, vc); walk_stmt(m, w, s->els, vc); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) walk_stmt(m, w, s->stmts[i], vc); return;
    default: return;
    }
}

void plan_fast_build(Model *m, Plan *p)
{
    const Program *prog = m->ir->prog;
    Walk w = {.p = p, .count = 1};
    for (int i = 0; i < prog->nstmts; i++) walk_stmt(m, &w, prog->stmts[i], NULL);
    p->fcap = plan_cap(w.nkeys);
    p->ftab = arena_zalloc(&m->arena, sizeof *p->ftab * (size_t)p->fcap);
    w.count = 0;
    for (int i = 0; i < prog->nstmts; i++) walk_stmt(m, &w, prog->stmts[i], NULL);
}
