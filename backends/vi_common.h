/* The part of variational inference that every VI backend shares (bbvi.c, flow.c):
 * the ELBO gradient estimators (reparameterisation, score function with control
 * variates), independent categorical factors for discrete coordinates, Adam, the
 * stopping rule, iterate averaging, and the final ELBO +- MCSE and PSIS k-hat.
 *
 * A backend describes its family of q over the continuous coordinates with a ViFamily
 * (how to draw, the pathwise gradient, the score) and lets one ViCore run the fit.
 * Parameter vector layout: the family's nparam values first, then one block of
 * logits per discrete coordinate. */
#ifndef VM_VI_COMMON_H
#define VM_VI_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include "backends/backend.h"

typedef struct ViFamily {
    size_t nparam;             /* parameters of q over the continuous coordinates */
    size_t nmon;               /* quantities watched by the stopping rule's R-hat */
    size_t ngroup;             /* groups of parameters sharing one control variate */
    const int *group;          /* nparam group ids in 0..ngroup-1 (score estimator) */
    void *self;
    /* Draw z ~ q(.; par) into z[dim] (the family keeps its base noise for the gradient
     * calls that follow) and return log q(z). */
    double (*sample)(void *self, const double *par, gsl_rng *r, double *z);
    /* ADD to gpar the pathwise gradient of log p(z) - log q(z) for the last draw, given
     * g = d log p / dz at it. */
    void (*grad_reparam)(void *self, const double *par, const double *z, const double *g, double *gpar);
    /* WRITE h = d log q(z; par) / d par for the last draw.  NULL: no score estimator. */
    void (*score)(void *self, const double *par, const double *z, double *h);
    /* WRITE the nmon watched quantities (identifiable functions of par); may be NULL
     * when nmon is 0. */
    void (*monitor)(void *self, const double *par, double *mon);
    /* nmon entries: the coordinate a watched quantity is a location on (its move is
     * measured in q's sd there), or -1 for a log-scale (NULL: all -1). */
    const int *mon_coord;
    /* 1: also watch the batch means of the draws and of log q (estimates of q's mean and
     * entropy): for families whose parameters are not identifiable (flows) */
    int watch_draws;
    /* WRITE per-parameter multipliers of the step size (NULL: all 1). */
    void (*scales)(void *self, const double *par, double *scale);
    /* Only for a family that factorises over the coordinates, q(z) = prod_i q_i(z_i), with
     * group i holding exactly the parameters of q_i (mean-field): WRITE log q_i(z_i) of the
     * last draw for every coordinate i.  NULL: the continuous part is not a product and
     * its score gradient is not Rao-Blackwellised. */
    void (*logq_coords)(void *self, const double *par, const double *z, double *lq);
    /* the family's advice appended to "try a smaller --lr" when a fit breaks down (e.g.
     * " or --iaf-scale=gate"); NULL: none */
    const char *breakdown_hint;
} ViFamily;

typedef enum { VI_REPARAM = 0, VI_SCORE = 1 } ViEstimator;

typedef struct ViConfig {
    ViEstimator est;
    long mc;                   /* draws per gradient step */
    long iters;                /* iteration cap */
    long window;               /* iterations per window of the stopping rule */
    long eval_draws;           /* draws for the final ELBO and k-hat */
    double lr;                 /* Adam step size (relative: see the families' scales) */
    double tol;                /* relative ELBO change between windows */
    double rhat_max;           /* largest split-R-hat of the watched quantities */
    int cv;                    /* control variates in the score estimator */
    int stages;                /* step-size stages: each ends when the stopping rule holds */
    double lr_decay;           /* step size factor from one stage to the next */
    int psis_resample;         /* draw() resamples the final evaluation's draws by PSIS weights */
    int rb;                    /* Rao-Blackwellise the score estimator per factor (when the
                                * target has terms: BkTarget.nterms) */
} ViConfig;

/* What the fit found, for report() and tests. */
typedef struct ViStats {
    int finished;              /* 1 once the fit stopped (converged or at the cap) */
    int converged;             /* 1 only if the stopping rule was met */
    long iters;                /* iterations done */
    long avg_from, avg_to;     /* iterations averaged into the final parameters (1-based) */
    double rel_change, rhat;   /* the last window's ELBO change and largest R-hat */
    double rhat_moved;         /* largest R-hat among quantities that moved materially */
    double move;               /* largest move over the window / its tolerance */
    double elbo, elbo_se;      /* final ELBO and its Monte Carlo standard error */
    double khat;               /* PSIS Pareto k-hat of log p - log q (NaN: weights within 10%) */
    long eval_draws;
    long rejected;             /* draws of q where log p was not finite (skipped) */
    long eval_nonfinite;       /* of the eval_draws: non-finite log p (left out of the ELBO) */
} ViStats;

typedef struct ViCore ViCore;

/* Allocate every workspace (nothing is allocated later).  Refuses discrete coordinates
 * with an infinite or too large support, and the score estimator for a family without
 * one.  The family (and its self) must outlive the core. */
ViCore *vi_core_new(const BkTarget *t, const ViFamily *fam, const ViConfig *cfg,
                    char *err, size_t errlen);
/* The live parameter vector (fill the family's part before vi_core_start). */
double *vi_core_par(ViCore *c);
size_t vi_core_nparam(const ViCore *c);
/* Reset the optimiser, the stopping rule and the categorical logits (uniform). */
void vi_core_start(ViCore *c);
/* One Adam step.  BK_OK, BK_DONE (converged, or the cap reached: see ViStats),
 * BK_FAIL with err filled. */
int vi_core_step(ViCore *c, const BkTarget *t, gsl_rng *r, long iter, char *err, size_t errlen);
/* One estimate of the ELBO gradient at par (mc draws) into grad[nparam], *elbo the
 * batch's ELBO estimate.  0, 1 when no draw had a finite log p, -1 on a target error. */
int vi_core_gradient(ViCore *c, const BkTarget *t, gsl_rng *r, const double *par,
                     double *grad, double *elbo);
/* The parameters draws come from (averaged once finished, live before). */
const double *vi_core_final(const ViCore *c);
const ViStats *vi_core_stats(const ViCore *c);
/* 1 when the score estimator is Rao-Blackwellised (ViConfig.rb, a target with terms and
 * at least one factor over a coordinate). */
int vi_core_rb(const ViCore *c);
/* How many of the *nfactors factors over a coordinate used their Markov blanket's f at
 * the last step (the others used the whole log p - log q: see rb_choose in vi_common.c). */
size_t vi_core_rb_factors(const ViCore *c, size_t *nfactors);
/* A draw u (dim + ndisc) from q; lp = log p(u); cols = {log p, log q}. */
void vi_core_draw(ViCore *c, gsl_rng *r, double *u, double *lp, double *cols);
/* The lines shared by every VI backend: convergence, ELBO +- MCSE, k-hat (+ warning). */
void vi_core_report(const ViCore *c, FILE *out, const char *prefix);
/* The ELBO estimate of every iteration (NaN: a rejected step), for the CSV:
 * "elbo_window = W" then "elbo_trace = x1,x2,..." lines of 10 values (docs/plots.md). */
void vi_core_trace(const ViCore *c, FILE *out, const char *prefix);
void vi_core_free(ViCore *c);

/* Parse the common settings: mc, iters, lr, tol from s (<= 0: the given defaults). */
void vi_config_defaults(ViConfig *cfg, const BkSettings *s, long mc_def, double lr_def);

/* Building blocks, exported for the tests. */

/* PSIS k-hat of log weights lw[S] (Vehtari et al. 2022): generalised Pareto fit
 * (Zhang & Stephens 2009, with loo's weakly informative prior adjustment) to the
 * M = ceil(min(S/5, 3 sqrt S)) largest weights.  lw is sorted in place.  NaN when
 * the tail is constant, +inf when S is too small (M < 5). */
double vi_psis_khat(double *lw, size_t S);
/* Zhang & Stephens' estimate of the GPD shape k (and scale) for exceedances x[n],
 * sorted ascending and positive; adjusted towards 0.5 as loo does (wip). */
double vi_gpd_fit(const double *x, size_t n, double *sigma);
/* Split-R-hat of one trace x[n]: two halves compared as two chains, with the between-
 * halves variance divided by the autocorrelation time (Geyer's initial monotone sequence)
 * so that an autocorrelated but stationary trace gives ~1. */
double vi_split_rhat(const double *x, size_t n);

#endif
