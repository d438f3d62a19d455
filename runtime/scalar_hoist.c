/* Loop-invariant operations of a scalar program moved out of their loops (scalar_int.h,
 * sc_hoist).  An HMM's forward pass, for (k) for (j) acc[j] = gamma[t-1, j] +
 * ltheta[j, k] + normal_lpdf(y[t] | mu[k], 1), computes its emission density K times per
 * (t, k) as written, and Stan does too; it depends on neither j nor anything the j loop
 * writes, so it runs once per k, and y[t] once per t.
 *
 * An operation is invariant in a loop when every register it reads is: a register no
 * statement of the loop writes (a local, an outer scalar, a loop variable are written by
 * statements; every operation has a register of its own), or the result of an operation
 * already moved out; and every array it reads is one the loop does not store into.
 * Loops are taken innermost first, so an operation can leave several loops.  Moved out
 * of a nested loop, it runs with that loop's bounds; out of the program's own loop, in
 * the range [0, nhoist) that runs once before the first iteration.
 *
 * The values are the same; the gradient is the same up to the order of additions (one
 * tape variable read by every iteration instead of one per iteration).  An operation
 * that fails (an index out of range, an invalid argument) now fails even when the loop
 * runs no iteration, and then the interpreter runs the whole loop (scalar.h): the same
 * result, only slower. */
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar_int.h"

enum { TOP = -1 };

static int is_int_op(int op) { return op >= SI_CONST; }

/* the int registers view v reads (its row and its range) into iv */
static void view_reads(ScView v, int *iv, int *ni)
{
    if (v.row >= 0) iv[(*ni)++] = v.row;
    if (v.ra >= 0) iv[(*ni)++] = v.ra;
    if (v.rb >= 0) iv[(*ni)++] = v.rb;
}

void sc_op_reads(const ScOp *o, int *r, int *nr, int *iv, int *ni)
{
    *nr = *ni = 0;
    switch (o->op) {
    case SO_ADD: case SO_SUB: case SO_MUL: case SO_DIV: case SO_POW: case SO_F2:
        r[(*nr)++] = o->a; r[(*nr)++] = o->b; break;
    case SO_NEG: case SO_F1: case SO_SQ: case SO_SQRT: r[(*nr)++] = o->a; break;
    case SO_FMA: case SO_ADD3: case SO_F3: r[(*nr)++] = o->a; r[(*nr)++] = o->b; r[(*nr)++] = o->ix[0]; break;
    case SO_DIST: case SO_DISTA:
        for (int k = 0; k < o->nidx; k++) {
            if (o->op == SO_DISTA && o->vmask >> k & 1) { view_reads(o->vw[o->ix[k]], iv, ni); continue; }
            if (o->argint >> k & 1) iv[(*ni)++] = o->ix[k];
            else r[(*nr)++] = o->ix[k];
        }
        break;
    case SO_ELEM: case SO_ELEM2: case SI_ELEM: for (int k = 0; k < o->nidx; k++) iv[(*ni)++] = o->ix[k]; break;
    case SO_ELEM1: case SI_ELEM1: case SO_ITOR: case SI_NEG: iv[(*ni)++] = o->a; break;
    case SI_ADD: case SI_SUB: case SI_MUL: case SI_DIV: case SI_MOD: case SI_CMP:
        iv[(*ni)++] = o->a; iv[(*ni)++] = o->b; break;
    case SI_FCMP: r[(*nr)++] = o->a; r[(*nr)++] = o->b; break;
    case SI_NOT: iv[(*ni)++] = o->a; break;
    case SO_SEL: r[(*nr)++] = o->a; r[(*nr)++] = o->b; iv[(*ni)++] = o->ix[0]; break;
    case SI_SEL: iv[(*ni)++] = o->a; iv[(*ni)++] = o->b; iv[(*ni)++] = o->ix[0]; break;
    case SO_DOT: case SO_SUM: case SO_LSE:
        for (int k = 0; k < 1 + (o->op == SO_DOT); k++) view_reads(sc_view_get(o, k), iv, ni);
        break;
    case SI_CHK: iv[(*ni)++] = o->a; iv[(*ni)++] = o->b; break;
    case SO_VELEM: case SI_VLEN:
        if (o->op == SO_VELEM) iv[(*ni)++] = o->a;
        view_reads(o->vw[0], iv, ni);
        break;
    default: break;
    }
}


/* Moves the invariant operations of the loop whose body is statements [b0, b1) (loop
 * variable register var) to owner `to`; 0 or the count moved, -1 out of memory. */
static int hoist_loop(const ScOp *ops, int nops, const ScStmt *st, int b0, int b1, int var, int to, int *owner,
                      unsigned char *vr, unsigned char *vi, int nr, int ni)
{
    unsigned char warr[SC_MAXARR] = {0};
    memset(vr, 0, (size_t)nr);
    memset(vi, 0, (size_t)ni);
    vi[var] = 1;
    for (int k = b0; k < b1; k++) {
        const ScStmt *s = &st[k];
        if (s->kind == SS_SET) vr[s->dst] = 1;
        else if (s->kind == SS_SETI || s->kind == SS_FOR) vi[s->dst] = 1;
        else if (s->kind == SS_STORE || s->kind == SS_ALLOC || s->kind == SS_COPY || s->kind == SS_VSUM) warr[s->arr] = 1;
    }
    /* every operation of the body is variant until shown otherwise */
    for (int j = 0; j < nops; j++)
        if (owner[j] >= b0 && owner[j] < b1) {
            if (is_int_op(ops[j].op)) vi[ops[j].dst] = 1;
            else vr[ops[j].dst] = 1;
        }
    int moved = 0;
    for (int j = 0; j < nops; j++) {          /* in order: an operation's inputs come first */
        if (owner[j] < b0 || owner[j] >= b1) continue;
        const ScOp *o = &ops[j];
        if (sc_op_reads_marked(o, warr)) continue;
        int r[SC_MAXDARGS + 2], iv[VM_MAXDIM + SC_MAXDARGS], nrd, nid, ok = 1;
        sc_op_reads(o, r, &nrd, iv, &nid);
        for (int k = 0; k < nrd && ok; k++) ok = !vr[r[k]];
        for (int k = 0; k < nid && ok; k++) ok = !vi[iv[k]];
        if (!ok) continue;
        owner[j] = to;
        if (is_int_op(o->op)) vi[o->dst] = 0;
        else vr[o->dst] = 0;
        moved++;
    }
    return moved;
}

int sc_hoist(ScOp *ops, int nops, ScStmt *st, int nst, int nr, int ni, int loopvar, int *nhoist)
{
    *nhoist = 0;
    if (!nops) return 0;
    int *owner = malloc(sizeof(int) * (size_t)nops);
    unsigned char *vr = malloc((size_t)(nr ? nr : 1)), *vi = malloc((size_t)(ni ? ni : 1));
    ScOp *tmp = malloc(sizeof *tmp * (size_t)nops);
    if (!owner || !vr || !vi || !tmp) { free(owner); free(vr); free(vi); free(tmp); return -1; }
    for (int k = 0; k < nst; k++)
        for (int j = st[k].op0; j < st[k].op1; j++) owner[j] = k;
    int moved = 0;
    /* innermost first: a nested loop's statement comes before its body's */
    for (int k = nst - 1; k >= 0; k--)
        if (st[k].kind == SS_FOR)
            moved += hoist_loop(ops, nops, st, st[k].body0, st[k].body1, st[k].dst, k, owner, vr, vi, nr, ni);
    moved += hoist_loop(ops, nops, st, 0, nst, loopvar, TOP, owner, vr, vi, nr, ni);
    if (moved) {
        /* laid out again: the program's own range first, then each statement's, every
         * range in the old order (an operation's inputs are earlier in it) */
        int n = 0;
        for (int j = 0; j < nops; j++) if (owner[j] == TOP) tmp[n++] = ops[j];
        *nhoist = n;
        for (int k = 0; k < nst; k++) {
            st[k].op0 = n;
            for (int j = 0; j < nops; j++) if (owner[j] == k) tmp[n++] = ops[j];
            st[k].op1 = n;
        }
        memcpy(ops, tmp, sizeof *ops * (size_t)nops);
    }
    free(owner); free(vr); free(vi); free(tmp);
    return moved;
}
