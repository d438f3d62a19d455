/* radix_: see radix.h.  Eight passes of one byte, least significant first, each a
 * stable counting sort; a pass whose byte is the same in every key is skipped (the
 * sign and exponent bytes of draws of one quantity mostly are).  Short arrays go by
 * insertion, which is stable too. */
#include <stdint.h>
#include <string.h>
#include "driver/radix.h"

#define RADIX_SHORT 48

/* An unsigned key in the order of the doubles: flip every bit of a negative, the sign
 * bit of a positive; -0.0 becomes +0.0 so that the two tie. */
static uint64_t radix_key(double x)
{
    if (x == 0)
        x = 0.0;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | (1ULL << 63);
}

/* Histograms of the eight bytes of every key, in one read. */
#define RADIX_COUNT(p, n, val)                                                 \
    do {                                                                       \
        memset(cnt, 0, sizeof cnt);                                            \
        for (size_t i_ = 0; i_ < (n); i_++) {                                  \
            uint64_t k_ = radix_key(val((p)[i_]));                             \
            for (int b_ = 0; b_ < 8; b_++)                                     \
                cnt[b_][(k_ >> (8 * b_)) & 0xff]++;                            \
        }                                                                      \
    } while (0)

#define RADIX_SORT(T, p, n, tmp, val)                                          \
    do {                                                                       \
        size_t cnt[8][256];                                                    \
        RADIX_COUNT(p, n, val);                                                \
        T *src = (p), *dst = (tmp);                                            \
        for (int b = 0; b < 8; b++) {                                          \
            size_t *c = cnt[b];                                                \
            if (c[(radix_key(val(src[0])) >> (8 * b)) & 0xff] == (n))          \
                continue;   /* one value of this byte: the order stands */     \
            size_t sum = 0;                                                    \
            for (int d = 0; d < 256; d++) {                                    \
                size_t t = c[d];                                               \
                c[d] = sum;                                                    \
                sum += t;                                                      \
            }                                                                  \
            for (size_t i = 0; i < (n); i++)                                   \
                dst[c[(radix_key(val(src[i])) >> (8 * b)) & 0xff]++] = src[i]; \
            T *s = src;                                                        \
            src = dst;                                                         \
            dst = s;                                                           \
        }                                                                      \
        if (src != (p))                                                        \
            memcpy((p), src, (n) * sizeof *src);                               \
    } while (0)

#define RADIX_SELF(x) (x)
#define RADIX_V(x) ((x).v)

void radix_doubles(double *x, size_t n, double *tmp)
{
    if (n < RADIX_SHORT) {
        for (size_t i = 1; i < n; i++) {
            double v = x[i];
            size_t j = i;
            for (; j > 0 && x[j - 1] > v; j--)
                x[j] = x[j - 1];
            x[j] = v;
        }
        return;
    }
    RADIX_SORT(double, x, n, tmp, RADIX_SELF);
}

void radix_pairs(RadixPair *p, size_t n, RadixPair *tmp)
{
    if (n < RADIX_SHORT) {
        for (size_t i = 1; i < n; i++) {
            RadixPair v = p[i];
            size_t j = i;
            for (; j > 0 && p[j - 1].v > v.v; j--)
                p[j] = p[j - 1];
            p[j] = v;
        }
        return;
    }
    RADIX_SORT(RadixPair, p, n, tmp, RADIX_V);
}
