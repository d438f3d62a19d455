/* Heap traffic of the code linked into the benchmark, counted by link-time wrapping
 * (-Wl,--wrap=malloc,...; see bench/meson.build).  Only calls from objects linked
 * statically (our library, the benchmark) are seen, not those inside shared
 * libraries such as jansson: exactly the allocations vmod's own code makes. */
#ifndef VM_BENCH_ALLOC_COUNT_H
#define VM_BENCH_ALLOC_COUNT_H

#include <stddef.h>

void alloc_count_reset(void);
size_t alloc_count_bytes(void);   /* bytes requested since the last reset */
size_t alloc_count_calls(void);   /* allocating calls since the last reset */

#endif
