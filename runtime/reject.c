/* Counting reject()s.  A model that rejects may do so at every other evaluation;
 * printing each message would bury the output, so each evaluator counts them per
 * reject statement (its source position) and keeps the first message, and the
 * driver prints one line per statement when the chain ends (vrun/session.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/model.h"

#define REJ_SITES 16

typedef struct RejSite { int off; long count; char first[200]; } RejSite;
struct RejTab { RejSite site[REJ_SITES]; int n; long other; };

void rej_record(Ev *ev)
{
    if (!ev->rej && !(ev->rej = calloc(1, sizeof *ev->rej))) return;
    struct RejTab *t = ev->rej;
    for (int i = 0; i < t->n; i++)
        if (t->site[i].off == ev->fail_span.off) { t->site[i].count++; return; }
    if (t->n == REJ_SITES) { t->other++; return; }
    RejSite *s = &t->site[t->n++];
    s->off = ev->fail_span.off;
    s->count = 1;
    snprintf(s->first, sizeof s->first, "%.199s", ev->msg);
}

char *rej_report(const Ev *ev)
{
    const struct RejTab *t = ev->rej;
    if (!t || (!t->n && !t->other)) return NULL;
    Buf b = {0};
    buf_putn(&b, "", 0);
    const Model *m = ev->m;
    for (int i = 0; i < t->n; i++) {
        int line = 0, col = 0;
        diag_line_col(m->src, m->srclen, t->site[i].off, &line, &col);
        buf_printf(&b, "reject at %s:%d:%d: %ld time%s; first message: %s\n", m->file ? m->file : "model",
                   line, col, t->site[i].count, t->site[i].count == 1 ? "" : "s", t->site[i].first);
    }
    if (t->other) buf_printf(&b, "reject elsewhere: %ld times\n", t->other);
    return b.s;
}

void rej_free(Ev *ev)
{
    free(ev->rej);
    ev->rej = NULL;
}
