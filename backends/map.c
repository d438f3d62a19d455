/* Posterior mode by quasi-Newton optimisation on the unconstrained space (GSL's
 * vector_bfgs2, a BFGS with a Moré–Thuente-style line search, as close to Stan's
 * L-BFGS default as GSL offers), and with --laplace a Gaussian approximation around
 * it: draws u = mode + L^-T z with L L^T the Hessian of -log p at the mode, computed by
 * central differences of the exact gradient.
 *
 * Like Stan's optimize, the mode is that of the density of the constrained
 * parameters (no Jacobian) unless --jacobian=true; with --laplace the Jacobian is on
 * by default, as Stan's laplace method asks, so that the draws approximate the
 * posterior of u. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <jansson.h>
#include "backends/backend.h"
#include "runtime/vmod.h"

typedef struct Map {
    size_t d;
    int jacobian, laplace, ready;
    double tol;
    long iters;
    VmEval *ev;                         /* own evaluator: the target's logp has the Jacobian */
    const BkTarget *t;
    gsl_multimin_fdfminimizer *min;
    gsl_multimin_function_fdf fdf;
    gsl_vector *x0;
    double *mode, *grad, *tmp, *z;
    gsl_matrix *H;                      /* Hessian of -log p (Jacobian included), then its factor */
    double lp_mode;
    int status;
} Map;

static const BkOption map_options[] = {
    {"jacobian", "bool", "false", "include the log-Jacobian in the optimised density (default: no, as Stan; yes with --laplace)"},
    {"laplace", "bool", "false", "draw from a Gaussian approximation around the mode"},
    {"init-step", "real", "0.1", "size of the first line-search step"},
    {NULL, NULL, NULL, NULL}};

static const char *const map_columns[] = {NULL};
const Backend backend_map;

static double lp_at(Map *m, const double *u, double *g, int jac)
{
    double lp;
    if (m->ev) vm_log_density(m->ev, u, jac, &lp, g);
    else m->t->logp(m->t->ctx, u, &lp, g);
    return lp;
}

static double f_neg(const gsl_vector *x, void *p)
{
    Map *m = p;
    double lp = lp_at(m, x->data, NULL, m->jacobian);
    return isfinite(lp) ? -lp : GSL_POSINF;
}

static void df_neg(const gsl_vector *x, void *p, gsl_vector *g)
{
    Map *m = p;
    lp_at(m, x->data, g->data, m->jacobian);
    for (size_t i = 0; i < m->d; i++) g->data[i] = -g->data[i];
}

static void fdf_neg(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    Map *m = p;
    double lp = lp_at(m, x->data, g->data, m->jacobian);
    for (size_t i = 0; i < m->d; i++) g->data[i] = -g->data[i];
    *f = isfinite(lp) ? -lp : GSL_POSINF;
}

static void *map_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    if (t->ndisc) {
        snprintf(err, errlen, "map needs gradients: the model has %zu discrete parameter value(s); use --method=mh", t->ndisc);
        return NULL;
    }
    if (t->dim == 0) {
        snprintf(err, errlen, "map: the model has no continuous parameters");
        return NULL;
    }
    Map *m = calloc(1, sizeof *m);
    m->d = t->dim;
    m->laplace = bk_opt_bool(s, &backend_map, "laplace");
    /* A Laplace approximation of the posterior of u is centred at the mode of the
     * density of u, which has the Jacobian: that is the default with --laplace. */
    m->jacobian = m->laplace;
    for (size_t i = 0; i < s->nopts; i++)
        if (s->opts[i].key && !strcmp(s->opts[i].key, "jacobian")) m->jacobian = bk_opt_bool(s, &backend_map, "jacobian");
    m->tol = s->tol > 0 ? s->tol : 1e-8;
    m->iters = s->iters > 0 ? s->iters : 2000;
    if (t->model) m->ev = vm_eval_new((const VmModel *)t->model);
    m->t = t;
    m->min = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, m->d);
    m->x0 = gsl_vector_alloc(m->d);
    m->mode = calloc(m->d, sizeof(double));
    m->grad = calloc(m->d, sizeof(double));
    m->tmp = calloc(m->d, sizeof(double));
    m->z = calloc(m->d, sizeof(double));
    m->H = gsl_matrix_alloc(m->d, m->d);
    m->fdf = (gsl_multimin_function_fdf){f_neg, df_neg, fdf_neg, m->d, m};
    return m;
}

static int map_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    Map *m = st;
    m->t = t;
    memcpy(m->x0->data, u0, m->d * sizeof(double));
    double step = bk_opt_real(&(BkSettings){0}, &backend_map, "init-step");
    if (gsl_multimin_fdfminimizer_set(m->min, &m->fdf, m->x0, step, 0.1) != GSL_SUCCESS) {
        snprintf(err, errlen, "map: cannot start the optimiser at the initial point");
        return -1;
    }
    return 0;
}

/* The Laplace approximation: Hessian of -log p (with Jacobian) by central
 * differences of the gradient, symmetrised, then its Cholesky factor. */
static int map_hessian(Map *m, char *err, size_t errlen)
{
    size_t d = m->d;
    memcpy(m->tmp, m->mode, d * sizeof(double));
    for (size_t j = 0; j < d; j++) {
        double h = 1e-5 * fmax(1, fabs(m->mode[j]));
        m->tmp[j] = m->mode[j] + h;
        lp_at(m, m->tmp, m->grad, 1);
        for (size_t i = 0; i < d; i++) gsl_matrix_set(m->H, i, j, -m->grad[i]);
        m->tmp[j] = m->mode[j] - h;
        lp_at(m, m->tmp, m->grad, 1);
        for (size_t i = 0; i < d; i++)
            gsl_matrix_set(m->H, i, j, (gsl_matrix_get(m->H, i, j) + m->grad[i]) / (2 * h));
        m->tmp[j] = m->mode[j];
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++) {
            double a = 0.5 * (gsl_matrix_get(m->H, i, j) + gsl_matrix_get(m->H, j, i));
            gsl_matrix_set(m->H, i, j, a);
            gsl_matrix_set(m->H, j, i, a);
        }
    if (gsl_linalg_cholesky_decomp1(m->H) != GSL_SUCCESS) {
        snprintf(err, errlen, "map: the Hessian at the mode is not positive definite: no Laplace approximation "
                              "(the mode may be on a ridge or the posterior improper)");
        return -1;
    }
    return 0;
}

static int map_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t errlen)
{
    Map *m = st;
    m->t = t;
    if (m->ready) return BK_DONE;
    int s = gsl_multimin_fdfminimizer_iterate(m->min);
    int done = 0;
    if (s == GSL_ENOPROG) done = 1;          /* no further progress: at the mode to line-search precision */
    else if (s != GSL_SUCCESS) {
        snprintf(err, errlen, "map: the optimisation failed at iteration %ld (%s)", iter + 1, gsl_strerror(s));
        return BK_FAIL;
    }
    gsl_vector *g = gsl_multimin_fdfminimizer_gradient(m->min);
    if (gsl_multimin_test_gradient(g, m->tol * fmax(1, fabs(m->min->f))) == GSL_SUCCESS) done = 1;
    m->iters = iter + 1;
    if (!done) return BK_OK;
    memcpy(m->mode, gsl_multimin_fdfminimizer_x(m->min)->data, m->d * sizeof(double));
    m->lp_mode = -m->min->f;
    if (!isfinite(m->lp_mode)) {
        snprintf(err, errlen, "map: the optimisation diverged (log density %g)", m->lp_mode);
        return BK_FAIL;
    }
    if (m->laplace && map_hessian(m, err, errlen)) return BK_FAIL;
    m->ready = 1;
    return BK_DONE;
}

static void map_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Map *m = st;
    if (!m->ready) memcpy(m->mode, gsl_multimin_fdfminimizer_x(m->min)->data, m->d * sizeof(double));
    if (!m->laplace || !m->ready) {
        memcpy(u, m->mode, m->d * sizeof(double));
        *lp = m->ready ? m->lp_mode : -m->min->f;
        return;
    }
    /* u = mode + L^-T z: covariance (L L^T)^-1 */
    for (size_t i = 0; i < m->d; i++) m->z[i] = gsl_ran_gaussian(r, 1);
    gsl_vector_view zv = gsl_vector_view_array(m->z, m->d);
    gsl_blas_dtrsv(CblasLower, CblasTrans, CblasNonUnit, m->H, &zv.vector);
    for (size_t i = 0; i < m->d; i++) u[i] = m->mode[i] + m->z[i];
    *lp = lp_at(m, u, NULL, 1);
}

static void map_report(void *st, FILE *out, const char *prefix)
{
    Map *m = st;
    fprintf(out, "%sMode: log density %.10g (%s the log-Jacobian) after %ld iterations%s\n", prefix, m->lp_mode,
            m->jacobian ? "with" : "without", m->iters, m->ready ? "" : " (NOT converged)");
    if (m->laplace && m->ready) fprintf(out, "%sDraws from the Laplace approximation at the mode\n", prefix);
    else if (m->ready) fprintf(out, "%sEvery draw is the mode: use --laplace for an approximation of the posterior\n", prefix);
}

/* The driver turns mode_unconstrained into the named values of "mode". */
static json_t *map_results(void *st)
{
    Map *m = st;
    json_t *u = json_array();
    for (size_t i = 0; i < m->d; i++)
        json_array_append_new(u, isfinite(m->mode[i]) ? json_real(m->mode[i]) : json_null());
    return json_pack("{s:o, s:b, s:b, s:I, s:b, s:o}", "log_density",
                     isfinite(m->lp_mode) ? json_real(m->lp_mode) : json_null(), "jacobian", m->jacobian,
                     "converged", m->ready, "iterations", (json_int_t)m->iters, "laplace", m->laplace,
                     "mode_unconstrained", u);
}

static void map_free(void *st)
{
    Map *m = st;
    if (!m) return;
    gsl_multimin_fdfminimizer_free(m->min);
    gsl_vector_free(m->x0);
    gsl_matrix_free(m->H);
    free(m->mode); free(m->grad); free(m->tmp); free(m->z);
    vm_eval_free(m->ev);
    free(m);
}

const Backend backend_map = {
    .name = "map",
    .sums_discrete = BK_SUM,
    .help = "posterior mode by quasi-Newton (BFGS); --laplace adds a Gaussian approximation around it",
    .kind = BK_OPTIMIZER,
    .options = map_options,
    .columns = map_columns,
    .create = map_create,
    .init = map_init,
    .step = map_step,
    .draw = map_draw,
    .report = map_report,
    .results = map_results,
    .free = map_free,
};
