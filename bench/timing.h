/* CPU time per evaluation of a log density + gradient, shared by the bench programs:
 * this thread's CPU time (not wall time, so other jobs on a shared machine do not
 * inflate it), the median over batches, with the heap traffic per evaluation counted
 * by alloc_count.c. */
#ifndef VM_BENCH_TIMING_H
#define VM_BENCH_TIMING_H
#include <stddef.h>

typedef double (*BnEval)(void *ctx, const double *u, double *grad);

typedef struct {
    double us;            /* median microseconds per evaluation */
    double bytes, calls;  /* per evaluation, after warm-up */
} BnResult;

double bn_now(void);
/* Times f at the npts points u (npts x dim) in turn: warm-up, a batch size for about
 * 2 ms, then batches until budget seconds are spent (at least 9); the median batch. */
void bn_time(BnEval f, void *ctx, const double *u, size_t npts, size_t dim, double *g,
             double budget, BnResult *r);
/* The bench programs' command line, [--budget=SECONDS] [--calls=N] [NAME-SUBSTRING ...]:
 * 1 after printing the usage for --help (the caller exits), 0 otherwise. */
int bn_args(int argc, char **argv, const char *prog, double *budget, long *calls);
/* name is selected by the NAME-SUBSTRING arguments (all when there are none). */
int bn_selected(const char *name, int argc, char **argv);
#endif
