/* User-defined functions, and print / reject / fatal_error.
 *
 * A call is interpreted: the body runs through the same evaluator (eval.c) as
 * top-level statements, so every operation records its partials on the same tape
 * and gradients flow through every real argument with no extra machinery; a call
 * costs what the inlined statements cost plus saving and restoring the function's
 * slots.  The checker gave the function's arguments and locals the slots
 * [slot_lo, slot_hi) of the environment; a call saves that range, binds the
 * arguments, runs the body and restores the range, which is what makes recursion
 * work (each activation sees its own arguments, the caller's come back after).
 * Arguments are read-only (sema.c), so they are bound without copying. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include "runtime/eval.h"
#include "runtime/model.h"

#define VM_MAX_CALL_DEPTH 10000
/* Stack that must remain free when a call starts: one level of nesting takes a few
 * kB (tens under ASan), and the library's kernels keep scratch buffers on the stack. */
#define VM_STACK_RESERVE ((size_t)512 << 10)

/* Whether this thread's stack is too nearly used up for another call.  The depth
 * count alone is no guard: 10,000 levels need more than the 8 MB of a default stack
 * (a runaway recursion crashed at about 3,000), and how much a level takes depends on
 * the build.  The limit is computed once per thread from its actual stack bounds. */
static int stack_exhausted(void)
{
#ifdef __GLIBC__
    static _Thread_local const char *floor_;
    static _Thread_local int known;
    const char *here = __builtin_frame_address(0);
    if (!known) {
        known = 1;
        pthread_attr_t at;
        void *lo;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &at) == 0) {
            if (pthread_attr_getstack(&at, &lo, &size) == 0 && size > 2 * VM_STACK_RESERVE &&
                (const char *)lo < here && here <= (const char *)lo + size)
                floor_ = (const char *)lo + VM_STACK_RESERVE;
            pthread_attr_destroy(&at);
        }
    }
    return floor_ && here < floor_;
#else
    return 0;
#endif
}

Val call_user(Ev *ev, const Expr *e, Val *args, int n)
{
    const FunDef *f = e->fn;
    if (!f || !f->body) { ev_error(ev, e->span, "function '%s' has no definition", e->name); return val_real(ev, NAN); }
    if (ev->call_depth >= VM_MAX_CALL_DEPTH) {
        ev_error(ev, e->span, "'%s': calls nested more than %d deep (runaway recursion?)", e->name, VM_MAX_CALL_DEPTH);
        return val_real(ev, NAN);
    }
    if (stack_exhausted()) {
        ev_error(ev, e->span, "'%s': calls nested %d deep use up the stack (runaway recursion?)", e->name, ev->call_depth);
        return val_real(ev, NAN);
    }
    int lo = f->slot_lo, nslot = f->slot_hi - f->slot_lo;
    Val *saved = arena_alloc(&ev->arena, sizeof(Val) * (size_t)(nslot ? nslot : 1));
    memcpy(saved, ev->env + lo, sizeof(Val) * (size_t)nslot);
    for (int i = 0; i < n && i < f->nparams; i++) {
        Val a = args[i];
        if (f->params[i].ty.base == TB_REAL) a = val_to_real(ev, a);
        ev->env[f->params[i].slot] = a;
    }
    /* a vectorised loop of the caller does not extend into the body */
    int vec_depth = ev->vec_depth;
    ev->vec_depth = 0;
    ev->call_depth++;
    exec_stmt(ev, f->body);
    ev->call_depth--;
    ev->vec_depth = vec_depth;
    Val r = ev->retval;
    int returned = ev->returning;
    ev->returning = 0;
    ev->retval = (Val){0};
    memcpy(ev->env + lo, saved, sizeof(Val) * (size_t)nslot);
    if (ev->fail) return val_real(ev, NAN);
    if (f->rty.base == TB_VOID) return val_real(ev, NAN);
    if (!returned) {
        ev_error(ev, e->span, "function '%s' ended without returning a value", f->name);
        return val_real(ev, NAN);
    }
    if (f->rty.base == TB_REAL) r = val_to_real(ev, r);
    return r;
}

/* The text of print/reject goes into a fixed buffer (no allocation: a model may
 * reject at every other evaluation); what does not fit is cut with "...". */
typedef struct Txt { char s[1024]; size_t n; } Txt;

static void txt_put(Txt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void txt_put(Txt *t, const char *fmt, ...)
{
    if (t->n >= sizeof t->s - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->s + t->n, sizeof t->s - t->n, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    t->n += (size_t)k;
    if (t->n >= sizeof t->s - 1) { t->n = sizeof t->s - 1; memcpy(t->s + t->n - 3, "...", 3); }
}

/* One argument of print/reject, as Stan prints it: scalars plainly, containers in
 * brackets, a matrix row by row. */
static void put_val(Txt *b, const Val *v)
{
    if (v->n == 1 && v->ndim == 0) {
        if (v->base == TB_INT) txt_put(b, "%d", v->iv[0]);
        else txt_put(b, "%g", v->x[0]);
        return;
    }
    txt_put(b, "[");
    int rows = v->kind == TK_MATRIX ? v->dims[v->narr] : 0, cols = rows ? v->dims[v->narr + 1] : 0;
    for (int i = 0; i < v->n; i++) {
        /* a matrix is stored column-major: print row by row */
        int k = i;
        if (rows && cols) {
            int blk = rows * cols, off = i / blk * blk, j = i % blk;
            k = off + (j % cols) * rows + j / cols;
        }
        if (i) txt_put(b, ",");
        if (v->base == TB_INT) txt_put(b, "%d", v->iv[k]);
        else txt_put(b, "%g", v->x[k]);
    }
    txt_put(b, "]");
}

void call_print(Ev *ev, const Expr *e)
{
    Txt b;
    b.n = 0;
    b.s[0] = 0;
    for (int i = 0; i < e->nargs && !ev->fail; i++) {
        const Expr *a = e->args[i];
        if (a->kind == E_STR) { txt_put(&b, "%s", a->name); continue; }
        Val v = eval_expr(ev, a);
        if (!ev->fail) put_val(&b, &v);
    }
    if (ev->fail) return;
    if (e->fkind == FN_PRINT) {
        if (!ev->quiet) fprintf(stderr, "%s\n", b.s);
    } else {
        ev_error(ev, e->span, "%s", b.s);
        ev->rejected = 1;
        if (e->fkind == FN_FATAL) ev->fatal = 1;
    }
}
