/* Posterior summary statistics of one output column over all chains.
 * (Declared by the driver branch; the lead reconciles it with summary.c.) */
#ifndef VM_SUMMARY_H
#define VM_SUMMARY_H

typedef struct SumStats {
    double mean, sd, mcse, q5, q50, q95, ess_bulk, ess_tail, rhat;
} SumStats;

/* draws: [chain][draw], chains x n values.  mean and sd over all draws; q5/q50/q95
 * by linear interpolation (R's type 7); rhat = max of the rank-normalised split-Rhat
 * of the draws and of their folded values, ess_bulk and ess_tail as in Vehtari,
 * Gelman, Simpson, Carpenter and Bürkner (2021), mcse of the mean = sd / sqrt(ess_mean).
 * Statistics that are undefined (a constant column, fewer than 4 draws, any
 * non-finite draw) are NaN. */
void summary_stats(const double *draws, int chains, long n, SumStats *out);

#endif
