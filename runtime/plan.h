/* The execution plan of a model: how each `for` statement runs, decided once at load
 * (plan.c) and read, never changed, by every evaluator and thread.
 *
 *   vectorised   its iterations are independent: run once over the range as vectors
 *                (vecloop.c); the syntactic analysis is stored, not repeated
 *   scalar       a register program with unboxed values and a compact tape (scalar.c)
 *   recurrence   x[t] = f(x[t - c], ...) in forward mode (recur.c), for the loops of
 *                that shape the scalar programs do not cover
 *   generic      the interpreter, one statement at a time
 *
 * The first that applies is chosen, in this order.  Any strategy that meets an error
 * at run time leaves the loop to the interpreter, which reports it. */
#ifndef VM_PLAN_H
#define VM_PLAN_H
#include "runtime/eval.h"
#include "runtime/scalar.h"

typedef struct PlLoop {
    const Stmt *s;
    const void *vec;          /* vecloop.c's analysis, or NULL */
    int rec;                  /* recur.c's shape */
    const ScProg *sc;         /* or NULL */
} PlLoop;

typedef struct Plan {
    PlLoop *tab;              /* open addressing on the statement's address */
    int cap;
    int nloops, nvec, nrec, nsc;
} Plan;

/* Tests compare the scalar programs with the interpreter: set, no loop gets one. */
extern int vm_plan_scalar_disabled;

/* Plans every for statement of m's program (m->plan; allocated in m's arena). */
void plan_build(Model *m);
/* The plan of for statement s, or NULL (a statement of no model: load-time code). */
static inline const PlLoop *plan_loop(const Plan *p, const Stmt *s)
{
    if (!p || !p->cap) return NULL;
    unsigned long h = ((unsigned long)(uintptr_t)s >> 4) * 0x9e3779b97f4a7c15UL;
    for (int i = (int)(h % (unsigned long)p->cap);; i = (i + 1) % p->cap) {
        if (p->tab[i].s == s) return &p->tab[i];
        if (!p->tab[i].s) return NULL;
    }
}
#endif
