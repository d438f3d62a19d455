/* Rank histograms (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021, "Rank-
 * normalization, folding, and localization", sec. 4 and fig. 3): the draws of all
 * chains are ranked together and each chain's ranks binned; chains that mix well give
 * near-uniform histograms.  One panel per variable with the chains stacked as ArviZ's
 * plot_rank does, the dashed line at the uniform count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

#define RANK_BINS 20

typedef struct RankPair { double v; size_t i; } RankPair;

static int rank_cmp(const void *a, const void *b)
{
    double x = ((const RankPair *)a)->v, y = ((const RankPair *)b)->v;
    /* NaN last, so that it cannot break the sort's order */
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

/* Average ranks (1..N) of the pooled draws of column col into r[N], chain-major. */
static void rank_pooled(const VmPlotDraws *d, size_t col, RankPair *p, double *r, size_t N)
{
    size_t k = 0;
    for (int c = 0; c < d->nchain; c++)
        for (long i = 0; i < d->ch[c].n; i++, k++) {
            p[k].v = d->ch[c].v[(size_t)i * d->ncol + col];
            p[k].i = k;
        }
    qsort(p, N, sizeof *p, rank_cmp);
    for (size_t a = 0; a < N;) {
        size_t b = a;
        while (b + 1 < N && p[b + 1].v == p[a].v) b++;
        double avg = 0.5 * (double)(a + b) + 1;
        for (size_t t = a; t <= b; t++) r[p[t].i] = avg;
        a = b + 1;
    }
}

int vm_plot_rank(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    size_t N = 0;
    for (int c = 0; c < d->nchain; c++) N += (size_t)d->ch[c].n;
    size_t B = N / (size_t)d->nchain / 5 < RANK_BINS ? N / (size_t)d->nchain / 5 : RANK_BINS;
    if (B < 2) B = 2;
    RankPair *p = malloc(N * sizeof *p);
    double *r = malloc(N * sizeof *r);
    long *cnt = calloc((size_t)d->nchain * B, sizeof *cnt);
    if (!p || !r || !cnt) {
        free(p); free(r); free(cnt);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int cols, rows;
    vm_plot_grid(j->ncol, 0, &cols, &rows);
    plssub(cols, rows);
    vm_plot_text_size(rows);
    double C = d->nchain;
    for (size_t k = 0; k < j->ncol; k++) {
        size_t col = j->col[k];
        rank_pooled(d, col, p, r, N);
        memset(cnt, 0, (size_t)d->nchain * B * sizeof *cnt);
        size_t off = 0;
        long most = 1;
        for (int c = 0; c < d->nchain; c++) {
            for (long i = 0; i < d->ch[c].n; i++) {
                size_t b = (size_t)((r[off + (size_t)i] - 1) * (double)B / (double)N);
                if (b >= B) b = B - 1;
                long *x = &cnt[(size_t)c * B + b];
                if (++*x > most) most = *x;
            }
            off += (size_t)d->ch[c].n;
        }
        plcol0(VM_PLOT_C_FG);
        pladv(0);
        plvsta();
        plwind(0, (double)N, 0, C);
        /* each chain's band is one unit high; the tallest bar fills 90% of it */
        double scale = 0.9 / (double)most, w = (double)N / (double)B;
        for (int c = 0; c < d->nchain; c++) {
            double base = C - 1 - c;
            vm_plot_chain_colour(c);
            for (size_t b = 0; b < B; b++)
                vm_plot_rect((double)b * w + 0.08 * w, (double)(b + 1) * w - 0.08 * w, base,
                             base + scale * (double)cnt[(size_t)c * B + b]);
            double e = base + scale * (double)d->ch[c].n / (double)B;
            PLFLT ex[2] = {0, (double)N}, ey[2] = {e, e};
            plcol0(VM_PLOT_C_FG);
            pllsty(2);
            plline(2, ex, ey);
            pllsty(1);
            char lab[32];
            snprintf(lab, sizeof lab, "%d", c + 1);
            plmtex("l", 1.0, (base + 0.45) / C, 0.5, lab);
        }
        plcol0(VM_PLOT_C_FG);
        plbox("bcnst", 0, 0, "bc", 0, 0);
        pllab("rank (all chains)", "chain", d->names[col]);
    }
    free(p);
    free(r);
    free(cnt);
    return 0;
}
