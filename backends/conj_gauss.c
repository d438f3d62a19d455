/* Gaussian factors and the multivariate normal q of a block of real parameters.
 *
 * A normal factor row is N(r | 0, 1/tau) with r = c + sum_l B_l theta_l linear in the
 * normal blocks and tau = w, w x (gamma x) or w / x (inverse-gamma x).  Under the
 * mean-field q, E r^2 = (E r)^2 + sum_l b_l' Cov_l b_l, and as a function of block j
 * alone log p = -tau/2 (b_j' theta_j + d)^2 + const: the precision gains
 * E[tau] b_j b_j', the linear term -E[tau] d b_j (Bishop 2006, section 10.1.3). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "backends/conj.h"

int cj_chol(double *A, int n)
{
    for (int j = 0; j < n; j++) {
        double s = A[j * n + j];
        for (int k = 0; k < j; k++) s -= A[j * n + k] * A[j * n + k];
        if (!(s > 0) || !isfinite(s)) return -1;
        double d = sqrt(s);
        A[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double t = A[i * n + j];
            for (int k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = t / d;
        }
        for (int i = 0; i < j; i++) A[i * n + j] = 0;
    }
    return 0;
}

void cj_prec(const CjModel *cm, const CjSrc *s, double *et, double *elt)
{
    if (s->blk < 0) { *et = s->w; *elt = log(s->w); return; }
    const CjBlock *b = &cm->blk[s->blk];
    if (b->fam == Q_GAMMA) { *et = s->w * b->e1[s->elt]; *elt = log(s->w) + b->e2[s->elt]; }
    else { *et = s->w * b->e1[s->elt]; *elt = log(s->w) - b->e2[s->elt]; }
}

/* E r of row i without lin block `skip` (-1: all). */
static double row_mean(const CjModel *cm, const CjFactor *f, int i, int skip)
{
    double m = f->c[i];
    for (int l = 0; l < f->nlin; l++) {
        if (l == skip) continue;
        const CjLin *L = &f->lin[l];
        const double *mu = cm->blk[L->blk].mean;
        for (int p = L->rowptr[i]; p < L->rowptr[i + 1]; p++) m += L->val[p] * mu[L->col[p]];
    }
    return m;
}

/* Var r of row i: sum over blocks of b' Cov b. */
static double row_var(const CjModel *cm, const CjFactor *f, int i)
{
    double v = 0;
    for (int l = 0; l < f->nlin; l++) {
        const CjLin *L = &f->lin[l];
        const CjBlock *B = &cm->blk[L->blk];
        int n = B->n;
        for (int p = L->rowptr[i]; p < L->rowptr[i + 1]; p++) {
            const double *cr = B->cov + (long)L->col[p] * n;
            double t = 0;
            for (int q = L->rowptr[i]; q < L->rowptr[i + 1]; q++) t += cr[L->col[q]] * L->val[q];
            v += L->val[p] * t;
        }
    }
    return v;
}

void cj_normal_msg(CjModel *cm, const CjFactor *f, int b, double wgt)
{
    CjBlock *B = &cm->blk[b];
    int li = -1;
    for (int l = 0; l < f->nlin; l++) if (f->lin[l].blk == b) li = l;
    if (li >= 0) {
        const CjLin *L = &f->lin[li];
        int n = B->n;
        double *Lam = B->acc, *h = B->acc + (long)n * n;
        for (int i = 0; i < f->nrow; i++) {
            if (L->rowptr[i] == L->rowptr[i + 1]) continue;
            double et, elt;
            cj_prec(cm, &f->prec[i], &et, &elt);
            double d = row_mean(cm, f, i, li), w = wgt * et;
            for (int p = L->rowptr[i]; p < L->rowptr[i + 1]; p++) {
                double vp = w * L->val[p];
                double *row = Lam + (long)L->col[p] * n;
                for (int q = L->rowptr[i]; q < L->rowptr[i + 1]; q++) row[L->col[q]] += vp * L->val[q];
                h[L->col[p]] -= vp * d;
            }
        }
        return;
    }
    for (int i = 0; i < f->nrow; i++) {
        const CjSrc *s = &f->prec[i];
        if (s->blk != b) continue;
        double m = row_mean(cm, f, i, -1), er2 = m * m + row_var(cm, f, i);
        if (B->fam == Q_GAMMA) { B->acc[2 * s->elt] += 0.5 * wgt; B->acc[2 * s->elt + 1] -= 0.5 * wgt * s->w * er2; }
        else { B->acc[2 * s->elt] -= 0.5 * wgt; B->acc[2 * s->elt + 1] -= 0.5 * wgt * s->w * er2; }
    }
}

double cj_normal_elogp(const CjModel *cm, const CjFactor *f)
{
    double sum = f->k0;
    const double hl2pi = 0.5 * log(2 * M_PI);
    for (int i = 0; i < f->nrow; i++) {
        double et, elt;
        cj_prec(cm, &f->prec[i], &et, &elt);
        double m = row_mean(cm, f, i, -1);
        sum += -hl2pi + 0.5 * elt - 0.5 * et * (m * m + row_var(cm, f, i));
    }
    return sum;
}

/* q = N(Lambda^-1 h, Lambda^-1). */
int cj_normal_finish(CjBlock *b, char *err, size_t errlen)
{
    int n = b->n;
    const double *Lam = b->acc, *h = b->acc + (long)n * n;
    memcpy(b->chol, Lam, sizeof(double) * (size_t)n * n);
    if (cj_chol(b->chol, n)) {
        snprintf(err, errlen, "cavi: q(%s) is improper: the statements do not determine '%s' (give it a proper prior)",
                 b->name, b->name);
        return -1;
    }
    const double *L = b->chol;
    /* mean: L L' m = h */
    for (int i = 0; i < n; i++) {
        double t = h[i];
        for (int k = 0; k < i; k++) t -= L[i * n + k] * b->mean[k];
        b->mean[i] = t / L[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double t = b->mean[i];
        for (int k = i + 1; k < n; k++) t -= L[k * n + i] * b->mean[k];
        b->mean[i] = t / L[i * n + i];
    }
    /* cov = L'^-1 L^-1, column by column */
    for (int j = 0; j < n; j++) {
        double *col = b->cov + (long)j * n;   /* symmetric: row j = column j */
        for (int i = 0; i < n; i++) {
            double t = i == j;
            for (int k = 0; k < i; k++) t -= L[i * n + k] * col[k];
            col[i] = t / L[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double t = col[i];
            for (int k = i + 1; k < n; k++) t -= L[k * n + i] * col[k];
            col[i] = t / L[i * n + i];
        }
    }
    return 0;
}
