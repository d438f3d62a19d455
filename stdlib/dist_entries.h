/* The table entries of the distributions that a backend names (CAVI's conjugate
 * pairs): a family is identified by the address of its entry, never by its name. */
#ifndef VM_DIST_ENTRIES_H
#define VM_DIST_ENTRIES_H
#include "stdlib/dist.h"

extern const Dist dist_normal, dist_std_normal, dist_multi_normal, dist_multi_normal_cholesky,
    dist_multi_normal_prec, dist_gamma, dist_exponential, dist_inv_gamma, dist_poisson, dist_beta,
    dist_bernoulli, dist_binomial, dist_dirichlet, dist_categorical, dist_multinomial,
    dist_inv_wishart, dist_wishart;

#endif
