/* Scalar loops compiled once at load into a register program (scalar.c): the generic
 * path for loops that neither the vectoriser (vecloop.c) nor the recurrence compiler
 * (recur.c) takes, such as an HMM forward pass, an ARMA(1,1) recurrence or a zero-inflated
 * count model's if/else.
 *
 * Values are unboxed doubles (and ints) in registers, each real register with its tape
 * variable or -1; an operation writes its result and pushes its partials straight into
 * the evaluator's triple tape (no Val, no arena allocation per operation).  The terms
 * a loop adds to the log density are summed into one tape variable whose partials are
 * accumulated per register and pushed once per register value (as a hand-written
 * gradient sums them), not once per term. */
#ifndef VM_SCALAR_H
#define VM_SCALAR_H
#include "runtime/eval.h"

typedef struct ScProg ScProg;

/* The program of `for` or `while` statement s, allocated in a (the model's arena), or
 * NULL when its body uses anything the program does not cover (the interpreter then
 * runs it; *why, unless why is NULL, the span of the first node refused).  Syntactic
 * only: sizes and values are read from the environment at each run. */
ScProg *sc_compile(const Stmt *s, Arena *a, Span *why);
/* Runs the loop s (bounds lo..hi) with its program: 1 if done (or ev->fail), 0 if the
 * interpreter must run it instead (nothing changed: an index out of range, an invalid
 * argument or a value that is not finite undo the run, and the interpreter then says
 * what is wrong in its own words). */
int sc_loop(Ev *ev, const ScProg *p, const Stmt *s, int lo, int hi);
/* Operations in the program (for the plan's statistics and the tests). */
int sc_nops(const ScProg *p);
/* Its products folded into the sum or difference they feed (SO_FMA), for tests. */
int sc_nfused(const ScProg *p);
int sc_ncoalesced(const ScProg *p);       /* SS_SETs whose value's operation writes the variable */
/* Its sums folded into the sum or difference they feed (SO_ADD3), for tests. */
int sc_nsum3(const ScProg *p);
/* Its operations moved out of loops they do not depend on (scalar_hoist.c), for tests. */
int sc_nhoisted(const ScProg *p);
/* Its element reads that take the register of a store just before (store forwarding). */
int sc_nforwarded(const ScProg *p);
/* Its loops `for (i in ...) x[..., i] ~ d(args)` run as one call over the slice. */
int sc_ndistv(const ScProg *p);
/* Its operations with a memo (scalar_memo.c), for tests. */
int sc_nmemo(const ScProg *p);
/* Its outer values: expressions it cannot compute that no iteration changes, evaluated
 * by the interpreter once per run (diag_pre_multiply(tau, L) in a loop's density). */
int sc_npreval(const ScProg *p);
/* Such a loop (syntactic: x data, args not reading i): the plan lets the loop around it
 * be a program, which runs it so (plan.c). */
int sc_distv_shape(const Stmt *s);
extern int vm_scalar_nodistv;     /* tests: set at load, no loop is run so */
/* At load, with the data bound (data_env: the model's values by slot): the statistics
 * of the data rows its SS_DISTV statements of normal read whole (ScStmt.nstat), in a.
 * For the model's own loops only: a function's slots are not the model's.  The number
 * of statements given them. */
int sc_data_stats(ScProg *p, const Val *data_env, Arena *a);
int sc_nstat(const ScProg *p);
/* Its loops `for (j in ...) a[..., j] = b[..., j] + c[j, ...] + e` run as one element-wise
 * sum (SS_VSUM); vm_scalar_novsum (tests, set at load): none is. */
int sc_nvsum(const ScProg *p);
extern int vm_scalar_novsum;
/* Sums and products whose partials their density pushes to their inputs, no tape
 * variable (push_linear). */
int sc_npushed(const ScProg *p);
/* Loops whose iterations run side by side (scalar_batch.c); vm_scalar_nobatch (tests,
 * set at load): none does. */
int sc_nbatch(const ScProg *p);
extern int vm_scalar_nobatch;
/* At load, with the statements around the loop known (the loop is st[at] of a block
 * of n, vars the model's; st NULL: none known): its element-wise sums into a local
 * that only the log_sum_exp right after reads, and that nothing reads after the loop,
 * run with that log_sum_exp as one operation (scalar_settle.c).  Their count;
 * vm_scalar_novlse (tests, set at load): none does. */
int sc_settle(ScProg *p, Stmt *const *st, int at, int n, const VarInfo *vars);
int sc_nvlse(const ScProg *p);
extern int vm_scalar_novlse;
/* Tests: set at load, no product is folded / nothing is moved out of a loop / no
 * operation has a memo / no local's value is computed into it / nothing is pushed
 * (the programs as compiled). */
extern int vm_scalar_nofuse, vm_scalar_nohoist, vm_scalar_nomemo, vm_scalar_nocoalesce, vm_scalar_nopush;
#endif
