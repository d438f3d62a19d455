/* vm_model_plan_describe (vmod.h): what the execution plan (plan.c) runs each loop of
 * the model with, one line per loop in source order, and for a loop left to the
 * interpreter the first construct the scalar compiler refused, with its position: the
 * user's lead to a faster model (`vrun --plan`). */
#include <stdio.h>
#include <stdlib.h>
#include "runtime/model.h"
#include "runtime/plan.h"
#include "runtime/scalar.h"
#include "lang/diag.h"

typedef struct Desc {
    const VmModel *m;
    FILE *f;
    int fun;                  /* in a function's body: a loop without a plan tries vectors */
} Desc;

static int line_of(const Desc *d, int off)
{
    int line = 1, col = 1;
    if (d->m->src) diag_line_col(d->m->src, d->m->srclen, off, &line, &col);
    return line;
}

/* the source text of span sp on one line, at most 60 characters */
static void excerpt(const Desc *d, Span sp)
{
    const char *s = d->m->src;
    if (!s || sp.off < 0 || (size_t)sp.off >= d->m->srclen) return;
    int n = sp.len < 60 ? sp.len : 57;
    fputc('`', d->f);
    for (int k = 0; k < n && (size_t)(sp.off + k) < d->m->srclen; k++) {
        char ch = s[sp.off + k];
        fputc(ch == '\n' || ch == '\t' ? ' ' : ch, d->f);
    }
    fputs(sp.len > n ? "...`" : "`", d->f);
}

/* s and what it holds; `in` the line of a loop around it whose program or vectors run
 * it (0: none) */
static void walk(Desc *d, const Stmt *s, int depth, int in, const char *inwhat)
{
    if (!s) return;
    switch (s->kind) {
    case S_BLOCK: for (int i = 0; i < s->nstmts; i++) walk(d, s->stmts[i], depth, in, inwhat); return;
    case S_IF: walk(d, s->body, depth, in, inwhat); walk(d, s->els, depth, in, inwhat); return;
    case S_FOR: case S_WHILE: break;
    default: return;
    }
    int line = line_of(d, s->span.off);
    const PlLoop *pl = plan_loop(d->m->plan, s);
    fprintf(d->f, "%s:%d: %*s%s loop: ", d->m->file ? d->m->file : "model", line, 2 * depth, "",
            s->kind == S_FOR ? "for" : "while");
    if (in) {
        fprintf(d->f, "in the %s of line %d\n", inwhat, in);
        walk(d, s->body, depth + 1, in, inwhat);
        return;
    }
    if (pl && pl->vec) {
        fputs("vectorised (all iterations at once)\n", d->f);
        walk(d, s->body, depth + 1, line, "vectorised loop");
    } else if (pl && pl->lin) {
        fprintf(d->f, "a linear recurrence (%d array%s assigned per step, the reverse pass one callback)\n",
                lr_neq(pl->lin), lr_neq(pl->lin) > 1 ? "s" : "");
        walk(d, s->body, depth + 1, line, "linear recurrence");
    } else if (pl && pl->sc) {
        int nm = sc_nmemo(pl->sc);
        fprintf(d->f, "a scalar program (%d operations", sc_nops(pl->sc));
        if (nm) fprintf(d->f, ", %d with memos", nm);
        int nb = sc_nbatch(pl->sc);
        if (nb) fprintf(d->f, ", %d loop%s with its iterations side by side", nb, nb > 1 ? "s" : "");
        int nv = sc_nvlse(pl->sc);
        if (nv) fprintf(d->f, ", %d sum%s and %s log_sum_exp as one", nv, nv > 1 ? "s" : "", nv > 1 ? "their" : "its");
        if (sc_npreval(pl->sc))
            fprintf(d->f, ", %d outer value%s computed once per run", sc_npreval(pl->sc), sc_npreval(pl->sc) > 1 ? "s" : "");
        fputs(")\n", d->f);
        walk(d, s->body, depth + 1, line, "scalar program");
    } else if (pl && pl->rec) {
        fputs("a recurrence (forward-mode program)\n", d->f);
        walk(d, s->body, depth + 1, line, "recurrence");
    } else if (!pl && d->fun && s->kind == S_FOR) {
        fputs("vectorised at each call if its iterations are independent, else the interpreter\n", d->f);
        walk(d, s->body, depth + 1, 0, NULL);
    } else {
        fputs("the interpreter, one statement at a time", d->f);
        if (pl && pl->why.len > 0) {
            int l = 1, c = 1;
            if (d->m->src) diag_line_col(d->m->src, d->m->srclen, pl->why.off, &l, &c);
            fprintf(d->f, ": line %d column %d is not compiled, ", l, c);
            excerpt(d, pl->why);
        } else if (pl || s->kind == S_FOR)
            fputs(": a loop inside runs as vectors", d->f);
        fputc('\n', d->f);
        walk(d, s->body, depth + 1, 0, NULL);
    }
}

char *vm_model_plan_describe(const VmModel *m)
{
    char *buf = NULL;
    size_t len = 0;
    Desc d = {.m = m, .f = open_memstream(&buf, &len)};
    if (!d.f) return NULL;
    const Program *p = m->ir->prog;
    for (int i = 0; i < p->nstmts; i++) walk(&d, p->stmts[i], 0, 0, NULL);
    for (int i = 0; i < p->nfuns; i++) {       /* a heading for a function with loops */
        const FunDef *fn = p->funs[i];
        char *fb = NULL;
        size_t fl = 0;
        Desc fd = {.m = m, .f = fn->body ? open_memstream(&fb, &fl) : NULL, .fun = 1};
        if (!fd.f) continue;
        walk(&fd, fn->body, 1, 0, NULL);
        fclose(fd.f);
        if (fl) fprintf(d.f, "in function %s:\n%s", fn->name, fb);
        free(fb);
    }
    fclose(d.f);
    return buf;
}
