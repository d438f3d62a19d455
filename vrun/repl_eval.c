/* :eval and :lp: expressions and the log density at the posterior mean, at one draw
 * or at a given point.
 *
 * :eval compiles the model of the last run again with one more statement,
 * `gen eval__ = EXPR;`, and evaluates the model's values at the chosen point.  This is
 * robust because the expression goes through the same checker and evaluator as the
 * model itself (every function, index form and vectorisation works, a type error is
 * reported with its caret), and a gen may read data, parameters and lets alike.  A
 * point is made from the draws' constrained parameter values (posterior mean, or one
 * draw) through vm_unconstrain_json, as --init does. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "vrun/repl_int.h"
#include "driver/summary.h"
#include "lang/diag.h"

/* Column j of draw d of the fit, d counted over all chains (chain-major). */
static double fit_value(const RunResult *res, size_t d, size_t col)
{
    return res->draws[d * res->ncols + col];
}

static int column_integral(const RunResult *res, size_t col, size_t nd)
{
    for (size_t d = 0; d < nd; d++) {
        double v = fit_value(res, d, col);
        if (v != floor(v)) return 0;
    }
    return 1;
}

static json_t *nest(const double *v, const int *ints, const int *dims, int k, int level, long off, long stride)
{
    if (level == k) return ints[off] ? json_integer((json_int_t)llround(v[off])) : json_real(v[off]);
    json_t *a = json_array();
    for (int i = 0; i < dims[level]; i++)
        json_array_append_new(a, nest(v, ints, dims, k, level + 1, off + i * stride, stride * dims[level]));
    return a;
}

/* The constrained parameters at draw `draw` (-1: their posterior mean) as a CmdStan
 * JSON object: columns "theta.2.1" are put back into nested arrays by their indices
 * (column-major, as the draws are written).  A parameter whose draws are all whole
 * numbers (a discrete one) is rounded. */
static char *fit_point_json(const ReplFit *f, long draw)
{
    const RunResult *res = &f->res;
    size_t first = 1 + f->nmethod, np = vm_model_nparam_values(f->model);
    size_t nd = (size_t)res->chains * (size_t)res->ndraws;
    json_t *obj = json_object();
    for (size_t j = 0; j < np;) {
        const char *name = res->col_names[first + j];
        const char *dot = strchr(name, '.');
        size_t bl = dot ? (size_t)(dot - name) : strlen(name);
        size_t j1 = j;
        int dims[8] = {0}, k = 0;
        for (const char *p = name + bl; *p; p++) k += *p == '.';
        if (k > 8) k = 8;
        for (; j1 < np && !strncmp(res->col_names[first + j1], name, bl) &&
               (res->col_names[first + j1][bl] == '.' || !res->col_names[first + j1][bl]); j1++) {
            const char *p = res->col_names[first + j1] + bl;
            for (int l = 0; l < k && p && *p == '.'; l++) {
                int ix = atoi(p + 1);
                if (ix > dims[l]) dims[l] = ix;
                p = strchr(p + 1, '.');
            }
        }
        long total = 1;
        for (int l = 0; l < k; l++) total *= dims[l];
        double *v = calloc((size_t)total + 1, sizeof(double));
        int *ints = calloc((size_t)total + 1, sizeof(int));
        for (size_t c = j; c < j1; c++) {
            long off = 0, stride = 1;
            const char *p = res->col_names[first + c] + bl;
            for (int l = 0; l < k && p && *p == '.'; l++) {
                off += (atoi(p + 1) - 1) * stride;
                stride *= dims[l];
                p = strchr(p + 1, '.');
            }
            double x = 0;
            if (draw >= 0) x = fit_value(res, (size_t)draw, first + c);
            else {
                for (size_t d = 0; d < nd; d++) x += fit_value(res, d, first + c);
                x /= (double)(nd ? nd : 1);
            }
            v[off] = x;
            ints[off] = column_integral(res, first + c, nd);
        }
        char *base = strndup(name, bl);
        json_object_set_new(obj, base, nest(v, ints, dims, k, 0, 0, 1));
        free(base);
        free(v);
        free(ints);
        j = j1;
    }
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return s;
}

static int column_is_eval(const char *name)
{
    return !strncmp(name, "eval__", 6) && (!name[6] || name[6] == '.');
}

/* Unconstrained point of model m from the fit's draw (or mean); u has dim + ndisc. */
static int fit_point(const ReplFit *f, VmModel *m, VmEval *e, long draw, double *u)
{
    char *json = fit_point_json(f, draw);
    int rc = vm_unconstrain_json(e, json, u);
    if (rc) fprintf(stderr, "error: cannot map the %s to the model's parameters: %s\n",
                    draw < 0 ? "posterior mean" : "draw", vm_eval_message(e));
    free(json);
    return rc ? 1 : 0;
}

/* "EXPR @ K": the draw index K (1-based over all draws), or 0 when there is no '@'. */
static int split_at(char *arg, long *draw, const ReplFit *f, int have_fit)
{
    *draw = -1;
    char *at = strrchr(arg, '@');
    if (!at) return 0;
    *at = 0;
    char *end;
    long k = strtol(at + 1, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == at + 1 || *end) { fprintf(stderr, "error: expected a draw number after '@'\n"); return 1; }
    long nd = have_fit ? (long)f->res.chains * f->res.ndraws : 0;
    if (!have_fit) { fprintf(stderr, "error: no draws yet: run a method first (:run nuts)\n"); return 1; }
    if (k < 1 || k > nd) { fprintf(stderr, "error: draw %ld does not exist (the draws are 1 to %ld)\n", k, nd); return 1; }
    *draw = k - 1;
    return 0;
}

static void print_values(const char *expr, const double *x, size_t n, int scalar)
{
    if (scalar) { printf("%s = %.6g", expr, x[0]); return; }
    printf("%s = [", expr);
    for (size_t i = 0; i < n; i++) printf("%s%.6g", i ? ", " : "", x[i]);
    printf("]");
}

/* Over every draw: the expression's summary (mean, sd, quantiles, ESS, R-hat). */
static void eval_over_draws(const ReplFit *f, VmEval *e, size_t j0, size_t n, const char *expr,
                            gsl_rng *rng, double *u, double *out)
{
    const RunResult *res = &f->res;
    size_t nd = (size_t)res->chains * (size_t)res->ndraws;
    double *vals = malloc(sizeof(double) * (n * nd + 1));
    for (size_t d = 0; d < nd; d++) {
        char *json = fit_point_json(f, (long)d);
        int bad = vm_unconstrain_json(e, json, u) || vm_write_values(e, u, rng, out);
        free(json);
        for (size_t i = 0; i < n; i++) vals[i * nd + d] = bad ? NAN : out[j0 + i];
    }
    int constant = 1;                 /* an expression of data only: no table */
    for (size_t i = 0; i < n * nd && constant; i++) constant = vals[i] == vals[(i / nd) * nd];
    if (constant) {
        free(vals);
        return;
    }
    SumStats *st = calloc(n, sizeof *st);
    char **names = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        sum_compute(vals + i * nd, res->chains, (size_t)res->ndraws, 1, &st[i]);
        if (n == 1) names[i] = strdup(expr);
        else if (asprintf(&names[i], "%s[%zu]", expr, i + 1) < 0) names[i] = NULL;
    }
    printf("over the %zu draws:\n", nd);
    sum_write_table(stdout, n, (const char *const *)names, st);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(st);
    free(vals);
}

int repl_eval(Repl *r, const char *arg)
{
    char *expr = strdup(arg);
    long draw;
    if (split_at(expr, &draw, &r->fit, r->have_fit)) { free(expr); return 1; }
    for (size_t n = strlen(expr); n && isspace((unsigned char)expr[n - 1]);) expr[--n] = 0;
    char *src = r->have_fit ? strdup(r->fit.src) : repl_source(r);
    char *data = r->have_fit ? (r->fit.data ? strdup(r->fit.data) : NULL) : repl_data_text(r);
    char *extra = NULL;
    if (asprintf(&extra, "gen eval__ = %s;", expr) < 0) extra = NULL;
    char *prefix = NULL;
    if (asprintf(&prefix, "%s\ngen eval__ = ", src) < 0) prefix = NULL;
    VmModel *m = repl_check_source(prefix, expr, ";", "<eval>") ? NULL : repl_compile(src, data, extra);
    free(prefix);
    int rc = m ? 0 : 1;
    if (m && !r->have_fit && vm_model_dim(m) + vm_model_ndisc(m) > 0) {
        fprintf(stderr, "error: the model has parameters and no draws yet: run a method first (:run nuts)\n");
        rc = 1;
    }
    size_t nv = m ? vm_model_nvalues(m) : 0, j0 = nv, n = 0;
    for (size_t j = 0; j < nv; j++)
        if (column_is_eval(vm_model_value_name(m, j))) { if (j0 == nv) j0 = j; n++; }
    if (!rc && !n) { fprintf(stderr, "error: the expression has no value\n"); rc = 1; }
    if (!rc) {
        VmEval *e = vm_eval_new(m);
        double *u = calloc(vm_model_dim(m) + vm_model_ndisc(m) + 1, sizeof(double));
        double *out = calloc(nv + 1, sizeof(double));
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 1234);
        int scalar = n == 1 && !strcmp(vm_model_value_name(m, j0), "eval__");
        if (r->have_fit && fit_point(&r->fit, m, e, draw, u)) rc = 1;
        else if (vm_write_values(e, u, rng, out)) {
            fprintf(stderr, "error: %s\n", vm_eval_message(e));
            rc = 1;
        } else {
            print_values(expr, out + j0, n, scalar);
            if (!r->have_fit) printf("\n");
            else if (draw >= 0)
                printf("   at draw %ld (chain %ld, draw %ld)\n", draw + 1, draw / r->fit.res.ndraws + 1,
                       draw % r->fit.res.ndraws + 1);
            else {
                printf("   at the posterior mean\n");
                eval_over_draws(&r->fit, e, j0, n, expr, rng, u, out);
            }
        }
        gsl_rng_free(rng);
        free(out);
        free(u);
        vm_eval_free(e);
    }
    vm_model_free(m);
    free(extra);
    free(src);
    free(data);
    free(expr);
    return rc;
}

/* ---- :lp ---- */

int repl_lp(Repl *r, const char *arg)
{
    char *a = strdup(arg);
    long draw = -1;
    int given = *a && *a != '@';
    if (!given && split_at(a, &draw, &r->fit, r->have_fit)) { free(a); return 1; }
    if (!given && !r->have_fit) {
        fprintf(stderr, "error: no draws yet: run a method first (:run nuts), or give a point: :lp {\"mu\": 1} or :lp FILE.json\n");
        free(a);
        return 1;
    }
    VmModel *m = NULL, *own = NULL;
    char *json = NULL;
    if (given) {
        char *src = repl_source(r), *data = repl_data_text(r);
        m = own = repl_compile(src, data, NULL);
        free(src);
        free(data);
        json = a[0] == '{' ? strdup(a) : m ? vrun_read_file(a, "file", NULL) : NULL;
    } else m = r->fit.model;
    int rc = m && (!given || json) ? 0 : 1;
    if (!rc) {
        VmEval *e = vm_eval_new(m);
        size_t dim = vm_model_dim(m);
        double *u = calloc(dim + vm_model_ndisc(m) + 1, sizeof(double));
        double *g = calloc(dim + 1, sizeof(double));
        double lp, lp0;
        if (given && vm_unconstrain_json(e, json, u)) {
            fprintf(stderr, "error: %s\n", vm_eval_message(e));
            rc = 1;
        } else if (!given && fit_point(&r->fit, m, e, draw, u)) rc = 1;
        else if (vm_log_density(e, u, 0, &lp0, NULL) || vm_log_density(e, u, 1, &lp, g)) {
            fprintf(stderr, "error: %s\n", vm_eval_message(e));
            rc = 2;
        } else {
            printf("log density %.10g (with the log-Jacobian), %.10g (without), at %s\n", lp, lp0,
                   given ? "the given point" : draw < 0 ? "the posterior mean" : "the draw");
            if (!isfinite(lp) && vm_eval_message(e)[0]) printf("  (-inf: %s)\n", vm_eval_message(e));
            printf("  %-24s %14s %14s\n", "unconstrained", "value", "gradient");
            for (size_t i = 0; i < dim; i++)
                printf("  %-24s %14.6g %14.6g\n", vm_model_unc_name(m, i), u[i], g[i]);
        }
        free(u);
        free(g);
        vm_eval_free(e);
    }
    vm_model_free(own);
    free(json);
    free(a);
    return rc;
}
