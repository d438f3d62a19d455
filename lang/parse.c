/* The parse loop: skip nothing (the lexer does), push tokens into the Lemon parser,
 * stop at the first syntax error (later ones would be noise). */
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
    "'cov_matrix'", "'corr_matrix'", "an identifier", "an integer", "a real number",
    "'('", "')'", "'['", "']'", "'{'", "'}'", "','", "';'", "':'", "'?'", "'|'", "'~'",
    "'='", "'+='", "'-='", "'*='", "'/='", "'+'", "'-'", "'*'", "'/'", "'%'", "'^'", "'.*'",
    "'./'", "'\\'", "'''", "'<'", "'<='", "'>'", "'>='", "'=='", "'!='", "'&&'", "'||'", "'!'",
};

const char *vm_token_desc(int major)
{
    if (major >= 0 && (size_t)major < sizeof tokdesc / sizeof *tokdesc) return tokdesc[major];
    return "a token";
}

/* The parser state is opaque, so the message is built from the token seen and the
 * one before it: a statement that is not closed is the most common mistake. */
typedef struct ParseState { Token prev; int have_prev; } ParseState;
static ParseState *pstate(ParseCtx *c) { return (ParseState *)(c + 1); }

void vm_syntax_error(ParseCtx *c, int major, Token t)
{
    if (c->failed) return;
    c->failed = 1;
    ParseState *ps = pstate(c);
    const char *what = vm_token_desc(major);
    if (major == IDENT || major == INTLIT || major == REALLIT) {
        char *txt = strndup(c->src + t.off, (size_t)t.len);
        if (ps->have_prev && ps->prev.type != SEMI && ps->prev.type != RBRACE && ps->prev.type != LBRACE &&
            memchr(c->src + ps->prev.off, '\n', (size_t)(t.off - ps->prev.off)))
            diag_add(c->diags, DIAG_ERROR, (Span){ps->prev.off + ps->prev.len, 1},
                     "expected ';' after %s", vm_token_desc(ps->prev.type));
        else
            diag_add(c->diags, DIAG_ERROR, tok_span(t), "syntax error: unexpected '%s'", txt);
        free(txt);
        return;
    }
    if (major == 0) {
        diag_add(c->diags, DIAG_ERROR, tok_span(t), "syntax error: unexpected end of input (missing ';' or '}'?)");
        return;
    }
    if (ps->have_prev && ps->prev.type != SEMI && ps->prev.type != RBRACE && ps->prev.type != LBRACE &&
        (major == DATA || major == PARAM || major == LET || major == GEN || major == FOR || major == IF ||
         major == WHILE || major == TARGET) &&
        memchr(c->src + ps->prev.off, '\n', (size_t)(t.off - ps->prev.off))) {
        diag_add(c->diags, DIAG_ERROR, (Span){ps->prev.off + ps->prev.len, 1},
                 "expected ';' after %s", vm_token_desc(ps->prev.type));
        return;
    }
    diag_add(c->diags, DIAG_ERROR, tok_span(t), "syntax error: unexpected %s", what);
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
            if (ch >= 32 && ch < 127)
                diag_add(d, DIAG_ERROR, tok_span(t), "unexpected character '%c'", ch);
            else
                diag_add(d, DIAG_ERROR, tok_span(t), "unexpected byte 0x%02x", ch);
            c->failed = 1;
            break;
        }
        if (tk == LEX_UNTERMINATED) {
            diag_add(d, DIAG_ERROR, tok_span(t), "unterminated comment: '/*' has no matching '*/'");
            c->failed = 1;
            break;
        }
        if (tk == LEX_BIGINT) {
            diag_add(d, DIAG_ERROR, tok_span(t), "integer literal is too large (the largest int is 2147483647)");
            c->failed = 1;
            break;
        }
        t.type = tk;
        vm_parser(p, tk, t);
        if (c->failed || tk == LEX_EOF) break;
        st.ps.prev = t;
        st.ps.have_prev = 1;
        off = t.off + t.len;
    }
    vm_parserFree(p, free);
    return c->failed ? NULL : c->prog;
}
