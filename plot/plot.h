/* Diagnostic plots of MCMC and VI draws read from Stan CSV files (vrun's, CmdStan's,
 * rstan's sample_file): trace, rank histograms, densities, pairs with divergences, the
 * NUTS energy plot and a VI run's ELBO trace, each written as a PNG and an SVG with
 * PLplot's cairo drivers, and an index.html showing them all.  See docs/plots.md. */
#ifndef VM_PLOT_H
#define VM_PLOT_H

#include <stddef.h>

/* One chain: its draws after warm-up and what its comments said. */
typedef struct VmPlotChain {
    char *file;                /* where it came from ("" when from memory) */
    long n;                    /* draws after warm-up */
    double *v;                 /* [n][ncol], row-major */
    long nwarmup;              /* warm-up rows the file held (skipped) */
    double *elbo;              /* VI: the ELBO estimate at every iteration, or NULL */
    long nelbo;
    long elbo_window;          /* iterations per window of the stopping rule */
    long avg_from, avg_to;     /* iterations averaged into the final q (1-based), 0: unknown */
    double khat;               /* Pareto k-hat from the report (NaN: none given) */
} VmPlotChain;

typedef struct VmPlotDraws {
    size_t ncol;
    char **names;              /* ncol column names, as in the file */
    int nchain;
    VmPlotChain *ch;
    int vi;                    /* method = variational: ELBO trace possible, no sampler columns */
} VmPlotDraws;

/* Append the chain in a Stan CSV file: comment lines (# ...) anywhere, one header row,
 * numeric rows; the rows before "# Adaptation terminated" are warm-up when rows follow
 * it (rstan's sample_file, CmdStan's save_warmup=1); VI's first row, the mean of q, is
 * dropped.  Every later file must have the first one's columns.  0, or -1 with err
 * naming the file and line. */
int vm_plot_read_csv(VmPlotDraws *d, const char *path, char *err, size_t errlen);
/* Draws from memory: chains x n rows of ncol values, [chain][draw][col]. */
int vm_plot_from_rows(VmPlotDraws *d, int chains, long n, size_t ncol, const char *const *names,
                      const double *rows, char *err, size_t errlen);
void vm_plot_draws_free(VmPlotDraws *d);
/* Column index by exact name, or -1. */
long vm_plot_col(const VmPlotDraws *d, const char *name);

/* The columns to plot: a comma-separated list of names, where a container's name means
 * all its elements (theta: theta.1, theta.2 ... or theta[1] ...); NULL or "": the
 * first 10 columns whose name does not end in "__" (the parameters come first in
 * vrun's and Stan's files).  *idx is malloc'd.  0, or -1 with err naming the unknown
 * variable. */
int vm_plot_select(const VmPlotDraws *d, const char *vars, size_t **idx, size_t *n,
                   char *err, size_t errlen);

typedef enum {
    VM_PLOT_TRACE, VM_PLOT_RANK, VM_PLOT_DENSITY, VM_PLOT_PAIRS, VM_PLOT_ENERGY, VM_PLOT_ELBO,
    VM_PLOT_NKINDS
} VmPlotKind;                  /* ORDER KINDS */

/* "trace" ... "elbo" */
const char *vm_plot_kind_name(VmPlotKind k);
/* A comma-separated list into a bit mask (1 << kind).  0, or -1 with err. */
int vm_plot_parse_kinds(const char *list, unsigned *mask, char *err, size_t errlen);
/* 1 when the draws hold what kind k needs (energy__, divergent__ is optional, an ELBO
 * trace); else 0 with why filled. */
int vm_plot_applies(const VmPlotDraws *d, VmPlotKind k, char *why, size_t len);

typedef struct VmPlotOpts {
    const char *dir;           /* output directory (created if missing) */
    unsigned kinds;            /* bit mask; 0: every kind that applies */
    const char *vars;          /* see vm_plot_select */
    int width, height;         /* pixels of each PNG (and points of each SVG) */
    int svg;                   /* also write SVGs (1 for vrun plot) */
    const char *index_title;   /* heading of index.html */
} VmPlotOpts;

/* Write DIR/KIND.png and DIR/KIND.svg for every kind asked for and DIR/index.html.
 * A kind asked for explicitly that does not apply is an error; one chosen by default is
 * skipped.  The paths written are appended to *files (malloc'd, *nfiles entries) when
 * files is not NULL.  0, or -1 with err. */
int vm_plot_write(const VmPlotDraws *d, const VmPlotOpts *o, char ***files, size_t *nfiles,
                  char *err, size_t errlen);
void vm_plot_files_free(char **files, size_t n);
/* mkdir -p dir.  0, or -1 with err. */
int vm_plot_mkdir(const char *dir, char *err, size_t errlen);

/* E-BFMI of one chain's energies e[i * stride], i < n, as rstan's get_bfmi:
 * sum((e_i - e_(i-1))^2) / n over the sample variance of e.  NaN for n < 3. */
double vm_plot_ebfmi(const double *e, size_t stride, long n);

/* The pairs plot's layout, for its test: the cell of row i, column j (j <= i) of n
 * variables as normalised device coordinates (x0, x1, y0, y1; y up), and the axis
 * limits the plots give column col (over every chain, 5% padding). */
void vm_plot_pairs_cell(size_t n, size_t i, size_t j, double box[4]);
void vm_plot_col_limits(const VmPlotDraws *d, size_t col, double *lo, double *hi);

#endif
