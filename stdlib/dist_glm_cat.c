/* The GLMs over categories: ordered_logistic_glm(y | X, beta, c), y_i ~
 * ordered_logistic(X[i] . beta, c), and categorical_logit_glm(y | X, alpha, B),
 * y_i ~ categorical_logit(alpha + (X[i] B)').  y has n elements (ints), X is one
 * n x P matrix (column-major, stride 0), beta a P-vector, c one vector of cut
 * points, alpha a C-vector and B a P x C matrix (one column per category).
 *
 * As the other GLMs (dist_glm_disc.c), each row calls its family's kernel, whose
 * numerics and checks are tested in test_dist_disc, and gets the partials in the
 * linear predictor back; the chain rule into X and the coefficients is done here. */
#include <math.h>
#include "dist_util.h"

extern const Dist dist_ordered_logistic, dist_categorical_logit;

static int design_ok(int n, const DArg *X, int P, DistErr *e)
{
    if (X->stride != 0 || X->rows != n) return du_fail(e, 1, 0, X->rows, "must have one row per element of the variate");
    if (X->cols != P) return du_fail(e, 1, 0, X->cols, "must have one column per coefficient");
    return du_check_finite(X->x, (long)n * P, 1, 0, e);
}

static int olg_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *be = &a[2], *c = &a[3];
    int P = du_len(be);
    if ((be->stride != 0 || c->stride != 0) && n > 1) return du_fail(e, be->stride ? 2 : 3, 0, n, "must be one vector");
    if (design_ok(n, X, P, e) < 0) return -1;
    if (du_check_finite(be->x, P, 2, 0, e) < 0) return -1;
    double lp = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i);
        double eta = 0, li, r = 0;
        for (int j = 0; j < P; j++) eta += X->x[i + (long)n * j] * be->x[j];
        DArg u[3] = { { NULL, &a[0].iv[oy], 0, 1, 1 }, { &eta, NULL, 0, 1, 1 }, { c->x, NULL, 0, c->rows, c->cols } };
        double *du[3] = { NULL, d ? &r : NULL, d ? d[3] : NULL };
        DistErr fe;
        if (dist_ordered_logistic.lpdf(1, u, &li, du, &fe)) {
            if (fe.arg == 0) return du_fail(e, 0, oy, fe.value, fe.what);
            if (fe.arg == 2) return du_fail(e, 3, fe.index, fe.value, fe.what);
            return du_fail(e, 2, 0, eta, "times the design gives an invalid linear predictor");
        }
        lp += li;
        if (!d) continue;
        for (int j = 0; j < P; j++) {
            if (d[2]) d[2][j] += X->x[i + (long)n * j] * r;
            if (d[1]) d[1][i + (long)n * j] += be->x[j] * r;
        }
    }
    *out = lp;
    return 0;
}

static int clg_lpmf(int n, const DArg *a, double *out, double *const *d, DistErr *e)
{
    const DArg *X = &a[1], *al = &a[2], *B = &a[3];
    int P = B->rows, C = du_len(al);
    if ((al->stride != 0 || B->stride != 0) && n > 1) return du_fail(e, al->stride ? 2 : 3, 0, n, "must be one vector or matrix");
    if (B->cols != C) return du_fail(e, 3, 0, B->cols, "must have one column per category (the intercept's length)");
    if (design_ok(n, X, P, e) < 0) return -1;
    if (du_check_finite(al->x, C, 2, 0, e) < 0 || du_check_finite(B->x, (long)P * C, 3, 0, e) < 0) return -1;
    DuWork w;
    du_work_init(&w, 2 * (size_t)C);
    if (!w.p) return du_fail(e, 2, 0, C, "is too large (out of memory)");
    double *eta = du_work_take(&w, (size_t)C), *g = du_work_take(&w, (size_t)C), lp = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        long oy = du_off(&a[0], i);
        for (int k = 0; k < C; k++) {
            double s = al->x[k];
            for (int p = 0; p < P; p++) s += X->x[i + (long)n * p] * B->x[p + (long)P * k];
            eta[k] = s;
            g[k] = 0;
        }
        DArg u[2] = { { NULL, &a[0].iv[oy], 0, 1, 1 }, { eta, NULL, 0, C, 1 } };
        double *du[2] = { NULL, d ? g : NULL }, li;
        DistErr fe;
        if (dist_categorical_logit.lpdf(1, u, &li, du, &fe)) {
            rc = fe.arg == 0 ? du_fail(e, 0, oy, fe.value, fe.what)
                             : du_fail(e, 2, fe.index, fe.value, "plus X * beta gives a non-finite log odds");
            break;
        }
        lp += li;
        if (!d) continue;
        for (int k = 0; k < C; k++) {
            if (d[2]) d[2][k] += g[k];
            if (d[3])
                for (int p = 0; p < P; p++) d[3][p + (long)P * k] += X->x[i + (long)n * p] * g[k];
        }
        if (d[1])
            for (int p = 0; p < P; p++) {
                double s = 0;
                for (int k = 0; k < C; k++) s += B->x[p + (long)P * k] * g[k];
                d[1][i + (long)n * p] += s;
            }
    }
    du_work_free(&w);
    if (rc) return rc;
    *out = lp;
    return 0;
}

static const double no_test[1][DIST_MAX_ARGS];

const Dist dist_ordered_logistic_glm = {
    .name = "ordered_logistic_glm", .discrete = 1, .nargs = 4,
    .argnames = { "variate", "design matrix", "coefficients", "cut points" },
    .sig = "IMVV", .lpdf = olg_lpmf, .rng = NULL, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};

const Dist dist_categorical_logit_glm = {
    .name = "categorical_logit_glm", .discrete = 1, .nargs = 4,
    .argnames = { "variate", "design matrix", "intercept", "coefficients" },
    .sig = "IMVM", .lpdf = clg_lpmf, .rng = NULL, .ntest = 0, .test = no_test, .lo = 1, .hi = INFINITY,
};
