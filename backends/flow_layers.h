/* Layers of a normalising flow z_out = f(z_in; p) for flow.c: the forward map with
 * log|det df/dz|, and the hand-written reverse pass (gradients with respect to the
 * parameters and the input).
 *
 *   planar  f(z) = z + u^ tanh(w.z + b)         Rezende & Mohamed 2015, appendix A:
 *           u^ = u + (m(w.u) - w.u) w / |w|^2,  m(x) = -1 + log(1 + e^x),  so w.u^ > -1
 *   radial  f(z) = z + beta (z - z0) / (alpha + |z - z0|)
 *           alpha = softplus(a) > 0,  beta = -alpha + softplus(b) >= -alpha
 *   iaf     [m, s] = MADE(z) (one hidden layer, tanh or elu, autoregressive masks, and
 *           MADE's direct masked linear connections from input to output),
 *           sigma = sigmoid(s),  f(z) = sigma .* z + (1 - sigma) .* m   Kingma et al. 2016
 *           log|det| = sum log sigma_i; the ordering is reversed in every other IAF layer.
 *   coupling the same network with two degrees (Dinh et al. 2017, RealNVP's affine
 *           coupling): the second half of z is moved by [m, s] of the first, the first
 *           half by a learned elementwise affine map; halves swap in every other layer. */
#ifndef VM_FLOW_LAYERS_H
#define VM_FLOW_LAYERS_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef enum { FL_PLANAR, FL_RADIAL, FL_IAF, FL_COUPLING } FlKind;

typedef struct FlLayer {
    FlKind kind;
    size_t d;                  /* dimension */
    size_t np;                 /* parameters */
    size_t ncache;             /* doubles of forward cache (one draw) */
    size_t hidden;             /* iaf: hidden units */
    int reverse;               /* iaf: input ordering d..1 instead of 1..d */
    int elu;                   /* iaf: elu instead of tanh */
    int expscale;              /* iaf: z' = exp(s) z + m instead of the gate s z + (1 - s) m */
} FlLayer;

/* Fill l's sizes.  hidden == 0 picks min(2d + 2, 64) for iaf. */
void fl_layer_setup(FlLayer *l, FlKind kind, size_t d, size_t hidden, int reverse, int elu);
/* Parameters near the identity map (random where symmetry must be broken), with the
 * layer's action centred on center[d] (may be NULL: the origin). */
void fl_layer_init(const FlLayer *l, double *p, const double *center, gsl_rng *r);
/* zout = f(zin); returns log|det df/dzin|; cache[ncache] keeps what backward needs. */
double fl_forward(const FlLayer *l, const double *p, const double *zin, double *zout, double *cache);
/* Given gout = dL/dzout and gld = dL/dlog|det|: WRITE gin = dL/dzin and ADD dL/dp into gp.
 * zin and cache as in the forward call. */
void fl_backward(const FlLayer *l, const double *p, const double *zin, double *cache,
                 const double *gout, double gld, double *gin, double *gp);
/* 1 if the invertibility constraint holds at p (planar w.u^ > -1, radial beta >= -alpha,
 * every parameter finite). */
/* grad log q through the layer, in place: gq = grad log q_in(zin) on entry,
 * grad log q_out(f(zin)) on return (zin and cache as in the forward call).  work holds
 * fl_score_work(l) doubles. */
void fl_score(const FlLayer *l, const double *p, const double *zin, const double *cache,
              double *gq, double *work);
size_t fl_score_work(const FlLayer *l);
int fl_invertible(const FlLayer *l, const double *p);
/* The constraint's value: planar w.u^ (must be > -1), radial beta + alpha (>= 0),
 * iaf 0. */
double fl_constraint(const FlLayer *l, const double *p);
const char *fl_kind_name(FlKind k);

#endif
