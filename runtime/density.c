/* Evaluating a model: bind the parameters through their transforms, run the
 * density statements, sweep the tape back for the gradient; and the per-draw
 * outputs (parameters, lets, gens). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "runtime/model.h"
#include "runtime/alloc.h"
#include "runtime/data_json.h"
#include "runtime/split.h"
#include "runtime/mpi.h"

struct VmEval {
    Ev ev;
    int share;                /* of a split model (split.c); -1: the whole density */
    int reduce;               /* add the processes' shares */
    double *red, *red_tmp;    /* their buffers, allocated at the first evaluation */
    size_t red_n;
};

void vm_eval_set_share(VmEval *e, int share, int reduce)
{
    e->share = share;
    e->reduce = reduce;
}

VmEval *vm_eval_new(const VmModel *m)
{
    VmEval *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->ev.m = m;
    e->ev.hoist = m->hoisted;
    arena_init(&e->ev.arena);
    e->ev.env = calloc((size_t)m->ir->nvars + 1, sizeof(Val));
    e->ev.stmt_const = calloc((size_t)m->ir->prog->nstmts + 1, sizeof(double));
    if (!e->ev.env || !e->ev.stmt_const) { vm_eval_free(e); return NULL; }
    e->share = m->split ? m->split->rank : -1;
    e->reduce = m->split && m->split->size > 1;
    return e;
}

void vm_eval_free(VmEval *e)
{
    if (!e) return;
    Ev *ev = &e->ev;
    arena_free(&ev->arena);
    tape_free(ev);
    free(ev->env);
    free(ev->stmt_const);
    rej_free(ev);
    free(e->red);
    free(e->red_tmp);
    free(e);
}

char *vm_eval_reject_report(const VmEval *e) { return rej_report(&e->ev); }

const char *vm_eval_message(const VmEval *e) { return e->ev.msg; }

char *vm_eval_explain(const VmEval *e)
{
    if (!e->ev.msg[0]) return NULL;
    if (!e->ev.fail) return strdup(e->ev.msg);
    return model_render_error(e->ev.m, e->ev.fail_span, e->ev.msg);
}

/* Reverse pass of one parameter's transform (a callback segment). */
typedef struct TrNode {
    TrKind k;
    int reps, blk, nfree, rows, cols;
    int32_t ubase;            /* first u var */
    const double *u, *x;
    const double *lo, *hi;    /* expanded bounds, per element (NULL if absent) */
    const int32_t *loid, *hiid;
    int lon, hin;             /* elements in the bound values (1: scalar) */
    const int32_t *xid;
    int32_t ljid;             /* log-Jacobian var, -1 if not added */
    double *gx, *gu, *glo, *ghi;
} TrNode;

static void tr_back(Ev *ev, void *p)
{
    TrNode *t = p;
    double *adj = ev->adj;
    int n = t->reps * t->blk;
    for (int i = 0; i < n; i++) t->gx[i] = adj[t->xid[i]];
    double gl = t->ljid >= 0 ? adj[t->ljid] : 0;
    for (int r = 0; r < t->reps; r++) {
        memset(t->gu, 0, sizeof(double) * (size_t)t->nfree);
        if (t->glo) memset(t->glo, 0, sizeof(double) * (size_t)t->blk);
        if (t->ghi) memset(t->ghi, 0, sizeof(double) * (size_t)t->blk);
        size_t o = (size_t)r * t->blk;
        tr_backward(t->k, (size_t)t->rows, (size_t)t->cols, t->u + (size_t)r * t->nfree, t->lo ? t->lo + o : NULL, t->hi ? t->hi + o : NULL,
                    t->x + o, t->gx + o, gl, t->gu, t->glo, t->ghi);
        for (int i = 0; i < t->nfree; i++) adj[t->ubase + r * t->nfree + i] += t->gu[i];
        for (int i = 0; t->glo && i < t->blk; i++) adj[t->loid[t->lon == 1 ? 0 : o + i]] += t->glo[i];
        for (int i = 0; t->ghi && i < t->blk; i++) adj[t->hiid[t->hin == 1 ? 0 : o + i]] += t->ghi[i];
    }
}

static double *expand_bound(Ev *ev, Val b, int n)
{
    double *x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) x[i] = b.x[b.n == 1 ? 0 : i];
    return x;
}

static void bind_constrained(Ev *ev, const ParamInfo *pi, Val v, const double *uu, int32_t ubase, int jacobian,
                             const double *lox, const double *hix, const int32_t *loid, const int32_t *hiid,
                             int lon, int hin, int fin);

void model_bind_param(Ev *ev, const ParamInfo *pi, const double *u, int32_t ubase, int jacobian)
{
    const Stmt *s = pi->decl;
    Val v = pi->shape;
    if (pi->is_int) {
        v = val_alloc(ev, TB_INT, v.kind, v.narr, v.dims);
        for (int i = 0; i < v.n; i++) v.iv[i] = (int)lround(u[ev->m->dim + pi->off + i]);
        ev->env[pi->slot] = v;
        return;
    }
    /* the shape was checked at load: storage only */
    const double *uu = u + pi->off;
    if (pi->tr == TR_NONE) {          /* x = u: the unconstrained variables themselves, no node */
        /* set in place: a Val built on the stack field by field and then copied whole
         * is read back wider than it was written, which the processor cannot forward
         * (a third of an empty model's gradient) */
        Val *e = &ev->env[pi->slot];
        *e = pi->shape;
        int n = e->n;
        double *x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(n ? n : 1));
        memcpy(x, uu, sizeof(double) * (size_t)n);
        e->x = x;
        if (ubase == 0 && ev->m->uid) e->id = ev->m->uid + pi->off;   /* never written: values are made anew */
        else {
            int32_t *id = arena_alloc(&ev->arena, sizeof(int32_t) * (size_t)(n ? n : 1));
            for (int i = 0; i < n; i++) id[i] = ubase + (int32_t)pi->off + i;
            e->id = id;
        }
        return;
    }
    v.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
    int n = v.n;
    if (pi->fixed) {                  /* bounds known at load (fix_bounds, model.c) */
        bind_constrained(ev, pi, v, uu, ubase, jacobian, pi->lo_fix, pi->hi_fix, NULL, NULL, 1, 1, pi->fix_finite);
        return;
    }
    Val lo = {0}, hi = {0};
    int have_lo = 0, have_hi = 0;
    const Expr *arg0 = model_tr_arg(s->type, 0), *arg1 = model_tr_arg(s->type, 1);
    if (arg0) { lo = val_to_real(ev, eval_expr(ev, arg0)); have_lo = 1; }
    if (arg1) { hi = val_to_real(ev, eval_expr(ev, arg1)); have_hi = 1; }
    if (ev->fail) return;
    if ((have_lo && lo.n != 1 && lo.n != n) || (have_hi && hi.n != 1 && hi.n != n)) {
        ev_error(ev, s->span, "%s of '%s' have the wrong size", pi->tr == TR_AFFINE ? "offset and multiplier" : "bounds",
                 s->name);
        return;
    }
    double *lox = have_lo ? expand_bound(ev, lo, n) : NULL, *hix = have_hi ? expand_bound(ev, hi, n) : NULL;
    int i = model_bounds_bad(pi->tr, lox, hix, n);
    if (i >= 0 && pi->tr == TR_AFFINE) {
        int mult = hix && !(hix[i] > 0 && isfinite(hix[i]));
        ev_error(ev, s->type->span, "'%s': %s %g (element %d), but the multiplier must be positive and finite "
                 "and the offset finite", s->name, mult ? "multiplier" : "offset", mult ? hix[i] : lox[i], i + 1);
        return;
    }
    if (i >= 0) {
        ev_error(ev, s->type->span, "bounds of '%s': lower %g is not below upper %g", s->name, lox[i], hix[i]);
        return;
    }
    /* constant bounds (no tape variables) */
    int pbound = pi->tr == TR_LOWER ? lo.id != NULL : pi->tr == TR_UPPER ? hi.id != NULL : lo.id || hi.id;
    int fin = !pbound && model_bound_finite(pi->tr, lox, hix, n);
    bind_constrained(ev, pi, v, uu, ubase, jacobian, lox, hix, lo.id, hi.id, lo.n, hi.n, fin);
}

/* x from u through pi's transform with the bounds lox, hix (n each, or NULL) whose tape
 * variables are loid, hiid (NULL for constants, of lon, hin elements); fin: the bounds
 * constant and finite everywhere (model_bound_finite). */
static void bind_constrained(Ev *ev, const ParamInfo *pi, Val v, const double *uu, int32_t ubase, int jacobian,
                             const double *lox, const double *hix, const int32_t *loid, const int32_t *hiid,
                             int lon, int hin, int fin)
{
    const Stmt *s = pi->decl;
    int n = v.n;
    if (fin) {                        /* constant finite bounds: no callback */
        int32_t u0 = ubase + (int32_t)pi->off;
        val_set_ids(ev, &v);
        if (pi->tr == TR_LOWER_UPPER) {
            /* x = lb + (ub - lb) inv_logit(u), log|J| = log(ub - lb) + log inv_logit(u) +
             * log(1 - inv_logit(u)): a triple per element, and the log-Jacobian one
             * variable with a triple per element (a scalar took 0.10 us through
             * tr_constrain and tr_back, 0.24 against 0.14 for ARMA(1,1)'s four
             * parameters).  tr_bounded_fwd's numbers: one exp(-|u|) gives inv_logit(u)
             * and inv_logit(-u). */
            int32_t ljid = jacobian ? tape_vars(ev, 1) : -1;
            double lj = 0;
            for (int i = 0; i < n; i++) {
                double u = uu[i], a = fabs(u), e = exp(-a), d = hix[i] - lox[i];
                double il = u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);      /* inv_logit(u) */
                double im = u >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);      /* inv_logit(-u) */
                double x = lox[i] + d * il;
                v.x[i] = x > hix[i] ? hix[i] : x;
                tape_push(ev, u0 + i, v.id[i], d * il * im);
                if (ljid < 0) continue;
                lj += log(d) - a - 2.0 * log1p(e);
                tape_push(ev, u0 + i, ljid, im - il);    /* d/du [log il + log(1 - il)] */
            }
            if (ljid >= 0) ev_add_term(ev, lj, ljid);
        } else {
            /* x = lb + exp(u) (ub - exp(u)): a triple per element and log|J| = u as lp
             * terms on u itself (Stan's lb_constrain) */
            const double *b = pi->tr == TR_LOWER ? lox : hix;
            double sg = pi->tr == TR_LOWER ? 1 : -1;
            for (int i = 0; i < n; i++) {
                double e = exp(uu[i]);
                v.x[i] = b[i] + sg * e;
                tape_push(ev, u0 + i, v.id[i], sg * e);
                if (jacobian) ev_add_term(ev, uu[i], u0 + i);
            }
        }
        ev->env[pi->slot] = v;
        return;
    }
    double lj = 0;
    for (int r = 0; r < pi->reps; r++) {
        size_t o = (size_t)r * pi->blk;
        lj += tr_constrain(pi->tr, (size_t)pi->rows, (size_t)pi->cols, uu + (size_t)r * pi->nfree, lox ? lox + o : NULL, hix ? hix + o : NULL, v.x + o);
    }
    val_set_ids(ev, &v);
    TrNode *t = arena_alloc(&ev->arena, sizeof *t);
    if (!isfinite(lj)) {   /* unit_vector at u = 0: no direction */
        ev_error(ev, s->name_span, "'%s': the transform is undefined at this point (log-Jacobian %g)", s->name, lj);
        return;
    }
    *t = (TrNode){pi->tr, pi->reps, pi->blk, pi->nfree, pi->rows, pi->cols, ubase + (int32_t)pi->off, uu, v.x, lox, hix,
                  loid, hiid, lon, hin, v.id, -1, NULL, NULL, NULL, NULL};
    t->gx = arena_alloc(&ev->arena, sizeof(double) * (size_t)(n ? n : 1));
    t->gu = arena_alloc(&ev->arena, sizeof(double) * (size_t)(pi->nfree ? pi->nfree : 1));
    if (loid) t->glo = arena_alloc(&ev->arena, sizeof(double) * (size_t)(pi->blk ? pi->blk : 1));
    if (hiid) t->ghi = arena_alloc(&ev->arena, sizeof(double) * (size_t)(pi->blk ? pi->blk : 1));
    if (jacobian && pi->tr != TR_NONE) {
        t->ljid = tape_vars(ev, 1);
        ev_add_term(ev, lj, t->ljid);
    }
    tape_callback(ev, tr_back, t);
    ev->env[pi->slot] = v;
}

static void begin(Ev *ev)
{
    ev->notape = 1;                   /* vm_log_density turns it off when it wants a gradient */
    arena_reset(&ev->arena);
    tape_reset(ev);
    ev->fail = ev->fatal = ev->rejected = ev->returning = ev->size_error = 0;
    ev->msg[0] = 0;
    const Model *m = ev->m;
    memcpy(ev->env, m->data_env, sizeof(Val) * (size_t)m->ir->nvars);
    ev->cur_stmt = 0;
    if (ev->stmt_const) memset(ev->stmt_const, 0, sizeof(double) * (size_t)m->ir->prog->nstmts);
}

/* On let, gen and local variables a bound or constrained type is a check made once
 * the value is complete (the end of the phase): a failure rejects the evaluation. */
static void check_declared(Ev *ev, const Stmt *s)
{
    const TypeSpec *ts = s->type;
    const Val *v = &ev->env[s->slot];
    if (!ts || (!ts->lower && !ts->upper && ts->name < TS_SIMPLEX) || (!v->x && !v->iv)) return;
    const char *what = s->decl == D_GEN ? "gen" : "let";
    Expr *b[2] = {ts->lower, ts->upper};
    Val x = val_to_real(ev, *v);
    for (int w = 0; w < 2; w++) {
        if (!b[w]) continue;
        Val bv = val_to_real(ev, eval_expr(ev, b[w]));
        if (ev->fail) return;
        for (int k = 0; k < x.n; k++) {
            double lim = bv.x[bv.n == 1 ? 0 : k % bv.n];
            if (w == 0 ? x.x[k] < lim : x.x[k] > lim) {
                ev_error(ev, s->name_span, "%s '%s': element %d is %g, but must be %s %g", what, s->name, k + 1,
                         x.x[k], w == 0 ? ">=" : "<=", lim);
                return;
            }
        }
    }
    if (ts->name >= TS_SIMPLEX && x.n > 0) {
        TrKind k = model_tr_kind(ts);
        size_t rows = (size_t)x.dims[x.ndim - (tr_is_matrix(k) ? 2 : 1)];
        size_t cols = tr_is_matrix(k) ? (size_t)x.dims[x.ndim - 1] : 1;
        size_t blk = rows * cols;
        for (size_t r = 0; blk && r * blk < (size_t)x.n; r++) {
            size_t bad = 0;
            if (tr_check(k, rows, cols, x.x + r * blk, &bad)) {
                ev_error(ev, s->name_span, "%s '%s' is not a valid %s (element %zu)", what, s->name,
                         vm_typename[ts->name], r * blk + bad + 1);
                return;
            }
        }
    }
}

/* Run the model phase (and the gen phase when phase == PH_GEN) at u. */
int model_run(VmEval *e, const double *u, int jacobian, int phase)
{
    Ev *ev = &e->ev;
    const Model *m = ev->m;
    int notape = ev->notape;
    begin(ev);
    ev->notape = notape;
    int32_t ubase = tape_vars(ev, (int)m->dim);
    const Program *p = m->ir->prog;
    int pi = 0;
    for (int i = 0; i < p->nstmts && !ev->fail; i++) {
        const Stmt *s = p->stmts[i];
        ev->cur_stmt = i;             /* a parameter's log-Jacobian belongs to its declaration */
        /* split over processes, a log-Jacobian is rank 0's */
        if (s->kind == S_DECL && s->decl == D_PARAM) { model_bind_param(ev, &m->params[pi++], u, ubase, jacobian && e->share <= 0); continue; }
        if (s->phase == PH_MODEL || (phase == PH_GEN && s->phase == PH_GEN)) {
            /* when only outputs are wanted, the density statements need not run */
            if (phase == PH_GEN && s->phase == PH_MODEL && (s->kind == S_TILDE || s->kind == S_TARGET || s->kind == S_CALL))
                continue;
            if (e->share >= 0 && s->phase == PH_MODEL) sp_exec(ev, m->split, e->share, s, i);
            else exec_stmt(ev, s);
        }
    }
    for (int i = 0; i < p->nstmts && !ev->fail; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind == S_DECL && (s->decl == D_LET || s->decl == D_GEN) &&
            (s->phase == PH_MODEL || (phase == PH_GEN && s->phase == PH_GEN)))
            check_declared(ev, s);
    }
    if (ev->fail && ev->rejected && !ev->fatal) rej_record(ev);
    return ev->fail ? -1 : 0;
}

static int log_density(VmEval *e, const double *u, int jacobian, double *lp, double *grad);

/* A recovery region: an allocation that fails (the first evaluations grow the arena
 * and the tape) ends the evaluation with "out of memory", the evaluator still whole. */
static int density_local(VmEval *e, const double *u, int jacobian, double *lp, double *grad)
{
    VmOom oom;
    if (VM_OOM_TRY(&oom, 0)) {
        vm_oom_end(&oom, 1);
        snprintf(e->ev.msg, sizeof e->ev.msg, "out of memory");
        *lp = -INFINITY;
        return -1;
    }
    int rc = log_density(e, u, jacobian, lp, grad);
    vm_oom_end(&oom, 0);
    return rc;
}

static int log_density(VmEval *e, const double *u, int jacobian, double *lp, double *grad)
{
    Ev *ev = &e->ev;
    const Model *m = ev->m;
    ev->rng = NULL;
    for (size_t i = 0; i < m->dim; i++)
        if (!isfinite(u[i])) { *lp = -INFINITY; snprintf(ev->msg, sizeof ev->msg, "non-finite coordinate %zu", i + 1); return 0; }
    ev->notape = grad == NULL;        /* the value alone records no tape */
    if (ev->adj_used) memset(ev->adj, 0, sizeof(double) * (size_t)ev->adj_used);   /* tape_seed's */
    ev->adj_used = 0;
    ev->noseed = 0;                   /* (an out-of-memory unwinding may have left it set) */
    if (model_run(e, u, jacobian, PH_MODEL)) {
        *lp = -INFINITY;
        if (grad) memset(grad, 0, sizeof(double) * m->dim);
        return ev->fatal ? -1 : 0;
    }
    double s = ev->lp_const;
    for (int i = 0; i < ev->nlp; i++) s += ev->lp_vals[i];
    if (isnan(s)) s = -INFINITY;
    *lp = s;
    if (!grad) return 0;
    if (m->dim == 0) return 0;        /* nothing to differentiate */
    double *adj = tape_seed_adj(ev);  /* zero but for the seeds (tape_seed) */
    for (int i = 0; i < ev->nlp; i++) adj[ev->lp_ids[i]] += 1;
    tape_backward(ev);
    memcpy(grad, ev->adj, sizeof(double) * m->dim);
    return 0;
}

/* Every process's share added, the same bits on each (mp_sum_ordered): the status
 * (a fatal error anywhere stops every process), lp, the gradient and the terms. */
static int density_reduce(VmEval *e, int rc, double *lp, double *grad, double *terms)
{
    size_t dim = e->ev.m->dim, nt = terms ? (size_t)e->ev.m->ir->prog->nstmts : 0;
    size_t n = 3 + (grad ? dim : 0) + nt;
    if (n > e->red_n) {
        free(e->red);
        free(e->red_tmp);
        e->red = malloc(sizeof(double) * n);
        e->red_tmp = malloc(sizeof(double) * n * (size_t)mp_size());
        if (!e->red || !e->red_tmp) abort();   /* as the tape does: no way to go on */
        e->red_n = n;
    }
    double *b = e->red;
    b[0] = rc ? 1 : 0;
    b[n - 1] = mp_stop_requested();   /* Ctrl-C reaches every process at the same step */
    b[1] = *lp;
    if (grad) memcpy(b + 2, grad, sizeof(double) * dim);
    if (terms) memcpy(b + 2 + (grad ? dim : 0), terms, sizeof(double) * nt);
    mp_sum_ordered(b, n, e->red_tmp);
    if (b[n - 1] > 0) mp_set_stop_agreed(1);
    *lp = isnan(b[1]) ? -INFINITY : b[1];
    if (grad) {
        if (isfinite(*lp)) memcpy(grad, b + 2, sizeof(double) * dim);
        else memset(grad, 0, sizeof(double) * dim);
    }
    if (terms) {
        for (size_t i = 0; i < nt; i++) terms[i] = isfinite(*lp) ? b[2 + (grad ? dim : 0) + i] : *lp;
    }
    return b[0] > 0 ? -1 : 0;
}

int vm_log_density(VmEval *e, const double *u, int jacobian, double *lp, double *grad)
{
    int rc = density_local(e, u, jacobian, lp, grad);
    if (!e->reduce) return rc;
    return density_reduce(e, rc, lp, grad, NULL);
}

int vm_log_density_terms(VmEval *e, const double *u, int jacobian, double *lp, double *grad, double *terms)
{
    Ev *ev = &e->ev;
    size_t n = (size_t)ev->m->ir->prog->nstmts;
    int rc = density_local(e, u, jacobian, lp, grad);
    if (rc || !isfinite(*lp)) {
        /* a rejected point (or one never evaluated): no term is meaningful */
        for (size_t i = 0; i < n; i++) terms[i] = *lp;
    } else {
        memcpy(terms, ev->stmt_const, sizeof(double) * n);
        for (int i = 0; i < ev->nlp; i++) terms[ev->lp_stmt[i]] += ev->lp_vals[i];
    }
    if (!e->reduce) return rc;
    return density_reduce(e, rc, lp, grad, terms);
}

/* Column-major copy of a value (first index fastest), as Stan writes outputs. */
static void flatten_colmajor(const Val *v, double *out)
{
    int c[VM_MAXDIM] = {0};
    for (long t = 0; t < v->n; t++) {
        long o = val_offset(v, c);
        out[t] = v->base == TB_INT ? (v->iv[o] == INT_MIN ? NAN : v->iv[o]) : v->x[o];
        for (int d = 0; d < v->ndim; d++) { if (++c[d] < v->dims[d]) break; c[d] = 0; }
    }
}

int vm_constrain(VmEval *e, const double *u, double *x)
{
    const Model *m = e->ev.m;
    Ev *ev = &e->ev;
    begin(ev);
    int32_t ubase = tape_vars(ev, (int)m->dim);
    const Program *p = m->ir->prog;
    int k = 0;
    size_t o = 0;
    for (int i = 0; i < p->nstmts && k < m->nparams; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind == S_DECL && s->decl == D_PARAM) {
            const ParamInfo *pi = &m->params[k++];
            model_bind_param(ev, pi, u, ubase, 0);
            if (ev->fail) return -1;
            flatten_colmajor(&ev->env[pi->slot], x + o);
            o += (size_t)ev->env[pi->slot].n;
        } else if (s->phase == PH_MODEL && !(s->kind == S_TILDE || s->kind == S_TARGET || s->kind == S_CALL)) {
            exec_stmt(ev, s);       /* a later bound may use a let */
            if (ev->fail) return -1;
        }
    }
    return 0;
}

static int write_values(VmEval *e, const double *u, gsl_rng *r, double *out);

int vm_write_values(VmEval *e, const double *u, gsl_rng *r, double *out)
{
    VmOom oom;
    if (VM_OOM_TRY(&oom, 0)) {
        vm_oom_end(&oom, 1);
        e->ev.rng = NULL;
        snprintf(e->ev.msg, sizeof e->ev.msg, "out of memory");
        for (size_t i = 0; i < e->ev.m->nvalues; i++) out[i] = NAN;
        return -1;
    }
    int rc = write_values(e, u, r, out);
    vm_oom_end(&oom, 0);
    return rc;
}

static int write_values(VmEval *e, const double *u, gsl_rng *r, double *out)
{
    Ev *ev = &e->ev;
    const Model *m = ev->m;
    ev->rng = r;
    ev->notape = 1;
    int rc = model_run(e, u, 0, r ? PH_GEN : PH_MODEL);
    ev->rng = NULL;
    for (int i = 0; i < m->nouts; i++) {
        const OutVar *o = &m->outs[i];
        const Val *v = &ev->env[o->slot];
        /* after a failed check the parameters are still those of u (bound first):
         * only the lets and gens, which may not have been reached, are NaN */
        int param = (size_t)o->first < m->nparam_values;
        if ((rc && !param) || v->n != o->n || (!v->x && !v->iv)) {
            for (long k = 0; k < o->n; k++) out[o->first + k] = NAN;
            continue;
        }
        flatten_colmajor(v, out + o->first);
    }
    return rc;
}

static void free_rng(void *r) { gsl_rng_free(r); }

int model_make_outputs(Model *m, char *err, size_t errlen)
{
    VmEval *e = vm_eval_new(m);
    double *u = calloc(m->dim + m->ndisc + 1, sizeof(double));
    for (size_t i = 0; i < m->ndisc; i++) u[m->dim + i] = m->disc_lo[i];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);   /* GSL's memory: freed by the load if it fails */
    vm_oom_defer(free_rng, r);
    e->ev.rng = r;
    e->ev.notape = 1;
    e->ev.quiet = 1;                 /* a probe: print() says nothing */
    model_run(e, u, 0, PH_GEN);      /* shapes only: a failure leaves declared shapes */
    size_t cap = 0;
    m->outs = calloc((size_t)m->ir->nvars + 1, sizeof(OutVar));
    const Program *p = m->ir->prog;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < p->nstmts; i++) {
            const Stmt *s = p->stmts[i];
            if (s->kind != S_DECL) continue;
            const VarInfo *vi = &m->ir->vars[s->slot];
            int want = pass == 0 ? vi->kind == D_PARAM : pass == 1 ? (vi->kind == D_LET && vi->level >= LV_PARAM) : vi->kind == D_GEN;
            if (!want) continue;
            Val shape = e->ev.env[s->slot];
            /* a parameter's shape is the layout's: the run at u = 0 may stop before
             * binding it (a unit_vector has no direction at 0) */
            int known = 0;
            for (int k = 0; pass == 0 && k < m->nparams; k++)
                if (m->params[k].slot == s->slot) { shape = m->params[k].shape; known = 1; }
            if (s->type && pass > 0) {
                /* a declared type fixes the shape from data alone: use it, so a
                 * let or gen that fails at this first point does not stop the load */
                int dims[VM_MAXDIM], kind;
                Ev *dev = &e->ev;        /* sizes read only data, which the env holds */
                dev->fail = 0;
                if (decl_dims(dev, s->type, dims, &kind) >= 0)
                    shape = val_alloc(dev, vi->ty.base, kind, s->type->narr, dims);
                dev->fail = 0;
            }
            if (!known && !shape.x && !shape.iv) {
                if (pass == 0) shape = m->params[0].shape;   /* unreachable: params always bound */
                else {
                    snprintf(err, errlen, "cannot determine the size of '%s' (declare its type with sizes)", s->name);
                    free(u); vm_oom_undefer(r); gsl_rng_free(r); vm_eval_free(e);
                    return -1;
                }
            }
            OutVar *o = &m->outs[m->nouts++];
            o->slot = s->slot;
            o->first = (long)m->nvalues;
            o->n = shape.n;
            element_names_public(s->name, &shape, &m->value_names, &m->nvalues, &cap);
            if (pass == 0) m->nparam_values = m->nvalues;
        }
    free(u);
    vm_oom_undefer(r);
    gsl_rng_free(r);
    vm_eval_free(e);
    return 0;
}

static int unconstrain_json(VmEval *e, const char *json, double *u, unsigned char *given);

int vm_unconstrain_json(VmEval *e, const char *json, double *u)
{
    return unconstrain_json(e, json, u, NULL);
}

int vm_unconstrain_json_partial(VmEval *e, const char *json, double *u, unsigned char *given)
{
    return unconstrain_json(e, json, u, given);
}

/* given == NULL: every parameter must be in the point.  Else a parameter left out gets
 * u = 0 (its value bound at that, for later bounds that read it) and given 0. */
static int unconstrain_json(VmEval *e, const char *json, double *u, unsigned char *given)
{
    Ev *ev = &e->ev;
    const Model *m = ev->m;
    char err[512];
    void *root = data_json_parse(json, "<init>", err, sizeof err);
    if (!root) { snprintf(ev->msg, sizeof ev->msg, "%s", err); return -1; }
    /* bind parameters one at a time so later bounds can use earlier values */
    begin(ev);
    const Program *p = m->ir->prog;
    int k = 0;
    int rc = 0;
    for (int i = 0; i < p->nstmts && k < m->nparams && !rc; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind != S_DECL || s->decl != D_PARAM) {
            if (s->phase == PH_MODEL && !(s->kind == S_TILDE || s->kind == S_TARGET || s->kind == S_CALL)) exec_stmt(ev, s);
            continue;
        }
        const ParamInfo *pi = &m->params[k++];
        Val v = val_alloc(ev, pi->is_int ? TB_INT : TB_REAL, pi->shape.kind, pi->shape.narr, pi->shape.dims);
        int got = data_json_read(root, s->name, &v, err, sizeof err);
        size_t ncoord = pi->is_int ? (size_t)v.n : (size_t)pi->reps * (size_t)pi->nfree;
        double *uc = pi->is_int ? u + m->dim + pi->off : u + pi->off;
        unsigned char *gc = given ? (pi->is_int ? given + m->dim + pi->off : given + pi->off) : NULL;
        if (got == 1 && given) {   /* left out of a partial point */
            for (size_t j = 0; j < ncoord; j++) { uc[j] = 0; gc[j] = 0; }
            if (pi->is_int) {
                for (int j = 0; j < v.n; j++) v.iv[j] = m->disc_lo && isfinite(m->disc_lo[pi->off + j]) ? (int)m->disc_lo[pi->off + j] : 0;
                for (int j = 0; j < v.n; j++) uc[j] = v.iv[j];
            } else {
                double *lo = NULL, *hi = NULL;
                const Expr *arg0 = model_tr_arg(s->type, 0), *arg1 = model_tr_arg(s->type, 1);
                if (arg0) { Val b = val_to_real(ev, eval_expr(ev, arg0)); lo = expand_bound(ev, b, v.n); }
                if (arg1) { Val b = val_to_real(ev, eval_expr(ev, arg1)); hi = expand_bound(ev, b, v.n); }
                for (int r = 0; r < pi->reps; r++) {
                    size_t o = (size_t)r * pi->blk;
                    tr_constrain(pi->tr, (size_t)pi->rows, (size_t)pi->cols, uc + (size_t)r * pi->nfree,
                                 lo ? lo + o : NULL, hi ? hi + o : NULL, v.x + o);
                }
            }
            ev->env[pi->slot] = v;
            continue;
        }
        for (size_t j = 0; gc && !got && j < ncoord; j++) gc[j] = 1;
        if (got) {
            if (got == 1) snprintf(err, sizeof err, "'%s' is missing from the point", s->name);
            snprintf(ev->msg, sizeof ev->msg, "%s", err);
            rc = -1;
            break;
        }
        if (pi->is_int) { for (int j = 0; j < v.n; j++) u[m->dim + pi->off + j] = v.iv[j]; ev->env[pi->slot] = v; continue; }
        double *lo = NULL, *hi = NULL;
        const Expr *arg0 = model_tr_arg(s->type, 0), *arg1 = model_tr_arg(s->type, 1);
        if (arg0) { Val b = val_to_real(ev, eval_expr(ev, arg0)); lo = expand_bound(ev, b, v.n); }
        if (arg1) { Val b = val_to_real(ev, eval_expr(ev, arg1)); hi = expand_bound(ev, b, v.n); }
        for (int r = 0; r < pi->reps && !rc; r++) {
            size_t bad = 0, o = (size_t)r * pi->blk;
            if (tr_unconstrain(pi->tr, (size_t)pi->rows, (size_t)pi->cols, v.x + o, lo ? lo + o : NULL, hi ? hi + o : NULL,
                               u + pi->off + (size_t)r * pi->nfree, &bad)) {
                snprintf(ev->msg, sizeof ev->msg, "'%s': element %zu violates its constraint", s->name, o + bad + 1);
                rc = -1;
            }
        }
        ev->env[pi->slot] = v;
    }
    data_json_free(root);
    return rc;
}
