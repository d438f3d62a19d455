/* Trace plots: each chain's draws against the iteration, one colour per chain, one
 * panel per variable (bayesplot's mcmc_trace, ArviZ's plot_trace right column). */
#include <stdlib.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

int vm_plot_trace(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    long nmax = 0;
    for (int c = 0; c < d->nchain; c++)
        if (d->ch[c].n > nmax) nmax = d->ch[c].n;
    PLFLT *x = malloc((size_t)nmax * sizeof *x), *y = malloc((size_t)nmax * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (long i = 0; i < nmax; i++) x[i] = (PLFLT)(i + 1);
    int cols, rows;
    vm_plot_grid(j->ncol, 1, &cols, &rows);
    plssub(cols, rows);
    vm_plot_text_size(rows);
    for (size_t k = 0; k < j->ncol; k++) {
        size_t col = j->col[k];
        double lo, hi;
        vm_plot_col_limits(d, col, &lo, &hi);
        vm_plot_panel(1, (double)(nmax > 1 ? nmax : 2), lo, hi, "iteration", "", d->names[col]);
        for (int c = 0; c < d->nchain; c++) {
            const VmPlotChain *ch = &d->ch[c];
            for (long i = 0; i < ch->n; i++) y[i] = ch->v[(size_t)i * d->ncol + col];
            vm_plot_chain_colour(c);
            vm_plot_line((size_t)ch->n, x, y);
        }
    }
    vm_plot_chain_legend(d, j->ncol, cols, rows);
    free(x);
    free(y);
    return 0;
}
