/* Stan's affine, unit_vector, sum_to_zero (isometric) and cholesky_factor_cov
 * transforms (stan/math/prim/constraint: offset_multiplier_constrain,
 * unit_vector_constrain, sum_to_zero_constrain, cholesky_factor_constrain): value,
 * log|J| and reverse pass, with Stan's order of the free coordinates. */
#include "runtime/transform_int.h"

#include <math.h>

/* ---- <offset=, multiplier=>: x = offset + multiplier u, log|J| = sum log multiplier ---- */

double trx_affine_fwd(size_t n, const double *u, const double *off, const double *mul, double *x)
{
    double lj = 0;
    for (size_t i = 0; i < n; i++) {
        double o = off ? off[i] : 0.0, m = mul ? mul[i] : 1.0;
        /* Stan checks multiplier positive finite and offset finite */
        if (!(m > 0) || !isfinite(m) || !isfinite(o)) { x[i] = NAN; lj = NAN; continue; }
        x[i] = o + m * u[i];
        lj += log(m);
    }
    return lj;
}

int trx_affine_inv(size_t n, const double *x, const double *off, const double *mul, double *u, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        double o = off ? off[i] : 0.0, m = mul ? mul[i] : 1.0;
        if (!isfinite(x[i]) || !(m > 0) || !isfinite(m) || !isfinite(o)) { *bad = i; return -1; }
        u[i] = (x[i] - o) / m;
    }
    return 0;
}

void trx_affine_bwd(size_t n, const double *u, const double *mul, const double *gx, double gl,
                    double *gu, double *goff, double *gmul)
{
    for (size_t i = 0; i < n; i++) {
        double m = mul ? mul[i] : 1.0, g = gx ? gx[i] : 0.0;
        gu[i] += g * m;
        if (goff) goff[i] += g;
        if (gmul) gmul[i] += g * u[i] + gl / m;
    }
}

/* ---- unit_vector: x = u / |u|; Stan adds -0.5 u'u, which is no Jacobian but gives
 * |u| a proper (chi) distribution so that the sampler does not drift off in |u| ---- */

double trx_unit_fwd(size_t K, const double *u, double *x)
{
    double ss = 0;
    for (size_t i = 0; i < K; i++) ss += u[i] * u[i];
    if (!(ss > 0) || !isfinite(ss)) {
        for (size_t i = 0; i < K; i++) x[i] = NAN;
        return NAN;
    }
    double r = sqrt(ss);
    for (size_t i = 0; i < K; i++) x[i] = u[i] / r;
    return -0.5 * ss;
}

int trx_unit_inv(size_t K, const double *x, double *u, size_t *bad)
{
    double ss = 0;
    for (size_t i = 0; i < K; i++) {
        if (!isfinite(x[i])) { *bad = i; return -1; }
        ss += x[i] * x[i];
    }
    /* Stan's check_unit_vector: |x'x - 1| <= 1e-8, and K >= 1 */
    if (K == 0 || !(fabs(ss - 1.0) <= TR_TOL)) { *bad = K ? K - 1 : 0; return -1; }
    for (size_t i = 0; i < K; i++) u[i] = x[i];
    return 0;
}

/* dx_i/du_j = (delta_ij - x_i x_j) / |u| */
void trx_unit_bwd(size_t K, const double *u, const double *x, const double *gx, double gl, double *gu)
{
    double ss = 0, gdx = 0;
    for (size_t i = 0; i < K; i++) ss += u[i] * u[i];
    for (size_t i = 0; gx && i < K; i++) gdx += gx[i] * x[i];
    double r = sqrt(ss);
    for (size_t j = 0; j < K; j++) gu[j] += (gx ? (gx[j] - x[j] * gdx) / r : 0.0) - gl * u[j];
}

/* ---- sum_to_zero_vector: the isometric (Helmert) basis of {x : sum x = 0}.  Free
 * coordinate m (1-based) is the weight of (1, ..., 1, -m, 0, ...) / sqrt(m (m + 1))
 * with m ones; the basis is orthonormal, so the inverse is the transpose and the
 * surface measure needs no Jacobian (Stan adds none) ---- */

void trx_stz_fwd(size_t K, const double *u, double *x)
{
    if (K == 0) return;
    for (size_t i = 0; i < K; i++) x[i] = 0;
    double sum_w = 0;
    for (size_t m = K - 1; m >= 1; m--) {
        double w = u[m - 1] / sqrt((double)m * (double)(m + 1));
        sum_w += w;                 /* sum of w_m' for m' >= m */
        x[m - 1] += sum_w;
        x[m] -= (double)m * w;
    }
}

static void trx_stz_adj(size_t K, const double *x, double *u, int add)
{
    double prefix = 0;              /* sum of x_j, j < m */
    for (size_t m = 1; m < K; m++) {
        prefix += x[m - 1];
        double v = (prefix - (double)m * x[m]) / sqrt((double)m * (double)(m + 1));
        u[m - 1] = add ? u[m - 1] + v : v;
    }
}

int trx_stz_inv(size_t K, const double *x, double *u, size_t *bad)
{
    double s = 0;
    for (size_t i = 0; i < K; i++) {
        if (!isfinite(x[i])) { *bad = i; return -1; }
        s += x[i];
    }
    /* Stan's check_sum_to_zero: |sum x| <= 1e-8 */
    if (!(fabs(s) <= TR_TOL)) { *bad = K ? K - 1 : 0; return -1; }
    trx_stz_adj(K, x, u, 0);
    return 0;
}

void trx_stz_bwd(size_t K, const double *gx, double *gu)
{
    if (gx) trx_stz_adj(K, gx, gu, 1);
}

/* ---- cholesky_factor_cov[M, N]: rows 0..N-1 hold their m off-diagonal entries
 * then log of the diagonal; rows N..M-1 hold their N entries; log|J| = sum of the
 * log-diagonal coordinates ---- */

size_t trx_cholcov_free_size(size_t M, size_t N)
{
    return M < N ? 0 : N * (N + 1) / 2 + (M - N) * N;
}

/* position in u of L(i, j), j <= min(i, N - 1) */
static size_t cc_pos(size_t N, size_t i, size_t j)
{
    return i < N ? i * (i + 1) / 2 + j : N * (N + 1) / 2 + (i - N) * N + j;
}

double trx_cholcov_fwd(size_t M, size_t N, const double *u, double *x)
{
    double lj = 0;
    for (size_t j = 0; j < N; j++)
        for (size_t i = 0; i < M; i++) {
            if (i < j) { x[i + M * j] = 0; continue; }
            double v = u[cc_pos(N, i, j)];
            if (i == j) { x[i + M * j] = exp(v); lj += v; }
            else x[i + M * j] = v;
        }
    return lj;
}

int trx_cholcov_inv(size_t M, size_t N, const double *x, double *u, size_t *bad)
{
    if (M < N) { *bad = 0; return -1; }
    for (size_t j = 0; j < N; j++)
        for (size_t i = 0; i < M; i++) {
            double v = x[i + M * j];
            size_t e = i + M * j;
            if (!isfinite(v) || (i < j && v != 0.0) || (i == j && !(v > 0))) { *bad = e; return -1; }
            if (i >= j) u[cc_pos(N, i, j)] = i == j ? log(v) : v;
        }
    return 0;
}

void trx_cholcov_bwd(size_t M, size_t N, const double *u, const double *gx, double gl, double *gu)
{
    for (size_t j = 0; j < N; j++)
        for (size_t i = j; i < M; i++) {
            size_t p = cc_pos(N, i, j);
            double g = gx ? gx[i + M * j] : 0.0;
            gu[p] += i == j ? g * exp(u[p]) + gl : g;
        }
}
