/* From probed statement instances to factors (conj.h): each distribution's log
 * density written as a function of its arguments' sufficient statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_linalg.h>
#include "backends/conj_int.h"

typedef struct Coo { int row, blk, elt; double coef; } Coo;
typedef struct Use { int blk; const VgFactor *s; int prior; } Use;

typedef struct Bld {
    CjAn *a;
    int ii;                    /* instance */
    const CjInst *in;
    int cf;                    /* configuration */
    CjSel sel;
    Coo *coo;
    long ncoo, capcoo;
    Use *use;
    long nuse, capuse;
} Bld;

static long vo(const CjInst *in, int i)
{
    long o = in->off;
    for (int j = 0; j < i; j++) o += in->sz[j];
    return o;
}
static double bv(const Bld *b, long g) { return b->a->cfg[b->cf].base[g]; }
static CjSrc ps(const Bld *b, long g) { return b->a->cfg[b->cf].psrc[g]; }
/* Element r of value i (broadcast when it has one element). */
static long gi(const CjInst *in, int i, long r) { return vo(in, i) + (in->sz[i] == 1 ? 0 : r); }

static void use(Bld *b, int blk, int prior)
{
    if (blk < 0) return;
    if (b->nuse == b->capuse) { b->capuse = b->capuse ? 2 * b->capuse : 64; b->use = realloc(b->use, sizeof(Use) * (size_t)b->capuse); }
    b->use[b->nuse++] = (Use){blk, b->in->f, prior};
}

static CjFactor *newf(Bld *b, CjKind k, int nrow)
{
    CjModel *cm = b->a->cm;
    cm->fac = realloc(cm->fac, sizeof(CjFactor) * (size_t)(cm->nfac + 1));
    CjFactor *f = &cm->fac[cm->nfac++];
    memset(f, 0, sizeof *f);
    f->kind = k;
    f->fac = b->in->f;
    f->sel = b->sel;
    f->nrow = nrow;
    return f;
}

static int nrep_of(Bld *b, const int *vals, int nvals, const int *es)
{
    long n = 1;
    for (int k = 0; k < nvals; k++) {
        long m = b->in->sz[vals[k]] / (es ? es[k] : 1);
        if (m > n) n = m;
    }
    for (int k = 0; k < nvals; k++) {
        long m = b->in->sz[vals[k]] / (es ? es[k] : 1);
        if (m != 1 && m != n) {
            cj_refuse(b->a, b->ii, b->in->f->pos, "cavi: the arguments of %s have different sizes", b->in->d->name);
            return -1;
        }
    }
    return (int)n;
}

static void coo_add(Bld *b, int row, int blk, int elt, double coef)
{
    if (b->ncoo == b->capcoo) { b->capcoo = b->capcoo ? 2 * b->capcoo : 256; b->coo = realloc(b->coo, sizeof(Coo) * (size_t)b->capcoo); }
    b->coo[b->ncoo++] = (Coo){row, blk, elt, coef};
}

static int coo_cmp(const void *x, const void *y)
{
    const Coo *p = x, *q = y;
    if (p->row != q->row) return p->row - q->row;
    if (p->blk != q->blk) return p->blk - q->blk;
    return p->elt - q->elt;
}

/* Linear entries of value element g, times sign, into row. */
static void lin_of(Bld *b, long g, int row, double sign)
{
    const CjCfg *c = &b->a->cfg[b->cf];
    for (long k = c->lstart[g]; k < c->lstart[g + 1]; k++) coo_add(b, row, c->ent[k].blk, c->ent[k].elt, sign * c->ent[k].coef);
}

/* The COO list (merged) into f->lin, one CSR per block. */
static void set_lin(Bld *b, CjFactor *f, int prior_var)
{
    if (b->ncoo) qsort(b->coo, (size_t)b->ncoo, sizeof(Coo), coo_cmp);
    long w = 0;
    for (long k = 0; k < b->ncoo; k++) {
        if (w && b->coo[w - 1].row == b->coo[k].row && b->coo[w - 1].blk == b->coo[k].blk && b->coo[w - 1].elt == b->coo[k].elt)
            b->coo[w - 1].coef += b->coo[k].coef;
        else b->coo[w++] = b->coo[k];
    }
    b->ncoo = w;
    int blks[64], nb = 0;
    for (long k = 0; k < b->ncoo; k++) {
        int found = 0;
        for (int j = 0; j < nb; j++) if (blks[j] == b->coo[k].blk) found = 1;
        if (!found && nb < 64) blks[nb++] = b->coo[k].blk;
    }
    f->lin = calloc((size_t)nb + 1, sizeof(CjLin));
    f->nlin = nb;
    for (int j = 0; j < nb; j++) {
        CjLin *L = &f->lin[j];
        L->blk = blks[j];
        L->rowptr = calloc((size_t)f->nrow + 1, sizeof(int));
        long cnt = 0;
        for (long k = 0; k < b->ncoo; k++) if (b->coo[k].blk == blks[j] && b->coo[k].coef != 0) { L->rowptr[b->coo[k].row + 1]++; cnt++; }
        for (int r = 0; r < f->nrow; r++) L->rowptr[r + 1] += L->rowptr[r];
        L->col = malloc(sizeof(int) * (size_t)(cnt + 1));
        L->val = malloc(sizeof(double) * (size_t)(cnt + 1));
        long p = 0;
        for (long k = 0; k < b->ncoo; k++)
            if (b->coo[k].blk == blks[j] && b->coo[k].coef != 0) { L->col[p] = b->coo[k].elt; L->val[p++] = b->coo[k].coef; }
    }
    (void)prior_var;
    b->ncoo = 0;
}

/* The normal blocks value i depends on linearly (the variate's: its prior). */
static void uses_of_value(Bld *b, int i, int prior)
{
    const CjCfg *c = &b->a->cfg[b->cf];
    long o = vo(b->in, i);
    int last = -1;
    for (long k = c->lstart[o]; k < c->lstart[o + b->in->sz[i]]; k++)
        if (c->ent[k].blk != last) use(b, last = c->ent[k].blk, prior);
}

static void src_use(Bld *b, CjSrc s, int prior) { use(b, s.blk, prior); }

static int build_normal(Bld *b)
{
    const CjInst *in = b->in;
    int std = in->d == &dist_std_normal;
    int vals[3] = {0, 1, 2};
    int nrep = nrep_of(b, vals, std ? 1 : 3, NULL);
    if (nrep < 0) return -1;
    CjFactor *f = newf(b, CF_NORMAL, nrep);
    f->c = malloc(sizeof(double) * (size_t)nrep);
    f->prec = malloc(sizeof(CjSrc) * (size_t)nrep);
    for (int r = 0; r < nrep; r++) {
        long gv = gi(in, 0, r);
        f->c[r] = bv(b, gv);
        lin_of(b, gv, r, 1);
        f->prec[r] = (CjSrc){-1, 0, 1};
        if (std) continue;
        long gm = gi(in, 1, r), gs = gi(in, 2, r);
        f->c[r] -= bv(b, gm);
        lin_of(b, gm, r, -1);
        CjSrc s = ps(b, gs);
        if (s.blk >= 0) {
            const CjBlock *B = &b->a->cm->blk[s.blk];
            f->prec[r] = (CjSrc){s.blk, s.elt, B->fam == Q_INVGAMMA ? 1 / s.w : s.w};
            use(b, s.blk, 0);
        } else {
            double sd = bv(b, gs);
            if (!(sd > 0)) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: the scale of normal is %g, not positive", sd); return -1; }
            f->prec[r].w = 1 / (sd * sd);
        }
    }
    set_lin(b, f, 1);
    uses_of_value(b, 0, 1);
    if (!std) uses_of_value(b, 1, 0);
    return 0;
}

/* Value i of the instance is the whole inverse-Wishart block (each element its own
 * element, coefficient 1): the block, or -1 after a refusal. */
static int iw_whole(Bld *b, int i, const char *what)
{
    const CjInst *in = b->in;
    long g = vo(in, i);
    CjSrc s0 = ps(b, g);
    const CjBlock *B = s0.blk >= 0 ? &b->a->cm->blk[s0.blk] : NULL;
    int ok = B && (B->fam == Q_INVWISHART || B->fam == Q_WISHART) && in->sz[i] == B->n;
    for (int j = 0; ok && j < in->sz[i]; j++) {
        CjSrc s = ps(b, g + j);
        ok = s.blk == s0.blk && s.elt == j && fabs(s.w - 1) < 1e-12;
    }
    if (!ok) {
        cj_refuse(b->a, b->ii, in->f->val_pos[i],
                  "cavi: the %s of %s must be a whole cov_matrix parameter with an inv_wishart or wishart prior, as "
                  "it is; use --method=bbvi", what, in->d->name);
        return -1;
    }
    return s0.blk;
}

/* Value i is a constant of the data (no parameter enters it). */
static int iw_const(Bld *b, int i, const char *what)
{
    const CjInst *in = b->in;
    const CjCfg *c = &b->a->cfg[b->cf];
    long g = vo(in, i);
    for (int j = 0; j < in->sz[i]; j++)
        if (c->psrc[g + j].blk >= 0 || c->lstart[g + j] < c->lstart[g + j + 1]) {
            cj_refuse(b->a, b->ii, in->f->val_pos[i],
                      "cavi: with a (inverse-)Wishart covariance or precision the %s of %s must come from the data "
                      "(CAVI has no normal-Wishart factor); use --method=bbvi", what, in->d->name);
            return -1;
        }
    return 0;
}

/* Sigma ~ inv_wishart(nu, Psi), nu and Psi from the data, with P = Sigma^-1:
 * nu/2 log|Psi| - nu K/2 log 2 - lmgamma_K(nu/2) + (nu + K + 1)/2 log|P| - tr(Psi P)/2;
 * P ~ wishart(nu, V): -nu/2 log|V| - nu K/2 log 2 - lmgamma_K(nu/2) + (nu - K - 1)/2 log|P|
 * - tr(V^-1 P)/2. */
static int build_iw_prior(Bld *b)
{
    const CjInst *in = b->in;
    int blk = iw_whole(b, 0, "variate");
    if (blk < 0 || iw_const(b, 1, "degrees of freedom") || iw_const(b, 2, "scale")) return -1;
    int K = b->a->cm->blk[blk].K;
    double nu = bv(b, vo(in, 1));
    gsl_matrix *P = gsl_matrix_alloc((size_t)K, (size_t)K);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(P, (size_t)i, (size_t)j, bv(b, vo(in, 2) + i + (long)j * K));
    if (in->sz[1] != 1 || in->sz[2] != K * K || !(nu > K - 1) || cj_chol(P->data, K)) {
        gsl_matrix_free(P);
        cj_refuse(b->a, b->ii, in->f->pos, "cavi: %s needs nu > K - 1 and a positive-definite K x K scale",
                  in->d->name);
        return -1;
    }
    double ld = 0;
    for (int k = 0; k < K; k++) ld += 2 * log(gsl_matrix_get(P, (size_t)k, (size_t)k));
    int wish = in->d == &dist_wishart;
    if (wish) {                                      /* V^-1 */
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) gsl_matrix_set(P, (size_t)i, (size_t)j, bv(b, vo(in, 2) + i + (long)j * K));
        gsl_linalg_cholesky_decomp1(P);
        gsl_linalg_cholesky_invert(P);
    }
    CjFactor *f = newf(b, CF_IW, 1);
    f->iblk = blk;
    f->K = K;
    f->ia = wish ? nu - K - 1 : nu + K + 1;
    f->iB = malloc(sizeof(double) * (size_t)K * K);
    for (long j = 0; j < (long)K * K; j++) f->iB[j] = wish ? gsl_matrix_get(P, (size_t)(j % K), (size_t)(j / K)) : bv(b, vo(in, 2) + j);
    gsl_matrix_free(P);
    f->k0 = (wish ? -0.5 : 0.5) * nu * ld - 0.5 * nu * K * M_LN2 - cj_lmgamma(K, 0.5 * nu);
    use(b, blk, 1);
    return 0;
}

/* y_r ~ multi_normal(mu_r, Sigma), y and mu from the data: with r_r = y_r - mu_r,
 * -N K/2 log(2 pi) - N/2 log|Sigma| - tr((sum_r r_r r_r') Sigma^-1)/2 */
static int build_mvn_iw(Bld *b)
{
    const CjInst *in = b->in;
    int blk = iw_whole(b, 2, "covariance");
    if (blk < 0 || iw_const(b, 1, "location")) return -1;
    const CjCfg *c = &b->a->cfg[b->cf];
    for (int j = 0; j < in->sz[0]; j++)
        if (c->psrc[vo(in, 0) + j].blk >= 0 || c->lstart[vo(in, 0) + j] < c->lstart[vo(in, 0) + j + 1]) {
            cj_refuse(b->a, b->ii, in->f->val_pos[0], "cavi: with an inverse-Wishart covariance the variate of %s must "
                      "be data; use --method=bbvi", in->d->name);
            return -1;
        }
    int K = b->a->cm->blk[blk].K, vals[2] = {0, 1}, es[2] = {K, K};
    int nrep = nrep_of(b, vals, 2, es);
    if (nrep < 0) return -1;
    CjFactor *f = newf(b, CF_IW, nrep);
    f->iblk = blk;
    f->K = K;
    f->ia = nrep;
    f->iB = calloc((size_t)K * K, sizeof(double));
    double *r = malloc(sizeof(double) * (size_t)K);
    for (int q = 0; q < nrep; q++) {
        for (int k = 0; k < K; k++) {
            long gv = vo(in, 0) + (in->sz[0] == K ? 0 : (long)q * K) + k, gm = vo(in, 1) + (in->sz[1] == K ? 0 : (long)q * K) + k;
            r[k] = bv(b, gv) - bv(b, gm);
        }
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) f->iB[i + (long)j * K] += r[i] * r[j];
    }
    free(r);
    f->k0 = -0.5 * nrep * K * log(2 * M_PI);
    use(b, blk, 0);
    return 0;
}

static int build_mvn(Bld *b)
{
    const CjInst *in = b->in;
    if (in->nv == 3 && in->d != &dist_multi_normal_cholesky && ps(b, vo(in, 2)).blk >= 0) return build_mvn_iw(b);
    int K = in->rows[2], chol = in->d == &dist_multi_normal_cholesky, prec = in->d == &dist_multi_normal_prec;
    if (K < 1 || in->sz[2] != K * K) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: %s needs one K x K matrix", in->d->name); return -1; }
    int vals[2] = {0, 1}, es[2] = {K, K};
    int nrep = nrep_of(b, vals, 2, es);
    if (nrep < 0) return -1;
    gsl_matrix *L = gsl_matrix_alloc((size_t)K, (size_t)K);
    long g2 = vo(in, 2);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) gsl_matrix_set(L, (size_t)i, (size_t)j, chol && j > i ? 0 : bv(b, g2 + i + (long)j * K));
    if (prec) {   /* a data precision: its inverse is the covariance */
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int bad = gsl_linalg_cholesky_decomp1(L) || gsl_linalg_cholesky_invert(L);
        gsl_set_error_handler(old);
        if (bad) {
            gsl_matrix_free(L);
            cj_refuse(b->a, b->ii, in->f->val_pos[2], "cavi: the precision of multi_normal_prec is not positive definite");
            return -1;
        }
    }
    if (!chol && cj_chol(L->data, K)) {
        gsl_matrix_free(L);
        cj_refuse(b->a, b->ii, in->f->val_pos[2], "cavi: the covariance of %s is not positive definite", in->d->name);
        return -1;
    }
    CjFactor *f = newf(b, CF_NORMAL, nrep * K);
    f->c = malloc(sizeof(double) * (size_t)nrep * K);
    f->prec = malloc(sizeof(CjSrc) * (size_t)nrep * K);
    double ld = 0;
    for (int k = 0; k < K; k++) ld += log(gsl_matrix_get(L, (size_t)k, (size_t)k));
    f->k0 = -nrep * ld;
    gsl_vector *v = gsl_vector_alloc((size_t)K);
    Bld tmp = *b;
    tmp.coo = NULL; tmp.ncoo = tmp.capcoo = 0;
    for (int r = 0; r < nrep; r++) {
        for (int k = 0; k < K; k++) {
            long gv = vo(in, 0) + (in->sz[0] == K ? 0 : (long)r * K) + k, gm = vo(in, 1) + (in->sz[1] == K ? 0 : (long)r * K) + k;
            gsl_vector_set(v, (size_t)k, bv(b, gv) - bv(b, gm));
            lin_of(&tmp, gv, k, 1);
            lin_of(&tmp, gm, k, -1);
        }
        gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, L, v);
        for (int k = 0; k < K; k++) { f->c[r * K + k] = gsl_vector_get(v, (size_t)k); f->prec[r * K + k] = (CjSrc){-1, 0, 1}; }
        /* whiten every (block, element) column: L^-1 times its K coefficients */
        if (tmp.ncoo) qsort(tmp.coo, (size_t)tmp.ncoo, sizeof(Coo), coo_cmp);
        for (long p = 0; p < tmp.ncoo; p++) {
            int blk = tmp.coo[p].blk, elt = tmp.coo[p].elt, seen = 0;
            for (long q = 0; q < p; q++) if (tmp.coo[q].blk == blk && tmp.coo[q].elt == elt) seen = 1;
            if (seen) continue;
            gsl_vector_set_zero(v);
            for (long q = p; q < tmp.ncoo; q++)
                if (tmp.coo[q].blk == blk && tmp.coo[q].elt == elt) *gsl_vector_ptr(v, (size_t)tmp.coo[q].row) += tmp.coo[q].coef;
            gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, L, v);
            for (int k = 0; k < K; k++)
                if (gsl_vector_get(v, (size_t)k) != 0) coo_add(b, r * K + k, blk, elt, gsl_vector_get(v, (size_t)k));
        }
        tmp.ncoo = 0;
    }
    free(tmp.coo);
    gsl_vector_free(v);
    gsl_matrix_free(L);
    set_lin(b, f, 1);
    uses_of_value(b, 0, 1);
    uses_of_value(b, 1, 0);
    return 0;
}

static int positive(Bld *b, double x, const char *what)
{
    if (x > 0) return 1;
    cj_refuse(b->a, b->ii, b->in->f->pos, "cavi: the %s of %s is %g, not positive", what, b->in->d->name, x);
    return 0;
}

/* gamma, exponential, inv_gamma, poisson */
static int build_gamma(Bld *b)
{
    const CjInst *in = b->in;
    const Dist *d = in->d;
    const char *dn = d->name;
    int pois = d == &dist_poisson, expo = d == &dist_exponential, inv = d == &dist_inv_gamma;
    int vals[3] = {0, 1, 2}, nv = expo || pois ? 2 : 3;
    int nrep = nrep_of(b, vals, nv, NULL);
    if (nrep < 0) return -1;
    int ri = nv - 1;
    CjFactor *f = newf(b, CF_GAMMA, nrep);
    f->inv = inv;
    f->a = malloc(sizeof(double) * (size_t)nrep);
    f->cv = malloc(sizeof(double) * (size_t)nrep);
    f->rate = malloc(sizeof(CjSrc) * (size_t)nrep);
    f->var = malloc(sizeof(CjSrc) * (size_t)nrep);
    for (int r = 0; r < nrep; r++) {
        double av = pois ? bv(b, gi(in, 0, r)) : expo ? 1 : bv(b, gi(in, 1, r));
        if (pois && !(av >= 0 && av == floor(av))) {
            cj_refuse(b->a, b->ii, in->f->pos, "cavi: poisson count %g is not a non-negative integer", av);
            return -1;
        }
        if (!pois && !positive(b, av, "shape")) return -1;
        f->a[r] = av;
        f->cv[r] = pois || expo ? 0 : inv ? -(av + 1) : av - 1;
        f->k0 -= pois ? gsl_sf_lngamma(av + 1) : expo ? 0 : gsl_sf_lngamma(av);
        long gr = gi(in, ri, r);
        f->rate[r] = ps(b, gr);
        if (f->rate[r].blk < 0) { f->rate[r].w = bv(b, gr); if (!positive(b, f->rate[r].w, "rate")) return -1; }
        src_use(b, f->rate[r], 0);
        if (pois) { f->var[r] = (CjSrc){-1, 0, 1}; continue; }
        long gv = gi(in, 0, r);
        f->var[r] = ps(b, gv);
        if (f->var[r].blk < 0) { f->var[r].w = bv(b, gv); if (!positive(b, f->var[r].w, "variate")) return -1; }
        src_use(b, f->var[r], 1);
        if (f->var[r].blk >= 0 && f->var[r].blk == f->rate[r].blk) {
            cj_refuse(b->a, b->ii, in->f->pos, "cavi: '%s' is both the variate and the rate of %s; use --method=bbvi",
                      b->a->cm->blk[f->var[r].blk].name, dn);
            return -1;
        }
    }
    return 0;
}

/* beta, bernoulli, binomial */
static int build_beta(Bld *b)
{
    const CjInst *in = b->in;
    const Dist *d = in->d;
    const char *dn = d->name;
    int bern = d == &dist_bernoulli, binom = d == &dist_binomial;
    int vals[3] = {0, 1, 2}, nv = bern ? 2 : 3;
    int nrep = nrep_of(b, vals, nv, NULL);
    if (nrep < 0) return -1;
    int ti = bern ? 1 : binom ? 2 : 0;
    CjFactor *f = newf(b, CF_BETA, nrep);
    f->s = malloc(sizeof(double) * (size_t)nrep);
    f->f = malloc(sizeof(double) * (size_t)nrep);
    f->theta = malloc(sizeof(CjSrc) * (size_t)nrep);
    for (int r = 0; r < nrep; r++) {
        double y = bv(b, gi(in, 0, r));
        if ((bern || binom) && !(y >= 0 && y == floor(y)) ) {
            cj_refuse(b->a, b->ii, in->f->pos, "cavi: %s outcome %g is not a non-negative integer", dn, y);
            return -1;
        }
        if (bern && y > 1) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: bernoulli outcome %g is not 0 or 1", y); return -1; }
        if (bern) { f->s[r] = y; f->f[r] = 1 - y; }
        else if (binom) {
            double n = bv(b, gi(in, 1, r));
            if (!(y >= 0 && y <= n)) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: binomial successes %g outside 0..%g", y, n); return -1; }
            f->s[r] = y; f->f[r] = n - y;
            f->k0 += gsl_sf_lnchoose((unsigned)n, (unsigned)y);
        } else {
            double al = bv(b, gi(in, 1, r)), be = bv(b, gi(in, 2, r));
            if (!positive(b, al, "first shape") || !positive(b, be, "second shape")) return -1;
            f->s[r] = al - 1; f->f[r] = be - 1;
            f->k0 -= gsl_sf_lnbeta(al, be);
        }
        long gt = gi(in, ti, r);
        f->theta[r] = ps(b, gt);
        if (f->theta[r].blk < 0) f->theta[r].w = bv(b, gt);
        src_use(b, f->theta[r], ti == 0);
    }
    return 0;
}

/* The simplex of value i, replicate r (K elements): a Dirichlet replicate or data. */
static int simplex_src(Bld *b, CjFactor *f, int i, int r, int K, int row)
{
    long g = vo(b->in, i) + (b->in->sz[i] == K ? 0 : (long)r * K);
    CjSrc s0 = ps(b, g);
    f->simp[row] = (CjSrc){-1, 0, 1};
    if (s0.blk >= 0) {
        const CjBlock *B = &b->a->cm->blk[s0.blk];
        int ok = B->K == K && s0.elt % K == 0;
        for (int k = 0; ok && k < K; k++) { CjSrc s = ps(b, g + k); ok = s.blk == s0.blk && s.elt == s0.elt + k; }
        if (!ok) {
            cj_refuse(b->a, b->ii, b->in->f->pos, "cavi: the %s of %s must be a whole simplex '%s' (or one of an array); "
                      "use --method=bbvi", i ? "probabilities" : "variate", b->in->d->name, B->name);
            return -1;
        }
        f->simp[row] = (CjSrc){s0.blk, s0.elt / K, 1};
        use(b, s0.blk, i == 0);
        return 0;
    }
    for (int k = 0; k < K; k++) {
        if (ps(b, g + k).blk >= 0) { cj_refuse(b->a, b->ii, b->in->f->pos, "cavi: a simplex mixing data and parameters"); return -1; }
        double t = bv(b, g + k);
        f->logt[(long)row * K + k] = t > 0 ? log(t) : -INFINITY;
    }
    return 0;
}

/* dirichlet, categorical, multinomial */
static int build_dir(Bld *b)
{
    const CjInst *in = b->in;
    const Dist *d = in->d;
    int dir = d == &dist_dirichlet, cat = d == &dist_categorical;
    int K = dir ? (in->rows[0] > 1 ? in->rows[0] : in->sz[0]) : in->sz[1];
    if (K < 1) return 0;
    int nrow = dir ? (in->sz[0] > in->sz[1] ? in->sz[0] : in->sz[1]) / K : cat && in->zblk >= 0 ? in->sz[0] : 1;
    CjFactor *f = newf(b, CF_DIR, nrow);
    f->K = K;
    f->cf = calloc((size_t)nrow * K, sizeof(double));
    f->simp = calloc((size_t)nrow, sizeof(CjSrc));
    f->logt = calloc((size_t)nrow * K, sizeof(double));
    f->zvar = malloc(sizeof(CjSel) * (size_t)nrow);
    for (int r = 0; r < nrow; r++) {
        f->zvar[r].blk = -1;
        if (simplex_src(b, f, dir ? 0 : 1, dir ? r : 0, K, r)) return -1;
        double *cf = f->cf + (long)r * K;
        if (dir) {
            double a0 = 0;
            long ga = vo(in, 1) + (in->sz[1] == K ? 0 : (long)r * K);
            for (int k = 0; k < K; k++) {
                double al = bv(b, ga + k);
                if (!positive(b, al, "prior sample size")) return -1;
                cf[k] = al - 1;
                a0 += al;
                f->k0 -= gsl_sf_lngamma(al);
            }
            f->k0 += gsl_sf_lngamma(a0);
        } else if (cat && in->zblk >= 0) {
            const CjBlock *Z = &b->a->cm->blk[in->zblk];
            if (Z->lo != 1 || Z->K != K) {
                cj_refuse(b->a, b->ii, in->f->val_pos[0], "cavi: '%s' ranges over %d..%d, but categorical has %d outcomes 1..%d",
                          Z->name, Z->lo, Z->lo + Z->K - 1, K, K);
                return -1;
            }
            f->zvar[r] = (CjSel){in->zblk, in->zel[r], 0};
            use(b, in->zblk, 1);
        } else {
            long g0 = vo(in, 0), N = 0;
            for (int j = 0; j < in->sz[0]; j++) {
                double y = bv(b, g0 + j);
                if (cat) {
                    int k = (int)y - 1;
                    if (k < 0 || k >= K) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: categorical outcome %g outside 1..%d", y, K); return -1; }
                    cf[k] += 1;
                } else {
                    if (!(y >= 0 && y == floor(y))) { cj_refuse(b->a, b->ii, in->f->pos, "cavi: multinomial count %g is not a non-negative integer", y); return -1; }
                    cf[j] = y; N += (long)y; f->k0 -= gsl_sf_lngamma(y + 1);
                }
            }
            if (!cat) f->k0 += gsl_sf_lngamma((double)N + 1);
        }
    }
    return 0;
}

static int use_cmp(const void *x, const void *y)
{
    const Use *p = x, *q = y;
    if (p->blk != q->blk) return p->blk - q->blk;
    if (p->prior != q->prior) return p->prior - q->prior;
    return p->s < q->s ? -1 : p->s > q->s;
}

static void add_list(int **lst, int *n, int *cap, int b, int f)
{
    if (n[b] > 0 && lst[b][n[b] - 1] == f) return;
    if (n[b] + 1 >= cap[b]) { cap[b] = cap[b] ? 2 * cap[b] : 8; lst[b] = realloc(lst[b], sizeof(int) * (size_t)cap[b]); }
    lst[b][n[b]++] = f;
    lst[b][n[b]] = -1;
}

/* Which factors message which block, and which are selected by it. */
static void index_blocks(CjModel *cm)
{
    int nb = cm->nblk;
    cm->bfac = calloc((size_t)nb + 1, sizeof(int *));
    cm->bsel = calloc((size_t)nb + 1, sizeof(int *));
    int *n1 = calloc((size_t)nb + 1, sizeof(int)), *c1 = calloc((size_t)nb + 1, sizeof(int));
    int *n2 = calloc((size_t)nb + 1, sizeof(int)), *c2 = calloc((size_t)nb + 1, sizeof(int));
    for (int i = 0; i < cm->nfac; i++) {
        const CjFactor *f = &cm->fac[i];
        if (f->sel.blk >= 0) add_list(cm->bsel, n2, c2, f->sel.blk, i);
        if (f->kind == CF_IW) add_list(cm->bfac, n1, c1, f->iblk, i);
        for (int l = 0; l < f->nlin; l++) add_list(cm->bfac, n1, c1, f->lin[l].blk, i);
        for (int r = 0; r < f->nrow; r++) {
            const CjSrc *s[4] = {f->prec ? &f->prec[r] : NULL, f->rate ? &f->rate[r] : NULL, f->var ? &f->var[r] : NULL,
                                 f->theta ? &f->theta[r] : f->simp ? &f->simp[r] : NULL};
            for (int k = 0; k < 4; k++) if (s[k] && s[k]->blk >= 0) add_list(cm->bfac, n1, c1, s[k]->blk, i);
            if (f->zvar && f->zvar[r].blk >= 0) add_list(cm->bfac, n1, c1, f->zvar[r].blk, i);
        }
    }
    for (int b = 0; b < nb; b++) {
        if (!cm->bfac[b]) { cm->bfac[b] = malloc(sizeof(int)); cm->bfac[b][0] = -1; }
        if (!cm->bsel[b]) { cm->bsel[b] = malloc(sizeof(int)); cm->bsel[b][0] = -1; }
    }
    free(n1); free(c1); free(n2); free(c2);
}

int cj_build(CjAn *a)
{
    Bld b = {0};
    b.a = a;
    for (int ii = 0; ii < a->ninst && !a->refused; ii++) {
        const CjInst *in = &a->inst[ii];
        const Dist *d = in->d;
        int nc = in->sel.blk >= 0 ? a->cm->blk[in->sel.blk].K : 1;
        for (int c = 0; c < nc && !a->refused; c++) {
            b.ii = ii;
            b.in = in;
            b.cf = c;
            b.sel = in->sel.blk >= 0 ? (CjSel){in->sel.blk, in->sel.elt, c} : (CjSel){-1, 0, 0};
            if (in->sel.blk >= 0) use(&b, in->sel.blk, 0);
            if (d == &dist_normal || d == &dist_std_normal) build_normal(&b);
            else if (d == &dist_multi_normal || d == &dist_multi_normal_cholesky || d == &dist_multi_normal_prec) build_mvn(&b);
            else if (d == &dist_inv_wishart || d == &dist_wishart) build_iw_prior(&b);
            else if (d == &dist_gamma || d == &dist_exponential || d == &dist_inv_gamma || d == &dist_poisson)
                build_gamma(&b);
            else if (d == &dist_beta || d == &dist_bernoulli || d == &dist_binomial) build_beta(&b);
            else build_dir(&b);
        }
    }
    free(b.coo);
    if (!a->refused) {
        if (b.nuse) qsort(b.use, (size_t)b.nuse, sizeof(Use), use_cmp);
        for (long k = 0; k < b.nuse; k++) {
            if (k && !use_cmp(&b.use[k], &b.use[k - 1])) continue;
            CjBlock *B = &a->cm->blk[b.use[k].blk];
            if (b.use[k].prior) B->nprior++;
            else B->nlik++;
        }
        index_blocks(a->cm);
    }
    free(b.use);
    return a->refused ? -1 : 0;
}
