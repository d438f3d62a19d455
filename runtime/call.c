/* Calls into the stdlib: element-wise math functions and vectorised distributions.
 * A distribution call is one tape node whose partials the kernel computes by hand. */
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "runtime/eval.h"
#include "stdlib/dist.h"
#include "stdlib/mathfn.h"
#include "stdlib/mathfn_impl.h"
#include "runtime/vecmath.h"

/* log(exp(u_k) + exp(w_k)), u_k = cu + x_k and w_k = cw + y_k, over vectors (or a
 * scalar and a vector) x, y of finite values: one exp and one log1p per element
 * through vecmath, the weights exp(u_k - v_k) and exp(w_k - v_k) from that exp (1 / (1
 * + e) for the larger).  With th (log_mix's theta, cu = log theta, cw = log(1 -
 * theta)) the weights reach theta too.  0 when done; -1 (nothing written) for a value
 * that is not finite, which the element loop handles with the edge cases. */
static int lse_vec(Ev *ev, const Val *x, const Val *y, double cu, double cw, const Val *th, Val *r, int any)
{
    enum { B = VM_VEC_BLOCK };
    const double *p1 = x->x, *p2 = y->x;
    int s1 = x->ndim > 0, s2 = y->ndim > 0;
    for (int k = 0; k < r->n; k++)
        if (!isfinite(p1[s1 * k]) || !isfinite(p2[s2 * k])) return -1;
    double e[B], l[B];
    for (int k0 = 0; k0 < r->n; k0 += B) {
        int m = r->n - k0 < B ? r->n - k0 : B;
        for (int j = 0; j < m; j++) {
            int k = k0 + j;
            e[j] = -fabs(cu + p1[s1 * k] - (cw + p2[s2 * k]));
        }
        vm_vexp(e, e, m);
        vm_vlog1p(e, l, m);
        for (int j = 0; j < m; j++) {
            int k = k0 + j;
            double u = cu + p1[s1 * k], w = cw + p2[s2 * k];
            r->x[k] = (u > w ? u : w) + l[j];
            if (!any) continue;
            double big = 1 / (1 + e[j]), small = e[j] * big;
            double pu = u >= w ? big : small, pw = u >= w ? small : big;
            if (th && th->id) tape_put(ev, th->id[0], r->id[k], pu / th->x[0] - pw / (1 - th->x[0]));
            if (x->id) tape_put(ev, x->id[s1 * k], r->id[k], pu);
            if (y->id) tape_put(ev, y->id[s2 * k], r->id[k], pw);
        }
    }
    return 0;
}

/* log_mix(theta, a, b) with a scalar theta in (0, 1) over vectors a, b (the shape of a
 * mixture summed in a vectorised loop): log theta and log(1 - theta) once */
static int log_mix_vec(Ev *ev, const Val *a, Val *r, int any)
{
    double th = a[0].x[0];
    if (a[0].ndim || !(th > 0 && th < 1)) return -1;
    return lse_vec(ev, &a[1], &a[2], log(th), log1p(-th), &a[0], r, any);
}

Val call_math(Ev *ev, const Expr *e, Val *args, int n)
{
    const MathFn *f = e->fn;
    if (f->arity == 0) return val_real(ev, f->c);
    int shape = -1;
    for (int i = 0; i < n; i++) if (args[i].ndim) { shape = i; break; }
    for (int i = 0; i < n; i++)
        if (args[i].ndim && args[i].n != args[shape].n) {
            ev_error(ev, e->span, "%s: arguments have %d and %d elements", f->name, args[shape].n, args[i].n);
            return val_real(ev, NAN);
        }
    if (e->ty.base == TB_INT) {       /* int-valued on ints: abs, ... */
        Val r = shape < 0 ? val_int(ev, 0) : val_alloc(ev, TB_INT, args[shape].kind, args[shape].narr, args[shape].dims);
        for (int k = 0; k < r.n; k++) {
            double x[3];
            for (int i = 0; i < n; i++) {
                int kk = args[i].ndim ? k : 0;
                x[i] = args[i].base == TB_INT ? args[i].iv[kk] : args[i].x[kk];
            }
            double y = f->arity == 1 ? f->f1(x[0], NULL) : f->arity == 2 ? f->f2(x[0], x[1], NULL, NULL)
                                                                        : f->f3(x[0], x[1], x[2], NULL, NULL, NULL);
            r.iv[k] = (int)y;
        }
        return r;
    }
    if (shape < 0) {                  /* all scalars: no shapes, no copies */
        double x[3] = {0, 0, 0}, d[3] = {0, 0, 0}, *dp[3] = {NULL, NULL, NULL}, y;
        int any = 0;
        for (int i = 0; i < n; i++) {
            const Val *v = &args[i];
            x[i] = v->base == TB_INT ? (v->iv[0] == INT_MIN ? NAN : v->iv[0]) : v->x[0];
            if (v->id) { dp[i] = &d[i]; any = 1; }
        }
        if (f->arity == 1) y = f->f1(x[0], dp[0]);
        else if (f->arity == 2) y = f->f2(x[0], x[1], dp[0], dp[1]);
        else y = f->f3(x[0], x[1], x[2], dp[0], dp[1], dp[2]);
        Val r = val_real(ev, y);
        if (!any) return r;
        val_set_ids(ev, &r);
        for (int i = 0; i < n; i++) if (args[i].id) tape_push(ev, args[i].id[0], r.id[0], d[i]);
        return r;
    }
    Val a[3];
    int any = 0;
    for (int i = 0; i < n; i++) { a[i] = val_to_real(ev, args[i]); if (a[i].id) any = 1; }
    Val r = shape < 0 ? val_real(ev, 0) : val_alloc(ev, TB_REAL, a[shape].kind, a[shape].narr, a[shape].dims);
    if (any) { val_set_ids(ev, &r); tape_reserve(ev, (long)n * r.n); }
    if (n == 3 && f->f3 == mf_log_mix && log_mix_vec(ev, a, &r, any) == 0) return r;
    if (n == 2 && f->f2 == mf_log_sum_exp && lse_vec(ev, &a[0], &a[1], 0, 0, NULL, &r, any) == 0) return r;
    for (int k = 0; k < r.n; k++) {
        double x[3], d[3] = {0, 0, 0}, y;
        int kk[3];
        for (int i = 0; i < n; i++) { kk[i] = a[i].ndim ? k : 0; x[i] = a[i].x[kk[i]]; }
        double *dp[3];
        for (int i = 0; i < 3; i++) dp[i] = i < n && a[i].id ? &d[i] : NULL;
        if (f->arity == 1) y = f->f1(x[0], dp[0]);
        else if (f->arity == 2) y = f->f2(x[0], x[1], dp[0], dp[1]);
        else y = f->f3(x[0], x[1], x[2], dp[0], dp[1], dp[2]);
        r.x[k] = y;
        if (any)
            for (int i = 0; i < n; i++)
                if (a[i].id) tape_put(ev, a[i].id[kk[i]], r.id[k], d[i]);
    }
    return r;
}

/* Name an element for messages: "scale[3]" for containers, "scale" for scalars. */
static void elem_name(char *buf, size_t n, const char *arg, const Val *v, long index)
{
    if (v->n <= 1) snprintf(buf, n, "%s", arg);
    else snprintf(buf, n, "%s[%ld]", arg, index + 1);
}

static const char *suffix_of(const void *dist, int fkind)
{
    const Dist *d = dist;
    switch (fkind) {
    case FN_DIST_CDF: return "_cdf";
    case FN_DIST_LCDF: return "_lcdf";
    case FN_DIST_LCCDF: return "_lccdf";
    case FN_DIST_RNG: return "_rng";
    default: return d->discrete ? "_lpmf" : "_lpdf";
    }
}

/* Gather arguments into DArgs: replicates n, element size per argument. */
/* codes: one letter per argument (dist.h); k0: index of the first argument in the
 * density's signature, for its name in messages. */
static int gather(Ev *ev, const Dist *d, const char *codes, int first, Val *args, int nargs, DArg *da, int *nrep,
                  Span sp, int fkind)
{
    int n = 1, have = 0;
    for (int i = 0; i < nargs; i++) {
        int k = i + first;                  /* index in the signature */
        char c = codes[i];
        if (k == 0 && d->discrete && c == 'R') c = 'I';
        Val *v = &args[i];
        DArg *a = &da[i];
        memset(a, 0, sizeof *a);
        int reps = 1;
        if (c == 'R' || c == 'I') {
            a->rows = a->cols = 1;
            reps = v->n;
            a->stride = v->ndim == 0 ? 0 : 1;
        } else if (c == 'V' || c == 'S' || c == 'K') {
            if (v->narr == 1 && v->kind != TK_SCALAR) { reps = v->dims[0]; a->rows = v->dims[1]; a->stride = 1; }
            else { reps = 1; a->rows = v->n; a->stride = 0; }
            a->cols = 1;
        } else {                            /* matrices */
            if (v->narr == 1) { reps = v->dims[0]; a->rows = v->dims[1]; a->cols = v->dims[2]; a->stride = 1; }
            else { a->rows = v->dims[0]; a->cols = v->dims[1]; a->stride = 0; }
        }
        if (c == 'I' || c == 'K') {
            if (v->base != TB_INT) return -1;
            a->iv = v->iv;
        } else {
            if (v->base != TB_REAL) *v = val_to_real(ev, *v);
            a->x = v->x;
        }
        if (a->stride) {
            if (have && reps != n) {
                ev_error(ev, sp, "%s%s: size mismatch: argument %s has %d elements, another has %d", d->name,
                         suffix_of(d, fkind), d->argnames[k] ? d->argnames[k] : "?", reps, n);
                ev->size_error = 1;
                return -1;
            }
            n = reps;
            have = 1;
        }
    }
    *nrep = have ? n : 1;
    if (have && n == 0) *nrep = 0;
    return 0;
}

Val call_dist(Ev *ev, const Expr *e, const void *dist, int fkind, Val *args, int n, Span sp)
{
    const Dist *d = dist;
    DArg da[DIST_MAX_ARGS];
    int first = fkind == FN_DIST_RNG ? 1 : 0;
    const char *codes = fkind == FN_DIST_RNG && d->rng_sig ? d->rng_sig : d->sig + first;
    int nrep;
    if (gather(ev, d, codes, first, args, n, da, &nrep, sp, fkind)) return val_real(ev, NAN);
    DistErr err = {0};
    if (fkind == FN_DIST_RNG) {
        if (!ev->rng) return val_real(ev, NAN);
        char c = d->sig[0];
        /* the draw's size: a vector as long as the first vector parameter, a K x K
         * matrix from the first matrix parameter or (lkj) the int K */
        int size = 1, K = 0;
        for (int i = 0; i < n && !K; i++) {
            char ci = codes[i];
            if (ci == 'V' || ci == 'S') K = da[i].rows;
            else if (ci == 'M' || ci == 'L' || ci == 'C') K = da[i].rows;
        }
        if (!K && (c == 'M' || c == 'L' || c == 'C'))
            for (int i = 0; i < n && !K; i++) if (codes[i] == 'I' && da[i].iv) K = da[i].iv[0];
        if (c == 'V' || c == 'S' || c == 'K') size = K > 0 ? K : 1;
        else if (c == 'M' || c == 'L' || c == 'C') size = K > 0 ? K * K : 1;
        int multi = c != 'R' && c != 'I';
        Val r;
        int scalar_out = e && e->ty.narr == 0 && e->ty.kind == TK_SCALAR;
        if (multi) {
            int dims[2] = {K, K};
            if (c == 'K') r = val_alloc(ev, TB_INT, TK_SCALAR, 1, dims);
            else r = val_alloc(ev, TB_REAL, c == 'V' || c == 'S' ? TK_VECTOR : TK_MATRIX, 0, dims);
        } else if (scalar_out) r = d->discrete ? val_int(ev, 0) : val_real(ev, 0);
        else {
            int dims[1] = {nrep};
            int narr = e && e->ty.narr == 0 ? 0 : 1, kind = e && e->ty.narr == 0 ? e->ty.kind : TK_SCALAR;
            r = val_alloc(ev, d->discrete ? TB_INT : TB_REAL, kind, narr, dims);
        }
        double tmp[64];
        double *out = size <= 64 ? tmp : arena_alloc(&ev->arena, sizeof(double) * (size_t)size);
        for (int i = 0; i < (scalar_out || multi ? 1 : nrep); i++) {
            if (d->rng(ev->rng, da, i, out, &err)) goto bad;
            for (int j = 0; j < size; j++) {
                if (r.base == TB_INT) r.iv[i * size + j] = (int)out[j];
                else r.x[i * size + j] = out[j];
            }
        }
        return r;
    }
    DistFn fn = fkind == FN_DIST_CDF ? d->cdf : fkind == FN_DIST_LCDF ? d->lcdf : fkind == FN_DIST_LCCDF ? d->lccdf : d->lpdf;
    double *part[DIST_MAX_ARGS] = {0}, one[DIST_MAX_ARGS];
    int any = 0;
    for (int i = 0; i < n; i++)
        if (args[i].id) {
            size_t len = (size_t)(da[i].stride ? nrep : 1) * (size_t)(da[i].rows * da[i].cols);
            if (len <= 1) { one[i] = 0; part[i] = &one[i]; }    /* a scalar's partial: no allocation */
            else part[i] = arena_zalloc(&ev->arena, sizeof(double) * len);
            any = 1;
        }
    double out = 0;
    if (nrep == 0) return val_real(ev, fkind == FN_DIST_CDF ? 1 : 0);
    if (fn(nrep, da, &out, part, &err)) goto bad;
    Val r = val_real(ev, out);
    if (any) {
        val_set_ids(ev, &r);
        for (int i = 0; i < n; i++)
            if (part[i])
                for (int k = 0; k < args[i].n; k++) tape_push(ev, args[i].id[k], r.id[0], part[i][k]);
    }
    return r;
bad:;
    int k = err.arg - first;
    char nm[96];
    const char *an = err.arg >= 0 && err.arg < d->nargs && d->argnames[err.arg] ? d->argnames[err.arg] : "argument";
    elem_name(nm, sizeof nm, an, k >= 0 && k < n ? &args[k] : &args[0], err.index);
    char val[40];
    snprintf(val, sizeof val, "%.6g", err.value);
    ev_error(ev, sp, "%s%s: %s is %s, but %s", d->name, suffix_of(d, fkind), nm, val, err.what ? err.what : "is invalid");
    return val_real(ev, NAN);
}
