/* See alloc_count.h.  The counters are the one piece of global mutable state in the
 * benchmark: a malloc hook has nowhere else to keep them.  The benchmark is single
 * threaded while it counts. */
#include "alloc_count.h"

#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);

static size_t ac_bytes, ac_calls;

static void ac_note(size_t n)
{
    ac_bytes += n;
    ac_calls++;
}

void *__wrap_malloc(size_t n)
{
    ac_note(n);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    ac_note(k * n);
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    ac_note(n);
    return __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t a, size_t n)
{
    ac_note(n);
    return __real_aligned_alloc(a, n);
}

int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
    ac_note(n);
    return __real_posix_memalign(p, a, n);
}

void alloc_count_reset(void)
{
    ac_bytes = 0;
    ac_calls = 0;
}

size_t alloc_count_bytes(void)
{
    return ac_bytes;
}

size_t alloc_count_calls(void)
{
    return ac_calls;
}
