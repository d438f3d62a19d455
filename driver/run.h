/* The driver: chains on threads, seeding, warm-up/sampling loop, Stan CSV, progress,
 * summary.  It reaches the model only through RunModel, so it can be tested on
 * analytic targets written in C, and every backend only through backends/backend.h. */
#ifndef VM_RUN_H
#define VM_RUN_H

#include <stddef.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include "backends/backend.h"

typedef struct RunModel {
    const char *name;          /* model file name, for the header lines */
    size_t dim, ndisc;         /* as in BkTarget */
    /* Make chain `chain`'s own target (own scratch memory); 0 or nonzero + err. */
    int (*target_new)(void *model, BkTarget *t, char *err, size_t errlen);
    void (*target_free)(void *model, BkTarget *t);
    /* Output columns, in CSV order after the method columns: constrained parameters,
     * then parameter-dependent `let`s, then `gen`s, with Stan's dotted names
     * ("beta.2", "Sigma.1.2"), each container flattened column-major. */
    size_t ncols;
    const char *const *col_names;
    /* Fill out[ncols] for the unconstrained draw u (dim + ndisc values), calling the
     * `_rng`s of `gen` statements with r.  Returns 0, or nonzero when a check on a
     * let/gen failed (the row is then written with NaN and counted in the summary). */
    int (*values)(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out);
#define RUN_VALUES_PARTIAL 2   /* values()' failure with out already NaN where undefined:
                                  the run keeps the rest (the parameters) as they are */
    /* Stan's initialisation: uniform(-2, 2) on every unconstrained coordinate, retried
     * (100 times) until lp and gradient are finite, unless init_u (dim + ndisc values)
     * is given (--init). */
    const double *init_u;
    void *model;
    /* Why the last log density of this chain's target was -inf or failed (with the
     * model's file:line:col when it has one), malloc'd; may be NULL.  The driver adds it
     * to the error when no initial point can be found. */
    char *(*why)(void *model, BkTarget *t);
    /* CmdStan's other init forms: init_given (dim + ndisc flags, NULL: all) marks the
     * coordinates of init_u a partial --init=FILE set, the others drawn as without it;
     * init_radius > 0 replaces the 2 of uniform(-2, 2) (--init=R). */
    const unsigned char *init_given;
    double init_radius;
    /* Optional: what this chain's target has to report when the chain ends (the
     * model's reject() counts), malloc'd lines or NULL; printed with the chain's id. */
    char *(*report)(void *model, BkTarget *t);
} RunModel;

typedef struct RunConfig {
    const Backend *backend;
    BkSettings base;           /* seed, warmup, draws, iters, mc, lr, tol, opts; chain is set per chain */
    int chains, threads;       /* threads <= 0: all cores */
    const char *output_csv;    /* NULL: no CSV */
    const char *summary_json;  /* NULL: none */
    int quiet, progress;       /* progress: -1 auto (stderr is a tty), 0 off, 1 on */
    const char *command_line;  /* written into the CSV header */
    FILE *out;                 /* where the summary goes (stdout) */
    int strict;                /* any warning after the run: status 3 */
    /* samplers, as CmdStan: keep iterations 0, thin, 2 thin, ... of each phase (so
     * ceil(draws / thin) draws; <= 1: all), and write the warm-up's to the CSV too */
    long thin;
    int save_warmup;
    /* Under mpirun: every rank runs every chain, the log density being split over the
     * ranks (split.c); 0: the chains are spread over the ranks.  Either way only rank 0
     * writes files and the summary. */
    int data_parallel;
} RunConfig;

/* All draws of a finished (or interrupted) run, kept for the REPL and tests. */
typedef struct RunResult {
    int chains;
    long ndraws;               /* draws per chain actually completed (min over chains) */
    size_t ncols;              /* lp__ + method columns + model columns */
    const char **col_names;    /* ncols names */
    double *draws;             /* [chain][draw][col], chain-major */
    double seconds_warmup, seconds_sampling;
    int interrupted;
} RunResult;

/* Run inference.  Returns 0, 1 (bad model/options: err), 2 (inference failed: err),
 * 3 (cfg->strict and a warning was given: err), or 130 after SIGINT (draws so far kept, written and summarised). */
int run_inference(const RunModel *m, const RunConfig *cfg, RunResult *res, char *err, size_t errlen);
void run_result_free(RunResult *res);

/* Write res as Stan CSV, one file per chain named as --output names them (FILE_1.csv
 * ... for more than one chain), b the method that made it.  0, or -1 with err. */
int run_save_csv(const RunResult *res, const Backend *b, const char *model_name, const char *path,
                 char *err, size_t errlen);
/* The CSV file of chain `chain` (0-based) for an --output pattern: out.csv ->
 * out_1.csv ... when chains > 1, out-{chain}.csv -> out-1.csv (csv.c).  0, or -1 when
 * it does not fit in len. */
int csv_path(const char *pattern, int chain, int chains, char *out, size_t len);

/* Derive chain `chain`'s generator from the user's seed: independent of threads. */
gsl_rng *run_chain_rng(unsigned long seed, int chain);

#endif
