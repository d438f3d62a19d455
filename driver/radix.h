/* Stable LSD radix sorts of doubles, for the summaries: R's sort() and order() on
 * every column of every draw (three sorts per column, 10^4-10^6 draws), where qsort's
 * comparison callbacks were most of a summary's time.  The result is that of a stable
 * sort by (x > y) - (x < y): -0.0 and +0.0 tie and keep their input order.  NaN must
 * not occur (the summaries handle a column with NaN before sorting). */
#ifndef VM_RADIX_H
#define VM_RADIX_H

#include <stddef.h>

typedef struct RadixPair {
    double v;
    size_t i;
} RadixPair;

/* Sort x[n] ascending; tmp holds n doubles. */
void radix_doubles(double *x, size_t n, double *tmp);
/* Sort p[n] by v, ties in their input order (so by i when p was filled in order of
 * i); tmp holds n pairs. */
void radix_pairs(RadixPair *p, size_t n, RadixPair *tmp);

#endif
