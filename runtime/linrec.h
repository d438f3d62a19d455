/* Linear recurrences for (t in lo:hi) { a[t] = ...; b[t] = ...; } (linrec.c), compiled
 * once at load into the plan (plan.c) and bound to the environment's values at each
 * run: an ARMA model's nu[t] and err[t], an AR(K) model's mean, a local level. */
#ifndef VM_LINREC_H
#define VM_LINREC_H
#include "runtime/eval.h"

typedef struct LrProg LrProg;

/* The program of `for` statement s, allocated in a (the model's arena), or NULL when
 * s is not a linear recurrence of the shape linrec.c runs.  Syntactic only. */
LrProg *lr_compile(const Stmt *s, Arena *a);
/* Statement st[at] of a block of n (or of the program's list) is the loop of p: no
 * copy of what its reverse pass reads is made when nothing after it in the block can
 * change that (plan.c, once at load). */
void lr_settle(LrProg *p, Stmt *const *st, int at, int n, const VarInfo *vars);
/* Runs the loop (bounds lo..hi) with its program: 1 if done, 0 if another strategy
 * must run it (nothing changed: an index out of range, a value that is not a scalar
 * where one is needed, an error in a term, which the interpreter then reports). */
int lr_loop(Ev *ev, const LrProg *p, const Stmt *s, int lo, int hi);
/* Its equations (the arrays assigned per step), for the plan's description. */
int lr_neq(const LrProg *p);
/* Whether its runs copy what the reverse pass reads (lr_settle). */
int lr_keeps(const LrProg *p);
#endif
