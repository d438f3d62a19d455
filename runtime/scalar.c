/* Running a scalar program (scalar.h; compiled by scalar_compile.c).  The program is
 * one flat code (scalar_int.h): each statement's straight-line operations, then its
 * action (set a local, store an array element, add to the log density) as an
 * operation of its own; loops and ifs are jumps.  sc_run runs a whole loop in one call.
 *
 * Covered: scalar real and int locals declared in the body; assignments (= and the
 * compound ones) to them, to scalar variables declared outside, and to elements of
 * real arrays, vectors and matrices declared outside, indexed by ints; local vectors,
 * row vectors and arrays of reals declared in the body (SS_ALLOC), their values and
 * whole assignments computed element by element (a whole 1-d array, a row x[i] of a
 * matrix, scalars, rep_vector, + - .* ./ and scaling, unary minus, math functions of
 * one argument); `~` and `target +=` of a scalar; nested for loops and while loops;
 * if/else on an int condition (comparisons, !, && and ||, also as values); conditional
 * expressions c ? a : b (only the branch chosen runs); int + - * / %; real + - * / ^
 * and unary minus; math functions of one, two or three arguments (log_mix);
 * univariate *_lpdf / *_lpmf of scalars, categorical_logit of a vector or a row, and
 * any density whose arguments include 1-d views or whole matrices (SO_DISTA);
 * the dot product of two 1-d views, and log_sum_exp and sum of one (a whole vector, a
 * row x[n], a slice y[a:b] or a segment of either; x[n] * beta, dot_product,
 * transposes); calls of user-defined functions, inlined (scalar_compile.c's cinline).
 * Everything else (slices in element-wise values, containers passed to functions
 * other than as views, matrices as values, ...) leaves the loop to the interpreter.
 *
 * The partials are the interpreter's (ops.c, the stdlib kernels, builtins.c), so the
 * gradient is the interpreter's up to the order of the additions. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar_run.h"
#include "runtime/model.h"
#include "runtime/interrupt.h"

/* result z of inputs a, b (registers or -1) with partials ga, gb into register dst */
static inline __attribute__((always_inline)) void sc_set2(ScRun *R, const ScOp *op, double z, int a, double ga, int b, double gb)
{
    int dst = op->dst;
    if (op->flush) sc_flush(R, dst);
    int32_t ia = a >= 0 ? R->rid[a] : -1, ib = b >= 0 ? R->rid[b] : -1;
    R->rv[dst] = z;
    if ((ia & ib) < 0) { R->rid[dst] = -1; return; }     /* both constants */
    Ev *ev = R->ev;
    int32_t o = ev->nvars++;
    R->rid[dst] = o;
    if (ev->notape) return;
    /* one capacity check for both triples, the tape's end kept in a register */
    if (ev->nt + 2 > ev->capt) tape_reserve(ev, 256);
    long t = ev->nt;
    int32_t *tin = ev->tin, *tout = ev->tout;
    double *td = ev->td;
    if (ia >= 0) { tin[t] = ia; tout[t] = o; td[t] = ga; t++; }
    if (ib >= 0) { tin[t] = ib; tout[t] = o; td[t] = gb; t++; }
    ev->nt = t;
}

/* result z of registers a, b, c with partials ga, gb, gc into register dst (its flush
 * done by the caller): one tape variable, a triple per input on the tape */
static inline __attribute__((always_inline)) void sc_set3(ScRun *R, int dst, double z, int a, double ga, int b,
                                                          double gb, int c, double gc)
{
    int32_t *rid = R->rid, ia = rid[a], ib = rid[b], ic = rid[c];
    R->rv[dst] = z;
    if ((ia & ib & ic) < 0) { rid[dst] = -1; return; }
    Ev *ev = R->ev;
    int32_t out = ev->nvars++;
    rid[dst] = out;
    if (ev->notape) return;
    if (ev->nt + 3 > ev->capt) tape_reserve(ev, 256);
    long t = ev->nt;
    if (ia >= 0) { ev->tin[t] = ia; ev->tout[t] = out; ev->td[t] = ga; t++; }
    if (ib >= 0) { ev->tin[t] = ib; ev->tout[t] = out; ev->td[t] = gb; t++; }
    if (ic >= 0) { ev->tin[t] = ic; ev->tout[t] = out; ev->td[t] = gc; t++; }
    ev->nt = t;
}

/* n triples (ids[k * si], out, d[k * sd]) at t, the room reserved: the tape's arrays in
 * locals that nothing else writes (through ev, every store would reload them) */
static inline void sc_put_view(Ev *ev, long t, int32_t out, const int32_t *ids, long si, const double *d, long sd, int n)
{
    int32_t *restrict ti = ev->tin + t, *restrict to = ev->tout + t;
    double *restrict td = ev->td + t;
    if (si == 1 && sd == 1)
        for (int k = 0; k < n; k++) { ti[k] = ids[k]; to[k] = out; td[k] = d[k]; }
    else if (si == 1)                 /* a vector's variables, a matrix row's values */
        for (int k = 0; k < n; k++, d += sd) { ti[k] = ids[k]; to[k] = out; td[k] = *d; }
    else
        for (int k = 0; k < n; k++, ids += si, d += sd) { ti[k] = *ids; to[k] = out; td[k] = *d; }
}

/* x op y for a comparison Op, as ops.c: 0 or 1 (a NaN compares false, but for !=) */
static inline int sc_cmp(int op, double x, double y)
{
    switch (op) {
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    case OP_GE: return x >= y;
    case OP_EQ: return x == y;
    default: return x != y;
    }
}

static inline long sc_offset(ScRun *R, int arr, int nidx, const int *ix)
{
    const Val *v = R->arr[arr];
    const int *iv = R->iv;
    if (nidx == 2) {                  /* gamma[t - 1, j]: the common case, unrolled */
        int i = iv[ix[0]], j = iv[ix[1]];
        if ((unsigned)i - 1u >= (unsigned)v->dims[0] || (unsigned)j - 1u >= (unsigned)v->dims[1]) { R->bad = 1; return 0; }
        return (long)(i - 1) * R->stride[arr][0] + (long)(j - 1) * R->stride[arr][1];
    }
    if (nidx == 1) {
        int i = iv[ix[0]];
        if ((unsigned)i - 1u >= (unsigned)v->dims[0]) { R->bad = 1; return 0; }
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

/* Array entry arr (t) is given tape variables, each element its own: as val_set_ids
 * does, but a local's (SS_ALLOC) as many as its storage holds, so that a later, larger
 * declaration within it keeps them */
static void sc_ids(ScRun *R, int arr, Val *t)
{
    if (!R->p->alocal[arr]) {
        double *x = t->x;
        val_set_ids(R->ev, t);
        t->x = x;
        return;
    }
    int n = R->acap[arr];
    t->id = arena_alloc(&R->ev->arena, sizeof(int32_t) * (size_t)(n ? n : 1));
    for (int k = 0; k < n; k++) t->id[k] = R->ev->nvars++;
}

/* View v (scalar_int.h) of the run's arrays: its length (-1 and R->bad when a row or
 * the range is out of bounds, as index.c and segment() would say), the offset of its
 * first element and the step between elements. */
static inline int sc_view(ScRun *R, ScView v, long *off, long *step)
{
    const Val *x = R->arr[v.arr];
    int n;
    if (v.row < 0) { *off = 0; *step = R->stride[v.arr][0]; n = x->dims[0]; }
    else {
        int i = R->iv[v.row];
        if ((unsigned)i - 1u >= (unsigned)x->dims[0]) { R->bad = 1; return -1; }
        *off = (long)(i - 1) * R->stride[v.arr][0];
        *step = R->stride[v.arr][1];
        n = x->dims[1];
    }
    if (v.kind == VW_ALL) return n;
    long lo = v.ra >= 0 ? R->iv[v.ra] : 1, len;
    if (v.kind == VW_SEG) {
        len = R->iv[v.rb];
        if (lo == INT_MIN || len < 0 || lo < 1 || lo - 1 + len > n) { R->bad = 1; return -1; }
    } else {
        long hi = v.rb >= 0 ? R->iv[v.rb] : n;
        if (lo == INT_MIN || hi == INT_MIN) { R->bad = 1; return -1; }
        len = hi >= lo ? hi - lo + 1 : 0;
        if (len > 0 && (lo < 1 || hi > n)) { R->bad = 1; return -1; }
    }
    if (len > 0) *off += (lo - 1) * *step;
    return (int)len;
}


/* A normal statement's (SS_DISTV) location and scale, checked (else R->bad and 0), and
 * the scale's cache entry.  These three are sc_distv's and SX_NSTAT's, inlined into
 * the dispatch loop (as calls they cost nested3 7% more instructions). */
static inline __attribute__((always_inline)) int
sc_normal_args(ScRun *R, const ScStmt *s, double *mu, int *ce)
{
    double m = R->rv[s->args[1]], sg = R->rv[s->args[2]];
    if (!isfinite(m) || !(sg > 0) || !isfinite(sg)) { R->bad = 1; return 0; }
    *mu = m;
    *ce = sc_scale_entry(R, sg);
    return 1;
}

/* n values of a normal whose z = (x - mu) / sigma sum to sz and square-sum to szz:
 * the term into lp, its partials in mu and sigma into their registers' */
static inline __attribute__((always_inline)) void
sc_normal_sums(ScRun *R, const ScStmt *s, int n, int ce, double sz, double szz)
{
    if (!isfinite(szz)) { R->bad = 1; return; }   /* the interpreter says why */
    double is = R->ls_inv[ce];
    R->lp += -n * (SC_LOG_SQRT_2PI + R->ls_log[ce]) - 0.5 * szz;
    if (R->rid[s->args[1]] >= 0) R->racc[s->args[1]] += sz * is;
    if (R->rid[s->args[2]] >= 0) R->racc[s->args[2]] += (szz - n) * is;
}

/* Data row `row` of n values from its statistics (sc_data_stats): sum (y - mu)^2 =
 * SS + n (mean - mu)^2 */
static inline __attribute__((always_inline)) void
sc_normal_row(ScRun *R, const ScStmt *s, long row, int n)
{
    double mu;
    int ce;
    if (!sc_normal_args(R, s, &mu, &ce)) return;
    const double *ms = s->nstat + 2 * row;
    double is = R->ls_inv[ce], d = (ms[0] - mu) * is;
    sc_normal_sums(R, s, n, ce, n * d, ms[1] * is * is + n * (d * d));
}


/* poisson_lpmf(k | lam), dist_poisson.c's lp1 (its checks, its value and partial in
 * *g), log(lam) from the cache of scale logs (a rate shared by many terms) */
static inline double sc_poisson(ScRun *R, int k, double lam, double *g)
{
    if (!(lam >= 0) || k < 0) { R->bad = 1; return 0; }   /* an unset k (INT_MIN) too */
    double n = k;
    *g = (n > 0 ? n / lam : 0.0) - 1.0;
    if (lam == INFINITY) return -INFINITY;
    return (n > 0 ? n * sc_log_scale(R, lam) : 0.0) - lam - mf_lfact(n);
}

/* bernoulli_logit_lpmf(k | a), dist_bernoulli.c's lp1 (its checks, value, partial) */
static inline double sc_bernoulli_logit(ScRun *R, int k, double a, double *g)
{
    if (isnan(a) || (k != 0 && k != 1)) { R->bad = 1; return 0; }
    *g = k == 1 ? mf_inv_logit(-a, NULL) : -mf_inv_logit(a, NULL);
    return k == 1 ? mf_log_inv_logit(a, NULL) : mf_log1m_inv_logit(a, NULL);
}

/* an inline family of an int and a real (ScOp.iv 2, 3) */
static inline double sc_ir(ScRun *R, int fam, int k, double x, double *g)
{
    return fam == 2 ? sc_poisson(R, k, x, g) : sc_bernoulli_logit(R, k, x, g);
}

static double sc_density(ScRun *R, const Dist *dist, DistFn fn, int n, const int *args, unsigned argint, double *g)
{
    double x[SC_MAXDARGS];
    int xi[SC_MAXDARGS];
    unsigned want = 0;                /* the real arguments on the tape */
    for (int k = 0; k < n; k++) {
        g[k] = 0;
        if (argint >> k & 1) { xi[k] = R->iv[args[k]]; x[k] = xi[k]; }
        else {
            x[k] = R->rv[args[k]];
            if (R->rid[args[k]] >= 0) want |= 1u << k;
        }
    }
    if (dist == &dist_normal && fn == dist_normal.lpdf) return sc_normal(R, x[0], x[1], x[2], g);
    if (fn == dist->lpdf && dist->lp1) {  /* the family's scalar entry point: no DArg, no loop */
        double out;               /* g has room: a program's densities have n <= SC_MAXDARGS */
        DistErr err;
        if (dist->lp1(x, want, &out, g, &err) != 0 || isnan(out)) { R->bad = 1; return 0; }
        return out;
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
    if (fn(1, da, &out, dp, &err) != 0 || isnan(out)) { R->bad = 1; return 0; }
    return out;
}

/* log_sum_exp of x[0], x[st], ... (n of them), builtins.c's b_log_sum_exp: its value;
 * with finite, R->bad unless every element is finite (categorical_logit).  *con is set
 * when the value is a constant (no element, or none finite: no partials); else, when
 * w is not NULL, w[i] is element i's partial for i < SC_LSE_KEEP (the others' are
 * exp(x[i] - value)).  The one arithmetic of sc_lse_body and of the fused sum (SX_VLSE):
 * the same bits from both. */
#define SC_LSE_KEEP 16
static inline __attribute__((always_inline)) double sc_lse_val(ScRun *R, const double *x, int n, long st, int finite,
                                                               double *w, int *con)
{
    *con = 0;
    if (n == 2 && isfinite(x[0]) && isfinite(x[st])) {
        /* two (an HMM of two states): max + log1p(exp(min - max)), the weights from that
         * exp; the same value as the general case's max + log(1 + e) but for rounding */
        double a = x[0], b = x[st], m = a > b ? a : b, e = exp(-fabs(a - b)), out = m + log1p(e);
        if (w) {
            double big = 1 / (1 + e), small = e * big;
            w[0] = a >= b ? big : small;
            w[1] = a >= b ? small : big;
        }
        return out;
    }
    double m = -INFINITY;
    int im = 0;
    for (int i = 0; i < n; i++) if (x[i * st] > m) { m = x[i * st]; im = i; }
    if (finite)
        for (int i = 0; i < n; i++) if (!isfinite(x[i * st])) { R->bad = 1; return 0; }
    if (n == 0 || !isfinite(m)) { *con = 1; return m; }
    double s = 0, e[SC_LSE_KEEP];     /* the exponentials kept for the partials (short views) */
    for (int i = 0; i < n; i++) {
        double t = i == im ? 1.0 : exp(x[i * st] - m);   /* exp(0) is 1 exactly: no call */
        if (i < SC_LSE_KEEP) e[i] = t;
        s += t;
    }
    if (w) for (int i = 0; i < n && i < SC_LSE_KEEP; i++) w[i] = e[i] / s;
    return m + log(s);
}

/* sc_lse_val with a tape variable in *id when ids (the elements' tape variables) is
 * not NULL.  Written once and instantiated with st 1 (an HMM's acc: no multiplies). */
static inline __attribute__((always_inline)) double sc_lse_body(ScRun *R, const double *x, const int32_t *ids, int n,
                                                                long st, int finite, int32_t *id)
{
    double w[SC_LSE_KEEP];
    int con;
    double out = sc_lse_val(R, x, n, st, finite, ids ? w : NULL, &con);
    if (R->bad || con || !ids) return out;
    Ev *ev = R->ev;
    *id = ev->nvars++;
    if (ev->notape) return out;
    if (ev->nt + n > ev->capt) tape_reserve(ev, n);     /* one capacity check for the view's triples */
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt, o = *id;
    double *restrict td = ev->td + ev->nt;
    if (n == 2) {                     /* two (an HMM's acc): written out */
        ti[0] = ids[0]; to[0] = o; td[0] = w[0];
        ti[1] = ids[st]; to[1] = o; td[1] = w[1];
    } else
        for (int i = 0; i < n; i++) {
            ti[i] = ids[i * st];
            to[i] = o;
            td[i] = i < SC_LSE_KEEP ? w[i] : exp(x[i * st] - out);
        }
    ev->nt += n;
    return out;
}

static double sc_lse(ScRun *R, const double *x, const int32_t *ids, int n, int finite, int32_t *id)
{
    return sc_lse_body(R, x, ids, n, 1, finite, id);
}

static double sc_lse_strided(ScRun *R, const double *x, const int32_t *ids, int n, long st, int finite, int32_t *id)
{
    return sc_lse_body(R, x, ids, n, st, finite, id);
}

static void sc_distv(ScRun *R, const ScStmt *s);
static void sc_action(ScRun *R, const ScStmt *s);
static int sc_vlse(ScRun *R, const ScOp *o);

/* The memo entry of operation m (scalar_memo.c) for its inputs' tape variables, put
 * in *ka and *kb (-1 for SO_F1's second); NULL when an input is a constant (no key) */
static inline ScMemoEnt *sc_memo_ent(ScRun *R, const ScOp *m, int32_t *ka, int32_t *kb)
{
    *ka = R->rid[m->a];
    *kb = m->op == SO_F1 ? -1 : R->rid[m->b];
    if (*ka < 0 || (*kb < 0 && m->op != SO_F1)) return NULL;
    return &R->memo[(size_t)(m->memo - 1) * SC_MEMO + (((uint32_t)*ka ^ (uint32_t)*kb * 0x9e3779b1u) & (SC_MEMO - 1))];
}

/* SO_DISTA (scalar_int.h): the arguments gathered as call.c's gather does (a view of a
 * vectorisable real gives the replicates, a vector's or a simplex's is one value, a
 * matrix is column-major), one kernel call, a triple per element on the tape.  A
 * strided view (a row of a matrix) is copied into the run's scratch, which also holds
 * the partials; it grows from the arena and is kept for the next iteration. */
static void sc_dista(ScRun *R, const ScOp *o)
{
    int n = o->nidx, len[SC_MAXDARGS], nrep = 1, have = 0;
    long off[SC_MAXDARGS], st[SC_MAXDARGS], need = 0;
    const Val *va[SC_MAXDARGS];
    for (int k = 0; k < n; k++) {
        if (!(o->vmask >> k & 1)) { len[k] = 1; continue; }
        const ScView *v = &o->vw[o->ix[k]];
        const Val *x = va[k] = R->arr[v->arr];
        if (v->kind == VW_MAT) {
            if (x->ndim != 2) { R->bad = 1; return; }
            len[k] = x->dims[0] * x->dims[1];
            off[k] = 0;
            st[k] = 1;                /* a matrix's storage is column-major (DArg) */
        } else if ((len[k] = sc_view(R, *v, &off[k], &st[k])) < 0) return;
        if (o->argint >> k & 1) {     /* an int view: copied (checked for unset elements) */
            if (x->base != TB_INT) { R->bad = 1; return; }
            need += len[k];
            continue;
        }
        if (st[k] != 1 && len[k] > 1) need += len[k];
        if (x->id) need += len[k];
    }
    if (need > R->bufcap) {
        R->buf = arena_alloc(&R->ev->arena, sizeof(double) * (size_t)need);
        R->bufcap = need;
    }
    double *b = R->buf, x1[SC_MAXDARGS], g1[SC_MAXDARGS], *part[SC_MAXDARGS];
    int i1[SC_MAXDARGS];
    DArg da[SC_MAXDARGS];
    for (int k = 0; k < n; k++) {
        part[k] = NULL;
        if (!(o->vmask >> k & 1)) {
            int r = o->ix[k];
            if (o->argint >> k & 1) { i1[k] = R->iv[r]; x1[k] = i1[k]; }
            else {
                x1[k] = R->rv[r];
                if (R->rid[r] >= 0) { g1[k] = 0; part[k] = &g1[k]; }
            }
            da[k] = (DArg){.x = &x1[k], .iv = o->argint >> k & 1 ? &i1[k] : NULL, .stride = 0, .rows = 1, .cols = 1};
            continue;
        }
        const Val *x = va[k];
        char code = o->dist->sig[k];
        if (o->argint >> k & 1) {
            int *ib = (int *)b;       /* room for len[k] doubles: ints fit */
            const int *src = x->iv + off[k];
            for (int i = 0; i < len[k]; i++)
                if ((ib[i] = src[i * st[k]]) == INT_MIN) { R->bad = 1; return; }
            b += len[k];
            if (code == 'I') {
                if (have && len[k] != nrep) { R->bad = 1; return; }
                nrep = len[k];
                have = 1;
                da[k] = (DArg){.iv = ib, .stride = 1, .rows = 1, .cols = 1};
            } else da[k] = (DArg){.iv = ib, .stride = 0, .rows = len[k], .cols = 1};
            continue;
        }
        const double *p = x->x + off[k];
        if (st[k] != 1 && len[k] > 1) {
            for (int i = 0; i < len[k]; i++) b[i] = p[i * st[k]];
            p = b;
            b += len[k];
        }
        if (x->id) {
            part[k] = b;
            memset(b, 0, sizeof(double) * (size_t)len[k]);
            b += len[k];
        }
        if (code == 'R') {            /* replicates: every such view as long */
            if (have && len[k] != nrep) { R->bad = 1; return; }
            nrep = len[k];
            have = 1;
            da[k] = (DArg){.x = p, .stride = 1, .rows = 1, .cols = 1};
        } else if (o->vw[o->ix[k]].kind == VW_MAT)
            da[k] = (DArg){.x = p, .stride = 0, .rows = x->dims[0], .cols = x->dims[1]};
        else da[k] = (DArg){.x = p, .stride = 0, .rows = len[k], .cols = 1};
    }
    double z = 0;
    DistErr err;
    if (nrep > 0 && (o->dfn(nrep, da, &z, part, &err) != 0 || isnan(z))) { R->bad = 1; return; }
    if (o->flush) sc_flush(R, o->dst);
    int32_t out = -1;
    for (int k = 0; k < n && nrep > 0; k++) {
        if (!part[k]) continue;
        if (out < 0) out = R->ev->nvars++;
        if (!(o->vmask >> k & 1)) { sc_put(R->ev, R->rid[o->ix[k]], out, g1[k]); continue; }
        const int32_t *id = va[k]->id + off[k];   /* a zero partial adds nothing: no triple */
        for (int i = 0; i < len[k]; i++) if (part[k][i] != 0) sc_put(R->ev, id[i * st[k]], out, part[k][i]);
    }
    R->rv[o->dst] = z;
    R->rid[o->dst] = out;
}

/* Runs the flat code (scalar_int.h) from o to its SX_END: one dispatch per operation,
 * statement action or loop step, an error ending the run at once. */
static void sc_run(ScRun *R, const ScOp *code, const ScOp *o)
{
    double *rv = R->rv;
    int *iv = R->iv;
    const ScStmt *st = R->p->st;
    /* labels as values (GCC, Clang): each operation jumps straight to the next one's
     * code: one indirect branch per operation, no loop and no range check */
    static const void *const lab[] = {
        [SO_CONST] = &&L_SO_CONST,
        [SO_VAR] = &&L_SO_VAR,
        [SO_ELEM] = &&L_SO_ELEM,
        [SO_ELEM1] = &&L_SO_ELEM1,
        [SO_ELEM2] = &&L_SO_ELEM2,
        [SI_ELEM1] = &&L_SI_ELEM1,
        [SO_ITOR] = &&L_SO_ITOR,
        [SO_ADD] = &&L_SO_ADD,
        [SO_SUB] = &&L_SO_SUB,
        [SO_MUL] = &&L_SO_MUL,
        [SO_DIV] = &&L_SO_DIV,
        [SO_POW] = &&L_SO_POW,
        [SO_NEG] = &&L_SO_NEG,
        [SO_SQ] = &&L_SO_SQ,
        [SO_SQRT] = &&L_SO_SQRT,
        [SO_FMA] = &&L_SO_FMA,
        [SO_ADD3] = &&L_SO_ADD3,
        [SO_LINV] = &&L_SO_LINV,
        [SX_PUSH] = &&L_SX_PUSH,
        [SO_DOT] = &&L_SO_DOT,
        [SI_LEN] = &&L_SI_LEN,
        [SI_CHK] = &&L_SI_CHK,
        [SO_F1] = &&L_SO_F1,
        [SO_F2] = &&L_SO_F2,
        [SO_F3] = &&L_SO_F3,
        [SO_DIST] = &&L_SO_DIST,
        [SO_LSE] = &&L_SO_LSE,
        [SO_SUM] = &&L_SO_SUM,
        [SO_DISTA] = &&L_SO_DISTA,
        [SO_VELEM] = &&L_SO_VELEM,
        [SI_VLEN] = &&L_SI_VLEN,
        [SO_NORMAL] = &&L_SO_NORMAL,
        [SO_DISTIR] = &&L_SO_DISTIR,
        [SI_CONST] = &&L_SI_CONST,
        [SI_VAR] = &&L_SI_VAR,
        [SI_ELEM] = &&L_SI_ELEM,
        [SX_STMT] = &&L_SX_STMT,
        [SX_NSTAT] = &&L_SX_NSTAT,
        [SX_STORE] = &&L_SX_STORE,
        [SX_NORMAL] = &&L_SX_NORMAL,
        [SX_SET] = &&L_SX_SET,
        [SX_SETI] = &&L_SX_SETI,
        [SO_SEL] = &&L_SO_SEL,
        [SI_SEL] = &&L_SI_SEL,
        [SX_POISSON] = &&L_SX_POISSON,
        [SX_LP] = &&L_SX_LP,
        [SX_FOR] = &&L_SX_FOR,
        [SX_BFOR] = &&L_SX_BFOR,
        [SX_VLSE] = &&L_SX_VLSE,
        [SX_NEXT] = &&L_SX_NEXT,
        [SX_WEND] = &&L_SX_WEND,
        [SX_MEMO] = &&L_SX_MEMO,
        [SX_MEMOSET] = &&L_SX_MEMOSET,
        [SX_IF] = &&L_SX_IF,
        [SX_JMP] = &&L_SX_JMP,
        [SI_CMP] = &&L_SI_CMP,
        [SI_FCMP] = &&L_SI_FCMP,
        [SI_NOT] = &&L_SI_NOT,
        [SX_END] = &&L_SX_END,
        [SI_ADD] = &&L_SI_ADD,
        [SI_SUB] = &&L_SI_SUB,
        [SI_MUL] = &&L_SI_MUL,
        [SI_DIV] = &&L_SI_DIV,
        [SI_MOD] = &&L_SI_MOD,
        [SI_NEG] = &&L_SI_NEG,
    };
#define DISPATCH0() goto *lab[o->op]
#define DISPATCH() do { o++; DISPATCH0(); } while (0)
    DISPATCH0();
        L_SO_CONST: do { rv[o->dst] = o->v; R->rid[o->dst] = -1; break;
        } while (0); DISPATCH();
        L_SO_VAR: do { {
            const Val *v = o->iv ? R->arr[o->arr] : &R->ev->env[o->slot];
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
        } while (0); DISPATCH();
        L_SO_ELEM: do { {
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
        } while (0); DISPATCH();
        L_SO_ELEM2: do {              /* SO_ELEM of two indices into reals, unrolled */
            const Val *v = R->arr[o->arr];
            int i = iv[o->ix[0]], j = iv[o->ix[1]];
            if ((unsigned)i - 1u >= (unsigned)v->dims[0] || (unsigned)j - 1u >= (unsigned)v->dims[1]) {
                R->bad = 1;
                return;
            }
            long off = (long)(i - 1) * R->stride[o->arr][0] + (long)(j - 1) * R->stride[o->arr][1];
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = v->x[off];
            R->rid[o->dst] = v->id ? v->id[off] : -1;
        } while (0); DISPATCH();
        L_SO_ELEM1: do { {              /* one index, plus a constant, into a 1-d array */
            const Val *v = R->arr[o->arr];
            long i = (long)iv[o->a] + o->iv;
            /* one unsigned comparison; an unset index (INT_MIN) plus any int is < 1 */
            if ((unsigned long)(i - 1) >= (unsigned long)v->dims[0]) { R->bad = 1; return; }
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
        } while (0); DISPATCH();
        L_SI_ELEM1: do { {
            const Val *v = R->arr[o->arr];
            long i = (long)iv[o->a] + o->iv;
            if ((unsigned long)(i - 1) >= (unsigned long)v->dims[0] || v->base != TB_INT || v->iv[i - 1] == INT_MIN) {
                R->bad = 1;
                return;
            }
            iv[o->dst] = v->iv[i - 1];
            break;
        }
        } while (0); DISPATCH();
        L_SO_ITOR: do {
            if (iv[o->a] == INT_MIN) { R->bad = 1; return; }
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = iv[o->a];
            R->rid[o->dst] = -1;
            break;
        } while (0); DISPATCH();
        L_SO_ADD: do { sc_set2(R, o, rv[o->a] + rv[o->b], o->a, 1, o->b, 1); break;
        } while (0); DISPATCH();
        L_SO_SUB: do { sc_set2(R, o, rv[o->a] - rv[o->b], o->a, 1, o->b, -1); break;
        } while (0); DISPATCH();
        L_SO_MUL: do { { double x = rv[o->a], y = rv[o->b]; sc_set2(R, o, x * y, o->a, y, o->b, x); break; }
        } while (0); DISPATCH();
        L_SO_DIV: do { { double x = rv[o->a], y = rv[o->b], z = x / y; sc_set2(R, o, z, o->a, 1 / y, o->b, -z / y); break; }
        } while (0); DISPATCH();
        L_SO_POW: do { {                /* ops.c's partials */
            double x = rv[o->a], y = rv[o->b], z = pow(x, y);
            double gx = y == 0 ? 0 : y * pow(x, y - 1);
            double gy = R->rid[o->b] >= 0 ? (x > 0 ? z * log(x) : (x == 0 ? 0 : NAN)) : 0;
            sc_set2(R, o, z, o->a, gx, o->b, gy);
            break;
        }
        } while (0); DISPATCH();
        L_SO_NEG: do { sc_set2(R, o, -rv[o->a], o->a, -1, -1, 0); break;
        } while (0); DISPATCH();
        L_SO_SQ: do { { double x = rv[o->a]; sc_set2(R, o, x * x, o->a, 2.0 * x, -1, 0); break; }
        } while (0); DISPATCH();
        L_SO_SQRT: do { { double z = sqrt(rv[o->a]); sc_set2(R, o, z, o->a, 0.5 / z, -1, 0); break; }
        } while (0); DISPATCH();
        L_SO_FMA: do {                /* scalar_int.h: the product's signs folded in */
            double x = rv[o->a], y = rv[o->b], sm = o->v, sc = o->iv;
            if (o->flush) sc_flush(R, o->dst);
            sc_set3(R, o->dst, sc * rv[o->ix[0]] + sm * (x * y), o->a, sm * y, o->b, sm * x, o->ix[0], sc);
        } while (0); DISPATCH();
        L_SO_LINV: do {               /* a pushed operation (push_linear): its value, as unpushed */
            double x = rv[o->a], y = rv[o->b], z;
            int32_t *rid = R->rid, ic = rid[o->a] & rid[o->b];
            switch (o->nidx) {
            case SO_FMA: z = o->iv * rv[o->ix[0]] + o->v * (x * y); ic &= rid[o->ix[0]]; break;
            case SO_ADD3: {           /* L_SO_ADD3's value; its nidx in slot */
                double in = x + o->v * y, w = rv[o->ix[0]], so = o->iv;
                z = o->slot ? in + so * w : w + so * in;
                ic &= rid[o->ix[0]];
                break;
            }
            case SO_ADD: z = x + y; break;
            case SO_SUB: z = x - y; break;
            default: z = x * y; break;
            }
            rv[o->dst] = z;
            rid[o->dst] = ic < 0 ? -1 : SC_PUSHED;
        } while (0); DISPATCH();
        L_SX_PUSH: do {               /* the density's partial in dst, on to the inputs */
            double *ra = R->racc, g = ra[o->dst];
            const int32_t *rid = R->rid;
            int a = o->a, b = o->b, c = sc_lin3(o->nidx) ? o->ix[0] : a;   /* (no third input: unread) */
            ra[o->dst] = 0;
            sc_push_one(o, g, &ra[a], &ra[b], &ra[c], rid[a], rid[b], rid[c], rv[a], rv[b]);
        } while (0); DISPATCH();
        L_SO_ADD3: do {               /* scalar_int.h: the inner sum first, as unfolded */
            double sv = o->v, so = o->iv, in = rv[o->a] + sv * rv[o->b], w = rv[o->ix[0]];
            int left = o->nidx;
            double ga, gb, gc;
            sc_add3_partials(left, sv, so, &ga, &gb, &gc);
            if (o->flush) sc_flush(R, o->dst);
            sc_set3(R, o->dst, left ? in + so * w : w + so * in, o->a, ga, o->b, gb, o->ix[0], gc);
        } while (0); DISPATCH();
        L_SO_DOT: do {                /* builtins.c's dot_product, its partials the other side */
            const Val *va = R->arr[o->arr], *vb = R->arr[o->ix[0]];
            long oa = 0, sa = 0, ob = 0, sb = 0;
            int n = sc_view(R, sc_view_get(o, 0), &oa, &sa), nb = n < 0 ? -1 : sc_view(R, sc_view_get(o, 1), &ob, &sb);
            if (n < 0 || n != nb) { R->bad = 1; return; }
            const double *xa = va->x + oa, *xb = vb->x + ob;
            double z = 0;
            if (sa == 1 && sb == 1) for (int k = 0; k < n; k++) z += xa[k] * xb[k];
            else {
                const double *pa = xa, *pb = xb;
                for (int k = 0; k < n; k++, pa += sa, pb += sb) z += *pa * *pb;
            }
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = z;
            R->rid[o->dst] = -1;
            if (!va->id && !vb->id) break;
            Ev *ev = R->ev;
            int32_t out = ev->nvars++;
            R->rid[o->dst] = out;
            if (ev->notape) break;
            if (ev->nt + 2 * (long)n > ev->capt) tape_reserve(ev, 2 * (long)n);
            long t = ev->nt;
            if (va->id) { sc_put_view(ev, t, out, va->id + oa, sa, xb, sb, n); t += n; }
            if (vb->id) { sc_put_view(ev, t, out, vb->id + ob, sb, xa, sa, n); t += n; }
            ev->nt = t;
        } while (0); DISPATCH();
        L_SI_LEN: do { iv[o->dst] = R->arr[o->arr]->dims[o->iv]; } while (0); DISPATCH();
        L_SI_CHK: do {
            if (iv[o->a] != iv[o->b] || iv[o->a] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = 1;
        } while (0); DISPATCH();
        L_SO_F1: do { {
            double g = 0, z = o->f->f1(rv[o->a], R->rid[o->a] >= 0 ? &g : NULL);
            sc_set2(R, o, z, o->a, g, -1, 0);
            break;
        }
        } while (0); DISPATCH();
        L_SO_F2: do { {
            double ga = 0, gb = 0;
            double z = o->f->f2(rv[o->a], rv[o->b], R->rid[o->a] >= 0 ? &ga : NULL, R->rid[o->b] >= 0 ? &gb : NULL);
            sc_set2(R, o, z, o->a, ga, o->b, gb);
            break;
        }
        } while (0); DISPATCH();
        L_SO_F3: do {                 /* call.c's call_math of three scalars */
            double ga = 0, gb = 0, gc = 0;
            int32_t *rid = R->rid;
            double z = o->f->f3(rv[o->a], rv[o->b], rv[o->ix[0]], rid[o->a] >= 0 ? &ga : NULL,
                                rid[o->b] >= 0 ? &gb : NULL, rid[o->ix[0]] >= 0 ? &gc : NULL);
            if (o->flush) sc_flush(R, o->dst);
            sc_set3(R, o->dst, z, o->a, ga, o->b, gb, o->ix[0], gc);
        } while (0); DISPATCH();
        L_SO_DISTIR: do {             /* poisson_lpmf, bernoulli_logit_lpmf (int | real): no marshalling */
            int ra = o->ix[1];
            double gl, z = sc_ir(R, o->iv, iv[o->ix[0]], rv[ra], &gl);
            if (R->bad) return;
            sc_set2(R, o, z, ra, gl, -1, 0);
        } while (0); DISPATCH();
        L_SO_NORMAL: do {             /* normal_lpdf of three reals: no marshalling, one tape record */
            int xa = o->ix[0], ma = o->ix[1], sa = o->ix[2];
            double gn[3], z = sc_normal(R, rv[xa], rv[ma], rv[sa], gn);
            if (R->bad) return;
            if (o->flush) sc_flush(R, o->dst);
            sc_set3(R, o->dst, z, xa, gn[0], ma, gn[1], sa, gn[2]);
        } while (0); DISPATCH();
        L_SO_DIST: do { {
            double g[SC_MAXDARGS];
            double z = sc_density(R, o->dist, o->dfn, o->nidx, o->ix, o->argint, g);
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
        } while (0); DISPATCH();
        L_SO_VELEM: do {              /* element iv[a] of a view, in range as index.c requires */
            long off, step;
            int len = sc_view(R, o->vw[0], &off, &step), i = iv[o->a];
            if (len < 0) return;
            if ((unsigned)i - 1u >= (unsigned)len) { R->bad = 1; return; }
            const Val *v = R->arr[o->vw[0].arr];
            off += (long)(i - 1) * step;
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = v->x[off];
            R->rid[o->dst] = v->id ? v->id[off] : -1;
        } while (0); DISPATCH();
        L_SI_VLEN: do {
            long off, step;
            int len = sc_view(R, o->vw[0], &off, &step);
            if (len < 0) return;
            iv[o->dst] = len;
        } while (0); DISPATCH();
        L_SO_DISTA: do {
            sc_dista(R, o);
            if (R->bad) return;
        } while (0); DISPATCH();
        L_SO_LSE: do {                /* builtins.c's b_log_sum_exp, over a view */
            const Val *v = R->arr[o->arr];
            long off = 0, st = 0;
            int n = sc_view(R, sc_view_get(o, 0), &off, &st);
            if (n < 0) return;
            if (o->flush) sc_flush(R, o->dst);
            const int32_t *ids = v->id ? v->id + off : NULL;
            double out;
            int32_t id = -1;
            if (st == 1) out = sc_lse(R, v->x + off, ids, n, o->nidx, &id);     /* contiguous: an HMM's acc */
            else out = sc_lse_strided(R, v->x + off, ids, n, st, o->nidx, &id);
            if (R->bad) return;
            rv[o->dst] = out;
            R->rid[o->dst] = id;
        } while (0); DISPATCH();
        L_SO_SUM: do {                /* builtins.c's sum: every partial 1 */
            const Val *v = R->arr[o->arr];
            long off = 0, st = 0;
            int n = sc_view(R, sc_view_get(o, 0), &off, &st);
            if (n < 0) return;
            const double *x = v->x + off;
            double z = 0;
            for (int i = 0; i < n; i++) z += x[i * st];
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = z;
            R->rid[o->dst] = -1;
            if (!v->id || n == 0) break;
            Ev *ev = R->ev;
            const int32_t *ids = v->id + off;
            int32_t id = ev->nvars++;
            if (!ev->notape) {
                if (ev->nt + n > ev->capt) tape_reserve(ev, n);
                for (int i = 0; i < n; i++) tape_put(ev, ids[i * st], id, 1.0);
            }
            R->rid[o->dst] = id;
        } while (0); DISPATCH();
        L_SI_CONST: do { iv[o->dst] = o->iv; break;
        } while (0); DISPATCH();
        L_SI_VAR: do { {
            const Val *v = &R->ev->env[o->slot];
            if (v->base != TB_INT || v->n != 1 || v->iv[0] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = v->iv[0];
            break;
        }
        } while (0); DISPATCH();
        L_SI_ELEM: do { {
            long off = sc_offset(R, o->arr, o->nidx, o->ix);
            if (R->bad) return;
            const Val *v = R->arr[o->arr];
            if (v->base != TB_INT || v->iv[off] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = v->iv[off];
            break;
        }
        } while (0); DISPATCH();
        L_SX_LP: do {                 /* sc_action's SS_LP */
            R->lp += rv[o->a];
            if (R->rid[o->a] >= 0) R->racc[o->a] += 1;
        } while (0); DISPATCH();
        L_SX_NORMAL: do {             /* sc_action's SS_DIST of normal: sc_density's values */
            int xa = o->ix[0], ma = o->ix[1], sa = o->ix[2];
            double gn[3], z = sc_normal(R, rv[xa], rv[ma], rv[sa], gn);
            if (R->bad) return;
            R->lp += z;
            int32_t *rid = R->rid;
            if (rid[xa] >= 0) R->racc[xa] += gn[0];
            if (rid[ma] >= 0) R->racc[ma] += gn[1];
            if (rid[sa] >= 0) R->racc[sa] += gn[2];
        } while (0); DISPATCH();
        L_SX_SET: do {                /* sc_action's SS_SET */
            if (o->dst != o->a) {
                if (o->flush) sc_flush(R, o->dst);
                rv[o->dst] = rv[o->a];
                R->rid[o->dst] = R->rid[o->a];
            }
        } while (0); DISPATCH();
        L_SX_SETI: do { iv[o->dst] = iv[o->a]; } while (0); DISPATCH();
        L_SO_SEL: do {
            int c = iv[o->ix[0]], r = c ? o->a : o->b;
            if (c == INT_MIN) { R->bad = 1; return; }
            if (o->flush) sc_flush(R, o->dst);
            rv[o->dst] = rv[r];
            R->rid[o->dst] = R->rid[r];
        } while (0); DISPATCH();
        L_SI_SEL: do {
            int c = iv[o->ix[0]];
            if (c == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = iv[c ? o->a : o->b];
        } while (0); DISPATCH();
        L_SX_POISSON: do {            /* sc_action's SS_DIST of poisson or bernoulli_logit */
            int ra = o->ix[1];
            double gl, z = sc_ir(R, o->iv, iv[o->ix[0]], rv[ra], &gl);
            if (R->bad) return;
            R->lp += z;
            if (R->rid[ra] >= 0) R->racc[ra] += gl;
        } while (0); DISPATCH();
        L_SX_STMT: do {
            sc_action(R, &st[o->st]);
            if (R->bad) return;
            break;
        } while (0); DISPATCH();
        L_SX_VLSE: do {               /* an SS_VSUM and the SO_LSE after it as one (sc_vlse) */
            int r = sc_vlse(R, o);
            if (r < 0) return;
            if (r == 0) {             /* the two operations: the sum's statement, then on */
                sc_action(R, &st[o->st]);
                if (R->bad) return;
                break;
            }
            o++;                      /* past the SO_LSE */
        } while (0); DISPATCH();
        L_SX_NSTAT: do {              /* sc_distv's whole data row with statistics: the same
                                       * numbers, the row's number from its other indices */
            const ScStmt *s = &st[o->st];
            const Val *v = R->arr[s->arr];
            int n = iv[s->hi], kp = s->kpos;
            if (v->x != s->nstat_x || iv[s->lo] != 1 || n != v->dims[kp]) {
                sc_action(R, s);
                if (R->bad) return;
                break;
            }
            long row = 0;
            for (int d = 0; d < kp; d++) {
                int i = iv[s->ix[d]];
                if ((unsigned)i - 1u >= (unsigned)v->dims[d]) { R->bad = 1; return; }
                row += (long)(i - 1) * s->nrs[d];
            }
            sc_normal_row(R, s, row, n);
            if (R->bad) return;
        } while (0); DISPATCH();
        L_SX_STORE: do {              /* sc_action's SS_STORE; its fields copied into o (sc_flatten) */
            long off = sc_offset(R, o->arr, o->nidx, o->ix);
            if (R->bad) return;
            Val *t = R->arr[o->arr];
            int32_t id = R->rid[o->a];
            if (!t->id && id >= 0) sc_ids(R, o->arr, t);
            t->x[off] = rv[o->a];
            if (t->id) t->id[off] = id >= 0 ? id : R->ev->nvars++;
        } while (0); DISPATCH();
        L_SX_BFOR: do {               /* the iterations side by side (scalar_batch.c), else SX_FOR */
            if (!sc_batch(R, code, o)) goto L_SX_FOR;
            if (R->bad) return;
            o = code + o->jmp - 1;    /* past the body and its SX_NEXT */
        } while (0); DISPATCH();
        L_SX_FOR: do { {
            const ScStmt *s = &st[o->st];
            int lo = iv[s->lo], hi = iv[s->hi];
            if (lo == INT_MIN || hi == INT_MIN) { R->bad = 1; return; }
            if (hi < lo) { o = code + o->jmp - 1; break; }   /* past the body and its SX_NEXT */
            iv[s->dst] = lo;
            iv[s->hreg] = hi;         /* the bounds are read once, as the interpreter does */
            break;
        }
        } while (0); DISPATCH();
        L_SX_NEXT: do { {            /* a: the loop variable's register, b: hi's (sc_flatten) */
            R->nexec += o->iv;
            if (iv[o->a] < iv[o->b]) {
                iv[o->a]++;
                o = code + o->jmp - 1;
            }
            break;
        }
        } while (0); DISPATCH();
        L_SX_MEMO: do {              /* scalar_memo.c: keyed by the inputs' tape variables */
            const ScOp *m = o + 1;
            int32_t ka, kb;
            const ScMemoEnt *e = sc_memo_ent(R, m, &ka, &kb);
            if (!e || e->ka != ka || e->kb != kb) break;      /* a constant, or a miss: run it */
            if (m->flush) sc_flush(R, m->dst);
            rv[m->dst] = e->z;
            R->rid[m->dst] = e->out;
            o += 2;                   /* past the operation and its SX_MEMOSET */
            R->nhits++;
        } while (0); DISPATCH();
        L_SX_MEMOSET: do {
            const ScOp *m = o - 1;
            int32_t ka, kb;
            ScMemoEnt *e = sc_memo_ent(R, m, &ka, &kb);
            if (!e || R->rid[m->dst] < 0) break;
            *e = (ScMemoEnt){.ka = ka, .kb = kb, .out = R->rid[m->dst], .z = rv[m->dst]};
        } while (0); DISPATCH();
        L_SX_WEND: do {              /* eval.c's S_WHILE guard: then the interpreter says why */
            if (++R->nwhile > SC_WHILE_MAX || ((R->nwhile & 0xffff) == 0 && vm_interrupt_pending())) {
                R->bad = 1;
                return;
            }
            o = code + o->jmp - 1;
        } while (0); DISPATCH();
        L_SX_IF: do {                 /* eval.c's S_IF: an unset int is an error */
            int cnd = iv[o->a];
            if (cnd == INT_MIN) { R->bad = 1; return; }
            if (cnd) R->nexec += o->iv;
            else {
                R->nexec += o->b;
                o = code + o->jmp - 1;
            }
        } while (0); DISPATCH();
        L_SX_JMP: do { o = code + o->jmp - 1; } while (0); DISPATCH();
        L_SI_CMP: do {                /* ops.c's int_binop */
            int x = iv[o->a], y = iv[o->b];
            if (x == INT_MIN || y == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = sc_cmp(o->iv, x, y);
        } while (0); DISPATCH();
        L_SI_FCMP: do { iv[o->dst] = sc_cmp(o->iv, rv[o->a], rv[o->b]); } while (0); DISPATCH();
        L_SI_NOT: do {
            if (iv[o->a] == INT_MIN) { R->bad = 1; return; }
            iv[o->dst] = !iv[o->a];
        } while (0); DISPATCH();
        L_SX_END: do { return;
        } while (0); DISPATCH();
        L_SI_ADD: L_SI_SUB: L_SI_MUL: L_SI_DIV: L_SI_MOD: L_SI_NEG: do { {   /* ops.c's int_binop */
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
        } while (0); DISPATCH();
#undef DISPATCH
#undef DISPATCH0
}

/* The offset of element lo of array entry arr indexed by ix (int registers) but at
 * position kpos, and the step to the next j, for j in lo..hi: -1 and R->bad when one
 * is out of bounds. */
static inline long sc_slice_at(ScRun *R, int arr, int nidx, const int *ix, int kpos, int lo, int hi, long *step)
{
    const Val *v = R->arr[arr];
    if (lo < 1 || hi > v->dims[kpos]) { R->bad = 1; return -1; }
    long off = (long)(lo - 1) * R->stride[arr][kpos];
    *step = R->stride[arr][kpos];
    if (nidx == 1) return off;
    if (nidx == 2) {                  /* gamma[t - 1, j], ltheta[j, k]: the common case */
        int d = 1 - kpos, i = R->iv[ix[d]];
        if ((unsigned)i - 1u >= (unsigned)v->dims[d]) { R->bad = 1; return -1; }
        return off + (long)(i - 1) * R->stride[arr][d];
    }
    for (int d = 0; d < nidx; d++) {
        if (d == kpos) continue;
        int i = R->iv[ix[d]];
        if ((unsigned)i - 1u >= (unsigned)v->dims[d]) { R->bad = 1; return -1; }
        off += (long)(i - 1) * R->stride[arr][d];
    }
    return off;
}

/* for (i in lo:hi) x[..., i, ...] ~ d(args): the slice's elements (data: no partials)
 * as the variate's replicates and the arguments broadcast, one call of d's kernel; the
 * arguments' partials come back summed over the slice. */
static void sc_distv(ScRun *R, const ScStmt *s)
{
    int lo = R->iv[s->lo], hi = R->iv[s->hi];
    if (lo == INT_MIN || hi == INT_MIN) { R->bad = 1; return; }
    if (hi < lo) return;
    const Val *v = R->arr[s->arr];
    int kp = s->kpos;
    long step, off = sc_slice_at(R, s->arr, s->nidx, s->ix, kp, lo, hi, &step);
    if (off < 0) return;
    int n = hi - lo + 1, isint = s->argint & 1;
    if (s->nstat && v->x == s->nstat_x && step == 1 && lo == 1 && hi == v->dims[kp]) {
        sc_normal_row(R, s, off / n, n);      /* a whole row of the data */
        return;
    }
    double *xb = NULL;
    int *ib = NULL;
    if (isint) {
        if (v->base != TB_INT) { R->bad = 1; return; }
        ib = arena_alloc(&R->ev->arena, sizeof(int) * (size_t)n);
        for (int k = 0; k < n; k++) if ((ib[k] = v->iv[off + k * step]) == INT_MIN) { R->bad = 1; return; }
    } else if (v->base == TB_REAL && step == 1) xb = v->x + off;    /* contiguous: no copy */
    else {
        xb = arena_alloc(&R->ev->arena, sizeof(double) * (size_t)n);
        for (int k = 0; k < n; k++) {
            if (v->base == TB_INT) {
                if (v->iv[off + k * step] == INT_MIN) { R->bad = 1; return; }
                xb[k] = v->iv[off + k * step];
            } else xb[k] = v->x[off + k * step];
        }
    }
    if (s->dist == &dist_normal) {     /* nested3's shape: sums, no call per element */
        double mu, sz = 0, szz = 0;
        int ce;
        if (!sc_normal_args(R, s, &mu, &ce)) return;
        double is = R->ls_inv[ce];
        for (int k = 0; k < n; k++) {
            double z = (xb[k] - mu) * is;
            sz += z;
            szz += z * z;
        }
        sc_normal_sums(R, s, n, ce, sz, szz);
        return;
    }
    DArg da[SC_MAXDARGS];
    double *dp[SC_MAXDARGS], x[SC_MAXDARGS], g[SC_MAXDARGS];
    int xi[SC_MAXDARGS];
    da[0] = (DArg){.x = xb, .iv = ib, .stride = 1, .rows = 1, .cols = 1};
    dp[0] = NULL;
    for (int k = 1; k < s->nargs; k++) {
        int ai = s->argint >> k & 1, r = s->args[k];
        g[k] = 0;
        if (ai) { xi[k] = R->iv[r]; x[k] = xi[k]; } else x[k] = R->rv[r];
        da[k] = (DArg){.x = &x[k], .iv = ai ? &xi[k] : NULL, .stride = 0, .rows = 1, .cols = 1};
        dp[k] = ai || R->rid[r] < 0 ? NULL : &g[k];
    }
    double out = 0;
    DistErr err;
    if (s->dist->lpdf(n, da, &out, dp, &err) != 0 || isnan(out)) { R->bad = 1; return; }
    R->lp += out;
    for (int k = 1; k < s->nargs; k++)
        if (dp[k]) R->racc[s->args[k]] += g[k];
}

int sc_data_stats(ScProg *p, const Val *data_env, Arena *a)
{
    int nd = 0;
    for (int i = 0; i <= p->nst; i++) {
        ScStmt *s = &p->st[i];
        if (s->kind != SS_DISTV || s->dist != &dist_normal || (s->argint & 1)) continue;
        int ar = s->arr;
        if (p->awrite[ar] || p->alocal[ar] || p->apre[ar]) continue;
        const Val *v = &data_env[p->aslot[ar]];
        if (v->base != TB_REAL || !v->x || v->id || v->ndim != p->andim[ar] || s->kpos != v->ndim - 1) continue;
        int c[VM_MAXDIM] = {0}, len = v->dims[s->kpos];
        c[s->kpos] = 1;
        if (len < 2 || val_offset(v, c) != 1 || v->n % len) continue;   /* rows contiguous */
        c[s->kpos] = 0;
        int whole = 1;
        for (int d = 0; d < s->kpos; d++) {
            c[d] = 1;
            long o = val_offset(v, c);
            c[d] = 0;
            whole &= o % len == 0;
            s->nrs[d] = o / len;          /* whole rows apart (row-major) */
        }
        if (!whole) continue;
        long rows = v->n / len;
        double *st = arena_alloc(a, sizeof(double) * 2 * (size_t)rows);
        for (long r = 0; r < rows; r++) {
            const double *x = v->x + r * len;
            double m = 0, ss = 0;
            for (int k = 0; k < len; k++) m += x[k];
            m /= len;
            for (int k = 0; k < len; k++) ss += (x[k] - m) * (x[k] - m);
            st[2 * r] = m;
            st[2 * r + 1] = ss;
        }
        s->nstat = st;
        s->nstat_x = v->x;
        for (int k = 0; k < p->ncode; k++)
            if (p->code[k].op == SX_STMT && p->code[k].st == i) p->code[k].op = SX_NSTAT;
        nd++;
    }
    p->nstat = nd;
    sc_batch_mark(p, a);              /* the loops whose iterations can run side by side */
    return nd;
}

int sc_nstat(const ScProg *p) { return p->nstat; }

/* Term t of a sum over j in lo..hi (SS_VSUM, SX_VLSE): its elements read as
 * (*x)[j * *st], their tape variables in *id (NULL for none; a register's in *cid), *any
 * set when it has some.  0; 1 for an int array, its offset in *off (the caller copies
 * its values or declines); -1 with R->bad when an index is out of bounds. */
static inline __attribute__((always_inline)) int sc_vterm(ScRun *R, const ScVTerm *t, int lo, int hi, const double **x,
                                                          const int32_t **id, long *st, int32_t *cid, int *any, long *off)
{
    if (t->arr < 0) {                 /* a register: its value and variable, step 0 */
        *x = &R->rv[t->reg];
        *cid = R->rid[t->reg];
        *id = *cid >= 0 ? cid : NULL;
        *st = 0;
        *any |= *cid >= 0;
        return 0;
    }
    const Val *v = R->arr[t->arr];
    if ((*off = sc_slice_at(R, t->arr, v->ndim, t->ix, t->kpos, lo, hi, st)) < 0) return -1;
    if (v->base == TB_INT) return 1;
    *x = v->x + *off;
    *id = v->id ? v->id + *off : NULL;
    *any |= v->id != NULL;
    return 0;
}

/* n elements of int array v from off by step st, as reals in the run's arena (an
 * unset one: NULL and R->bad); out of the sum's way (sc_vsum's term of int data) */
static __attribute__((noinline)) const double *sc_vterm_int(ScRun *R, const Val *v, long off, long st, int n)
{
    double *w = arena_alloc(&R->ev->arena, sizeof(double) * (size_t)n);
    for (int j = 0; j < n; j++) {
        int iv = v->iv[off + j * st];
        if (iv == INT_MIN) { R->bad = 1; return NULL; }
        w[j] = iv;
    }
    return w;
}

/* SS_VSUM: for (j in lo:hi) a[..., j, ...] = t1 +- t2 ...: every element's value, a
 * tape variable and a triple per term that has one (the ±1 partials a sum pushes).
 * Each term is read as p[j * st]: an array's elements, or its register's value with
 * step 0; the additions in the terms' order (v + -y is v - y exactly). */
static void sc_vsum(ScRun *R, const ScStmt *s)
{
    int lo = R->iv[s->lo], hi = R->iv[s->hi];
    if (lo == INT_MIN || hi == INT_MIN) { R->bad = 1; return; }
    if (hi < lo) return;
    int n = hi - lo + 1, nt = s->nvt, any = 0;
    long toff, tst, st[SC_MAXVT];
    if ((toff = sc_slice_at(R, s->arr, s->nidx, s->ix, s->kpos, lo, hi, &tst)) < 0) return;
    const double *x[SC_MAXVT];
    const int32_t *id[SC_MAXVT];
    double sg[SC_MAXVT];
    int32_t cid[SC_MAXVT];
    for (int k = 0; k < nt; k++) {
        sg[k] = s->vt[k].sign;
        long off;
        int r = sc_vterm(R, &s->vt[k], lo, hi, &x[k], &id[k], &st[k], &cid[k], &any, &off);
        if (r < 0) return;
        if (r && !(x[k] = sc_vterm_int(R, R->arr[s->vt[k].arr], off, st[k], n))) return;
        if (r) { st[k] = 1; id[k] = NULL; }   /* int data: its values as reals, no tape variables */
    }
    Val *tv = R->arr[s->arr];
    Ev *ev = R->ev;
    if (any && !tv->id) sc_ids(R, s->arr, tv);
    double *tx = tv->x + toff;
    if (nt == 3) {                    /* an HMM's: unrolled */
        const double *x0 = x[0], *x1 = x[1], *x2 = x[2], g0 = sg[0], g1 = sg[1], g2 = sg[2];
        long s0 = st[0], s1 = st[1], s2 = st[2];
        for (int j = 0; j < n; j++) tx[j * tst] = g0 * x0[j * s0] + g1 * x1[j * s1] + g2 * x2[j * s2];
    } else {
        for (int j = 0; j < n; j++) {
            double v = sg[0] * x[0][j * st[0]];
            for (int k = 1; k < nt; k++) v += sg[k] * x[k][j * st[k]];
            tx[j * tst] = v;
        }
    }
    R->nexec += n;
    if (!tv->id) return;
    int32_t *tid = tv->id + toff, out0 = ev->nvars;
    ev->nvars += n;
    for (int j = 0; j < n; j++) tid[j * tst] = out0 + j;
    if (!any || ev->notape) return;
    if (ev->nt + (long)nt * n > ev->capt) tape_reserve(ev, (long)nt * n);
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt;
    double *restrict td = ev->td + ev->nt;
    for (int k = 0; k < nt; k++) {    /* term by term: a term's partials are all its sign */
        const int32_t *ik = id[k];
        if (!ik) continue;
        long sk = st[k];
        double g = sg[k];
        for (int j = 0; j < n; j++) { ti[j] = ik[j * sk]; to[j] = out0 + j; td[j] = g; }
        ti += n; to += n; td += n;
    }
    ev->nt = ti - ev->tin;
}

/* sc_vlse for a sum of nt terms, instantiated with nt a constant, 2 to 4 (the loops
 * over the terms unrolled: an HMM's cell decodes its three terms in a few instructions
 * each; 10% fewer instructions per gradient than one loop over any count) */
static inline __attribute__((always_inline)) int sc_vlse_nt(ScRun *R, const ScOp *o, const ScStmt *s, int n, int nt)
{
    const double *x[SC_MAXVT];
    const int32_t *id[SC_MAXVT];
    long st[SC_MAXVT];
    double sg[SC_MAXVT];
    int32_t cid[SC_MAXVT];
    int any = 0;
#pragma GCC unroll 6
    for (int k = 0; k < nt; k++) {
        sg[k] = s->vt[k].sign;
        long off;
        int r = sc_vterm(R, &s->vt[k], 1, n, &x[k], &id[k], &st[k], &cid[k], &any, &off);
        if (r) return r < 0 ? -1 : 0;     /* int data: sc_vsum's copy as reals */
    }
    double xs[SC_LSE_KEEP], w[SC_LSE_KEEP];
    for (int j = 0; j < n; j++) {     /* sc_vsum's additions, in its order */
        double v = sg[0] * x[0][j * st[0]];
#pragma GCC unroll 6
        for (int k = 1; k < nt; k++) v += sg[k] * x[k][j * st[k]];
        xs[j] = v;
    }
    R->nexec += n;
    int con;
    double out = sc_lse_val(R, xs, n, 1, o->nidx, any ? w : NULL, &con);
    if (R->bad) return -1;
    if (o->flush) sc_flush(R, o->dst);
    R->rv[o->dst] = out;
    R->rid[o->dst] = -1;
    if (con || !any) return 1;
    Ev *ev = R->ev;
    int32_t out_id = R->rid[o->dst] = ev->nvars++;
    if (ev->notape) return 1;
    if (ev->nt + (long)nt * n > ev->capt) tape_reserve(ev, (long)nt * n);
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt;
    double *restrict td = ev->td + ev->nt;
#pragma GCC unroll 6
    for (int k = 0; k < nt; k++) {
        const int32_t *ik = id[k];
        if (!ik) continue;
        long sk = st[k];
        double g = sg[k];
        if (sk == 0) {                /* a register: one triple, the weights' sum */
            double ws = 0;
            for (int j = 0; j < n; j++) ws += w[j];
            *ti++ = *ik; *to++ = out_id; *td++ = g * ws;
            continue;
        }
        for (int j = 0; j < n; j++) { ti[j] = ik[j * sk]; to[j] = out_id; td[j] = g * w[j]; }
        ti += n; to += n; td += n;
    }
    ev->nt = ti - ev->tin;
    return 1;
}

/* SX_VLSE: an SS_VSUM into the whole of a 1-d local that only the log_sum_exp right
 * after it reads (sc_settle), as one operation: the sum's elements in a buffer, their
 * log_sum_exp into register dst, and a triple per term and element from each term to
 * the result, its partial the sign times the element's weight.  No tape variable per
 * element: an HMM's cell puts 2K + 1 triples on the tape instead of 4K.  The value is
 * the two operations' bit for bit.  1 done; 0 when this run's sum does not cover the
 * local, or has more than SC_LSE_KEEP elements, or the sum has more than 4 terms or
 * int data among them (the caller runs the two operations); -1 with R->bad. */
static int sc_vlse(ScRun *R, const ScOp *o)
{
    const ScStmt *s = &R->p->st[o->st];
    int lo = R->iv[s->lo], hi = R->iv[s->hi];
    if (lo != 1 || hi != R->arr[s->arr]->dims[0] || hi > SC_LSE_KEEP) return 0;
    switch (s->nvt) {                 /* more terms: the two operations */
    case 2: return sc_vlse_nt(R, o, s, hi, 2);
    case 3:                           /* an HMM's; of two states, the loops over them unrolled too */
        return hi == 2 ? sc_vlse_nt(R, o, s, 2, 3) : sc_vlse_nt(R, o, s, hi, 3);
    case 4: return sc_vlse_nt(R, o, s, hi, 4);
    default: return 0;
    }
}

/* A local 1-d real array of the body declared (SS_ALLOC), as exec_decl does: its
 * storage is the run's, kept from one iteration to the next while it is large enough
 * (the arena is reset at the next gradient); without a value, every element is
 * not-a-number, a constant. */
static void sc_alloc(ScRun *R, const ScStmt *s)
{
    int n = R->iv[s->src], a = s->arr;
    if (n < 0) { R->bad = 1; return; }    /* INT_MIN too: the interpreter says why */
    Val *v = R->arr[a];
    if (n > R->acap[a]) {
        v->x = arena_alloc(&R->ev->arena, sizeof(double) * (size_t)n);
        v->id = NULL;                 /* given at the first store of a tape variable (sc_ids) */
        R->acap[a] = n;
    }
    v->dims[0] = v->n = n;
    R->stride[a][0] = 1;
    if (s->dst) {
        for (int k = 0; k < n; k++) v->x[k] = NAN;
        if (v->id) for (int k = 0; k < n; k++) v->id[k] = R->ev->nvars++;
    }
}

/* SS_COPY: a local set to a view of n elements (else the run fails: sizes that do not
 * match, which the interpreter reports), values and tape variables; a constant's
 * element gets a variable of its own in a local that has them, as SX_STORE does */
static void sc_copy(ScRun *R, const ScStmt *s)
{
    ScView v = {.arr = s->ix[0], .row = s->ix[1], .kind = s->ix[2], .ra = s->ix[3], .rb = s->ix[4]};
    long off, st;
    int len = sc_view(R, v, &off, &st), n = R->iv[s->src];
    if (len < 0) return;
    const Val *x = R->arr[v.arr];
    Val *t = R->arr[s->arr];
    if (len != n || x->base != TB_REAL || n > t->n) { R->bad = 1; return; }
    const double *src = x->x + off;
    for (int k = 0; k < n; k++) t->x[k] = src[k * st];
    if (x->id) {
        if (!t->id) sc_ids(R, s->arr, t);
        const int32_t *ids = x->id + off;
        for (int k = 0; k < n; k++) t->id[k] = ids[k * st];
    } else if (t->id)
        for (int k = 0; k < n; k++) t->id[k] = R->ev->nvars++;
}

/* The action of statement s (its operations ran before it). */
static void sc_action(ScRun *R, const ScStmt *s)
{
    switch (s->kind) {
    case SS_SET:
        if (s->dst != s->src) {
            if (s->flush) sc_flush(R, s->dst);
            R->rv[s->dst] = R->rv[s->src];
            R->rid[s->dst] = R->rid[s->src];
        }
        return;
    case SS_SETI: R->iv[s->dst] = R->iv[s->src]; return;
    case SS_DIST: {
        double g[SC_MAXDARGS];
        R->lp += sc_density(R, s->dist, s->dist->lpdf, s->nargs, s->args, s->argint, g);
        if (R->bad) return;
        for (int a = 0; a < s->nargs; a++)
            if (!(s->argint >> a & 1) && R->rid[s->args[a]] >= 0) R->racc[s->args[a]] += g[a];
        return;
    }
    case SS_DISTV: sc_distv(R, s); return;
    case SS_VSUM: sc_vsum(R, s); return;
    case SS_ALLOC: sc_alloc(R, s); return;
    case SS_FAIL: R->bad = 1; return;   /* the interpreter runs the loop and raises it */
    case SS_COPY: sc_copy(R, s); return;
    default: R->bad = 1; return;    /* the others are operations of the flat code (sc_flatten) */
    }
}

/* The outer values (ScProg.apre) evaluated by the interpreter, once per run, into
 * R->arr.  Nonzero when one fails: the error is forgotten (the interpreter, running
 * the loop, reports it where the loop reaches it, if it does). */
static int sc_prevals(Ev *ev, const ScProg *p, ScRun *R)
{
    int fail = ev->fail, fatal = ev->fatal, rejected = ev->rejected, size_error = ev->size_error, halt = ev->halt;
    Span sp = ev->fail_span;
    for (int a = 0; a < p->narr; a++) {
        if (!p->apre[a]) continue;
        Val v = eval_expr(ev, p->apre[a]);
        if (p->atrans[a] && !ev->fail) {      /* x * M: M' (column-major both) */
            if (v.ndim != 2 || v.base != TB_REAL) return 1;
            int r = v.dims[0], cc = v.dims[1];
            Val t = v;
            t.dims[0] = cc;
            t.dims[1] = r;
            t.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
            t.id = v.id ? arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(v.n ? v.n : 1)) : NULL;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < cc; j++) {
                    t.x[j + (long)i * cc] = v.x[i + (long)j * r];
                    if (v.id) t.id[j + (long)i * cc] = v.id[i + (long)j * r];
                }
            v = t;
        }
        if (ev->fail && !fail) {
            ev->fail = fail;
            ev->fatal = fatal;
            ev->rejected = rejected;
            ev->size_error = size_error;
            ev->halt = halt;
            ev->fail_span = sp;
            ev->msg[0] = 0;
            return 1;
        }
        Val *pv = arena_alloc(&ev->arena, sizeof *pv);
        *pv = v;
        R->arr[a] = pv;
    }
    return 0;
}

int sc_loop(Ev *ev, const ScProg *p, const Stmt *s, int lo, int hi)
{
    (void)s;
    if (ev->vec_depth || hi < lo) return 0;
    ScRun *R = arena_alloc(&ev->arena, sizeof *R);
    R->ev = ev;
    R->p = p;
    R->bad = 0;
    R->nexec = 0;
    R->nwhile = 0;
    R->lpused = 0;
    R->lp = 0;
    for (int k = 0; k < SC_LOGCACHE; k++) R->ls_sigma[k] = NAN;   /* never equal */
    R->ls_next = 0;
    TapeMark mark = tape_mark(ev);
    /* the arrays: shapes checked, strides, and a copy of each one written (an undo
     * must leave the environment as it was) */
    Val saved[SC_MAXARR];
    if (p->npreval && sc_prevals(ev, p, R)) goto undo;
    for (int a = 0; a < p->narr; a++) {
        Val *v;
        if (p->apre[a]) v = R->arr[a];
        else if (p->alocal[a]) {           /* sized at its declaration (sc_alloc) */
            v = arena_zalloc(&ev->arena, sizeof *v);
            v->base = TB_REAL;
            v->kind = TK_VECTOR;
            v->ndim = 1;
            R->arr[a] = v;
            R->acap[a] = 0;
            R->stride[a][0] = 1;
            continue;
        } else R->arr[a] = v = &ev->env[p->aslot[a]];
        saved[a] = *v;
        if (v->ndim != p->andim[a] || (v->base == TB_REAL ? !v->x : v->base == TB_INT ? !v->iv : 1)) goto undo;
        if ((p->awrite[a] || p->areal[a]) && v->base != TB_REAL) goto undo;
        int c[VM_MAXDIM] = {0};
        for (int d = 0; d < v->ndim; d++) {
            c[d] = 1;
            R->stride[a][d] = v->dims[d] > 1 ? val_offset(v, c) : 0;
            c[d] = 0;
        }
    }
    for (int a = 0; a < p->narr; a++) {
        if (!p->awrite[a] || p->alocal[a]) continue;
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
    R->memo = NULL;
    R->nhits = 0;
    R->buf = NULL;
    R->lanes = p->nbatch ? arena_alloc(&ev->arena, sizeof *R->lanes) : NULL;
    R->bufcap = 0;
    if (p->nmemo) {                   /* every entry empty: no tape variable is -2 */
        size_t n = (size_t)p->nmemo * SC_MEMO;
        R->memo = arena_alloc(&ev->arena, sizeof *R->memo * n);
        for (size_t i = 0; i < n; i++) R->memo[i].ka = -2;
    }
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
        if (p->bint[b]) {
            if (v->base != TB_INT || v->n != 1 || v->ndim) R->bad = 1;
            else R->iv[p->breg[b]] = v->iv[0];
        } else if (v->base != TB_REAL || v->n != 1 || v->ndim) R->bad = 1;
        else {
            R->rv[p->breg[b]] = v->x[0];
            R->rid[p->breg[b]] = v->id ? v->id[0] : -1;
        }
    }
    sc_run(R, p->code, p->code + p->code_pre);           /* constants, outer scalars */
    if (!R->bad) sc_run(R, p->code, p->code + p->code_hoist);   /* what no iteration changes */
    if (!R->bad) {
        R->iv[p->olo] = lo;
        R->iv[p->ohi] = hi;
        sc_run(R, p->code, p->code + p->code_body);
    }
    if (!R->bad && !isnan(R->lp) && R->lp != INFINITY) {
        for (size_t r = 0; r < nr; r++) if (p->fold[r]) sc_flush(R, (int)r);
        for (int b = 0; b < p->nbound; b++) {
            if (p->bint[b]) { ev->env[p->bslot[b]] = val_int(ev, R->iv[p->breg[b]]); continue; }
            Val v = val_real(ev, R->rv[p->breg[b]]);
            if (R->rid[p->breg[b]] >= 0) {
                v.id = arena_alloc(&ev->arena, sizeof(int32_t));
                v.id[0] = R->rid[p->breg[b]];
            }
            ev->env[p->bslot[b]] = v;
        }
        ev_add_term(ev, R->lp, R->lpused ? R->lpid : -1);
        ev->sc_runs++;
        ev->sc_ops += R->nexec;
        ev->sc_memo_hits += R->nhits;
        return 1;
    }
    for (int a = 0; a < p->narr; a++) if (!p->alocal[a] && !p->apre[a]) *R->arr[a] = saved[a];
undo:     /* the interpreter runs the loop and says what is wrong */
    tape_undo(ev, &mark);
    return 0;
}
