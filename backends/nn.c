/* Dense layers, SiLU, Adam (nn.h).  Products: Z = A W^T, dW += dZ^T A, dA = dZ W. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "backends/nn.h"

/* SiLU (Elfwing et al. 2018): smooth, non-monotone, unbounded above. */
static inline double silu(double x) { return x / (1 + exp(-x)); }
static inline double silu_d(double x)
{
    double s = 1 / (1 + exp(-x));
    return s * (1 + x * (1 - s));
}

static double *layer_w(const Nn *n, double *base, int l)
{
    size_t o = 0;
    for (int k = 0; k < l; k++) o += (size_t)n->sizes[k + 1] * (size_t)(n->sizes[k] + 1);
    return base + o;
}

size_t nn_count_params(int nlayers, const int *sizes, int maxbatch)
{
    size_t np = 0;
    if (nlayers < 1 || maxbatch < 1) return 0;
    for (int l = 0; l <= nlayers; l++)
        if (sizes[l] < 1 || (size_t)sizes[l] > NN_MAX_PARAMS / (size_t)maxbatch) return 0;
    for (int l = 0; l < nlayers; l++) {
        size_t w = (size_t)sizes[l] + 1;   /* each factor < 2^24: no overflow in size_t */
        if ((size_t)sizes[l + 1] * w > NN_MAX_PARAMS - np) return 0;
        np += (size_t)sizes[l + 1] * w;
    }
    return np;
}

Nn *nn_new(int nlayers, const int *sizes, int maxbatch, gsl_rng *r)
{
    if (nn_count_params(nlayers, sizes, maxbatch) == 0) return NULL;
    Nn *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->nlayers = nlayers;
    n->maxbatch = maxbatch;
    n->sizes = malloc(sizeof(int) * (size_t)(nlayers + 1));
    if (!n->sizes) { free(n); return NULL; }
    memcpy(n->sizes, sizes, sizeof(int) * (size_t)(nlayers + 1));
    int wmax = 0;
    for (int l = 0; l < nlayers; l++) n->nparams += (size_t)sizes[l + 1] * (size_t)(sizes[l] + 1);
    for (int l = 0; l <= nlayers; l++) if (sizes[l] > wmax) wmax = sizes[l];
    n->theta = calloc(n->nparams, sizeof(double));
    n->grad = calloc(n->nparams, sizeof(double));
    n->adam_m = calloc(n->nparams, sizeof(double));
    n->adam_v = calloc(n->nparams, sizeof(double));
    n->z = calloc((size_t)nlayers + 1, sizeof(double *));
    n->a = calloc((size_t)nlayers + 1, sizeof(double *));
    for (int l = 0; l <= nlayers; l++) {
        n->a[l] = calloc((size_t)maxbatch * (size_t)sizes[l], sizeof(double));
        n->z[l] = calloc((size_t)maxbatch * (size_t)sizes[l], sizeof(double));
    }
    n->d0 = calloc((size_t)maxbatch * (size_t)wmax, sizeof(double));
    n->d1 = calloc((size_t)maxbatch * (size_t)wmax, sizeof(double));
    int ok = n->sizes && n->theta && n->grad && n->adam_m && n->adam_v && n->z && n->a && n->d0 && n->d1;
    for (int l = 0; ok && l <= nlayers; l++) ok = n->a[l] && n->z[l];
    if (!ok) { nn_free(n); return NULL; }
    for (int l = 0; l < nlayers; l++) {
        double *W = layer_w(n, n->theta, l);
        double lim = sqrt(6.0 / (sizes[l] + sizes[l + 1]));   /* Glorot & Bengio 2010 */
        for (long k = 0; k < (long)sizes[l + 1] * sizes[l]; k++) W[k] = r ? lim * (2 * gsl_rng_uniform(r) - 1) : 0;
    }
    return n;
}

void nn_free(Nn *n)
{
    if (!n) return;
    for (int l = 0; l <= n->nlayers; l++) {
        if (n->a) free(n->a[l]);
        if (n->z) free(n->z[l]);
    }
    free(n->a); free(n->z); free(n->d0); free(n->d1);
    free(n->theta); free(n->grad); free(n->ema); free(n->adam_m); free(n->adam_v);
    free(n->sizes);
    free(n);
}

const double *nn_forward(Nn *n, const double *X, int B)
{
    memcpy(n->a[0], X, sizeof(double) * (size_t)B * (size_t)n->sizes[0]);
    for (int l = 0; l < n->nlayers; l++) {
        int nin = n->sizes[l], nout = n->sizes[l + 1];
        const double *W = layer_w(n, n->theta, l), *b = W + (size_t)nout * nin;
        double *Z = n->z[l + 1], *A = n->a[l + 1];
        for (int i = 0; i < B; i++) memcpy(Z + (size_t)i * nout, b, sizeof(double) * (size_t)nout);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nout, nin, 1.0, n->a[l], nin, W, nin, 1.0, Z, nout);
        size_t m = (size_t)B * nout;
        if (l + 1 < n->nlayers) for (size_t k = 0; k < m; k++) A[k] = silu(Z[k]);
        else memcpy(A, Z, sizeof(double) * m);
    }
    return n->a[n->nlayers];
}

void nn_backward(Nn *n, const double *dout, int B, double *dx)
{
    int L = n->nlayers;
    double *dA = n->d0, *dZ = n->d1;
    memcpy(dZ, dout, sizeof(double) * (size_t)B * (size_t)n->sizes[L]);   /* linear output */
    for (int l = L - 1; l >= 0; l--) {
        int nin = n->sizes[l], nout = n->sizes[l + 1];
        const double *W = layer_w(n, n->theta, l);
        double *gW = layer_w(n, n->grad, l), *gb = gW + (size_t)nout * nin;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, nin, B, 1.0, dZ, nout, n->a[l], nin, 1.0, gW, nin);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < nout; j++) gb[j] += dZ[(size_t)i * nout + j];
        if (l == 0 && !dx) break;
        double *dst = l == 0 ? dx : dA;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nin, nout, 1.0, dZ, nout, W, nin, 0.0, dst, nin);
        if (l == 0) break;
        const double *Z = n->z[l];
        size_t m = (size_t)B * nin;
        for (size_t k = 0; k < m; k++) dA[k] *= silu_d(Z[k]);
        double *t = dA; dA = dZ; dZ = t;           /* dA now holds dZ of layer l - 1 */
    }
}

void nn_zero_grad(Nn *n) { memset(n->grad, 0, sizeof(double) * n->nparams); }

void nn_adam(Nn *n, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    n->adam_t++;
    double c1 = 1 - pow(b1, (double)n->adam_t), c2 = 1 - pow(b2, (double)n->adam_t);
    for (size_t k = 0; k < n->nparams; k++) {
        double g = n->grad[k];
        n->adam_m[k] = b1 * n->adam_m[k] + (1 - b1) * g;
        n->adam_v[k] = b2 * n->adam_v[k] + (1 - b2) * g * g;
        n->theta[k] -= lr * (n->adam_m[k] / c1) / (sqrt(n->adam_v[k] / c2) + eps);
    }
}

void nn_ema(Nn *n, double decay)
{
    if (!n->ema) {
        n->ema = malloc(sizeof(double) * n->nparams);
        memcpy(n->ema, n->theta, sizeof(double) * n->nparams);
        return;
    }
    for (size_t k = 0; k < n->nparams; k++) n->ema[k] = decay * n->ema[k] + (1 - decay) * n->theta[k];
}

void nn_use_ema(Nn *n)
{
    if (n->ema) memcpy(n->theta, n->ema, sizeof(double) * n->nparams);
}

int nn_write(const Nn *n, FILE *f)
{
    fprintf(f, "vmod-nn 1 %d", n->nlayers);
    for (int l = 0; l <= n->nlayers; l++) fprintf(f, " %d", n->sizes[l]);
    fprintf(f, "\n");
    for (size_t k = 0; k < n->nparams; k++) fprintf(f, "%.17g\n", n->theta[k]);
    return ferror(f) ? -1 : 0;
}

Nn *nn_read(FILE *f, int maxbatch, char *err, size_t errlen)
{
    int ver, L;
    if (fscanf(f, " vmod-nn %d %d", &ver, &L) != 2 || ver != 1 || L < 1 || L > 64) {
        snprintf(err, errlen, "not a vmod network file");
        return NULL;
    }
    int sizes[65];
    for (int l = 0; l <= L; l++)
        if (fscanf(f, "%d", &sizes[l]) != 1 || sizes[l] < 1 || sizes[l] > 100000) {
            snprintf(err, errlen, "network file: bad layer widths");
            return NULL;
        }
    if (nn_count_params(L, sizes, maxbatch) == 0) {
        snprintf(err, errlen, "network file: the layers would have more than %zu parameters", (size_t)NN_MAX_PARAMS);
        return NULL;
    }
    Nn *n = nn_new(L, sizes, maxbatch, NULL);
    if (!n) { snprintf(err, errlen, "out of memory"); return NULL; }
    for (size_t k = 0; k < n->nparams; k++)
        if (fscanf(f, "%lf", &n->theta[k]) != 1) {
            snprintf(err, errlen, "network file: %zu of %zu parameters", k, n->nparams);
            nn_free(n);
            return NULL;
        }
    return n;
}
