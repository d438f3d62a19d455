/* Gamma, inverse-gamma, beta, Dirichlet and categorical q factors, and the factors
 * whose log density is linear in their sufficient statistics:
 *   gamma-like rows   a log lam + cv log v - lam v'         (gamma, exponential,
 *                                                            inv_gamma, poisson)
 *   beta-like rows    s log t + f log(1 - t)                (beta, bernoulli, binomial)
 *   Dirichlet rows    sum_k coef_k log t_k                  (dirichlet, categorical,
 *                                                            multinomial)
 * plus constants.  q_j's natural parameters are the sums of these coefficients over
 * the factors, weighted by the probability of their discrete selector; the expected
 * log density needs E x, E log x, E 1/x, E log t of each family (Blei, Kucukelbir
 * & McAuliffe 2017, section 4). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "backends/conj.h"

/* 0 log 0 = 0: a coefficient of zero never meets an impossible outcome. */
static double xlog(double c, double el) { return c == 0 ? 0 : c * el; }

double cj_weight(const CjModel *cm, const CjSel *s)
{
    if (s->blk < 0) return 1;
    const CjBlock *b = &cm->blk[s->blk];
    return b->p1[(long)s->elt * b->K + s->val];
}

/* E lam and E log lam of a gamma-block (or constant) source. */
static void pos_expect(const CjModel *cm, const CjSrc *s, double *e, double *el)
{
    if (s->blk < 0) { *e = s->w; *el = log(s->w); return; }
    const CjBlock *b = &cm->blk[s->blk];
    *e = s->w * b->e1[s->elt];
    *el = log(s->w) + b->e2[s->elt];
}

/* E v' (v, or 1/v for inv) and E log v of a variate source. */
static void var_expect(const CjModel *cm, const CjSrc *s, int inv, double *e, double *el)
{
    if (s->blk < 0) { *e = inv ? 1 / s->w : s->w; *el = log(s->w); return; }
    const CjBlock *b = &cm->blk[s->blk];
    *el = log(s->w) + b->e2[s->elt];
    *e = inv ? b->e1[s->elt] / s->w : s->w * b->e1[s->elt];
}

static void beta_expect(const CjModel *cm, const CjSrc *s, double *el, double *el1)
{
    if (s->blk < 0) { *el = s->w > 0 ? log(s->w) : -INFINITY; *el1 = s->w < 1 ? log1p(-s->w) : -INFINITY; return; }
    const CjBlock *b = &cm->blk[s->blk];
    *el = b->e1[s->elt];
    *el1 = b->e2[s->elt];
}

static const double *dir_logt(const CjModel *cm, const CjFactor *f, int r)
{
    const CjSrc *s = &f->simp[r];
    if (s->blk < 0) return f->logt + (long)r * f->K;
    return cm->blk[s->blk].e1 + (long)s->elt * f->K;
}

double cj_elogp(const CjModel *cm, const CjFactor *f)
{
    double sum = f->k0;
    switch (f->kind) {
    case CF_NORMAL: return cj_normal_elogp(cm, f);
    case CF_IW: return cj_iw_elogp(cm, f);
    case CF_GAMMA:
        for (int r = 0; r < f->nrow; r++) {
            double el, ell, ev, elv;
            pos_expect(cm, &f->rate[r], &el, &ell);
            var_expect(cm, &f->var[r], f->inv, &ev, &elv);
            sum += f->a[r] * ell + xlog(f->cv[r], elv) - el * ev;
        }
        return sum;
    case CF_BETA:
        for (int r = 0; r < f->nrow; r++) {
            double el, el1;
            beta_expect(cm, &f->theta[r], &el, &el1);
            sum += xlog(f->s[r], el) + xlog(f->f[r], el1);
        }
        return sum;
    case CF_DIR:
        for (int r = 0; r < f->nrow; r++) {
            const double *lt = dir_logt(cm, f, r);
            const double *coef = f->cf + (long)r * f->K;
            if (f->zvar[r].blk >= 0) coef = cm->blk[f->zvar[r].blk].p1 + (long)f->zvar[r].elt * f->K;
            for (int k = 0; k < f->K; k++) sum += xlog(coef[k], lt[k]);
        }
        return sum;
    }
    return sum;
}

void cj_message(CjModel *cm, const CjFactor *f, int b, double wgt)
{
    CjBlock *B = &cm->blk[b];
    switch (f->kind) {
    case CF_NORMAL: cj_normal_msg(cm, f, b, wgt); return;
    case CF_IW: cj_iw_message(cm, f, b, wgt); return;
    case CF_GAMMA:
        for (int r = 0; r < f->nrow; r++) {
            const CjSrc *ra = &f->rate[r], *va = &f->var[r];
            if (ra->blk == b) {
                double ev, elv;
                var_expect(cm, va, f->inv, &ev, &elv);
                B->acc[2 * ra->elt] += wgt * f->a[r];
                B->acc[2 * ra->elt + 1] -= wgt * ra->w * ev;
            }
            if (va->blk == b) {
                double el, ell;
                pos_expect(cm, ra, &el, &ell);
                B->acc[2 * va->elt] += wgt * f->cv[r];
                B->acc[2 * va->elt + 1] -= wgt * (f->inv ? el / va->w : el * va->w);
            }
        }
        return;
    case CF_BETA:
        for (int r = 0; r < f->nrow; r++)
            if (f->theta[r].blk == b) {
                B->acc[2 * f->theta[r].elt] += wgt * f->s[r];
                B->acc[2 * f->theta[r].elt + 1] += wgt * f->f[r];
            }
        return;
    case CF_DIR:
        for (int r = 0; r < f->nrow; r++) {
            const CjSel *z = &f->zvar[r];
            if (f->simp[r].blk == b) {
                const double *coef = z->blk >= 0 ? cm->blk[z->blk].p1 + (long)z->elt * f->K : f->cf + (long)r * f->K;
                for (int k = 0; k < f->K; k++) B->acc[(long)f->simp[r].elt * f->K + k] += wgt * coef[k];
            }
            if (z->blk == b) {
                const double *lt = dir_logt(cm, f, r);
                for (int k = 0; k < f->K; k++) B->acc[(long)z->elt * f->K + k] += wgt * lt[k];
            }
        }
        return;
    }
}

void cj_expect(CjBlock *b)
{
    switch (b->fam) {
    case Q_GAMMA:
        for (int i = 0; i < b->n; i++) { b->e1[i] = b->p1[i] / b->p2[i]; b->e2[i] = gsl_sf_psi(b->p1[i]) - log(b->p2[i]); }
        break;
    case Q_INVGAMMA:
        for (int i = 0; i < b->n; i++) { b->e1[i] = b->p1[i] / b->p2[i]; b->e2[i] = log(b->p2[i]) - gsl_sf_psi(b->p1[i]); }
        break;
    case Q_BETA:
        for (int i = 0; i < b->n; i++) {
            double ps = gsl_sf_psi(b->p1[i] + b->p2[i]);
            b->e1[i] = gsl_sf_psi(b->p1[i]) - ps;
            b->e2[i] = gsl_sf_psi(b->p2[i]) - ps;
        }
        break;
    case Q_DIRICHLET:
        for (int r = 0; r * b->K < b->n; r++) {
            double a0 = 0, *al = b->p1 + (long)r * b->K;
            for (int k = 0; k < b->K; k++) a0 += al[k];
            double ps = gsl_sf_psi(a0);
            for (int k = 0; k < b->K; k++) b->e1[(long)r * b->K + k] = gsl_sf_psi(al[k]) - ps;
        }
        break;
    case Q_INVWISHART: case Q_WISHART: cj_iw_expect(b); break;
    default: break;
    }
}

int cj_finish(CjModel *cm, CjBlock *b, char *err, size_t errlen)
{
    (void)cm;
    if (b->fam == Q_NORMAL) return cj_normal_finish(b, err, errlen);
    if (b->fam == Q_INVWISHART || b->fam == Q_WISHART) return cj_iw_finish(b, err, errlen);
    for (int i = 0; i < b->n; i++) {
        double p1 = 0, p2 = 0;
        switch (b->fam) {
        case Q_GAMMA: p1 = 1 + b->acc[2 * i]; p2 = -b->acc[2 * i + 1]; break;
        case Q_INVGAMMA: p1 = -b->acc[2 * i] - 1; p2 = -b->acc[2 * i + 1]; break;
        case Q_BETA: p1 = 1 + b->acc[2 * i]; p2 = 1 + b->acc[2 * i + 1]; break;
        case Q_DIRICHLET: p1 = 1 + b->acc[i]; p2 = 1; break;
        case Q_CATEG: {
            double *lg = b->acc + (long)i * b->K, mx = -INFINITY, s = 0;
            for (int k = 0; k < b->K; k++) if (lg[k] > mx) mx = lg[k];
            for (int k = 0; k < b->K; k++) s += b->p1[(long)i * b->K + k] = exp(lg[k] - mx);
            for (int k = 0; k < b->K; k++) b->p1[(long)i * b->K + k] /= s;
            p1 = p2 = isfinite(mx) ? 1 : NAN;
            break;
        }
        default: break;
        }
        if (!(p1 > 0 && p2 > 0 && isfinite(p1) && isfinite(p2))) {
            snprintf(err, errlen, "cavi: q(%s) is improper (parameters %g, %g): the statements do not determine '%s' "
                     "(give it a proper prior)", b->name, p1, p2, b->name);
            return -1;
        }
        if (b->fam != Q_CATEG) { b->p1[i] = p1; if (b->p2) b->p2[i] = p2; }
    }
    cj_expect(b);
    return 0;
}

double cj_entropy(const CjModel *cm, const CjBlock *b)
{
    (void)cm;
    double h = 0;
    switch (b->fam) {
    case Q_NORMAL:
        h = 0.5 * b->n * (1 + log(2 * M_PI));
        for (int i = 0; i < b->n; i++) h -= log(b->chol[(long)i * b->n + i]);
        return h;
    case Q_GAMMA:
        for (int i = 0; i < b->n; i++) {
            double a = b->p1[i];
            h += a - log(b->p2[i]) + gsl_sf_lngamma(a) + (1 - a) * gsl_sf_psi(a);
        }
        return h;
    case Q_INVGAMMA:
        for (int i = 0; i < b->n; i++) {
            double a = b->p1[i];
            h += a + log(b->p2[i]) + gsl_sf_lngamma(a) - (1 + a) * gsl_sf_psi(a);
        }
        return h;
    case Q_BETA:
        for (int i = 0; i < b->n; i++) {
            double a = b->p1[i], c = b->p2[i];
            h += gsl_sf_lnbeta(a, c) - (a - 1) * gsl_sf_psi(a) - (c - 1) * gsl_sf_psi(c) + (a + c - 2) * gsl_sf_psi(a + c);
        }
        return h;
    case Q_DIRICHLET:
        for (int r = 0; r * b->K < b->n; r++) {
            const double *al = b->p1 + (long)r * b->K;
            double a0 = 0;
            for (int k = 0; k < b->K; k++) { a0 += al[k]; h += gsl_sf_lngamma(al[k]) - (al[k] - 1) * gsl_sf_psi(al[k]); }
            h += -gsl_sf_lngamma(a0) + (a0 - b->K) * gsl_sf_psi(a0);
        }
        return h;
    case Q_CATEG:
        for (long i = 0; i < (long)b->n * b->K; i++) if (b->p1[i] > 0) h -= b->p1[i] * log(b->p1[i]);
        return h;
    case Q_INVWISHART: case Q_WISHART: return cj_iw_entropy(b);
    default: return 0;
    }
}

/* A random start for a normal block, as k-means starts from random data points:
 * each element takes the value that zeroes the residual of a random row in which it
 * alone appears (a data point y[n] for mu[k] in y[n] ~ normal(mu[z[n]], s)), so that
 * the components of a mixture start apart.  acc counts the candidates. */
static void start_normal(CjModel *cm, CjBlock *b, gsl_rng *r)
{
    int bi = (int)(b - cm->blk);
    memset(b->acc, 0, sizeof(double) * (size_t)b->n);
    for (const int *fi = cm->bfac[bi]; *fi >= 0; fi++) {
        const CjFactor *f = &cm->fac[*fi];
        if (f->kind != CF_NORMAL) continue;
        for (int i = 0; i < f->nrow; i++) {
            int li = -1, nnz = 0;
            for (int l = 0; l < f->nlin; l++) {
                int k = f->lin[l].rowptr[i + 1] - f->lin[l].rowptr[i];
                nnz += k;
                if (k && f->lin[l].blk == bi) li = l;
            }
            if (li < 0 || nnz != 1) continue;
            int p = f->lin[li].rowptr[i], e = f->lin[li].col[p];
            b->acc[e] += 1;
            if (gsl_rng_uniform(r) * b->acc[e] < 1) b->mean[e] = -f->c[i] / f->lin[li].val[p];
        }
    }
}

void cj_start(CjModel *cm, CjBlock *b, gsl_rng *r)
{
    int n = b->n;
    switch (b->fam) {
    case Q_NORMAL:
        memset(b->cov, 0, sizeof(double) * (size_t)n * n);
        memset(b->chol, 0, sizeof(double) * (size_t)n * n);
        for (int i = 0; i < n; i++) {
            b->mean[i] = 0;
            b->cov[(long)i * n + i] = b->chol[(long)i * n + i] = 1;
        }
        if (r) start_normal(cm, b, r);
        return;
    case Q_INVWISHART: case Q_WISHART: cj_iw_start(b, r); return;
    case Q_CATEG:
        for (int i = 0; i < n; i++) {
            double *p = b->p1 + (long)i * b->K, s = 0;
            for (int k = 0; k < b->K; k++) s += p[k] = r ? gsl_ran_exponential(r, 1.0) : 1;
            for (int k = 0; k < b->K; k++) p[k] /= s;
        }
        return;
    default:
        for (int i = 0; i < n; i++) { b->p1[i] = 1; if (b->p2) b->p2[i] = 1; }
        cj_expect(b);
        return;
    }
}
