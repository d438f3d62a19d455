/* Denoising score matching (Vincent 2011) with a noise-conditional score network
 * (Song & Ermon 2019) for amortised posterior sampling: from simulations (z, x) of
 * a model, learn s(z, sigma, x) ~ grad_z log p_sigma(z | x), the score of the
 * posterior of the unconstrained parameters z given the data summary x, smoothed by
 * N(0, sigma^2); then sample any data set's posterior by annealed Langevin dynamics.
 *
 * Everything runs on standardised coordinates w = (z - zmean) / zsd and
 * (x - xmean) / xsd, the moments of the simulations.  The network sees
 * [w~, log sigma, x] and outputs o = sigma s (Song & Ermon's observation that
 * sigma s is of order one at every level), so the lecture's weighted loss
 * lambda(sigma) = sigma^2 becomes
 *     l(theta) = E || o(w + sigma eps, sigma, x) + eps ||^2.
 * docs/dsm.md describes the method and its limits. */
#ifndef VM_DSM_H
#define VM_DSM_H
#include <gsl/gsl_rng.h>
#include "backends/nn.h"

typedef struct DsmConfig {
    int levels;                /* L noise levels, geometric from sigma_max to sigma_min */
    double sigma_min, sigma_max;   /* on the standardised scale */
    int hidden, layers;        /* width and number of hidden layers */
    int batch;                 /* mini-batch size */
    double lr;                 /* Adam's step (decayed by a cosine to 5% at the end) */
    int steps;                 /* Langevin steps T per level */
    double step_ratio;         /* alpha_i = step_ratio * (smallest variance of the chains at level i) */
    /* Stop the annealing at the first level with sigma_i <= stop * sd_i (sd_i: the
     * smallest sd of the chains, per coordinate, at that level) and finish with half
     * a Tweedie step, w + sigma^2/2 s(w): for a Gaussian posterior of variance v the
     * draws then have variance v + sigma^4 / (4 (v + sigma^2)), a relative error
     * below stop^4 / 4.  0: run every level and return the last state, as the
     * lecture's algorithm does. */
    double stop;
} DsmConfig;

typedef struct Dsm {
    DsmConfig c;
    int d, nx, nin;            /* parameters, summaries, network inputs */
    double *sigmas;            /* L levels, decreasing */
    double *zmean, *zsd, *xmean, *xsd;
    Nn *net;
    double *in, *eps, *dout, *w, *xs;   /* workspaces, batch rows */
    long *perm;
    long nperm;
    /* Data-parallel training (docs/mpi.md): this process computes rows
     * [B part / parts, B (part + 1) / parts) of every batch, and the gradients are
     * summed over the processes (runtime/mpi.h) before the step; parts = 1 alone. */
    int part, parts;
    double *gsum, *gtmp;       /* nparams + 1 and (nparams + 1) * parts */
} Dsm;

/* A fresh network for d parameters and nx summaries (weights from r).  NULL when a
 * setting is out of range, with err filled. */
Dsm *dsm_new(const DsmConfig *c, int d, int nx, gsl_rng *r, char *err, size_t errlen);
void dsm_free(Dsm *m);
/* Moments of the n simulations (Z n x d, X n x nx, row-major) used to standardise. */
void dsm_standardise(Dsm *m, const double *Z, const double *X, long n);
/* The loss of a batch on standardised coordinates: rows W (B x d), summaries Xs
 * (B x nx), levels sig (B), noises eps (B x d).  With grad != 0 the network's
 * gradient of the loss is added to m->net->grad.  B <= c.batch. */
double dsm_loss(Dsm *m, const double *W, const double *Xs, const double *sig, const double *eps, int B, int grad);
/* One pass over the n simulations in random mini-batches, a random level and noise
 * per example, one Adam step per batch at step lr.  Returns the mean loss. */
double dsm_epoch(Dsm *m, const double *Z, const double *X, long n, double lr, gsl_rng *r);
/* End of training: the network takes the moving average of its iterates. */
void dsm_finish(Dsm *m);
/* The learned score of p_sigma(z | x) on the original (unconstrained) scale, for B
 * points Z (B x d) and one data summary x (nx values); sigma on the standardised
 * scale.  out: B x d. */
void dsm_score(Dsm *m, const double *Z, const double *x, double sigma, int B, double *out);
/* n draws (out: n x d, unconstrained) from the posterior given the summary x, by
 * annealed Langevin dynamics over the levels (Song & Ermon 2019, Algorithm 1). */
void dsm_sample(Dsm *m, const double *x, long n, gsl_rng *r, double *out);
/* Save / load the trained network with its standardisation and levels. */
int dsm_save(const Dsm *m, const char *path, char *err, size_t errlen);
Dsm *dsm_load(const char *path, const DsmConfig *c, char *err, size_t errlen);
#endif
