/* Private to the driver (run.c, csv.c, progress.c, run_summary.c): the per-chain
 * record and the pieces the driver's files share.  Nothing outside runtime/ uses it. */
#ifndef VM_RUN_INT_H
#define VM_RUN_INT_H

#include <stdatomic.h>
#include "driver/run.h"
#include "driver/summary.h"

#define RUN_VERSION "0.1"
#define RUN_INIT_TRIES 100
#define RUN_INIT_RADIUS 2.0

/* Stan CSV output of one chain: a raw descriptor, every row or comment block going
 * out in one write(2), so a killed run leaves only whole lines. */
typedef struct CsvOut {
    int fd;
    char *line;               /* row buffer, allocated once */
    size_t cap;
    long long size;           /* bytes written so far */
    char *path;
} CsvOut;

int csv_path(const char *pattern, int chain, int chains, char *out, size_t len);
int csv_open(CsvOut *w, const char *path, size_t ncols, char *err, size_t errlen);
int csv_header(CsvOut *w, const RunModel *m, const RunConfig *cfg, int chain, const char *path,
               const char *const *names, size_t ncols);
int csv_row(CsvOut *w, const double *v, size_t n);
/* Lines of the backend's report, each after "# " (and "# Adaptation terminated" first
 * for a sampler after its warm-up, where rstan and CmdStan expect it). */
int csv_report(CsvOut *w, const Backend *b, void *st, int after_warmup);
int csv_comment(CsvOut *w, const char *text);
int csv_timing(CsvOut *w, double warmup, double sampling, const char *phase2);
/* csv_open takes an exclusive lock on a regular file (a second run on the same
 * --output is an error, before anything is truncated) and rows are appended as they
 * come, each in one write cut back to the last whole line if it fails, so a killed run
 * leaves a valid file.  csv_discard deletes the file (a chain never started). */
void csv_discard(CsvOut *w);
void csv_close(CsvOut *w);
/* Cut the file back to `size` bytes (rows of an interrupted chain past the others). */
int csv_truncate(CsvOut *w, long long size);
/* %.6g as C++ streams print with precision 6 (CmdStan's default sig_figs), with
 * nan/inf spelled as CmdStan spells them.  Returns the length written. */
int csv_format(char *buf, size_t len, double x);

typedef struct RunChain {
    int id;                   /* 0-based */
    BkTarget t;
    int have_target;
    BkSettings settings;      /* this chain's copy, alive as long as the backend state */
    void *st;
    gsl_rng *r;
    CsvOut csv;
    int have_csv;
    char *path;               /* of the CSV file */
    double *u, *grad, *cols;  /* work buffers, allocated before the loop */
    double *wrow;             /* --save-warmup: one warm-up row, not kept in the result */
    double *usum;             /* VI with a CSV: the sum of the unconstrained draws (the mean row) */
    double *rows;             /* this chain's slice of the result: [draw][col] */
    long long *row_end;       /* CSV size before the first row [0] and after row d [d+1] */
    long ndone;               /* draws completed */
    long iters;               /* VI/optimiser: iterations run */
    int converged;
    long value_fails;         /* kept rows whose let/gen check failed (written as NaN) */
    unsigned char *failed;    /* per draw: the check failed */
    char *value_why;          /* the first such failure's reason (statement, message) */
    double t_warmup, t_sampling;
    atomic_long progress;     /* iterations done, read by the progress display */
    atomic_int phase;         /* 0 queued, 1 warm-up / optimisation, 2 drawing, 3 done */
    int status;               /* 0, 1 (model/options), 2 (inference) */
    char err[512];
    char *report_txt[3];      /* ran on another rank: its report for the table, the JSON, its results (JSON) */
} RunChain;

typedef struct Progress {
    int mode;                 /* 0 off, 1 bar (tty), 2 a plain line every few seconds */
    double t0, last;
    long total;
    const char *method;
    const char *phase[2];     /* "warmup"/"sampling", or "fitting"/"drawing" */
    int width;                /* characters last printed on the bar line */
    /* prog_shape: one line per chain on a terminal, and the time left from each chain's
     * recent rate and the queue of chains not started */
    int chains, threads, lines, vi;
    long first, second;       /* per chain: warm-up (or at most this many VI iterations), draws */
    double *rate, *tprev;     /* per chain: iterations/s (recent), time of the last count */
    long *prev;               /* per chain: the last count */
} Progress;

void prog_start(Progress *p, int mode, long total, const Backend *b, double now);
/* The run's shape, after prog_start: enables the per-chain display. */
void prog_shape(Progress *p, int chains, int threads, long first, long second);
void prog_update(Progress *p, RunChain *ch, int chains, double now, int force);
void prog_finish(Progress *p, RunChain *ch, int chains, double now);
void prog_abort(Progress *p);

double run_now(void);

/* run_mpi.c: the driver on more than one process */
int runmp_spread(const RunConfig *cfg);            /* chains spread over the ranks */
int runmp_mine(const RunConfig *cfg, int chain);   /* this rank runs the chain */
int runmp_chains_mine(const RunConfig *cfg);
int runmp_csv_open(const RunConfig *cfg, int chain, CsvOut *w, const char *path, size_t ncols, int *have,
                   char *err, size_t errlen);
void runmp_gather(const RunConfig *cfg, RunChain *ch, size_t ncols, int *interrupted);
int runmp_agree(int rc, char *err, size_t errlen, int *interrupted);
/* run_notice.c: under a launcher, its SIGCONT that comes before its SIGTERM and
 * SIGKILL.  begin/end around the chains; check from the main thread about every
 * 100 ms: 1 once the notice came (a SIGCONT that resumed a stopped process is not one). */
struct sigaction;
void runmp_notice_begin(struct sigaction *old);
void runmp_notice_end(const struct sigaction *old);
int runmp_notice_check(void);

/* run_summary.c: the table on cfg->out and the JSON file. */
/* run_diag.c: the findings that say when not to trust a run. */
typedef struct RunFinding {
    const char *code;         /* "divergences", "treedepth", "ebfmi", "rhat", "ess_bulk", "ess_tail",
                               * "chains_disagree", "khat", "not_converged" */
    int chain;                /* 1-based, 0 for the run as a whole */
    char *column;             /* the worst quantity, or NULL */
    double value;             /* the count, R-hat, ESS per chain, median, k-hat */
    char *text;               /* what it means and what to try, one line */
} RunFinding;

struct json_t;
typedef struct RunDiag {
    RunFinding *f;
    size_t n;
    int chains;
    /* per chain, from the method columns (-1 / NaN when the method has none) */
    long *divergent, *treedepth_hits, max_depth;
    double *ebfmi, *stepsize;
    struct json_t **results;  /* per chain: Backend.results (NULL when none) */
    double **mode;            /* optimisers: per chain, the model's columns at the mode */
    SumStats *stats;          /* every model column's summary, computed once for the table,
                               * the JSON and the checks (NULL: none) */
    size_t nstats;
} RunDiag;

typedef struct RunReport RunReport;
int rundiag_failed(const RunReport *rep, char *err, size_t errlen);
void rundiag_compute(const RunReport *rep, RunDiag *dg);
void rundiag_print(const RunDiag *dg, FILE *out);
/* One more warning, its text made from fmt (the model's reject counts). */
void rundiag_add_text(RunDiag *dg, const char *code, int chain, const char *fmt, ...);
struct json_t *rundiag_json(const RunDiag *dg);
void rundiag_chain_json(const RunDiag *dg, int chain, struct json_t *o);
void rundiag_free(RunDiag *dg);

struct RunReport {
    const RunModel *m;
    const RunConfig *cfg;
    const RunResult *res;
    const RunChain *ch;
    size_t nmethod;           /* method columns */
    double seconds_total;
    int threads;
    const RunDiag *diag;      /* NULL: no findings computed */
};

void runsum_print(const RunReport *rep, FILE *out);

/* run_point.c: an optimiser's table of values (1 when printed), cavi's exact moments. */
int runpt_print_point(const RunReport *rep, FILE *out);
/* Overwrite st[j] of every column with a closed form; the mask of those, or NULL. */
unsigned char *runpt_exact(const RunReport *rep, SumStats *st, size_t n);
void runpt_print_exact(const RunReport *rep, FILE *out, const SumStats *st, const unsigned char *mask, size_t n);
int runsum_json(const RunReport *rep, const char *path, char *err, size_t errlen);

#endif
