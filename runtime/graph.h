/* The read-only model graph: what a backend that reads a model's structure (CAVI's
 * conjugacy analysis) may know of a compiled model, and nothing more: its parameters (constraint, shape, where their
 * coordinates are), its factors (every `~` statement: the stdlib table entry of the
 * distribution, the variate, the parameters it depends on), and a probe that
 * evaluates each factor's values at a chosen constrained point.
 *
 * Installed with vmod.h.  A VgGraph is built from a loaded VmModel, is immutable and
 * may be shared by threads; a VgProbe belongs to one thread. */
#ifndef VM_GRAPH_H
#define VM_GRAPH_H
#include <stddef.h>
#include "vmod.h"

struct Dist;                   /* an entry of the stdlib distribution table (stdlib/dist.h) */

/* The constraint of a parameter's declared type (Stan's names). */
typedef enum {
    VG_REAL, VG_LOWER, VG_UPPER, VG_LOWER_UPPER,
    VG_SIMPLEX, VG_ORDERED, VG_POSITIVE_ORDERED,
    VG_CHOLESKY_CORR, VG_COV_MATRIX, VG_CORR_MATRIX,
    VG_AFFINE, VG_UNIT_VECTOR, VG_SUM_TO_ZERO, VG_CHOLESKY_COV,
    VG_NCONSTRAINTS
} VgConstraint;

/* The shape of a value: a scalar, a vector (rows), a row vector (cols) or a matrix,
 * possibly inside arrays. */
typedef enum { VG_SCALAR, VG_VECTOR, VG_ROWVEC, VG_MATRIX } VgShapeKind;

#define VG_MAXDIM 8
#define VG_MAXVALS 8           /* variate + arguments of one factor */

/* A position in the model's source (byte offset and length), for vg_render. */
typedef struct VgPos { int off, len; } VgPos;

typedef struct VgParam {
    const char *name;
    VgConstraint constraint;
    int is_int;                /* `param int`: its coordinates are discrete */
    VgShapeKind shape;
    int ndims, dims[VG_MAXDIM];/* array dimensions first, then rows/cols */
    size_t n;                  /* constrained elements (column-major storage) */
    int reps, rows, cols;      /* replicates of the constraint's block and its shape */
    size_t first, ncoords;     /* coordinates [first, first + ncoords) of the dim + ndisc */
    size_t value_first;        /* its first output value (vm_model_value_name) */
    /* Its declared bounds: lo_kind 0 none, 1 one constant of the data (lo), -1 one that
     * is not (depends on a parameter, or differs between elements).  Likewise hi. */
    int lo_kind, hi_kind;
    double lo, hi;
    VgPos pos;                 /* its declaration */
    int line, col;
} VgParam;

typedef struct VgFactor {
    int id;                    /* its index: vg_factor(g, id) */
    const struct Dist *dist;   /* the stdlib table entry (pointer identity names the family) */
    int dist_id;               /* its index in dist_table */
    int variate;               /* the parameter whose value (or element) is the variate, or -1 */
    int term;                  /* its log-density term: the numbering of vm_model_term_deps,
                                  which BBVI's Rao-Blackwellised estimator gets in BkTarget */
    int nloops;                /* enclosing loops: the factor has one instance per iteration */
    int ndeps;
    const int *deps;           /* parameters it may depend on, ascending (transitively via lets) */
    int nvals;                 /* the variate and the arguments */
    VgPos pos, dist_pos;       /* the statement, the distribution's name */
    VgPos val_pos[VG_MAXVALS]; /* the variate (0) and each argument */
    int line, col;
} VgFactor;

typedef struct VgGraph VgGraph;

/* NULL only when out of memory. */
VgGraph *vg_new(const VmModel *m);
void vg_free(VgGraph *g);
const VmModel *vg_model(const VgGraph *g);
int vg_nparams(const VgGraph *g);
const VgParam *vg_param(const VgGraph *g, int k);
int vg_param_find(const VgGraph *g, const char *name);   /* -1: none */
int vg_nfactors(const VgGraph *g);
const VgFactor *vg_factor(const VgGraph *g, int i);
const char *vg_constraint_name(VgConstraint c);
/* msg rendered as `file:line:col: error: msg` with the source line and a caret under
 * pos; malloc'd (NULL when out of memory). */
char *vg_render(const VgGraph *g, VgPos pos, const char *msg);
/* Values (vg_unconstrain's x, vg_probe_set's, VgValue) are in storage order: array
 * indices outermost, last fastest, then each vector or matrix whole, column-major --
 * unlike the output columns (vm_write_values), whose first index is fastest. */
/* Parameter k's constrained values x (VgParam.n) as its unconstrained coordinates,
 * written at u + VgParam.first.  Needs constant bounds (lo_kind, hi_kind >= 0).
 * Returns 0, or -1 when x is outside the constraint (u then holds what could be
 * computed) or the bounds are not constant. */
int vg_unconstrain(const VgGraph *g, int k, const double *x, double *u);

/* The probe.  A value handed to the visitor: n elements (ints as doubles), column-major;
 * narr array dimensions then (vector, row vector: 1, matrix: 2) inner ones. */
typedef struct VgValue {
    const double *x;
    int n, is_int;
    VgShapeKind shape;
    int narr, ndims, dims[VG_MAXDIM];
} VgValue;

/* One call per `~` instance in program order (loops unrolled): f is the factor, inst
 * counts the instances from 0, vals[0] is the variate and vals[1..nvals-1] the
 * arguments, valid until the visitor returns.  Nonzero stops the walk. */
typedef int (*VgVisit)(void *ctx, const VgFactor *f, int inst, const VgValue *vals, int nvals);

typedef struct VgProbe VgProbe;
VgProbe *vg_probe_new(const VgGraph *g);
void vg_probe_free(VgProbe *p);
/* Parameter k takes the constrained values x (VgParam.n of them); the pointer is kept. */
void vg_probe_set(VgProbe *p, int k, const double *x);
/* Runs the model at the set point, handing each `~` to visit instead of adding its
 * density.  Returns 0, the visitor's nonzero value, or -1 (vg_probe_error says why:
 * control flow depending on a parameter, an evaluation error). */
int vg_probe_walk(VgProbe *p, VgVisit visit, void *ctx);
const char *vg_probe_error(const VgProbe *p, VgPos *pos);

/* Which elements of discrete (`param int`) parameters an expression of the current
 * factor instance indexes directly, as z[n] or z[idx[n]]: its value is evaluated with
 * each discrete parameter bound to its own element offsets.  Only inside a visitor. */
#define VG_MAXREFS 64
typedef struct VgRefs {
    int param[VG_MAXREFS], elt[VG_MAXREFS], n;   /* distinct (parameter, element) pairs */
    int many;                  /* more than VG_MAXREFS of them */
    int mixed;                 /* more than one parameter */
    int first;                 /* the first parameter met */
    int *sub, nsub;            /* the offsets of the first z[...] met, one per element (malloc'd) */
    int subdiff;               /* another z[...] gives other offsets */
} VgRefs;
/* Adds the references of value i (0: the variate, 1..: the arguments) to r, which the
 * caller zeroes first and frees r->sub of.  Returns 0, or -1 when evaluation failed. */
int vg_probe_refs(VgProbe *p, int i, VgRefs *r);
/* Record (param, elt) in r, as vg_probe_refs does. */
void vg_refs_add(VgRefs *r, int param, int elt);

#endif
