/* Every statistical test draws its seeds through test_seed(): VMOD_TEST_SEED_SHIFT=k moves
 * all of them at once, so that the tolerances can be checked against other random streams
 * (a test that passes for one seed only would fail on a machine whose floating point
 * differs in the last bit, because a chain that differs once differs from then on). */
#ifndef VM_TEST_SEED_H
#define VM_TEST_SEED_H
#include <stdlib.h>
static inline unsigned long test_seed(unsigned long seed)
{
    const char *s = getenv("VMOD_TEST_SEED_SHIFT");
    return s ? seed + 7919ul * strtoul(s, NULL, 10) : seed;
}
#endif
