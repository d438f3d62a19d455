/* The IR: the checked program (ast.h nodes, annotated) plus one VarInfo per variable
 * slot.  docs/ir.md describes it. */
#ifndef VM_IR_H
#define VM_IR_H
#include "lang/ast.h"

typedef struct VarInfo {
    const char *name;
    Ty ty;
    DeclKind kind;
    Stmt *decl;                /* the declaration (NULL for loop variables) */
    int level;                 /* LV_*: what its value depends on */
    int toplevel;
    int used;                  /* read by some statement */
    int is_loopvar;
    int is_fnarg;              /* an argument of a user-defined function (read-only) */
} VarInfo;

typedef struct Ir {
    Program *prog;
    VarInfo *vars;
    int nvars;
} Ir;

/* Check names, types, shapes and phases; annotate the program in place.  Returns
 * NULL when any error was reported (all of them are in d). */
Ir *vm_check(Arena *a, DiagList *d, Program *p);

/* Builtin container / linear-algebra functions: name and signature (the
 * implementations live in runtime/builtins*.c, registered in the same table). */
typedef struct Builtin Builtin;
const Builtin *builtin_find(const char *name);
const char *builtin_name(const Builtin *b);
const char *builtin_name_at(int i);        /* i-th registered name, NULL past the end */
const char *builtin_sig(const Builtin *b);
/* Match argument types against a signature string (see builtin_sig.c). */
int sig_match(const char *sig, const Ty *args, int n, Ty *ret);
/* Append the argument lists of sig ("(real, int) or (vector)"), at most max of them. */
void sig_render(const char *sig, Buf *b, int max);
int ty_eq(Ty a, Ty b);
#endif
