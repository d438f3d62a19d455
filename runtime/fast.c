/* Fast paths for the density statements that dominate regressions:
 *     y ~ normal(a + b * x + ..., sigma)      (and target += normal_lpdf(...))
 *     y ~ bernoulli_logit(a + b * x + ...)    y ~ poisson_log(a + b * x + ...)
 *
 * The location is kept as an affine form, offset + sum_j coef_j * x_j with scalar
 * coefficients (parameters or not) and data vectors x_j, instead of being evaluated
 * into a vector with one tape variable and one or two triples per element: the
 * kernel computes d lp / d mu_k, and the chain rule through the affine form is a
 * dot product per coefficient (Stan's operands_and_partials, fused with the linear
 * predictor).  The whole statement is one tape variable with a few triples.
 *
 * Anything unusual (an argument the kernel would reject, a parameter-dependent
 * x_j, sizes that differ) falls back to the generic call_dist with the values
 * already computed, so values, partials and error messages are exactly those of
 * the generic path. */
#include <math.h>
#include <string.h>
#include "runtime/eval.h"
#include "stdlib/dist.h"
#include "stdlib/dist_sf.h"
#include "stdlib/mathfn_impl.h"
#include "runtime/vecmath.h"
#include "runtime/plan.h"
#include "runtime/model.h"

#define FAST_MAXTERMS 32

/* Two doubles as one SSE2 register (GCC and Clang vector extension). */
typedef double v2d __attribute__((vector_size(16)));

extern const Dist dist_normal, dist_bernoulli_logit, dist_poisson_log;

typedef struct AffTerm {
    double c;                 /* the term's coefficient (value) */
    double d;                 /* d term / d (its tape variable) = d * x (d alone without x) */
    int32_t id;               /* tape variable, -1 for a constant */
    const double *x;          /* data vector, NULL for the constant 1 */
    const int32_t *vid;       /* x's tape variables when x is a parameter vector (c constant) */
} AffTerm;

typedef struct Aff {
    int nt, n;                /* terms; vector length (-1: no vector term yet) */
    AffTerm t[FAST_MAXTERMS];
    Val shape;                /* a vector leaf: kind and dims of the result */
} Aff;

static int is_scalar_ty(Ty t) { return t.narr == 0 && t.kind == TK_SCALAR; }

/* Worth trying: sums and products, not all scalar (in a vectorised loop the
 * checker's scalar types hold vectors, so there any sum or product is tried). */
static int aff_candidate(const Ev *ev, const Expr *e)
{
    if (e->kind != E_BINOP || !(e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL || e->op == OP_EMUL)) return 0;
    return ev->vec_depth > 0 || !is_scalar_ty(e->ty);
}

static int aff_add(Aff *a, double c, double d, int32_t id, const double *x, const int32_t *vid)
{
    if (a->nt == FAST_MAXTERMS) return -1;
    a->t[a->nt++] = (AffTerm){c, d, id, x, vid};
    return 0;
}

/* A scalar times a value v (scalar or data vector). */
static int aff_term(Ev *ev, Aff *a, double s, double c, int32_t id, Val v)
{
    if (v.base == TB_INT && v.n == 1 && v.iv[0] == INT32_MIN) return -1;
    if (v.ndim == 0) {
        if (v.id && id >= 0) return -1;
        double x = v.base == TB_INT ? v.iv[0] : v.x[0];
        if (v.id) return aff_add(a, s * c * x, s * c, v.id[0], NULL, NULL);
        return aff_add(a, s * c * x, s * x, id, NULL, NULL);
    }
    if ((v.id && id >= 0) || (a->n >= 0 && v.n != a->n)) return -1;
    v = val_to_real(ev, v);
    if (a->n < 0) a->shape = v;
    a->n = v.n;
    if (v.id) return aff_add(a, s * c, s * c, -1, v.x, v.id);    /* constant times a parameter vector */
    return aff_add(a, s * c, s, id, v.x, NULL);
}

/* X[n] * b in a vectorised run (vec_rowprod_shape): a term per column k of the data
 * matrix X, b[k] times column k's rows lo..hi (adjacent: X is column-major), so that
 * the kernel's partials reach b as one dot product per column and no row has a tape
 * variable. */
static int aff_rows(Ev *ev, const Expr *e, double s, Aff *a)
{
    const Val *X = &ev->env[e->args[0]->args[0]->slot];
    if (X->base != TB_REAL || X->id || !X->x || X->ndim != 2) return -1;
    int K = X->dims[1], m = ev->vec_hi - ev->vec_lo + 1, ld;
    const double *A = vec_rows(ev, X, &ld);   /* a branch's rows (not adjacent) gathered */
    if (!A) {                         /* the loop runs one iteration at a time, for the message */
        ev_error(ev, e->span, "vectorised row product");
        return -1;
    }
    if ((a->n >= 0 && a->n != m) || a->nt + K > FAST_MAXTERMS) return -1;
    Val b = eval_expr(ev, e->args[1]);
    if (ev->fail || b.ndim != 1 || b.n != K) return -1;
    b = val_to_real(ev, b);
    if (a->n < 0) a->shape = (Val){.base = TB_REAL, .kind = TK_VECTOR, .ndim = 1, .n = m, .dims = {m}};
    a->n = m;
    for (int k = 0; k < K; k++)
        if (aff_add(a, s * b.x[k], s, b.id ? b.id[k] : -1, A + (long)k * ld, NULL)) return -1;
    return 0;
}

/* Evaluate e (sign s) into a.  -1: not affine after all (e must be re-evaluated). */
static int aff_eval(Ev *ev, const Expr *e, double s, Aff *a)
{
    if (ev->vec_depth && vec_rowprod_shape(e, ev->vec_slot)) return aff_rows(ev, e, s, a);
    if (e->kind == E_BINOP && (e->op == OP_ADD || e->op == OP_SUB)) {
        if (aff_eval(ev, e->args[0], s, a)) return -1;
        return aff_eval(ev, e->args[1], e->op == OP_SUB ? -s : s, a);
    }
    if (e->kind == E_BINOP && (e->op == OP_MUL || e->op == OP_EMUL)) {
        if (e->op == OP_MUL && !is_scalar_ty(e->args[0]->ty) && !is_scalar_ty(e->args[1]->ty)) return -1;
        /* a product of two parameter-dependent values is not affine: give up before
         * evaluating them (the caller evaluates e the ordinary way) */
        if (e->args[0]->level >= LV_PARAM && e->args[1]->level >= LV_PARAM) return -1;
        Val u = eval_expr(ev, e->args[0]);
        Val v = eval_expr(ev, e->args[1]);
        if (ev->fail) return -1;
        if (u.ndim && v.ndim) return -1;
        if (v.ndim == 0) { Val t = u; u = v; v = t; }     /* u the scalar */
        if (u.base == TB_INT && u.iv[0] == INT32_MIN) return -1;
        double c = u.base == TB_INT ? u.iv[0] : u.x[0];
        if (u.id) return aff_term(ev, a, s, c, u.id[0], v);
        return aff_term(ev, a, s, c, -1, v);
    }
    if (!is_scalar_ty(e->ty) && e->level >= LV_PARAM) return -1;
    Val v = eval_expr(ev, e);
    if (ev->fail) return -1;
    return aff_term(ev, a, s, 1, -1, v);
}

/* mu = the affine form's values, into out[0..n): the data terms four at a time (a
 * regression's columns: one pass over out instead of one per column), each element's
 * additions in the terms' order, as one at a time. */
static void aff_values(const Aff *a, double *out)
{
    double off = 0, c[FAST_MAXTERMS];
    const double *x[FAST_MAXTERMS];
    int nx = 0, n = a->n;
    for (int j = 0; j < a->nt; j++) {
        if (!a->t[j].x) off += a->t[j].c;
        else { x[nx] = a->t[j].x; c[nx++] = a->t[j].c; }
    }
    int j = 0;
    if (nx >= 4) {
        const double *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
        for (int k = 0; k < n; k++) out[k] = off + c[0] * x0[k] + c[1] * x1[k] + c[2] * x2[k] + c[3] * x3[k];
        j = 4;
    } else {
        for (int k = 0; k < n; k++) out[k] = off;
    }
    for (; j + 4 <= nx; j += 4) {
        const double *x0 = x[j], *x1 = x[j + 1], *x2 = x[j + 2], *x3 = x[j + 3];
        double c0 = c[j], c1 = c[j + 1], c2 = c[j + 2], c3 = c[j + 3];
        for (int k = 0; k < n; k++) out[k] = out[k] + c0 * x0[k] + c1 * x1[k] + c2 * x2[k] + c3 * x3[k];
    }
    for (; j < nx; j++) {
        const double *xj = x[j];
        double cj = c[j];
        for (int k = 0; k < n; k++) out[k] += cj * xj[k];
    }
}

/* The form as an ordinary value (with tape variables if a coefficient has one). */
static Val aff_materialise(Ev *ev, const Aff *a)
{
    Val r = val_alloc(ev, TB_REAL, a->shape.kind, a->shape.narr, a->shape.dims);
    aff_values(a, r.x);
    int any = 0;
    for (int j = 0; j < a->nt; j++) any |= a->t[j].id >= 0 || a->t[j].vid;
    if (!any) return r;
    val_set_ids(ev, &r);
    for (int j = 0; j < a->nt; j++) {
        const AffTerm *t = &a->t[j];
        if (t->id >= 0) tape_push_run(ev, &t->id, 0, r.id[0], t->x, 1, t->d, r.n);
        if (t->vid) tape_push_run(ev, t->vid, 1, r.id[0], NULL, 0, t->d, r.n);
    }
    return r;
}

/* ---- the load-time verdict (plan_fast.c) ----
 * aff_eval's refusals that the types, levels and the loop variable decide, made once:
 * an expression the plan admits fails at run time only on data (sizes that differ, a
 * missing int), and one it refuses is never evaluated twice. */
static int aff_mentions(const Expr *e, const int *sl, int n)
{
    if (!e) return 0;
    if (e->kind == E_VAR) { for (int i = 0; i < n; i++) if (sl[i] == e->slot) return 1; return 0; }
    for (int i = 0; i < e->nargs; i++) if (aff_mentions(e->args[i], sl, n)) return 1;
    for (int i = 0; i < e->nidx; i++)
        if (aff_mentions(e->idx[i].a, sl, n) || aff_mentions(e->idx[i].b, sl, n)) return 1;
    return 0;
}

/* A vector at run time: a container, or in a vectorised loop a value that depends on
 * the loop variable or a body local (vs). */
static int aff_varies(const Expr *e, int vec, const int *vs, int nv)
{
    return !is_scalar_ty(e->ty) || (vec && aff_mentions(e, vs, nv));
}

static int aff_shape(const Expr *e, int vec, const int *vs, int nv, int *nt, int *nvec)
{
    if (vec && vec_rowprod_shape(e, vs[0])) {    /* a term per column: counted at run time */
        if (aff_mentions(e->args[1], vs, nv)) return 0;
        *nvec = 1;
        return ++*nt <= FAST_MAXTERMS;
    }
    if (e->kind == E_BINOP && (e->op == OP_ADD || e->op == OP_SUB))
        return aff_shape(e->args[0], vec, vs, nv, nt, nvec) && aff_shape(e->args[1], vec, vs, nv, nt, nvec);
    if (e->kind == E_BINOP && (e->op == OP_MUL || e->op == OP_EMUL)) {
        const Expr *u = e->args[0], *v = e->args[1];
        if (e->op == OP_MUL && !is_scalar_ty(u->ty) && !is_scalar_ty(v->ty)) return 0;
        if (u->level >= LV_PARAM && v->level >= LV_PARAM) return 0;
        int du = aff_varies(u, vec, vs, nv), dv = aff_varies(v, vec, vs, nv);
        if (du && dv) return 0;                /* u.ndim && v.ndim */
        *nvec |= du | dv;
        return ++*nt <= FAST_MAXTERMS;
    }
    if (!is_scalar_ty(e->ty) && e->level >= LV_PARAM) return 0;
    *nvec |= aff_varies(e, vec, vs, nv);
    return ++*nt <= FAST_MAXTERMS;
}

int fast_affine_plan(const Expr *e, int vec, const int *vs, int nv)
{
    if (e->kind != E_BINOP || !(e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL || e->op == OP_EMUL)) return 0;
    if (!vec && is_scalar_ty(e->ty)) return 0;
    int nt = 0, nvec = 0;
    return aff_shape(e, vec, vs, nv, &nt, &nvec) && nvec;   /* no vector: aff_eval's a.n < 0 */
}

int fast_dist_kind(const void *dist, int nex)
{
    const Dist *d = dist;
    return d == &dist_normal && nex == 3 ? 1 : d == &dist_bernoulli_logit && nex == 2 ? 2
         : d == &dist_poisson_log && nex == 2 ? 3 : 0;
}

int vm_plan_fast_check;
long vm_plan_fast_mismatch;

/* The per-evaluation verdict the plan replaces (tests only, vm_plan_fast_check): e's
 * values are computed and dropped. */
static int aff_dynamic(Ev *ev, const Expr *e)
{
    if (!aff_candidate(ev, e)) return 0;
    Aff a = {.nt = 0, .n = -1};
    return aff_eval(ev, e, 1, &a) == 0 && a.n >= 0 && !ev->fail;
}

/* 1 if e is planned affine in ev's context; -1 if the plan holds no verdict for it
 * (code outside the model's program): the candidate test at each call, as before. */
static int aff_planned(Ev *ev, const void *key, const Expr *e)
{
    if (!aff_candidate(ev, e)) return 0;     /* the plan admits no other (and this is cheaper) */
    const PlFast *f = ev->m ? plan_fast(ev->m->plan, key) : NULL;
    if (!f) return -1;
    int yes = (f->aff & (ev->vec_depth ? PL_AFF_VEC : PL_AFF)) != 0;
    if (vm_plan_fast_check) {          /* an evaluation that fails (a row out of range) agrees with either */
        int d = aff_dynamic(ev, e);
        if (!ev->fail && d != yes) vm_plan_fast_mismatch++;
    }
    return yes;
}

int fast_affine(Ev *ev, const Expr *e, Val *out)
{
    if (e->kind != E_BINOP || !aff_planned(ev, e, e)) return 0;
    Aff a = {.nt = 0, .n = -1};
    if (aff_eval(ev, e, 1, &a) == 0 && a.n >= 0) { *out = aff_materialise(ev, &a); return 1; }
    if (ev->fail) return 1;
    *out = eval_expr(ev, e);
    return 1;
}

/* Chain rule through the form: the coefficients' partials from g[k] = d lp / d mu_k.
 * The data terms' dot products four at a time (g read once per four columns), each
 * summed in k's order; the triples in the terms' order. */
static void aff_push(Ev *ev, const Aff *a, const double *g, int32_t out)
{
    double sum = 0, dot[FAST_MAXTERMS];
    int have_sum = 0, n = a->n, nd = 0, jd[FAST_MAXTERMS];
    for (int j = 0; j < a->nt; j++) if (a->t[j].id >= 0 && a->t[j].x) jd[nd++] = j;
    int i = 0;
    for (; i + 4 <= nd; i += 4) {
        const double *x0 = a->t[jd[i]].x, *x1 = a->t[jd[i + 1]].x, *x2 = a->t[jd[i + 2]].x, *x3 = a->t[jd[i + 3]].x;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int k = 0; k < n; k++) {
            double gk = g[k];
            s0 += gk * x0[k]; s1 += gk * x1[k]; s2 += gk * x2[k]; s3 += gk * x3[k];
        }
        dot[jd[i]] = s0; dot[jd[i + 1]] = s1; dot[jd[i + 2]] = s2; dot[jd[i + 3]] = s3;
    }
    for (; i < nd; i++) {
        const double *x = a->t[jd[i]].x;
        double s = 0;
        for (int k = 0; k < n; k++) s += g[k] * x[k];
        dot[jd[i]] = s;
    }
    for (int j = 0; j < a->nt; j++) {
        const AffTerm *t = &a->t[j];
        if (t->vid) tape_push_to(ev, t->vid, 1, out, g, 1, t->d, n);
        if (t->id < 0) continue;
        double s;
        if (t->x) s = dot[j];
        else {
            if (!have_sum) for (int k = 0; k < n; k++) sum += g[k];
            have_sum = 1;
            s = sum;
        }
        tape_push(ev, t->id, out, t->d * s);
    }
}

/* One vector term: mu_k = off + cx * x_k.  1 if a has that shape. */
static int aff1(const Aff *a, double *off, double *cx, const double **x)
{
    int nv = 0;
    *off = 0;
    for (int j = 0; j < a->nt; j++) {
        if (a->t[j].vid) return 0;
        if (a->t[j].x) { nv++; *cx = a->t[j].c; *x = a->t[j].x; }
        else *off += a->t[j].c;
    }
    return nv == 1;
}

/* aff_push for a one-vector form, given G0 = sum_k g_k and G1 = sum_k g_k x_k. */
static void aff1_push(Ev *ev, const Aff *a, double G0, double G1, int32_t out)
{
    for (int j = 0; j < a->nt; j++) {
        const AffTerm *t = &a->t[j];
        if (t->id >= 0) tape_push(ev, t->id, out, t->d * (t->x ? G1 : G0));
    }
}

/* An argument: a value, or (the location) an affine form. */
typedef struct FArg { Val v; int is_aff; Aff aff; } FArg;

/* The partial d of the statement's variable out in variable in, or with out -1 (a root
 * term) straight into in's adjoint. */
static inline void put_partial(Ev *ev, int32_t in, int32_t out, double d)
{
    if (out < 0) tape_seed(ev, in, d);
    else tape_push(ev, in, out, d);
}

/* Pushes the partials scale * g (length n, or one value when the argument has one
 * element) of argument a to the statement's variable out, or with out -1 (a root
 * term: tape_seed) adds them to the adjoints.  scale is 1, or -1 for a variate (a
 * density's partials in y are those in mu negated); an affine form is always a
 * location, pushed with 1. */
static void push_arg(Ev *ev, const FArg *a, const double *g, double scale, int n, int32_t out)
{
    if (a->is_aff) { aff_push(ev, &a->aff, g, out); return; }   /* never a root term's (k_normal) */
    if (!a->v.id) return;
    if (a->v.n == 1) {
        double s = 0;
        for (int k = 0; k < n; k++) s += g[k];
        put_partial(ev, a->v.id[0], out, scale * s);
        return;
    }
    if (out >= 0) { tape_push_to(ev, a->v.id, 1, out, g, 1, scale, n); return; }
    double *adj = tape_seed_adj(ev);  /* a root term's partials, straight in */
    if (!adj) return;
    const int32_t *id = a->v.id;
    for (int k = 0; k < n; k++) adj[id[k]] += scale * g[k];
}

static int needs(const FArg *a)
{
    if (!a->is_aff) return a->v.id != NULL;
    for (int j = 0; j < a->aff.nt; j++) if (a->aff.t[j].id >= 0 || a->aff.t[j].vid) return 1;
    return 0;
}

/* One scale's pass over n elements (a location each, ms, or one): the sum of the
 * squared z it returns, and each element's partial -z / sigma seeded into adj at y's
 * tape variables (then mu's summed into *gsum) or kept in gm.  The sums in four
 * lanes, elements k = j mod 4 in lane j: one sum would wait on each add (4 cycles an
 * element, 0.27 of ARMA(1,1)'s 2.5 us for T = 200); the last bits of a normal's
 * density moved with them (round 2 session 9), and so the NUTS chains. */
static inline __attribute__((always_inline)) double
nrm_pass(const double *yx, const double *mu, int ms, double is, int n, double *adj, const int32_t *yid,
         double *gm, double *gsum)
{
    double zs[4] = {0, 0, 0, 0}, gl[4] = {0, 0, 0, 0}, m0 = mu[0];
    int k = 0;
#define NRM_ONE(k, j) do { \
        double z = (yx[k] - (ms ? mu[k] : m0)) * is, g = z * is; \
        zs[j] += z * z; \
        if (adj) { gl[j] += g; adj[yid[k]] += -1.0 * g; } else gm[k] = g; \
    } while (0)
    for (; k + 4 <= n; k += 4) { NRM_ONE(k, 0); NRM_ONE(k + 1, 1); NRM_ONE(k + 2, 2); NRM_ONE(k + 3, 3); }
    for (; k < n; k++) NRM_ONE(k, 0);
#undef NRM_ONE
    if (gsum) *gsum = (gl[0] + gl[1]) + (gl[2] + gl[3]);
    return (zs[0] + zs[1]) + (zs[2] + zs[3]);
}

/* normal: -n log sqrt(2 pi) - sum log sigma_k - sum z_k^2 / 2, z = (y - mu) / sigma.
 * mu has n values, or one (ms = 0: a scalar location is not copied n times).  With one
 * scale an element that is not finite shows in the sum of squares: such a call is left
 * to call_dist. */
static int k_normal(Ev *ev, FArg *a, const double *mu, int ms, int n, int root, double *lp, int32_t *id)
{
    const Val *y = &a[0].v, *sg = &a[2].v;
    if (y->base != TB_REAL || sg->base != TB_REAL) return -1;
    int ny = y->n > 1, ns = sg->n > 1;
    int need_mu = needs(&a[1]), need_y = needs(&a[0]), need_s = needs(&a[2]);
    double *gm = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
    double *gs = ns && need_s ? arena_alloc(&ev->arena, sizeof(double) * (size_t)n) : NULL;
    int bad = 0;
    double zz = 0, lsum = 0, gsum = 0;
    double *adj = NULL;                /* y's partials seeded as computed (below) */
    if (!ns) {
        double s = sg->x[0];
        if (!(s > 0 && s < INFINITY)) return -1;
        double is = 1 / s;
        const double *yx = y->x;
        /* a root term's partials in y go into the adjoints in the same loop (no gm, no
         * second pass): y's tape variables, with mu's partial summed (a scalar
         * location), or none needed */
        const int32_t *yid = y->id;
        if (root && ny && need_y && !(need_mu && ms) && !a[1].is_aff) adj = tape_seed_adj(ev);
        if (adj && ms) zz = nrm_pass(yx, mu, 1, is, n, adj, yid, NULL, NULL);
        else if (adj) zz = nrm_pass(yx, mu, 0, is, n, adj, yid, NULL, &gsum);
        else if (ny && ms) zz = nrm_pass(yx, mu, 1, is, n, NULL, NULL, gm, NULL);
        else if (ny) zz = nrm_pass(yx, mu, 0, is, n, NULL, NULL, gm, NULL);   /* err ~ normal(0, sigma) */
        else
            for (int k = 0; k < n; k++) {
                double z = (yx[ny ? k : 0] - mu[ms ? k : 0]) * is;
                zz += z * z;
                gm[k] = z * is;
            }
        if (!isfinite(zz)) return -1;  /* (a seeded y too: the term is -inf, the gradient moot) */
        lsum = n * log(s);
        *lp = -n * DSF_LOG_SQRT_2PI - lsum - 0.5 * zz;
    } else {
        for (int k = 0; k < n; k++) {
            double yk = y->x[ny ? k : 0], m = mu[ms ? k : 0], s = sg->x[k];
            bad |= isnan(yk) | !isfinite(m) | !(s > 0 && s < INFINITY);
            double is = 1 / s, z = (yk - m) * is;
            zz += z * z;
            lsum += log(s);
            gm[k] = z * is;
            if (gs) gs[k] = (z * z - 1) * is;
        }
        if (bad) return -1;
        *lp = -n * DSF_LOG_SQRT_2PI - lsum - 0.5 * zz;
    }
    if (!(need_mu || need_y || need_s)) { *id = -1; return 0; }
    /* a root term (tape_seed): no variable, its partials straight into the adjoints */
    int32_t out = root && !a[1].is_aff ? -1 : tape_vars(ev, 1);
    *id = out;
    if (adj) {                         /* y's are in; mu a scalar, if it needs one */
        if (need_mu) put_partial(ev, a[1].v.id[0], out, 1 * gsum);
    } else {
        if (need_mu) push_arg(ev, &a[1], gm, 1, n, out);
        if (need_y) push_arg(ev, &a[0], gm, -1, n, out);
    }
    if (need_s) {
        if (ns) push_arg(ev, &a[2], gs, 1, n, out);
        else put_partial(ev, sg->id[0], out, (zz - n) / sg->x[0]);
    }
    return 0;
}

/* bernoulli_logit: log inv_logit(a) = min(a, 0) - log1p(exp(-|a|)), and
 * log(1 - inv_logit(a)) the same at -a; the partial is y - inv_logit(a), computed
 * without cancellation as Stan does.  One element from e = exp(-|a|) and l = log1p(e)
 * (computed a block at a time): the log pmf, and the partial in *g. */
static inline double bl_term(int y, double a, double e, double l, double *g)
{
    double big = 1 / (1 + e), small = e * big;    /* inv_logit(|a|), inv_logit(-|a|) */
    if (y) { *g = a >= 0 ? small : big; return (a < 0 ? a : 0) - l; }
    *g = -(a >= 0 ? big : small);
    return (a > 0 ? -a : 0) - l;
}

static int k_bernoulli_logit(Ev *ev, FArg *a, const double *al, int n, double *lp, int32_t *id)
{
    const Val *y = &a[0].v;
    if (y->base != TB_INT || y->id) return -1;
    int ny = y->n > 1, need = needs(&a[1]);
    double *g = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
    double s = 0;
    int bad = 0;
    double e[VM_VEC_BLOCK], l[VM_VEC_BLOCK];
    for (int k0 = 0; k0 < n; k0 += VM_VEC_BLOCK) {
        int m = n - k0 < VM_VEC_BLOCK ? n - k0 : VM_VEC_BLOCK;
        for (int j = 0; j < m; j++) e[j] = -fabs(al[k0 + j]);
        vm_vexp(e, e, m);
        vm_vlog1p(e, l, m);
        for (int j = 0; j < m; j++) {
            int k = k0 + j, yk = y->iv[ny ? k : 0];
            bad |= (yk != 0 && yk != 1) | isnan(al[k]);
            s += bl_term(yk, al[k], e[j], l[j], &g[k]);
        }
    }
    if (bad) return -1;
    *lp = s;
    if (!need) { *id = -1; return 0; }
    *id = tape_vars(ev, 1);
    push_arg(ev, &a[1], g, 1, n, *id);
    return 0;
}

/* poisson_log: n a - exp(a) - lgamma(n + 1); the partial is n - exp(a). */
static int k_poisson_log(Ev *ev, FArg *a, const double *al, int n, double *lp, int32_t *id)
{
    const Val *y = &a[0].v;
    if (y->base != TB_INT || y->id) return -1;
    int ny = y->n > 1, need = needs(&a[1]);
    double *g = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
    double s = 0;
    int bad = 0;
    double ex[VM_VEC_BLOCK];
    for (int k0 = 0; k0 < n; k0 += VM_VEC_BLOCK) {
        int m = n - k0 < VM_VEC_BLOCK ? n - k0 : VM_VEC_BLOCK;
        vm_vexp(al + k0, ex, m);
        for (int j = 0; j < m; j++) {
            int k = k0 + j;
            double yk = y->iv[ny ? k : 0], x = al[k];
            bad |= !(yk >= 0) | !isfinite(x);
            s += yk * x - ex[j] - mf_lfact(yk);
            g[k] = yk - ex[j];
        }
    }
    if (bad) return -1;
    *lp = s;
    if (!need) { *id = -1; return 0; }
    *id = tape_vars(ev, 1);
    push_arg(ev, &a[1], g, 1, n, *id);
    return 0;
}

/* The kernels below in one pass for mu_k = off + cx * x_k, the shape of most
 * regressions: no per-element partials, the coefficients' partials accumulated as
 * they go (hand-written C's loop).  -1: not that shape, or an invalid argument. */
static int k1_normal(Ev *ev, FArg *a, int n, double *lp, int32_t *id)
{
    double off = 0, cx = 0;
    const double *x = NULL;
    const Val *y = &a[0].v, *sg = &a[2].v;
    if (!aff1(&a[1].aff, &off, &cx, &x) || y->id || y->base != TB_REAL || sg->ndim || sg->base != TB_REAL) return -1;
    double s = sg->x[0];
    if (!(s > 0 && s < INFINITY)) return -1;
    const double *yx = y->x;
    int ny = y->ndim > 0;
    double is = 1 / s, sz = 0, szx = 0, szz = 0;
    int k = 0;
    if (ny) {                           /* two lanes of sums: half the instructions and add chain */
        v2d vsz = {0, 0}, vszx = {0, 0}, vszz = {0, 0};
        v2d voff = {off, off}, vcx = {cx, cx}, vis = {is, is};
        for (; k + 1 < n; k += 2) {
            v2d xv, yv;
            memcpy(&xv, x + k, sizeof xv);
            memcpy(&yv, yx + k, sizeof yv);
            v2d z = (yv - (voff + vcx * xv)) * vis;
            vsz += z;
            vszx += z * xv;
            vszz += z * z;
        }
        sz = vsz[0] + vsz[1];
        szx = vszx[0] + vszx[1];
        szz = vszz[0] + vszz[1];
    }
    for (; k < n; k++) {
        double z = (yx[ny ? k : 0] - (off + cx * x[k])) * is;
        sz += z;
        szx += z * x[k];
        szz += z * z;
    }
    /* a NaN variate or an infinite location makes the sums non-finite: the general
     * path then finds which element and says so */
    if (!isfinite(szz) || !isfinite(szx)) return -1;
    *lp = -n * DSF_LOG_SQRT_2PI - n * log(s) - 0.5 * szz;
    int need_s = sg->id != NULL;
    if (!needs(&a[1]) && !need_s) { *id = -1; return 0; }
    *id = tape_vars(ev, 1);
    aff1_push(ev, &a[1].aff, sz * is, szx * is, *id);
    if (need_s) tape_push(ev, sg->id[0], *id, (szz - n) * is);
    return 0;
}

static int k1_bernoulli_logit(Ev *ev, FArg *a, int n, double *lp, int32_t *id)
{
    double off = 0, cx = 0;
    const double *x = NULL;
    const Val *y = &a[0].v;
    if (!aff1(&a[1].aff, &off, &cx, &x) || y->id || y->base != TB_INT) return -1;
    int ny = y->ndim > 0, bad = 0;
    double s = 0, g0 = 0, g1 = 0;
    /* exp(-|v|) and its log1p a block at a time (vecmath: four lanes with AVX2), then one
     * branch-light pass for the sums */
    double v[VM_VEC_BLOCK], e[VM_VEC_BLOCK], l[VM_VEC_BLOCK];
    for (int k0 = 0; k0 < n; k0 += VM_VEC_BLOCK) {
        int m = n - k0 < VM_VEC_BLOCK ? n - k0 : VM_VEC_BLOCK;
        for (int j = 0; j < m; j++) {
            v[j] = off + cx * x[k0 + j];
            e[j] = -fabs(v[j]);
        }
        vm_vexp(e, e, m);
        vm_vlog1p(e, l, m);
        for (int j = 0; j < m; j++) {
            int yk = y->iv[ny ? k0 + j : 0];
            double g;
            bad |= (unsigned)yk > 1;
            s += bl_term(yk, v[j], e[j], l[j], &g);
            g0 += g;
            g1 += g * x[k0 + j];
        }
    }
    if (bad || !isfinite(s) || !isfinite(g1)) return -1;     /* NaN v: s is NaN */
    *lp = s;
    if (!needs(&a[1])) { *id = -1; return 0; }
    *id = tape_vars(ev, 1);
    aff1_push(ev, &a[1].aff, g0, g1, *id);
    return 0;
}

static int k1_poisson_log(Ev *ev, FArg *a, int n, double *lp, int32_t *id)
{
    double off = 0, cx = 0;
    const double *x = NULL;
    const Val *y = &a[0].v;
    if (!aff1(&a[1].aff, &off, &cx, &x) || y->id || y->base != TB_INT) return -1;
    int ny = y->ndim > 0, bad = 0;
    double s = 0, g0 = 0, g1 = 0;
    double v[VM_VEC_BLOCK], ex[VM_VEC_BLOCK];
    for (int k0 = 0; k0 < n; k0 += VM_VEC_BLOCK) {
        int m = n - k0 < VM_VEC_BLOCK ? n - k0 : VM_VEC_BLOCK;
        for (int j = 0; j < m; j++) v[j] = off + cx * x[k0 + j];
        vm_vexp(v, ex, m);
        for (int j = 0; j < m; j++) {
            int iy = y->iv[ny ? k0 + j : 0];
            double yk = iy;
            bad |= iy < 0;
            s += yk * v[j] - ex[j] - mf_lfact(yk);
            g0 += yk - ex[j];
            g1 += (yk - ex[j]) * x[k0 + j];
        }
    }
    if (bad || !isfinite(s) || !isfinite(g1)) return -1;     /* v = +-inf or NaN: s is not finite */
    *lp = s;
    if (!needs(&a[1])) { *id = -1; return 0; }
    *id = tape_vars(ev, 1);
    aff1_push(ev, &a[1].aff, g0, g1, *id);
    return 0;
}

/* The generic path, for its checks and messages. */
static int generic_vals(Ev *ev, const Dist *d, Val *args, int nex, Span sp, double *lp, int32_t *id)
{
    Val r = call_dist(ev, NULL, d, FN_DIST_LPDF, args, nex, sp);
    if (ev->fail) return 1;
    *lp = r.x[0];
    *id = r.id ? r.id[0] : -1;
    return 1;
}

static int fast_generic(Ev *ev, const Dist *d, const FArg *a, int nex, Span sp, double *lp, int32_t *id)
{
    Val args[DIST_MAX_ARGS_EV];
    for (int i = 0; i < nex; i++) args[i] = a[i].is_aff ? aff_materialise(ev, &a[i].aff) : a[i].v;
    return generic_vals(ev, d, args, nex, sp, lp, id);
}

/* fast_dist once its arguments are values (or the location an affine form). */
static int fast_run(Ev *ev, const Dist *d, int which, FArg *a, int nex, Span sp, int root, double *lp, int32_t *id)
{
    /* common length and the location's values */
    int n = -1;                        /* containers must agree; scalars broadcast */
    for (int i = 0; i < nex; i++) {
        if (!a[i].is_aff && a[i].v.ndim == 0) continue;
        int m = a[i].is_aff ? a[i].aff.n : a[i].v.n;
        if (n >= 0 && m != n) { n = 0; break; }
        n = m;
    }
    if (n < 0) n = 1;
    int rc = -1;
    if (n > 0 && a[1].is_aff) {
        if (which == 1) {
            if (a[0].v.base == TB_INT) a[0].v = val_to_real(ev, a[0].v);
            if (a[2].v.base == TB_INT) a[2].v = val_to_real(ev, a[2].v);
            rc = k1_normal(ev, a, n, lp, id);
        } else rc = which == 2 ? k1_bernoulli_logit(ev, a, n, lp, id) : k1_poisson_log(ev, a, n, lp, id);
        if (rc == 0) return 1;
    }
    if (n > 0) {
        const double *mu;
        int ms = 1;
        if (a[1].is_aff) {
            double *m = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
            aff_values(&a[1].aff, m);
            mu = m;
        } else if (a[1].v.n == n && a[1].v.base == TB_REAL) mu = a[1].v.x;
        else {
            Val v = val_to_real(ev, a[1].v);
            if (which == 1 && v.n == 1) {    /* normal's kernel takes one location as it is */
                mu = v.x;
                ms = 0;
            } else {
                double *m = arena_alloc(&ev->arena, sizeof(double) * (size_t)n);
                for (int k = 0; k < n; k++) m[k] = v.x[v.n == 1 ? 0 : k];
                mu = m;
            }
        }
        if (which == 1) {
            if (a[0].v.base == TB_INT) a[0].v = val_to_real(ev, a[0].v);
            if (a[2].v.base == TB_INT) a[2].v = val_to_real(ev, a[2].v);
            rc = k_normal(ev, a, mu, ms, n, root, lp, id);
        } else if (which == 2) rc = k_bernoulli_logit(ev, a, mu, n, lp, id);
        else rc = k_poisson_log(ev, a, mu, n, lp, id);
    }
    if (rc == 0) return 1;
    return fast_generic(ev, d, a, nex, sp, lp, id);
}

/* A family's scalar entry point (Dist.lp1) on one replicate of scalars v: 1 when done
 * (the value in *lp, its tape variable in *id), 0 when v has a container or the
 * family has no such entry, -1 when lp1 refuses an argument (call_dist says why). */
static int tilde_lp1(Ev *ev, const Dist *d, const Val *v, int nex, int root, double *lp, int32_t *id)
{
    if (!d->lp1 || nex > DIST_MAX_ARGS) return 0;
    double x[DIST_MAX_ARGS], g[DIST_MAX_ARGS];
    unsigned want = 0;
    for (int k = 0; k < nex; k++) {
        if (v[k].ndim != 0 || v[k].n != 1) return 0;
        x[k] = v[k].base == TB_INT ? (double)v[k].iv[0] : v[k].x[0];
        if (v[k].id && v[k].id[0] >= 0) want |= 1u << k;
    }
    double out;
    DistErr err;
    if (d->lp1(x, want, &out, g, &err) != 0 || isnan(out)) return -1;
    *lp = out;
    if (!want) { *id = -1; return 1; }
    *id = root ? -1 : tape_vars(ev, 1);
    for (int k = 0; k < nex; k++)
        if (want >> k & 1) put_partial(ev, v[k].id[0], *id, g[k]);
    return 1;
}

/* The operands of t: a variable's value from the environment, a literal as made at
 * load (real for normal's kernel).  0 when one is not set (the interpreter says so). */
static int operand_vals(Ev *ev, const PlTilde *t, int real, Val *v)
{
    for (int k = 0; k < t->n; k++) {
        if (t->slot[k] < 0) { v[k] = real ? t->cr[k] : t->c[k]; continue; }
        v[k] = ev->env[t->slot[k]];
        if (!v[k].x && !v[k].iv) return 0;
    }
    return 1;
}

/* A normal of three real scalars (`mu ~ normal(0, 5)`): k_normal's numbers and
 * partials without its arrays and its passes (35 ns a prior through fast_run, a
 * quarter of nested3's fixed cost).  0 when done; -1 for a scale k_normal refuses. */
static int tilde_normal1(Ev *ev, const Val *v, int root, double *lp, int32_t *id)
{
    double y = v[0].x[0], s = v[2].x[0];
    if (!(s > 0 && s < INFINITY)) return -1;
    double is = 1 / s, z = (y - v[1].x[0]) * is, g = z * is, zz = z * z;
    if (!isfinite(zz)) return -1;
    *lp = -1 * DSF_LOG_SQRT_2PI - 1 * log(s) - 0.5 * zz;
    if (!v[0].id && !v[1].id && !v[2].id) { *id = -1; return 0; }
    int32_t out = root ? -1 : tape_vars(ev, 1);
    *id = out;
    if (v[1].id) put_partial(ev, v[1].id[0], out, 1 * g);
    if (v[0].id) put_partial(ev, v[0].id[0], out, -1 * g);
    if (v[2].id) put_partial(ev, v[2].id[0], out, (zz - 1) / s);
    return 0;
}

static int fast_tilde(Ev *ev, const PlTilde *t, const Dist *d, int which, Span sp, int root, double *lp, int32_t *id)
{
    if (ev->vec_depth) return 0;      /* a vectorised run's scalars hold vectors */
    Val v[DIST_MAX_ARGS_EV];
    if (!operand_vals(ev, t, which == 1, v)) return 0;
    if (which == 1 && t->n == 3) {
        int sc = 1;
        for (int k = 0; k < 3; k++) sc &= v[k].ndim == 0 && v[k].n == 1 && v[k].base == TB_REAL;
        if (sc && tilde_normal1(ev, v, root, lp, id) == 0) return 1;
    }
    if (which) {                      /* a kernel's: 2 or 3 operands */
        FArg a[3];
        for (int k = 0; k < t->n; k++) { a[k].is_aff = 0; a[k].v = v[k]; }
        return fast_run(ev, d, which, a, t->n, sp, root, lp, id);
    }
    int rc = tilde_lp1(ev, d, v, t->n, root, lp, id);
    if (rc < 0) return generic_vals(ev, d, v, t->n, sp, lp, id);
    return rc;
}

int fast_dist(Ev *ev, const void *key, const void *dist, Expr *const *ex, int nex, Span sp, int root, double *lp,
              int32_t *id)
{
    const Dist *d = dist;
    const PlFast *f = ev->m ? plan_fast(ev->m->plan, key) : NULL;
    int which = f ? f->dist : fast_dist_kind(d, nex);
    if (f && f->tilde && fast_tilde(ev, f->tilde, d, which, sp, root, lp, id)) return 1;
    if (!which) return 0;
    int aff = aff_planned(ev, key, ex[1]);
    FArg a[3];
    for (int i = 0; i < nex; i++) {
        a[i].is_aff = 0;
        if (i == 1 && aff) {
            a[i].aff.nt = 0;
            a[i].aff.n = -1;
            if (aff_eval(ev, ex[i], 1, &a[i].aff) == 0 && a[i].aff.n >= 0) { a[i].is_aff = 1; continue; }
            if (ev->fail) return 1;
        }
        a[i].v = eval_expr(ev, ex[i]);
        if (ev->fail) return 1;
    }
    return fast_run(ev, d, which, a, nex, sp, root, lp, id);
}
