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
/* Every output value (vm_model_nvalues) at u: parameters, lets, and gens drawn with r
 * (r may be NULL: gens are then NaN).  Returns 0 or -1 (a check failed; message). */
int vm_write_values(VmEval *e, const double *u, gsl_rng *r, double *out);

const char *vm_eval_message(const VmEval *e);
/* The same reason rendered with the model's file:line:col, line and caret when it has a
 * position; malloc'd, NULL when there is none. */
char *vm_eval_explain(const VmEval *e);

#endif
