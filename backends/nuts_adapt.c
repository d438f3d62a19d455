/* Stan's warm-up for NUTS: the window schedule (stan/mcmc/windowed_adaptation.hpp),
 * dual averaging of the step size (stepsize_adaptation.hpp) and the regularised
 * Welford estimators of the inverse metric (var_adaptation.hpp, covar_adaptation.hpp). */
#include <math.h>
#include <string.h>
#include "backends/nuts.h"

static void window_restart(NutsWindow *w)
{
    w->counter = 0;
    w->size = w->base_window;
    w->next = w->init_buffer + w->size - 1;  /* wraps to UINT_MAX when unset, as in Stan */
}

void nuts_window_set(NutsWindow *w, long num_warmup, unsigned init_buffer, unsigned term_buffer,
                     unsigned base_window)
{
    memset(w, 0, sizeof *w);
    window_restart(w);
    if (num_warmup < 20)
        return;                                /* Stan: no metric estimation */
    w->num_warmup = (unsigned)num_warmup;
    if ((unsigned long)init_buffer + base_window + term_buffer > (unsigned long)num_warmup) {
        /* Stan's fallback: 15% / 75% / 10% of the warm-up */
        w->init_buffer = (unsigned)(0.15 * (double)num_warmup);
        w->term_buffer = (unsigned)(0.1 * (double)num_warmup);
        w->base_window = w->num_warmup - (w->init_buffer + w->term_buffer);
    } else {
        w->init_buffer = init_buffer;
        w->term_buffer = term_buffer;
        w->base_window = base_window;
    }
    window_restart(w);
}

int nuts_window_in(const NutsWindow *w)
{
    return w->counter >= w->init_buffer && w->counter < w->num_warmup - w->term_buffer &&
           w->counter != w->num_warmup;
}

int nuts_window_end(const NutsWindow *w)
{
    return w->counter == w->next && w->counter != w->num_warmup;
}

void nuts_window_next(NutsWindow *w)
{
    unsigned last = w->num_warmup - w->term_buffer - 1;
    if (w->next == last)
        return;
    w->size *= 2;
    w->next = w->counter + w->size;
    /* stretch this window to the end when the following one would not fit */
    if (w->next != last && w->next + 2 * w->size >= w->num_warmup - w->term_buffer)
        w->next = last;
}

void nuts_dual_init(NutsDual *a, double delta, double mu)
{
    a->mu = mu;
    a->delta = delta;
    a->gamma = 0.05;
    a->kappa = 0.75;
    a->t0 = 10;
    nuts_dual_restart(a);
}

void nuts_dual_restart(NutsDual *a)
{
    a->counter = 0;
    a->s_bar = 0;
    a->x_bar = 0;
}

double nuts_dual_learn(NutsDual *a, double accept_stat)
{
    a->counter += 1;
    if (accept_stat > 1)
        accept_stat = 1;
    double eta = 1.0 / (a->counter + a->t0);
    a->s_bar = (1.0 - eta) * a->s_bar + eta * (a->delta - accept_stat);
    double x = a->mu - a->s_bar * sqrt(a->counter) / a->gamma;
    double x_eta = pow(a->counter, -a->kappa);
    a->x_bar = (1.0 - x_eta) * a->x_bar + x_eta * x;
    return exp(x);
}

double nuts_dual_final(const NutsDual *a)
{
    return exp(a->x_bar);
}

void nuts_welford_restart(NutsWelford *w)
{
    w->n = 0;
    memset(w->mean, 0, w->d * sizeof *w->mean);
    memset(w->m2, 0, (w->dense ? w->d * w->d : w->d) * sizeof *w->m2);
}

void nuts_welford_add(NutsWelford *w, const double *q, double *tmp)
{
    size_t d = w->d;
    w->n += 1;
    for (size_t i = 0; i < d; i++) {
        tmp[i] = q[i] - w->mean[i];
        w->mean[i] += tmp[i] / w->n;
    }
    if (!w->dense) {
        for (size_t i = 0; i < d; i++)
            w->m2[i] += tmp[i] * (q[i] - w->mean[i]);
        return;
    }
    for (size_t i = 0; i < d; i++) {
        double a = q[i] - w->mean[i];
        for (size_t j = 0; j < d; j++)
            w->m2[i * d + j] += a * tmp[j];
    }
}

int nuts_welford_metric(const NutsWelford *w, double *minv)
{
    size_t d = w->d, m = w->dense ? d * d : d;
    double n = w->n;
    if (n < 2)
        return -1;
    double shrink = n / (n + 5.0), reg = 1e-3 * (5.0 / (n + 5.0));
    for (size_t k = 0; k < m; k++) {
        double s = w->m2[k] / (n - 1.0);
        int diag = !w->dense || k / d == k % d;
        minv[k] = shrink * s + (diag ? reg : 0.0);
        if (!isfinite(minv[k]))
            return -1;
    }
    if (w->dense)                               /* symmetrise rounding */
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < i; j++)
                minv[i * d + j] = minv[j * d + i] = 0.5 * (minv[i * d + j] + minv[j * d + i]);
    return 0;
}

int nuts_cholesky(const double *a, double *l, size_t d)
{
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j <= i; j++) {
            double s = a[i * d + j];
            for (size_t k = 0; k < j; k++)
                s -= l[i * d + k] * l[j * d + k];
            if (i == j) {
                if (!(s > 0) || !isfinite(s))
                    return -1;
                l[i * d + i] = sqrt(s);
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
        for (size_t j = i + 1; j < d; j++)
            l[i * d + j] = 0;
    }
    return 0;
}

int nuts_criterion(const double *p_sharp_minus, const double *p_sharp_plus, const double *rho,
                   size_t d)
{
    double a = 0, b = 0;
    for (size_t i = 0; i < d; i++) {
        a += p_sharp_plus[i] * rho[i];
        b += p_sharp_minus[i] * rho[i];
    }
    return a > 0 && b > 0;
}
