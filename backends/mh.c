/* Random-walk Metropolis on the unconstrained space, with Metropolis-within-Gibbs
 * moves for discrete coordinates.
 *
 * Continuous block: u' = u + lambda * L z, z ~ N(0, I), where L L^T is the proposal's
 * shape (2.38^2 / d) Sigma: Sigma mixes the running covariance S of the chain during
 * warm-up (Haario, Saksman & Tamminen 2001, "An adaptive Metropolis algorithm") with the
 * Laplace fit at the mode, S taking over as it accumulates (mh_shape_update).  The
 * global scale lambda follows Robbins-Monro on log lambda toward acceptance 0.234
 * (0.44 in one dimension; Roberts, Gelman & Gilks 1997; Andrieu & Thoms 2008, alg. 4).
 * Both freeze when warm-up ends, so the sampling phase is a plain Markov chain; so does
 * the number of proposals per draw, d, or 16 d where S and the Laplace fit disagree
 * (mh_thin_factor).
 *
 * By default a chain starts at the mode nearest to Stan's random initial point (found
 * with GSL's BFGS on the exact gradient) with the proposal shaped by the inverse
 * Hessian there (Laplace): a random walk started in a far tail of a narrow, strongly
 * correlated posterior (a box-bounded Poisson GLM) otherwise spends its whole warm-up
 * crawling toward it.  --init-mode=false gives the classic start.
 *
 * Discrete coordinates (dim..dim+ndisc-1), one after another: exact Gibbs over the
 * support when it has at most MH_GIBBS_MAX values, else a symmetric +-k proposal
 * (k uniform on 1..K) accepted by Metropolis; a proposal outside the bounds is
 * rejected, which keeps it symmetric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "backends/backend.h"
#include "backends/mode.h"
#include "backends/nuts.h"   /* the Welford estimator and Cholesky factor */

#define MH_GIBBS_MAX 32
#define MH_JUMP_MAX 10
#define MH_KL_POOR 1.0       /* KL(warm-up covariance || Laplace) above which the fit is poor */
#define MH_THIN_POOR 16      /* then 16 d proposals per draw */
#define MH_REFRESH 20        /* warm-up iterations between updates of the shape */

typedef struct Mh {
    size_t d, nd;
    long warmup;
    int adapt, adapting;
    long thin;               /* proposals per iteration */
    int init_mode;
    int laplace;             /* g holds the inverse Hessian at the mode */
    double *g;               /* d*d: the inverse Hessian at the mode */
    int thin_auto;           /* --thin=0: thin = d, or 16 d when the Laplace fit is poor */
    long thin_base;          /* d proposals: what the warm-up runs with */
    long thin_factor;        /* chosen at the end of warm-up (1 until then) */
    double *kl;              /* d*d scratch for the Laplace-vs-warm-up comparison */
    double scale, target;    /* lambda and the acceptance it aims at */
    double *u, *prop, *z;    /* d + nd, d + nd, d */
    double lp;
    double *chol, *shape;    /* d*d: factor of the proposal shape, scratch */
    NutsWelford wf;
    long t_adapt;            /* warm-up iterations seen (Robbins-Monro clock) */
    long burn;               /* the covariance estimate restarts here, leaving the transient */
    double accept;           /* last accept_stat__ */
    double acc_sum[2];       /* sums of acceptance probabilities: warm-up, sampling */
    long n_iter[2];
    double w[MH_GIBBS_MAX], wlp[MH_GIBBS_MAX];   /* Gibbs weights and log densities */
    const BkTarget *t;
    gsl_rng *r;
    double *mem;
} Mh;

static const BkOption mh_options[] = {
    {"proposal-scale", "real", "1",
     "initial global scale lambda: the first proposals have sd lambda * 2.38 / sqrt(dim)"},
    {"adapt", "bool", "true", "adapt the proposal covariance and scale during warm-up"},
    {"init-mode", "bool", "true",
     "start each chain at the nearest mode with a Laplace-shaped proposal (uses the gradient once)"},
    /* "steps", not "thin": --thin is vrun's (keep every N-th draw, as CmdStan) */
    {"steps", "int", "0",
     "proposals per iteration (0: one per continuous dimension, so that 1000 draws of a "
     "10-dimensional posterior are not 1000 random-walk steps)"},
    {NULL, NULL, NULL, NULL}};

static const char *const mh_columns[] = {"accept_stat__", "stepsize__", NULL};

const Backend backend_mh;

static void vcopy(double *dst, const double *src, size_t n)
{
    if (n)                      /* dst/src may be NULL when there is nothing to copy */
        memcpy(dst, src, n * sizeof *dst);
}

static void *mh_create(const BkSettings *set, const BkTarget *t, char *err, size_t errlen)
{
    double scale = bk_opt_real(set, &backend_mh, "proposal-scale");
    if (!(scale > 0) || !isfinite(scale)) {
        snprintf(err, errlen, "mh: --proposal-scale=%g: expected a positive number", scale);
        return NULL;
    }
    for (size_t j = 0; j < t->ndisc; j++)
        if (!(t->disc_lo[j] <= t->disc_hi[j])) {
            snprintf(err, errlen, "mh: discrete parameter %zu has an empty range [%g, %g]", j + 1,
                     t->disc_lo[j], t->disc_hi[j]);
            return NULL;
        }
    size_t d = t->dim, n = d + t->ndisc;
    size_t ndouble = 2 * n + d + 3 * d * d + d + 1 + d * d;
    Mh *s = calloc(1, sizeof *s);
    double *mem = calloc(ndouble, sizeof *mem);
    if (!s || !mem) {
        free(s);
        free(mem);
        snprintf(err, errlen, "mh: out of memory for %zu parameters", n);
        return NULL;
    }
    s->mem = mem;
    s->d = d;
    s->nd = t->ndisc;
    s->warmup = set->warmup;
    s->adapt = bk_opt_bool(set, &backend_mh, "adapt");
    s->thin = bk_opt_int(set, &backend_mh, "steps");
    if (s->thin < 0) {
        snprintf(err, errlen, "mh: --steps=%ld: expected 0 (automatic) or a positive number", s->thin);
        free(mem);
        free(s);
        return NULL;
    }
    /* Random-walk Metropolis needs about d proposals per effectively new draw
     * (Roberts, Gelman & Gilks 1997): by default an iteration makes d of them. */
    s->thin_auto = s->thin == 0;
    if (s->thin == 0) s->thin = d > 1 ? (long)d : 1;
    s->thin_base = s->thin;
    s->init_mode = bk_opt_bool(set, &backend_mh, "init-mode") && d > 0;
    if (s->init_mode) s->g = calloc(d * d, sizeof *s->g);
    s->scale = scale;
    s->target = d == 1 ? 0.44 : 0.234;
    s->u = mem;
    s->prop = s->u + n;
    s->z = s->prop + n;
    s->chol = s->z + d;
    s->shape = s->chol + d * d;
    s->wf.m2 = s->shape + d * d;
    s->wf.mean = s->wf.m2 + d * d;
    s->kl = s->wf.mean + d;
    s->wf.d = d;
    s->wf.dense = 1;
    return s;
}

/* Shape (2.38^2/d) I: the optimal scaling for a standard normal target. */
static void mh_shape_identity(Mh *s)
{
    size_t d = s->d;
    if (d == 0)
        return;
    memset(s->chol, 0, d * d * sizeof *s->chol);
    for (size_t i = 0; i < d; i++)
        s->chol[i * d + i] = 2.38 / sqrt((double)d);
}

/* Shape from the chain so far; kept as it was when the estimate is unusable.
 * With a Laplace fit G the estimate is (n/(n+5)) S + (5/(n+5)) G, n the warm-up
 * iterations it spans (about one effective draw each: an iteration is d proposals):
 * Stan's regularisation, toward the curvature at the mode rather than toward 1e-3 I.
 * G fixes the units; a ridge proportional to trace(S) did not, and swamped earnings'
 * log sigma (variance 4e-4) with a multiple of its intercept's (1e8).  Without G,
 * each variance is inflated by itself. */
static void mh_shape_update(Mh *s)
{
    size_t d = s->d;
    double n = s->wf.n;
    if (n < 2)
        return;
    double c = 2.38 * 2.38 / (double)d, neff = n / (double)s->thin_base, w = neff / (neff + 5.0);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double v = 0.5 * (s->wf.m2[i * d + j] + s->wf.m2[j * d + i]) / (n - 1);
            if (s->laplace)
                s->shape[i * d + j] = c * (w * v + (1 - w) * s->g[i * d + j]);
            else
                s->shape[i * d + j] = c * (i == j ? (1 + 1e-6) * v + 1e-12 : v);
        }
    if (nuts_cholesky(s->shape, s->shape, d) == 0)  /* in place: row i reads rows < i only */
        vcopy(s->chol, s->shape, d * d);
}

static int mh_eval(Mh *s, const double *u, double *lp)
{
    if (s->t->logp(s->t->ctx, u, lp, NULL) != 0)
        return -1;
    if (isnan(*lp) || *lp == INFINITY)
        *lp = -INFINITY;
    return 0;
}

/* Move to the nearest mode (backends/mode.c) and shape the proposal by the inverse
 * Hessian there.  Keeps the start and the identity shape when either step fails. */
static void mh_start_at_mode(Mh *s)
{
    size_t d = s->d;
    int have_cov = 0;
    double lp;
    if (bk_find_mode(s->t, s->r, s->u, s->prop, &lp, s->g, &have_cov) != 0) return;
    vcopy(s->u, s->prop, d);
    s->lp = lp;
    if (!have_cov) return;
    double c = 2.38 * 2.38 / (double)d;
    for (size_t i = 0; i < d * d; i++) s->shape[i] = c * s->g[i];
    if (nuts_cholesky(s->shape, s->shape, d) == 0) {
        vcopy(s->chol, s->shape, d * d);
        s->laplace = 1;
    }
}

static int mh_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err,
                   size_t errlen)
{
    Mh *s = st;
    size_t n = s->d + s->nd;
    s->t = t;
    s->r = r;
    vcopy(s->u, u0, n);
    for (size_t j = 0; j < s->nd; j++) {
        double v = s->u[s->d + j];
        if (v != floor(v) || v < t->disc_lo[j] || v > t->disc_hi[j]) {
            snprintf(err, errlen, "mh: initial value %g of discrete parameter %zu is not an "
                                  "integer in [%g, %g]", v, j + 1, t->disc_lo[j], t->disc_hi[j]);
            return -1;
        }
    }
    if (mh_eval(s, s->u, &s->lp) != 0 || !isfinite(s->lp)) {
        snprintf(err, errlen, "mh: the log density at the initial point is not finite");
        return -1;
    }
    mh_shape_identity(s);
    s->laplace = 0;
    if (s->init_mode) mh_start_at_mode(s);
    nuts_welford_restart(&s->wf);
    s->adapting = s->adapt && s->warmup > 0;
    s->t_adapt = 0;
    s->burn = s->warmup * s->thin_base / 2;
    s->thin = s->thin_base;
    s->thin_factor = 1;
    s->accept = 0;
    s->acc_sum[0] = s->acc_sum[1] = 0;
    s->n_iter[0] = s->n_iter[1] = 0;
    return 0;
}

/* Robbins-Monro on log lambda and the running covariance (Haario et al.). */
static void mh_adapt(Mh *s, double alpha)
{
    s->t_adapt++;
    s->scale *= exp(pow((double)s->t_adapt, -0.6) * (alpha - s->target));
    if (s->t_adapt == s->burn)
        nuts_welford_restart(&s->wf);
    nuts_welford_add(&s->wf, s->u, s->z);
    /* an exact local curvature beats a covariance estimated from a chain that is still
     * mixing: with a Laplace shape only the global scale adapts */
    if (s->wf.n >= 2.0 * (double)s->d + 10 && s->t_adapt % MH_REFRESH == 0)
        mh_shape_update(s);
}

/* The continuous block: one joint Gaussian proposal.  Returns its acceptance probability. */
static int mh_move_continuous(Mh *s, double *alpha)
{
    size_t d = s->d, n = d + s->nd;
    for (size_t i = 0; i < d; i++)
        s->z[i] = gsl_ran_gaussian_ziggurat(s->r, 1.0);
    for (size_t i = 0; i < d; i++) {
        double a = 0;
        for (size_t k = 0; k <= i; k++)
            a += s->chol[i * d + k] * s->z[k];
        s->prop[i] = s->u[i] + s->scale * a;
    }
    vcopy(s->prop + d, s->u + d, n - d);
    double lp;
    if (mh_eval(s, s->prop, &lp) != 0)
        return -1;
    *alpha = lp == -INFINITY ? 0.0 : lp >= s->lp ? 1.0 : exp(lp - s->lp);
    if (gsl_rng_uniform(s->r) < *alpha) {
        vcopy(s->u, s->prop, d);
        s->lp = lp;
    }
    return 0;
}

/* Discrete coordinate j: Gibbs over a small support, else a +-k random walk. */
static int mh_move_discrete(Mh *s, size_t j, double *alpha)
{
    double lo = s->t->disc_lo[j], hi = s->t->disc_hi[j], *x = &s->u[s->d + j], cur = *x;
    if (isfinite(lo) && isfinite(hi) && hi - lo + 1 <= MH_GIBBS_MAX) {
        int m = (int)(hi - lo) + 1;
        double wmax = -INFINITY, total = 0;
        for (int k = 0; k < m; k++) {
            *x = lo + k;
            if (mh_eval(s, s->u, &s->wlp[k]) != 0)
                return -1;
            if (s->wlp[k] > wmax)
                wmax = s->wlp[k];
        }
        for (int k = 0; k < m; k++)
            total += s->w[k] = exp(s->wlp[k] - wmax);
        double v = gsl_rng_uniform(s->r) * total;
        int pick = m - 1;
        for (int k = 0; k < m; k++) {
            if (v < s->w[k]) {
                pick = k;
                break;
            }
            v -= s->w[k];
        }
        if (s->w[pick] == 0)          /* unreachable with a finite current point; be safe */
            pick = (int)(cur - lo);
        *x = lo + pick;
        s->lp = s->wlp[pick];
        *alpha = 1.0;
        return 0;
    }
    double span = hi - lo, kmax = isfinite(span) ? floor(span / 16) + 1 : MH_JUMP_MAX;
    if (kmax > MH_JUMP_MAX)
        kmax = MH_JUMP_MAX;
    double k = 1 + (double)gsl_rng_uniform_int(s->r, (unsigned long)kmax);
    double v = gsl_rng_uniform(s->r) < 0.5 ? cur - k : cur + k, lp;
    *alpha = 0;
    if (v < lo || v > hi)
        return 0;
    *x = v;
    if (mh_eval(s, s->u, &lp) != 0)
        return -1;
    *alpha = lp == -INFINITY ? 0.0 : lp >= s->lp ? 1.0 : exp(lp - s->lp);
    if (gsl_rng_uniform(s->r) < *alpha)
        s->lp = lp;
    else
        *x = cur;
    return 0;
}

/* KL(N(0, S) || N(0, G)) between the warm-up covariance and the Laplace one: near 0
 * for a Gaussian posterior (0.003-0.8 on the shared ones), 13-25 for gp_pois_regr and
 * eight_schools.  -1 when either is unusable. */
static double mh_laplace_kl(Mh *s)
{
    size_t d = s->d;
    double n = s->wf.n, tr = 0, ld = 0, *lg = s->shape, *ls = s->kl, *col = s->z;
    if (n < 2 || nuts_cholesky(s->g, lg, d) != 0)
        return -1;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            ls[i * d + j] = 0.5 * (s->wf.m2[i * d + j] + s->wf.m2[j * d + i]) / (n - 1);
    if (nuts_cholesky(ls, ls, d) != 0)
        return -1;
    /* tr(G^-1 S) = |Lg^-1 Ls|_F^2, column by column by forward substitution */
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < d; i++) {
            double v = ls[i * d + j];
            for (size_t k = 0; k < i; k++)
                v -= lg[i * d + k] * col[k];
            col[i] = v / lg[i * d + i];
            tr += col[i] * col[i];
        }
        ld += 2 * (log(ls[j * d + j]) - log(lg[j * d + j]));
    }
    double kl = 0.5 * (tr - (double)d - ld);
    return isfinite(kl) ? kl : -1;
}

/* Proposals per draw for the sampling phase, as a multiple of d.  A random walk on a
 * near-Gaussian posterior with a matching shape needs about d proposals per new draw.
 * Where the Laplace fit is far from the warm-up covariance the posterior is curved or
 * funnel-like and a fixed Gaussian shape fits it nowhere well: gp_pois_regr's slowest
 * coordinate decorrelates about 13 times slower, and with d proposals per draw its four
 * chains disagree (R-hat 1.05-1.2).  The statistic separates cleanly (below 1 on the
 * near-Gaussian shared posteriors, above 13 on the others), so the rule is a switch,
 * the same in every chain; a factor fitted to each chain's warm-up autocorrelation was
 * tried and varied from 7 to 16 between chains of one run, which itself raised R-hat. */
static long mh_thin_factor(Mh *s)
{
    if (!s->laplace)
        return 1;
    double kl = mh_laplace_kl(s);
    return kl > MH_KL_POOR ? MH_THIN_POOR : 1;
}

static int mh_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                   size_t errlen)
{
    Mh *s = st;
    s->t = t;
    s->r = r;
    if (!warmup && s->adapting) {
        s->adapting = 0;              /* frozen for good */
        if (s->thin_auto && s->d > 0)
            s->thin = s->thin_base * (s->thin_factor = mh_thin_factor(s));
    }
    double alpha_sum = 0, disc_sum = 0;
    for (long k = 0; k < s->thin; k++) {
        double alpha = 0;
        if (s->d > 0) {
            if (mh_move_continuous(s, &alpha) != 0)
                goto fail;
            if (warmup && s->adapting)
                mh_adapt(s, alpha);
        }
        alpha_sum += alpha;
        for (size_t j = 0; j < s->nd; j++) {
            double a;
            if (mh_move_discrete(s, j, &a) != 0)
                goto fail;
            disc_sum += a;
        }
    }
    s->accept = s->d > 0 ? alpha_sum / (double)s->thin
                         : s->nd > 0 ? disc_sum / ((double)s->nd * (double)s->thin) : 1.0;
    s->acc_sum[!warmup] += s->accept;
    s->n_iter[!warmup]++;
    return BK_OK;
fail:
    snprintf(err, errlen, "mh: the log density failed at iteration %ld", iter + 1);
    return BK_FAIL;
}

static void mh_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Mh *s = st;
    vcopy(u, s->u, s->d + s->nd);
    *lp = s->lp;
    cols[0] = s->accept;
    cols[1] = s->scale;
}

static void mh_report(void *st, FILE *out, const char *prefix)
{
    Mh *s = st;
    int ph = s->n_iter[1] > 0;
    if (s->n_iter[ph] > 0)
        fprintf(out, "%sAcceptance rate = %g (%s, mean acceptance probability)\n", prefix,
                s->acc_sum[ph] / (double)s->n_iter[ph], ph ? "sampling" : "warm-up");
    if (s->d > 0)
        fprintf(out, "%sProposals per draw = %ld%s\n", prefix, s->thin,
                s->thin_factor > 1 ? " (the Laplace fit is poor: the warm-up covariance differs)" : "");
    if (s->adapt)
        fprintf(out, "%sProposal scale = %g (adapted toward acceptance %g)\n", prefix, s->scale,
                s->target);
    else
        fprintf(out, "%sProposal scale = %g (fixed)\n", prefix, s->scale);
}

static void mh_free(void *st)
{
    Mh *s = st;
    if (!s)
        return;
    free(s->g);
    free(s->mem);
    free(s);
}

const Backend backend_mh = {
    .name = "mh",
    .help = "random-walk Metropolis-Hastings with an adapted proposal (Gibbs for small discrete "
            "parameters)",
    .kind = BK_SAMPLER,
    .options = mh_options,
    .columns = mh_columns,
    .create = mh_create,
    .init = mh_init,
    .step = mh_step,
    .draw = mh_draw,
    .report = mh_report,
    .free = mh_free,
};
