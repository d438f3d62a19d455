/* Internals of the NUTS backend shared by nuts.c, nuts_adapt.c and the tests:
 * Stan's warm-up pieces (windowed_adaptation, stepsize_adaptation, welford
 * estimators) and the generalised no-U-turn criterion.  Not a public API. */
#ifndef VM_NUTS_H
#define VM_NUTS_H

#include <stddef.h>

/* Stan's windowed_adaptation: which warm-up iterations feed the metric estimator
 * and where each window ends.  Unsigned arithmetic as in Stan, so the schedule is
 * the same iteration for iteration. */
typedef struct NutsWindow {
    unsigned num_warmup, init_buffer, term_buffer, base_window;
    unsigned counter, size, next;
} NutsWindow;

/* Defaults 75/50/25; warmup < 20: no metric adaptation; a warm-up too short for
 * the buffers uses 15% / 75% / 10%. */
void nuts_window_set(NutsWindow *w, long num_warmup, unsigned init_buffer, unsigned term_buffer,
                     unsigned base_window);
int nuts_window_in(const NutsWindow *w);     /* this iteration feeds the estimator */
int nuts_window_end(const NutsWindow *w);    /* this iteration closes a window */
void nuts_window_next(NutsWindow *w);        /* plan the next window (the last one stretched) */

/* Stan's stepsize_adaptation: Nesterov dual averaging of log(epsilon)
 * (Hoffman & Gelman 2014, section 3.2). */
typedef struct NutsDual {
    double mu, delta, gamma, kappa, t0;
    double counter, s_bar, x_bar;
} NutsDual;

void nuts_dual_init(NutsDual *a, double delta, double mu);
void nuts_dual_restart(NutsDual *a);
double nuts_dual_learn(NutsDual *a, double accept_stat); /* returns the next epsilon */
double nuts_dual_final(const NutsDual *a);               /* exp(x_bar) */

/* Welford's running mean and (co)variance; memory is the caller's. */
typedef struct NutsWelford {
    size_t d;
    int dense;
    double n;
    double *mean;   /* d */
    double *m2;     /* d (diagonal) or d*d (dense, row-major) */
} NutsWelford;

void nuts_welford_restart(NutsWelford *w);
void nuts_welford_add(NutsWelford *w, const double *q, double *tmp /* d */);
/* Stan's regularised estimate (n/(n+5)) * S + 1e-3 * 5/(n+5) * I into minv (d or d*d).
 * Returns 0, or -1 when the estimate is not finite. */
int nuts_welford_metric(const NutsWelford *w, double *minv);

/* Lower Cholesky factor L of the d*d row-major matrix a (a = L L^T), into l.
 * Returns 0, or -1 when a is not positive definite. */
int nuts_cholesky(const double *a, double *l, size_t d);

/* The generalised no-U-turn criterion (Betancourt 2017, appendix A.4.2; Stan's
 * compute_criterion): the trajectory with summed momentum rho keeps going while
 * both end points' sharp momenta M^{-1} p point along rho. */
int nuts_criterion(const double *p_sharp_minus, const double *p_sharp_plus, const double *rho,
                   size_t d);

#endif
