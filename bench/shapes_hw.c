/* See shapes_hw.h.  Plain loops over the data, one pass forward and one back, no
 * allocation per evaluation: what a careful C programmer writes by hand. */
#include "bench/shapes_hw.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SH_LOG_SQRT_2PI 0.91893853320467274178   /* 0.5 * log(2 pi) */
#define SH_LOG_PI 1.14472988584940017414

/* ---- data generation: splitmix64 and Box-Muller, fixed seeds ---- */

static double sh_uniform(unsigned long long *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

double sh_normal(unsigned long long *s)
{
    double u1 = sh_uniform(s), u2 = sh_uniform(s);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void *sh_alloc(size_t n)
{
    void *p = calloc(n ? n : 1, sizeof(double));
    if (p == NULL)
        abort();
    return p;
}

static void sh_json_array(FILE *f, const char *name, const double *v, int n, int last)
{
    fprintf(f, "\"%s\": [", name);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", v[i]);
    fprintf(f, "]%s\n", last ? "" : ",");
}

void sh_data_free(ShData *d)
{
    free(d->x);
    free(d->y);
    free(d->work);
    free(d->truth);
    free(d->grp);
    memset(d, 0, sizeof *d);
}

/* Normal(x | m, s) with its partials in x and s. */
static double sh_normal_lpdf(double x, double m, double s, double *dx, double *ds)
{
    double z = (x - m) / s;
    *dx = -z / s;
    *ds = (z * z - 1.0) / s;
    return -SH_LOG_SQRT_2PI - log(s) - 0.5 * z * z;
}

/* ---- dense regression: y ~ normal(alpha + X * beta, sigma) ---- */

static size_t dense_dim(const ShData *d) { return (size_t)d->k + 2; }

static void dense_make(int n, int k, ShData *d, FILE *f)
{
    unsigned long long s = 18;
    d->n = n;
    d->k = k;
    d->x = sh_alloc((size_t)n * k);
    d->y = sh_alloc((size_t)n);
    d->work = sh_alloc((size_t)k);
    d->truth = sh_alloc((size_t)k + 2);
    d->truth[0] = 1.0;
    for (int j = 0; j < k; j++)
        d->truth[1 + j] = sh_normal(&s);
    d->truth[k + 1] = log(1.5);
    for (int i = 0; i < n; i++) {
        double m = d->truth[0];
        for (int j = 0; j < k; j++) {
            d->x[(size_t)i * k + j] = sh_normal(&s);
            m += d->x[(size_t)i * k + j] * d->truth[1 + j];
        }
        d->y[i] = m + 1.5 * sh_normal(&s);
    }
    fprintf(f, "{\"N\": %d, \"K\": %d,\n\"X\": [", n, k);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s[", i ? ",\n" : "");
        for (int j = 0; j < k; j++)
            fprintf(f, "%s%.17g", j ? ", " : "", d->x[(size_t)i * k + j]);
        fprintf(f, "]");
    }
    fprintf(f, "],\n");
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

static double dense_lp_grad(const ShData *d, const double *u, double *g)
{
    int n = d->n, k = d->k;
    double alpha = u[0], sigma = exp(u[k + 1]), ds, lp = 0.0;
    const double *beta = u + 1;
    double *gb = d->work;
    lp += sh_normal_lpdf(alpha, 0.0, 10.0, &g[0], &ds);
    for (int j = 0; j < k; j++) {
        lp += sh_normal_lpdf(beta[j], 0.0, 10.0, &g[1 + j], &ds);
        gb[j] = 0.0;
    }
    double gsig;
    lp += sh_normal_lpdf(sigma, 0.0, 5.0, &gsig, &ds);
    double sr = 0.0, srr = 0.0;
    for (int i = 0; i < n; i++) {
        const double *xi = d->x + (size_t)i * k;
        double m = alpha;
        for (int j = 0; j < k; j++)
            m += xi[j] * beta[j];
        double r = (d->y[i] - m) / sigma;
        sr += r;
        srr += r * r;
        for (int j = 0; j < k; j++)
            gb[j] += r * xi[j];
    }
    lp += -(double)n * (SH_LOG_SQRT_2PI + log(sigma)) - 0.5 * srr;
    g[0] += sr / sigma;
    for (int j = 0; j < k; j++)
        g[1 + j] += gb[j] / sigma;
    gsig += (srr - (double)n) / sigma;
    g[k + 1] = gsig * sigma + 1.0;      /* sigma = exp(u), log-Jacobian u */
    return lp + u[k + 1];
}

/* ---- HMM forward algorithm, K states, unit-variance Gaussian emissions ----
 * u: lt (K x K column-major, lt[j, k] at j + K k), then ordered mu's free
 * coordinates (mu[1] = u, mu[k] = mu[k - 1] + exp(u)). */

static size_t hmm_dim(const ShData *d) { return (size_t)d->k * d->k + d->k; }

static void hmm_make(int n, int k, ShData *d, FILE *f)
{
    unsigned long long s = 7 + (unsigned long long)k;
    d->n = n;
    d->k = k;
    d->y = sh_alloc((size_t)n);
    /* work: gamma (n k), adjoints of gamma (n k), ltheta, its adjoint, mu, its adjoint, acc */
    d->work = sh_alloc((size_t)2 * n * k + 2 * (size_t)k * k + 3 * (size_t)k);
    d->truth = sh_alloc(hmm_dim(d));
    for (int j = 0; j < k; j++)
        for (int m = 0; m < k; m++)
            d->truth[j + k * m] = j == m ? 2.0 : 0.0;     /* sticky chain */
    d->truth[k * k] = 0.0;
    for (int m = 1; m < k; m++)
        d->truth[k * k + m] = log(3.0);                 /* means 0, 3, 6 */
    int z = 0;
    for (int t = 0; t < n; t++) {
        if (t > 0 && sh_uniform(&s) > 0.85)
            z = (int)(sh_uniform(&s) * k) % k;
        d->y[t] = 3.0 * z + sh_normal(&s);
    }
    fprintf(f, "{\"N\": %d, \"K\": %d,\n", n, k);
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

static double hmm_lp_grad(const ShData *d, const double *u, double *g)
{
    int n = d->n, k = d->k;
    size_t dim = hmm_dim(d);
    double *gam = d->work, *agam = gam + (size_t)n * k, *lth = agam + (size_t)n * k;
    double *alth = lth + (size_t)k * k, *mu = alth + (size_t)k * k, *amu = mu + k, *acc = amu + k;
    double lp = 0.0, ds;
    for (size_t i = 0; i < dim; i++)
        g[i] = 0.0;
    for (int i = 0; i < k * k; i++)                  /* to_vector(lt) ~ normal(0, 1) */
        lp += sh_normal_lpdf(u[i], 0.0, 1.0, &g[i], &ds);
    mu[0] = u[k * k];
    for (int m = 1; m < k; m++) {
        mu[m] = mu[m - 1] + exp(u[k * k + m]);
        lp += u[k * k + m];                           /* log-Jacobian */
    }
    for (int m = 0; m < k; m++) {
        lp += sh_normal_lpdf(mu[m], 0.0, 10.0, &amu[m], &ds);
    }
    for (int j = 0; j < k; j++) {                    /* ltheta[j, .] = log_softmax(lt[j, .]) */
        double mx = -INFINITY, sum = 0.0;
        for (int m = 0; m < k; m++)
            mx = fmax(mx, u[j + k * m]);
        for (int m = 0; m < k; m++)
            sum += exp(u[j + k * m] - mx);
        double z = mx + log(sum);
        for (int m = 0; m < k; m++)
            lth[j * k + m] = u[j + k * m] - z;
    }
    for (int m = 0; m < k; m++)
        gam[m] = -SH_LOG_SQRT_2PI - 0.5 * (d->y[0] - mu[m]) * (d->y[0] - mu[m]);
    for (int t = 1; t < n; t++) {
        const double *prev = gam + (size_t)(t - 1) * k;
        for (int m = 0; m < k; m++) {
            double e = -SH_LOG_SQRT_2PI - 0.5 * (d->y[t] - mu[m]) * (d->y[t] - mu[m]), mx = -INFINITY;
            for (int j = 0; j < k; j++) {
                acc[j] = prev[j] + lth[j * k + m] + e;
                mx = fmax(mx, acc[j]);
            }
            double sum = 0.0;
            for (int j = 0; j < k; j++)
                sum += exp(acc[j] - mx);
            gam[(size_t)t * k + m] = mx + log(sum);
        }
    }
    const double *last = gam + (size_t)(n - 1) * k;
    double mx = -INFINITY, sum = 0.0;
    for (int m = 0; m < k; m++)
        mx = fmax(mx, last[m]);
    for (int m = 0; m < k; m++)
        sum += exp(last[m] - mx);
    double lz = mx + log(sum);
    lp += lz;
    /* reverse pass */
    memset(agam, 0, sizeof(double) * (size_t)n * k);
    memset(alth, 0, sizeof(double) * (size_t)k * k);
    for (int m = 0; m < k; m++)
        agam[(size_t)(n - 1) * k + m] = exp(last[m] - lz);
    for (int t = n - 1; t >= 1; t--) {
        const double *prev = gam + (size_t)(t - 1) * k;
        for (int m = 0; m < k; m++) {
            double a = agam[(size_t)t * k + m];
            if (a == 0.0)
                continue;
            double e = -SH_LOG_SQRT_2PI - 0.5 * (d->y[t] - mu[m]) * (d->y[t] - mu[m]);
            double gt = gam[(size_t)t * k + m];
            amu[m] += a * (d->y[t] - mu[m]);          /* every acc[j] holds e once; weights sum to 1 */
            for (int j = 0; j < k; j++) {
                double w = a * exp(prev[j] + lth[j * k + m] + e - gt);
                agam[(size_t)(t - 1) * k + j] += w;
                alth[j * k + m] += w;
            }
        }
    }
    for (int m = 0; m < k; m++)
        amu[m] += agam[m] * (d->y[0] - mu[m]);
    for (int j = 0; j < k; j++) {                    /* back through log_softmax */
        double tot = 0.0;
        for (int m = 0; m < k; m++)
            tot += alth[j * k + m];
        for (int m = 0; m < k; m++)
            g[j + k * m] += alth[j * k + m] - exp(lth[j * k + m]) * tot;
    }
    double tail = 0.0;                               /* back through the ordered transform */
    for (int m = k - 1; m >= 0; m--) {
        tail += amu[m];
        if (m == 0)
            g[k * k] += tail;
        else
            g[k * k + m] += tail * exp(u[k * k + m]) + 1.0;
    }
    return lp;
}

/* ---- ARMA(1,1) ----
 * u: mu, phi (in (-1, 1) through -1 + 2 inv_logit), theta (likewise), log sigma. */

static size_t arma_dim(const ShData *d) { (void)d; return 4; }

static void arma_make(int n, int unused, ShData *d, FILE *f)
{
    (void)unused;
    unsigned long long s = 11;
    d->n = n;
    d->y = sh_alloc((size_t)n);
    d->work = sh_alloc((size_t)n);
    d->truth = sh_alloc(4);
    double mu = 0.5, phi = 0.6, theta = 0.3, sigma = 1.0;
    d->truth[0] = mu;
    d->truth[1] = log((1 + phi) / (1 - phi));
    d->truth[2] = log((1 + theta) / (1 - theta));
    d->truth[3] = log(sigma);
    double ep = 0.0, yp = 0.0;
    for (int t = 0; t < n; t++) {
        double e = sigma * sh_normal(&s);
        d->y[t] = mu + phi * yp + theta * ep + e;
        yp = d->y[t];
        ep = e;
    }
    fprintf(f, "{\"T\": %d,\n", n);
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

/* x = -1 + 2 inv_logit(v): x, dx/dv and the log-Jacobian's derivative in v */
static double sh_lub(double v, double *lj, double *dxdv, double *dlj)
{
    double il = 1.0 / (1.0 + exp(-v));
    *lj = M_LN2 - fabs(v) - 2.0 * log1p(exp(-fabs(v)));
    *dxdv = 2.0 * il * (1.0 - il);
    *dlj = 1.0 - 2.0 * il;
    return -1.0 + 2.0 * il;
}

static double arma_lp_grad(const ShData *d, const double *u, double *g)
{
    int n = d->n;
    double *err = d->work, lp = 0.0, ds, ljp, ljt, dphi, dtheta, djp, djt;
    double mu = u[0], phi = sh_lub(u[1], &ljp, &dphi, &djp), theta = sh_lub(u[2], &ljt, &dtheta, &djt);
    double sigma = exp(u[3]);
    double gmu, gphi, gtheta, gsig;
    lp += sh_normal_lpdf(mu, 0.0, 10.0, &gmu, &ds);
    lp += sh_normal_lpdf(phi, 0.0, 2.0, &gphi, &ds);
    lp += sh_normal_lpdf(theta, 0.0, 2.0, &gtheta, &ds);
    double q = sigma / 2.5;                            /* cauchy(0, 2.5) */
    lp += -SH_LOG_PI - log(2.5) - log1p(q * q);
    gsig = -2.0 * q / (2.5 * (1.0 + q * q));
    err[0] = d->y[0] - (mu + phi * mu);
    for (int t = 1; t < n; t++)
        err[t] = d->y[t] - (mu + phi * d->y[t - 1] + theta * err[t - 1]);
    double srr = 0.0;
    for (int t = 0; t < n; t++)
        srr += err[t] * err[t];
    lp += -(double)n * (SH_LOG_SQRT_2PI + log(sigma)) - 0.5 * srr / (sigma * sigma);
    gsig += (srr / (sigma * sigma) - (double)n) / sigma;
    double ae = 0.0;                                   /* adjoint of err[t], carried back */
    for (int t = n - 1; t >= 1; t--) {
        ae += -err[t] / (sigma * sigma);
        gmu -= ae;
        gphi -= ae * d->y[t - 1];
        gtheta -= ae * err[t - 1];
        ae = -theta * ae;
    }
    ae += -err[0] / (sigma * sigma);
    gmu -= ae * (1.0 + phi);
    gphi -= ae * mu;
    g[0] = gmu;
    g[1] = gphi * dphi + djp;
    g[2] = gtheta * dtheta + djt;
    g[3] = gsig * sigma + 1.0;
    return lp + ljp + ljt + u[3];
}

/* ---- three nested loops: y[a, b, c] ~ normal(mu + tau_a za[a] + tau_b zb[a, b], sigma)
 * u: mu, log tau_a, log tau_b, log sigma, za (A), zb (A x B column-major). */

static size_t nested_dim(const ShData *d) { return 4 + (size_t)d->a + (size_t)d->a * d->b; }

static void nested_make(int ab, int c, ShData *d, FILE *f)
{
    unsigned long long s = 5;
    d->a = ab / 100;
    d->b = ab % 100;
    d->c = c;
    int A = d->a, B = d->b;
    d->y = sh_alloc((size_t)A * B * c);
    d->truth = sh_alloc(nested_dim(d));
    d->truth[0] = 1.0;
    d->truth[1] = log(0.8);
    d->truth[2] = log(0.5);
    d->truth[3] = log(1.2);
    for (size_t i = 4; i < nested_dim(d); i++)
        d->truth[i] = sh_normal(&s);
    fprintf(f, "{\"A\": %d, \"B\": %d, \"C\": %d,\n\"y\": [", A, B, c);
    for (int a = 0; a < A; a++) {
        fprintf(f, "%s[", a ? ",\n" : "");
        for (int b = 0; b < B; b++) {
            double m = 1.0 + 0.8 * d->truth[4 + a] + 0.5 * d->truth[4 + A + a + A * b];
            fprintf(f, "%s[", b ? ", " : "");
            for (int k = 0; k < c; k++) {
                double v = m + 1.2 * sh_normal(&s);
                d->y[((size_t)a * B + b) * c + k] = v;
                fprintf(f, "%s%.17g", k ? ", " : "", v);
            }
            fprintf(f, "]");
        }
        fprintf(f, "]");
    }
    fprintf(f, "]}\n");
}

static double nested_lp_grad(const ShData *d, const double *u, double *g)
{
    int A = d->a, B = d->b, C = d->c;
    double mu = u[0], ta = exp(u[1]), tb = exp(u[2]), sigma = exp(u[3]), lp = 0.0, ds;
    const double *za = u + 4, *zb = u + 4 + A;
    double gta, gtb, gsig;
    lp += sh_normal_lpdf(mu, 0.0, 5.0, &g[0], &ds);
    lp += sh_normal_lpdf(ta, 0.0, 1.0, &gta, &ds);
    lp += sh_normal_lpdf(tb, 0.0, 1.0, &gtb, &ds);
    lp += sh_normal_lpdf(sigma, 0.0, 1.0, &gsig, &ds);
    for (int i = 0; i < A + A * B; i++)
        lp += sh_normal_lpdf(u[4 + i], 0.0, 1.0, &g[4 + i], &ds);
    double srr = 0.0, s2 = sigma * sigma;
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++) {
            double m = mu + ta * za[a] + tb * zb[a + A * b], sr = 0.0;
            const double *y = d->y + ((size_t)a * B + b) * C;
            for (int k = 0; k < C; k++) {
                double r = y[k] - m;
                sr += r;
                srr += r * r;
            }
            double gm = sr / s2;
            g[0] += gm;
            gta += gm * za[a];
            gtb += gm * zb[a + A * b];
            g[4 + a] += gm * ta;
            g[4 + A + a + A * b] += gm * tb;
        }
    double nobs = (double)A * B * C;
    lp += -nobs * (SH_LOG_SQRT_2PI + log(sigma)) - 0.5 * srr / s2;
    gsig += (srr / s2 - nobs) / sigma;
    g[1] = gta * ta + 1.0;
    g[2] = gtb * tb + 1.0;
    g[3] = gsig * sigma + 1.0;
    return lp + u[1] + u[2] + u[3];
}

/* ---- zero-inflated poisson ----
 * u: theta in (0, 1) through inv_logit, log lambda.  y as doubles (ints). */

static size_t zip_dim(const ShData *d) { (void)d; return 2; }

static void zip_make(int n, int unused, ShData *d, FILE *f)
{
    (void)unused;
    unsigned long long s = 23;
    d->n = n;
    d->y = sh_alloc((size_t)n);
    d->truth = sh_alloc(2);
    double theta = 0.3, lambda = 2.5;
    d->truth[0] = log(theta / (1 - theta));
    d->truth[1] = log(lambda);
    for (int i = 0; i < n; i++) {
        int k = 0;
        if (sh_uniform(&s) >= theta) {              /* poisson(lambda) by products of uniforms */
            double L = exp(-lambda), p = sh_uniform(&s);
            while (p > L) { k++; p *= sh_uniform(&s); }
        }
        d->y[i] = k;
    }
    fprintf(f, "{\"N\": %d,\n", n);
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

static double zip_lp_grad(const ShData *d, const double *u, double *g)
{
    double th = 1 / (1 + exp(-u[0])), lam = exp(u[1]);
    double lth = log(th), l1th = log1p(-th), llam = u[1];
    double lp = llam - lam, dth = 0, dlam = 1 / lam - 1;  /* beta(1, 1): 0; gamma(2, 1) */
    for (int i = 0; i < d->n; i++) {
        double y = d->y[i];
        if (y == 0) {
            double a = lth, b = l1th - lam, m = a > b ? a : b;
            double ea = exp(a - m), eb = exp(b - m), t = ea + eb;
            lp += m + log(t);
            double wa = ea / t, wb = eb / t;
            dth += wa / th - wb / (1 - th);
            dlam -= wb;
        } else {
            lp += l1th + y * llam - lam - lgamma(y + 1);
            dth -= 1 / (1 - th);
            dlam += y / lam - 1;
        }
    }
    g[0] = dth * th * (1 - th) + (1 - 2 * th);        /* with log th + log(1 - th) */
    g[1] = dlam * lam + 1;                            /* with log lam */
    return lp + lth + l1th + u[1];
}

/* ---- rows regression: y[n] ~ normal(alpha[g[n]] + X[n] * beta, sigma), row by row ----
 * u: beta (K), alpha (J), log sigma. */

static size_t rows_dim(const ShData *d) { return (size_t)d->k + d->a + 1; }

static void rows_make(int n, int kj, ShData *d, FILE *f)
{
    unsigned long long s = 29;
    int k = kj / 100, J = kj % 100;
    d->n = n;
    d->k = k;
    d->a = J;
    d->x = sh_alloc((size_t)n * k);
    d->y = sh_alloc((size_t)n);
    d->grp = calloc((size_t)n, sizeof *d->grp);
    if (d->grp == NULL)
        abort();
    d->work = sh_alloc((size_t)k + J);
    d->truth = sh_alloc(rows_dim(d));
    for (int j = 0; j < k + J; j++)                   /* beta ~ N(0, 1), alpha ~ N(0, 2) */
        d->truth[j] = (j < k ? 1.0 : 2.0) * sh_normal(&s);
    double sigma = 0.8;
    d->truth[k + J] = log(sigma);
    for (int i = 0; i < n; i++) {
        d->grp[i] = (int)(sh_uniform(&s) * J) % J;
        double m = d->truth[k + d->grp[i]];
        for (int j = 0; j < k; j++) {
            d->x[(size_t)i * k + j] = sh_normal(&s);
            m += d->x[(size_t)i * k + j] * d->truth[j];
        }
        d->y[i] = m + sigma * sh_normal(&s);
    }
    fprintf(f, "{\"N\": %d, \"K\": %d, \"J\": %d,\n\"X\": [", n, k, J);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s[", i ? ",\n" : "");
        for (int j = 0; j < k; j++)
            fprintf(f, "%s%.17g", j ? ", " : "", d->x[(size_t)i * k + j]);
        fprintf(f, "]");
    }
    fprintf(f, "],\n\"g\": [");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", d->grp[i] + 1);
    fprintf(f, "],\n");
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

static double rows_lp_grad(const ShData *d, const double *u, double *g)
{
    int n = d->n, k = d->k, J = d->a;
    const double *beta = u, *alpha = u + k;
    double sigma = exp(u[k + J]), is = 1.0 / sigma, lp = 0.0, ds, gsig;
    double *gb = d->work, *ga = d->work + k;       /* sums of the scaled residuals */
    for (int j = 0; j < k; j++) {
        lp += sh_normal_lpdf(beta[j], 0.0, 1.0, &g[j], &ds);
        gb[j] = 0.0;
    }
    for (int a = 0; a < J; a++) {
        lp += sh_normal_lpdf(alpha[a], 0.0, 2.0, &g[k + a], &ds);
        ga[a] = 0.0;
    }
    lp += sh_normal_lpdf(sigma, 0.0, 1.0, &gsig, &ds);
    double srr = 0.0;
    for (int i = 0; i < n; i++) {
        const double *xi = d->x + (size_t)i * k;
        double m = alpha[d->grp[i]];
        for (int j = 0; j < k; j++)
            m += xi[j] * beta[j];
        double r = (d->y[i] - m) * is;
        srr += r * r;
        ga[d->grp[i]] += r;
        for (int j = 0; j < k; j++)
            gb[j] += r * xi[j];
    }
    lp += -(double)n * (SH_LOG_SQRT_2PI + log(sigma)) - 0.5 * srr;
    for (int j = 0; j < k; j++)
        g[j] += gb[j] * is;
    for (int a = 0; a < J; a++)
        g[k + a] += ga[a] * is;
    gsig += (srr - (double)n) * is;
    g[k + J] = gsig * sigma + 1.0;                /* sigma = exp(u), log-Jacobian u */
    return lp + u[k + J];
}

/* ---- finite mixture of normals (the User Guide's, a local vector per step) ----
 * u: ordered mu's free coordinates (mu[1] = u, mu[c] = mu[c - 1] + exp(u)), log s
 * (C), then theta's C - 1 stick-breaking coordinates as runtime/transform.c reads them:
 * z_k = inv_logit(u_k - log(C - 1 - k)), theta_k = stick_k z_k, the last the rest. */

static size_t mix_dim(const ShData *d) { return 3 * (size_t)d->k - 1; }

static double sh_inv_logit(double a)
{
    if (a >= 0)
        return 1.0 / (1.0 + exp(-a));
    double e = exp(a);
    return e / (1.0 + e);
}

static double sh_log1p_exp(double a) { return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); }

static void mix_make(int n, int C, ShData *d, FILE *f)
{
    unsigned long long s = 31;
    d->n = n;
    d->k = C;
    d->y = sh_alloc((size_t)n);
    /* work: mu, s, 1 / s, theta, log theta - log s - log sqrt(2 pi), lps, and the
     * adjoints of mu, s, theta */
    d->work = sh_alloc(9 * (size_t)C);
    d->truth = sh_alloc(mix_dim(d));
    double *mu = d->work, *sd = mu + C, *th = sd + C;   /* the truth, drawn first */
    double stick = 1.0;
    for (int c = 0; c < C; c++) {
        mu[c] = -3.0 + 3.5 * c;
        sd[c] = 0.6 + 0.3 * (c % 2);
        th[c] = c + 1 < C ? stick * (0.3 + 0.1 * (c % 2)) : stick;
        stick -= th[c];
    }
    d->truth[0] = mu[0];
    for (int c = 1; c < C; c++)
        d->truth[c] = log(mu[c] - mu[c - 1]);
    for (int c = 0; c < C; c++)
        d->truth[C + c] = log(sd[c]);
    stick = th[C - 1];                               /* simplex_free */
    for (int c = C - 1; c-- > 0;) {
        stick += th[c];
        double z = th[c] / stick;
        d->truth[2 * C + c] = log(z) - log1p(-z) + log((double)(C - 1 - c));
    }
    for (int i = 0; i < n; i++) {
        double p = sh_uniform(&s), cum = 0.0;
        int c = 0;
        while (c + 1 < C && p > (cum += th[c]))
            c++;
        d->y[i] = mu[c] + sd[c] * sh_normal(&s);
    }
    fprintf(f, "{\"N\": %d, \"C\": %d,\n", n, C);
    sh_json_array(f, "y", d->y, n, 1);
    fprintf(f, "}\n");
}

static double mix_lp_grad(const ShData *d, const double *u, double *g)
{
    int n = d->n, C = d->k;
    const double *us = u + C, *ut = u + 2 * C;
    double *mu = d->work, *sd = mu + C, *is = sd + C, *th = is + C, *cst = th + C, *lps = cst + C;
    double *amu = lps + C, *asd = amu + C, *ath = asd + C;
    double lp = 0.0, lj = 0.0, ds;
    mu[0] = u[0];
    for (int c = 1; c < C; c++) {
        mu[c] = mu[c - 1] + exp(u[c]);
        lj += u[c];
    }
    double stick = 1.0;
    for (int c = 0; c + 1 < C; c++) {
        double a = ut[c] - log((double)(C - 1 - c));
        th[c] = stick * sh_inv_logit(a);
        lj += log(stick) - sh_log1p_exp(-a) - sh_log1p_exp(a);
        stick *= sh_inv_logit(-a);
    }
    th[C - 1] = stick;
    for (int c = 0; c < C; c++) {
        sd[c] = exp(us[c]);
        is[c] = 1.0 / sd[c];
        lj += us[c];
        lp += sh_normal_lpdf(mu[c], 0.0, 5.0, &amu[c], &ds);
        /* lognormal(s | 0, 1) = -log(s sqrt(2 pi)) - log(s)^2 / 2 */
        lp += -SH_LOG_SQRT_2PI - us[c] - 0.5 * us[c] * us[c];
        asd[c] = -(1.0 + us[c]) * is[c];
        ath[c] = 0.0;
        cst[c] = log(th[c]) - us[c] - SH_LOG_SQRT_2PI;
    }
    for (int i = 0; i < n; i++) {
        double y = d->y[i], mx = -INFINITY, sum = 0.0;
        for (int c = 0; c < C; c++) {
            double z = (y - mu[c]) * is[c];
            lps[c] = cst[c] - 0.5 * z * z;
            mx = fmax(mx, lps[c]);
        }
        for (int c = 0; c < C; c++) {
            lps[c] = exp(lps[c] - mx);
            sum += lps[c];
        }
        lp += mx + log(sum);
        for (int c = 0; c < C; c++) {               /* softmax weight of each component */
            double w = lps[c] / sum, z = (y - mu[c]) * is[c];
            ath[c] += w;
            amu[c] += w * z * is[c];
            asd[c] += w * (z * z - 1.0) * is[c];
        }
    }
    double G = 0.0;                                  /* back through the ordered transform */
    for (int c = C; c-- > 0;) {
        G += amu[c];
        g[c] = c == 0 ? G : G * exp(u[c]) + 1.0;
    }
    for (int c = 0; c < C; c++) {
        g[C + c] = asd[c] * sd[c] + 1.0;
        ath[c] /= th[c];                             /* through log(theta) */
    }
    /* back through stick-breaking (tr_simplex_bwd): stick_c is the sum of theta[c..] */
    double gs = ath[C - 1], next = th[C - 1];
    for (int c = C - 1; c-- > 0;) {
        double st = next + th[c], a = ut[c] - log((double)(C - 1 - c));
        double z = sh_inv_logit(a), zc = sh_inv_logit(-a);
        g[2 * C + c] = (ath[c] - gs) * st * z * zc + (zc - z);
        gs = gs * zc + ath[c] * z + 1.0 / st;
        next = st;
    }
    return lp + lj;
}

const ShModel sh_models[] = {
    {"dense_regression N=5000 K=24", "dense_regression.vmod", 5000, 24, dense_dim, dense_make, dense_lp_grad},
    {"hmm_forward K=2 N=300", "hmm.vmod", 300, 2, hmm_dim, hmm_make, hmm_lp_grad},
    {"hmm_forward K=3 N=300", "hmm.vmod", 300, 3, hmm_dim, hmm_make, hmm_lp_grad},
    {"arma11 T=200", "arma11.vmod", 200, 0, arma_dim, arma_make, arma_lp_grad},
    {"nested3 A=8 B=10 C=12", "nested3.vmod", 810, 12, nested_dim, nested_make, nested_lp_grad},
    {"zip N=500", "zip.vmod", 500, 0, zip_dim, zip_make, zip_lp_grad},
    {"rows_regression X=1000x8 J=20", "rows_regression.vmod", 1000, 820, rows_dim, rows_make, rows_lp_grad},
    {"mixture_local C=3 N=500", "mixture_local.vmod", 500, 3, mix_dim, mix_make, mix_lp_grad},
};
const size_t sh_nmodels = sizeof sh_models / sizeof sh_models[0];
