/* The public C API of a compiled model: what every backend driver, the REPL, tests
 * and any future binding use, and nothing else (in the spirit of BridgeStan).
 *
 * A VmModel is immutable once loaded and may be shared by threads; each thread owns
 * a VmEval (its tape and scratch memory, allocated once and reused). */
#ifndef VM_VMOD_H
#define VM_VMOD_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef struct VmModel VmModel;
typedef struct VmEval VmEval;
typedef struct VmSplit VmSplit;

/* Compile model source and bind data.  data_json: the text of a CmdStan JSON data
 * file, or NULL to use only the embedded defaults.  On failure returns NULL and sets
 * *msg to a malloc'd message (every diagnostic, `file:line:col: error: ...` with the
 * source line and caret, or the data error naming variable and index); free() it. */
VmModel *vm_model_load(const char *source, size_t len, const char *filename,
                       const char *data_json, const char *data_filename, char **msg);
VmModel *vm_model_load_file(const char *path, const char *data_path, char **msg);
/* vm_model_load with options.  alloc (realloc's contract: ptr NULL allocates, size 0
 * frees) becomes the allocator of every allocation the library makes from then on,
 * process-wide (a model's memory is freed by later calls; runtime/alloc.h says what it
 * covers); NULL keeps the current one.  An allocation that fails while loading makes
 * the load answer NULL with *msg "out of memory\n", with nothing leaked. */
typedef struct VmLoadOptions {
    void *(*alloc)(void *ud, void *ptr, size_t size);
    void *alloc_ud;
} VmLoadOptions;
VmModel *vm_model_load_opts(const char *source, size_t len, const char *filename, const char *data_json,
                            const char *data_filename, const VmLoadOptions *opt, char **msg);
void vm_model_free(VmModel *m);

/* Unconstrained dimension (continuous coordinates) and discrete `param int` count. */
size_t vm_model_dim(const VmModel *m);
size_t vm_model_ndisc(const VmModel *m);
/* Name of unconstrained coordinate i, as in posteriordb's gradients.json:
 * "beta[2]", "Omega__free[3]" for a coordinate whose size differs from its value's. */
const char *vm_model_unc_name(const VmModel *m, size_t i);

/* Output values of a draw: constrained parameters, then parameter-dependent lets,
 * then gens, flattened column-major, with Stan CSV names ("beta.2", "L.1.2").
 * vm_model_nparam_values counts only the constrained-parameter prefix. */
size_t vm_model_nvalues(const VmModel *m);
size_t vm_model_nparam_values(const VmModel *m);
const char *vm_model_value_name(const VmModel *m, size_t i);

VmEval *vm_eval_new(const VmModel *m);
void vm_eval_free(VmEval *e);

/* Log density at the unconstrained point u (dim + ndisc values), with every
 * normalising constant, with or without the log-Jacobian; grad (dim values) may be
 * NULL.  Returns 0 and a finite lp or lp = -inf when the point is outside the support
 * or an argument is invalid (vm_eval_message says why).  Returns -1 only for an
 * error that must stop inference (message likewise).  No allocation after the first
 * few calls. */
int vm_log_density(VmEval *e, const double *u, int jacobian, double *lp, double *grad);

/* The log density as a sum of terms, one per top-level statement of the model (a
 * parameter's declaration holds its log-Jacobian): the structure methods such as
 * Rao-Blackwellised VI exploit.  vm_model_nterms: how many terms.  vm_model_term_deps:
 * for coordinate i (0..dim+ndisc-1) the terms whose value may depend on it are
 * idx[start[i] .. start[i + 1]), ascending; a statement depends on a coordinate when it
 * reads (transitively through lets) a parameter that coordinate belongs to, so every
 * coordinate of a vector parameter shares its statements.  The arrays belong to m. */
size_t vm_model_nterms(const VmModel *m);
void vm_model_term_deps(const VmModel *m, const size_t **start, const int **idx);
/* vm_log_density that also writes each term's value into terms[vm_model_nterms]; they
 * sum to *lp up to rounding.  When *lp is not finite every term is set to *lp. */
int vm_log_density_terms(VmEval *e, const double *u, int jacobian, double *lp, double *grad, double *terms);

/* Constrained parameter values (vm_model_nparam_values of them) at u. */
int vm_constrain(VmEval *e, const double *u, double *x);
/* Unconstrained u from constrained parameter values given by name in a CmdStan JSON
 * object (as --init and --at use).  Returns 0 or -1 with the message. */
int vm_unconstrain_json(VmEval *e, const char *json, double *u);
/* The same for a point that may leave parameters out (CmdStan's partial --init):
 * given[dim + ndisc] is 1 for the coordinates it set, 0 for those left out (set to 0). */
int vm_unconstrain_json_partial(VmEval *e, const char *json, double *u, unsigned char *given);
/* Every output value (vm_model_nvalues) at u: parameters, lets, and gens drawn with r
 * (r may be NULL: gens are then NaN).  Returns 0 or -1 (a check failed; message). */
int vm_write_values(VmEval *e, const double *u, gsl_rng *r, double *out);

/* Data-parallel (split.c): the log density split over `size` processes by
 * observation, this process being `rank`.  Every evaluator made afterwards computes
 * this process's share and adds the shares of all processes (runtime/mpi.h), so that
 * vm_log_density returns the whole density and gradient on every process.  Returns
 * the number of statements split (0: every statement runs on every process, the
 * density is still right), or -1 with *msg.  vm_model_split_describe: one line per
 * density statement, split or not (malloc'd). */
int vm_model_split(VmModel *m, int rank, int size, char **msg);
char *vm_model_split_describe(const VmModel *m);
/* What the execution plan runs each loop of the model with, one line per loop in source
 * order ("FILE:LINE: for loop: a scalar program (N operations)", vectorised, a
 * recurrence, or the interpreter with the first construct the compiler refused and
 * its position), then the loops of each user-defined function under "in function
 * NAME:".  Caller frees; NULL out of memory. */
char *vm_model_plan_describe(const VmModel *m);
/* The processes m's density is split over (1 without a split). */
int vm_model_split_size(const VmModel *m);

const char *vm_eval_message(const VmEval *e);
/* The same reason rendered with the model's file:line:col, line and caret when it has a
 * position; malloc'd, NULL when there is none. */
char *vm_eval_explain(const VmEval *e);
/* The reject() statements this evaluator met, one line per statement with how often
 * it rejected and its first message ("12 times at m.vmod:3:5: x is 7"); malloc'd,
 * NULL when none. */
char *vm_eval_reject_report(const VmEval *e);

/* Size mismatches found by evaluating the model once with its data (vrun --check):
 * the rendered error (file:line:col, line, caret), malloc'd, or NULL when none. */
char *vm_model_check_sizes(const VmModel *m);

/* Discrete parameters summed out by enumeration, for gradient methods
 * (runtime/marginal.c).  vm_marg_new refuses (NULL, *msg malloc'd naming the
 * variable and the reason) a model whose density does not split into one term per
 * discrete element or whose elements take more than 128 values.  The log density
 * and gradient are over the dim continuous coordinates; vm_marg_draw fills
 * full[dim + ndisc] with u and a draw of the discrete values from their exact
 * conditional given u. */
typedef struct VmMarg VmMarg;
VmMarg *vm_marg_new(const VmModel *m, char **msg);
void vm_marg_free(VmMarg *g);
int vm_marg_log_density(VmMarg *g, const double *u, double *lp, double *grad);
int vm_marg_draw(VmMarg *g, const double *u, gsl_rng *r, double *full);
VmEval *vm_marg_eval(VmMarg *g);
/* vm_write_values at u with the discrete values drawn by vm_marg_draw. */
int vm_marg_write_values(VmMarg *g, const double *u, gsl_rng *r, double *out);

#endif
