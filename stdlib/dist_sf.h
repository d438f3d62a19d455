/* Special functions for the distribution kernels (prefix dsf_): log-space normal and
 * incomplete gamma/beta tails, Owen's T, a careful numerical derivative. */
#ifndef VM_DIST_SF_H
#define VM_DIST_SF_H

#define DSF_LOG_SQRT_2PI 0.91893853320467274178

double dsf_log_phi(double z);             /* log of the standard normal density */
double dsf_log_Phi(double z);             /* log Phi(z), stable in both tails */
double dsf_inv_mills(double z);           /* phi(z) / Phi(z) */
double dsf_log1m_exp(double a);           /* log(1 - exp(a)), a <= 0 */
double dsf_log1m_expm(double s, double ls); /* log(1 - exp(-s)), s >= 0, ls = log(s) */
double dsf_x_over_expm1(double s);        /* s / expm1(s), 1 at s = 0 */
double dsf_log_sum_exp(double a, double b);
double dsf_xlogy(double k, double y);     /* k log y, 0 when k == 0 */

/* log P(a, x) (upper = 0) or log Q(a, x) (upper = 1), regularised incomplete gamma;
 * GSL values, log-space series / continued fraction where GSL underflows. */
double dsf_lgamma_inc(double a, double x, int upper);
/* log I_x(a, b) and log(1 - I_x(a, b)); xc = 1 - x given separately for precision. */
void dsf_lbeta_inc(double a, double b, double x, double xc, double *li, double *lic);

double dsf_owens_t(double h, double a);   /* Owen's T(h, a) */

/* int_a^b f by globally adaptive 61-point Gauss-Kronrod on at most 32 pieces, to a
 * relative error epsrel if it can: no workspace, and it never calls GSL's error
 * handler (qng and qag do when a tolerance is not met). */
double dsf_quad(double (*f)(double x, void *p), void *p, double a, double b, double epsrel);

/* d f / d s at s > 0 by a five-point central difference with a step relative to s;
 * used only for the shape partials of incomplete gamma and beta functions. */
double dsf_dnum(double (*f)(double s, const void *ctx), const void *ctx, double s);

#endif
