/* Forward simulation: ancestral sampling of a model's prior predictive from the IR.
 *
 * Every `~` whose left side is a parameter, a data variable or an indexed element of
 * one is read as a generative step: draw the left side from the distribution's
 * `_rng` given the values its arguments read.  The top-level statements are ordered
 * by their dependencies (Stmt.reads), so a likelihood written before its prior is
 * still simulated after it.  A model that has no such order is refused at the
 * statement: `target +=`, a `~` on a let or an expression (a density on a transformed
 * quantity), a `~` inside a `while`, a parameter with no `~` (a flat, improper prior).
 *
 * Simulated data are the data variables that appear on the left of a `~`; the other
 * data (sizes, covariates) keep their bound values.  Data-only lets that read
 * simulated data are recomputed for each simulation.  docs/dsm.md describes it. */
#ifndef VM_SIMULATE_H
#define VM_SIMULATE_H
#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "runtime/vmod.h"

typedef struct Sim Sim;

/* Analyse m.  NULL when it cannot be simulated: *msg (malloc'd) is the rendered
 * error, `file:line:col: error: ...` with the line and caret. */
Sim *sim_new(const VmModel *m, char **msg);
void sim_free(Sim *s);

/* Simulated data values (every simulated data variable flattened column-major, in
 * declaration order; ints as doubles) and their Stan CSV names ("y.3"). */
size_t sim_ndata(const Sim *s);
const char *sim_data_name(const Sim *s, size_t i);
/* The simulated data variables: count, name, number of values. */
int sim_nvars(const Sim *s);
const char *sim_var_name(const Sim *s, int k);
size_t sim_var_size(const Sim *s, int k);
/* The values bound from --data (or the defaults) in the same layout. */
void sim_observed(const Sim *s, double *x);

/* One joint draw from the prior predictive: u (dim + ndisc unconstrained values)
 * and x (sim_ndata values; may be NULL).  0, or -1 with sim_message set (an
 * invalid argument of a distribution, a prior with no mass inside its bounds). */
int sim_draw(Sim *s, gsl_rng *r, double *u, double *x);
/* Data drawn given the parameters at u: p(x | theta). -1 (with a message) when a
 * parameter's prior reads simulated data, so that the split is not ancestral. */
int sim_data_given(Sim *s, const double *u, gsl_rng *r, double *x);
/* The rendered message of the last failure (file:line:col: error: ...). */
const char *sim_message(const Sim *s);

/* Statistics: the values of data-level variables (data-only lets that read simulated
 * data, or simulated data) named in a comma-separated list, after the last draw
 * (sim_stats) or as bound (sim_stats_observed).  sim_stats_size gives the number of
 * values, or -1 with *msg when a name is not such a variable. */
long sim_stats_size(const Sim *s, const char *names, char *msg, size_t msglen);
void sim_stats(const Sim *s, const char *names, double *out);
void sim_stats_observed(const Sim *s, const char *names, double *out);

#endif
