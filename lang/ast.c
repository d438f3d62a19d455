/* Builders called from the grammar's actions: each allocates one node from the
 * compile arena and records its span. */
#include <string.h>
#include "lang/ast.h"

Span span_join(Span a, Span b)
{
    int s = a.off < b.off ? a.off : b.off;
    int e1 = a.off + a.len, e2 = b.off + b.len;
    int e = e1 > e2 ? e1 : e2;
    return (Span){s, e - s};
}

Span tok_span(Token t) { return (Span){t.off, t.len}; }

/* ORDER TYPENAMES */
const char *const vm_typename[] = {"int", "real", "vector", "row_vector", "matrix", "simplex", "ordered",
                                   "positive_ordered", "cholesky_factor_corr", "cov_matrix", "corr_matrix",
                                   "cholesky_factor_cov", "unit_vector", "sum_to_zero_vector"};

int vm_type_square(TypeName n)
{
    return n == TS_CHOL_CORR || n == TS_COV || n == TS_CORR || n == TS_CHOL_COV;
}

int vm_type_kind(TypeName n)
{
    switch (n) {
    case TS_INT: case TS_REAL: return TK_SCALAR;
    case TS_ROWVEC: return TK_ROWVEC;
    case TS_MATRIX: case TS_CHOL_CORR: case TS_COV: case TS_CORR: case TS_CHOL_COV: return TK_MATRIX;
    default: return TK_VECTOR;
    }
}

static Expr *expr_new(ParseCtx *c, ExprKind k, Span sp)
{
    Expr *e = arena_zalloc(c->arena, sizeof *e);
    e->kind = k;
    e->id = ++c->prog->nexprs;
    e->span = sp;
    e->slot = -1;
    return e;
}

/* e's depth from its operands; past the limit, one error and the parse stops. */
static Expr *deepen(ParseCtx *c, Expr *e)
{
    int d = 0;
    for (int i = 0; i < e->nargs; i++) if (e->args[i] && e->args[i]->depth > d) d = e->args[i]->depth;
    for (int i = 0; i < e->nidx; i++) {
        if (e->idx[i].a && e->idx[i].a->depth > d) d = e->idx[i].a->depth;
        if (e->idx[i].b && e->idx[i].b->depth > d) d = e->idx[i].b->depth;
    }
    e->depth = d + 1;
    if (e->depth > VM_MAX_EXPR_DEPTH && !c->failed) {
        c->failed = 1;
        diag_add(c->diags, DIAG_ERROR, (Span){e->span.off, 1},
                 "expression nested too deeply (more than %d levels): split it into several statements, "
                 "or sum a container with sum()", VM_MAX_EXPR_DEPTH);
    }
    return e;
}

static Stmt *stmt_new(ParseCtx *c, StmtKind k, Span sp)
{
    Stmt *s = arena_zalloc(c->arena, sizeof *s);
    s->kind = k;
    s->span = sp;
    s->slot = -1;
    s->aop = -1;
    return s;
}

static const char *tok_text(ParseCtx *c, Token t) { return arena_strndup(c->arena, c->src + t.off, (size_t)t.len); }

void *ast_list_push(Arena *a, void *list, int *n, size_t elem, const void *item)
{
    /* capacity is the next power of two: grow by copying into the arena */
    int k = *n;
    if (k == 0 || (k & (k - 1)) == 0) {
        void *nl = arena_alloc(a, elem * (size_t)(k ? 2 * k : 1));
        if (k) memcpy(nl, list, elem * (size_t)k);
        list = nl;
    }
    memcpy((char *)list + elem * (size_t)k, item, elem);
    *n = k + 1;
    return list;
}

ExprList exprlist_push(ParseCtx *c, ExprList l, Expr *e)
{
    l.v = ast_list_push(c->arena, l.v, &l.n, sizeof(Expr *), &e);
    return l;
}

IndexList indexlist_push(ParseCtx *c, IndexList l, IndexKind k, Expr *a, Expr *b)
{
    Index ix = {k, a, b};
    l.v = ast_list_push(c->arena, l.v, &l.n, sizeof(Index), &ix);
    return l;
}

StmtList stmtlist_push(ParseCtx *c, StmtList l, Stmt *s)
{
    l.v = ast_list_push(c->arena, l.v, &l.n, sizeof(Stmt *), &s);
    return l;
}

Expr *ast_int(ParseCtx *c, Token t) { Expr *e = expr_new(c, E_INT, tok_span(t)); e->ival = t.ival; return e; }
Expr *ast_real(ParseCtx *c, Token t) { Expr *e = expr_new(c, E_REAL, tok_span(t)); e->rval = t.rval; return e; }

Expr *ast_var(ParseCtx *c, Token t)
{
    Expr *e = expr_new(c, E_VAR, tok_span(t));
    e->name = tok_text(c, t);
    e->name_span = tok_span(t);
    return e;
}

static Expr **args2(ParseCtx *c, Expr *a, Expr *b, Expr *d)
{
    Expr **v = arena_alloc(c->arena, 3 * sizeof *v);
    v[0] = a; v[1] = b; v[2] = d;
    return v;
}

Expr *ast_binop(ParseCtx *c, Op op, Expr *a, Expr *b)
{
    Expr *e = expr_new(c, E_BINOP, span_join(a->span, b->span));
    e->op = op;
    e->args = args2(c, a, b, NULL);
    e->nargs = 2;
    return deepen(c, e);
}

Expr *ast_unop(ParseCtx *c, Op op, Token t, Expr *a)
{
    Expr *e = expr_new(c, E_UNOP, span_join(tok_span(t), a->span));
    e->op = op;
    e->args = args2(c, a, NULL, NULL);
    e->nargs = 1;
    return deepen(c, e);
}

Expr *ast_cond(ParseCtx *c, Expr *a, Expr *b, Expr *d)
{
    Expr *e = expr_new(c, E_COND, span_join(a->span, d->span));
    e->args = args2(c, a, b, d);
    e->nargs = 3;
    return deepen(c, e);
}

/* Parentheses leave no node, but a message about (a + b) / c underlines them too. */
Expr *ast_paren(ParseCtx *c, Token open, Expr *a, Token close)
{
    a->span = span_join(tok_span(open), tok_span(close));
    return a;
}

Expr *ast_call(ParseCtx *c, Token name, Expr *first, int bar, Expr **args, int nargs, Token close)
{
    Expr *e = expr_new(c, E_CALL, span_join(tok_span(name), tok_span(close)));
    e->name = tok_text(c, name);
    e->name_span = tok_span(name);
    e->bar = bar;
    int n = nargs + (first != NULL);
    e->args = arena_alloc(c->arena, (size_t)(n ? n : 1) * sizeof(Expr *));
    int k = 0;
    if (first) e->args[k++] = first;
    for (int i = 0; i < nargs; i++) e->args[k++] = args[i];
    e->nargs = n;
    return deepen(c, e);
}

Expr *ast_index(ParseCtx *c, Expr *base, Index *idx, int nidx, Token close)
{
    Expr *e = expr_new(c, E_INDEX, span_join(base->span, tok_span(close)));
    e->args = args2(c, base, NULL, NULL);
    e->nargs = 1;
    e->idx = idx;
    e->nidx = nidx;
    return deepen(c, e);
}

Expr *ast_transpose(ParseCtx *c, Expr *a, Token t)
{
    Expr *e = expr_new(c, E_TRANSPOSE, span_join(a->span, tok_span(t)));
    e->args = args2(c, a, NULL, NULL);
    e->nargs = 1;
    return deepen(c, e);
}

Expr *ast_literal(ParseCtx *c, ExprKind k, Token open, Expr **elems, int n, Token close)
{
    Expr *e = expr_new(c, k, span_join(tok_span(open), tok_span(close)));
    e->args = elems;
    e->nargs = n;
    return deepen(c, e);
}

TypeSpec *ast_type(ParseCtx *c, TypeName name, Token t, Expr *lower, Expr *upper, ExprList size, Token end)
{
    TypeSpec *ts = arena_zalloc(c->arena, sizeof *ts);
    ts->name = name;
    ts->lower = lower;
    ts->upper = upper;
    Span sp = span_join(tok_span(t), tok_span(end));
    for (int i = 0; i < size.n && i < 2; i++) {
        ts->size[i] = size.v[i];
        sp = span_join(sp, size.v[i]->span);
    }
    int want = name == TS_MATRIX ? 2 : (name == TS_INT || name == TS_REAL) ? 0 : 1;
    if (name == TS_CHOL_COV && size.n == 2) want = 2;   /* [M] or [M, N] */
    if (size.n != want && name == TS_CHOL_COV)
        diag_add(c->diags, DIAG_ERROR, sp, "%s needs 1 or 2 sizes in brackets ([M] or [M, N]), found %d",
                 vm_typename[name], size.n);
    else if (size.n != want)
        diag_add(c->diags, DIAG_ERROR, sp, "%s needs %d size%s in brackets, found %d",
                 vm_typename[name], want, want == 1 ? "" : "s", size.n);
    ts->span = sp;
    return ts;
}

Affine ast_affine(ParseCtx *c, Affine a, Token name, Expr *e)
{
    const char *s = c->src + name.off;
    int is_off = name.len == 6 && !strncmp(s, "offset", 6);
    int is_mul = name.len == 10 && !strncmp(s, "multiplier", 10);
    if (!is_off && !is_mul)
        diag_add(c->diags, DIAG_ERROR, tok_span(name), "expected 'offset' or 'multiplier' here, found '%.*s'",
                 name.len, s);
    else if ((is_off && a.offset) || (is_mul && a.multiplier))
        diag_add(c->diags, DIAG_ERROR, tok_span(name), "'%.*s' is given twice", name.len, s);
    else if (is_off) a.offset = e;
    else a.multiplier = e;
    return a;
}

TypeSpec *ast_with_affine(ParseCtx *c, TypeSpec *ts, Affine a)
{
    (void)c;
    ts->offset = a.offset;
    ts->multiplier = a.multiplier;
    return ts;
}

TypeSpec *ast_array_type(ParseCtx *c, Token t, ExprList dims, TypeSpec *elem)
{
    elem->arr = dims.v;
    elem->narr = dims.n;
    elem->span = span_join(tok_span(t), elem->span);
    return elem;
}

Stmt *ast_decl(ParseCtx *c, DeclKind k, Token kw, TypeSpec *ty, Token name, Expr *init, Token semi)
{
    Span start = ty && k == D_LOCAL ? ty->span : tok_span(kw);
    Stmt *s = stmt_new(c, S_DECL, span_join(start, tok_span(semi)));
    s->decl = k;
    s->type = ty;
    s->name = tok_text(c, name);
    s->name_span = tok_span(name);
    s->init = init;
    return s;
}

Stmt *ast_tilde(ParseCtx *c, Expr *lhs, Token dist, ExprList args, Token semi)
{
    Stmt *s = stmt_new(c, S_TILDE, span_join(lhs->span, tok_span(semi)));
    s->lhs = lhs;
    s->dist = tok_text(c, dist);
    s->dist_span = tok_span(dist);
    s->args = args.v;
    s->nargs = args.n;
    return s;
}

Stmt *ast_tilde_trunc(ParseCtx *c, Expr *lhs, Token dist, ExprList args, Token t, Expr *lo, Expr *hi, Token semi)
{
    Stmt *s = ast_tilde(c, lhs, dist, args, semi);
    s->trunc = 1;
    s->trunc_lo = lo;
    s->trunc_hi = hi;
    s->trunc_span = span_join(tok_span(t), tok_span(semi));
    s->trunc_span.len--;              /* T[...] without the ';' */
    if (t.len != 1 || c->src[t.off] != 'T')
        diag_add(c->diags, DIAG_ERROR, tok_span(t), "expected ';' or T[lower, upper] after the distribution");
    return s;
}

Stmt *ast_target(ParseCtx *c, Token kw, Expr *e, Token semi)
{
    Stmt *s = stmt_new(c, S_TARGET, span_join(tok_span(kw), tok_span(semi)));
    s->rhs = e;
    return s;
}

Stmt *ast_assign(ParseCtx *c, Expr *lhs, int op, Expr *rhs, Token semi)
{
    Stmt *s = stmt_new(c, S_ASSIGN, span_join(lhs->span, tok_span(semi)));
    s->lhs = lhs;
    s->rhs = rhs;
    s->aop = (Op)op;
    return s;
}

/* s's nesting depth from its parts; past the limit, one error and the parse stops. */
static Stmt *nest(ParseCtx *c, Stmt *s)
{
    int d = 0;
    if (s->body && s->body->depth > d) d = s->body->depth;
    if (s->els && s->els->depth > d) d = s->els->depth;
    for (int i = 0; i < s->nstmts; i++) if (s->stmts[i] && s->stmts[i]->depth > d) d = s->stmts[i]->depth;
    s->depth = d + 1;
    if (s->depth > VM_MAX_STMT_DEPTH && !c->failed) {
        c->failed = 1;
        diag_add(c->diags, DIAG_ERROR, (Span){s->span.off, 1},
                 "statements nested too deeply (more than %d levels of blocks, loops or else-if branches)",
                 VM_MAX_STMT_DEPTH);
    }
    return s;
}

Stmt *ast_for(ParseCtx *c, Token kw, Token var, Expr *lo, Expr *hi, Stmt *body)
{
    Stmt *s = stmt_new(c, S_FOR, span_join(tok_span(kw), body->span));
    s->loopvar = tok_text(c, var);
    s->loopvar_span = tok_span(var);
    s->lo = lo;
    s->hi = hi;
    s->body = body;
    return nest(c, s);
}

Stmt *ast_while(ParseCtx *c, Token kw, Expr *cond, Stmt *body)
{
    Stmt *s = stmt_new(c, S_WHILE, span_join(tok_span(kw), body->span));
    s->cond = cond;
    s->body = body;
    return nest(c, s);
}

Stmt *ast_if(ParseCtx *c, Token kw, Expr *cond, Stmt *then, Stmt *els)
{
    Stmt *s = stmt_new(c, S_IF, span_join(tok_span(kw), (els ? els : then)->span));
    s->cond = cond;
    s->body = then;
    s->els = els;
    return nest(c, s);
}

Stmt *ast_block(ParseCtx *c, Token open, StmtList l, Token close)
{
    Stmt *s = stmt_new(c, S_BLOCK, span_join(tok_span(open), tok_span(close)));
    s->stmts = l.v;
    s->nstmts = l.n;
    return nest(c, s);
}

Stmt *ast_empty(ParseCtx *c, Token semi) { return stmt_new(c, S_EMPTY, tok_span(semi)); }

void ast_program_add(ParseCtx *c, Stmt *s)
{
    c->prog->stmts = ast_list_push(c->arena, c->prog->stmts, &c->prog->nstmts, sizeof(Stmt *), &s);
}

Expr *ast_str(ParseCtx *c, Token t)
{
    Expr *e = expr_new(c, E_STR, tok_span(t));
    e->name = arena_strndup(c->arena, c->src + t.off + 1, (size_t)(t.len - 2));
    return deepen(c, e);
}

Stmt *ast_return(ParseCtx *c, Token kw, Expr *e, Token semi)
{
    Stmt *s = stmt_new(c, S_RETURN, span_join(tok_span(kw), tok_span(semi)));
    s->rhs = e;
    return s;
}

Stmt *ast_callstmt(ParseCtx *c, Expr *e, Token semi)
{
    Stmt *s = stmt_new(c, S_CALL, span_join(e->span, tok_span(semi)));
    s->rhs = e;
    return s;
}

/* An argument or return type: no sizes, no bounds. */
TypeSpec *ast_unsized(ParseCtx *c, TypeName name, Token t)
{
    TypeSpec *ts = arena_zalloc(c->arena, sizeof *ts);
    ts->name = name;
    ts->span = tok_span(t);
    return ts;
}

TypeSpec *ast_unsized_array(ParseCtx *c, Token t, int ndims, TypeSpec *elem)
{
    elem->arr = arena_zalloc(c->arena, sizeof(Expr *) * (size_t)ndims);   /* NULL: unsized */
    elem->narr = ndims;
    elem->span = span_join(tok_span(t), elem->span);
    return elem;
}

FunDef *ast_fun(ParseCtx *c, TypeSpec *ret, Token kw, Token name)
{
    FunDef *f = arena_zalloc(c->arena, sizeof *f);
    f->ret = ret;
    f->name = tok_text(c, name);
    f->name_span = tok_span(name);
    f->span = ret ? span_join(ret->span, tok_span(name)) : span_join(tok_span(kw), tok_span(name));
    return f;
}

FunDef *ast_fun_param(ParseCtx *c, FunDef *f, TypeSpec *ty, Token name, int data_only)
{
    FunParam p = {ty, tok_text(c, name), tok_span(name), data_only, -1};
    f->params = ast_list_push(c->arena, f->params, &f->nparams, sizeof p, &p);
    return f;
}

FunDef *ast_fun_end(ParseCtx *c, FunDef *f, Stmt *body, Token end)
{
    (void)c;
    f->body = body;
    f->span = span_join(f->span, tok_span(end));
    return f;
}

void ast_fun_add(ParseCtx *c, FunDef *f)
{
    c->prog->funs = ast_list_push(c->arena, c->prog->funs, &c->prog->nfuns, sizeof(FunDef *), &f);
}

int ast_assigns(const Stmt *s, int slot)
{
    if (!s) return 0;
    switch (s->kind) {
    case S_ASSIGN: {
        const Expr *l = s->lhs;
        while (l->kind == E_INDEX) l = l->args[0];
        return l->kind == E_VAR && l->slot == slot;
    }
    case S_FOR: case S_WHILE: return ast_assigns(s->body, slot);
    case S_IF: return ast_assigns(s->body, slot) || ast_assigns(s->els, slot);
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) if (ast_assigns(s->stmts[i], slot)) return 1; return 0;
    default: return 0;
    }
}

int ast_expr_mentions(const Expr *e, int slot)
{
    if (!e) return 0;
    if (e->kind == E_VAR) return e->slot == slot;
    for (int i = 0; i < e->nargs; i++) if (ast_expr_mentions(e->args[i], slot)) return 1;
    for (int i = 0; i < e->nidx; i++)
        if (ast_expr_mentions(e->idx[i].a, slot) || ast_expr_mentions(e->idx[i].b, slot)) return 1;
    return 0;
}

static int type_mentions(const TypeSpec *t, int slot)
{
    if (!t) return 0;
    if (ast_expr_mentions(t->lower, slot) || ast_expr_mentions(t->upper, slot)
        || ast_expr_mentions(t->offset, slot) || ast_expr_mentions(t->multiplier, slot)
        || ast_expr_mentions(t->size[0], slot) || ast_expr_mentions(t->size[1], slot))
        return 1;
    for (int i = 0; i < t->narr; i++) if (ast_expr_mentions(t->arr[i], slot)) return 1;
    return 0;
}

int ast_mentions(const Stmt *s, int slot)
{
    if (!s) return 0;
    if (type_mentions(s->type, slot) || ast_expr_mentions(s->init, slot) || ast_expr_mentions(s->lhs, slot)
        || ast_expr_mentions(s->rhs, slot) || ast_expr_mentions(s->trunc_lo, slot)
        || ast_expr_mentions(s->trunc_hi, slot) || ast_expr_mentions(s->lo, slot)
        || ast_expr_mentions(s->hi, slot) || ast_expr_mentions(s->cond, slot))
        return 1;
    for (int i = 0; i < s->nargs; i++) if (ast_expr_mentions(s->args[i], slot)) return 1;
    if (ast_mentions(s->body, slot) || ast_mentions(s->els, slot)) return 1;
    for (int i = 0; i < s->nstmts; i++) if (ast_mentions(s->stmts[i], slot)) return 1;
    return 0;
}
