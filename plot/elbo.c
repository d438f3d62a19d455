/* A VI run's ELBO trace: the estimate at every iteration (faint), its mean over each
 * window of the stopping rule (bold), the iterations averaged into the final q
 * (shaded), and the PSIS k-hat of the fit in the title (Yao, Vehtari, Simpson and
 * Gelman 2018: above 0.7 the approximation is not reliable). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mean of the finite estimates in iterations [a, a + W). */
static double elbo_window_mean(const VmPlotChain *ch, long a, long W)
{
    double s = 0;
    long k = 0;
    for (long i = a; i < a + W && i < ch->nelbo; i++)
        if (isfinite(ch->elbo[i])) { s += ch->elbo[i]; k++; }
    return k ? s / (double)k : NAN;
}

static long elbo_window(const VmPlotChain *ch) { return ch->elbo_window > 0 ? ch->elbo_window : 100; }

/* The y range: the first iterations of a fit can sit orders of magnitude below the
 * optimum, so the bottom is the lower of the 5% quantile of the estimates and the
 * lowest window mean rather than the minimum, which would squash the part worth
 * reading. */
static int elbo_limits(const VmPlotDraws *d, double *lo, double *hi)
{
    size_t n = 0;
    for (int c = 0; c < d->nchain; c++) n += (size_t)d->ch[c].nelbo;
    double *s = malloc((n + 1) * sizeof *s);
    if (!s) return -1;
    size_t m = 0;
    for (int c = 0; c < d->nchain; c++)
        for (long i = 0; i < d->ch[c].nelbo; i++)
            if (isfinite(d->ch[c].elbo[i])) s[m++] = d->ch[c].elbo[i];
    if (m == 0) { *lo = -1; *hi = 1; free(s); return 0; }
    qsort(s, m, sizeof *s, dcmp);
    double a = s[(size_t)(0.05 * (double)(m - 1))], b = s[m - 1];
    free(s);
    for (int c = 0; c < d->nchain; c++)
        for (long i = 0; i < d->ch[c].nelbo; i += elbo_window(&d->ch[c])) {
            double w = elbo_window_mean(&d->ch[c], i, elbo_window(&d->ch[c]));
            if (w < a) a = w;
        }
    if (!(a < b)) { a -= 1; b += 1; }
    *lo = a - 0.05 * (b - a);
    *hi = b + 0.05 * (b - a);
    return 0;
}

int vm_plot_elbo(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    long nmax = 0;
    for (int c = 0; c < d->nchain; c++)
        if (d->ch[c].nelbo > nmax) nmax = d->ch[c].nelbo;
    double lo, hi;
    PLFLT *x = malloc((size_t)(nmax + 1) * sizeof *x), *y = malloc((size_t)(nmax + 1) * sizeof *y);
    if (!x || !y || elbo_limits(d, &lo, &hi)) {
        free(x); free(y);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char title[256];
    int tl = snprintf(title, sizeof title, "ELBO; Pareto k-hat");
    for (int c = 0; c < d->nchain && tl < (int)sizeof title - 32; c++) {
        if (!d->ch[c].nelbo) continue;
        double k = d->ch[c].khat;
        tl += snprintf(title + tl, sizeof title - (size_t)tl, "%s %s", c ? "," : " =",
                       isnan(k) ? "NaN (weights within 10%)" : "");
        if (!isnan(k)) tl += snprintf(title + tl, sizeof title - (size_t)tl, "%.2f%s", k, k > 0.7 ? " (> 0.7: unreliable)" : "");
    }
    plssub(1, 1);
    plschr(0, 0.9);
    plcol0(VM_PLOT_C_FG);
    plenv(1, (double)(nmax > 1 ? nmax : 2), lo, hi, 0, 0);
    /* the averaging window first, under the lines */
    const VmPlotChain *c0 = &d->ch[0];
    if (c0->avg_from > 0 && c0->avg_to >= c0->avg_from) {
        plcol0(VM_PLOT_C_SHADE);
        vm_plot_rect((double)c0->avg_from, (double)c0->avg_to, lo, hi);
    }
    for (int c = 0; c < d->nchain; c++) {
        const VmPlotChain *ch = &d->ch[c];
        if (!ch->nelbo) continue;
        for (long i = 0; i < ch->nelbo; i++) { x[i] = (double)(i + 1); y[i] = ch->elbo[i]; }
        plcol0(VM_PLOT_C_LIGHT);
        plwidth(0.5);
        vm_plot_line((size_t)ch->nelbo, x, y);
        /* window means, at each window's middle */
        long W = elbo_window(ch), m = 0;
        for (long a = 0; a < ch->nelbo; a += W) {
            x[m] = (double)a + 0.5 * (double)(a + W < ch->nelbo ? W : ch->nelbo - a);
            y[m++] = elbo_window_mean(ch, a, W);
        }
        plwidth(2.5);
        vm_plot_chain_colour(c);
        vm_plot_line((size_t)m, x, y);
        plwidth(1);
    }
    plcol0(VM_PLOT_C_FG);
    plbox("bc", 0, 0, "bc", 0, 0);     /* the frame again, over the shading */
    pllab("iteration (grey: each estimate; line: window means; shaded: averaged into q)", "ELBO", title);
    free(x);
    free(y);
    return 0;
}
