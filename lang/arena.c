#include "lang/arena.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a) { a->head = a->first = NULL; a->cur = a->end = NULL; }

static ArenaBlock *block_new(size_t size)
{
    ArenaBlock *b = malloc(sizeof *b + size);
    if (!b) { fputs("vmod: out of memory\n", stderr); abort(); }
    b->next = NULL;
    b->size = size;
    return b;
}

static void *take(Arena *a, ArenaBlock *b, size_t n)
{
    a->head = b;
    a->cur = b->data + n;
    a->end = b->data + b->size;
    return b->data;
}

void *arena_alloc_slow(Arena *a, size_t n)
{
    /* Move to the next kept block if it is big enough, else chain a new one. */
    while (a->head && a->head->next) {
        a->head = a->head->next;
        a->cur = a->head->data;
        a->end = a->head->data + a->head->size;
        if (n <= a->head->size) return take(a, a->head, n);
    }
    size_t size = a->head ? a->head->size * 2 : 65536;
    while (size < n) size *= 2;
    ArenaBlock *b = block_new(size);
    if (a->head) a->head->next = b; else a->first = b;
    return take(a, b, n);
}

void *arena_zalloc(Arena *a, size_t n) { void *p = arena_alloc(a, n); memset(p, 0, n); return p; }

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void arena_reset(Arena *a)
{
    a->head = a->first;
    a->cur = a->head ? a->head->data : NULL;
    a->end = a->head ? a->head->data + a->head->size : NULL;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->first;
    while (b) { ArenaBlock *n = b->next; free(b); b = n; }
    arena_init(a);
}
