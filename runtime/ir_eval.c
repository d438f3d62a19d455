/* Walking the model phase at given constrained parameter values (ir_eval.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/ir_eval.h"

struct IrProbe {
    Ev ev;
    const double **vals;      /* per parameter */
    int inst;
    IeVisit visit;
    void *ctx;
    /* `target += D_lpdf(y | ...)` statements seen as `y ~ D(...)` (made once each) */
    const Stmt **tgt;
    Stmt **fake;
    int ntgt, captgt;
};

IrProbe *ie_new(const VmModel *m)
{
    IrProbe *p = calloc(1, sizeof *p);
    p->ev.m = m;
    p->ev.hoist = m->hoisted;
    arena_init(&p->ev.arena);
    p->ev.env = calloc((size_t)m->ir->nvars + 1, sizeof(Val));
    p->vals = calloc((size_t)m->nparams + 1, sizeof *p->vals);
    return p;
}

void ie_free(IrProbe *p)
{
    if (!p) return;
    Ev *ev = &p->ev;
    arena_free(&ev->arena);
    tape_free(ev);
    free(ev->env);
    for (int i = 0; i < p->ntgt; i++) free(p->fake[i]);
    free(p->tgt);
    free(p->fake);
    free(p->vals);
    free(p);
}

/* A `target +=` of one density call, as the equivalent `~` statement, or NULL. */
static const Stmt *as_tilde(IrProbe *p, const Stmt *s)
{
    const Expr *e = s->rhs;
    if (!e || e->kind != E_CALL || e->fkind != FN_DIST_LPDF || e->nargs < 1 || !e->fn) return NULL;
    for (int i = 0; i < p->ntgt; i++) if (p->tgt[i] == s) return p->fake[i];
    if (p->ntgt == p->captgt) {
        p->captgt = p->captgt ? 2 * p->captgt : 8;
        p->tgt = realloc(p->tgt, sizeof *p->tgt * (size_t)p->captgt);
        p->fake = realloc(p->fake, sizeof *p->fake * (size_t)p->captgt);
    }
    Stmt *t = calloc(1, sizeof *t);
    t->kind = S_TILDE;
    t->span = s->span;
    t->lhs = e->args[0];
    t->args = e->args + 1;
    t->nargs = e->nargs - 1;
    t->fn = e->fn;
    t->dist = e->name;
    t->dist_span = e->name_span;
    t->phase = s->phase;
    p->tgt[p->ntgt] = s;
    p->fake[p->ntgt++] = t;
    return t;
}

void ie_set_param(IrProbe *p, int k, const double *x) { p->vals[k] = x; }
Ev *ie_ev(IrProbe *p) { return &p->ev; }

const char *ie_error(const IrProbe *p, Span *sp)
{
    if (sp) *sp = p->ev.fail_span;
    return p->ev.msg;
}

static void bind(IrProbe *p)
{
    Ev *ev = &p->ev;
    const Model *m = ev->m;
    for (int k = 0; k < m->nparams; k++) {
        const ParamInfo *pi = &m->params[k];
        Val v = val_alloc(ev, pi->is_int ? TB_INT : TB_REAL, pi->shape.kind, pi->shape.narr, pi->shape.dims);
        const double *x = p->vals[k];
        for (int i = 0; i < v.n; i++) {
            double xi = x ? x[i] : 0;
            if (pi->is_int) v.iv[i] = (int)lround(xi);
            else v.x[i] = xi;
        }
        ev->env[pi->slot] = v;
    }
}

/* The executor's hook at `~`: the variate and arguments evaluated, handed to the
 * visitor. */
static int on_tilde(Ev *ev, const Stmt *s, void *ctx)
{
    IrProbe *p = ctx;
    Val vals[DIST_MAX_ARGS_EV];
    int n = s->nargs + 1 < DIST_MAX_ARGS_EV ? s->nargs + 1 : DIST_MAX_ARGS_EV;
    vals[0] = eval_expr(ev, s->lhs);
    for (int i = 1; i < n; i++) vals[i] = eval_expr(ev, s->args[i - 1]);
    if (ev->fail) return -1;
    return p->visit(p->ctx, ev, s, p->inst++, vals, n);
}

static int on_target(Ev *ev, const Stmt *s, void *ctx)
{
    const Stmt *t = as_tilde(ctx, s);
    if (t) return on_tilde(ev, t, ctx);
    ev_error(ev, s->span, "'target +=' adds a term that is not one density call (D_lpdf(y | ...))");
    return -1;
}

int ie_walk(IrProbe *p, IeVisit visit, void *ctx)
{
    Ev *ev = &p->ev;
    const Model *m = ev->m;
    arena_reset(&ev->arena);
    tape_reset(ev);
    ev->fail = ev->fatal = ev->rejected = ev->returning = 0;
    ev->msg[0] = 0;
    memcpy(ev->env, m->data_env, sizeof(Val) * (size_t)m->ir->nvars);
    bind(p);
    p->inst = 0;
    p->visit = visit;
    p->ctx = ctx;
    EvHook hook = {.tilde = on_tilde, .target = on_target, .fixed_structure = 1, .ctx = p};
    ev->hook = &hook;
    ev->halt = 0;
    const Program *pr = m->ir->prog;
    for (int i = 0; i < pr->nstmts && !ev->fail; i++) {
        const Stmt *s = pr->stmts[i];
        if (s->kind == S_DECL && s->decl == D_PARAM) continue;
        if (s->phase != PH_MODEL) continue;
        exec_stmt(ev, s);
    }
    ev->hook = NULL;
    if (ev->halt) return ev->halt;
    return ev->fail ? -1 : 0;
}
