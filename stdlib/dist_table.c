/* The distribution registry: one row per family.  dist_find is a linear scan; the
 * front end resolves names once per model, not per evaluation. */
#include <string.h>
#include "dist.h"

/* ORDER DIST: discrete, then multivariate, then continuous. */
extern const Dist dist_bernoulli, dist_bernoulli_logit, dist_binomial, dist_binomial_logit,
    dist_beta_binomial, dist_poisson, dist_poisson_log, dist_neg_binomial,
    dist_neg_binomial_2, dist_neg_binomial_2_log, dist_categorical, dist_categorical_logit,
    dist_multinomial, dist_ordered_logistic, dist_discrete_range;
extern const Dist dist_multi_normal, dist_multi_normal_cholesky, dist_multi_student_t,
    dist_dirichlet, dist_lkj_corr_cholesky, dist_lkj_corr, dist_wishart, dist_inv_wishart;
extern const Dist dist_normal_id_glm;

const Dist *const dist_table[] = {
    &dist_bernoulli, &dist_bernoulli_logit, &dist_binomial, &dist_binomial_logit,
    &dist_beta_binomial, &dist_poisson, &dist_poisson_log, &dist_neg_binomial,
    &dist_neg_binomial_2, &dist_neg_binomial_2_log, &dist_categorical, &dist_categorical_logit,
    &dist_multinomial, &dist_ordered_logistic, &dist_discrete_range,
    &dist_multi_normal, &dist_multi_normal_cholesky, &dist_multi_student_t,
    &dist_dirichlet, &dist_lkj_corr_cholesky, &dist_lkj_corr, &dist_wishart, &dist_inv_wishart,
    &dist_normal_id_glm,
    NULL
};

const Dist *dist_find(const char *name)
{
    for (const Dist *const *d = dist_table; *d; d++)
        if (strcmp((*d)->name, name) == 0) return *d;
    return NULL;
}
