/* Data-only subexpressions evaluated once at load (runtime/hoist.c): every model
 * below gives the same log density and gradient with and without hoisting, at
 * several points and on repeated evaluations (a hoisted value written in place
 * would change the second one); random draws are never hoisted; an error inside a
 * data-only expression is still reported at run time with its position. */
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "lang/ir.h"
#include "runtime/ir_eval.h"
#include "runtime/model.h"
#include "runtime/simulate.h"

typedef struct Case { const char *name, *src; int min_hoisted; } Case;

static const Case cases[] = {
    /* a data-only expression inside a loop whose statements read a parameter, next
     * to one that reads the loop index (which must not be hoisted) */
    {"loop", "data int N = 4;\ndata vector[N] x = [1.5, 2, 3, 4.25]';\nparam real a;\nparam real<lower=0> s;\n"
             "for (n in 1:N) {\n  real w = log(x[n]) + sum(x) / N;\n"
             "  target += normal_lpdf(a * w | exp(-mean(x)) + n, s);\n}\na ~ normal(0, 1);\ns ~ normal(0, 1);\n", 2},
    /* a local initialised from data, then accumulated: c + x[n] reads data only, but
     * c changes between iterations (sema gives it the data level) */
    {"local", "data int N = 3;\ndata array[N] real x = {1.0, 2.0, 4.0};\nparam real a;\n"
              "{\n  real c = 0;\n  for (n in 1:N) {\n    c = c + x[n];\n    target += -square(a - c) - square(c * 0.5);\n  }\n}\n", 0},
    /* a while loop and a data-only condition; an int expression */
    {"while", "data int N = 5;\ndata vector[N] x = [1, 2, 3, 4, 5]';\nparam real a;\n"
              "{\n  int i = 1;\n  while (i <= N / 2 + 1) {\n    if (sum(x) > 3)\n      target += normal_lpdf(a | x[i] + max(x), 1 + min(x));\n"
              "    i = i + 1;\n  }\n}\n", 2},
    /* an untyped let takes a hoisted value, then one element is overwritten */
    {"alias", "data int N = 3;\ndata vector[N] x = [1, 2, 3]';\nparam real a;\n"
              "let z = rep_vector(1.0, N) .* x;\nz[1] = a;\nlet w = x;\nw[2] = 2 * a;\n"
              "a ~ normal(sum(rep_vector(1.0, N) .* x) + x[2], 1);\ntarget += sum(z) + sum(w);\n", 2},
    /* data-phase lets, a parameter-dependent let read later, a param bound */
    {"lets", "data int N = 3;\ndata vector[N] x = [0.5, 1, 2]';\nlet vector[N] lx = log(x);\nlet real m = mean(lx);\n"
             "param real<lower=min(x) - 1> a;\nlet real b = a * m;\nlet vector[N] mu = b + lx * sd(x);\n"
             "a ~ normal(m * 2, exp(m) + 1);\ntarget += -dot_self(mu - rep_vector(m, N));\n", 3},
    /* bounds known at load (ParamInfo.fixed): data vectors, lower and upper, offset and
     * multiplier, a let of data, an infinite bound; b's upper reads a, so it is not */
    {"bounds", "data int N = 3;\ndata vector[N] lo = [-1, 0, 0.5]';\nlet real hi = max(lo) + 2;\n"
               "param vector<lower=lo>[N] v;\nparam real<lower=-1, upper=hi> a;\nparam real<lower=a, upper=hi + 1> b;\n"
               "param vector<offset=lo, multiplier=hi>[N] w;\nparam real<upper=positive_infinity()> c;\n"
               "param vector<lower=lo, upper=lo + hi>[N] z;\n"
               "v ~ normal(0, 2);\na ~ normal(0, 1);\nb ~ normal(0, 1);\nw ~ normal(lo, hi);\nc ~ normal(0, 1);\n"
               "z ~ normal(0, 1);\n", 0},
    /* the matrix expression of gp_pois_regr */
    {"gp", "data int N = 3;\ndata array[N] real x = {-1.0, 0.5, 2.0};\ndata array[N] int k = {0, 3, 1};\n"
           "param real<lower=0> rho;\nparam real<lower=0> alpha;\nparam vector[N] f_tilde;\nlet vector[N] f;\n"
           "{\n  matrix[N, N] cov = gp_exp_quad_cov(x, alpha, rho) + diag_matrix(rep_vector(1e-10, N));\n"
           "  f = cholesky_decompose(cov) * f_tilde;\n}\nrho ~ gamma(25, 4);\nalpha ~ normal(0, 2);\n"
           "f_tilde ~ normal(0, 1);\nk ~ poisson_log(f);\n", 1},
};

static VmModel *load(const char *src, int hoist)
{
    vm_hoist_disabled = !hoist;
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    vm_hoist_disabled = 0;
    ck_assert_msg(m != NULL, "%s", msg ? msg : "");
    return m;
}

START_TEST(same_density)
{
    const Case *c = &cases[_i];
    VmModel *mh = load(c->src, 1), *mn = load(c->src, 0);
    ck_assert_int_eq(mn->nhoisted, 0);
    ck_assert_ptr_null(mn->hoisted);
    ck_assert_msg((mh->hoisted != NULL) == (mh->nhoisted > 0), "%s: table %p, %d hoisted", c->name,
                  (const void *)mh->hoisted, mh->nhoisted);
    ck_assert_msg(mh->nhoisted >= c->min_hoisted, "%s: %d hoisted, want >= %d", c->name, mh->nhoisted, c->min_hoisted);
    size_t d = vm_model_dim(mh);
    VmEval *eh = vm_eval_new(mh), *en = vm_eval_new(mn);
    double u[16], gh[16], gn[16];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int pt = 0; pt < 6; pt++) {
        for (size_t j = 0; j < d; j++) u[j] = gsl_ran_flat(r, -1.5, 1.5);
        for (int rep = 0; rep < 2; rep++) {
            double lh = 0, ln = 0;
            ck_assert_int_eq(vm_log_density(eh, u, 1, &lh, gh), 0);
            ck_assert_int_eq(vm_log_density(en, u, 1, &ln, gn), 0);
            ck_assert_msg(isfinite(ln), "%s: lp %g (%s)", c->name, ln, vm_eval_message(en));
            ck_assert_msg(lh == ln, "%s point %d rep %d: lp %.17g hoisted, %.17g not", c->name, pt, rep, lh, ln);
            for (size_t j = 0; j < d; j++)
                ck_assert_msg(gh[j] == gn[j], "%s point %d: grad[%zu] %.17g hoisted, %.17g not", c->name, pt, j, gh[j], gn[j]);
        }
    }
    gsl_rng_free(r);
    vm_eval_free(eh);
    vm_eval_free(en);
    vm_model_free(mh);
    vm_model_free(mn);
}
END_TEST

/* Which parameters' bounds are fixed at load: all but the one that reads a parameter,
 * none when hoisting is off (the case above compares the two bit for bit). */
START_TEST(bounds_fixed)
{
    const Case *c = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) if (!strcmp(cases[i].name, "bounds")) c = &cases[i];
    VmModel *mh = load(c->src, 1), *mn = load(c->src, 0);
    static const char *want[] = {"v", "a", "w", "c", "z"};
    int nfixed = 0;
    for (int i = 0; i < mh->nparams; i++) {
        const ParamInfo *pi = &mh->params[i];
        int listed = 0;
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) listed |= !strcmp(pi->decl->name, want[k]);
        ck_assert_msg(pi->fixed == listed, "%s: fixed %d", pi->decl->name, pi->fixed);
        nfixed += pi->fixed;
        ck_assert(!mn->params[i].fixed);
    }
    ck_assert_int_eq(nfixed, 5);
    vm_model_free(mh);
    vm_model_free(mn);
}
END_TEST

/* A data bound that is wrong is not fixed: the evaluation still reports it at the
 * declaration, in the words it always used. */
START_TEST(bad_bound_reported)
{
    const char *src = "data real l = 2;\nparam real<lower=l, upper=1> a;\na ~ normal(0, 1);\n";
    VmModel *m = load(src, 1);
    ck_assert(!m->params[0].fixed);
    VmEval *e = vm_eval_new(m);
    double u[1] = {0.1}, lp = 0;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
    ck_assert(lp == -INFINITY);
    char *x = vm_eval_explain(e);
    ck_assert_msg(x && strstr(x, "t.vmod:2:") && strstr(x, "lower 2 is not below upper 1"), "got: %s", x ? x : "(none)");
    free(x);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* A draw whose arguments are data only is made at every evaluation. */
START_TEST(rng_not_hoisted)
{
    const char *src = "data int N = 3;\ndata vector[N] x = [1, 2, 3]';\nparam real a;\na ~ normal(0, 1);\n"
                      "gen real y = normal_rng(sum(x), 1);\ngen vector[N] z = to_vector(normal_rng(x * 2, 1 + max(x)));\n";
    VmModel *m = load(src, 1);
    ck_assert_int_ge(m->nhoisted, 2);         /* sum(x), x * 2, 1 + max(x): the arguments only */
    VmEval *e = vm_eval_new(m);
    size_t nv = vm_model_nvalues(m);
    ck_assert_int_eq(nv, 5);
    double u[1] = {0.3}, o1[5], o2[5];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_int_eq(vm_write_values(e, u, r, o1), 0);
    ck_assert_int_eq(vm_write_values(e, u, r, o2), 0);
    for (size_t j = 1; j < nv; j++) ck_assert_msg(o1[j] != o2[j], "value %zu drawn twice the same: %g", j, o1[j]);
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Data-only expressions that fail: not hoisted, the error reported when the
 * statement runs, at the expression's line and column. */
typedef struct ErrCase { const char *src, *where, *msg; } ErrCase;

static const ErrCase errs[] = {
    {"data int N = 2;\ndata vector[N] x = [1, 2]';\nparam real a;\na ~ normal(0, 1);\ntarget += a * x[N + 1];\n",
     "t.vmod:5:17", "index"},
    {"data matrix[2, 2] A = [[1, 2], [2, 1]];\nparam real a;\na ~ normal(0, 1);\n"
     "target += a * cholesky_decompose(A)[1, 1];\n", "t.vmod:4:15", "positive definite"},
    {"data int K = 0;\nparam real a;\na ~ normal(0, 1);\ngen int g = 3 / K + 1;\n", "t.vmod:4:", "division by zero"},
};

START_TEST(error_position)
{
    const ErrCase *c = &errs[_i];
    VmModel *m = load(c->src, 1);
    VmEval *e = vm_eval_new(m);
    double u[1] = {0.2}, lp = 0, out[4];
    if (strstr(c->src, "gen ")) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_int_eq(vm_write_values(e, u, r, out), -1);
        gsl_rng_free(r);
    } else {
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
        ck_assert(lp == -INFINITY);
    }
    char *x = vm_eval_explain(e);
    ck_assert_msg(x && strstr(x, c->where) && strstr(x, c->msg), "got: %s\nwant %s and %s", x ? x : "(none)", c->where, c->msg);
    free(x);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* The forward simulator draws data: what reads them is evaluated every time (here
 * the location of nu's prior, which would otherwise stay the mean of the bound y). */
START_TEST(simulator_not_hoisted)
{
    const char *src = "data int N = 4;\ndata vector[N] y = [0, 0, 0, 0]';\nparam real mu;\nparam real nu;\n"
                      "mu ~ normal(0, 1);\ny ~ normal(mu, 1);\nnu ~ normal(mean(y) * 1, 1e-9);\n";
    VmModel *m = load(src, 1);
    ck_assert_int_ge(m->nhoisted, 1);
    ck_assert_ptr_nonnull(m->hoisted);       /* the density's evaluators have a table */
    char *msg = NULL;
    Sim *s = sim_new(m, &msg);
    ck_assert_msg(s != NULL, "%s", msg ? msg : "");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double u[2], x[4];
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(sim_draw(s, r, u, x), 0);
        double mean = (x[0] + x[1] + x[2] + x[3]) / 4;
        ck_assert_msg(fabs(u[1] - mean) < 1e-6, "nu %g, mean of the simulated y %g", u[1], mean);
    }
    gsl_rng_free(r);
    sim_free(s);
    vm_model_free(m);
}
END_TEST

/* ---- the table, by Expr.id ---- */

/* Every node of a program, by its id (NULL where none): two different nodes with one
 * id, or an id outside 1..nexprs, fail the test (a table entry would then belong to
 * two expressions, or to none). */
typedef struct Nodes { const Expr **by; int n; } Nodes;

static void nodes_expr(Nodes *ns, const Expr *e);

static void nodes_type(Nodes *ns, const TypeSpec *ts)
{
    if (!ts) return;
    nodes_expr(ns, ts->lower);
    nodes_expr(ns, ts->upper);
    nodes_expr(ns, ts->offset);
    nodes_expr(ns, ts->multiplier);
    nodes_expr(ns, ts->size[0]);
    nodes_expr(ns, ts->size[1]);
    for (int i = 0; i < ts->narr; i++) nodes_expr(ns, ts->arr[i]);
}

static void nodes_expr(Nodes *ns, const Expr *e)
{
    if (!e) return;
    ck_assert_msg(e->id >= 1 && e->id <= ns->n, "node at %d: id %d, not in 1..%d", e->span.off, e->id, ns->n);
    ck_assert_msg(!ns->by[e->id] || ns->by[e->id] == e, "two nodes with id %d (at %d and %d)", e->id,
                  ns->by[e->id]->span.off, e->span.off);
    ns->by[e->id] = e;
    for (int i = 0; i < e->nargs; i++) nodes_expr(ns, e->args[i]);
    for (int i = 0; i < e->nidx; i++) { nodes_expr(ns, e->idx[i].a); nodes_expr(ns, e->idx[i].b); }
}

static void nodes_stmt(Nodes *ns, const Stmt *s)
{
    if (!s) return;
    nodes_type(ns, s->type);
    nodes_expr(ns, s->init);
    nodes_expr(ns, s->lhs);
    nodes_expr(ns, s->rhs);
    for (int i = 0; i < s->nargs; i++) nodes_expr(ns, s->args[i]);
    nodes_expr(ns, s->trunc_lo);
    nodes_expr(ns, s->trunc_hi);
    nodes_expr(ns, s->lo);
    nodes_expr(ns, s->hi);
    nodes_expr(ns, s->cond);
    nodes_stmt(ns, s->body);
    nodes_stmt(ns, s->els);
    for (int i = 0; i < s->nstmts; i++) nodes_stmt(ns, s->stmts[i]);
}

static Nodes nodes_prog(const Program *p)
{
    Nodes ns = {calloc((size_t)p->nexprs + 1, sizeof(Expr *)), p->nexprs};
    for (int i = 0; i < p->nstmts; i++) nodes_stmt(&ns, p->stmts[i]);
    for (int i = 0; i < p->nfuns; i++) {
        const FunDef *f = p->funs[i];
        nodes_type(&ns, f->ret);
        for (int k = 0; k < f->nparams; k++) nodes_type(&ns, f->params[k].type);
        nodes_stmt(&ns, f->body);
    }
    return ns;
}

static Nodes nodes_of(const VmModel *m) { return nodes_prog(m->ir->prog); }

/* Ids are unique, including on the nodes the checker makes (a truncated density, a
 * user-defined density written with ~); every case above too. */
START_TEST(ids_unique)
{
    static const char *srcs[] = {
        "data real y = 0.3;\ndata real L = -1;\nparam real mu;\ny ~ normal(mu, 1.5) T[L - 1, exp(L) + 2];\n",
        "data int k = 3;\nparam real l;\nk ~ poisson(exp(l)) T[1, ];\n",
        "real skew_lpdf(real y, real mu, real s, real a) {\n  real z = (y - mu) / s;\n"
        "  return normal_lpdf(y | mu, s) + log(2) + normal_lcdf(a * z | 0, 1);\n}\n"
        "data vector[3] y = [0.5, 1.5, -0.2]';\nparam real mu;\nparam real<lower=0> s;\n"
        "for (n in 1:3) y[n] ~ skew(mu, s, 2 * y[1]);\n",
    };
    int n = (int)(sizeof srcs / sizeof srcs[0]), nc = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n + nc; i++) {
        VmModel *m = load(i < n ? srcs[i] : cases[i - n].src, 1);
        Nodes ns = nodes_of(m);
        int seen = 0;
        for (int k = 1; k <= ns.n; k++) seen += ns.by[k] != NULL;
        /* a table entry only where there is a node */
        for (int k = 0; k <= ns.n && m->hoisted; k++)
            ck_assert_msg(!m->hoisted[k] || ns.by[k], "model %d: a value for id %d, no such node", i, k);
        ck_assert_msg(seen > 0 && seen <= ns.n, "model %d: %d nodes, %d ids", i, seen, ns.n);
        free(ns.by);
        vm_model_free(m);
    }
}
END_TEST

/* Every model of the repository that checks (examples, test fixtures): its ids are
 * unique and in range.  The parser and checker only, so no data is needed. */
static int nchecked;

static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".vmod")) return 0;
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *src = malloc((size_t)st->st_size + 1);
    size_t len = fread(src, 1, (size_t)st->st_size, f);
    fclose(f);
    src[len] = 0;
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, path, src, len);
    Program *p = vm_parse(&a, &d, src, len);
    Ir *ir = p ? vm_check(&a, &d, p) : NULL;
    if (ir) {
        Nodes ns = nodes_prog(ir->prog);
        free(ns.by);
        nchecked++;
    }
    diag_free(&d);
    arena_free(&a);
    free(src);
    return 0;
}

START_TEST(ids_unique_repo)
{
    const char *root = getenv("VMOD_SRC");
    ck_assert_msg(root != NULL, "VMOD_SRC is not set");
    static const char *dirs[] = {"examples", "tests"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        ck_assert_int_eq(nftw(path, check_file, 16, FTW_PHYS), 0);
    }
    ck_assert_msg(nchecked >= 100, "%d models checked", nchecked);
}
END_TEST

static const char *table_src =
    "data int N = 3;\ndata vector[N] x = [1, 2, 4]';\nparam real a;\n"
    "a ~ normal(sum(log(x)), 2);\ntarget += -dot_self(a - log(x));\ngen vector[N] g = a - log(x);\n";
/* table_src with the table's values written out: the poisoned values below */
static const char *table_lit =
    "data int N = 3;\nparam real a;\n"
    "a ~ normal(10.0, 2);\ntarget += -dot_self(a - [0.5, -1, 2]');\ngen vector[N] g = a - [0.5, -1, 2]';\n";

static int first_loc(void *ctx, Ev *ev, const Stmt *s, int inst, const Val *vals, int nvals)
{
    *(double *)ctx = vals[1].x[0];
    return 1;
}

/* The data-only `log(x)` and `sum(log(x))` have entries, at their own nodes' ids
 * and nowhere else, holding their values; the evaluators of the density, of the
 * generated values and of the IR probe read them there: with the entries replaced
 * by other values, each computes with those (as the model with the values written
 * in), so a table set up but not read, or read at another node's id, fails. */
START_TEST(table_read)
{
    VmModel *m = load(table_src, 1);
    Nodes ns = nodes_of(m);
    int nlog = 0, nsum = 0;
    const Expr *inner = NULL;                /* the log(x) inside sum: not on its own */
    for (int k = 1; k <= ns.n; k++)
        if (ns.by[k] && ns.by[k]->kind == E_CALL && !strcmp(ns.by[k]->name, "sum")) inner = ns.by[k]->args[0];
    ck_assert(inner && inner->kind == E_CALL && !strcmp(inner->name, "log"));
    for (int k = 0; k <= ns.n; k++) {
        const Expr *e = ns.by[k];
        int is_log = e && e != inner && e->kind == E_CALL && !strcmp(e->name, "log");
        int is_sum = e && e->kind == E_CALL && !strcmp(e->name, "sum");
        ck_assert_msg((m->hoisted[k] != NULL) == (is_log || is_sum), "id %d (%s): entry %p", k,
                      e && e->name ? e->name : "-", (const void *)m->hoisted[k]);
        if (is_log) {
            const Val *v = m->hoisted[k];
            ck_assert_int_eq(v->n, 3);
            for (int i = 0; i < 3; i++) ck_assert(v->x[i] == log((double)(1 << i)));
        }
        if (is_sum) ck_assert_double_eq_tol(m->hoisted[k]->x[0], log(8.0), 1e-14);
        nlog += is_log;
        nsum += is_sum;
    }
    ck_assert_int_eq(nlog, 2);
    ck_assert_int_eq(nsum, 1);
    ck_assert_int_eq(m->nhoisted, 3);

    /* poison: other values in the same shapes */
    double flog[3] = {0.5, -1, 2}, fsum = 10;
    Val vlog[2], vsum;
    int j = 0;
    for (int k = 1; k <= ns.n; k++) {
        if (!m->hoisted[k]) continue;
        if (!strcmp(ns.by[k]->name, "sum")) {
            vsum = *m->hoisted[k];
            vsum.x = &fsum;
            m->hoisted[k] = &vsum;
        } else {
            vlog[j] = *m->hoisted[k];
            vlog[j].x = flog;
            m->hoisted[k] = &vlog[j++];
        }
    }
    VmModel *w = load(table_lit, 0);
    VmEval *em = vm_eval_new(m), *ew = vm_eval_new(w);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int pt = 0; pt < 3; pt++) {
        double u[1] = {-1 + pt}, lm = 0, lw = 0, gm[1], gw[1], om[4], ow[4];
        ck_assert_int_eq(vm_log_density(em, u, 1, &lm, gm), 0);
        ck_assert_int_eq(vm_log_density(ew, u, 1, &lw, gw), 0);
        ck_assert_msg(fabs(lm - lw) < 1e-12 && fabs(gm[0] - gw[0]) < 1e-12, "lp %.17g, %.17g written in; grad %g, %g",
                      lm, lw, gm[0], gw[0]);
        ck_assert_int_eq(vm_write_values(em, u, r, om), 0);
        ck_assert_int_eq(vm_write_values(ew, u, r, ow), 0);
        for (int i = 0; i < 4; i++) ck_assert_msg(om[i] == ow[i], "value %d: %g, %g written in", i, om[i], ow[i]);
    }
    /* the probe: the location of `a ~ normal(...)` */
    IrProbe *p = ie_new(m);
    double a = 0.25, loc = 0;
    ie_set_param(p, 0, &a);
    ck_assert_int_eq(ie_walk(p, first_loc, &loc), 1);
    ck_assert(loc == fsum);
    ie_free(p);
    gsl_rng_free(r);
    vm_eval_free(em);
    vm_eval_free(ew);
    vm_model_free(w);
    /* the table's entries point at this test's values: the model frees the table only */
    vm_model_free(m);
    free(ns.by);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("hoist");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, same_density, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, rng_not_hoisted);
    tcase_add_test(tc, bounds_fixed);
    tcase_add_test(tc, bad_bound_reported);
    tcase_add_loop_test(tc, error_position, 0, (int)(sizeof errs / sizeof errs[0]));
    tcase_add_test(tc, simulator_not_hoisted);
    tcase_add_test(tc, ids_unique);
    tcase_add_test(tc, ids_unique_repo);
    tcase_add_test(tc, table_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
