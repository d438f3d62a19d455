/* Hoisting data-only subexpressions out of the per-evaluation statements.
 *
 * A subexpression of a model- or gen-phase statement that reads only data (and
 * data-phase lets) and literals, through pure operations, has the same value at
 * every evaluation: `diag_matrix(rep_vector(1e-10, N))` inside a covariance, `log(x)`
 * of a data vector, `x[1] - 1`.  The loader evaluates each maximal such subexpression
 * once, into the model's arena, and records the value in the model's table indexed
 * by the node's number (Model.hoisted[Expr.id]), not on the node: the tree is lang's,
 * and two models made from one tree with different data must not share values.  An
 * evaluator reads the table through Ev.hoist, and eval_expr returns the value as is.
 * It is a constant: no tape variable.
 *
 * What is invariant is decided here, not from sema's levels (Expr.level): sema gives
 * a loop variable over data bounds, or a local initialised from data, the data level,
 * though its value changes between iterations or assignments; and a let's level is
 * final only after the whole program is checked.  Invariant leaves are literals, data
 * variables and top-level lets written only by data-phase statements; a call is
 * invariant when its arguments are and it draws no random numbers (_rng).  Loop
 * variables, locals, params, gens and parameter-dependent lets never are.
 *
 * A subexpression whose evaluation fails at load (an index out of range in a branch
 * never taken, an integer division by zero in a gen) is not hoisted: the ordinary
 * path evaluates it, and reports the error with its position, when the statement
 * runs.  The forward simulator replaces data by simulated values, so its evaluator
 * has no table (Ev.hoist NULL), nor has a split model's share of the rows (split.c). */
#include <string.h>
#include "runtime/model.h"

int vm_hoist_disabled;

typedef struct Hoist {
    Model *m;
    Ev ev;
    const unsigned char *inv_var;   /* per slot: its value is the same at every evaluation */
    const Val **table;              /* by Expr.id, 1..nexprs */
    int nexprs;
    int nhoisted;
} Hoist;

/* Worth storing: anything but a leaf, whose evaluation is a lookup or one small
 * allocation (and eval_expr looks for a stored value only on the other kinds). */
static int worth(const Expr *e) { return e->kind != E_INT && e->kind != E_REAL && e->kind != E_VAR; }

static int invariant(Hoist *h, const Expr *e);

static void try_hoist(Hoist *h, const Expr *e);

/* 1 if e's value is the same at every evaluation (nothing is hoisted yet). */
static int invariant(Hoist *h, const Expr *e)
{
    if (!e) return 1;
    switch (e->kind) {
    case E_INT: case E_REAL: return 1;
    case E_VAR: return e->slot >= 0 && e->slot < h->m->ir->nvars && h->inv_var[e->slot];
    case E_CALL:
        /* user functions are never hoisted: one may print, reject or read its
         * arguments in ways a data-only level does not capture */
        if (e->fkind == FN_NONE || e->fkind == FN_DIST_RNG || e->fkind >= FN_USER) return 0;
        break;
    case E_STR: return 0;
        break;
    default: break;
    }
    int ok = 1;
    for (int i = 0; i < e->nargs && ok; i++) ok = invariant(h, e->args[i]);
    for (int i = 0; i < e->nidx && ok; i++) ok = invariant(h, e->idx[i].a) && invariant(h, e->idx[i].b);
    return ok;
}

/* Hoist the maximal invariant subexpressions of e. */
static void walk_expr(Hoist *h, const Expr *e)
{
    if (!e) return;
    if (invariant(h, e)) {
        if (worth(e)) try_hoist(h, e);
        return;
    }
    for (int i = 0; i < e->nargs; i++) walk_expr(h, e->args[i]);
    for (int i = 0; i < e->nidx; i++) { walk_expr(h, e->idx[i].a); walk_expr(h, e->idx[i].b); }
}

/* Evaluate the invariant e now; on failure hoist its parts instead. */
static void try_hoist(Hoist *h, const Expr *e)
{
    Ev *ev = &h->ev;
    ev->fail = 0;
    ev->msg[0] = 0;
    ev->vec_depth = 0;
    Val v = eval_expr(ev, e);
    if (!ev->fail && !v.id && (v.x || v.iv) && e->id >= 1 && e->id <= h->nexprs) {
        Val *p = arena_alloc(&ev->arena, sizeof *p);
        *p = v;
        h->table[e->id] = p;
        h->nhoisted++;
        return;
    }
    ev->fail = 0;
    for (int i = 0; i < e->nargs; i++)
        if (worth(e->args[i])) try_hoist(h, e->args[i]);
    for (int i = 0; i < e->nidx; i++) {
        if (e->idx[i].a && worth(e->idx[i].a)) try_hoist(h, e->idx[i].a);
        if (e->idx[i].b && worth(e->idx[i].b)) try_hoist(h, e->idx[i].b);
    }
}

static void walk_type(Hoist *h, const TypeSpec *ts)
{
    if (!ts) return;
    walk_expr(h, ts->lower);
    walk_expr(h, ts->upper);
    walk_expr(h, ts->offset);
    walk_expr(h, ts->multiplier);
    walk_expr(h, ts->size[0]);
    walk_expr(h, ts->size[1]);
    for (int i = 0; i < ts->narr; i++) walk_expr(h, ts->arr[i]);
}

static void walk_stmt(Hoist *h, const Stmt *s)
{
    if (!s) return;
    switch (s->kind) {
    case S_DECL:
        walk_type(h, s->type);
        if (s->decl != D_DATA) walk_expr(h, s->init);
        return;
    case S_TILDE:
        walk_expr(h, s->lhs);
        for (int i = 0; i < s->nargs; i++) walk_expr(h, s->args[i]);
        return;
    case S_TARGET: walk_expr(h, s->rhs); return;
    case S_ASSIGN:
        /* the target is written, not read as a value (index_set evaluates only its
         * indices): hoist inside the indices, never the target itself */
        for (const Expr *l = s->lhs; l && l->kind == E_INDEX; l = l->args[0])
            for (int i = 0; i < l->nidx; i++) { walk_expr(h, l->idx[i].a); walk_expr(h, l->idx[i].b); }
        walk_expr(h, s->rhs);
        return;
    case S_FOR:
        walk_expr(h, s->lo);
        walk_expr(h, s->hi);
        walk_stmt(h, s->body);
        return;
    case S_WHILE: case S_IF:
        walk_expr(h, s->cond);
        walk_stmt(h, s->body);
        walk_stmt(h, s->els);
        return;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) walk_stmt(h, s->stmts[i]);
        return;
    case S_EMPTY: return;
    case S_RETURN: case S_CALL:       /* the arguments of a call statement */
        if (s->rhs) for (int i = 0; i < s->rhs->nargs; i++) walk_expr(h, s->rhs->args[i]);
        return;
    }
}

int model_hoist(Model *m)
{
    if (vm_hoist_disabled) return 0;
    const Ir *ir = m->ir;
    const Program *p = ir->prog;
    unsigned char *inv = calloc((size_t)ir->nvars + 1, 1);
    if (!inv) return 0;
    for (int v = 0; v < ir->nvars; v++) {
        const VarInfo *vi = &ir->vars[v];
        inv[v] = vi->toplevel && !vi->is_loopvar && (vi->kind == D_DATA || vi->kind == D_LET);
    }
    /* a let any statement of a later phase writes changes between evaluations */
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (s->phase == PH_DATA) continue;
        for (int w = 0; w < s->nwrites; w++) inv[s->writes[w]] = 0;
        if (s->kind == S_DECL) inv[s->slot] = 0;
    }
    const Val **table = calloc((size_t)p->nexprs + 1, sizeof *table);
    if (!table) { free(inv); return 0; }
    Hoist h = {.m = m, .inv_var = inv, .table = table, .nexprs = p->nexprs};
    memset(&h.ev, 0, sizeof h.ev);
    h.ev.m = m;
    h.ev.hoist = table;
    h.ev.arena = m->arena;
    h.ev.env = m->data_env;
    h.ev.notape = 1;
    h.ev.phase = PH_MODEL;
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (s->phase == PH_DATA) continue;
        walk_stmt(&h, s);
    }
    m->arena = h.ev.arena;
    /* the load evaluator's tape buffers (none expected: nothing it ran had a parameter) */
    tape_free(&h.ev);
    free(inv);
    /* none: no table, so evaluators skip the lookup altogether */
    if (h.nhoisted) m->hoisted = table;
    else free(table);
    return h.nhoisted;
}

static void scan_assigned(unsigned char *out, const Stmt *s)
{
    if (!s) return;
    switch (s->kind) {
    case S_ASSIGN:
        if (s->lhs->kind == E_INDEX) {
            const Expr *b = s->lhs;
            while (b->kind == E_INDEX) b = b->args[0];
            if (b->kind == E_VAR && b->slot >= 0) out[b->slot] = 1;
        }
        return;
    case S_FOR: case S_WHILE: case S_IF:
        scan_assigned(out, s->body);
        scan_assigned(out, s->els);
        return;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) scan_assigned(out, s->stmts[i]);
        return;
    default: return;
    }
}



int model_scan_assigned(Model *m)
{
    m->idx_assigned = calloc((size_t)m->ir->nvars + 1, 1);
    if (!m->idx_assigned) return -1;
    const Program *p = m->ir->prog;
    for (int i = 0; i < p->nstmts; i++) scan_assigned(m->idx_assigned, p->stmts[i]);
    for (int i = 0; i < p->nfuns; i++) scan_assigned(m->idx_assigned, p->funs[i]->body);
    return 0;
}
