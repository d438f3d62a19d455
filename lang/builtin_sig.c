/* Signature strings for builtins: overloads separated by ';', each `RET(ARGS)`, one
 * letter per type:
 *   i int      r real (int promoted)   v vector   w row_vector   m matrix
 *   I int[]    R real[] (int[] promoted)   V vector[]   W row_vector[]   M matrix[]
 *   s sequence: vector, row_vector or a 1-d real/int array
 *   x any real or int value of any shape  a any value
 * Return letters: the same, plus '0'/'1' = the type of that argument with base real,
 * 'T' = the type of argument 0 unchanged, 'A' = an array of argument 0 with one
 * dimension per further argument, 'E' = the element type of argument 0 (one
 * array dimension removed). */
#include <string.h>
#include "lang/ir.h"

int ty_eq(Ty a, Ty b) { return a.base == b.base && a.kind == b.kind && a.narr == b.narr; }

static Ty T(int base, int kind, int narr) { return (Ty){(uint8_t)base, (uint8_t)kind, (uint8_t)narr}; }

static int match1(char c, Ty t)
{
    int num = t.base == TB_INT || t.base == TB_REAL;
    if (!num) return 0;
    switch (c) {
    case 'i': return t.base == TB_INT && t.kind == TK_SCALAR && t.narr == 0;
    case 'r': return t.kind == TK_SCALAR && t.narr == 0;
    case 'v': return t.kind == TK_VECTOR && t.narr == 0;
    case 'w': return t.kind == TK_ROWVEC && t.narr == 0;
    case 'm': return t.kind == TK_MATRIX && t.narr == 0;
    case 'I': return t.base == TB_INT && t.kind == TK_SCALAR && t.narr == 1;
    case 'R': return t.kind == TK_SCALAR && t.narr == 1;
    case 'V': return t.kind == TK_VECTOR && t.narr == 1;
    case 'W': return t.kind == TK_ROWVEC && t.narr == 1;
    case 'M': return t.kind == TK_MATRIX && t.narr == 1;
    case 's': return (t.narr == 0 && (t.kind == TK_VECTOR || t.kind == TK_ROWVEC)) ||
                     (t.narr == 1 && t.kind == TK_SCALAR);
    case 'x': return 1;
    case 'a': return 1;
    }
    return 0;
}

static Ty ret_of(char c, const Ty *args, int n)
{
    switch (c) {
    case 'i': return T(TB_INT, TK_SCALAR, 0);
    case 'r': return T(TB_REAL, TK_SCALAR, 0);
    case 'v': return T(TB_REAL, TK_VECTOR, 0);
    case 'w': return T(TB_REAL, TK_ROWVEC, 0);
    case 'm': return T(TB_REAL, TK_MATRIX, 0);
    case 'I': return T(TB_INT, TK_SCALAR, 1);
    case 'R': return T(TB_REAL, TK_SCALAR, 1);
    case 'V': return T(TB_REAL, TK_VECTOR, 1);
    case '0': case '1': { int k = c - '0'; Ty t = k < n ? args[k] : T(TB_ERR, 0, 0); t.base = TB_REAL; return t; }
    case 'T': return n ? args[0] : T(TB_ERR, 0, 0);
    case 'A': { Ty t = n ? args[0] : T(TB_ERR, 0, 0); t.narr = (uint8_t)(t.narr + n - 1); return t; }
    case 'E': { Ty t = n ? args[0] : T(TB_ERR, 0, 0); if (t.narr) t.narr--; else t.kind = TK_SCALAR; return t; }
    }
    return T(TB_ERR, 0, 0);
}

int sig_match(const char *sig, const Ty *args, int n, Ty *ret)
{
    const char *p = sig;
    while (*p) {
        char r = p[0];
        const char *a = p + 2;              /* after "R(" */
        int k = 0, ok = 1;
        while (*a && *a != ')') {
            if (*a == ',') { a++; continue; }
            if (k >= n || !match1(*a, args[k])) ok = 0;
            k++;
            a++;
        }
        if (ok && k == n) { *ret = ret_of(r, args, n); return 1; }
        p = strchr(p, ';');
        if (!p) break;
        p++;
    }
    return 0;
}

static const char *letter_name(char c)
{
    switch (c) {
    case 'i': return "int";
    case 'r': return "real";
    case 'v': return "vector";
    case 'w': return "row_vector";
    case 'm': return "matrix";
    case 'I': return "array[] int";
    case 'R': return "array[] real";
    case 'V': return "array[] vector";
    case 'W': return "array[] row_vector";
    case 'M': return "array[] matrix";
    case 's': return "vector|row_vector|array[] real";
    }
    return "any";
}

/* The argument lists of a signature string, for messages: "(real, int) or (vector)". */
void sig_render(const char *sig, Buf *b, int max)
{
    const char *p = sig;
    int k = 0;
    while (p && *p) {
        const char *next = strchr(p, ';');
        if (k == max) { buf_printf(b, " or ..."); break; }
        if (k) buf_printf(b, next || k + 1 == max ? ", " : " or ");
        buf_putn(b, "(", 1);
        int first = 1;
        for (const char *a = p + 2; *a && *a != ')'; a++) {
            if (*a == ',') continue;
            buf_printf(b, "%s%s", first ? "" : ", ", letter_name(*a));
            first = 0;
        }
        buf_putn(b, ")", 1);
        k++;
        p = next ? next + 1 : NULL;
    }
}
