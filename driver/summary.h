/* Posterior summaries of MCMC draws: mean, sd, MCSE of the mean, 5/50/95% quantiles,
 * bulk and tail ESS and R-hat, as in Vehtari, Gelman, Simpson, Carpenter and Buerkner
 * (2021), "Rank-normalization, folding, and localization: an improved R-hat", computed
 * exactly as R's `posterior` package (1.4) does in summarise_draws(): split chains,
 * rank normalisation with average ranks, Geyer's initial monotone sequence, quantiles
 * of R's type 7.  Where posterior returns NA the value here is NaN and `flags` says
 * why, so that a printer never shows a silent NaN. */
#ifndef VM_SUMMARY_H
#define VM_SUMMARY_H

#include <stddef.h>

/* Reasons for a NaN (or a caveat) in a row; OR-ed into SumStats.flags. */
enum {
    SUM_F_NONFINITE = 1u << 0,  /* some draw is NaN or infinite */
    SUM_F_NAN = 1u << 1,        /* some draw is NaN: every statistic is NaN */
    SUM_F_CONSTANT = 1u << 2,   /* all draws (nearly) equal: R-hat, ESS, MCSE undefined */
    SUM_F_FEW_DRAWS = 1u << 3,  /* fewer than 3 draws per half chain: ESS undefined */
    SUM_F_TAIL_DEGEN = 1u << 4, /* a tail indicator or ranked draw set is constant */
    SUM_F_ESS_CAPPED = 1u << 5, /* an ESS was capped at S log10(S) (posterior warns) */
    SUM_F_UNDEFINED = 1u << 6,  /* another statistic came out NaN */
};
#define SUM_NFLAGS 7

typedef struct SumStats {
    double mean, sd, mcse_mean, q5, q50, q95, ess_bulk, ess_tail, rhat;
    unsigned flags;
} SumStats;

/* Scratch for one shape (chains x draws); reused across columns, so summarising
 * allocates nothing per column. */
typedef struct SumWork SumWork;

SumWork *sum_work_new(int chains, size_t ndraws);
void sum_work_free(SumWork *w);

/* Summarise one column.  Draw d of chain c is draws[(c * ndraws + d) * stride]: stride 1
 * for a [chain][draw] array, ncols for RunResult's [chain][draw][col] with
 * draws = res->draws + col. */
void sum_column(SumWork *w, const double *draws, size_t stride, SumStats *out);

/* The same without a caller-held workspace.  Returns 0, or -1 when out of memory. */
int sum_compute(const double *draws, int chains, size_t ndraws, size_t stride, SumStats *out);

/* The message for one flag bit (SUM_F_*), e.g. for a note under the table. */
const char *sum_flag_text(unsigned flag);

/* All of `flags` as "; "-separated messages into buf (always NUL-terminated).
 * Returns the length that the full text needs, like snprintf. */
size_t sum_flags_describe(unsigned flags, char *buf, size_t len);

/* The table of docs/vrun-cli.md ("mean sd mcse 5% 50% 95% ess_bulk ess_tail rhat"),
 * one row per column, NaN shown as "NA", then one note per flagged row naming the
 * column and the reasons, so that no NA is left unexplained.  Returns the number of
 * notes written. */
#include <stdio.h>
size_t sum_write_table(FILE *out, size_t n, const char *const *names, const SumStats *st);

#endif
