/* Internal: the scalar math kernels behind mathfn_table.c (prefix mf_), also used
 * by the distribution kernels (lgamma, digamma, log_sum_exp...). */
#ifndef VM_MATHFN_IMPL_H
#define VM_MATHFN_IMPL_H

#define MF1(n) double mf_##n(double x, double *dx)
#define MF2(n) double mf_##n(double x, double y, double *dx, double *dy)
#define MF3(n) double mf_##n(double x, double y, double z, double *dx, double *dy, double *dz)

MF1(exp); MF1(log); MF1(log1p); MF1(expm1); MF1(log2); MF1(log10); MF1(sqrt); MF1(cbrt);
MF1(square); MF1(inv); MF1(inv_sqrt); MF1(fabs); MF1(floor); MF1(ceil); MF1(round);
MF1(trunc); MF1(sin); MF1(cos); MF1(tan); MF1(asin); MF1(acos); MF1(atan); MF1(sinh);
MF1(cosh); MF1(tanh); MF1(step); MF1(is_inf); MF1(is_nan); MF1(abs);
MF1(lgamma); MF1(tgamma); MF1(digamma); MF1(erf); MF1(erfc); MF1(Phi); MF1(Phi_approx);
MF1(inv_Phi);
MF1(inv_logit); MF1(logit); MF1(log_inv_logit); MF1(log1m_inv_logit); MF1(log1m);
MF1(log1m_exp);
MF2(pow); MF2(fmin); MF2(fmax); MF2(atan2); MF2(lbeta); MF2(lchoose);
MF2(log_falling_factorial); MF2(log_diff_exp); MF2(log_sum_exp);
MF3(fma); MF3(log_mix);
/* mathfn_port.c */
MF1(log1p_exp); MF1(inv_cloglog); MF2(hypot); MF2(fdim); MF2(log_inv_logit_diff);
MF1(int_step); MF1(logical_negation);

#undef MF1
#undef MF2
#undef MF3

/* Without derivatives, domain-guarded (never reach GSL's error handler). */
double mf_psi(double x);
double mf_trigamma(double x);
double mf_lgamma_raw(double x);
double mf_lfact(double n);            /* lgamma(n + 1), a table lookup for small integer n */
double mf_lbeta_raw(double a, double b);

#endif
