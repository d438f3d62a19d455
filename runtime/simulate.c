/* Forward simulation from the IR (simulate.h): analysis, generative order, draws. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "runtime/simulate.h"
#include "runtime/model.h"
#include "stdlib/dist.h"

#define SIM_MAX_REJECT 10000   /* redraws of a bounded parameter before giving up */

struct Sim {
    const Model *m;
    Ev ev;
    int *order;                /* top-level statement indices, in generative order */
    int norder;
    char *simvar;              /* per slot: a data/param variable drawn by some `~` */
    int *dslots;               /* simulated data slots, declaration order */
    int nd;
    size_t ndata;
    char **names;
    int param_after_data;      /* a parameter's prior reads simulated data */
    int given;                 /* drawing data only: `~` on parameters are skipped */
    char *msg;
};

/* ---- analysis ---- */

static const Expr *lhs_base(const Expr *e)
{
    while (e->kind == E_INDEX) e = e->args[0];
    return e->kind == E_VAR ? e : NULL;
}

typedef struct Ana {
    const Model *m;
    Span bad;
    char why[400];
    int failed;
} Ana;

static void ana_fail(Ana *a, Span sp, const char *fmt, const char *name)
{
    if (a->failed) return;
    a->failed = 1;
    a->bad = sp;
    snprintf(a->why, sizeof a->why, fmt, name ? name : "");
}

/* Walk a statement: refuse what has no generative reading, mark drawn variables,
 * and record them as defined by top-level statement `top` (defs[slot] gets +1 once). */
static void ana_stmt(Ana *a, const Stmt *s, int in_while, char *drawn)
{
    if (!s || a->failed) return;
    switch (s->kind) {
    case S_TARGET:
        ana_fail(a, s->span, "forward simulation: `target +=` adds a factor that has no generative step%s; "
                 "write the model with `~` statements", NULL);
        return;
    case S_TILDE: {
        const Expr *b = lhs_base(s->lhs);
        const Dist *d = s->fn;
        if (!b) {
            ana_fail(a, s->lhs->span, "forward simulation: the left side of `~` is an expression%s: a density on a "
                     "transformed quantity cannot be simulated", NULL);
            return;
        }
        const VarInfo *vi = &a->m->ir->vars[b->slot];
        if (vi->kind != D_DATA && vi->kind != D_PARAM) {
            ana_fail(a, s->lhs->span, "forward simulation: '%s' is not a parameter or data: a density on a transformed "
                     "quantity cannot be simulated; put the `~` on what it is computed from", vi->name);
            return;
        }
        if (in_while) {
            ana_fail(a, s->span, "forward simulation: a `~` inside a while loop is not supported%s", NULL);
            return;
        }
        if (!d->rng || d->rng_sig) {
            ana_fail(a, s->dist_span, "forward simulation: '%s' has no _rng with the density's arguments", d->name);
            return;
        }
        drawn[b->slot] = 1;
        return;
    }
    case S_CALL:
        if (s->rhs->fkind == FN_USER && ((const FunDef *)s->rhs->fn)->suffix == FK_LP)
            ana_fail(a, s->span, "forward simulation: %s adds density terms inside a function: write its `~` "
                     "statements in the model", s->rhs->name);
        return;
    case S_FOR: ana_stmt(a, s->body, in_while, drawn); return;
    case S_WHILE: ana_stmt(a, s->body, 1, drawn); return;
    case S_IF: ana_stmt(a, s->body, in_while, drawn); ana_stmt(a, s->els, in_while, drawn); return;
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) ana_stmt(a, s->stmts[i], in_while, drawn); return;
    default: return;
    }
}

static int reads_any(const Stmt *s, const char *set)
{
    for (int i = 0; i < s->nreads; i++) if (set[s->reads[i]]) return 1;
    return 0;
}

/* The nodes of the schedule and the slots each defines. */
typedef struct Node { const Stmt *s; int idx; char *defs; } Node;

static char *render(const Model *m, Span sp, const char *why)
{
    return model_render_error(m, sp, why);
}

/* Order nodes: repeatedly take the first (in program order) whose reads are all
 * known; a slot is known once every node that defines it, other than the reader, has
 * run.  No progress means no generative order. */
static int schedule(Sim *S, Node *nd, int nn, int nvars, char **msg)
{
    int *left = calloc((size_t)nvars + 1, sizeof(int));
    char *done = calloc((size_t)nn + 1, 1);
    for (int k = 0; k < nn; k++)
        for (int v = 0; v < nvars; v++) left[v] += nd[k].defs[v];
    S->order = malloc(sizeof(int) * (size_t)(nn + 1));
    int rc = 0;
    while (S->norder < nn) {
        int pick = -1;
        for (int k = 0; k < nn && pick < 0; k++) {
            if (done[k]) continue;
            int ok = 1;
            for (int i = 0; i < nd[k].s->nreads && ok; i++) {
                int v = nd[k].s->reads[i];
                if (left[v] - nd[k].defs[v] > 0) ok = 0;
            }
            if (ok) pick = k;
        }
        /* variables drawn piecewise by several statements that each read them (an
         * autoregression's first value and the rest): program order breaks the tie,
         * and drawing reports an element read before it is drawn, or drawn twice */
        for (int k = 0; k < nn && pick < 0; k++) {
            if (done[k]) continue;
            int ok = 1;
            for (int i = 0; i < nd[k].s->nreads && ok; i++) {
                int v = nd[k].s->reads[i];
                if (left[v] - nd[k].defs[v] > 0 && !nd[k].defs[v]) ok = 0;
            }
            if (ok) pick = k;
        }
        if (pick < 0) {
            int k = 0;
            while (done[k]) k++;
            const char *need = "?";
            for (int i = 0; i < nd[k].s->nreads; i++) {
                int v = nd[k].s->reads[i];
                if (left[v] - nd[k].defs[v] > 0) { need = S->m->ir->vars[v].name; break; }
            }
            char why[300];
            snprintf(why, sizeof why, "forward simulation: no generative order: this statement needs '%s', which is "
                     "drawn or computed only by statements that need this one", need);
            *msg = render(S->m, nd[k].s->span, why);
            rc = -1;
            break;
        }
        done[pick] = 1;
        for (int v = 0; v < nvars; v++) left[v] -= nd[pick].defs[v];
        S->order[S->norder++] = nd[pick].idx;
    }
    free(left);
    free(done);
    return rc;
}

Sim *sim_new(const VmModel *m, char **msg)
{
    *msg = NULL;
    const Program *p = m->ir->prog;
    int nv = m->ir->nvars;
    Ana a = {.m = m};
    char *drawn = calloc((size_t)nv + 1, 1);
    for (int i = 0; i < p->nstmts && !a.failed; i++)
        if (p->stmts[i]->phase != PH_GEN) ana_stmt(&a, p->stmts[i], 0, drawn);
    for (int i = 0; i < m->nparams && !a.failed; i++)
        if (!drawn[m->params[i].slot])
            ana_fail(&a, m->params[i].decl->name_span, "forward simulation: parameter '%s' has no `~` statement: its "
                     "prior is flat and improper, which cannot be sampled", m->params[i].decl->name);
    if (a.failed) {
        *msg = render(m, a.bad, a.why);
        free(drawn);
        return NULL;
    }
    Sim *S = calloc(1, sizeof *S);
    S->m = m;
    S->simvar = drawn;
    /* data-phase statements that read simulated data run again for each draw, and so
     * does every statement that (re)defines what they write: to a fixed point */
    char *taint = calloc((size_t)nv + 1, 1);
    char *node = calloc((size_t)p->nstmts + 1, 1);
    for (int v = 0; v < nv; v++) taint[v] = drawn[v] && m->ir->vars[v].kind == D_DATA;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < p->nstmts; i++) {
            const Stmt *s = p->stmts[i];
            if (node[i] || s->phase != PH_DATA || (s->kind == S_DECL && s->decl == D_DATA)) continue;
            int hit = reads_any(s, taint) || (s->kind == S_DECL && taint[s->slot]);
            for (int w = 0; w < s->nwrites; w++) hit |= taint[s->writes[w]];
            if (!hit) continue;
            node[i] = 1;
            changed = 1;
            if (s->kind == S_DECL) taint[s->slot] = 1;
            for (int w = 0; w < s->nwrites; w++) taint[s->writes[w]] = 1;
        }
    }
    Node *nd = calloc((size_t)p->nstmts + 1, sizeof(Node));
    int nn = 0;
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind == S_DECL && (s->decl == D_DATA || s->decl == D_PARAM)) continue;
        if (!(node[i] || s->phase == PH_MODEL)) continue;
        Node *n = &nd[nn++];
        n->s = s;
        n->idx = i;
        n->defs = calloc((size_t)nv + 1, 1);
        if (s->kind == S_DECL) n->defs[s->slot] = 1;
        for (int w = 0; w < s->nwrites; w++) n->defs[s->writes[w]] = 1;
        Ana b = {.m = m};
        char *dr = calloc((size_t)nv + 1, 1);
        ana_stmt(&b, s, 0, dr);
        for (int v = 0; v < nv; v++)
            if (dr[v]) {
                n->defs[v] = 1;
                if (m->ir->vars[v].kind == D_PARAM && reads_any(s, taint)) S->param_after_data = 1;
            }
        free(dr);
    }
    int rc = schedule(S, nd, nn, nv, msg);
    for (int k = 0; k < nn; k++) free(nd[k].defs);
    free(nd);
    free(taint);
    free(node);
    if (rc) { sim_free(S); return NULL; }
    /* simulated data, declaration order, with their CSV names */
    S->dslots = malloc(sizeof(int) * (size_t)(nv + 1));
    size_t cap = 0;
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (s->kind == S_DECL && s->decl == D_DATA && drawn[s->slot]) {
            S->dslots[S->nd++] = s->slot;
            element_names_public(s->name, &m->data_env[s->slot], &S->names, &S->ndata, &cap);
        }
    }
    S->ev.m = m;
    S->ev.hoist = NULL;               /* data are drawn: nothing data-only is fixed */
    S->ev.notape = 1;                 /* values only */
    arena_init(&S->ev.arena);
    S->ev.env = calloc((size_t)nv + 1, sizeof(Val));
    return S;
}

void sim_free(Sim *S)
{
    if (!S) return;
    Ev *ev = &S->ev;
    if (ev->env) {
        arena_free(&ev->arena);
        tape_free(ev);
        free(ev->env);
    }
    for (size_t i = 0; i < S->ndata; i++) free(S->names[i]);
    free(S->names);
    free(S->order);
    free(S->simvar);
    free(S->dslots);
    free(S->msg);
    free(S);
}

size_t sim_ndata(const Sim *s) { return s->ndata; }
const char *sim_data_name(const Sim *s, size_t i) { return i < s->ndata ? s->names[i] : NULL; }
const char *sim_message(const Sim *s) { return s->msg ? s->msg : ""; }
int sim_nvars(const Sim *s) { return s->nd; }
const char *sim_var_name(const Sim *s, int k) { return s->m->ir->vars[s->dslots[k]].name; }
size_t sim_var_size(const Sim *s, int k) { return (size_t)s->m->data_env[s->dslots[k]].n; }

/* ---- drawing ---- */

static int sim_fail(Sim *S, Span sp, const char *why)
{
    free(S->msg);
    S->msg = model_render_error(S->m, sp, why);
    return -1;
}

static int draw_fail(Ev *ev, Span sp, const char *why)
{
    ev_error(ev, sp, "%s", why);
    return -1;
}

/* A fresh value of the declared shape with every element unset (NaN / INT_MIN):
 * an unset element is one no `~` has drawn yet. */
static Val fresh(Ev *ev, const Val *shape, int is_int)
{
    Val v = val_alloc(ev, is_int ? TB_INT : TB_REAL, shape->kind, shape->narr, shape->dims);
    for (int i = 0; i < v.n; i++) {
        if (is_int) v.iv[i] = INT_MIN;
        else v.x[i] = NAN;
    }
    return v;
}

static int is_unset(const Val *v, int i) { return v->base == TB_INT ? v->iv[i] == INT_MIN : isnan(v->x[i]); }

/* One argument of the rng (code c of the signature) as a DArg; *reps its replicates. */
static int rng_arg(Ev *ev, char c, Val *v, DArg *a, int *reps)
{
    memset(a, 0, sizeof *a);
    *reps = 1;
    if (c == 'R' || c == 'I') {
        a->rows = a->cols = 1;
        *reps = v->n;
        a->stride = v->ndim == 0 ? 0 : 1;
    } else if (c == 'V' || c == 'S' || c == 'K') {
        if (v->narr == 1 && v->kind != TK_SCALAR) { *reps = v->dims[0]; a->rows = v->dims[1]; a->stride = 1; }
        else { a->rows = v->n; a->stride = 0; }
        a->cols = 1;
    } else {
        if (v->narr == 1) { *reps = v->dims[0]; a->rows = v->dims[1]; a->cols = v->dims[2]; a->stride = 1; }
        else { a->rows = v->ndim > 0 ? v->dims[0] : 1; a->cols = v->ndim > 1 ? v->dims[1] : 1; a->stride = 0; }
    }
    if (c == 'I' || c == 'K') {
        if (v->base != TB_INT) return -1;
        a->iv = v->iv;
    } else {
        *v = val_to_real(ev, *v);
        a->x = v->x;
    }
    if (!a->stride) *reps = 1;
    return 0;
}

/* Bounds of a parameter for the element k of the left side (cur.n elements). */
static int param_bound(Ev *ev, const Expr *b, const Expr *lhs, int n, Val *out)
{
    if (!b) { out->n = 0; return 0; }
    *out = val_to_real(ev, eval_expr(ev, b));
    if (ev->fail) return -1;
    if (out->n != 1 && !(lhs->kind == E_VAR && out->n == n)) return -2;
    return 0;
}

/* The executor's hook at `~`: draw the left side's elements (a failure is an error of
 * the walk, raised with ev_error). */
static int draw_tilde(Ev *ev, const Stmt *s, void *ctx)
{
    Sim *S = ctx;
    gsl_rng *r = ev->rng;
    const Dist *d = s->fn;
    const Expr *b = lhs_base(s->lhs);
    const VarInfo *vi = &S->m->ir->vars[b->slot];
    if (S->given && vi->kind == D_PARAM) return 0;
    Val cur = eval_expr(ev, s->lhs);
    if (ev->fail) return -1;
    for (int i = 0; i < cur.n; i++)
        if (!is_unset(&cur, i)) {
            char why[300];
            snprintf(why, sizeof why, "forward simulation: '%s' is drawn twice (element %d): a second `~` on the same "
                     "value is a factor, not a generative step", vi->name, i + 1);
            return draw_fail(ev, s->lhs->span, why);
        }
    Val args[DIST_MAX_ARGS];
    DArg da[DIST_MAX_ARGS];
    int nrep = 1, have = 0;
    for (int i = 0; i < s->nargs; i++) {
        args[i] = eval_expr(ev, s->args[i]);
        if (ev->fail) return -1;
        int reps;
        if (rng_arg(ev, d->sig[i + 1], &args[i], &da[i], &reps))
            return draw_fail(ev, s->args[i]->span, "forward simulation: an int argument is expected here");
        if (da[i].stride) {
            if (have && reps != nrep) return draw_fail(ev, s->span, "forward simulation: arguments of different sizes");
            nrep = reps;
            have = 1;
        }
    }
    /* the variate: n replicates of `size` values each */
    char c0 = d->sig[0];
    int uni = c0 == 'R' || c0 == 'I';
    int vreps = uni ? cur.n : (cur.narr >= 1 && cur.kind != TK_SCALAR ? cur.dims[0] : 1);
    int size = vreps ? cur.n / vreps : 0;
    if (have && nrep != vreps) {
        char why[200];
        snprintf(why, sizeof why, "forward simulation: the left side has %d values, the arguments %d", vreps, nrep);
        return draw_fail(ev, s->span, why);
    }
    for (int i = 0; i < s->nargs && !uni; i++)
        if ((c0 == 'V' || c0 == 'S') && d->sig[i + 1] == 'V' && da[i].rows != size) {
            char why[200];
            snprintf(why, sizeof why, "forward simulation: the left side has %d elements, argument %d has %d", size, i + 2,
                     da[i].rows);
            return draw_fail(ev, s->args[i]->span, why);
        }
    size_t need = (size_t)size + 1;
    for (int i = 0; i < s->nargs; i++) need += (size_t)(da[i].rows * da[i].cols);
    double *out = arena_alloc(&ev->arena, sizeof(double) * need);
    Val lo = {0}, hi = {0};
    if (vi->kind == D_PARAM) {
        const TypeSpec *ts = vi->decl->type;
        int e1 = param_bound(ev, ts->lower, s->lhs, cur.n, &lo), e2 = e1 ? 0 : param_bound(ev, ts->upper, s->lhs, cur.n, &hi);
        if (e1 == -1 || e2 == -1) return -1;
        if (e1 || e2) return draw_fail(ev, s->lhs->span, "forward simulation: element-wise bounds with an indexed `~`");
    }
    Val v = cur;
    if (v.base == TB_INT) v.iv = arena_alloc(&ev->arena, sizeof(int) * (size_t)(v.n ? v.n : 1));
    else v.x = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
    v.id = NULL;
    for (int i = 0; i < vreps; i++) {
        for (int tries = 0;; tries++) {
            DistErr err = {0};
            if (d->rng(r, da, i, out, &err)) {
                char why[300];
                int k = err.arg - 1;
                snprintf(why, sizeof why, "%s_rng: %s is %.6g, but %s", d->name,
                         err.arg >= 0 && err.arg < d->nargs && d->argnames[err.arg] ? d->argnames[err.arg] : "argument",
                         err.value, err.what ? err.what : "is invalid");
                return draw_fail(ev, k >= 0 && k < s->nargs ? s->args[k]->span : s->span, why);
            }
            int ok = 1;
            for (int j = 0; j < size; j++) {
                int k = i * size + j;
                if (lo.n && !(out[j] >= lo.x[lo.n == 1 ? 0 : k])) ok = 0;
                if (hi.n && !(out[j] <= hi.x[hi.n == 1 ? 0 : k])) ok = 0;
            }
            if (ok) break;
            if (tries >= SIM_MAX_REJECT) {
                char why[300];
                snprintf(why, sizeof why, "forward simulation: the prior of '%s' put %d draws in a row outside its "
                         "bounds", vi->name, SIM_MAX_REJECT);
                return draw_fail(ev, s->span, why);
            }
        }
        for (int j = 0; j < size; j++) {
            if (v.base == TB_INT) v.iv[i * size + j] = (int)out[j];
            else v.x[i * size + j] = out[j];
        }
    }
    Val *t = &ev->env[b->slot];
    if (s->lhs->kind == E_VAR) {
        if (t->base == TB_INT) memcpy(t->iv, v.iv, sizeof(int) * (size_t)v.n);
        else memcpy(t->x, v.x, sizeof(double) * (size_t)v.n);
    } else index_set(ev, s->lhs, t, v);
    if (ev->fail) return -1;
    return 0;
}

/* u from the drawn parameter values (every element must have been drawn). */
static int unconstrain_params(Sim *S, double *u)
{
    Ev *ev = &S->ev;
    const Model *m = S->m;
    for (int k = 0; k < m->nparams; k++) {
        const ParamInfo *pi = &m->params[k];
        const Stmt *s = pi->decl;
        Val v = ev->env[pi->slot];
        for (int i = 0; i < v.n; i++)
            if (is_unset(&v, i)) {
                char why[300];
                snprintf(why, sizeof why, "forward simulation: element %d of parameter '%s' is drawn by no `~` "
                         "statement: its prior is flat and improper", i + 1, s->name);
                return sim_fail(S, s->name_span, why);
            }
        if (pi->is_int) {
            for (int j = 0; j < v.n; j++) u[m->dim + pi->off + j] = v.iv[j];
            continue;
        }
        double *lo = NULL, *hi = NULL;
        const Expr *bx[2] = {model_tr_arg(s->type, 0), model_tr_arg(s->type, 1)};
        double **bp[2] = {&lo, &hi};
        for (int w = 0; w < 2; w++) {
            if (!bx[w]) continue;
            Val b = val_to_real(ev, eval_expr(ev, bx[w]));
            if (ev->fail) return sim_fail(S, ev->fail_span, ev->msg);
            *bp[w] = arena_alloc(&ev->arena, sizeof(double) * (size_t)(v.n ? v.n : 1));
            for (int i = 0; i < v.n; i++) (*bp[w])[i] = b.x[b.n == 1 ? 0 : i % b.n];
        }
        for (int r = 0; r < pi->reps; r++) {
            size_t bad = 0, o = (size_t)r * pi->blk;
            if (tr_unconstrain(pi->tr, (size_t)pi->rows, (size_t)pi->cols, v.x + o, lo ? lo + o : NULL, hi ? hi + o : NULL,
                               u + pi->off + (size_t)r * pi->nfree, &bad)) {
                char why[300];
                snprintf(why, sizeof why, "forward simulation: the draw of '%s' (element %zu) violates its declared "
                         "constraint", s->name, o + bad + 1);
                return sim_fail(S, s->name_span, why);
            }
        }
    }
    return 0;
}

/* Column-major copy, ints as doubles (Stan's output order). */
static void flatten(const Val *v, double *out)
{
    int c[VM_MAXDIM] = {0};
    for (long t = 0; t < v->n; t++) {
        long o = val_offset(v, c);
        out[t] = v->base == TB_INT ? (v->iv[o] == INT_MIN ? NAN : v->iv[o]) : v->x[o];
        for (int d = 0; d < v->ndim; d++) { if (++c[d] < v->dims[d]) break; c[d] = 0; }
    }
}

static void collect(const Sim *S, const Val *env, double *x)
{
    size_t o = 0;
    for (int k = 0; k < S->nd; k++) {
        flatten(&env[S->dslots[k]], x + o);
        o += (size_t)env[S->dslots[k]].n;
    }
}

static int run(Sim *S, gsl_rng *r, const double *ugiven)
{
    Ev *ev = &S->ev;
    const Model *m = S->m;
    arena_reset(&ev->arena);
    tape_reset(ev);
    ev->fail = ev->fatal = ev->rejected = ev->returning = 0;
    ev->msg[0] = 0;
    ev->rng = r;
    ev->phase = PH_MODEL;
    memcpy(ev->env, m->data_env, sizeof(Val) * (size_t)m->ir->nvars);
    for (int k = 0; k < S->nd; k++) {
        const Val *d = &m->data_env[S->dslots[k]];
        ev->env[S->dslots[k]] = fresh(ev, d, d->base == TB_INT);
    }
    S->given = ugiven != NULL;
    int32_t ubase = tape_vars(ev, (int)m->dim);
    for (int k = 0; k < m->nparams && !ev->fail; k++) {
        const ParamInfo *pi = &m->params[k];
        if (ugiven) model_bind_param(ev, pi, ugiven, ubase, 0);
        else ev->env[pi->slot] = fresh(ev, &pi->shape, pi->is_int);
    }
    EvHook hook = {.tilde = draw_tilde, .ctx = S};   /* `target +=`: no generative step (refused by sim_new) */
    ev->hook = &hook;
    for (int i = 0; i < S->norder && !ev->fail; i++) exec_stmt(ev, m->ir->prog->stmts[S->order[i]]);
    ev->hook = NULL;
    return ev->fail ? sim_fail(S, ev->fail_span, ev->msg) : 0;
}

int sim_draw(Sim *S, gsl_rng *r, double *u, double *x)
{
    if (run(S, r, NULL) || unconstrain_params(S, u)) return -1;
    if (x) collect(S, S->ev.env, x);
    return 0;
}

int sim_data_given(Sim *S, const double *u, gsl_rng *r, double *x)
{
    if (S->param_after_data) {
        free(S->msg);
        S->msg = strdup("forward simulation: a parameter's prior reads simulated data, so the data cannot be drawn "
                        "given the parameters alone");
        return -1;
    }
    if (run(S, r, u)) return -1;
    collect(S, S->ev.env, x);
    return 0;
}

void sim_observed(const Sim *S, double *x) { collect(S, S->m->data_env, x); }

/* ---- statistics ---- */

static int stat_slot(const Sim *S, const char *name, size_t len)
{
    const Ir *ir = S->m->ir;
    for (int v = 0; v < ir->nvars; v++) {
        const VarInfo *vi = &ir->vars[v];
        if (!vi->toplevel || vi->is_loopvar || strlen(vi->name) != len || strncmp(vi->name, name, len)) continue;
        if ((vi->kind == D_LET && vi->level <= LV_DATA) || (vi->kind == D_DATA && S->simvar[v])) return v;
    }
    return -1;
}

static long stats_walk(const Sim *S, const char *names, const Val *env, double *out, char *msg, size_t msglen)
{
    long n = 0;
    for (const char *p = names; *p;) {
        size_t len = strcspn(p, ",");
        int v = stat_slot(S, p, len);
        if (v < 0) {
            if (msg) snprintf(msg, msglen, "'%.*s' is not a simulated data variable or a data-only let", (int)len, p);
            return -1;
        }
        if (out) flatten(&env[v], out + n);
        n += env[v].n;
        p += len;
        if (*p == ',') p++;
    }
    return n;
}

long sim_stats_size(const Sim *S, const char *names, char *msg, size_t msglen)
{
    return stats_walk(S, names, S->m->data_env, NULL, msg, msglen);
}

void sim_stats(const Sim *S, const char *names, double *out) { stats_walk(S, names, S->ev.env, out, NULL, 0); }
void sim_stats_observed(const Sim *S, const char *names, double *out)
{
    stats_walk(S, names, S->m->data_env, out, NULL, 0);
}
