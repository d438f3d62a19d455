/* Diagnostics travel as values: each phase appends to a list and goes on; only the
 * caller prints (diag_render) and picks the exit status. */
#ifndef VM_DIAG_H
#define VM_DIAG_H
#include <stddef.h>
#include <stdarg.h>

typedef struct Span { int off, len; } Span;

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagSeverity;

typedef struct Diag {
    DiagSeverity sev;
    Span span;
    char *msg;
} Diag;

typedef struct DiagList {
    Diag *v;
    int n, cap;
    int nerrors;
    const char *file;          /* for rendering */
    const char *src;
    size_t srclen;
} DiagList;

void diag_init(DiagList *d, const char *file, const char *src, size_t len);
void diag_add(DiagList *d, DiagSeverity sev, Span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_vadd(DiagList *d, DiagSeverity sev, Span sp, const char *fmt, va_list ap);
/* `file:line:col: error: msg`, the source line, a caret and tildes under the span;
 * every diagnostic in order.  Returns a malloc'd string. */
char *diag_render(const DiagList *d);
void diag_line_col(const char *src, size_t len, int off, int *line, int *col);
void diag_free(DiagList *d);

/* Growable string buffer used by renderers and formatters. */
typedef struct Buf { char *s; size_t n, cap; } Buf;
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_putn(Buf *b, const char *s, size_t n);

/* Edit distance, for "did you mean" suggestions. */
int diag_edit_distance(const char *a, const char *b);
#endif
