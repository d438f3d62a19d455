#include "lang/diag.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diag_init(DiagList *d, const char *file, const char *src, size_t len)
{
    memset(d, 0, sizeof *d);
    d->file = file;
    d->src = src;
    d->srclen = len;
}

void diag_vadd(DiagList *d, DiagSeverity sev, Span sp, const char *fmt, va_list ap)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
    }
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    d->v[d->n++] = (Diag){sev, sp, msg};
    if (sev == DIAG_ERROR) d->nerrors++;
}

void diag_add(DiagList *d, DiagSeverity sev, Span sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, sev, sp, fmt, ap);
    va_end(ap);
}

void diag_line_col(const char *src, size_t len, int off, int *line, int *col)
{
    int l = 1, c = 1;
    for (int i = 0; i < off && (size_t)i < len; i++) {
        if (src[i] == '\n') { l++; c = 1; } else c++;
    }
    *line = l;
    *col = c;
}

void buf_putn(Buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
    /* most pieces are short: format on the stack, allocate only for long ones */
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) { buf_putn(b, small, (size_t)n); return; }
    char *s = NULL;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n > 0) buf_putn(b, s, (size_t)n);
    free(s);
}

static const char *sev_name[] = {"error", "warning", "note"};

char *diag_render(const DiagList *d)
{
    Buf b = {0};
    buf_putn(&b, "", 0);
    for (int i = 0; i < d->n; i++) {
        const Diag *g = &d->v[i];
        int line, col;
        int off = g->span.off;
        if (off < 0) off = 0;
        if ((size_t)off > d->srclen) off = (int)d->srclen;
        diag_line_col(d->src, d->srclen, off, &line, &col);
        buf_printf(&b, "%s:%d:%d: %s: %s\n", d->file, line, col, sev_name[g->sev], g->msg ? g->msg : "");
        if (!d->src) continue;
        int ls = off - (col - 1), le = off;
        while ((size_t)le < d->srclen && d->src[le] != '\n') le++;
        if (le > ls && d->src[le - 1] == '\r') le--;   /* CRLF files: no '\r' in the quoted line */
        buf_printf(&b, "    %.*s\n    ", le - ls, d->src + ls);
        for (int k = ls; k < off; k++) buf_putn(&b, d->src[k] == '\t' ? "\t" : " ", 1);
        buf_putn(&b, "^", 1);
        int len = g->span.len;
        if (off + len > le) len = le - off;        /* tildes stop at the line's end */
        for (int k = 1; k < len; k++) buf_putn(&b, "~", 1);
        buf_putn(&b, "\n", 1);
    }
    return b.s;
}

void diag_free(DiagList *d)
{
    for (int i = 0; i < d->n; i++) free(d->v[i].msg);
    free(d->v);
    memset(d, 0, sizeof *d);
}

int diag_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    int prev[65], cur[65];
    for (size_t j = 0; j <= m; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
        }
        memcpy(prev, cur, sizeof(int) * (m + 1));
    }
    return prev[m];
}
