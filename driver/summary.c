/* Posterior summaries, transcribed from R's posterior 1.4 (R/convergence.R:
 * rhat, ess_bulk, ess_tail, ess_mean, .ess, .rhat, z_scale, .split_chains) so that
 * vrun's table matches summarise_draws() to rounding.  The autocovariance is computed
 * directly for the first lags, which is all that Geyer's truncation needs for chains
 * that mix, and by one FFT (as posterior does) when the sequence runs longer. */
#include "driver/summary.h"
#include "driver/radix.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

/* Lags computed directly before switching to one FFT for all lags: well-mixing
 * chains truncate Geyer's sequence within a few lags, stuck ones need up to n. */
#define SUM_DIRECT_LAGS 32

typedef RadixPair SumPair;

struct SumWork {
    int chains;
    size_t ndraws, total;
    double *x;       /* the column, contiguous chain-major */
    double *sorted;  /* sorted copy, for quantiles and the median */
    double *m;       /* a split matrix (2 chains per chain), normalised in place */
    SumPair *pairs;  /* (value, position) for ranking */
    SumPair *ptmp;   /* the radix sorts' other buffer (radix.h) */
    int *cst;        /* per split chain: all draws equal */
    double *rho;     /* autocorrelations for Geyer's sequence */
    double *cm;      /* chain means of a split matrix */
    double *acm;     /* mean autocovariance at every lag, from the FFT */
    size_t fft_n;    /* padded length 2 nextn(n) for the half-chain length n */
    double *fft;
    gsl_fft_real_wavetable *rwt;
    gsl_fft_halfcomplex_wavetable *hwt;
    gsl_fft_real_workspace *fws;
};

/* R's nextn(): the smallest integer >= n whose only prime factors are 2, 3 and 5. */
static size_t sum_nextn(size_t n)
{
    for (;; n++) {
        size_t m = n;
        while (m % 2 == 0) m /= 2;
        while (m % 3 == 0) m /= 3;
        while (m % 5 == 0) m /= 5;
        if (m == 1) return n;
    }
}

SumWork *sum_work_new(int chains, size_t ndraws)
{
    /* NULL for an empty shape too: sum_column then reports no draws */
    if (chains < 1 || ndraws < 1) return NULL;
    SumWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t tot = (size_t)chains * ndraws;
    w->chains = chains;
    w->ndraws = ndraws;
    w->total = tot;
    w->x = malloc(tot * sizeof *w->x);
    w->sorted = malloc(tot * sizeof *w->sorted);
    w->m = malloc(tot * sizeof *w->m);
    w->pairs = malloc(tot * sizeof *w->pairs);
    w->ptmp = malloc(tot * sizeof *w->ptmp);
    w->cst = malloc(2 * (size_t)chains * sizeof *w->cst);
    w->rho = malloc((ndraws + 2) * sizeof *w->rho);
    w->cm = malloc(2 * (size_t)chains * sizeof *w->cm);
    size_t half = ndraws > 1 ? ndraws / 2 : 1;
    w->fft_n = 2 * sum_nextn(half);
    w->acm = malloc(half * sizeof *w->acm);
    w->fft = malloc(w->fft_n * sizeof *w->fft);
    w->rwt = gsl_fft_real_wavetable_alloc(w->fft_n);
    w->hwt = gsl_fft_halfcomplex_wavetable_alloc(w->fft_n);
    w->fws = gsl_fft_real_workspace_alloc(w->fft_n);
    if (!w->acm || !w->fft || !w->rwt || !w->hwt || !w->fws || !w->x || !w->sorted || !w->m || !w->pairs || !w->ptmp || !w->cst || !w->rho || !w->cm) {
        sum_work_free(w);
        return NULL;
    }
    return w;
}

void sum_work_free(SumWork *w)
{
    if (!w) return;
    free(w->x);
    free(w->sorted);
    free(w->m);
    free(w->pairs);
    free(w->ptmp);
    free(w->cst);
    free(w->rho);
    free(w->cm);
    free(w->acm);
    free(w->fft);
    if (w->rwt) gsl_fft_real_wavetable_free(w->rwt);
    if (w->hwt) gsl_fft_halfcomplex_wavetable_free(w->hwt);
    if (w->fws) gsl_fft_real_workspace_free(w->fws);
    free(w);
}

/* ---- R's basic statistics ---- */

/* R's mean(): long double sum, then one correction pass. */
static double sum_mean(const double *x, size_t n)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    s /= (long double)n;
    if (isfinite((double)s)) {
        long double t = 0;
        for (size_t i = 0; i < n; i++) t += x[i] - s;
        s += t / (long double)n;
    }
    return (double)s;
}

/* R's var(): unbiased, about the mean; NaN for n < 2 (R: NA). */
static double sum_var(const double *x, size_t n)
{
    if (n < 2) return NAN;
    double m = sum_mean(x, n);
    long double s = 0;
    for (size_t i = 0; i < n; i++) s += ((long double)x[i] - m) * ((long double)x[i] - m);
    return (double)(s / (long double)(n - 1));
}

/* quantile(x, p, type = 7) on sorted data, including R's rule that an equal
 * neighbour is taken as is (so Inf stays Inf rather than becoming NaN). */
static double sum_quantile7(const double *s, size_t n, double p)
{
    double index = 1.0 + (double)(n - 1) * p;
    double lo = floor(index), hi = ceil(index);
    double qs = s[(size_t)lo - 1], xh = s[(size_t)hi - 1];
    if (index > lo && xh != qs) {
        double h = index - lo;
        qs = (1 - h) * qs + h * xh;
    }
    return qs;
}

/* R's median(): the middle value, or mean() of the two middle values. */
static double sum_median(const double *s, size_t n)
{
    if (n % 2) return s[n / 2];
    double two[2] = {s[n / 2 - 1], s[n / 2]};
    return sum_mean(two, 2);
}

/* should_return_NA(): any NA or infinite value, or max - min < machine epsilon. */
static int sum_return_na(const double *x, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return 1;
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    return fabs(hi - lo) < DBL_EPSILON;
}

/* ---- split chains and rank normalisation ---- */

/* .split_chains(): each chain's first floor(N/2) and last floor(N/2) draws become
 * two chains (the middle draw of an odd N is dropped); N == 1 is left unsplit.
 * Reads w->x (or |x - centre| when fold), writes w->m; returns the new chain count
 * and sets *len to the draws per new chain. */
static int sum_split(SumWork *w, int fold, double centre, size_t *len)
{
    size_t N = w->ndraws;
    if (N == 1) {
        for (size_t i = 0; i < w->total; i++) w->m[i] = fold ? fabs(w->x[i] - centre) : w->x[i];
        *len = 1;
        return w->chains;
    }
    size_t h = N / 2, k = 0;
    for (int c = 0; c < w->chains; c++) {
        const double *xc = w->x + (size_t)c * N;
        for (int part = 0; part < 2; part++) {
            const double *src = xc + (part ? N - h : 0);
            for (size_t i = 0; i < h; i++, k++) w->m[k] = fold ? fabs(src[i] - centre) : src[i];
        }
    }
    *len = h;
    return 2 * w->chains;
}

/* z_scale(): qnorm((r - 3/8) / (S + 1/4)) of the average ranks r, in place. */
static void sum_z_scale(SumWork *w, double *m, size_t S)
{
    SumPair *p = w->pairs;
    for (size_t i = 0; i < S; i++) p[i] = (SumPair){m[i], i};
    radix_pairs(p, S, w->ptmp);   /* by value, then position: p was filled in order of i */
    for (size_t a = 0; a < S;) {
        size_t b = a;
        while (b + 1 < S && p[b + 1].v == p[a].v) b++;
        double rank = 0.5 * ((double)(a + 1) + (double)(b + 1));
        for (size_t k = a; k <= b; k++) m[p[k].i] = rank;
        a = b + 1;
    }
    double c = 3.0 / 8.0;
    for (size_t i = 0; i < S; i++) m[i] = gsl_cdf_ugaussian_Pinv((m[i] - c) / ((double)S - 2 * c + 1));
}

/* ---- R-hat and ESS of a (chains x n) matrix, chain-major ---- */

/* .rhat(): sqrt((B/W + n - 1) / n), B = n var(chain means), W = mean chain variance. */
static double sum_rhat(SumWork *w, const double *m, int M, size_t n)
{
    if (sum_return_na(m, (size_t)M * n)) return NAN;
    double wsum = 0;
    for (int c = 0; c < M; c++) {
        w->cm[c] = sum_mean(m + (size_t)c * n, n);
        wsum += sum_var(m + (size_t)c * n, n);
    }
    double B = (double)n * sum_var(w->cm, (size_t)M), W = wsum / M;
    return sqrt((B / W + (double)n - 1) / (double)n);
}

/* Mean over chains of the biased autocovariance at lag t (posterior's
 * autocovariance(): zero for a constant chain). */
static double sum_acov(const double *m, const double *cm, const int *constant, int M, size_t n, size_t t)
{
    double s = 0;
    for (int c = 0; c < M; c++) {
        if (constant[c]) continue;
        const double *y = m + (size_t)c * n;
        double mu = cm[c], a = 0;
        for (size_t i = 0; i + t < n; i++) a += (y[i] - mu) * (y[i + t] - mu);
        s += a / (double)n;
    }
    return s / M;
}

/* All lags at once, as posterior's autocovariance(): zero-pad each centred chain to
 * 2 nextn(n), inverse transform of |F|^2.  Fills w->acm[0..n-1] with the mean over
 * chains of sum_i y_i y_{i+t} / n.  Returns -1 if GSL refuses. */
static int sum_acov_fft(SumWork *w, const double *m, const int *constant, int M, size_t n)
{
    size_t L = w->fft_n;
    if (L < 2 * n) return -1;
    for (size_t t = 0; t < n; t++) w->acm[t] = 0;
    for (int c = 0; c < M; c++) {
        if (constant[c]) continue;
        const double *y = m + (size_t)c * n;
        double *f = w->fft;
        for (size_t i = 0; i < n; i++) f[i] = y[i] - w->cm[c];
        for (size_t i = n; i < L; i++) f[i] = 0;
        if (gsl_fft_real_transform(f, 1, L, w->rwt, w->fws)) return -1;
        /* halfcomplex: f[0] real, (f[2k-1], f[2k]) = F_k, f[L-1] = F_{L/2} (L even) */
        f[0] *= f[0];
        for (size_t k = 1; 2 * k < L; k++) {
            f[2 * k - 1] = f[2 * k - 1] * f[2 * k - 1] + f[2 * k] * f[2 * k];
            f[2 * k] = 0;
        }
        f[L - 1] *= f[L - 1];
        if (gsl_fft_halfcomplex_inverse(f, 1, L, w->hwt, w->fws)) return -1;
        for (size_t t = 0; t < n; t++) w->acm[t] += f[t] / (double)n;
    }
    for (size_t t = 0; t < n; t++) w->acm[t] /= M;
    return 0;
}

/* Mean autocovariance at lag t: directly for short lags, then from one FFT. */
static double sum_acov_at(SumWork *w, const double *m, const int *constant, int M, size_t n,
                          size_t t, int *have_fft)
{
    if (t < SUM_DIRECT_LAGS) return sum_acov(m, w->cm, constant, M, n, t);
    if (!*have_fft) *have_fft = sum_acov_fft(w, m, constant, M, n) == 0 ? 1 : -1;
    return *have_fft > 0 ? w->acm[t] : sum_acov(m, w->cm, constant, M, n, t);
}

/* .ess(): Geyer's initial positive and monotone sequence on the chains' averaged
 * autocorrelations, combined as in Vehtari et al. (2021) eq. 10; capped below at
 * tau = 1/log10(S).  Indices are posterior's minus one. */
static double sum_ess(SumWork *w, const double *m, int M, size_t n, unsigned *flags)
{
    if (n < 3) { *flags |= SUM_F_FEW_DRAWS; return NAN; }
    if (sum_return_na(m, (size_t)M * n)) return NAN;
    int *constant = w->cst;
    for (int c = 0; c < M; c++) {
        const double *y = m + (size_t)c * n;
        w->cm[c] = sum_mean(y, n);
        constant[c] = 1;
        for (size_t i = 1; i < n && constant[c]; i++) constant[c] = y[i] == y[0];
    }
    double mean_var = sum_acov(m, w->cm, constant, M, n, 0) * (double)n / (double)(n - 1);
    double var_plus = mean_var * (double)(n - 1) / (double)n;
    if (M > 1) var_plus += sum_var(w->cm, (size_t)M);
    double *rho = w->rho;
    for (size_t i = 0; i < n; i++) rho[i] = 0;
    size_t t = 0;
    int have_fft = 0;
    double even = 1, odd = 1 - (mean_var - sum_acov(m, w->cm, constant, M, n, 1)) / var_plus;
    rho[0] = even;
    rho[1] = odd;
    while ((double)t < (double)n - 5 && !isnan(even + odd) && even + odd > 0) {
        t += 2;
        even = 1 - (mean_var - sum_acov_at(w, m, constant, M, n, t, &have_fft)) / var_plus;
        odd = 1 - (mean_var - sum_acov_at(w, m, constant, M, n, t + 1, &have_fft)) / var_plus;
        if (even + odd >= 0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
    size_t max_t = t;
    if (even > 0) rho[max_t] = even;
    for (t = 0; t + 4 <= max_t;) {
        t += 2;
        if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
            rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
            rho[t + 1] = rho[t];
        }
    }
    double S = (double)M * (double)n, sum = 0;
    /* R's rho_hat_t[1:max_t] is rho_hat_t[1] alone when max_t is 0 */
    for (size_t i = 0; i < (max_t ? max_t : 1); i++) sum += rho[i];
    double tau = -1 + 2 * sum + rho[max_t];
    double bound = 1 / log10(S);
    if (tau < bound) {
        *flags |= SUM_F_ESS_CAPPED;
        tau = bound;
    }
    return S / tau;
}

/* ---- one column ---- */

static void sum_all_nan(SumStats *o)
{
    o->mean = o->sd = o->mcse_mean = o->q5 = o->q50 = o->q95 = NAN;
    o->ess_bulk = o->ess_tail = o->rhat = NAN;
}

/* ess_tail(): min over p = 0.05, 0.95 of the ESS of the split indicator x <= q_p. */
static double sum_ess_tail(SumWork *w, const double q[2], unsigned *flags)
{
    if (sum_return_na(w->x, w->total)) return NAN;
    double best = INFINITY;
    for (int k = 0; k < 2; k++) {
        size_t len;
        int M = sum_split(w, 0, 0, &len);
        for (size_t i = 0; i < (size_t)M * len; i++) w->m[i] = w->m[i] <= q[k] ? 1.0 : 0.0;
        if (len >= 3 && sum_return_na(w->m, (size_t)M * len)) *flags |= SUM_F_TAIL_DEGEN;
        double e = sum_ess(w, w->m, M, len, flags);
        if (isnan(e)) return NAN;   /* R's min() with an NA */
        if (e < best) best = e;
    }
    return best;
}

void sum_column(SumWork *w, const double *draws, size_t stride, SumStats *o)
{
    size_t N = w ? w->total : 0;
    unsigned flags = 0;
    int has_nan = 0;
    for (size_t i = 0; i < N; i++) {
        double v = draws[i * stride];
        w->x[i] = v;
        if (!isfinite(v)) flags |= SUM_F_NONFINITE;
        if (isnan(v)) has_nan = 1;
    }
    if (N == 0) {    /* no draws (an interrupt before the first): nothing to summarise */
        sum_all_nan(o);
        o->flags = SUM_F_FEW_DRAWS;
        return;
    }
    if (has_nan) {   /* posterior: NA everywhere (mean is NA too) */
        sum_all_nan(o);
        o->flags = flags | SUM_F_NAN;
        return;
    }
    o->mean = sum_mean(w->x, N);
    o->sd = sqrt(sum_var(w->x, N));
    memcpy(w->sorted, w->x, N * sizeof *w->x);
    radix_doubles(w->sorted, N, (double *)w->ptmp);
    o->q5 = sum_quantile7(w->sorted, N, 0.05);
    o->q50 = sum_quantile7(w->sorted, N, 0.5);
    o->q95 = sum_quantile7(w->sorted, N, 0.95);
    double median = sum_median(w->sorted, N);
    if (sum_return_na(w->x, N) && !(flags & SUM_F_NONFINITE)) flags |= SUM_F_CONSTANT;

    size_t len;
    int M = sum_split(w, 0, 0, &len);
    o->mcse_mean = o->sd / sqrt(sum_ess(w, w->m, M, len, &flags));   /* ess_mean() */
    sum_z_scale(w, w->m, (size_t)M * len);
    o->ess_bulk = sum_ess(w, w->m, M, len, &flags);
    double rb = sum_rhat(w, w->m, M, len);
    M = sum_split(w, 1, median, &len);
    sum_z_scale(w, w->m, (size_t)M * len);
    double rt = sum_rhat(w, w->m, M, len);
    o->rhat = isnan(rb) || isnan(rt) ? NAN : fmax(rb, rt);
    double q[2] = {o->q5, o->q95};
    o->ess_tail = sum_ess_tail(w, q, &flags);

    /* A rank-normalised set can be constant while the draws are not (e.g. N == 1). */
    double all[] = {o->mean, o->sd, o->mcse_mean, o->q5, o->q50, o->q95, o->ess_bulk, o->ess_tail, o->rhat};
    int any_nan = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) any_nan |= isnan(all[i]);
    if (any_nan && !(flags & (SUM_F_NONFINITE | SUM_F_CONSTANT | SUM_F_FEW_DRAWS | SUM_F_TAIL_DEGEN)))
        flags |= SUM_F_UNDEFINED;
    o->flags = flags;
}

int sum_compute(const double *draws, int chains, size_t ndraws, size_t stride, SumStats *out)
{
    SumWork *w = sum_work_new(chains, ndraws);
    if (!w && chains >= 1 && ndraws >= 1) return -1;
    sum_column(w, draws, stride, out);     /* no draws: every statistic NaN, flagged */
    sum_work_free(w);
    return 0;
}

/* ORDER SUM_F_: one message per flag bit. */
static const char *const sum_texts[SUM_NFLAGS] = {
    "some draws are infinite or NaN",
    "some draws are NaN, so every statistic is undefined",
    "all draws are equal, so R-hat, ESS and MCSE are undefined",
    "too few draws (fewer than 3 per half chain) for ESS",
    "a tail indicator is constant, so tail ESS is undefined",
    "ESS was capped at S*log10(S): the draws look anticorrelated",
    "a statistic is undefined for these draws",
};

const char *sum_flag_text(unsigned flag)
{
    for (int i = 0; i < SUM_NFLAGS; i++)
        if (flag == (1u << i)) return sum_texts[i];
    return "unknown summary flag";
}

size_t sum_flags_describe(unsigned flags, char *buf, size_t len)
{
    size_t need = 0;
    if (len) buf[0] = '\0';
    for (int i = 0; i < SUM_NFLAGS; i++) {
        if (!(flags & (1u << i))) continue;
        /* NaN implies non-finite: say only the stronger one */
        if (i == 0 && (flags & SUM_F_NAN)) continue;
        const char *sep = need ? "; " : "";
        int k = snprintf(len > need ? buf + need : NULL, len > need ? len - need : 0, "%s%s", sep, sum_texts[i]);
        if (k > 0) need += (size_t)k;
    }
    return need;
}

/* One cell: NA for NaN, 2 decimals in the usual range, else 3 significant digits. */
static void sum_cell(FILE *out, int width, double v, int integer)
{
    if (isnan(v)) fprintf(out, " %*s", width, "NA");
    else if (isinf(v)) fprintf(out, " %*s", width, v > 0 ? "Inf" : "-Inf");
    else if (integer) fprintf(out, " %*.0f", width, v);
    else if (v != 0 && (fabs(v) >= 1e5 || fabs(v) < 0.01)) fprintf(out, " %*.2e", width, v);
    else fprintf(out, " %*.2f", width, v);
}

size_t sum_write_table(FILE *out, size_t n, const char *const *names, const SumStats *st)
{
    int nw = 8;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(names[i]);
        if (l > nw) nw = l;
    }
    fprintf(out, "%-*s %8s %8s %8s %8s %8s %8s %9s %9s %6s\n", nw, "", "mean", "sd", "mcse", "5%",
            "50%", "95%", "ess_bulk", "ess_tail", "rhat");
    for (size_t i = 0; i < n; i++) {
        const SumStats *s = &st[i];
        fprintf(out, "%-*s", nw, names[i]);
        sum_cell(out, 8, s->mean, 0);
        sum_cell(out, 8, s->sd, 0);
        sum_cell(out, 8, s->mcse_mean, 0);
        sum_cell(out, 8, s->q5, 0);
        sum_cell(out, 8, s->q50, 0);
        sum_cell(out, 8, s->q95, 0);
        sum_cell(out, 9, s->ess_bulk, 1);
        sum_cell(out, 9, s->ess_tail, 1);
        sum_cell(out, 6, s->rhat, 0);
        fputc('\n', out);
    }
    size_t notes = 0;
    for (size_t i = 0; i < n; i++) {
        if (!st[i].flags) continue;
        char buf[512];
        sum_flags_describe(st[i].flags, buf, sizeof buf);
        fprintf(out, "%s%s: %s\n", notes ? "" : "\n", names[i], buf);
        notes++;
    }
    return notes;
}
