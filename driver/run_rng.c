/* One random stream per chain, a function of (seed, chain) only, so a run is the same
 * bit for bit for any number of threads.  SplitMix64 (Steele, Lea and Flood 2014)
 * hashes the pair into the seed of a Mersenne Twister: nearby seeds and chain ids
 * give unrelated streams. */
#include <stdint.h>
#include "driver/run.h"

static uint64_t rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

gsl_rng *run_chain_rng(unsigned long seed, int chain)
{
    uint64_t x = (uint64_t)seed;
    uint64_t h = rng_splitmix64(&x);
    x = h ^ ((uint64_t)(unsigned)chain * UINT64_C(0xd1342543de82ef95));
    h = rng_splitmix64(&x);
    /* mt19937 uses the low 32 bits; fold the high half in, and avoid 0 (GSL maps it
     * to its default seed, which another (seed, chain) could also reach). */
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & UINT64_C(0xffffffff));
    if (s == 0)
        s = 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, s);
    return r;
}
