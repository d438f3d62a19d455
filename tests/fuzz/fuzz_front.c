/* libFuzzer target over the whole front end: lexer, parser, checker, diagnostics and
 * formatter.  Besides crashes, leaks and hangs it checks one property: a model that
 * passes the checker formats to text that parses and checks again, and formatting that
 * text gives the same text (the formatter is a fixed point) with as many comments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lang/ir.h"

static char *front(const char *src, size_t len, int *ok, int *ncomments)
{
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, "fuzz.vmod", src, len);
    Program *p = vm_parse(&a, &d, src, len);
    Ir *ir = p ? vm_check(&a, &d, p) : NULL;
    char *msg = diag_render(&d);
    if (!msg) __builtin_trap();
    free(msg);
    char *f = ir ? vm_format(p) : NULL;
    *ok = ir != NULL;
    *ncomments = p ? p->ncomments : -1;
    diag_free(&d);
    arena_free(&a);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *src = malloc(size + 1);          /* the lexer reads up to a NUL */
    memcpy(src, data, size);
    src[size] = 0;
    int ok, nc1;
    char *f1 = front(src, size, &ok, &nc1);
    free(src);
    if (f1) {
        int ok2, nc2;
        char *f2 = front(f1, strlen(f1), &ok2, &nc2);
        if (!ok2 || !f2 || strcmp(f1, f2) != 0) __builtin_trap();   /* format is not a fixed point */
        if (nc1 != nc2) __builtin_trap();                           /* a comment was lost or split */
        free(f2);
        free(f1);
    }
    return 0;
}
