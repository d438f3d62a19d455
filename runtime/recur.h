/* Scalar recurrences for (t in lo:hi) x[t] = E(x[t - c], ...) in forward mode
 * (recur.c), compiled once at load into the plan (plan.c) and bound to the
 * environment's values at each run. */
#ifndef VM_RECUR_H
#define VM_RECUR_H
#include "runtime/eval.h"

typedef struct RcProg RcProg;

/* The program of `for` statement s, allocated in a (the model's arena), or NULL when
 * s is not a recurrence of the shape recur.c runs.  Structural only: the values,
 * data, sizes and tape variables it reads are bound from the environment at each run. */
RcProg *rec_compile(const Stmt *s, Arena *a);
/* Runs the loop (bounds lo..hi) with its program: 1 if done, 0 if the interpreter must
 * run it (nothing changed: a size, an index out of range, a parameter vector where
 * data was expected, a value that is not finite). */
int rec_loop_planned(Ev *ev, const RcProg *p, int lo, int hi);
/* Programs compiled so far, by rec_compile and by rec_loop's compile on the fly (tests:
 * the model phase compiles none). */
extern long vm_rec_compiles;
#endif
