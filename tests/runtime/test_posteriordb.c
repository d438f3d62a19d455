/* Every shared posteriordb posterior against Stan, through the public API only.
 *
 * For each folder NAME of $VMOD_SHARED/posteriordb this loads
 * $VMOD_SRC/examples/posteriordb/NAME.vmod with NAME/data.json and, at each of the six
 * points of NAME/gradients.json, compares with Stan 2.21's values: the dimension and
 * the unconstrained names, the log density with every constant (lp_full_*) with and
 * without the Jacobian, the differences of lp between points against rstan's
 * constant-dropping lp_* (so both of Stan's conventions agree with ours), the gradient
 * coordinate by coordinate, the constrained parameters (vm_constrain) and the
 * transformed parameters and generated quantities (vm_write_values).
 *
 * A posterior does not stop at its first wrong number: every wrong coordinate is one
 * line of the failure message, naming posterior, point and coordinate, so one run
 * shows the whole pattern (a wrong transform breaks one block, a wrong density all). */
#include <check.h>
#include <dirent.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "runtime/vmod.h"

#define PDB_MAX 64
#define PDB_MAX_LINES 2000 /* failure lines kept per posterior; the rest are counted */
#define PDB_MSG_BYTES 3000 /* Check refuses longer messages: the rest go to stderr */
#define PDB_MAX_RANK 8

/* Tolerances from posteriordb/README.md ("Suggested tolerances").  Gradients:
 * |g - g_stan| / max(1, |g_stan|); log densities: |lp - lp_stan| / max(1, |lp_stan|);
 * constrained values: |x - x_stan| / |x_stan| (exact when x_stan is 0).  Long
 * recursions (AR, GARCH) and the GP's Cholesky get the looser figures; gp_pois_regr's
 * last point is ill-conditioned (its description.md: Stan itself is accurate only to
 * about 4e-9 in lp and 1e-6 in the gradient there).  `tq` is for transformed
 * parameters, which inherit the Cholesky's rounding in the GP. */
typedef struct {
    const char *name;
    double grad, lp, tq;              /* every point but the last */
    double grad_last, lp_last, tq_last;
} PdbTol;

static const PdbTol pdb_default_tol = {NULL, 1e-8, 1e-10, 1e-12, 1e-8, 1e-10, 1e-12};
static const PdbTol pdb_tols[] = {
    {"arK-arK", 1e-6, 1e-8, 1e-12, 1e-6, 1e-8, 1e-12},
    {"garch-garch11", 1e-6, 1e-8, 1e-12, 1e-6, 1e-8, 1e-12},
    {"gp_pois_regr-gp_pois_regr", 1e-6, 1e-8, 1e-6, 1e-5, 1e-8, 1e-5},
};
#define PDB_CONSTRAIN_TOL 1e-12

/* Quantities Stan writes that a .vmod model legitimately does not: Stan declares
 * them as transformed parameters, but they depend on the data only, so in .vmod they
 * are data-only lets (transformed data), never written with draws. */
static const struct { const char *posterior, *quantity; } pdb_data_only[] = {
    {"dogs-dogs", "n_avoid"},
    {"dogs-dogs", "n_shock"},
};

static char pdb_names[PDB_MAX][256];
static int pdb_count;
static char pdb_dir[4096];
static char pdb_src[4096];

/* ---- failure report: one line per wrong number ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    int lines;
} Report;

static void rep_add(Report *r, const char *fmt, ...)
{
    r->lines++;
    if (r->lines > PDB_MAX_LINES)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = r->len + (size_t)n + 2;
    if (need > r->cap) {
        r->cap = need * 2;
        r->buf = realloc(r->buf, r->cap);
        ck_assert_ptr_nonnull(r->buf);
    }
    memcpy(r->buf + r->len, line, (size_t)n);
    r->len += (size_t)n;
    r->buf[r->len++] = '\n';
    r->buf[r->len] = '\0';
}

/* Every line goes to stderr (the test log); the failure message carries as many
 * whole lines as Check accepts. */
static void rep_finish(Report *r, const char *posterior)
{
    if (r->lines > 0) {
        fprintf(stderr, "%s: %d wrong value(s)\n%s", posterior, r->lines, r->buf);
        size_t cut = r->len;
        while (cut > PDB_MSG_BYTES) {
            cut--;
            while (cut > 0 && r->buf[cut - 1] != '\n')
                cut--;
        }
        int shown = 0;
        for (size_t i = 0; i < cut; i++)
            shown += r->buf[i] == '\n';
        ck_abort_msg("%s: %d wrong value(s)%s\n%.*s%s", posterior, r->lines,
                     shown < r->lines ? " (all of them on stderr)" : "", (int)cut, r->buf,
                     shown < r->lines ? "...\n" : "");
    }
    free(r->buf);
}

/* ---- JSON helpers ---- */

static double js_num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "gradients.json: '%s' is not a number", key);
    return json_number_value(v);
}

static void js_vec(const json_t *o, const char *key, double *out, size_t n)
{
    json_t *a = json_object_get(o, key);
    ck_assert_msg(json_is_array(a) && json_array_size(a) == n,
                  "gradients.json: '%s' is not an array of %zu numbers", key, n);
    for (size_t i = 0; i < n; i++)
        out[i] = json_number_value(json_array_get(a, i));
}

/* Shape of a rectangular nested list (Stan writes the first index outermost). */
static int js_shape(const json_t *v, size_t *shape)
{
    int rank = 0;
    while (json_is_array(v)) {
        ck_assert_int_lt(rank, PDB_MAX_RANK);
        shape[rank++] = json_array_size(v);
        if (json_array_size(v) == 0)
            break;
        v = json_array_get(v, 0);
    }
    return rank;
}

static size_t shape_count(const size_t *shape, int rank)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= shape[i];
    return n;
}

/* Element k (0-based) in column-major order, the order the API writes: the FIRST
 * index varies fastest.  Also builds its Stan CSV name "NAME.i.j". */
static double js_elem_colmajor(const json_t *v, const size_t *shape, int rank, size_t k,
                               const char *name, char *ename, size_t ename_len)
{
    size_t idx[PDB_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        idx[i] = k % shape[i];
        k /= shape[i];
    }
    int w = snprintf(ename, ename_len, "%s", name);
    for (int i = 0; i < rank; i++) {
        v = json_array_get(v, idx[i]);
        if (w > 0 && (size_t)w < ename_len)
            w += snprintf(ename + w, ename_len - (size_t)w, ".%zu", idx[i] + 1);
    }
    ck_assert_msg(json_is_number(v), "gradients.json: %s is not a number", ename);
    return json_number_value(v);
}

/* ---- comparisons ---- */

static double err_abs1(double x, double ref)   /* |x - ref| / max(1, |ref|) */
{
    double s = fabs(ref) > 1.0 ? fabs(ref) : 1.0;
    return fabs(x - ref) / s;
}

static double err_rel(double x, double ref)    /* |x - ref| / |ref|; 0 only if equal */
{
    if (x == ref)
        return 0.0;
    if (ref == 0.0)
        return INFINITY;
    return fabs(x - ref) / fabs(ref);
}

static int bad(double err, double tol)
{
    return !(err <= tol);   /* NaN counts as wrong */
}

static const PdbTol *pdb_tol(const char *name)
{
    for (size_t i = 0; i < sizeof pdb_tols / sizeof pdb_tols[0]; i++)
        if (strcmp(pdb_tols[i].name, name) == 0)
            return &pdb_tols[i];
    return &pdb_default_tol;
}

static int pdb_is_data_only(const char *posterior, const char *quantity)
{
    for (size_t i = 0; i < sizeof pdb_data_only / sizeof pdb_data_only[0]; i++)
        if (strcmp(pdb_data_only[i].posterior, posterior) == 0
            && strcmp(pdb_data_only[i].quantity, quantity) == 0)
            return 1;
    return 0;
}

/* ---- one posterior ---- */

typedef struct {
    const char *name;
    VmModel *m;
    VmEval *e;
    json_t *g;          /* gradients.json */
    size_t dim, nvalues, nparam;
    Report rep;
} Pdb;

static void check_names(Pdb *p)
{
    json_t *names = json_object_get(p->g, "unconstrained_names");
    ck_assert_msg(json_is_array(names), "%s: no unconstrained_names", p->name);
    for (size_t i = 0; i < p->dim; i++) {
        const char *want = json_string_value(json_array_get(names, i));
        const char *got = vm_model_unc_name(p->m, i);
        if (got == NULL || want == NULL || strcmp(got, want) != 0)
            rep_add(&p->rep, "%s: unconstrained name %zu: got '%s', Stan '%s'", p->name,
                    i + 1, got ? got : "(null)", want ? want : "(null)");
    }
}

static void check_grad(Pdb *p, int pt, const char *kind, const char *what,
                       const double *g, const double *ref, double tol)
{
    json_t *names = json_object_get(p->g, "unconstrained_names");
    for (size_t i = 0; i < p->dim; i++) {
        double err = err_abs1(g[i], ref[i]);
        if (bad(err, tol))
            rep_add(&p->rep, "%s: point %d (%s): %s[%zu] (%s): got %.17g, Stan %.17g, "
                    "error %.3g > %.0e", p->name, pt + 1, kind, what, i + 1,
                    json_string_value(json_array_get(names, i)), g[i], ref[i], err, tol);
    }
}

static void check_lp(Pdb *p, int pt, const char *kind, const char *what, double lp,
                     double ref, double tol)
{
    double err = err_abs1(lp, ref);
    if (bad(err, tol))
        rep_add(&p->rep, "%s: point %d (%s): %s: got %.17g, Stan %.17g, error %.3g > %.0e",
                p->name, pt + 1, kind, what, lp, ref, err, tol);
}

/* Parameters in declaration order, i.e. sorted by their first unconstrained
 * coordinate; each flattened column-major, exactly as vm_constrain writes them. */
static void check_constrained(Pdb *p, int pt, const char *kind, const json_t *point,
                              const double *x)
{
    json_t *params = json_object_get(p->g, "parameters");
    json_t *cons = json_object_get(point, "constrained");
    size_t np = json_object_size(params), k = 0;
    const char *order[PDB_MAX];
    ck_assert_uint_le(np, PDB_MAX);
    /* sort names by unconstrained_first (insertion sort; a handful of parameters) */
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val) {
        double first = js_num(val, "unconstrained_first");
        size_t j = n++;
        while (j > 0 && js_num(json_object_get(params, order[j - 1]), "unconstrained_first") > first) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = key;
    }
    for (size_t q = 0; q < np; q++) {
        const json_t *v = json_object_get(cons, order[q]);
        ck_assert_msg(v != NULL, "%s: point %d lacks constrained '%s'", p->name, pt + 1, order[q]);
        size_t shape[PDB_MAX_RANK];
        int rank = js_shape(v, shape);
        size_t cnt = shape_count(shape, rank);
        for (size_t i = 0; i < cnt; i++, k++) {
            char ename[256];
            double ref = js_elem_colmajor(v, shape, rank, i, order[q], ename, sizeof ename);
            if (k >= p->nparam) {
                rep_add(&p->rep, "%s: constrained value %s missing (only %zu values)",
                        p->name, ename, p->nparam);
                continue;
            }
            const char *got = vm_model_value_name(p->m, k);
            if (pt == 0 && (got == NULL || strcmp(got, ename) != 0))
                rep_add(&p->rep, "%s: value name %zu: got '%s', expected '%s'", p->name,
                        k + 1, got ? got : "(null)", ename);
            double err = err_rel(x[k], ref);
            if (bad(err, PDB_CONSTRAIN_TOL))
                rep_add(&p->rep, "%s: point %d (%s): constrained %s: got %.17g, Stan %.17g, "
                        "relative error %.3g > %.0e", p->name, pt + 1, kind, ename, x[k], ref,
                        err, PDB_CONSTRAIN_TOL);
        }
    }
    if (pt == 0 && k != p->nparam)
        rep_add(&p->rep, "%s: %zu constrained parameter values, Stan has %zu", p->name,
                p->nparam, k);
}

static long value_index(const Pdb *p, const char *name)
{
    for (size_t i = 0; i < p->nvalues; i++) {
        const char *n = vm_model_value_name(p->m, i);
        if (n != NULL && strcmp(n, name) == 0)
            return (long)i;
    }
    return -1;
}

/* Transformed parameters and generated quantities, found by name among the values. */
static void check_quantities(Pdb *p, int pt, const char *kind, const json_t *point,
                             const char *section, const double *vals, double tol)
{
    json_t *obj = json_object_get(point, section);
    const char *qname;
    json_t *v;
    json_object_foreach(obj, qname, v) {
        if (pdb_is_data_only(p->name, qname))
            continue;
        size_t shape[PDB_MAX_RANK];
        int rank = js_shape(v, shape);
        size_t cnt = shape_count(shape, rank);
        for (size_t i = 0; i < cnt; i++) {
            char ename[256];
            double ref = js_elem_colmajor(v, shape, rank, i, qname, ename, sizeof ename);
            long at = value_index(p, ename);
            if (at < 0) {
                if (pt == 0)
                    rep_add(&p->rep, "%s: %s value %s is not among the model's values",
                            p->name, section, ename);
                continue;
            }
            double err = err_abs1(vals[at], ref);
            if (bad(err, tol))
                rep_add(&p->rep, "%s: point %d (%s): %s %s: got %.17g, Stan %.17g, "
                        "error %.3g > %.0e", p->name, pt + 1, kind, section, ename,
                        vals[at], ref, err, tol);
        }
    }
}

static char *path_join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%s/%s%s", a, b, c);
    return s;
}

/* $VMOD_SRC/examples/posteriordb/NAME.vmod */
static char *pdb_model_path(const char *name)
{
    size_t n = strlen(pdb_src) + strlen(name) + 40;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%s/examples/posteriordb/%s.vmod", pdb_src, name);
    return s;
}

static void pdb_load(Pdb *p, const char *name)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    char *dir = path_join(pdb_dir, name, "");
    char *gpath = path_join(dir, "gradients.json", "");
    char *dpath = path_join(dir, "data.json", "");
    char *mfile = pdb_model_path(name);

    json_error_t jerr;
    p->g = json_load_file(gpath, 0, &jerr);
    ck_assert_msg(p->g != NULL, "%s: cannot read %s: %s", name, gpath, jerr.text);

    char *msg = NULL;
    p->m = vm_model_load_file(mfile, dpath, &msg);
    ck_assert_msg(p->m != NULL, "%s: %s does not load:\n%s", name, mfile, msg ? msg : "(no message)");
    free(msg);
    free(dir);
    free(gpath);
    free(dpath);
    free(mfile);

    p->dim = vm_model_dim(p->m);
    size_t want = (size_t)js_num(p->g, "dimension");
    ck_assert_msg(p->dim == want, "%s: dimension %zu, Stan %zu", name, p->dim, want);
    ck_assert_msg(vm_model_ndisc(p->m) == 0, "%s: %zu discrete parameters, Stan has none",
                  name, vm_model_ndisc(p->m));
    p->nvalues = vm_model_nvalues(p->m);
    p->nparam = vm_model_nparam_values(p->m);
    ck_assert_uint_le(p->nparam, p->nvalues);
    p->e = vm_eval_new(p->m);
    ck_assert_msg(p->e != NULL, "%s: vm_eval_new failed", name);
}

static void pdb_free(Pdb *p)
{
    vm_eval_free(p->e);
    vm_model_free(p->m);
    json_decref(p->g);
}

/* Log density and gradient at u; a nonzero status or -inf is a wrong value. */
static int eval(Pdb *p, int pt, const char *kind, const double *u, int jac, double *lp, double *g)
{
    int rc = vm_log_density(p->e, u, jac, lp, g);
    if (rc != 0 || !isfinite(*lp)) {
        rep_add(&p->rep, "%s: point %d (%s): vm_log_density(jacobian=%d) returned %d, lp %g: %s",
                p->name, pt + 1, kind, jac, rc, *lp, vm_eval_message(p->e));
        return -1;
    }
    return 0;
}

START_TEST(test_posterior)
{
    Pdb p;
    pdb_load(&p, pdb_names[_i]);
    const PdbTol *tol = pdb_tol(p.name);
    check_names(&p);

    json_t *points = json_object_get(p.g, "points");
    size_t npts = json_array_size(points);
    ck_assert_msg(npts >= 2, "%s: gradients.json has %zu points", p.name, npts);
    size_t d = p.dim;
    double *u = malloc(d * sizeof *u), *g = malloc(d * sizeof *g);
    double *ref = malloc(d * sizeof *ref), *x = malloc((p.nparam + 1) * sizeof *x);
    double *vals = malloc((p.nvalues + 1) * sizeof *vals);
    double *lpj = malloc(npts * sizeof *lpj), *lpn = malloc(npts * sizeof *lpn);
    ck_assert(u && g && ref && x && vals && lpj && lpn);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double lp0_again_ref = NAN, g0_again_ref = NAN;

    for (size_t k = 0; k < npts; k++) {
        int pt = (int)k;
        json_t *point = json_array_get(points, k);
        const char *kind = json_string_value(json_object_get(point, "kind"));
        int last = k + 1 == npts;
        double gtol = last ? tol->grad_last : tol->grad;
        double ltol = last ? tol->lp_last : tol->lp;
        double qtol = last ? tol->tq_last : tol->tq;
        js_vec(point, "unconstrained", u, d);
        lpj[k] = lpn[k] = NAN;

        double lp = NAN;
        if (eval(&p, pt, kind, u, 1, &lp, g) == 0) {
            lpj[k] = lp;
            check_lp(&p, pt, kind, "lp_full_jacobian", lp, js_num(point, "lp_full_jacobian"), ltol);
            js_vec(point, "grad_jacobian", ref, d);
            check_grad(&p, pt, kind, "grad_jacobian", g, ref, gtol);
            if (k == 0) {
                lp0_again_ref = lp;
                g0_again_ref = d > 0 ? g[0] : 0.0;
            }
            /* Without a gradient the value must be the same. */
            double lp_nog = NAN;
            if (vm_log_density(p.e, u, 1, &lp_nog, NULL) != 0 || bad(err_abs1(lp_nog, lp), 1e-13))
                rep_add(&p.rep, "%s: point %d (%s): lp without gradient %.17g, with %.17g",
                        p.name, pt + 1, kind, lp_nog, lp);
        }
        if (eval(&p, pt, kind, u, 0, &lp, g) == 0) {
            lpn[k] = lp;
            check_lp(&p, pt, kind, "lp_full_no_jacobian", lp, js_num(point, "lp_full_no_jacobian"), ltol);
            js_vec(point, "grad_no_jacobian", ref, d);
            check_grad(&p, pt, kind, "grad_no_jacobian", g, ref, gtol);
        }

        if (vm_constrain(p.e, u, x) != 0)
            rep_add(&p.rep, "%s: point %d (%s): vm_constrain failed: %s", p.name, pt + 1,
                    kind, vm_eval_message(p.e));
        else
            check_constrained(&p, pt, kind, point, x);

        if (vm_write_values(p.e, u, r, vals) != 0) {
            rep_add(&p.rep, "%s: point %d (%s): vm_write_values failed: %s", p.name, pt + 1,
                    kind, vm_eval_message(p.e));
        } else {
            for (size_t i = 0; i < p.nparam; i++)
                if (!(vals[i] == x[i]))
                    rep_add(&p.rep, "%s: point %d (%s): value %s is %.17g from vm_write_values, "
                            "%.17g from vm_constrain", p.name, pt + 1, kind,
                            vm_model_value_name(p.m, i), vals[i], x[i]);
            check_quantities(&p, pt, kind, point, "transformed", vals, qtol);
            check_quantities(&p, pt, kind, point, "generated", vals, qtol);
        }
    }

    /* rstan's lp_* drop the constants of `~` statements, so only their differences
     * between points are comparable; scale by the size of the lps (their rounding). */
    for (size_t k = 1; k < npts; k++) {
        json_t *p0 = json_array_get(points, 0), *pk = json_array_get(points, k);
        const char *kind = json_string_value(json_object_get(pk, "kind"));
        double ltol = k + 1 == npts ? tol->lp_last : tol->lp;
        static const char *const keys[2] = {"lp_jacobian", "lp_no_jacobian"};
        const double *ours[2] = {lpj, lpn};
        for (int j = 0; j < 2; j++) {
            double s0 = js_num(p0, keys[j]), sk = js_num(pk, keys[j]);
            double scale = fmax(1.0, fmax(fabs(s0), fabs(sk)));
            double err = fabs((ours[j][k] - ours[j][0]) - (sk - s0)) / scale;
            if (bad(err, ltol))
                rep_add(&p.rep, "%s: point %zu (%s): %s(point %zu) - %s(point 1): got %.17g, "
                        "Stan %.17g, error %.3g > %.0e", p.name, k + 1, kind, keys[j], k + 1,
                        keys[j], ours[j][k] - ours[j][0], sk - s0, err, ltol);
        }
    }

    /* The evaluator reuses its memory: point 1 again must give the same numbers. */
    js_vec(json_array_get(points, 0), "unconstrained", u, d);
    double lp = NAN;
    if (eval(&p, 0, "zero, again", u, 1, &lp, g) == 0
        && (lp != lp0_again_ref || (d > 0 && g[0] != g0_again_ref)))
        rep_add(&p.rep, "%s: point 1 evaluated again after the others: lp %.17g then %.17g",
                p.name, lp0_again_ref, lp);

    gsl_rng_free(r);
    free(u);
    free(g);
    free(ref);
    free(x);
    free(vals);
    free(lpj);
    free(lpn);
    pdb_free(&p);
    rep_finish(&p.rep, pdb_names[_i]);
}
END_TEST

/* Every shared posterior has a model in examples/posteriordb (and the harness found
 * the shared folder at all: an empty run must not pass). */
START_TEST(test_all_present)
{
    ck_assert_msg(pdb_count > 0, "no posteriors found in %s (is VMOD_SHARED set?)", pdb_dir);
    for (int i = 0; i < pdb_count; i++) {
        char *f = pdb_model_path(pdb_names[i]);
        FILE *fp = fopen(f, "r");
        ck_assert_msg(fp != NULL, "no model %s for posterior %s", f, pdb_names[i]);
        fclose(fp);
        free(f);
    }
}
END_TEST

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The posteriors are the sub-folders holding a gradients.json. */
static void pdb_scan(void)
{
    const char *shared = getenv("VMOD_SHARED");
    const char *src = getenv("VMOD_SRC");
    snprintf(pdb_dir, sizeof pdb_dir, "%s/posteriordb", shared ? shared : "../shared");
    snprintf(pdb_src, sizeof pdb_src, "%s", src ? src : ".");
    DIR *dir = opendir(pdb_dir);
    if (dir == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL && pdb_count < PDB_MAX) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof pdb_names[0])
            continue;
        char path[4096 + 512];
        snprintf(path, sizeof path, "%s/%s/gradients.json", pdb_dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        fclose(f);
        strcpy(pdb_names[pdb_count++], de->d_name);
    }
    closedir(dir);
    qsort(pdb_names, (size_t)pdb_count, sizeof pdb_names[0], cmp_names);
}

static Suite *pdb_suite(void)
{
    Suite *s = suite_create("posteriordb");
    TCase *tc = tcase_create("posteriordb");
    tcase_add_test(tc, test_all_present);
    tcase_add_loop_test(tc, test_posterior, 0, pdb_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    pdb_scan();
    SRunner *sr = srunner_create(pdb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
