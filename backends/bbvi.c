/* bbvi: black-box VI with a Gaussian q on the unconstrained space.
 *
 *   meanfield: z = mu + s .* eps                 s = exp(theta)
 *   fullrank:  z = mu + L eps,  L = diag(s) M    M unit lower triangular
 *
 * Writing L as diag(s) M keeps every parameter scale-free (log scales, ratios M_ij)
 * except mu, whose steps are taken in units of q's marginal sd (ViFamily.scales): one
 * Adam step size then suits posteriors of any scale.  meanfield is fullrank with M = I.
 *
 * Both estimators share one formula: with v a vector over z,
 *   d/dmu = v,  d/dtheta_i = v_i (z - mu)_i + c,  d/dM_ij = s_i v_i eps_j   (j < i)
 * reparameterisation: v = grad log p (+ L^-T eps with "sticking the landing", Roeder et
 * al. 2017, which drops the entropy's score term: c = 0; without it c = 1, the exact
 * entropy gradient); score function: v = L^-T eps = Sigma^-1 (z - mu), c = -1 gives
 * d log q / d lambda, which vi_common combines with log p - log q and control variates.
 *
 * Control variate for the reparameterisation estimator (Miller et al. 2017, "Reducing
 * reparameterization gradient variance"): with H the Hessian of -log p at the mode
 * (the Laplace approximation of the start), log p = Q + (log p - Q) for the quadratic
 * Q(z) = -(z - m)' H (z - m) / 2.  E_q[Q] + entropy has an exact gradient,
 *   d/dmu = -H (mu - m),  d/dtheta_i = 1 - (H Sigma)_ii,  d/dM_ij = -s_i (H L)_ij,
 * and only the remainder is estimated from draws: v = grad log p(z) + H (z - m).  On a
 * Gaussian posterior the remainder is zero and the gradient exact, whatever the family:
 * mean-field on a strongly correlated posterior (earnings: rho = -0.999) otherwise has
 * gradient noise of the order of the conditional precision, and its means random-walk
 * along the ridge for tens of thousands of iterations.  Unbiased for any H and m.
 *
 * Far from Gaussian (eight schools' tau) the fixed quadratic can add more noise than it
 * removes, so each coordinate's control variate is scaled by alpha_i, the estimated
 * optimal coefficient Cov(v_i, c_i) / Var(c_i) of the mu_i gradient v_i and control
 * variate c_i, from decayed sums over past steps only (the current step's draws do not
 * choose their own alpha: the estimator stays unbiased), clamped to [0, 1]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_linalg.h>
#include "backends/vi_common.h"
#include "backends/mode.h"
#include "backends/vi_backends.h"
#include "backends/results.h"

typedef struct Gauss {
    size_t d;
    int full, stl, score;
    double *eps, *a;           /* last base draw, and L^-T eps */
    int *group;
    int *mon_coord;            /* mu_i is a location on coordinate i; theta_i a log-scale */
    double *H;                 /* Hessian of -log p at the mode (d x d), or NULL: no CV */
    double *m;                 /* the mode */
    double *HL, *Lq, *hz;      /* scratch: H L, L, the draw's v - alpha c */
    double *cv_at, *cv_exact;  /* parameters the exact part was computed for, and it */
    int cv_valid;
    double *alpha;             /* per-coordinate CV coefficient; sums: past and this step */
    double *s_vc, *s_cc, *n_vc, *n_cc;
} Gauss;

typedef struct Bbvi {
    Gauss g;
    ViFamily fam;
    ViCore *core;
    int init_mode;             /* start q at the nearest mode (backends/mode.c) */
    int cv_reparam;            /* the Laplace control variate (needs the mode's Hessian) */
} Bbvi;

static const BkOption bbvi_options[] = {
    {"family", "string", "meanfield", "meanfield (independent Gaussians) or fullrank (Cholesky factor)"},
    {"estimator", "string", "reparam", "reparam (pathwise) or score (REINFORCE with control variates)"},
    {"stl", "bool", "true", "sticking-the-landing gradient (reparam): zero variance at an exact fit"},
    {"init-mode", "bool", "true", "start q at the nearest mode with the Laplace scales"},
    {"cv", "bool", "true", "control variates: per-factor baselines for the score estimator, the "
     "Laplace quadratic at the mode for reparam (needs --init-mode)"},
    {"rb", "bool", "true", "Rao-Blackwellise the score estimator: each factor of q sees only the "
     "model statements that depend on its coordinate (meanfield, and every discrete factor)"},
    {"window", "int", "100", "iterations per window of the stopping rule"},
    {"eval-draws", "int", "1000", "draws for the final ELBO, its MCSE and the Pareto k-hat"},
    {"psis-resample", "bool", "false", "return draws importance-resampled (Pareto-smoothed weights) from "
     "the --eval-draws draws of q, instead of fresh draws of q"},
    {NULL, NULL, NULL, NULL}
};

static const char *const bbvi_columns[] = {"log_p__", "log_q__", NULL};

#define MIDX(i, j) ((i) * ((i) - 1) / 2 + (j))   /* strictly lower M_ij, j < i */

/* mu, theta, M offsets in the parameter vector */
static const double *P_MU(const Gauss *g, const double *p) { return p; }
static const double *P_TH(const Gauss *g, const double *p) { return p + g->d; }
static const double *P_M(const Gauss *g, const double *p) { return p + 2 * g->d; }

static double gauss_sample(void *self, const double *p, gsl_rng *r, double *z)
{
    Gauss *g = self;
    size_t d = g->d;
    const double *mu = P_MU(g, p), *th = P_TH(g, p), *M = P_M(g, p);
    double lq = -0.5 * (double)d * log(2 * M_PI);
    for (size_t i = 0; i < d; i++) {
        g->eps[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
        lq -= 0.5 * g->eps[i] * g->eps[i] + th[i];
    }
    for (size_t i = 0; i < d; i++) {
        double x = g->eps[i];
        if (g->full)
            for (size_t j = 0; j < i; j++) x += M[MIDX(i, j)] * g->eps[j];
        z[i] = mu[i] + exp(th[i]) * x;
    }
    return lq;
}

/* a = L^-T eps: solve M^T y = eps (unit upper triangular, backwards), a = y ./ s */
static void gauss_linv_t_eps(Gauss *g, const double *p)
{
    size_t d = g->d;
    const double *th = P_TH(g, p), *M = P_M(g, p);
    for (size_t ii = d; ii-- > 0;) {
        double y = g->eps[ii];
        if (g->full)
            for (size_t k = ii + 1; k < d; k++) y -= M[MIDX(k, ii)] * g->a[k] * exp(th[k]);
        g->a[ii] = y * exp(-th[ii]);
    }
}

/* The shared formula of the header comment: ADD into out. */
static void gauss_chain(Gauss *g, const double *p, const double *z, const double *v, double c,
                        double *out)
{
    size_t d = g->d;
    const double *mu = P_MU(g, p), *th = P_TH(g, p);
    double *omu = out, *oth = out + d, *oM = out + 2 * d;
    for (size_t i = 0; i < d; i++) {
        omu[i] += v[i];
        oth[i] += v[i] * (z[i] - mu[i]) + c;
        if (g->full) {
            double si = exp(th[i]) * v[i];
            for (size_t j = 0; j < i; j++) oM[MIDX(i, j)] += si * g->eps[j];
        }
    }
}

static size_t gauss_nparam(const Gauss *g) { return 2 * g->d + (g->full ? g->d * (g->d - 1) / 2 : 0); }

/* L = diag(s) M (d x d, row-major, zeros above the diagonal; M = I for meanfield) */
static void gauss_cholesky(const Gauss *g, const double *p, double *L)
{
    size_t d = g->d;
    const double *th = P_TH(g, p), *M = P_M(g, p);
    for (size_t i = 0; i < d; i++) {
        double si = exp(th[i]);
        for (size_t j = 0; j < d; j++)
            L[i * d + j] = j == i ? si : j < i && g->full ? si * M[MIDX(i, j)] : 0;
    }
}

/* The exact gradient of E_q[Q] + entropy (without its mu part, which the draws carry)
 * for parameters p, into g->cv_exact; recomputed only when p changed (once per step,
 * not per draw: O(d^3 / 2) for fullrank). */
static void gauss_cv_exact(Gauss *g, const double *p)
{
    size_t d = g->d, np = gauss_nparam(g);
    if (g->cv_valid && !memcmp(p, g->cv_at, np * sizeof *p)) return;
    /* a new step: the last step's products join the decayed sums, alpha follows */
    for (size_t i = 0; i < d; i++) {
        g->s_vc[i] = 0.98 * g->s_vc[i] + g->n_vc[i];
        g->s_cc[i] = 0.98 * g->s_cc[i] + g->n_cc[i];
        g->n_vc[i] = g->n_cc[i] = 0;
        if (g->s_cc[i] > 0) g->alpha[i] = fmin(1, fmax(0, g->s_vc[i] / g->s_cc[i]));
    }
    const double *th = P_TH(g, p);
    double *ex = g->cv_exact;
    const double *mu = P_MU(g, p);
    memset(ex, 0, np * sizeof *ex);
    for (size_t i = 0; i < d; i++)
        for (size_t k = 0; k < d; k++) ex[i] -= g->H[i * d + k] * (mu[k] - g->m[k]);
    if (!g->full) {
        for (size_t i = 0; i < d; i++) ex[d + i] = 1 - g->H[i * d + i] * exp(2 * th[i]);
    } else {
        /* L = diag(s) M, then H L: O(d^3 / 2) multiply-adds once per step, the cost of a
         * few gradients on a 90-dimensional model.  A plain loop, not BLAS: OpenBLAS
         * threads a 90 x 90 product and on a busy machine waits for its threads (radon,
         * fullrank: 71 s of wall time for 6 s of CPU) */
        gauss_cholesky(g, p, g->Lq);
        for (size_t i = 0; i < d; i++) {
            double *hl = g->HL + i * d;
            memset(hl, 0, d * sizeof *hl);
            for (size_t k = 0; k < d; k++) {
                double h = g->H[i * d + k];
                const double *lk = g->Lq + k * d;
                for (size_t j = 0; j <= k; j++) hl[j] += h * lk[j];
            }
        }
        for (size_t i = 0; i < d; i++) {
            /* (H Sigma)_ii = sum_{j <= i} (H L)_ij L_ij */
            double hs = 0, si = g->Lq[i * d + i];
            for (size_t j = 0; j <= i; j++) hs += g->HL[i * d + j] * g->Lq[i * d + j];
            for (size_t j = 0; j < i; j++) ex[2 * d + MIDX(i, j)] = -si * g->HL[i * d + j];
            ex[d + i] = 1 - hs;
        }
    }
    memcpy(g->cv_at, p, np * sizeof *p);
    g->cv_valid = 1;
}

/* The control variate's state for the mode m and Hessian H (taken over, freed with the
 * state); without memory the estimator just goes without it (g->H stays NULL). */
static void gauss_cv_setup(Gauss *g, const double *m, double *H)
{
    size_t d = g->d, np = gauss_nparam(g);
    g->HL = malloc(d * d * sizeof *g->HL);
    g->Lq = malloc(d * d * sizeof *g->Lq);
    g->hz = malloc(d * sizeof *g->hz);
    g->cv_at = malloc(np * sizeof *g->cv_at);
    g->cv_exact = malloc(np * sizeof *g->cv_exact);
    g->alpha = calloc(5 * d, sizeof *g->alpha);     /* alpha and the four sums in one block */
    g->m = malloc(d * sizeof *g->m);
    if (!g->HL || !g->Lq || !g->hz || !g->cv_at || !g->cv_exact || !g->alpha || !g->m) {
        free(H);
        return;
    }
    memcpy(g->m, m, d * sizeof *m);
    g->s_vc = g->alpha + d;
    g->s_cc = g->alpha + 2 * d;
    g->n_vc = g->alpha + 3 * d;
    g->n_cc = g->alpha + 4 * d;
    for (size_t i = 0; i < d; i++) g->alpha[i] = 1;
    g->H = H;
}

static void gauss_grad_reparam(void *self, const double *p, const double *z, const double *gl,
                               double *gpar)
{
    Gauss *g = self;
    if (g->H) {
        /* v = grad log p (+ L^-T eps with STL), c = -H (z - m) (+ the same): the
         * estimate is chain(v - alpha c) + alpha E[chain(c)] */
        size_t d = g->d;
        gauss_cv_exact(g, p);
        if (g->stl) gauss_linv_t_eps(g, p);
        for (size_t i = 0; i < d; i++) {
            double hz = 0, a = g->stl ? g->a[i] : 0;
            for (size_t k = 0; k < d; k++) hz += g->H[i * d + k] * (z[k] - g->m[k]);
            double v = gl[i] + a, c = a - hz;
            g->n_vc[i] += v * c;
            g->n_cc[i] += c * c;
            g->hz[i] = v - g->alpha[i] * c;
        }
        gauss_chain(g, p, z, g->hz, g->stl ? 0.0 : 1.0, gpar);
        for (size_t i = 0; i < d; i++) {
            double al = g->alpha[i];
            gpar[i] += al * g->cv_exact[i];
            gpar[d + i] += al * (g->cv_exact[d + i] - (g->stl ? 0 : 1));
            for (size_t j = 0; g->full && j < i; j++) gpar[2 * d + MIDX(i, j)] += al * g->cv_exact[2 * d + MIDX(i, j)];
        }
        return;
    }
    if (g->stl) {
        gauss_linv_t_eps(g, p);
        for (size_t i = 0; i < g->d; i++) g->a[i] += gl[i];
        gauss_chain(g, p, z, g->a, 0.0, gpar);
    } else {
        gauss_chain(g, p, z, gl, 1.0, gpar);
    }
}

static void gauss_score(void *self, const double *p, const double *z, double *h)
{
    Gauss *g = self;
    memset(h, 0, gauss_nparam(g) * sizeof *h);
    gauss_linv_t_eps(g, p);
    gauss_chain(g, p, z, g->a, -1.0, h);
}

/* log q_i(z_i) per coordinate of the last draw: meanfield only, where q is their product */
static void gauss_logq_coords(void *self, const double *p, const double *z, double *lq)
{
    Gauss *g = self;
    const double *th = P_TH(g, p);
    for (size_t i = 0; i < g->d; i++) lq[i] = -0.5 * g->eps[i] * g->eps[i] - th[i] - 0.5 * log(2 * M_PI);
}

static void gauss_monitor(void *self, const double *p, double *mon)
{
    Gauss *g = self;
    memcpy(mon, p, 2 * g->d * sizeof *mon);      /* mu and log scales */
}

static void gauss_scales(void *self, const double *p, double *scale)
{
    Gauss *g = self;
    const double *th = P_TH(g, p), *M = P_M(g, p);
    for (size_t i = 0; i < g->d; i++) {
        double ss = 1;
        if (g->full)
            for (size_t j = 0; j < i; j++) ss += M[MIDX(i, j)] * M[MIDX(i, j)];
        scale[i] = exp(th[i]) * sqrt(ss);
        /* row i of M mixes i noises: steps of lr/sqrt(i) on each keep the row's total
         * random perturbation at O(lr), whatever the dimension */
        for (size_t j = 0; g->full && j < i; j++) scale[2 * g->d + MIDX(i, j)] = 1 / sqrt((double)i);
    }
}

static void bbvi_free(void *st)
{
    Bbvi *b = st;
    if (!b) return;
    vi_core_free(b->core);
    free(b->g.eps);
    free(b->g.a);
    free(b->g.group);
    free(b->g.mon_coord);
    free(b->g.H);
    free(b->g.HL);
    free(b->g.Lq);
    free(b->g.hz);
    free(b->g.cv_at);
    free(b->g.cv_exact);
    free(b->g.alpha);
    free(b->g.m);
    free(b);
}

static void *bbvi_create(const BkSettings *s, const BkTarget *t, char *err, size_t errlen)
{
    extern const Backend backend_bbvi;
    const Backend *be = &backend_bbvi;
    const char *fam = bk_opt_str(s, be, "family"), *est = bk_opt_str(s, be, "estimator");
    int full;
    if (!strcmp(fam, "meanfield")) full = 0;
    else if (!strcmp(fam, "fullrank")) full = 1;
    else {
        snprintf(err, errlen, "bbvi: unknown --family=%s (meanfield or fullrank)", fam);
        return NULL;
    }
    ViConfig cfg = {0};
    if (!strcmp(est, "reparam")) cfg.est = VI_REPARAM;
    else if (!strcmp(est, "score")) cfg.est = VI_SCORE;
    else {
        snprintf(err, errlen, "bbvi: unknown --estimator=%s (reparam or score)", est);
        return NULL;
    }
    cfg.window = bk_opt_int(s, be, "window");
    cfg.eval_draws = bk_opt_int(s, be, "eval-draws");
    cfg.psis_resample = bk_opt_bool(s, be, "psis-resample");
    if (cfg.window < 10 || cfg.eval_draws < 100) {
        snprintf(err, errlen, "bbvi: --window must be at least 10 and --eval-draws at least 100");
        return NULL;
    }
    cfg.cv = bk_opt_bool(s, be, "cv");
    cfg.rb = bk_opt_bool(s, be, "rb");
    /* the score estimator's control variates need a batch to estimate a* from */
    vi_config_defaults(&cfg, s, cfg.est == VI_SCORE ? 32 : t->ndisc ? 8 : 4, 0.1);

    Bbvi *b = calloc(1, sizeof *b);
    if (!b) { snprintf(err, errlen, "out of memory"); return NULL; }
    size_t d = t->dim;
    b->g.d = d;
    b->g.full = full;
    b->g.score = cfg.est == VI_SCORE;
    b->g.stl = cfg.est == VI_REPARAM && bk_opt_bool(s, be, "stl");
    b->init_mode = bk_opt_bool(s, be, "init-mode");
    b->cv_reparam = cfg.est == VI_REPARAM && cfg.cv;
    size_t np = gauss_nparam(&b->g);
    b->g.eps = calloc(d + 1, sizeof *b->g.eps);
    b->g.a = calloc(d + 1, sizeof *b->g.a);
    b->g.group = calloc(np + 1, sizeof *b->g.group);
    b->g.mon_coord = calloc(2 * d + 1, sizeof *b->g.mon_coord);
    if (!b->g.eps || !b->g.a || !b->g.group || !b->g.mon_coord) {
        bbvi_free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* one control variate per coordinate's factor: mu_i, theta_i and row i of M */
    for (size_t i = 0; i < d; i++) {
        b->g.mon_coord[i] = (int)i;
        b->g.mon_coord[d + i] = -1;
        b->g.group[i] = (int)i;
        b->g.group[d + i] = (int)i;
        for (size_t j = 0; full && j < i; j++) b->g.group[2 * d + MIDX(i, j)] = (int)i;
    }
    b->fam = (ViFamily){
        .nparam = np, .nmon = 2 * d, .ngroup = d ? d : 1, .group = b->g.group, .self = &b->g,
        .sample = gauss_sample, .grad_reparam = gauss_grad_reparam, .score = gauss_score,
        .monitor = gauss_monitor, .mon_coord = b->g.mon_coord, .scales = gauss_scales,
        .logq_coords = full ? NULL : gauss_logq_coords,
    };
    b->core = vi_core_new(t, &b->fam, &cfg, err, errlen);
    if (!b->core) { bbvi_free(b); return NULL; }
    return b;
}

static int bbvi_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen)
{
    Bbvi *b = st;
    double *p = vi_core_par(b->core);
    size_t d = b->g.d;
    memset(p, 0, b->fam.nparam * sizeof *p);
    memcpy(p, u0, d * sizeof *p);                 /* mu = u0, sd = 1, no correlation */
    if (b->init_mode && d > 0 && t->ndisc == 0) {
        /* start q at the nearest mode with the Laplace scales: from a random point in
         * a far tail of a narrow posterior (a box-bounded GLM) the stochastic optimiser
         * otherwise spends its whole budget travelling */
        double *mode = malloc((d + 1) * sizeof *mode), *cov = malloc((d * d + 1) * sizeof *cov), lp;
        int have_cov = 0;
        if (mode && cov && bk_find_mode(t, r, u0, mode, &lp, cov, &have_cov) == 0) {
            memcpy(p, mode, d * sizeof *p);
            gsl_matrix_view C = gsl_matrix_view_array(cov, d, d);
            if (have_cov && gsl_linalg_cholesky_decomp1(&C.matrix) == GSL_SUCCESS) {
                /* H = cov^-1 from a copy of the factor: mean-field's start and the
                 * control variate both need it */
                double *H = malloc(d * d * sizeof *H);
                gsl_matrix_view Hv = gsl_matrix_view_array(H, d, d);
                if (H) memcpy(H, cov, d * d * sizeof *cov);
                if (H && gsl_linalg_cholesky_invert(&Hv.matrix) != GSL_SUCCESS) { free(H); H = NULL; }
                if (b->g.full) {
                    /* L = diag(exp(theta)) M with M unit lower triangular: the Laplace
                     * covariance exactly (the optimum when the posterior is Gaussian) */
                    double *M = p + 2 * d;
                    for (size_t i = 0; i < d; i++) {
                        double Lii = gsl_matrix_get(&C.matrix, i, i);
                        p[d + i] = log(Lii);
                        for (size_t j = 0; j < i; j++) M[MIDX(i, j)] = gsl_matrix_get(&C.matrix, i, j) / Lii;
                    }
                } else if (H) {
                    /* the mean-field optimum for a Gaussian has variances 1 / H_ii
                     * (conditional, not marginal) */
                    for (size_t i = 0; i < d; i++) p[d + i] = -0.5 * log(H[i * d + i]);
                }
                if (H && b->cv_reparam) gauss_cv_setup(&b->g, mode, H);
                else free(H);
            }
        }
        free(mode);
        free(cov);
    }
    vi_core_start(b->core);
    return 0;
}

static int bbvi_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                     size_t errlen)
{
    Bbvi *b = st;
    return vi_core_step(b->core, t, r, iter, err, errlen);
}

static void bbvi_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Bbvi *b = st;
    vi_core_draw(b->core, r, u, lp, cols);
}

static void bbvi_report(void *st, FILE *out, const char *prefix)
{
    Bbvi *b = st;
    fprintf(out, "%sbbvi: family=%s estimator=%s%s\n", prefix, b->g.full ? "fullrank" : "meanfield",
            !b->g.score ? "reparam" : !vi_core_rb(b->core) ? "score (control variates per factor)"
            : b->g.full ? "score (control variates per factor; discrete factors Rao-Blackwellised)"
            : "score (control variates and Rao-Blackwellisation per factor)",
            b->g.H ? " (control variate: the Laplace quadratic at the mode)"
                   : b->g.stl ? " (sticking the landing)" : "");
    vi_core_report(b->core, out, prefix);
}

static void bbvi_trace(void *st, FILE *out, const char *prefix)
{
    vi_core_trace(((Bbvi *)st)->core, out, prefix);
}

ViCore *bbvi_core(void *st) { return ((Bbvi *)st)->core; }

double bbvi_gaussian(void *st, double *mu, double *L)
{
    Bbvi *b = st;
    const double *p = vi_core_final(b->core), *th = P_TH(&b->g, p);
    memcpy(mu, P_MU(&b->g, p), b->g.d * sizeof *mu);
    gauss_cholesky(&b->g, p, L);
    double ld = 0;
    for (size_t i = 0; i < b->g.d; i++) ld += th[i];
    return ld;
}

const Backend backend_bbvi = {
    .name = "bbvi",
    .sums_discrete = BK_SUM_IF_POSSIBLE,
    .help = "stochastic-gradient VI with a Gaussian q (meanfield or fullrank)",
    .kind = BK_VI,
    .options = bbvi_options,
    .columns = bbvi_columns,
    .create = bbvi_create,
    .init = bbvi_init,
    .step = bbvi_step,
    .draw = bbvi_draw,
    .report = bbvi_report,
    .results = bbvi_results,
    .trace = bbvi_trace,
    .free = bbvi_free,
};
