/* Linear recurrences.  A loop whose body assigns one element of a few arrays per step,
 *     for (t in 2:T) { nu[t] = mu + phi * y[t - 1] + theta * err[t - 1];
 *                      err[t] = y[t] - nu[t]; }
 * where each right-hand side is a sum of terms, each a coefficient (a product of
 * scalars that no step changes: theta, -1, 0.5 * phi) times either an element of one
 * of the arrays, at t - c (c >= 1) or at t for an array assigned earlier in the step,
 * or an expression the vectoriser can take over the range (mu, phi * y[t - 1], y[t]),
 * is an affine map of the arrays' earlier elements.  Interpreted, or as a scalar
 * program, each step costs an operation and a tape variable per node; the hand-written
 * gradient is a forward loop and a backward one (ARMA: 9x the C as a program).
 *
 * Here the terms that are not elements are computed as vectors first (vecloop.c's
 * evaluation), then the forward loop runs the sums alone, and the whole loop enters
 * the tape as one callback: each assigned element gets a tape variable, and the
 * reverse pass walks the steps back, each element's adjoint going to the elements and
 * the terms it was made of and, times their values, to the coefficients' factors.
 *
 * Anything else (another kind of statement, an element read at an index that is not
 * t - c, a product of two elements, a division by an element) is not this shape; at
 * run time an index out of range, a coefficient that is not a scalar or a term that
 * fails leaves the loop to the next strategy, nothing changed. */
/* The passes over the steps (F, G, the adjoints as vectors) are element-wise loops that
 * the compiler takes two or four elements at a time when asked (-O2 does not): the
 * same numbers, as no addition is reordered (ARMA(1,1): 2.74 -> 2.55 us). */
#pragma GCC optimize("tree-vectorize")
#include <math.h>
#include <string.h>
#include "runtime/linrec.h"

#define LR_MAXEQ 8            /* arrays assigned per step */
#define LR_MAXT 16            /* terms of one right-hand side */
#define LR_MAXF 4             /* factors of one coefficient */

typedef struct LrTerm {
    int arr;                  /* the element of array arr at t - lag; -1: the expression e */
    int lag;
    const Expr *e;
    double sign;
    int nf;
    const Expr *f[LR_MAXF];   /* the coefficient: sign times their product */
} LrTerm;

typedef struct LrEq {
    int arr;                  /* the array assigned (index into aslot) */
    int nt;
    LrTerm t[LR_MAXT];
} LrEq;

struct LrProg {
    int slot;                 /* the loop variable */
    int neq;
    int aslot[LR_MAXEQ];      /* the arrays, in the order the body assigns them */
    int maxlag[LR_MAXEQ];     /* the largest lag each is read at */
    int state;                /* the one array read at t - 1 and at no larger lag, or -1 */
    int need_iv;              /* a term reads t itself (not only at an index t - c) */
    int keep;                 /* the reverse pass reads copies of the arrays and terms, made
                               * at each run; 0: their own storage (lr_settle) */
    LrEq eq[LR_MAXEQ];
};

int lr_neq(const LrProg *p) { return p->neq; }
int lr_keeps(const LrProg *p) { return p->keep; }

static int arr_of(const LrProg *p, int slot)
{
    for (int j = 0; j < p->neq; j++) if (p->aslot[j] == slot) return j;
    return -1;
}

/* e mentions one of the arrays (read before they are all known: up to n of them) */
static int mentions(const Expr *e, const int *slots, int n)
{
    if (!e) return 0;
    if (e->kind == E_VAR) { for (int j = 0; j < n; j++) if (slots[j] == e->slot) return 1; return 0; }
    for (int i = 0; i < e->nargs; i++) if (mentions(e->args[i], slots, n)) return 1;
    for (int i = 0; i < e->nidx; i++) if (mentions(e->idx[i].a, slots, n) || mentions(e->idx[i].b, slots, n)) return 1;
    return 0;
}

static int scalar_ty(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR; }

/* t - c, t (c = 0): 1 and *c */
static int lag_of(const Expr *e, int slot, int *c)
{
    if (e->kind == E_VAR && e->slot == slot) { *c = 0; return 1; }
    if (e->kind == E_BINOP && e->op == OP_SUB && e->args[0]->kind == E_VAR && e->args[0]->slot == slot
        && e->args[1]->kind == E_INT && e->args[1]->ival >= 1 && e->args[1]->ival <= 1000000) {
        *c = (int)e->args[1]->ival;
        return 1;
    }
    return 0;
}

typedef struct LrCtx { LrProg *p; int cur; const Expr *f[LR_MAXF]; int nf; } LrCtx;

/* e's coefficient side k of a product: no array, not the loop variable, a scalar */
static int coefficient(const LrProg *p, const Expr *k)
{
    int ls[1] = {p->slot};
    return scalar_ty(k->ty) && !mentions(k, p->aslot, p->neq) && !mentions(k, ls, 1);
}

/* e (times sign and the factors in c) into equation c->cur's terms: 0, or -1 when e is
 * not affine in the arrays' elements.  Sums and products by a coefficient are taken
 * apart even where no element is read (phi * y[t - 1]: phi a factor, y[t - 1] a term
 * of data), so that a parameter times data costs no tape variable per step. */
static int affine(LrCtx *c, const Expr *e, double sign)
{
    LrProg *p = c->p;
    LrEq *q = &p->eq[c->cur];
    if (e->kind == E_BINOP && scalar_ty(e->ty) && e->ty.base == TB_REAL) {
        if (e->op == OP_ADD || e->op == OP_SUB) {
            if (affine(c, e->args[0], sign)) return -1;
            return affine(c, e->args[1], e->op == OP_SUB ? -sign : sign);
        }
        if (e->op == OP_MUL && c->nf < LR_MAXF)
            for (int s = 0; s < 2; s++) {
                if (!coefficient(p, e->args[s])) continue;
                c->f[c->nf++] = e->args[s];
                int rc = affine(c, e->args[1 - s], sign);
                c->nf--;
                return rc;
            }
    }
    if (e->kind == E_UNOP && scalar_ty(e->ty) && e->ty.base == TB_REAL && (e->op == OP_NEG || e->op == OP_PLUS))
        return affine(c, e->args[0], e->op == OP_NEG ? -sign : sign);
    if (q->nt == LR_MAXT) return -1;
    if (!mentions(e, p->aslot, p->neq)) {           /* a term of its own, as a vector */
        if ((e->ty.base != TB_REAL && e->ty.base != TB_INT) || !scalar_ty(e->ty) || !vec_expr_ok(e, p->slot, &p->need_iv))
            return -1;
        q->t[q->nt++] = (LrTerm){.arr = -1, .e = e, .sign = sign, .nf = c->nf};
        memcpy(q->t[q->nt - 1].f, c->f, sizeof c->f);
        return 0;
    }
    if (e->kind != E_INDEX) return -1;              /* an element in a function, a product of two */
    const Expr *b = e->args[0];
    int j = b->kind == E_VAR ? arr_of(p, b->slot) : -1, lag;
    if (j < 0 || e->nidx != 1 || e->idx[0].kind != IX_SINGLE || !lag_of(e->idx[0].a, p->slot, &lag)) return -1;
    if (lag == 0) {                                  /* this step's: assigned before */
        int before = 0;
        for (int i = 0; i < c->cur; i++) before |= p->eq[i].arr == j;
        if (!before) return -1;
    }
    q->t[q->nt++] = (LrTerm){.arr = j, .lag = lag, .sign = sign, .nf = c->nf};
    memcpy(q->t[q->nt - 1].f, c->f, sizeof c->f);
    if (lag > p->maxlag[j]) p->maxlag[j] = lag;
    return 0;
}

/* a real 1-d array variable's type: vector, row vector, array of reals */
static int real_1d(Ty t)
{
    return t.base == TB_REAL && ((t.narr == 0 && (t.kind == TK_VECTOR || t.kind == TK_ROWVEC))
                                 || (t.narr == 1 && t.kind == TK_SCALAR));
}

LrProg *lr_compile(const Stmt *s, Arena *a)
{
    if (s->kind != S_FOR) return NULL;
    Stmt *const *st = &s->body;
    int n = 1;
    if (s->body->kind == S_BLOCK) { st = s->body->stmts; n = s->body->nstmts; }
    if (n < 1 || n > LR_MAXEQ) return NULL;
    LrProg p = {.slot = s->slot, .keep = 1};
    /* the arrays first: an element of one assigned later in the step is read at t - c */
    for (int i = 0; i < n; i++) {
        const Stmt *x = st[i];
        if (x->kind != S_ASSIGN || x->aop != (Op)-1) return NULL;
        const Expr *l = x->lhs;
        int lag;
        if (l->kind != E_INDEX || l->args[0]->kind != E_VAR || l->nidx != 1 || l->idx[0].kind != IX_SINGLE
            || !lag_of(l->idx[0].a, s->slot, &lag) || lag != 0 || !real_1d(l->args[0]->ty))
            return NULL;
        if (arr_of(&p, l->args[0]->slot) >= 0) return NULL;   /* one element of each array per step */
        p.aslot[p.neq] = l->args[0]->slot;
        p.eq[p.neq].arr = p.neq;
        p.neq++;
    }
    int nstate = 0;
    for (int i = 0; i < n; i++) {
        LrCtx c = {.p = &p, .cur = i};
        if (affine(&c, st[i]->rhs, 1)) return NULL;
        for (int k = 0; k < p.eq[i].nt; k++) nstate += p.eq[i].t[k].arr >= 0;
    }
    if (!nstate) return NULL;          /* no element feeds another: the vectoriser's, or none */
    /* one state: every element read at a lag is one array's at t - 1 (ARMA(1,1)'s err,
     * MA(1), a local level, exponential smoothing).  The step is then a first-order
     * filter of one scalar, which both passes keep in a register (lr_fwd1, lr_back1). */
    int nlagged = 0;
    p.state = -1;
    for (int j = 0; j < p.neq; j++) if (p.maxlag[j]) { nlagged++; p.state = j; }
    if (nlagged != 1 || p.maxlag[p.state] != 1) p.state = -1;
    LrProg *r = arena_alloc(a, sizeof *r);
    *r = p;
    return r;
}

/* slot's value is the same when the reverse pass reads it as when the loop at[at]
 * ran: data, a parameter, a loop variable, a function's argument, or a local declared
 * before the loop in its block that no later statement of the block assigns (a
 * local's storage is made anew each time its declaration runs, and the arena keeps it
 * until the next evaluation) */
static int settled(int slot, Stmt *const *st, int at, int n, const VarInfo *vars)
{
    const VarInfo *v = &vars[slot];
    if (v->is_loopvar || v->is_fnarg || v->kind == D_DATA || v->kind == D_PARAM) return 1;
    int declared = 0;
    for (int i = 0; i < at; i++) declared |= st[i] == v->decl;
    if (!declared) return 0;
    for (int i = at + 1; i < n; i++) if (ast_assigns(st[i], slot)) return 0;
    return 1;
}

static int expr_settled(const Expr *e, Stmt *const *st, int at, int n, const VarInfo *vars)
{
    if (!e) return 1;
    if (e->kind == E_VAR) return settled(e->slot, st, at, n, vars);
    for (int i = 0; i < e->nargs; i++) if (!expr_settled(e->args[i], st, at, n, vars)) return 0;
    for (int i = 0; i < e->nidx; i++)
        if (!expr_settled(e->idx[i].a, st, at, n, vars) || !expr_settled(e->idx[i].b, st, at, n, vars)) return 0;
    return 1;
}

void lr_settle(LrProg *p, Stmt *const *st, int at, int n, const VarInfo *vars)
{
    for (int j = 0; j < p->neq; j++) if (!settled(p->aslot[j], st, at, n, vars)) return;
    for (int i = 0; i < p->neq; i++)
        for (int k = 0; k < p->eq[i].nt; k++)
            if (p->eq[i].t[k].arr < 0 && !expr_settled(p->eq[i].t[k].e, st, at, n, vars)) return;
    p->keep = 0;
}

/* ---- a run ---- */

/* The elements' terms of p, compact (the two passes' inner loops): equation i's are
 * [e0[i], e0[i + 1]), each array j's element at t - lag times cv (from the run's
 * coefficients, one per term). */
typedef struct LrElems {
    int e0[LR_MAXEQ + 1], j[LR_MAXEQ * LR_MAXT], lag[LR_MAXEQ * LR_MAXT];
    double cv[LR_MAXEQ * LR_MAXT];
} LrElems;

/* A run: the reverse pass's payload.  Array i's element t (equation i assigns array i)
 * has tape variable base + i m + (t - lo): each array's elements in a row, so that the
 * reverse pass's sums and the adjoints seeded by a density of the array after the
 * loop (ARMA's err ~ normal) run over consecutive memory. */
typedef struct LrRun {
    const LrProg *p;
    int lo, hi, m;
    int32_t base;
    int nterm;
    double *cv;               /* per term (equation by equation): its coefficient */
    const double **px;        /* a term of its own: its values (m, or one), else NULL */
    const int32_t **pid;      /* their tape variables, or NULL */
    int *pst;                 /* 1, or 0 for a scalar */
    int *fk;                  /* its factors have tape variables */
    double *fv;               /* the factors' values, LR_MAXF per term */
    int32_t *fid;             /* their tape variables, -1 for constants */
    int off[LR_MAXEQ];        /* array j's first element kept (t = off[j]) */
    const double *sx[LR_MAXEQ];     /* its values t = off[j] .. hi */
    const int32_t *sid[LR_MAXEQ];   /* and tape variables */
    LrElems E;                /* the elements' terms, for both passes */
} LrRun;

static void lr_elems(const LrProg *p, const double *cv, LrElems *E)
{
    int ne = 0;
    for (int i = 0, kk = 0; i < p->neq; i++) {
        E->e0[i] = ne;
        for (int k = 0; k < p->eq[i].nt; k++, kk++) {
            const LrTerm *y = &p->eq[i].t[k];
            if (y->arr < 0) continue;
            E->j[ne] = y->arr;
            E->lag[ne] = y->lag;
            E->cv[ne++] = cv[kk];
        }
    }
    E->e0[p->neq] = ne;
}

/* sum over t < m of g[t] (times x[t]), in four sums: one would wait on each add */
static double sum_steps(const double *g, const double *x, int m)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int t = 0;
    if (x)
        for (; t + 4 <= m; t += 4) {
            s0 += g[t] * x[t];
            s1 += g[t + 1] * x[t + 1];
            s2 += g[t + 2] * x[t + 2];
            s3 += g[t + 3] * x[t + 3];
        }
    else
        for (; t + 4 <= m; t += 4) {
            s0 += g[t];
            s1 += g[t + 1];
            s2 += g[t + 2];
            s3 += g[t + 3];
        }
    for (; t < m; t++) s0 += x ? g[t] * x[t] : g[t];
    return (s0 + s1) + (s2 + s3);
}

/* The other terms and the coefficients' factors take their adjoints from the elements'
 * (final by then, at adj[base + i m + (t - lo)]) in passes over the steps. */
static void lr_back_terms(Ev *ev, const LrRun *r)
{
    const LrProg *p = r->p;
    double *adj = ev->adj;
    int neq = p->neq, lo = r->lo;
    for (int i = 0, kk = 0; i < neq; i++)
        for (int k = 0; k < p->eq[i].nt; k++, kk++) {
            const LrTerm *x = &p->eq[i].t[k];
            const double *g = adj + r->base + (long)i * r->m;   /* step t's adjoint: g[t - lo] */
            double cv = r->cv[kk], acc = 0;
            if (x->arr < 0) {
                const double *px = r->px[kk];
                const int32_t *pid = r->pid[kk];
                /* a scalar term: its adjoint is the steps' sum, whichever reads it */
                double sg = !r->pst[kk] && (pid || r->fk[kk]) ? sum_steps(g, NULL, r->m) : 0;
                if (pid && r->pst[kk]) {
                    for (int t = 0; t < r->m; t++) adj[pid[t]] += cv * g[t];
                } else if (pid) {
                    adj[pid[0]] += cv * sg;
                }
                if (r->fk[kk]) acc = r->pst[kk] ? sum_steps(g, px, r->m) : sg * px[0];
            } else if (r->fk[kk]) {
                const double *sx = r->sx[x->arr] + (lo - x->lag - r->off[x->arr]);   /* element t - lag */
                acc = sum_steps(g, sx, r->m);
            }
            if (!r->fk[kk]) continue;
            for (int f = 0; f < x->nf; f++) {         /* d/d f of sign * prod(f) * value */
                int32_t id = r->fid[kk * LR_MAXF + f];
                if (id < 0) continue;
                double d = x->sign;
                for (int h = 0; h < x->nf; h++) if (h != f) d *= r->fv[kk * LR_MAXF + h];
                adj[id] += acc * d;
            }
        }
}

/* The reverse pass.  Only the elements' terms chain one step to the next: they run
 * step by step, back from hi, then the other terms and the factors (lr_back_terms). */
static void lr_back(Ev *ev, void *payload)
{
    LrRun *r = payload;
    const LrProg *p = r->p;
    double *adj = ev->adj;
    int neq = p->neq, lo = r->lo, hi = r->hi;
    int32_t base = r->base;
    /* a step's adjoint goes to d[e] variables on, when the element is the run's */
    const LrElems *E = &r->E;
    long ed[LR_MAXEQ * LR_MAXT], m = r->m;
    for (int i = 0; i < neq; i++)
        for (int e = E->e0[i]; e < E->e0[i + 1]; e++) ed[e] = ((long)E->j[e] - i) * m - E->lag[e];
    for (int t = hi; t >= lo; t--) {
        double *gt = adj + base + (t - lo);     /* element i at gt[i m] */
        for (int i = neq - 1; i >= 0; i--) {
            double g = gt[i * m];
            if (g == 0) continue;
            for (int e = E->e0[i]; e < E->e0[i + 1]; e++) {
                int u = t - E->lag[e];
                if (u >= lo) gt[i * m + ed[e]] += g * E->cv[e];
                else adj[r->sid[E->j[e]][u - r->off[E->j[e]]]] += g * E->cv[e];
            }
        }
    }
    lr_back_terms(ev, r);
}

/* The forward pass of any number of states: step t's element i is F_i[t] plus its
 * elements' terms, read back from the arrays (xo, 1-based: element t at xo[t - 1]). */
static void lr_fwd(const LrProg *p, const LrElems *E, double *const *F, double *const *xo, int lo, int hi)
{
    int neq = p->neq;
    const double *ex[LR_MAXEQ * LR_MAXT];     /* step t reads ex[e][t + eoff[e]] */
    int eoff[LR_MAXEQ * LR_MAXT];
    for (int e = 0; e < E->e0[neq]; e++) { ex[e] = xo[E->j[e]]; eoff[e] = -E->lag[e] - 1; }
    for (int t = lo; t <= hi; t++)
        for (int i = 0; i < neq; i++) {
            double x = F[i][t - lo];
            for (int e = E->e0[i], e1 = E->e0[i + 1]; e < e1; e++) x += E->cv[e] * ex[e][t + eoff[e]];
            xo[i][t - 1] = x;
        }
}

/* The steps.  Four steps at a time the chain
 * is one multiply-add, s[t + 3] = H_4 + a^4 s[t - 1], where H_k = G[t + k - 1] +
 * a H_(k-1) does not wait on s; the states inside the block, H_k + a^k s[t - 1], do
 * not wait on each other.  One step at a time each waits on the one before: a
 * multiply and an add, about 8 cycles, where the four-step chain spends 2 per step.
 * The elements of the state's own array are those states. */
static inline __attribute__((always_inline)) void
fwd1_steps(int neq, int js, const double *a, double *const *F, double *const *x, int m)
{
    double s = x[js][-1], a1 = a[js], a2 = a1 * a1, a3 = a2 * a1, a4 = a2 * a2;
    const double *gs = F[js];
    int t = 0;
    for (; t + 4 <= m; t += 4) {
        double h2 = gs[t + 1] + a1 * gs[t], h3 = gs[t + 2] + a1 * h2, h4 = gs[t + 3] + a1 * h3;
        double s0 = s, s1 = gs[t] + a1 * s0, s2 = h2 + a2 * s0, s3 = h3 + a3 * s0;
        s = h4 + a4 * s0;
        for (int i = 0; i < neq; i++) {
            if (i == js) continue;
            x[i][t] = F[i][t] + a[i] * s0;
            x[i][t + 1] = F[i][t + 1] + a[i] * s1;
            x[i][t + 2] = F[i][t + 2] + a[i] * s2;
            x[i][t + 3] = F[i][t + 3] + a[i] * s3;
        }
        x[js][t] = s1;
        x[js][t + 1] = s2;
        x[js][t + 2] = s3;
        x[js][t + 3] = s;
    }
    for (; t < m; t++) {
        double sp = s;
        s = gs[t] + a1 * sp;
        for (int i = 0; i < neq; i++) x[i][t] = i == js ? s : F[i][t] + a[i] * sp;
    }
}

/* Its reverse: sigma' = W[t] + rho sigma, four steps at a time as the forward pass. */
static inline __attribute__((always_inline)) double
back1_steps(int neq, const double *b, const double *h, double rho, double *g, int m)
{
    double sig = 0, r2 = rho * rho, r3 = r2 * rho, r4 = r2 * r2;
    int t = m - 1;
    for (; t >= 3; t -= 4) {
        double w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        for (int k = 0; k < neq; k++) {
            const double *gk = g + (long)k * m + t;
            w0 += b[k] * gk[0];
            w1 += b[k] * gk[-1];
            w2 += b[k] * gk[-2];
            w3 += b[k] * gk[-3];
        }
        double q2 = w1 + rho * w0, q3 = w2 + rho * q2, q4 = w3 + rho * q3;
        double S = sig, sa = w0 + rho * S, sb = q2 + r2 * S, sc = q3 + r3 * S;
        sig = q4 + r4 * S;
        for (int k = 0; k < neq; k++) {
            double *gk = g + (long)k * m + t;
            gk[0] += h[k] * S;
            gk[-1] += h[k] * sa;
            gk[-2] += h[k] * sb;
            gk[-3] += h[k] * sc;
        }
    }
    for (; t >= 0; t--) {
        double w = 0;
        for (int k = 0; k < neq; k++) w += b[k] * g[(long)k * m + t];
        for (int k = 0; k < neq; k++) g[(long)k * m + t] += h[k] * sig;
        sig = w + rho * sig;
    }
    return sig;
}

/* One state s (p->state's element at t - 1).  Substituting each equation's elements of
 * this step (read only from equations before it) makes every element an affine
 * function of s: x_i[t] = G_i[t] + a_i s[t - 1], where G_i is the sum of F_i and the
 * earlier G_j times the coefficients, computed as vectors (in place of F).  The chain
 * from one step to the next is one multiply-add, s = G_s[t] + a_s s, held in a
 * register; the generic loop passes it through memory, an element at a time. */
static void lr_fwd1(const LrProg *p, const LrElems *E, double *const *F, double *const *xo, int lo, int m)
{
    int neq = p->neq, js = p->state;
    double a[LR_MAXEQ];
    for (int i = 0; i < neq; i++) {
        a[i] = 0;
        for (int e = E->e0[i]; e < E->e0[i + 1]; e++) {
            double c = E->cv[e];
            if (E->lag[e]) { a[i] += c; continue; }
            const double *gj = F[E->j[e]];
            double *gi = F[i];
            for (int t = 0; t < m; t++) gi[t] += c * gj[t];
            a[i] += c * a[E->j[e]];
        }
    }
    double *x[LR_MAXEQ];
    for (int i = 0; i < neq; i++) x[i] = xo[i] + lo - 1;
    switch (neq) {          /* the step's equations unrolled where there are few */
    case 1: fwd1_steps(1, js, a, F, x, m); break;
    case 2: fwd1_steps(2, js, a, F, x, m); break;
    case 3: fwd1_steps(3, js, a, F, x, m); break;
    default: fwd1_steps(neq, js, a, F, x, m); break;
    }
}

/* Its reverse pass.  With E_i[t] the adjoint of x_i[t] from outside the loop and from
 * the later equations of its step (as vectors, back through the equations), and
 * sigma the adjoint of s[t] from step t + 1, x_i[t]'s adjoint is E_i[t] + h_i sigma, and
 * the step before gets sigma' = sum_k b_k (E_k[t] + h_k sigma) = W[t] + rho sigma, with
 * b_k equation k's coefficients of s: again one multiply-add per step in a register. */
static void lr_back1(Ev *ev, void *payload)
{
    LrRun *r = payload;
    const LrProg *p = r->p;
    const LrElems *E = &r->E;
    int neq = p->neq, m = r->m, js = p->state;
    double *g = ev->adj + r->base, h[LR_MAXEQ], b[LR_MAXEQ], rho = 0;
    for (int i = 0; i < neq; i++) { h[i] = i == js; b[i] = 0; }
    for (int k = neq - 1; k >= 0; k--)
        for (int e = E->e0[k]; e < E->e0[k + 1]; e++) {
            double c = E->cv[e];
            if (E->lag[e]) { b[k] += c; continue; }
            int j = E->j[e];
            double *gj = g + (long)j * m;
            const double *gk = g + (long)k * m;
            for (int t = 0; t < m; t++) gj[t] += c * gk[t];
            h[j] += c * h[k];
        }
    for (int k = 0; k < neq; k++) rho += b[k] * h[k];
    double sig;
    switch (neq) {
    case 1: sig = back1_steps(1, b, h, rho, g, m); break;
    case 2: sig = back1_steps(2, b, h, rho, g, m); break;
    case 3: sig = back1_steps(3, b, h, rho, g, m); break;
    default: sig = back1_steps(neq, b, h, rho, g, m); break;
    }
    ev->adj[r->sid[js][r->lo - 1 - r->off[js]]] += sig;
    lr_back_terms(ev, r);
}

int lr_loop(Ev *ev, const LrProg *p, const Stmt *s, int lo, int hi)
{
    if (hi < lo || ev->vec_depth) return 0;
    int neq = p->neq, m = hi - lo + 1;
    Val *A[LR_MAXEQ];
    for (int j = 0; j < neq; j++) {
        A[j] = &ev->env[p->aslot[j]];
        if (A[j]->base != TB_REAL || !A[j]->x || A[j]->ndim != 1 || hi > A[j]->dims[0] || lo - p->maxlag[j] < 1)
            return 0;
    }
    TapeMark mark = tape_mark(ev);      /* what an undo restores */
    Val loopv = ev->env[s->slot];
    int nterm = 0;
    for (int i = 0; i < neq; i++) nterm += p->eq[i].nt;
    LrRun *r = arena_alloc(&ev->arena, sizeof *r);
    r->p = p;                         /* (a compound literal would clear E's 2 KB too) */
    r->lo = lo;
    r->hi = hi;
    r->m = m;
    r->nterm = nterm;
    r->base = 0;
    r->cv = arena_alloc(&ev->arena, sizeof(double) * (size_t)nterm);
    r->px = arena_zalloc(&ev->arena, sizeof(double *) * (size_t)nterm);
    r->pid = arena_zalloc(&ev->arena, sizeof(int32_t *) * (size_t)nterm);
    r->pst = arena_zalloc(&ev->arena, sizeof(int) * (size_t)nterm);
    r->fk = arena_zalloc(&ev->arena, sizeof(int) * (size_t)nterm);
    r->fv = arena_alloc(&ev->arena, sizeof(double) * (size_t)nterm * LR_MAXF);
    r->fid = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)nterm * LR_MAXF);
    int need = 0, ok = 1;
    /* the coefficients' factors, once */
    for (int i = 0, kk = 0; i < neq && ok; i++)
        for (int k = 0; k < p->eq[i].nt && ok; k++, kk++) {
            const LrTerm *x = &p->eq[i].t[k];
            double c = x->sign;
            for (int f = 0; f < x->nf; f++) {
                Val v = eval_expr(ev, x->f[f]);
                if (ev->fail || v.ndim || v.n != 1 || (v.base == TB_INT && v.iv[0] == INT32_MIN)) { ok = 0; break; }
                double fv = v.base == TB_INT ? v.iv[0] : v.x[0];
                r->fv[kk * LR_MAXF + f] = fv;
                r->fid[kk * LR_MAXF + f] = v.base == TB_REAL && v.id ? v.id[0] : -1;
                r->fk[kk] |= r->fid[kk * LR_MAXF + f] >= 0;
                c *= fv;
            }
            r->cv[kk] = c;
            need |= r->fk[kk];
        }
    /* the terms of their own, as vectors over lo..hi (vecloop.c's evaluation) */
    if (ok) {
        vec_enter(ev, s->slot, lo, hi, p->need_iv);
        for (int i = 0, kk = 0; i < neq && ok; i++)
            for (int k = 0; k < p->eq[i].nt && ok; k++, kk++) {
                const LrTerm *x = &p->eq[i].t[k];
                if (x->arr >= 0) continue;
                Val v = eval_expr(ev, x->e);
                if (ev->fail) { ok = 0; break; }
                v = val_to_real(ev, v);
                if (!(v.ndim == 0 && v.n == 1) && !(v.ndim == 1 && v.n == m)) { ok = 0; break; }
                /* kept when the reverse pass reads them (a factor with a tape variable):
                 * a view's variable may be assigned before it runs */
                if (r->fk[kk] && p->keep) {
                    double *vx = arena_alloc(&ev->arena, sizeof(double) * (size_t)v.n);
                    memcpy(vx, v.x, sizeof(double) * (size_t)v.n);
                    r->px[kk] = vx;
                } else r->px[kk] = v.x;
                r->pst[kk] = v.ndim == 1;
                if (v.id && p->keep) {
                    int32_t *id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)v.n);
                    memcpy(id, v.id, sizeof(int32_t) * (size_t)v.n);
                    r->pid[kk] = id;
                } else if (v.id) r->pid[kk] = v.id;
                need |= v.id != NULL;
            }
        vec_leave(ev, s->slot, loopv);
    }
    if (!ok) {                          /* the next strategy runs the loop, and says why */
        ev->fail = 0;
        ev->msg[0] = 0;
        tape_undo(ev, &mark);
        return 0;
    }
    for (int j = 0; j < neq; j++) need |= A[j]->id != NULL;
    /* the sum of each equation's terms of their own, as vectors (in the terms' order),
     * then the steps, each adding its elements' terms */
    double *F[LR_MAXEQ];
    for (int i = 0, kk = 0; i < neq; i++) {
        F[i] = NULL;
        double s0 = 0;                  /* the scalar terms before the first vector */
        int ns0 = 0;
        for (int k = 0; k < p->eq[i].nt; k++, kk++) {
            if (p->eq[i].t[k].arr >= 0) continue;
            const double *px = r->px[kk];
            double cv = r->cv[kk];
            if (!F[i] && !r->pst[kk]) {     /* each step would add the same numbers */
                s0 = ns0++ ? s0 + cv * px[0] : cv * px[0];
                continue;
            }
            if (!F[i]) {
                F[i] = arena_alloc(&ev->arena, sizeof(double) * (size_t)m);
                if (ns0) for (int t = 0; t < m; t++) F[i][t] = s0 + cv * px[t];
                else for (int t = 0; t < m; t++) F[i][t] = cv * px[t];
            } else if (r->pst[kk]) {
                for (int t = 0; t < m; t++) F[i][t] += cv * px[t];
            } else {
                for (int t = 0; t < m; t++) F[i][t] += cv * px[0];
            }
        }
        if (!F[i] && ns0) {
            F[i] = arena_alloc(&ev->arena, sizeof(double) * (size_t)m);
            for (int t = 0; t < m; t++) F[i][t] = s0;
        }
    }
    LrElems *E = &r->E;
    lr_elems(p, r->cv, E);
    double *xo[LR_MAXEQ];
    for (int i = 0; i < neq; i++) {
        xo[i] = A[i]->x;
        if (!F[i]) F[i] = arena_zalloc(&ev->arena, sizeof(double) * (size_t)m);
    }
    if (need) {                         /* the elements' tape variables (LrRun) */
        for (int j = 0; j < neq; j++) {
            Val *a = A[j];
            if (!a->id) {               /* the array becomes a tape value */
                double *x = a->x;
                val_set_ids(ev, a);
                a->x = x;
            }
        }
        r->base = tape_vars(ev, m * neq);
        for (int i = 0; i < neq; i++) {
            int32_t *o = A[i]->id + (lo - 1);
            for (int t = 0; t < m; t++) o[t] = r->base + i * m + t;
        }
    }
    if (p->state >= 0) lr_fwd1(p, E, F, xo, lo, m);
    else lr_fwd(p, E, F, xo, lo, hi);
    ev->lr_runs++;
    if (!need || ev->notape) return 1;  /* constants all: no tape variable */
    /* the values and tape variables the reverse pass reads, kept where later statements
     * may assign the arrays */
    for (int j = 0; j < neq; j++) {
        int off = lo - p->maxlag[j], len = hi - off + 1;
        r->off[j] = off;
        r->sx[j] = A[j]->x + off - 1;
        r->sid[j] = A[j]->id + off - 1;
        if (!p->keep) continue;
        double *sx = arena_alloc(&ev->arena, sizeof(double) * (size_t)len);
        int32_t *sid = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)len);
        memcpy(sx, r->sx[j], sizeof(double) * (size_t)len);
        memcpy(sid, r->sid[j], sizeof(int32_t) * (size_t)len);
        r->sx[j] = sx;
        r->sid[j] = sid;
    }
    tape_callback(ev, p->state >= 0 ? lr_back1 : lr_back, r);
    return 1;
}
