/* vm_malloc and the recovery regions: see alloc.h. */
/* The one file that calls the C library's allocator itself: the seam's macros off. */
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup
#undef strndup
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/alloc.h"

static VmAllocFn vm_alloc_fn;
static void *vm_alloc_ud;
static atomic_long vm_alloc_n;        /* allocations since vm_alloc_fail_at */
static atomic_long vm_alloc_fail_k;   /* 0: never fail */
static _Thread_local VmOom *vm_oom_top;

void vm_set_allocator(VmAllocFn fn, void *ud)
{
    vm_alloc_fn = fn;
    vm_alloc_ud = ud;
}

void vm_alloc_fail_at(long k)
{
    atomic_store(&vm_alloc_n, 0);
    atomic_store(&vm_alloc_fail_k, k);
}

long vm_alloc_count(void) { return atomic_load(&vm_alloc_n); }

/* ---- the set of a tracking region's live allocations ---- */

static size_t slot_of(const void *p, size_t cap)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (cap - 1);
}

static int set_grow(VmOom *o)
{
    size_t ncap = o->cap ? o->cap * 2 : 1024;
    void **ns = calloc(ncap, sizeof *ns);   /* the C library's: the set is not the library's memory */
    if (!ns) return -1;
    for (size_t i = 0; i < o->cap; i++)
        if (o->set[i] && o->set[i] != (void *)1) {
            size_t k = slot_of(o->set[i], ncap);
            while (ns[k]) k = (k + 1) & (ncap - 1);
            ns[k] = o->set[i];
        }
    free(o->set);
    o->set = ns;
    o->cap = ncap;
    return 0;
}

static int set_add(VmOom *o, void *p)
{
    if ((o->n + 1) * 2 > o->cap && set_grow(o)) return -1;
    size_t k = slot_of(p, o->cap);
    while (o->set[k] && o->set[k] != (void *)1) k = (k + 1) & (o->cap - 1);
    o->set[k] = p;
    o->n++;
    return 0;
}

static void set_del(VmOom *o, void *p)
{
    if (!o->cap) return;
    size_t k = slot_of(p, o->cap);
    while (o->set[k]) {
        if (o->set[k] == p) {
            o->set[k] = (void *)1;   /* a tombstone keeps later probes going */
            o->n--;
            return;
        }
        k = (k + 1) & (o->cap - 1);
    }
}

/* The innermost tracking region: a region that only recovers (a gradient) inside a
 * load still has its allocations freed with the load's if the load fails. */
static VmOom *tracker(void)
{
    for (VmOom *o = vm_oom_top; o; o = o->prev)
        if (o->tracking) return o;
    return NULL;
}

/* ---- allocation ---- */

static int inject_failure(void)
{
    long k = atomic_load(&vm_alloc_fail_k);
    long n = atomic_fetch_add(&vm_alloc_n, 1) + 1;
    return k > 0 && n == k;
}

static void *raw_realloc(void *p, size_t n)
{
    if (inject_failure()) return NULL;
    return vm_alloc_fn ? vm_alloc_fn(vm_alloc_ud, p, n) : realloc(p, n);
}

static _Noreturn void out_of_memory(void) { _longjmp(vm_oom_top->jb, 1); }   /* no signal mask saved or restored */

/* A new block p (non-NULL) enters the tracking region's set, or is given back. */
static void *adopt(void *p)
{
    VmOom *o = tracker();
    if (o && set_add(o, p)) {
        vm_alloc_fn ? (void)vm_alloc_fn(vm_alloc_ud, p, 0) : free(p);
        out_of_memory();
    }
    return p;
}

void *vm_malloc(size_t n)
{
    void *p = raw_realloc(NULL, n ? n : 1);
    if (!p) {
        if (vm_oom_top) out_of_memory();
        return NULL;
    }
    return adopt(p);
}

void *vm_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        if (vm_oom_top) out_of_memory();
        return NULL;
    }
    void *p = vm_malloc(n * size);
    if (p) memset(p, 0, n * size > 0 ? n * size : 1);
    return p;
}

void *vm_realloc(void *p, size_t n)
{
    if (!p) return vm_malloc(n);
    void *q = raw_realloc(p, n ? n : 1);
    if (!q) {   /* p is still valid, and still where it was */
        if (vm_oom_top) out_of_memory();
        return NULL;
    }
    VmOom *o = tracker();
    if (o && q != p) {
        set_del(o, p);
        if (set_add(o, q)) {
            vm_alloc_fn ? (void)vm_alloc_fn(vm_alloc_ud, q, 0) : free(q);
            out_of_memory();
        }
    }
    return q;
}

void vm_free(void *p)
{
    if (!p) return;
    VmOom *o = tracker();
    if (o) set_del(o, p);
    if (vm_alloc_fn) vm_alloc_fn(vm_alloc_ud, p, 0);
    else free(p);
}

char *vm_strdup(const char *s) { return vm_strndup(s, strlen(s)); }

char *vm_strndup(const char *s, size_t n)
{
    size_t k = strnlen(s, n);
    char *d = vm_malloc(k + 1);
    if (!d) return NULL;
    memcpy(d, s, k);
    d[k] = 0;
    return d;
}

/* ---- regions ---- */

int vm_oom_defer(void (*fn)(void *), void *p)
{
    VmOom *o = vm_oom_top;
    if (!o || o->ndefer == (int)(sizeof o->defer / sizeof *o->defer)) return -1;
    o->defer[o->ndefer].fn = fn;
    o->defer[o->ndefer].p = p;
    o->ndefer++;
    return 0;
}

void vm_oom_undefer(void *p)
{
    VmOom *o = vm_oom_top;
    for (int i = o ? o->ndefer - 1 : -1; i >= 0; i--)
        if (o->defer[i].p == p) {
            o->defer[i] = o->defer[--o->ndefer];
            return;
        }
}

void vm_oom_begin(VmOom *o, int track)
{
    o->ndefer = 0;
    o->prev = vm_oom_top;
    o->tracking = track;
    o->set = NULL;
    o->cap = o->n = 0;
    vm_oom_top = o;
}

void vm_oom_end(VmOom *o, int failed)
{
    vm_oom_top = o->prev;
    if (failed)
        for (int i = o->ndefer - 1; i >= 0; i--) o->defer[i].fn(o->defer[i].p);
    o->ndefer = 0;
    if (failed && o->tracking)
        for (size_t i = 0; i < o->cap; i++)
            if (o->set[i] && o->set[i] != (void *)1) {
                if (vm_alloc_fn) vm_alloc_fn(vm_alloc_ud, o->set[i], 0);
                else free(o->set[i]);
            }
    /* a nested tracking region's survivors belong to the enclosing one's load too */
    if (!failed && o->tracking && o->prev && o->prev->tracking)
        for (size_t i = 0; i < o->cap; i++)
            if (o->set[i] && o->set[i] != (void *)1) set_add(o->prev, o->set[i]);
    if (o->set) {
        free(o->set);
        o->set = NULL;
    }
}
