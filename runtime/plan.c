/* See plan.h. */
#include <stdint.h>
#include "runtime/plan.h"
#include "runtime/model.h"

int vm_plan_scalar_disabled;
int vm_plan_linrec_disabled;

static void count_loops(const Stmt *s, int *n)
{
    if (!s) return;
    switch (s->kind) {
    case S_FOR: (*n)++; count_loops(s->body, n); return;
    case S_WHILE: (*n)++; count_loops(s->body, n); return;
    case S_IF: count_loops(s->body, n); count_loops(s->els, n); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) count_loops(s->stmts[i], n); return;
    default: return;
    }
}

/* An int known at load: a literal, a data int, + - * of those; -1 if not (or negative). */
static long load_int(const Model *m, const Expr *e)
{
    switch (e->kind) {
    case E_INT: return e->ival;
    case E_VAR: {
        const VarInfo *vi = &m->ir->vars[e->slot];
        const Val *v = &m->data_env[e->slot];
        if (vi->kind != D_DATA || v->base != TB_INT || v->n != 1 || v->ndim || !v->iv) return -1;
        return v->iv[0];
    }
    case E_BINOP: {
        long a = load_int(m, e->args[0]), b = a < 0 ? -1 : load_int(m, e->args[1]);
        if (b < 0 || a > 1000000 || b > 1000000) return -1;
        long r = e->op == OP_ADD ? a + b : e->op == OP_SUB ? a - b : e->op == OP_MUL ? a * b : -1;
        return r;
    }
    default: return -1;
    }
}

/* Some loop inside s runs as vectors over a range of VECTOR_MIN or more elements (or
 * one not known at load): the loop around it is better left to the interpreter, the
 * inner one as vectors (dogs: 31 us so, 46 us as one scalar program), than made one
 * scalar program; over a few elements (an HMM's states) the program is faster. */
#define VECTOR_MIN 8
static int has_distv(const Stmt *s)
{
    if (!s) return 0;
    if (s->kind == S_FOR) return sc_distv_shape(s) || has_distv(s->body);
    if (s->kind == S_BLOCK) { for (int i = 0; i < s->nstmts; i++) if (has_distv(s->stmts[i])) return 1; return 0; }
    return 0;
}

/* s holds a loop that runs as vectors over VECTOR_MIN or more elements.  Bounds not
 * known at load count as many in the model (data sizes are known there, so an unknown
 * bound is large or computed), as few in a function's body (fun), whose sizes are its
 * arguments': an HMM's states, more often than not. */
static int inner_vector(Model *m, const Stmt *s, int fun)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_FOR: {
        /* a program runs this one as one density call over the slice (SS_DISTV) */
        if (!vm_scalar_nodistv && sc_distv_shape(s)) return 0;
        /* a loop around such loops: the program takes it too (nested3's middle loop) */
        if (!vm_scalar_nodistv && has_distv(s->body)) return inner_vector(m, s->body, fun);
        if (vec_plan(s, &m->arena)) {
            long lo = load_int(m, s->lo), hi = lo < 0 ? -1 : load_int(m, s->hi);
            if (lo < 0 || hi < 0 ? !fun : hi - lo + 1 >= VECTOR_MIN) return 1;
        }
        return inner_vector(m, s->body, fun);
    }
    case S_WHILE: return inner_vector(m, s->body, fun);
    case S_IF: return inner_vector(m, s->body, fun) || inner_vector(m, s->els, fun);
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) if (inner_vector(m, s->stmts[i], fun)) return 1; return 0;
    default: return 0;
    }
}

/* s holds a density statement (`~`, `target +=`, a call statement that may be an _lp
 * function's): a hook of the executor must see each one (eval.h) */
static int has_density(const Stmt *s)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_TILDE: case S_TARGET: case S_CALL: return 1;
    case S_FOR: case S_WHILE: return has_density(s->body);
    case S_IF: return has_density(s->body) || has_density(s->els);
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) if (has_density(s->stmts[i])) return 1; return 0;
    default: return 0;
    }
}

/* a new entry of the table for loop s (open addressing; the table has room for every
 * loop of the model and its functions) */
static PlLoop *plan_new(Plan *p, const Stmt *s)
{
    int i = (int)(plan_hash(s) & (unsigned long)(p->cap - 1));
    while (p->tab[i].s) i = (i + 1) & (p->cap - 1);
    p->tab[i] = (PlLoop){.s = s, .dens = has_density(s->body)};
    p->nloops++;
    return &p->tab[i];
}

/* The linear recurrences among statements st[0..n) of a block (or of the program)
 * whose reverse pass may read the arrays' own storage (lr_settle; not in a function's
 * body, fun), and the scalar programs' sums whose local nothing reads after the loop
 * (sc_settle). */
static void plan_settle(Model *m, Plan *p, Stmt *const *st, int n, int fun)
{
    for (int i = 0; i < n; i++) {
        if (st[i]->kind != S_FOR && st[i]->kind != S_WHILE) continue;
        const PlLoop *l = plan_loop(p, st[i]);
        if (l && l->lin && !fun) lr_settle((LrProg *)l->lin, st, i, n, m->ir->vars);
        if (l && l->sc) p->nvlse += sc_settle((ScProg *)l->sc, st, i, n, m->ir->vars);
    }
}

static void plan_stmt(Model *m, Plan *p, const Stmt *s)
{
    if (!s) return;
    switch (s->kind) {
    case S_FOR: {
        PlLoop *l = plan_new(p, s);
        l->vec = vec_plan(s, &m->arena);
        /* a loop that runs as vectors gets a program only if one may win (SS_DISTV) */
        l->sc = vm_plan_scalar_disabled || inner_vector(m, s->body, 0) || (l->vec && (vm_scalar_nodistv || !has_distv(s->body)))
              ? NULL : sc_compile(s, &m->arena, &l->why);
        /* vectors first: measured faster even when the body holds inner loops (arK,
         * dogs and bench_shapes' nested3 took 1.3-2.5x longer as scalar programs);
         * unless the program runs an inner loop as one density call over a slice
         * (SS_DISTV): nested3 14.5 us so, 20.5 as vectors */
        if (l->vec && l->sc) { if (sc_ndistv(l->sc)) l->vec = NULL; else l->sc = NULL; }
        if (l->sc) {
            sc_data_stats((ScProg *)l->sc, m->data_env, &m->arena);
            p->nvlse += sc_settle((ScProg *)l->sc, NULL, 0, 0, m->ir->vars);   /* the body's own locals */
        }
        /* a recurrence that a scalar program covers runs as one: garch11's loop took
         * 15% fewer instructions so (callgrind), the same time */
        l->rec = !l->vec && !l->sc ? rec_compile(s, &m->arena) : NULL;
        /* a linear recurrence runs so before its program (which stays, for the runs it
         * declines): ARMA(1,1) 9x the hand-written C as a program */
        l->lin = !l->vec && !vm_plan_linrec_disabled ? lr_compile(s, &m->arena) : NULL;
        p->nlin += l->lin != NULL;
        p->nvec += l->vec != NULL;
        p->nrec += l->rec != NULL;
        p->nsc += l->sc != NULL;
        plan_stmt(m, p, s->body);
        return;
    }
    case S_WHILE: {
        /* a while loop: a scalar program or the interpreter (eval.c runs it so only
         * without a hook) */
        PlLoop *l = plan_new(p, s);
        l->sc = vm_plan_scalar_disabled || inner_vector(m, s->body, 0) ? NULL : sc_compile(s, &m->arena, &l->why);
        p->nsc += l->sc != NULL;
        plan_stmt(m, p, s->body);
        return;
    }
    case S_IF: plan_stmt(m, p, s->body); plan_stmt(m, p, s->els); return;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) plan_stmt(m, p, s->stmts[i]);
        plan_settle(m, p, s->stmts, s->nstmts, 0);
        return;
    default: return;
    }
}

/* A loop in a user-defined function's body is planned as the model's are, but for
 * the vectoriser, which such a loop still tries at each run without a plan (as it
 * did before plans): a scalar program, else a recurrence.  A program reads the
 * function's arguments and locals from their slots as it reads the model's variables;
 * a body with `return` in it, or anything else no program covers, stays the
 * interpreter's.  (Stan's HMM forward pass written as a function: bench_shapes'
 * hmm shape, as one.) */
static void plan_fun_stmt(Model *m, Plan *p, const Stmt *s)
{
    if (!s) return;
    switch (s->kind) {
    case S_FOR: {
        int vec = vec_plan(s, &m->arena) != NULL;
        Span why = {0};
        const ScProg *sc = vec || vm_plan_scalar_disabled || inner_vector(m, s->body, 1) ? NULL : sc_compile(s, &m->arena, &why);
        const RcProg *rec = vec || sc ? NULL : rec_compile(s, &m->arena);
        const LrProg *lin = vec || vm_plan_linrec_disabled ? NULL : lr_compile(s, &m->arena);
        if (rec || sc || lin) {
            PlLoop *l = plan_new(p, s);
            l->rec = rec;
            l->sc = sc;
            l->lin = lin;
            p->nlin += lin != NULL;
            l->why = why;
            p->nrec += rec != NULL;
            p->nsc += sc != NULL;
        }
        plan_fun_stmt(m, p, s->body);
        return;
    }
    case S_WHILE: {
        Span why = {0};
        const ScProg *sc = vm_plan_scalar_disabled || inner_vector(m, s->body, 1) ? NULL : sc_compile(s, &m->arena, &why);
        if (sc) {
            PlLoop *l = plan_new(p, s);
            l->sc = sc;
            l->why = why;
            p->nsc++;
        }
        plan_fun_stmt(m, p, s->body);
        return;
    }
    case S_IF: plan_fun_stmt(m, p, s->body); plan_fun_stmt(m, p, s->els); return;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) plan_fun_stmt(m, p, s->stmts[i]);
        plan_settle(m, p, s->stmts, s->nstmts, 1);
        return;
    default: return;
    }
}

void plan_build(Model *m)
{
    Plan *p = arena_zalloc(&m->arena, sizeof *p);
    const Program *prog = m->ir->prog;
    int n = 0;
    for (int i = 0; i < prog->nstmts; i++) count_loops(prog->stmts[i], &n);
    for (int i = 0; i < prog->nfuns; i++) count_loops(prog->funs[i]->body, &n);
    p->cap = plan_cap(n);
    p->tab = arena_zalloc(&m->arena, sizeof *p->tab * (size_t)p->cap);
    for (int i = 0; i < prog->nstmts; i++) plan_stmt(m, p, prog->stmts[i]);
    plan_settle(m, p, prog->stmts, prog->nstmts, 0);
    for (int i = 0; i < prog->nfuns; i++) plan_fun_stmt(m, p, prog->funs[i]->body);
    plan_fast_build(m, p);
    m->plan = p;
}
