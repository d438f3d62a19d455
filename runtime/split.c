/* Splitting a model's log density over processes by observation.
 *
 * Each top-level statement of the model phase gets a kind (split.h).  A statement is
 * split when its terms are a sum over observations that every rank can take a share
 * of without the others' values:
 *   - a top-level `for` loop that assigns no top-level variable (sema's `writes`):
 *     its iterations add to the density and nothing else, so each rank runs its
 *     contiguous share of the iterations;
 *   - a vectorised `~` or `target +=` whose data are row-aligned: every data variable
 *     it reads outside an index base is read whole, elementwise or as the rows of a
 *     matrix product (y, X in X * beta, the group index g in alpha[g]), and nothing
 *     reduces over them (no sum, mean, transpose, literal or condition).  Each rank
 *     then runs it with those variables cut to its share of their leading dimension.
 * The syntactic test admits a candidate; it is kept only if at a random point the
 * shares' terms add up to the whole statement's term (split.c's probe), which also
 * catches a parameter of length N next to split data or a density that is not a sum
 * over rows (dirichlet, multi_normal over the observations).  Everything else runs on
 * every rank and counts once (rank 0); a statement that only adds to the density runs
 * on rank 0 alone.
 *
 * Shares: n items over R ranks, rank r takes [n r / R, n (r + 1) / R).  Variables of
 * the same length get the same cut, which keeps y, X and g aligned. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "runtime/split.h"

enum { CL_INV, CL_ROW, CL_BAD };

typedef struct SpScan {
    const Model *m;
    int *row, nrow;            /* data slots read whole (to be sliced) */
    int *keep, nkeep;          /* data slots read as they are (an index base, a scalar use) */
} SpScan;

static void sp_note(int *set, int *n, int slot)
{
    for (int i = 0; i < *n; i++)
        if (set[i] == slot)
            return;
    set[(*n)++] = slot;
}

/* A variable bound before the model runs: data, or a let of data alone. */
static int sp_is_data(const Model *m, int slot)
{
    const VarInfo *vi = &m->ir->vars[slot];
    const Val *v = &m->data_env[slot];
    return (vi->kind == D_DATA || (vi->kind == D_LET && vi->level <= LV_DATA)) && vi->toplevel && (v->x || v->iv);
}

/* Sliceable: a vector, a matrix or an array with a leading dimension. */
static int sp_has_rows(const Val *v)
{
    if (v->narr > 0)
        return v->dims[0] > 0;
    return v->kind == TK_VECTOR || v->kind == TK_MATRIX;
}

static int sp_scalar(const Expr *e) { return e->ty.narr == 0 && e->ty.kind == TK_SCALAR; }

static int sp_class(SpScan *sc, const Expr *e);

static int sp_join(int a, int b) { return a == CL_BAD || b == CL_BAD ? CL_BAD : a == CL_ROW || b == CL_ROW ? CL_ROW : CL_INV; }

/* Every variable under e is read as it is (e's class must be CL_INV). */
static int sp_inv(SpScan *sc, const Expr *e)
{
    if (!e)
        return CL_INV;
    if (e->kind == E_VAR) {
        if (e->slot >= 0 && sp_is_data(sc->m, e->slot))
            sp_note(sc->keep, &sc->nkeep, e->slot);
        return CL_INV;
    }
    int c = sp_class(sc, e);
    return c == CL_INV ? CL_INV : CL_BAD;
}

static int sp_class(SpScan *sc, const Expr *e)
{
    if (!e)
        return CL_INV;
    switch (e->kind) {
    case E_INT:
    case E_REAL:
        return CL_INV;
    case E_VAR:
        if (e->slot < 0 || !sp_is_data(sc->m, e->slot))
            return CL_INV;
        if (!sp_has_rows(&sc->m->data_env[e->slot])) {
            sp_note(sc->keep, &sc->nkeep, e->slot);
            return CL_INV;
        }
        sp_note(sc->row, &sc->nrow, e->slot);
        return CL_ROW;
    case E_INDEX: {
        /* base[g] with g row-aligned gathers one value per row; any other index reads
         * the base (and the indices) as they are */
        if (e->nidx == 1 && e->idx[0].kind == IX_SINGLE && !e->idx[0].b) {
            int ci = sp_class(sc, e->idx[0].a);
            if (ci == CL_ROW)
                return sp_inv(sc, e->args[0]) == CL_INV ? CL_ROW : CL_BAD;
            if (ci == CL_BAD)
                return CL_BAD;
        }
        int c = sp_inv(sc, e->args[0]);
        for (int i = 0; i < e->nidx && c != CL_BAD; i++)
            c = sp_join(c, sp_join(sp_inv(sc, e->idx[i].a), sp_inv(sc, e->idx[i].b)));
        return c;
    }
    case E_UNOP:
        if (e->op == OP_NEG || e->op == OP_PLUS)
            return sp_class(sc, e->args[0]);
        return sp_inv(sc, e->args[0]);
    case E_BINOP: {
        int a = sp_class(sc, e->args[0]), b = sp_class(sc, e->args[1]);
        int c = sp_join(a, b);
        if (c != CL_ROW)
            return c;
        switch (e->op) {
        case OP_ADD: case OP_SUB: case OP_EMUL: case OP_EDIV:
            return CL_ROW;
        case OP_MUL:           /* X * beta (rows of X), x * s, s * x */
            if (a == CL_ROW && b == CL_INV)
                return CL_ROW;
            return a == CL_INV && sp_scalar(e->args[0]) ? CL_ROW : CL_BAD;
        case OP_DIV: case OP_POW:
            return (a == CL_ROW && b == CL_INV && sp_scalar(e->args[1])) ||
                   (a == CL_INV && sp_scalar(e->args[0])) ? CL_ROW : CL_BAD;
        default:
            return CL_BAD;
        }
    }
    case E_CALL: {
        int c = CL_INV;
        for (int i = 0; i < e->nargs && c != CL_BAD; i++)
            c = sp_join(c, sp_class(sc, e->args[i]));
        if (c != CL_ROW)
            return c;
        /* elementwise math keeps rows; a builtin (sum, rows, append_row...) or a
         * density inside an expression reduces over them */
        return e->fkind == FN_MATH ? CL_ROW : CL_BAD;
    }
    default:                   /* ?:, transpose, literals */
        for (int i = 0; i < e->nargs; i++)
            if (sp_class(sc, e->args[i]) != CL_INV)
                return CL_BAD;
        return CL_INV;
    }
}

/* The arguments of a density call (or a ~): all row-aligned or invariant, one at least
 * row-aligned. */
static int sp_args(SpScan *sc, Expr *const *a, int n, const Expr *lhs)
{
    int c = lhs ? sp_class(sc, lhs) : CL_INV;
    for (int i = 0; i < n && c != CL_BAD; i++)
        c = sp_join(c, sp_class(sc, a[i]));
    return c;
}

static int sp_rows_candidate(SpScan *sc, const Stmt *s)
{
    int c = CL_BAD;
    if (s->kind == S_TILDE)
        c = sp_args(sc, s->args, s->nargs, s->lhs);
    else if (s->kind == S_TARGET) {
        const Expr *e = s->rhs;
        if (e->kind == E_CALL && (e->fkind == FN_DIST_LPDF || e->fkind == FN_DIST_LCDF || e->fkind == FN_DIST_LCCDF))
            c = sp_args(sc, e->args, e->nargs, NULL);
        else if (e->kind == E_CALL && e->fkind == FN_BUILTIN && e->nargs == 1 && !strcmp(e->name, "sum"))
            c = sp_class(sc, e->args[0]);
        else
            c = sp_class(sc, e);   /* target += v adds the sum of v's elements */
    }
    if (c != CL_ROW)
        return 0;
    for (int i = 0; i < sc->nrow; i++)   /* one variable both cut and read whole */
        for (int j = 0; j < sc->nkeep; j++)
            if (sc->row[i] == sc->keep[j])
                return 0;
    return 1;
}

/* Only adds to the density: no top-level variable assigned, nothing declared. */
static int sp_density_only(const Stmt *s)
{
    if (s->kind == S_TILDE || s->kind == S_TARGET)
        return 1;
    return (s->kind == S_FOR || s->kind == S_WHILE || s->kind == S_IF || s->kind == S_BLOCK) && s->nwrites == 0;
}

/* A top-level block of locals, loops and density statements (posteriordb's
 * `{ vector[N] mu; for (n in 1:N) { mu[n] = ...; y[n] ~ ...; } }`): its loops can be
 * split when nothing after a loop reads a local the loop filled in full, which the
 * probe checks. */
static int sp_block_candidate(const Stmt *s)
{
    if (s->kind != S_BLOCK || s->nwrites != 0)
        return 0;
    int loops = 0;
    for (int i = 0; i < s->nstmts; i++) {
        const Stmt *c = s->stmts[i];
        if (c->kind == S_FOR)
            loops++;
        else if (!(c->kind == S_DECL && c->decl == D_LOCAL) && c->kind != S_ASSIGN && c->kind != S_TILDE &&
                 c->kind != S_TARGET && c->kind != S_EMPTY)
            return 0;
    }
    return loops > 0;
}

static void sp_share(long n, int share, int size, long *lo, long *hi)
{
    *lo = n * share / size;
    *hi = n * (share + 1) / size;
}

static void *sp_own(VmSplit *sp, size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        return NULL;
    if (sp->nowned == sp->capowned) {
        sp->capowned = sp->capowned ? 2 * sp->capowned : 16;
        void **q = realloc(sp->owned, sizeof *q * (size_t)sp->capowned);
        if (!q) { free(p); return NULL; }
        sp->owned = q;
    }
    sp->owned[sp->nowned++] = p;
    return p;
}

/* Share `share` of v's leading dimension: a view for vectors and arrays (contiguous
 * leading blocks), a copy of the rows for a matrix (stored column-major). */
static int sp_slice(VmSplit *sp, const Val *v, int share, Val *out)
{
    *out = *v;
    out->id = NULL;
    long lo, hi;
    if (v->narr > 0 || v->kind == TK_VECTOR) {
        long inner = v->n / v->dims[0];
        sp_share(v->dims[0], share, sp->size, &lo, &hi);
        out->dims[0] = (int)(hi - lo);
        out->n = (int)((hi - lo) * inner);
        if (v->x)
            out->x = v->x + lo * inner;
        if (v->iv)
            out->iv = v->iv + lo * inner;
        return 0;
    }
    int rows = v->dims[0], cols = v->dims[1];
    sp_share(rows, share, sp->size, &lo, &hi);
    int nr = (int)(hi - lo);
    out->dims[0] = nr;
    out->n = nr * cols;
    out->x = sp_own(sp, sizeof(double) * (size_t)out->n);
    if (!out->x)
        return -1;
    for (int j = 0; j < cols; j++)
        memcpy(out->x + (size_t)j * nr, v->x + (size_t)j * rows + lo, sizeof(double) * (size_t)nr);
    return 0;
}

static void sp_loop(Ev *ev, const VmSplit *sp, int share, const Stmt *s)
{
    Val a = eval_expr(ev, s->lo), b = eval_expr(ev, s->hi);
    if (ev->fail)
        return;
    if (a.base != TB_INT || b.base != TB_INT || a.n != 1 || b.n != 1) {
        exec_stmt(ev, s);      /* the ordinary path reports it */
        return;
    }
    long n = (long)b.iv[0] - a.iv[0] + 1, lo, hi;
    if (n < 0)
        n = 0;
    sp_share(n, share, sp->size, &lo, &hi);
    int from = a.iv[0] + (int)lo, to = a.iv[0] + (int)hi - 1;
    if (vec_loop(ev, s, from, to) || rec_loop(ev, s, from, to))
        return;
    for (long i = from; i <= to && !ev->fail; i++) {
        Val iv = val_int(ev, (int)i);
        ev->env[s->slot] = iv;
        exec_stmt(ev, s->body);
    }
}

void sp_exec(Ev *ev, const VmSplit *sp, int share, const Stmt *s, int i)
{
    switch ((SpKind)sp->kind[i]) {
    case SP_DENSITY:
        if (share == 0)
            exec_stmt(ev, s);
        return;
    case SP_LOOP:
        sp_loop(ev, sp, share, s);
        return;
    case SP_BLOCK:             /* locals everywhere, loops by share, the rest on rank 0 */
        for (int k = 0; k < s->nstmts && !ev->fail; k++) {
            const Stmt *c = s->stmts[k];
            if (c->kind == S_FOR)
                sp_loop(ev, sp, share, c);
            else if ((c->kind != S_TILDE && c->kind != S_TARGET) || share == 0)
                exec_stmt(ev, c);
        }
        return;
    case SP_ROWS: {
        const SpRows *r = &sp->rows[i];
        Val saved[16];
        for (int k = 0; k < r->n; k++) {
            saved[k] = ev->env[r->slot[k]];
            ev->env[r->slot[k]] = sp->slice[share][r->slot[k]];
        }
        const Val *const *hoist = ev->hoist;
        ev->hoist = NULL;      /* a value computed at load from the whole data */
        exec_stmt(ev, s);
        ev->hoist = hoist;
        for (int k = 0; k < r->n; k++)
            ev->env[r->slot[k]] = saved[k];
        return;
    }
    case SP_ALL:
    default:
        if (share == 0) {
            exec_stmt(ev, s);
            return;
        }
        /* run for its values; its terms are rank 0's (none goes into the adjoints) */
        double c = ev->lp_const;
        int nlp = ev->nlp;
        ev->noseed = 1;
        exec_stmt(ev, s);
        ev->noseed = 0;
        ev->lp_const = c;
        ev->nlp = nlp;
        if (ev->stmt_const)
            ev->stmt_const[i] = 0;
        return;
    }
}

void sp_free(VmSplit *sp)
{
    if (!sp)
        return;
    for (int i = 0; i < sp->nstmts; i++)
        free(sp->rows[i].slot);
    for (int i = 0; i < sp->nowned; i++)
        free(sp->owned[i]);
    for (int r = 0; sp->slice && r < sp->size; r++)
        free(sp->slice[r]);
    free(sp->slice);
    free(sp->sliced);
    free(sp->owned);
    free(sp->rows);
    free(sp->kind);
    free(sp);
}

/* The statement's term at u on the whole data and summed over the shares agree. */
static int sp_probe(VmModel *m, VmSplit *sp, int i, const double *u, double whole, double *terms)
{
    double sum = 0;
    for (int r = 0; r < sp->size; r++) {
        VmEval *e = vm_eval_new(m);
        if (!e)
            return 0;
        vm_eval_set_share(e, r, 0);
        double lp;
        int rc = vm_log_density_terms(e, u, 1, &lp, NULL, terms);
        vm_eval_free(e);
        if (rc || !isfinite(terms[i]))
            return 0;
        sum += terms[i];
    }
    return fabs(sum - whole) <= 1e-9 * (1 + fabs(whole));
}

int vm_model_split(VmModel *m, int rank, int size, char **msg)
{
    *msg = NULL;
    sp_free(m->split);
    m->split = NULL;
    const Program *p = m->ir->prog;
    int nv = m->ir->nvars;
    VmSplit *sp = calloc(1, sizeof *sp);
    if (!sp)
        goto oom;
    sp->rank = rank;
    sp->size = size;
    sp->nstmts = p->nstmts;
    sp->kind = calloc((size_t)p->nstmts + 1, 1);
    sp->rows = calloc((size_t)p->nstmts + 1, sizeof *sp->rows);
    sp->sliced = calloc((size_t)nv + 1, 1);
    sp->slice = calloc((size_t)size, sizeof *sp->slice);
    int *row = calloc((size_t)nv + 1, sizeof *row), *keep = calloc((size_t)nv + 1, sizeof *keep);
    if (!sp->kind || !sp->rows || !sp->sliced || !sp->slice || !row || !keep) {
        free(row);
        free(keep);
        goto oom;
    }
    for (int r = 0; r < size; r++)
        if (!(sp->slice[r] = calloc((size_t)nv + 1, sizeof(Val)))) {
            free(row);
            free(keep);
            goto oom;
        }
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        sp->kind[i] = SP_ALL;
        if (s->phase != PH_MODEL || (s->kind == S_DECL))
            continue;
        if (!sp_density_only(s))
            continue;
        sp->kind[i] = SP_DENSITY;
        if (s->kind == S_FOR) {
            sp->kind[i] = SP_LOOP;
            continue;
        }
        if (sp_block_candidate(s)) {
            sp->kind[i] = SP_BLOCK;
            continue;
        }
        SpScan sc = {m, row, 0, keep, 0};
        if ((s->kind == S_TILDE || s->kind == S_TARGET) && sp_rows_candidate(&sc, s) && sc.nrow <= 16) {
            SpRows *rr = &sp->rows[i];
            rr->slot = malloc(sizeof(int) * (size_t)sc.nrow);
            if (!rr->slot) {
                free(row);
                free(keep);
                goto oom;
            }
            memcpy(rr->slot, sc.row, sizeof(int) * (size_t)sc.nrow);
            rr->n = sc.nrow;
            for (int k = 0; k < sc.nrow; k++)
                sp->sliced[sc.row[k]] = 1;
            sp->kind[i] = SP_ROWS;
        }
    }
    free(row);
    free(keep);
    for (int v = 0; v < nv; v++)
        for (int r = 0; sp->sliced[v] && r < size; r++)
            if (sp_slice(sp, &m->data_env[v], r, &sp->slice[r][v]) != 0)
                goto oom;
    m->split = sp;

    /* The probe: every candidate alone, at the first of a few random points where the
     * whole density is finite; a candidate whose shares do not add up runs on rank 0. */
    size_t dim = vm_model_dim(m), nt = (size_t)p->nstmts;
    double *u = calloc(dim + vm_model_ndisc(m) + 1, sizeof *u), *whole = calloc(nt + 1, sizeof *whole),
           *terms = calloc(nt + 1, sizeof *terms);
    unsigned char *cand = malloc(nt + 1);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    VmEval *e = vm_eval_new(m);
    if (!u || !whole || !terms || !cand || !g || !e) {
        free(u); free(whole); free(terms); free(cand); vm_eval_free(e);
        if (g) gsl_rng_free(g);
        goto oom;
    }
    vm_eval_set_share(e, -1, 0);
    gsl_rng_set(g, 20261206);
    int found = 0;
    for (int t = 0; t < 20 && !found; t++) {
        for (size_t j = 0; j < dim; j++)
            u[j] = 4 * gsl_rng_uniform(g) - 2;
        for (size_t j = 0; j < vm_model_ndisc(m); j++)
            u[dim + j] = m->disc_lo[j];
        double lp;
        found = vm_log_density_terms(e, u, 1, &lp, NULL, whole) == 0 && isfinite(lp);
    }
    memcpy(cand, sp->kind, nt);
    for (size_t i = 0; i < nt; i++)
        if (cand[i] == SP_LOOP || cand[i] == SP_ROWS || cand[i] == SP_BLOCK)
            sp->kind[i] = SP_DENSITY;
    for (size_t i = 0; i < nt; i++) {
        if (cand[i] != SP_LOOP && cand[i] != SP_ROWS && cand[i] != SP_BLOCK)
            continue;
        sp->kind[i] = cand[i];
        if (!found || !sp_probe(m, sp, (int)i, u, whole[i], terms))
            sp->kind[i] = SP_DENSITY;
        else if (cand[i] == SP_LOOP || cand[i] == SP_BLOCK)
            sp->nloop++;
        else
            sp->nrows++;
    }
    free(u); free(whole); free(terms); free(cand);
    gsl_rng_free(g);
    vm_eval_free(e);
    return sp->nloop + sp->nrows;
oom:
    sp_free(sp);
    m->split = NULL;
    *msg = strdup("out of memory splitting the model over processes");
    return -1;
}

int vm_model_split_size(const VmModel *m) { return m->split ? m->split->size : 1; }

char *vm_model_split_describe(const VmModel *m)
{
    const VmSplit *sp = m->split;
    if (!sp)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const Program *p = m->ir->prog;
    for (int i = 0; i < sp->nstmts; i++) {
        if (sp->kind[i] == SP_ALL)
            continue;
        const Stmt *s = p->stmts[i];
        int line = 1;
        for (int k = 0; m->src && k < s->span.off && (size_t)k < m->srclen; k++)
            line += m->src[k] == '\n';
        fprintf(f, "%s:%d: %s\n", m->file ? m->file : "model", line,
                sp->kind[i] == SP_LOOP || sp->kind[i] == SP_BLOCK ? "split (loop iterations)"
                : sp->kind[i] == SP_ROWS ? "split (rows)"
                                                                   : "not split (rank 0)");
    }
    fclose(f);
    return buf;
}
