/* See plan.h. */
#include <stdint.h>
#include "runtime/plan.h"
#include "runtime/model.h"

int vm_plan_scalar_disabled;

static void count_loops(const Stmt *s, int *n)
{
    if (!s) return;
    switch (s->kind) {
    case S_FOR: (*n)++; count_loops(s->body, n); return;
    case S_WHILE: count_loops(s->body, n); return;
    case S_IF: count_loops(s->body, n); count_loops(s->els, n); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) count_loops(s->stmts[i], n); return;
    default: return;
    }
}

static void plan_stmt(Model *m, Plan *p, const Stmt *s)
{
    if (!s) return;
    switch (s->kind) {
    case S_FOR: {
        unsigned long h = ((unsigned long)(uintptr_t)s >> 4) * 0x9e3779b97f4a7c15UL;
        int i = (int)(h % (unsigned long)p->cap);
        while (p->tab[i].s) i = (i + 1) % p->cap;
        PlLoop *l = &p->tab[i];
        l->s = s;
        l->vec = vec_plan(s, &m->arena);
        l->sc = vm_plan_scalar_disabled ? NULL : sc_compile(s, &m->arena);
        /* a recurrence that a scalar program covers runs as one: garch11's loop took
         * 15% fewer instructions so (callgrind), the same time */
        l->rec = !l->vec && !l->sc && rec_shape(s);
        /* vectors first: measured faster even when the body holds inner loops (arK,
         * dogs and bench_shapes' nested3 took 1.3-2.5x longer as scalar programs) */
        if (l->vec) l->sc = NULL;
        p->nloops++;
        p->nvec += l->vec != NULL;
        p->nrec += l->rec;
        p->nsc += l->sc != NULL;
        plan_stmt(m, p, s->body);
        return;
    }
    case S_WHILE: plan_stmt(m, p, s->body); return;
    case S_IF: plan_stmt(m, p, s->body); plan_stmt(m, p, s->els); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) plan_stmt(m, p, s->stmts[i]); return;
    default: return;
    }
}

void plan_build(Model *m)
{
    Plan *p = arena_zalloc(&m->arena, sizeof *p);
    const Program *prog = m->ir->prog;
    int n = 0;
    for (int i = 0; i < prog->nstmts; i++) count_loops(prog->stmts[i], &n);
    p->cap = 2 * n + 1;                 /* at most half full: short probes */
    p->tab = arena_zalloc(&m->arena, sizeof *p->tab * (size_t)p->cap);
    for (int i = 0; i < prog->nstmts; i++) plan_stmt(m, p, prog->stmts[i]);
    m->plan = p;
}
