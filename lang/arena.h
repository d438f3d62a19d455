/* Bump allocator: blocks that double in size, reset (not freed) between uses, so a
 * compile or a density evaluation allocates nothing once warm (Stan's stack_alloc). */
#ifndef VM_ARENA_H
#define VM_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;      /* current block */
    ArenaBlock *first;
    unsigned char *cur, *end;   /* free space in head (NULL before the first block) */
} Arena;

void arena_init(Arena *a);
void *arena_alloc_slow(Arena *a, size_t n);         /* n already rounded: the next block */
/* 16-byte aligned, never NULL (aborts only on OOM in main's hook).  Inline: the
 * interpreter allocates a few bytes per scalar value. */
static inline void *arena_alloc(Arena *a, size_t n)
{
    n = n ? (n + 15) & ~(size_t)15 : 16;
    if (a->end && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    return arena_alloc_slow(a, n);
}
void *arena_zalloc(Arena *a, size_t n);
char *arena_strndup(Arena *a, const char *s, size_t n);
void arena_reset(Arena *a);                         /* keep the blocks */
void arena_free(Arena *a);
#endif
