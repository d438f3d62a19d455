/* A compiled model: the IR, the bound data, the parameter layout.  Immutable after
 * vm_model_load, shared by every evaluator. */
#ifndef VM_MODEL_H
#define VM_MODEL_H
#include "runtime/eval.h"
#include "runtime/transform.h"
#include "runtime/vmod.h"

typedef struct ParamInfo {
    int slot;
    const Stmt *decl;
    TrKind tr;
    int is_int;
    int reps;                 /* replicates of a vector/matrix transform (array of simplexes...) */
    int blk;                  /* value elements per replicate (rows * cols) */
    int rows, cols;           /* the transform's block shape (transform.h) */
    int nfree;                /* unconstrained values per replicate */
    long off;                 /* first coordinate in u (continuous) or in the discrete block */
    Val shape;                /* dims of the value (x/iv unused) */
    /* Bounds (or offset and multiplier) known at load (no parameter in them), expanded
     * to one per element and checked: evaluated once here, not at every gradient. */
    int fixed;
    const double *lo_fix, *hi_fix;    /* NULL where the type has no such argument */
    int fix_finite;                   /* TR_LOWER / TR_UPPER: the bound finite everywhere;
                                       * TR_LOWER_UPPER: both, and apart (model_bound_finite) */
} ParamInfo;

typedef struct OutVar { int slot; long first; long n; } OutVar;

struct VmModel {
    Arena arena;
    char *file;
    char *src;
    size_t srclen;
    Ir *ir;
    Val *data_env;
    ParamInfo *params;
    int nparams;
    /* 0, 1, ..., dim - 1: the tape variables of the unconstrained coordinates (the first
     * dim of every evaluation), shared by the parameters bound to them as they are */
    int32_t *uid;
    size_t dim, ndisc;
    double *disc_lo, *disc_hi;
    char **unc_names;
    size_t n_unc_names;    /* how many unc_names hold a string: layout can fail half way */
    OutVar *outs;
    int nouts;
    size_t nvalues, nparam_values;
    char **value_names;
    char *warnings;           /* rendered warnings (data and model), or NULL */
    /* Which log-density terms (top-level statements) each coordinate (continuous, then
     * discrete) enters, as CSR: term_idx[term_start[i] .. term_start[i + 1]), ascending */
    size_t *term_start;
    int *term_idx;
    /* Per variable slot: 1 if some statement assigns an element or slice of it
     * (x[i] = ...).  A declaration without a type (let z = x;) then takes a copy of
     * its value, which may be shared (a data variable's, a hoisted value). */
    unsigned char *idx_assigned;
    int nhoisted;             /* subexpressions evaluated once at load (hoist.c) */
    /* their values by Expr.id (ir->prog->nexprs + 1 entries, NULL where evaluated each
     * time; malloc'd, the values in the arena), or NULL when none is */
    const Val **hoisted;
    struct Plan *plan;        /* how each loop runs, decided at load (plan.h) */
    VmSplit *split;           /* the density split over processes (split.c), or NULL */
};

/* The transform of a declared type, and its two per-element arguments: the lower
 * and upper bounds, or the offset and multiplier of TR_AFFINE (which = 0, 1). */
TrKind model_tr_kind(const TypeSpec *ts);
const Expr *model_tr_arg(const TypeSpec *ts, int which);
void element_names_public(const char *base, const Val *shape, char ***names, size_t *n, size_t *cap);
const char *vm_model_warnings(const VmModel *m);
/* Run statements of one phase (PH_MODEL or PH_GEN) with u bound. */
int model_run(VmEval *e, const double *u, int jacobian, int phase);
/* Parameter pi bound in ev->env from the unconstrained u (its variables from ubase on
 * the tape): the density's binding, which the forward simulator shares (with
 * ev->notape, no tape). */
void model_bind_param(Ev *ev, const ParamInfo *pi, const double *u, int32_t ubase, int jacobian);
/* The first element (0-based) at which a parameter's expanded bounds lo, hi (NULL where
 * the type has none) do not fit its transform tr (offset finite, multiplier positive
 * and finite; lower below upper), or -1.  The load (fix_bounds) and the evaluation
 * (bind_param, which reports it) share it. */
int model_bounds_bad(TrKind tr, const double *lo, const double *hi, int n);
/* tr's one bound (lower of TR_LOWER, upper of TR_UPPER) finite at all n elements; 0
 * for other transforms. */
int model_bound_finite(TrKind tr, const double *lo, const double *hi, int n);
/* Evaluate once the data-only subexpressions of the model's statements (hoist.c):
 * the number hoisted.  vm_hoist_disabled (tests, benchmarks) turns it off, and with it
 * the parameters' bounds fixed at load (ParamInfo.fixed, model.c). */
int model_hoist(Model *m);
/* Fill m->idx_assigned (hoist.c). */
int model_scan_assigned(Model *m);
extern int vm_hoist_disabled;
/* Which share of a split model this evaluator computes (-1: the whole density, the
 * default without a split) and whether vm_log_density then adds the processes' shares
 * (split.c's probe evaluates one share alone). */
void vm_eval_set_share(VmEval *e, int share, int reduce);
/* Render a runtime failure with the model's file:line:col and caret. */
char *model_render_error(const Model *m, Span sp, const char *msg);
#endif
