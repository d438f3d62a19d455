/* A small multilayer perceptron for the score network: dense layers with SiLU
 * activations (a linear output layer), mini-batch forward and backward passes whose
 * matrix products go through BLAS (OpenBLAS, all cores), and Adam.
 *
 * Activations are row-major B x n (one row per example).  Every workspace is sized
 * for `maxbatch` rows when the net is made: a forward or backward pass allocates
 * nothing.  The parameter vector is one array (layer by layer: W row-major
 * nout x nin, then b), so a finite-difference check or a file write sees it whole. */
#ifndef VM_NN_H
#define VM_NN_H
#include <stddef.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>

typedef struct Nn {
    int nlayers;               /* dense layers */
    int *sizes;                /* nlayers + 1 widths: input, hidden..., output */
    int maxbatch;
    size_t nparams;
    double *theta, *grad;      /* nparams each */
    double *adam_m, *adam_v;   /* Adam moments */
    long adam_t;
    double *ema;               /* exponential moving average of theta */
    double **z, **a;           /* per layer: pre-activation (z[l], l = 1..) and output (a[0] = input) */
    double *d0, *d1;           /* backward scratch, maxbatch x max width */
} Nn;

/* sizes: nlayers + 1 widths.  Weights: Glorot-uniform from r, biases 0.  NULL if a
 * width is not positive. */
/* The most weights and biases a network may have (2^24: with the gradient and Adam's
 * two moments, 512 MiB); also the bound on batch x width of a layer's activations. */
#define NN_MAX_PARAMS ((size_t)1 << 24)
/* Weights and biases of the network of these layer widths, 0 when a width is not
 * positive or the count or a layer's activations exceed NN_MAX_PARAMS. */
size_t nn_count_params(int nlayers, const int *sizes, int maxbatch);
/* NULL when nn_count_params is 0 or memory runs out. */
Nn *nn_new(int nlayers, const int *sizes, int maxbatch, gsl_rng *r);
void nn_free(Nn *n);
/* Output (B x sizes[nlayers], the net's own buffer, valid until the next call) for
 * the input rows X (B x sizes[0], B <= maxbatch). */
const double *nn_forward(Nn *n, const double *X, int B);
/* Add to grad the gradient of sum_ij dout[i][j] * out[i][j] w.r.t. the parameters,
 * for the batch of the last nn_forward.  dx (B x sizes[0]) gets the gradient w.r.t.
 * the input when non-NULL. */
void nn_backward(Nn *n, const double *dout, int B, double *dx);
void nn_zero_grad(Nn *n);
/* One Adam step (Kingma & Ba 2015: beta1 0.9, beta2 0.999, eps 1e-8) on grad. */
void nn_adam(Nn *n, double lr);
/* ema = decay ema + (1 - decay) theta (the first call copies theta).  Averaging the
 * iterates removes much of the SGD noise the small noise levels leave in theta
 * (Song & Ermon 2020, "Improved techniques", technique 5). */
void nn_ema(Nn *n, double decay);
/* theta = ema, once training is over. */
void nn_use_ema(Nn *n);
/* The net as text (widths then parameters, %.17g) and back: nn_read returns NULL
 * with err filled on a malformed file. */
int nn_write(const Nn *n, FILE *f);
Nn *nn_read(FILE *f, int maxbatch, char *err, size_t errlen);
#endif
