/* The tokenizer: bytes in, one token out, no state (SQLite's sqlite3GetToken).  The
 * input ends in NUL, so `nul` is end of input and `[^]` a stray byte: no refill. */
#include <stdlib.h>
#include <errno.h>
#include "lang/lexer.h"
#include "parser.h"

int vm_lex(const char *src, int off, Token *t)
{
    const char *YYCURSOR, *YYMARKER, *start;
    YYCURSOR = src + off;
    for (;;) {
        start = YYCURSOR;
        t->off = (int)(start - src);
        t->ival = 0;
        t->rval = 0;
/*!re2c
        re2c:define:YYCTYPE = char;
        re2c:yyfill:enable = 0;
        re2c:flags:input = default;

        digit = [0-9];
        ident = [A-Za-z][A-Za-z0-9_]*;
        exp   = [eE] [+-]? digit+;
        real  = (digit+ "." digit* exp?) | ("." digit+ exp?) | (digit+ exp);

        [ \t\r\n\f\v]+       { continue; }
        "//" [^\n\x00]*      { continue; }
        "#" [^\n\x00]*       { continue; }
        "/*"                 { goto comment; }
        [\x00]               { t->len = 0; return LEX_EOF; }

        "data"               { t->len = 4; return DATA; }
        "param"              { t->len = 5; return PARAM; }
        "let"                { t->len = 3; return LET; }
        "gen"                { t->len = 3; return GEN; }
        "for"                { t->len = 3; return FOR; }
        "in"                 { t->len = 2; return IN; }
        "if"                 { t->len = 2; return IF; }
        "else"               { t->len = 4; return ELSE; }
        "while"              { t->len = 5; return WHILE; }
        "target"             { t->len = 6; return TARGET; }
        "lower"              { t->len = 5; return LOWER; }
        "upper"              { t->len = 5; return UPPER; }
        "array"              { t->len = 5; return ARRAY; }
        "void"               { t->len = 4; return VOID; }
        "return"             { t->len = 6; return RETURN; }
        ["] [^"\n\x00]* ["]  { t->len = (int)(YYCURSOR - start); return STRING; }
        "int"                { t->len = 3; return INT; }
        "real"               { t->len = 4; return REAL; }
        "vector"             { t->len = 6; return VECTOR; }
        "row_vector"         { t->len = 10; return ROW_VECTOR; }
        "matrix"             { t->len = 6; return MATRIX; }
        "simplex"            { t->len = 7; return SIMPLEX; }
        "ordered"            { t->len = 7; return ORDERED; }
        "positive_ordered"   { t->len = 16; return POSITIVE_ORDERED; }
        "cholesky_factor_corr" { t->len = 20; return CHOLESKY_FACTOR_CORR; }
        "cov_matrix"         { t->len = 10; return COV_MATRIX; }
        "corr_matrix"        { t->len = 11; return CORR_MATRIX; }
        "cholesky_factor_cov" { t->len = 19; return CHOLESKY_FACTOR_COV; }
        "unit_vector"        { t->len = 11; return UNIT_VECTOR; }
        "sum_to_zero_vector" { t->len = 18; return SUM_TO_ZERO_VECTOR; }

        ident                { t->len = (int)(YYCURSOR - start); return IDENT; }
        digit+               {
            t->len = (int)(YYCURSOR - start);
            errno = 0;
            t->ival = strtol(start, NULL, 10);
            if (errno == ERANGE || t->ival > 2147483647L) return LEX_BIGINT;
            return INTLIT;
        }
        real                 {
            t->len = (int)(YYCURSOR - start);
            t->rval = strtod(start, NULL);
            if (t->rval > 1.7976931348623157e308) return LEX_BIGREAL;   /* 1e999: no literal is infinite */
            return REALLIT;
        }

        "("  { t->len = 1; return LPAREN; }
        ")"  { t->len = 1; return RPAREN; }
        "["  { t->len = 1; return LBRACK; }
        "]"  { t->len = 1; return RBRACK; }
        "{"  { t->len = 1; return LBRACE; }
        "}"  { t->len = 1; return RBRACE; }
        ","  { t->len = 1; return COMMA; }
        ";"  { t->len = 1; return SEMI; }
        ":"  { t->len = 1; return COLON; }
        "?"  { t->len = 1; return QUESTION; }
        "|"  { t->len = 1; return BAR; }
        "~"  { t->len = 1; return TILDE; }
        "="  { t->len = 1; return ASSIGN; }
        "+=" { t->len = 2; return PLUSEQ; }
        "-=" { t->len = 2; return MINUSEQ; }
        "*=" { t->len = 2; return TIMESEQ; }
        "/=" { t->len = 2; return DIVEQ; }
        "+"  { t->len = 1; return PLUS; }
        "-"  { t->len = 1; return MINUS; }
        "*"  { t->len = 1; return TIMES; }
        "/"  { t->len = 1; return DIVIDE; }
        "%"  { t->len = 1; return MOD; }
        "^"  { t->len = 1; return POW; }
        ".*" { t->len = 2; return EMUL; }
        "./" { t->len = 2; return EDIV; }
        "\\" { t->len = 1; return LDIV; }
        "'"  { t->len = 1; return TRANSPOSE; }
        "<"  { t->len = 1; return LT; }
        "<=" { t->len = 2; return LE; }
        ">"  { t->len = 1; return GT; }
        ">=" { t->len = 2; return GE; }
        "==" { t->len = 2; return EQ; }
        "!=" { t->len = 2; return NE; }
        "&&" { t->len = 2; return AND; }
        "||" { t->len = 2; return OR; }
        "!"  { t->len = 1; return NOT; }
        [^]  { t->len = 1; return LEX_STRAY; }
*/
comment:
/*!re2c
        "*/"          { continue; }
        [\x00]        { t->len = 2; return LEX_UNTERMINATED; }
        [^]           { goto comment; }
*/
    }
}
