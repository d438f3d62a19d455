/* Private to scalar_compile.c and scalar.c: the program's representation (scalar.h). */
#ifndef VM_SCALAR_INT_H
#define VM_SCALAR_INT_H
#include "runtime/scalar.h"
#include "stdlib/dist.h"
#include "stdlib/mathfn.h"
#include "stdlib/mathfn_impl.h"

extern const Dist dist_normal, dist_categorical_logit, dist_poisson, dist_bernoulli_logit;

#define SC_LOG_SQRT_2PI 0.91893853320467274178
#define SC_MAXARR 32          /* arrays a program reads or writes */
#define SC_MAXMAP 64          /* variables held in registers */
#define SC_MAXDARGS 4         /* arguments of a density, variate included */
#define SC_LOGCACHE 4         /* normal scales whose logs a run keeps (a power of 2) */
#define SC_MEMO 64            /* entries of an operation's memo (a power of 2): the tape
                               * variables of a 64-element vector map to distinct ones */
#define SC_MAXVW 3            /* views among a density's arguments (SO_DISTA) */
#define SC_LANES 64           /* iterations run side by side at a time (scalar_batch.c) */
#define SC_LANEREGS 8         /* registers a loop run so may write */
#define SC_PUSHED INT32_MAX     /* rid of a pushed result with partials: a flag, no variable */
#define SC_WHILE_MAX 100000000L   /* while-loop iterations of a run, as eval.c's guard */

enum {
    /* real results */
    SO_CONST,
    SO_VAR,                   /* outer scalar slot; iv 1: outer value arr (ScProg.apre) */
    SO_ELEM, SO_ELEM1, SO_ITOR, SO_ADD, SO_SUB, SO_MUL, SO_DIV, SO_POW, SO_NEG,
    SO_F1, SO_F2,
    SO_F3,                    /* a math function of three arguments (log_mix, fma): registers
                               * a, b, ix[0] */
    SO_DIST,
    SO_LSE,                   /* log_sum_exp of a 1-d view (SO_DOT's first fields); nidx 1: every
                               * element must be finite (categorical_logit's check) */
    SO_SQ,                    /* pow(x, 2) with a literal 2: x * x, mf_pow's value and partial */
    SO_SQRT,                  /* sqrt(x) without the call: mf_sqrt's value and partial */
    SO_FMA,                   /* dst = iv * rv[ix[0]] + v * (rv[a] * rv[b]), iv and v +-1: a
                               * product feeding a sum or difference, one tape variable */
    SO_ELEM2,                 /* SO_ELEM of a real array with two indices (gamma[t - 1, j]) */
    SO_ADD3,                  /* a sum or difference feeding the next one: inner = rv[a] + v * rv[b];
                               * dst = inner + iv * rv[ix[0]] (nidx 1) or rv[ix[0]] + iv * inner
                               * (nidx 0), v and iv +-1: one tape variable for a + b + c */
    SO_DOT,                   /* the dot product of two 1-d views of real arrays (ScView; the
                               * first's fields in arr, a, ix[1..3], the second's in ix[0], b,
                               * ix[4..6]: sc_view_get) */
    SO_SUM,                   /* the sum of a 1-d view (the first's fields) */
    SO_VELEM,                 /* element a (an int register, from 1) of view vw[0]: a slice or
                               * a segment in an element-wise value (c_elem) */
    SO_SEL,                   /* dst = int register ix[0] ? a : b: a conditional whose branches
                               * are registers (c ? e : l of scalars; nothing to skip) */
    SO_NORMAL,                /* the flat code's SO_DIST of iv 1 (sc_flatten): normal inline */
    SO_DISTIR,                /* the flat code's SO_DIST of iv 2, 3: poisson, bernoulli_logit inline */
    SO_LINV,                  /* the flat code's SO_FMA, SO_ADD3, SO_ADD, SO_SUB or SO_MUL (in nidx;
                               * SO_ADD3's own nidx in slot) whose
                               * result only a density reads, pushed (ScOp.pushed): its value, no
                               * tape variable; rid[dst] SC_PUSHED when an input has one */
    SO_DISTA,                 /* a density (lpdf/lpmf) with 1-d views or whole matrices among
                               * its arguments (categorical(theta), ordered_logistic(eta, c),
                               * y[j] ~ normal(mu, sigma) of a row): argument k is view
                               * vw[ix[k]] when bit k of vmask is set, else a register as
                               * SO_DIST's; one call of the family's kernel, as call.c's */
    /* int results */
    SI_CONST, SI_VAR, SI_ELEM, SI_ELEM1, SI_ADD, SI_SUB, SI_MUL, SI_DIV, SI_MOD, SI_NEG,
    SI_CMP,                   /* int registers a, b compared by the Op in iv (OP_LT ... OP_NE) */
    SI_FCMP,                  /* real registers a, b compared likewise */
    SI_NOT,                   /* !a */
    SI_SEL,                   /* SO_SEL of int registers */
    SI_LEN,                   /* the length of dimension iv of array entry arr */
    SI_VLEN,                  /* the length of view vw[0] */
    SI_CHK,                   /* int registers a and b equal (else the run fails: sizes that do
                               * not match, which the interpreter reports); dst 1 */
    /* the flat code (ScProg.code): statements as operations, loops as jumps */
    SX_STMT,                  /* statement st's action through sc_action: SS_SET, SS_SETI,
                               * SS_DIST, SS_DISTV (SS_FOR and SS_IF are jumps) */
    SX_NSTAT,                 /* an SS_DISTV's SX_STMT once its rows have statistics
                               * (sc_data_stats): inline, sc_action's when the run's rows differ */
    SX_PUSH,                  /* after a density's action: the partial of lp its pushed argument
                               * dst collected goes on to the inputs of the operation that
                               * made it (SO_FMA, SO_ADD3, SO_ADD, SO_SUB, SO_MUL in nidx, its
                               * fields a, b, ix[0], v, iv, SO_ADD3's nidx in slot), dst's
                               * share cleared */
    SX_STORE,                 /* an SS_STORE's action, its fields copied in (inline) */
    SX_NORMAL,                /* an SS_DIST's action for normal of three reals, registers ix[0..2]
                               * (inline: no marshalling) */
    SX_SET,                   /* an SS_SET's action: register a into dst (flush: dst's partials
                               * of lp first) */
    SX_SETI,                  /* an SS_SETI's action: int register a into dst */
    SX_POISSON,               /* an SS_DIST's action for poisson of an int register ix[0] and a
                               * real one ix[1] (inline); iv 3: bernoulli_logit likewise */
    SX_LP,                    /* an SS_LP's action: register a added to lp (inline) */
    SX_FOR,                   /* loop st starts: its variable at lo; none: go to jmp */
    SX_VLSE,                  /* an SX_STMT of SS_VSUM (st) into a local that only the SO_LSE
                               * right after it reads (sc_settle): both at once, no tape
                               * variable per element; that SO_LSE's dst, flush and nidx
                               * copied in (sc_vlse) */
    SX_BFOR,                  /* SX_FOR of a loop whose iterations can run side by side
                               * (scalar_batch.c): all at once, else as SX_FOR */
    SX_IF,                    /* int register a false: go to jmp (the else branch, or past the if);
                               * iv, b: operations of the then and the else branch */
    SX_JMP,                   /* the then branch's end: go to jmp (past the else branch) */
    SX_NEXT,                  /* loop st's iteration ends: iv more operations ran; another: go to jmp */
    SX_MEMO,                  /* the next operation's memo (scalar_memo.c): a hit sets its result
                               * and skips it and its SX_MEMOSET */
    SX_MEMOSET,               /* the operation before it ran: its result into its memo */
    SX_WEND,                  /* a while loop's body ends: back to its condition at jmp (the
                               * run fails after VM_WHILE_MAX iterations, or when interrupted) */
    SX_END                    /* the segment ends */
};

typedef struct ScOp {
    uint8_t op;
    uint8_t flush;            /* dst collects partials of lp (sc_flush before it changes) */
    uint8_t nidx;             /* SO_ELEM, SI_ELEM: indices; SO_DIST: arguments */
    uint8_t pushed;           /* its result's partials go straight to its inputs (push_linear) */
    int dst, a, b;            /* registers: real or int as the operation says */
    int arr;                  /* SO_ELEM, SI_ELEM, SO_LSE: entry in the array table */
    int slot;                 /* SO_VAR, SI_VAR */
    int ix[VM_MAXDIM];        /* int registers of the indices; SO_DIST: argument registers */
    unsigned argint;          /* SO_DIST: bit k set when argument k is an int register */
    double v;                 /* SO_CONST */
    int iv;                   /* SI_CONST; SO_ELEM1, SI_ELEM1: the constant added to the index;
                               * SO_DIST: 1 for normal_lpdf of three reals, 2 for poisson_lpmf and
                               * 3 for bernoulli_logit_lpmf of an int and a real (run inline) */
    const MathFn *f;
    const Dist *dist;
    DistFn dfn;               /* SO_DIST: dist's lpdf, cdf, lcdf or lccdf */
    int st, jmp;              /* SX_*: the statement; where the code goes on */
    int memo;                 /* 1 + its memo's index (scalar_memo.c), 0 for none */
    unsigned vmask;           /* SO_DISTA: the arguments that are views */
    struct ScView {           /* SO_DISTA: those views (ScView below) */
        int arr, row, kind, ra, rb;
    } vw[SC_MAXVW];
} ScOp;

enum { SS_SET, SS_SETI, SS_STORE, SS_LP, SS_DIST, SS_FOR,
       SS_IF,                     /* if (src) then-statements [body0, body1) else [els0, els1) */
       SS_DISTV,                  /* for (i in lo:hi) x[..., i] ~ d(args), args the same for
                                   * every i, x data: one call of d over the slice */
       SS_ALLOC,                  /* a local 1-d real array of the body (arr, alocal): src elements
                                   * (an int register), not-a-number each when dst is 1 */
       SS_WHILE,                  /* while (src) body: src's operations run before each test */
       SS_FAIL,                   /* reject() or fatal_error(): the run fails, and the interpreter,
                                   * running the loop again, raises it with its message */
       SS_BREAK,                  /* a return inside a loop of an inlined function, after the
                                   * statement setting its value: on to statement body0, the first
                                   * after the function's (SX_JMP) */
       SS_COPY,                   /* local arr (src elements) set to the view in ix[0..4] (arr, row,
                                   * kind, ra, rb): values and tape variables copied */
       SS_VSUM };                 /* for (j in lo:hi) arr[..., j, ...] = t1 +- t2 +- ...; each term
                                   * an element of an array at j or a register no j changes (an
                                   * HMM's acc[j] = gamma[t - 1, j] + ltheta[j, k] + e): one
                                   * statement, a tape variable per element with a triple per term
                                   * that has one (sc_vsum; its target in arr, nidx, ix, kpos, lo,
                                   * hi, its terms in vt) */

#define SC_MAXVT 6
typedef struct ScVTerm {
    int arr;                  /* the array, -1 for a register term */
    int kpos;                 /* the position of j among its indices */
    int reg;                  /* a register term's real register */
    int sign;                 /* +1 or -1 */
    int ix[VM_MAXDIM];        /* the other indices' int registers */
} ScVTerm;

typedef struct ScStmt {
    uint8_t kind;
    uint8_t flush;            /* SS_SET: dst collects partials of lp */
    int op0, op1;             /* operations run first */
    int dst;                  /* SS_SET real register, SS_SETI int register, SS_FOR the loop variable */
    int src;                  /* SS_SET, SS_SETI, SS_STORE, SS_LP: register of the value */
    int arr, nidx, ix[VM_MAXDIM];   /* SS_STORE */
    const Dist *dist;         /* SS_DIST: the density of its arguments, added to lp */
    int nargs, args[SC_MAXDARGS];
    unsigned argint;
    int lo, hi;               /* SS_FOR, SS_DISTV: int registers of the bounds */
    int kpos;                 /* SS_DISTV: the position of the loop's index in ix */
    /* SS_DISTV of normal over whole rows of a data array (its last index running
     * 1..length, contiguous): per row its mean and the sum of its squared deviations
     * from the mean, made at load (sc_data_stats), and the values they were made from
     * (a run whose array holds others sums the row); NULL: none */
    const double *nstat, *nstat_x;
    long nrs[VM_MAXDIM];      /* the row's number from the other indices: their steps in rows */
    int body0, body1;         /* SS_FOR: its statements */
    int hreg;                 /* SS_FOR: int register holding hi while the loop runs */
    int els0, els1;           /* SS_IF: the else branch's statements (none: equal) */
    int nvt;                  /* SS_VSUM: its terms (its target: arr, nidx, ix, kpos, lo, hi) */
    int push[SC_MAXDARGS];    /* SS_DIST, SS_DISTV (by argument), SS_LP (0): 1 + the operation
                               * whose result it reads and pushes (push_linear), 0 for none */
    ScVTerm vt[SC_MAXVT];
} ScStmt;

struct ScProg {
    ScOp *ops;
    ScOp *pre;                /* constants and the outer scalars read: run once per loop */
    ScStmt *st;
    int nops, npre, nst, nr, ni;
    unsigned char *fold;      /* per real register: collects partials of lp */
    int loopvar;              /* int register of the loop variable */
    int body0, body1;
    int narr;
    int aslot[SC_MAXARR], andim[SC_MAXARR];
    unsigned char awrite[SC_MAXARR];
    unsigned char areal[SC_MAXARR];   /* read by SO_ELEM2 or SO_DOT: must hold reals (else no run) */
    unsigned char alocal[SC_MAXARR];  /* a local of the body (SS_ALLOC): the run's own, not the
                                       * environment's */
    /* an outer value: a container or scalar expression no iteration changes that the
     * program cannot compute (diag_pre_multiply(tau, L), softmax(al), sd(v)), evaluated
     * once per run by the interpreter before the loop (c_pre); NULL for the others */
    const Expr *apre[SC_MAXARR];
    unsigned char atrans[SC_MAXARR];  /* the outer value is apre's matrix transposed (x[n] * M) */
    int npreval;
    int nfused;               /* SO_FMA operations (products folded into their sum) */
    int ncoalesced;           /* SS_SETs made copies of nothing (coalesce) */
    int nstat;                /* SS_DISTV statements given row statistics (sc_data_stats) */
    int nsum3;                /* SO_ADD3 operations (sums folded into the next sum) */
    int npushed;              /* operations whose partials a density pushes (push_linear) */
    int nhoisted;             /* operations moved out of a loop (scalar_hoist.c) */
    int nforwarded;           /* element reads given the register just stored (fwd_find) */
    int ndistv;               /* loops run as one density call over a data slice (SS_DISTV) */
    int nvsum;                /* loops run as one element-wise sum (SS_VSUM) */
    int nhoist;               /* ops [0, nhoist): out of the program's own loop, run once */
    int nmemo;                /* operations with a memo (scalar_memo.c) */
    int nbatch;               /* loops whose iterations run side by side (SX_BFOR) */
    int nvlse;                /* sums run with their log_sum_exp (SX_VLSE, sc_settle) */
    signed char *lane;        /* per real register: its lane slot in its SX_BFOR loop, -1 none */
    int nbound;               /* outer real or int scalars the body assigns: a register each */
    int bslot[SC_MAXMAP], breg[SC_MAXMAP];
    unsigned char bint[SC_MAXMAP];    /* an int register */
    /* The program as one sequence run by one dispatch loop (sc_flatten): the
     * operations of each statement, then its action; a nested loop's body between its
     * SX_FOR and SX_NEXT.  Three segments, each ended by SX_END: the constants and
     * outer scalars (code_pre), what no iteration changes (code_hoist), the loop
     * (code_body: the program's own loop is statement st[nst]). */
    ScOp *code;
    int ncode, code_pre, code_hoist, code_body;
    int olo, ohi;             /* int registers: the bounds of the program's own loop */
};

/* A 1-d view of an array entry: the whole of a 1-d array, or row `row` (an int
 * register) of a 2-d one; then, by kind, all of it, a slice ra:rb (int registers, -1
 * for 1 and for the end), or a segment of rb elements from ra (segment()). */
enum { VW_ALL, VW_SLICE, VW_SEG,
       VW_MAT };                  /* a whole matrix (SO_DISTA's M, L and C arguments) */
typedef struct ScView ScView;

static inline ScView sc_view_get(const ScOp *o, int second)
{
    if (second) return (ScView){.arr = o->ix[0], .row = o->b, .kind = o->ix[4], .ra = o->ix[5], .rb = o->ix[6]};
    return (ScView){.arr = o->arr, .row = o->a, .kind = o->ix[1], .ra = o->ix[2], .rb = o->ix[3]};
}

static inline void sc_view_put(ScOp *o, int second, ScView v)
{
    if (second) { o->ix[0] = v.arr; o->b = v.row; o->ix[4] = v.kind; o->ix[5] = v.ra; o->ix[6] = v.rb; }
    else { o->arr = v.arr; o->a = v.row; o->ix[1] = v.kind; o->ix[2] = v.ra; o->ix[3] = v.rb; }
}

/* SO_ADD3's partials in a, b and ix[0] (inner = a + v b; left: inner + iv c, else
 * c + iv inner): the one definition its tape, its push and the lanes' push use */
static inline void sc_add3_partials(int left, double v, double iv, double *ga, double *gb, double *gc)
{
    double gin = left ? 1 : iv;
    *ga = gin;
    *gb = gin * v;
    *gc = left ? iv : 1;
}

/* a pushed operation of this kind (push_linear) has a third input, ix[0] */
static inline int sc_lin3(int kind) { return kind == SO_FMA || kind == SO_ADD3; }

/* o reads an array marked in marked[] (by entry) */
static inline int sc_op_reads_marked(const ScOp *o, const unsigned char *marked)
{
    switch (o->op) {
    case SO_ELEM: case SO_ELEM1: case SO_ELEM2: case SI_ELEM: case SI_ELEM1: case SO_LSE: case SO_SUM: case SI_LEN:
        return marked[o->arr];
    case SO_DOT: return marked[o->arr] || marked[o->ix[0]];
    case SO_DISTA:
        for (int k = 0; k < o->nidx; k++) if (o->vmask >> k & 1 && marked[o->vw[o->ix[k]].arr]) return 1;
        return 0;
    case SO_VELEM: case SI_VLEN: return marked[o->vw[0].arr];
    default: return 0;
    }
}

/* scalar_hoist.c: the registers operation o reads, real into r[] and int into iv[]
 * (at most SC_MAXDARGS + 2 and VM_MAXDIM + SC_MAXDARGS), their counts in *nr, *ni: the
 * one list of what each operation reads, for hoisting and for folding. */
void sc_op_reads(const ScOp *o, int *r, int *nr, int *iv, int *ni);

/* scalar_hoist.c: loop-invariant operations moved out of their loops; the count moved
 * (-1 out of memory), *nhoist the length of the range run once before the loop. */
int sc_hoist(ScOp *ops, int nops, ScStmt *st, int nst, int nr, int ni, int loopvar, int *nhoist);

/* scalar_memo.c: marks (ScOp.memo) the costly operations of p's loop whose inputs do
 * not vary from one iteration to the next; their count, -1 out of memory. */
int sc_memo(ScProg *p);

#endif
