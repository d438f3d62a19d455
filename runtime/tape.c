#include <stdlib.h>
#include <string.h>
#include "runtime/eval.h"

static void *grow(void *p, long *cap, long need, size_t elem)
{
    if (need <= *cap) return p;
    long nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *q = realloc(p, (size_t)nc * elem);
    if (!q) abort();
    *cap = nc;
    return q;
}

int32_t tape_vars(Ev *ev, int n)
{
    int32_t b = ev->nvars;
    ev->nvars += n;
    return b;
}

/* Room for n more triples.  The arrays exist afterwards even for n = 0: callers take
 * the tape's end (ev->tin + ev->nt) before a loop of n, and an offset from a null
 * pointer is undefined (an empty vector's node as a gradient's first triples, found
 * by fuzz_run). */
void tape_reserve(Ev *ev, long n)
{
    if ((ev->nt + n <= ev->capt && ev->capt > 0) || ev->notape) return;
    long need = ev->nt + (n > 0 ? n : 1), cap = ev->capt;
    ev->tin = grow(ev->tin, &cap, need, sizeof(int32_t));
    cap = ev->capt;
    ev->tout = grow(ev->tout, &cap, need, sizeof(int32_t));
    cap = ev->capt;
    ev->td = grow(ev->td, &cap, need, sizeof(double));
    ev->capt = cap;
}

/* n triples (in[k * step], out0 + k, scale * src[k * sstep]), src NULL for a
 * constant partial: an element-wise node with fresh consecutive outputs. */
void tape_push_run(Ev *ev, const int32_t *in, int step, int32_t out0, const double *src, int sstep, double scale, int n)
{
    if (ev->notape) return;
    tape_reserve(ev, n);
    int32_t *ti = ev->tin + ev->nt, *to = ev->tout + ev->nt;
    double *td = ev->td + ev->nt;
    for (int k = 0; k < n; k++) { ti[k] = in[k * step]; to[k] = out0 + k; }
    if (src) for (int k = 0; k < n; k++) td[k] = scale * src[k * sstep];
    else for (int k = 0; k < n; k++) td[k] = scale;
    ev->nt += n;
}

void tape_push_to(Ev *ev, const int32_t *in, int step, int32_t out, const double *src, int sstep, double scale, int n)
{
    if (ev->notape) return;
    tape_reserve(ev, n);              /* one capacity check, the tape's ends in locals */
    int32_t *restrict ti = ev->tin + ev->nt, *restrict to = ev->tout + ev->nt;
    double *restrict td = ev->td + ev->nt;
    for (int k = 0; k < n; k++) { ti[k] = in[k * step]; to[k] = out; td[k] = scale * src[k * sstep]; }
    ev->nt += n;
}

void tape_push(Ev *ev, int32_t in, int32_t out, double d)
{
    if (ev->notape) return;
    if (ev->nt == ev->capt) tape_reserve(ev, 1);
    ev->tin[ev->nt] = in;
    ev->tout[ev->nt] = out;
    ev->td[ev->nt] = d;
    ev->nt++;
}

void tape_adj_grow(Ev *ev, int32_t n)
{
    if (n <= ev->capadj) return;
    int32_t cap = n < 1024 ? 2048 : 2 * n;
    double *adj = realloc(ev->adj, sizeof(double) * (size_t)cap);
    if (!adj) abort();                /* as the tape does: no way to go on */
    memset(adj + ev->capadj, 0, sizeof(double) * (size_t)(cap - ev->capadj));
    ev->adj = adj;
    ev->capadj = cap;
}

double *tape_seed_adj(Ev *ev)
{
    if (ev->notape) return NULL;
    tape_adj_grow(ev, ev->nvars);
    if (ev->nvars > ev->adj_used) ev->adj_used = ev->nvars;
    return ev->adj;
}

void tape_callback(Ev *ev, TapeFn fn, void *payload)
{
    if (ev->notape) return;
    if (ev->nseg == ev->capseg) {   /* the capacity after the growth: a failed realloc may not return */
        int cap = ev->capseg ? 2 * ev->capseg : 64;
        ev->segs = realloc(ev->segs, sizeof(Seg) * (size_t)cap);
        ev->capseg = cap;
    }
    ev->segs[ev->nseg++] = (Seg){ev->nt, fn, payload};
}

TapeMark tape_mark(const Ev *ev)
{
    return (TapeMark){ev->nt, ev->nvars, ev->nseg, ev->nlp, ev->lp_const,
                      ev->stmt_const ? ev->stmt_const[ev->cur_stmt] : 0};
}

void tape_undo(Ev *ev, const TapeMark *m)
{
    ev->nt = m->nt;
    ev->nvars = m->nvars;
    ev->nseg = m->nseg;
    ev->nlp = m->nlp;
    ev->lp_const = m->lp_const;
    if (ev->stmt_const) ev->stmt_const[ev->cur_stmt] = m->stmt_const;
}

static void sweep(Ev *ev, long from, long to)
{
    double *adj = ev->adj;
    const int32_t *in = ev->tin, *out = ev->tout;
    const double *d = ev->td;
    for (long t = from - 1; t >= to; t--) adj[in[t]] += adj[out[t]] * d[t];
}

void tape_backward(Ev *ev)
{
    long t = ev->nt;
    for (int s = ev->nseg - 1; s >= 0; s--) {
        sweep(ev, t, ev->segs[s].tend);
        ev->segs[s].fn(ev, ev->segs[s].payload);
        t = ev->segs[s].tend;
    }
    sweep(ev, t, 0);
}

void tape_free(Ev *ev)
{
    free(ev->tin); free(ev->tout); free(ev->td); free(ev->segs); free(ev->adj);
    free(ev->lp_ids); free(ev->lp_vals); free(ev->lp_stmt);
    vec_free(ev);
}

void tape_reset(Ev *ev)
{
    ev->nvars = 0;
    ev->nt = 0;
    ev->nseg = 0;
    ev->nlp = 0;
    ev->lp_const = 0;
}

void ev_add_term(Ev *ev, double x, int32_t id)
{
    if (id < 0) {
        ev->lp_const += x;
        if (ev->stmt_const) ev->stmt_const[ev->cur_stmt] += x;
        return;
    }
    if (ev->nlp == ev->caplp) {   /* the capacity after the growth: a failed realloc may not return */
        int cap = ev->caplp ? 2 * ev->caplp : 64;
        ev->lp_ids = realloc(ev->lp_ids, sizeof(int32_t) * (size_t)cap);
        ev->lp_vals = realloc(ev->lp_vals, sizeof(double) * (size_t)cap);
        ev->lp_stmt = realloc(ev->lp_stmt, sizeof(int32_t) * (size_t)cap);
        if (!ev->lp_ids || !ev->lp_vals || !ev->lp_stmt) abort();
        ev->caplp = cap;
    }
    ev->lp_ids[ev->nlp] = id;
    ev->lp_vals[ev->nlp] = x;
    ev->lp_stmt[ev->nlp] = ev->cur_stmt;
    ev->nlp++;
}
