/* Conjugate models with known posteriors for the DSM backend: the test
 * (tests/backends/test_dsm.c) and the benchmark (bench/dsm.c) share them.  One
 * network is trained on the model's simulations and saved, then loaded for each
 * data set, whose posterior is sampled and compared with the exact one. */
#ifndef VM_DSM_CONJ_H
#define VM_DSM_CONJ_H
#include <stdio.h>
#include "backends/backend.h"

#define DSM_CONJ_MODELS 3
#define DSM_CONJ_DATASETS 3

typedef struct DsmConjFit {
    const char *model;
    double t_sim, t_train, t_sample;   /* seconds: simulations, training, sampling (per data set) */
    long sims, epochs;
    int np;                            /* parameters compared */
    double mean[DSM_CONJ_DATASETS][2], sd[DSM_CONJ_DATASETS][2];
    double exact_mean[DSM_CONJ_DATASETS][2], exact_sd[DSM_CONJ_DATASETS][2];
} DsmConjFit;

/* Train on model k (0 normal mean, 1 beta-Bernoulli, 2 linear regression) with
 * the given budget and sample `draws` draws for each data set.  0, or -1 with err. */
int dsm_conj_run(int k, long sims, long epochs, long draws, unsigned long seed, DsmConjFit *fit, char *err, size_t errlen);
/* One fit of --method=dsm with the given options on source src and data json:
 * posterior means and sds of the first np constrained parameters from `draws`
 * draws.  0, or -1 with err. */
int dsm_fit_once(const char *src, const char *json, const BkOpt *opts, size_t nopts, long draws, unsigned long seed,
                 int np, double *mean, double *sd, char *err, size_t errlen);
/* Print one line per data set and parameter. */
void dsm_conj_print(const DsmConjFit *fit, FILE *out);
#endif
