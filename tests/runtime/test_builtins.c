/* Every builtin of runtime/builtins.c, generated from builtin_table: each overload's
 * signature letters are turned into parameters of those shapes, the model adds a
 * weighted sum of every output element (fixed pseudo-random weights, so every
 * partial matters) to the target, and vm_log_density's gradient is compared with
 * central finite differences at random points of ordinary, small and large
 * magnitude.  A new table row is covered by the gradient test without new code; the
 * value test insists that every builtin also has a case with independently known
 * values (literal inputs, hand-computed outputs), and the formula tests check the
 * linear algebra at random points against GSL and identities (L L' = A, ...). */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_linalg.h>
#include "runtime/vmod.h"
#include "runtime/eval.h"

/* ---------------------------------------------------------------- instances */

#define MAXARGS 5
#define NWTS 256

/* One concrete call: a builtin, one overload, each generic letter (s, x, a) replaced
 * by a concrete shape. */
typedef struct Inst {
    const char *name;
    char ret;
    char args[MAXARGS + 1];
} Inst;

static Inst insts[2048];
static int ninst;

/* What the generic letters of builtin_sig.c stand for in the tests. */
static const char *expand(char c)
{
    switch (c) {
    case 's': return "vwRI";
    case 'x': case 'a': return "rvwmRIVi";
    default: { static const char one[][2] = {{'i'}, {'r'}, {'v'}, {'w'}, {'m'}, {'I'}, {'R'}, {'V'}, {'W'}, {'M'}};
               static const char *letters = "irvwmIRVWM";
               const char *p = strchr(letters, c);
               return p ? one[p - letters] : NULL; }
    }
}

static void add_combos(const char *name, char ret, const char *gen, int k, char *cur)
{
    if (!gen[k]) {
        if (ninst >= (int)(sizeof insts / sizeof insts[0])) { fprintf(stderr, "insts is too small\n"); exit(1); }
        Inst *in = &insts[ninst++];
        in->name = name;
        in->ret = ret;
        memcpy(in->args, cur, (size_t)k);
        in->args[k] = 0;
        return;
    }
    const char *opts = expand(gen[k]);
    if (!opts) { fprintf(stderr, "%s: unknown signature letter '%c'\n", name, gen[k]); exit(1); }
    for (const char *o = opts; *o; o++) {
        cur[k] = *o;
        add_combos(name, ret, gen, k + 1, cur);
    }
}

static void build_instances(void)
{
    ninst = 0;
    for (const struct Builtin *b = builtin_table; b->name; b++) {
        const char *p = b->sig;
        while (p && *p) {
            char ret = p[0], gen[MAXARGS + 1];
            int k = 0;
            for (const char *a = p + 2; *a && *a != ')'; a++)
                if (*a != ',') {
                    if (k == MAXARGS) { fprintf(stderr, "%s: more than %d arguments\n", b->name, MAXARGS); exit(1); }
                    gen[k++] = *a;
                }
            gen[k] = 0;
            char cur[MAXARGS + 1];
            add_combos(b->name, ret, gen, 0, cur);
            p = strchr(p, ';');
            if (p) p++;
        }
    }
}

/* ---------------------------------------------------------------- sources */

static Ty letter_ty(char c)
{
    switch (c) {
    case 'i': return (Ty){TB_INT, TK_SCALAR, 0};
    case 'r': return (Ty){TB_REAL, TK_SCALAR, 0};
    case 'v': return (Ty){TB_REAL, TK_VECTOR, 0};
    case 'w': return (Ty){TB_REAL, TK_ROWVEC, 0};
    case 'm': return (Ty){TB_REAL, TK_MATRIX, 0};
    case 'I': return (Ty){TB_INT, TK_SCALAR, 1};
    case 'R': return (Ty){TB_REAL, TK_SCALAR, 1};
    case 'V': return (Ty){TB_REAL, TK_VECTOR, 1};
    case 'W': return (Ty){TB_REAL, TK_ROWVEC, 1};
    default:  return (Ty){TB_REAL, TK_MATRIX, 1};
    }
}

static const char *default_decl(char c)
{
    switch (c) {
    case 'r': return "real";
    case 'v': return "vector[3]";
    case 'w': return "row_vector[3]";
    case 'm': return "matrix[3, 3]";
    case 'R': return "array[3] real";
    case 'V': return "array[2] vector[3]";
    case 'W': return "array[2] row_vector[3]";
    case 'M': return "array[2] matrix[3, 3]";
    }
    return NULL;
}

/* Argument shapes and domains a function needs: decl replaces the parameter's type,
 * wrap the argument expression ('@' stands for the parameter; for an int argument
 * wrap is the literal).  arg -1: every argument of that letter. */
typedef struct Adapt { const char *name; int arg; char letter; const char *decl, *wrap; } Adapt;

#define SPD "tcrossprod(@) + diag_matrix(rep_vector(0.5, 3))"
#define TRI "@ - diag_matrix(diagonal(@)) + diag_matrix(1 + exp(diagonal(@)))"
static const Adapt adapts[] = {
    {"cholesky_decompose", 0, 'm', NULL, SPD},
    {"eigenvalues_sym", 0, 'm', NULL, "@ + @'"},
    {"matrix_power", 1, 'i', NULL, "3"},
    {"quantile", 1, 'r', NULL, "0.1 + 0.8 * inv_logit(@)"},
    {"log_determinant", 0, 'm', NULL, "@ + diag_matrix(rep_vector(4, 3))"},   /* not symmetric */
    {"inverse", 0, 'm', NULL, SPD},
    {"mdivide_left_tri_low", 0, 'm', NULL, TRI},
    {"mdivide_left_tri_low", 1, 'm', "matrix[3, 2]", NULL},
    {"mdivide_right_tri_low", 1, 'm', NULL, TRI},
    {"mdivide_right_tri_low", 0, 'm', "matrix[2, 3]", NULL},
    /* non-square shapes catch rows/columns mix-ups */
    {"crossprod", 0, 'm', "matrix[3, 2]", NULL},
    {"tcrossprod", 0, 'm', "matrix[3, 2]", NULL},
    {"quad_form", 1, 'm', "matrix[3, 2]", NULL},
    {"diag_pre_multiply", 1, 'm', "matrix[3, 2]", NULL},
    {"diag_post_multiply", 0, 'm', "matrix[2, 3]", NULL},
    {"columns_dot_product", -1, 'm', "matrix[3, 2]", NULL},
    {"rows_dot_product", -1, 'm', "matrix[3, 2]", NULL},
    {"multiply_lower_tri_self_transpose", 0, 'm', "matrix[3, 2]", NULL},
    {"append_row", -1, 'm', "matrix[2, 3]", NULL},
    {"append_col", -1, 'm', "matrix[3, 2]", NULL},
    {"diagonal", 0, 'm', "matrix[3, 2]", NULL},
    {"to_vector", 0, 'm', "matrix[3, 2]", NULL},
    {"to_row_vector", 0, 'm', "matrix[3, 2]", NULL},
    {"to_array_1d", 0, 'm', "matrix[3, 2]", NULL},
    {"gp_exp_quad_cov", -1, 'r', NULL, "exp(@)"},
    {"linspaced_vector", 0, 'i', NULL, "4"},
    {"segment", 2, 'i', NULL, "1"},
    {"to_matrix", 0, 'm', "matrix[3, 1]", NULL},
    {"to_matrix", 1, 'i', NULL, "1"},
    {"to_matrix", 2, 'i', NULL, "3"},
    {"determinant", 0, 'm', NULL, "@ + diag_matrix(rep_vector(4, 3))"},
    {"block", 1, 'i', NULL, "1"},
    {"sub_row", 0, 'm', "matrix[3, 4]", NULL},
    {"sub_row", 3, 'i', NULL, "3"},
    {"col", 0, 'm', "matrix[3, 2]", NULL},
    {"row", 0, 'm', "matrix[2, 3]", NULL},
    {NULL, 0, 0, NULL, NULL},
};

static const Adapt *adapt_of(const Inst *in, int k)
{
    for (const Adapt *a = adapts; a->name; a++)
        if (!strcmp(a->name, in->name) && (a->arg == k || a->arg == -1) && a->letter == in->args[k]) return a;
    return NULL;
}

typedef struct SrcBuf { char s[8192]; size_t n; } SrcBuf;

static void put(SrcBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(SrcBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    ck_assert(w >= 0 && (size_t)w < sizeof b->s - b->n);
    b->n += (size_t)w;
}

static void put_subst(SrcBuf *b, const char *tmpl, const char *name)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@') put(b, "%s", name);
        else put(b, "%c", *p);
    }
}

/* Fixed weights: distinct, of both signs, none near zero. */
static double weight(int k) { return (k % 2 ? -1 : 1) * (0.5 + 0.37 * ((k * 7919) % 101) / 101.0); }

/* The model for one instance; returns 0 when it has no real argument or an int
 * result (nothing to differentiate: the value tests cover it). */
static int inst_source(const Inst *in, SrcBuf *b)
{
    int nargs = (int)strlen(in->args), nreal = 0;
    Ty tys[MAXARGS], ret;
    for (int k = 0; k < nargs; k++) {
        tys[k] = letter_ty(in->args[k]);
        if (tys[k].base == TB_REAL) nreal++;
    }
    const struct Builtin *bt = (const struct Builtin *)builtin_find(in->name);
    ck_assert_msg(sig_match(bt->sig, tys, nargs, &ret), "%s(%s) does not match its own signature", in->name, in->args);
    if (!nreal || ret.base != TB_REAL) return 0;
    b->n = 0;
    put(b, "data vector[%d] wts = [", NWTS);
    for (int k = 0; k < NWTS; k++) put(b, "%s%.6f", k ? ", " : "", weight(k));
    put(b, "]';\n");
    for (int k = 0; k < nargs; k++) {
        const Adapt *ad = adapt_of(in, k);
        if (in->args[k] == 'I') put(b, "data array[3] int a%d = {3, 1, 2};\n", k);
        else if (in->args[k] != 'i') put(b, "param %s a%d;\n", ad && ad->decl ? ad->decl : default_decl(in->args[k]), k);
    }
    put(b, "let out = %s(", in->name);
    for (int k = 0; k < nargs; k++) {
        const Adapt *ad = adapt_of(in, k);
        char nm[16];
        snprintf(nm, sizeof nm, "a%d", k);
        if (k) put(b, ", ");
        if (in->args[k] == 'i') put(b, "%s", ad && ad->wrap ? ad->wrap : "2");
        else if (ad && ad->wrap) { put(b, "("); put_subst(b, ad->wrap, nm); put(b, ")"); }
        else put(b, "%s", nm);
    }
    put(b, ");\n{\n  int c = 0;\n");
    /* loops over the array dimensions, then the leaf: a scalar or a container */
    char leaf[64] = "out";
    for (int d = 0; d < ret.narr; d++) {
        put(b, "  for (i%d in 1:size(%s)) {\n", d, leaf);
        size_t l = strlen(leaf);
        snprintf(leaf + l - (d ? 1 : 0), sizeof leaf - l, "%si%d]", d ? ", " : "[", d);
    }
    if (ret.kind == TK_SCALAR) put(b, "  target += wts[c + 1] * %s; c += 1;\n", leaf);
    else put(b, "  target += dot_product(to_vector(%s), segment(wts, c + 1, num_elements(%s))); c += num_elements(%s);\n",
             leaf, leaf, leaf);
    for (int d = 0; d < ret.narr; d++) put(b, "  }\n");
    put(b, "}\n");
    return 1;
}

/* ---------------------------------------------------------------- gradients */

static VmModel *load(const char *src, const char *data)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", data, data ? "d.json" : NULL, &msg);
    ck_assert_msg(m != NULL, "load failed:\n%s\nmodel:\n%s", msg ? msg : "", src);
    return m;
}

static double lp_at(VmEval *e, const double *u, double *g)
{
    double lp;
    int rc = vm_log_density(e, u, 1, &lp, g);
    ck_assert_int_eq(rc, 0);
    return lp;
}

/* Central differences at h and h/2 combined by Richardson extrapolation: O(h^4).
 * The step is relative to the coordinate, so that it stays below the gaps between
 * the coordinates at small-magnitude points (max, min have kinks there). */
static double fd(VmEval *e, double *u, size_t k)
{
    double u0 = u[k], h = 1e-3 * fmax(1e-3, fabs(u0)), d[2];
    for (int s = 0; s < 2; s++) {
        double hs = h / (1 << s);
        u[k] = u0 + hs;
        double fp = lp_at(e, u, NULL);
        u[k] = u0 - hs;
        double fm = lp_at(e, u, NULL);
        d[s] = (fp - fm) / (2 * hs);
    }
    u[k] = u0;
    return (4 * d[1] - d[0]) / 3;
}

/* The gradient g at u against finite differences, coordinate by coordinate. */
static void check_grad_at(VmModel *m, VmEval *e, double *u, const double *g, const char *what, const char *src)
{
    size_t n = vm_model_dim(m);
    for (size_t k = 0; k < n; k++) {
        double f = fd(e, u, k);
        double tol = 2e-6 * fmax(1, fabs(g[k]));
        ck_assert_msg(fabs(g[k] - f) <= tol, "%s: d/d%s is %.12g, finite differences %.12g\n%s", what,
                      vm_model_unc_name(m, k), g[k], f, src);
    }
}

/* Points: ordinary, small (1e-3), large (6) and mixed magnitudes per coordinate. */
static void point(gsl_rng *r, int kind, double *u, size_t n)
{
    static const double mixed[] = {1e-3, 1, 6};
    for (size_t k = 0; k < n; k++) {
        double s = kind == 0 ? 1 : kind == 1 ? 1e-3 : kind == 2 ? 6 : mixed[gsl_rng_uniform_int(r, 3)];
        u[k] = s * gsl_ran_gaussian(r, 1);
    }
}

START_TEST(gradient_vs_fd)
{
    const Inst *in = &insts[_i];
    SrcBuf b;
    if (!inst_source(in, &b)) return;
    VmModel *m = load(b.s, NULL);
    VmEval *e = vm_eval_new(m);
    size_t n = vm_model_dim(m);
    ck_assert_uint_gt(n, 0);
    double *u = malloc(n * sizeof *u), *g = malloc(n * sizeof *g);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1000 + (unsigned long)_i);
    for (int kind = 0; kind < 4; kind++) {
        point(r, kind, u, n);
        double lp;
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
        ck_assert_msg(isfinite(lp), "%s(%s): lp %g at point kind %d: %s\n%s", in->name, in->args, lp, kind,
                      vm_eval_message(e), strchr(b.s, '\n') + 1);
        char what[64];
        snprintf(what, sizeof what, "%s(%s) point kind %d", in->name, in->args, kind);
        check_grad_at(m, e, u, g, what, strchr(b.s, '\n') + 1);
    }
    gsl_rng_free(r);
    free(u);
    free(g);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* Every builtin has gradient instances, except those whose result never depends on a
 * real argument (an int, or a constant vector). */
START_TEST(every_builtin_has_gradients)
{
    static const char *no_gradient[] = {"cols", "dims", "identity_matrix", "num_elements", "one_hot_vector", "rank", "rows",
                                        "size", "sort_indices_asc", "sort_indices_desc", NULL};
    for (const struct Builtin *bt = builtin_table; bt->name; bt++) {
        int ngrad = 0, exempt = 0;
        for (int i = 0; i < ninst; i++) {
            SrcBuf b;
            if (!strcmp(insts[i].name, bt->name) && inst_source(&insts[i], &b)) ngrad++;
        }
        for (const char **x = no_gradient; *x; x++) exempt |= !strcmp(*x, bt->name);
        ck_assert_msg(exempt ? ngrad == 0 : ngrad > 0, "%s: %d gradient instances", bt->name, ngrad);
    }
}
END_TEST

/* ---------------------------------------------------------------- values */

/* {source with `gen out = ...`, expected values of out in Stan CSV order
 * (column-major)}.  Every builtin must appear in at least one case. */
typedef struct VCase { const char *src; int n; double want[16]; } VCase;

#define V3 "data vector[3] v = [1, 2, 3]';\n"
#define M23 "data matrix[2, 3] A = [[1, 2, 3], [4, 5, 6]];\n"
#define L3 "data matrix[3, 3] L = [[2, 0, 0], [1, 3, 0], [-1, 2, 4]];\n"
static const VCase vcases[] = {
    {"gen out = add_diag([[1, 2], [3, 4]], 10);", 4, {11, 3, 2, 14}},
    {"gen out = add_diag([[1, 2, 3], [4, 5, 6]], [10, 20]');", 6, {11, 4, 2, 25, 3, 6}},
    {"gen out = append_col([[1, 2], [3, 4]], [5, 6]');", 6, {1, 3, 2, 4, 5, 6}},
    {"gen out = append_col([1, 2], 3);", 3, {1, 2, 3}},
    {"gen out = append_row([[1, 2], [3, 4]], [5, 6]);", 6, {1, 3, 5, 2, 4, 6}},
    {"gen out = append_row(0.5, [1, 2]');", 3, {0.5, 1, 2}},
    {L3 "gen out = block(L, 2, 1, 2, 2);", 4, {1, -1, 3, 2}},
    {L3 "gen out = sub_col(L, 2, 2, 2);", 2, {3, 2}},
    {L3 "gen out = sub_row(L, 3, 1, 3);", 3, {-1, 2, 4}},
    {M23 "gen out = col(A, 3);", 2, {3, 6}},
    {M23 "gen out = row(A, 2);", 3, {4, 5, 6}},
    {"gen out = cholesky_decompose([[4, 2], [2, 10]]);", 4, {2, 1, 0, 3}},
    {"gen out = eigenvalues_sym([[2, 1], [1, 2]]);", 2, {1, 3}},
    {"gen out = eigenvalues_sym([[4, 0, 0], [0, -1, 0], [0, 0, 2]]);", 3, {-1, 2, 4}},
    {"gen out = identity_matrix(2);", 4, {1, 0, 0, 1}},
    {"gen out = matrix_exp([[1, 0], [0, 2]]);", 4, {2.7182818284590452, 0, 0, 7.3890560989306502}},
    {"gen out = matrix_exp([[0, 1], [0, 0]]);", 4, {1, 0, 1, 1}},                 /* I + N, N nilpotent */
    {"gen out = singular_values([[3, 0], [0, -4]]);", 2, {4, 3}},
    /* [1, 2]' * [3, 4, 5]: rank one, |u| |v| = sqrt(5 * 50) and 0 */
    {"gen out = singular_values([[3, 4, 5], [6, 8, 10]]);", 2, {15.811388300841896, 0}},
    {"gen out = matrix_power([[1, 1], [0, 1]], 5);", 4, {1, 0, 5, 1}},
    {"gen out = matrix_power([[2, 1], [1, 3]], 0);", 4, {1, 0, 0, 1}},
    {"gen out = matrix_power([[1, 2], [3, 4]], 2);", 4, {7, 15, 10, 22}},
    {"gen out = rank({3, 1, 2, 1}, 1);", 1, {3}},
    {"gen out = quantile([4, 1, 3, 2]', 0.5);", 1, {2.5}},
    {"gen out = quantile({10.0, 0.0, 20.0}, 0.25);", 1, {5}},
    {"gen out = quantile({10.0, 0.0, 20.0}, 1);", 1, {20}},
    {"gen out = rank([0.5, -1, 2]', 2);", 1, {0}},
    {"gen out = sort_indices_asc({3, 1, 2, 1});", 4, {2, 4, 3, 1}},
    {"gen out = sort_indices_desc([0.5, -1, 2, 0.5]);", 4, {3, 1, 4, 2}},
    {M23 "gen out = cols(A);", 1, {3}},
    {"gen out = cols([1, 2, 3, 4]);", 1, {4}},
    {V3 "gen out = cols(v);", 1, {1}},
    {M23 "gen out = rows(A);", 1, {2}},
    {"gen out = rows([1, 2, 3, 4]);", 1, {1}},
    {M23 "gen out = columns_dot_product(A, A);", 3, {17, 29, 45}},
    {M23 "gen out = rows_dot_product(A, A);", 2, {14, 77}},
    {M23 "gen out = crossprod(A);", 9, {17, 22, 27, 22, 29, 36, 27, 36, 45}},
    {M23 "gen out = tcrossprod(A);", 4, {14, 32, 32, 77}},
    {"gen out = cumulative_sum({1, 2, 3, 4});", 4, {1, 3, 6, 10}},
    {"gen out = cumulative_sum([0.5, -1, 2]');", 3, {0.5, -0.5, 1.5}},
    {V3 "gen out = diag_matrix(v);", 9, {1, 0, 0, 0, 2, 0, 0, 0, 3}},
    {M23 "gen out = diag_post_multiply(A, [1, 0, -1]');", 6, {1, 4, 0, 0, -3, -6}},
    {M23 "gen out = diag_pre_multiply([2, -1]', A);", 6, {2, -4, 4, -5, 6, -6}},
    {M23 "gen out = diagonal(A);", 2, {1, 5}},
    {"gen out = dot_product([1, 2, 3], {4, 5, 6});", 1, {32}},
    {"gen out = determinant([[1, 2, 0], [3, 4, 0], [0, 0, 5]]);", 1, {-10}},
    {"gen out = determinant([[2, 1], [4, 2]]);", 1, {0}},
    {M23 "gen out = dims(A);", 2, {2, 3}},
    {"gen out = dims({[1, 2], [3, 4], [5, 6]});", 3, {3, 1, 2}},
    {"gen out = dims(1.5);", 0, {0}},
    {"gen out = distance([1, 2]', [4, 6]');", 1, {5}},
    {"gen out = squared_distance([1, 2], [4, 6]');", 1, {25}},
    {"gen out = squared_distance(1, 4);", 1, {9}},
    {V3 "gen out = dot_self(v);", 1, {14}},
    /* alpha^2 exp(-(xi - xj)^2 / (2 rho^2)) with alpha 2, rho 0.5 */
    {"gen out = gp_exp_quad_cov({0.0, 1.0}, 2.0, 0.5);", 4, {4, 4 * 0.1353352832366127, 4 * 0.1353352832366127, 4}},
    {"gen out = gp_exp_quad_cov({0.0, 1.0}, {1.0}, 2.0, 0.5);", 2, {4 * 0.1353352832366127, 4}},
    /* regular grids: the Toeplitz shortcut copies entries along diagonals */
    {"gen out = gp_exp_quad_cov({0.0, 1.0, 2.0}, 2.0, 0.5);", 9,
     {4, 4 * 0.1353352832366127, 4 * 0.00033546262790251185, 4 * 0.1353352832366127, 4, 4 * 0.1353352832366127,
      4 * 0.00033546262790251185, 4 * 0.1353352832366127, 4}},
    {"gen out = gp_exp_quad_cov({0.0, 1.0, 2.0}, {1.0, 2.0}, 1.0, 1.0);", 6,
     {0.60653065971263342, 1, 0.60653065971263342, 0.1353352832366127, 0.60653065971263342, 1}},
    /* points (0, 0) and (1, 1): squared distance 2 */
    {"gen out = gp_exp_quad_cov({[0, 0]', [1, 1]'}, 1.0, 1.0);", 4, {1, 0.36787944117144233, 0.36787944117144233, 1}},
    {"gen out = gp_exp_quad_cov({[0, 0]'}, {[1, 1]', [0, 2]'}, 1.0, 2.0);", 2, {0.77880078307140488, 0.60653065971263342}},
    {V3 "gen out = head(v, 2);", 2, {1, 2}},
    {"gen out = head({7, 8, 9}, 0);", 0, {0}},
    {"gen out = inverse([[2, 1], [1, 1]]);", 4, {1, -1, -1, 2}},
    {"gen out = linspaced_vector(5, -1, 1);", 5, {-1, -0.5, 0, 0.5, 1}},
    {"gen out = log_determinant([[4, 2], [2, 10]]);", 1, {3.5835189384561099}},    /* log 36 */
    {"gen out = log_determinant([[0, 1], [1, 0]]);", 1, {0}},                      /* log |-1| */
    {"gen out = log_determinant([[1, 2, 0], [3, 4, 0], [0, 0, 5]]);", 1, {2.3025850929940459}},  /* log |-10| */
    {"gen out = log_softmax([0, log(3)]');", 2, {-1.3862943611198906, -0.2876820724517809}},
    {"gen out = log_sum_exp({0, log(3)});", 1, {1.3862943611198906}},
    {"gen out = max({3, 9, 2});", 1, {9}},
    {"gen out = max([1.5, -2, 0.5]');", 1, {1.5}},
    {"gen out = max(2, 7);", 1, {7}},
    {"gen out = min({3, 9, 2});", 1, {2}},
    {M23 "gen out = min(A);", 1, {1}},
    {"gen out = min(2.5, -1);", 1, {-1}},
    {L3 "gen out = mdivide_left_tri_low(L, [2, 7, 11]');", 3, {1, 2, 2}},
    {L3 "gen out = mdivide_right_tri_low([2, 15, 12], L);", 3, {1, 3, 3}},
    {M23 "gen out = mean(A);", 1, {3.5}},
    {"gen out = mean({1, 2, 6});", 1, {3}},
    {L3 "gen out = multiply_lower_tri_self_transpose(L + [[0, 5, 5], [0, 0, 5], [0, 0, 0]]);", 9,
     {4, 2, -2, 2, 10, 5, -2, 5, 21}},
    {M23 "gen out = num_elements(A);", 1, {6}},
    {"gen out = num_elements({{1, 2}, {3, 4}, {5, 6}});", 1, {6}},
    {"gen out = one_hot_vector(4, 3);", 4, {0, 0, 1, 0}},
    {"gen out = prod({2, 3, 4});", 1, {24}},
    {V3 "gen out = prod(v / 2);", 1, {0.75}},
    {"gen out = quad_form([[2, 1], [1, 3]], [1, 2]');", 1, {18}},
    {"gen out = quad_form_diag([[2, 1], [1, 3]], [1, 2]');", 4, {2, 2, 2, 12}},
    {"gen out = quad_form([[2, 1], [1, 3]], [[1, 0], [2, 1]]);", 4, {18, 7, 7, 3}},
    {"gen out = rep_array(5, 2);", 2, {5, 5}},
    {"gen out = rep_array(1.5, 2, 1, 2);", 4, {1.5, 1.5, 1.5, 1.5}},
    {"gen out = rep_matrix(2, 2, 3);", 6, {2, 2, 2, 2, 2, 2}},
    {"gen out = rep_matrix([1, 2]', 2);", 4, {1, 2, 1, 2}},
    {"gen out = rep_matrix([1, 2], 3);", 6, {1, 1, 1, 2, 2, 2}},
    {"gen out = rep_row_vector(-1, 2);", 2, {-1, -1}},
    {"gen out = rep_vector(3, 3);", 3, {3, 3, 3}},
    {"gen out = sd({1, 2, 6});", 1, {2.6457513110645907}},                     /* sqrt(7) */
    {"gen out = reverse([1, 2, 3]');", 3, {3, 2, 1}},
    {"gen out = reverse({4, 5});", 2, {5, 4}},
    {"gen out = sort_asc({3, 1, 2, 1});", 4, {1, 1, 2, 3}},
    {"gen out = sort_asc([0.5, -1, 2, 0]);", 4, {-1, 0, 0.5, 2}},
    {"gen out = sort_desc([0.5, -1, 2, 0]');", 4, {2, 0.5, 0, -1}},
    {"gen out = to_matrix([1, 2, 3, 4, 5, 6]', 2, 3);", 6, {1, 2, 3, 4, 5, 6}},
    {M23 "gen out = to_matrix(A, 3, 2);", 6, {1, 4, 2, 5, 3, 6}},
    {"gen out = to_matrix({1, 2, 3, 4}, 2, 2);", 4, {1, 2, 3, 4}},
    {"gen out = to_matrix([1, 2, 3]);", 3, {1, 2, 3}},
    {"gen out = trace([[1, 2], [3, 4]]);", 1, {5}},
    {"gen out = variance([1, 2, 6]');", 1, {7}},
    {"gen out = variance({4.5});", 1, {0}},
    {"gen out = sd([4.5]);", 1, {0}},
    {"gen out = max(head({1.5}, 0));", 1, {-INFINITY}},
    {"gen out = min(head([1.5], 0));", 1, {INFINITY}},
    {V3 "gen out = segment(v, 2, 2);", 2, {2, 3}},
    {"gen out = segment({4, 5, 6, 7}, 1, 3);", 3, {4, 5, 6}},
    {"gen out = size({4, 5, 6, 7});", 1, {4}},
    {M23 "gen out = size(A);", 1, {6}},
    {V3 "gen out = size(v);", 1, {3}},
    {"gen out = size({{1, 2, 3}, {4, 5, 6}});", 1, {2}},
    {"gen out = size(2.5);", 1, {1}},
    {"gen out = softmax([0, log(3)]');", 2, {0.25, 0.75}},
    {"gen out = sum({1, 2, 3});", 1, {6}},
    {M23 "gen out = sum(A);", 1, {21}},
    {V3 "gen out = tail(v, 2);", 2, {2, 3}},
    {"gen out = tail({4, 5, 6}, 1);", 1, {6}},
    {M23 "gen out = to_array_1d(A);", 6, {1, 4, 2, 5, 3, 6}},
    {"gen out = to_array_1d({4, 5});", 2, {4, 5}},
    {M23 "gen out = to_row_vector(A);", 6, {1, 4, 2, 5, 3, 6}},
    {M23 "gen out = to_vector(A);", 6, {1, 4, 2, 5, 3, 6}},
    {"gen out = to_vector({1.5, 2.5});", 2, {1.5, 2.5}},
};

/* Values of out (in output order) after one draw. */
static int out_values(const char *src, double *vals, int cap, char *err, size_t errlen)
{
    VmModel *m = load(src, NULL);
    VmEval *e = vm_eval_new(m);
    size_t nv = vm_model_nvalues(m), dim = vm_model_dim(m) + vm_model_ndisc(m);
    double *all = malloc((nv ? nv : 1) * sizeof *all), *u = calloc(dim ? dim : 1, sizeof *u);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = vm_write_values(e, u, r, all), n = 0;
    if (rc) snprintf(err, errlen, "%s", vm_eval_message(e));
    for (size_t i = 0; i < nv && !rc; i++) {
        const char *nm = vm_model_value_name(m, i);
        if (!strcmp(nm, "out") || !strncmp(nm, "out.", 4)) {
            if (n < cap) vals[n] = all[i];
            n++;
        }
    }
    gsl_rng_free(r);
    free(all);
    free(u);
    vm_eval_free(e);
    vm_model_free(m);
    return rc ? -1 : n;
}

START_TEST(values)
{
    const VCase *c = &vcases[_i];
    double got[64];
    char err[512] = "";
    int n = out_values(c->src, got, 64, err, sizeof err);
    ck_assert_msg(n == c->n, "%s\n%d values, want %d (%s)", c->src, n, c->n, err);
    for (int k = 0; k < n; k++)
        ck_assert_msg(got[k] == c->want[k] || fabs(got[k] - c->want[k]) <= 1e-12 * fmax(1, fabs(c->want[k])),
                      "%s\nvalue %d is %.17g, want %.17g", c->src, k + 1, got[k], c->want[k]);
}
END_TEST

START_TEST(every_builtin_has_values)
{
    for (const struct Builtin *bt = builtin_table; bt->name; bt++) {
        char call[96];
        snprintf(call, sizeof call, " %s(", bt->name);
        int found = 0;
        for (size_t i = 0; i < sizeof vcases / sizeof vcases[0] && !found; i++) found = strstr(vcases[i].src, call) != NULL;
        ck_assert_msg(found, "builtin %s has no value case in vcases", bt->name);
    }
}
END_TEST

/* ---------------------------------------------------------------- formulas */

/* Load src, evaluate at a random u, return every output value (params then lets). */
typedef struct Outs { VmModel *m; double v[256]; size_t n; } Outs;

static void outs_at(Outs *o, const char *src, unsigned long seed, double scale)
{
    o->m = load(src, NULL);
    VmEval *e = vm_eval_new(o->m);
    size_t dim = vm_model_dim(o->m);
    o->n = vm_model_nvalues(o->m);
    ck_assert_uint_le(o->n, 256);
    double u[64];
    ck_assert_uint_le(dim, 64);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < dim; k++) u[k] = scale * gsl_ran_gaussian(r, 1);
    double lp;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
    ck_assert_msg(isfinite(lp), "%s", vm_eval_message(e));
    ck_assert_int_eq(vm_write_values(e, u, r, o->v), 0);
    gsl_rng_free(r);
    vm_eval_free(e);
}

/* First value index of variable nm ("nm" or "nm.1..."). */
static const double *var(const Outs *o, const char *nm)
{
    size_t l = strlen(nm);
    for (size_t i = 0; i < o->n; i++) {
        const char *s = vm_model_value_name(o->m, i);
        if (!strncmp(s, nm, l) && (s[l] == 0 || s[l] == '.')) return &o->v[i];
    }
    ck_abort_msg("no output named %s", nm);
    return NULL;
}

#define CLOSE(a, b, tol, ...) ck_assert_msg(fabs((a) - (double)(b)) <= (tol) * fmax(1, fabs((double)(b))), __VA_ARGS__)

static const double scales[] = {1, 1e-2, 4};

START_TEST(softmax_and_cumulative_sum)
{
    Outs o;
    outs_at(&o, "param vector[4] x; x ~ normal(0, 1);\n"
                "let s = softmax(x); let ls = log_softmax(x); let c = cumulative_sum(x);\n"
                "let lse = log_sum_exp(x); let sdv = sd(x); let var = variance(x);\n", 7 + _i, scales[_i]);
    const double *x = var(&o, "x"), *s = var(&o, "s"), *ls = var(&o, "ls"), *c = var(&o, "c");
    double tot = 0, z = 0, run = 0, mean = 0, ss = 0;
    for (int k = 0; k < 4; k++) { tot += s[k]; z += exp(x[k]); mean += x[k] / 4; }
    CLOSE(tot, 1, 1e-14, "softmax sums to %.17g", tot);
    for (int k = 0; k < 4; k++) {
        CLOSE(s[k], exp(x[k]) / z, 1e-13, "softmax[%d]", k);
        CLOSE(ls[k], x[k] - log(z), 1e-13, "log_softmax[%d]", k);
        run += x[k];
        CLOSE(c[k], run, 1e-14, "cumulative_sum[%d]", k);
        ss += (x[k] - mean) * (x[k] - mean);
    }
    CLOSE(*var(&o, "lse"), log(z), 1e-13, "log_sum_exp");
    CLOSE(*var(&o, "var"), ss / 3, 1e-12, "variance");
    CLOSE(*var(&o, "sdv"), sqrt(ss / 3), 1e-12, "sd");
    vm_model_free(o.m);
}
END_TEST

START_TEST(gp_exp_quad_cov_entries)
{
    Outs o;
    outs_at(&o, "param array[4] real x; param real<lower=0> alpha; param real<lower=0> rho;\n"
                "let K = gp_exp_quad_cov(x, alpha, rho);\n", 11 + _i, scales[_i]);
    const double *x = var(&o, "x"), *K = var(&o, "K");
    double a = *var(&o, "alpha"), rho = *var(&o, "rho");
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) {
            double want = a * a * exp(-(x[i] - x[j]) * (x[i] - x[j]) / (2 * rho * rho));
            CLOSE(K[i + 4 * j], want, 1e-13, "K[%d,%d] = %.17g, want %.17g", i + 1, j + 1, K[i + 4 * j], want);
        }
    vm_model_free(o.m);
}
END_TEST

/* The SPD matrix A = B B' + I and its factor: L L' = A with L lower triangular, A A^-1 = I,
 * log_determinant against GSL's LU, the triangular solves against their equations. */
START_TEST(linear_algebra_identities)
{
    Outs o;
    outs_at(&o, "param matrix[3, 3] B; param vector[3] b; param matrix[3, 2] C; param row_vector[3] w;\n"
                "let A = tcrossprod(B) + diag_matrix(rep_vector(1, 3));\n"
                "let L = cholesky_decompose(A); let Ai = inverse(A); let ld = log_determinant(A);\n"
                "let x = mdivide_left_tri_low(L, b); let X = mdivide_left_tri_low(L, C);\n"
                "let y = mdivide_right_tri_low(w, L); let Y = mdivide_right_tri_low(C', L);\n"
                "let LLt = multiply_lower_tri_self_transpose(L); let ldB = log_determinant(B + diag_matrix(rep_vector(2, 3)));\n", 21 + _i, scales[_i]);
    const double *A = var(&o, "A"), *L = var(&o, "L"), *Ai = var(&o, "Ai"), *b = var(&o, "b"), *C = var(&o, "C");
    const double *w = var(&o, "w"), *x = var(&o, "x"), *X = var(&o, "X"), *y = var(&o, "y"), *Y = var(&o, "Y");
    const double *LLt = var(&o, "LLt");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double llt = 0, aai = 0;
            for (int k = 0; k < 3; k++) { llt += L[i + 3 * k] * L[j + 3 * k]; aai += A[i + 3 * k] * Ai[k + 3 * j]; }
            CLOSE(llt, A[i + 3 * j], 1e-12, "(L L')[%d,%d]", i, j);
            CLOSE(LLt[i + 3 * j], A[i + 3 * j], 1e-12, "multiply_lower_tri_self_transpose[%d,%d]", i, j);
            CLOSE(aai, i == j ? 1.0 : 0.0, 1e-12, "(A A^-1)[%d,%d] = %g", i, j, aai);
            if (j > i) ck_assert_msg(L[i + 3 * j] == 0, "L[%d,%d] is not zero", i, j);
        }
    /* log det via GSL's LU decomposition (independent of our LU: another call order) */
    gsl_matrix *G = gsl_matrix_alloc(3, 3);
    gsl_permutation *p = gsl_permutation_alloc(3);
    int sgn;
    for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) gsl_matrix_set(G, (size_t)i, (size_t)j, A[i + 3 * j]);
    gsl_linalg_LU_decomp(G, p, &sgn);
    CLOSE(*var(&o, "ld"), gsl_linalg_LU_lndet(G), 1e-12, "log_determinant");
    /* and of B + 2 I, neither symmetric nor positive definite (nor singular at
     * u = 0, where the loader evaluates) */
    for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) gsl_matrix_set(G, (size_t)i, (size_t)j, var(&o, "B")[i + 3 * j] + 2 * (i == j));
    gsl_linalg_LU_decomp(G, p, &sgn);
    CLOSE(*var(&o, "ldB"), gsl_linalg_LU_lndet(G), 1e-12, "log_determinant of B");
    gsl_permutation_free(p);
    gsl_matrix_free(G);
    /* L x = b, L X = C, y L = w, Y L = C' */
    for (int i = 0; i < 3; i++) {
        double s = 0, t = 0;
        for (int k = 0; k < 3; k++) { s += L[i + 3 * k] * x[k]; t += y[k] * L[k + 3 * i]; }
        CLOSE(s, b[i], 1e-12, "(L x)[%d]", i);
        CLOSE(t, w[i], 1e-12, "(y L)[%d]", i);
        for (int c = 0; c < 2; c++) {
            double u = 0, v = 0;
            for (int k = 0; k < 3; k++) { u += L[i + 3 * k] * X[k + 3 * c]; v += Y[c + 2 * k] * L[k + 3 * i]; }
            CLOSE(u, C[i + 3 * c], 1e-12, "(L X)[%d,%d]", i, c);
            CLOSE(v, C[i + 3 * c], 1e-12, "(Y L)[%d,%d]", c, i);
        }
    }
    vm_model_free(o.m);
}
END_TEST

/* Invalid arguments reject the point with a message naming the function. */
typedef struct Bad { const char *src; const char *msg; } Bad;
/* Each fails at a = 2 and not at a = 0 (the point the loader tries). */
static const Bad bad[] = {
    {"let matrix[2, 2] L = cholesky_decompose([[1, a], [a, 1]]);", "cholesky_decompose: the matrix is not positive definite"},
    {"let matrix[2, 2] L = cholesky_decompose([[1, a], [0, 1]]);", "cholesky_decompose: the matrix is not symmetric (element [2,1])"},
    {"let vector[2] v = eigenvalues_sym([[1, a], [0, 1]]);", "eigenvalues_sym: the matrix is not symmetric (element [2,1])"},
    {"let matrix[2, 2] m = matrix_power([[1, a], [0, 1]], -1);", "matrix_power: power -1, but must be >= 0"},
    {"let matrix[2, 2] m = inverse([[1, 2], [2, 2 + a]]);", "inverse: the matrix is singular"},
    {"let real m = log_determinant([[1, 2], [2, 2 + a]]);", "log_determinant: the matrix is singular"},
    {"let real m = mean(head({a, 2.0}, a > 1 ? 0 : 1));", "mean of an empty container"},
    {"let real m = sd(head({a, 2.0}, a > 1 ? 0 : 2));", "sd of an empty container"},
    {"let real m = variance(head([a, 2.0], a > 1 ? 0 : 2));", "variance of an empty container"},
    {"let real m = max(head({1, 2}, a > 1 ? 0 : 2));", "max of an empty container"},
    {"let m = segment({a, 2, 3}, 2, a > 1 ? 3 : 2);", "segment: range 2..4 out of bounds for size 3"},
    {"let matrix[2, 2] m = gp_exp_quad_cov({1.0, 2.0}, 1 - a, 1);", "gp_exp_quad_cov: alpha is -1, but must be positive"},
    {"let m = mdivide_right_tri_low(head([a, a, a], a > 1 ? 2 : 3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);",
     "mdivide_right_tri_low: 2 columns on the left for a 3x3 matrix"},
    {"let m = mdivide_left_tri_low([[1, 0, 0], [1, 1, 0], [1, 1, 1]], head([a, a, a]', a > 1 ? 2 : 3));",
     "mdivide_left_tri_low: sizes do not match"},
    {"let real m = dot_product(head([a, a, a], a > 1 ? 2 : 3), {1, 2, 3});", "dot_product: sizes 2 and 3 differ"},
    {"let m = to_matrix(head([a, a, a], a > 1 ? 2 : 3), 1, 3);", "to_matrix: 2 elements do not make a 1x3 matrix"},
    {"let m = block(rep_matrix(a, 3, 3), 2, 2, a > 1 ? 3 : 2, 1);", "block: rows 2..4, columns 2..2 out of range for a 3x3 matrix"},
    {"let m = sort_asc([a, a > 1 ? not_a_number() : 1]);", "sort_asc: element 2 is nan"},
    {"let real m = determinant([[1, 2], [2, 2 + a]]);", "determinant: the matrix is singular (no derivative)"},
    {"let int k = a > 1 ? 2147483647 : 1;\nlet real m = a * sum({k, 1});", "sum: integer overflow"},
    {"let int k = a > 1 ? 65536 : 1;\nlet real m = a * prod({k, k});", "prod: integer overflow"},
    {"let int k = a > 1 ? 2147483647 : 1;\nlet real m = a * sum(cumulative_sum({k, k}));", "cumulative_sum: integer overflow"},
};

START_TEST(rejections)
{
    const Bad *c = &bad[_i];
    char src[512];
    snprintf(src, sizeof src, "param real a;\ntarget += a;\n%s\n", c->src);
    VmModel *m = load(src, NULL);
    VmEval *e = vm_eval_new(m);
    double u[1] = {2}, lp = 0;
    int rc = vm_log_density(e, u, 1, &lp, NULL);
    ck_assert_msg(rc == 0 && lp == -INFINITY, "%s: rc %d lp %g", c->src, rc, lp);
    ck_assert_msg(strstr(vm_eval_message(e), c->msg) != NULL, "%s\nmessage: %s\nwant: %s", c->src, vm_eval_message(e), c->msg);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------- nodes */

/* Models through the callback nodes and shared-variable shortcuts that the builtin
 * instances (every real argument a parameter) do not reach: gp_exp_quad_cov of data
 * points, products of two parameters, a constant added to a parameter, and operands
 * assigned into after the node recorded them.  Each weights every output. */
#define GPX "data array[5] real x = {0.0, 0.5, 0.5, 2.0, 3.5};\n"   /* a repeated point: r2 = 0 off the diagonal */
#define W6 "data vector[6] w = [0.7, -1.3, 0.4, 1.1, -0.6, 0.9]';\n"
static const char *node_srcs[] = {
    /* the gp_pois_regr chain, all partials: through the covariance and through L */
    GPX W6 "param real<lower=0> rho; param real<lower=0> alpha; param vector[5] f;\n"
    "{\n matrix[5, 5] cov = gp_exp_quad_cov(x, alpha, rho) + diag_matrix(rep_vector(0.1, 5));\n"
    "matrix[5, 5] L = cholesky_decompose(cov);\n"
    "target += dot_product(head(w, 5), L * f) + sum(cov .* rep_matrix(head(w, 5), 5)) + dot_product(head(w, 5), f);\n}\n",
    /* cross covariance, and vector points */
    GPX W6 "param real<lower=0> rho; param real<lower=0> alpha;\n"
    "target += sum(gp_exp_quad_cov(x, {1.0, -0.5}, alpha, rho) * head(w, 2));\n",
    W6 "data array[3] vector[2] p = {[0, 1]', [1, 1]', [-1, 2]'};\n"
    "param real<lower=0> rho; param real<lower=0> alpha;\n"
    "target += sum(gp_exp_quad_cov(p, alpha, rho) * head(w, 3)) + sum(gp_exp_quad_cov(p, p, alpha, rho) * tail(w, 3));\n",
    /* a regular grid, as gp_pois_regr's */
    W6 "data array[6] real g = {-2.0, -1.0, 0.0, 1.0, 2.0, 3.0};\n param real<lower=0> rho; param real<lower=0> alpha;\n"
    "target += sum(gp_exp_quad_cov(g, alpha, rho) * w) + sum(gp_exp_quad_cov(g, head(g, 3), alpha, rho) * head(w, 3));\n",
    /* one of alpha, rho a parameter */
    GPX W6 "param real<lower=0> rho;\n target += sum(gp_exp_quad_cov(x, 1.5, rho) * head(w, 5));\n",
    GPX W6 "param real<lower=0> alpha;\n target += sum(gp_exp_quad_cov(x, alpha, 0.8) * head(w, 5));\n",
    /* parameter times parameter: matrix * vector, matrix * matrix, row * column, row * matrix */
    W6 "param matrix[3, 2] A; param vector[2] b; param matrix[2, 2] B; param row_vector[3] r;\n"
    "target += dot_product(head(w, 3), A * b) + sum((A * B) * head(w, 2)) + (r * A) * tail(w, 2) + (r * (A * b)) * w[1];\n",
    /* operands assigned into after the product and the factorisation recorded them */
    W6 "param matrix[2, 2] A; param vector[2] b;\n"
    "{\n matrix[2, 2] M = A; vector[2] v = b;\n"
    "vector[2] y = M * v; matrix[2, 2] L = cholesky_decompose(crossprod(M) + diag_matrix(rep_vector(1, 2)));\n"
    "M[1, 1] = 5; v[2] = 7; L[2, 1] = 3;\n"
    "target += dot_product(head(w, 2), y) + sum(L * tail(w, 2)) + sum(M) + sum(v);\n}\n",
    /* a constant added to or subtracted from a parameter, broadcast both ways, then written into */
    W6 "data matrix[2, 2] D = [[1, 2], [3, 4]]; param matrix[2, 2] A; param real s;\n"
    "{\n matrix[2, 2] P = A + 1.5; matrix[2, 2] Q = D - A; matrix[2, 2] R = A - D; matrix[2, 2] S = s + D; matrix[2, 2] T = D + A;\n"
    "P[1, 2] = s * s;\n"
    "target += sum(P * head(w, 2)) + sum(Q * tail(w, 2)) + sum(R * segment(w, 2, 2)) + sum(S .* S) + sum(T .* T) + sum(P .* A);\n}\n",
};

START_TEST(nodes_vs_fd)
{
    const char *src = node_srcs[_i];
    VmModel *m = load(src, NULL);
    VmEval *e = vm_eval_new(m);
    size_t n = vm_model_dim(m);
    double u[32], g[32];
    ck_assert_uint_le(n, 32);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242 + (unsigned long)_i);
    /* random points of the four kinds, then every coordinate at -3 and at 2.5: for
     * the GP a length scale far below and far above the points' spacing */
    for (int kind = 0; kind < 6; kind++) {
        if (kind < 4) point(r, kind, u, n);
        else for (size_t k = 0; k < n; k++) u[k] = kind == 4 ? -3 : 2.5;
        double lp;
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
        if (!isfinite(lp) && kind == 2) continue;   /* large points: the factorisation may fail, as it should */
        ck_assert_msg(isfinite(lp), "model %d point kind %d: lp %g: %s\n%s", _i, kind, lp, vm_eval_message(e), src);
        char what[64];
        snprintf(what, sizeof what, "model %d point kind %d", _i, kind);
        check_grad_at(m, e, u, g, what, src);
    }
    gsl_rng_free(r);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    build_instances();
    Suite *s = suite_create("builtins");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_builtin_has_gradients);
    tcase_add_loop_test(tc, gradient_vs_fd, 0, ninst);
    tcase_add_loop_test(tc, values, 0, (int)(sizeof vcases / sizeof vcases[0]));
    tcase_add_test(tc, every_builtin_has_values);
    tcase_add_loop_test(tc, softmax_and_cumulative_sum, 0, 3);
    tcase_add_loop_test(tc, gp_exp_quad_cov_entries, 0, 3);
    tcase_add_loop_test(tc, linear_algebra_identities, 0, 3);
    tcase_add_loop_test(tc, nodes_vs_fd, 0, (int)(sizeof node_srcs / sizeof node_srcs[0]));
    tcase_add_loop_test(tc, rejections, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* hundreds of small cases: a fork each costs more than the case (30 s under ASan) */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
