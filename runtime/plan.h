/* The execution plan of a model: how each `for` statement runs, decided once at load
 * (plan.c) and read, never changed, by every evaluator and thread.
 *
 *   vectorised   its iterations are independent: run once over the range as vectors
 *                (vecloop.c); the syntactic analysis is stored, not repeated
 *   linear       a linear recurrence (ARMA's nu[t], err[t]): the sums in a forward loop,
 *                the terms that are not elements as vectors, the reverse pass one
 *                callback (linrec.c)
 *   scalar       a register program with unboxed values and a compact tape (scalar.c)
 *   recurrence   x[t] = f(x[t - c], ...) in forward mode (recur.c), for the loops of
 *                that shape the scalar programs do not cover; f compiled here, bound
 *                to the environment at each run
 *   generic      the interpreter, one statement at a time
 *
 * The first that applies is chosen, in this order.  Any strategy that meets an error
 * at run time leaves the loop to the interpreter, which reports it. */
#ifndef VM_PLAN_H
#define VM_PLAN_H
#include "runtime/eval.h"
#include "runtime/scalar.h"
#include "runtime/recur.h"
#include "runtime/linrec.h"

typedef struct PlLoop {
    const Stmt *s;
    const void *vec;          /* vecloop.c's analysis, or NULL */
    const RcProg *rec;        /* recur.c's program, or NULL */
    const LrProg *lin;        /* linrec.c's program, or NULL */
    const ScProg *sc;         /* or NULL */
    int dens;                 /* the body holds `~` or `target +=`: under a hook (eval.h)
                               * it runs one iteration at a time */
    Span why;                 /* no strategy: what the scalar compiler refused (len 0: none
                               * was tried, an inner loop runs as vectors) */
} PlLoop;

/* The fast paths of fast.c, per `~` statement, *_lpdf call and assigned or declared
 * value (plan_fast.c): which kernel fast_dist runs (0: none), and whether the value
 * (for fast_dist its location argument) is taken as an affine form, outside a
 * vectorised loop (PL_AFF) and inside one (PL_AFF_VEC: its scalars hold vectors). */
enum { PL_AFF = 1, PL_AFF_VEC = 2 };
/* A `~` statement whose operands are all variables or literals (`sigma ~ cauchy(0,
 * 2.5)`, `beta ~ normal(0, 10)`, `y ~ normal(mu, sigma)`): fast_tilde reads the
 * variables from the environment and takes the literals as made here, so nothing is
 * evaluated, converted or looked up at run time. */
typedef struct PlTilde {
    int n;                    /* operands, the variate first */
    int slot[DIST_MAX_ARGS_EV];   /* the variable's slot, or -1: a literal */
    Val c[DIST_MAX_ARGS_EV];      /* a literal as written (int or real) */
    Val cr[DIST_MAX_ARGS_EV];     /* and as a real */
} PlTilde;
typedef struct PlFast {
    const void *key;          /* the Stmt (`~`) or the Expr (call, value) */
    unsigned char dist, aff;
    const PlTilde *tilde;     /* a `~` statement's operands, or NULL */
} PlFast;

typedef struct Plan {
    PlLoop *tab;              /* open addressing on the statement's address */
    int cap;
    int nloops, nvec, nrec, nsc, nlin;
    int nvlse;                 /* sums run with their log_sum_exp (sc_settle) */
    PlFast *ftab;             /* open addressing on key */
    int fcap;
    int nfast, nfdist, nfaff;  /* entries; fast_dist kernels; affine verdicts (either bit) */
    int ntilde;               /* `~` statements with PlTilde operands */
} Plan;

/* Tests compare the scalar programs with the interpreter: set, no loop gets one. */
extern int vm_plan_scalar_disabled;
/* Tests: set at load, no loop runs as a linear recurrence (linrec.c). */
extern int vm_plan_linrec_disabled;
/* Tests: set at load, no statement takes a fast path of fast.c (the interpreter's). */
extern int vm_plan_fast_disabled;

/* Plans every for statement of m's program (m->plan; allocated in m's arena). */
void plan_build(Model *m);
/* The fast-path verdicts of p (plan_fast.c, called by plan_build). */
void plan_fast_build(Model *m, Plan *p);

/* Both tables have a power-of-two size (plan_cap) and take the high half of a
 * multiplicative hash: a mask, not a division, at every lookup of every gradient. */
static inline unsigned long plan_hash(const void *k)
{
    return (((unsigned long)(uintptr_t)k >> 4) * 0x9e3779b97f4a7c15UL) >> 32;
}
/* The least power of two above twice n: at most half full, short probes. */
static inline int plan_cap(int n)
{
    int c = 1;
    while (c <= 2 * n) c *= 2;
    return c;
}
/* The fast-path verdict for key, or NULL (not a position of the model's program). */
static inline const PlFast *plan_fast(const Plan *p, const void *key)
{
    if (!p || !p->fcap) return NULL;
    for (int i = (int)(plan_hash(key) & (unsigned long)(p->fcap - 1));; i = (i + 1) & (p->fcap - 1)) {
        if (p->ftab[i].key == key) return &p->ftab[i];
        if (!p->ftab[i].key) return NULL;
    }
}
/* The plan of for statement s, or NULL (a statement of no model: load-time code). */
static inline const PlLoop *plan_loop(const Plan *p, const Stmt *s)
{
    if (!p || !p->cap) return NULL;
    for (int i = (int)(plan_hash(s) & (unsigned long)(p->cap - 1));; i = (i + 1) & (p->cap - 1)) {
        if (p->tab[i].s == s) return &p->tab[i];
        if (!p->tab[i].s) return NULL;
    }
}
#endif
