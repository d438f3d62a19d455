/* Shared by the lang/ tests: read files, run the front end on a text. */
#ifndef VM_TEST_LANG_UTIL_H
#define VM_TEST_LANG_UTIL_H
#include <stddef.h>
#include "lang/ir.h"

/* The whole file, NUL-terminated (malloc'd), or NULL. */
char *tl_read(const char *path, size_t *len);
/* $VMOD_SRC/rel (malloc'd). */
char *tl_src_path(const char *rel);
/* Sorted names in $VMOD_SRC/dir ending in suffix (malloc'd array of malloc'd names). */
int tl_list(const char *dir, const char *suffix, char ***names);

/* One front-end run: the arena and diagnostics live as long as the result. */
typedef struct TlRun {
    Arena arena;
    DiagList diags;
    Program *prog;
    Ir *ir;
    char *rendered;
} TlRun;
void tl_run(TlRun *r, const char *file, const char *src, size_t len);
void tl_run_free(TlRun *r);
#endif
