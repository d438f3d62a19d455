/* Run one inference method on one shared posteriordb posterior and compare the draws
 * with the reference summaries: used by the accuracy tests and by bench/accuracy. */
#ifndef VM_PDB_RUN_H
#define VM_PDB_RUN_H
#include <stddef.h>
#include "backends/backend.h"

typedef struct PdbOutcome {
    int ok;                    /* 0: the run failed (msg says why) */
    char msg[512];
    int ncols;                 /* reference quantities matched */
    double max_err_sd;         /* max |mean - ref mean| / ref sd */
    double max_z;              /* max |mean - ref mean| / (our and the reference's MCSE) */
    double sd_ratio_lo, sd_ratio_hi;
    double max_rhat, min_ess_bulk;
    double seconds;            /* wall time of the run */
    long gradients;            /* log density evaluations, all chains */
    long divergent;            /* draws with divergent__ = 1, all chains; -1: no such column */
    char worst[256];           /* the column with the largest error */
    char report[2048];         /* the backend's report lines (ELBO, k-hat...) */
} PdbOutcome;

typedef struct PdbSpec {
    const char *method;
    int chains, threads;
    long warmup, draws, iters, mc;
    double lr, tol;
    unsigned long seed;
    const BkOpt *opts;
    size_t nopts;
} PdbSpec;

/* shared: path of ../shared/posteriordb; src: the project root (examples/). */
int pdb_run(const char *shared, const char *src, const char *name, const PdbSpec *spec, PdbOutcome *out);
/* Names of the posteriors (sorted), NULL-terminated; free with pdb_free_names. */
char **pdb_names(const char *shared);
void pdb_free_names(char **names);
#endif
