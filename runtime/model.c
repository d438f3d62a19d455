/* Loading a model: parse, check, bind data (running the data phase once), lay out
 * the parameters in Stan's order, and name every coordinate and output value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "runtime/model.h"
#include "runtime/readfile.h"
#include "runtime/plan.h"
#include "runtime/split.h"
#include "runtime/alloc.h"
#include <jansson.h>
#include "runtime/data_json.h"

char *model_render_error(const Model *m, Span sp, const char *msg)
{
    DiagList d;
    diag_init(&d, m->file, m->src, m->srclen);
    diag_add(&d, DIAG_ERROR, sp, "%s", msg);
    char *s = diag_render(&d);
    diag_free(&d);
    return s;
}

TrKind model_tr_kind(const TypeSpec *ts)
{
    switch (ts->name) {
    case TS_SIMPLEX: return TR_SIMPLEX;
    case TS_ORDERED: return TR_ORDERED;
    case TS_POS_ORDERED: return TR_POSITIVE_ORDERED;
    case TS_CHOL_CORR: return TR_CHOLESKY_CORR;
    case TS_COV: return TR_COV_MATRIX;
    case TS_CORR: return TR_CORR_MATRIX;
    case TS_CHOL_COV: return TR_CHOLESKY_COV;
    case TS_UNIT_VECTOR: return TR_UNIT_VECTOR;
    case TS_SUM_TO_ZERO: return TR_SUM_TO_ZERO;
    default:
        if (ts->offset || ts->multiplier) return TR_AFFINE;
        if (ts->lower && ts->upper) return TR_LOWER_UPPER;
        if (ts->lower) return TR_LOWER;
        if (ts->upper) return TR_UPPER;
        return TR_NONE;
    }
}

const Expr *model_tr_arg(const TypeSpec *ts, int which)
{
    if (ts->offset || ts->multiplier) return which ? ts->multiplier : ts->offset;
    return which ? ts->upper : ts->lower;
}

static TrKind tr_of(const TypeSpec *ts) { return model_tr_kind(ts); }

static int elementwise(TrKind k) { return tr_elementwise(k); }

/* Check a data value against its declared bounds (constant during loading). */
static int check_bounds(Ev *ev, const Stmt *s, Val *v, char *err, size_t errlen)
{
    const TypeSpec *ts = s->type;
    Expr *b[2] = {ts->lower, ts->upper};
    for (int w = 0; w < 2; w++) {
        if (!b[w]) continue;
        Val bv = val_to_real(ev, eval_expr(ev, b[w]));
        if (ev->fail) { snprintf(err, errlen, "%s", ev->msg); return -1; }
        Val x = val_to_real(ev, *v);
        for (int k = 0; k < x.n; k++) {
            double lim = bv.x[bv.n == 1 ? 0 : k];
            if (w == 0 ? x.x[k] < lim : x.x[k] > lim) {
                char ix[64] = "";
                if (v->ndim) {
                    /* element index in the user's (row-major, first index outer) terms */
                    int c[VM_MAXDIM];
                    long rem = k;
                    /* invert our layout by search: cheap enough for an error path */
                    for (long t = 0; t < (long)v->n; t++) {
                        long q = t;
                        for (int d = v->ndim - 1; d >= 0; d--) { c[d] = (int)(q % v->dims[d]); q /= v->dims[d]; }
                        if (val_offset(v, c) == rem) break;
                    }
                    size_t o = 0;
                    o += (size_t)snprintf(ix + o, sizeof ix - o, "[");
                    for (int d = 0; d < v->ndim; d++) o += (size_t)snprintf(ix + o, sizeof ix - o, "%s%d", d ? "," : "", c[d] + 1);
                    snprintf(ix + o, sizeof ix - o, "]");
                }
                snprintf(err, errlen, "data '%s': %s%s is %g, but must be %s %g", s->name, s->name, ix, x.x[k],
                         w == 0 ? ">=" : "<=", lim);
                return -1;
            }
        }
    }
    if (ts->name >= TS_SIMPLEX) {
        TrKind k = tr_of(ts);
        size_t rows = (size_t)v->dims[v->ndim - (tr_is_matrix(k) ? 2 : 1)];
        size_t cols = tr_is_matrix(k) ? (size_t)v->dims[v->ndim - 1] : 1;
        size_t blk = rows * cols;
        for (size_t r = 0; blk && r * blk < (size_t)v->n; r++) {
            size_t bad = 0;
            if (tr_check(k, rows, cols, v->x + r * blk, &bad)) {
                snprintf(err, errlen, "data '%s': the value is not a valid %s (element %zu)", s->name,
                         vm_typename[ts->name], r * blk + bad + 1);
                return -1;
            }
        }
    }
    return 0;
}

static void add_name(Model *m, char ***names, size_t *n, size_t *cap, char *s)
{
    (void)m;
    if (*n == *cap) { *cap = *cap ? 2 * *cap : 64; *names = realloc(*names, sizeof(char *) * *cap); }
    (*names)[(*n)++] = s;
}

/* Names of every element, column-major (first index fastest), as Stan writes them:
 * sep "." for CSV ("beta.2"), or "[" for coordinates ("beta[2]"). */
static void element_names(Model *m, const char *base, const Val *shape, int brackets, char ***names, size_t *n, size_t *cap);
void element_names_public(const char *base, const Val *shape, char ***names, size_t *n, size_t *cap)
{
    element_names(NULL, base, shape, 0, names, n, cap);
}

static void element_names(Model *m, const char *base, const Val *shape, int brackets, char ***names, size_t *n, size_t *cap)
{
    int nd = shape->ndim;
    long total = 1;
    for (int d = 0; d < nd; d++) total *= shape->dims[d];
    int c[VM_MAXDIM] = {0};
    for (long t = 0; t < total; t++) {
        char buf[256];
        size_t o = (size_t)snprintf(buf, sizeof buf, "%s", base);
        for (int d = 0; d < nd && o < sizeof buf; d++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, brackets ? (d ? ",%d" : "[%d") : ".%d", c[d] + 1);
        if (brackets && nd && o < sizeof buf) snprintf(buf + o, sizeof buf - o, "]");
        add_name(m, names, n, cap, strdup(buf));
        for (int d = 0; d < nd; d++) { if (++c[d] < shape->dims[d]) break; c[d] = 0; }
    }
}

/* Stan names unconstrained coordinates element by element in its own order; a
 * parameter whose free size differs from its value size gets NAME__free[i]. */
static void unc_names(Model *m, const ParamInfo *p, const char *name, char ***names, size_t *n, size_t *cap)
{
    long nf = (long)p->reps * p->nfree;
    if (elementwise(p->tr) || nf == p->shape.n) {
        /* coordinates in our storage order, named by their multi-index */
        const Val *v = &p->shape;
        int c[VM_MAXDIM];
        char **tmp = calloc((size_t)(v->n ? v->n : 1), sizeof(char *));
        int nd = v->ndim;
        long total = v->n;
        for (int d = 0; d < nd; d++) c[d] = 0;
        for (long t = 0; t < total; t++) {
            char buf[256];
            size_t o = (size_t)snprintf(buf, sizeof buf, "%s", name);
            for (int d = 0; d < nd && o < sizeof buf; d++) o += (size_t)snprintf(buf + o, sizeof buf - o, d ? ",%d" : "[%d", c[d] + 1);
            if (nd && o < sizeof buf) snprintf(buf + o, sizeof buf - o, "]");
            tmp[val_offset(v, c)] = strdup(buf);
            for (int d = 0; d < nd; d++) { if (++c[d] < v->dims[d]) break; c[d] = 0; }
        }
        for (long t = 0; t < total; t++) add_name(m, names, n, cap, tmp[t]);
        free(tmp);
        return;
    }
    for (long i = 0; i < nf; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s__free[%ld]", name, i + 1);
        add_name(m, names, n, cap, strdup(buf));
    }
}

static void free_model_names(Model *m)
{
    for (size_t i = 0; m->unc_names && i < m->n_unc_names; i++) free(m->unc_names[i]);
    free(m->unc_names);
    for (size_t i = 0; m->value_names && i < m->nvalues; i++) free(m->value_names[i]);
    free(m->value_names);
}

void vm_model_free(VmModel *m)
{
    if (!m) return;
    free_model_names(m);
    free(m->params);
    free(m->outs);
    free(m->data_env);
    free(m->disc_lo);
    free(m->disc_hi);
    free(m->term_start);
    free(m->term_idx);
    free(m->idx_assigned);
    free(m->hoisted);
    free(m->file);
    free(m->src);
    free(m->warnings);
    sp_free(m->split);
    arena_free(&m->arena);
    free(m);
}

/* The load-time evaluator allocates into the model's own arena, so data values
 * outlive it. */
static void load_ev_init(Ev *ev, Model *m)
{
    memset(ev, 0, sizeof *ev);
    ev->m = m;
    ev->arena = m->arena;
    ev->env = m->data_env;
}

static int bind_data(Model *m, void *root, char *err, size_t errlen, char **warn)
{
    Ev ev;
    load_ev_init(&ev, m);
    const Program *p = m->ir->prog;
    int rc = 0;
    for (int i = 0; i < p->nstmts && !rc; i++) {
        const Stmt *s = p->stmts[i];
        if (s->phase != PH_DATA) continue;
        if (s->kind == S_DECL && s->decl == D_DATA) {
            const VarInfo *vi = &m->ir->vars[s->slot];
            int dims[VM_MAXDIM], nd = 0, kind = vi->ty.kind;
            for (int k = 0; k < s->type->narr; k++) {
                Val d = eval_expr(&ev, s->type->arr[k]);
                if (ev.fail) break;
                dims[nd++] = d.iv[0];
            }
            for (int k = 0; k < 2 && s->type->size[k] && !ev.fail; k++) {
                Val d = eval_expr(&ev, s->type->size[k]);
                dims[nd++] = d.iv[0];
            }
            if (ev.fail) { snprintf(err, errlen, "%s", ev.msg); rc = -1; break; }
            if (vm_type_square(s->type->name) && !s->type->size[1])
                dims[nd] = dims[nd - 1], nd++;
            for (int k = 0; k < nd; k++)
                if (dims[k] < 0) {
                    snprintf(err, errlen, "data '%s': size %d is negative", s->name, dims[k]);
                    rc = -1;
                }
            if (rc) break;
            size_t count;
            if (val_count(dims, nd, &count) != 0) {
                char t[160];
                val_dims_text(t, sizeof t, dims, nd);
                snprintf(err, errlen, "data '%s': its size %s is more than the limit of %zu elements", s->name, t, (size_t)VM_MAX_ELEMENTS);
                rc = -1;
                break;
            }
            /* the JSON's shape first: a wrong one is reported before the memory is taken */
            if (root && data_json_shape(root, s->name, nd, dims, err, errlen) < 0) {
                rc = -1;
                break;
            }
            Val v = val_alloc(&ev, vi->ty.base, kind, s->type->narr, dims);
            int got = root ? data_json_read(root, s->name, &v, err, errlen) : 1;
            if (got < 0) { rc = -1; break; }
            if (got == 1) {
                if (!s->init) {
                    snprintf(err, errlen, "data '%s' is missing: it is not in the data file%s and has no default in the model",
                             s->name, root ? "" : " (no --data given)");
                    rc = -1;
                    break;
                }
                Val x = eval_expr(&ev, s->init);
                if (ev.fail) { snprintf(err, errlen, "%s", ev.msg); rc = -1; break; }
                if (x.n != v.n || x.ndim != v.ndim) {
                    snprintf(err, errlen, "data '%s': the default value has %d elements, but the declaration needs %d", s->name, x.n, v.n);
                    rc = -1;
                    break;
                }
                if (v.base == TB_REAL) { x = val_to_real(&ev, x); memcpy(v.x, x.x, sizeof(double) * (size_t)v.n); }
                else memcpy(v.iv, x.iv, sizeof(int) * (size_t)v.n);
            }
            m->data_env[s->slot] = v;
            if (check_bounds(&ev, s, &m->data_env[s->slot], err, errlen)) { rc = -1; break; }
            continue;
        }
        exec_stmt(&ev, s);
        if (ev.fail) {
            char *r = model_render_error(m, ev.fail_span, ev.msg);
            snprintf(err, errlen, "%s", r);
            free(r);
            rc = -1;
        }
    }
    if (!rc && root) {
        void *it = NULL;
        const char *key;
        Buf b = {0};
        while ((key = data_json_next_key(root, &it))) {
            int found = 0;
            for (int i = 0; i < m->ir->nvars; i++)
                if (m->ir->vars[i].kind == D_DATA && !strcmp(m->ir->vars[i].name, key)) found = 1;
            if (!found) buf_printf(&b, "warning: the data file has '%s', which the model does not declare (ignored)\n", key);
        }
        *warn = b.s;
    }
    vec_free(&ev);                    /* what vectorised loops kept in it */
    m->arena = ev.arena;
    return rc;
}

/* Sizes of parameters come from data only (checked), so the layout is fixed here. */
static int layout(Model *m, char *err, size_t errlen)
{
    Ev ev;
    load_ev_init(&ev, m);
    const Program *p = m->ir->prog;
    size_t ucap = 0;
    size_t *un = &m->n_unc_names;
    long off = 0, doff = 0;
    m->params = calloc((size_t)p->nstmts + 1, sizeof(ParamInfo));
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind != S_DECL || s->decl != D_PARAM) continue;
        ParamInfo *pi = &m->params[m->nparams++];
        const VarInfo *vi = &m->ir->vars[s->slot];
        pi->slot = s->slot;
        pi->decl = s;
        pi->tr = tr_of(s->type);
        pi->is_int = vi->ty.base == TB_INT;
        int dims[VM_MAXDIM], nd = 0;
        for (int k = 0; k < s->type->narr; k++) { Val d = eval_expr(&ev, s->type->arr[k]); if (ev.fail) break; dims[nd++] = d.iv[0]; }
        for (int k = 0; k < 2 && s->type->size[k] && !ev.fail; k++) { Val d = eval_expr(&ev, s->type->size[k]); dims[nd++] = d.iv[0]; }
        if (ev.fail) { snprintf(err, errlen, "%s", ev.msg); return -1; }
        if (vm_type_square(s->type->name) && !s->type->size[1]) dims[nd] = dims[nd - 1], nd++;
        for (int k = 0; k < nd; k++)
            if (dims[k] < 0) { snprintf(err, errlen, "param '%s': size %d is negative", s->name, dims[k]); return -1; }
        size_t count;
        if (val_count(dims, nd, &count) != 0) {
            char t[160];
            val_dims_text(t, sizeof t, dims, nd);
            snprintf(err, errlen, "param '%s': its size %s is more than the limit of %zu elements", s->name, t, (size_t)VM_MAX_ELEMENTS);
            return -1;
        }
        Val shape = val_alloc(&ev, vi->ty.base, vi->ty.kind, s->type->narr, dims);
        pi->shape = shape;
        if (elementwise(pi->tr)) { pi->reps = 1; pi->blk = pi->rows = shape.n; pi->cols = 1; pi->nfree = shape.n; }
        else {
            int mat = tr_is_matrix(pi->tr);
            pi->rows = dims[nd - 1 - mat];
            pi->cols = mat ? dims[nd - 1] : 1;
            if (pi->tr == TR_CHOLESKY_COV && pi->rows < pi->cols) {
                snprintf(err, errlen, "param '%s': cholesky_factor_cov[%d, %d] needs at least as many rows as columns",
                         s->name, pi->rows, pi->cols);
                return -1;
            }
            if (pi->tr == TR_UNIT_VECTOR && pi->rows < 1) {
                snprintf(err, errlen, "param '%s': a unit_vector needs at least one element", s->name);
                return -1;
            }
            pi->blk = pi->rows * pi->cols;
            pi->reps = pi->blk ? shape.n / pi->blk : 0;
            pi->nfree = (int)tr_free_size(pi->tr, (size_t)pi->rows, (size_t)pi->cols);
        }
        if (pi->is_int) { pi->off = doff; doff += shape.n; }
        else { pi->off = off; off += (long)pi->reps * pi->nfree; unc_names(m, pi, s->name, &m->unc_names, un, &ucap); }
    }
    m->dim = (size_t)off;
    m->ndisc = (size_t)doff;
    /* discrete coordinates go after the continuous ones */
    m->disc_lo = calloc(m->ndisc + 1, sizeof(double));
    m->disc_hi = calloc(m->ndisc + 1, sizeof(double));
    for (int i = 0; i < m->nparams; i++) {
        ParamInfo *pi = &m->params[i];
        if (!pi->is_int) continue;
        unc_names(m, pi, pi->decl->name, &m->unc_names, un, &ucap);
        Val lo = eval_expr(&ev, pi->decl->type->lower), hi = eval_expr(&ev, pi->decl->type->upper);
        if (ev.fail || lo.base != TB_INT || hi.base != TB_INT) {
            snprintf(err, errlen, "param int '%s': its bounds must be ints known from the data", pi->decl->name);
            return -1;
        }
        for (int k = 0; k < pi->shape.n; k++) {
            m->disc_lo[pi->off + k] = lo.iv[lo.n == 1 ? 0 : k];
            m->disc_hi[pi->off + k] = hi.iv[hi.n == 1 ? 0 : k];
            if (m->disc_lo[pi->off + k] > m->disc_hi[pi->off + k]) {
                snprintf(err, errlen, "param int '%s': lower bound %g is above upper bound %g", pi->decl->name,
                         m->disc_lo[pi->off + k], m->disc_hi[pi->off + k]);
                return -1;
            }
        }
    }
    vec_free(&ev);                    /* what vectorised loops kept in it */
    m->arena = ev.arena;
    return 0;
}

int model_bounds_bad(TrKind tr, const double *lo, const double *hi, int n)
{
    for (int k = 0; k < n; k++) {
        if (tr == TR_AFFINE && ((hi && !(hi[k] > 0 && isfinite(hi[k]))) || (lo && !isfinite(lo[k])))) return k;
        if (tr == TR_LOWER_UPPER && !(lo[k] < hi[k])) return k;
    }
    return -1;
}

int model_bound_finite(TrKind tr, const double *lo, const double *hi, int n)
{
    if (tr == TR_LOWER_UPPER) {
        if (!lo || !hi) return 0;
        for (int k = 0; k < n; k++) if (!isfinite(lo[k]) || !isfinite(hi[k]) || !(hi[k] - lo[k] > 0)) return 0;
        return 1;
    }
    const double *b = tr == TR_LOWER ? lo : tr == TR_UPPER ? hi : NULL;
    if (!b) return 0;
    for (int k = 0; k < n; k++) if (!isfinite(b[k])) return 0;
    return 1;
}

/* One bound of pi known at load, expanded to n elements in the model's arena; NULL if
 * the type has no such argument, *ok = 0 if it depends on a parameter or does not fit. */
static const double *fixed_bound(Ev *ev, const Expr *e, int n, int *ok)
{
    if (!e) return NULL;
    if (e->level > LV_DATA) { *ok = 0; return NULL; }
    Val b = val_to_real(ev, eval_expr(ev, e));
    if (ev->fail || (b.n != 1 && b.n != n) || !b.x) { ev->fail = 0; *ok = 0; return NULL; }
    double *x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) x[i] = b.x[b.n == 1 ? 0 : i];
    return x;
}

/* Decide once: a continuous parameter's bounds that only data determine are evaluated
 * and checked here (bind_param reads them).  Those that fail a check are left to the
 * evaluation, which reports them at the declaration as before. */
static void fix_bounds(Model *m)
{
    if (vm_hoist_disabled) return;
    Ev ev;
    load_ev_init(&ev, m);
    for (int i = 0; i < m->nparams; i++) {
        ParamInfo *pi = &m->params[i];
        if (pi->is_int || pi->tr == TR_NONE) continue;
        const TypeSpec *ts = pi->decl->type;
        int n = (int)pi->shape.n, ok = 1;
        const Expr *a0 = model_tr_arg(ts, 0), *a1 = model_tr_arg(ts, 1);
        if (!a0 && !a1) continue;
        const double *lo = fixed_bound(&ev, a0, n, &ok), *hi = ok ? fixed_bound(&ev, a1, n, &ok) : NULL;
        if (!ok || model_bounds_bad(pi->tr, lo, hi, n) >= 0) continue;
        pi->fixed = 1;
        pi->lo_fix = lo;
        pi->hi_fix = hi;
        pi->fix_finite = model_bound_finite(pi->tr, lo, hi, n);
    }
    vec_free(&ev);                    /* what vectorised loops kept in it */
    m->arena = ev.arena;
}

/* Coordinates of parameter pi in the dim + ndisc layout: [*lo, *hi). */
static void param_coords(const Model *m, const ParamInfo *pi, size_t *lo, size_t *hi)
{
    *lo = pi->is_int ? m->dim + (size_t)pi->off : (size_t)pi->off;
    *hi = *lo + (pi->is_int ? (size_t)pi->shape.n : (size_t)pi->reps * (size_t)pi->nfree);
}

/* The parameter (index into m->params) statement i's term may depend on through
 * slot: the declaration depends on its own parameter (its log-Jacobian), every
 * statement on the parameters it reads (transitively through lets: sema). */
static int stmt_param(const Model *m, const int *param_of, const Stmt *s, int r)
{
    if (r == s->nreads) return s->kind == S_DECL && s->decl == D_PARAM ? param_of[s->slot] : -1;
    return param_of[s->reads[r]];
}

/* The dependency table of the log density's terms (see VmModel.term_start).  Only
 * statements that can add a term count: not data or gen statements, nor let
 * declarations (an expression cannot hold a `~`). */
static int term_deps(Model *m)
{
    const Program *p = m->ir->prog;
    size_t nc = m->dim + m->ndisc;
    int *param_of = malloc(sizeof(int) * ((size_t)m->ir->nvars + 1));
    m->term_start = calloc(nc + 2, sizeof(size_t));
    if (!param_of || !m->term_start) { free(param_of); return -1; }
    for (int v = 0; v < m->ir->nvars; v++) param_of[v] = -1;
    for (int k = 0; k < m->nparams; k++) param_of[m->params[k].slot] = k;
    /* two passes over the same (statement, parameter) pairs: count, then fill */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t i = 0; i < nc; i++) m->term_start[i + 1] += m->term_start[i];
            m->term_idx = malloc(sizeof(int) * (m->term_start[nc] + 1));
            if (!m->term_idx) { free(param_of); return -1; }
        }
        size_t *fill = m->term_start + (pass == 0 ? 1 : 0);
        for (int i = 0; i < p->nstmts; i++) {
            const Stmt *s = p->stmts[i];
            if (s->phase != PH_MODEL || (s->kind == S_DECL && s->decl != D_PARAM)) continue;
            for (int r = 0; r <= s->nreads; r++) {
                int k = stmt_param(m, param_of, s, r);
                /* sema's read set has no duplicates; the declaration's own slot is not in it */
                if (k < 0 || (r < s->nreads && s->kind == S_DECL && s->decl == D_PARAM && s->slot == s->reads[r])) continue;
                size_t lo, hi;
                param_coords(m, &m->params[k], &lo, &hi);
                for (size_t c = lo; c < hi; c++) {
                    if (pass == 1) m->term_idx[fill[c]] = i;
                    fill[c]++;
                }
            }
        }
    }
    /* the fill pass moved each start to the next one's: shift back */
    for (size_t i = nc; i > 0; i--) m->term_start[i] = m->term_start[i - 1];
    m->term_start[0] = 0;
    free(param_of);
    return 0;
}

/* Output values: parameters, then parameter-dependent lets, then gens.  The shapes
 * of lets and gens are known only after one evaluation (they may be untyped), so the
 * names are made from a first run at a zero point. */
int model_make_outputs(Model *m, char *err, size_t errlen);

static VmModel *model_load(const char *source, size_t len, const char *filename,
                           const char *data_json, const char *data_filename, char **msg);

/* The load is a recovery region that tracks its allocations: when one fails, all that
 * the load had allocated is freed and the answer is "out of memory" (runtime/alloc.h). */
VmModel *vm_model_load(const char *source, size_t len, const char *filename,
                       const char *data_json, const char *data_filename, char **msg)
{
    *msg = NULL;
    json_set_alloc_funcs(vm_malloc, vm_free);   /* the data's JSON tree is tracked too */
    VmOom oom;
    if (VM_OOM_TRY(&oom, 1)) {
        vm_oom_end(&oom, 1);
        *msg = strdup("out of memory\n");
        return NULL;
    }
    VmModel *m = model_load(source, len, filename, data_json, data_filename, msg);
    vm_oom_end(&oom, 0);
    return m;
}

VmModel *vm_model_load_opts(const char *source, size_t len, const char *filename, const char *data_json,
                            const char *data_filename, const VmLoadOptions *opt, char **msg)
{
    if (opt && opt->alloc) vm_set_allocator(opt->alloc, opt->alloc_ud);
    return vm_model_load(source, len, filename, data_json, data_filename, msg);
}

static VmModel *model_load(const char *source, size_t len, const char *filename,
                           const char *data_json, const char *data_filename, char **msg)
{
    *msg = NULL;
    Model *m = calloc(1, sizeof *m);
    arena_init(&m->arena);
    m->file = strdup(filename ? filename : "<model>");
    m->src = malloc(len + 1);
    memcpy(m->src, source, len);
    m->src[len] = 0;
    m->srclen = len;
    DiagList d;
    diag_init(&d, m->file, m->src, len);
    Program *p = vm_parse(&m->arena, &d, m->src, len);
    if (p) m->ir = vm_check(&m->arena, &d, p);
    if (!m->ir) {
        *msg = diag_render(&d);
        diag_free(&d);
        vm_model_free(m);
        return NULL;
    }
    Buf warn = {0};
    if (d.n) { char *w = diag_render(&d); buf_printf(&warn, "%s", w); free(w); }
    diag_free(&d);
    m->data_env = calloc((size_t)m->ir->nvars + 1, sizeof(Val));
    if (model_scan_assigned(m)) {
        *msg = strdup("out of memory\n");
        free(warn.s);
        vm_model_free(m);
        return NULL;
    }
    char err[1024] = "";
    void *root = NULL;
    if (data_json) {
        root = data_json_parse(data_json, data_filename ? data_filename : "<data>", err, sizeof err);
        if (!root) { *msg = strdup(err); free(warn.s); vm_model_free(m); return NULL; }
    }
    char *dw = NULL;
    int rc = bind_data(m, root, err, sizeof err, &dw);
    if (root) data_json_free(root);
    if (dw) { buf_printf(&warn, "%s", dw); free(dw); }
    if (!rc) rc = layout(m, err, sizeof err);
    if (!rc) {
        m->uid = arena_alloc(&m->arena, sizeof(int32_t) * (m->dim ? m->dim : 1));
        for (size_t i = 0; i < m->dim; i++) m->uid[i] = (int32_t)i;
    }
    if (!rc) fix_bounds(m);
    if (!rc) m->nhoisted = model_hoist(m);
    if (!rc) plan_build(m);
    if (!rc) rc = model_make_outputs(m, err, sizeof err);
    if (!rc && term_deps(m)) { snprintf(err, sizeof err, "out of memory"); rc = -1; }
    if (rc) {
        if (strstr(err, ": error: ")) { if (asprintf(msg, "%s%s", err, err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n") < 0) *msg = NULL; }
        else if (asprintf(msg, "%s: error: %s\n", data_filename ? data_filename : m->file, err) < 0) *msg = NULL;
        free(warn.s);
        vm_model_free(m);
        return NULL;
    }
    m->warnings = warn.s;
    return m;
}

VmModel *vm_model_load_file(const char *path, const char *data_path, char **msg)
{
    *msg = NULL;
    char why[256];
    size_t n = 0;
    char *src = vm_read_file(path, "model file", VM_MAX_MODEL_BYTES, &n, why, sizeof why), *data = NULL;
    if (!src) {
        if (asprintf(msg, "%s: error: %s\n", path, why) < 0) *msg = NULL;
        return NULL;
    }
    if (data_path && !(data = vm_read_file(data_path, "data file", VM_MAX_DATA_BYTES, NULL, why, sizeof why))) {
        free(src);
        if (asprintf(msg, "%s: error: %s\n", data_path, why) < 0) *msg = NULL;
        return NULL;
    }
    VmModel *m = vm_model_load(src, n, path, data, data_path, msg);
    free(src);
    free(data);
    return m;
}

size_t vm_model_dim(const VmModel *m) { return m->dim; }
size_t vm_model_nterms(const VmModel *m) { return (size_t)m->ir->prog->nstmts; }
void vm_model_term_deps(const VmModel *m, const size_t **start, const int **idx)
{
    *start = m->term_start;
    *idx = m->term_idx;
}
size_t vm_model_ndisc(const VmModel *m) { return m->ndisc; }
const char *vm_model_unc_name(const VmModel *m, size_t i) { return i < m->dim + m->ndisc ? m->unc_names[i] : NULL; }
size_t vm_model_nvalues(const VmModel *m) { return m->nvalues; }
size_t vm_model_nparam_values(const VmModel *m) { return m->nparam_values; }
const char *vm_model_value_name(const VmModel *m, size_t i) { return i < m->nvalues ? m->value_names[i] : NULL; }
const char *vm_model_warnings(const VmModel *m) { return m->warnings; }
