/* Normalising-flow VI: each layer against finite differences, the flow backend on
 * Gaussian, funnel and banana targets against bbvi's fullrank family. */
#include <check.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include "vi_targets.h"

/* ---- layers against finite differences --------------------------------------------- */

typedef struct LayerCase { FlKind kind; size_t d; int reverse, elu, expscale; } LayerCase;
static const LayerCase layer_cases[] = {
    {FL_PLANAR, 1, 0, 0, 0}, {FL_PLANAR, 3, 0, 0, 0}, {FL_RADIAL, 1, 0, 0, 0}, {FL_RADIAL, 3, 0, 0, 0},
    {FL_IAF, 1, 0, 0, 0}, {FL_IAF, 3, 0, 0, 0}, {FL_IAF, 3, 1, 0, 0}, {FL_IAF, 4, 0, 1, 0}, {FL_IAF, 4, 1, 1, 0},
    {FL_IAF, 1, 0, 0, 1}, {FL_IAF, 3, 0, 0, 1}, {FL_IAF, 3, 1, 0, 1}, {FL_IAF, 4, 1, 1, 1},
    {FL_COUPLING, 1, 0, 0, 1}, {FL_COUPLING, 3, 0, 0, 1}, {FL_COUPLING, 4, 1, 0, 1}, {FL_COUPLING, 5, 1, 1, 0},
    {FL_COUPLING, 4, 0, 1, 0},
};

#define LMAXP 512

/* Random parameters well away from the identity (so every term matters). */
static void layer_random(const FlLayer *l, double *p, gsl_rng *r)
{
    double c[VT_MAXD];
    for (size_t i = 0; i < l->d; i++) c[i] = gsl_ran_gaussian(r, 0.5);
    fl_layer_init(l, p, c, r);
    /* masked IAF weights are never read: moving them too checks that they stay unread */
    for (size_t j = 0; j < l->np; j++) p[j] += gsl_ran_gaussian(r, 0.5);
}

/* Layer case i set up, and a generator seeded base + i (the caller frees it). */
static gsl_rng *layer_case(int i, unsigned long base, FlLayer *l, const LayerCase **lc)
{
    *lc = &layer_cases[i];
    fl_layer_setup(l, (*lc)->kind, (*lc)->d, 0, (*lc)->reverse, (*lc)->elu);
    l->expscale = (*lc)->expscale;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, base + (unsigned long)i);
    return r;
}

/* L(p, z) = c . f(z) + gamma log|det|, the scalar whose gradient backward computes */
static double layer_loss(const FlLayer *l, const double *p, const double *z, const double *c,
                         double gamma, double *cache)
{
    double zo[VT_MAXD];
    double ld = fl_forward(l, p, z, zo, cache);
    double s = gamma * ld;
    for (size_t i = 0; i < l->d; i++) s += c[i] * zo[i];
    return s;
}

START_TEST(test_layer_logdet)
{
    const LayerCase *lc;
    FlLayer l;
    gsl_rng *r = layer_case(_i, 10, &l, &lc);
    ck_assert(l.np <= LMAXP);
    double p[LMAXP], cache[LMAXP], z[VT_MAXD], zp[VT_MAXD], zm[VT_MAXD];
    size_t d = lc->d;
    gsl_matrix *J = gsl_matrix_alloc(d, d);
    gsl_permutation *perm = gsl_permutation_alloc(d);
    for (int rep = 0; rep < 5; rep++) {
        layer_random(&l, p, r);
        for (size_t i = 0; i < d; i++) z[i] = gsl_ran_gaussian(r, 1.0);
        double zo[VT_MAXD];
        double ld = fl_forward(&l, p, z, zo, cache);
        const double h = 1e-5;
        for (size_t j = 0; j < d; j++) {
            double s = z[j];
            z[j] = s + h; fl_forward(&l, p, z, zp, cache);
            z[j] = s - h; fl_forward(&l, p, z, zm, cache);
            z[j] = s;
            for (size_t i = 0; i < d; i++) gsl_matrix_set(J, i, j, (zp[i] - zm[i]) / (2 * h));
        }
        int sg;
        gsl_linalg_LU_decomp(J, perm, &sg);
        double ld_fd = gsl_linalg_LU_lndet(J);
        ck_assert_msg(fabs(ld - ld_fd) < 1e-6 * (1 + fabs(ld)), "%s d=%zu: log|det| %.10g, finite "
                      "differences %.10g", fl_kind_name(lc->kind), d, ld, ld_fd);
        ck_assert_int_eq(gsl_linalg_LU_sgndet(J, sg), 1);     /* orientation kept */
    }
    gsl_matrix_free(J);
    gsl_permutation_free(perm);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_layer_gradients)
{
    const LayerCase *lc;
    FlLayer l;
    gsl_rng *r = layer_case(_i, 20, &l, &lc);
    double p[LMAXP], gp[LMAXP], cache[LMAXP], z[VT_MAXD], c[VT_MAXD], gin[VT_MAXD];
    size_t d = lc->d;
    for (int rep = 0; rep < 3; rep++) {
        layer_random(&l, p, r);
        for (size_t i = 0; i < d; i++) {
            z[i] = gsl_ran_gaussian(r, 1.0);
            c[i] = gsl_ran_gaussian(r, 1.0);
        }
        double gamma = 0.7;
        memset(gp, 0, sizeof gp);
        double zo[VT_MAXD];
        fl_forward(&l, p, z, zo, cache);
        fl_backward(&l, p, z, cache, c, gamma, gin, gp);
        const double h = 1e-6;
        for (size_t j = 0; j < l.np; j++) {
            double s = p[j];
            p[j] = s + h; double lp = layer_loss(&l, p, z, c, gamma, cache);
            p[j] = s - h; double lm = layer_loss(&l, p, z, c, gamma, cache);
            p[j] = s;
            double fd = (lp - lm) / (2 * h);
            ck_assert_msg(fabs(gp[j] - fd) < 1e-5 * (1 + fabs(fd)), "%s d=%zu parameter %zu: "
                          "backward %.10g, finite differences %.10g", fl_kind_name(lc->kind), d,
                          j, gp[j], fd);
        }
        for (size_t j = 0; j < d; j++) {
            double s = z[j];
            z[j] = s + h; double lp = layer_loss(&l, p, z, c, gamma, cache);
            z[j] = s - h; double lm = layer_loss(&l, p, z, c, gamma, cache);
            z[j] = s;
            double fd = (lp - lm) / (2 * h);
            ck_assert_msg(fabs(gin[j] - fd) < 1e-5 * (1 + fabs(fd)), "%s d=%zu input %zu: "
                          "backward %.10g, finite differences %.10g", fl_kind_name(lc->kind), d,
                          j, gin[j], fd);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* fl_score: J' gq_out = gq_in - grad log|det J| at the forward point, with J and the
 * log-determinant's gradient from finite differences */
START_TEST(test_layer_score)
{
    const LayerCase *lc;
    FlLayer l;
    gsl_rng *r = layer_case(_i, 30, &l, &lc);
    double p[LMAXP], cache[LMAXP], work[LMAXP], z[VT_MAXD], zo[VT_MAXD], zp[VT_MAXD], zm[VT_MAXD];
    double g0[VT_MAXD], gq[VT_MAXD], J[VT_MAXD][VT_MAXD], gld[VT_MAXD];
    size_t d = lc->d;
    ck_assert(fl_score_work(&l) <= LMAXP);
    for (int rep = 0; rep < 5; rep++) {
        layer_random(&l, p, r);
        for (size_t i = 0; i < d; i++) {
            z[i] = gsl_ran_gaussian(r, 1.0);
            g0[i] = gq[i] = gsl_ran_gaussian(r, 1.0);
        }
        const double h = 1e-6;
        for (size_t j = 0; j < d; j++) {
            double s = z[j];
            z[j] = s + h; double lp = fl_forward(&l, p, z, zp, cache);
            z[j] = s - h; double lm = fl_forward(&l, p, z, zm, cache);
            z[j] = s;
            gld[j] = (lp - lm) / (2 * h);
            for (size_t i = 0; i < d; i++) J[i][j] = (zp[i] - zm[i]) / (2 * h);
        }
        fl_forward(&l, p, z, zo, cache);
        fl_score(&l, p, z, cache, gq, work);
        for (size_t j = 0; j < d; j++) {
            double lhs = 0;
            for (size_t i = 0; i < d; i++) lhs += J[i][j] * gq[i];
            double rhs = g0[j] - gld[j];
            ck_assert_msg(fabs(lhs - rhs) < 1e-5 * (1 + fabs(rhs)), "%s d=%zu rev %d exp %d coordinate "
                          "%zu: J' score %.10g, grad log q_in - grad log|det| %.10g",
                          fl_kind_name(lc->kind), d, lc->reverse, lc->expscale, j, lhs, rhs);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* J[i][j] = d f_i / d z_j by central differences (step h) at z */
static void fd_jacobian(const FlLayer *l, const double *p, double *z, double h, double J[][VT_MAXD])
{
    double cache[LMAXP], zp[VT_MAXD], zm[VT_MAXD];
    for (size_t j = 0; j < l->d; j++) {
        double s = z[j];
        z[j] = s + h; fl_forward(l, p, z, zp, cache);
        z[j] = s - h; fl_forward(l, p, z, zm, cache);
        z[j] = s;
        for (size_t i = 0; i < l->d; i++) J[i][j] = (zp[i] - zm[i]) / (2 * h);
    }
}

START_TEST(test_iaf_autoregressive)
{
    /* d z_out_i / d z_j = 0 for j after i in the layer's order: lower triangular in the
     * order, reversed order for reverse layers */
    for (int rev = 0; rev < 2; rev++) {
        FlLayer l;
        fl_layer_setup(&l, FL_IAF, 4, 0, rev, 0);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 3);
        double p[LMAXP], z[4] = {0.3, -1, 0.5, 2}, J[VT_MAXD][VT_MAXD];
        layer_random(&l, p, r);
        fd_jacobian(&l, p, z, 1e-5, J);
        for (size_t j = 0; j < 4; j++) {
            for (size_t i = 0; i < 4; i++) {
                int later = rev ? j < i : j > i;
                double dij = J[i][j];
                if (later) ck_assert_msg(fabs(dij) < 1e-12, "rev %d: d z%zu / d z%zu = %g", rev, i, j, dij);
                else ck_assert_msg(fabs(dij) > 1e-6, "rev %d: d z%zu / d z%zu = 0", rev, i, j);
            }
        }
        gsl_rng_free(r);
    }
}
END_TEST

START_TEST(test_coupling_structure)
{
    /* the conditioning half passes through an elementwise map (a diagonal block), the
     * other half depends on it: d z_out_i / d z_j = 0 for i in the first half and j != i,
     * and nonzero for i in the second half and j in the first.  Halves swap when
     * reversed. */
    for (int rev = 0; rev < 2; rev++) {
        FlLayer l;
        fl_layer_setup(&l, FL_COUPLING, 5, 0, rev, 0);
        l.expscale = 1;
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 4);
        double p[LMAXP], z[5] = {0.3, -1, 0.5, 2, -0.7}, J[VT_MAXD][VT_MAXD];
        layer_random(&l, p, r);
        fd_jacobian(&l, p, z, 1e-5, J);
        for (size_t j = 0; j < 5; j++) {
            for (size_t i = 0; i < 5; i++) {
                int ia = (i < 3) != rev, ja = (j < 3) != rev;     /* in the conditioning half */
                double dij = J[i][j];
                if (ia && i != j) ck_assert_msg(fabs(dij) < 1e-12, "rev %d: d z%zu / d z%zu = %g", rev, i, j, dij);
                if (!ia && i != j && !ja) ck_assert_msg(fabs(dij) < 1e-12, "rev %d: d z%zu / d z%zu = %g", rev, i, j, dij);
                if (!ia && ja) ck_assert_msg(fabs(dij) > 1e-6, "rev %d: d z%zu / d z%zu = 0", rev, i, j);
            }
        }
        gsl_rng_free(r);
    }
}
END_TEST

START_TEST(test_layer_init_identity)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    /* planar, radial, IAF gate, IAF exp, coupling gate, coupling exp */
    const FlKind kinds[] = {FL_PLANAR, FL_RADIAL, FL_IAF, FL_IAF, FL_COUPLING, FL_COUPLING};
    for (int kk = 0; kk < 6; kk++) {
        FlKind k = kinds[kk];
        FlLayer l;
        fl_layer_setup(&l, k, 3, 0, 0, 0);
        l.expscale = kk == 3 || kk == 5;   /* the exp-scale update starts near the identity */
        double p[LMAXP], cache[LMAXP], c[3] = {1, -2, 0.5}, z[3] = {1.5, -2.5, 0}, zo[3];
        fl_layer_init(&l, p, c, r);
        double ld = fl_forward(&l, p, z, zo, cache);
        /* planar and radial start within 0.05 of the identity; the IAF gate starts at
         * sigma = 0.95 (Kingma et al.'s forget-gate bias), pulling 5% towards the centre */
        int gate = (k == FL_IAF || k == FL_COUPLING) && !l.expscale;
        double tol = gate ? 0.3 : 0.1;
        for (int i = 0; i < 3; i++) ck_assert_msg(fabs(zo[i] - z[i]) < tol, "%s", fl_kind_name(k));
        ck_assert_msg(fabs(ld) < (gate ? 0.2 : 0.1), "%s log|det| %g", fl_kind_name(k), ld);
        ck_assert(fl_invertible(&l, p));
    }
    gsl_rng_free(r);
}
END_TEST

/* ---- the whole flow: the pathwise gradient against finite differences --------------- */

/* With the random stream reset before each call the base draws are the same, so the ELBO
 * estimate is a smooth function of the parameters and its gradient is what
 * vi_core_gradient returns (the reparameterisation gradient, exactly). */
static void check_pathwise(const Backend *b, BkTarget *t, const BkOpt *opts, size_t nopts,
                           const double *u0)
{
    BkSettings s = {.iters = 10, .mc = 3, .opts = opts, .nopts = nopts};
    char err[256];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    void *st = b->create(&s, t, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    b->init(st, t, r, u0, err, sizeof err);
    ViCore *c = b == &backend_flow ? flow_core(st) : bbvi_core(st);
    size_t np = vi_core_nparam(c);
    double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g), *g2 = malloc(np * sizeof *g2);
    memcpy(p, vi_core_par(c), np * sizeof *p);
    for (size_t j = 0; j < np; j++) p[j] += 0.05 * gsl_ran_gaussian(r, 1.0);
    double e, ep, em;
    gsl_rng_set(r, 77);
    ck_assert_int_eq(vi_core_gradient(c, t, r, p, g, &e), 0);
    const double h = 1e-6;
    for (size_t j = 0; j < np; j++) {
        double sj = p[j];
        p[j] = sj + h; gsl_rng_set(r, 77); vi_core_gradient(c, t, r, p, g2, &ep);
        p[j] = sj - h; gsl_rng_set(r, 77); vi_core_gradient(c, t, r, p, g2, &em);
        p[j] = sj;
        double fd = (ep - em) / (2 * h);
        ck_assert_msg(fabs(g[j] - fd) < 1e-5 * (1 + fabs(fd)), "%s parameter %zu of %zu: "
                      "gradient %.10g, finite differences %.10g", b->name, j, np, g[j], fd);
    }
    free(p); free(g); free(g2);
    b->free(st);
    gsl_rng_free(r);
}

/* The path gradient (--stl) drops E_q[d/dp log q(z; p)] at fixed z, which is zero: per
 * draw it differs from the full pathwise gradient, on average it must not.  The same base
 * draws go to both; the mean difference over N draws is held to 5 standard errors for
 * every parameter.  test_layer_score pins each layer's step exactly; this checks the
 * assembly (base, whitening, order of layers), and a wrong step biases it: it fails when
 * the planar, radial or IAF step has a term off by a sign or 10-20%. */
static void check_stl_unbiased(BkTarget *t, const BkOpt *opts, size_t nopts, const double *u0)
{
    enum { N = 4000 };
    BkOpt o1[8], o2[8];
    memcpy(o1, opts, nopts * sizeof *opts);
    memcpy(o2, opts, nopts * sizeof *opts);
    o1[nopts] = (BkOpt){"stl", "true"};
    o2[nopts] = (BkOpt){"stl", "false"};
    o1[nopts + 1] = o2[nopts + 1] = (BkOpt){NULL, NULL};
    BkSettings s1 = {.iters = 10, .mc = 1, .opts = o1, .nopts = nopts + 1};
    BkSettings s2 = {.iters = 10, .mc = 1, .opts = o2, .nopts = nopts + 1};
    char err[256];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    void *a = backend_flow.create(&s1, t, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    void *b = backend_flow.create(&s2, t, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    gsl_rng_set(r, 5);
    backend_flow.init(a, t, r, u0, err, sizeof err);
    gsl_rng_set(r, 5);
    backend_flow.init(b, t, r, u0, err, sizeof err);
    ViCore *ca = flow_core(a), *cb = flow_core(b);
    size_t np = vi_core_nparam(ca);
    ck_assert_uint_eq(np, vi_core_nparam(cb));
    double *p = malloc(np * sizeof *p), *ga = malloc(np * sizeof *ga), *gb = malloc(np * sizeof *gb);
    double *s1d = calloc(np, sizeof *s1d), *s2d = calloc(np, sizeof *s2d), e;
    memcpy(p, vi_core_par(ca), np * sizeof *p);
    /* away from the start, where every layer acts */
    for (size_t j = 0; j < np; j++) p[j] += 0.4 * gsl_ran_gaussian(r, 1.0);
    int differ = 0;
    for (int n = 0; n < N; n++) {
        unsigned long seed = 1000 + (unsigned long)n;
        gsl_rng_set(r, seed);
        ck_assert_int_eq(vi_core_gradient(ca, t, r, p, ga, &e), 0);
        gsl_rng_set(r, seed);
        ck_assert_int_eq(vi_core_gradient(cb, t, r, p, gb, &e), 0);
        for (size_t j = 0; j < np; j++) {
            double dj = ga[j] - gb[j];
            s1d[j] += dj;
            s2d[j] += dj * dj;
            differ += fabs(dj) > 1e-8;
        }
    }
    ck_assert_msg(differ > N, "the path gradient equals the full one draw by draw");
    for (size_t j = 0; j < np; j++) {
        double m = s1d[j] / N, se = sqrt(fmax(s2d[j] / N - m * m, 0) / N);
        ck_assert_msg(fabs(m) <= 5 * se + 1e-12, "parameter %zu of %zu: path minus full gradient "
                      "%g on average, standard error %g", j, np, m, se);
    }
    free(p); free(ga); free(gb); free(s1d); free(s2d);
    backend_flow.free(a);
    backend_flow.free(b);
    gsl_rng_free(r);
}

START_TEST(test_flow_stl_unbiased)
{
    BkTarget t = {.dim = 2, .logp = vt_banana_logp};
    double u0[2] = {0.2, 0.5};
    BkOpt mix[] = {{"flow", "planar:2,radial:2,iaf:2"}};
    check_stl_unbiased(&t, mix, 1, u0);
    BkOpt gate[] = {{"flow", "iaf:2"}, {"iaf-scale", "gate"}, {"activation", "elu"}};
    check_stl_unbiased(&t, gate, 3, u0);
}
END_TEST

START_TEST(test_flow_pathwise_gradient)
{
    BkTarget t = {.dim = 2, .logp = vt_banana_logp};
    double u0[2] = {0.2, 0.5};
    /* without the path gradient (--stl) the flow's gradient is the plain pathwise one */
    BkOpt opts[] = {{"flow", "planar:2,radial:2,iaf:2"}, {"stl", "false"}, {NULL, NULL}};
    check_pathwise(&backend_flow, &t, opts, 2, u0);
    BkOpt elu[] = {{"flow", "iaf:2"}, {"activation", "elu"}, {"hidden", "5"}, {"stl", "false"}, {NULL, NULL}};
    check_pathwise(&backend_flow, &t, elu, 4, u0);
    BkOpt gate[] = {{"flow", "iaf:2"}, {"iaf-scale", "gate"}, {"stl", "false"}, {NULL, NULL}};
    check_pathwise(&backend_flow, &t, gate, 3, u0);
    /* bbvi without sticking the landing or the control variate is the plain pathwise
     * gradient too */
    BkOpt mf[] = {{"stl", "false"}, {"cv", "false"}, {NULL, NULL}};
    check_pathwise(&backend_bbvi, &t, mf, 2, u0);
    BkOpt fr[] = {{"stl", "false"}, {"cv", "false"}, {"family", "fullrank"}, {NULL, NULL}};
    check_pathwise(&backend_bbvi, &t, fr, 3, u0);
}
END_TEST

/* The ELBO of q = N(mu, L L') for p = N(m, S) in closed form (bbvi's parameters: mu,
 * log scales theta, unit lower M with L = diag(exp(theta)) M). */
static double gauss_elbo(const VtGauss *g, const double *p, int full)
{
    size_t d = g->d;
    double Lq[VT_MAXD * VT_MAXD] = {0}, x[VT_MAXD], y[VT_MAXD];
    for (size_t i = 0; i < d; i++) {
        double si = exp(p[d + i]);
        Lq[i * d + i] = si;
        for (size_t j = 0; full && j < i; j++) Lq[i * d + j] = si * p[2 * d + i * (i - 1) / 2 + j];
    }
    /* |Lp^-1 x|^2 for x = mu - m and for each column of Lq */
    double quad = 0, logdet_p = 0, ent = 0;
    for (size_t c = 0; c <= d; c++) {
        for (size_t i = 0; i < d; i++) x[i] = c == d ? p[i] - g->m[i] : Lq[i * d + c];
        for (size_t i = 0; i < d; i++) {
            double a = x[i];
            for (size_t j = 0; j < i; j++) a -= g->L[i * d + j] * y[j];
            y[i] = a / g->L[i * d + i];
            quad += y[i] * y[i];
        }
    }
    for (size_t i = 0; i < d; i++) { logdet_p += 2 * log(g->L[i * d + i]); ent += p[d + i]; }
    return -0.5 * quad - 0.5 * logdet_p - 0.5 * (double)d * log(2 * M_PI)
           + ent + 0.5 * (double)d * (1 + log(2 * M_PI));
}

/* With the Laplace control variate the reparameterisation gradient on a Gaussian target
 * is exact from any draw (the remainder log p - Q vanishes): it equals the derivative of
 * the closed-form ELBO, for both families and with or without sticking the landing. */
START_TEST(test_bbvi_cv_exact_on_gaussian)
{
    VtGauss g = {.d = 3, .m = {1, -2, 0.5}};
    double Lp[9] = {0.5, 0, 0, 0.9, 0.6, 0, -0.3, 1.2, 2.0};
    memcpy(g.L, Lp, sizeof Lp);
    BkTarget t = vt_gauss_target(&g);
    double u0[3] = {0.3, -0.2, 0.1};
    for (int k = 0; k < 4; k++) {
        int full = k & 1;
        BkOpt opts[] = {{"family", full ? "fullrank" : "meanfield"}, {"stl", k & 2 ? "false" : "true"}, {NULL, NULL}};
        BkSettings s = {.iters = 10, .mc = 2, .opts = opts, .nopts = 2};
        char err[256];
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        void *st = backend_bbvi.create(&s, &t, err, sizeof err);
        ck_assert_msg(st != NULL, "%s", err);
        ck_assert_int_eq(backend_bbvi.init(st, &t, r, u0, err, sizeof err), 0);
        ViCore *c = bbvi_core(st);
        size_t np = vi_core_nparam(c);
        double p[64], gr[64], e;
        memcpy(p, vi_core_par(c), np * sizeof *p);
        for (size_t j = 0; j < np; j++) p[j] += 0.3 * gsl_ran_gaussian(r, 1.0);  /* away from the optimum */
        ck_assert_int_eq(vi_core_gradient(c, &t, r, p, gr, &e), 0);
        for (size_t j = 0; j < np; j++) {
            double sj = p[j], h = 1e-5;
            p[j] = sj + h;
            double ep = gauss_elbo(&g, p, full);
            p[j] = sj - h;
            double em = gauss_elbo(&g, p, full);
            p[j] = sj;
            double fd = (ep - em) / (2 * h);
            ck_assert_msg(fabs(gr[j] - fd) < 1e-4 * (1 + fabs(fd)), "%s stl=%s parameter %zu: gradient %.8g, "
                          "closed form %.8g", opts[0].value, opts[1].value, j, gr[j], fd);
        }
        backend_bbvi.free(st);
        gsl_rng_free(r);
    }
}
END_TEST

/* ---- fits ------------------------------------------------------------------------------ */

START_TEST(test_flow_gaussian)
{
    VtGauss g = {.d = 3, .m = {1, -2, 0.5}};
    double sd[3] = {0.2, 1, 3};
    for (int i = 0; i < 3; i++) g.L[i * 3 + i] = sd[i];
    BkTarget t = vt_gauss_target(&g);
    double u0[3] = {0};
    VtRun o;
    BkOpt opts[] = {{"flow", "iaf:2"}, {NULL, NULL}};
    vt_run(&backend_flow, &t, opts, 1, 30000, 0, 0, 4, 20000, u0, 0, &o);
    printf("flow on a Gaussian: rc %d iters %ld conv %d ELBO %.4f ± %.4f khat %.2f\n", o.rc,
           o.stats.iters, o.stats.converged, o.stats.elbo, o.stats.elbo_se, o.stats.khat);
    ck_assert_msg(o.rc == BK_DONE, "%s", o.err);
    ck_assert(o.stats.converged);
    for (int i = 0; i < 3; i++) {
        printf("  coord %d: mean %.4f (%.4f) sd %.4f (%.4f)\n", i, o.mean[i], g.m[i], o.sd[i], sd[i]);
        ck_assert(fabs(o.mean[i] - g.m[i]) < 0.1 * sd[i]);
        ck_assert(fabs(o.sd[i] / sd[i] - 1) < 0.1);
    }
    ck_assert(o.stats.elbo > -0.05 && o.stats.elbo < 4 * o.stats.elbo_se + 1e-9);
}
END_TEST

/* Flow and fullrank on the same target, evaluated with 10000 draws each. */
typedef struct Duel { VtRun flow, full; } Duel;

static void duel(BkLogp logp, unsigned long seed, const double *u0, int check_khat, Duel *d)
{
    BkTarget t = {.dim = 2, .logp = logp};
    /* both families from the same random start (no mode start: the funnel's mode is in its neck) */
    BkOpt fo[] = {{"eval-draws", "10000"}, {"init-mode", "false"}, {NULL, NULL}};
    BkOpt ro[] = {{"family", "fullrank"}, {"eval-draws", "10000"}, {"init-mode", "false"}, {NULL, NULL}};
    vt_run(&backend_flow, &t, fo, 2, 30000, 0, 0, seed, 40000, u0, 0, &d->flow);
    vt_run(&backend_bbvi, &t, ro, 3, 30000, 0, 0, seed, 40000, u0, 0, &d->full);
    for (int k = 0; k < 2; k++) {
        VtRun *o = k ? &d->full : &d->flow;
        printf("  %-8s rc %d iters %5ld conv %d ELBO %8.4f ± %.4f k-hat %5.2f  mean %6.3f %6.3f  "
               "sd %6.3f %6.3f\n", k ? "fullrank" : "flow", o->rc, o->stats.iters,
               o->stats.converged, o->stats.elbo, o->stats.elbo_se, o->stats.khat, o->mean[0],
               o->mean[1], o->sd[0], o->sd[1]);
        ck_assert_msg(o->rc == BK_DONE, "%s", o->err);
    }
    /* a higher ELBO beyond the Monte Carlo error: a smaller KL(q || p) */
    double se = sqrt(d->flow.stats.elbo_se * d->flow.stats.elbo_se + d->full.stats.elbo_se * d->full.stats.elbo_se);
    ck_assert_msg(d->flow.stats.elbo > d->full.stats.elbo + 4 * se, "ELBO flow %g, fullrank %g",
                  d->flow.stats.elbo, d->full.stats.elbo);
    /* lower, or usable (< 0.7).  k-hat reads the top 3% of the weights, which KL(q || p)
     * barely sees: on the funnel over seed shifts 0-9 the flow's k-hat (10000 draws) was
     * 0.35-0.80 nine times and 0.87 once against the Gaussian's 0.75 (0.72-0.93 in all),
     * with KL 0.002-0.003 against 0.84-0.86; the margin 0.15 covers that one */
    if (check_khat)
        ck_assert_msg(d->flow.stats.khat < fmax(d->full.stats.khat + 0.15, 0.7), "k-hat flow %g, fullrank %g",
                      d->flow.stats.khat, d->full.stats.khat);
}

START_TEST(test_flow_funnel)
{
    /* Neal's funnel: v ~ N(0, 3), x ~ N(0, exp(v/2)) */
    /* (with --iaf-scale=exp, seeds 0..3: sd(v) 2.77..2.87) */
    double u0[2] = {0, 1};
    Duel d;
    printf("funnel:\n");
    duel(vt_funnel_logp, 1, u0, 1, &d);
    ck_assert_msg(fabs(d.flow.sd[0] / 3 - 1) < 0.10, "flow sd(v) %g, exact 3", d.flow.sd[0]);
    ck_assert_msg(fabs(d.flow.mean[0]) < 0.45, "flow mean(v) %g", d.flow.mean[0]);
    /* what the Gaussian misses: it cannot widen the funnel's mouth */
    ck_assert(d.full.sd[0] < 2);
}
END_TEST

START_TEST(test_flow_banana)
{
    /* x1 ~ N(0, 1), x2 ~ N(x1^2, 0.5): E x2 = 1, sd x2 = 1.5 */
    /* Over seeds 1..10 the flow's ELBO was higher every time, its k-hat lower only 8
     * times (twice a fit with a lighter tail than the banana's had k-hat ~1): so the ELBO
     * is compared, the k-hat is not */
    double u0[2] = {0, 1};
    Duel d;
    printf("banana:\n");
    duel(vt_banana_logp, 4, u0, 0, &d);
    /* The density is normalised, so the ELBO is -KL(q || p).  Over 21 seeds the flow's
     * KL was 0.00-0.07 nineteen times and 0.12 twice (a fit that stopped bending: sd(x1)
     * 0.79, E x2 0.63, sd(x2) 1.03); the Gaussian's was 0.55 every time (E x2 0.22, sd(x2)
     * 0.50).  KL(q || p) forgives a light tail: sd(x2) was 1.03-1.46 of the exact 1.5.
     * The bounds hold for all 21 and fail for any Gaussian-like fit. */
    ck_assert_msg(d.flow.stats.elbo > -0.2, "flow KL %g", -d.flow.stats.elbo);
    ck_assert_msg(d.full.stats.elbo < -0.4, "fullrank KL %g", -d.full.stats.elbo);
    ck_assert_msg(fabs(d.flow.sd[0] - 1) < 0.3, "flow sd(x1) %g, exact 1", d.flow.sd[0]);
    ck_assert_msg(d.flow.mean[1] > 0.55 && d.flow.mean[1] < 1.2, "flow mean(x2) %g, exact 1", d.flow.mean[1]);
    ck_assert_msg(d.flow.sd[1] > 0.9 && d.flow.sd[1] < 1.65, "flow sd(x2) %g, exact 1.5", d.flow.sd[1]);
    ck_assert(fabs(d.full.mean[1] - 1) > 0.5);
}
END_TEST

START_TEST(test_flow_invertible_after_training)
{
    BkTarget t = {.dim = 2, .logp = vt_banana_logp};
    double u0[2] = {0, 1};
    VtRun o;
    BkOpt opts[] = {{"flow", "planar:4,radial:2,iaf:1"}, {NULL, NULL}};
    vt_run(&backend_flow, &t, opts, 1, 40000, 0, 0.05, 8, 100, u0, 1, &o);
    printf("invertible: rc %d iters %ld converged %d ELBO %.4f\n", o.rc, o.stats.iters, o.stats.converged, o.stats.elbo);
    /* what is checked is the layers after training, converged or at the cap */
    ck_assert_msg(o.rc == BK_DONE || o.rc == BK_OK, "%s", o.err);
    const FlLayer *layers;
    const double *par;
    const size_t *off;
    size_t nl = flow_layers(o.st, &layers, &par, &off);
    ck_assert_uint_eq(nl, 7);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double cache[LMAXP], z[2], zo[2], zp[2], zm[2];
    int moved = 0;
    for (size_t k = 0; k < nl; k++) {
        const double *p = par + off[k];
        double cst = fl_constraint(&layers[k], p);
        printf("  layer %zu (%s): constraint %.4f\n", k + 1, fl_kind_name(layers[k].kind), cst);
        ck_assert(fl_invertible(&layers[k], p));
        if (layers[k].kind == FL_PLANAR) { ck_assert(cst > -1); moved += fabs(cst) > 0.05; }
        if (layers[k].kind == FL_RADIAL) ck_assert(cst >= 0);
        /* a positive Jacobian determinant everywhere we look */
        for (int n = 0; n < 200; n++) {
            z[0] = gsl_ran_gaussian(r, 3);
            z[1] = gsl_ran_gaussian(r, 3);
            double ld = fl_forward(&layers[k], p, z, zo, cache);
            ck_assert(isfinite(ld));
            double J[2][2];
            for (int j = 0; j < 2; j++) {
                double sj = z[j];
                z[j] = sj + 1e-6; fl_forward(&layers[k], p, z, zp, cache);
                z[j] = sj - 1e-6; fl_forward(&layers[k], p, z, zm, cache);
                z[j] = sj;
                for (int i = 0; i < 2; i++) J[i][j] = (zp[i] - zm[i]) / 2e-6;
            }
            ck_assert(J[0][0] * J[1][1] - J[0][1] * J[1][0] > 0);
        }
    }
    ck_assert_msg(moved > 0, "no planar layer moved away from its start");
    gsl_rng_free(r);
    backend_flow.free(o.st);
}
END_TEST

START_TEST(test_flow_mixture)
{
    VtMix m = {.w = {0.5, 0.3, 0.2}, .mu = {-1, 0.8, 3}, .y = 0.5};
    BkTarget t = vt_mix_target(&m);
    double u0[2] = {0, 1}, post[3];
    VtRun o;
    BkOpt opts[] = {{"flow", "planar:2"}, {NULL, NULL}};
    vt_run(&backend_flow, &t, opts, 1, 20000, 0, 0, 12, 20000, u0, 0, &o);
    vt_mix_post(&m, post);
    printf("flow mixture: q(z) = %.3f %.3f %.3f, exact %.3f %.3f %.3f\n", o.pk[0], o.pk[1], o.pk[2],
           post[0], post[1], post[2]);
    ck_assert_msg(o.rc == BK_DONE, "%s", o.err);
    for (int k = 0; k < 3; k++) ck_assert(fabs(o.pk[k] - post[k]) < 0.03);
    ck_assert(fabs(o.sd[0] / 0.5 - 1) < 0.1);
}
END_TEST

/* ---- the --flow spec ------------------------------------------------------------------- */

typedef struct SpecCase { const char *spec, *msg; size_t nl; } SpecCase;
static const SpecCase spec_cases[] = {
    {"planar:8", NULL, 8},
    {"iaf:2,planar:8", NULL, 10},
    {"radial:1,iaf:1,planar:3", NULL, 5},
    {"planar", "needs a count, e.g. planar:4", 0},
    {"foo:2", "unknown layer 'foo:2'", 0},
    {"planar:0", "cannot read --flow=planar:0", 0},
    {"planar:2,", "cannot read --flow=planar:2,", 0},
    {"planar:2x", "cannot read --flow=planar:2x", 0},
    {"", "cannot read --flow=", 0},
    {"iaf:40,planar:40", "more than 64 layers", 0},
};

START_TEST(test_flow_spec)
{
    const SpecCase *c = &spec_cases[_i];
    BkTarget t = {.dim = 2, .logp = vt_banana_logp};
    BkOpt opts[] = {{"flow", c->spec}, {NULL, NULL}};
    BkSettings s = {.opts = opts, .nopts = 1};
    char err[256] = "";
    void *st = backend_flow.create(&s, &t, err, sizeof err);
    if (c->msg) {
        ck_assert_ptr_null(st);
        ck_assert_msg(strstr(err, c->msg) != NULL, "'%s': %s", c->spec, err);
    } else {
        ck_assert_msg(st != NULL, "%s", err);
        const FlLayer *layers;
        const double *par;
        const size_t *off;
        ck_assert_uint_eq(flow_layers(st, &layers, &par, &off), c->nl);
        backend_flow.free(st);
    }
}
END_TEST

static int flat_logp(void *ctx, const double *u, double *lp, double *grad)
{
    *lp = 0;
    return 0;
}

START_TEST(test_flow_auto_spec)
{
    /* auto: iaf:3 up to 100 dimensions, planar:16 above (IAF layers are O(dim^2)) */
    size_t dims[2] = {100, 101}, want[2] = {3, 16};
    FlKind kind[2] = {FL_IAF, FL_PLANAR};
    for (int k = 0; k < 2; k++) {
        BkTarget t = {.dim = dims[k], .logp = flat_logp};
        BkSettings s = {0};
        char err[256];
        void *st = backend_flow.create(&s, &t, err, sizeof err);
        ck_assert_msg(st != NULL, "%s", err);
        const FlLayer *layers;
        const double *par;
        const size_t *off;
        ck_assert_uint_eq(flow_layers(st, &layers, &par, &off), want[k]);
        ck_assert_int_eq(layers[0].kind, kind[k]);
        if (kind[k] == FL_IAF) ck_assert_uint_eq(layers[0].hidden, 64);
        backend_flow.free(st);
    }
}
END_TEST

START_TEST(test_flow_bad_options)
{
    BkTarget t = {.dim = 2, .logp = vt_banana_logp};
    BkOpt opts[] = {{"activation", "relu"}, {NULL, NULL}};
    BkSettings s = {.opts = opts, .nopts = 1};
    char err[256] = "";
    ck_assert_ptr_null(backend_flow.create(&s, &t, err, sizeof err));
    ck_assert_msg(strstr(err, "unknown --activation=relu") != NULL, "%s", err);
    BkTarget t0 = {.dim = 0, .logp = vt_banana_logp};
    BkSettings s0 = {0};
    ck_assert_ptr_null(backend_flow.create(&s0, &t0, err, sizeof err));
    ck_assert_msg(strstr(err, "no continuous parameter") != NULL, "%s", err);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("flow");
    TCase *tl = tcase_create("layers");
    int nl = (int)(sizeof layer_cases / sizeof layer_cases[0]);
    tcase_add_loop_test(tl, test_layer_logdet, 0, nl);
    tcase_add_loop_test(tl, test_layer_gradients, 0, nl);
    tcase_add_loop_test(tl, test_layer_score, 0, nl);
    tcase_add_test(tl, test_iaf_autoregressive);
    tcase_add_test(tl, test_coupling_structure);
    tcase_add_test(tl, test_layer_init_identity);
    suite_add_tcase(s, tl);
    TCase *tf = tcase_create("fits");
    tcase_set_timeout(tf, 120);
    tcase_add_test(tf, test_flow_pathwise_gradient);
    tcase_add_test(tf, test_flow_stl_unbiased);
    tcase_add_test(tf, test_bbvi_cv_exact_on_gaussian);
    tcase_add_test(tf, test_flow_gaussian);
    tcase_add_test(tf, test_flow_funnel);
    tcase_add_test(tf, test_flow_banana);
    tcase_add_test(tf, test_flow_invertible_after_training);
    tcase_add_test(tf, test_flow_mixture);
    tcase_add_loop_test(tf, test_flow_spec, 0, (int)(sizeof spec_cases / sizeof spec_cases[0]));
    tcase_add_test(tf, test_flow_auto_spec);
    tcase_add_test(tf, test_flow_bad_options);
    suite_add_tcase(s, tf);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
