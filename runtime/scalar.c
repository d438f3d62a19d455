/* See scalar.h.  A loop body is compiled, once per model, into statements over
 * registers; each statement first runs its straight-line operations (three-address,
 * registers numbered once: no register is reused within a statement), then its action
 * (set a local, store an array element, add to the log density, run a nested loop).
 *
 * Covered: scalar real and int locals declared in the body; assignments (= and the
 * compound ones) to them, to scalar variables declared outside, and to elements of
 * real arrays, vectors and matrices declared outside, indexed by ints; `~` and
 * `target +=` of a scalar; nested for loops; int + - * / %; real + - * / ^ and unary
 * minus; math functions of one or two arguments; univariate *_lpdf / *_lpmf of
 * scalars; log_sum_exp of a whole one-dimensional array or vector.  Everything else
 * (if, while, slices, containers as values, ...) leaves the loop to the interpreter.
 *
 * The partials are the interpreter's (ops.c, the stdlib kernels, builtins.c), so the
 * gradient is the interpreter's up to the order of the additions. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar.h"
#include "runtime/model.h"
#include "stdlib/dist.h"
#include "stdlib/mathfn.h"

extern const Dist dist_normal;

#define SC_LOG_SQRT_2PI 0.91893853320467274178
#define SC_MAXARR 32          /* arrays a program reads or writes */
#define SC_MAXMAP 64          /* variables held in registers */
#define SC_MAXDARGS 4         /* arguments of a density, variate included */

enum {
    /* real results */
    SO_CONST, SO_VAR, SO_ELEM, SO_ELEM1, SO_ITOR, SO_ADD, SO_SUB, SO_MUL, SO_DIV, SO_POW, SO_NEG,
    SO_F1, SO_F2, SO_DIST, SO_LSE,
    /* int results */
    SI_CONST, SI_VAR, SI_ELEM, SI_ELEM1, SI_ADD, SI_SUB, SI_MUL, SI_DIV, SI_MOD, SI_NEG
};

typedef struct ScOp {
    uint8_t op;
    uint8_t flush;            /* dst collects partials of lp (sc_flush before it changes) */
    uint8_t nidx;             /* SO_ELEM, SI_ELEM: indices; SO_DIST: arguments */
    int dst, a, b;            /* registers: real or int as the operation says */
    int arr;                  /* SO_ELEM, SI_ELEM, SO_LSE: entry in the array table */
    int slot;                 /* SO_VAR, SI_VAR */
    int ix[VM_MAXDIM];        /* int registers of the indices; SO_DIST: argument registers */
    unsigned argint;          /* SO_DIST: bit k set when argument k is an int register */
    double v;                 /* SO_CONST */
    int iv;                   /* SI_CONST; SO_ELEM1, SI_ELEM1: the constant added to the index */
    const MathFn *f;
    const Dist *dist;
} ScOp;

enum { SS_SET, SS_SETI, SS_STORE, SS_LP, SS_DIST, SS_FOR };

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
    int lo, hi;               /* SS_FOR: int registers of the bounds */
    int body0, body1;         /* SS_FOR: its statements */
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
    int nbound;               /* outer real scalars the body assigns: a register each */
    int bslot[SC_MAXMAP], breg[SC_MAXMAP];
};

/* ---- compilation ---- */

typedef struct ScC {
    ScOp *ops, *pre;
    ScStmt *st;
    int nops, capops, npre, cappre, nst, capst, nr, ni;
    int nmap, mslot[SC_MAXMAP], mreg[SC_MAXMAP];
    unsigned char mint[SC_MAXMAP];
    ScProg *p;
    int bad;
} ScC;

static int scalar_ty(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR; }

static int ty_ndim(Ty t) { return t.narr + (t.kind == TK_MATRIX ? 2 : t.kind == TK_SCALAR ? 0 : 1); }

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

/* entry of slot in the array table, its dimension count checked */
static int arr_of(ScC *c, int slot, int ndim, int write)
{
    ScProg *p = c->p;
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
    int r = cexpr(c, e);
    if (r < 0 || e->ty.base == TB_REAL) return r;
    ScOp *o = new_op(c, SO_ITOR);
    if (!o) return -1;
    o->a = r;
    return o->dst = c->nr++;
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

static int cexpr(ScC *c, const Expr *e)
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
        int arr, ix[VM_MAXDIM];
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
        if (cindex(c, e, 0, &arr, ix)) return -1;
        if ((o = new_op(c, isint ? SI_ELEM : SO_ELEM)) == NULL) return -1;
        o->arr = arr;
        o->nidx = (uint8_t)e->nidx;
        memcpy(o->ix, ix, sizeof ix);
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_UNOP: {
        if (e->op == OP_PLUS) return cexpr(c, e->args[0]);
        if (e->op != OP_NEG) return -1;
        int a = isint ? c_int(c, e->args[0]) : c_real(c, e->args[0]);
        if (a < 0 || (o = new_op(c, isint ? SI_NEG : SO_NEG)) == NULL) return -1;
        o->a = a;
        return o->dst = isint ? c->ni++ : c->nr++;
    }
    case E_BINOP: {
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
    case E_CALL: {
        if (isint) return -1;
        if (e->fkind == FN_MATH) {
            const MathFn *f = e->fn;
            if ((f->arity != 1 && f->arity != 2) || f->int_valued || e->nargs != f->arity) return -1;
            int a = c_real(c, e->args[0]), b = f->arity == 2 && a >= 0 ? c_real(c, e->args[1]) : 0;
            if (a < 0 || b < 0 || (o = new_op(c, f->arity == 1 ? SO_F1 : SO_F2)) == NULL) return -1;
            o->f = f;
            o->a = a;
            o->b = b;
            return o->dst = c->nr++;
        }
        if (e->fkind == FN_DIST_LPDF) {
            const Dist *d = e->fn;
            int regs[SC_MAXDARGS];
            unsigned argint;
            if (d->discrete != (d->sig[0] == 'I') || cdist(c, d, e->args, e->nargs, regs, &argint))
                return -1;
            if ((o = new_op(c, SO_DIST)) == NULL) return -1;
            o->dist = d;
            o->nidx = (uint8_t)e->nargs;
            o->argint = argint;
            memcpy(o->ix, regs, sizeof(int) * (size_t)e->nargs);
            return o->dst = c->nr++;
        }
        if (e->fkind == FN_BUILTIN && e->nargs == 1
            && strcmp(((const struct Builtin *)e->fn)->name, "log_sum_exp") == 0) {
            const Expr *x = e->args[0];
            if (x->kind != E_VAR || map_find(c, x->slot) >= 0 || x->ty.base != TB_REAL || ty_ndim(x->ty) != 1)
                return -1;
            int arr = arr_of(c, x->slot, 1, 0);
            if (arr < 0 || (o = new_op(c, SO_LSE)) == NULL) return -1;
            o->arr = arr;
            return o->dst = c->nr++;
        }
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
    } else {
        int arr, ix[VM_MAXDIM];
        if (lhs->ty.base != TB_REAL || cindex(c, lhs, 1, &arr, ix) || (st = new_st(c, SS_STORE)) == NULL)
            return -1;
        st->arr = arr;
        st->nidx = lhs->nidx;
        memcpy(st->ix, ix, sizeof ix);
    }
    st->op0 = op0;
    st->op1 = c->nops;
    st->src = v;
    return 0;
}

/* the density d of args (n of them), added to lp */
static int clp_dist(ScC *c, const Dist *d, Expr *const *args, int n)
{
    int op0 = c->nops, regs[SC_MAXDARGS];
    unsigned argint;
    if (d->discrete != (d->sig[0] == 'I') || cdist(c, d, args, n, regs, &argint)) return -1;
    ScStmt *st = new_st(c, SS_DIST);
    if (!st) return -1;
    st->op0 = op0;
    st->op1 = c->nops;
    st->dist = d;
    st->nargs = n;
    st->argint = argint;
    memcpy(st->args, regs, sizeof(int) * (size_t)n);
    return 0;
}

static int cstmts(ScC *c, const Stmt *s)
{
    if (c->bad) return -1;
    switch (s->kind) {
    case S_EMPTY: return 0;
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) if (cstmts(c, s->stmts[i])) return -1;
        return 0;
    case S_DECL: {
        const TypeSpec *t = s->type;
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
        int op0 = c->nops, lo = c_int(c, s->lo), hi = lo < 0 ? -1 : c_int(c, s->hi);
        if (hi < 0 || map_find(c, s->slot) >= 0) return -1;
        int var = map_add(c, s->slot, 1);
        int at = c->nst;
        ScStmt *st = var < 0 ? NULL : new_st(c, SS_FOR);
        if (!st) return -1;
        st->op0 = op0;
        st->op1 = c->nops;
        st->dst = var;
        st->lo = lo;
        st->hi = hi;
        if (cstmts(c, s->body)) return -1;
        c->st[at].body0 = at + 1;       /* c->st may have moved */
        c->st[at].body1 = c->nst;
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
        if (l->ty.base != TB_REAL || !scalar_ty(l->ty)) { c->bad = 1; return; }   /* outer ints: not covered */
        if (map_find(c, l->slot) >= 0) return;
        ScProg *p = c->p;
        if (p->nbound == SC_MAXMAP) { c->bad = 1; return; }
        p->bslot[p->nbound] = l->slot;
        p->breg[p->nbound++] = map_add(c, l->slot, 0);
        return;
    }
    default: return;
    }
}

ScProg *sc_compile(const Stmt *s, Arena *a)
{
    if (s->kind != S_FOR) return NULL;
    ScProg tmp = {0};
    ScC c = {.p = &tmp};
    int decl[SC_MAXMAP], ndecl = 0;
    find_bound(&c, s->body, decl, &ndecl);
    tmp.loopvar = c.bad ? -1 : map_add(&c, s->slot, 1);
    int ok = !c.bad && tmp.loopvar >= 0 && cstmts(&c, s->body) == 0 && !c.bad;
    ScProg *p = NULL;
    if (ok) {
        p = arena_alloc(a, sizeof *p);
        *p = tmp;
        p->ops = arena_alloc(a, sizeof *p->ops * (size_t)(c.nops ? c.nops : 1));
        p->pre = arena_alloc(a, sizeof *p->pre * (size_t)(c.npre ? c.npre : 1));
        p->st = arena_alloc(a, sizeof *p->st * (size_t)(c.nst ? c.nst : 1));
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
            if (st->kind == SS_DIST)
                for (int i = 0; i < st->nargs; i++) if (!(st->argint >> i & 1)) p->fold[st->args[i]] = 1;
        }
        for (int k = 0; k < p->nops; k++)
            if (p->ops[k].op < SI_CONST) p->ops[k].flush = p->fold[p->ops[k].dst];
        for (int k = 0; k < p->nst; k++)
            if (p->st[k].kind == SS_SET) p->st[k].flush = p->fold[p->st[k].dst];
    }
    free(c.ops);
    free(c.pre);
    free(c.st);
    return p;
}

int sc_nops(const ScProg *p) { return p ? p->nops : 0; }

/* ---- execution ---- */

typedef struct ScRun {
    Ev *ev;
    const ScProg *p;
    double *rv, *racc;        /* real registers: value, d lp / d value not yet on the tape */
    int32_t *rid;             /* their tape variables, -1 for a constant */
    int *iv;                  /* int registers */
    Val *arr[SC_MAXARR];      /* the arrays, in the environment */
    long stride[SC_MAXARR][VM_MAXDIM];
    double ls_sigma, ls_log;  /* the last scale of a normal and its log (often a constant) */
    double lp;
    int32_t lpid;
    int lpused;               /* some partial of lp is on the tape */
    int bad;
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

/* result z of inputs a, b (registers or -1) with partials ga, gb into register dst */
static inline __attribute__((always_inline)) void sc_set2(ScRun *R, const ScOp *op, double z, int a, double ga, int b, double gb)
{
    int dst = op->dst;
    if (op->flush) sc_flush(R, dst);
    int32_t ia = a >= 0 ? R->rid[a] : -1, ib = b >= 0 ? R->rid[b] : -1;
    R->rv[dst] = z;
    if (ia < 0 && ib < 0) { R->rid[dst] = -1; return; }
    int32_t o = R->ev->nvars++;
    if (ia >= 0) sc_put(R->ev, ia, o, ga);
    if (ib >= 0) sc_put(R->ev, ib, o, gb);
    R->rid[dst] = o;
}

static inline long sc_offset(ScRun *R, int arr, int nidx, const int *ix)
{
    const Val *v = R->arr[arr];
    const int *iv = R->iv;
    if (nidx == 2) {                  /* gamma[t - 1, j]: the common case, unrolled */
        int i = iv[ix[0]], j = iv[ix[1]];
        if (i < 1 || i > v->dims[0] || j < 1 || j > v->dims[1]) { R->bad = 1; return 0; }
        return (long)(i - 1) * R->stride[arr][0] + (long)(j - 1) * R->stride[arr][1];
    }
    if (nidx == 1) {
        int i = iv[ix[0]];
        if (i < 1 || i > v->dims[0]) { R->bad = 1; return 0; }
        return (long)(i - 1) * R->stride[arr][0];
    }
    long off = 0;
    for (int d = 0; d < nidx; d++) {
        int i = R->iv[ix[d]];
        if (i < 1 || i > v->dims[d]) { R->bad = 1; return 0; }
        off += (long)(i - 1) * R->stride[arr][d];
    }
    return off;
}

/* density dist of registers args: value, partials g[k] (0 for int arguments) */
static double sc_density(ScRun *R, const Dist *dist, int n, const int *args, unsigned argint, double *g)
{
    double x[SC_MAXDARGS];
    int xi[SC_MAXDARGS];
    for (int k = 0; k < n; k++) {
        g[k] = 0;
        if (argint >> k & 1) { xi[k] = R->iv[args[k]]; x[k] = xi[k]; }
        else x[k] = R->rv[args[k]];
    }
    if (dist == &dist_normal) {       /* dist_normal.c's normal_lp, its checks inline */
        if (isnan(x[0]) || !isfinite(x[1]) || !(x[2] > 0) || !isfinite(x[2])) { R->bad = 1; return 0; }
        if (x[2] != R->ls_sigma) { R->ls_sigma = x[2]; R->ls_log = log(x[2]); }
        double ls = R->ls_log, is = 1 / x[2], z = (x[0] - x[1]) * is;
        g[0] = -z * is;
        g[1] = z * is;
        g[2] = (z * z - 1) * is;
        return -SC_LOG_SQRT_2PI - ls - 0.5 * z * z;
    }
    DArg da[SC_MAXDARGS];
    double *dp[SC_MAXDARGS];
    for (int k = 0; k < n; k++) {
        int isint = argint >> k & 1;
        da[k] = (DArg){.x = &x[k], .iv = isint ? &xi[k] : NULL, .stride = 1, .rows = 1, .cols = 1};
        dp[k] = isint || R->rid[args[k]] < 0 ? NULL : &g[k];
    }
    double out = 0;
    DistErr err;
    if (dist->lpdf(1, da, &out, dp, &err) != 0 || isnan(out)) { R->bad = 1; return 0; }
    return out;
}

static void sc_ops(ScRun *R, const ScOp *ops, int op0, int op1)
{
    double *rv = R->rv;
    int *iv = R->iv;
    for (int k = op0; k < op1; k++) {      /* an error returns at once */
        const ScOp *o = &ops[k];
        switch (o->op) {
        case SO_CONST: rv[o->dst] = o->v; R->rid[o->dst] = -1; break;
        case SO_VAR: {
            const Val *v = &R->ev->env[o->slot];
            if (v->n != 1 || (v->base != TB_REAL && v->base != TB_INT)) { R->bad = 1; return; }
            if (o->flush) sc_flush(R, o->dst);
            if (v->base == TB_INT) {
                if (v->iv[0] == INT_MIN) { R->bad = 1; return; }
                rv[o->dst] = v->iv[0];
                R->rid[o->dst] = -1;
            } else {
                rv[o->dst] = v->x[0];
                R->rid[o->dst] = v->id ? v->id[0] : -1;
            }
            break;
        }
        case SO_ELEM: {
            long off = sc_offset(R, o->arr, o->nidx, o->ix);
            if (R->bad) return;
            const Val *v = R->arr[o->arr];
            if (o->flush) sc_flush(R, o->dst);
            if (v->base == TB_INT) {
                if (v->iv[off] == INT_MIN) { R->bad = 1; return; }
                rv[o->dst] = v->iv[off];
                R->rid[o->dst] = -1;
            } else {
                rv[o->dst] = v->x[off];
                R->rid[o->dst] = v->id ? v->id[off] : -1;
            }
            break;
        }
        case SO_ELEM1: {              /* one index, plus a constant, into a 1-d array */
            const Val *v = R->arr[o->arr];
            long i = (long)iv[o->a] + o->iv;
            if (iv[o->a] == INT_MIN || i < 1 || i > v->dims[0]) { R->bad = 1; return; }
            if (o->flush) sc_flush(R, o->dst);
            if (v->base == TB_INT) {
                if (v->iv[i - 1] == INT_MIN) { R->bad = 1; return; }
                rv[o->dst] = v->iv[i - 1];
                R->rid[o->dst] = -1;
            } else {
                rv[o->dst] = v->x[i - 1];
                R->rid[o->dst] = v->id ? v->id[i - 1] : -1;
            }
            break;
        }
        case SI_ELEM1: {
            const Val *v = R->arr[o->arr];
            long i = (long)iv[o->a] + o->iv;
            if (iv[o->a] == INT_MIN || i < 1 || i > v->dims[0] || v->base != TB_INT || v->iv[i - 1] == INT_MIN) {
                R->bad = 1;
                return;
            }
            iv[o->dst] = v->iv[i - 1];
            break;
        }
        case SO_ITOR:
            if (iv[o->a] == INT_MIN) { R->bad = 1; return; }
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = iv[o->a];
            R->rid[o->dst] = -1;
            break;
        case SO_ADD: sc_set2(R, o, rv[o->a] + rv[o->b], o->a, 1, o->b, 1); break;
        case SO_SUB: sc_set2(R, o, rv[o->a] - rv[o->b], o->a, 1, o->b, -1); break;
        case SO_MUL: { double x = rv[o->a], y = rv[o->b]; sc_set2(R, o, x * y, o->a, y, o->b, x); break; }
        case SO_DIV: { double x = rv[o->a], y = rv[o->b], z = x / y; sc_set2(R, o, z, o->a, 1 / y, o->b, -z / y); break; }
        case SO_POW: {                /* ops.c's partials */
            double x = rv[o->a], y = rv[o->b], z = pow(x, y);
            double gx = y == 0 ? 0 : y * pow(x, y - 1);
            double gy = R->rid[o->b] >= 0 ? (x > 0 ? z * log(x) : (x == 0 ? 0 : NAN)) : 0;
            sc_set2(R, o, z, o->a, gx, o->b, gy);
            break;
        }
        case SO_NEG: sc_set2(R, o, -rv[o->a], o->a, -1, -1, 0); break;
        case SO_F1: {
            double g = 0, z = o->f->f1(rv[o->a], R->rid[o->a] >= 0 ? &g : NULL);
            sc_set2(R, o, z, o->a, g, -1, 0);
            break;
        }
        case SO_F2: {
            double ga = 0, gb = 0;
            double z = o->f->f2(rv[o->a], rv[o->b], R->rid[o->a] >= 0 ? &ga : NULL, R->rid[o->b] >= 0 ? &gb : NULL);
            sc_set2(R, o, z, o->a, ga, o->b, gb);
            break;
        }
        case SO_DIST: {
            double g[SC_MAXDARGS];
            double z = sc_density(R, o->dist, o->nidx, o->ix, o->argint, g);
            if (R->bad) return;
            if (o->flush) sc_flush(R, o->dst);
            int32_t out = -1;
            for (int a = 0; a < o->nidx; a++) {
                if (o->argint >> a & 1 || R->rid[o->ix[a]] < 0) continue;
                if (out < 0) out = R->ev->nvars++;
                sc_put(R->ev, R->rid[o->ix[a]], out, g[a]);
            }
            rv[o->dst] = z;
            R->rid[o->dst] = out;
            break;
        }
        case SO_LSE: {                /* builtins.c's b_log_sum_exp */
            const Val *v = R->arr[o->arr];
            if (o->flush) sc_flush(R, o->dst);
            R->rid[o->dst] = -1;
            if (v->base != TB_REAL) { R->bad = 1; return; }
            double m = -INFINITY;
            for (int i = 0; i < v->n; i++) if (v->x[i] > m) m = v->x[i];
            if (v->n == 0 || !isfinite(m)) { rv[o->dst] = m; break; }
            double s = 0, e[16];      /* the exponentials kept for the partials (short arrays) */
            for (int i = 0; i < v->n; i++) {
                double t = exp(v->x[i] - m);
                if (i < 16) e[i] = t;
                s += t;
            }
            double out = m + log(s);
            rv[o->dst] = out;
            if (v->id) {
                int32_t id = R->ev->nvars++;
                for (int i = 0; i < v->n; i++)
                    sc_put(R->ev, v->id[i], id, i < 16 ? e[i] / s : exp(v->x[i] - out));
                R->rid[o->dst] = id;
            }
            break;
        }
        case SI_CONST: iv[o->dst] = o->iv; break;
        case SI_VAR: {
            const Val *v = &R->ev->env[o->slot];
            if (v->base != TB_INT || v->n != 1 || v->iv[0] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = v->iv[0];
            break;
        }
        case SI_ELEM: {
            long off = sc_offset(R, o->arr, o->nidx, o->ix);
            if (R->bad) return;
            const Val *v = R->arr[o->arr];
            if (v->base != TB_INT || v->iv[off] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = v->iv[off];
            break;
        }
        default: {                    /* int arithmetic, ops.c's int_binop */
            long x = iv[o->a], y = o->op == SI_NEG ? 0 : iv[o->b], z;
            if (x == INT_MIN || y == INT_MIN) { R->bad = 1; return; }
            switch (o->op) {
            case SI_ADD: z = x + y; break;
            case SI_SUB: z = x - y; break;
            case SI_MUL: z = x * y; break;
            case SI_NEG: z = -x; break;
            default:
                if (y == 0) { R->bad = 1; return; }
                z = o->op == SI_MOD ? x % y : x / y;
                break;
            }
            if (z > INT_MAX || z < -INT_MAX) { R->bad = 1; return; }
            iv[o->dst] = (int)z;
            break;
        }
        }
    }
}

static void sc_stmts(ScRun *R, int s0, int s1)
{
    const ScStmt *st = R->p->st;
    for (int k = s0; k < s1 && !R->bad; k++) {
        const ScStmt *s = &st[k];
        sc_ops(R, R->p->ops, s->op0, s->op1);
        if (R->bad) return;
        switch (s->kind) {
        case SS_SET:
            if (s->dst != s->src) {
                if (s->flush) sc_flush(R, s->dst);
                R->rv[s->dst] = R->rv[s->src];
                R->rid[s->dst] = R->rid[s->src];
            }
            break;
        case SS_SETI: R->iv[s->dst] = R->iv[s->src]; break;
        case SS_STORE: {              /* index.c's set_scalar */
            long off = sc_offset(R, s->arr, s->nidx, s->ix);
            if (R->bad) return;
            Val *t = R->arr[s->arr];
            if (!t->id && R->rid[s->src] >= 0) {
                double *x = t->x;
                val_set_ids(R->ev, t);
                t->x = x;
            }
            t->x[off] = R->rv[s->src];
            if (t->id) t->id[off] = R->rid[s->src] >= 0 ? R->rid[s->src] : R->ev->nvars++;
            break;
        }
        case SS_LP:
            R->lp += R->rv[s->src];
            if (R->rid[s->src] >= 0) R->racc[s->src] += 1;
            break;
        case SS_DIST: {
            double g[SC_MAXDARGS];
            R->lp += sc_density(R, s->dist, s->nargs, s->args, s->argint, g);
            if (R->bad) return;
            for (int a = 0; a < s->nargs; a++)
                if (!(s->argint >> a & 1) && R->rid[s->args[a]] >= 0) R->racc[s->args[a]] += g[a];
            break;
        }
        case SS_FOR: {
            int lo = R->iv[s->lo], hi = R->iv[s->hi];
            if (lo == INT_MIN || hi == INT_MIN) { R->bad = 1; return; }
            for (long i = lo; i <= hi && !R->bad; i++) {
                R->iv[s->dst] = (int)i;
                sc_stmts(R, s->body0, s->body1);
            }
            k = s->body1 - 1;         /* the body ran above */
            break;
        }
        }
    }
}

int sc_loop(Ev *ev, const ScProg *p, const Stmt *s, int lo, int hi)
{
    (void)s;
    if (ev->vec_depth || hi < lo) return 0;
    ScRun *R = arena_alloc(&ev->arena, sizeof *R);
    R->ev = ev;
    R->p = p;
    R->bad = 0;
    R->lpused = 0;
    R->lp = 0;
    R->ls_sigma = NAN;                /* never equal: the first scale takes its log */
    /* the arrays: shapes checked, strides, and a copy of each one written (an undo
     * must leave the environment as it was) */
    Val saved[SC_MAXARR];
    for (int a = 0; a < p->narr; a++) {
        Val *v = &ev->env[p->aslot[a]];
        saved[a] = *v;
        if (v->ndim != p->andim[a] || (v->base == TB_REAL ? !v->x : v->base == TB_INT ? !v->iv : 1)) return 0;
        if (p->awrite[a] && v->base != TB_REAL) return 0;
        int c[VM_MAXDIM] = {0};
        for (int d = 0; d < v->ndim; d++) {
            c[d] = 1;
            R->stride[a][d] = v->dims[d] > 1 ? val_offset(v, c) : 0;
            c[d] = 0;
        }
        R->arr[a] = v;
    }
    for (int a = 0; a < p->narr; a++) {
        if (!p->awrite[a]) continue;
        Val *v = R->arr[a];
        size_t n = (size_t)(v->n ? v->n : 1);
        double *x = arena_alloc(&ev->arena, sizeof(double) * n);
        memcpy(x, v->x, sizeof(double) * (size_t)v->n);
        v->x = x;
        if (v->id) {
            int32_t *id = arena_alloc(&ev->arena, sizeof(int32_t) * n);
            memcpy(id, v->id, sizeof(int32_t) * (size_t)v->n);
            v->id = id;
        }
    }
    long nt = ev->nt;
    int32_t nvars = ev->nvars;
    size_t nr = (size_t)(p->nr ? p->nr : 1), ni = (size_t)(p->ni ? p->ni : 1);
    R->rv = arena_alloc(&ev->arena, sizeof(double) * nr);
    R->racc = arena_zalloc(&ev->arena, sizeof(double) * nr);
    R->rid = arena_alloc(&ev->arena, sizeof(int32_t) * nr);
    R->iv = arena_alloc(&ev->arena, sizeof(int) * ni);
    for (size_t i = 0; i < nr; i++) { R->rv[i] = NAN; R->rid[i] = -1; }
    for (size_t i = 0; i < ni; i++) R->iv[i] = INT_MIN;
    R->lpid = ev->nvars++;
    for (int b = 0; b < p->nbound; b++) {    /* outer scalars assigned in the body */
        const Val *v = &ev->env[p->bslot[b]];
        if (v->base != TB_REAL || v->n != 1 || v->ndim) R->bad = 1;
        else {
            R->rv[p->breg[b]] = v->x[0];
            R->rid[p->breg[b]] = v->id ? v->id[0] : -1;
        }
    }
    sc_ops(R, p->pre, 0, p->npre);           /* constants, outer scalars */
    for (long i = lo; i <= hi && !R->bad; i++) {
        R->iv[p->loopvar] = (int)i;
        sc_stmts(R, p->body0, p->body1);
    }
    if (!R->bad && !isnan(R->lp) && R->lp != INFINITY) {
        for (size_t r = 0; r < nr; r++) if (p->fold[r]) sc_flush(R, (int)r);
        for (int b = 0; b < p->nbound; b++) {
            Val v = val_real(ev, R->rv[p->breg[b]]);
            if (R->rid[p->breg[b]] >= 0) {
                v.id = arena_alloc(&ev->arena, sizeof(int32_t));
                v.id[0] = R->rid[p->breg[b]];
            }
            ev->env[p->bslot[b]] = v;
        }
        ev_add_term(ev, R->lp, R->lpused ? R->lpid : -1);
        ev->sc_runs++;
        return 1;
    }
    /* undo: the interpreter runs the loop and says what is wrong */
    ev->nt = nt;
    ev->nvars = nvars;
    for (int a = 0; a < p->narr; a++) *R->arr[a] = saved[a];
    return 0;
}
