/* The syntax tree, which the checker (sema.c) annotates in place into the IR: every
 * expression gets its type and a resolved variable slot or stdlib entry, every
 * top-level statement its phase and the variables it reads (docs/ir.md). */
#ifndef VM_AST_H
#define VM_AST_H
#include <stdint.h>
#include "lang/diag.h"
#include "lang/arena.h"

/* ---- types ---- */
enum { TB_VOID, TB_INT, TB_REAL, TB_ERR };          /* base */
enum { TK_SCALAR, TK_VECTOR, TK_ROWVEC, TK_MATRIX }; /* innermost container */
typedef struct Ty { uint8_t base, kind, narr; } Ty;

/* declared type spelled in the source (ORDER TYPENAMES in parser.y) */
typedef enum {
    TS_INT, TS_REAL, TS_VECTOR, TS_ROWVEC, TS_MATRIX, TS_SIMPLEX, TS_ORDERED,
    TS_POS_ORDERED, TS_CHOL_CORR, TS_COV, TS_CORR,
    TS_CHOL_COV, TS_UNIT_VECTOR, TS_SUM_TO_ZERO
} TypeName;
#define TS_NNAMES (TS_SUM_TO_ZERO + 1)

/* A matrix type written with one size is square (cov_matrix[K], cholesky_factor_cov[M]). */
int vm_type_square(TypeName n);
/* The container a type spelled n holds (TK_*). */
int vm_type_kind(TypeName n);

extern const char *const vm_typename[];
typedef struct Expr Expr;
typedef struct Stmt Stmt;

typedef struct TypeSpec {
    TypeName name;
    Expr *lower, *upper;       /* bounds, NULL when absent */
    Expr *offset, *multiplier; /* <offset=, multiplier=>, NULL when absent */
    Expr *size[2];             /* vector length / matrix rows, cols */
    Expr **arr;                /* array dimensions */
    int narr;
    Span span;
} TypeSpec;

/* ---- expressions ---- */
typedef enum {
    E_INT, E_REAL, E_VAR, E_CALL, E_BINOP, E_UNOP, E_COND, E_INDEX,
    E_TRANSPOSE, E_ROWVEC, E_ARRAY,
    E_STR                      /* "text": an argument of print, reject, fatal_error (name) */
} ExprKind;

typedef enum {                 /* ORDER OPS in format.c */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_EMUL, OP_EDIV, OP_LDIV,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR, OP_NEG, OP_PLUS, OP_NOT
} Op;

typedef enum { IX_SINGLE, IX_SLICE, IX_FROM, IX_TO, IX_ALL } IndexKind;
typedef struct Index { IndexKind kind; Expr *a, *b; } Index;

/* what a call resolved to */
typedef enum { FN_NONE, FN_MATH, FN_BUILTIN, FN_DIST_LPDF, FN_DIST_CDF, FN_DIST_LCDF,
               FN_DIST_LCCDF, FN_DIST_RNG,
               FN_USER,        /* a user-defined function: fn is its FunDef */
               FN_PRINT, FN_REJECT, FN_FATAL } FnKind;

/* phase levels: what a value depends on */
enum { LV_CONST = 0, LV_DATA = 1, LV_PARAM = 2, LV_GEN = 3 };

struct Expr {
    ExprKind kind;
    /* The node's number in its program, 1..Program.nexprs, given where the node is made
     * (parser, checker); 0 on a temporary that is no part of a program.  Per-model
     * tables indexed by it (the loader's hoisted values, runtime/hoist.c) keep what the
     * runtime learns about a node out of the tree, which lang owns and models share.
     * Next to kind: eval_expr reads both first. */
    int id;
    Span span;
    Op op;
    long ival;
    double rval;
    const char *name;          /* variable or function */
    Span name_span;
    Expr **args;               /* operands, call arguments, literal elements */
    int nargs;
    int bar;                   /* call written f(a | b, c) */
    Index *idx;
    int nidx;
    /* filled by sema */
    Ty ty;
    int slot;                  /* variable slot (E_VAR) */
    FnKind fkind;
    const void *fn;            /* MathFn, Builtin or Dist */
    uint8_t level;
    int depth;                 /* nesting depth of this subtree (parser's limit: VM_MAX_EXPR_DEPTH) */
};

/* Deeper expressions are refused: every pass over the tree (checker, formatter,
 * evaluator) recurses, and 50,000 chained '+' would overflow the C stack. */
#define VM_MAX_EXPR_DEPTH 2000
/* Statements nested in statements (blocks, loops, if/else-if chains): the checker and
 * the interpreter recurse once per level, and 1024 levels stay far from the stack's
 * end in a sanitizer build and in a sampler's thread (5,000 overflowed under ASan). */
#define VM_MAX_STMT_DEPTH 1024

/* ---- statements ---- */
typedef enum {
    S_DECL, S_TILDE, S_TARGET, S_ASSIGN, S_FOR, S_WHILE, S_IF, S_BLOCK, S_EMPTY,
    S_RETURN,                  /* return [rhs]; inside a function body */
    S_CALL                     /* rhs; a call of a void function, print, reject or fatal_error */
} StmtKind;

typedef enum { D_DATA, D_PARAM, D_LET, D_GEN, D_LOCAL } DeclKind;

typedef enum { PH_DATA, PH_MODEL, PH_GEN, PH_NONE } Phase;

struct Stmt {
    StmtKind kind;
    Span span;
    /* S_DECL */
    DeclKind decl;
    TypeSpec *type;            /* may be NULL for let/gen without type */
    const char *name;
    Span name_span;
    Expr *init;
    /* S_TILDE: lhs ~ dist(args); S_ASSIGN: lhs op= rhs; S_TARGET: target += rhs.
     * `y ~ f(a)` with f_lpdf user-defined becomes an S_TARGET whose rhs is the call
     * f_lpdf(y | a) (sema.c); its dist stays set, so the formatter writes `~`. */
    Expr *lhs, *rhs;
    Op aop;                    /* S_ASSIGN: OP_ADD for +=, ...; -1 for plain = */
    const char *dist;
    Span dist_span;
    Expr **args;
    int nargs;
    /* S_TILDE `y ~ d(...) T[lo, hi];`: truncated (either bound may be absent);
     * sema.c turns it into an S_TARGET of the truncated density, keeping these. */
    int trunc;
    Expr *trunc_lo, *trunc_hi;
    Span trunc_span;
    /* S_FOR / S_WHILE / S_IF */
    const char *loopvar;
    Span loopvar_span;
    Expr *lo, *hi, *cond;
    Stmt *body, *els;
    /* S_BLOCK */
    Stmt **stmts;
    int nstmts;
    /* filled by sema */
    int slot;                  /* declared variable / loop variable */
    Phase phase;
    const void *fn;            /* S_TILDE: the Dist */
    int *reads;                /* top-level variable slots read (transitively through lets) */
    int nreads;
    int *writes;               /* top-level let/gen slots assigned */
    int nwrites;
    int depth;                 /* nesting of blocks, loops and branches (limit VM_MAX_STMT_DEPTH) */
};

/* A user-defined function (docs/functions-user.md).  Its arguments and locals get
 * variable slots [slot_lo, slot_hi) like any local; a call saves that range of the
 * environment, binds the arguments, runs the body and restores it (recursion). */
typedef struct FunParam {
    TypeSpec *type;
    const char *name;
    Span name_span;
    int data_only;             /* written `data real x` */
    int slot;                  /* filled by sema */
    Ty ty;
} FunParam;

typedef enum { FK_PLAIN, FK_LPDF, FK_LPMF, FK_LP, FK_RNG } FunSuffix;

typedef struct FunDef {
    TypeSpec *ret;             /* NULL: void */
    const char *name;
    Span name_span, span;
    FunParam *params;
    int nparams;
    Stmt *body;                /* NULL: a forward declaration */
    /* filled by sema */
    Ty rty;
    FunSuffix suffix;
    struct FunDef *def;        /* the definition (itself, or the one a declaration announces) */
    int slot_lo, slot_hi;
    int checked;
} FunDef;

typedef struct Program {
    Stmt **stmts;
    int nstmts;
    FunDef **funs;             /* in source order, declarations and definitions */
    int nfuns;
    int nexprs;                /* expressions numbered so far (Expr.id is 1..nexprs) */
    /* comments in source order, for the formatter (spans into src) */
    const char *src;
    Span *comments;
    int ncomments;
} Program;

/* ---- builders, called from grammar actions ---- */
typedef struct ParseCtx {
    Arena *arena;
    DiagList *diags;
    const char *src;
    Program *prog;
    int failed;
} ParseCtx;

typedef struct Token {
    int type;
    int off, len;
    long ival;
    double rval;
} Token;

Span span_join(Span a, Span b);
Span tok_span(Token t);
void *ast_list_push(Arena *a, void *list, int *n, size_t elem, const void *item);
Expr *ast_int(ParseCtx *c, Token t);
Expr *ast_real(ParseCtx *c, Token t);
Expr *ast_var(ParseCtx *c, Token t);
Expr *ast_binop(ParseCtx *c, Op op, Expr *a, Expr *b);
Expr *ast_unop(ParseCtx *c, Op op, Token t, Expr *a);
Expr *ast_cond(ParseCtx *c, Expr *a, Expr *b, Expr *d);
Expr *ast_paren(ParseCtx *c, Token open, Expr *a, Token close);
Expr *ast_call(ParseCtx *c, Token name, Expr *first, int bar, Expr **args, int nargs, Token close);
Expr *ast_index(ParseCtx *c, Expr *base, Index *idx, int nidx, Token close);
Expr *ast_transpose(ParseCtx *c, Expr *a, Token t);
Expr *ast_literal(ParseCtx *c, ExprKind k, Token open, Expr **elems, int n, Token close);

typedef struct ExprList { Expr **v; int n; } ExprList;
typedef struct IndexList { Index *v; int n; } IndexList;
typedef struct StmtList { Stmt **v; int n; } StmtList;
ExprList exprlist_push(ParseCtx *c, ExprList l, Expr *e);
IndexList indexlist_push(ParseCtx *c, IndexList l, IndexKind k, Expr *a, Expr *b);
StmtList stmtlist_push(ParseCtx *c, StmtList l, Stmt *s);

TypeSpec *ast_type(ParseCtx *c, TypeName name, Token t, Expr *lower, Expr *upper, ExprList size, Token end);
/* <offset=E, multiplier=E> in either order, either alone: a and b name which. */
typedef struct Affine { Expr *offset, *multiplier; } Affine;
Affine ast_affine(ParseCtx *c, Affine a, Token name, Expr *e);
TypeSpec *ast_with_affine(ParseCtx *c, TypeSpec *ts, Affine a);
TypeSpec *ast_array_type(ParseCtx *c, Token t, ExprList dims, TypeSpec *elem);
Stmt *ast_decl(ParseCtx *c, DeclKind k, Token kw, TypeSpec *ty, Token name, Expr *init, Token semi);
Stmt *ast_tilde(ParseCtx *c, Expr *lhs, Token dist, ExprList args, Token semi);
/* the same with T[lo, hi] after it (t: the T; lo, hi may be NULL) */
Stmt *ast_tilde_trunc(ParseCtx *c, Expr *lhs, Token dist, ExprList args, Token t, Expr *lo, Expr *hi, Token semi);
Stmt *ast_target(ParseCtx *c, Token kw, Expr *e, Token semi);
Stmt *ast_assign(ParseCtx *c, Expr *lhs, int op, Expr *rhs, Token semi);
Stmt *ast_for(ParseCtx *c, Token kw, Token var, Expr *lo, Expr *hi, Stmt *body);
Stmt *ast_while(ParseCtx *c, Token kw, Expr *cond, Stmt *body);
Stmt *ast_if(ParseCtx *c, Token kw, Expr *cond, Stmt *then, Stmt *els);
Stmt *ast_block(ParseCtx *c, Token open, StmtList l, Token close);
Stmt *ast_empty(ParseCtx *c, Token semi);
void ast_program_add(ParseCtx *c, Stmt *s);
Expr *ast_str(ParseCtx *c, Token t);
Stmt *ast_return(ParseCtx *c, Token kw, Expr *e, Token semi);
Stmt *ast_callstmt(ParseCtx *c, Expr *e, Token semi);
TypeSpec *ast_unsized(ParseCtx *c, TypeName name, Token t);
TypeSpec *ast_unsized_array(ParseCtx *c, Token t, int ndims, TypeSpec *elem);
FunDef *ast_fun(ParseCtx *c, TypeSpec *ret, Token kw, Token name);
FunDef *ast_fun_param(ParseCtx *c, FunDef *f, TypeSpec *ty, Token name, int data_only);
FunDef *ast_fun_end(ParseCtx *c, FunDef *f, Stmt *body, Token end);
void ast_fun_add(ParseCtx *c, FunDef *f);
/* s assigns variable slot (x = ..., x op= ..., x[i] = ...), anywhere inside it */
int ast_assigns(const Stmt *s, int slot);
/* e reads variable slot anywhere inside it (NULL: no) */
int ast_expr_mentions(const Expr *e, int slot);
/* s reads or writes variable slot anywhere inside it (its expressions, its type's) */
int ast_mentions(const Stmt *s, int slot);

/* parse.c: source -> Program; errors into diags.  Returns NULL on syntax errors. */
Program *vm_parse(Arena *a, DiagList *d, const char *src, size_t len);
/* format.c: canonical layout */
char *vm_format(const Program *p);
/* sema.c */
struct SemaInfo;
const char *ty_name(Ty t, char *buf, size_t n);
#endif
