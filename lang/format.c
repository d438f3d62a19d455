/* Canonical layout: four-space indents, one statement a line, operators spaced,
 * parentheses only where precedence needs them.  Re-parsing the output gives the
 * same tree (tested). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/ast.h"

/* ORDER OPS */
static const char *const opstr[] = {"+", "-", "*", "/", "%", "^", ".*", "./", "\\",
                                    "<", "<=", ">", ">=", "==", "!=", "&&", "||", "-", "+", "!"};

/* precedence: higher binds tighter (grammar layers of parser.y) */
static int prec(const Expr *e)
{
    switch (e->kind) {
    case E_COND: return 1;
    case E_BINOP:
        switch (e->op) {
        case OP_OR: return 2;
        case OP_AND: return 3;
        case OP_EQ: case OP_NE: return 4;
        case OP_LT: case OP_LE: case OP_GT: case OP_GE: return 5;
        case OP_ADD: case OP_SUB: return 6;
        case OP_POW: return 9;
        default: return 7;
        }
    case E_UNOP: return 8;
    default: return 10;
    }
}

static void fexpr(Buf *b, const Expr *e);

static void fsub(Buf *b, const Expr *e, int min)
{
    if (prec(e) < min) { buf_putn(b, "(", 1); fexpr(b, e); buf_putn(b, ")", 1); }
    else fexpr(b, e);
}

static void fexpr(Buf *b, const Expr *e)
{
    switch (e->kind) {
    case E_INT: buf_printf(b, "%ld", e->ival); break;
    case E_REAL: {
        /* the shortest text that reads back as the same double: 0.1, not 0.10000000000000001 */
        char s[40];
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(s, sizeof s, "%.*g", digits, e->rval);
            if (strtod(s, NULL) == e->rval) break;
        }
        if (e->rval < 1e15 && e->rval > -1e15 && e->rval == (double)(long long)e->rval)
            snprintf(s, sizeof s, "%.1f", e->rval);       /* 25000.0, not 2.5e+04 */
        char *x = strchr(s, 'e');
        if (x) {                                            /* 1e-05 -> 1e-5, 1e+300 -> 1e300 */
            char *w = x + 1, *r = x + 1;
            if (*r == '+') r++; else if (*r == '-') *w++ = *r++;
            while (*r == '0' && r[1]) r++;
            memmove(w, r, strlen(r) + 1);
        }
        if (!strpbrk(s, ".eEn")) strcat(s, ".0");
        buf_printf(b, "%s", s);
        break;
    }
    case E_VAR: buf_printf(b, "%s", e->name); break;
    case E_CALL:
        buf_printf(b, "%s(", e->name);
        for (int i = 0; i < e->nargs; i++) {
            if (i) buf_printf(b, i == 1 && e->bar ? " | " : ", ");
            fexpr(b, e->args[i]);
        }
        if (e->bar && e->nargs == 1) buf_printf(b, " |");
        buf_putn(b, ")", 1);
        break;
    case E_BINOP: {
        int p = prec(e);
        if (e->op == OP_POW) { fsub(b, e->args[0], 10); buf_printf(b, "^"); fsub(b, e->args[1], 8); break; }
        fsub(b, e->args[0], p);
        buf_printf(b, " %s ", opstr[e->op]);
        fsub(b, e->args[1], p + 1);
        break;
    }
    case E_UNOP: buf_printf(b, "%s", opstr[e->op]); fsub(b, e->args[0], 8); break;
    case E_COND:
        fsub(b, e->args[0], 2);
        buf_printf(b, " ? ");
        fexpr(b, e->args[1]);
        buf_printf(b, " : ");
        fsub(b, e->args[2], 1);
        break;
    case E_INDEX:
        fsub(b, e->args[0], 10);
        buf_putn(b, "[", 1);
        for (int i = 0; i < e->nidx; i++) {
            const Index *ix = &e->idx[i];
            if (i) buf_printf(b, ", ");
            if (ix->a) fexpr(b, ix->a);
            if (ix->kind != IX_SINGLE) buf_putn(b, ":", 1);
            if (ix->b) fexpr(b, ix->b);
        }
        buf_putn(b, "]", 1);
        break;
    case E_TRANSPOSE: fsub(b, e->args[0], 10); buf_putn(b, "'", 1); break;
    case E_STR: buf_printf(b, "\"%s\"", e->name); break;
    case E_ROWVEC: case E_ARRAY:
        buf_putn(b, e->kind == E_ROWVEC ? "[" : "{", 1);
        for (int i = 0; i < e->nargs; i++) { if (i) buf_printf(b, ", "); fexpr(b, e->args[i]); }
        buf_putn(b, e->kind == E_ROWVEC ? "]" : "}", 1);
        break;
    }
}

static void ftype(Buf *b, const TypeSpec *t)
{
    if (t->narr) {
        buf_printf(b, "array[");
        for (int i = 0; i < t->narr; i++) {
            if (!t->arr[i]) { if (i) buf_putn(b, ",", 1); continue; }   /* unsized: array[,] real */
            if (i) buf_printf(b, ", ");
            fexpr(b, t->arr[i]);
        }
        buf_printf(b, "] ");
    }
    buf_printf(b, "%s", vm_typename[t->name]);
    if (t->lower || t->upper) {
        buf_putn(b, "<", 1);
        if (t->lower) { buf_printf(b, "lower="); fsub(b, t->lower, 6); }
        if (t->lower && t->upper) buf_printf(b, ", ");
        if (t->upper) { buf_printf(b, "upper="); fsub(b, t->upper, 6); }
        buf_putn(b, ">", 1);
    }
    if (t->offset || t->multiplier) {
        buf_putn(b, "<", 1);
        if (t->offset) { buf_printf(b, "offset="); fsub(b, t->offset, 6); }
        if (t->offset && t->multiplier) buf_printf(b, ", ");
        if (t->multiplier) { buf_printf(b, "multiplier="); fsub(b, t->multiplier, 6); }
        buf_putn(b, ">", 1);
    }
    if (t->size[0]) {
        buf_putn(b, "[", 1);
        fexpr(b, t->size[0]);
        if (t->size[1]) { buf_printf(b, ", "); fexpr(b, t->size[1]); }
        buf_putn(b, "]", 1);
    }
}

/* Indentation stops deepening at 40 levels: past that nobody reads the layout, and a
 * generated model 2,000 blocks deep would otherwise format to megabytes of spaces. */
#define FMT_MAX_INDENT 40
static void indent(Buf *b, int n)
{
    if (n > FMT_MAX_INDENT) n = FMT_MAX_INDENT;
    static const char spaces[] = "                                                                ";
    for (size_t left = 4 * (size_t)n; left > 0;) {
        size_t k = left < sizeof spaces - 1 ? left : sizeof spaces - 1;
        buf_putn(b, spaces, k);
        left -= k;
    }
}

static void fstmt(Buf *b, const Stmt *s, int ind);

/* Comments go back where they were, relative to statements: those before a statement
 * on lines of their own, one after a statement's end on its line (or inside it) as a
 * trailing comment; the rest of a statement's inner comments move before the next.
 * The Buf is the first member, so the statement printers reach the cursor through it. */
typedef struct Fmt {
    Buf b;
    const Program *p;
    int next;                  /* first comment not yet written */
} Fmt;

static void put_comment(Buf *b, Span c)
{
    const Fmt *f = (const Fmt *)b;
    const char *t = f->p->src + c.off;
    int n = c.len;
    if (t[0] != '/' || t[1] != '*')
        while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r')) n--;
    buf_putn(b, t, (size_t)n);
}

/* at the start of a line: every comment before offset `before`, one a line */
static void comments_before(Buf *b, int before, int ind)
{
    Fmt *f = (Fmt *)b;
    if (!f->p) return;
    while (f->next < f->p->ncomments && f->p->comments[f->next].off < before) {
        indent(b, ind);
        put_comment(b, f->p->comments[f->next++]);
        buf_putn(b, "\n", 1);
    }
}

/* after a statement ending at `end`: the next comment, if it is inside the statement or
 * starts on the line where the statement ends */
static void comment_trailing(Buf *b, int end)
{
    Fmt *f = (Fmt *)b;
    if (!f->p || f->next >= f->p->ncomments) return;
    Span c = f->p->comments[f->next];
    if (c.off >= end && memchr(f->p->src + end, '\n', (size_t)(c.off - end))) return;
    buf_putn(b, "  ", 2);
    put_comment(b, c);
    f->next++;
}

static int stmt_end(const Stmt *s) { return s->span.off + s->span.len; }

/* Comments to write on their own lines before s: those before it and, when s holds no
 * statements of its own, those inside it (the line's end keeps the one after it). */
static int lead_limit(const Stmt *s)
{
    int compound = s->kind == S_FOR || s->kind == S_WHILE || s->kind == S_IF || s->kind == S_BLOCK;
    return compound ? s->span.off : stmt_end(s);
}

/* Does s end in an if without else, which an else after s would attach to? */
static int dangles(const Stmt *s)
{
    switch (s->kind) {
    case S_IF: return s->els ? dangles(s->els) : 1;
    case S_FOR: case S_WHILE: return dangles(s->body);
    default: return 0;
    }
}

static void fbody(Buf *b, const Stmt *s, int ind)
{
    if (s->kind == S_BLOCK) { buf_putn(b, " ", 1); fstmt(b, s, ind); }
    else {
        buf_putn(b, "\n", 1);
        comments_before(b, lead_limit(s), ind + 1);
        indent(b, ind + 1);
        fstmt(b, s, ind + 1);
    }
}

/* y ~ d(args) [T[lo, hi]]; */
static void ftilde(Buf *b, const Stmt *s)
{
    fexpr(b, s->lhs);
    buf_printf(b, " ~ %s(", s->dist);
    for (int i = 0; i < s->nargs; i++) { if (i) buf_printf(b, ", "); fexpr(b, s->args[i]); }
    buf_printf(b, ")");
    if (s->trunc) {
        buf_printf(b, " T[");
        if (s->trunc_lo) fexpr(b, s->trunc_lo);
        buf_printf(b, ", ");
        if (s->trunc_hi) fexpr(b, s->trunc_hi);
        buf_printf(b, "]");
    }
    buf_putn(b, ";", 1);
}

static void fstmt(Buf *b, const Stmt *s, int ind)
{
    static const char *kw[] = {"data ", "param ", "let ", "gen ", ""};
    switch (s->kind) {
    case S_DECL:
        buf_printf(b, "%s", kw[s->decl]);
        if (s->type) { ftype(b, s->type); buf_putn(b, " ", 1); }
        buf_printf(b, "%s", s->name);
        if (s->init) { buf_printf(b, " = "); fexpr(b, s->init); }
        buf_putn(b, ";", 1);
        break;
    case S_TILDE:
        ftilde(b, s);
        break;
    case S_TARGET:
        if (s->dist) {                /* y ~ f(...) with f_lpdf user-defined, or truncated, after checking */
            ftilde(b, s);
            break;
        }
        buf_printf(b, "target += "); fexpr(b, s->rhs); buf_putn(b, ";", 1); break;
    case S_RETURN:
        buf_printf(b, "return");
        if (s->rhs) { buf_putn(b, " ", 1); fexpr(b, s->rhs); }
        buf_putn(b, ";", 1);
        break;
    case S_CALL: fexpr(b, s->rhs); buf_putn(b, ";", 1); break;
    case S_ASSIGN:
        fexpr(b, s->lhs);
        if (s->aop == (Op)-1) buf_printf(b, " = "); else buf_printf(b, " %s= ", opstr[s->aop]);
        fexpr(b, s->rhs);
        buf_putn(b, ";", 1);
        break;
    case S_FOR:
        buf_printf(b, "for (%s in ", s->loopvar);
        fsub(b, s->lo, 2);
        buf_putn(b, ":", 1);
        fsub(b, s->hi, 2);
        buf_putn(b, ")", 1);
        fbody(b, s->body, ind);
        return;
    case S_WHILE:
        buf_printf(b, "while (");
        fexpr(b, s->cond);
        buf_putn(b, ")", 1);
        fbody(b, s->body, ind);
        return;
    case S_IF: {
        buf_printf(b, "if (");
        fexpr(b, s->cond);
        buf_putn(b, ")", 1);
        /* braces would add a block to the tree: only where an else would re-bind */
        int braced = s->els && s->body->kind != S_BLOCK && dangles(s->body);
        if (braced) {
            buf_printf(b, " {\n");
            indent(b, ind + 1);
            fstmt(b, s->body, ind + 1);
            buf_putn(b, "\n", 1);
            indent(b, ind);
            buf_putn(b, "}", 1);
        } else fbody(b, s->body, ind);
        if (s->els) {
            if (braced || s->body->kind == S_BLOCK) buf_printf(b, " else");
            else { buf_putn(b, "\n", 1); indent(b, ind); buf_printf(b, "else"); }
            if (s->els->kind == S_IF) { buf_putn(b, " ", 1); fstmt(b, s->els, ind); }
            else fbody(b, s->els, ind);
        }
        return;
    }
    case S_BLOCK:
        buf_printf(b, "{\n");
        for (int i = 0; i < s->nstmts; i++) {
            comments_before(b, lead_limit(s->stmts[i]), ind + 1);
            indent(b, ind + 1);
            fstmt(b, s->stmts[i], ind + 1);
            comment_trailing(b, stmt_end(s->stmts[i]));
            buf_putn(b, "\n", 1);
        }
        comments_before(b, stmt_end(s) - 1, ind + 1);     /* before the '}' */
        indent(b, ind);
        buf_putn(b, "}", 1);
        return;
    case S_EMPTY: buf_putn(b, ";", 1); break;
    }
}

static void ffun(Buf *b, const FunDef *f)
{
    comments_before(b, f->span.off, 0);
    if (f->ret) ftype(b, f->ret); else buf_printf(b, "void");
    buf_printf(b, " %s(", f->name);
    for (int i = 0; i < f->nparams; i++) {
        if (i) buf_printf(b, ", ");
        if (f->params[i].data_only) buf_printf(b, "data ");
        ftype(b, f->params[i].type);
        buf_printf(b, " %s", f->params[i].name);
    }
    buf_putn(b, ")", 1);
    if (f->body) { buf_putn(b, " ", 1); fstmt(b, f->body, 0); comment_trailing(b, f->span.off + f->span.len); }
    else { buf_putn(b, ";", 1); comment_trailing(b, f->span.off + f->span.len); }
    buf_putn(b, "\n", 1);
}

/* the functions written before offset `before` (all: INT_MAX), each after a blank line */
static int ffuns(Buf *b, const Program *p, int k, int before, int blank)
{
    for (; k < p->nfuns && p->funs[k]->span.off < before; k++) {
        if (blank || k) buf_putn(b, "\n", 1);
        ffun(b, p->funs[k]);
        blank = 1;
    }
    return k;
}

char *vm_format(const Program *p)
{
    Fmt f = {{0}, p->src ? p : NULL, 0};
    Buf *b = &f.b;
    buf_putn(b, "", 0);
    int k = 0;
    for (int i = 0; i < p->nstmts; i++) {
        const Stmt *s = p->stmts[i];
        if (k < p->nfuns && p->funs[k]->span.off < s->span.off) {
            k = ffuns(b, p, k, s->span.off, i > 0);
            buf_putn(b, "\n", 1);
        } else
        /* a blank line between groups: declarations of one kind, then statements */
        if (i) {
            const Stmt *q = p->stmts[i - 1];
            int g1 = q->kind == S_DECL ? (int)q->decl : 9, g2 = s->kind == S_DECL ? (int)s->decl : 9;
            if (g1 != g2) buf_putn(b, "\n", 1);
        }
        comments_before(b, lead_limit(s), 0);
        fstmt(b, s, 0);
        comment_trailing(b, stmt_end(s));
        buf_putn(b, "\n", 1);
    }
    ffuns(b, p, k, 1 << 30, p->nstmts > 0);
    comments_before(b, 1 << 30, 0);
    return b->s;
}
