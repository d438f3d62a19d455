/* Scalar recurrences in forward mode.  A loop whose body is one element assignment
 *     for (t in lo:hi) x[t] = E;
 * where E reads earlier elements x[t - c] (c >= 1, a constant), scalars, data
 * elements indexed by t +- a constant, literals, + - * / ^, unary minus and math
 * functions, cannot run as vectors (each step needs the last), and interpreted it
 * costs a value and a tape node per operation per step (garch's sigma[t]: ~700 ns a
 * step).  Here each x[t] carries its derivatives with respect to the few scalars it
 * depends on (the parameters in E and the elements before lo that it reads), computed
 * along with its value by the chain rule, and enters the tape as one variable with one
 * partial per such scalar.  The gradient is the same (forward and reverse mode agree);
 * the work per step is the arithmetic.
 *
 * Anything else - another statement in the body, a vector-valued or int-valued
 * operation, an index that is not t +- c, a data element that is a parameter, more than
 * RC_MAXP scalars, an index out of range, a value that is not finite - leaves the loop
 * to the interpreter, which then says what is wrong in its own words.
 *
 * E's shape is compiled once at load into the plan (rec_compile): a postfix program
 * whose leaves name environment slots.  Each run binds them (bind: values, data
 * pointers, tape variables, range checks against this run's lo, hi and sizes) and runs
 * the program once per step.  Loops of the data phase, which run before the plan
 * exists, compile on the fly (rec_loop): once, at load. */
#include <limits.h>
#include <math.h>
#include <string.h>
#include "runtime/recur.h"
#include "stdlib/mathfn.h"
#include "stdlib/mathfn_impl.h"

#define RC_MAXP 16

/* E as a postfix program over a stack of values and tangents: compiled once per loop,
 * run once per step (a tree walk per step cost twice as much). */
enum { RO_CONST, RO_T, RO_SCALAR, RO_DATA, RO_PREV, RO_BIN, RO_NEG, RO_CALL1, RO_CALL2 };
#define RC_MAXOPS 64
#define RC_STACK RC_MAXOPS

/* An operation.  The compiled program holds kind, op, c, slot, f and a constant's v;
 * each run binds a copy's leaves (v, p, x, iv), so that the steps read one array. */
typedef struct RcOp {
    unsigned char kind, op;    /* 48 bytes in all, as before the slot was added */
    int c, p;                  /* c: the shift of x[t + c]; p: parameter index of a RO_SCALAR, or -1 */
    int slot;                  /* RO_SCALAR, RO_DATA, RO_PREV: the variable read */
    double v;                  /* RO_CONST, RO_SCALAR */
    const double *x;           /* RO_DATA: real data */
    const int *iv;             /* RO_DATA: int data */
    const MathFn *f;
} RcOp;

struct RcProg {
    int slot, xslot;           /* the loop variable; the variable assigned */
    int nops;
    RcOp ops[RC_MAXOPS];
};

long vm_rec_compiles;

typedef struct Rc {
    Ev *ev;
    int xslot;                 /* the variable assigned */
    int lo, hi, t;             /* the steps; the step being computed */
    int np;                    /* scalars differentiated against */
    int32_t pid[RC_MAXP];      /* their tape variables */
    double *xv, *xt;           /* values and tangents of x[lo..t - 1] */
} Rc;

/* t + c, c, or c + t with c an int literal: 1 and *c, or 0 */
static int shift_of(const Expr *e, int slot, int *c)
{
    if (e->kind == E_VAR && e->slot == slot) { *c = 0; return 1; }
    if (e->kind != E_BINOP || (e->op != OP_ADD && e->op != OP_SUB)) return 0;
    const Expr *a = e->args[0], *b = e->args[1];
    if (a->kind == E_VAR && a->slot == slot && b->kind == E_INT) {
        *c = (int)(e->op == OP_ADD ? b->ival : -b->ival);
        return 1;
    }
    if (e->op == OP_ADD && b->kind == E_VAR && b->slot == slot && a->kind == E_INT) {
        *c = (int)a->ival;
        return 1;
    }
    return 0;
}

static int real_scalar(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR && t.base == TB_REAL; }

/* Slot of the scalar with tape variable id among the differentiated ones, adding it
 * when add; -1 when absent (or too many). */
static int param_of(Rc *r, int32_t id, int add)
{
    for (int i = 0; i < r->np; i++) if (r->pid[i] == id) return i;
    if (!add || r->np == RC_MAXP) return -1;
    r->pid[r->np] = id;
    return r->np++;
}

/* Checks E's shape and compiles it (types and syntax only: nothing is read from an
 * environment).  -1: not a recurrence this file runs (the interpreter will). */
static int compile(RcProg *p, const Expr *e)
{
    if (p->nops == RC_MAXOPS) return -1;
    RcOp o = {.p = -1, .slot = -1};
    switch (e->kind) {
    case E_INT: o.kind = RO_CONST; o.v = (double)e->ival; break;
    case E_REAL: o.kind = RO_CONST; o.v = e->rval; break;
    case E_VAR:
        if (e->slot == p->slot) { o.kind = RO_T; break; }
        if (e->slot == p->xslot || e->ty.narr || e->ty.kind != TK_SCALAR) return -1;
        o.kind = RO_SCALAR;
        o.slot = e->slot;
        break;
    case E_INDEX: {
        const Expr *b = e->args[0];
        if (b->kind != E_VAR || e->nidx != 1 || e->idx[0].kind != IX_SINGLE) return -1;
        if (!shift_of(e->idx[0].a, p->slot, &o.c)) return -1;
        o.slot = b->slot;
        if (b->slot == p->xslot) {
            if (o.c > -1) return -1;                       /* only earlier elements */
            o.kind = RO_PREV;
            break;
        }
        if (e->ty.narr || e->ty.kind != TK_SCALAR) return -1;
        o.kind = RO_DATA;
        break;
    }
    case E_UNOP:
        if (!real_scalar(e->ty) || (e->op != OP_NEG && e->op != OP_PLUS)) return -1;
        if (compile(p, e->args[0])) return -1;
        if (e->op != OP_NEG) return 0;
        o.kind = RO_NEG;
        break;
    case E_BINOP:
        if (!real_scalar(e->ty)) return -1;
        if (e->op != OP_ADD && e->op != OP_SUB && e->op != OP_MUL && e->op != OP_DIV && e->op != OP_POW)
            return -1;
        if (compile(p, e->args[0]) || compile(p, e->args[1])) return -1;
        o.kind = RO_BIN;
        o.op = (unsigned char)e->op;
        break;
    case E_CALL: {
        if (e->fkind != FN_MATH || !real_scalar(e->ty)) return -1;
        o.f = e->fn;
        if ((o.f->arity != 1 && o.f->arity != 2) || o.f->int_valued || e->nargs != o.f->arity) return -1;
        for (int i = 0; i < e->nargs; i++) if (compile(p, e->args[i])) return -1;
        o.kind = o.f->arity == 1 ? RO_CALL1 : RO_CALL2;
        break;
    }
    default: return -1;
    }
    if (p->nops == RC_MAXOPS) return -1;
    p->ops[p->nops++] = o;
    return 0;
}

/* The leaves' values, data and tape variables from the environment, and the checks
 * that depend on them.  The scalars differentiated against are found here, in the
 * program's order, so that every tangent has r->np entries from the first step.
 * -1: the interpreter runs the loop. */
static int bind(Rc *r, const RcProg *p, RcOp *ops)
{
    Ev *ev = r->ev;
    memcpy(ops, p->ops, sizeof *ops * (size_t)p->nops);
    for (int i = 0; i < p->nops; i++) {
        RcOp *o = &ops[i];
        if (o->kind == RO_SCALAR) {
            const Val *x = &ev->env[o->slot];
            if (x->ndim || x->n != 1) return -1;
            o->v = x->base == TB_INT ? (x->iv[0] == INT_MIN ? NAN : x->iv[0]) : x->x[0];
            o->p = -1;
            if (x->base == TB_REAL && x->id && (o->p = param_of(r, x->id[0], 1)) < 0) return -1;
        } else if (o->kind == RO_DATA || o->kind == RO_PREV) {
            const Val *x = &ev->env[o->slot];
            /* out of range: the interpreter says so */
            if (x->ndim != 1 || r->lo + o->c < 1 || r->hi + o->c > x->n) return -1;
            if (o->kind == RO_PREV) {
                for (int j = r->lo + o->c; j < r->lo && x->id; j++)   /* x's start */
                    if (param_of(r, x->id[j - 1], 1) < 0) return -1;
                continue;
            }
            if (x->base == TB_REAL && x->id) return -1;        /* a parameter vector */
            o->x = x->base == TB_INT ? NULL : x->x;
            o->iv = x->base == TB_INT ? x->iv : NULL;
        }
    }
    return 0;
}

/* One step: x[t]'s value, its tangent in d[0..np).  The stack's tangents are live only
 * where k[] says so (a constant has none). */
static double run(Rc *r, const RcOp *ops, int nops, double *d)
{
    double sv[RC_STACK], st[RC_STACK][RC_MAXP];
    int sk[RC_STACK], top = 0, np = r->np;
    const Val *xv = &r->ev->env[r->xslot];
    for (int i = 0; i < nops; i++) {
        const RcOp *o = &ops[i];
        switch (o->kind) {
        case RO_CONST: sv[top] = o->v; sk[top++] = 0; break;
        case RO_T: sv[top] = r->t; sk[top++] = 0; break;
        case RO_SCALAR:
            sv[top] = o->v;
            sk[top] = o->p >= 0;
            if (o->p >= 0) { memset(st[top], 0, sizeof(double) * (size_t)np); st[top][o->p] = 1; }
            top++;
            break;
        case RO_DATA: {
            int j = r->t + o->c - 1;
            sv[top] = o->x ? o->x[j] : (o->iv[j] == INT_MIN ? NAN : o->iv[j]);
            sk[top++] = 0;
            break;
        }
        case RO_PREV: {
            int j = r->t + o->c;
            if (j >= r->lo) {
                sv[top] = r->xv[j - r->lo];
                sk[top] = np > 0;
                if (np) memcpy(st[top], r->xt + (size_t)(j - r->lo) * (size_t)np, sizeof(double) * (size_t)np);
            } else {                       /* x's start, before the loop */
                sv[top] = xv->x[j - 1];
                int q = xv->id ? param_of(r, xv->id[j - 1], 0) : -1;
                sk[top] = q >= 0;
                if (q >= 0) { memset(st[top], 0, sizeof(double) * (size_t)np); st[top][q] = 1; }
            }
            top++;
            break;
        }
        case RO_NEG:
            sv[top - 1] = -sv[top - 1];
            if (sk[top - 1]) for (int k = 0; k < np; k++) st[top - 1][k] = -st[top - 1][k];
            break;
        case RO_BIN: case RO_CALL2: case RO_CALL1: {
            int unary = o->kind == RO_CALL1;
            int ia = unary ? top - 1 : top - 2, ib = top - 1;
            double x = sv[ia], y = unary ? 0 : sv[ib], z, gx = 0, gy = 0;
            int kx = sk[ia], ky = !unary && sk[ib];
            if (o->kind == RO_CALL1) z = o->f->f1(x, kx ? &gx : NULL);
            else if (o->kind == RO_CALL2) z = o->f->f2(x, y, kx ? &gx : NULL, ky ? &gy : NULL);
            else switch (o->op) {          /* the interpreter's partials (ops.c) */
                case OP_ADD: z = x + y; gx = 1; gy = 1; break;
                case OP_SUB: z = x - y; gx = 1; gy = -1; break;
                case OP_MUL: z = x * y; gx = y; gy = x; break;
                case OP_DIV: z = x / y; gx = 1 / y; gy = -z / y; break;
                default:
                    z = pow(x, y);
                    gx = y == 0 ? 0 : y * pow(x, y - 1);
                    gy = ky ? (x > 0 ? z * log(x) : (x == 0 ? 0 : NAN)) : 0;
                    break;
                }
            double *da = st[ia];
            if (kx && ky) for (int k = 0; k < np; k++) da[k] = gx * da[k] + gy * st[ib][k];
            else if (kx) for (int k = 0; k < np; k++) da[k] = gx * da[k];
            else if (ky) for (int k = 0; k < np; k++) da[k] = gy * st[ib][k];
            sv[ia] = z;
            sk[ia] = kx || ky;
            top = ia + 1;
            break;
        }
        }
    }
    if (sk[0]) memcpy(d, st[0], sizeof(double) * (size_t)np);
    else memset(d, 0, sizeof(double) * (size_t)np);
    return sv[0];
}

/* The assignment x[t] = E that is s's body, or NULL if s is not of that shape. */
static const Stmt *rec_body(const Stmt *s)
{
    if (s->kind != S_FOR) return NULL;
    const Stmt *a = s->body;
    while (a->kind == S_BLOCK && a->nstmts == 1) a = a->stmts[0];
    if (a->kind != S_ASSIGN || a->aop != (Op)-1) return NULL;
    const Expr *l = a->lhs;
    if (l->kind != E_INDEX || l->nidx != 1 || l->idx[0].kind != IX_SINGLE || l->args[0]->kind != E_VAR) return NULL;
    const Expr *li = l->idx[0].a;
    return li->kind == E_VAR && li->slot == s->slot && real_scalar(l->ty) ? a : NULL;
}

/* s's program into p: 0, or -1 if s is not a recurrence this file runs. */
static int compile_loop(const Stmt *s, RcProg *p)
{
    const Stmt *a = rec_body(s);
    if (!a) return -1;
    __atomic_add_fetch(&vm_rec_compiles, 1, __ATOMIC_RELAXED);
    p->slot = s->slot;
    p->xslot = a->lhs->args[0]->slot;
    p->nops = 0;
    return compile(p, a->rhs);
}

RcProg *rec_compile(const Stmt *s, Arena *a)
{
    RcProg p;
    if (compile_loop(s, &p)) return NULL;
    RcProg *q = arena_alloc(a, sizeof *q);
    *q = p;
    return q;
}

int rec_loop_planned(Ev *ev, const RcProg *p, int lo, int hi)
{
    if (ev->vec_depth || hi - lo < 3) return 0;
    Val *x = &ev->env[p->xslot];
    if (x->ndim != 1 || x->base != TB_REAL || !x->x || lo < 1 || hi > x->n) return 0;
    int n = hi - lo + 1;
    RcOp ops[RC_MAXOPS];
    Rc r = {.ev = ev, .xslot = p->xslot, .lo = lo, .hi = hi};
    if (bind(&r, p, ops)) return 0;
    size_t np = (size_t)r.np;
    r.xv = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
    r.xt = arena_alloc(&ev->arena, sizeof(double) * (size_t)n * (np ? np : 1));
    for (int t = lo; t <= hi; t++) {
        r.t = t;
        double *d = r.xt + (size_t)(t - lo) * np, v = run(&r, ops, p->nops, d);
        if (!isfinite(v)) return 0;
        for (size_t i = 0; i < np; i++) if (!isfinite(d[i])) return 0;
        r.xv[t - lo] = v;
    }
    /* commit: x[lo..hi] become tape variables with one partial per scalar */
    if (r.np && !x->id) {
        double *keep = x->x;
        val_set_ids(ev, x);          /* the other elements: constants */
        x->x = keep;
    }
    /* x already on the tape with constant steps: new variables without partials, as
     * the interpreter would make */
    int32_t b = x->id ? tape_vars(ev, n) : -1;
    if (r.np) tape_reserve(ev, (long)n * r.np);
    for (int t = lo; t <= hi; t++) {
        x->x[t - 1] = r.xv[t - lo];
        if (!x->id) continue;
        int32_t o = b + (t - lo);
        x->id[t - 1] = o;
        const double *d = r.xt + (size_t)(t - lo) * np;
        for (int i = 0; i < r.np; i++) if (d[i] != 0) tape_put(ev, r.pid[i], o, d[i]);
    }
    ev->rec_runs++;
    return 1;
}

/* Without a plan (the data phase, at load): compiled here, once per run of the loop. */
int rec_loop(Ev *ev, const Stmt *s, int lo, int hi)
{
    if (ev->vec_depth || hi - lo < 3 || !rec_body(s)) return 0;
    RcProg p;
    return compile_loop(s, &p) ? 0 : rec_loop_planned(ev, &p, lo, hi);
}
