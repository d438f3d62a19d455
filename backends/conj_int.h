/* Private to conj.c and conj_build.c: the state of one analysis. */
#ifndef VM_CONJ_INT_H
#define VM_CONJ_INT_H
#include "backends/conj.h"
#include "stdlib/dist.h"
#include "stdlib/dist_entries.h"

#define CJ_MAXV VG_MAXVALS

/* One `~` statement instance (loops unrolled). */
typedef struct CjInst {
    const VgFactor *f;
    const Dist *d;
    int nv;                    /* variate + arguments */
    int sz[CJ_MAXV];           /* elements of each value */
    int rows[CJ_MAXV];         /* rows of a vector/matrix value (1 for scalars) */
    long off;                  /* global index of its first value element */
    int rep;                   /* >= 0: one replicate of a vectorised statement (split by
                                  a per-replicate discrete selector): every value is then
                                  that replicate's element, sz[i] = 1 */
    int osz[CJ_MAXV];          /* sizes of the statement's own values */
    CjSel sel;                 /* discrete selector (blk < 0: none) */
    int zblk;                  /* categorical variate: the discrete block, else -1 */
    int *zel;                  /* its elements, one per variate element */
} CjInst;

/* A linear coefficient of a value element on a normal block element. */
typedef struct CjEnt { long gv; int blk, elt; double coef; } CjEnt;

/* Per configuration of the discrete parameters: values at the base point, linear
 * entries (sorted by gv, lstart indexes them), positive sources. */
typedef struct CjCfg {
    double *base;
    CjEnt *ent;
    long nent, capent;
    long *lstart;
    CjSrc *psrc;               /* blk < 0: none */
} CjCfg;

typedef struct CjAn {
    const VgGraph *g;
    CjModel *cm;
    VgProbe *pr;
    double **pv;               /* probe values per parameter */
    int *pblk;                 /* block of each parameter */
    CjInst *inst;
    int ninst, capinst;
    int *wfirst, *wcount;      /* per walked `~` instance: its CjInsts */
    int nwalk, capwalk;
    long nval;
    int C;                     /* configurations */
    CjCfg *cfg;
    /* the probe being walked */
    int cur, kind, pb, pe;
    double *ver;               /* verification values, per block (flat over params) */
    /* refusal: the earliest statement instance (-1: a declaration) */
    int refused;
    long rinst;
    VgPos rspan;
    char rmsg[600];
} CjAn;

void cj_refuse(CjAn *a, long inst, VgPos sp, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *cj_argname(const CjInst *in, int arg, char *buf, size_t n);
int cj_build(CjAn *a);
#endif
