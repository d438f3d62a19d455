/* vrun's command line: options parsed once into Cli, with clear errors. */
#ifndef VM_CLI_H
#define VM_CLI_H
#include "backends/backend.h"
#include "runtime/vmod.h"

typedef struct Cli {
    const char *model, *data, *method, *output, *summary, *init, *at, *at_unc;
    int check, format, help, version, quiet, progress, jacobian;
    long seed, chains, threads, warmup, draws, iters, mc;
    double lr, tol;
    BkOpt *opts;               /* method options (--key=value not known to vrun) */
    size_t nopts;
    char *command_line;
    const char *script;        /* --script FILE: run FILE as REPL commands (added by the REPL) */
    int data_parallel;         /* --data-parallel: split the density over MPI processes */
} Cli;

/* Returns 0, or 1 with err filled (bad usage). */
int cli_parse(int argc, char **argv, Cli *c, char *err, size_t errlen);
void cli_usage(FILE *out);
void cli_free(Cli *c);
/* --method=logprob and --method=diagnose (logprob.c) */
int vrun_logprob(const Cli *c, VmModel *m, FILE *out);
int vrun_diagnose(const Cli *c, VmModel *m, FILE *out);
char *vrun_read_file(const char *path, size_t *len);
#endif
