/* The registration table of the distributions: one row each.  The runtime finds a
 * family by name; tests/stdlib walk the table. */
#include "stdlib/dist.h"

#include <string.h>

/* continuous univariate (dist_normal.c, dist_t.c, dist_logistic.c, dist_gamma.c,
 * dist_weibull.c, dist_beta.c, dist_skew.c, dist_vonmises.c) */
extern const Dist dist_normal, dist_std_normal, dist_lognormal, dist_student_t, dist_cauchy,
    dist_double_exponential, dist_logistic, dist_gumbel, dist_gamma, dist_inv_gamma,
    dist_chi_square, dist_inv_chi_square, dist_exponential, dist_weibull, dist_frechet,
    dist_pareto, dist_beta, dist_beta_proportion, dist_uniform, dist_skew_normal,
    dist_exp_mod_normal, dist_von_mises;

const Dist *const dist_table[] = {
    &dist_normal, &dist_std_normal, &dist_student_t, &dist_cauchy, &dist_double_exponential,
    &dist_logistic, &dist_gumbel, &dist_lognormal, &dist_chi_square, &dist_inv_chi_square,
    &dist_exponential, &dist_gamma, &dist_inv_gamma, &dist_weibull, &dist_frechet,
    &dist_pareto, &dist_beta, &dist_beta_proportion, &dist_uniform, &dist_von_mises,
    &dist_skew_normal, &dist_exp_mod_normal,
    NULL
};

const Dist *dist_find(const char *name)
{
    for (const Dist *const *d = dist_table; *d; d++)
        if (strcmp((*d)->name, name) == 0) return *d;
    return NULL;
}
