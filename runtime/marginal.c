/* Discrete parameters summed out for gradient methods (enumeration).
 *
 * When the log density splits into one term per discrete element,
 *     lp(theta, z) = A(theta) + sum_j f_j(theta, z_j),
 * the marginal is A + sum_j log sum_k exp f_j(theta, k), and it is computed with
 * the model's own evaluator and nothing else: with z at a reference value r,
 *     f_j(k) - f_j(r_j) = lp(theta, r with z_j = k) - lp(theta, r),
 * so  log p(theta) = lp(r) + sum_j [ LSE_k lp(r; z_j = k) - lp(r) ],
 * and its gradient is the same combination of the evaluator's gradients (softmax
 * weights).  One marginal evaluation costs 1 + sum_j (K_j - 1) evaluations of the
 * model, as Pyro's sequential enumeration.  Given theta the z_j are independent,
 * each with the softmax of its f_j: that is how the draws get z (exactly, per draw).
 *
 * Whether the density splits so is checked numerically when the target is made:
 * at a point of finite density, for every pair of elements (all pairs up to 64
 * elements; neighbours and a sample of pairs beyond), changing both must change lp
 * by the sum of the single changes.  A z[n] that depends on z[n - 1] (an HMM) fails
 * this and the model is refused with the names of the two elements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "runtime/model.h"

#define MARG_MAX_K 128
#define MARG_ALL_PAIRS 64

struct VmMarg {
    const VmModel *m;
    VmEval *e;
    size_t dim, nd;
    int *lo, *K, *ref, *zd;
    int kmax;
    double *u, *g0, *gk, *f;
};

void vm_marg_free(VmMarg *g)
{
    if (!g) return;
    vm_eval_free(g->e);
    free(g->lo);
    free(g->K);
    free(g->ref);
    free(g->zd);
    free(g->u);
    free(g->g0);
    free(g->gk);
    free(g->f);
    free(g);
}

VmEval *vm_marg_eval(VmMarg *g) { return g->e; }

static double lp_at(VmMarg *g, double *grad, int *rc)
{
    double lp;
    *rc = vm_log_density(g->e, g->u, 1, &lp, grad);
    return lp;
}

/* A reference z with finite density at theta: coordinate by coordinate, the best
 * value given the others (one sweep).  Returns lp there. */
static double find_ref(VmMarg *g, int *rc)
{
    for (size_t j = 0; j < g->nd; j++) g->u[g->dim + j] = g->ref[j];
    double best = lp_at(g, NULL, rc);
    if (*rc || isfinite(best)) return best;
    for (size_t j = 0; j < g->nd; j++) {
        int bk = g->ref[j];
        for (int k = 0; k < g->K[j]; k++) {
            g->u[g->dim + j] = g->lo[j] + k;
            double l = lp_at(g, NULL, rc);
            if (*rc) return l;
            if (l > best) { best = l; bk = g->lo[j] + k; }
        }
        g->u[g->dim + j] = g->ref[j] = bk;
    }
    return best;
}

VmMarg *vm_marg_new(const VmModel *m, char **msg)
{
    *msg = NULL;
    VmMarg *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->m = m;
    g->dim = vm_model_dim(m);
    g->nd = vm_model_ndisc(m);
    size_t n = g->dim + g->nd;
    g->e = vm_eval_new(m);
    g->lo = calloc(g->nd + 1, sizeof(int));
    g->K = calloc(g->nd + 1, sizeof(int));
    g->ref = calloc(g->nd + 1, sizeof(int));
    g->zd = calloc(g->nd + 1, sizeof(int));
    g->u = calloc(n + 1, sizeof(double));
    g->g0 = calloc(g->dim + 1, sizeof(double));
    g->f = calloc(MARG_MAX_K, sizeof(double));
    g->gk = calloc((size_t)MARG_MAX_K * (g->dim + 1), sizeof(double));
    char buf[512] = "";
    if (!g->e || !g->lo || !g->K || !g->ref || !g->zd || !g->u || !g->g0 || !g->f || !g->gk) {
        snprintf(buf, sizeof buf, "out of memory");
        goto fail;
    }
    for (size_t j = 0; j < g->nd; j++) {
        double lo = m->disc_lo ? m->disc_lo[j] : -INFINITY, hi = m->disc_hi ? m->disc_hi[j] : INFINITY;
        if (!isfinite(lo) || !isfinite(hi) || hi - lo + 1 > MARG_MAX_K) {
            snprintf(buf, sizeof buf, "cannot sum '%s' out for a gradient method: it takes %s values "
                     "(at most %d are enumerated); use --method=mh", vm_model_unc_name(m, g->dim + j),
                     isfinite(lo) && isfinite(hi) ? "too many" : "unboundedly many", MARG_MAX_K);
            goto fail;
        }
        g->lo[j] = (int)lo;
        g->K[j] = (int)(hi - lo) + 1;
        g->ref[j] = g->lo[j];
        if (g->K[j] > g->kmax) g->kmax = g->K[j];
    }
    /* a point of finite density to test the factorisation at */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261206);
    double l0 = -INFINITY;
    int rc = 0;
    for (int t = 0; t < 50 && !isfinite(l0); t++) {
        for (size_t i = 0; i < g->dim; i++) g->u[i] = t ? 4 * gsl_rng_uniform(r) - 2 : 0;
        l0 = find_ref(g, &rc);
        if (rc) break;
    }
    if (rc || !isfinite(l0)) {
        gsl_rng_free(r);
        snprintf(buf, sizeof buf, "cannot sum the discrete parameters out: no point of finite log density found (%s)",
                 vm_eval_message(g->e));
        goto fail;
    }
    /* one other value per element, and lp with only that element changed */
    double *la = calloc(g->nd + 1, sizeof(double));
    int *alt = calloc(g->nd + 1, sizeof(int));
    for (size_t j = 0; j < g->nd && la && alt; j++) {
        if (g->K[j] < 2) { alt[j] = g->ref[j]; la[j] = l0; continue; }
        alt[j] = g->lo[j] + (int)((g->ref[j] - g->lo[j] + 1 + gsl_rng_uniform_int(r, (unsigned long)g->K[j] - 1)) % g->K[j]);
        g->u[g->dim + j] = alt[j];
        la[j] = lp_at(g, NULL, &rc);
        g->u[g->dim + j] = g->ref[j];
    }
    long npairs = g->nd <= MARG_ALL_PAIRS ? (long)(g->nd * (g->nd - 1) / 2) : (long)g->nd - 1 + 2000;
    for (long p = 0; p < npairs && la && alt && !buf[0]; p++) {
        size_t a, b;
        if (g->nd <= MARG_ALL_PAIRS) {     /* the p-th pair (a < b) */
            a = 0;
            long q = p;
            while (q >= (long)(g->nd - 1 - a)) { q -= (long)(g->nd - 1 - a); a++; }
            b = a + 1 + (size_t)q;
        } else if (p < (long)g->nd - 1) { a = (size_t)p; b = a + 1; }
        else {
            a = gsl_rng_uniform_int(r, g->nd);
            b = gsl_rng_uniform_int(r, g->nd);
            if (a == b) continue;
        }
        if (g->K[a] < 2 || g->K[b] < 2) continue;
        g->u[g->dim + a] = alt[a];
        g->u[g->dim + b] = alt[b];
        double lab = lp_at(g, NULL, &rc);
        g->u[g->dim + a] = g->ref[a];
        g->u[g->dim + b] = g->ref[b];
        double sep = la[a] + la[b] - l0;
        int same = (isinf(lab) && isinf(sep) && lab == sep) || fabs(lab - sep) <= 1e-8 * (1 + fabs(l0));
        if (!same)
            snprintf(buf, sizeof buf, "cannot sum the discrete parameters out for a gradient method: '%s' and '%s' "
                     "interact in the density (it does not split into one term per element, as in a mixture "
                     "or a change point); use --method=mh", vm_model_unc_name(m, g->dim + a), vm_model_unc_name(m, g->dim + b));
    }
    free(la);
    free(alt);
    gsl_rng_free(r);
    if (buf[0]) goto fail;
    return g;
fail:
    *msg = strdup(buf);
    vm_marg_free(g);
    return NULL;
}

/* f[k] = lp with z_j = lo_j + k (others at ref), gradients into gk when wanted */
static int enumerate(VmMarg *g, size_t j, double l0, const double *g0, int grad)
{
    int rc = 0;
    for (int k = 0; k < g->K[j]; k++) {
        double *gk = grad ? g->gk + (size_t)k * g->dim : NULL;
        if (g->lo[j] + k == g->ref[j]) {
            g->f[k] = l0;
            if (grad) memcpy(gk, g0, g->dim * sizeof *gk);
            continue;
        }
        g->u[g->dim + j] = g->lo[j] + k;
        g->f[k] = lp_at(g, gk, &rc);
        if (rc) break;
    }
    g->u[g->dim + j] = g->ref[j];
    return rc;
}

int vm_marg_log_density(VmMarg *g, const double *u, double *lp, double *grad)
{
    memcpy(g->u, u, g->dim * sizeof *u);
    for (size_t j = 0; j < g->nd; j++) g->u[g->dim + j] = g->ref[j];
    int rc = 0;
    double l0 = lp_at(g, grad ? g->g0 : NULL, &rc);
    if (!rc && !isfinite(l0)) {        /* the last reference is outside the support here */
        l0 = find_ref(g, &rc);
        if (!rc && isfinite(l0) && grad) l0 = lp_at(g, g->g0, &rc);
    }
    if (rc) return rc;
    if (!isfinite(l0)) { *lp = -INFINITY; if (grad) memset(grad, 0, g->dim * sizeof *grad); return 0; }
    if (grad) memcpy(grad, g->g0, g->dim * sizeof *grad);
    double total = l0;
    for (size_t j = 0; j < g->nd; j++) {
        if ((rc = enumerate(g, j, l0, g->g0, grad != NULL))) return rc;
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < g->K[j]; k++) if (g->f[k] > mx) mx = g->f[k];
        for (int k = 0; k < g->K[j]; k++) s += exp(g->f[k] - mx);
        double lse = mx + log(s);
        total += lse - l0;
        if (grad)
            for (int k = 0; k < g->K[j]; k++) {
                double w = exp(g->f[k] - lse);
                if (w == 0) continue;
                const double *gk = g->gk + (size_t)k * g->dim;
                for (size_t i = 0; i < g->dim; i++) grad[i] += w * (gk[i] - g->g0[i]);
            }
    }
    *lp = total;
    return 0;
}

int vm_marg_draw(VmMarg *g, const double *u, gsl_rng *r, double *full)
{
    memcpy(g->u, u, g->dim * sizeof *u);
    int rc = 0;
    double l0 = find_ref(g, &rc);
    if (rc || !isfinite(l0)) return -1;
    for (size_t j = 0; j < g->nd; j++) {
        if ((rc = enumerate(g, j, l0, NULL, 0))) return rc;
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < g->K[j]; k++) if (g->f[k] > mx) mx = g->f[k];
        for (int k = 0; k < g->K[j]; k++) s += exp(g->f[k] - mx);
        double x = gsl_rng_uniform(r) * s, c = 0;
        int pick = g->K[j] - 1;
        for (int k = 0; k < g->K[j]; k++) {
            c += exp(g->f[k] - mx);
            if (x < c) { pick = k; break; }
        }
        g->zd[j] = g->lo[j] + pick;   /* kept until the sweep is over: enumerate() uses u */
    }
    for (size_t j = 0; j < g->nd; j++) full[g->dim + j] = g->zd[j];
    memcpy(full, u, g->dim * sizeof *u);
    return 0;
}

int vm_marg_write_values(VmMarg *g, const double *u, gsl_rng *r, double *out)
{
    if (!r) {                         /* no generator: the discrete values at the reference */
        memcpy(g->u, u, g->dim * sizeof *u);
        for (size_t j = 0; j < g->nd; j++) g->u[g->dim + j] = g->ref[j];
        return vm_write_values(g->e, g->u, NULL, out);
    }
    double *full = g->u;
    if (vm_marg_draw(g, u, r, full)) return -1;
    return vm_write_values(g->e, full, r, out);
}
