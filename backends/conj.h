/* CAVI's model analysis and closed-form updates (docs/cavi.md).
 *
 * conj.c finds, for every parameter, a mean-field factor q_j of the conjugate family
 * its type and prior call for, and turns every `~` statement instance into a factor
 * whose log density is linear in the sufficient statistics of each q_j: a table of
 * conjugate pairs (family, distribution, argument, allowed transform) decides what
 * is allowed, and the first statement that breaks it is refused.  conj_gauss.c and
 * conj_expfam.c hold the expected log densities, the messages (natural-parameter
 * contributions) of each factor to each block, and the q updates. */
#ifndef VM_CONJ_H
#define VM_CONJ_H
#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "runtime/graph.h"
#include "stdlib/dist.h"

/* ORDER FAMILIES: cj_fam_name in conj.c */
typedef enum { Q_NORMAL, Q_GAMMA, Q_INVGAMMA, Q_BETA, Q_DIRICHLET, Q_CATEG, Q_INVWISHART, Q_WISHART, Q_NFAM } CjFam;
extern const char *const cj_fam_name[];

/* How a parameter element x may enter an argument a (c: a constant of the data). */
typedef enum {
    CT_LINEAR,       /* a = c0 + b . theta, jointly over all normal blocks */
    CT_PRECISION,    /* a = (c x)^(-1/2): a normal scale whose precision is c x */
    CT_VARIANCE,     /* a = (c x)^(1/2): a normal scale whose variance is c x */
    CT_SCALE,        /* a = c x */
    CT_IDENTITY      /* a = x (a whole simplex for the Dirichlet) */
} CjTr;

/* One conjugate pair: a parameter of family fam may enter argument arg (0: the
 * variate) of distribution dist through transform tr. */
typedef struct CjPair { CjFam fam; const Dist *dist; int arg; CjTr tr; } CjPair;
extern const CjPair cj_pairs[];
const CjPair *cj_pair_find(CjFam fam, const Dist *dist, int arg);

typedef struct CjBlock {
    CjFam fam;
    const char *name;
    int param;                 /* index of its VgParam */
    int n;                     /* elements of the value (categorical: variables) */
    int K;                     /* Dirichlet: simplex length; categorical: values */
    int lo;                    /* categorical: the lowest value */
    int nprior, nlik;          /* statements where it is the variate / anything else */
    double *acc;               /* natural parameters gathered in one update */
    /* normal: mean (n), cov (n*n), chol (n*n: lower Cholesky factor of the precision) */
    double *mean, *cov, *chol;
    /* gamma / inverse gamma: p1 = shape, p2 = rate (scale for IG), per element;
     * beta: p1 = a, p2 = b; Dirichlet: p1 = alpha (n); categorical: p1 = probs (n*K) */
    double *p1, *p2;
    /* inverse Wishart of a covariance Sigma or Wishart of a precision (K x K, n = K * K),
     * both through the precision P (Sigma^-1, or the parameter itself): p1 = B, p2[0] = nu
     * with q(P) = Wishart(nu, B^-1) (for IW, B is Psi); e1 = E P (n), e2[0] = E log|P|;
     * acc = sum of B (n) then of a (1) in a/2 log|P| - tr(B P)/2 */
    /* gamma: e1 = E x, e2 = E log x; IG: e1 = E 1/x, e2 = E log x;
     * beta: e1 = E log t, e2 = E log(1 - t); Dirichlet: e1 = E log t (n) */
    double *e1, *e2;
} CjBlock;

/* A source of a positive quantity: the constant w (blk < 0), or w * x[elt] of block blk
 * (for a normal factor's precision from an inverse-gamma block: w / x[elt]). */
typedef struct CjSrc { int blk, elt; double w; } CjSrc;

/* A discrete selector: the factor holds when variable elt of categorical block blk
 * takes its val-th value (blk < 0: always). */
typedef struct CjSel { int blk, elt, val; } CjSel;

/* Rows x block coefficients of a Gaussian residual, compressed by row. */
typedef struct CjLin { int blk; int *rowptr, *col; double *val; } CjLin;

typedef enum { CF_NORMAL, CF_GAMMA, CF_BETA, CF_DIR, CF_IW } CjKind;

typedef struct CjFactor {
    CjKind kind;
    const VgFactor *fac;       /* the model factor it comes from */
    CjSel sel;
    int nrow;
    double k0;                 /* constant part of the log density */
    /* CF_NORMAL: row i is N(r_i | 0, 1/tau_i), r_i = c_i + sum_l lin[l] row i . theta */
    double *c;
    CjSrc *prec;
    CjLin *lin;
    int nlin;
    /* CF_GAMMA: a_i log lam_i + cv_i log v_i - lam_i v'_i  (v' = v, or 1/v when inv) */
    double *a, *cv;
    CjSrc *rate, *var;
    int inv;
    /* CF_BETA: s_i log t_i + f_i log(1 - t_i) */
    double *s, *f;
    CjSrc *theta;              /* w: the constant t when blk < 0 */
    /* CF_DIR: sum_k coef_ik log t_ik; coef = cf, or the probabilities of zvar */
    int K;
    double *cf;                /* nrow*K */
    CjSrc *simp;               /* elt = replicate; blk < 0: logt holds the constant */
    double *logt;              /* nrow*K */
    CjSel *zvar;               /* nrow: discrete variate (blk < 0: data) */
    /* CF_IW: k0 + ia/2 log|P| - tr(iB P)/2, P the precision of the (inverse-)Wishart
     * block iblk (K x K): its prior, or multi_normal(_prec) rows with a constant mean */
    double ia, *iB;
    int iblk;
} CjFactor;

typedef struct CjModel {
    VgGraph *g;                /* the model graph (owned) */
    CjBlock *blk;
    int nblk;
    CjFactor *fac;
    int nfac;
    int **bfac;                /* per block: factors sending it messages, -1-terminated */
    int **bsel;                /* per block: factors selected by it, -1-terminated */
} CjModel;

/* Analyse the model; 0, or -1 with err holding the rendered refusal
 * (file:line:col: error: ..., the line, a caret). */
int cj_analyse(const VmModel *m, CjModel *cm, char *err, size_t errlen);
void cj_free(CjModel *cm);

/* conj_gauss.c / conj_expfam.c */
double cj_weight(const CjModel *cm, const CjSel *s);
double cj_elogp(const CjModel *cm, const CjFactor *f);             /* E_q log p_f */
void cj_message(CjModel *cm, const CjFactor *f, int b, double wgt);  /* into blk[b].acc */
double cj_entropy(const CjModel *cm, const CjBlock *b);
/* q_b from its accumulated natural parameters; 0, or -1 with err (improper q). */
int cj_finish(CjModel *cm, CjBlock *b, char *err, size_t errlen);
/* A starting q: the family's default, randomised when r is non-NULL. */
void cj_start(CjModel *cm, CjBlock *b, gsl_rng *r);
void cj_expect(CjBlock *b);                                          /* e1, e2 from q */
/* E tau, E log tau of a normal factor's precision source. */
void cj_prec(const CjModel *cm, const CjSrc *s, double *et, double *elt);
/* Gaussian helpers. */
void cj_normal_msg(CjModel *cm, const CjFactor *f, int b, double wgt);
double cj_normal_elogp(const CjModel *cm, const CjFactor *f);
int cj_normal_finish(CjBlock *b, char *err, size_t errlen);
/* conj_iw.c: the inverse-Wishart block and its factors. */
double cj_iw_elogp(const CjModel *cm, const CjFactor *f);
void cj_iw_message(CjModel *cm, const CjFactor *f, int b, double wgt);
int cj_iw_finish(CjBlock *b, char *err, size_t errlen);
double cj_iw_entropy(const CjBlock *b);
void cj_iw_start(CjBlock *b, gsl_rng *r);
void cj_iw_expect(CjBlock *b);
/* Sigma ~ q (column-major K x K into x); 0, or -1 if a draw is not positive definite. */
int cj_iw_draw(const CjBlock *b, gsl_rng *r, double *x);
/* log multivariate gamma Gamma_K(a). */
double cj_lmgamma(int K, double a);
/* In-place lower Cholesky factor of the n x n row-major A; -1 if not positive definite. */
int cj_chol(double *A, int n);
#endif
