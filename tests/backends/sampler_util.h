/* Test support for the sampler backends: analytic targets written in C, a driver
 * loop (create, init, warm-up, sampling, draw) and Monte Carlo error estimates. */
#ifndef VM_TEST_SAMPLER_UTIL_H
#define VM_TEST_SAMPLER_UTIL_H

#include <stddef.h>
#include "backends/backend.h"

/* Gaussian N(mean, P^{-1}) given by its precision matrix P (d*d, row-major). */
typedef struct SuGauss {
    size_t d;
    double mean[16], prec[256];
} SuGauss;

int su_gauss_logp(void *ctx, const double *u, double *lp, double *grad);
void su_gauss_diag(SuGauss *g, size_t d, const double *sd);        /* independent, sd[i] */
void su_gauss_corr2(SuGauss *g, double rho);                          /* unit variances, corr rho */
BkTarget su_gauss_target(SuGauss *g);

/* theta ~ Beta(a, b) on u = logit(theta), with the Jacobian theta (1 - theta). */
typedef struct SuBeta { double a, b; } SuBeta;
int su_beta_logit_logp(void *ctx, const double *u, double *lp, double *grad);

/* One chain's draws: u (nu per draw), lp, and the method columns (ncols per draw). */
typedef struct SuChain {
    long n;
    size_t nu, ncols;
    double *u, *lp, *cols;
    double warm_mean[BK_MAX_COLUMNS];   /* method columns averaged over the warm-up */
    char report[4096];
} SuChain;

/* Runs a chain; returns 0 or -1 with err filled (create/init/step failure). */
int su_run(const Backend *b, const BkTarget *t, const BkOpt *opts, long warmup, long draws,
           unsigned long seed, const double *u0, SuChain *c, char *err, size_t errlen);
void su_chain_free(SuChain *c);

/* Column `name` of the method columns (index), or -1. */
int su_col(const Backend *b, const char *name);

/* Series helpers: x[i * stride + off], i < n. */
double su_mean(const double *x, long n, size_t stride, size_t off);
double su_var(const double *x, long n, size_t stride, size_t off);
/* Effective sample size by Geyer's initial positive sequence. */
double su_ess(const double *x, long n, size_t stride, size_t off);
/* |mean - mu| in units of its Monte Carlo standard error sd / sqrt(ess). */
double su_z_mean(const double *x, long n, size_t stride, size_t off, double mu);
/* |mean of (x - mu)^2 - var| in units of that mean's Monte Carlo standard error. */
double su_z_var(const double *x, long n, size_t stride, size_t off, double mu, double var);

#endif
