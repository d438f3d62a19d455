/* neg_binomial(n | alpha, beta), neg_binomial_2(n | mu, phi),
 * neg_binomial_2_log(n | eta, phi): one kernel in (eta = log mean, phi = shape);
 * Stan's neg_binomial has mean alpha / beta and shape alpha. */
#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_errno.h>
#include "dist_util.h"
#include "mathfn_impl.h"

#define POISSON_MAX_RATE 1073741824.0

/* log pmf = lgamma(n + phi) - lgamma(n + 1) - lgamma(phi)
 *         + n (eta - log(mu + phi)) + phi (log phi - log(mu + phi)),
 * gradient w.r.t. eta (*deta) and phi (*dphi) when non-NULL. */
static double nb_core(double n, double eta, double phi, double *deta, double *dphi)
{
    double lphi = log(phi);
    /* log(phi / (mu + phi)) and log(mu / (mu + phi)) without subtracting logs: for a
     * huge phi, phi * (log phi - log(mu + phi)) would multiply a rounding error by phi. */
    double lp_phi = -du_log1p_exp(eta - lphi), lp_mu = -du_log1p_exp(lphi - eta);
    double q = exp(lp_mu);                                  /* mu / (mu + phi) */
    double inv_mphi = exp(-mf_log_sum_exp(eta, lphi, NULL, NULL));   /* 1 / (mu + phi) */
    if (deta) *deta = n - (n + phi) * q;
    if (dphi) *dphi = mf_psi(n + phi) - mf_psi(phi) + lp_phi + q - n * inv_mphi;
    /* log C(n + phi - 1, n) = -log(n + phi) - log B(phi, n + 1): GSL's lnbeta keeps
     * it accurate where lgamma(n + phi) - lgamma(phi) would cancel. */
    double lp = n > 0 ? -log(n + phi) - mf_lbeta_raw(phi, n + 1.0) + n * lp_mu : 0.0;
    return lp + phi * lp_phi;
}

/* log(pmf(j + 1) / pmf(j)) = log(j + phi) - log(j + 1) + log(mu / (mu + phi)); its
 * partials w.r.t. eta (p = phi / (mu + phi)) and phi (1 / (j + phi) - p / phi). */
static double nb_up_core(double j, double eta, double phi, double *deta, double *dphi)
{
    double lphi = log(phi), p = mf_inv_logit(lphi - eta, NULL);
    *deta = p;
    *dphi = 1.0 / (j + phi) - p / phi;
    return log(j + phi) - log(j + 1) - du_log1p_exp(lphi - eta);
}

static int y_nonneg(const double *v, DistErr *e)
{
    if (!(v[0] >= 0)) return du_fail(e, 0, 0, v[0], "must be non-negative");
    return 0;
}

static int pos_finite(const double *v, int k, DistErr *e)
{
    if (!(v[k] > 0 && isfinite(v[k]))) return du_fail(e, k, 0, v[k], "must be positive finite");
    return 0;
}

/* Mode of the negative binomial with mean mu, shape phi. */
static void nb_support(double mu, double phi, double *lo, double *hi, double *mode)
{
    *lo = 0;
    *hi = INFINITY;
    *mode = phi > 1 ? floor(mu * (phi - 1) / phi) : 0.0;
}

/* Gamma-Poisson mixture, as Stan's rngs. */
static int nb_draw(gsl_rng *r, double mu, double phi, int arg, double *out, DistErr *e)
{
    double lam = gsl_ran_gamma(r, phi, mu / phi);
    if (!(lam < POISSON_MAX_RATE))
        return du_fail(e, arg, 0, mu, "gives a gamma draw above 2^30 (mean too large)");
    *out = gsl_ran_poisson(r, lam);
    return 0;
}


/* ---- cdfs in closed form, for means so large that tail sums would be long ----
 * P(Y <= y) = I_p(phi, y + 1) with p = phi / (mu + phi); P(Y > y) = I_{1-p}(y + 1, phi).
 * The partial w.r.t. p is the beta density; the one w.r.t. the shape phi (at fixed p)
 * is a central difference of log I (GSL has no parameter derivative). */

/* Tail sums converge at the rate mu / (mu + phi): switch beyond this ratio. */
#define NB_CLOSED_RATIO 2500.0

static double log_beta_inc(double a, double b, double x)
{
    gsl_sf_result r;
    if (x <= 0) return -INFINITY;
    if (x >= 1) return 0.0;
    if (gsl_sf_beta_inc_e(a, b, x, &r) != GSL_SUCCESS && !(r.val > 0)) return -INFINITY;
    return r.val > 0 ? log(r.val) : -INFINITY;
}

/* Closed form for slow tails.  A tail below DBL_MIN makes GSL's incomplete beta
 * report an underflow through its error handler: the program must have turned the
 * handler off (vrun's main does, as the design requires); the value is then -inf. */
static int nb_use_closed(double y, double eta, double phi)
{
    return eta - log(phi) > log(NB_CLOSED_RATIO);
}

/* g[0..1]: partials of lc w.r.t. (eta, phi); h[0..1] those of lcc. */
static void nb_cdf_closed(double y, double eta, double phi, double *lc, double *lcc,
                          double *g, double *h)
{
    double lphi = log(phi);
    double p = mf_inv_logit(lphi - eta, NULL), q = mf_inv_logit(eta - lphi, NULL);
    *lc = log_beta_inc(phi, y + 1, p);
    *lcc = log_beta_inc(y + 1, phi, q);
    double ldF = (phi - 1) * log(p) + y * log(q) - mf_lbeta_raw(phi, y + 1);
    double gp_c = isfinite(*lc) ? exp(ldF - *lc) : 0.0;
    double gp_cc = isfinite(*lcc) ? -exp(ldF - *lcc) : 0.0;
    double dh = 1e-5 * phi;
    double gs_c = (log_beta_inc(phi + dh, y + 1, p) - log_beta_inc(phi - dh, y + 1, p)) / (2 * dh);
    double gs_cc = (log_beta_inc(y + 1, phi + dh, q) - log_beta_inc(y + 1, phi - dh, q)) / (2 * dh);
    if (!isfinite(gs_c)) gs_c = 0.0;
    if (!isfinite(gs_cc)) gs_cc = 0.0;
    double pq = p * q;                      /* dp/deta = -pq, dp/dphi = pq / phi */
    g[0] = -gp_c * pq;
    g[1] = gs_c + gp_c * pq / phi;
    h[0] = -gp_cc * pq;
    h[1] = gs_cc + gp_cc * pq / phi;
}

/* ---- neg_binomial(alpha, beta): eta = log(alpha / beta), phi = alpha ---- */

static int nb_check(const double *v, DistErr *e)
{
    return pos_finite(v, 1, e) < 0 || pos_finite(v, 2, e) < 0 ? -1 : 0;
}

static double nb_lpmf(const double *v, unsigned need, double *g)
{
    double a = v[1], b = v[2], de, dp;
    double lp = nb_core(v[0], log(a) - log(b), a, need ? &de : NULL, (need & 2) ? &dp : NULL);
    if (need & 2) g[1] = de / a + dp;
    if (need & 4) g[2] = -de / b;
    return lp;
}

static void nb_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(v[1] / v[2], v[1], lo, hi, mode);
}

static int nb_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, v[1] / v[2], v[1], 1, out, e);
}

static const DuUni U_nb;

static void nb_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double a = v[1], b = v[2], eta = log(a) - log(b), g[2], h[2];
    if (!nb_use_closed(v[0], eta, a)) { du_uni_cdf_sum(&U_nb, v, need, lc, lcc, glc, glcc); return; }
    nb_cdf_closed(v[0], eta, a, lc, lcc, g, h);
    glc[1] = g[0] / a + g[1];
    glc[2] = -g[0] / b;
    glcc[1] = h[0] / a + h[1];
    glcc[2] = -h[0] / b;
}

static double nb_up(const double *v, unsigned need, double *g)
{
    double a = v[1], b = v[2], de, dp;
    double r = nb_up_core(v[0], log(a) - log(b), a, &de, &dp);
    g[1] = de / a + dp;
    g[2] = -de / b;
    return r;
}

static const DuUni U_nb = { 3, "IRR", nb_check, y_nonneg, nb_lpmf, nb_sup, 1, nb_cdf1, nb_rng, nb_up };
DU_WRAP(nb, U_nb)

static const double nb_test[][DIST_MAX_ARGS] = {
    { 3, 2.0, 0.5 }, { 0, 0.7, 1.3 }, { 12, 5.0, 0.8 }, { 25, 0.4, 0.05 },
};

const Dist dist_neg_binomial = {
    .name = "neg_binomial", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "shape", "inverse scale" },
    .sig = "IRR", .lpdf = nb_w_lpmf, .lp1 = nb_w_lp1, .rng = nb_w_rng, .cdf = nb_w_cdf, .lcdf = nb_w_lcdf,
    .lccdf = nb_w_lccdf, .ntest = 4, .test = nb_test, .lo = 0, .hi = INFINITY,
};

/* ---- neg_binomial_2(mu, phi) ---- */

static double nb2_lpmf(const double *v, unsigned need, double *g)
{
    double mu = v[1], de;
    double lp = nb_core(v[0], log(mu), v[2], (need & 2) ? &de : NULL, (need & 4) ? &g[2] : NULL);
    if (need & 2) g[1] = de / mu;
    return lp;
}

static void nb2_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(v[1], v[2], lo, hi, mode);
}

static int nb2_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, v[1], v[2], 1, out, e);
}

static const DuUni U_nb2;

static void nb2_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    double mu = v[1], g[2], h[2];
    if (!nb_use_closed(v[0], log(mu), v[2])) { du_uni_cdf_sum(&U_nb2, v, need, lc, lcc, glc, glcc); return; }
    nb_cdf_closed(v[0], log(mu), v[2], lc, lcc, g, h);
    glc[1] = g[0] / mu;
    glc[2] = g[1];
    glcc[1] = h[0] / mu;
    glcc[2] = h[1];
}

static double nb2_up(const double *v, unsigned need, double *g)
{
    double de, r = nb_up_core(v[0], log(v[1]), v[2], &de, &g[2]);
    g[1] = de / v[1];
    return r;
}

static const DuUni U_nb2 = { 3, "IRR", nb_check, y_nonneg, nb2_lpmf, nb2_sup, 1, nb2_cdf1, nb2_rng, nb2_up };
DU_WRAP(nb2, U_nb2)

static const double nb2_test[][DIST_MAX_ARGS] = {
    { 3, 2.0, 0.5 }, { 0, 0.7, 1.3 }, { 12, 9.0, 20.0 }, { 30, 8.0, 1.5 },
};

const Dist dist_neg_binomial_2 = {
    .name = "neg_binomial_2", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "location", "precision" },
    .sig = "IRR", .lpdf = nb2_w_lpmf, .lp1 = nb2_w_lp1, .rng = nb2_w_rng, .cdf = nb2_w_cdf, .lcdf = nb2_w_lcdf,
    .lccdf = nb2_w_lccdf, .ntest = 4, .test = nb2_test, .lo = 0, .hi = INFINITY,
};

/* ---- neg_binomial_2_log(eta, phi) ---- */

static int nbl_check(const double *v, DistErr *e)
{
    if (!isfinite(v[1])) return du_fail(e, 1, 0, v[1], "must be finite");
    return pos_finite(v, 2, e);
}

static double nbl_lpmf(const double *v, unsigned need, double *g)
{
    return nb_core(v[0], v[1], v[2], (need & 2) ? &g[1] : NULL, (need & 4) ? &g[2] : NULL);
}

static void nbl_sup(const double *v, double *lo, double *hi, double *mode)
{
    nb_support(exp(v[1]), v[2], lo, hi, mode);
}

static int nbl_rng(gsl_rng *r, const double *v, double *out, DistErr *e)
{
    return nb_draw(r, exp(v[1]), v[2], 1, out, e);
}

static const DuUni U_nbl;

static void nbl_cdf1(const double *v, unsigned need, double *lc, double *lcc, double *glc, double *glcc)
{
    if (!nb_use_closed(v[0], v[1], v[2])) { du_uni_cdf_sum(&U_nbl, v, need, lc, lcc, glc, glcc); return; }
    nb_cdf_closed(v[0], v[1], v[2], lc, lcc, &glc[1], &glcc[1]);
}

static double nbl_up(const double *v, unsigned need, double *g)
{
    return nb_up_core(v[0], v[1], v[2], &g[1], &g[2]);
}

static const DuUni U_nbl = { 3, "IRR", nbl_check, y_nonneg, nbl_lpmf, nbl_sup, 1, nbl_cdf1, nbl_rng, nbl_up };
DU_WRAP(nbl, U_nbl)

static const double nbl_test[][DIST_MAX_ARGS] = {
    { 3, 0.7, 0.5 }, { 0, -1.0, 1.3 }, { 12, 2.2, 20.0 }, { 30, 2.0, 1.5 },
};

const Dist dist_neg_binomial_2_log = {
    .name = "neg_binomial_2_log", .discrete = 1, .nargs = 3,
    .argnames = { "variate", "log location", "precision" },
    .sig = "IRR", .lpdf = nbl_w_lpmf, .lp1 = nbl_w_lp1, .rng = nbl_w_rng, .cdf = nbl_w_cdf, .lcdf = nbl_w_lcdf,
    .lccdf = nbl_w_lccdf, .ntest = 4, .test = nbl_test, .lo = 0, .hi = INFINITY,
};
