/* vrun's command line: options parsed once into Cli, with clear errors. */
#ifndef VM_CLI_H
#define VM_CLI_H
#include "backends/backend.h"
#include "runtime/vmod.h"

typedef struct Cli {
    const char *model, *data, *method, *output, *summary, *init, *at, *at_unc;
    int check, format, plan, help, version, quiet, progress, jacobian, strict;
    int jacobian_given;        /* --jacobian was on the command line (map takes it too) */
    long seed, chains, threads, warmup, draws, iters, mc, thin;
    int save_warmup;
    double lr, tol;
    BkOpt *opts;               /* method options (--key=value not known to vrun) */
    size_t nopts;
    char *command_line;
    const char *script;        /* --script FILE: run FILE as REPL commands (added by the REPL) */
    const char *plot;          /* --plot=DIR: plots at the end of the run (plot_cmd.c) */
    char *plot_csv;            /* --plot without --output: the CSV pattern in DIR */
    int data_parallel;         /* --data-parallel: split the density over MPI processes */
} Cli;

/* Returns 0, or 1 with err filled (bad usage). */
int cli_parse(int argc, char **argv, Cli *c, char *err, size_t errlen);
void cli_usage(FILE *out);
void cli_free(Cli *c);
/* 0 when `key` is an option of b, else 1 with an error that suggests the nearest of
 * vrun's and b's options (--sed: did you mean --seed?). */
int cli_check_unknown(const char *key, const Backend *b, const char *method, char *err, size_t errlen);
/* --method=logprob and --method=diagnose (logprob.c) */
int vrun_logprob(const Cli *c, VmModel *m, FILE *out);
int vrun_diagnose(const Cli *c, VmModel *m, FILE *out);
char *vrun_read_file(const char *path, const char *what, size_t *len);
/* The output names against the inputs and each other, before anything is written
 * (outputs.c).  Returns 0, or 1 with err. */
int vrun_check_outputs(const Cli *c, int chains, char *err, size_t errlen);
#endif
