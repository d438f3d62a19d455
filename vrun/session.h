/* Running a method on a compiled model: the RunModel adapter and the RunConfig built
 * from the command line, shared by `vrun MODEL.vmod` (main.c) and the REPL's :run, so
 * that both accept the same options with the same messages. */
#ifndef VM_SESSION_H
#define VM_SESSION_H
#include "vrun/cli.h"
#include "driver/run.h"

/* The backend for c->method with its options checked.  *b is NULL for the two
 * methods vrun handles itself (logprob, diagnose).  Returns 0, or 1 with err. */
int session_method(const Cli *c, const Backend **b, char *err, size_t errlen);

/* Run backend b on m with the options of c; name is the model's name for the
 * header lines.  Returns what run_inference returns (0, 1, 2 or 130 after Ctrl-C),
 * with err filled for 1 and 2; res holds the draws (run_result_free it; its column
 * names point into m, so m must outlive res). */
/* Under mpirun on more than one process: with --data-parallel, fewer chains than
 * processes, or logprob/diagnose (b NULL), split m's density over the processes
 * (vm_model_split) and say so on stderr unless --quiet.  Returns 0, or 1 with err. */
int session_split(const Cli *c, const Backend *b, VmModel *m, char *err, size_t errlen);

int session_run(const Cli *c, const Backend *b, VmModel *m, const char *name, RunResult *res,
                char *err, size_t errlen);
#endif
