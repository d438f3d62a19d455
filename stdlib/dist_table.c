/* The registration table of the distributions: one row each.  The runtime finds a
 * family by name once per model (a linear scan is fine); tests/stdlib walk the table. */
#include <string.h>
#include "stdlib/dist.h"

/* continuous univariate (dist_normal.c, dist_t.c, dist_logistic.c, dist_gamma.c,
 * dist_weibull.c, dist_beta.c, dist_skew.c, dist_vonmises.c, dist_uv.c) */
extern const Dist dist_normal, dist_std_normal, dist_lognormal, dist_student_t, dist_cauchy,
    dist_double_exponential, dist_logistic, dist_gumbel, dist_gamma, dist_inv_gamma,
    dist_chi_square, dist_inv_chi_square, dist_exponential, dist_weibull, dist_frechet,
    dist_pareto, dist_beta, dist_beta_proportion, dist_uniform, dist_skew_normal,
    dist_exp_mod_normal, dist_von_mises, dist_loglogistic, dist_skew_double_exponential;
/* discrete (dist_bernoulli.c, dist_binomial.c, dist_poisson.c, dist_negbin.c,
 * dist_categorical.c, dist_ordinal.c) */
extern const Dist dist_bernoulli, dist_bernoulli_logit, dist_binomial, dist_binomial_logit,
    dist_beta_binomial, dist_poisson, dist_poisson_log, dist_neg_binomial,
    dist_neg_binomial_2, dist_neg_binomial_2_log, dist_categorical, dist_categorical_logit,
    dist_multinomial, dist_ordered_logistic, dist_discrete_range;
/* multivariate (dist_mvnormal.c, dist_dirichlet.c, dist_lkj.c, dist_wishart.c, dist_glm.c) */
extern const Dist dist_multi_normal, dist_multi_normal_cholesky, dist_multi_student_t,
    dist_dirichlet, dist_lkj_corr_cholesky, dist_lkj_corr, dist_wishart, dist_inv_wishart;
extern const Dist dist_normal_id_glm;
extern const Dist dist_bernoulli_logit_glm, dist_poisson_log_glm, dist_neg_binomial_2_log_glm;   /* dist_glm_disc.c */
extern const Dist dist_ordered_logistic_glm, dist_categorical_logit_glm;   /* dist_glm_cat.c */
extern const Dist dist_multi_normal_prec;     /* dist_mvnormal_prec.c */
extern const Dist dist_ordered_probit;           /* dist_ordinal.c */
extern const Dist dist_multi_student_t_cholesky; /* dist_mvnormal.c */
extern const Dist dist_dirichlet_multinomial;    /* dist_dirmult.c */
extern const Dist dist_wishart_cholesky;         /* dist_wishart_chol.c */

/* ORDER DIST: continuous, discrete, multivariate. */
const Dist *const dist_table[] = {
    &dist_normal, &dist_std_normal, &dist_student_t, &dist_cauchy, &dist_double_exponential,
    &dist_logistic, &dist_gumbel, &dist_lognormal, &dist_chi_square, &dist_inv_chi_square,
    &dist_exponential, &dist_gamma, &dist_inv_gamma, &dist_weibull, &dist_frechet,
    &dist_pareto, &dist_beta, &dist_beta_proportion, &dist_uniform, &dist_von_mises,
    &dist_skew_normal, &dist_exp_mod_normal, &dist_loglogistic, &dist_skew_double_exponential,
    &dist_bernoulli, &dist_bernoulli_logit, &dist_binomial, &dist_binomial_logit,
    &dist_beta_binomial, &dist_poisson, &dist_poisson_log, &dist_neg_binomial,
    &dist_neg_binomial_2, &dist_neg_binomial_2_log, &dist_categorical, &dist_categorical_logit,
    &dist_multinomial, &dist_ordered_logistic, &dist_ordered_probit, &dist_discrete_range,
    &dist_multi_normal, &dist_multi_normal_cholesky, &dist_multi_normal_prec, &dist_multi_student_t,
    &dist_multi_student_t_cholesky, &dist_dirichlet, &dist_dirichlet_multinomial,
    &dist_lkj_corr_cholesky, &dist_lkj_corr, &dist_wishart, &dist_wishart_cholesky, &dist_inv_wishart,
    &dist_normal_id_glm, &dist_bernoulli_logit_glm, &dist_poisson_log_glm, &dist_neg_binomial_2_log_glm,
    &dist_ordered_logistic_glm, &dist_categorical_logit_glm,
    NULL
};

const Dist *dist_find(const char *name)
{
    for (int i = 0; dist_table[i]; i++)
        if (strcmp(dist_table[i]->name, name) == 0) return dist_table[i];
    return NULL;
}
