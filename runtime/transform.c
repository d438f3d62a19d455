/* Stan's constraining transforms (stan/math/prim/constraint: the _constrain and _free
 * functions of Stan 2.2x): value, log|J| and a hand-written reverse pass for each kind.  The
 * formulas and the order of the free coordinates follow Stan so that draws, inits
 * and log densities agree with CmdStan's. */
#include "runtime/transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Stan's CONSTRAINT_TOLERANCE for simplex sums, unit rows and symmetry. */
#define TR_TOL 1e-8
/* Scratch for the correlation reverse pass lives on the stack up to this many
 * doubles (K <= 40); larger K falls back to the heap. */
#define TR_STACK 1700

static double tr_inv_logit(double u)
{
    if (u >= 0) return 1.0 / (1.0 + exp(-u));
    double e = exp(u);
    return e / (1.0 + e);
}

/* log(1 + exp(a)) without overflow. */
static double tr_log1p_exp(double a)
{
    return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
}

/* log(1 - tanh(u)^2) = log sech^2(u) = 2 log 2 - 2|u| - 2 log1p(exp(-2|u|)): exact
 * for any u, where log1m(tanh(u)^2) is -inf beyond |u| ~ 19. */
static double tr_log_sech2(double u)
{
    double a = fabs(u);
    return 2.0 * M_LN2 - 2.0 * a - 2.0 * log1p(exp(-2.0 * a));
}

static int tr_finite(double b) { return isfinite(b); }

size_t tr_free_size(TrKind k, size_t n)
{
    switch (k) {
    case TR_SIMPLEX: return n > 0 ? n - 1 : 0;
    case TR_CHOLESKY_CORR:
    case TR_CORR_MATRIX: return n * (n - (n > 0)) / 2;
    case TR_COV_MATRIX: return n * (n + 1) / 2;
    default: return n;
    }
}

size_t tr_block_dim(TrKind k, size_t blk)
{
    if (k < TR_CHOLESKY_CORR) return blk;
    size_t K = (size_t)sqrt((double)blk);
    while (K * K > blk) K--;
    while ((K + 1) * (K + 1) <= blk) K++;
    return K;
}

size_t tr_value_size(TrKind k, size_t n)
{
    switch (k) {
    case TR_CHOLESKY_CORR:
    case TR_CORR_MATRIX:
    case TR_COV_MATRIX: return n * n;
    default: return n;
    }
}

/* ---- element-wise bounds: lb_constrain, ub_constrain, lub_constrain ---- */

/* Which bounds of element i are in force for kind k. */
static void tr_bounds(TrKind k, size_t i, const double *lo, const double *hi,
                      int *has_lo, int *has_hi)
{
    *has_lo = (k == TR_LOWER || k == TR_LOWER_UPPER) && lo && tr_finite(lo[i]);
    *has_hi = (k == TR_UPPER || k == TR_LOWER_UPPER) && hi && tr_finite(hi[i]);
}

static double tr_bounded_fwd(TrKind k, size_t n, const double *u, const double *lo,
                             const double *hi, double *x)
{
    double lj = 0;
    for (size_t i = 0; i < n; i++) {
        int hl, hh;
        tr_bounds(k, i, lo, hi, &hl, &hh);
        if (hl && hh) {
            /* lub_constrain: x = lb + (ub - lb) inv_logit(u);
             * log|J| = log(ub - lb) + log_inv_logit(u) + log1m_inv_logit(u). */
            double d = hi[i] - lo[i];
            if (!(d > 0)) { x[i] = NAN; lj = NAN; continue; }
            x[i] = lo[i] + d * tr_inv_logit(u[i]);
            if (x[i] > hi[i]) x[i] = hi[i];
            lj += log(d) - fabs(u[i]) - 2.0 * log1p(exp(-fabs(u[i])));
        } else if (hl) {
            x[i] = lo[i] + exp(u[i]);      /* lb_constrain */
            lj += u[i];
        } else if (hh) {
            x[i] = hi[i] - exp(u[i]);      /* ub_constrain */
            lj += u[i];
        } else {
            x[i] = u[i];
        }
    }
    return lj;
}

static int tr_bounded_inv(TrKind k, size_t n, const double *x, const double *lo,
                          const double *hi, double *u, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        int hl, hh;
        tr_bounds(k, i, lo, hi, &hl, &hh);
        double v = x[i];
        if (hl && hh) {
            /* lub_free: logit((x - lb) / (ub - lb)); the open interval only, so u is finite. */
            if (!(v > lo[i] && v < hi[i])) { *bad = i; return -1; }
            double p = (v - lo[i]) / (hi[i] - lo[i]);
            u[i] = log(p) - log1p(-p);
        } else if (hl) {
            if (!(v > lo[i]) || !isfinite(v)) { *bad = i; return -1; }
            u[i] = log(v - lo[i]);
        } else if (hh) {
            if (!(v < hi[i]) || !isfinite(v)) { *bad = i; return -1; }
            u[i] = log(hi[i] - v);
        } else {
            if (!isfinite(v)) { *bad = i; return -1; }
            u[i] = v;
        }
        if (!isfinite(u[i])) { *bad = i; return -1; }
    }
    return 0;
}

static void tr_bounded_bwd(TrKind k, size_t n, const double *u, const double *lo,
                           const double *hi, const double *gx, double gl,
                           double *gu, double *glo, double *ghi)
{
    for (size_t i = 0; i < n; i++) {
        int hl, hh;
        tr_bounds(k, i, lo, hi, &hl, &hh);
        double g = gx ? gx[i] : 0.0;
        if (hl && hh) {
            double d = hi[i] - lo[i], s = tr_inv_logit(u[i]), t = tr_inv_logit(-u[i]);
            /* d/du [log s + log(1-s)] = 1 - 2s = t - s */
            gu[i] += g * d * s * t + gl * (t - s);
            if (glo) glo[i] += g * t - gl / d;
            if (ghi) ghi[i] += g * s + gl / d;
        } else if (hl) {
            gu[i] += g * exp(u[i]) + gl;
            if (glo) glo[i] += g;
        } else if (hh) {
            gu[i] += -g * exp(u[i]) + gl;
            if (ghi) ghi[i] += g;
        } else {
            gu[i] += g;
        }
    }
}

/* ---- simplex: stick-breaking, simplex_constrain ---- */

/* z_k = inv_logit(u_k - log(K-1-k)), x_k = stick_k z_k.  Stan subtracts x_k from the
 * stick; stick * inv_logit(-a) is the same number without the cancellation. */
static double tr_simplex_fwd(size_t K, const double *u, double *x)
{
    if (K == 0) return 0;
    double stick = 1.0, lj = 0;
    for (size_t k = 0; k + 1 < K; k++) {
        double a = u[k] - log((double)(K - 1 - k));
        x[k] = stick * tr_inv_logit(a);
        lj += log(stick) - tr_log1p_exp(-a) - tr_log1p_exp(a);
        stick *= tr_inv_logit(-a);
    }
    x[K - 1] = stick;
    return lj;
}

static int tr_simplex_inv(size_t K, const double *x, double *u, size_t *bad)
{
    if (K == 0) return 0;
    double sum = 0;
    for (size_t k = 0; k < K; k++) {
        if (!(x[k] > 0) || !isfinite(x[k])) { *bad = k; return -1; }
        sum += x[k];
    }
    if (fabs(sum - 1.0) > TR_TOL) { *bad = K - 1; return -1; }
    double stick = x[K - 1];
    for (size_t k = K - 1; k-- > 0;) {
        stick += x[k];
        double z = x[k] / stick;
        u[k] = log(z) - log1p(-z) + log((double)(K - 1 - k));
    }
    return 0;
}

/* Reverse of the stick-breaking loop.  stick_k is recovered from x as the sum of
 * x_k..x_{K-1} (as simplex_free does), so nothing is stored. */
static void tr_simplex_bwd(size_t K, const double *u, const double *x, const double *gx,
                           double gl, double *gu)
{
    if (K < 2) return;
    double gs = gx ? gx[K - 1] : 0.0;   /* adjoint of stick_{k+1} */
    double stick_next = x[K - 1];
    for (size_t k = K - 1; k-- > 0;) {
        double stick = stick_next + x[k];
        double a = u[k] - log((double)(K - 1 - k));
        double z = tr_inv_logit(a), zc = tr_inv_logit(-a);
        double g = gx ? gx[k] : 0.0;
        double gz = (g - gs) * stick;
        gu[k] += gz * z * zc + gl * (zc - z);
        /* stick_k feeds x_k, stick_{k+1} and log(stick_k); stick_0 = 1 is constant. */
        gs = gs * zc + g * z + gl / stick;
        stick_next = stick;
    }
}

/* ---- ordered, positive_ordered ---- */

static double tr_ordered_fwd(int positive, size_t K, const double *u, double *x)
{
    double lj = 0;
    for (size_t i = 0; i < K; i++) {
        if (i == 0 && !positive) x[0] = u[0];
        else {
            x[i] = (i ? x[i - 1] : 0.0) + exp(u[i]);
            lj += u[i];
        }
    }
    return lj;
}

static int tr_ordered_inv(int positive, size_t K, const double *x, double *u, size_t *bad)
{
    for (size_t i = 0; i < K; i++) {
        if (!isfinite(x[i])) { *bad = i; return -1; }
        if (i == 0 && !positive) { u[0] = x[0]; continue; }
        double prev = i ? x[i - 1] : 0.0;
        if (!(x[i] > prev)) { *bad = i; return -1; }
        u[i] = log(x[i] - prev);
    }
    return 0;
}

static void tr_ordered_bwd(int positive, size_t K, const double *u, const double *gx,
                           double gl, double *gu)
{
    double G = 0;   /* sum of gx[j] for j >= i: x_i feeds every later x_j */
    for (size_t i = K; i-- > 0;) {
        G += gx ? gx[i] : 0.0;
        if (i == 0 && !positive) gu[0] += G;
        else gu[i] += G * exp(u[i]) + gl;
    }
}

/* ---- Cholesky factors of correlation matrices ---- */

/* Free coordinate of L(i,j), i > j: Stan's cholesky_corr_constrain reads them row by
 * row, read_corr_L (corr_matrix_constrain) column by column. */
static size_t tr_pos_row(size_t K, size_t i, size_t j) { (void)K; return i * (i - 1) / 2 + j; }
static size_t tr_pos_col(size_t K, size_t i, size_t j)
{
    return j * (K - 1) - j * (j - 1) / 2 + (i - j - 1);
}
typedef size_t (*TrPos)(size_t K, size_t i, size_t j);

/* Row i of L: L(i,j) = z_j sqrt(r_j), L(i,i) = sqrt(r_i), z = tanh(u), with
 * r_j = 1 - sum_{m<j} L(i,m)^2 = prod_{m<j} (1 - z_m^2).  Both constructions of Stan
 * produce this same L; they differ only in the order of u.  Writes the row into the
 * column-major K x K array L (upper part untouched); log|J| is computed apart. */
static void tr_corr_row(size_t K, size_t i, const double *u, TrPos pos, double *L)
{
    double logr = 0;
    for (size_t j = 0; j < i; j++) {
        double uj = u[pos(K, i, j)];
        L[i + K * j] = tanh(uj) * exp(0.5 * logr);
        logr += tr_log_sech2(uj);
    }
    L[i + K * i] = exp(0.5 * logr);
}

/* log|J| of u -> strictly lower L (cholesky_corr_constrain): tanh contributes
 * log(1 - z^2); L(i,j) = z sqrt(r_j) contributes 0.5 log r_j for 1 <= j < i, and
 * log r_j = sum_{m<j} log(1 - z_m^2), so L(i,m)'s coordinate has weight
 * 1 + 0.5 (i - 1 - m). */
static double tr_cholcorr_logj(size_t K, const double *u)
{
    double lj = 0;
    for (size_t i = 1; i < K; i++)
        for (size_t m = 0; m < i; m++)
            lj += (1.0 + 0.5 * (double)(i - 1 - m)) * tr_log_sech2(u[tr_pos_row(K, i, m)]);
    return lj;
}

/* log|J| of corr_matrix_constrain: tanh plus read_corr_L's
 * 0.5 sum (K - k - 1) log1m(z^2) over CPC column k (1-based); column j (0-based)
 * has weight 1 + 0.5 (K - j - 2). */
static double tr_corr_logj(size_t K, const double *u)
{
    double lj = 0;
    for (size_t j = 0; j + 1 < K; j++)
        for (size_t i = j + 1; i < K; i++)
            lj += (1.0 + 0.5 * (double)(K - j - 2)) * tr_log_sech2(u[tr_pos_col(K, i, j)]);
    return lj;
}

/* Reverse of tr_corr_row for the gx part: gLrow[ld*j] = dL/dL(i,j), j <= i; Lrow_i is
 * row i of the column-major L (stride K).
 * dL(i,j)/du_j = (1 - z_j^2) sqrt(r_j); dL(i,j')/du_m = -z_m L(i,j') for m < j' <= i. */
static void tr_corr_row_bwd(size_t K, size_t i, const double *u, TrPos pos,
                            const double *Lrow_i, const double *gLrow, size_t ld, double *gu)
{
    double logr = 0;
    for (size_t m = 0; m < i; m++) logr += tr_log_sech2(u[pos(K, i, m)]);
    double S = gLrow[ld * i] * Lrow_i[K * i];   /* sum_{j' > m} gL(i,j') L(i,j') */
    for (size_t m = i; m-- > 0;) {
        double um = u[pos(K, i, m)], ls = tr_log_sech2(um);
        logr -= ls;                          /* now log r_m */
        gu[pos(K, i, m)] += gLrow[ld * m] * exp(ls + 0.5 * logr) - tanh(um) * S;
        S += gLrow[ld * m] * Lrow_i[K * m];
    }
}

/* Omega = L L^T in place: L in the lower triangle of the column-major K x K array x
 * (upper part ignored) on entry, the symmetric product on exit. */
static void tr_llt_inplace(size_t K, double *x)
{
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < i; j++) {
            double s = 0;
            for (size_t m = 0; m <= j; m++) s += x[i + K * m] * x[j + K * m];
            x[j + K * i] = s;               /* upper half is free scratch */
        }
    for (size_t i = 0; i < K; i++) {
        double s = 0;
        for (size_t m = 0; m <= i; m++) s += x[i + K * m] * x[i + K * m];
        x[i + K * i] = s;
    }
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < i; j++) x[i + K * j] = x[j + K * i];
}

static void tr_upper_zero(size_t K, double *x)
{
    for (size_t j = 1; j < K; j++)
        for (size_t i = 0; i < j; i++) x[i + K * j] = 0.0;
}

static double tr_cholcorr_fwd(size_t K, const double *u, double *x)
{
    if (K == 0) return 0;
    tr_upper_zero(K, x);
    for (size_t i = 0; i < K; i++) tr_corr_row(K, i, u, tr_pos_row, x);
    return tr_cholcorr_logj(K, u);
}

static double tr_corr_fwd(size_t K, const double *u, double *x)
{
    if (K == 0) return 0;
    for (size_t i = 0; i < K; i++) tr_corr_row(K, i, u, tr_pos_col, x);
    tr_llt_inplace(K, x);
    for (size_t i = 0; i < K; i++) x[i + K * i] = 1.0;  /* exact unit diagonal */
    return tr_corr_logj(K, u);
}

/* cov_matrix_constrain: L row by row, m off-diagonal entries then log L(m,m);
 * log|J| = K log 2 + sum_m (K - m + 1) log L(m,m) (0-based m), the exp included. */
static size_t tr_cov_pos(size_t i, size_t j) { return i * (i + 1) / 2 + j; }

static double tr_cov_L(const double *u, size_t i, size_t j)
{
    if (j > i) return 0.0;
    double v = u[tr_cov_pos(i, j)];
    return i == j ? exp(v) : v;
}

static double tr_cov_fwd(size_t K, const double *u, double *x)
{
    double lj = (double)K * M_LN2;
    for (size_t i = 0; i < K; i++) {
        for (size_t j = 0; j <= i; j++) x[i + K * j] = tr_cov_L(u, i, j);
        lj += (double)(K - i + 1) * u[tr_cov_pos(i, i)];
    }
    tr_llt_inplace(K, x);
    return lj;
}

/* ---- unconstraining the matrix kinds ---- */

/* Lower Cholesky factor of the symmetric K x K column-major S into L (K*K, lower
 * filled).  Returns -1 with *bad = the failing diagonal element if not positive definite. */
static int tr_cholesky(size_t K, const double *S, double *L, size_t *bad)
{
    for (size_t j = 0; j < K; j++) {
        double d = S[j + K * j];
        for (size_t m = 0; m < j; m++) d -= L[j + K * m] * L[j + K * m];
        if (!(d > 0)) { *bad = j + K * j; return -1; }
        double ljj = sqrt(d);
        L[j + K * j] = ljj;
        for (size_t i = j + 1; i < K; i++) {
            double s = S[i + K * j];
            for (size_t m = 0; m < j; m++) s -= L[i + K * m] * L[j + K * m];
            L[i + K * j] = s / ljj;
        }
    }
    return 0;
}

static int tr_check_sym(size_t K, const double *x, size_t *bad)
{
    for (size_t j = 0; j < K; j++)
        for (size_t i = 0; i < K; i++) {
            if (!isfinite(x[i + K * j])) { *bad = i + K * j; return -1; }
            if (i > j && !(fabs(x[i + K * j] - x[j + K * i]) <= TR_TOL)) { *bad = i + K * j; return -1; }
        }
    return 0;
}

/* Inverse of tr_corr_row for a valid Cholesky-of-correlation factor L. */
static int tr_corr_free_L(size_t K, const double *L, TrPos pos, double *u, size_t *bad)
{
    for (size_t i = 1; i < K; i++) {
        /* Stan divides by sqrt(1 - sum_{m<j} L(i,m)^2); on a unit row that is the
         * tail sum below, which has no cancellation when L(i,j) is near +-1. */
        double tail = 0;
        for (size_t j = 0; j <= i; j++) tail += L[i + K * j] * L[i + K * j];
        for (size_t j = 0; j < i; j++) {
            double w = L[i + K * j] / sqrt(tail);
            if (!(fabs(w) < 1.0)) { *bad = i + K * j; return -1; }
            u[pos(K, i, j)] = atanh(w);
            tail = 0;
            for (size_t m = j + 1; m <= i; m++) tail += L[i + K * m] * L[i + K * m];
        }
    }
    return 0;
}

static int tr_cholcorr_inv(size_t K, const double *x, double *u, size_t *bad)
{
    for (size_t j = 0; j < K; j++)
        for (size_t i = 0; i < K; i++) {
            double v = x[i + K * j];
            if (!isfinite(v) || (i < j && v != 0.0)) { *bad = i + K * j; return -1; }
        }
    for (size_t i = 0; i < K; i++) {
        double s = 0;
        for (size_t j = 0; j <= i; j++) s += x[i + K * j] * x[i + K * j];
        if (!(x[i + K * i] > 0) || !(fabs(s - 1.0) <= TR_TOL)) { *bad = i + K * i; return -1; }
    }
    return tr_corr_free_L(K, x, tr_pos_row, u, bad);
}

static int tr_matrix_inv(TrKind k, size_t K, const double *x, double *u, size_t *bad)
{
    if (tr_check_sym(K, x, bad)) return -1;
    if (k == TR_CORR_MATRIX)
        for (size_t i = 0; i < K; i++)
            if (!(fabs(x[i + K * i] - 1.0) <= TR_TOL)) { *bad = i + K * i; return -1; }
    double *L = calloc(K > 0 ? K * K : 1, sizeof *L);
    if (!L) { *bad = 0; return -1; }
    int rc = tr_cholesky(K, x, L, bad);
    if (rc == 0 && k == TR_COV_MATRIX) {
        for (size_t i = 0; i < K; i++)
            for (size_t j = 0; j <= i; j++)
                u[tr_cov_pos(i, j)] = i == j ? log(L[i + K * i]) : L[i + K * j];
    } else if (rc == 0) {
        /* cholesky of a correlation matrix has unit rows up to rounding: renormalise
         * so that the free coordinates see an exact unit row, as factor_U does. */
        for (size_t i = 0; i < K; i++) {
            double s = 0;
            for (size_t j = 0; j <= i; j++) s += L[i + K * j] * L[i + K * j];
            s = sqrt(s);
            for (size_t j = 0; j <= i; j++) L[i + K * j] /= s;
        }
        rc = tr_corr_free_L(K, L, tr_pos_col, u, bad);
    }
    free(L);
    return rc;
}

/* ---- reverse pass of the matrix kinds ---- */

/* gL(a,b) = sum_j (gO(a,j) + gO(j,a)) L(j,b) for Omega = L L^T, j >= b.  L is given
 * through an accessor so that cov needs no storage. */
typedef double (*TrLGet)(const void *ctx, size_t K, size_t i, size_t j);

static double tr_get_arr(const void *ctx, size_t K, size_t i, size_t j)
{
    return j > i ? 0.0 : ((const double *)ctx)[i + K * j];
}

static double tr_get_cov(const void *ctx, size_t K, size_t i, size_t j)
{
    (void)K;
    return tr_cov_L((const double *)ctx, i, j);
}

static double tr_llt_gL(size_t K, const double *gO, TrLGet get, const void *ctx, size_t a, size_t b)
{
    double s = 0;
    for (size_t j = b; j < K; j++) s += (gO[a + K * j] + gO[j + K * a]) * get(ctx, K, j, b);
    return s;
}

static void tr_cov_bwd(size_t K, const double *u, const double *gx, double gl, double *gu)
{
    for (size_t i = 0; i < K; i++) {
        for (size_t j = 0; j <= i && gx; j++) {
            double g = tr_llt_gL(K, gx, tr_get_cov, u, i, j);
            gu[tr_cov_pos(i, j)] += i == j ? g * exp(u[tr_cov_pos(i, i)]) : g;
        }
        gu[tr_cov_pos(i, i)] += gl * (double)(K - i + 1);
    }
}

static void tr_cholcorr_bwd(size_t K, const double *u, const double *x, const double *gx,
                            double gl, double *gu)
{
    for (size_t i = 1; i < K; i++) {
        for (size_t m = 0; m < i; m++)   /* d log(1 - z^2)/du = -2z, weight 1 + (i-1-m)/2 */
            gu[tr_pos_row(K, i, m)] -= gl * tanh(u[tr_pos_row(K, i, m)]) * (double)(i + 1 - m);
        if (gx) tr_corr_row_bwd(K, i, u, tr_pos_row, x + i, gx + i, K, gu);
    }
}

/* Omega = L L^T: gL row by row from gx (L recomputed into scratch), then the row
 * reverse pass shared with cholesky_corr. */
static void tr_corr_bwd(size_t K, const double *u, const double *gx, double gl, double *gu)
{
    for (size_t j = 0; j + 1 < K; j++)
        for (size_t i = j + 1; i < K; i++)
            gu[tr_pos_col(K, i, j)] -= gl * tanh(u[tr_pos_col(K, i, j)]) * (double)(K - j);
    if (!gx || K < 2) return;
    double stackbuf[TR_STACK];
    size_t need = K * K + K;
    double *w = need <= TR_STACK ? stackbuf : malloc(need * sizeof *w);
    if (!w) {   /* no way to report: poison the gradient rather than return a wrong one */
        for (size_t p = 0; p < tr_free_size(TR_CORR_MATRIX, K); p++) gu[p] = NAN;
        return;
    }
    double *L = w, *gLrow = w + K * K;
    for (size_t i = 0; i < K; i++) tr_corr_row(K, i, u, tr_pos_col, L);
    for (size_t i = 1; i < K; i++) {
        for (size_t j = 0; j <= i; j++) gLrow[j] = tr_llt_gL(K, gx, tr_get_arr, L, i, j);
        tr_corr_row_bwd(K, i, u, tr_pos_col, L + i, gLrow, 1, gu);
    }
    if (w != stackbuf) free(w);
}

/* ---- dispatch ---- */

double tr_constrain(TrKind k, size_t n, const double *u, const double *lo, const double *hi, double *x)
{
    switch (k) {
    case TR_NONE:
        if (n) memmove(x, u, n * sizeof *x);
        return 0;
    case TR_LOWER:
    case TR_UPPER:
    case TR_LOWER_UPPER: return tr_bounded_fwd(k, n, u, lo, hi, x);
    case TR_SIMPLEX: return tr_simplex_fwd(n, u, x);
    case TR_ORDERED: return tr_ordered_fwd(0, n, u, x);
    case TR_POSITIVE_ORDERED: return tr_ordered_fwd(1, n, u, x);
    case TR_CHOLESKY_CORR: return tr_cholcorr_fwd(n, u, x);
    case TR_COV_MATRIX: return tr_cov_fwd(n, u, x);
    case TR_CORR_MATRIX: return tr_corr_fwd(n, u, x);
    }
    return NAN;
}

int tr_unconstrain(TrKind k, size_t n, const double *x, const double *lo, const double *hi,
                   double *u, size_t *bad)
{
    size_t dummy;
    if (!bad) bad = &dummy;
    switch (k) {
    case TR_NONE:
    case TR_LOWER:
    case TR_UPPER:
    case TR_LOWER_UPPER: return tr_bounded_inv(k, n, x, lo, hi, u, bad);
    case TR_SIMPLEX: return tr_simplex_inv(n, x, u, bad);
    case TR_ORDERED: return tr_ordered_inv(0, n, x, u, bad);
    case TR_POSITIVE_ORDERED: return tr_ordered_inv(1, n, x, u, bad);
    case TR_CHOLESKY_CORR: return tr_cholcorr_inv(n, x, u, bad);
    case TR_COV_MATRIX:
    case TR_CORR_MATRIX: return tr_matrix_inv(k, n, x, u, bad);
    }
    *bad = 0;
    return -1;
}

void tr_backward(TrKind k, size_t n, const double *u, const double *lo, const double *hi,
                 const double *x, const double *gx, double gl,
                 double *gu, double *glo, double *ghi)
{
    switch (k) {
    case TR_NONE:
    case TR_LOWER:
    case TR_UPPER:
    case TR_LOWER_UPPER: tr_bounded_bwd(k, n, u, lo, hi, gx, gl, gu, glo, ghi); return;
    case TR_SIMPLEX: tr_simplex_bwd(n, u, x, gx, gl, gu); return;
    case TR_ORDERED: tr_ordered_bwd(0, n, u, gx, gl, gu); return;
    case TR_POSITIVE_ORDERED: tr_ordered_bwd(1, n, u, gx, gl, gu); return;
    case TR_CHOLESKY_CORR: tr_cholcorr_bwd(n, u, x, gx, gl, gu); return;
    case TR_COV_MATRIX: tr_cov_bwd(n, u, gx, gl, gu); return;
    case TR_CORR_MATRIX: tr_corr_bwd(n, u, gx, gl, gu); return;
    }
}

int tr_check(TrKind k, size_t n, const double *x, size_t *bad)
{
    if (k == TR_SIMPLEX) {
        /* Stan's check_simplex: non-negative elements summing to 1 within 1e-8 */
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(x[i] >= 0)) { *bad = i; return -1; }
            sum += x[i];
        }
        if (n == 0 || !(fabs(sum - 1) <= 1e-8)) { *bad = n ? n - 1 : 0; return -1; }
        return 0;
    }
    size_t m = tr_free_size(k, n) + 1;
    double buf[64], *u = m <= 64 ? buf : malloc(m * sizeof *u);
    if (!u) { *bad = 0; return -1; }
    int rc = tr_unconstrain(k, n, x, NULL, NULL, u, bad);
    if (u != buf) free(u);
    return rc;
}
