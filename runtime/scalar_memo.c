/* Memos of a scalar program's costly operations whose inputs do not change from one
 * iteration of the program's loop to the next (scalar_int.h, sc_memo).  The Stan user
 * guide's mixture computes log(theta[k]) inside its loop over the observations, and its
 * HMM log(theta[j, k]) inside the loop over time: the hoisting (scalar_hoist.c) cannot
 * move them out, as they read the inner loop's variable, so they would run N times per
 * component.  Memoised, each runs once per component and run.
 *
 * The memo is keyed by the tape variables of the operation's inputs: a tape variable's
 * value never changes within an evaluation, and the operation (a math function, pow) is
 * a pure function of its inputs, so a hit is the operation's value, and its tape
 * variable serves again (as a hoisted operation's serves every iteration).  The key
 * makes a memo right whatever the analysis below says; the analysis only picks the
 * operations whose inputs are likely to repeat: those that read nothing that varies
 * from one iteration of the program's loop to the next (its variable, a register a
 * statement writes, an array the program stores into or owns, an inner loop's variable
 * whose bounds vary). */
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar_int.h"

static int is_int_op(int op) { return op >= SI_CONST; }

static int costly(int op) { return op == SO_F1 || op == SO_F2 || op == SO_POW; }


int sc_memo(ScProg *p)
{
    int nr = p->nr ? p->nr : 1, ni = p->ni ? p->ni : 1;
    unsigned char *vr = calloc((size_t)nr, 1), *vi = calloc((size_t)ni, 1), varr[SC_MAXARR] = {0};
    if (!vr || !vi) { free(vr); free(vi); return -1; }
    for (int a = 0; a < p->narr; a++) varr[a] = p->awrite[a] || p->alocal[a];
    vi[p->loopvar] = 1;
    for (int k = 0; k < p->nst; k++) {
        const ScStmt *s = &p->st[k];
        if (s->kind == SS_SET) vr[s->dst] = 1;
        else if (s->kind == SS_SETI) vi[s->dst] = 1;
    }
    /* what varies, to a fixed point: an inner loop's variable varies when a bound does */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int k = 0; k < p->nst; k++) {
            const ScStmt *s = &p->st[k];
            if (s->kind == SS_FOR && !vi[s->dst] && (vi[s->lo] || vi[s->hi])) vi[s->dst] = changed = 1;
        }
        for (int j = 0; j < p->nops; j++) {
            const ScOp *o = &p->ops[j];
            unsigned char *d = is_int_op(o->op) ? &vi[o->dst] : &vr[o->dst];
            if (*d || o->op == SI_CHK) continue;
            int r[SC_MAXDARGS + 2], iv[VM_MAXDIM + SC_MAXDARGS], nrd, nid, v = sc_op_reads_marked(o, varr);
            sc_op_reads(o, r, &nrd, iv, &nid);
            for (int i = 0; i < nrd && !v; i++) v = vr[r[i]];
            for (int i = 0; i < nid && !v; i++) v = vi[iv[i]];
            if (v) *d = changed = 1;
        }
    }
    int n = 0;
    for (int j = p->nhoist; j < p->nops; j++) {     /* the loop's own, not the range run once */
        ScOp *o = &p->ops[j];
        o->memo = 0;
        if (costly(o->op) && !vr[o->dst]) o->memo = ++n;
    }
    free(vr);
    free(vi);
    return n;
}
