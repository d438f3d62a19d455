/* Private to scalar.c and scalar_batch.c: the state of one run of a scalar program
 * (sc_loop) and the steps both executors share. */
#ifndef VM_SCALAR_RUN_H
#define VM_SCALAR_RUN_H
#include <math.h>
#include "runtime/scalar_int.h"
#include "runtime/eval.h"

typedef struct ScMemoEnt { int32_t ka, kb, out; double z; } ScMemoEnt;

/* the registers an SX_BFOR loop writes, one lane per iteration (scalar_batch.c):
 * value, tape variable, share of lp not yet on the tape */
typedef struct ScLanes {
    double v[SC_LANEREGS][SC_LANES], acc[SC_LANEREGS][SC_LANES];
    int32_t id[SC_LANEREGS][SC_LANES];
} ScLanes;

typedef struct ScRun {
    Ev *ev;
    const ScProg *p;
    double *rv, *racc;        /* real registers: value, d lp / d value not yet on the tape */
    int32_t *rid;             /* their tape variables, -1 for a constant */
    int *iv;                  /* int registers */
    Val *arr[SC_MAXARR];      /* the arrays, in the environment */
    long stride[SC_MAXARR][VM_MAXDIM];
    int acap[SC_MAXARR];      /* a local's storage, in elements, values and tape variables
                               * alike (SS_ALLOC) */
    /* the last scales of normal densities and their logs (a constant scale, or a
     * mixture's few, sigma[k], take one log each per run) */
    double ls_sigma[SC_LOGCACHE], ls_log[SC_LOGCACHE], ls_inv[SC_LOGCACHE];
    unsigned ls_next;
    double lp;
    int32_t lpid;
    int lpused;               /* some partial of lp is on the tape */
    int bad;
    long nexec;               /* operations and statements executed */
    long nwhile;              /* while-loop iterations (SX_WEND) */
    ScMemoEnt *memo;          /* SC_MEMO entries per operation with a memo (ScOp.memo) */
    long nhits;               /* memo hits */
    double *buf;              /* SO_DISTA's scratch: strided views gathered, partials */
    long bufcap;
    ScLanes *lanes;           /* a loop's iterations side by side (scalar_batch.c); NULL: none */
} ScRun;

static inline void sc_put(Ev *ev, int32_t in, int32_t out, double d)
{
    if (ev->notape) return;
    if (ev->nt >= ev->capt) tape_reserve(ev, 256);
    tape_put(ev, in, out, d);
}

/* register r is about to change: its accumulated share of lp goes on the tape */
static inline void sc_flush(ScRun *R, int r)
{
    if (R->racc[r] != 0) {
        sc_put(R->ev, R->rid[r], R->lpid, R->racc[r]);
        R->racc[r] = 0;
        R->lpused = 1;
    }
}

/* sg's entry in the run's cache of scales with their log and inverse (pure functions:
 * the same bits), made in place of the oldest when sg was not seen */
static inline int sc_scale_entry(ScRun *R, double sg)
{
    for (int k = 0; k < SC_LOGCACHE; k++) if (R->ls_sigma[k] == sg) return k;
    int k = R->ls_next++ & (SC_LOGCACHE - 1);
    R->ls_sigma[k] = sg;
    R->ls_log[k] = log(sg);
    R->ls_inv[k] = 1 / sg;            /* a scale shared by many terms divides once */
    return k;
}

/* the log of scale sg, from the run's cache (sc_scale_entry) */
static inline double sc_log_scale(ScRun *R, double sg) { return R->ls_log[sc_scale_entry(R, sg)]; }

/* normal_lpdf(x | mu, sg), dist_normal.c's normal_lp with its checks, the scale's log
 * kept from the last call (often a constant); partials in g[0..2].  0 and R->bad on an
 * invalid argument. */
static inline double sc_normal(ScRun *R, double x, double mu, double sg, double *g)
{
    if (isnan(x) || !isfinite(mu) || !(sg > 0) || !isfinite(sg)) { R->bad = 1; return 0; }
    double lg = sc_log_scale(R, sg), is = 1 / sg, z = (x - mu) * is;
    g[0] = -z * is;
    g[1] = z * is;
    g[2] = (z * z - 1) * is;
    return -SC_LOG_SQRT_2PI - lg - 0.5 * z * z;
}

/* SX_PUSH's step (push_linear): g, the partial of lp in the result of the pushed
 * operation whose fields f carries, times each input's partial into that input's share
 * (aa, ab, ac: a's, b's and ix[0]'s), for the inputs with a tape variable (ia, ib, ic
 * >= 0); va, vb the values of a and b (a product's partials).  The flat code's and the
 * lanes' pushes (scalar_batch.c) */
static inline __attribute__((always_inline)) void
sc_push_one(const ScOp *f, double g, double *aa, double *ab, double *ac, int32_t ia, int32_t ib, int32_t ic,
            double va, double vb)
{
    switch (f->nidx) {
    case SO_FMA:
        if (ic >= 0) *ac += g * f->iv;
        if (ia >= 0) *aa += g * (f->v * vb);
        if (ib >= 0) *ab += g * (f->v * va);
        break;
    case SO_ADD3: {                   /* its nidx in slot */
        double ga, gb, gc;
        sc_add3_partials(f->slot, f->v, f->iv, &ga, &gb, &gc);
        if (ic >= 0) *ac += g * gc;
        if (ia >= 0) *aa += g * ga;
        if (ib >= 0) *ab += g * gb;
        break;
    }
    case SO_ADD: case SO_SUB:
        if (ia >= 0) *aa += g;
        if (ib >= 0) *ab += f->nidx == SO_ADD ? g : -g;
        break;
    default:                          /* SO_MUL */
        if (ia >= 0) *aa += g * vb;
        if (ib >= 0) *ab += g * va;
        break;
    }
}

/* scalar_batch.c: the loop whose SX_BFOR is fo, its iterations as lanes; 0 when it
 * cannot run so this time (nothing done: the flat code runs it), else 1 (R->bad on an
 * error, as the flat code would) */
int sc_batch(ScRun *R, const ScOp *code, const ScOp *fo);
/* scalar_batch.c: marks SX_BFOR the loops of p's flat code that can run so (once its
 * rows' statistics are made, sc_data_stats); their count */
int sc_batch_mark(ScProg *p, Arena *a);

#endif
