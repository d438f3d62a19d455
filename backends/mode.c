#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include "backends/mode.h"

typedef struct ModeCtx { const BkTarget *t; double *u; size_t d; } ModeCtx;

static void put(ModeCtx *c, const gsl_vector *x) { memcpy(c->u, x->data, c->d * sizeof(double)); }

static double f_neg(const gsl_vector *x, void *p)
{
    ModeCtx *c = p;
    put(c, x);
    double lp;
    if (c->t->logp(c->t->ctx, c->u, &lp, NULL) != 0 || !isfinite(lp)) return GSL_POSINF;
    return -lp;
}

static void fdf_neg(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    ModeCtx *c = p;
    put(c, x);
    double lp;
    if (c->t->logp(c->t->ctx, c->u, &lp, g->data) != 0 || !isfinite(lp)) {
        *f = GSL_POSINF;
        gsl_vector_set_zero(g);
        return;
    }
    *f = -lp;
    gsl_vector_scale(g, -1);
}

static void df_neg(const gsl_vector *x, void *p, gsl_vector *g)
{
    double f;
    fdf_neg(x, p, &f, g);
}

/* BFGS from x0; 1 when the gradient vanished (absolute: far below the mode the log
 * density has a large scale, a relative test would stop there) */
static int optimise(gsl_multimin_fdfminimizer *m, gsl_multimin_function_fdf *fdf, gsl_vector *x0, size_t d)
{
    if (gsl_multimin_fdfminimizer_set(m, fdf, x0, 0.1, 0.1) != GSL_SUCCESS) return 0;
    int converged = 0;
    for (int it = 0; it < 2000 && !converged; it++) {
        int st = gsl_multimin_fdfminimizer_iterate(m);
        converged = gsl_blas_dnrm2(m->gradient) < 1e-3 * sqrt((double)d);
        if (st != GSL_SUCCESS) break;
    }
    return converged && isfinite(m->f);
}

int bk_find_mode(const BkTarget *t, gsl_rng *r, const double *u0, double *mode, double *lp,
                 double *cov, int *have_cov)
{
    size_t d = t->dim, n = d + t->ndisc;
    if (have_cov) *have_cov = 0;
    if (d == 0) return -1;
    double lp0;
    if (t->logp(t->ctx, u0, &lp0, NULL) != 0) return -1;
    double *u = malloc(n * sizeof *u), *best = malloc(d * sizeof *best), *g = malloc(n * sizeof *g);
    memcpy(u, u0, n * sizeof *u);
    ModeCtx c = {t, u, d};
    gsl_multimin_function_fdf fdf = {f_neg, df_neg, fdf_neg, d, &c};
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, d);
    gsl_vector *x0 = gsl_vector_alloc(d);
    double blp = -INFINITY;
    int ok = 0;
    for (int attempt = 0; attempt < 10 && !ok; attempt++) {
        for (size_t i = 0; i < d; i++)
            gsl_vector_set(x0, i, attempt == 0 ? u0[i] : -2 + 4 * gsl_rng_uniform(r));
        ok = optimise(m, &fdf, x0, d);
        /* none converged (a badly scaled posterior): keep the highest point reached */
        if ((ok || -m->f > blp) && isfinite(m->f)) {
            blp = -m->f;
            memcpy(best, m->x->data, d * sizeof *best);
        }
    }
    int rc = -1;
    if (isfinite(blp) && !(isfinite(lp0) && blp < lp0)) {
        rc = 0;
        memcpy(mode, best, d * sizeof *mode);
        memcpy(mode + d, u0 + d, t->ndisc * sizeof *mode);
        *lp = blp;
    }
    if (rc == 0 && cov) {
        /* Hessian of -log p by central differences of the exact gradient */
        gsl_matrix *H = gsl_matrix_alloc(d, d);
        int fine = 1;
        memcpy(u, mode, n * sizeof *u);
        for (size_t j = 0; j < d && fine; j++) {
            double h = 1e-5 * fmax(1, fabs(mode[j])), l1, l2;
            u[j] = mode[j] + h;
            fine = t->logp(t->ctx, u, &l1, g) == 0 && isfinite(l1);
            for (size_t i = 0; i < d; i++) gsl_matrix_set(H, i, j, -g[i]);
            u[j] = mode[j] - h;
            fine = fine && t->logp(t->ctx, u, &l2, g) == 0 && isfinite(l2);
            for (size_t i = 0; i < d; i++) gsl_matrix_set(H, i, j, (gsl_matrix_get(H, i, j) + g[i]) / (2 * h));
            u[j] = mode[j];
        }
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < i; j++) {
                double a = 0.5 * (gsl_matrix_get(H, i, j) + gsl_matrix_get(H, j, i));
                gsl_matrix_set(H, i, j, a);
                gsl_matrix_set(H, j, i, a);
            }
        if (fine && gsl_linalg_cholesky_decomp1(H) == GSL_SUCCESS && gsl_linalg_cholesky_invert(H) == GSL_SUCCESS) {
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) cov[i * d + j] = gsl_matrix_get(H, i, j);
            if (have_cov) *have_cov = 1;
        }
        gsl_matrix_free(H);
    }
    gsl_vector_free(x0);
    gsl_multimin_fdfminimizer_free(m);
    free(u);
    free(best);
    free(g);
    return rc;
}
