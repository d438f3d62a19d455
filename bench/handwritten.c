/* See handwritten.h.  Straightforward loops over the data, one pass per evaluation,
 * no allocation: what a careful C programmer writes by hand for these models. */
#include "handwritten.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HW_LOG_SQRT_2PI 0.91893853320467274178   /* 0.5 * log(2 pi) */
#define HW_LOG_PI 1.14472988584940017414

/* Normal(x | 0, s) and its derivative in x (s is data). */
static double hw_normal0(double x, double s, double *dx)
{
    double z = x / s;
    *dx = -z / s;
    return -HW_LOG_SQRT_2PI - log(s) - 0.5 * z * z;
}

/* wells_dist: sum_n BernoulliLogit(switched[n] | beta1 + beta2 dist[n]); flat prior,
 * no transform. */
static double hw_wells_dist(const HwData *d, const double *u, double *g)
{
    double b1 = u[0], b2 = u[1], lp = 0.0, g1 = 0.0, g2 = 0.0;
    for (size_t n = 0; n < d->n; n++) {
        /* log(1 + e^eta) and inv_logit(eta) share one exp(-|eta|), without overflow */
        double eta = b1 + b2 * d->x[n], e = exp(-fabs(eta));
        lp += d->y[n] * eta - (eta > 0 ? eta : 0.0) - log1p(e);
        double r = d->y[n] - (eta >= 0 ? 1.0 : e) / (1.0 + e);
        g1 += r;
        g2 += r * d->x[n];
    }
    g[0] = g1;
    g[1] = g2;
    return lp;
}

/* Sum over n of Normal(y[n] | a + b x[n], sigma) and its partials in a, b, sigma. */
static double hw_normal_regression(const HwData *d, double a, double b, double sigma,
                                   double *ga, double *gb, double *gs)
{
    double sr = 0.0, srx = 0.0, srr = 0.0;
    for (size_t n = 0; n < d->n; n++) {
        double r = (d->y[n] - (a + b * d->x[n])) / sigma;
        sr += r;
        srx += r * d->x[n];
        srr += r * r;
    }
    double nn = (double)d->n;
    *ga = sr / sigma;
    *gb = srx / sigma;
    *gs = (srr - nn) / sigma;
    return -nn * (HW_LOG_SQRT_2PI + log(sigma)) - 0.5 * srr;
}

/* kidscore_momiq: sigma ~ cauchy(0, 2.5) (half, not renormalised);
 * kid_score ~ normal(beta1 + beta2 mom_iq, sigma); sigma = exp(u3), log-Jacobian u3. */
static double hw_kidiq_momiq(const HwData *d, const double *u, double *g)
{
    double sigma = exp(u[2]), gs;
    double lp = hw_normal_regression(d, u[0], u[1], sigma, &g[0], &g[1], &gs);
    double z = sigma / 2.5;
    lp += -HW_LOG_PI - log(2.5) - log1p(z * z);
    gs += -2.0 * sigma / (2.5 * 2.5 + sigma * sigma);
    g[2] = gs * sigma + 1.0;
    return lp + u[2];
}

/* radon_pooled: sigma_y ~ normal(0, 1) (half); alpha, beta ~ normal(0, 10);
 * target += normal_lpdf(log_radon[n] | alpha + beta floor[n], sigma_y) per n. */
static double hw_radon_pooled(const HwData *d, const double *u, double *g)
{
    double sigma = exp(u[2]), gs, da, db, dsp;
    double lp = hw_normal_regression(d, u[0], u[1], sigma, &g[0], &g[1], &gs);
    lp += hw_normal0(u[0], 10.0, &da) + hw_normal0(u[1], 10.0, &db)
        + hw_normal0(sigma, 1.0, &dsp);
    g[0] += da;
    g[1] += db;
    g[2] = (gs + dsp) * sigma + 1.0;
    return lp + u[2];
}

const HwModel hw_models[] = {
    {"wells_data-wells_dist", 2, "dist", "switched", hw_wells_dist},
    {"radon_mn-radon_pooled", 3, "floor_measure", "log_radon", hw_radon_pooled},
    {"kidiq-kidscore_momiq", 3, "mom_iq", "kid_score", hw_kidiq_momiq},
};
const size_t hw_nmodels = sizeof hw_models / sizeof hw_models[0];

const HwModel *hw_find(const char *posterior)
{
    for (size_t i = 0; i < hw_nmodels; i++)
        if (strcmp(hw_models[i].posterior, posterior) == 0)
            return &hw_models[i];
    return NULL;
}

static double *hw_array(json_t *root, const char *key, size_t *n, char *err, size_t err_len)
{
    json_t *a = json_object_get(root, key);
    if (!json_is_array(a)) {
        snprintf(err, err_len, "data has no array '%s'", key);
        return NULL;
    }
    *n = json_array_size(a);
    double *v = malloc((*n ? *n : 1) * sizeof *v);
    if (v == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        v[i] = json_number_value(json_array_get(a, i));
    return v;
}

int hw_data_load(const HwModel *hm, const char *path, HwData *d, char *err, size_t err_len)
{
    json_error_t je;
    memset(d, 0, sizeof *d);
    json_t *root = json_load_file(path, 0, &je);
    if (root == NULL) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return -1;
    }
    size_t nx = 0, ny = 0;
    d->x = hw_array(root, hm->x_name, &nx, err, err_len);
    d->y = d->x ? hw_array(root, hm->y_name, &ny, err, err_len) : NULL;
    json_decref(root);
    if (d->y == NULL || nx != ny) {
        if (d->y != NULL)
            snprintf(err, err_len, "'%s' and '%s' differ in length", hm->x_name, hm->y_name);
        hw_data_free(d);
        return -1;
    }
    d->n = nx;
    return 0;
}

void hw_data_free(HwData *d)
{
    free(d->x);
    free(d->y);
    d->x = d->y = NULL;
    d->n = 0;
}
