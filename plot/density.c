/* Marginal densities by chain: a Gaussian kernel density estimate per chain on a
 * common grid (bayesplot's mcmc_dens_overlay).  Chains that agree overlap. */
#include <math.h>
#include <stdlib.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

#define DENS_GRID 200

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Silverman's rule, 0.9 min(sd, IQR / 1.34) n^(-1/5) (R's bw.nrd0), over the finite
 * draws s[n] (sorted here). */
static double dens_bandwidth(double *s, size_t n)
{
    qsort(s, n, sizeof *s, dbl_cmp);
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++) m += s[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) v += (s[i] - m) * (s[i] - m);
    double sd = n > 1 ? sqrt(v / (double)(n - 1)) : 0;
    double iqr = s[(3 * n) / 4] - s[n / 4];
    double lo = fmin(sd, iqr / 1.34);
    if (!(lo > 0)) lo = sd > 0 ? sd : fabs(s[0]) > 0 ? fabs(s[0]) : 1;
    return 0.9 * lo * pow((double)n, -0.2);
}

/* The estimate on grid x[G] into y[G]; returns its maximum. */
static double dens_kde(const double *s, size_t n, const double *x, double *y)
{
    double h = dens_bandwidth((double *)s, n), top = 0;
    double norm = 1 / ((double)n * h * sqrt(2 * M_PI));
    for (size_t g = 0; g < DENS_GRID; g++) {
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            double z = (x[g] - s[i]) / h;
            if (z > -8 && z < 8) acc += exp(-0.5 * z * z);
        }
        y[g] = acc * norm;
        if (y[g] > top) top = y[g];
    }
    return top;
}

int vm_plot_density(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    long nmax = 0;
    for (int c = 0; c < d->nchain; c++)
        if (d->ch[c].n > nmax) nmax = d->ch[c].n;
    double *s = malloc((size_t)nmax * sizeof *s), *x = malloc(DENS_GRID * sizeof *x);
    double *y = malloc((size_t)d->nchain * DENS_GRID * sizeof *y);
    if (!s || !x || !y) {
        free(s); free(x); free(y);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int cols, rows;
    vm_plot_grid(j->ncol, 0, &cols, &rows);
    plssub(cols, rows);
    vm_plot_text_size(rows);
    for (size_t k = 0; k < j->ncol; k++) {
        size_t col = j->col[k];
        double lo, hi, top = 0;
        vm_plot_col_limits(d, col, &lo, &hi);
        for (size_t g = 0; g < DENS_GRID; g++) x[g] = lo + (hi - lo) * (double)g / (DENS_GRID - 1);
        for (int c = 0; c < d->nchain; c++) {
            size_t n = 0;
            for (long i = 0; i < d->ch[c].n; i++) {
                double v = d->ch[c].v[(size_t)i * d->ncol + col];
                if (isfinite(v)) s[n++] = v;
            }
            double *yc = y + (size_t)c * DENS_GRID;
            if (n < 2) {
                for (size_t g = 0; g < DENS_GRID; g++) yc[g] = NAN;
                continue;
            }
            double t = dens_kde(s, n, x, yc);
            if (t > top) top = t;
        }
        vm_plot_panel(lo, hi, 0, top > 0 ? 1.05 * top : 1, d->names[col], "density", d->names[col]);
        plwidth(1.5);
        for (int c = 0; c < d->nchain; c++) {
            vm_plot_chain_colour(c);
            vm_plot_line(DENS_GRID, x, y + (size_t)c * DENS_GRID);
        }
        plwidth(1);
    }
    vm_plot_chain_legend(d, j->ncol, cols, rows);
    free(s);
    free(x);
    free(y);
    return 0;
}
