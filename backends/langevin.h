/* Internals shared by langevin.c (MALA/ULA, adaptation, the phase machine) and
 * langevin_anneal.c (noise schedule, score of the noise-perturbed target); exposed so
 * tests can check the score estimator against closed forms.  Prefix lgv_. */
#ifndef VM_LANGEVIN_H
#define VM_LANGEVIN_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "backends/backend.h"

/* How the score of p_sigma = p * N(0, sigma^2 I) is estimated from z_j = x + sigma e_j,
 * e_j ~ N(0, I), with self-normalised weights w_j proportional to p(z_j):
 *   GRAD     sum_j w_j grad log p(z_j)             (convolution identity)
 *   TWEEDIE  sum_j w_j (z_j - x) / sigma^2         (Tweedie: (E[z|x] - x) / sigma^2)
 *   BLEND    per coordinate k, lambda_k GRAD_k + (1 - lambda_k) TWEEDIE_k with
 *            lambda_k = var_k / (var_k + sigma^2): both parts estimate the same number
 *            with the same weights, and for a Gaussian with variances var the noise of
 *            the two cancels exactly (see docs/langevin.md). */
typedef enum { LGV_SCORE_GRAD = 0, LGV_SCORE_TWEEDIE = 1, LGV_SCORE_BLEND = 2 } LgvScoreKind;

/* Scratch the estimator needs: lgv_score_work_len(dim) doubles, owned by the caller. */
size_t lgv_score_work_len(size_t dim);

typedef struct LgvScoreInfo {
    long nfinite;      /* samples with finite log p and gradient */
    double logpsig;    /* log of mean_j p(z_j): an unbiased estimate of p_sigma(x) (-inf if none) */
    double ess;        /* (sum w)^2 / sum w^2, the importance sampling effective sample size */
} LgvScoreInfo;

/* score[dim] = estimate of grad log p_sigma(x) from n samples.  var (dim entries) is
 * used by BLEND only.  zbest[dim] (may be NULL) receives the sample of largest weight.
 * When no sample is finite, score is all zero.  Returns the target's nonzero error
 * code, else 0.  Allocates nothing. */
int lgv_noisy_score(const BkTarget *t, gsl_rng *r, const double *x, double sigma, long n,
                    LgvScoreKind kind, const double *var, double *score, double *work,
                    double *zbest, LgvScoreInfo *info);

/* sigma_i, i = 0..L-1, geometric from smax down to smin (L = 1: smax). */
void lgv_sigma_levels(double smax, double smin, long L, double *sigma);

/* Parse "grad" / "tweedie" / "blend"; -1 when unknown. */
int lgv_score_kind(const char *name);
extern const char *const lgv_score_names[];

#endif
