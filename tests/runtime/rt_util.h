/* Shared by the runtime tests that compare a strategy of the plan with the interpreter
 * (test_scalar, test_recur, test_linrec, test_plan_fast, test_fastpath, test_bind). */
#ifndef VM_TESTS_RT_UTIL_H
#define VM_TESTS_RT_UTIL_H
#include <stddef.h>
#include "runtime/vmod.h"

/* src loaded on the data json (data.json), with *flag set to value during the load
 * (a test switch of the plan: vm_plan_scalar_disabled, ...; NULL: none) and 0 after;
 * NULL, with the message on stderr, when it does not load. */
VmModel *rt_load(const char *src, const char *json, int *flag, int value);

/* Test point pt (0, 1, ...): dim unconstrained coordinates in (-0.9, 0.9). */
void rt_point(double *u, size_t dim, int pt);

/* At u (dim coordinates): the gradient against central differences of e's own log
 * density, relative 1e-5; the test fails naming `name` and the coordinate.  u is
 * restored. */
void rt_fd_check(VmEval *e, double *u, size_t dim, const char *name);
/* rt_fd_check at test points 0 .. npts - 1 (dim coordinates). */
void rt_fd_points(VmEval *e, size_t dim, int npts, const char *name);

/* At u: the same status, message, log density (relative lp_tol) and gradient
 * (relative 1e-10) from ef (a strategy) and es (the reference), and ef's value alone
 * (its status and value) agreeing with its value with the gradient.  Returns 1 when
 * the density is finite, 0 when both are -inf. */
int rt_same_at(VmEval *ef, VmEval *es, const double *u, size_t dim, const char *name, double lp_tol);
/* rt_same_at with the Jacobian term on (1) or off (0) */
int rt_same_at_jac(VmEval *ef, VmEval *es, const double *u, size_t dim, const char *name, double lp_tol, int jacobian);

#endif
