/* A loop of a scalar program whose iterations do not depend on one another, run side by
 * side (SX_BFOR): each operation of its body over every iteration, one lane per
 * iteration, before the next operation, where the flat code runs every operation of one
 * iteration before the next iteration.  The dispatch, the operands' decoding and the
 * checks that do not vary (the array, the bounds of an index that is the loop's
 * variable, the rows' statistics) are done once per loop instead of once per iteration.
 *
 * nested3's cells are the case: for (b in 1:B) { real m = h + tb * zb[a, b];
 * for (c in 1:C) y[a, b, c] ~ normal(m, sigma); } is an element read, the pushed sum
 * (push_linear), the rows' normal from their statistics (SX_NSTAT) and the push of its
 * partial: four operations of 30-130 machine instructions each per cell in the flat
 * code, 15-30 per lane here.
 *
 * Which loops (sc_batch_mark, at load, once the rows' statistics are made): an
 * innermost loop whose body has only element reads (SO_ELEM1, SO_ELEM2), pushed sums
 * and products (SO_LINV), at most one term of lp (a normal over data rows, SX_NSTAT;
 * a normal of three reals, SX_NORMAL; a target +=, SX_LP) and pushes (SX_PUSH); each
 * register the body writes is written by one operation of the whole program, and read
 * in the body only after it; a register the body does not write is the same for every
 * iteration; and into each such register at most one operation of the body adds a
 * share of lp.  The lanes then compute what the iterations would, in the same order
 * for every sum that crosses iterations (lp, and each share of an outer register), so
 * the density is the flat code's bit for bit; the triples of the registers the body
 * writes go on the tape in the iterations' order, from the push that alone adds into
 * one (direct_shares) or at the end of the lanes.
 *
 * At run time (sc_batch) the loop runs so when the rows' statistics hold for this run
 * (else the flat code runs it, with its own checks); an index out of range or an
 * invalid argument fails the run as the flat code would (the interpreter then runs the
 * loop and says why). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/scalar_run.h"
/* the lanes' loops are short and many: GCC's -O3 unrolls and vectorises them (nested3
 * 28.5k -> 28.0k instructions per gradient); the flat code stays at -O2 (the whole
 * project at -O3 made the HMM's programs slower, docs/ir.md) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

int vm_scalar_nobatch;

static int real_dst(const ScOp *o) { return o->op == SO_ELEM1 || o->op == SO_ELEM2 || o->op == SO_LINV; }

/* the real registers operation o of such a body reads (at most 4) into r: their count;
 * for SX_PUSH r[0] is the pushed result, read and cleared, the others take shares */
static int body_reads(const ScProg *p, const ScOp *o, int *r)
{
    switch (o->op) {
    case SO_LINV:
        r[0] = o->a; r[1] = o->b;
        if (sc_lin3(o->nidx)) { r[2] = o->ix[0]; return 3; }
        return 2;
    case SX_NSTAT: r[0] = p->st[o->st].args[1]; r[1] = p->st[o->st].args[2]; return 2;
    case SX_NORMAL: r[0] = o->ix[0]; r[1] = o->ix[1]; r[2] = o->ix[2]; return 3;
    case SX_LP: r[0] = o->a; return 1;
    case SX_PUSH:
        r[0] = o->dst; r[1] = o->a; r[2] = o->b;
        if (sc_lin3(o->nidx)) { r[3] = o->ix[0]; return 4; }
        return 3;
    default: return 0;
    }
}

/* the registers into whose share of lp operation o of such a body adds (at most 3)
 * into r: a term's arguments, a push's inputs; their count */
static int adds_into(const ScProg *p, const ScOp *o, int *r)
{
    int q[4], n = body_reads(p, o, q), from = o->op == SX_PUSH;    /* a push's q[0]: its result */
    if (o->op != SX_NSTAT && o->op != SX_NORMAL && o->op != SX_LP && o->op != SX_PUSH) return 0;
    for (int t = from; t < n; t++) r[t - from] = q[t];
    return n - from;
}

static int slot_of(const int *reg, int n, int r)
{
    for (int t = 0; t < n; t++) if (reg[t] == r) return t;
    return -1;
}

/* the loop whose SX_FOR is code[k] can run as lanes: its registers' slots in reg */
static int batchable(const ScProg *p, int k, const int *writes, int *reg, int *nslot)
{
    const ScOp *fo = &p->code[k];
    int e = fo->jmp - 1, nlp = 0, nacc = 0, acc[4 * SC_LANEREGS];
    if (e <= k + 1 || p->code[e].op != SX_NEXT) return 0;
    *nslot = 0;
    for (int j = k + 1; j < e; j++) {
        const ScOp *o = &p->code[j];
        int r[4], n;
        switch (o->op) {
        case SO_ELEM1: case SO_ELEM2: case SO_LINV: case SX_PUSH: break;
        case SX_NSTAT:
            if (p->st[o->st].argint & 6) return 0;      /* location and scale real registers */
            nlp++;
            break;
        case SX_NORMAL: case SX_LP: nlp++; break;
        default: return 0;
        }
        n = body_reads(p, o, r);
        for (int t = 0; t < n; t++) {
            if (slot_of(reg, *nslot, r[t]) >= 0) continue;
            for (int q = k + 1; q < e; q++)           /* else the body must not write it */
                if (real_dst(&p->code[q]) && p->code[q].dst == r[t]) return 0;
        }
        if (o->op == SX_PUSH && slot_of(reg, *nslot, r[0]) < 0) return 0;
        /* the outer registers it adds shares of lp into: no other operation of the body
         * may (the sum of the shares then runs in the iterations' order) */
        int own[4], nown = 0, ad[3], na = adds_into(p, o, ad);
        for (int t = 0; t < na; t++) {
            if (slot_of(reg, *nslot, ad[t]) >= 0 || slot_of(own, nown, ad[t]) >= 0) continue;
            if (slot_of(acc, nacc, ad[t]) >= 0 || nacc == (int)(sizeof acc / sizeof acc[0])) return 0;
            own[nown++] = ad[t];
        }
        for (int t = 0; t < nown; t++) acc[nacc++] = own[t];
        if (real_dst(o)) {
            if (slot_of(reg, *nslot, o->dst) >= 0 || writes[o->dst] != 1 || *nslot == SC_LANEREGS) return 0;
            reg[(*nslot)++] = o->dst;
        }
    }
    return nlp <= 1;
}

/* The pushes of the loop whose SX_FOR is code[k] (its registers' slots made, flushed
 * ones in flush) that can put an input's shares on the tape themselves, as triples
 * (SX_PUSH's vmask: bit 0 a, 1 b, 2 ix[0]): a register of the lanes that flushes and
 * into which that push alone adds shares (they start at 0, so each lane's one share
 * is its flush's triple).  The registers still flushed after the lanes, returned, are
 * neither those nor a push's result (the push leaves its shares at 0). */
static unsigned direct_shares(ScProg *p, int k, unsigned flush)
{
    int e = p->code[k].jmp - 1;
    for (int j = k + 1; j < e; j++) {
        ScOp *o = &p->code[j];
        if (o->op != SX_PUSH) continue;
        o->vmask = 0;
        /* the pushed result's shares: cleared by the push in every lane (push_linear:
         * the density that collects them is its only reader) */
        if (p->lane[o->dst] >= 0) flush &= ~(1u << p->lane[o->dst]);
        int fma = sc_lin3(o->nidx), in[3], nin = adds_into(p, o, in);
        /* inputs sharing an outer register, or a result outside the lanes: the lanes'
         * slow loop (lanes_push), which adds every share */
        if (p->lane[o->dst] < 0 || o->a == o->b || (fma && (o->a == o->ix[0] || o->b == o->ix[0]))) continue;
        for (int t = 0; t < nin; t++) {
            int sl = p->lane[in[t]], nacc = 0;
            if (sl < 0 || !(flush >> sl & 1)) continue;
            for (int q = k + 1; q < e; q++) {
                int ad[3], na = adds_into(p, &p->code[q], ad);
                for (int u = 0; u < na; u++) nacc += ad[u] == in[t];
            }
            if (nacc != 1) continue;
            o->vmask |= 1u << t;
            flush &= ~(1u << sl);
        }
    }
    return flush;
}

/* The slots of the loop whose SX_FOR is code[k] into which an operation adds shares
 * (a density's location or scale, a push's input but for the shares it puts on the
 * tape itself): they start each lane at 0 */
static unsigned summed_into(const ScProg *p, int k)
{
    unsigned m = 0;
    for (int j = k + 1; j < p->code[k].jmp - 1; j++) {
        const ScOp *o = &p->code[j];
        int ad[3], na = adds_into(p, o, ad);
        for (int t = 0; t < na; t++)          /* a push's a, b, ix[0]: its vmask's bits 0..2 */
            if (p->lane[ad[t]] >= 0 && !(o->op == SX_PUSH && o->vmask >> t & 1)) m |= 1u << p->lane[ad[t]];
    }
    return m;
}

int sc_batch_mark(ScProg *p, Arena *a)
{
    if (vm_scalar_nobatch || !p->nr) return p->nbatch;
    int *writes = calloc((size_t)p->nr, sizeof *writes);
    if (!writes) return p->nbatch;
    for (int k = 0; k < p->ncode; k++) {
        const ScOp *o = &p->code[k];
        if ((o->op < SI_CONST || o->op == SX_SET) && o->dst >= 0 && o->dst < p->nr) writes[o->dst]++;
    }
    for (int k = 0; k < p->ncode; k++) {
        int reg[SC_LANEREGS], nslot;
        if (p->code[k].op != SX_FOR || !batchable(p, k, writes, reg, &nslot)) continue;
        if (!p->lane) {
            p->lane = arena_alloc(a, (size_t)p->nr);
            memset(p->lane, -1, (size_t)p->nr);
        }
        ScOp *fo = &p->code[k];
        fo->nidx = (uint8_t)nslot;            /* its registers, by slot, and those that flush */
        fo->vmask = 0;
        for (int t = 0; t < nslot; t++) {
            p->lane[reg[t]] = (signed char)t;
            fo->ix[t] = reg[t];
            for (int j = k + 1; j < fo->jmp - 1; j++)
                if (real_dst(&p->code[j]) && p->code[j].dst == reg[t] && p->code[j].flush) fo->vmask |= 1u << t;
        }
        unsigned after = direct_shares(p, k, fo->vmask);
        fo->b = (int)summed_into(p, k);
        fo->iv = (int)(after & (unsigned)fo->b);      /* flushed after: those with shares */
        fo->op = SX_BFOR;
        p->nbatch++;
    }
    free(writes);
    return p->nbatch;
}

int sc_nbatch(const ScProg *p) { return p ? p->nbatch : 0; }

/* ---- at run time ---- */

/* a real register across the lanes: its slot's, or its one value for all (step 0) */
typedef struct { double *v, *acc; int32_t *id; int st; } Lane;

static inline Lane lane_of(ScRun *R, int r)
{
    int sl = R->p->lane[r];
    if (sl >= 0) return (Lane){R->lanes->v[sl], R->lanes->acc[sl], R->lanes->id[sl], 1};
    return (Lane){&R->rv[r], &R->racc[r], &R->rid[r], 0};
}

/* index register r across lanes c0 .. c0 + n - 1 (the loop's variable, else one value),
 * plus add, checked against 1..dim: its first value and its step; 0 out of range */
static inline int lane_index(ScRun *R, int r, int var, long c0, int n, long add, int dim, long *first, int *step)
{
    *step = r == var;
    long i = (r == var ? c0 : (long)R->iv[r]) + add;
    if (R->iv[r] == INT_MIN && r != var) return 0;
    *first = i;
    return i >= 1 && i + (long)(n - 1) * *step <= dim;
}

/* scalar.c's L_SO_LINV, lane by lane: the operation decided once per loop, its
 * fields in locals (a store through z could change o's, as far as the compiler knows) */
static void lanes_linv(ScRun *R, const ScOp *o, int n)
{
    Lane A = lane_of(R, o->a), B = lane_of(R, o->b), C = sc_lin3(o->nidx) ? lane_of(R, o->ix[0]) : A;
    int sl = R->p->lane[o->dst], sa = A.st, sb = B.st, sc = C.st, ci = o->iv;
    double *restrict z = R->lanes->v[sl], ov = o->v;
    int32_t *restrict zi = R->lanes->id[sl];
    const double *av = A.v, *bv = B.v, *cv = C.v;
    const int32_t *ai = A.id, *bi = B.id, *cid = C.id;
    switch (o->nidx) {
    case SO_FMA:
        /* the strides constants in each loop (0: an outer register, 1: a lane) */
#define LINV_FMA(SA, SB, SC)                                                                  \
        for (int k = 0; k < n; k++) {                                                         \
            z[k] = ci * cv[k * SC] + ov * (av[k * SA] * bv[k * SB]);                          \
            zi[k] = (ai[k * SA] & bi[k * SB] & cid[k * SC]) < 0 ? -1 : SC_PUSHED;             \
        }                                                                                     \
        return;
        switch (sa * 4 + sb * 2 + sc) {
        case 0: LINV_FMA(0, 0, 0)
        case 1: LINV_FMA(0, 0, 1)
        case 2: LINV_FMA(0, 1, 0)
        case 3: LINV_FMA(0, 1, 1)
        case 4: LINV_FMA(1, 0, 0)
        case 5: LINV_FMA(1, 0, 1)
        case 6: LINV_FMA(1, 1, 0)
        default: LINV_FMA(1, 1, 1)
        }
#undef LINV_FMA
    case SO_ADD3: {                   /* its nidx in slot: the inner sum left of the outer */
        double so = o->iv;
        for (int k = 0; k < n; k++) {
            double in = av[k * sa] + ov * bv[k * sb], w = cv[k * sc];
            z[k] = o->slot ? in + so * w : w + so * in;
            zi[k] = (ai[k * sa] & bi[k * sb] & cid[k * sc]) < 0 ? -1 : SC_PUSHED;
        }
        return;
    }
    case SO_ADD: for (int k = 0; k < n; k++) z[k] = av[k * sa] + bv[k * sb]; break;
    case SO_SUB: for (int k = 0; k < n; k++) z[k] = av[k * sa] - bv[k * sb]; break;
    default: for (int k = 0; k < n; k++) z[k] = av[k * sa] * bv[k * sb]; break;
    }
    for (int k = 0; k < n; k++) zi[k] = (ai[k * sa] & bi[k * sb]) < 0 ? -1 : SC_PUSHED;
}

/* scalar.c's SX_NSTAT (sc_normal_row), lane by lane; 0 when an index is out of range
 * or an argument invalid.  A scale no lane changes is checked, looked up and logged
 * once (the same bits: the cache's values are pure functions of it); lp and an outer
 * register's share are summed in locals, in the lanes' order, then stored. */
static int lanes_nstat(ScRun *R, const ScStmt *s, int var, long c0, int n)
{
    const Val *v = R->arr[s->arr];
    int nn = R->iv[s->hi], st;
    long row = 0, rstep = 0, i;
    for (int d = 0; d < s->kpos; d++) {
        if (!lane_index(R, s->ix[d], var, c0, n, 0, v->dims[d], &i, &st)) return 0;
        row += (i - 1) * s->nrs[d];
        rstep += st * s->nrs[d];
    }
    Lane M = lane_of(R, s->args[1]), S = lane_of(R, s->args[2]);
    const double *ms = s->nstat + 2 * row;
    long rs = 2 * rstep;
    int sm = M.st;
    if (S.st == 0 && M.acc != S.acc) {
        double sg = *S.v;
        if (!(sg > 0) || !isfinite(sg)) return 0;
        int ce = sc_scale_entry(R, sg);
        double is = R->ls_inv[ce], lt = -nn * (SC_LOG_SQRT_2PI + R->ls_log[ce]), lp = R->lp, sacc = *S.acc;
        int sid = *S.id >= 0;
        const double *mv = M.v;
        const int32_t *mid = M.id;
        double *macc = M.acc;
        /* a location that is not finite makes its szz not finite, and that lp: one
         * check after the lanes (lp finite before them), where the flat code checks
         * each (a sum that overflows fails the run too: the interpreter runs it) */
        if (!isfinite(lp)) return 0;
#define NSTAT_LANES(SM)                                                                       \
        for (int k = 0; k < n; k++) {                                                         \
            const double *q = ms + k * rs;                                                    \
            double d = (q[0] - mv[k * SM]) * is, sz = nn * d, szz = q[1] * is * is + nn * (d * d); \
            lp += lt - 0.5 * szz;                                                             \
            if (mid[k * SM] >= 0) macc[k * SM] += sz * is;                                    \
            if (sid) sacc += (szz - nn) * is;                                                 \
        }
        if (sm) NSTAT_LANES(1) else NSTAT_LANES(0)
#undef NSTAT_LANES
        if (!isfinite(lp)) return 0;
        R->lp = lp;
        *S.acc = sacc;
        return 1;
    }
    for (int k = 0; k < n; k++) {
        double m = M.v[k * sm], sg = S.v[k * S.st];
        if (!isfinite(m) || !(sg > 0) || !isfinite(sg)) return 0;
        int ce = sc_scale_entry(R, sg);
        const double *q = ms + k * rs;
        double is = R->ls_inv[ce], d = (q[0] - m) * is, sz = nn * d, szz = q[1] * is * is + nn * (d * d);
        if (!isfinite(szz)) return 0;
        R->lp += -nn * (SC_LOG_SQRT_2PI + R->ls_log[ce]) - 0.5 * szz;
        if (M.id[k * sm] >= 0) M.acc[k * sm] += sz * is;
        if (S.id[k * S.st] >= 0) S.acc[k * S.st] += (szz - nn) * is;
    }
    return 1;
}

/* scalar.c's SX_NORMAL (sc_normal), lane by lane: lp in a local, the shares in place
 * (an outer register's summed in the lanes' order); 0 on an invalid argument */
static int lanes_normal(ScRun *R, const ScOp *o, int n)
{
    Lane X = lane_of(R, o->ix[0]), M = lane_of(R, o->ix[1]), S = lane_of(R, o->ix[2]);
    double lp = R->lp;
    for (int k = 0; k < n; k++) {
        int kx = k * X.st, km = k * M.st, ks = k * S.st;
        double g[3];
        lp += sc_normal(R, X.v[kx], M.v[km], S.v[ks], g);
        if (R->bad) return 0;
        if (X.id[kx] >= 0) X.acc[kx] += g[0];
        if (M.id[km] >= 0) M.acc[km] += g[1];
        if (S.id[ks] >= 0) S.acc[ks] += g[2];
    }
    R->lp = lp;
    return 1;
}

/* scalar.c's SX_LP, lane by lane */
static void lanes_lp(ScRun *R, const ScOp *o, int n)
{
    Lane A = lane_of(R, o->a);
    double lp = R->lp;
    for (int k = 0; k < n; k++) {
        lp += A.v[k * A.st];
        if (A.id[k * A.st] >= 0) A.acc[k * A.st] += 1;
    }
    R->lp = lp;
}

/* a push's shares c[0..n) into input l: a lane's each, or an outer register's summed
 * in the lanes' order */
static inline void push_apply(ScRun *R, Lane l, const double *c, int n, int direct)
{
    if (direct) {                     /* the shares as triples (direct_shares) */
        Ev *ev = R->ev;
        int w = 0;
        if (ev->notape) {
            for (int k = 0; k < n; k++) w |= l.id[k] >= 0 && c[k] != 0;
        } else {
            if (ev->nt + n > ev->capt) tape_reserve(ev, n);
            int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt, lpid = R->lpid;
            double *restrict td = ev->td + ev->nt;
            for (int k = 0; k < n; k++)
                if (l.id[k] >= 0 && c[k] != 0) {
                    ti[w] = l.id[k];
                    to[w] = lpid;
                    td[w] = c[k];
                    w++;
                }
            ev->nt += w;
        }
        R->lpused |= w != 0;
        return;
    }
    if (l.st) {
        for (int k = 0; k < n; k++) if (l.id[k] >= 0) l.acc[k] += c[k];
    } else if (*l.id >= 0) {
        double sum = *l.acc;
        for (int k = 0; k < n; k++) sum += c[k];
        *l.acc = sum;
    }
}

/* scalar.c's L_SX_PUSH, lane by lane: each input's shares computed for every lane, then
 * added; two inputs sharing an outer register (their sums interleave, as the flat
 * code's) take the lane-by-lane loop */
static void lanes_push(ScRun *R, const ScOp *o, int n)
{
    Lane M = lane_of(R, o->dst), la = lane_of(R, o->a), lb = lane_of(R, o->b);
    int fma = sc_lin3(o->nidx);
    Lane lc = fma ? lane_of(R, o->ix[0]) : la;
    int ci = o->iv, sm = M.st, sa = la.st, sb = lb.st;
    double ov = o->v;
    int shared = (sa == 0 && (la.acc == lb.acc || (fma && la.acc == lc.acc))) || (sb == 0 && fma && lb.acc == lc.acc)
                 || sm == 0;
    if (shared) {
        for (int k = 0; k < n; k++) {
            double g = M.acc[k * sm];
            M.acc[k * sm] = 0;
            int ka = k * sa, kb = k * sb, kc = k * lc.st;
            sc_push_one(o, g, la.acc + ka, lb.acc + kb, lc.acc + kc, la.id[ka], lb.id[kb], lc.id[kc], la.v[ka], lb.v[kb]);
        }
        return;
    }
    double g[SC_LANES], ca[SC_LANES], cb[SC_LANES];
    const double *av = la.v, *bv = lb.v;
    for (int k = 0; k < n; k++) { g[k] = M.acc[k]; M.acc[k] = 0; }
    switch (o->nidx) {
    case SO_FMA:
#define PUSH_FMA(SA, SB)                                                                      \
        for (int k = 0; k < n; k++) {                                                         \
            ca[k] = g[k] * (ov * bv[k * SB]);                                                 \
            cb[k] = g[k] * (ov * av[k * SA]);                                                 \
        }
        switch (sa * 2 + sb) {
        case 0: PUSH_FMA(0, 0) break;
        case 1: PUSH_FMA(0, 1) break;
        case 2: PUSH_FMA(1, 0) break;
        default: PUSH_FMA(1, 1) break;
        }
#undef PUSH_FMA
        if (ci != 1)
            for (int k = 0; k < n; k++) g[k] *= ci;     /* g * ci: the same bits as the flat code's */
        push_apply(R, lc, g, n, o->vmask >> 2 & 1);
        break;
    case SO_ADD3: {                   /* scalar.c's L_SX_PUSH: the partials 1, v, iv */
        double ga, gb, gc;
        sc_add3_partials(o->slot, ov, ci, &ga, &gb, &gc);
        for (int k = 0; k < n; k++) {
            ca[k] = g[k] * ga;
            cb[k] = g[k] * gb;
            g[k] *= gc;
        }
        push_apply(R, lc, g, n, o->vmask >> 2 & 1);
        break;
    }
    case SO_ADD: case SO_SUB:
        for (int k = 0; k < n; k++) { ca[k] = g[k]; cb[k] = o->nidx == SO_ADD ? g[k] : -g[k]; }
        break;
    default:
        for (int k = 0; k < n; k++) { ca[k] = g[k] * bv[k * sb]; cb[k] = g[k] * av[k * sa]; }
        break;
    }
    push_apply(R, la, ca, n, o->vmask & 1);
    push_apply(R, lb, cb, n, o->vmask >> 1 & 1);
}

/* lanes c0 .. c0 + n - 1 of the body [b0, e) */
static void lanes_run(ScRun *R, const ScOp *b0, const ScOp *e, int var, long c0, int n)
{
    const ScProg *p = R->p;
    ScLanes *L = R->lanes;
    for (const ScOp *o = b0; o < e; o++) {
        switch (o->op) {
        case SO_ELEM2: {
            const Val *v = R->arr[o->arr];
            long off = 0, step = 0, i;
            int s;
            for (int d = 0; d < 2; d++) {
                if (!lane_index(R, o->ix[d], var, c0, n, 0, v->dims[d], &i, &s)) { R->bad = 1; return; }
                off += (i - 1) * R->stride[o->arr][d];
                step += s * R->stride[o->arr][d];
            }
            int sl = p->lane[o->dst];
            double *x = L->v[sl];
            int32_t *id = L->id[sl];
            for (int k = 0; k < n; k++) x[k] = v->x[off + k * step];
            if (v->id) for (int k = 0; k < n; k++) id[k] = v->id[off + k * step];
            else for (int k = 0; k < n; k++) id[k] = -1;
            break;
        }
        case SO_ELEM1: {
            const Val *v = R->arr[o->arr];
            long i;
            int s;
            if (!lane_index(R, o->a, var, c0, n, o->iv, v->dims[0], &i, &s)) { R->bad = 1; return; }
            int sl = p->lane[o->dst];
            double *x = L->v[sl];
            int32_t *id = L->id[sl];
            if (v->base == TB_INT) {
                for (int k = 0; k < n; k++) {
                    int y = v->iv[i - 1 + k * s];
                    if (y == INT_MIN) { R->bad = 1; return; }
                    x[k] = y;
                    id[k] = -1;
                }
            } else {
                for (int k = 0; k < n; k++) x[k] = v->x[i - 1 + k * s];
                if (v->id) for (int k = 0; k < n; k++) id[k] = v->id[i - 1 + k * s];
                else for (int k = 0; k < n; k++) id[k] = -1;
            }
            break;
        }
        case SO_LINV: lanes_linv(R, o, n); break;
        case SX_NSTAT: if (!lanes_nstat(R, &p->st[o->st], var, c0, n)) { R->bad = 1; return; } break;
        case SX_PUSH: lanes_push(R, o, n); break;
        case SX_NORMAL: if (!lanes_normal(R, o, n)) { R->bad = 1; return; } break;
        case SX_LP: lanes_lp(R, o, n); break;
        default: R->bad = 1; return;  /* not marked so (sc_batch_mark) */
        }
    }
}

int sc_batch(ScRun *R, const ScOp *code, const ScOp *fo)
{
    const ScProg *p = R->p;
    const ScStmt *ls = &p->st[fo->st];
    int *iv = R->iv, lo = iv[ls->lo], hi = iv[ls->hi], nreg = fo->nidx;
    if (lo == INT_MIN || hi == INT_MIN || hi < lo || !R->lanes) return 0;
    const ScOp *b0 = fo + 1, *e = code + fo->jmp - 1;     /* the body, and its SX_NEXT */
    for (const ScOp *o = b0; o < e; o++)      /* the rows' statistics hold (else the flat code) */
        if (o->op == SX_NSTAT) {
            const ScStmt *s = &p->st[o->st];
            const Val *v = R->arr[s->arr];
            if (v->x != s->nstat_x || iv[s->lo] != 1 || iv[s->hi] != v->dims[s->kpos]) return 0;
        }
    /* what the registers collected before the loop goes on the tape, as their first
     * write in the loop would put it */
    for (int t = 0; t < nreg; t++) if (fo->vmask >> t & 1) sc_flush(R, fo->ix[t]);
    ScLanes *L = R->lanes;
    Ev *ev = R->ev;
    for (long c0 = lo; c0 <= hi; c0 += SC_LANES) {
        int n = hi - c0 + 1 < SC_LANES ? (int)(hi - c0 + 1) : SC_LANES;
        for (int t = 0; t < nreg; t++)        /* the shares summed into (summed_into) */
            if ((unsigned)fo->b >> t & 1) for (int k = 0; k < n; k++) L->acc[t][k] = 0;
        lanes_run(R, b0, e, ls->dst, c0, n);
        if (R->bad) return 1;
        /* each iteration's shares, in their order, then the last iteration's values
         * in the registers, as the flat code leaves them */
        for (int t = 0; t < nreg; t++) {
            int r = fo->ix[t];
            if ((unsigned)fo->iv >> t & 1) {  /* sc_flush's triples: a share that is not 0 */
                const double *a = L->acc[t];
                const int32_t *id = L->id[t];
                int w = 0;
                if (ev->notape) {
                    for (int k = 0; k < n; k++) w |= a[k] != 0;
                } else {
                    if (ev->nt + n > ev->capt) tape_reserve(ev, n);
                    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt, lpid = R->lpid;
                    double *restrict td = ev->td + ev->nt;
                    for (int k = 0; k < n; k++)
                        if (a[k] != 0) {
                            ti[w] = id[k];
                            to[w] = lpid;
                            td[w] = a[k];
                            w++;
                        }
                    ev->nt += w;
                }
                R->lpused |= w != 0;
            }
            R->rv[r] = L->v[t][n - 1];
            R->rid[r] = L->id[t][n - 1];
            R->racc[r] = 0;
        }
    }
    iv[ls->dst] = hi;
    iv[ls->hreg] = hi;
    R->nexec += (long)(hi - lo + 1) * e->iv;
    return 1;
}
