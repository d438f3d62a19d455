/* Training and sampling of the noise-conditional score network (dsm.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/dsm.h"
#include "runtime/mpi.h"

#define DSM_EMA 0.995            /* averaging over about the last 200 Adam steps */

static void ladder(Dsm *m)
{
    int L = m->c.levels;
    for (int i = 0; i < L; i++)
        m->sigmas[i] = L == 1 ? m->c.sigma_min
                              : m->c.sigma_max * pow(m->c.sigma_min / m->c.sigma_max, (double)i / (L - 1));
}

/* NULL when the batch's buffers would be beyond NN_MAX_PARAMS values or memory runs out. */
static Dsm *alloc_dsm(const DsmConfig *c, int d, int nx)
{
    if (c->batch < 1 || c->levels < 1 || (size_t)d + 1 + (size_t)nx > NN_MAX_PARAMS / (size_t)c->batch) return NULL;
    Dsm *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->c = *c;
    m->d = d;
    m->nx = nx;
    m->nin = d + 1 + nx;
    m->sigmas = calloc((size_t)c->levels, sizeof(double));
    m->zmean = calloc((size_t)d, sizeof(double));
    m->zsd = calloc((size_t)d, sizeof(double));
    m->xmean = calloc((size_t)nx + 1, sizeof(double));
    m->xsd = calloc((size_t)nx + 1, sizeof(double));
    for (int j = 0; j < d; j++) m->zsd[j] = 1;
    for (int j = 0; j < nx; j++) m->xsd[j] = 1;
    size_t B = (size_t)c->batch;
    m->in = calloc(B * (size_t)m->nin, sizeof(double));
    m->eps = calloc(B * (size_t)d, sizeof(double));
    m->dout = calloc(B * (size_t)d, sizeof(double));
    m->w = calloc(B * (size_t)d, sizeof(double));
    m->xs = calloc(B * (size_t)(nx + 1), sizeof(double));
    if (!m->sigmas || !m->zmean || !m->zsd || !m->xmean || !m->xsd || !m->in || !m->eps || !m->dout || !m->w || !m->xs) {
        dsm_free(m);
        return NULL;
    }
    ladder(m);
    return m;
}

static int check_config(const DsmConfig *c, int d, char *err, size_t errlen)
{
    if (d < 1) { snprintf(err, errlen, "dsm: the model has no continuous parameter"); return -1; }
    if (c->levels < 1 || c->hidden < 1 || c->layers < 1 || c->batch < 1 || c->steps < 1) {
        snprintf(err, errlen, "dsm: levels, hidden, layers, batch and steps must be positive");
        return -1;
    }
    if (!(c->sigma_min > 0) || !(c->sigma_max >= c->sigma_min)) {
        snprintf(err, errlen, "dsm: need 0 < sigma-min <= sigma-max");
        return -1;
    }
    if (!(c->step_ratio > 0) || !(c->lr > 0)) { snprintf(err, errlen, "dsm: step-ratio and lr must be positive"); return -1; }
    return 0;
}

Dsm *dsm_new(const DsmConfig *c, int d, int nx, gsl_rng *r, char *err, size_t errlen)
{
    if (check_config(c, d, err, errlen)) return NULL;
    Dsm *m = alloc_dsm(c, d, nx);
    if (!m) {
        snprintf(err, errlen, "dsm: %d parameters and %d summaries in batches of %d are beyond the limit of %zu values",
                 d, nx, c->batch, (size_t)NN_MAX_PARAMS);
        return NULL;
    }
    int sizes[66];
    int L = c->layers + 1;
    if (L > 64) L = 64;
    sizes[0] = m->nin;
    for (int l = 1; l < L; l++) sizes[l] = c->hidden;
    sizes[L] = d;
    if (nn_count_params(L, sizes, c->batch) == 0) {
        snprintf(err, errlen, "dsm: a network of %d hidden layers of width %d (batch %d) for %d inputs and %d outputs "
                 "would have more than %zu parameters or activations: lower --hidden, --layers or --batch",
                 L - 1, c->hidden, c->batch, m->nin, d, (size_t)NN_MAX_PARAMS);
        dsm_free(m);
        return NULL;
    }
    m->net = nn_new(L, sizes, c->batch, r);
    if (!m->net) {
        snprintf(err, errlen, "dsm: out of memory for the network");
        dsm_free(m);
        return NULL;
    }
    return m;
}

void dsm_free(Dsm *m)
{
    if (!m) return;
    nn_free(m->net);
    free(m->sigmas); free(m->zmean); free(m->zsd); free(m->xmean); free(m->xsd);
    free(m->in); free(m->eps); free(m->dout); free(m->w); free(m->xs); free(m->perm);
    free(m->gsum); free(m->gtmp);
    free(m);
}

static void moments(const double *A, long n, int k, double *mean, double *sd)
{
    for (int j = 0; j < k; j++) {
        double s = 0, s2 = 0;
        for (long i = 0; i < n; i++) s += A[(size_t)i * k + j];
        double mu = n ? s / n : 0;
        for (long i = 0; i < n; i++) { double e = A[(size_t)i * k + j] - mu; s2 += e * e; }
        double v = n > 1 ? s2 / (n - 1) : 1;
        mean[j] = mu;
        sd[j] = v > 1e-24 ? sqrt(v) : 1;   /* a constant summary carries no information */
    }
}

void dsm_standardise(Dsm *m, const double *Z, const double *X, long n)
{
    moments(Z, n, m->d, m->zmean, m->zsd);
    moments(X, n, m->nx, m->xmean, m->xsd);
}

/* Network input rows [w + sigma eps, log sigma, x]. */
static void fill_input(Dsm *m, const double *W, const double *Xs, const double *sig, const double *eps, int B)
{
    int d = m->d, nx = m->nx, nin = m->nin;
    for (int i = 0; i < B; i++) {
        double *row = m->in + (size_t)i * nin;
        for (int j = 0; j < d; j++) row[j] = W[(size_t)i * d + j] + (eps ? sig[i] * eps[(size_t)i * d + j] : 0);
        row[d] = log(sig[i]);
        memcpy(row + d + 1, Xs + (size_t)i * nx, sizeof(double) * (size_t)nx);
    }
}

/* The loss of rows of a batch of B rows (their part of the mean). */
static double dsm_loss_rows(Dsm *m, const double *W, const double *Xs, const double *sig, const double *eps, int rows,
                            int B, int grad)
{
    int d = m->d;
    if (rows == 0) return 0;
    fill_input(m, W, Xs, sig, eps, rows);
    const double *o = nn_forward(m->net, m->in, rows);
    double loss = 0;
    for (size_t k = 0; k < (size_t)rows * d; k++) {
        double r = o[k] + eps[k];
        loss += r * r;
        m->dout[k] = 2 * r / B;
    }
    if (grad) nn_backward(m->net, m->dout, rows, NULL);
    return loss / B;
}

double dsm_loss(Dsm *m, const double *W, const double *Xs, const double *sig, const double *eps, int B, int grad)
{
    return dsm_loss_rows(m, W, Xs, sig, eps, B, B, grad);
}

/* This process's rows of the batch, the gradient and loss summed over the processes
 * in rank order (every process then takes the same step). */
static double dsm_loss_parts(Dsm *m, const double *sg, int B)
{
    int d = m->d, nx = m->nx, lo = B * m->part / m->parts, hi = B * (m->part + 1) / m->parts;
    double l = dsm_loss_rows(m, m->w + (size_t)lo * d, m->xs + (size_t)lo * nx, sg + lo, m->eps + (size_t)lo * d,
                             hi - lo, B, 1);
    size_t np = m->net->nparams;
    memcpy(m->gsum, m->net->grad, sizeof(double) * np);
    m->gsum[np] = l;
    mp_sum_ordered(m->gsum, np + 1, m->gtmp);
    memcpy(m->net->grad, m->gsum, sizeof(double) * np);
    return m->gsum[np];
}

double dsm_epoch(Dsm *m, const double *Z, const double *X, long n, double lr, gsl_rng *r)
{
    int d = m->d, nx = m->nx, Bmax = m->c.batch;
    if (m->nperm != n) {
        free(m->perm);
        m->perm = malloc(sizeof(long) * (size_t)(n ? n : 1));
        m->nperm = n;
        for (long i = 0; i < n; i++) m->perm[i] = i;
    }
    gsl_ran_shuffle(r, m->perm, (size_t)n, sizeof(long));
    double tot = 0, sig[4096];
    double *sg = Bmax <= 4096 ? sig : NULL;
    if (!sg) return NAN;
    for (long s = 0; s < n; s += Bmax) {
        int B = (int)(n - s < Bmax ? n - s : Bmax);
        for (int i = 0; i < B; i++) {
            long k = m->perm[s + i];
            for (int j = 0; j < d; j++) {
                m->w[(size_t)i * d + j] = (Z[(size_t)k * d + j] - m->zmean[j]) / m->zsd[j];
                m->eps[(size_t)i * d + j] = gsl_ran_gaussian_ziggurat(r, 1.0);
            }
            for (int j = 0; j < nx; j++) m->xs[(size_t)i * nx + j] = (X[(size_t)k * nx + j] - m->xmean[j]) / m->xsd[j];
            /* log-uniform over [sigma_L, sigma_1]: the ladder's levels and every
             * scale between them, so the net is smooth in sigma */
            sg[i] = m->c.sigma_max * pow(m->c.sigma_min / m->c.sigma_max, gsl_rng_uniform(r));
        }
        nn_zero_grad(m->net);
        tot += (m->parts > 1 ? dsm_loss_parts(m, sg, B) : dsm_loss(m, m->w, m->xs, sg, m->eps, B, 1)) * B;
        nn_adam(m->net, lr);
        nn_ema(m->net, DSM_EMA);
    }
    return n ? tot / n : 0;
}

void dsm_finish(Dsm *m) { nn_use_ema(m->net); }

/* o = sigma s for standardised points w (B rows) and one standardised summary. */
static const double *net_out(Dsm *m, const double *w, const double *xs, double sigma, int B)
{
    int d = m->d, nin = m->nin;
    for (int i = 0; i < B; i++) {
        double *row = m->in + (size_t)i * nin;
        memcpy(row, w + (size_t)i * d, sizeof(double) * (size_t)d);
        row[d] = log(sigma);
        memcpy(row + d + 1, xs, sizeof(double) * (size_t)m->nx);
    }
    return nn_forward(m->net, m->in, B);
}

static void std_summary(const Dsm *m, const double *x, double *xs)
{
    for (int j = 0; j < m->nx; j++) xs[j] = (x[j] - m->xmean[j]) / m->xsd[j];
}

void dsm_score(Dsm *m, const double *Z, const double *x, double sigma, int B, double *out)
{
    int d = m->d;
    double *xs = m->xs;
    std_summary(m, x, xs);
    for (int s = 0; s < B; s += m->c.batch) {
        int b = B - s < m->c.batch ? B - s : m->c.batch;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < d; j++) m->w[(size_t)i * d + j] = (Z[(size_t)(s + i) * d + j] - m->zmean[j]) / m->zsd[j];
        const double *o = net_out(m, m->w, xs, sigma, b);
        /* d/dz = (1/zsd) d/dw */
        for (int i = 0; i < b; i++)
            for (int j = 0; j < d; j++) out[(size_t)(s + i) * d + j] = o[(size_t)i * d + j] / sigma / m->zsd[j];
    }
}

/* The smallest per-coordinate sd over B chains (rows of w). */
static double chains_sd(const double *w, int B, int d)
{
    double best = INFINITY;
    for (int j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < B; i++) s += w[(size_t)i * d + j];
        double mu = s / B;
        for (int i = 0; i < B; i++) { double e = w[(size_t)i * d + j] - mu; s2 += e * e; }
        double sd = B > 1 ? sqrt(s2 / (B - 1)) : 0;
        if (sd < best) best = sd;
    }
    return best;
}

void dsm_sample(Dsm *m, const double *x, long n, gsl_rng *r, double *out)
{
    int d = m->d, Bmax = m->c.batch, L = m->c.levels;
    double *xs = m->xs;
    std_summary(m, x, xs);
    for (long s = 0; s < n; s += Bmax) {
        int B = (int)(n - s < Bmax ? n - s : Bmax);
        double *w = m->w;
        /* x_0 ~ N(0, sigma_1^2 I) around the prior's centre */
        for (size_t k = 0; k < (size_t)B * d; k++) w[k] = m->sigmas[0] * gsl_ran_gaussian_ziggurat(r, 1.0);
        for (int i = 0; i < L; i++) {
            /* alpha_i = r * (the chains' smallest variance): Song & Ermon's
             * alpha_i = eps sigma_i^2 / sigma_L^2 while sigma_i dominates the spread,
             * and steps that still mix in about 1/r iterations once the posterior's
             * own spread does (sigma_i < posterior sd), where theirs would stall */
            double sg = m->sigmas[i], sd = chains_sd(w, B, d);
            double a = m->c.step_ratio * sd * sd, sq = sqrt(a);
            for (int t = 0; t < m->c.steps; t++) {
                const double *o = net_out(m, w, xs, sg, B);
                for (size_t k = 0; k < (size_t)B * d; k++)
                    w[k] += 0.5 * a * o[k] / sg + sq * gsl_ran_gaussian_ziggurat(r, 1.0);
            }
            if (m->c.stop > 0 && (i == L - 1 || sg <= m->c.stop * chains_sd(w, B, d))) {
                const double *o = net_out(m, w, xs, sg, B);   /* half a Tweedie step */
                for (size_t k = 0; k < (size_t)B * d; k++) w[k] += 0.5 * sg * o[k];
                break;
            }
        }
        for (int i = 0; i < B; i++)
            for (int j = 0; j < d; j++) out[(size_t)(s + i) * d + j] = m->zmean[j] + m->zsd[j] * w[(size_t)i * d + j];
    }
}

int dsm_save(const Dsm *m, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) { snprintf(err, errlen, "cannot write '%s'", path); return -1; }
    fprintf(f, "vmod-dsm 1 %d %d %d\n", m->d, m->nx, m->c.levels);
    for (int i = 0; i < m->c.levels; i++) fprintf(f, "%.17g\n", m->sigmas[i]);
    for (int j = 0; j < m->d; j++) fprintf(f, "%.17g %.17g\n", m->zmean[j], m->zsd[j]);
    for (int j = 0; j < m->nx; j++) fprintf(f, "%.17g %.17g\n", m->xmean[j], m->xsd[j]);
    nn_write(m->net, f);
    int bad = ferror(f);
    if (fclose(f) || bad) { snprintf(err, errlen, "cannot write '%s'", path); return -1; }
    return 0;
}

Dsm *dsm_load(const char *path, const DsmConfig *c, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "cannot open '%s'", path); return NULL; }
    int ver, d, nx, L;
    if (fscanf(f, " vmod-dsm %d %d %d %d", &ver, &d, &nx, &L) != 4 || ver != 1 || d < 1 || nx < 0 || L < 1 ||
        d > 1000000 || nx > 1000000 || L > 100000) {
        snprintf(err, errlen, "'%s' is not a vmod score network", path);
        fclose(f);
        return NULL;
    }
    DsmConfig cc = *c;
    cc.levels = L;
    Dsm *m = alloc_dsm(&cc, d, nx);
    if (!m) {
        snprintf(err, errlen, "'%s': %d parameters and %d summaries in batches of %d are beyond the limit of %zu values",
                 path, d, nx, cc.batch, (size_t)NN_MAX_PARAMS);
        fclose(f);
        return NULL;
    }
    int ok = 1;
    for (int i = 0; i < L && ok; i++) ok = fscanf(f, "%lf", &m->sigmas[i]) == 1;
    for (int j = 0; j < d && ok; j++) ok = fscanf(f, "%lf %lf", &m->zmean[j], &m->zsd[j]) == 2;
    for (int j = 0; j < nx && ok; j++) ok = fscanf(f, "%lf %lf", &m->xmean[j], &m->xsd[j]) == 2;
    if (ok) m->net = nn_read(f, cc.batch, err, errlen);
    fclose(f);
    if (!ok || !m->net) {
        if (!ok) snprintf(err, errlen, "'%s': truncated score network", path);
        dsm_free(m);
        return NULL;
    }
    if (m->net->sizes[0] != m->nin || m->net->sizes[m->net->nlayers] != d) {
        snprintf(err, errlen, "'%s': the network's sizes do not match its header", path);
        dsm_free(m);
        return NULL;
    }
    m->c.sigma_max = m->sigmas[0];
    m->c.sigma_min = m->sigmas[L - 1];
    return m;
}
