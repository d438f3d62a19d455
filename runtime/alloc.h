/* The library's allocator hook and its out-of-memory recovery (as Lua's lua_Alloc and
 * ltests.c).  Every allocation of the library's own code goes through vm_malloc and
 * friends: runtime/alloc_seam.h, included before every library source by the build,
 * turns malloc, calloc, realloc, free, strdup and strndup into them, and jansson is
 * given them too.  Not covered: memory that the C library allocates for the library
 * (asprintf, open_memstream, getline) and GSL's own (gsl_rng_alloc).
 *
 * The hook's memory must be interchangeable with malloc's (the C library frees with
 * free what asprintf made, and vice versa): it is a seam to count, limit or fail
 * allocations, not to replace the heap.
 *
 * Recovery: an allocation that fails inside a VM_OOM_TRY region does not return NULL;
 * it jumps back to the region, which reports "out of memory".  vm_model_load is such a
 * region that also tracks what it allocated and frees it all when it fails, so a load
 * that runs out of memory leaks nothing; vm_log_density is one that keeps the
 * evaluator's state (a failed allocation never replaced a pointer). */
#ifndef VM_ALLOC_H
#define VM_ALLOC_H

#include <setjmp.h>
#include <stddef.h>

/* realloc's contract: ptr NULL allocates, size 0 frees (and returns NULL). */
typedef void *(*VmAllocFn)(void *ud, void *ptr, size_t size);

/* The process's allocator for the library (NULL: the C library's). */
void vm_set_allocator(VmAllocFn fn, void *ud);

/* Test mode: the k-th allocation from now fails (k >= 1), that one only; 0 turns it
 * off.  vm_alloc_count: allocations made since the last vm_alloc_fail_at. */
void vm_alloc_fail_at(long k);
long vm_alloc_count(void);

void *vm_malloc(size_t n);
void *vm_calloc(size_t n, size_t size);
void *vm_realloc(void *p, size_t n);
void vm_free(void *p);
char *vm_strdup(const char *s);
char *vm_strndup(const char *s, size_t n);

/* A recovery region (one per thread at a time may track). */
typedef struct VmOom {
    jmp_buf jb;
    struct VmOom *prev;
    int tracking;
    void **set;               /* open addressing, of the live allocations made inside */
    size_t cap, n;
    struct { void (*fn)(void *); void *p; } defer[8];   /* vm_oom_defer */
    int ndefer;
} VmOom;

/* if (VM_OOM_TRY(&o, track)) { ...failed: out of memory... } else { ...work...; }
 * then vm_oom_end(&o) on both paths (after the failure path it frees the tracked
 * allocations when track was set). */
#define VM_OOM_TRY(o, track) (vm_oom_begin((o), (track)), _setjmp((o)->jb) != 0)
void vm_oom_begin(VmOom *o, int track);
void vm_oom_end(VmOom *o, int failed);
/* Memory the library gets from elsewhere (GSL's gsl_rng_alloc) is released by fn(p) if
 * the innermost region fails before vm_oom_undefer(p).  Returns -1 (nothing done) when
 * there is no region or no room: the caller then just frees p itself as usual. */
int vm_oom_defer(void (*fn)(void *), void *p);
void vm_oom_undefer(void *p);

#endif
