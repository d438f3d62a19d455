/* Builtins of builtins_port.c, registered in builtin_table (builtins.c). */
#ifndef VM_BUILTINS_PORT_H
#define VM_BUILTINS_PORT_H
#include "runtime/eval.h"
Val b_sort_indices_asc(Ev *ev, const Expr *e, Val *a, int n);
Val b_sort_indices_desc(Ev *ev, const Expr *e, Val *a, int n);
Val b_rank(Ev *ev, const Expr *e, Val *a, int n);
Val b_identity_matrix(Ev *ev, const Expr *e, Val *a, int n);
Val b_matrix_power(Ev *ev, const Expr *e, Val *a, int n);
Val b_eigenvalues_sym(Ev *ev, const Expr *e, Val *a, int n);
Val b_quantile(Ev *ev, const Expr *e, Val *a, int n);
#endif
