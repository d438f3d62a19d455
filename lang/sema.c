/* The checker: names, scopes, types, shapes known before data, and phases.  It
 * reports every error it finds (several per run) and annotates the tree into the IR.
 *
 * Pass 1 walks the statements in order, resolving names and typing expressions, and
 * records for each top-level statement the top-level variables it reads and writes.
 * Pass 2 computes what every `let` depends on (a fixed point over those sets), gives
 * each top-level statement its phase, and checks what may run where. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "lang/ir.h"
#include "stdlib/dist.h"
#include "stdlib/mathfn.h"

typedef struct Scope { int *slots; int n, cap; } Scope;

typedef struct Sema {
    Arena *a;
    DiagList *d;
    Program *prog;
    int stmt_index;            /* top-level statement being checked */
    VarInfo *vars;
    int nvars, cap;
    int *visible;              /* stack of visible slots, innermost last */
    int nvis, capvis;
    /* name -> innermost visible slot, so lookup is a hash probe, not a scan of every
     * name in scope (a 5,000-line model has thousands) */
    struct NameEnt *ents;
    int nents, capents;
    int *htab, hcap;           /* indices into ents, -1 empty; hcap a power of two */
    int *shadow, *entof;       /* per slot: the slot it hides (-1), its name entry */
    int capslot;
    int depth;                 /* block depth: 0 = top level */
    /* per top-level statement being checked */
    int *reads, nreads, capreads;
    int *writes, nwrites, capwrites;
    int in_gen_decl;
    struct Facts *f;           /* of the top-level statement being checked */
    FunDef *cur_fn;            /* the function whose body is being checked, or NULL */
    int allow_void;            /* the expression checked is a statement of its own */
    int allow_str;             /* the expression checked is an argument of print/reject */
} Sema;

static void push_int(Arena *a, int **v, int *n, int *cap, int x);

/* What a top-level statement does, with where, for the phase checks' messages. */
typedef struct Facts {
    int has_tilde, has_rng;
    Span tilde_span, rng_span, gen_span, let_span;
    const char *rng_name, *gen_name, *let_name;
} Facts;

/* record an assignment of (or declaration with a value of) a top-level variable */
static void note_write(Sema *s, int slot, Span sp)
{
    push_int(s->a, &s->writes, &s->nwrites, &s->capwrites, slot);
    VarInfo *v = &s->vars[slot];
    if (v->kind == D_GEN && !s->f->gen_name) { s->f->gen_name = v->name; s->f->gen_span = sp; }
    if (v->kind == D_LET && !s->f->let_name) { s->f->let_name = v->name; s->f->let_span = sp; }
}

typedef struct NameEnt { const char *name; unsigned hash; int top; } NameEnt;

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;                 /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The entry of a name, created (with no visible slot) when absent and create is set. */
static int name_entry(Sema *s, const char *name, int create)
{
    unsigned h = name_hash(name);
    if (s->hcap) {
        for (unsigned i = h & (unsigned)(s->hcap - 1);; i = (i + 1) & (unsigned)(s->hcap - 1)) {
            int k = s->htab[i];
            if (k < 0) break;
            if (s->ents[k].hash == h && strcmp(s->ents[k].name, name) == 0) return k;
        }
    }
    if (!create) return -1;
    if (2 * (s->nents + 1) > s->hcap) {        /* keep the load under one half */
        int nc = s->hcap ? 2 * s->hcap : 64;
        free(s->htab);
        s->htab = malloc(sizeof(int) * (size_t)nc);
        memset(s->htab, 0xff, sizeof(int) * (size_t)nc);
        s->hcap = nc;
        for (int k = 0; k < s->nents; k++) {
            unsigned i = s->ents[k].hash & (unsigned)(nc - 1);
            while (s->htab[i] >= 0) i = (i + 1) & (unsigned)(nc - 1);
            s->htab[i] = k;
        }
    }
    if (s->nents == s->capents) {
        s->capents = s->capents ? 2 * s->capents : 64;
        s->ents = realloc(s->ents, sizeof(NameEnt) * (size_t)s->capents);
    }
    int k = s->nents++;
    s->ents[k] = (NameEnt){name, h, -1};
    unsigned i = h & (unsigned)(s->hcap - 1);
    while (s->htab[i] >= 0) i = (i + 1) & (unsigned)(s->hcap - 1);
    s->htab[i] = k;
    return k;
}

/* Leave a scope: the slots declared since mark stop being visible. */
static void scope_pop(Sema *s, int mark)
{
    while (s->nvis > mark) {
        int slot = s->visible[--s->nvis];
        s->ents[s->entof[slot]].top = s->shadow[slot];
    }
}

static const Ty TY_INT = {TB_INT, TK_SCALAR, 0};
static const Ty TY_REAL = {TB_REAL, TK_SCALAR, 0};
static const Ty TY_ERR = {TB_ERR, 0, 0};

const char *ty_name(Ty t, char *buf, size_t n)
{
    static const char *kinds[] = {"", "vector", "row_vector", "matrix"};
    const char *base = t.base == TB_INT ? "int" : t.base == TB_REAL ? "real" : t.base == TB_VOID ? "void" : "?";
    const char *inner = t.kind == TK_SCALAR ? base : kinds[t.kind];
    if (t.narr == 0) snprintf(buf, n, "%s", inner);
    else {
        char dims[32] = "";
        for (int i = 1; i < t.narr && i < 8; i++) strcat(dims, ",");
        snprintf(buf, n, "array[%s] %s", dims, inner);
    }
    return buf;
}

#define TYS(t) ty_name((t), (char[48]){0}, 48)

static int is_num(Ty t) { return t.base == TB_INT || t.base == TB_REAL; }
static int is_scalar(Ty t) { return is_num(t) && t.kind == TK_SCALAR && t.narr == 0; }
static int is_int_scalar(Ty t) { return t.base == TB_INT && t.kind == TK_SCALAR && t.narr == 0; }

static void push_int(Arena *a, int **v, int *n, int *cap, int x)
{
    for (int i = 0; i < *n; i++) if ((*v)[i] == x) return;
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        int *nv = arena_alloc(a, sizeof(int) * (size_t)nc);
        if (*n) memcpy(nv, *v, sizeof(int) * (size_t)*n);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
}

static int new_var(Sema *s, const char *name, Ty ty, DeclKind k, Stmt *decl, int loopvar)
{
    if (s->nvars == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        VarInfo *nv = arena_alloc(s->a, sizeof(VarInfo) * (size_t)s->cap);
        if (s->nvars) memcpy(nv, s->vars, sizeof(VarInfo) * (size_t)s->nvars);
        s->vars = nv;
    }
    int slot = s->nvars++;
    VarInfo *v = &s->vars[slot];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->ty = ty;
    v->kind = k;
    v->decl = decl;
    v->toplevel = s->depth == 0 && !loopvar;
    v->is_loopvar = loopvar;
    v->level = k == D_DATA ? LV_DATA : k == D_PARAM ? LV_PARAM : k == D_GEN ? LV_GEN : LV_CONST;
    if (s->nvis == s->capvis) {
        s->capvis = s->capvis ? 2 * s->capvis : 32;
        s->visible = realloc(s->visible, sizeof(int) * (size_t)s->capvis);
    }
    s->visible[s->nvis++] = slot;
    if (slot >= s->capslot) {
        s->capslot = s->capslot ? 2 * s->capslot : 64;
        s->shadow = realloc(s->shadow, sizeof(int) * (size_t)s->capslot);
        s->entof = realloc(s->entof, sizeof(int) * (size_t)s->capslot);
    }
    int ent = name_entry(s, name, 1);
    s->entof[slot] = ent;
    s->shadow[slot] = s->ents[ent].top;
    s->ents[ent].top = slot;
    return slot;
}

static int lookup(Sema *s, const char *name)
{
    int k = name_entry(s, name, 0);
    return k < 0 ? -1 : s->ents[k].top;
}

/* Best "did you mean" among visible names and the libraries. */
static const char *suggest(Sema *s, const char *name, int want_fn, int want_dist)
{
    const char *best = NULL;
    int bd = 3;
    size_t len = strlen(name);
    if (len <= 3) bd = 2;
    if (!want_fn && !want_dist)
        for (int i = 0; i < s->nvis; i++) {
            int dd = diag_edit_distance(name, s->vars[s->visible[i]].name);
            if (dd < bd) { bd = dd; best = s->vars[s->visible[i]].name; }
        }
    if (want_dist)
        for (int i = 0; dist_table[i]; i++) {
            int dd = diag_edit_distance(name, dist_table[i]->name);
            if (dd < bd) { bd = dd; best = dist_table[i]->name; }
        }
    for (int i = 0; i < s->prog->nfuns && (want_fn || want_dist); i++) {
        const char *fn = s->prog->funs[i]->name;
        size_t n = strlen(fn);
        if (want_dist && (n <= 5 || (strcmp(fn + n - 5, "_lpdf") && strcmp(fn + n - 5, "_lpmf")))) continue;
        const char *cand = want_dist ? arena_strndup(s->a, fn, n - 5) : fn;
        int dd = diag_edit_distance(name, cand);
        if (dd < bd) { bd = dd; best = cand; }
    }
    if (want_fn) {
        for (int i = 0; mathfn_table[i].name; i++) {
            int dd = diag_edit_distance(name, mathfn_table[i].name);
            if (dd < bd) { bd = dd; best = mathfn_table[i].name; }
        }
        for (int i = 0; builtin_name_at(i); i++) {
            int dd = diag_edit_distance(name, builtin_name_at(i));
            if (dd < bd) { bd = dd; best = builtin_name_at(i); }
        }
        /* density functions: normal_lpfd -> normal_lpdf */
        static const char *const sfx[] = {"_lpdf", "_lpmf", "_rng", "_cdf", "_lcdf", "_lccdf"};
        for (int i = 0; dist_table[i]; i++)
            for (int k = 0; k < 6; k++) {
                if ((k == 0 && dist_table[i]->discrete) || (k == 1 && !dist_table[i]->discrete)) continue;
                char buf[160];
                snprintf(buf, sizeof buf, "%s%s", dist_table[i]->name, sfx[k]);
                int dd = diag_edit_distance(name, buf);
                if (dd < bd) { bd = dd; best = arena_strndup(s->a, buf, strlen(buf)); }
            }
    }
    return best;
}

static void err(Sema *s, Span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(Sema *s, Span sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(s->d, DIAG_ERROR, sp, fmt, ap);
    va_end(ap);
}

static int line_of(Sema *s, int off)
{
    int line = 0, col;
    if (s->d->src) diag_line_col(s->d->src, s->d->srclen, off, &line, &col);
    return line;
}

/* A name that is not visible may still be declared: later at the top level, or in a
 * block that has ended.  Say which, rather than only "unknown". */
static int explain_invisible(Sema *s, const Expr *e)
{
    for (int i = s->stmt_index + 1; i < s->prog->nstmts; i++) {
        const Stmt *st = s->prog->stmts[i];
        if (st->kind == S_DECL && strcmp(st->name, e->name) == 0) {
            err(s, e->span, "'%s' is used before its declaration on line %d: declare it above this line",
                e->name, line_of(s, st->name_span.off));
            return 1;
        }
    }
    for (int i = s->nvars - 1; i >= 0; i--) {
        const VarInfo *v = &s->vars[i];
        if (strcmp(v->name, e->name) != 0) continue;
        if (v->decl)
            err(s, e->span, "'%s' is not in scope here: it was declared on line %d inside a block that has ended",
                e->name, line_of(s, v->decl->name_span.off));
        else
            err(s, e->span, "'%s' is not in scope here: it is the variable of a loop that has ended", e->name);
        return 1;
    }
    return 0;
}

static Ty check_expr(Sema *s, Expr *e);

static uint8_t maxlv(uint8_t a, uint8_t b) { return a > b ? a : b; }

/* ---- indexing: array dimensions first, then vector/matrix ones ---- */
static Ty index_type(Sema *s, Expr *e, Ty base)
{
    Ty t = base;
    int narr = t.narr, inner = t.kind == TK_MATRIX ? 2 : t.kind == TK_SCALAR ? 0 : 1;
    int kept_arr = 0, kept_inner_row = 0, kept_inner_col = 0;
    int pos = 0;
    for (int i = 0; i < e->nidx; i++) {
        Index *ix = &e->idx[i];
        int multi = ix->kind != IX_SINGLE;
        if (ix->a) {
            Ty ta = check_expr(s, ix->a);
            e->level = maxlv(e->level, ix->a->level);
            if (ix->kind == IX_SINGLE) {
                if (ta.base == TB_INT && ta.kind == TK_SCALAR && ta.narr == 1) multi = 1;
                else if (!is_int_scalar(ta) && ta.base != TB_ERR) {
                    err(s, ix->a->span, "index must be an int or an int array, found %s", TYS(ta));
                    return TY_ERR;
                }
            } else if (!is_int_scalar(ta) && ta.base != TB_ERR) {
                err(s, ix->a->span, "slice bound must be an int, found %s", TYS(ta));
                return TY_ERR;
            }
        }
        if (ix->b) {
            Ty tb = check_expr(s, ix->b);
            e->level = maxlv(e->level, ix->b->level);
            if (!is_int_scalar(tb) && tb.base != TB_ERR) {
                err(s, ix->b->span, "slice bound must be an int, found %s", TYS(tb));
                return TY_ERR;
            }
        }
        if (pos < narr) { if (multi) kept_arr++; }
        else if (pos < narr + inner) {
            int which = pos - narr;   /* 0: row (or vector element), 1: column */
            if (multi) { if (which == 0) kept_inner_row = 1; else kept_inner_col = 1; }
        } else {
            char b[48];
            err(s, e->span, "too many indices for %s: %d given, at most %d", ty_name(base, b, sizeof b),
                e->nidx, narr + inner);
            return TY_ERR;
        }
        pos++;
    }
    /* dimensions not indexed are kept whole */
    int rem_arr = narr - (pos < narr ? pos : narr);
    Ty r = {base.base, TK_SCALAR, (uint8_t)(kept_arr + rem_arr)};
    int used_inner = pos > narr ? pos - narr : 0;
    if (inner == 1) {
        if (used_inner == 0 || kept_inner_row) r.kind = t.kind;
    } else if (inner == 2) {
        int row_kept = used_inner < 1 || kept_inner_row;
        int col_kept = used_inner < 2 || kept_inner_col;
        if (row_kept && col_kept) r.kind = TK_MATRIX;
        else if (row_kept) r.kind = TK_VECTOR;
        else if (col_kept) r.kind = TK_ROWVEC;
    }
    return r;
}

/* The warning quotes the operands so the fix can be copied. */
static void int_division_warning(Sema *s, const Expr *e)
{
    const char *src = s->d->src;
    /* only operands that need no parentheses: a parenthesised sum's span excludes them */
    int atomic = e->nargs == 2;
    for (int i = 0; i < e->nargs && atomic; i++) {
        ExprKind k = e->args[i]->kind;
        atomic = (k == E_VAR || k == E_INT || k == E_INDEX || k == E_CALL) && e->args[i]->span.len <= 40;
    }
    if (src && atomic) {
        Span x = e->args[0]->span, y = e->args[1]->span;
        diag_add(s->d, DIAG_WARNING, e->span, "integer division truncates toward zero; "
                 "for real division write 1.0 * %.*s / %.*s", x.len, src + x.off, y.len, src + y.off);
    } else
        diag_add(s->d, DIAG_WARNING, e->span, "integer division truncates toward zero; "
                 "for real division multiply the numerator by 1.0");
}

static Ty arith_type(Sema *s, Expr *e, Ty a, Ty b)
{
    if (a.base == TB_ERR || b.base == TB_ERR) return TY_ERR;
    if (!is_num(a) || !is_num(b)) goto bad;
    Op op = e->op;
    int as = is_scalar(a), bs = is_scalar(b);
    if (as && bs) {
        if (op == OP_POW) return TY_REAL;
        if (op == OP_MOD) {
            if (a.base != TB_INT || b.base != TB_INT) { char b1[48], b2[48];
                err(s, e->span, "'%%' needs two ints, found %s and %s", ty_name(a, b1, sizeof b1), ty_name(b, b2, sizeof b2));
                return TY_ERR;
            }
            return TY_INT;
        }
        if (a.base == TB_INT && b.base == TB_INT) {
            if (op == OP_DIV) int_division_warning(s, e);
            return TY_INT;
        }
        return TY_REAL;
    }
    Ty r;
    switch (op) {
    case OP_ADD: case OP_SUB: case OP_EMUL: case OP_EDIV:
        if (as) { r = b; r.base = TB_REAL; return r; }
        if (bs) { r = a; r.base = TB_REAL; return r; }
        if (a.kind == b.kind && a.narr == 0 && b.narr == 0) { r = a; r.base = TB_REAL; return r; }
        goto bad;
    case OP_MUL:
        if (as) { r = b; r.base = TB_REAL; return r; }
        if (bs) { r = a; r.base = TB_REAL; return r; }
        if (a.narr || b.narr) goto bad;
        if (a.kind == TK_MATRIX && b.kind == TK_VECTOR) return (Ty){TB_REAL, TK_VECTOR, 0};
        if (a.kind == TK_MATRIX && b.kind == TK_MATRIX) return (Ty){TB_REAL, TK_MATRIX, 0};
        if (a.kind == TK_ROWVEC && b.kind == TK_MATRIX) return (Ty){TB_REAL, TK_ROWVEC, 0};
        if (a.kind == TK_ROWVEC && b.kind == TK_VECTOR) return TY_REAL;
        if (a.kind == TK_VECTOR && b.kind == TK_ROWVEC) return (Ty){TB_REAL, TK_MATRIX, 0};
        goto bad;
    case OP_DIV:
        if (bs && a.narr == 0) { r = a; r.base = TB_REAL; return r; }
        goto bad;
    case OP_POW:
        if (as || bs) { r = as ? b : a; r.base = TB_REAL; return r; }
        goto bad;
    case OP_LDIV:
        if (a.kind == TK_MATRIX && a.narr == 0 && b.narr == 0 && (b.kind == TK_VECTOR || b.kind == TK_MATRIX)) return (Ty){TB_REAL, b.kind, 0};
        goto bad;
    default: goto bad;
    }
bad:;
    static const char *opname[] = {"+", "-", "*", "/", "%", "^", ".*", "./", "\\"};
    char b1[48], b2[48];
    err(s, e->span, "operator %s cannot combine %s and %s", e->op <= OP_LDIV ? opname[e->op] : "?",
        ty_name(a, b1, sizeof b1), ty_name(b, b2, sizeof b2));
    return TY_ERR;
}

static const char *const dist_suffix[] = {"_lpdf", "_lpmf", "_lupdf", "_lupmf", "_cdf", "_lcdf", "_lccdf", "_rng", NULL};
static const FnKind dist_kind[] = {FN_DIST_LPDF, FN_DIST_LPDF, FN_DIST_LPDF, FN_DIST_LPDF, FN_DIST_CDF,
                                   FN_DIST_LCDF, FN_DIST_LCCDF, FN_DIST_RNG};

/* Argument of a distribution against its signature letter (dist.h). */
static int dist_arg_ok(char c, Ty t)
{
    if (!is_num(t)) return 0;
    int one_d = (t.narr == 0 && t.kind != TK_MATRIX) || (t.narr == 1 && t.kind == TK_SCALAR);
    switch (c) {
    case 'R': return one_d;
    case 'I': return t.base == TB_INT && t.kind == TK_SCALAR && t.narr <= 1;
    case 'V': case 'S': return (t.narr == 0 && (t.kind == TK_VECTOR || t.kind == TK_ROWVEC)) ||
                                (t.narr == 1 && (t.kind == TK_VECTOR || t.kind == TK_ROWVEC)) ||
                                (t.narr == 1 && t.kind == TK_SCALAR);
    case 'M': case 'L': case 'C': return t.kind == TK_MATRIX && t.narr <= 1;
    case 'K': return t.base == TB_INT && t.kind == TK_SCALAR && t.narr == 1;
    }
    return 0;
}

static const char *dist_arg_desc(char c)
{
    switch (c) {
    case 'R': return "a real or a 1-d container of reals";
    case 'I': return "an int or an int array";
    case 'V': return "a vector (or an array of vectors)";
    case 'S': return "a simplex vector";
    case 'M': case 'C': return "a matrix";
    case 'L': return "a Cholesky factor (matrix)";
    case 'K': return "an int array";
    }
    return "?";
}

static Ty check_dist_args(Sema *s, const Dist *dist, Expr **args, int nargs, int with_variate,
                          const char *fname, Span sp)
{
    int want = dist->nargs - (with_variate ? 0 : 1);
    if (nargs != want) {
        err(s, sp, "%s takes %d argument%s, %d given", fname, want, want == 1 ? "" : "s", nargs);
        return TY_ERR;
    }
    for (int i = 0; i < nargs; i++) {
        int k = with_variate ? i : i + 1;
        Ty t = args[i]->ty;
        if (t.base == TB_ERR) return TY_ERR;
        char c = dist->sig[k];
        if (k == 0 && dist->discrete && c == 'R') c = 'I';
        if (!dist_arg_ok(c, t)) {
            char b[48];
            /* named, not numbered: `y ~ normal(m, s)` and normal_lpdf(y | m, s) count differently */
            if (dist->argnames[k])
                err(s, args[i]->span, "%s: the %s must be %s, found %s", fname, dist->argnames[k],
                    dist_arg_desc(c), ty_name(t, b, sizeof b));
            else
                err(s, args[i]->span, "%s: argument %d must be %s, found %s", fname, i + 1, dist_arg_desc(c),
                    ty_name(t, b, sizeof b));
            return TY_ERR;
        }
    }
    return TY_REAL;
}

/* An rng whose arguments are not the density's parameters (Dist.rng_sig). */
static Ty check_rng_args(Sema *s, const Dist *dist, Expr **args, int nargs, const char *fname, Span sp)
{
    int want = (int)strlen(dist->rng_sig);
    if (nargs != want) {
        err(s, sp, "%s takes %d argument%s, %d given", fname, want, want == 1 ? "" : "s", nargs);
        return TY_ERR;
    }
    for (int i = 0; i < nargs; i++) {
        char c = dist->rng_sig[i];
        if (!dist_arg_ok(c == 'I' ? 'I' : c, args[i]->ty) || (c == 'I' && !is_int_scalar(args[i]->ty))) {
            char b[48];
            err(s, args[i]->span, "%s: argument %d must be %s, found %s", fname, i + 1,
                c == 'I' ? "an int" : dist_arg_desc(c), ty_name(args[i]->ty, b, sizeof b));
            return TY_ERR;
        }
    }
    return TY_REAL;
}

static Ty check_user_call(Sema *s, Expr *e, FunDef *f);
static FunDef *find_fun(Sema *s, const char *name);
static Ty check_print(Sema *s, Expr *e);
static void note_rng(Sema *s, const char *name, Span sp);

static Ty check_call(Sema *s, Expr *e)
{
    if (!strcmp(e->name, "print") || !strcmp(e->name, "reject") || !strcmp(e->name, "fatal_error"))
        return check_print(s, e);
    for (int i = 0; i < e->nargs; i++) {
        check_expr(s, e->args[i]);
        e->level = maxlv(e->level, e->args[i]->level);
    }
    FunDef *uf = find_fun(s, e->name);
    if (uf) return check_user_call(s, e, uf);
    for (int i = 0; i < e->nargs; i++) if (e->args[i]->ty.base == TB_ERR) return TY_ERR;
    const char *name = e->name;
    size_t len = strlen(name);
    for (int k = 0; dist_suffix[k]; k++) {
        size_t sl = strlen(dist_suffix[k]);
        if (len > sl && strcmp(name + len - sl, dist_suffix[k]) == 0) {
            char base[128];
            snprintf(base, sizeof base, "%.*s", (int)(len - sl), name);
            const Dist *d = dist_find(base);
            if (!d) continue;
            e->fn = d;
            e->fkind = dist_kind[k];
            int is_pmf = strstr(dist_suffix[k], "pmf") != NULL, is_pdf = strstr(dist_suffix[k], "pdf") != NULL;
            if ((is_pmf && !d->discrete) || (is_pdf && d->discrete)) {
                err(s, e->name_span, "%s is %s: write %s_%s", base, d->discrete ? "discrete" : "continuous",
                    base, d->discrete ? "lpmf" : "lpdf");
                return TY_ERR;
            }
            if (e->fkind == FN_DIST_RNG) {
                if (e->bar) { err(s, e->span, "%s takes no '|'", name); return TY_ERR; }
                if (!d->rng) { err(s, e->name_span, "%s has no random number generator", base); return TY_ERR; }
                note_rng(s, e->name, e->name_span);
                e->level = LV_GEN;
                Ty r = d->rng_sig ? check_rng_args(s, d, e->args, e->nargs, name, e->span)
                                  : check_dist_args(s, d, e->args, e->nargs, 0, name, e->span);
                if (r.base == TB_ERR) return r;
                /* vectorised rng returns an array when any parameter is a container */
                char c = d->sig[0];
                if (c == 'V' || c == 'S') return (Ty){TB_REAL, TK_VECTOR, 0};
                if (c == 'M' || c == 'L' || c == 'C') return (Ty){TB_REAL, TK_MATRIX, 0};
                if (c == 'K') return (Ty){TB_INT, TK_SCALAR, 1};
                /* a vectorised draw takes the shape of its first container argument
                 * (a vector of means gives a vector), as `gen vector[J] y_rep =
                 * normal_rng(theta, sigma)` expects; ints come as an int array */
                for (int i = 0; i < e->nargs; i++) {
                    Ty t = e->args[i]->ty;
                    if (is_scalar(t)) continue;
                    /* a vector or matrix parameter (categorical's theta) is one
                     * value, not a vectorisation: only an array of them is */
                    char pc = d->rng_sig ? d->rng_sig[i] : d->sig[i + 1];
                    if ((pc == 'V' || pc == 'S') && (t.narr == 0 || t.kind == TK_SCALAR)) continue;
                    if ((pc == 'M' || pc == 'L' || pc == 'C') && t.narr == 0) continue;
                    if (pc != 'R' && pc != 'I' && t.narr) return (Ty){(uint8_t)(d->discrete ? TB_INT : TB_REAL), TK_SCALAR, 1};
                    if (d->discrete || t.narr) return (Ty){(uint8_t)(d->discrete ? TB_INT : TB_REAL), TK_SCALAR, 1};
                    return (Ty){TB_REAL, t.kind, 0};
                }
                return (Ty){(uint8_t)(d->discrete ? TB_INT : TB_REAL), TK_SCALAR, 0};
            }
            if (e->fkind != FN_DIST_LPDF && !d->cdf) {
                err(s, e->name_span, "%s has no %s", base, dist_suffix[k] + 1);
                return TY_ERR;
            }
            if (!e->bar && e->nargs > 1) {
                err(s, e->span, "%s needs '|' after its first argument: %s(y | ...)", name, name);
                return TY_ERR;
            }
            return check_dist_args(s, d, e->args, e->nargs, 1, name, e->span);
        }
    }
    if (e->bar && (mathfn_find(name) || builtin_find(name))) {
        err(s, e->name_span, "'|' is only for density functions (NAME_lpdf, _lpmf, _cdf, _lcdf, _lccdf); '%s' is not one", name);
        return TY_ERR;
    }
    const MathFn *mf = mathfn_find_arity(name, e->nargs);
    if (mf) {
        e->fn = mf;
        e->fkind = FN_MATH;
        int all_int = 1;
        Ty shape = TY_REAL;
        int nshape = 0;
        for (int i = 0; i < e->nargs; i++) {
            Ty t = e->args[i]->ty;
            if (!is_num(t)) { err(s, e->args[i]->span, "%s: argument %d must be numeric", name, i + 1); return TY_ERR; }
            if (t.base != TB_INT) all_int = 0;
            if (!is_scalar(t)) {
                if (nshape && !(shape.kind == t.kind && shape.narr == t.narr)) {
                    char b1[48], b2[48];
                    err(s, e->span, "%s: container arguments must have the same type, found %s and %s", name,
                        ty_name(shape, b1, sizeof b1), ty_name(t, b2, sizeof b2));
                    return TY_ERR;
                }
                shape = t;
                nshape++;
            }
        }
        shape.base = (mf->int_valued == 2 || (mf->int_valued && all_int)) ? TB_INT : TB_REAL;
        return shape;
    }
    const Builtin *b = builtin_find(name);
    if (b) {
        Ty tys[16], r;
        int n = e->nargs < 16 ? e->nargs : 16;
        for (int i = 0; i < n; i++) tys[i] = e->args[i]->ty;
        if (!sig_match(builtin_sig(b), tys, n, &r)) {
            Buf buf = {0};
            buf_putn(&buf, "", 0);
            for (int i = 0; i < n; i++) buf_printf(&buf, "%s%s", i ? ", " : "", TYS(tys[i]));
            buf_printf(&buf, "); it takes ");
            sig_render(builtin_sig(b), &buf, 4);
            err(s, e->span, "no signature of %s takes (%s", name, buf.s);
            free(buf.s);
            return TY_ERR;
        }
        e->fn = b;
        e->fkind = FN_BUILTIN;
        return r;
    }
    if (mathfn_find(name)) {
        const MathFn *any = mathfn_find(name);
        err(s, e->span, "%s takes %d argument%s, %d given", name, any->arity, any->arity == 1 ? "" : "s", e->nargs);
        return TY_ERR;
    }
    const Dist *d = dist_find(name);
    if (d) {
        err(s, e->name_span, "'%s' is a distribution: call %s_%s(y | ...) or %s_rng(...)", name, name,
            d->discrete ? "lpmf" : "lpdf", name);
        return TY_ERR;
    }
    const char *sug = suggest(s, name, 1, 0);
    if (sug) err(s, e->name_span, "unknown function '%s' (did you mean '%s'?)", name, sug);
    else err(s, e->name_span, "unknown function '%s'", name);
    return TY_ERR;
}

static Ty literal_type(Sema *s, Expr *e)
{
    if (e->nargs == 0) { err(s, e->span, "empty container literal"); return TY_ERR; }
    Ty first = TY_ERR;
    int any_real = 0;
    for (int i = 0; i < e->nargs; i++) {
        Ty t = check_expr(s, e->args[i]);
        e->level = maxlv(e->level, e->args[i]->level);
        if (t.base == TB_ERR) return TY_ERR;
        if (t.base == TB_REAL) any_real = 1;
        Ty u = t, f = first;
        u.base = f.base = TB_REAL;
        if (i == 0) first = t;
        else if (!ty_eq(u, f)) {
            char b1[48], b2[48];
            err(s, e->args[i]->span, "container literal mixes %s and %s", ty_name(first, b1, sizeof b1),
                ty_name(t, b2, sizeof b2));
            return TY_ERR;
        }
    }
    if (e->kind == E_ARRAY) {
        Ty r = first;
        if (r.narr >= 7) { err(s, e->span, "too many array dimensions"); return TY_ERR; }
        r.narr++;
        if (any_real) r.base = TB_REAL;
        return r;
    }
    if (is_scalar(first)) return (Ty){TB_REAL, TK_ROWVEC, 0};
    if (first.kind == TK_ROWVEC && first.narr == 0) return (Ty){TB_REAL, TK_MATRIX, 0};
    err(s, e->span, "[...] takes scalars (a row_vector) or row_vectors (a matrix)");
    return TY_ERR;
}

static Ty check_expr_inner(Sema *s, Expr *e)
{
    switch (e->kind) {
    case E_INT: return TY_INT;
    case E_REAL: return TY_REAL;
    case E_VAR: {
        int slot = lookup(s, e->name);
        if (slot < 0) {
            if (s->cur_fn) {
                err(s, e->span, "unknown variable '%s': a function sees only its arguments and its own local "
                    "variables", e->name);
                return TY_ERR;
            }
            if (explain_invisible(s, e)) return TY_ERR;
            const char *sug = suggest(s, e->name, 0, 0);
            if (sug) err(s, e->span, "unknown variable '%s' (did you mean '%s'?)", e->name, sug);
            else if (mathfn_find(e->name) || builtin_find(e->name))
                err(s, e->span, "'%s' is a function: call it with ()", e->name);
            else err(s, e->span, "unknown variable '%s'", e->name);
            return TY_ERR;
        }
        e->slot = slot;
        VarInfo *v = &s->vars[slot];
        v->used = 1;
        e->level = (uint8_t)v->level;
        if (v->toplevel) push_int(s->a, &s->reads, &s->nreads, &s->capreads, slot);
        return v->ty;
    }
    case E_CALL: return check_call(s, e);
    case E_BINOP: {
        Ty a = check_expr(s, e->args[0]), b = check_expr(s, e->args[1]);
        e->level = maxlv(e->args[0]->level, e->args[1]->level);
        if (a.base == TB_ERR || b.base == TB_ERR) return TY_ERR;
        if (e->op >= OP_LT && e->op <= OP_OR) {
            if (!is_scalar(a) || !is_scalar(b)) {
                char b1[48], b2[48];
                err(s, e->span, "comparisons and logical operators take scalars, found %s and %s",
                    ty_name(a, b1, sizeof b1), ty_name(b, b2, sizeof b2));
                return TY_ERR;
            }
            return TY_INT;
        }
        return arith_type(s, e, a, b);
    }
    case E_UNOP: {
        Ty a = check_expr(s, e->args[0]);
        e->level = e->args[0]->level;
        if (a.base == TB_ERR) return TY_ERR;
        if (!is_num(a)) { err(s, e->span, "operand must be numeric"); return TY_ERR; }
        if (e->op == OP_NOT) {
            if (!is_scalar(a)) { err(s, e->span, "'!' takes a scalar"); return TY_ERR; }
            return TY_INT;
        }
        return a;
    }
    case E_COND: {
        Ty c = check_expr(s, e->args[0]), a = check_expr(s, e->args[1]), b = check_expr(s, e->args[2]);
        e->level = maxlv(e->args[0]->level, maxlv(e->args[1]->level, e->args[2]->level));
        if (c.base == TB_ERR || a.base == TB_ERR || b.base == TB_ERR) return TY_ERR;
        if (!is_int_scalar(c)) { err(s, e->args[0]->span, "condition must be an int, found %s", TYS(c)); return TY_ERR; }
        Ty ua = a, ub = b;
        ua.base = ub.base = TB_REAL;
        if (!ty_eq(ua, ub)) {
            char b1[48], b2[48];
            err(s, e->span, "the branches of ?: have different types, %s and %s", ty_name(a, b1, sizeof b1),
                ty_name(b, b2, sizeof b2));
            return TY_ERR;
        }
        if (a.base == TB_REAL || b.base == TB_REAL) ua.base = TB_REAL; else ua.base = TB_INT;
        return ua;
    }
    case E_INDEX: {
        Ty b = check_expr(s, e->args[0]);
        e->level = e->args[0]->level;
        if (b.base == TB_ERR) return TY_ERR;
        return index_type(s, e, b);
    }
    case E_TRANSPOSE: {
        Ty a = check_expr(s, e->args[0]);
        e->level = e->args[0]->level;
        if (a.base == TB_ERR) return TY_ERR;
        if (a.narr || a.kind == TK_SCALAR) { err(s, e->span, "transpose (') takes a vector, row_vector or matrix, found %s", TYS(a)); return TY_ERR; }
        Ty r = a;
        r.base = TB_REAL;
        if (a.kind == TK_VECTOR) r.kind = TK_ROWVEC; else if (a.kind == TK_ROWVEC) r.kind = TK_VECTOR;
        return r;
    }
    case E_ROWVEC: case E_ARRAY: return literal_type(s, e);
    case E_STR: return TY_ERR;        /* check_expr */
    }
    return TY_ERR;
}

static Ty check_expr(Sema *s, Expr *e)
{
    int allow_void = s->allow_void, allow_str = s->allow_str;
    s->allow_void = s->allow_str = 0;   /* only the outermost expression may be void or a string */
    if (e->kind == E_STR) {
        if (allow_str) return e->ty = (Ty){TB_VOID, TK_SCALAR, 0};
        err(s, e->span, "a string can only be an argument of print, reject or fatal_error");
        return e->ty = TY_ERR;
    }
    e->ty = check_expr_inner(s, e);
    if (e->ty.base == TB_VOID && e->kind == E_CALL && !allow_void) {
        err(s, e->span, "'%s' returns nothing (void): call it as a statement of its own", e->name);
        e->ty = TY_ERR;
    }
    return e->ty;
}

static Ty spec_type(const TypeSpec *ts)
{
    Ty t = {TB_REAL, TK_SCALAR, (uint8_t)ts->narr};
    switch (ts->name) {
    case TS_INT: t.base = TB_INT; break;
    case TS_REAL: break;
    default: t.kind = (uint8_t)vm_type_kind(ts->name); break;
    }
    return t;
}

/* may a value of type `from` be stored in `to`? (int promotes to real) */
static int assignable(Ty to, Ty from)
{
    if (from.base == TB_ERR || to.base == TB_ERR) return 1;
    if (to.kind != from.kind || to.narr != from.narr) return 0;
    return to.base == from.base || (to.base == TB_REAL && from.base == TB_INT);
}

static void check_stmt(Sema *s, Stmt *st);

static void check_typespec(Sema *s, TypeSpec *ts, DeclKind k)
{
    Expr *sizes[2] = {ts->size[0], ts->size[1]};
    for (int i = 0; i < 2; i++)
        if (sizes[i]) {
            Ty t = check_expr(s, sizes[i]);
            if (t.base != TB_ERR && !is_int_scalar(t)) err(s, sizes[i]->span, "a size must be an int, found %s", TYS(t));
            else if (sizes[i]->level >= LV_PARAM && k != D_LOCAL)
                err(s, sizes[i]->span, "a size must not depend on parameters");
        }
    for (int i = 0; i < ts->narr; i++) {
        Ty t = check_expr(s, ts->arr[i]);
        if (t.base != TB_ERR && !is_int_scalar(t)) err(s, ts->arr[i]->span, "an array size must be an int, found %s", TYS(t));
        else if (ts->arr[i]->level >= LV_PARAM && k != D_LOCAL)
            err(s, ts->arr[i]->span, "an array size must not depend on parameters");
    }
    Expr *b[4] = {ts->lower, ts->upper, ts->offset, ts->multiplier};
    static const char *const what[4] = {"a bound", "a bound", "an offset", "a multiplier"};
    for (int i = 0; i < 4; i++)
        if (b[i]) {
            Ty t = check_expr(s, b[i]);
            if (t.base == TB_ERR) continue;
            if (!is_num(t)) err(s, b[i]->span, "%s must be numeric", what[i]);
            else if (!is_scalar(t)) {
                Ty vt = spec_type(ts);
                vt.base = TB_REAL;
                t.base = TB_REAL;
                Ty elem = vt;
                elem.narr = 0;
                if (!ty_eq(t, vt) && !ty_eq(t, elem))
                    err(s, b[i]->span, "%s must be a scalar or have the declared type, found %s", what[i], TYS(t));
            }
            if (k == D_DATA && b[i]->level >= LV_PARAM)
                err(s, b[i]->span, "%s of data must not depend on parameters", what[i]);
        }
    if (ts->name == TS_INT && k == D_PARAM && (!ts->lower || !ts->upper))
        err(s, ts->span, "a discrete param int needs both bounds: int<lower=L, upper=U>");
}

static void check_decl(Sema *s, Stmt *st)
{
    if (st->decl != D_LOCAL && s->depth > 0) {
        err(s, st->span, "'%s' declarations are only allowed at the top level", (const char *[]){"data", "param", "let", "gen"}[st->decl]);
    }
    if (st->decl == D_LOCAL && s->depth == 0) {
        err(s, st->span, "a top-level declaration needs data, param, let or gen in front of its type");
    }
    if (st->decl == D_PARAM && st->init) err(s, st->init->span, "a param cannot have a value: it is inferred");
    Ty ty = TY_ERR;
    if (st->type) {
        check_typespec(s, st->type, st->decl);
        ty = spec_type(st->type);
        if ((st->decl == D_DATA || st->decl == D_LOCAL) && st->type->name >= TS_SIMPLEX && st->decl == D_LOCAL)
            err(s, st->type->span, "local variables cannot have a constrained type");
    }
    if (st->init) {
        Ty it = check_expr(s, st->init);
        if (!st->type) ty = it;
        else if (!assignable(ty, it)) {
            char b1[48], b2[48];
            err(s, st->init->span, "cannot initialise %s '%s' with a value of type %s", ty_name(ty, b1, sizeof b1),
                st->name, ty_name(it, b2, sizeof b2));
        }
    } else if (!st->type) {
        err(s, st->name_span, "'%s' needs a type or a value", st->name);
    }
    int prev = lookup(s, st->name);
    if (prev >= 0 && (s->vars[prev].toplevel || s->depth > 0)) {
        const Stmt *first = s->vars[prev].decl;
        if (first)
            err(s, st->name_span, "'%s' is already declared on line %d", st->name, line_of(s, first->name_span.off));
        else if (s->vars[prev].is_fnarg)
            err(s, st->name_span, "'%s' is already an argument of the function", st->name);
        else
            err(s, st->name_span, "'%s' is already declared as a loop variable", st->name);
    }
    st->slot = new_var(s, st->name, ty, st->decl, st, 0);
    if (st->decl == D_LOCAL) s->vars[st->slot].level = st->init ? st->init->level : LV_CONST;
    if (st->decl == D_LET || st->decl == D_GEN) note_write(s, st->slot, st->name_span);
}

static VarInfo *lhs_var(Sema *s, Expr *e)
{
    Expr *b = e;
    while (b->kind == E_INDEX) b = b->args[0];
    if (b->kind != E_VAR) { err(s, e->span, "the left of '=' must be a variable, optionally indexed"); return NULL; }
    if (b->slot < 0) return NULL;
    return &s->vars[b->slot];
}

static int user_tilde(Sema *s, Stmt *st);
static void truncate(Sema *s, Stmt *st, const Dist *d, Ty lt);
static void check_return(Sema *s, Stmt *st);

static void check_stmt(Sema *s, Stmt *st)
{
    switch (st->kind) {
    case S_DECL: check_decl(s, st); break;
    case S_TILDE: {
        Ty lt = check_expr(s, st->lhs);
        for (int i = 0; i < st->nargs; i++) check_expr(s, st->args[i]);
        if (!s->f->has_tilde) s->f->tilde_span = span_join(st->lhs->span, st->dist_span);
        s->f->has_tilde = 1;
        if (s->cur_fn && s->cur_fn->suffix != FK_LP) {
            err(s, span_join(st->lhs->span, st->dist_span), "'~' in function '%s': only a function whose name "
                "ends in _lp may add to the density", s->cur_fn->name);
            break;
        }
        const Dist *d = dist_find(st->dist);
        if (!d && st->trunc) {
            char buf[200];
            snprintf(buf, sizeof buf, "%s_lpdf", st->dist);
            FunDef *uf = find_fun(s, buf);
            if (!uf) { snprintf(buf, sizeof buf, "%s_lpmf", st->dist); uf = find_fun(s, buf); }
            if (uf) {
                err(s, st->trunc_span, "T[...] after a user-defined distribution is not supported: add "
                    "target += %s(...) and subtract the log of the truncated mass yourself", buf);
                break;
            }
        }
        if (!d && user_tilde(s, st)) break;
        if (!d) {
            /* `y ~ normal_lpdf(...)`: the suffix belongs to the function, not to '~' */
            for (int k = 0; dist_suffix[k]; k++) {
                size_t n = strlen(st->dist), sl = strlen(dist_suffix[k]);
                char base[128];
                if (n <= sl || n - sl >= sizeof base || strcmp(st->dist + n - sl, dist_suffix[k]) != 0) continue;
                snprintf(base, sizeof base, "%.*s", (int)(n - sl), st->dist);
                if (dist_find(base)) {
                    err(s, st->dist_span, "after '~' write the distribution's name, '%s', not '%s'", base, st->dist);
                    return;
                }
            }
            const char *sug = suggest(s, st->dist, 0, 1);
            if (sug) err(s, st->dist_span, "unknown distribution '%s' (did you mean '%s'?)", st->dist, sug);
            else err(s, st->dist_span, "unknown distribution '%s'", st->dist);
            break;
        }
        st->fn = d;
        if (lt.base == TB_ERR) break;
        for (int i = 0; i < st->nargs; i++) if (st->args[i]->ty.base == TB_ERR) return;
        if (st->nargs != d->nargs - 1) {
            /* underline `normal(0)`: from the name to the ')' before the ';' */
            int end = st->span.off + st->span.len - 1;
            while (s->d->src && end > st->dist_span.off && s->d->src[end] != ')') end--;
            err(s, span_join(st->dist_span, (Span){end, 1}),
                "%s takes %d argument%s, %d given", st->dist, d->nargs - 1, d->nargs == 2 ? "" : "s", st->nargs);
            break;
        }
        Expr *all[DIST_MAX_ARGS + 1];
        all[0] = st->lhs;
        for (int i = 0; i < st->nargs; i++) all[i + 1] = st->args[i];
        if (d->discrete && lt.base == TB_REAL) {
            err(s, st->lhs->span, "%s is a distribution over integers, but the left of '~' is %s; declare it as int or an int array",
                st->dist, TYS(lt));
            break;
        }
        check_dist_args(s, d, all, st->nargs + 1, 1, st->dist, st->span);
        if (st->trunc) truncate(s, st, d, lt);
        break;
    }
    case S_TARGET: {
        if (s->cur_fn && s->cur_fn->suffix != FK_LP) {
            err(s, (Span){st->span.off, 9}, "'target +=' in function '%s': only a function whose name ends in _lp "
                "may add to the density", s->cur_fn->name);
            break;
        }
        Ty t = check_expr(s, st->rhs);
        if (!s->f->has_tilde) s->f->tilde_span = (Span){st->span.off, 9};   /* "target +=" */
        s->f->has_tilde = 1;
        if (t.base != TB_ERR && !is_num(t)) err(s, st->rhs->span, "target += needs a number or a container of numbers");
        break;
    }
    case S_ASSIGN: {
        Ty lt = check_expr(s, st->lhs);
        Ty rt = check_expr(s, st->rhs);
        VarInfo *v = lhs_var(s, st->lhs);
        if (!v) break;
        if (v->kind == D_DATA) { err(s, st->lhs->span, "cannot assign to data '%s'", v->name); break; }
        if (v->kind == D_PARAM) { err(s, st->lhs->span, "cannot assign to param '%s': it is inferred (use let for a derived value)", v->name); break; }
        if (v->is_loopvar) { err(s, st->lhs->span, "cannot assign to loop variable '%s'", v->name); break; }
        if (v->is_fnarg) { err(s, st->lhs->span, "cannot assign to argument '%s': function arguments are read-only "
                               "(copy it into a local variable)", v->name); break; }
        if (v->toplevel) note_write(s, (int)(v - s->vars), st->lhs->span);
        if (v->kind == D_LOCAL) {
            int lv = st->rhs->level > st->lhs->level ? st->rhs->level : st->lhs->level;
            if (lv > v->level) v->level = lv;
        }
        if (lt.base == TB_ERR || rt.base == TB_ERR) break;
        if (st->aop != (Op)-1) {
            Expr tmp = {.kind = E_BINOP, .op = st->aop, .span = st->span};
            Ty r = arith_type(s, &tmp, lt, rt);
            if (r.base != TB_ERR && !assignable(lt, r)) {
                char b1[48], b2[48];
                err(s, st->span, "compound assignment changes the type from %s to %s", ty_name(lt, b1, sizeof b1), ty_name(r, b2, sizeof b2));
            }
            break;
        }
        if (!assignable(lt, rt)) {
            char b1[48], b2[48];
            err(s, st->rhs->span, "cannot assign a value of type %s to '%s' of type %s", ty_name(rt, b1, sizeof b1),
                v->name, ty_name(lt, b2, sizeof b2));
        }
        break;
    }
    case S_FOR: {
        Ty a = check_expr(s, st->lo), b = check_expr(s, st->hi);
        if (a.base != TB_ERR && !is_int_scalar(a)) err(s, st->lo->span, "a loop bound must be an int, found %s", TYS(a));
        if (b.base != TB_ERR && !is_int_scalar(b)) err(s, st->hi->span, "a loop bound must be an int, found %s", TYS(b));
        int mark = s->nvis;
        s->depth++;
        int hidden = lookup(s, st->loopvar);
        if (hidden >= 0) {
            const Stmt *first = s->vars[hidden].decl;
            if (first)
                err(s, st->loopvar_span, "loop variable '%s' would hide '%s' declared on line %d: pick another name",
                    st->loopvar, st->loopvar, line_of(s, first->name_span.off));
            else
                err(s, st->loopvar_span, "loop variable '%s' is already the variable of an enclosing loop", st->loopvar);
        }
        st->slot = new_var(s, st->loopvar, TY_INT, D_LOCAL, NULL, 1);
        s->vars[st->slot].level = maxlv(st->lo->level, st->hi->level);
        check_stmt(s, st->body);
        s->depth--;
        scope_pop(s, mark);
        break;
    }
    case S_WHILE: case S_IF: {
        Ty c = check_expr(s, st->cond);
        if (c.base != TB_ERR && !is_int_scalar(c)) err(s, st->cond->span, "a condition must be an int (or a comparison), found %s", TYS(c));
        int mark = s->nvis;
        s->depth++;
        check_stmt(s, st->body);
        scope_pop(s, mark);
        if (st->els) { check_stmt(s, st->els); scope_pop(s, mark); }
        s->depth--;
        break;
    }
    case S_BLOCK: {
        int mark = s->nvis;
        s->depth++;
        for (int i = 0; i < st->nstmts; i++) check_stmt(s, st->stmts[i]);
        s->depth--;
        scope_pop(s, mark);
        break;
    }
    case S_EMPTY: break;
    case S_RETURN: check_return(s, st); break;
    case S_CALL: {
        Expr *e = st->rhs;
        if (e->kind != E_CALL) {
            err(s, e->span, "this expression is computed and dropped: a statement is an assignment, a '~', "
                "'target +=', or a call of a void function, print, reject or fatal_error");
            break;
        }
        s->allow_void = 1;
        Ty t = check_expr(s, e);
        if (t.base != TB_ERR && t.base != TB_VOID)
            err(s, e->span, "the value of '%s' is dropped: assign it, or add it with target +=", e->name);
        break;
    }
    }
}

/* Expressions at param level inside a statement (a loop bound or condition that
 * depends on parameters makes the whole statement parameter-dependent). */
static int stmt_max_level(Sema *s, const Stmt *st)
{
    int lv = LV_CONST;
    for (int i = 0; i < st->nreads; i++) if (s->vars[st->reads[i]].level > lv) lv = s->vars[st->reads[i]].level;
    return lv;
}

/* ---- user-defined functions ----
 * Signatures first (so that functions may call each other in any order, and
 * themselves), then each body in a scope of its own that sees only its arguments,
 * then the top-level statements, whose calls check against the signatures. */

static FunSuffix fun_suffix(const char *name)
{
    size_t n = strlen(name);
#define ENDS(x) (n > strlen(x) && strcmp(name + n - strlen(x), x) == 0)
    if (ENDS("_lpdf")) return FK_LPDF;
    if (ENDS("_lpmf")) return FK_LPMF;
    if (ENDS("_lp")) return FK_LP;
    if (ENDS("_rng")) return FK_RNG;
#undef ENDS
    return FK_PLAIN;
}

static FunDef *find_fun(Sema *s, const char *name)
{
    const Program *p = s->prog;
    for (int i = 0; i < p->nfuns; i++)
        if (strcmp(p->funs[i]->name, name) == 0) return p->funs[i];
    /* foo_lupdf(y | ...) is foo_lpdf: vmod keeps every constant anyway */
    size_t n = strlen(name);
    if (n > 6 && n < 200 && (strcmp(name + n - 6, "_lupdf") == 0 || strcmp(name + n - 6, "_lupmf") == 0)) {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s_lp%s", (int)(n - 6), name, name[n - 2] == 'd' ? "df" : "mf");
        return find_fun(s, buf);
    }
    return NULL;
}

static int is_library_name(const char *name)
{
    if (mathfn_find(name) || builtin_find(name) || dist_find(name)) return 1;
    if (!strcmp(name, "print") || !strcmp(name, "reject") || !strcmp(name, "fatal_error")) return 1;
    size_t len = strlen(name);
    for (int k = 0; dist_suffix[k]; k++) {
        size_t sl = strlen(dist_suffix[k]);
        if (len > sl && len - sl < 128 && strcmp(name + len - sl, dist_suffix[k]) == 0) {
            char base[128];
            snprintf(base, sizeof base, "%.*s", (int)(len - sl), name);
            if (dist_find(base)) return 1;
        }
    }
    return 0;
}

/* An argument or return type: Stan's unsized types, no bounds, no constraint. */
static Ty fun_type(Sema *s, const TypeSpec *ts, const char *what)
{
    Ty t = spec_type(ts);
    int sized = ts->size[0] != NULL;
    for (int i = 0; i < ts->narr; i++) if (ts->arr[i]) sized = 1;
    if (ts->name >= TS_SIMPLEX)
        err(s, ts->span, "%s cannot be a constrained type (%s): write %s", what, vm_typename[ts->name], TYS(t));
    else if (sized)
        err(s, ts->span, "%s has no sizes: write %s", what, TYS(t));
    else if (ts->lower || ts->upper)
        err(s, ts->span, "%s has no bounds: write %s", what, TYS(t));
    else return t;
    return TY_ERR;
}

static int same_sig(const FunDef *a, const FunDef *b)
{
    if (!ty_eq(a->rty, b->rty) || a->nparams != b->nparams) return 0;
    for (int i = 0; i < a->nparams; i++)
        if (!ty_eq(a->params[i].ty, b->params[i].ty) || a->params[i].data_only != b->params[i].data_only) return 0;
    return 1;
}

static void check_signatures(Sema *s)
{
    Program *p = s->prog;
    for (int i = 0; i < p->nfuns; i++) {
        FunDef *f = p->funs[i];
        f->suffix = fun_suffix(f->name);
        f->rty = f->ret ? fun_type(s, f->ret, "a return type") : (Ty){TB_VOID, TK_SCALAR, 0};
        for (int k = 0; k < f->nparams; k++) f->params[k].ty = fun_type(s, f->params[k].type, "an argument type");
        if (is_library_name(f->name)) {
            err(s, f->name_span, "'%s' is a library function: give yours another name", f->name);
            continue;
        }
        if ((f->suffix == FK_LPDF || f->suffix == FK_LPMF) && f->rty.base != TB_ERR) {
            int pmf = f->suffix == FK_LPMF;
            if (!ty_eq(f->rty, TY_REAL))
                err(s, f->ret ? f->ret->span : f->name_span, "'%s' is a log density: it must return real, not %s",
                    f->name, TYS(f->rty));
            else if (f->nparams == 0)
                err(s, f->name_span, "'%s' is a log density: its first argument is the variate", f->name);
            else if (f->params[0].ty.base != TB_ERR && f->params[0].ty.base != (pmf ? TB_INT : TB_REAL))
                err(s, f->params[0].type->span, "the variate of a %s function must be %s: %s", pmf ? "_lpmf" : "_lpdf",
                    pmf ? "int (or an int container)" : "real (or a real container)",
                    pmf ? "use _lpdf for a continuous variate" : "use _lpmf for an int variate");
        }
        FunDef *first = NULL;
        for (int j = 0; j < i && !first; j++) if (strcmp(p->funs[j]->name, f->name) == 0) first = p->funs[j];
        if (!first) { f->def = f->body ? f : NULL; continue; }
        if (!same_sig(first, f)) {
            err(s, f->name_span, "'%s' was declared on line %d with another signature (functions cannot be overloaded)",
                f->name, line_of(s, first->name_span.off));
            continue;
        }
        if (f->body && first->def) {
            err(s, f->name_span, "function '%s' is already defined on line %d", f->name, line_of(s, first->def->name_span.off));
            continue;
        }
        if (f->body) first->def = f;
    }
    for (int i = 0; i < p->nfuns; i++) {
        FunDef *f = p->funs[i], *first = f;
        for (int j = 0; j < i; j++) if (strcmp(p->funs[j]->name, f->name) == 0) { first = p->funs[j]; break; }
        if (first != f) { f->def = first->def; continue; }
        if (!f->def && !is_library_name(f->name))
            err(s, f->name_span, "function '%s' is declared but never defined", f->name);
    }
}

/* Does every path through st end in return (or reject / fatal_error)? */
static int returns(const Stmt *st)
{
    if (!st) return 0;
    switch (st->kind) {
    case S_RETURN: return 1;
    case S_CALL: return st->rhs->kind == E_CALL && (st->rhs->fkind == FN_REJECT || st->rhs->fkind == FN_FATAL);
    case S_IF: return st->els && returns(st->body) && returns(st->els);
    case S_BLOCK:
        for (int i = 0; i < st->nstmts; i++) if (returns(st->stmts[i])) return 1;
        return 0;
    default: return 0;
    }
}

static void check_fun_body(Sema *s, FunDef *f)
{
    Facts facts;
    memset(&facts, 0, sizeof facts);
    Facts *outer = s->f;
    s->f = &facts;
    int mark = s->nvis;
    s->depth++;
    s->cur_fn = f;
    f->slot_lo = s->nvars;
    for (int k = 0; k < f->nparams; k++) {
        FunParam *a = &f->params[k];
        int prev = lookup(s, a->name);
        if (prev >= f->slot_lo) err(s, a->name_span, "argument '%s' is named twice", a->name);
        a->slot = new_var(s, a->name, a->ty, D_LOCAL, NULL, 0);
        s->vars[a->slot].is_fnarg = 1;
        s->vars[a->slot].level = a->data_only ? LV_DATA : LV_PARAM;
    }
    check_stmt(s, f->body);
    f->slot_hi = s->nvars;
    scope_pop(s, mark);
    s->depth--;
    s->cur_fn = NULL;
    s->f = outer;
    if (f->rty.base != TB_VOID && f->rty.base != TB_ERR && !returns(f->body))
        err(s, f->name_span, "function '%s' can reach its end without returning a value: every path must end "
            "in return", f->name);
}

static void check_functions(Sema *s)
{
    if (!s->prog->nfuns) return;
    check_signatures(s);
    for (int i = 0; i < s->prog->nfuns; i++) {
        FunDef *f = s->prog->funs[i];
        if (f->body && f->def == f) check_fun_body(s, f);
        f->checked = 1;
    }
}

static void note_rng(Sema *s, const char *name, Span sp)
{
    if (s->cur_fn) {
        if (s->cur_fn->suffix != FK_RNG)
            err(s, sp, "%s draws random numbers: in a function, only one whose name ends in _rng may call it "
                "(this is '%s')", name, s->cur_fn->name);
        return;
    }
    if (!s->f->has_rng) { s->f->rng_span = sp; s->f->rng_name = name; }
    s->f->has_rng = 1;
}

static Ty check_user_call(Sema *s, Expr *e, FunDef *f)
{
    for (int i = 0; i < e->nargs; i++) if (e->args[i]->ty.base == TB_ERR) return TY_ERR;
    if (e->nargs != f->nparams) {
        err(s, e->span, "%s takes %d argument%s, %d given", e->name, f->nparams, f->nparams == 1 ? "" : "s", e->nargs);
        return TY_ERR;
    }
    for (int i = 0; i < e->nargs; i++) {
        const FunParam *a = &f->params[i];
        Ty t = e->args[i]->ty;
        if (a->ty.base == TB_ERR) return TY_ERR;
        if (t.base == TB_VOID || !assignable(a->ty, t)) {
            char b1[48], b2[48];
            err(s, e->args[i]->span, "%s: argument %d ('%s') must be %s, found %s", e->name, i + 1, a->name,
                ty_name(a->ty, b1, sizeof b1), ty_name(t, b2, sizeof b2));
            return TY_ERR;
        }
        if (a->data_only && e->args[i]->level >= LV_PARAM) {
            err(s, e->args[i]->span, "%s: argument %d ('%s') is declared data, but this value depends on parameters",
                e->name, i + 1, a->name);
            return TY_ERR;
        }
    }
    int dens = f->suffix == FK_LPDF || f->suffix == FK_LPMF;
    if (e->bar && !dens) {
        err(s, e->name_span, "'|' is only for density functions (NAME_lpdf, _lpmf, _cdf, _lcdf, _lccdf); '%s' is not one", e->name);
        return TY_ERR;
    }
    if (dens && !e->bar && e->nargs > 1) {
        err(s, e->span, "%s needs '|' after its first argument: %s(y | ...)", e->name, e->name);
        return TY_ERR;
    }
    e->fkind = FN_USER;
    e->fn = f->def;
    if (f->suffix == FK_RNG) { note_rng(s, e->name, e->name_span); e->level = LV_GEN; }
    if (f->suffix == FK_LP) {
        if (s->cur_fn && s->cur_fn->suffix != FK_LP)
            err(s, e->name_span, "%s adds to the density: in a function, only one whose name ends in _lp may call it "
                "(this is '%s')", e->name, s->cur_fn->name);
        else if (!s->cur_fn) {
            if (!s->f->has_tilde) s->f->tilde_span = e->name_span;
            s->f->has_tilde = 1;
        }
        e->level = maxlv(e->level, LV_PARAM);
    }
    return f->rty;
}

/* print(...), reject(...), fatal_error(...): strings and values of any type. */
static Ty check_print(Sema *s, Expr *e)
{
    e->fkind = e->name[0] == 'p' ? FN_PRINT : e->name[0] == 'r' ? FN_REJECT : FN_FATAL;
    if (e->bar) { err(s, e->name_span, "'|' is only for density functions; '%s' is not one", e->name); return TY_ERR; }
    if (e->nargs == 0) { err(s, e->span, "%s needs at least one argument", e->name); return TY_ERR; }
    int bad = 0;
    for (int i = 0; i < e->nargs; i++) {
        s->allow_str = 1;
        Ty t = check_expr(s, e->args[i]);
        e->level = maxlv(e->level, e->args[i]->level);
        if (t.base == TB_ERR) bad = 1;
    }
    return bad ? TY_ERR : (Ty){TB_VOID, TK_SCALAR, 0};
}

/* `y ~ foo(a)` with foo_lpdf (or foo_lpmf) user-defined: target += foo_lpdf(y | a). */
/* Nodes of the truncated density (truncate below), typed afterwards by check_expr. */
static Expr *tr_node(Sema *s, ExprKind k, Span sp, Expr *a, Expr *b, Expr *c)
{
    Expr *e = arena_zalloc(s->a, sizeof *e);
    e->kind = k;
    e->id = ++s->prog->nexprs;
    e->span = sp;
    e->slot = -1;
    e->args = arena_alloc(s->a, 3 * sizeof(Expr *));
    e->args[0] = a; e->args[1] = b; e->args[2] = c;
    e->nargs = c ? 3 : b ? 2 : a ? 1 : 0;
    for (int i = 0; i < e->nargs; i++) if (e->args[i]->depth + 1 > e->depth) e->depth = e->args[i]->depth + 1;
    return e;
}

/* d's function `suffix` at x, with the statement's arguments after the bar. */
static Expr *tr_call(Sema *s, const Stmt *st, const Dist *d, const char *suffix, Expr *x)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s%s", d->name, suffix);
    Expr *e = tr_node(s, E_CALL, st->trunc_span, NULL, NULL, NULL);
    e->name = arena_strndup(s->a, buf, strlen(buf));
    e->name_span = st->dist_span;
    e->bar = 1;
    e->nargs = st->nargs + 1;
    e->args = arena_alloc(s->a, sizeof(Expr *) * (size_t)e->nargs);
    e->args[0] = x;
    for (int i = 0; i < st->nargs; i++) e->args[i + 1] = st->args[i];
    for (int i = 0; i < e->nargs; i++) if (e->args[i]->depth + 1 > e->depth) e->depth = e->args[i]->depth + 1;
    return e;
}

/* `y ~ d(a) T[L, U];` is `target += (y < L || y > U) ? negative_infinity()
 * : d_lpdf(y | a) - log(F(U) - F(L))`, with F's logarithms from d_lcdf and d_lccdf
 * (Stan's truncation; for a discrete d the mass from L on is 1 - F(L - 1)).  As in Stan
 * 2.21, y and a are single values. */
static void truncate(Sema *s, Stmt *st, const Dist *d, Ty lt)
{
    Ty tl = st->trunc_lo ? check_expr(s, st->trunc_lo) : TY_INT, th = st->trunc_hi ? check_expr(s, st->trunc_hi) : TY_INT;
    if (lt.base == TB_ERR || tl.base == TB_ERR || th.base == TB_ERR) return;
    if (!d->lcdf || !d->lccdf || d->sig[0] != (d->discrete ? 'I' : 'R')) {
        err(s, st->trunc_span, "T[...]: %s has no _lcdf and _lccdf to truncate it with", d->name);
        return;
    }
    if (!is_scalar(lt)) {
        err(s, st->lhs->span, "T[...] truncates a single value, but the left of '~' is %s: write a loop", TYS(lt));
        return;
    }
    for (int i = 0; i < st->nargs; i++)
        if (!is_scalar(st->args[i]->ty)) {
            err(s, st->args[i]->span, "T[...] needs single values as the distribution's arguments, found %s",
                TYS(st->args[i]->ty));
            return;
        }
    Expr *b[2] = {st->trunc_lo, st->trunc_hi};
    Ty tb[2] = {tl, th};
    for (int k = 0; k < 2; k++)
        if (b[k] && (!is_scalar(tb[k]) || (d->discrete && tb[k].base != TB_INT))) {
            err(s, b[k]->span, "the %s bound of T[...] must be %s, found %s", k ? "upper" : "lower",
                d->discrete ? "an int (the distribution is over integers)" : "a real or an int", TYS(tb[k]));
            return;
        }
    if (!b[0] && !b[1]) return;       /* T[, ]: nothing truncated */
    Span sp = st->trunc_span;
    Expr *lpdf = tr_call(s, st, d, d->discrete ? "_lpmf" : "_lpdf", st->lhs);
    Expr *lo = b[0];
    if (lo && d->discrete) {          /* P(y >= L) = 1 - F(L - 1) */
        Expr *one = tr_node(s, E_INT, sp, NULL, NULL, NULL);
        one->ival = 1;
        lo = tr_node(s, E_BINOP, sp, b[0], one, NULL);
        lo->op = OP_SUB;
    }
    Expr *mass;
    if (b[0] && b[1]) {
        mass = tr_node(s, E_CALL, sp, tr_call(s, st, d, "_lcdf", b[1]), tr_call(s, st, d, "_lcdf", lo), NULL);
        mass->name = "log_diff_exp";
        mass->name_span = sp;
    } else if (b[0]) mass = tr_call(s, st, d, "_lccdf", lo);
    else mass = tr_call(s, st, d, "_lcdf", b[1]);
    Expr *val = tr_node(s, E_BINOP, sp, lpdf, mass, NULL);
    val->op = OP_SUB;
    Expr *out = NULL;
    for (int k = 0; k < 2; k++) {
        if (!b[k]) continue;
        Expr *c = tr_node(s, E_BINOP, sp, st->lhs, b[k], NULL);
        c->op = k ? OP_GT : OP_LT;
        if (out) { out = tr_node(s, E_BINOP, sp, out, c, NULL); out->op = OP_OR; }
        else out = c;
    }
    Expr *ninf = tr_node(s, E_CALL, sp, NULL, NULL, NULL);
    ninf->name = "negative_infinity";
    ninf->name_span = sp;
    Expr *e = tr_node(s, E_COND, sp, out, ninf, val);
    if (check_expr(s, e).base == TB_ERR) return;
    st->kind = S_TARGET;
    st->rhs = e;
}

static int user_tilde(Sema *s, Stmt *st)
{
    char buf[200];
    FunDef *f = NULL;
    for (int k = 0; k < 2 && !f; k++) {
        snprintf(buf, sizeof buf, "%s%s", st->dist, k ? "_lpmf" : "_lpdf");
        f = find_fun(s, buf);
    }
    if (!f) return 1 == 0;
    Expr *e = arena_zalloc(s->a, sizeof *e);
    e->kind = E_CALL;
    e->id = ++s->prog->nexprs;
    e->span = (Span){st->span.off, st->span.len - 1};
    e->name = arena_strndup(s->a, buf, strlen(buf));
    e->name_span = st->dist_span;
    e->bar = 1;
    e->slot = -1;
    e->nargs = st->nargs + 1;
    e->args = arena_alloc(s->a, sizeof(Expr *) * (size_t)e->nargs);
    e->args[0] = st->lhs;
    for (int i = 0; i < st->nargs; i++) e->args[i + 1] = st->args[i];
    for (int i = 0; i < e->nargs; i++) {
        e->level = maxlv(e->level, e->args[i]->level);
        if (e->args[i]->depth + 1 > e->depth) e->depth = e->args[i]->depth + 1;
    }
    e->ty = check_user_call(s, e, f);
    st->kind = S_TARGET;
    st->rhs = e;
    return 1;
}

static void check_return(Sema *s, Stmt *st)
{
    FunDef *f = s->cur_fn;
    if (!f) {
        err(s, (Span){st->span.off, 6}, "return outside a function");
        if (st->rhs) check_expr(s, st->rhs);
        return;
    }
    char b1[48], b2[48];
    if (!st->rhs) {
        if (f->rty.base != TB_VOID && f->rty.base != TB_ERR)
            err(s, st->span, "function '%s' must return a value of type %s", f->name, ty_name(f->rty, b1, sizeof b1));
        return;
    }
    Ty t = check_expr(s, st->rhs);
    if (t.base == TB_ERR || f->rty.base == TB_ERR) return;
    if (f->rty.base == TB_VOID)
        err(s, st->rhs->span, "function '%s' returns void: write 'return;' without a value", f->name);
    else if (!assignable(f->rty, t))
        err(s, st->rhs->span, "function '%s' returns %s, but this value is %s", f->name,
            ty_name(f->rty, b1, sizeof b1), ty_name(t, b2, sizeof b2));
}

static void rng_error(Sema *s, const Facts *f)
{
    err(s, f->rng_span, "%s draws random numbers: it is only allowed in gen declarations and in statements "
        "that assign gen variables", f->rng_name);
}

Ir *vm_check(Arena *a, DiagList *d, Program *p)
{
    Sema s;
    memset(&s, 0, sizeof s);
    s.a = a;
    s.d = d;
    s.prog = p;
    Facts *facts = arena_zalloc(a, sizeof(Facts) * (size_t)(p->nstmts + 1));
    check_functions(&s);
    for (int i = 0; i < p->nstmts; i++) {
        Stmt *st = p->stmts[i];
        s.reads = NULL; s.nreads = s.capreads = 0;
        s.writes = NULL; s.nwrites = s.capwrites = 0;
        s.f = &facts[i];
        s.stmt_index = i;
        check_stmt(&s, st);
        st->reads = s.reads; st->nreads = s.nreads;
        st->writes = s.writes; st->nwrites = s.nwrites;
    }
    /* Levels of let variables: a fixed point over reads -> writes. */
    for (int iter = 0, changed = 1; changed && iter < 100; iter++) {
        changed = 0;
        for (int i = 0; i < p->nstmts; i++) {
            Stmt *st = p->stmts[i];
            int lv = stmt_max_level(&s, st);
            if (facts[i].has_rng) lv = LV_GEN;
            for (int w = 0; w < st->nwrites; w++) {
                VarInfo *v = &s.vars[st->writes[w]];
                if (v->kind == D_LET && lv > v->level) { v->level = lv; changed = 1; }
            }
        }
    }
    for (int i = 0; i < p->nstmts; i++) {
        Stmt *st = p->stmts[i];
        const Facts *f = &facts[i];
        int lv = stmt_max_level(&s, st);
        int writes_gen = 0, writes_let = 0, let_lv = LV_CONST;
        for (int w = 0; w < st->nwrites; w++) {
            VarInfo *v = &s.vars[st->writes[w]];
            if (v->kind == D_GEN) writes_gen = 1;
            if (v->kind == D_LET) { writes_let = 1; if (v->level > let_lv) let_lv = v->level; }
        }
        if (st->kind == S_DECL && st->decl == D_DATA) st->phase = PH_DATA;
        else if (st->kind == S_DECL && st->decl == D_PARAM) st->phase = PH_MODEL;
        else if (f->has_tilde) {
            st->phase = PH_MODEL;
            if (writes_gen || (writes_let && let_lv <= LV_DATA)) {
                const char *what = writes_gen ? "gen variable" : "data-only let";
                const char *name = writes_gen ? f->gen_name : f->let_name;
                err(&s, st->span, "this statement both adds to the density and assigns %s '%s': "
                    "split it into two statements", what, name ? name : "?");
                diag_add(d, DIAG_NOTE, f->tilde_span, "it adds to the density here");
                diag_add(d, DIAG_NOTE, writes_gen ? f->gen_span : f->let_span, "and assigns '%s' here", name ? name : "?");
            }
            if (f->has_rng) rng_error(&s, f);
        } else if (writes_gen || lv >= LV_GEN) {
            st->phase = PH_GEN;
            if (writes_let)
                err(&s, f->let_name ? f->let_span : st->span, "let '%s' cannot be assigned in a gen statement "
                    "(it would change with every draw): declare it with gen", f->let_name ? f->let_name : "?");
        } else if (lv >= LV_PARAM || let_lv >= LV_PARAM) st->phase = PH_MODEL;
        else st->phase = PH_DATA;
        if (f->has_rng && st->phase != PH_GEN && !f->has_tilde) rng_error(&s, f);
    }
    /* Transitive reads (through lets) of every top-level statement: what a ~ really
     * depends on, for CAVI's conjugacy check and the forward simulator's order. */
    int nv = s.nvars;
    /* writers of each slot, in statement order (CSR), and a stamp per slot for the
     * set's membership: linear in the program, not quadratic */
    int *wstart = calloc((size_t)nv + 1, sizeof(int)), *mark = calloc((size_t)nv + 1, sizeof(int));
    for (int j = 0; j < p->nstmts; j++)
        for (int q = 0; q < p->stmts[j]->nwrites; q++) wstart[p->stmts[j]->writes[q] + 1]++;
    for (int v = 0; v < nv; v++) wstart[v + 1] += wstart[v];
    int *wlist = malloc(sizeof(int) * (size_t)(wstart[nv] + 1)), *wfill = calloc((size_t)nv + 1, sizeof(int));
    for (int j = 0; j < p->nstmts; j++)
        for (int q = 0; q < p->stmts[j]->nwrites; q++) {
            int v = p->stmts[j]->writes[q];
            wlist[wstart[v] + wfill[v]++] = j;
        }
    int *set = NULL, cap = 0;
    for (int i = 0; i < p->nstmts; i++) {
        Stmt *st = p->stmts[i];
        int n = 0;
#define ADD_READ(x) do { int x_ = (x); if (mark[x_] != i + 1) { mark[x_] = i + 1; \
            if (n == cap) { cap = cap ? 2 * cap : 64; set = realloc(set, sizeof(int) * (size_t)cap); } \
            set[n++] = x_; } } while (0)
        for (int r = 0; r < st->nreads; r++) ADD_READ(st->reads[r]);
        /* earlier writers' reads are already transitive: one level suffices */
        for (int k = 0; k < n; k++) {
            if (s.vars[set[k]].kind != D_LET) continue;
            for (int w = wstart[set[k]]; w < wstart[set[k] + 1] && wlist[w] < i; w++) {
                const Stmt *ws = p->stmts[wlist[w]];
                for (int r = 0; r < ws->nreads; r++) ADD_READ(ws->reads[r]);
            }
        }
#undef ADD_READ
        st->reads = arena_alloc(a, sizeof(int) * (size_t)(n ? n : 1));
        if (n) memcpy(st->reads, set, sizeof(int) * (size_t)n);
        st->nreads = n;
    }
    free(set);
    free(wstart);
    free(wlist);
    free(wfill);
    free(mark);
    for (int v = 0; v < nv; v++)
        if (s.vars[v].kind == D_PARAM && !s.vars[v].used && s.vars[v].decl)
            diag_add(d, DIAG_WARNING, s.vars[v].decl->name_span,
                     "param '%s' is not used by any statement: its prior is flat and may be improper", s.vars[v].name);
    free(s.visible);
    free(s.ents);
    free(s.htab);
    free(s.shadow);
    free(s.entof);
    if (d->nerrors) return NULL;
    Ir *ir = arena_zalloc(a, sizeof *ir);
    ir->prog = p;
    ir->vars = s.vars;
    ir->nvars = s.nvars;
    return ir;
}
