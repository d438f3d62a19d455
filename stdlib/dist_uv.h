/* Shared driver for the continuous univariate distributions (prefix duv_).
 *
 * A family supplies scalar kernels: given one replicate's arguments x[0..nargs)
 * (variate first) and a cache c[] of parameter-only quantities, a kernel returns the
 * log density (or log cdf, log ccdf) and writes d value / d x[k] into g[k] for each
 * k whose bit is set in need.  The driver checks arguments, walks the replicates,
 * recomputes the cache only when the parameters change (so a broadcast sigma costs
 * one log(sigma) per call) and adds the partials into the caller's arrays.
 * The cdf is exp(sum of lcdf) with partials cdf * d(sum lcdf), as in Stan. */
#ifndef VM_DIST_UV_H
#define VM_DIST_UV_H

#include "stdlib/dist.h"

#define DUV_NCACHE 8

typedef double (*DuvFn)(const double *x, const double *c, unsigned need, double *g);
/* The cache of parameter-only quantities; need as the kernels' (bits of the
 * arguments whose partials are wanted): quantities only partials use may be skipped. */
typedef void (*DuvPre)(const double *x, unsigned need, double *c);
typedef double (*DuvRng)(gsl_rng *r, const double *x);    /* x[1..] are the parameters */

/* Argument checks, as Stan's check_* functions. */
enum {
    DUV_NOTNAN = 1,     /* variates: out of support gives -inf, only NaN is an error */
    DUV_FINITE,
    DUV_POSFIN,         /* positive and finite: scales, shapes */
    DUV_NONNEGFIN,      /* von_mises concentration */
    DUV_UNIT_OPEN       /* beta_proportion mean, in (0, 1) */
};

typedef struct DuvSpec {
    int nargs;
    unsigned char chk[DIST_MAX_ARGS];
    /* Optional cross-argument check (uniform's upper > lower): returns the index of
     * the offending argument and sets *what, or 0 when fine. */
    int (*check)(const double *x, const char **what);
    DuvPre pre;                /* may be NULL; c[] starts zeroed */
    DuvFn lpdf, lcdf, lccdf;
    DuvRng rng;
} DuvSpec;

int duv_lpdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e);
int duv_lcdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e);
int duv_lccdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e);
int duv_cdf(const DuvSpec *s, int n, const DArg *a, double *out, double *const *d, DistErr *e);
int duv_rng(const DuvSpec *s, gsl_rng *r, const DArg *a, int i, double *out, DistErr *e);
/* Dist.lp1: duv_lpdf of one replicate of scalars. */
int duv_lpdf1(const DuvSpec *s, const double *x, unsigned want, double *out, double *g, DistErr *e);

/* The five DistFn/DistRng entry points of family NAME, built on NAME##_spec. */
#define DUV_ENTRY_POINTS(NAME)                                                           \
    static int NAME##_lpdf_v(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return duv_lpdf(&NAME##_spec, n, a, o, d, e); }                                  \
    static int NAME##_cdf_v(int n, const DArg *a, double *o, double *const *d, DistErr *e)  \
    { return duv_cdf(&NAME##_spec, n, a, o, d, e); }                                   \
    static int NAME##_lcdf_v(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return duv_lcdf(&NAME##_spec, n, a, o, d, e); }                                  \
    static int NAME##_lccdf_v(int n, const DArg *a, double *o, double *const *d, DistErr *e)\
    { return duv_lccdf(&NAME##_spec, n, a, o, d, e); }                                 \
    static int NAME##_rng_v(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e)       \
    { return duv_rng(&NAME##_spec, r, a, i, o, e); }                                   \
    static int NAME##_lp1_v(const double *x, unsigned w, double *o, double *g, DistErr *e) \
    { return duv_lpdf1(&NAME##_spec, x, w, o, g, e); }

/* The Dist row of family NAME (entry points from DUV_ENTRY_POINTS). */
#define DUV_DIST(NAME, NARGS, SIG, TESTS, LO, HI, ...)                                  \
    const Dist dist_##NAME = {#NAME, 0, NARGS, {__VA_ARGS__}, SIG, NAME##_lpdf_v,        \
        NAME##_rng_v, NAME##_cdf_v, NAME##_lcdf_v, NAME##_lccdf_v,                       \
        (int)(sizeof(TESTS) / sizeof(TESTS[0])), TESTS, LO, HI, NULL, NAME##_lp1_v}

#endif
