/* Builtins of builtins_mat.c, registered in builtin_table (builtins.c). */
#ifndef VM_BUILTINS_MAT_H
#define VM_BUILTINS_MAT_H
#include "runtime/eval.h"
Val b_matrix_exp(Ev *ev, const Expr *e, Val *a, int n);
Val b_singular_values(Ev *ev, const Expr *e, Val *a, int n);
#endif
