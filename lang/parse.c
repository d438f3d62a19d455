/* The parse loop: skip nothing (the lexer does), push tokens into the Lemon parser,
 * stop at the first syntax error (later ones would be noise). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/ast.h"
#include "lang/lexer.h"
#include "lang/parse_errors.h"
#include "parser.h"

void *vm_parserAlloc(void *(*mallocProc)(size_t), ParseCtx *ctx);
void vm_parserFree(void *p, void (*freeProc)(void *));
void vm_parser(void *p, int major, Token minor);

/* ORDER TOKENS (parser.y's %token list) */
static const char *const tokdesc[] = {
    "end of input", "'data'", "'param'", "'let'", "'gen'", "'for'", "'in'", "'if'", "'else'", "'while'",
    "'target'", "'lower'", "'upper'", "'array'", "'int'", "'real'", "'vector'", "'row_vector'",
    "'matrix'", "'simplex'", "'ordered'", "'positive_ordered'", "'cholesky_factor_corr'",
    "'cov_matrix'", "'corr_matrix'",
    "'cholesky_factor_cov'", "'unit_vector'", "'sum_to_zero_vector'",
    "an identifier", "an integer", "a real number",
    "'('", "')'", "'['", "']'", "'{'", "'}'", "','", "';'", "':'", "'?'", "'|'", "'~'",
    "'='", "'+='", "'-='", "'*='", "'/='", "'+'", "'-'", "'*'", "'/'", "'%'", "'^'", "'.*'",
    "'./'", "'\\'", "'''", "'<'", "'<='", "'>'", "'>='", "'=='", "'!='", "'&&'", "'||'", "'!'",
    "'void'", "'return'", "a string",
};

const char *vm_token_desc(int major)
{
    if (major >= 0 && (size_t)major < sizeof tokdesc / sizeof *tokdesc) return tokdesc[major];
    return "a token";
}

/* The parser state is opaque, so the message is built from the token seen, the one
 * before it, the open braces and the set of tokens the parser could have taken. */
#define MAX_OPEN 64
typedef struct ParseState {
    Token prev, prev2;         /* the last token taken and the one before it */
    int have_prev, have_prev2;
    Token cur;                 /* the token being pushed */
    int open[MAX_OPEN];        /* offsets of unclosed '{' (the innermost MAX_OPEN) */
    int nopen;
} ParseState;
static ParseState *pstate(ParseCtx *c) { return (ParseState *)(c + 1); }

static int is_expr_start(int k)
{
    return k == IDENT || k == INTLIT || k == REALLIT || k == STRING || k == LPAREN || k == LBRACK || k == LBRACE ||
           k == MINUS || k == PLUS || k == NOT;
}

/* tokens that may follow any expression: listing them says nothing useful */
static int is_continuation(int k)
{
    return (k >= PLUS && k <= TRANSPOSE) || (k >= LT && k <= OR) || k == QUESTION || k == LBRACK;
}

static int is_reserved(int k) { return (k >= DATA && k <= CORR_MATRIX) || k == VOID || k == RETURN; }

static int is_typename(int k) { return k >= INT && k <= CORR_MATRIX; }

/* ", expected X, Y or Z" from the parser's expected set; empty when too vague. */
static void expected_clause(char *out, size_t n, const unsigned char *expect, int ntok)
{
    const char *items[8];
    int m = 0, too_many = 0;
    out[0] = 0;
    if (expect[FOR]) return;                        /* any statement: no short list */
    int want_expr = ntok > INTLIT && expect[INTLIT];
    int want_type = ntok > VECTOR && expect[INT] && expect[VECTOR];
    if (want_type) items[m++] = "a type";
    if (want_expr) items[m++] = "an expression";
    for (int k = 0; k < ntok; k++) {
        if (!expect[k]) continue;
        if (want_expr && is_expr_start(k)) continue;
        if (want_type && (is_typename(k) || k == ARRAY)) continue;
        if (is_continuation(k) && !(k == LT && !want_expr) && !(k == LBRACK && !want_expr)) continue;
        if (m == 6) { too_many = 1; break; }
        items[m++] = k == IDENT ? "a name" : vm_token_desc(k);
    }
    if (too_many || m == 0) return;
    size_t len = (size_t)snprintf(out, n, ", expected ");
    for (int i = 0; i < m && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", i == 0 ? "" : i == m - 1 ? " or " : ", ", items[i]);
}

void vm_stack_overflow(ParseCtx *c)
{
    if (c->failed) return;
    c->failed = 1;
    diag_add(c->diags, DIAG_ERROR, tok_span(pstate(c)->cur),
             "the model is nested too deeply here (blocks, parentheses or else-if branches)");
}

static int prev_is(ParseCtx *c, const char *word)
{
    ParseState *ps = pstate(c);
    size_t n = strlen(word);
    return ps->have_prev && ps->prev.type == IDENT && (size_t)ps->prev.len == n &&
           memcmp(c->src + ps->prev.off, word, n) == 0;
}

static int tok_is(ParseCtx *c, Token t, const char *word)
{
    size_t n = strlen(word);
    return (size_t)t.len == n && memcmp(c->src + t.off, word, n) == 0;
}

/* Stan's old array syntax, `data real y[N];`: say the new form, built from the text
 * (the declaration from its statement's start, the sizes up to the matching ']'). */
static void old_array(ParseCtx *c, Token lb)
{
    ParseState *ps = pstate(c);
    const char *src = c->src;
    int depth = 0, end = lb.off;
    for (; src[end]; end++) {
        if (src[end] == '[') depth++;
        else if (src[end] == ']' && --depth == 0) break;
        else if (src[end] == ';' || src[end] == '\n') { end = -1; break; }
    }
    int start = ps->prev.off;          /* back to the statement's start */
    while (start > 0 && !strchr(";{}\n", src[start - 1])) start--;
    while (src[start] == ' ' || src[start] == '\t') start++;
    int name = ps->prev.off, tend = name;
    while (tend > start && (src[tend - 1] == ' ' || src[tend - 1] == '\t')) tend--;
    int kw = start, kwend = start;     /* data / param / let / gen, if any */
    while (isalpha((unsigned char)src[kwend])) kwend++;
    int has_kw = (kwend - kw == 4 && (!strncmp(src + kw, "data", 4))) || (kwend - kw == 5 && !strncmp(src + kw, "param", 5)) ||
                 (kwend - kw == 3 && (!strncmp(src + kw, "let", 3) || !strncmp(src + kw, "gen", 3)));
    int ts = has_kw ? kwend : start;
    while (src[ts] == ' ') ts++;
    if (end < 0 || tend <= ts || end - lb.off > 200 || tend - ts > 200) {
        diag_add(c->diags, DIAG_ERROR, tok_span(lb), "arrays are declared with array[...] before the type: "
                 "write array[N] real y, not real y[N]");
        return;
    }
    diag_add(c->diags, DIAG_ERROR, (Span){lb.off, end - lb.off + 1}, "arrays are declared with array[...] before the "
             "type (Stan's old syntax is gone): write %.*sarray%.*s %.*s %.*s", has_kw ? kwend - kw + 1 : 0, src + kw, end - lb.off + 1, src + lb.off, tend - ts, src + ts,
             ps->prev.len, src + name);
}

/* What Stan writes differently: blocks, bounds after the size, '=' in a
 * condition.  Returns 1 when it reported. */
static int stan_habit(ParseCtx *c, int major, Token t, const unsigned char *expect, int ntok)
{
    ParseState *ps = pstate(c);
    DiagList *d = c->diags;
    int prev = ps->have_prev ? ps->prev.type : -1;
    if (major == LBRACE && (prev == DATA || prev == PARAM)) {
        diag_add(d, DIAG_ERROR, tok_span(t), "vmod has no blocks: write %s in front of each declaration, "
                 "as in '%s real x;'", vm_token_desc(prev), prev == DATA ? "data" : "param");
        return 1;
    }
    if (major == LBRACE && (prev_is(c, "model") || prev_is(c, "parameters") || prev_is(c, "functions"))) {
        diag_add(d, DIAG_ERROR, (Span){ps->prev.off, ps->prev.len},
                 "vmod has no blocks: declarations start with data, param, let or gen, and statements "
                 "stand at the top level");
        return 1;
    }
    if ((major == DATA || major == PARAM || major == IDENT) && (prev_is(c, "transformed") || prev_is(c, "generated"))) {
        diag_add(d, DIAG_ERROR, (Span){ps->prev.off, ps->prev.len},
                 "vmod has no blocks: %s", prev_is(c, "generated")
                 ? "declare generated quantities with gen, as in 'gen real y_rep = normal_rng(mu, sigma);'"
                 : "declare transformed data and parameters with let, as in 'let real s2 = square(s);'");
        return 1;
    }
    if (major == LT && prev == RBRACK && IDENT < ntok && expect[IDENT]) {
        diag_add(d, DIAG_ERROR, tok_span(t), "bounds come before the size: write vector<lower=0>[N], "
                 "not vector[N]<lower=0>");
        return 1;
    }
    if (major == LBRACK && prev == IDENT && SEMI < ntok && expect[SEMI] && !expect[LBRACK]) {
        old_array(c, t);
        return 1;
    }
    if (major == ASSIGN && !expect[ASSIGN] && expect[RPAREN]) {
        diag_add(d, DIAG_ERROR, tok_span(t), "unexpected '=': use '==' to compare (an assignment is a statement of its own)");
        return 1;
    }
    return 0;
}

static int closes_stmt(int k) { return k == SEMI || k == RBRACE || k == LBRACE; }

void vm_syntax_error(ParseCtx *c, int major, Token t, const unsigned char *expect, int ntok)
{
    if (c->failed) return;
    c->failed = 1;
    ParseState *ps = pstate(c);
    DiagList *d = c->diags;
    char exp[160];
    expected_clause(exp, sizeof exp, expect, ntok);
    /* after `y ~ d(...)` the name the parser would take is a truncation's T */
    if (ps->have_prev && ps->prev.type == RPAREN && IDENT < ntok && expect[IDENT] && SEMI < ntok && expect[SEMI])
        snprintf(exp, sizeof exp, ", expected ';' or T[lower, upper]");
    int want_semi = SEMI < ntok && expect[SEMI];
    int newline_before = ps->have_prev && memchr(c->src + ps->prev.off, '\n', (size_t)(t.off - ps->prev.off));
    Span after_prev = ps->have_prev ? (Span){ps->prev.off + ps->prev.len, 1} : tok_span(t);
    char prevtxt[40];
    if (ps->have_prev && (ps->prev.type == IDENT || ps->prev.type == INTLIT || ps->prev.type == REALLIT))
        snprintf(prevtxt, sizeof prevtxt, "'%.*s'", ps->prev.len > 30 ? 30 : ps->prev.len, c->src + ps->prev.off);
    else
        snprintf(prevtxt, sizeof prevtxt, "%s", ps->have_prev ? vm_token_desc(ps->prev.type) : "");

    if (major == 0) {
        if (ps->nopen > 0) {
            diag_add(d, DIAG_ERROR, after_prev, "unexpected end of input, expected '}'");
            diag_add(d, DIAG_NOTE, (Span){ps->open[(ps->nopen > MAX_OPEN ? MAX_OPEN : ps->nopen) - 1], 1},
                     "to close this '{'");
        } else if (want_semi)
            diag_add(d, DIAG_ERROR, after_prev, "expected ';' after %s at the end of input", prevtxt);
        else
            diag_add(d, DIAG_ERROR, after_prev, "unexpected end of input%s", exp);
        return;
    }
    /* `y ~ d(...)` then a name: the parser took it for the T of T[lower, upper]; not
     * followed by '[', it is the next statement after a missing ';' */
    if (ps->have_prev2 && ps->prev2.type == RPAREN && ps->prev.type == IDENT && major != LBRACK
        && LBRACK < ntok && expect[LBRACK]) {
        Span after = {ps->prev2.off + ps->prev2.len, 1};
        if (ps->prev.len == 1 && c->src[ps->prev.off] == 'T')
            diag_add(d, DIAG_ERROR, tok_span(t), "expected '[' after T: a truncation is written T[lower, upper]");
        else
            diag_add(d, DIAG_ERROR, after, "expected ';' after ')'");
        return;
    }
    /* a statement not closed before the next line's start: the most common mistake */
    if (want_semi && newline_before && !closes_stmt(ps->prev.type) &&
        (major == IDENT || major == INTLIT || major == REALLIT || is_reserved(major))) {
        diag_add(d, DIAG_ERROR, after_prev, "expected ';' after %s", prevtxt);
        return;
    }
    if ((major == DATA || major == PARAM || major == LET || major == GEN) && ps->nopen > 0) {
        diag_add(d, DIAG_ERROR, tok_span(t),
                 "%s declarations are only allowed at the top level, not inside '{ }'; "
                 "declare a local variable without %s", vm_token_desc(major), vm_token_desc(major));
        return;
    }
    if (stan_habit(c, major, t, expect, ntok)) return;
    if (major == ELSE) {
        diag_add(d, DIAG_ERROR, tok_span(t), "'else' without a matching 'if'");
        return;
    }
    if (is_reserved(major) && IDENT < ntok && expect[IDENT]) {
        diag_add(d, DIAG_ERROR, tok_span(t), "%s is a reserved word and cannot be used as a name",
                 vm_token_desc(major));
        return;
    }
    if (major == IDENT || major == INTLIT || major == REALLIT)
        diag_add(d, DIAG_ERROR, tok_span(t), "syntax error: unexpected '%.*s'%s", t.len > 40 ? 40 : t.len,
                 c->src + t.off, exp);
    else
        diag_add(d, DIAG_ERROR, tok_span(t), "syntax error: unexpected %s%s", vm_token_desc(major), exp);
}

/* The comments between two tokens (the lexer skipped them, and the gap holds only
 * comments and white space): kept so that the formatter can write them back. */
static void collect_comments(ParseCtx *c, int from, int to)
{
    const char *s = c->src;
    Program *p = c->prog;
    int i = from;
    while (i < to) {
        if (s[i] == '#' || (s[i] == '/' && i + 1 < to && s[i + 1] == '/')) {
            int e = i;
            while (e < to && s[e] != '\n') e++;
            Span sp = {i, e - i};
            p->comments = ast_list_push(c->arena, p->comments, &p->ncomments, sizeof(Span), &sp);
            i = e;
        } else if (s[i] == '/' && i + 1 < to && s[i + 1] == '*') {
            int e = i + 2;
            while (e + 1 < to && !(s[e] == '*' && s[e + 1] == '/')) e++;
            e = e + 2 <= to ? e + 2 : to;
            Span sp = {i, e - i};
            p->comments = ast_list_push(c->arena, p->comments, &p->ncomments, sizeof(Span), &sp);
            i = e;
        } else i++;
    }
}

Program *vm_parse(Arena *a, DiagList *d, const char *src, size_t len)
{
    struct { ParseCtx c; ParseState ps; } st;
    memset(&st, 0, sizeof st);
    ParseCtx *c = &st.c;
    c->arena = a;
    c->diags = d;
    c->src = src;
    c->prog = arena_zalloc(a, sizeof(Program));
    c->prog->src = src;
    void *p = vm_parserAlloc(malloc, c);
    int off = 0;
    for (;;) {
        Token t;
        memset(&t, 0, sizeof t);
        int tk = vm_lex(src, off, &t);
        if (tk == LEX_EOF && (size_t)t.off < len) {
            diag_add(d, DIAG_ERROR, (Span){t.off, 1}, "unexpected NUL byte in the model");
            c->failed = 1;
            break;
        }
        if (tk == LEX_STRAY) {
            unsigned char ch = (unsigned char)src[t.off];
            if (ch == '"')
                diag_add(d, DIAG_ERROR, tok_span(t), "unterminated string: '\"' has no matching '\"' on its line");
            else if (ch >= 32 && ch < 127)
                diag_add(d, DIAG_ERROR, tok_span(t), "unexpected character '%c'", ch);
            else if (ch >= 0x80)
                diag_add(d, DIAG_ERROR, tok_span(t), "non-ASCII character: names use only ASCII letters, digits and '_'");
            else
                diag_add(d, DIAG_ERROR, tok_span(t), "unexpected control character 0x%02x", ch);
            c->failed = 1;
            break;
        }
        if (tk == LEX_UNTERMINATED) {
            diag_add(d, DIAG_ERROR, tok_span(t), "unterminated comment: '/*' has no matching '*/'");
            c->failed = 1;
            break;
        }
        if (tk == LEX_BIGREAL) {
            diag_add(d, DIAG_ERROR, tok_span(t), "real literal is too large (the largest real is about 1.8e308)");
            c->failed = 1;
            break;
        }
        if (tk == LEX_BIGINT) {
            diag_add(d, DIAG_ERROR, tok_span(t), "integer literal is out of the int range, -2147483647 to 2147483647");
            c->failed = 1;
            break;
        }
        t.type = tk;
        st.ps.cur = t;
        collect_comments(c, off, t.off);
        vm_parser(p, tk, t);
        if (c->failed || tk == LEX_EOF) break;
        st.ps.prev2 = st.ps.prev;
        st.ps.have_prev2 = st.ps.have_prev;
        st.ps.prev = t;
        st.ps.have_prev = 1;
        if (tk == LBRACE) { if (st.ps.nopen < MAX_OPEN) st.ps.open[st.ps.nopen] = t.off; st.ps.nopen++; }
        if (tk == RBRACE && st.ps.nopen > 0) st.ps.nopen--;
        off = t.off + t.len;
    }
    vm_parserFree(p, free);
    return c->failed ? NULL : c->prog;
}
