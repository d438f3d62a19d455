#include "runtime/arena.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a) { a->head = a->first = NULL; a->used = 0; }

static ArenaBlock *block_new(size_t size)
{
    ArenaBlock *b = malloc(sizeof *b + size);
    if (!b) { fputs("vmod: out of memory\n", stderr); abort(); }
    b->next = NULL;
    b->size = size;
    return b;
}

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (a->head && a->used + n <= a->head->size) {
        void *p = a->head->data + a->used;
        a->used += n;
        return p;
    }
    /* Move to the next kept block if it is big enough, else chain a new one. */
    while (a->head && a->head->next) {
        a->head = a->head->next;
        a->used = 0;
        if (n <= a->head->size) { a->used = n; return a->head->data; }
    }
    size_t size = a->head ? a->head->size * 2 : 65536;
    while (size < n) size *= 2;
    ArenaBlock *b = block_new(size);
    if (a->head) a->head->next = b; else a->first = b;
    a->head = b;
    a->used = n;
    return b->data;
}

void *arena_zalloc(Arena *a, size_t n) { void *p = arena_alloc(a, n); memset(p, 0, n); return p; }

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void arena_reset(Arena *a) { a->head = a->first; a->used = 0; }

void arena_free(Arena *a)
{
    ArenaBlock *b = a->first;
    while (b) { ArenaBlock *n = b->next; free(b); b = n; }
    arena_init(a);
}
