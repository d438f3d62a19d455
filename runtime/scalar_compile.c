/* Compilation of a loop into a scalar program (scalar.h): once per model, at load.
 * The body becomes statements over registers, each running its straight-line
 * operations (three-address, registers numbered once) and then its action. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar_int.h"
#include "runtime/model.h"

/* ---- compilation ---- */

#define SC_MAXINLINE 8        /* functions inlined inside one another (cinline) */

typedef struct ScC {
    ScOp *ops, *pre;
    ScStmt *st;
    int nops, capops, npre, cappre, nst, capst, nr, ni;
    int nmap, mslot[SC_MAXMAP], mreg[SC_MAXMAP];
    unsigned char mint[SC_MAXMAP];
    const FunDef *inl[SC_MAXINLINE];   /* the functions being inlined (cinline), innermost last */
    int ninline;
    /* the innermost function inlined whose `return`s sit inside loops (c_tail): at
     * inline depth rdepth, its value's register rt (an int one when rint) */
    int rdepth, rt, rint;
    /* the 1-d container parameters of the functions being inlined: each names a view of
     * the caller's array (an entry, a row register or -1 for the whole) */
    struct { int slot, arr, row; } alias[SC_MAXMAP];
    int nalias;
    /* the last store of this iteration to an array element indexed by int variables
     * (x[t] = v): a read of x[t] after it is v's register (fwd_*) */
    struct { int on, slot, nidx, ix[VM_MAXDIM], val; } fwd[SC_MAXARR];
    int nfwd;
    ScProg *p;
    const Stmt *root;         /* the program's loop: what its body declares or assigns varies */
    int bad;
    /* the first node refused, innermost (vm_model_plan_describe says why a loop is
     * the interpreter's) */
    Span why;
    int whyset;
} ScC;

static void refuse(ScC *c, Span sp)
{
    if (!c->whyset) { c->why = sp; c->whyset = 1; }
}

static int scalar_ty(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR; }

static int ty_ndim(Ty t) { return t.narr + (t.kind == TK_MATRIX ? 2 : t.kind == TK_SCALAR ? 0 : 1); }

/* a whole array entry (its row `row`, an int register, of a 2-d one) as a view */
static ScView view_whole(int arr, int row)
{
    return (ScView){.arr = arr, .row = row, .kind = VW_ALL, .ra = -1, .rb = -1};
}

/* The family run inline for density fn of d with n arguments (argint: the int ones):
 * 1 normal_lpdf of three reals, 2 poisson_lpmf and 3 bernoulli_logit_lpmf of an int
 * and a real (SO_DIST's iv, flat_op, SX_NORMAL and SX_POISSON); 0 for the others. */
static int inline_family(const Dist *d, DistFn fn, unsigned argint, int n)
{
    if (!d || fn != d->lpdf) return 0;
    if (d == &dist_normal && !argint && n == 3) return 1;
    if ((d == &dist_poisson || d == &dist_bernoulli_logit) && argint == 1u && n == 2) return d == &dist_poisson ? 2 : 3;
    return 0;
}

static ScOp *new_op(ScC *c, int op)
{
    /* the same value at every iteration: loaded once before the loop (an outer scalar
     * the body assigns is a register, never read through SO_VAR) */
    if (op == SO_CONST || op == SI_CONST || op == SO_VAR || op == SI_VAR) {
        if (c->npre == c->cappre) {
            c->cappre = c->cappre ? 2 * c->cappre : 16;
            ScOp *o = realloc(c->pre, sizeof *o * (size_t)c->cappre);
            if (!o) { c->bad = 1; c->npre = 0; return NULL; }
            c->pre = o;
        }
        ScOp *o = &c->pre[c->npre++];
        memset(o, 0, sizeof *o);
        o->op = (uint8_t)op;
        return o;
    }
    if (c->nops == c->capops) {
        c->capops = c->capops ? 2 * c->capops : 64;
        ScOp *o = realloc(c->ops, sizeof *o * (size_t)c->capops);
        if (!o) { c->bad = 1; c->nops = 0; return NULL; }
        c->ops = o;
    }
    ScOp *o = &c->ops[c->nops++];
    memset(o, 0, sizeof *o);
    o->op = (uint8_t)op;
    return o;
}

static ScStmt *new_st(ScC *c, int kind)
{
    if (c->nst == c->capst) {
        c->capst = c->capst ? 2 * c->capst : 16;
        ScStmt *s = realloc(c->st, sizeof *s * (size_t)c->capst);
        if (!s) { c->bad = 1; c->nst = 0; return NULL; }
        c->st = s;
    }
    ScStmt *s = &c->st[c->nst++];
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    return s;
}

/* a new statement owning the operations since op0 */
static ScStmt *new_st_at(ScC *c, int kind, int op0)
{
    ScStmt *s = new_st(c, kind);
    if (s) { s->op0 = op0; s->op1 = c->nops; }
    return s;
}

static int map_find(const ScC *c, int slot)
{
    for (int i = 0; i < c->nmap; i++) if (c->mslot[i] == slot) return i;
    return -1;
}

static int map_add(ScC *c, int slot, int is_int)
{
    if (c->nmap == SC_MAXMAP) { c->bad = 1; return -1; }
    c->mslot[c->nmap] = slot;
    c->mint[c->nmap] = (unsigned char)is_int;
    c->mreg[c->nmap] = is_int ? c->ni++ : c->nr++;
    return c->mreg[c->nmap++];
}

static int alias_find(const ScC *c, int slot)
{
    for (int i = c->nalias - 1; i >= 0; i--) if (c->alias[i].slot == slot) return i;
    return -1;
}

/* entry of slot in the array table, its dimension count checked (a function's
 * container parameter is none: its view is the caller's, read through alias) */
static int arr_of(ScC *c, int slot, int ndim, int write)
{
    ScProg *p = c->p;
    if (alias_find(c, slot) >= 0) return -1;
    for (int i = 0; i < p->narr; i++)
        if (p->aslot[i] == slot) {
            if (p->andim[i] != ndim) return -1;
            p->awrite[i] |= (unsigned char)write;
            return i;
        }
    if (p->narr == SC_MAXARR) return -1;
    p->aslot[p->narr] = slot;
    p->andim[p->narr] = ndim;
    p->awrite[p->narr] = (unsigned char)write;
    return p->narr++;
}

static int cexpr(ScC *c, const Expr *e);
static int c_pre(ScC *c, const Expr *e, int ndim);

/* e as an int register, or -1 */
static int c_int(ScC *c, const Expr *e)
{
    if (e->ty.base != TB_INT || !scalar_ty(e->ty)) return -1;
    return cexpr(c, e);
}

/* e as a real register (an int converted), or -1 */
static int c_real(ScC *c, const Expr *e)
{
    if (!scalar_ty(e->ty) || (e->ty.base != TB_INT && e->ty.base != TB_REAL)) return -1;
    if (e->kind == E_INT) {          /* normal(mu, 1): a real constant, not a conversion per use */
        ScOp *o = new_op(c, SO_CONST);
        if (!o) return -1;
        o->v = (double)e->ival;
        return o->dst = c->nr++;
    }
    int nops = c->nops, nst = c->nst, whyset = c->whyset;
    Span why = c->why;
    int r = cexpr(c, e);
    if (r < 0 && !c->bad && c->nst == nst && e->ty.base == TB_REAL) {
        int a = c_pre(c, e, 0);       /* sd(v), a determinant: once per run */
        if (a < 0) return -1;
        c->nops = nops;
        c->whyset = whyset;
        c->why = why;
        ScOp *o = new_op(c, SO_VAR);
        if (!o) return -1;
        o->iv = 1;
        o->arr = a;
        return o->dst = c->nr++;
    }
    if (r < 0 || e->ty.base == TB_REAL) return r;
    ScOp *o = new_op(c, SO_ITOR);
    if (!o) return -1;
    o->a = r;
    return o->dst = c->nr++;
}

/* Store forwarding: arma11's err[t] = y[t] - nu[t] right after nu[t] = ... reads the
 * value's register, not the element (one operation and one bounds check fewer per
 * step).  Only indices that are int variables held in registers (the loop variable,
 * int locals) are matched; what could change them or the value ends the forward: a
 * nested loop, an assignment to an index or to the value's variable, another store
 * to the array. */
static int fwd_regs(ScC *c, const Expr *e, int *ix)
{
    if (e->nidx > VM_MAXDIM) return -1;
    for (int d = 0; d < e->nidx; d++) {
        const Expr *i = e->idx[d].a;
        int m = e->idx[d].kind == IX_SINGLE && i && i->kind == E_VAR ? map_find(c, i->slot) : -1;
        if (m < 0 || !c->mint[m]) return -1;
        ix[d] = c->mreg[m];
    }
    return 0;
}

static int fwd_find(ScC *c, const Expr *e)
{
    int ix[VM_MAXDIM];
    if (e->args[0]->kind != E_VAR || fwd_regs(c, e, ix)) return -1;
    for (int k = 0; k < c->nfwd; k++)
        if (c->fwd[k].on && c->fwd[k].slot == e->args[0]->slot && c->fwd[k].nidx == e->nidx
            && !memcmp(c->fwd[k].ix, ix, sizeof(int) * (size_t)e->nidx))
            return c->fwd[k].val;
    return -1;
}

/* a store of register v to lhs: the array's earlier forward ends, this one starts */
static void fwd_store(ScC *c, const Expr *lhs, int v)
{
    int slot = lhs->args[0]->slot, k = 0, ix[VM_MAXDIM];
    while (k < c->nfwd && c->fwd[k].slot != slot) k++;
    if (k == c->nfwd) { if (k == SC_MAXARR) return; c->nfwd++; }
    c->fwd[k].slot = slot;
    c->fwd[k].on = fwd_regs(c, lhs, ix) == 0;
    c->fwd[k].nidx = lhs->nidx;
    memcpy(c->fwd[k].ix, ix, sizeof ix);
    c->fwd[k].val = v;
}

/* register r (an int index or a value) is assigned: forwards that use it end */
static void fwd_kill(ScC *c, int r, int isint)
{
    for (int k = 0; k < c->nfwd; k++) {
        if (!isint && c->fwd[k].val == r) c->fwd[k].on = 0;
        for (int d = 0; isint && d < c->fwd[k].nidx; d++) if (c->fwd[k].ix[d] == r) c->fwd[k].on = 0;
    }
}

/* indices of x[i, j, ...] (all single, as many as x has dimensions) into ix */
static int cindex(ScC *c, const Expr *e, int write, int *arr, int *ix)
{
    const Expr *b = e->args[0];
    if (b->kind != E_VAR || map_find(c, b->slot) >= 0 || e->nidx != ty_ndim(b->ty) || e->nidx > VM_MAXDIM)
        return -1;
    for (int d = 0; d < e->nidx; d++) {
        if (e->idx[d].kind != IX_SINGLE || (ix[d] = c_int(c, e->idx[d].a)) < 0) return -1;
    }
    return (*arr = arr_of(c, b->slot, e->nidx, write)) < 0 ? -1 : 0;
}


/* s (the program's loop) declares or assigns slot, or loops over it */
static int touched(const Stmt *s, int slot)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_DECL: return s->slot == slot;
    case S_ASSIGN: return ast_assigns(s, slot);
    case S_FOR: return s->slot == slot || touched(s->body, slot);
    case S_WHILE: return touched(s->body, slot);
    case S_IF: return touched(s->body, slot) || touched(s->els, slot);
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) if (touched(s->stmts[i], slot)) return 1; return 0;
    default: return 0;
    }
}

/* e has the same value at every iteration, and evaluating it has no effect but its
 * value: variables declared outside that the loop never assigns, calls of math
 * functions, builtins and densities (no user function: print, reject; no _rng) */
static int invariant(const ScC *c, const Expr *e)
{
    if (!e) return 1;
    switch (e->kind) {
    case E_STR: return 0;
    case E_VAR: return map_find(c, e->slot) < 0 && alias_find(c, e->slot) < 0 && !touched(c->root, e->slot);
    case E_CALL:
        if (e->fkind != FN_MATH && e->fkind != FN_BUILTIN && e->fkind != FN_DIST_LPDF && e->fkind != FN_DIST_CDF
            && e->fkind != FN_DIST_LCDF && e->fkind != FN_DIST_LCCDF)
            return 0;
        break;
    default: break;
    }
    for (int i = 0; i < e->nargs; i++) if (!invariant(c, e->args[i])) return 0;
    for (int i = 0; i < e->nidx; i++) if (!invariant(c, e->idx[i].a) || !invariant(c, e->idx[i].b)) return 0;
    return 1;
}

/* a new entry of the array table for outer value e (transposed: ScProg.atrans), or -1 */
static int pre_entry(ScC *c, const Expr *e, int ndim, int trans)
{
    ScProg *p = c->p;
    if (p->narr == SC_MAXARR) return -1;
    p->aslot[p->narr] = -1;
    p->andim[p->narr] = ndim;
    p->awrite[p->narr] = 0;
    p->areal[p->narr] = ndim > 0;
    p->apre[p->narr] = e;
    p->atrans[p->narr] = (unsigned char)trans;
    p->npreval++;
    return p->narr++;
}

/* e, of ndim dimensions and real (or a scalar int), as an outer value (ScProg.apre):
 * the program cannot compute it, but no iteration changes it, so the interpreter
 * evaluates it once per run before the loop.  Its entry in the array table, or -1. */
static int c_pre(ScC *c, const Expr *e, int ndim)
{
    ScProg *p = c->p;
    if (c->ninline || e->kind == E_VAR || ty_ndim(e->ty) != ndim || (ndim && e->ty.base != TB_REAL)
        || !invariant(c, e))
        return -1;
    for (int a = 0; a < p->narr; a++) if (p->apre[a] == e && !p->atrans[a]) return a;
    return pre_entry(c, e, ndim, 0);
}

/* e without to_vector, to_row_vector and to_array_1d of a 1-d real value: the same
 * elements in the same order */
static const Expr *strip_conv(const Expr *e)
{
    while (e->kind == E_TRANSPOSE
           || (builtin_flattens(e) && ty_ndim(e->args[0]->ty) == 1 && e->args[0]->ty.base == e->ty.base))
        e = e->args[0];
    return e;
}

static int c_view_tmp(ScC *c, const Expr *e, ScView *v);

static int view_of(ScC *c, const Expr *e, ScView *v, int base);

/* e as a 1-d view of a real array (ScView, scalar_int.h): the whole of a 1-d one (a
 * vector, a row vector, an array of reals, outer or a local of the body), or a row
 * x[i] of a 2-d one (a matrix, an array of vectors), and of either a slice x[a:b]
 * (x[i, a:b]) or segment(x, a, n); a transpose is the same view.  0, or -1. */
static int c_view_of(ScC *c, const Expr *e, ScView *v) { return view_of(c, e, v, TB_REAL); }

/* the same, of an int array (base TB_INT): a density's int arguments (SO_DISTA) */
static int view_of(ScC *c, const Expr *e, ScView *v, int base)
{
    e = strip_conv(e);
    if (e->ty.base != base || ty_ndim(e->ty) != 1) return -1;
    if (builtin_is(e, "segment") && e->nargs == 3) {
        if (view_of(c, e->args[0], v, base) || v->kind != VW_ALL) return -1;
        v->kind = VW_SEG;
        v->ra = c_int(c, e->args[1]);
        v->rb = v->ra < 0 ? -1 : c_int(c, e->args[2]);
        return v->rb < 0 ? -1 : 0;
    }
    const Expr *b = e->kind == E_INDEX ? e->args[0] : e;
    if (b->kind != E_VAR || map_find(c, b->slot) >= 0 || b->ty.base != base) return -1;
    *v = (ScView){.row = -1, .kind = VW_ALL, .ra = -1, .rb = -1};
    int al = alias_find(c, b->slot), nd = ty_ndim(b->ty), d = 0;
    if (al >= 0) {                    /* a function's vector parameter: the caller's view */
        if (base != TB_REAL) return -1;
        v->arr = c->alias[al].arr;
        v->row = c->alias[al].row;
        nd = 1;
    }
    if (e->kind == E_INDEX) {
        if (e->nidx > 2) return -1;
        if (nd == 2) {                /* x[i] or x[i, slice] */
            if (e->idx[0].kind != IX_SINGLE || (v->row = c_int(c, e->idx[0].a)) < 0) return -1;
            d = 1;
        }
        if (d < e->nidx) {            /* the slice */
            const Index *x = &e->idx[d];
            if (x->kind == IX_SINGLE || d + 1 != e->nidx) return -1;
            if (x->kind != IX_ALL) {
                v->kind = VW_SLICE;
                if (x->a && (v->ra = c_int(c, x->a)) < 0) return -1;
                if (x->b && (v->rb = c_int(c, x->b)) < 0) return -1;
            }
        }
    } else if (e->kind != E_VAR || nd != 1)
        return -1;
    if (al >= 0) return 0;
    v->arr = arr_of(c, b->slot, ty_ndim(b->ty), 0);
    if (v->arr < 0) return -1;
    if (base == TB_REAL) c->p->areal[v->arr] = 1;
    return 0;
}

/* e as a 1-d view: of an array as it is (c_view_of), or else of a local the run owns,
 * set to e element by element first (c_view_tmp: exp(v), x[n] .* w, a + b) */
static int c_view(ScC *c, const Expr *e, ScView *v)
{
    int nops = c->nops, nst = c->nst;
    if (c_view_of(c, e, v) == 0) return 0;
    if (c->nst != nst) return -1;     /* statements made for an index: keep the refusal */
    c->nops = nops;                   /* the indices it compiled before giving up */
    if (c_view_tmp(c, e, v) == 0) return 0;
    if (c->nst != nst || c->bad) return -1;
    c->nops = nops;
    int a = c_pre(c, e, 1);           /* softmax(al), a matrix product's row: once per run */
    if (a < 0) return -1;
    *v = view_whole(a, -1);
    return 0;
}

/* a . b of two 1-d views (x[n] * beta, dot_product(x[n], beta)) */
static int c_dot(ScC *c, const Expr *a, const Expr *b)
{
    ScView va, vb;
    ScOp *o = c_view(c, a, &va) || c_view(c, b, &vb) ? NULL : new_op(c, SO_DOT);
    if (!o) return -1;
    sc_view_put(o, 0, va);
    sc_view_put(o, 1, vb);
    return o->dst = c->nr++;
}

/* op (SO_LSE, SO_SUM) of one 1-d view */
static int c_reduce(ScC *c, int op, const Expr *x)
{
    ScView v;
    ScOp *o = c_view(c, x, &v) ? NULL : new_op(c, op);
    if (!o) return -1;
    sc_view_put(o, 0, v);
    return o->dst = c->nr++;
}

/* Element k (an int register) of e, a 1-d real or int expression computed element by
 * element: a whole 1-d array, a row x[i] of a 2-d one, a scalar (the same for every
 * element), rep_vector(x, n), and + - .* ./ (* and / with a scalar side), unary minus
 * and the math functions of one argument of these.  With check set, only the size
 * checks against int register n, to run before the elements: an operation per array
 * and rep_vector (SI_LEN, SI_CHK), and the element's register is not made (0). */
static int c_elem_node(ScC *c, const Expr *e, int k, int n, int check);

/* the length of dimension dim of array entry arr: an int register (SI_LEN), or -1 */
static int c_len(ScC *c, int arr, int dim)
{
    ScOp *o = new_op(c, SI_LEN);
    if (!o) return -1;
    o->arr = arr;
    o->iv = dim;
    return o->dst = c->ni++;
}

/* the size check of an element-wise value: int registers len and n equal (SI_CHK;
 * else the run fails and the interpreter reports).  0, or -1. */
static int c_chk(ScC *c, int len, int n)
{
    ScOp *o = len < 0 ? NULL : new_op(c, SI_CHK);
    if (!o) return -1;
    o->a = len;
    o->b = n;
    o->dst = c->ni++;
    return 0;
}

/* The matrix of M * v (a matrix variable declared outside the loop, not a local): its
 * entry in the array table, or -1 */
static int mv_matrix(ScC *c, const Expr *e)
{
    const Expr *m = e->args[0], *v = e->args[1];
    if (m->kind != E_VAR || m->ty.narr || m->ty.kind != TK_MATRIX || m->ty.base != TB_REAL || map_find(c, m->slot) >= 0
        || alias_find(c, m->slot) >= 0 || ty_ndim(v->ty) != 1 || v->ty.kind == TK_ROWVEC)
        return -1;
    int a = arr_of(c, m->slot, 2, 0);
    if (a >= 0) c->p->areal[a] = 1;
    return a;
}

/* The transpose of matrix variable m (declared outside the loop, which never assigns
 * it) as an outer value, made once per run (ScProg.atrans): its rows are m's columns.
 * Its entry, or -1. */
static int c_pre_t(ScC *c, const Expr *m)
{
    ScProg *p = c->p;
    if (c->ninline || m->kind != E_VAR || m->ty.narr || m->ty.kind != TK_MATRIX || m->ty.base != TB_REAL
        || !invariant(c, m))
        return -1;
    for (int a = 0; a < p->narr; a++)     /* one transpose per matrix, wherever it is written */
        if (p->atrans[a] && p->apre[a]->slot == m->slot) return a;
    return pre_entry(c, m, 2, 1);
}

/* x * M, a row vector times a matrix: M transposed (c_pre_t), or -1 */
static int vm_matrix(ScC *c, const Expr *e)
{
    const Expr *v = e->args[0];
    if (ty_ndim(v->ty) != 1 || v->ty.kind != TK_ROWVEC) return -1;
    return c_pre_t(c, e->args[1]);
}

/* Element k of M * v, a matrix times a vector: the dot product of row k of M with v
 * (SO_DOT; v a view of an array, its length checked against M's columns there); with
 * check set, M's rows against n */
static int c_elem_mv(ScC *c, const Expr *e, int k, int n, int check)
{
    int vm = e->args[1]->ty.kind == TK_MATRIX;   /* x * M: rows of M' with x */
    int a = vm ? vm_matrix(c, e) : mv_matrix(c, e);
    if (a < 0) return -1;
    ScOp *o;
    if (check) return c_chk(c, c_len(c, a, 0), n);
    ScView v;
    if (c_view_of(c, e->args[vm ? 0 : 1], &v) || (o = new_op(c, SO_DOT)) == NULL) return -1;
    sc_view_put(o, 0, view_whole(a, k));
    sc_view_put(o, 1, v);
    return o->dst = c->nr++;
}

/* c_elem_node, and where it cannot, e as a view (a slice, a segment: c_view_of) or
 * an outer value (c_pre) read element by element (SO_VELEM; SI_VLEN for the check) */
static int c_elem(ScC *c, const Expr *e, int k, int n, int check)
{
    int nops = c->nops, nst = c->nst, whyset = c->whyset;
    Span why = c->why;
    int r = c_elem_node(c, e, k, n, check);
    if (r >= 0 || c->bad || c->nst != nst || scalar_ty(e->ty) || ty_ndim(e->ty) != 1 || e->ty.base != TB_REAL)
        return r;
    c->nops = nops;
    ScView v;
    if (c_view_of(c, e, &v)) {
        if (c->nst != nst) return -1;
        c->nops = nops;
        int a = c_pre(c, e, 1);
        if (a < 0) return -1;
        v = view_whole(a, -1);
    }
    c->whyset = whyset;
    c->why = why;
    ScOp *o = new_op(c, check ? SI_VLEN : SO_VELEM);
    if (!o) return -1;
    o->vw[0] = v;
    if (check) return c_chk(c, o->dst = c->ni++, n);
    o->a = k;
    return o->dst = c->nr++;
}

static int c_elem_node(ScC *c, const Expr *e, int k, int n, int check)
{
    if (scalar_ty(e->ty)) return check ? 0 : c_real(c, e);
    e = strip_conv(e);
    if (ty_ndim(e->ty) != 1 || (e->ty.base != TB_REAL && e->ty.base != TB_INT)) return -1;
    ScOp *o;
    switch (e->kind) {
    case E_TRANSPOSE: return c_elem(c, e->args[0], k, n, check);
    case E_VAR: case E_INDEX: {
        const Expr *b = e->kind == E_INDEX ? e->args[0] : e;
        int row = -1, nd = ty_ndim(b->ty), al = b->kind == E_VAR ? alias_find(c, b->slot) : -1, arr;
        if (b->kind != E_VAR || map_find(c, b->slot) >= 0) return -1;
        if (al >= 0) {                  /* a parameter: the caller's view */
            if (e->kind != E_VAR) return -1;
            arr = c->alias[al].arr;
            row = c->alias[al].row;
            nd = row < 0 ? 1 : 2;
        } else {
            if (e->kind == E_INDEX
                && (e->nidx != 1 || e->idx[0].kind != IX_SINGLE || nd != 2 || (row = c_int(c, e->idx[0].a)) < 0))
                return -1;
            if (e->kind == E_VAR && nd != 1) return -1;
            arr = arr_of(c, b->slot, nd, 0);
        }
        if (arr < 0) return -1;
        if (check) return c_chk(c, c_len(c, arr, nd - 1), n);
        if ((o = new_op(c, row < 0 ? SO_ELEM1 : SO_ELEM)) == NULL) return -1;
        o->arr = arr;
        if (row < 0) { o->a = k; o->iv = 0; }
        else { o->nidx = 2; o->ix[0] = row; o->ix[1] = k; }
        return o->dst = c->nr++;
    }
    case E_UNOP: {
        if (e->op == OP_PLUS) return c_elem(c, e->args[0], k, n, check);
        int a = e->op == OP_NEG ? c_elem(c, e->args[0], k, n, check) : -1;
        if (a < 0 || check) return a;
        if ((o = new_op(c, SO_NEG)) == NULL) return -1;
        o->a = a;
        return o->dst = c->nr++;
    }
    case E_BINOP: {
        if (e->op == OP_MUL && !scalar_ty(e->args[0]->ty) && !scalar_ty(e->args[1]->ty))
            return c_elem_mv(c, e, k, n, check);
        static const struct { Op op; int so, onescalar; } tab[] = {
            {OP_ADD, SO_ADD, 0}, {OP_SUB, SO_SUB, 0}, {OP_EMUL, SO_MUL, 0}, {OP_EDIV, SO_DIV, 0},
            {OP_MUL, SO_MUL, 1}, {OP_DIV, SO_DIV, 1},
        };
        int j = 0, nt = (int)(sizeof tab / sizeof tab[0]);
        while (j < nt && tab[j].op != e->op) j++;
        if (j == nt || (tab[j].onescalar && !scalar_ty(e->args[0]->ty) && !scalar_ty(e->args[1]->ty))) return -1;
        int a = c_elem(c, e->args[0], k, n, check), b = a < 0 ? -1 : c_elem(c, e->args[1], k, n, check);
        if (b < 0 || check) return b;
        if ((o = new_op(c, tab[j].so)) == NULL) return -1;
        o->a = a;
        o->b = b;
        return o->dst = c->nr++;
    }
    case E_CALL:
        if (builtin_is(e, "rep_vector") || builtin_is(e, "rep_row_vector") || builtin_is(e, "rep_array")) {
            if (e->nargs != 2 || !scalar_ty(e->args[0]->ty)) return -1;
            if (!check) return c_real(c, e->args[0]);
            return c_chk(c, c_int(c, e->args[1]), n);
        }
        if (e->fkind == FN_MATH && e->nargs == 1) {
            const MathFn *f = e->fn;
            if (f->arity != 1 || f->int_valued) return -1;
            int a = c_elem(c, e->args[0], k, n, check);
            if (a < 0 || check) return a;
            if ((o = new_op(c, SO_F1)) == NULL) return -1;
            o->f = f;
            o->a = a;
            return o->dst = c->nr++;
        }
        return -1;
    default:
        return -1;
    }
}

/* a univariate density of scalar arguments: their registers, bit k of *argint for an
 * int argument */
static int cdist(ScC *c, const Dist *d, Expr *const *args, int n, int *regs, unsigned *argint)
{
    if (d == NULL || n != d->nargs || n > SC_MAXDARGS || (int)strlen(d->sig) != n) return -1;
    *argint = 0;
    for (int k = 0; k < n; k++) {
        if (d->sig[k] == 'I') {
            if ((regs[k] = c_int(c, args[k])) < 0) return -1;
            *argint |= 1u << k;
        } else if (d->sig[k] == 'R') {
            if ((regs[k] = c_real(c, args[k])) < 0) return -1;
        } else
            return -1;
    }
    return 0;
}

static int has_return(const Stmt *s)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_RETURN: return 1;
    case S_FOR: case S_WHILE: return has_return(s->body);
    case S_IF: return has_return(s->body) || has_return(s->els);
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) if (has_return(s->stmts[i])) return 1; return 0;
    default: return 0;
    }
}

static int cstmts(ScC *c, const Stmt *s);
static int c_tail(ScC *c, const FunDef *f, Stmt *const *list, int i, int n, int *t);
static int c_cond(ScC *c, const Expr *e, int *op0);

static int c_tail_stmt(ScC *c, const FunDef *f, const Stmt *s, int *t)
{
    Stmt *one = (Stmt *)s;
    return s->kind == S_BLOCK ? c_tail(c, f, s->stmts, 0, s->nstmts, t) : c_tail(c, f, &one, 0, 1, t);
}

/* a branch of an inlined body: its value set into *t, a statement owning the branch's
 * operations since op0 (clamp_ranges keeps the branch's own statements before it) */
static int c_tail_set(ScC *c, const FunDef *f, const Stmt *s, Stmt *const *rest, int nrest, int *t)
{
    int nmap = c->nmap, op0 = c->nops;
    int v = s ? c_tail_stmt(c, f, s, t) : c_tail(c, f, rest, 0, nrest, t);
    c->nmap = nmap;                   /* the branch's locals end with it */
    ScStmt *set = v < 0 ? NULL : new_st_at(c, f->rty.base == TB_INT ? SS_SETI : SS_SET, op0);
    if (!set) return -1;
    set->dst = *t;
    set->src = v;
    return 0;
}

/* The statements list[i, n) of an inlined body, every path ending in `return E;`: the
 * register of the value.  Scalar locals given a value once name its register; an
 * `if (c) ... else ...` whose branches end in returns (no else: the statements after
 * it are the else) becomes statements setting *t, the register of every branch's
 * value.  Anything else leaves the caller's loop to the interpreter. */
static int c_tail(ScC *c, const FunDef *f, Stmt *const *list, int i, int n, int *t)
{
    int isint = f->rty.base == TB_INT;
    for (; i < n; i++) {
        const Stmt *s = list[i];
        if (s->kind == S_RETURN) return s->rhs && i == n - 1 ? (isint ? c_int(c, s->rhs) : c_real(c, s->rhs)) : -1;
        if (s->kind == S_BLOCK && i == n - 1) return c_tail(c, f, s->stmts, 0, s->nstmts, t);
        if (s->kind == S_IF && has_return(s)) {
            int op0 = 0, cond = c_cond(c, s->cond, &op0), at = c->nst;
            ScStmt *st = cond < 0 ? NULL : new_st_at(c, SS_IF, 0);
            if (!st) return -1;
            st->src = cond;
            if (*t < 0) *t = isint ? c->ni++ : c->nr++;
            c->nfwd = 0;
            if (c_tail_set(c, f, s->body, NULL, 0, t)) return -1;
            int t1 = c->nst;
            if (s->els ? i != n - 1 || c_tail_set(c, f, s->els, NULL, 0, t) : c_tail_set(c, f, NULL, list + i + 1, n - i - 1, t))
                return -1;
            c->nfwd = 0;
            c->st[at].body0 = at + 1;   /* c->st may have moved */
            c->st[at].body1 = c->st[at].els0 = t1;
            c->st[at].els1 = c->nst;
            return *t;
        }
        const TypeSpec *ty = s->type;
        if (s->kind == S_DECL && s->decl == D_LOCAL && s->init && ty && !ty->narr && !ty->lower && !ty->upper
            && (ty->name == TS_REAL || ty->name == TS_INT) && c->nmap < SC_MAXMAP && !ast_assigns(f->body, s->slot)) {
            int ii = ty->name == TS_INT, r = ii ? c_int(c, s->init) : c_real(c, s->init);
            if (r < 0) return -1;     /* a value given once: its register is the local */
            c->mslot[c->nmap] = s->slot;
            c->mint[c->nmap] = (unsigned char)ii;
            c->mreg[c->nmap++] = r;
            continue;
        }
        /* any other statement (a local assigned later, a loop, an if, `target +=` of an
         * _lp function): compiled as the loop's own, after a statement that takes the
         * operations pending before the call */
        ScStmt *pend = new_st_at(c, SS_SET, 0);
        if (!pend) return -1;
        pend->dst = pend->src = c->nr++;            /* sets nothing */
        if (!has_return(s)) {
            if (cstmts(c, s)) return -1;
            continue;
        }
        /* a return inside a loop (a search): each sets *t and goes past the function's
         * statements (SS_BREAK); the statements after this one set *t too */
        if (*t < 0) *t = isint ? c->ni++ : c->nr++;
        int rdepth = c->rdepth, rt = c->rt, rint = c->rint;
        c->rdepth = c->ninline;
        c->rt = *t;
        c->rint = isint;
        int bad = cstmts(c, s) || c_tail_set(c, f, NULL, list + i + 1, n - i - 1, t);
        c->rdepth = rdepth;
        c->rt = rt;
        c->rint = rint;
        if (bad) return -1;
        c->nfwd = 0;
        return *t;                    /* cinline points the jumps past the function */
    }
    return -1;                        /* the end reached without a return */
}

/* A call of a user-defined function inlined: scalar arguments, and 1-d real
 * containers passed as views of the caller's arrays (a whole vector, a row x[n]: read
 * in place, never copied); a body of what a loop body may hold, `if`/`else` whose
 * branches end in `return`, `return E;`, and returns inside loops (c_tail: SS_BREAK).
 * The parameters, and the locals given a value once, name the registers of their
 * values (no statement, no copy); a call inside it inlines in turn, a recursive one
 * leaves the loop to the interpreter.  Anything else (a print) does too; the
 * interpreter's call_user then runs it. */
static int cinline(ScC *c, const Expr *e)
{
    const FunDef *f = e->fn;
    f = f && f->def ? f->def : f;
    if (!f || !f->body || f->nparams != e->nargs || c->ninline == SC_MAXINLINE || !scalar_ty(f->rty)) return -1;
    for (int i = 0; i < c->ninline; i++) if (c->inl[i] == f) return -1;       /* recursion */
    int nmap = c->nmap, nalias = c->nalias, v = -1;
    for (int i = 0; i < f->nparams; i++) {
        const FunParam *p = &f->params[i];
        if (ty_ndim(p->ty) == 1 && p->ty.base == TB_REAL && c->nalias < SC_MAXMAP) {
            ScView v;                 /* a vector: the caller's view, whole or a row */
            if (c_view(c, e->args[i], &v) || v.kind != VW_ALL) { c->nmap = nmap; c->nalias = nalias; return -1; }
            c->alias[c->nalias].slot = p->slot;
            c->alias[c->nalias].arr = v.arr;
            c->alias[c->nalias++].row = v.row;
            continue;
        }
        if (!scalar_ty(p->ty) || (p->ty.base != TB_REAL && p->ty.base != TB_INT)) { c->nmap = nmap; c->nalias = nalias; return -1; }
        int isint = p->ty.base == TB_INT;
        int r = isint ? c_int(c, e->args[i]) : c_real(c, e->args[i]);
        if (r < 0 || c->nmap == SC_MAXMAP) { c->nmap = nmap; c->nalias = nalias; return -1; }
        c->mslot[c->nmap] = p->slot;
        c->mint[c->nmap] = (unsigned char)isint;
        c->mreg[c->nmap++] = r;
    }
    c->inl[c->ninline++] = f;
    int t = -1, nst = c->nst;
    v = c_tail_stmt(c, f, f->body, &t);
    for (int k = nst; v >= 0 && k < c->nst; k++)   /* its returns in loops: past all its statements */
        if (c->st[k].kind == SS_BREAK && c->st[k].body0 < 0) c->st[k].body0 = c->nst;
    c->ninline--;
    c->nmap = nmap;
    c->nalias = nalias;
    return v;
}

static int cexpr_node(ScC *c, const Expr *e);
static int c_ternary(ScC *c, const Expr *e, int isint);
static int c_catlogit(ScC *c, const Expr *y, const Expr *ve);
static int c_dista(ScC *c, const Dist *d, DistFn fn, Expr *const *args, int n);
static int any_container(Expr *const *args, int n);
static int c_cond(ScC *c, const Expr *e, int *op0);

static int cexpr(ScC *c, const Expr *e)
{
    int r = cexpr_node(c, e);
    if (r < 0) refuse(c, e->span);
    return r;
}

static int cexpr_node(ScC *c, const Expr *e)
{
    if (c->bad || !scalar_ty(e->ty)) return -1;
    int isint = e->ty.base == TB_INT;
    if (!isint && e->ty.base != TB_REAL) return -1;
    ScOp *o;
    switch (e->kind) {
    case E_INT:
        if (!isint || (o = new_op(c, SI_CONST)) == NULL) return -1;
        o->iv = (int)e->ival;
        return o->dst = c->ni++;
    case E_REAL:
        if (isint || (o = new_op(c, SO_CONST)) == NULL) return -1;
        o->v = e->rval;
        return o->dst = c->nr++;
    case E_VAR: {
        int m = map_find(c, e->slot);
        if (m >= 0) return c->mint[m] == isint ? c->mreg[m] : -1;
        if ((o = new_op(c, isint ? SI_VAR : SO_VAR)) == NULL) return -1;
        o->slot = e->slot;
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_INDEX: {
        int al = e->args[0]->kind == E_VAR ? alias_find(c, e->args[0]->slot) : -1;
        if (al >= 0) {                  /* x[k] of a function's container parameter */
            int k = e->nidx == 1 && e->idx[0].kind == IX_SINGLE && !isint ? c_int(c, e->idx[0].a) : -1;
            int row = c->alias[al].row;
            if (k < 0 || (o = new_op(c, row < 0 ? SO_ELEM1 : SO_ELEM)) == NULL) return -1;
            o->arr = c->alias[al].arr;
            if (row < 0) { o->a = k; o->iv = 0; }
            else { o->nidx = 2; o->ix[0] = row; o->ix[1] = k; }
            return o->dst = c->nr++;
        }
        int arr, ix[VM_MAXDIM], f = isint ? -1 : fwd_find(c, e);
        if (f >= 0) { c->p->nforwarded++; return f; }
        const Expr *i0 = e->nidx == 1 && e->idx[0].kind == IX_SINGLE ? e->idx[0].a : NULL;
        if (i0 && i0->kind == E_BINOP && (i0->op == OP_ADD || i0->op == OP_SUB) && i0->ty.base == TB_INT
            && i0->args[1]->kind == E_INT && e->args[0]->kind == E_VAR && map_find(c, e->args[0]->slot) < 0
            && ty_ndim(e->args[0]->ty) == 1) {
            /* x[t - c]: one operation, the shift folded in */
            int r = c_int(c, i0->args[0]);
            arr = r < 0 ? -1 : arr_of(c, e->args[0]->slot, 1, 0);
            if (arr < 0 || (o = new_op(c, isint ? SI_ELEM1 : SO_ELEM1)) == NULL) return -1;
            o->arr = arr;
            o->a = r;
            o->iv = (int)(i0->op == OP_ADD ? i0->args[1]->ival : -i0->args[1]->ival);
            return o->dst = isint ? c->ni++ : c->nr++;
        }
        if (i0 && e->args[0]->kind == E_VAR && map_find(c, e->args[0]->slot) < 0 && ty_ndim(e->args[0]->ty) == 1) {
            int r = c_int(c, i0);
            arr = r < 0 ? -1 : arr_of(c, e->args[0]->slot, 1, 0);
            if (arr < 0 || (o = new_op(c, isint ? SI_ELEM1 : SO_ELEM1)) == NULL) return -1;
            o->arr = arr;
            o->a = r;
            o->iv = 0;
            return o->dst = isint ? c->ni++ : c->nr++;
        }
        if (!isint && e->args[0]->kind != E_VAR && e->nidx == ty_ndim(e->args[0]->ty) && e->nidx <= VM_MAXDIM) {
            /* (lt * al)[g[n]]: an element of an outer value */
            if ((arr = c_pre(c, e->args[0], e->nidx)) < 0) return -1;
            for (int d = 0; d < e->nidx; d++)
                if (e->idx[d].kind != IX_SINGLE || (ix[d] = c_int(c, e->idx[d].a)) < 0) return -1;
            if ((o = new_op(c, SO_ELEM)) == NULL) return -1;
            o->arr = arr;
            o->nidx = (uint8_t)e->nidx;
            memcpy(o->ix, ix, sizeof ix);
            return o->dst = c->nr++;
        }
        if (cindex(c, e, 0, &arr, ix)) return -1;
        int two = !isint && e->nidx == 2 && e->args[0]->ty.base == TB_REAL;   /* checked per run: areal */
        if ((o = new_op(c, isint ? SI_ELEM : two ? SO_ELEM2 : SO_ELEM)) == NULL) return -1;
        if (two) c->p->areal[arr] = 1;
        o->arr = arr;
        o->nidx = (uint8_t)e->nidx;
        memcpy(o->ix, ix, sizeof ix);
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_UNOP: {
        if (e->op == OP_PLUS) return cexpr(c, e->args[0]);
        if (e->op == OP_NOT) {
            int a = isint && e->args[0]->ty.base == TB_INT ? c_int(c, e->args[0]) : -1;
            if (a < 0 || (o = new_op(c, SI_NOT)) == NULL) return -1;
            o->a = a;
            return o->dst = c->ni++;
        }
        if (e->op != OP_NEG) return -1;
        int a = isint ? c_int(c, e->args[0]) : c_real(c, e->args[0]);
        if (a < 0 || (o = new_op(c, isint ? SI_NEG : SO_NEG)) == NULL) return -1;
        o->a = a;
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_BINOP: {
        if (e->op == OP_AND || e->op == OP_OR) {  /* statements, the right side when needed */
            int op0 = 0;                          /* the pending operations: clamp_ranges */
            return isint ? c_cond(c, e, &op0) : -1;
        }
        if (e->op >= OP_LT && e->op <= OP_NE) {   /* an int 0 or 1, as ops.c gives */
            if (!isint) return -1;
            const Expr *x = e->args[0], *y = e->args[1];
            int ints = x->ty.base == TB_INT && y->ty.base == TB_INT;
            int a = ints ? c_int(c, x) : c_real(c, x);
            int b = a < 0 ? -1 : ints ? c_int(c, y) : c_real(c, y);
            if (b < 0 || (o = new_op(c, ints ? SI_CMP : SI_FCMP)) == NULL) return -1;
            o->a = a;
            o->b = b;
            o->iv = e->op;
            return o->dst = c->ni++;
        }
        if (e->op == OP_MUL && !isint && ty_ndim(e->args[0]->ty) == 1 && ty_ndim(e->args[1]->ty) == 1)
            return c_dot(c, e->args[0], e->args[1]);     /* row vector * vector */
        static const struct { Op op; int so, si; } tab[] = {
            {OP_ADD, SO_ADD, SI_ADD}, {OP_SUB, SO_SUB, SI_SUB}, {OP_MUL, SO_MUL, SI_MUL},
            {OP_EMUL, SO_MUL, SI_MUL}, {OP_DIV, SO_DIV, SI_DIV}, {OP_EDIV, SO_DIV, SI_DIV},
            {OP_MOD, -1, SI_MOD}, {OP_POW, SO_POW, -1},
        };
        int k = 0, n = (int)(sizeof tab / sizeof tab[0]);
        while (k < n && tab[k].op != e->op) k++;
        if (k == n || (isint ? tab[k].si : tab[k].so) < 0) return -1;
        int a = isint ? c_int(c, e->args[0]) : c_real(c, e->args[0]);
        int b = a < 0 ? -1 : isint ? c_int(c, e->args[1]) : c_real(c, e->args[1]);
        if (b < 0 || (o = new_op(c, isint ? tab[k].si : tab[k].so)) == NULL) return -1;
        o->a = a;
        o->b = b;
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_COND: return c_ternary(c, e, isint);
    case E_CALL: {
        if (e->fkind == FN_USER) return cinline(c, e);     /* an int result too */
        if (isint && e->nargs == 1 && ty_ndim(e->args[0]->ty) == 1
            && (builtin_is(e, "size") || builtin_is(e, "num_elements")
                || (builtin_is(e, "rows") && e->args[0]->ty.kind == TK_VECTOR)
                || (builtin_is(e, "cols") && e->args[0]->ty.kind == TK_ROWVEC))) {
            ScView v;                 /* the length of a whole vector or a row */
            if (e->args[0]->ty.narr > 1 || c_view_of(c, e->args[0], &v) || v.kind != VW_ALL) return -1;
            return c_len(c, v.arr, v.row >= 0);
        }
        if (isint) return -1;
        if (e->fkind == FN_MATH) {
            const MathFn *f = e->fn;
            if (f->arity == 3 && !f->int_valued && e->nargs == 3) {
                int a = c_real(c, e->args[0]), b = a < 0 ? -1 : c_real(c, e->args[1]);
                int z = b < 0 ? -1 : c_real(c, e->args[2]);
                if (z < 0 || (o = new_op(c, SO_F3)) == NULL) return -1;
                o->f = f;
                o->a = a;
                o->b = b;
                o->ix[0] = z;
                return o->dst = c->nr++;
            }
            if ((f->arity != 1 && f->arity != 2) || f->int_valued || e->nargs != f->arity) return -1;
            const Expr *y = f->arity == 2 ? e->args[1] : NULL;
            if (y && !strcmp(f->name, "pow")
                && ((y->kind == E_INT && y->ival == 2) || (y->kind == E_REAL && y->rval == 2.0))) {
                int a = c_real(c, e->args[0]);     /* a square (garch's variances): no call */
                if (a < 0 || (o = new_op(c, SO_SQ)) == NULL) return -1;
                o->a = a;
                return o->dst = c->nr++;
            }
            if (f->arity == 1 && !strcmp(f->name, "sqrt")) {   /* garch's volatility: no call */
                int a = c_real(c, e->args[0]);
                if (a < 0 || (o = new_op(c, SO_SQRT)) == NULL) return -1;
                o->a = a;
                return o->dst = c->nr++;
            }
            int a = c_real(c, e->args[0]), b = f->arity == 2 && a >= 0 ? c_real(c, e->args[1]) : 0;
            if (a < 0 || b < 0 || (o = new_op(c, f->arity == 1 ? SO_F1 : SO_F2)) == NULL) return -1;
            o->f = f;
            o->a = a;
            o->b = b;
            return o->dst = c->nr++;
        }
        if (e->fkind == FN_DIST_LPDF && e->fn == &dist_categorical_logit && e->nargs == 2)
            return c_catlogit(c, e->args[0], e->args[1]);
        if (e->fkind == FN_DIST_LPDF && any_container(e->args, e->nargs))
            return c_dista(c, e->fn, ((const Dist *)e->fn)->lpdf, e->args, e->nargs);
        if (e->fkind == FN_DIST_LPDF || e->fkind == FN_DIST_CDF || e->fkind == FN_DIST_LCDF || e->fkind == FN_DIST_LCCDF) {
            const Dist *d = e->fn;
            int regs[SC_MAXDARGS];
            unsigned argint;
            DistFn fn = e->fkind == FN_DIST_CDF ? d->cdf : e->fkind == FN_DIST_LCDF ? d->lcdf
                      : e->fkind == FN_DIST_LCCDF ? d->lccdf : d->lpdf;
            if (!fn || d->discrete != (d->sig[0] == 'I') || cdist(c, d, e->args, e->nargs, regs, &argint))
                return -1;
            if ((o = new_op(c, SO_DIST)) == NULL) return -1;
            o->dist = d;
            o->dfn = fn;
            o->nidx = (uint8_t)e->nargs;
            o->argint = argint;
            memcpy(o->ix, regs, sizeof(int) * (size_t)e->nargs);
            o->iv = inline_family(d, fn, argint, e->nargs);   /* run inline */
            return o->dst = c->nr++;
        }
        if (builtin_is(e, "dot_product") && e->nargs == 2) return c_dot(c, e->args[0], e->args[1]);
        if (builtin_is(e, "log_sum_exp") && e->nargs == 1) return c_reduce(c, SO_LSE, e->args[0]);
        if (builtin_is(e, "sum") && e->nargs == 1 && e->args[0]->ty.base == TB_REAL) return c_reduce(c, SO_SUM, e->args[0]);
        return -1;
    }
    default:
        return -1;
    }
}

static int cstmts(ScC *c, const Stmt *s);

/* lhs = v (v a register of the lhs's base) */
static int cstore(ScC *c, const Expr *lhs, int v, int op0)
{
    ScStmt *st;
    if (lhs->kind == E_VAR) {
        int m = map_find(c, lhs->slot);
        if (m < 0 || (st = new_st(c, c->mint[m] ? SS_SETI : SS_SET)) == NULL) return -1;
        st->dst = c->mreg[m];
        fwd_kill(c, st->dst, c->mint[m]);
    } else {
        int arr, ix[VM_MAXDIM];
        if (lhs->ty.base != TB_REAL || cindex(c, lhs, 1, &arr, ix) || (st = new_st(c, SS_STORE)) == NULL)
            return -1;
        st->arr = arr;
        st->nidx = lhs->nidx;
        memcpy(st->ix, ix, sizeof ix);
        fwd_store(c, lhs, v);
    }
    st->op0 = op0;
    st->op1 = c->nops;
    st->src = v;
    return 0;
}

/* d's density (fn: its lpdf) of args (n of them) when some are containers: 1-d views
 * (c_view) where the signature takes a vectorisable real, a vector or a simplex, and
 * whole matrices (M, L, C); scalars as SO_DIST's.  The kernel checks the arguments as
 * in call.c (a simplex, ordered cut points, a Cholesky factor).  Its register, or -1:
 * int arrays (K, an I variate of many), more than SC_MAXVW containers. */
static int c_dista(ScC *c, const Dist *d, DistFn fn, Expr *const *args, int n)
{
    if (!fn || n != d->nargs || n > SC_MAXDARGS || (int)strlen(d->sig) != n
        || d->discrete != (d->sig[0] == 'I' || d->sig[0] == 'K'))
        return -1;
    ScView vw[SC_MAXVW];
    int regs[SC_MAXDARGS], nv = 0;
    unsigned argint = 0, vmask = 0;
    for (int k = 0; k < n; k++) {
        const Expr *a = args[k];
        char code = d->sig[k];
        if (scalar_ty(a->ty)) {
            if (code == 'I') { if ((regs[k] = c_int(c, a)) < 0) return -1; argint |= 1u << k; }
            else if (code == 'R') { if ((regs[k] = c_real(c, a)) < 0) return -1; }
            else return -1;
            continue;
        }
        if (nv == SC_MAXVW) return -1;
        if (code == 'I' || code == 'K') {     /* int arrays: read in place, unset elements refused */
            if (view_of(c, a, &vw[nv], TB_INT)) return -1;
            regs[k] = nv++;
            vmask |= 1u << k;
            argint |= 1u << k;
            continue;
        }
        if (a->ty.base != TB_REAL) return -1;
        if (code == 'M' || code == 'L' || code == 'C') {
            if (a->ty.narr || a->ty.kind != TK_MATRIX) return -1;
            int arr = a->kind == E_VAR ? (map_find(c, a->slot) >= 0 ? -1 : arr_of(c, a->slot, 2, 0)) : c_pre(c, a, 2);
            if (arr < 0) return -1;
            c->p->areal[arr] = 1;
            vw[nv] = (ScView){.arr = arr, .row = -1, .kind = VW_MAT, .ra = -1, .rb = -1};
        } else if (code != 'R' && code != 'V' && code != 'S') return -1;
        else if (c_view(c, a, &vw[nv])) return -1;
        regs[k] = nv++;
        vmask |= 1u << k;
    }
    if (!vmask) return -1;
    ScOp *o = new_op(c, SO_DISTA);
    if (!o) return -1;
    o->dist = d;
    o->dfn = fn;
    o->nidx = (uint8_t)n;
    o->argint = argint;
    o->vmask = vmask;
    memcpy(o->ix, regs, sizeof(int) * (size_t)n);
    memcpy(o->vw, vw, sizeof(ScView) * (size_t)nv);
    return o->dst = c->nr++;
}

/* some argument is not a scalar (a density of containers: c_dista) */
static int any_container(Expr *const *args, int n)
{
    for (int k = 0; k < n; k++) if (!scalar_ty(args[k]->ty)) return 1;
    return 0;
}

/* the density d of args (n of them), added to lp */
/* categorical_logit(y | v), v a whole vector or a row of a matrix: v[y] -
 * log_sum_exp(v), dist_categorical.c's value, v's elements required finite and y in
 * range as it requires them (else the interpreter reports).  Its register, or -1. */
static int c_catlogit(ScC *c, const Expr *y, const Expr *ve)
{
    ScView v;
    int yr = c_int(c, y);
    if (yr < 0 || c_view(c, ve, &v) || v.kind != VW_ALL) return -1;
    ScOp *l = new_op(c, SO_LSE);
    if (!l) return -1;
    sc_view_put(l, 0, v);
    l->nidx = 1;
    int z = l->dst = c->nr++;
    ScOp *el = new_op(c, v.row < 0 ? SO_ELEM1 : SO_ELEM);
    if (!el) return -1;
    el->arr = v.arr;
    if (v.row < 0) { el->a = yr; el->iv = 0; }
    else { el->nidx = 2; el->ix[0] = v.row; el->ix[1] = yr; }
    int b = el->dst = c->nr++;
    ScOp *d = new_op(c, SO_SUB);
    if (!d) return -1;
    d->a = b;
    d->b = z;
    return d->dst = c->nr++;
}

static int clp_dist(ScC *c, const Dist *d, Expr *const *args, int n)
{
    int op0 = c->nops, regs[SC_MAXDARGS];
    unsigned argint;
    if (d == &dist_categorical_logit && n == 2) {
        int v = c_catlogit(c, args[0], args[1]);
        ScStmt *st = v < 0 ? NULL : new_st_at(c, SS_LP, op0);
        if (!st) return -1;
        st->src = v;
        return 0;
    }
    if (any_container(args, n)) {
        int v = c_dista(c, d, d ? d->lpdf : NULL, args, n);
        ScStmt *st = v < 0 ? NULL : new_st_at(c, SS_LP, op0);
        if (!st) return -1;
        st->src = v;
        return 0;
    }
    if (d->discrete != (d->sig[0] == 'I') || cdist(c, d, args, n, regs, &argint)) return -1;
    ScStmt *st = new_st_at(c, SS_DIST, op0);
    if (!st) return -1;
    st->dist = d;
    st->nargs = n;
    st->argint = argint;
    memcpy(st->args, regs, sizeof(int) * (size_t)n);
    return 0;
}

/* the position of the loop variable slot among e's indices (all single, as many as
 * the array has dimensions, slot exactly once and read by no other), or -1 */
static int jpos(const Expr *e, int slot)
{
    if (e->kind != E_INDEX || e->args[0]->kind != E_VAR || e->nidx != ty_ndim(e->args[0]->ty) || e->nidx > VM_MAXDIM)
        return -1;
    int pos = -1;
    for (int d = 0; d < e->nidx; d++) {
        const Expr *i = e->idx[d].a;
        if (e->idx[d].kind != IX_SINGLE || !i) return -1;
        if (i->kind == E_VAR && i->slot == slot) { if (pos >= 0) return -1; pos = d; }
        else if (ast_expr_mentions(i, slot)) return -1;
    }
    return pos;
}

/* The `~` of a loop that sc_distv takes: `for (i in lo:hi) x[j, ..., i] ~ d(args);`
 * with x data (no partials), every index single, i exactly once and nowhere else, and
 * the arguments univariate scalars that do not read i.  NULL otherwise. */
static const Stmt *distv_tilde(const Stmt *s)
{
    if (s->kind != S_FOR) return NULL;
    const Stmt *b = s->body;
    while (b && b->kind == S_BLOCK && b->nstmts == 1) b = b->stmts[0];
    if (!b || b->kind != S_TILDE || b->trunc || !b->fn || b->nargs + 1 > SC_MAXDARGS) return NULL;
    const Expr *y = b->lhs;
    if (y->level > LV_DATA || !scalar_ty(y->ty) || jpos(y, s->slot) < 0) return NULL;
    for (int k = 0; k < b->nargs; k++) if (!scalar_ty(b->args[k]->ty) || ast_expr_mentions(b->args[k], s->slot)) return NULL;
    return b;
}

int sc_distv_shape(const Stmt *s) { return distv_tilde(s) != NULL; }

/* st's array slice: entry arr's elements at ix (int registers) but at position kpos,
 * where the loop's variable runs lo..hi (SS_DISTV's variate, SS_VSUM's target) */
static void st_slice(ScStmt *st, int arr, int nidx, const int *ix, int kpos, int lo, int hi)
{
    st->arr = arr;
    st->nidx = nidx;
    memcpy(st->ix, ix, sizeof st->ix);
    st->kpos = kpos;
    st->lo = lo;
    st->hi = hi;
}

/* e's terms (sums and differences taken apart) into t, their signs into sg: 1 when more
 * than SC_MAXVT */
static int vsum_terms(const Expr *e, int sign, const Expr **t, int *sg, int *n)
{
    if (e->kind == E_BINOP && (e->op == OP_ADD || e->op == OP_SUB) && scalar_ty(e->ty) && e->ty.base == TB_REAL)
        return vsum_terms(e->args[0], sign, t, sg, n) || vsum_terms(e->args[1], e->op == OP_SUB ? -sign : sign, t, sg, n);
    if (e->kind == E_UNOP && (e->op == OP_NEG || e->op == OP_PLUS) && scalar_ty(e->ty) && e->ty.base == TB_REAL)
        return vsum_terms(e->args[0], e->op == OP_NEG ? -sign : sign, t, sg, n);
    if (*n == SC_MAXVT) return 1;
    t[*n] = e;
    sg[(*n)++] = sign;
    return 0;
}

/* The loop s as one SS_VSUM statement, `for (j in lo:hi) a[..., j, ...] = t1 +- t2 ...`
 * (scalar_int.h): 0; 1 when s is not of that shape (nothing compiled); -1 out of
 * memory.  Every term an element of a real or int array at j, or a scalar that does
 * not read j (computed before, once per run of the loop); one element term at least;
 * a at j read by no term (each element written once, before any read). */
static int cvsum(ScC *c, const Stmt *s)
{
    const Stmt *b = s->body;
    while (b && b->kind == S_BLOCK && b->nstmts == 1) b = b->stmts[0];
    if (!b || b->kind != S_ASSIGN || b->aop != (Op)-1) return 1;
    const Expr *l = b->lhs, *t[SC_MAXVT];
    int lpos = jpos(l, s->slot), sg[SC_MAXVT], n = 0, nview = 0;
    if (lpos < 0 || !scalar_ty(l->ty) || l->ty.base != TB_REAL || map_find(c, l->args[0]->slot) >= 0) return 1;
    if (vsum_terms(b->rhs, 1, t, sg, &n)) return 1;
    for (int k = 0; k < n; k++) {
        if (!scalar_ty(t[k]->ty) || (t[k]->ty.base != TB_REAL && t[k]->ty.base != TB_INT)) return 1;
        if (jpos(t[k], s->slot) >= 0) {
            if (t[k]->args[0]->slot == l->args[0]->slot || map_find(c, t[k]->args[0]->slot) >= 0) return 1;
            nview++;
        } else if (ast_expr_mentions(t[k], s->slot) || ast_expr_mentions(t[k], l->args[0]->slot)) {
            return 1;
        }
    }
    if (!nview) return 1;
    int op0 = c->nops, nst = c->nst, nfwd = c->nfwd, whyset = c->whyset;
    Span why = c->why;
    ScVTerm vt[SC_MAXVT];
    int ix[VM_MAXDIM] = {0}, lo = c_int(c, s->lo), hi = lo < 0 ? -1 : c_int(c, s->hi), ok = hi >= 0;
    int arr = ok ? arr_of(c, l->args[0]->slot, l->nidx, 1) : -1;
    ok = arr >= 0;
    for (int d = 0; d < l->nidx && ok; d++) if (d != lpos) ok = (ix[d] = c_int(c, l->idx[d].a)) >= 0;
    for (int k = 0; k < n && ok; k++) {
        vt[k] = (ScVTerm){.arr = -1, .reg = -1, .sign = sg[k]};
        int pos = jpos(t[k], s->slot);
        if (pos < 0) { ok = (vt[k].reg = c_real(c, t[k])) >= 0; continue; }
        vt[k].kpos = pos;
        ok = (vt[k].arr = arr_of(c, t[k]->args[0]->slot, t[k]->nidx, 0)) >= 0;
        for (int d = 0; d < t[k]->nidx && ok; d++) if (d != pos) ok = (vt[k].ix[d] = c_int(c, t[k]->idx[d].a)) >= 0;
    }
    if (!ok || c->nst != nst) {       /* the loop compiled the ordinary way instead */
        if (c->bad) return -1;
        c->nops = op0;
        c->nst = nst;
        c->nfwd = nfwd;
        c->whyset = whyset;
        c->why = why;
        return 1;
    }
    ScStmt *st = new_st_at(c, SS_VSUM, op0);
    if (!st) return -1;
    st_slice(st, arr, l->nidx, ix, lpos, lo, hi);
    st->nvt = n;
    memcpy(st->vt, vt, sizeof(ScVTerm) * (size_t)n);
    c->nfwd = 0;                      /* the array's elements changed */
    c->p->nvsum++;
    return 0;
}

/* the loop s as one SS_DISTV statement (distv_tilde(s) is t) */
static int cdistv(ScC *c, const Stmt *s, const Stmt *t)
{
    const Dist *d = t->fn;
    if (d->discrete != (d->sig[0] == 'I') || (int)strlen(d->sig) != t->nargs + 1) return -1;
    int op0 = c->nops, lo = c_int(c, s->lo), hi = lo < 0 ? -1 : c_int(c, s->hi);
    if (hi < 0) return -1;
    const Expr *y = t->lhs;
    int ix[VM_MAXDIM] = {0}, kpos = -1;
    if (y->nidx > VM_MAXDIM || y->nidx != ty_ndim(y->args[0]->ty) || map_find(c, y->args[0]->slot) >= 0) return -1;
    for (int k = 0; k < y->nidx; k++) {
        const Expr *i = y->idx[k].a;
        if (i->kind == E_VAR && i->slot == s->slot) { kpos = k; continue; }
        if ((ix[k] = c_int(c, i)) < 0) return -1;
    }
    int arr = arr_of(c, y->args[0]->slot, y->nidx, 0), regs[SC_MAXDARGS];
    unsigned argint = 0;
    if (arr < 0) return -1;
    for (int k = 1; k <= t->nargs; k++) {
        const Expr *a = t->args[k - 1];
        if (d->sig[k] == 'I') { if ((regs[k] = c_int(c, a)) < 0) return -1; argint |= 1u << k; }
        else if (d->sig[k] == 'R') { if ((regs[k] = c_real(c, a)) < 0) return -1; }
        else return -1;
    }
    if (d->sig[0] == 'I') argint |= 1u;
    else if (d->sig[0] != 'R') return -1;
    ScStmt *st = new_st_at(c, SS_DISTV, op0);
    if (!st) return -1;
    st->dist = d;
    st->nargs = t->nargs + 1;
    st->argint = argint;
    regs[0] = -1;                     /* the variate: the slice, not a register */
    memcpy(st->args, regs, sizeof(int) * (size_t)st->nargs);
    st_slice(st, arr, y->nidx, ix, kpos, lo, hi);
    c->p->ndistv++;
    return 0;
}

/* The local 1-d array arr (n elements, an int register) set to e element by element:
 * the size checks with the operations pending since op0, then a loop of its own,
 * for (k in 1:n) arr[k] = e[k], which the hoisting leaves with only what varies in k. */
static int c_vstore(ScC *c, int arr, int n, const Expr *e, int op0)
{
    if (!scalar_ty(e->ty) && ty_ndim(e->ty) == 1 && e->ty.base == TB_REAL) {
        /* a view (mu, X[n]', a slice), or a value no iteration changes (log(theta): an
         * outer value): copied, not computed element by element */
        int nops = c->nops, nst = c->nst, whyset = c->whyset, a;
        Span why = c->why;
        ScView v;
        int ok = c_view_of(c, e, &v) == 0 && c->nst == nst;
        if (!ok && c->nst == nst && !c->bad) {
            c->nops = nops;
            if ((a = c_pre(c, e, 1)) >= 0) {
                v = view_whole(a, -1);
                ok = 1;
            }
        }
        if (ok && v.arr != arr) {
            ScStmt *st = new_st_at(c, SS_COPY, op0);
            if (!st) return -1;
            st->arr = arr;
            st->src = n;
            st->ix[0] = v.arr; st->ix[1] = v.row; st->ix[2] = v.kind; st->ix[3] = v.ra; st->ix[4] = v.rb;
            return 0;
        }
        if (c->nst != nst) return -1;
        c->nops = nops;
        c->whyset = whyset;
        c->why = why;
    }
    if (c_elem(c, e, -1, n, 1) < 0) return -1;
    ScOp *one = new_op(c, SI_CONST);
    if (!one) return -1;
    one->iv = 1;
    int lo = one->dst = c->ni++, k = c->ni++, at = c->nst;
    ScStmt *st = new_st_at(c, SS_FOR, op0);
    if (!st) return -1;
    st->dst = k;
    st->lo = lo;
    st->hi = n;
    c->nfwd = 0;
    int bop0 = c->nops, v = c_elem(c, e, k, n, 0);
    ScStmt *w = v < 0 ? NULL : new_st(c, SS_STORE);
    if (!w) return -1;
    w->arr = arr;
    w->nidx = 1;
    w->ix[0] = k;
    w->op0 = bop0;
    w->op1 = c->nops;
    w->src = v;
    c->nfwd = 0;
    c->st[at].body0 = at + 1;         /* c->st may have moved */
    c->st[at].body1 = c->nst;
    return 0;
}

/* the local 1-d array of slot, or -1 */
static int local_of(const ScC *c, int slot)
{
    const ScProg *p = c->p;
    for (int i = 0; i < p->narr; i++) if (p->aslot[i] == slot) return p->alocal[i] ? i : -1;
    return -1;
}

/* `vector[n] v = e;` (or a row vector, an array of reals; e optional) in the body: a
 * local the run owns (SS_ALLOC), sized at each declaration as the interpreter does */
static int c_local_vec(ScC *c, const Stmt *s)
{
    const TypeSpec *t = s->type;
    ScProg *p = c->p;
    int op0 = c->nops, n = c_int(c, t->narr ? t->arr[0] : t->size[0]);
    if (n < 0 || map_find(c, s->slot) >= 0 || p->narr == SC_MAXARR) return -1;
    for (int i = 0; i < p->narr; i++) if (p->aslot[i] == s->slot) return -1;
    int arr = p->narr++;
    p->aslot[arr] = s->slot;
    p->andim[arr] = 1;
    p->awrite[arr] = p->alocal[arr] = 1;
    ScStmt *st = new_st_at(c, SS_ALLOC, op0);
    if (!st) return -1;
    st->arr = arr;
    st->src = n;
    st->dst = s->init == NULL;
    return s->init ? c_vstore(c, arr, n, s->init, c->nops) : 0;
}

/* The length of e, a 1-d expression c_elem computes: an int register, or -1 */
static int c_elem_len(ScC *c, const Expr *e)
{
    if (scalar_ty(e->ty) || ty_ndim(e->ty) != 1) return -1;
    e = strip_conv(e);
    ScOp *o;
    switch (e->kind) {
    case E_TRANSPOSE: return c_elem_len(c, e->args[0]);
    case E_UNOP: return c_elem_len(c, e->args[0]);
    case E_BINOP:
        if (e->op == OP_MUL && !scalar_ty(e->args[0]->ty) && !scalar_ty(e->args[1]->ty)) {
            /* M * v: M's rows; x * M: M's columns, the rows of its transpose */
            int a = e->args[1]->ty.kind == TK_MATRIX ? vm_matrix(c, e) : mv_matrix(c, e);
            return a < 0 ? -1 : c_len(c, a, 0);
        }
        return c_elem_len(c, scalar_ty(e->args[0]->ty) ? e->args[1] : e->args[0]);
    case E_CALL:
        if (builtin_is(e, "rep_vector") || builtin_is(e, "rep_row_vector") || builtin_is(e, "rep_array"))
            return e->nargs == 2 ? c_int(c, e->args[1]) : -1;
        return e->fkind == FN_MATH && e->nargs == 1 ? c_elem_len(c, e->args[0]) : -1;
    case E_VAR: case E_INDEX: {
        ScView v;
        if (c_view_of(c, e, &v)) return -1;
        if (v.kind != VW_ALL) {       /* a slice, a segment */
            if ((o = new_op(c, SI_VLEN)) == NULL) return -1;
            o->vw[0] = v;
            return o->dst = c->ni++;
        }
        return c_len(c, v.arr, v.row >= 0);
    }
    default: return -1;
    }
}

/* A 1-d real expression that is no array's view, as the view of a local the run owns
 * (a hidden one: no variable names it), set element by element where it is read:
 * statements before the one being compiled (clamp_ranges), as a conditional's are. */
static int c_view_tmp(ScC *c, const Expr *e, ScView *v)
{
    ScProg *p = c->p;
    if (e->ty.base != TB_REAL && e->ty.base != TB_INT) return -1;
    int n = c_elem_len(c, e);
    if (n < 0 || p->narr == SC_MAXARR) return -1;
    int arr = p->narr++;
    p->aslot[arr] = -1 - arr;         /* no variable's slot */
    p->andim[arr] = 1;
    p->awrite[arr] = p->alocal[arr] = 1;
    ScStmt *st = new_st_at(c, SS_ALLOC, 0);
    if (!st) return -1;
    st->arr = arr;
    st->src = n;
    if (c_vstore(c, arr, n, e, c->nops)) return -1;
    *v = view_whole(arr, -1);
    return 0;
}

/* v = e or v op= e, v a local 1-d array: element by element, at v's current size */
static int c_local_assign(ScC *c, const Stmt *s)
{
    const Expr *l = s->lhs;
    int arr = local_of(c, l->slot), op0 = c->nops, len = arr < 0 ? -1 : c_len(c, arr, 0);
    if (len < 0) return -1;
    if (s->aop == (Op)-1) return c_vstore(c, arr, len, s->rhs, op0);
    Expr *args[2] = {(Expr *)l, s->rhs};
    Expr bin = {.kind = E_BINOP, .op = s->aop, .ty = l->ty, .nargs = 2, .args = args};
    return c_vstore(c, arr, len, &bin, op0);
}

/* The statement t = (x != 0), int registers, zero holding 0, with the operations
 * pending since op0. */
static int set_truth(ScC *c, int t, int x, int zero, int op0)
{
    ScOp *ne = new_op(c, SI_CMP);
    if (!ne) return -1;
    ne->a = x;
    ne->b = zero;
    ne->iv = OP_NE;
    ne->dst = c->ni++;
    ScStmt *st = new_st_at(c, SS_SETI, op0);
    if (!st) return -1;
    st->dst = t;
    st->src = ne->dst;
    return 0;
}

/* An if's condition as an int register.  && and || evaluate their right side only
 * when needed, as the interpreter does: they become statements before the if,
 *     t = (a != 0); if (t) t = (b != 0);        (a || b: if (!t) ...)
 * The operations pending since *op0 go to the first of them; *op0 is moved past. */
static int c_cond(ScC *c, const Expr *e, int *op0)
{
    if (e->kind == E_UNOP && e->op == OP_NOT && e->ty.base == TB_INT) {   /* !(a && b) */
        int a = c_cond(c, e->args[0], op0);
        ScOp *o = a < 0 ? NULL : new_op(c, SI_NOT);
        if (!o) return -1;
        o->a = a;
        return o->dst = c->ni++;
    }
    if (e->kind != E_BINOP || (e->op != OP_AND && e->op != OP_OR)) return c_int(c, e);
    if (e->ty.base != TB_INT || !scalar_ty(e->ty)) return -1;
    int a = c_cond(c, e->args[0], op0);
    ScOp *z = a < 0 ? NULL : new_op(c, SI_CONST);     /* in the loop's constants */
    if (!z) return -1;
    z->iv = 0;
    int zero = z->dst = c->ni++, t = c->ni++;
    if (set_truth(c, t, a, zero, *op0)) return -1;
    int iop0 = c->nops, cnd = t;
    if (e->op == OP_OR) {
        ScOp *nt = new_op(c, SI_NOT);
        if (!nt) return -1;
        nt->a = t;
        cnd = nt->dst = c->ni++;
    }
    int at = c->nst;
    ScStmt *st = new_st_at(c, SS_IF, iop0);
    if (!st) return -1;
    st->src = cnd;
    c->nfwd = 0;
    int bop0 = c->nops, b = c_cond(c, e->args[1], &bop0);
    if (b < 0 || set_truth(c, t, b, zero, bop0)) return -1;
    c->nfwd = 0;
    c->st[at].body0 = at + 1;         /* c->st may have moved */
    c->st[at].body1 = c->nst;
    c->st[at].els0 = c->st[at].els1 = c->nst;
    *op0 = c->nops;
    return t;
}

/* c ? a : b, only the branch chosen evaluated, as the interpreter does (n > 1 ?
 * y[n - 1] : 0 reads no y[0]): statements before the one being compiled,
 *     if (c) t = a; else t = b;
 * the operations pending before them theirs (clamp_ranges), t the value. */
/* a branch of a conditional that is a register already or a constant: a select
 * computes both and skips nothing that could fail or cost */
static int plain(const ScC *c, const Expr *e)
{
    return e->kind == E_INT || e->kind == E_REAL
           || (e->kind == E_VAR && alias_find(c, e->slot) < 0 && scalar_ty(e->ty));
}

static int c_ternary(ScC *c, const Expr *e, int isint)
{
    if (plain(c, e->args[1]) && plain(c, e->args[2])) {
        int cond = c_int(c, e->args[0]);
        int a = cond < 0 ? -1 : isint ? c_int(c, e->args[1]) : c_real(c, e->args[1]);
        int b = a < 0 ? -1 : isint ? c_int(c, e->args[2]) : c_real(c, e->args[2]);
        ScOp *o = b < 0 ? NULL : new_op(c, isint ? SI_SEL : SO_SEL);
        if (!o) return -1;
        o->a = a;
        o->b = b;
        o->ix[0] = cond;
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    int cond = c_int(c, e->args[0]), at = c->nst;
    ScStmt *st = cond < 0 ? NULL : new_st(c, SS_IF);
    if (!st) return -1;
    st->op0 = 0;
    st->op1 = c->nops;
    st->src = cond;
    int t = isint ? c->ni++ : c->nr++;
    c->nfwd = 0;
    for (int br = 1; br <= 2; br++) {
        int op0 = c->nops, v = isint ? c_int(c, e->args[br]) : c_real(c, e->args[br]);
        ScStmt *set = v < 0 ? NULL : new_st(c, isint ? SS_SETI : SS_SET);
        if (!set) return -1;
        set->op0 = op0;
        set->op1 = c->nops;
        set->dst = t;
        set->src = v;
        if (br == 1) c->st[at].body1 = c->nst;
    }
    c->nfwd = 0;
    c->st[at].body0 = at + 1;         /* c->st may have moved */
    c->st[at].els0 = c->st[at].body1;
    c->st[at].els1 = c->nst;
    return t;
}

/* Statements' operation ranges made consecutive.  Statements are made in the order
 * they run, each owning [op0, op1); one made while an expression is compiled (a
 * conditional, && and || as values) runs before the statement that uses its value,
 * and takes the operations pending before it: its op0 (0) and that statement's are
 * raised to the end of the ranges before them. */
static void clamp_ranges(ScC *c)
{
    int floor = 0;
    for (int k = 0; k < c->nst; k++) {
        if (c->st[k].op0 < floor) c->st[k].op0 = floor;
        if (c->st[k].op1 < c->st[k].op0) c->st[k].op1 = c->st[k].op0;
        if (c->st[k].op1 > floor) floor = c->st[k].op1;
    }
}

static int cstmts_node(ScC *c, const Stmt *s);

static int cstmts(ScC *c, const Stmt *s)
{
    int r = cstmts_node(c, s);
    if (r) refuse(c, s->span);
    return r;
}

/* The body of the loop statement at (SS_FOR, SS_WHILE), its statements' range in it.
 * No store is forwarded into the body (it runs many times) nor past it. */
static int c_loop_body(ScC *c, int at, const Stmt *body)
{
    c->nfwd = 0;
    if (cstmts(c, body)) return -1;
    c->nfwd = 0;
    c->st[at].body0 = at + 1;         /* c->st may have moved */
    c->st[at].body1 = c->nst;
    return 0;
}

static int cstmts_node(ScC *c, const Stmt *s)
{
    if (c->bad) return -1;
    switch (s->kind) {
    case S_EMPTY: return 0;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) if (cstmts(c, s->stmts[i])) return -1;
        return 0;
    case S_DECL: {
        const TypeSpec *t = s->type;
        if (s->decl == D_LOCAL && t && !t->lower && !t->upper && !t->offset && !t->multiplier
            && ((t->narr == 0 && (t->name == TS_VECTOR || t->name == TS_ROWVEC)) || (t->narr == 1 && t->name == TS_REAL)))
            return c_local_vec(c, s);
        if (s->decl != D_LOCAL || !t || t->narr || t->lower || t->upper || (t->name != TS_REAL && t->name != TS_INT))
            return -1;
        int isint = t->name == TS_INT, op0 = c->nops, v;
        if (s->init) v = isint ? c_int(c, s->init) : c_real(c, s->init);
        else {
            ScOp *o = new_op(c, isint ? SI_CONST : SO_CONST);
            if (!o) return -1;
            o->iv = INT_MIN;                 /* the interpreter's "not assigned" */
            o->v = NAN;
            v = o->dst = isint ? c->ni++ : c->nr++;
        }
        if (v < 0 || map_find(c, s->slot) >= 0 || map_add(c, s->slot, isint) < 0) return -1;
        Expr lhs = {.kind = E_VAR, .slot = s->slot};
        return cstore(c, &lhs, v, op0);
    }
    case S_ASSIGN: {
        const Expr *l = s->lhs;
        int isint = l->ty.base == TB_INT, op0 = c->nops;
        if (l->kind == E_VAR && ty_ndim(l->ty) == 1 && map_find(c, l->slot) < 0) return c_local_assign(c, s);
        if (!scalar_ty(l->ty) || (!isint && l->ty.base != TB_REAL)) return -1;
        if (l->kind != E_VAR && l->kind != E_INDEX) return -1;
        int v = isint ? c_int(c, s->rhs) : c_real(c, s->rhs);
        if (v < 0) return -1;
        if (s->aop != (Op)-1) {          /* x op= e is x = x op e, as the interpreter does */
            Expr bin = {.kind = E_BINOP, .op = s->aop, .ty = l->ty};
            static const struct { Op op; int so, si; } tab[] = {
                {OP_ADD, SO_ADD, SI_ADD}, {OP_SUB, SO_SUB, SI_SUB}, {OP_MUL, SO_MUL, SI_MUL},
                {OP_DIV, SO_DIV, SI_DIV}, {OP_EMUL, SO_MUL, SI_MUL}, {OP_EDIV, SO_DIV, SI_DIV},
            };
            int k = 0, n = (int)(sizeof tab / sizeof tab[0]);
            while (k < n && tab[k].op != bin.op) k++;
            int cur = k < n ? cexpr(c, l) : -1;
            ScOp *o = cur < 0 ? NULL : new_op(c, isint ? tab[k].si : tab[k].so);
            if (!o) return -1;
            o->a = cur;
            o->b = v;
            v = o->dst = isint ? c->ni++ : c->nr++;
        }
        return cstore(c, l, v, op0);
    }
    case S_TILDE: {
        Expr *args[SC_MAXDARGS];
        if (s->nargs + 1 > SC_MAXDARGS) return -1;
        args[0] = s->lhs;
        for (int i = 0; i < s->nargs; i++) args[i + 1] = s->args[i];
        return clp_dist(c, s->fn, args, s->nargs + 1);
    }
    case S_RETURN: {                  /* inside a loop of the function inlined (c_tail) */
        if (!s->rhs || !c->rdepth || c->rdepth != c->ninline) return -1;
        int op0 = c->nops, v = c->rint ? c_int(c, s->rhs) : c_real(c, s->rhs);
        ScStmt *set = v < 0 ? NULL : new_st_at(c, c->rint ? SS_SETI : SS_SET, op0);
        if (!set) return -1;
        set->dst = c->rt;
        set->src = v;
        ScStmt *b = new_st_at(c, SS_BREAK, c->nops);
        if (!b) return -1;
        b->body0 = -1;                  /* cinline points it past the function */
        c->nfwd = 0;
        return 0;
    }
    case S_CALL: {                    /* reject, fatal_error: the interpreter says it (SS_FAIL) */
        if (s->rhs->fkind != FN_REJECT && s->rhs->fkind != FN_FATAL) return -1;   /* print: its output */
        return new_st_at(c, SS_FAIL, c->nops) ? 0 : -1;
    }
    case S_TARGET: {
        const Expr *r = s->rhs;
        if (r->kind == E_CALL && r->fkind == FN_DIST_LPDF) return clp_dist(c, r->fn, r->args, r->nargs);
        int op0 = c->nops, v = c_real(c, r);
        ScStmt *st = v < 0 ? NULL : new_st(c, SS_LP);
        if (!st) return -1;
        st->op0 = op0;
        st->op1 = c->nops;
        st->src = v;
        return 0;
    }
    case S_FOR: {
        const Stmt *t = distv_tilde(s);
        if (t && !vm_scalar_nodistv) return cdistv(c, s, t);
        if (!vm_scalar_novsum) {
            int r = cvsum(c, s);
            if (r <= 0) return r;
        }
        int op0 = c->nops, lo = c_int(c, s->lo), hi = lo < 0 ? -1 : c_int(c, s->hi);
        if (hi < 0 || map_find(c, s->slot) >= 0) return -1;
        int var = map_add(c, s->slot, 1);
        int at = c->nst;
        ScStmt *st = var < 0 ? NULL : new_st_at(c, SS_FOR, op0);
        if (!st) return -1;
        st->dst = var;
        st->lo = lo;
        st->hi = hi;
        return c_loop_body(c, at, s->body);
    }
    case S_WHILE: {
        /* the condition's operations are the statement's, run again before each test
         * (sc_flatten) */
        int op0 = c->nops;
        c->nfwd = 0;                    /* the condition runs again after the body */
        int nst = c->nst, cond = c_int(c, s->cond), at = c->nst;
        if (c->nst == nst) {
            ScStmt *st = cond < 0 ? NULL : new_st_at(c, SS_WHILE, op0);
            if (!st) return -1;
            st->src = cond;
            return c_loop_body(c, at, s->body);
        }
        /* a condition that needs statements (&&, ||, a conditional): made again as the
         * body's first statements, while (1) { if (!cond) break; body } (SS_BREAK to a
         * statement after the loop) */
        if (c->bad) return -1;           /* (arrays it entered stay in the table, unused or used again) */
        c->nst = nst;
        c->nops = op0;
        ScOp *one = new_op(c, SI_CONST);    /* in the loop's constants */
        if (!one) return -1;
        one->iv = 1;
        int always = one->dst = c->ni++;
        at = c->nst;
        ScStmt *st = new_st_at(c, SS_WHILE, c->nops);
        if (!st) return -1;
        st->src = always;
        c->nfwd = 0;
        int cop0 = c->nops, cnd = c_cond(c, s->cond, &cop0), ai = c->nst;
        ScStmt *test = cnd < 0 ? NULL : new_st_at(c, SS_IF, cop0);
        if (!test) return -1;
        test->src = cnd;
        ScStmt *brk = new_st_at(c, SS_BREAK, c->nops);
        if (!brk) return -1;
        int bi = c->nst - 1;
        c->st[ai].body0 = c->st[ai].body1 = c->st[ai].els0 = ai + 1;   /* then: nothing; else: break */
        c->st[ai].els1 = c->nst;
        if (cstmts(c, s->body)) return -1;
        c->nfwd = 0;
        c->st[at].body0 = at + 1;
        c->st[at].body1 = c->nst;
        ScStmt *after = new_st_at(c, SS_SET, c->nops);   /* the break's target: sets nothing */
        if (!after) return -1;
        after->dst = after->src = c->nr++;
        c->st[bi].body0 = c->nst - 1;
        return 0;
    }
    case S_IF: {
        /* the branches as statement ranges after this one; a store in a branch may not
         * have run, so no read after the if is given its register (fwd) */
        int op0 = c->nops, cond = c_cond(c, s->cond, &op0);
        if (cond < 0) return -1;
        int at = c->nst;
        ScStmt *st = new_st_at(c, SS_IF, op0);
        if (!st) return -1;
        st->src = cond;
        c->nfwd = 0;
        if (cstmts(c, s->body)) return -1;
        c->nfwd = 0;
        int t1 = c->nst;
        if (s->els && cstmts(c, s->els)) return -1;
        c->nfwd = 0;
        c->st[at].body0 = at + 1;       /* c->st may have moved */
        c->st[at].body1 = t1;
        c->st[at].els0 = t1;
        c->st[at].els1 = c->nst;
        return 0;
    }
    default:
        return -1;
    }
}

/* Outer real scalars the body assigns (x = ..., x += ...): held in a register for the
 * run.  Locals declared in the body are found first, so they are not taken for outer. */
static void find_bound(ScC *c, const Stmt *s, int *decl, int *ndecl)
{
    if (!s || c->bad) return;
    switch (s->kind) {
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) find_bound(c, s->stmts[i], decl, ndecl); return;
    case S_FOR: case S_WHILE: find_bound(c, s->body, decl, ndecl); return;
    case S_IF: find_bound(c, s->body, decl, ndecl); find_bound(c, s->els, decl, ndecl); return;
    case S_DECL: if (*ndecl < SC_MAXMAP) decl[(*ndecl)++] = s->slot; else c->bad = 1; return;
    case S_ASSIGN: {
        const Expr *l = s->lhs;
        if (l->kind != E_VAR) return;
        for (int i = 0; i < *ndecl; i++) if (decl[i] == l->slot) return;
        if ((l->ty.base != TB_REAL && l->ty.base != TB_INT) || !scalar_ty(l->ty)) { refuse(c, s->span); c->bad = 1; return; }
        if (map_find(c, l->slot) >= 0) return;
        ScProg *p = c->p;
        if (p->nbound == SC_MAXMAP) { c->bad = 1; return; }
        p->bslot[p->nbound] = l->slot;
        p->bint[p->nbound] = l->ty.base == TB_INT;
        p->breg[p->nbound] = map_add(c, l->slot, l->ty.base == TB_INT);
        p->nbound++;
        return;
    }
    default: return;
    }
}

/* Reads of real register r by the operations and statements (a set of a register into
 * itself, coalesced, reads nothing: the flat code has no copy for it). */
static void count_reads(const ScC *c, int *reads)
{
    for (int k = 0; k < c->nops; k++) {
        int r[SC_MAXDARGS + 2], iv[VM_MAXDIM + SC_MAXDARGS], nr, ni;
        sc_op_reads(&c->ops[k], r, &nr, iv, &ni);
        for (int i = 0; i < nr; i++) reads[r[i]]++;
    }
    for (int k = 0; k < c->nst; k++) {
        const ScStmt *st = &c->st[k];
        switch (st->kind) {
        case SS_SET: if (st->src != st->dst) reads[st->src]++; break;   /* src == dst: copies nothing (coalesce) */
        case SS_STORE: case SS_LP: reads[st->src]++; break;
        case SS_DIST: for (int i = 0; i < st->nargs; i++) if (!(st->argint >> i & 1)) reads[st->args[i]]++; break;
        case SS_DISTV: for (int i = 1; i < st->nargs; i++) if (!(st->argint >> i & 1)) reads[st->args[i]]++; break;
        case SS_VSUM: for (int i = 0; i < st->nvt; i++) if (st->vt[i].reg >= 0) reads[st->vt[i].reg]++; break;
        default: break;
        }
    }
}

/* o reads real register r */
static int op_reads_real(const ScOp *o, int r)
{
    int rr[SC_MAXDARGS + 2], iv[VM_MAXDIM + SC_MAXDARGS], nr, ni;
    sc_op_reads(o, rr, &nr, iv, &ni);
    for (int i = 0; i < nr; i++) if (rr[i] == r) return 1;
    return 0;
}

/* o writes real register r */
static int op_writes_real(const ScOp *o, int r) { return o->op < SI_CONST && o->dst == r; }

/* r is a variable's register (a local, the loop's, an outer scalar the body assigns) */
static int var_reg(const ScC *c, int r)
{
    for (int i = 0; i < c->nmap; i++) if (!c->mint[i] && c->mreg[i] == r) return 1;
    return 0;
}

/* `real m = e;`, `m = e;`: the last operation of e computes it into a temporary that
 * only the SS_SET copying it into m reads; that operation writes m itself (the
 * operations before it have read m's old value, as the SET's did), and the
 * SET copies nothing (sc_flatten emits none): a dispatch and a register copy fewer per
 * iteration (nested3's m).  After hoisting: an operation moved out of the loop is not
 * a statement's any more, and m keeps what the loop gave it. */
static void coalesce(ScC *c, ScProg *p)
{
    int *reads = calloc((size_t)(c->nr ? c->nr : 1), sizeof *reads);
    if (!reads) { c->bad = 1; return; }
    count_reads(c, reads);
    for (int k = 0; k < c->nst; k++) {
        ScStmt *s = &c->st[k];
        if (s->kind != SS_SET || s->src == s->dst || s->op1 <= s->op0) continue;
        int r = s->src, m = s->dst;
        ScOp *o = &c->ops[s->op1 - 1];
        /* (SO_CONST alone does not flush what its target collected) */
        if (o->op == SO_CONST || !op_writes_real(o, r) || reads[r] != 1 || op_reads_real(o, m) || var_reg(c, r))
            continue;
        o->dst = m;
        s->src = m;
        p->ncoalesced++;
    }
    free(reads);
}

/* Statements k1 and k2 sit in the same block: every loop and branch holds both or neither */
static int same_block(const ScC *c, int k1, int k2)
{
    for (int k = 0; k < c->nst; k++) {
        const ScStmt *s = &c->st[k];
        if (s->kind != SS_FOR && s->kind != SS_IF && s->kind != SS_WHILE) continue;
        if ((k1 >= s->body0 && k1 < s->body1) != (k2 >= s->body0 && k2 < s->body1)) return 0;
        if (s->kind == SS_IF && (k1 >= s->els0 && k1 < s->els1) != (k2 >= s->els0 && k2 < s->els1)) return 0;
    }
    return 1;
}

/* A sum (of two, or of three: SO_ADD3), difference or product whose result only a
 * density (or `target +=`) reads, once, right after it: y[a, b, c] ~ normal(m, sigma)
 * with `real m = h + tb * zb[a, b];` just before (nested3), y[n] ~ normal(a + b * x[n],
 * s).  The density collects d lp / d m in m's register (sc_flush's partials); the
 * operation would give m a tape variable and a triple per input, and the flush one
 * more.  Pushed instead: the operation
 * computes m's value only (SO_LINV), and right after the density's action SX_PUSH
 * adds d lp / d m times each input's partial to that input's share of lp, which the
 * input's register flushes when it changes.  The operation's inputs must not change
 * between the two (they are read again by the push), m must not be read by anything
 * else, nor be an outer scalar the program writes back.  The density is the same bit
 * for bit, the gradient the same up to the order of products and sums. */
static void push_linear(ScC *c, ScProg *p)
{
    int *reads = calloc((size_t)(c->nr ? c->nr : 1), sizeof *reads);
    if (!reads) { c->bad = 1; return; }
    count_reads(c, reads);
    for (int b = 0; b < p->nbound; b++) if (!p->bint[b]) reads[p->breg[b]] = INT_MAX;
    for (int k = 0; k < c->nst; k++) {
        ScStmt *s = &c->st[k];
        int args[SC_MAXDARGS], na = 0;
        if (s->kind == SS_LP) args[na++] = s->src;
        else if (s->kind == SS_DIST || s->kind == SS_DISTV)
            for (int i = s->kind == SS_DISTV; i < s->nargs; i++) args[na++] = s->argint >> i & 1 ? -1 : s->args[i];
        for (int i = 0; i < na; i++) {
            int r = args[i], j = -1, from;
            if (r < 0 || reads[r] != 1) continue;
            for (int q = s->op0; q < s->op1; q++) if (op_writes_real(&c->ops[q], r)) j = q;
            if (j >= 0) from = j + 1;
            else if (k > 0 && c->st[k - 1].kind == SS_SET && c->st[k - 1].src == r && c->st[k - 1].dst == r
                     && c->st[k - 1].op1 > c->st[k - 1].op0 && op_writes_real(&c->ops[c->st[k - 1].op1 - 1], r)
                     && same_block(c, k - 1, k)) {
                j = c->st[k - 1].op1 - 1;         /* a coalesced local set just before */
                from = s->op0;
            } else continue;
            ScOp *o = &c->ops[j];
            if (!sc_lin3(o->op) && o->op != SO_ADD && o->op != SO_SUB && o->op != SO_MUL) continue;
            int in[3] = {o->a, o->b, sc_lin3(o->op) ? o->ix[0] : o->a}, ok = 1;
            for (int t = 0; t < 3; t++) if (in[t] == r) ok = 0;
            for (int q = from; q < s->op1 && ok; q++)
                for (int t = 0; t < 3; t++) if (op_writes_real(&c->ops[q], in[t])) ok = 0;
            if (!ok) continue;
            o->pushed = 1;
            s->push[i + (s->kind == SS_DISTV)] = j + 1;
            p->npushed++;
        }
    }
    free(reads);
}

/* The operations marked removed (SO_CONST into -1) dropped, the statements' ranges
 * renumbered (newix: nops + 1 entries). */
static void compact(ScC *c, int *newix)
{
    int n = 0;
    for (int k = 0; k < c->nops; k++) {
        newix[k] = n;
        if (!(c->ops[k].op == SO_CONST && c->ops[k].dst == -1)) c->ops[n++] = c->ops[k];
    }
    newix[c->nops] = n;
    for (int k = 0; k < c->nst; k++) { c->st[k].op0 = newix[c->st[k].op0]; c->st[k].op1 = newix[c->st[k].op1]; }
    c->nops = n;
}

/* A product read once, by the sum or difference right after it in the same statement,
 * becomes one SO_FMA: one dispatch, one tape variable and one triple fewer (arma11's
 * mu + phi * y[t - 1] + theta * err[t - 1]).  Its value is the two operations' bit for
 * bit: the signs are exact, and c + p, p + c, c - p, p - c are c' + p' with c', p'
 * negated or not. */
static void fuse(ScC *c, ScProg *p)
{
    if (!c->nops || !c->nr) return;
    int *reads = calloc((size_t)c->nr, sizeof(int));
    int *newix = malloc(sizeof(int) * (size_t)(c->nops + 1));
    unsigned char *held = calloc((size_t)c->nr, 1);
    if (!reads || !newix || !held) { free(reads); free(newix); free(held); return; }
    count_reads(c, reads);
    for (int i = 0; i < c->nmap; i++) if (!c->mint[i]) held[c->mreg[i]] = 1;     /* locals, outer scalars */
    for (int k = 0; k < c->nst; k++) {
        const ScStmt *st = &c->st[k];
        for (int j = st->op0; j + 1 < st->op1; j++) {
            ScOp *m = &c->ops[j], *s = &c->ops[j + 1];
            int r = m->dst;
            if (m->op != SO_MUL || (s->op != SO_ADD && s->op != SO_SUB) || reads[r] != 1 || held[r]) continue;
            if ((s->a == r) == (s->b == r)) continue;
            int left = s->a == r, other = left ? s->b : s->a;
            ScOp f = *s;
            f.op = SO_FMA;
            f.a = m->a;
            f.b = m->b;
            f.ix[0] = other;
            f.v = s->op == SO_SUB && !left ? -1 : 1;       /* c - x * y */
            f.iv = s->op == SO_SUB && left ? -1 : 1;       /* x * y - c */
            *s = f;
            m->op = SO_CONST;                              /* removed below */
            m->dst = -1;
            p->nfused++;
            j++;
        }
    }
    compact(c, newix);
    /* then a sum or difference read once, by the sum or difference right after it:
     * one SO_ADD3 (an HMM's gamma[t - 1, j] + ltheta[j, k] + lp[k]), the same bits */
    memset(reads, 0, sizeof(int) * (size_t)c->nr);
    count_reads(c, reads);
    for (int k = 0; k < c->nst; k++) {
        const ScStmt *st = &c->st[k];
        for (int j = st->op0; j + 1 < st->op1; j++) {
            ScOp *m = &c->ops[j];
            int r = m->dst;
            if ((m->op != SO_ADD && m->op != SO_SUB) || reads[r] != 1 || held[r]) continue;
            /* its reader later in the statement, with m's operands unchanged until then
             * (the HMM's density term is computed between the two sums) */
            int q = j + 1;
            while (q < st->op1 && !op_reads_real(&c->ops[q], r) && !op_writes_real(&c->ops[q], m->a)
                   && !op_writes_real(&c->ops[q], m->b))
                q++;
            if (q == st->op1 || !op_reads_real(&c->ops[q], r)) continue;
            ScOp *s = &c->ops[q];
            if (s->op != SO_ADD && s->op != SO_SUB) continue;
            if ((s->a == r) == (s->b == r)) continue;
            int left = s->a == r;
            ScOp f = *s;
            f.op = SO_ADD3;
            f.a = m->a;
            f.b = m->b;
            f.ix[0] = left ? s->b : s->a;
            f.nidx = (uint8_t)left;
            f.v = m->op == SO_SUB ? -1 : 1;
            f.iv = s->op == SO_SUB ? -1 : 1;
            *s = f;
            m->op = SO_CONST;
            m->dst = -1;
            p->nsum3++;
        }
    }
    compact(c, newix);
    free(reads); free(newix); free(held);
}

/* Statements [s0, s1) of p into code at *n (NULL: count only); the operations and
 * actions of one pass, nested loops' bodies aside, in *own. */
/* op as the flat code runs it: a density run inline gets an opcode of its own, so
 * that the dispatch decides it (the ops keep SO_DIST for the passes) */
static ScOp flat_op(ScOp o)
{
    if (o.op == SO_DIST && o.iv) o.op = o.iv == 1 ? SO_NORMAL : SO_DISTIR;
    if (o.pushed) { o.slot = o.nidx; o.nidx = o.op; o.op = SO_LINV; }
    return o;
}

static void flatten(ScProg *p, int s0, int s1, ScOp *code, int *n, int *own, int *pos)
{
    for (int k = s0; k < s1; k++) {
        ScStmt *s = &p->st[k];
        int first = *n, fam;
        if (pos) pos[k] = *n;
        for (int j = s->op0; j < s->op1; j++) {
            const ScOp *o = &p->ops[j];
            if (o->memo && code) code[*n] = (ScOp){.op = SX_MEMO, .st = k, .memo = o->memo};
            *n += o->memo != 0;
            if (code) code[*n] = flat_op(*o);
            (*n)++;
            if (o->memo && code) code[*n] = (ScOp){.op = SX_MEMOSET, .st = k, .memo = o->memo};
            *n += o->memo != 0;
        }
        *own += s->op1 - s->op0 + !(s->kind == SS_SET && s->src == s->dst);
        if (s->kind == SS_IF) {
            int at = (*n)++, town = 0, eown = 0;
            flatten(p, s->body0, s->body1, code, n, &town, pos);
            int jat = -1;
            if (s->els1 > s->els0) {
                jat = (*n)++;
                flatten(p, s->els0, s->els1, code, n, &eown, pos);
                if (code) code[jat] = (ScOp){.op = SX_JMP, .st = k, .jmp = *n};
            }
            if (code)
                code[at] = (ScOp){.op = SX_IF, .st = k, .a = s->src, .iv = town, .b = eown,
                                  .jmp = jat >= 0 ? jat + 1 : *n};
            k = (s->els1 > s->els0 ? s->els1 : s->body1) - 1;
            continue;
        }
        if (s->kind == SS_WHILE) {
            int at = (*n)++, bown = 0;
            flatten(p, s->body0, s->body1, code, n, &bown, pos);
            if (code) code[*n] = (ScOp){.op = SX_WEND, .st = k, .jmp = first};
            (*n)++;
            if (code) code[at] = (ScOp){.op = SX_IF, .st = k, .a = s->src, .iv = bown, .b = 0, .jmp = *n};
            k = s->body1 - 1;
            continue;
        }
        if (s->kind != SS_FOR) {
            if (s->kind == SS_SET && s->src == s->dst) continue;     /* coalesced: nothing to copy */
            if (code && s->kind == SS_LP) {
                code[*n] = (ScOp){.op = SX_LP, .st = k, .a = s->src};
            } else if (code && s->kind == SS_STORE) {
                ScOp x = {.op = SX_STORE, .st = k, .arr = s->arr, .nidx = (uint8_t)s->nidx, .a = s->src};
                memcpy(x.ix, s->ix, sizeof x.ix);
                code[*n] = x;
            } else if (code && s->kind == SS_BREAK) {
                code[*n] = (ScOp){.op = SX_JMP, .st = k, .jmp = -1 - s->body0};   /* sc_flatten resolves it */
            } else if (code && (s->kind == SS_SET || s->kind == SS_SETI)) {
                code[*n] = (ScOp){.op = s->kind == SS_SET ? SX_SET : SX_SETI, .st = k, .a = s->src, .dst = s->dst,
                                  .flush = s->flush};
            } else if (code && s->kind == SS_DIST && (fam = inline_family(s->dist, s->dist->lpdf, s->argint, s->nargs))) {
                ScOp x = {.op = fam == 1 ? SX_NORMAL : SX_POISSON, .st = k, .iv = fam};
                memcpy(x.ix, s->args, sizeof(int) * (size_t)s->nargs);
                code[*n] = x;
            } else if (code)
                code[*n] = (ScOp){.op = SX_STMT, .st = k};
            (*n)++;
            for (int i = 0; i < SC_MAXDARGS; i++) {      /* its pushed arguments (push_linear) */
                if (!s->push[i]) continue;
                const ScOp *o = &p->ops[s->push[i] - 1];
                if (code)
                    code[*n] = (ScOp){.op = SX_PUSH, .st = k, .nidx = o->op, .dst = o->dst, .a = o->a, .b = o->b,
                                      .ix = {o->ix[0]}, .v = o->v, .iv = o->iv, .slot = o->nidx};
                (*n)++;
                (*own)++;
            }
            continue;
        }
        int at = (*n)++, body = *n, nown = 0;
        flatten(p, s->body0, s->body1, code, n, &nown, pos);
        if (code) code[*n] = (ScOp){.op = SX_NEXT, .st = k, .jmp = body, .iv = nown, .a = s->dst, .b = s->hreg};
        (*n)++;
        if (code) code[at] = (ScOp){.op = SX_FOR, .st = k, .jmp = *n};
        k = s->body1 - 1;
    }
}

/* The flat code of p (scalar_int.h), in a.  The program's own loop is a statement
 * too, st[nst] (its bounds in int registers olo, ohi), so that the whole loop runs in
 * one call of sc_run. */
static void sc_flatten(ScProg *p, Arena *a)
{
    for (int k = 0; k < p->nst; k++) if (p->st[k].kind == SS_FOR) p->st[k].hreg = p->ni++;
    p->olo = p->ni++;
    p->ohi = p->ni++;
    p->st[p->nst] = (ScStmt){.kind = SS_FOR, .dst = p->loopvar, .lo = p->olo, .hi = p->ohi, .hreg = p->ni++,
                             .body0 = p->body0, .body1 = p->body1};
    int n = 0, own = 0;
    flatten(p, p->body0, p->body1, NULL, &n, &own, NULL);
    p->ncode = p->npre + 1 + p->nhoist + 1 + 1 + n + 1 + 1;
    p->code = arena_alloc(a, sizeof *p->code * (size_t)p->ncode);
    int at = 0;
    p->code_pre = at;
    for (int k = 0; k < p->npre; k++) p->code[at++] = p->pre[k];
    p->code[at++] = (ScOp){.op = SX_END};
    p->code_hoist = at;
    for (int k = 0; k < p->nhoist; k++) p->code[at++] = flat_op(p->ops[k]);
    p->code[at++] = (ScOp){.op = SX_END};
    p->code_body = at;
    own = 0;
    int body = ++at;
    int *pos = arena_alloc(a, sizeof *pos * (size_t)(p->nst + 1));
    for (int k = 0; k <= p->nst; k++) pos[k] = body;
    flatten(p, p->body0, p->body1, p->code, &at, &own, pos);
    for (int k = body; k < at; k++)      /* SS_BREAK's jumps: the statement after the function's */
        if (p->code[k].op == SX_JMP && p->code[k].jmp < 0) p->code[k].jmp = pos[-1 - p->code[k].jmp];
    p->code[at++] = (ScOp){.op = SX_NEXT, .st = p->nst, .jmp = body, .iv = own, .a = p->loopvar, .b = p->st[p->nst].hreg};
    p->code[p->code_body] = (ScOp){.op = SX_FOR, .st = p->nst, .jmp = at};
    p->code[at++] = (ScOp){.op = SX_END};
}

ScProg *sc_compile(const Stmt *s, Arena *a, Span *why)
{
    if (s->kind != S_FOR && s->kind != S_WHILE) return NULL;
    ScProg tmp = {0};
    ScC c = {.p = &tmp, .root = s};
    int decl[SC_MAXMAP], ndecl = 0;
    /* a while loop is the body of a loop of its own run once (sc_loop(..., 1, 1)) */
    int isfor = s->kind == S_FOR;
    find_bound(&c, isfor ? s->body : s, decl, &ndecl);
    tmp.loopvar = c.bad ? -1 : isfor ? map_add(&c, s->slot, 1) : c.ni++;
    int ok = !c.bad && tmp.loopvar >= 0 && cstmts(&c, isfor ? s->body : s) == 0 && !c.bad;
    for (int k = 0; ok && k < c.nst; k++)   /* a return's jump goes forward, to a statement made */
        if (c.st[k].kind == SS_BREAK && (c.st[k].body0 <= k || c.st[k].body0 >= c.nst)) ok = 0;
    if (ok) clamp_ranges(&c);
    ScProg *p = NULL;
    if (ok && !vm_scalar_nofuse) fuse(&c, &tmp);
    if (ok && !vm_scalar_nohoist) {
        tmp.nhoisted = sc_hoist(c.ops, c.nops, c.st, c.nst, c.nr, c.ni, tmp.loopvar, &tmp.nhoist);
        ok = tmp.nhoisted >= 0;
    }
    if (ok && !vm_scalar_nocoalesce) {
        coalesce(&c, &tmp);
        ok = !c.bad;
    }
    if (ok && !vm_scalar_nopush) {
        push_linear(&c, &tmp);
        ok = !c.bad;
    }
    if (ok) {
        p = arena_alloc(a, sizeof *p);
        *p = tmp;
        p->ops = arena_alloc(a, sizeof *p->ops * (size_t)(c.nops ? c.nops : 1));
        p->pre = arena_alloc(a, sizeof *p->pre * (size_t)(c.npre ? c.npre : 1));
        p->st = arena_alloc(a, sizeof *p->st * (size_t)(c.nst + 1));   /* + the loop itself (sc_flatten) */
        p->fold = arena_zalloc(a, (size_t)(c.nr ? c.nr : 1));
        if (c.nops) memcpy(p->ops, c.ops, sizeof *p->ops * (size_t)c.nops);
        if (c.npre) memcpy(p->pre, c.pre, sizeof *p->pre * (size_t)c.npre);
        if (c.nst) memcpy(p->st, c.st, sizeof *p->st * (size_t)c.nst);
        p->nops = c.nops;
        p->npre = c.npre;
        p->nst = c.nst;
        p->nr = c.nr;
        p->ni = c.ni;
        p->body0 = 0;
        p->body1 = c.nst;
        /* registers that collect partials of lp, and the writes that must flush them */
        for (int k = 0; k < p->nst; k++) {
            const ScStmt *st = &p->st[k];
            if (st->kind == SS_LP) p->fold[st->src] = 1;
            if (st->kind == SS_DIST || st->kind == SS_DISTV)
                for (int i = st->kind == SS_DISTV; i < st->nargs; i++) if (!(st->argint >> i & 1)) p->fold[st->args[i]] = 1;
        }
        for (int k = 0; k < p->nst; k++)     /* a pushed operation's inputs collect them */
            for (int i = 0; i < SC_MAXDARGS; i++) {
                if (!p->st[k].push[i]) continue;
                const ScOp *o = &p->ops[p->st[k].push[i] - 1];
                p->fold[o->a] = p->fold[o->b] = 1;
                if (sc_lin3(o->op)) p->fold[o->ix[0]] = 1;
            }
        for (int k = 0; k < p->nops; k++)
            if (p->ops[k].op < SI_CONST) p->ops[k].flush = p->fold[p->ops[k].dst];
        for (int k = 0; k < p->nst; k++)
            if (p->st[k].kind == SS_SET) p->st[k].flush = p->fold[p->st[k].dst];
        if (!vm_scalar_nomemo && (p->nmemo = sc_memo(p)) < 0) p->nmemo = 0;
        sc_flatten(p, a);
    }
    free(c.ops);
    free(c.pre);
    free(c.st);
    if (!p && why) *why = c.whyset ? c.why : s->span;
    return p;
}

int sc_nops(const ScProg *p) { return p ? p->nops : 0; }
int sc_nfused(const ScProg *p) { return p ? p->nfused : 0; }
int sc_ncoalesced(const ScProg *p) { return p ? p->ncoalesced : 0; }
int sc_nsum3(const ScProg *p) { return p ? p->nsum3 : 0; }
int sc_nhoisted(const ScProg *p) { return p ? p->nhoisted : 0; }
int sc_nforwarded(const ScProg *p) { return p ? p->nforwarded : 0; }
int sc_ndistv(const ScProg *p) { return p ? p->ndistv : 0; }
int sc_nvsum(const ScProg *p) { return p ? p->nvsum : 0; }
int sc_nmemo(const ScProg *p) { return p ? p->nmemo : 0; }
int sc_npreval(const ScProg *p) { return p ? p->npreval : 0; }
int vm_scalar_nodistv;
int vm_scalar_novsum;
int vm_scalar_nofuse, vm_scalar_nohoist, vm_scalar_nomemo, vm_scalar_nocoalesce, vm_scalar_nopush;
int sc_npushed(const ScProg *p) { return p ? p->npushed : 0; }

