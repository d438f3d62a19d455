/* summary_stats: the diagnostics of Vehtari et al. (2021), "Rank-normalization,
 * folding, and localization: an improved R-hat", following the reference code of
 * the `posterior` R package (rhat_basic, ess_basic, ess_quantile) and Stan's
 * compute_effective_sample_size (Geyer's initial positive and initial monotone
 * sequences).  Autocovariances are computed by FFT (GSL radix-2, zero-padded). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_complex.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "runtime/summary.h"

/* Split every chain in two halves (dropping the middle draw when n is odd):
 * m = 2*chains chains of h = n/2 draws, chain-major. */
static void sum_split(const double *x, int chains, long n, double *out, long *h)
{
    long half = n / 2;
    long off2 = n - half;   /* start of the second half */
    for (int c = 0; c < chains; c++) {
        memcpy(out + (2 * c) * half, x + c * n, (size_t)half * sizeof *x);
        memcpy(out + (2 * c + 1) * half, x + c * n + off2, (size_t)half * sizeof *x);
    }
    *h = half;
}

static int sum_constant(const double *x, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (x[i] != x[0])
            return 0;
    return 1;
}

/* Biased autocovariance acov[0..n-1] of one chain (divisor n), by FFT. */
static int sum_autocov(const double *x, long n, double *acov, double *work, size_t nfft)
{
    double mean = gsl_stats_mean(x, 1, (size_t)n);
    memset(work, 0, 2 * nfft * sizeof *work);
    for (long i = 0; i < n; i++)
        work[2 * i] = x[i] - mean;
    if (gsl_fft_complex_radix2_forward(work, 1, nfft) != GSL_SUCCESS)
        return -1;
    for (size_t k = 0; k < nfft; k++) {
        double re = work[2 * k], im = work[2 * k + 1];
        work[2 * k] = re * re + im * im;
        work[2 * k + 1] = 0;
    }
    if (gsl_fft_complex_radix2_inverse(work, 1, nfft) != GSL_SUCCESS)
        return -1;
    for (long t = 0; t < n; t++)
        acov[t] = work[2 * t] / (double)n;
    return 0;
}

/* ESS of m chains of n draws each (chain-major), Stan's estimator. */
static double sum_ess(const double *x, int m, long n)
{
    if (n < 3 || sum_constant(x, (size_t)m * (size_t)n))
        return NAN;
    size_t nfft = 1;
    while (nfft < 2 * (size_t)n)
        nfft <<= 1;
    double *acov = malloc((size_t)m * (size_t)n * sizeof *acov);
    double *work = malloc(2 * nfft * sizeof *work);
    double *rho = malloc((size_t)(n + 1) * sizeof *rho);
    double *cmean = malloc((size_t)m * sizeof *cmean);
    double ess = NAN;
    if (!acov || !work || !rho || !cmean)
        goto out;
    double mean_var = 0;
    for (int c = 0; c < m; c++) {
        if (sum_autocov(x + c * n, n, acov + c * n, work, nfft) != 0)
            goto out;
        cmean[c] = gsl_stats_mean(x + c * n, 1, (size_t)n);
        mean_var += acov[c * n] * n / (n - 1.0);
    }
    mean_var /= m;
    double var_plus = mean_var * (n - 1.0) / n;
    if (m > 1)
        var_plus += gsl_stats_variance(cmean, 1, (size_t)m);
    if (!(var_plus > 0))
        goto out;
#define ACOV_MEAN(t) ({ double s_ = 0; for (int c_ = 0; c_ < m; c_++) s_ += acov[c_ * n + (t)]; s_ / m; })
    memset(rho, 0, (size_t)(n + 1) * sizeof *rho);
    long t = 0;
    double even = 1, odd = 1 - (mean_var - ACOV_MEAN(1)) / var_plus;
    rho[0] = even;
    rho[1] = odd;
    /* Geyer's initial positive sequence: sum pairs while they stay positive. */
    while (t < n - 5 && !isnan(even + odd) && even + odd > 0) {
        t += 2;
        even = 1 - (mean_var - ACOV_MEAN(t)) / var_plus;
        odd = 1 - (mean_var - ACOV_MEAN(t + 1)) / var_plus;
        if (even + odd >= 0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
#undef ACOV_MEAN
    long max_t = t;
    if (even > 0)
        rho[max_t] = even;   /* used by the improved estimate below */
    /* Geyer's initial monotone sequence. */
    for (t = 2; t <= max_t - 2; t += 2) {
        if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
            rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
            rho[t + 1] = rho[t];
        }
    }
    double total = (double)m * (double)n;
    double tau = -1;
    for (t = 0; t < max_t; t++)
        tau += 2 * rho[t];
    tau += rho[max_t];
    /* The antithetic case: cap the ESS at S * log10(S). */
    if (tau < 1 / log10(total))
        tau = 1 / log10(total);
    ess = total / tau;
out:
    free(acov);
    free(work);
    free(rho);
    free(cmean);
    return ess;
}

/* Split-Rhat of m chains of n draws (posterior's rhat_basic without the split). */
static double sum_rhat(const double *x, int m, long n)
{
    if (n < 2 || sum_constant(x, (size_t)m * (size_t)n))
        return NAN;
    double *cmean = malloc((size_t)m * sizeof *cmean);
    double *cvar = malloc((size_t)m * sizeof *cvar);
    double r = NAN;
    if (cmean && cvar) {
        for (int c = 0; c < m; c++) {
            cmean[c] = gsl_stats_mean(x + c * n, 1, (size_t)n);
            cvar[c] = gsl_stats_variance_m(x + c * n, 1, (size_t)n, cmean[c]);
        }
        double between = m > 1 ? n * gsl_stats_variance(cmean, 1, (size_t)m) : 0;
        double within = gsl_stats_mean(cvar, 1, (size_t)m);
        r = sqrt((between / within + n - 1) / n);
    }
    free(cmean);
    free(cvar);
    return r;
}

typedef struct { double v; size_t i; } SumRank;

static int sum_rank_cmp(const void *a, const void *b)
{
    double x = ((const SumRank *)a)->v, y = ((const SumRank *)b)->v;
    return (x > y) - (x < y);
}

/* Rank normalisation in place: z = Phi^-1((r - 3/8) / (S + 1/4)), with average ranks
 * for ties (Blom's offsets, as in the paper). */
static int sum_znorm(double *x, size_t len)
{
    SumRank *r = malloc(len * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < len; i++)
        r[i] = (SumRank){x[i], i};
    qsort(r, len, sizeof *r, sum_rank_cmp);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j + 1 < len && r[j + 1].v == r[i].v)
            j++;
        double rank = (i + j) / 2.0 + 1;   /* average of the 1-based ranks i+1..j+1 */
        double z = gsl_cdf_ugaussian_Pinv((rank - 0.375) / (len + 0.25));
        for (size_t k = i; k <= j; k++)
            x[r[k].i] = z;
        i = j + 1;
    }
    free(r);
    return 0;
}

static void sum_nan(SumStats *o)
{
    o->mean = o->sd = o->mcse = o->q5 = o->q50 = o->q95 = NAN;
    o->ess_bulk = o->ess_tail = o->rhat = NAN;
}

void summary_stats(const double *draws, int chains, long n, SumStats *out)
{
    sum_nan(out);
    size_t total = (size_t)chains * (size_t)(n > 0 ? n : 0);
    if (chains <= 0 || n <= 0)
        return;
    for (size_t i = 0; i < total; i++)
        if (!isfinite(draws[i]))
            return;
    double *sorted = malloc(total * sizeof *sorted);
    double *split = malloc(total * sizeof *split);
    double *tmp = malloc(total * sizeof *tmp);
    if (!sorted || !split || !tmp)
        goto out;
    memcpy(sorted, draws, total * sizeof *sorted);
    gsl_sort(sorted, 1, total);
    out->mean = gsl_stats_mean(draws, 1, total);
    out->sd = total > 1 ? gsl_stats_sd_m(draws, 1, total, out->mean) : NAN;
    out->q5 = gsl_stats_quantile_from_sorted_data(sorted, 1, total, 0.05);
    out->q50 = gsl_stats_quantile_from_sorted_data(sorted, 1, total, 0.5);
    out->q95 = gsl_stats_quantile_from_sorted_data(sorted, 1, total, 0.95);
    if (n < 4)
        goto out;
    long h;
    int m = 2 * chains;
    sum_split(draws, chains, n, split, &h);
    size_t sl = (size_t)m * (size_t)h;

    double ess_mean = sum_ess(split, m, h);
    out->mcse = out->sd / sqrt(ess_mean);

    /* Bulk: rank-normalised split chains. */
    memcpy(tmp, split, sl * sizeof *tmp);
    if (sum_znorm(tmp, sl) != 0)
        goto out;
    out->ess_bulk = sum_ess(tmp, m, h);
    double rhat_bulk = sum_rhat(tmp, m, h);

    /* Tail: folded around the median, then rank-normalised. */
    for (size_t i = 0; i < sl; i++)
        tmp[i] = fabs(split[i] - out->q50);
    if (sum_znorm(tmp, sl) != 0)
        goto out;
    double rhat_tail = sum_rhat(tmp, m, h);
    out->rhat = isnan(rhat_bulk) || isnan(rhat_tail) ? NAN : fmax(rhat_bulk, rhat_tail);

    /* Tail ESS: the smaller ESS of the split indicators of the 5% and 95% quantiles
     * of all draws (as posterior's ess_quantile does). */
    double qs[2] = {out->q5, out->q95};
    double tail = INFINITY;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sl; i++)
            tmp[i] = split[i] <= qs[k];
        double e = sum_ess(tmp, m, h);
        tail = isnan(e) || isnan(tail) ? NAN : fmin(tail, e);
    }
    out->ess_tail = tail;
out:
    free(sorted);
    free(split);
    free(tmp);
}
