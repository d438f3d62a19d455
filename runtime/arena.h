/* Bump allocator: blocks that double in size, reset (not freed) between uses, so a
 * compile or a density evaluation allocates nothing once warm (Stan's stack_alloc). */
#ifndef VM_ARENA_H
#define VM_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;      /* current block */
    ArenaBlock *first;
    size_t used;           /* bytes used in head */
} Arena;

void arena_init(Arena *a);
void *arena_alloc(Arena *a, size_t n);              /* 16-byte aligned, never NULL (aborts only on OOM in main's hook) */
void *arena_zalloc(Arena *a, size_t n);
char *arena_strndup(Arena *a, const char *s, size_t n);
void arena_reset(Arena *a);                         /* keep the blocks */
void arena_free(Arena *a);
#endif
