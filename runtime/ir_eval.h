/* Evaluating a model's density statements at a point given by constrained parameter
 * values, one `~` statement instance at a time (loops unrolled), for methods that
 * analyse the model's structure rather than its log density (CAVI's conjugacy
 * detection probes each statement's arguments at chosen parameter values).
 *
 * Not a hot path: a walk allocates from the probe's arena, reset at each walk. */
#ifndef VM_IR_EVAL_H
#define VM_IR_EVAL_H
#include "runtime/model.h"

typedef struct IrProbe IrProbe;

/* Called for every `~` instance met in a walk, in program order: inst counts them
 * from 0, vals[0] is the variate and vals[1..nargs] the arguments (valid until the
 * next walk).  ev has the loop variables bound (for evaluating sub-expressions).
 * Return 0 to go on, nonzero to stop the walk (ie_walk then returns that value). */
typedef int (*IeVisit)(void *ctx, Ev *ev, const Stmt *s, int inst, const Val *vals, int nvals);

IrProbe *ie_new(const VmModel *m);
void ie_free(IrProbe *p);

/* Parameter k (index into m->params) takes the values x (constrained, in the
 * storage order of its Val, pi->shape.n of them; discrete ones as doubles). The
 * pointer is kept: the values are read at each walk. */
void ie_set_param(IrProbe *p, int k, const double *x);

/* Run the model phase at the bound point: lets and assignments as the evaluator
 * does, each `~` handed to visit instead of adding its density; `target +=
 * D_lpdf(y | a, b)` is handed over as `y ~ D(a, b)`.  Loop bounds and
 * if-conditions must depend on data only.  Returns 0, the visitor's nonzero value,
 * or -1 when the walk itself failed: ie_error gives the reason and span (an
 * evaluation error, `target +=`, control flow that depends on a parameter). */
int ie_walk(IrProbe *p, IeVisit visit, void *ctx);
const char *ie_error(const IrProbe *p, Span *sp);
Ev *ie_ev(IrProbe *p);

#endif
