/* The log density split over processes by observation (split.c): which top-level
 * statements each rank runs on its share, and how.  Private to runtime/. */
#ifndef VM_SPLIT_H
#define VM_SPLIT_H
#include "runtime/model.h"

typedef enum {
    SP_ALL,          /* every rank runs it (a let, a parameter); rank 0 counts its terms */
    SP_DENSITY,      /* only adds to the density, over data not split: rank 0 alone runs it */
    SP_LOOP,         /* a loop of independent iterations: each rank runs its share */
    SP_ROWS,         /* a vectorised ~ / target += over row-aligned data: each rank its rows */
    SP_BLOCK         /* a block of locals and loops: each rank its share of every loop */
} SpKind;

typedef struct SpRows {
    int n;                     /* data variables sliced */
    int *slot;
} SpRows;

struct VmSplit {
    int rank, size;
    int nstmts;
    unsigned char *kind;       /* SpKind per top-level statement */
    SpRows *rows;              /* per statement (SP_ROWS) */
    Val **slice;               /* [share][slot]: that share's rows of a sliced variable */
    unsigned char *sliced;     /* per slot */
    void **owned;              /* copies (matrix rows) to free */
    int nowned, capowned;
    int nloop, nrows;          /* statements split, by kind */
};

/* Run top-level statement i of the model phase as share `share` of the split sp. */
void sp_exec(Ev *ev, const VmSplit *sp, int share, const Stmt *s, int i);
void sp_free(VmSplit *sp);
#endif
