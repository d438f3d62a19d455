/* What a scalar program may drop once the statements around its loop are known
 * (sc_settle, from plan.c as lr_settle is): an element-wise sum into a local array that
 * nothing reads but the log_sum_exp right after it.  An HMM's forward step
 *
 *     for (j in 1:K) acc[j] = gamma[t - 1, j] + ltheta[j, k] + e;
 *     gamma[t, k] = log_sum_exp(acc);
 *
 * needs acc's values only as that log_sum_exp's arguments, and its tape variables not
 * at all: each term's partial of the result is its sign times the element's weight, so
 * the two operations run as one (SX_VLSE, scalar.c's sc_vlse) with 2K + 1 triples on
 * the tape instead of 3K + K and one tape variable instead of K + 1.  Then acc holds
 * stale values after the loop, so nothing may read it there: it must be a local of the
 * loop's body, or of the block around the loop that no later statement of the block
 * mentions (its scope ends with the block).  Inside the program, no other operation or
 * statement may read it, and no jump may land on the log_sum_exp (it would run without
 * the sum). */
#include "runtime/scalar_int.h"

int vm_scalar_novlse;

/* a statement of p reads array entry a (as a term, a density's data, a copy's source) */
static int st_reads(const ScProg *p, int a)
{
    for (int i = 0; i < p->nst; i++) {
        const ScStmt *s = &p->st[i];
        switch (s->kind) {
        case SS_VSUM:
            for (int k = 0; k < s->nvt; k++) if (s->vt[k].arr == a) return 1;
            break;
        case SS_DISTV: if (s->arr == a) return 1; break;
        case SS_COPY: if (s->ix[0] == a) return 1; break;
        default: break;
        }
    }
    return 0;
}

/* array entry a of p may hold stale values after the loop at st[at] of its block */
static int dead_after(const ScProg *p, int a, Stmt *const *st, int at, int n, const VarInfo *vars)
{
    if (p->alocal[a]) return 1;
    if (!st || p->apre[a]) return 0;
    int slot = p->aslot[a];
    if (vars[slot].kind != D_LOCAL || vars[slot].toplevel) return 0;
    int declared = 0;
    for (int i = 0; i < at; i++) declared |= st[i] == vars[slot].decl;
    if (!declared) return 0;
    for (int i = at + 1; i < n; i++) if (ast_mentions(st[i], slot)) return 0;
    return 1;
}

int sc_settle(ScProg *p, Stmt *const *st, int at, int n, const VarInfo *vars)
{
    if (vm_scalar_novlse || !p) return 0;
    int nf = 0;
    for (int i = 0; i + 1 < p->ncode; i++) {
        ScOp *o = &p->code[i], *l = &p->code[i + 1];
        if (o->op != SX_STMT || p->st[o->st].kind != SS_VSUM || l->op != SO_LSE) continue;
        const ScStmt *s = &p->st[o->st];
        int a = s->arr;
        ScView v = sc_view_get(l, 0);
        if (v.arr != a || v.row != -1 || v.kind != VW_ALL || s->nidx != 1 || p->andim[a] != 1) continue;
        if (st_reads(p, a) || !dead_after(p, a, st, at, n, vars)) continue;
        unsigned char marked[SC_MAXARR] = {0};
        marked[a] = 1;
        int ok = 1;
        for (int k = 0; k < p->ncode && ok; k++) {
            const ScOp *q = &p->code[k];
            if (k != i + 1 && sc_op_reads_marked(q, marked)) ok = 0;
            if (q->op >= SX_STMT && q->jmp == i + 1) ok = 0;
        }
        for (int k = 0; k < p->narr && ok; k++)     /* another entry of the same variable */
            if (k != a && !p->alocal[k] && !p->alocal[a] && p->aslot[k] == p->aslot[a]) ok = 0;
        if (!ok) continue;
        *o = (ScOp){.op = SX_VLSE, .st = o->st, .dst = l->dst, .flush = l->flush, .nidx = l->nidx};
        nf++;
    }
    p->nvlse += nf;
    return nf;
}

int sc_nvlse(const ScProg *p) { return p ? p->nvlse : 0; }
