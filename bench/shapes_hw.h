/* The bench shapes of bench/shapes/NAME.vmod (the model shapes that the interpreter's
 * fast paths did not know, issue 18): their data, generated here from a fixed seed,
 * and their log density + gradient written by hand in C, the baseline bench_shapes
 * measures vmod against in the same run.  Same constants as vmod (every normalising
 * constant, with the log-Jacobian), so the values are comparable exactly. */
#ifndef VM_BENCH_SHAPES_HW_H
#define VM_BENCH_SHAPES_HW_H

#include <stdio.h>
#include <stddef.h>

typedef struct {
    int n, k;                 /* dense, rows: rows, columns; hmm: steps, states; arma: T;
                                 mixture: N, components */
    int a, b, c;              /* nested3: the three levels; rows: a = groups */
    double *x;                /* dense, rows: X row-major n x k */
    int *grp;                 /* rows: each row's group, from 0 */
    double *y;                /* the observations */
    double *work;             /* scratch of the hand-written gradient */
    double *truth;            /* unconstrained point the data were drawn at (dim) */
} ShData;

typedef struct {
    const char *name;         /* label in the table */
    const char *file;         /* bench/shapes/<file> */
    int p1, p2;               /* sizes: (N, K), (N, states), (T, 0), (A * 100 + B, C),
                                 rows: (N, K * 100 + J), mixture: (N, C) */
    size_t (*dim)(const ShData *d);
    /* draws the data (fixed seed) into d and writes them as CmdStan JSON to f */
    void (*make)(int p1, int p2, ShData *d, FILE *f);
    double (*lp_grad)(const ShData *d, const double *u, double *grad);
} ShModel;

extern const ShModel sh_models[];
extern const size_t sh_nmodels;

void sh_data_free(ShData *d);
/* a standard normal draw from the bench's fixed-seed generator (state in *s) */
double sh_normal(unsigned long long *s);

#endif
