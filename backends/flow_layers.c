/* Flow layers: forward, log-determinant and reverse pass.  Formulas in flow_layers.h;
 * the reverse passes follow the forward code line by line, backwards. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/flow_layers.h"

static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
#define IAF_LOGSCALE 6.0

static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

const char *fl_kind_name(FlKind k)
{
    return k == FL_PLANAR ? "planar" : k == FL_RADIAL ? "radial" : k == FL_COUPLING ? "coupling" : "iaf";
}

void fl_layer_setup(FlLayer *l, FlKind kind, size_t d, size_t hidden, int reverse, int elu)
{
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->d = d;
    switch (kind) {
    case FL_PLANAR:
        l->np = 2 * d + 1;
        l->ncache = d + 3;             /* u^, t, D, m */
        break;
    case FL_RADIAL:
        l->np = d + 2;
        l->ncache = 1;
        break;
    case FL_IAF:
    case FL_COUPLING:
        l->hidden = hidden ? hidden : (2 * d + 2 < 64 ? 2 * d + 2 : 64);
        l->reverse = reverse;
        l->elu = elu;
        l->np = 3 * l->hidden * d + l->hidden + 2 * d + 2 * d * d;
        l->ncache = 3 * l->hidden + 2 * d;   /* pre, hid, dhid scratch, m, sigma */
        break;
    }
}

/* ---- planar -------------------------------------------------------------------- */

/* u^ = u + r w with r = (m(w.u) - w.u) / |w|^2 */
static double planar_uhat(size_t d, const double *u, const double *w, double *uh, double *mwu)
{
    double wu = dot(w, u, d), nw = dot(w, w, d);
    double m = -1 + softplus(wu);
    double r = (m - wu) / nw;
    for (size_t i = 0; i < d; i++) uh[i] = u[i] + r * w[i];
    if (mwu) *mwu = m;
    return r;
}

static double planar_forward(const FlLayer *l, const double *p, const double *z, double *zo,
                             double *cache)
{
    size_t d = l->d;
    const double *u = p, *w = p + d, b = p[2 * d];
    double *uh = cache, m;
    planar_uhat(d, u, w, uh, &m);
    double t = tanh(dot(w, z, d) + b);
    for (size_t i = 0; i < d; i++) zo[i] = z[i] + uh[i] * t;
    /* det(I + u^ psi^T) = 1 + psi.u^ with psi = h'(a) w, and w.u^ = m(w.u) */
    double D = 1 + (1 - t * t) * m;
    cache[d] = t;
    cache[d + 1] = D;
    cache[d + 2] = m;
    return log(fabs(D));
}

static void planar_backward(const FlLayer *l, const double *p, const double *z, double *cache,
                            const double *g, double gld, double *gin, double *gp)
{
    size_t d = l->d;
    const double *u = p, *w = p + d, *uh = cache;
    double t = cache[d], D = cache[d + 1], m = cache[d + 2];
    double *du = gp, *dw = gp + d, *db = gp + 2 * d;
    double wu = dot(w, u, d), nw = dot(w, w, d), r = (m - wu) / nw;
    double dD = gld / D;
    /* zout = z + u^ t */
    double dt = dot(g, uh, d);
    /* D = 1 + (1 - t^2) m */
    dt += dD * m * (-2 * t);
    double dm = dD * (1 - t * t);
    /* t = tanh(a), a = w.z + b */
    double da = dt * (1 - t * t);
    for (size_t i = 0; i < d; i++) {
        gin[i] = g[i] + da * w[i];
        dw[i] += da * z[i];
    }
    *db += da;
    /* u^ = u + r w, du^ = g t */
    double dr = 0;
    for (size_t i = 0; i < d; i++) {
        double duh = g[i] * t;
        du[i] += duh;
        dw[i] += r * duh;
        dr += duh * w[i];
    }
    /* r = (m - wu) / nw */
    dm += dr / nw;
    double dwu = -dr / nw, dnw = -dr * (m - wu) / (nw * nw);
    /* m = -1 + softplus(wu) */
    dwu += dm * sigmoid(wu);
    for (size_t i = 0; i < d; i++) {
        du[i] += dwu * w[i];
        dw[i] += dwu * u[i] + 2 * dnw * w[i];
    }
}

/* ---- radial -------------------------------------------------------------------- */

static double radial_forward(const FlLayer *l, const double *p, const double *z, double *zo,
                             double *cache)
{
    size_t d = l->d;
    const double *z0 = p;
    double alpha = softplus(p[d]), beta = -alpha + softplus(p[d + 1]);
    double r2 = 0;
    for (size_t i = 0; i < d; i++) r2 += (z[i] - z0[i]) * (z[i] - z0[i]);
    double r = sqrt(r2), q = alpha + r;
    for (size_t i = 0; i < d; i++) zo[i] = z[i] + beta / q * (z[i] - z0[i]);
    cache[0] = r;
    /* eigenvalues: 1 + beta h (d-1 times) and 1 + beta h + beta h' r = 1 + beta alpha/q^2 */
    double A1 = 1 + beta / q, A2 = 1 + beta * alpha / (q * q);
    return (double)(d - 1) * log(fabs(A1)) + log(fabs(A2));
}

static void radial_backward(const FlLayer *l, const double *p, const double *z, double *cache,
                            const double *g, double gld, double *gin, double *gp)
{
    size_t d = l->d;
    const double *z0 = p;
    double alpha = softplus(p[d]), beta = -alpha + softplus(p[d + 1]);
    double r = cache[0], q = alpha + r;
    double A1 = 1 + beta / q, A2 = 1 + beta * alpha / (q * q);
    double s1 = 0;
    for (size_t i = 0; i < d; i++) s1 += g[i] * (z[i] - z0[i]);
    double dd1 = gld * (double)(d - 1) / A1, dd2 = gld / A2;
    double dbeta = s1 / q + dd1 / q + dd2 * alpha / (q * q);
    double dq = -beta * s1 / (q * q) - dd1 * beta / (q * q) - dd2 * 2 * beta * alpha / (q * q * q);
    double dalpha = dq + dd2 * beta / (q * q);
    for (size_t i = 0; i < d; i++) {
        double dl = beta / q * g[i] + (r > 0 ? dq * (z[i] - z0[i]) / r : 0);
        gin[i] = g[i] + dl;
        gp[i] -= dl;
    }
    dalpha -= dbeta;                    /* beta = -alpha + softplus(b) */
    gp[d] += dalpha * sigmoid(p[d]);
    gp[d + 1] += dbeta * sigmoid(p[d + 1]);
}

/* ---- IAF (MADE, one hidden layer) ---------------------------------------------- */

/* MADE degrees (Germain et al. 2015): input i has degree 1..d in the layer's order; a
 * hidden unit k has degree 1..d-1 and sees inputs of degree <= its own; output i sees
 * hidden units of degree < deg(i).  So (m_i, s_i) depend on inputs before i only. */
static size_t deg_in(const FlLayer *l, size_t i)
{
    /* an affine coupling layer (Dinh et al. 2017, RealNVP) is the same network with two
     * degrees: the first half (second in reverse layers) conditions the other */
    if (l->kind == FL_COUPLING) return (i < (l->d + 1) / 2) != (l->reverse != 0) ? 1 : 2;
    return l->reverse ? l->d - i : i + 1;
}
static size_t deg_h(const FlLayer *l, size_t k)
{
    if (l->kind == FL_COUPLING) return 1;
    return l->d > 1 ? k % (l->d - 1) + 1 : 1;
}
/* the largest input degree: the score step's solve runs from it down */
static size_t deg_max(const FlLayer *l) { return l->kind == FL_COUPLING ? (l->d > 1 ? 2 : 1) : l->d; }

typedef struct IafP { const double *W1, *b1, *Wm, *bm, *Ws, *bs, *Vm, *Vs; } IafP;

static IafP iaf_params(const FlLayer *l, const double *p)
{
    size_t d = l->d, H = l->hidden;
    IafP q;
    q.W1 = p;
    q.b1 = q.W1 + H * d;
    q.Wm = q.b1 + H;
    q.bm = q.Wm + d * H;
    q.Ws = q.bm + d;
    q.bs = q.Ws + d * H;
    q.Vm = q.bs + d;
    q.Vs = q.Vm + d * d;
    return q;
}

static double iaf_forward(const FlLayer *l, const double *p, const double *z, double *zo,
                          double *cache)
{
    size_t d = l->d, H = l->hidden;
    IafP q = iaf_params(l, p);
    double *pre = cache, *hid = cache + H, *m = cache + 3 * H, *sg = m + d;
    for (size_t k = 0; k < H; k++) {
        double a = q.b1[k];
        size_t dk = deg_h(l, k);
        for (size_t j = 0; j < d; j++)
            if (dk >= deg_in(l, j)) a += q.W1[k * d + j] * z[j];
        pre[k] = a;
        hid[k] = l->elu ? (a > 0 ? a : expm1(a)) : tanh(a);
    }
    double ld = 0;
    for (size_t i = 0; i < d; i++) {
        double mi = q.bm[i], si = q.bs[i];
        size_t di = deg_in(l, i);
        for (size_t k = 0; k < H; k++)
            if (di > deg_h(l, k)) {
                mi += q.Wm[i * H + k] * hid[k];
                si += q.Ws[i * H + k] * hid[k];
            }
        for (size_t j = 0; j < d; j++)          /* MADE's direct connections */
            if (di > deg_in(l, j)) {
                mi += q.Vm[i * d + j] * z[j];
                si += q.Vs[i * d + j] * z[j];
            }
        m[i] = mi;
        if (l->expscale) {
            /* the affine IAF: scales above 1 too, so one layer holds a funnel exactly
             * (x' = exp(v / 2) x).  The log-scale is soft-clamped, IAF_LOGSCALE tanh(s /
             * IAF_LOGSCALE): a factor of at most e^6 per layer, so that 90 coordinates of
             * early, noisy steps cannot overflow (radon, unclamped: -inf ELBO) */
            double se = IAF_LOGSCALE * tanh(si / IAF_LOGSCALE), s = exp(se);
            sg[i] = s;
            zo[i] = s * z[i] + mi;
            ld += se;
            continue;
        }
        double s = sigmoid(si);
        sg[i] = s;
        zo[i] = s * z[i] + (1 - s) * mi;
        ld += -softplus(-si);          /* log sigmoid(si), stable */
    }
    return ld;
}

static void iaf_backward(const FlLayer *l, const double *p, const double *z, double *cache,
                         const double *g, double gld, double *gin, double *gp)
{
    size_t d = l->d, H = l->hidden;
    IafP q = iaf_params(l, p);
    double *pre = cache, *hid = cache + H, *dhid = cache + 2 * H, *m = cache + 3 * H, *sg = m + d;
    size_t oW1 = 0, ob1 = H * d, oWm = ob1 + H, obm = oWm + d * H, oWs = obm + d, obs = oWs + d * H;
    size_t oVm = obs + d, oVs = oVm + d * d;
    memset(dhid, 0, H * sizeof *dhid);
    for (size_t i = 0; i < d; i++) gin[i] = 0;
    for (size_t i = 0; i < d; i++) {
        double s = sg[i];
        gin[i] += g[i] * s;
        /* gate: d sigma/ds = s(1-s), d log sigma/ds = 1 - s; exp: d e^s/ds = e^s, d s/ds = 1 */
        double ds;
        if (l->expscale) {
            double th = log(s) / IAF_LOGSCALE;            /* tanh(s_raw / IAF_LOGSCALE) */
            ds = (g[i] * z[i] * s + gld) * (1 - th * th);
        } else {
            ds = g[i] * (z[i] - m[i]) * s * (1 - s) + gld * (1 - s);
        }
        double dm = l->expscale ? g[i] : g[i] * (1 - s);
        gp[obm + i] += dm;
        gp[obs + i] += ds;
        size_t di = deg_in(l, i);
        for (size_t k = 0; k < H; k++)
            if (di > deg_h(l, k)) {
                gp[oWm + i * H + k] += dm * hid[k];
                gp[oWs + i * H + k] += ds * hid[k];
                dhid[k] += q.Wm[i * H + k] * dm + q.Ws[i * H + k] * ds;
            }
        for (size_t j = 0; j < d; j++)
            if (di > deg_in(l, j)) {
                gp[oVm + i * d + j] += dm * z[j];
                gp[oVs + i * d + j] += ds * z[j];
                gin[j] += q.Vm[i * d + j] * dm + q.Vs[i * d + j] * ds;
            }
    }
    for (size_t k = 0; k < H; k++) {
        double act = l->elu ? (pre[k] > 0 ? 1 : hid[k] + 1) : 1 - hid[k] * hid[k];
        double dp = dhid[k] * act;
        gp[ob1 + k] += dp;
        size_t dk = deg_h(l, k);
        for (size_t j = 0; j < d; j++)
            if (dk >= deg_in(l, j)) {
                gp[oW1 + k * d + j] += dp * z[j];
                gin[j] += q.W1[k * d + j] * dp;
            }
    }
}

/* ---- the score step: grad log q through one layer ----------------------------------
 * log q_out(f(z)) = log q_in(z) - log|det J(z)|, so differentiating in z,
 *   J' grad log q_out(f(z)) = grad log q_in(z) - grad_z log|det J(z)|,
 * one transposed solve per layer at the stored forward point, no inverse map.  The
 * "path" (sticking-the-landing) gradient of the ELBO needs grad log q at the draw:
 * Vaitl et al. 2022 compute it this way for flows. */

static void planar_score(const FlLayer *l, const double *p, const double *cache, double *gq)
{
    size_t d = l->d;
    const double *w = p + d, *uh = cache;
    double t = cache[d], D = cache[d + 1], m = cache[d + 2], h = 1 - t * t;
    /* log|D|, D = 1 + (1 - t^2) m, t = tanh(w.z + b): d/dz = -2 t h m w / D;
     * J' = I + psi u^', psi = h w, solved by Sherman-Morrison with 1 + u^.psi = D */
    double cl = -2 * t * h * m / D, ur = 0;
    for (size_t i = 0; i < d; i++) {
        gq[i] -= cl * w[i];
        ur += uh[i] * gq[i];
    }
    double c = ur / D;
    for (size_t i = 0; i < d; i++) gq[i] -= c * h * w[i];
}

static void radial_score(const FlLayer *l, const double *p, const double *z, const double *cache,
                         double *gq)
{
    size_t d = l->d;
    const double *z0 = p;
    double alpha = softplus(p[d]), beta = -alpha + softplus(p[d + 1]);
    double r = cache[0], q = alpha + r;
    if (!(r > 0)) {
        /* at the centre J = (1 + beta / alpha) I and log|det| is flat in every direction
         * but not differentiable; take the symmetric choice */
        for (size_t i = 0; i < d; i++) gq[i] /= 1 + beta / alpha;
        return;
    }
    double A1 = 1 + beta / q, A2 = 1 + beta * alpha / (q * q);
    /* log|det| = (d - 1) log|A1(r)| + log|A2(r)|, a function of r = |z - z0| */
    double dld = (double)(d - 1) / A1 * (-beta / (q * q)) + 1 / A2 * (-2 * beta * alpha / (q * q * q));
    /* J = A1 I + (A2 - A1) e e', e = (z - z0) / r: symmetric, inverse on e and its
     * complement */
    double eb = 0;
    for (size_t i = 0; i < d; i++) {
        double e = (z[i] - z0[i]) / r;
        gq[i] -= dld * e;
        eb += e * gq[i];
    }
    for (size_t i = 0; i < d; i++) {
        double e = (z[i] - z0[i]) / r;
        gq[i] = gq[i] / A1 + (1 / A2 - 1 / A1) * e * eb;
    }
}

/* J is triangular in the layer's order: J_ii = the scale, and for deg i > deg j
 *   J_ij = a_i ds_i/dz_j + b_i dm_i/dz_j
 * (exp: a = z S (1 - th^2), b = 1; gate: a = (z - m) s (1 - s), b = 1 - s), with
 *   ds_i/dz_j = sum_k Ws_ik act'_k W1_kj + Vs_ij over the masks (dm alike).
 * J' x = r is solved from the highest degree down; acc_k carries
 * sum_i x_i (a_i Ws_ik + b_i Wm_ik) over the coordinates solved so far, so the solve
 * costs one backward pass, O(d H + d^2), never the d x d x H of forming J. */
static void iaf_score(const FlLayer *l, const double *p, const double *z, const double *cache,
                      double *gq, double *work)
{
    size_t d = l->d, H = l->hidden;
    IafP q = iaf_params(l, p);
    const double *pre = cache, *hid = cache + H, *m = cache + 3 * H, *sg = m + d;
    double *acc = work, *ax = work + H, *bx = ax + d, *cd = bx + d, *act = cd + d;
    for (size_t k = 0; k < H; k++)
        act[k] = l->elu ? (pre[k] > 0 ? 1 : hid[k] + 1) : 1 - hid[k] * hid[k];
    /* r = gq - grad log|det|, log|det| = sum_i ls(s_i): d ls/ds = cd_i */
    for (size_t i = 0; i < d; i++) {
        double s = sg[i];
        if (l->expscale) {
            double th = log(s) / IAF_LOGSCALE;
            cd[i] = 1 - th * th;
        } else {
            cd[i] = 1 - s;
        }
    }
    memset(acc, 0, H * sizeof *acc);
    for (size_t i = 0; i < d; i++) {
        size_t di = deg_in(l, i);
        for (size_t k = 0; k < H; k++)
            if (di > deg_h(l, k)) acc[k] += cd[i] * q.Ws[i * H + k];
        for (size_t j = 0; j < d; j++)
            if (di > deg_in(l, j)) gq[j] -= cd[i] * q.Vs[i * d + j];
    }
    for (size_t k = 0; k < H; k++) {
        double a = acc[k] * act[k];
        size_t dk = deg_h(l, k);
        for (size_t j = 0; j < d; j++)
            if (dk >= deg_in(l, j)) gq[j] -= a * q.W1[k * d + j];
    }
    /* the transposed triangular solve, highest degree first (coordinates of one degree
     * do not depend on each other: a coupling layer's halves) */
    memset(acc, 0, H * sizeof *acc);
    for (size_t dj = deg_max(l); dj >= 1; dj--)
    for (size_t j = 0; j < d; j++) {
        if (deg_in(l, j) != dj) continue;
        double sum = 0;
        for (size_t k = 0; k < H; k++)
            if (deg_h(l, k) >= dj) sum += acc[k] * act[k] * q.W1[k * d + j];
        for (size_t i = 0; i < d; i++)
            if (deg_in(l, i) > dj) sum += ax[i] * q.Vs[i * d + j] + bx[i] * q.Vm[i * d + j];
        double s = sg[j], x = (gq[j] - sum) / s;
        gq[j] = x;
        double a = l->expscale ? z[j] * s * cd[j] : (z[j] - m[j]) * s * (1 - s);
        double b = l->expscale ? 1 : 1 - s;
        ax[j] = a * x;
        bx[j] = b * x;
        for (size_t k = 0; k < H; k++)
            if (deg_h(l, k) < dj) acc[k] += ax[j] * q.Ws[j * H + k] + bx[j] * q.Wm[j * H + k];
    }
}

size_t fl_score_work(const FlLayer *l)
{
    return l->kind == FL_IAF || l->kind == FL_COUPLING ? 2 * l->hidden + 3 * l->d : 0;
}

void fl_score(const FlLayer *l, const double *p, const double *zin, const double *cache,
              double *gq, double *work)
{
    switch (l->kind) {
    case FL_PLANAR: planar_score(l, p, cache, gq); break;
    case FL_RADIAL: radial_score(l, p, zin, cache, gq); break;
    case FL_IAF: case FL_COUPLING: iaf_score(l, p, zin, cache, gq, work); break;
    }
}

/* ---- dispatch ------------------------------------------------------------------ */

double fl_forward(const FlLayer *l, const double *p, const double *zin, double *zout, double *cache)
{
    switch (l->kind) {
    case FL_PLANAR: return planar_forward(l, p, zin, zout, cache);
    case FL_RADIAL: return radial_forward(l, p, zin, zout, cache);
    case FL_IAF: case FL_COUPLING: return iaf_forward(l, p, zin, zout, cache);
    }
    return NAN;
}

void fl_backward(const FlLayer *l, const double *p, const double *zin, double *cache,
                 const double *gout, double gld, double *gin, double *gp)
{
    switch (l->kind) {
    case FL_PLANAR: planar_backward(l, p, zin, cache, gout, gld, gin, gp); break;
    case FL_RADIAL: radial_backward(l, p, zin, cache, gout, gld, gin, gp); break;
    case FL_IAF: case FL_COUPLING: iaf_backward(l, p, zin, cache, gout, gld, gin, gp); break;
    }
}

void fl_layer_init(const FlLayer *l, double *p, const double *center, gsl_rng *r)
{
    size_t d = l->d;
    memset(p, 0, l->np * sizeof *p);
    switch (l->kind) {
    case FL_PLANAR: {
        /* w random of norm ~1; u = c w/|w|^2 + small noise with m(c) = 0, c = log(e - 1),
         * so that u^ = the small noise: f starts within 1e-2 of the identity; b puts the
         * hyperplane through the centre so tanh starts unsaturated */
        double *u = p, *w = p + d, nw = 0;
        for (size_t i = 0; i < d; i++) {
            w[i] = gsl_ran_gaussian(r, 1.0) / sqrt((double)d);
            nw += w[i] * w[i];
        }
        const double c = log(M_E - 1);
        for (size_t i = 0; i < d; i++) u[i] = c * w[i] / nw + 0.01 * gsl_ran_gaussian(r, 1.0);
        p[2 * d] = center ? -dot(w, center, d) : 0;
        break;
    }
    case FL_RADIAL:
        /* softplus(0) - softplus(0) = 0: beta = 0, the identity */
        for (size_t i = 0; i < d; i++)
            p[i] = (center ? center[i] : 0) + 0.01 * gsl_ran_gaussian(r, 1.0);
        break;
    case FL_IAF:
    case FL_COUPLING: {
        size_t H = l->hidden;
        IafP q = iaf_params(l, p);
        double *W1 = (double *)q.W1, *Wm = (double *)q.Wm, *Ws = (double *)q.Ws, *bs = (double *)q.bs;
        double *b1 = (double *)q.b1;
        for (size_t k = 0; k < H; k++) {
            double a = 0;
            for (size_t j = 0; j < d; j++) {
                if (deg_h(l, k) >= deg_in(l, j)) W1[k * d + j] = gsl_ran_gaussian(r, 1.0) / sqrt((double)d);
                a += W1[k * d + j] * (center ? center[j] : 0);
            }
            b1[k] = -a;                 /* hidden units unsaturated at the centre */
        }
        for (size_t i = 0; i < d; i++) {
            for (size_t k = 0; k < H; k++)
                if (deg_in(l, i) > deg_h(l, k)) {
                    Wm[i * H + k] = 0.01 * gsl_ran_gaussian(r, 1.0);
                    Ws[i * H + k] = 0.01 * gsl_ran_gaussian(r, 1.0);
                }
            /* the forget-gate bias of Kingma et al.: sigma = 0.95, close to the identity;
             * the m that (1 - sigma) mixes in starts at the centre.  exp: the identity */
            bs[i] = l->expscale ? 0 : 3;
            ((double *)q.bm)[i] = l->expscale ? 0 : center ? center[i] : 0;
        }
        break;
    }
    }
}

double fl_constraint(const FlLayer *l, const double *p)
{
    size_t d = l->d;
    switch (l->kind) {
    case FL_PLANAR: {
        /* w.u^ = w.u + r |w|^2, computed as the map uses it (not as m(w.u)) */
        const double *u = p, *w = p + d;
        double wu = dot(w, u, d), nw = dot(w, w, d);
        double r = (-1 + softplus(wu) - wu) / nw;
        return wu + r * nw;
    }
    case FL_RADIAL: {
        double alpha = softplus(p[d]);
        return -alpha + softplus(p[d + 1]) + alpha;
    }
    case FL_IAF: case FL_COUPLING: return 0;
    }
    return NAN;
}

int fl_invertible(const FlLayer *l, const double *p)
{
    for (size_t i = 0; i < l->np; i++)
        if (!isfinite(p[i])) return 0;
    double c = fl_constraint(l, p);
    switch (l->kind) {
    case FL_PLANAR: return c > -1;
    case FL_RADIAL: return c >= 0;
    case FL_IAF: case FL_COUPLING: return 1;
    }
    return 0;
}
