/* The read-only model graph (runtime/graph.h), through its public header only:
 * parameters (constraint, shape, coordinates, constant bounds) agree with the
 * model's unconstrained names; factors carry the stdlib table entry (the same
 * pointer dist_find returns), the variate and the dependencies; the probe hands each
 * `~` instance its values at a set point (loops unrolled, `target += D_lpdf` as a
 * factor); discrete references name the element a z[n] selects; vg_unconstrain
 * inverts vm_constrain. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/graph.h"
#include "stdlib/dist.h"

static const char *src =
    "data int N = 3;\n"
    "data vector[N] y = [0.5, -1, 2]';\n"
    "data real lo = 0;\n"
    "data vector[2] ub = [1, 2]';\n"
    "param real mu;\n"
    "param real<lower=lo> tau;\n"
    "param simplex[3] th;\n"
    "param vector<lower=-1, upper=ub>[2] v;\n"
    "param array[N] int<lower=1, upper=2> z;\n"
    "let real s = inv_sqrt(tau);\n"
    "mu ~ normal(0, 10);\n"
    "tau ~ gamma(2, 1);\n"
    "th ~ dirichlet([1, 1, 1]');\n"
    "for (n in 1:N) {\n"
    "  y[n] ~ normal(mu + z[n], s);\n"
    "}\n"
    "target += normal_lpdf(v | 0, 1);\n";

static VmModel *load(void)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "graph.vmod", NULL, NULL, &msg);
    ck_assert_msg(m, "%s", msg ? msg : "");
    return m;
}

START_TEST(params)
{
    VmModel *m = load();
    VgGraph *g = vg_new(m);
    ck_assert_int_eq(vg_nparams(g), 5);
    const VgParam *mu = vg_param(g, vg_param_find(g, "mu")), *tau = vg_param(g, vg_param_find(g, "tau"));
    const VgParam *th = vg_param(g, vg_param_find(g, "th")), *v = vg_param(g, vg_param_find(g, "v"));
    const VgParam *z = vg_param(g, vg_param_find(g, "z"));
    ck_assert_int_eq(vg_param_find(g, "s"), -1);
    ck_assert_int_eq(mu->constraint, VG_REAL);
    ck_assert_int_eq(tau->constraint, VG_LOWER);
    ck_assert_int_eq(tau->lo_kind, 1);
    ck_assert(tau->lo == 0);
    ck_assert_int_eq(tau->hi_kind, 0);
    ck_assert_int_eq(th->constraint, VG_SIMPLEX);
    ck_assert_int_eq(th->shape, VG_VECTOR);
    ck_assert_uint_eq(th->n, 3);
    ck_assert_uint_eq(th->ncoords, 2);
    ck_assert_str_eq(vg_constraint_name(th->constraint), "simplex");
    ck_assert_int_eq(v->constraint, VG_LOWER_UPPER);
    ck_assert_int_eq(v->lo_kind, 1);
    ck_assert_int_eq(v->hi_kind, -1);          /* upper bounds differ between elements */
    ck_assert_int_eq(v->shape, VG_VECTOR);
    ck_assert_int_eq(v->ndims, 1);
    ck_assert_int_eq(v->dims[0], 2);
    ck_assert(z->is_int);
    ck_assert(z->lo == 1 && z->hi == 2);
    /* coordinates: the continuous ones tile 0..dim, the discrete ones follow */
    size_t dim = vm_model_dim(m);
    ck_assert_uint_eq(z->first, dim);
    ck_assert_uint_eq(z->ncoords, 3);
    ck_assert_uint_eq(mu->ncoords + tau->ncoords + th->ncoords + v->ncoords, dim);
    ck_assert_str_eq(vm_model_unc_name(m, tau->first), "tau");
    ck_assert_str_eq(vm_model_value_name(m, th->value_first + 1), "th.2");
    ck_assert_int_eq(th->line, 7);
    vg_free(g);
    vm_model_free(m);
}
END_TEST

START_TEST(factors)
{
    VmModel *m = load();
    VgGraph *g = vg_new(m);
    ck_assert_int_eq(vg_nfactors(g), 5);
    int kmu = vg_param_find(g, "mu"), ktau = vg_param_find(g, "tau"), kz = vg_param_find(g, "z");
    const VgFactor *f0 = vg_factor(g, 0), *f3 = vg_factor(g, 3), *f4 = vg_factor(g, 4);
    ck_assert_ptr_eq(f0->dist, dist_find("normal"));
    ck_assert_ptr_eq(dist_table[f0->dist_id], f0->dist);
    ck_assert_ptr_eq(vg_factor(g, 1)->dist, dist_find("gamma"));
    ck_assert_ptr_eq(vg_factor(g, 2)->dist, dist_find("dirichlet"));
    ck_assert_int_eq(f0->variate, kmu);
    ck_assert_int_eq(vg_factor(g, 1)->variate, ktau);
    /* the likelihood: inside a loop, variate data, depends on mu, z and (through the
     * let s) tau */
    ck_assert_int_eq(f3->nloops, 1);
    ck_assert_int_eq(f3->variate, -1);
    ck_assert_int_eq(f3->nvals, 3);
    ck_assert_int_eq(f3->ndeps, 3);
    int seen = 0;
    for (int i = 0; i < f3->ndeps; i++) seen |= 1 << f3->deps[i];
    ck_assert_int_eq(seen, (1 << kmu) | (1 << ktau) | (1 << kz));
    ck_assert_int_eq(f3->line, 15);
    /* target += normal_lpdf(v | ...) is a factor with v as variate */
    ck_assert_ptr_eq(f4->dist, dist_find("normal"));
    ck_assert_int_eq(f4->variate, vg_param_find(g, "v"));
    /* the term numbering of vm_model_term_deps: the factor's term lists mu's coordinate */
    const size_t *start;
    const int *idx;
    vm_model_term_deps(m, &start, &idx);
    size_t c = vg_param(g, kmu)->first;
    int found = 0;
    for (size_t i = start[c]; i < start[c + 1]; i++) found |= idx[i] == f3->term;
    ck_assert(found);
    char *r = vg_render(g, f3->val_pos[2], "here");
    ck_assert_ptr_nonnull(strstr(r, "graph.vmod:15:"));
    ck_assert_ptr_nonnull(strstr(r, "here"));
    free(r);
    vg_free(g);
    vm_model_free(m);
}
END_TEST

typedef struct Seen { int n, fac[16]; double v[16][3]; VgRefs refs[16]; int k0; VgProbe *p; const VgGraph *g; } Seen;

static int visit(void *ctx, const VgFactor *f, int inst, const VgValue *vals, int nv)
{
    Seen *s = ctx;
    ck_assert_int_eq(inst, s->n);
    s->fac[s->n] = f->id;
    ck_assert_ptr_eq(vg_factor(s->g, f->id), f);
    for (int i = 0; i < nv && i < 3; i++) s->v[s->n][i] = vals[i].x[0];
    memset(&s->refs[s->n], 0, sizeof(VgRefs));
    for (int i = 1; i < nv; i++) ck_assert_int_eq(vg_probe_refs(s->p, i, &s->refs[s->n]), 0);
    s->n++;
    return 0;
}

START_TEST(probe)
{
    VmModel *m = load();
    VgGraph *g = vg_new(m);
    VgProbe *p = vg_probe_new(g);
    double mu = 0.25, tau = 4, th[3] = {0.2, 0.3, 0.5}, v[2] = {0, 0.5}, z[3] = {2, 1, 2};
    vg_probe_set(p, vg_param_find(g, "mu"), &mu);
    vg_probe_set(p, vg_param_find(g, "tau"), &tau);
    vg_probe_set(p, vg_param_find(g, "th"), th);
    vg_probe_set(p, vg_param_find(g, "v"), v);
    vg_probe_set(p, vg_param_find(g, "z"), z);
    Seen s = {0};
    s.p = p;
    s.g = g;
    ck_assert_int_eq(vg_probe_walk(p, visit, &s), 0);
    ck_assert_int_eq(s.n, 7);                  /* 3 priors, 3 loop iterations, target += */
    ck_assert_int_eq(s.fac[3], 3);
    ck_assert_int_eq(s.fac[5], 3);
    ck_assert_int_eq(s.fac[6], 4);
    const double y[3] = {0.5, -1, 2};
    for (int n = 0; n < 3; n++) {
        ck_assert(s.v[3 + n][0] == y[n]);
        ck_assert(s.v[3 + n][1] == mu + z[n]);
        ck_assert(fabs(s.v[3 + n][2] - 0.5) < 1e-15);
        /* y[n] ~ normal(mu + z[n], s): the argument reads element n of z */
        const VgRefs *r = &s.refs[3 + n];
        ck_assert_int_eq(r->n, 1);
        ck_assert_int_eq(r->param[0], vg_param_find(g, "z"));
        ck_assert_int_eq(r->elt[0], n);
        free(r->sub);
    }
    for (int i = 0; i < 7; i++) if (i < 3 || i > 5) { ck_assert_int_eq(s.refs[i].n, 0); free(s.refs[i].sub); }
    ck_assert(s.v[1][0] == tau);
    vg_probe_free(p);
    vg_free(g);
    vm_model_free(m);
}
END_TEST

static int count_visit(void *ctx, const VgFactor *f, int inst, const VgValue *vals, int nvals)
{
    (void)f; (void)vals; (void)nvals;
    int *c = ctx;
    (*c)++;
    return inst == c[1] ? 7 : 0;      /* stop at instance c[1] */
}

/* The probe is the executor with a hook at `~` (runtime/eval.h): what decides the
 * model's structure must be fixed by the data, inside the model and not inside a
 * function; a nonzero visitor value stops the walk at once; a loop without `~` still
 * runs as the plan says, and the values it leaves are the ones the factors read. */
START_TEST(probe_structure)
{
    static const struct { const char *src, *msg; int line; } bad[] = {
        {"param real<lower=1> k;\nfor (i in 1:3) {\n  if (i > k) 1 ~ normal(0, 1);\n}\nk ~ normal(0, 1);\n",
         "the condition depends on a parameter", 3},
        {"param real a;\na ~ normal(0, 1);\nwhile (a > 5) {\n  a ~ normal(0, 1);\n}\n",
         "a while loop", 3},
        {"data int N = 3;\nparam real a;\nvoid f_lp(real x) { target += -x * x; }\na ~ normal(0, 1);\nf_lp(a);\n",
         "a call of an _lp function", 5},
        {"param real a;\na ~ normal(0, 1);\ntarget += a * a;\n", "not one density call", 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *msg = NULL;
        VmModel *m = vm_model_load(bad[i].src, strlen(bad[i].src), "s.vmod", NULL, NULL, &msg);
        ck_assert_msg(m, "%zu: %s", i, msg ? msg : "");
        VgGraph *g = vg_new(m);
        VgProbe *p = vg_probe_new(g);
        double one = 1.5;
        for (int k = 0; k < vg_nparams(g); k++) vg_probe_set(p, k, &one);
        int c[2] = {0, -1};
        ck_assert_int_eq(vg_probe_walk(p, count_visit, c), -1);
        VgPos pos;
        const char *why = vg_probe_error(p, &pos);
        ck_assert_msg(strstr(why, bad[i].msg), "%zu: %s", i, why);
        int line = 1;
        for (int o = 0; o < pos.off; o++) line += bad[i].src[o] == '\n';
        ck_assert_int_eq(line, bad[i].line);
        vg_probe_free(p);
        vg_free(g);
        vm_model_free(m);
    }
    /* a while loop in a function, a loop of no `~` whose bounds read nothing random,
     * a stop at the fifth factor */
    const char *ok = "data int N = 40;\ndata vector[N] y = linspaced_vector(N, -1, 1);\n"
                     "real g(real x) { real t = x; if (t < 0) t = -t; while (t > 1) t = t / 2; return t; }\n"
                     "param real mu;\nparam real<lower=0> s;\n"
                     "mu ~ normal(0, 1);\ns ~ normal(0, 1);\n"
                     "{\n  vector[N] m;\n  for (n in 1:N) m[n] = g(mu) + 2 * y[n];\n"
                     "  for (n in 1:N) y[n] ~ normal(m[n], s);\n}\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(ok, strlen(ok), "ok.vmod", NULL, NULL, &msg);
    ck_assert_msg(m, "%s", msg ? msg : "");
    VgGraph *g = vg_new(m);
    VgProbe *p = vg_probe_new(g);
    double mu = 3.0, sd = 0.5;
    vg_probe_set(p, vg_param_find(g, "mu"), &mu);
    vg_probe_set(p, vg_param_find(g, "s"), &sd);
    int c[2] = {0, -1};
    ck_assert_int_eq(vg_probe_walk(p, count_visit, c), 0);
    ck_assert_int_eq(c[0], 42);
    c[0] = 0;
    c[1] = 4;
    ck_assert_int_eq(vg_probe_walk(p, count_visit, c), 7);
    ck_assert_int_eq(c[0], 5);
    vg_probe_free(p);
    vg_free(g);
    vm_model_free(m);
}
END_TEST

START_TEST(unconstrain)
{
    const char *src2 = "param array[2] real<lower=0> a;\nparam array[2] simplex[4] t;\nparam cov_matrix[2] S;\n"
                       "param real<lower=-1, upper=3> b;\nparam int<lower=0, upper=3> k;\n"
                       "a ~ gamma(2, 1);\nb ~ normal(0, 1);\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src2, strlen(src2), "u.vmod", NULL, NULL, &msg);
    ck_assert_msg(m, "%s", msg ? msg : "");
    VgGraph *g = vg_new(m);
    size_t dim = vm_model_dim(m), nd = vm_model_ndisc(m), nv = vm_model_nparam_values(m);
    double *u = calloc(dim + nd, sizeof(double)), *u2 = calloc(dim + nd, sizeof(double)), *x = calloc(nv, sizeof(double));
    for (size_t i = 0; i < dim; i++) u[i] = 0.3 * sin(1.0 + (double)i);
    u[dim] = 2;
    VmEval *e = vm_eval_new(m);
    ck_assert_int_eq(vm_constrain(e, u, x), 0);
    /* t (array[2] simplex[4]): output columns t.1.1, t.2.1, ... to storage t[1] then t[2] */
    const VgParam *t = vg_param(g, vg_param_find(g, "t"));
    double tv[8];
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 4; j++) tv[r * 4 + j] = x[t->value_first + (size_t)j * 2 + (size_t)r];
    memcpy(x + t->value_first, tv, sizeof tv);
    for (int k = 0; k < vg_nparams(g); k++)
        ck_assert_msg(vg_unconstrain(g, k, x + vg_param(g, k)->value_first, u2) == 0, "%s", vg_param(g, k)->name);
    for (size_t i = 0; i < dim + nd; i++) ck_assert_msg(fabs(u[i] - u2[i]) < 1e-12, "%zu: %g vs %g", i, u[i], u2[i]);
    /* outside the constraint */
    double bad[2] = {-1, 1};
    ck_assert_int_eq(vg_unconstrain(g, vg_param_find(g, "a"), bad, u2), -1);
    vm_eval_free(e);
    free(u); free(u2); free(x);
    vg_free(g);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_test(tc, params);
    tcase_add_test(tc, factors);
    tcase_add_test(tc, probe);
    tcase_add_test(tc, probe_structure);
    tcase_add_test(tc, unconstrain);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
