/* Pairs plot: the lower triangle of scatter plots of every two variables with each
 * variable's histogram on the diagonal, divergent transitions drawn last in red (and
 * nothing else in red), as bayesplot's mcmc_pairs marks them: divergences that gather
 * in one corner (the neck of a funnel) show where the sampler cannot go. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

#define PAIRS_L 0.08
#define PAIRS_R 0.02
#define PAIRS_B 0.08
#define PAIRS_T 0.06
#define PAIRS_GAP 0.004
#define PAIRS_BINS 30
/* at most this many non-divergent draws per panel (every k-th): more only darken the
 * cloud, and each point is a path in the SVG (10 variables x 4000 draws made 26 MB) */
#define PAIRS_MAX_POINTS 1000

void vm_plot_pairs_cell(size_t n, size_t i, size_t j, double box[4])
{
    double cw = (1 - PAIRS_L - PAIRS_R) / (double)n, ch = (1 - PAIRS_B - PAIRS_T) / (double)n;
    box[0] = PAIRS_L + (double)j * cw + PAIRS_GAP;
    box[1] = PAIRS_L + (double)(j + 1) * cw - PAIRS_GAP;
    box[3] = 1 - PAIRS_T - (double)i * ch - PAIRS_GAP;
    box[2] = 1 - PAIRS_T - (double)(i + 1) * ch + PAIRS_GAP;
}

static void pairs_hist(const VmPlotDraws *d, size_t col, double lo, double hi)
{
    long cnt[PAIRS_BINS] = {0}, most = 1;
    for (int c = 0; c < d->nchain; c++)
        for (long i = 0; i < d->ch[c].n; i++) {
            double v = d->ch[c].v[(size_t)i * d->ncol + col];
            if (!isfinite(v)) continue;
            /* clamped as a double: (long) of NaN or of a huge value is undefined */
            double t = (v - lo) / (hi - lo) * PAIRS_BINS;
            long b = t >= PAIRS_BINS ? PAIRS_BINS - 1 : t > 0 ? (long)t : 0;
            if (++cnt[b] > most) most = cnt[b];
        }
    plwind(lo, hi, 0, 1.08 * (double)most);
    plcol0(VM_PLOT_C_GRAY);
    double w = (hi - lo) / PAIRS_BINS;
    for (int b = 0; b < PAIRS_BINS; b++)
        if (cnt[b]) vm_plot_rect(lo + b * w, lo + (b + 1) * w, 0, (double)cnt[b]);
}

/* The draws of one chain with divergent__ == want, as points. */
static void pairs_points(const VmPlotDraws *d, int c, size_t cx, size_t cy, long cdiv, int want,
                         long step, PLFLT *x, PLFLT *y)
{
    const VmPlotChain *ch = &d->ch[c];
    PLINT m = 0;
    for (long i = 0; i < ch->n; i++) {
        if (!want && i % step) continue;
        const double *row = ch->v + (size_t)i * d->ncol;
        int div = cdiv >= 0 && row[cdiv] > 0.5;
        if (div != want || !isfinite(row[cx]) || !isfinite(row[cy])) continue;
        x[m] = row[cx];
        y[m] = row[cy];
        m++;
    }
    if (m) plpoin(m, x, y, want ? 17 : 1);
}

/* A tick interval giving about 3 labels over [lo, hi] (1, 2 or 5 times a power of 10):
 * PLplot's own choice crowds the numbers of a small cell together. */
static double pairs_tick(double lo, double hi)
{
    double r = (hi - lo) / 3;
    if (!(r > 0) || !isfinite(r)) return 0;
    double p = pow(10, floor(log10(r))), m = r / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

int vm_plot_pairs(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    size_t n = j->ncol;
    long nmax = 0, ndiv = 0, ntot = 0, cdiv = vm_plot_col(d, "divergent__");
    for (int c = 0; c < d->nchain; c++) {
        if (d->ch[c].n > nmax) nmax = d->ch[c].n;
        ntot += d->ch[c].n;
        for (long i = 0; cdiv >= 0 && i < d->ch[c].n; i++)
            ndiv += d->ch[c].v[(size_t)i * d->ncol + (size_t)cdiv] > 0.5;
    }
    PLFLT *x = malloc((size_t)nmax * sizeof *x), *y = malloc((size_t)nmax * sizeof *y);
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    if (!x || !y || !lo || !hi) {
        free(x); free(y); free(lo); free(hi);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long step = (ntot + PAIRS_MAX_POINTS - 1) / PAIRS_MAX_POINTS;
    for (size_t k = 0; k < n; k++) vm_plot_col_limits(d, j->col[k], &lo[k], &hi[k]);
    plssub(1, 1);
    pladv(0);
    plschr(0, n <= 3 ? 0.8 : n <= 6 ? 0.6 : 0.45);
    char title[160];
    if (cdiv < 0) snprintf(title, sizeof title, "pairs (no divergent__ column)");
    else snprintf(title, sizeof title, "pairs: %ld divergent transition%s%s", ndiv, ndiv == 1 ? "" : "s",
                  ndiv ? " (red)" : "");
    plvpor(PAIRS_L, 1 - PAIRS_R, PAIRS_B, 1 - PAIRS_T);
    plcol0(VM_PLOT_C_FG);
    plmtex("t", 1.2, 0.5, 0.5, title);
    for (size_t i = 0; i < n; i++)
        for (size_t jj = 0; jj <= i; jj++) {
            double box[4];
            vm_plot_pairs_cell(n, i, jj, box);
            plvpor(box[0], box[1], box[2], box[3]);
            if (i == jj) pairs_hist(d, j->col[i], lo[i], hi[i]);
            else {
                plwind(lo[jj], hi[jj], lo[i], hi[i]);
                plssym(0, 0.5);
                plcol0(VM_PLOT_C_POINT);
                for (int c = 0; c < d->nchain; c++) pairs_points(d, c, j->col[jj], j->col[i], cdiv, 0, step, x, y);
                plssym(0, n <= 4 ? 0.6 : 0.4);
                plcol0(VM_PLOT_C_RED);
                for (int c = 0; c < d->nchain; c++) pairs_points(d, c, j->col[jj], j->col[i], cdiv, 1, 1, x, y);
            }
            plcol0(VM_PLOT_C_FG);
            const char *xo = i == n - 1 ? "bcnst" : "bcst", *yo = jj == 0 && i > 0 ? "bcnst" : "bcst";
            plbox(xo, pairs_tick(lo[jj], hi[jj]), 0, i == jj ? "bc" : yo, pairs_tick(lo[i], hi[i]), 0);
            if (i == n - 1) plmtex("b", 3.0, 0.5, 0.5, d->names[j->col[jj]]);
            if (jj == 0) plmtex("l", i > 0 ? 3.5 : 1.0, 0.5, 0.5, d->names[j->col[i]]);
        }
    free(x); free(y); free(lo); free(hi);
    return 0;
}
