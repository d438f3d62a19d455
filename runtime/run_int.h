/* Private to the driver (run.c, csv.c, progress.c, run_summary.c): the per-chain
 * record and the pieces the driver's files share.  Nothing outside runtime/ uses it. */
#ifndef VM_RUN_INT_H
#define VM_RUN_INT_H

#include <stdatomic.h>
#include "runtime/run.h"

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
} RunChain;

typedef struct Progress {
    int mode;                 /* 0 off, 1 bar (tty), 2 a plain line every few seconds */
    double t0, last;
    long total;
    const char *method;
    const char *phase[2];     /* "warmup"/"sampling", or "fitting"/"drawing" */
    int width;                /* characters last printed on the bar line */
} Progress;

void prog_start(Progress *p, int mode, long total, const Backend *b, double now);
void prog_update(Progress *p, RunChain *ch, int chains, double now, int force);
void prog_finish(Progress *p, RunChain *ch, int chains, double now);
void prog_abort(Progress *p);

double run_now(void);

/* run_summary.c: the table on cfg->out and the JSON file. */
typedef struct RunReport {
    const RunModel *m;
    const RunConfig *cfg;
    const RunResult *res;
    const RunChain *ch;
    size_t nmethod;           /* method columns */
    double seconds_total;
    int threads;
} RunReport;

void runsum_print(const RunReport *rep, FILE *out);
int runsum_json(const RunReport *rep, const char *path, char *err, size_t errlen);

#endif
