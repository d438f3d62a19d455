/* Internal helpers shared by the distribution kernels (prefix du_): argument access,
 * error filling, a generic driver for univariate discrete families, small dense
 * linear algebra that never calls GSL's error handler. */
#ifndef VM_DIST_UTIL_H
#define VM_DIST_UTIL_H

#include <stddef.h>
#include "dist.h"

static inline long du_size(const DArg *a) { return (long)a->rows * a->cols; }
/* Length of a vector argument (row or column vector alike). */
static inline int du_len(const DArg *a) { return a->rows * a->cols; }
/* Offset of replicate i's first element in argument a. */
static inline long du_off(const DArg *a, int i) { return (long)i * a->stride * du_size(a); }

/* Fill e and return -1. */
int du_fail(DistErr *e, int arg, long index, double value, const char *what);

/* ---- univariate discrete families --------------------------------------------
 * The kernel of one replicate sees v[0..nargs) (variate first, ints as doubles). */
typedef struct DuUni {
    int nargs;
    const char *sig;                  /* as Dist.sig: 'I' arguments are read from iv */
    /* Checks v[1..] (parameters); returns -1 with e->arg, value, what filled. */
    int (*check)(const double *v, DistErr *e);
    /* Checks the variate for the pmf (NULL: any int). */
    int (*ycheck)(const double *v, DistErr *e);
    /* log pmf; g[k] = d/dv[k] for k whose bit is set in need. */
    double (*lpmf)(const double *v, unsigned need, double *g);
    /* Support [lo, hi] and a mode, given the parameters. */
    void (*support)(const double *v, double *lo, double *hi, double *mode);
    int unimodal;                     /* 0: sum tails without the early stop */
    /* Optional closed form: log cdf, log ccdf and their gradients. */
    void (*cdf1)(const double *v, unsigned need, double *lc, double *lcc,
                 double *glc, double *glcc);
    /* One draw given v[1..]; parameters already checked. */
    int (*rng)(gsl_rng *r, const double *v, double *out, DistErr *e);
    /* Optional: log(pmf(y + 1) / pmf(y)) at v[0] = y, and its gradient w.r.t. the
     * parameters in g (bits of need): lets tail sums step by recurrence. */
    double (*up)(const double *v, unsigned need, double *g);
} DuUni;

int du_uni_lpmf(const DuUni *u, int n, const DArg *a, double *out, double *const *d, DistErr *e);
/* Dist.lp1: du_uni_lpmf of one replicate of scalars. */
int du_uni_lpmf1(const DuUni *u, const double *v, unsigned want, double *out, double *g, DistErr *e);
/* kind 0: cdf (product), 1: lcdf, 2: lccdf. */
int du_uni_cdf(const DuUni *u, int kind, int n, const DArg *a, double *out,
               double *const *d, DistErr *e);
/* log cdf and log ccdf of one replicate with y inside the support, by summing the
 * tail on the far side of the mode; for a cdf1 that falls back to it. */
void du_uni_cdf_sum(const DuUni *u, const double *v, unsigned need, double *lc, double *lcc,
                    double *glc, double *glcc);
int du_uni_rng(const DuUni *u, gsl_rng *r, const DArg *a, int i, double *out, DistErr *e);

/* The five DistFn/DistRng wrappers of a DuUni named U, as static functions P_lpmf... */
#define DU_WRAP(P, U) \
    static int P##_w_lpmf(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return du_uni_lpmf(&U, n, a, o, d, e); } \
    static int P##_w_cdf(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return du_uni_cdf(&U, 0, n, a, o, d, e); } \
    static int P##_w_lcdf(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return du_uni_cdf(&U, 1, n, a, o, d, e); } \
    static int P##_w_lccdf(int n, const DArg *a, double *o, double *const *d, DistErr *e) \
    { return du_uni_cdf(&U, 2, n, a, o, d, e); } \
    static int P##_w_rng(gsl_rng *r, const DArg *a, int i, double *o, DistErr *e) \
    { return du_uni_rng(&U, r, a, i, o, e); } \
    static int P##_w_lp1(const double *v, unsigned w, double *o, double *g, DistErr *e) \
    { return du_uni_lpmf1(&U, v, w, o, g, e); }

/* Stable log(1 + exp(x)). */
double du_log1p_exp(double x);

/* ---- simplex / vectors --------------------------------------------------------- */
/* Checks that x[0..k) is a simplex (entries >= 0, sum within 1e-8 of 1). */
int du_check_simplex(const double *x, int k, int arg, long off, DistErr *e);
int du_check_finite(const double *x, long k, int arg, long off, DistErr *e);

/* ---- dense linear algebra, column-major K x K ---------------------------------- */
/* Scratch memory: a stack buffer for small problems, the heap beyond (one allocation
 * per kernel call, never per replicate). */
typedef struct DuWork {
    double buf[1024];
    double *p;
    size_t used, cap;
} DuWork;
void du_work_init(DuWork *w, size_t n);      /* n doubles; w->p NULL if out of memory */
double *du_work_take(DuWork *w, size_t n);
void du_work_free(DuWork *w);

/* L = chol(A) (lower; upper part set to 0), reading A's lower triangle.  Returns -1
 * (and the failing column in *col) if A is not positive definite. */
int du_chol(const double *A, int K, double *L, int *col);
/* Solve L x = b in place (lower triangular), and L' x = b in place. */
void du_trsv_lower(const double *L, int K, double *x);
void du_trsv_upper_t(const double *L, int K, double *x);
/* Ainv = (L L')^{-1}, full symmetric; tmp is K*K scratch. */
void du_chol_inverse(const double *L, int K, double *Ainv, double *tmp);
double du_chol_logdet(const double *L, int K);   /* log det(L L') */
/* Checks that A (K x K) is symmetric within 1e-8 and has finite entries. */
int du_check_symmetric(const double *A, int K, int arg, long off, DistErr *e);
/* Multivariate log gamma: log Gamma_K(x). */
double du_lmgamma(int K, double x);

#endif
