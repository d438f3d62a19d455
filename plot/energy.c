/* The NUTS energy plot (Betancourt 2016, "Diagnosing suboptimal cotangent disintegrations
 * in Hamiltonian Monte Carlo"): the marginal energy E - mean(E) against the energy
 * transitions E_n - E_(n-1).  When the transitions are much narrower than the marginal,
 * momentum resampling cannot move the chain through the energy levels (heavy tails).
 * The title gives each chain's E-BFMI, sum((E_n - E_(n-1))^2) / N over the sample
 * variance of E, as rstan's get_bfmi computes it; below 0.3 is a warning sign. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <plplot/plplot.h>
#include "plot/plot_int.h"

#define ENERGY_BINS 40

double vm_plot_ebfmi(const double *v, size_t stride, long n)
{
    if (n < 3) return NAN;
    double m = 0, var = 0, num = 0;
    for (long i = 0; i < n; i++) m += v[(size_t)i * stride];
    m /= (double)n;
    for (long i = 0; i < n; i++) {
        double e = v[(size_t)i * stride];
        var += (e - m) * (e - m);
        if (i) {
            double de = e - v[(size_t)(i - 1) * stride];
            num += de * de;
        }
    }
    return (num / (double)n) / (var / (double)(n - 1));
}

static void energy_hist(const double *x, size_t n, double lo, double hi, double *cnt)
{
    for (int b = 0; b < ENERGY_BINS; b++) cnt[b] = 0;
    double w = (hi - lo) / ENERGY_BINS;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        /* clamped as a double: (long) of NaN or of a huge value is undefined */
        double t = (x[i] - lo) / w;
        long b = t >= ENERGY_BINS ? ENERGY_BINS - 1 : t > 0 ? (long)t : 0;
        cnt[b] += 1 / ((double)n * w);     /* a density, so that both sets compare */
    }
}

int vm_plot_energy(const VmPlotJob *j, char *err, size_t errlen)
{
    const VmPlotDraws *d = j->d;
    long ce = vm_plot_col(d, "energy__");
    size_t N = 0;
    for (int c = 0; c < d->nchain; c++) N += (size_t)d->ch[c].n;
    double *marg = malloc(N * sizeof *marg), *tr = malloc(N * sizeof *tr);
    if (ce < 0 || !marg || !tr) {
        free(marg); free(tr);
        snprintf(err, errlen, ce < 0 ? "no energy__ column" : "out of memory");
        return -1;
    }
    size_t nm = 0, nt = 0;
    char title[512];
    int tl = snprintf(title, sizeof title, "energy; E-BFMI by chain:");
    double worst = INFINITY;
    for (int c = 0; c < d->nchain; c++) {
        const VmPlotChain *ch = &d->ch[c];
        const double *e = ch->v + ce;
        double m = 0;
        for (long i = 0; i < ch->n; i++) m += e[(size_t)i * d->ncol];
        m /= (double)ch->n;
        for (long i = 0; i < ch->n; i++) {
            marg[nm++] = e[(size_t)i * d->ncol] - m;
            if (i) tr[nt++] = e[(size_t)i * d->ncol] - e[(size_t)(i - 1) * d->ncol];
        }
        double b = vm_plot_ebfmi(e, d->ncol, ch->n);
        if (b < worst) worst = b;
        if (tl < (int)sizeof title - 16) tl += snprintf(title + tl, sizeof title - (size_t)tl, " %.2f", b);
    }
    if (worst < 0.3 && tl < (int)sizeof title - 24)
        snprintf(title + tl, sizeof title - (size_t)tl, " (below 0.3: low)");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nm; i++) if (isfinite(marg[i])) { lo = fmin(lo, marg[i]); hi = fmax(hi, marg[i]); }
    for (size_t i = 0; i < nt; i++) if (isfinite(tr[i])) { lo = fmin(lo, tr[i]); hi = fmax(hi, tr[i]); }
    if (!(lo < hi)) { lo -= 1; hi += 1; }
    double hm[ENERGY_BINS], ht[ENERGY_BINS], top = 0, w = (hi - lo) / ENERGY_BINS;
    energy_hist(marg, nm, lo, hi, hm);
    energy_hist(tr, nt, lo, hi, ht);
    for (int b = 0; b < ENERGY_BINS; b++) top = fmax(top, fmax(hm[b], ht[b]));
    plssub(1, 1);
    plschr(0, 0.9);
    vm_plot_panel(lo, hi, 0, top > 0 ? 1.1 * top : 1, "E - mean(E),  E(n) - E(n-1)", "density", title);
    plscol0a(VM_PLOT_C_CHAIN, 0, 114, 178, 0.55);
    plscol0a(VM_PLOT_C_CHAIN + 1, 230, 159, 0, 0.55);
    for (int b = 0; b < ENERGY_BINS; b++) {
        plcol0(VM_PLOT_C_CHAIN);
        if (hm[b] > 0) vm_plot_rect(lo + b * w, lo + (b + 1) * w, 0, hm[b]);
        plcol0(VM_PLOT_C_CHAIN + 1);
        if (ht[b] > 0) vm_plot_rect(lo + b * w, lo + (b + 1) * w, 0, ht[b]);
    }
    PLINT opt[2] = {PL_LEGEND_COLOR_BOX, PL_LEGEND_COLOR_BOX};
    PLINT tcol[2] = {VM_PLOT_C_FG, VM_PLOT_C_FG}, bcol[2] = {VM_PLOT_C_CHAIN, VM_PLOT_C_CHAIN + 1};
    PLINT bpat[2] = {0, 0}, none[2] = {0, 0};
    PLFLT bscale[2] = {0.8, 0.8}, bwidth[2] = {1, 1}, lw[2] = {1, 1}, ss[2] = {1, 1};
    PLCHAR_VECTOR text[2] = {"marginal energy", "energy transition"}, sym[2] = {"", ""};
    PLFLT lw_out, lh_out;
    pllegend(&lw_out, &lh_out, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.02, 0.02, 0.05,
             VM_PLOT_C_BG, VM_PLOT_C_FG, 1, 0, 0, 2, opt, 1.0, 0.9, 2.0, 0.0, tcol, text, bcol, bpat,
             bscale, bwidth, none, none, lw, none, ss, none, sym);
    free(marg);
    free(tr);
    return 0;
}
