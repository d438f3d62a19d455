/* The read-only model graph (graph.h), made from a loaded model's IR and parameter
 * layout once, and the probe, a thin view of ir_eval's walk that hands over doubles
 * instead of evaluator values.  Not a hot path. */
#include <stdlib.h>
#include <string.h>
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/ir_eval.h"
#include "stdlib/dist.h"

typedef struct VgFac {
    VgFactor pub;
    const Stmt *stmt;
} VgFac;

struct VgGraph {
    const VmModel *m;
    VgParam *params;
    int nparams;
    VgFac *fac;
    int nfac, capfac;
    int *deps;                 /* every factor's deps, back to back */
};

struct VgProbe {
    const VgGraph *g;
    IrProbe *ie;
    VgVisit visit;
    void *ctx;
    VgValue vals[DIST_MAX_ARGS + 1];
    double *buf;               /* the int values of one instance, as doubles */
    size_t capbuf;
    /* the instance being visited, for vg_probe_refs */
    Ev *ev;
    const Stmt *stmt;
    /* per parameter: its element offsets as an int value, made once per walk (the
     * evaluator's arena is reset between walks) */
    Val *idv;
    int *idgen, gen;
};

/* Same order as TrKind: the public names must not depend on transform.h. */
_Static_assert((int)VG_CHOLESKY_COV == (int)TR_CHOLESKY_COV && (int)VG_AFFINE == (int)TR_AFFINE
               && (int)VG_SIMPLEX == (int)TR_SIMPLEX && VG_NCONSTRAINTS == TR_NKINDS,
               "VgConstraint mirrors TrKind");
_Static_assert(VG_MAXDIM == VM_MAXDIM, "VgParam.dims holds a Val's dims");
_Static_assert(VG_MAXVALS >= DIST_MAX_ARGS_EV, "a factor's values fit VgFactor.val_pos");

static VgPos pos_of(Span sp) { return (VgPos){sp.off, sp.len}; }

const char *vg_constraint_name(VgConstraint c)
{
    return c == VG_REAL ? "real" : tr_name((TrKind)c);
}

static void line_col(const VmModel *m, Span sp, int *line, int *col)
{
    *line = *col = 0;
    if (m->src) diag_line_col(m->src, m->srclen, sp.off, line, col);
}

/* The parameter a variate expression names (x, x[i], x[i, j]), or -1. */
static int variate_param(const VmModel *m, const Expr *e)
{
    while (e && e->kind == E_INDEX) e = e->args[0];
    if (!e || e->kind != E_VAR) return -1;
    for (int k = 0; k < m->nparams; k++) if (m->params[k].slot == e->slot) return k;
    return -1;
}

static int add_factor(VgGraph *g, const Stmt *s, const Dist *d, const Expr *variate, Expr *const *args,
                      int nargs, Span dist_span, int term, int nloops)
{
    if (g->nfac == g->capfac) {
        g->capfac = g->capfac ? 2 * g->capfac : 16;
        VgFac *f = realloc(g->fac, sizeof *f * (size_t)g->capfac);
        if (!f) return -1;
        g->fac = f;
    }
    VgFac *f = &g->fac[g->nfac++];
    memset(f, 0, sizeof *f);
    f->stmt = s;
    f->pub.id = g->nfac - 1;
    f->pub.dist = d;
    f->pub.dist_id = -1;
    for (int i = 0; dist_table[i]; i++) if (dist_table[i] == d) f->pub.dist_id = i;
    f->pub.variate = variate_param(g->m, variate);
    f->pub.term = term;
    f->pub.nloops = nloops;
    f->pub.pos = pos_of(s->span);
    f->pub.dist_pos = pos_of(dist_span);
    f->pub.nvals = 1 + nargs < VG_MAXVALS ? 1 + nargs : VG_MAXVALS;
    for (int i = 0; i < VG_MAXVALS; i++) f->pub.val_pos[i] = f->pub.pos;
    if (variate) f->pub.val_pos[0] = pos_of(variate->span);
    for (int i = 0; i + 1 < f->pub.nvals; i++) f->pub.val_pos[i + 1] = pos_of(args[i]->span);
    line_col(g->m, s->span, &f->pub.line, &f->pub.col);
    return 0;
}

/* Every `~` (and `target += D_lpdf(...)`) under s, which belongs to term `term`. */
static int scan(VgGraph *g, const Stmt *s, int term, int nloops)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_TILDE:
        return s->fn ? add_factor(g, s, s->fn, s->lhs, s->args, s->nargs, s->dist_span, term, nloops) : 0;
    case S_TARGET: {
        const Expr *e = s->rhs;
        if (e && e->kind == E_CALL && e->fkind == FN_DIST_LPDF && e->nargs >= 1 && e->fn)
            return add_factor(g, s, e->fn, e->args[0], e->args + 1, e->nargs - 1, e->name_span, term, nloops);
        return 0;
    }
    case S_FOR: case S_WHILE:
        return scan(g, s->body, term, nloops + 1);
    case S_IF:
        return scan(g, s->body, term, nloops) || scan(g, s->els, term, nloops);
    case S_BLOCK:
        for (int i = 0; i < s->nstmts; i++) if (scan(g, s->stmts[i], term, nloops)) return -1;
        return 0;
    default:
        return 0;
    }
}

/* A bound that is one constant of the data: 1 and *v, 0 for no bound, -1 otherwise. */
static int const_bound(const VmModel *m, Ev *ev, const Expr *e, double *v)
{
    if (!e) return 0;
    if (e->level > LV_DATA) return -1;
    memcpy(ev->env, m->data_env, sizeof(Val) * (size_t)m->ir->nvars);
    ev->fail = 0;
    Val x = val_to_real(ev, eval_expr(ev, e));
    if (ev->fail || x.n < 1) return -1;
    for (int i = 1; i < x.n; i++) if (x.x[i] != x.x[0]) return -1;
    *v = x.x[0];
    return 1;
}

static int fill_params(VgGraph *g)
{
    const VmModel *m = g->m;
    g->params = calloc((size_t)m->nparams + 1, sizeof *g->params);
    if (!g->params) return -1;
    g->nparams = m->nparams;
    IrProbe *ie = ie_new(m);
    if (!ie) return -1;
    Ev *ev = ie_ev(ie);
    size_t value = 0;
    for (int k = 0; k < m->nparams; k++) {
        const ParamInfo *pi = &m->params[k];
        VgParam *p = &g->params[k];
        p->name = pi->decl->name;
        p->constraint = (VgConstraint)pi->tr;
        p->is_int = pi->is_int;
        p->shape = (VgShapeKind)pi->shape.kind;
        p->ndims = pi->shape.ndim;
        memcpy(p->dims, pi->shape.dims, sizeof p->dims);
        p->n = (size_t)pi->shape.n;
        p->reps = pi->reps;
        p->rows = pi->rows;
        p->cols = pi->cols;
        p->first = pi->is_int ? m->dim + (size_t)pi->off : (size_t)pi->off;
        p->ncoords = pi->is_int ? (size_t)pi->shape.n : (size_t)pi->reps * (size_t)pi->nfree;
        /* outputs start with the parameters, in declaration order (model.c) */
        p->value_first = value;
        value += p->n;
        const TypeSpec *ts = pi->decl->type;
        p->lo_kind = ts ? const_bound(m, ev, ts->lower, &p->lo) : 0;
        p->hi_kind = ts ? const_bound(m, ev, ts->upper, &p->hi) : 0;
        p->pos = pos_of(pi->decl->span);
        line_col(m, pi->decl->span, &p->line, &p->col);
    }
    ie_free(ie);
    return 0;
}

/* A factor depends on the parameters its top-level statement reads (sema's transitive
 * read set): the same rule as vm_model_term_deps, so both views agree. */
static int fill_deps(VgGraph *g)
{
    const VmModel *m = g->m;
    size_t total = 0;
    for (int i = 0; i < g->nfac; i++) total += (size_t)m->ir->prog->stmts[g->fac[i].pub.term]->nreads;
    g->deps = malloc(sizeof(int) * (total + 1));
    if (!g->deps) return -1;
    size_t at = 0;
    for (int i = 0; i < g->nfac; i++) {
        const Stmt *top = m->ir->prog->stmts[g->fac[i].pub.term];
        int *d = g->deps + at, nd = 0;
        for (int k = 0; k < m->nparams; k++)
            for (int r = 0; r < top->nreads; r++)
                if (top->reads[r] == m->params[k].slot) { d[nd++] = k; break; }
        g->fac[i].pub.deps = d;
        g->fac[i].pub.ndeps = nd;
        at += (size_t)nd;
    }
    return 0;
}

VgGraph *vg_new(const VmModel *m)
{
    VgGraph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->m = m;
    const Program *p = m->ir->prog;
    int bad = fill_params(g);
    for (int i = 0; i < p->nstmts && !bad; i++)
        if (p->stmts[i]->phase == PH_MODEL) bad = scan(g, p->stmts[i], i, 0);
    if (bad || fill_deps(g)) { vg_free(g); return NULL; }
    return g;
}

void vg_free(VgGraph *g)
{
    if (!g) return;
    free(g->params);
    free(g->fac);
    free(g->deps);
    free(g);
}

const VmModel *vg_model(const VgGraph *g) { return g->m; }

char *vg_render(const VgGraph *g, VgPos pos, const char *msg)
{
    return model_render_error(g->m, (Span){pos.off, pos.len}, msg);
}

int vg_unconstrain(const VgGraph *g, int k, const double *x, double *u)
{
    const VgParam *p = vg_param(g, k);
    if (!p || p->lo_kind < 0 || p->hi_kind < 0) return -1;
    const ParamInfo *pi = &g->m->params[k];
    if (p->is_int) {
        for (size_t i = 0; i < p->n; i++) u[p->first + i] = x[i];
        return 0;
    }
    size_t blk = (size_t)pi->blk;
    /* the bounds per element of a block; small blocks (the usual) need no allocation */
    double slo[64], shi[64];
    double *lo = blk <= 64 ? slo : malloc(sizeof(double) * blk), *hi = blk <= 64 ? shi : malloc(sizeof(double) * blk);
    if (!lo || !hi) { if (lo != slo) free(lo); if (hi != shi) free(hi); return -1; }
    for (size_t i = 0; i < blk; i++) { lo[i] = p->lo; hi[i] = p->hi; }
    int bad = 0;
    for (int r = 0; r < pi->reps; r++) {
        size_t at;
        if (tr_unconstrain(pi->tr, (size_t)pi->rows, (size_t)pi->cols, x + (size_t)r * blk,
                           p->lo_kind ? lo : NULL, p->hi_kind ? hi : NULL,
                           u + p->first + (size_t)r * (size_t)pi->nfree, &at))
            bad = -1;
    }
    if (lo != slo) free(lo);
    if (hi != shi) free(hi);
    return bad;
}
int vg_nparams(const VgGraph *g) { return g->nparams; }
const VgParam *vg_param(const VgGraph *g, int k) { return k >= 0 && k < g->nparams ? &g->params[k] : NULL; }
int vg_nfactors(const VgGraph *g) { return g->nfac; }
const VgFactor *vg_factor(const VgGraph *g, int i) { return i >= 0 && i < g->nfac ? &g->fac[i].pub : NULL; }

int vg_param_find(const VgGraph *g, const char *name)
{
    for (int k = 0; k < g->nparams; k++) if (!strcmp(g->params[k].name, name)) return k;
    return -1;
}

VgProbe *vg_probe_new(const VgGraph *g)
{
    VgProbe *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->g = g;
    p->ie = ie_new(g->m);
    p->idv = calloc((size_t)g->nparams + 1, sizeof(Val));
    p->idgen = calloc((size_t)g->nparams + 1, sizeof(int));
    if (!p->ie || !p->idv || !p->idgen) { vg_probe_free(p); return NULL; }
    return p;
}

void vg_probe_free(VgProbe *p)
{
    if (!p) return;
    ie_free(p->ie);
    free(p->buf);
    free(p->idv);
    free(p->idgen);
    free(p);
}

void vg_probe_set(VgProbe *p, int k, const double *x) { ie_set_param(p->ie, k, x); }

/* The factor of statement s (a `target +=` arrives as a `~` with its span). */
static const VgFactor *factor_of(const VgGraph *g, const Stmt *s)
{
    for (int i = 0; i < g->nfac; i++)
        if (g->fac[i].stmt == s || g->fac[i].stmt->span.off == s->span.off) return &g->fac[i].pub;
    return NULL;
}

static int on_tilde(void *ctx, Ev *ev, const Stmt *s, int inst, const Val *vals, int nvals)
{
    VgProbe *p = ctx;
    const VgFactor *f = factor_of(p->g, s);
    if (!f || nvals > DIST_MAX_ARGS + 1) return 0;
    size_t nint = 0;
    for (int i = 0; i < nvals; i++) if (vals[i].base == TB_INT) nint += (size_t)vals[i].n;
    if (nint > p->capbuf) {
        double *b = realloc(p->buf, sizeof(double) * nint);
        if (!b) return -1;
        p->buf = b;
        p->capbuf = nint;
    }
    size_t at = 0;
    for (int i = 0; i < nvals; i++) {
        const Val *v = &vals[i];
        VgValue *o = &p->vals[i];
        o->n = v->n;
        o->is_int = v->base == TB_INT;
        o->shape = (VgShapeKind)v->kind;
        o->narr = v->narr;
        o->ndims = v->ndim;
        memcpy(o->dims, v->dims, sizeof o->dims);
        if (o->is_int) {
            for (int j = 0; j < v->n; j++) p->buf[at + (size_t)j] = v->iv[j];
            o->x = p->buf + at;
            at += (size_t)v->n;
        } else {
            o->x = v->x;
        }
    }
    p->ev = ev;
    p->stmt = s;
    int rc = p->visit(p->ctx, f, inst, p->vals, nvals);
    p->ev = NULL;
    p->stmt = NULL;
    return rc;
}

int vg_probe_walk(VgProbe *p, VgVisit visit, void *ctx)
{
    p->visit = visit;
    p->ctx = ctx;
    p->gen++;
    return ie_walk(p->ie, on_tilde, p);
}

const char *vg_probe_error(const VgProbe *p, VgPos *pos)
{
    Span sp = {0, 0};
    const char *msg = ie_error(p->ie, &sp);
    if (pos) *pos = pos_of(sp);
    return msg;
}

/* ---- discrete references ---- */

void vg_refs_add(VgRefs *r, int param, int elt)
{
    if (!r->n && !r->many) r->first = param;
    else if (param != r->first) r->mixed = 1;
    for (int i = 0; i < r->n; i++) if (r->param[i] == param && r->elt[i] == elt) return;
    if (r->n == VG_MAXREFS) { r->many = 1; return; }
    r->param[r->n] = param;
    r->elt[r->n++] = elt;
}

static int disc_param(const VgGraph *g, int slot)
{
    for (int k = 0; k < g->m->nparams; k++)
        if (g->m->params[k].slot == slot && g->m->params[k].is_int) return k;
    return -1;
}

/* Syntactic: every z[...] under e, evaluated with z bound to its element offsets. */
static void refs(VgProbe *p, const Expr *e, VgRefs *r)
{
    if (!e) return;
    Ev *ev = p->ev;
    const Expr *base = e->kind == E_INDEX ? e->args[0] : e;
    int k = base->kind == E_VAR ? disc_param(p->g, base->slot) : -1;
    if (k >= 0) {
        int slot = base->slot;
        Val save = ev->env[slot];
        if (p->idgen[k] != p->gen) {
            p->idv[k] = val_alloc(ev, TB_INT, save.kind, save.narr, save.dims);
            for (int i = 0; i < p->idv[k].n; i++) p->idv[k].iv[i] = i;
            p->idgen[k] = p->gen;
        }
        ev->env[slot] = p->idv[k];
        Val got = eval_expr(ev, e);
        ev->env[slot] = save;
        if (ev->fail) return;
        for (int i = 0; i < got.n; i++) vg_refs_add(r, k, got.iv[i]);
        if (!r->sub) {
            r->sub = malloc(sizeof(int) * (size_t)(got.n + 1));
            if (r->sub) memcpy(r->sub, got.iv, sizeof(int) * (size_t)got.n);
            r->nsub = got.n;
        } else if (r->nsub != got.n || memcmp(r->sub, got.iv, sizeof(int) * (size_t)got.n)) r->subdiff = 1;
    }
    if (e->kind != E_VAR) {
        for (int i = (k >= 0 ? 1 : 0); i < e->nargs; i++) refs(p, e->args[i], r);
        for (int i = 0; i < e->nidx; i++) { refs(p, e->idx[i].a, r); refs(p, e->idx[i].b, r); }
    }
}

int vg_probe_refs(VgProbe *p, int i, VgRefs *r)
{
    if (!p->ev || !p->stmt) return -1;
    const Stmt *s = p->stmt;
    if (i == 0) refs(p, s->lhs, r);
    else if (i - 1 < s->nargs) refs(p, s->args[i - 1], r);
    return p->ev->fail ? -1 : 0;
}
