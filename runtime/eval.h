/* The evaluator: walks the checked IR, computing values and recording a tape for
 * reverse-mode differentiation.
 *
 * The tape is a flat list of (input var, output var, partial) triples: every node,
 * scalar or vectorised (one `~` statement is one node), writes its hand-computed
 * partial derivatives there, and the reverse sweep is one loop
 * adj[in] += adj[out] * d.  Nodes whose reverse pass is cheaper as code (a matrix
 * product with data, a transform) add a callback segment instead.  All memory comes
 * from the evaluator's arena and growable arrays that are reset, not freed, between
 * evaluations: after the first few calls a gradient allocates nothing. */
#ifndef VM_EVAL_H
#define VM_EVAL_H
#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "lang/ir.h"
#include "lang/arena.h"

#define VM_MAXDIM 8
/* The most elements one value may have (2^28: 2 GiB of doubles).  A size beyond it,
 * from the model or from the data, is an error naming the variable, raised before
 * anything is allocated (val_count); val_alloc refuses it too, as a backstop. */
#ifndef VM_MAX_ELEMENTS   /* the fuzzing build lowers it, to stay within its memory limit */
#define VM_MAX_ELEMENTS ((size_t)1 << 28)
#endif
#define DIST_MAX_ARGS_EV 8

typedef struct Val {
    uint8_t base, kind, narr, ndim;   /* ndim = narr + 0/1/2 inner dimensions */
    int dims[VM_MAXDIM];
    int n;                            /* number of elements */
    double *x;                        /* real values (base REAL) */
    int *iv;                          /* int values (base INT) */
    int32_t *id;                      /* tape variables, NULL for constants */
} Val;

typedef struct Ev Ev;
typedef void (*TapeFn)(Ev *ev, void *payload);

typedef struct Seg { long tend; TapeFn fn; void *payload; } Seg;

typedef struct VmModel Model;

/* The one statement executor (exec_stmt) runs the density, the forward simulator
 * (simulate.c) and the structure probe (ir_eval.c).  They differ only at `~` and
 * `target +=`: without a hook those add to the log density; with one, the hook draws
 * or visits instead, and loops run one iteration at a time (the planned loop
 * strategies fuse `~` into the density). */
typedef struct EvHook {
    /* a `~` statement: 0 goes on; nonzero stops the walk (Ev.halt), or is an error
     * when the hook raised one (ev_error) */
    int (*tilde)(Ev *ev, const Stmt *s, void *ctx);
    /* a `target +=` statement, likewise; NULL skips it */
    int (*target)(Ev *ev, const Stmt *s, void *ctx);
    /* the model's structure must be fixed by the data (the probe): loop bounds and
     * conditions read no parameter, no while loop, no call of an _lp function */
    int fixed_structure;
    void *ctx;
} EvHook;

struct Ev {
    const Model *m;
    Arena arena;
    /* tape */
    int32_t nvars;
    int32_t *tin, *tout;
    double *td;
    long nt, capt;
    Seg *segs;
    int nseg, capseg;
    double *adj;
    int32_t capadj;
    /* adj[0, adj_used) may be nonzero: a root term's partials go into adj as the
     * forward pass computes them (tape_seed), so each evaluation starts by clearing
     * what the last one used */
    int32_t adj_used;
    int noseed;                       /* no tape_seed: the terms being added will be dropped
                                       * (a process's share of a statement split over MPI
                                       * that runs only for its values, split.c) */
    /* log density terms */
    double lp_const;                  /* constant part */
    int32_t *lp_ids;                  /* var terms */
    double *lp_vals;
    int32_t *lp_stmt;                 /* top-level statement of each var term */
    int nlp, caplp;
    /* Per top-level statement, the sum of its constant terms (NULL: not kept).  Constant
     * in the tape's sense only: a term that reads a discrete `param int` has no tape
     * variable, yet depends on that parameter, so the statement must keep it. */
    double *stmt_const;
    int cur_stmt;                     /* the top-level statement being run */
    /* environment */
    Val *env;
    int phase;                        /* Phase being run */
    gsl_rng *rng;
    int fail;                         /* an error: the density is -inf (reject) */
    int fatal;                        /* an error that must stop the run */
    Span fail_span;
    char msg[512];
    int nparam_values;
    int vec_depth;                    /* > 0 inside a loop run as vectors (vecloop.c) */
    int vec_slot, vec_lo, vec_hi;     /* its loop variable and range */
    int vec_nloc, vec_loc[8];         /* the body's scalar locals, held as vectors */
    int vec_nlv, vec_lv[8];           /* the body's local vectors, held as an iteration-by-element
                                       * matrix (vecloop.c) */
    const int *vec_idx;               /* the loop variable's values in a run over some of the range
                                       * (a branch of a data-only if): vec_hi - vec_lo + 1 of
                                       * them; NULL: lo..hi */
    struct VecSplit *vsplit;          /* those iterations, per loop and range: worked out at the
                                       * first run (the condition reads data only), kept */
    int nvsplit;
    int vec_nasg, vec_asg[8];         /* variables the body assigns element by element */
    long sc_runs;                     /* loops run by a scalar program (scalar.c; tests read it) */
    long sc_ops;                      /* their operations and statements executed (bench/scalar_cost.sh) */
    long sc_memo_hits;                /* their operations whose memo held the result (scalar_memo.c) */
    long rec_runs;                    /* loops run by recur.c (tests read it) */
    long lr_runs;                     /* loops run by linrec.c (tests read it) */
    int notape;                       /* no gradient wanted: record no triples or callbacks */
    /* the model's values computed at load, by Expr.id (Model.hoisted, hoist.c); NULL:
     * evaluate every expression (the simulator, whose data differ: simulate.c) */
    const Val *const *hoist;
    const EvHook *hook;               /* NULL: the density */
    int halt;                         /* a hook's nonzero value: the walk stopped (fail is set too) */
    /* user-defined functions (ufunc.c) */
    int returning;                    /* a return ran: statements unwind to the call */
    Val retval;
    int call_depth;
    int rejected;                     /* the failure is a reject(): msg is the user's message */
    int quiet;                        /* a probe evaluation: print() writes nothing */
    int size_error;                   /* the failure is a size mismatch (sizecheck.c) */
    struct RejTab *rej;               /* reject()s met by this evaluator, per site (reject.c) */
};

/* tape */
int32_t tape_vars(Ev *ev, int n);
void tape_push(Ev *ev, int32_t in, int32_t out, double d);
void tape_reserve(Ev *ev, long n);
/* tape_push after tape_reserve: no capacity check. */
static inline void tape_put(Ev *ev, int32_t in, int32_t out, double d)
{
    if (ev->notape) return;
    ev->tin[ev->nt] = in;
    ev->tout[ev->nt] = out;
    ev->td[ev->nt] = d;
    ev->nt++;
}
void tape_push_run(Ev *ev, const int32_t *in, int step, int32_t out0, const double *src, int sstep, double scale, int n);
/* n triples (in[k * step], out, scale * src[k * sstep]) into one output: a density's
 * partials with respect to a vector argument. */
void tape_push_to(Ev *ev, const int32_t *in, int step, int32_t out, const double *src, int sstep, double scale, int n);
void tape_callback(Ev *ev, TapeFn fn, void *payload);
/* Where the tape and the density stand (tape_mark), and back there (tape_undo): a
 * strategy that declines a loop it began leaves no triple, variable, callback or
 * density term behind (vecloop.c, linrec.c, scalar.c). */
typedef struct TapeMark { long nt; int32_t nvars; int nseg, nlp; double lp_const, stmt_const; } TapeMark;
TapeMark tape_mark(const Ev *ev);
void tape_undo(Ev *ev, const TapeMark *m);
void tape_backward(Ev *ev);
/* A term added to the log density as it is (a `~` statement's, not a value inside an
 * expression) has adjoint 1: its partials are final when computed, and go straight
 * into the adjoints (no tape variable, no triples, no sweep).  Only where no undo can
 * follow (tape_undo: outside the planned loop strategies, whose statements run with
 * vec_depth set or inside a function) and the term is kept (not Ev.noseed).  adj
 * grows as needed, the new part zero. */
void tape_adj_grow(Ev *ev, int32_t n);
/* The adjoints, ready to take seeds of every tape variable made so far (adj_used
 * covering them); NULL when no tape is kept. */
double *tape_seed_adj(Ev *ev);
static inline void tape_seed(Ev *ev, int32_t id, double g)
{
    if (ev->notape) return;
    if (id >= ev->capadj) tape_adj_grow(ev, id + 1);
    if (id >= ev->adj_used) ev->adj_used = id + 1;
    ev->adj[id] += g;
}
void tape_reset(Ev *ev);
/* free the tape's and the log-density terms' buffers (not the arena or env) */
void tape_free(Ev *ev);

/* values; the scalar constructors inline (the interpreter makes one per operation) */
static inline Val val_real(Ev *ev, double x)
{
    Val v = {0};
    v.base = TB_REAL;
    v.n = 1;
    v.x = arena_alloc(&ev->arena, sizeof(double));
    v.x[0] = x;
    return v;
}

static inline Val val_int(Ev *ev, int i)
{
    Val v = {0};
    v.base = TB_INT;
    v.n = 1;
    v.iv = arena_alloc(&ev->arena, sizeof(int));
    v.iv[0] = i;
    return v;
}
/* The product of dims[0..nd) in *n; -1 when a size is negative or the product is
 * beyond VM_MAX_ELEMENTS (checked: no overflow whatever the sizes). */
int val_count(const int *dims, int nd, size_t *n);
/* "65536 x 65536 x 65536" into buf. */
void val_dims_text(char *buf, size_t len, const int *dims, int nd);
Val val_alloc(Ev *ev, int base, int kind, int narr, const int *dims);
void val_set_ids(Ev *ev, Val *v);          /* fresh var ids for every element */
int val_inner_rows(const Val *v);
Val val_to_real(Ev *ev, Val v);
void ev_error(Ev *ev, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ev_add_term(Ev *ev, double x, int32_t id);

Val eval_expr(Ev *ev, const Expr *e);
/* Shape of a declaration from its sizes (evaluated now): number of dimensions, or -1. */
int decl_dims(Ev *ev, const TypeSpec *ts, int *dims, int *kind);
void exec_stmt(Ev *ev, const Stmt *s);

/* operators (ops.c) */
Val op_binary(Ev *ev, const Expr *e, Op op, Val a, Val b);
Val op_unary(Ev *ev, const Expr *e, Op op, Val a);
/* a op b for two real scalars and op one of + - * / .* ./ (the caller checks). */
Val op_scalar(Ev *ev, Op op, const Val *a, const Val *b);
Val op_transpose(Ev *ev, Val a);
Val op_matmul(Ev *ev, const Expr *e, Val a, Val b);
/* Rows of a data matrix (A, leading dimension lda: R rows of K columns) times the
 * real vector b of K elements: a vector of R, b's adjoint by one GEMV in the reverse
 * pass (a loop's y[n] ~ normal(X[n] * beta, sigma) run as vectors, vecloop.c). */
Val op_matvec_rows(Ev *ev, const double *A, int lda, int R, int K, Val b);
/* calls (call.c) */
Val call_math(Ev *ev, const Expr *e, Val *args, int n);
/* user-defined functions, print, reject, fatal_error (ufunc.c) */
Val call_user(Ev *ev, const Expr *e, Val *args, int n);
void call_print(Ev *ev, const Expr *e);
/* count a failed evaluation whose cause was reject() (reject.c) */
void rej_record(Ev *ev);
/* "N times at FILE:L:C: first message" lines, malloc'd; NULL when none */
char *rej_report(const Ev *ev);
void rej_free(Ev *ev);
Val call_dist(Ev *ev, const Expr *e, const void *dist, int fkind, Val *args, int n, Span sp);
/* Fast path for `~` and `target += *_lpdf(...)` of common families (fast.c): 1 if it
 * ran the statement (lp and its tape variable id, -1 for a constant; or ev->fail),
 * 0 if the generic path must (nothing was evaluated). */
int fast_dist(Ev *ev, const void *key, const void *dist, Expr *const *ex, int nex, Span sp, int root, double *lp,
              int32_t *id);
/* The verdicts the plan stores (plan_fast.c), key the `~` statement or the *_lpdf call:
 * which kernel of fast_dist (0: none) for dist with nex arguments; whether
 * fast_affine takes e, vec in a vectorised loop whose variable and body locals are vs. */
int fast_dist_kind(const void *dist, int nex);
int fast_affine_plan(const Expr *e, int vec, const int *vs, int nv);
/* Tests: compare each planned verdict with the one made at evaluation (counted). */
extern int vm_plan_fast_check;
extern long vm_plan_fast_mismatch;
/* e as a + b * x + ... with a tape node per coefficient, not per operation (fast.c):
 * 1 and *out (or ev->fail) if e has that shape, 0 if not (nothing evaluated). */
int fast_affine(Ev *ev, const Expr *e, Val *out);
/* Loops run as vectors (vecloop.c): 1 if the loop ran (or failed fatally), 0 if it
 * must run one iteration at a time; vec_index reads x[.., n, ..] for all n at once
 * (*ok = 0: not such an index). */
int vec_loop(Ev *ev, const Stmt *s, int lo, int hi);
/* The loop's syntactic analysis, made once at load (plan.c), or NULL if its
 * iterations cannot run as vectors; vec_loop with that analysis. */
const void *vec_plan(const Stmt *s, Arena *a);
int vec_loop_planned(Ev *ev, const Stmt *s, int lo, int hi, const void *plan);
Val vec_index(Ev *ev, const Expr *e, int *ok);
/* e is X[n] * b with n the loop variable slot, X a data matrix: row n times a vector
 * (b's dependence on n the caller's to judge).  vec_rowprod evaluates such an e in a
 * vectorised run, X's rows lo..hi times b (1, the value in *out), else 0. */
int vec_rowprod_shape(const Expr *e, int slot);
/* The run's rows (lo..hi, or a branch's list) of data matrix X, column-major with
 * leading dimension *ld: X's own storage when they are adjacent, else gathered; NULL
 * when one is outside X. */
const double *vec_rows(Ev *ev, const Val *X, int *ld);
/* A vectorised run of loop variable slot over lo..hi begins (no body locals or
 * assignments yet; with bind, slot holds the ints lo..hi), and ends (slot back to v):
 * vecloop.c's runs and linrec.c's terms. */
void vec_enter(Ev *ev, int slot, int lo, int hi, int bind);
void vec_leave(Ev *ev, int slot, Val v);
int vec_rowprod(Ev *ev, const Expr *e, Val *out);
/* log_sum_exp(v) of a body's local vector v in a vectorised run: one value per
 * iteration (1, the value in *out), else 0. */
int vec_call(Ev *ev, const Expr *e, Val *out);
/* target += a + b - c in a vectorised run: each term summed over the iterations on its
 * own (a density's kernel sums its vectors; a term that does not vary, times their
 * count), 1; 0 for another kind of value. */
int vec_target(Ev *ev, const Stmt *s);
/* e can be evaluated as a vector over the range of loop variable slot (a loop that
 * assigns nothing e reads): linrec.c's terms.  *need_iv is set when e reads the loop
 * variable as a value, not only in an index the vectoriser takes as a view (y[t - 1]):
 * vec_enter must then bind it. */
int vec_expr_ok(const Expr *e, int slot, int *need_iv);
/* Frees what the vectorised runs keep in ev (tape_free calls it). */
void vec_free(Ev *ev);
Val vec_dist(Ev *ev, const Expr *e);
void vec_assign(Ev *ev, const Stmt *s);
/* for (t in lo:hi) x[t] = f(x[t - c], ...) in forward mode (recur.c), compiled on the
 * spot: loops without a plan (the data phase); the plan's run rec_loop_planned (recur.h) */
int rec_loop(Ev *ev, const Stmt *s, int lo, int hi);
/* a local's declaration inside a vectorised loop: 1 if handled */
int vec_decl(Ev *ev, const Stmt *s);
/* indexing (index.c) */
Val index_get(Ev *ev, const Expr *e, Val base);
void index_set(Ev *ev, const Expr *lhs, Val *target, Val v);
/* Sum of all elements as one node. */
Val val_sum(Ev *ev, Val a);
/* Offset of the element with 0-based per-dimension indices c. */
long val_offset(const Val *v, const int *c);

/* Builtins: container and linear-algebra functions. */
typedef Val (*BuiltinFn)(Ev *ev, const Expr *e, Val *args, int n);
struct Builtin { const char *name; const char *sig; BuiltinFn fn; };
/* e is a call of the builtin called name (plan-time tests: the vectoriser, the scalar
 * compiler) */
int builtin_is(const Expr *e, const char *name);
/* e is to_vector, to_row_vector or to_array_1d of one argument: that argument's
 * elements as a 1-d value (the plan's tests: scalar_compile.c, plan_fast.c) */
int builtin_flattens(const Expr *e);
extern const struct Builtin builtin_table[];
#endif
