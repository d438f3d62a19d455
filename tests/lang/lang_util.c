#include "lang_util.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tl_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = 0;
    if (len) *len = got;
    return s;
}

char *tl_src_path(const char *rel)
{
    const char *root = getenv("VMOD_SRC");
    char *p = NULL;
    if (asprintf(&p, "%s/%s", root ? root : ".", rel) < 0) return NULL;
    return p;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int tl_list(const char *dir, const char *suffix, char ***names)
{
    char *path = tl_src_path(dir);
    DIR *d = opendir(path);
    free(path);
    *names = NULL;
    if (!d) return 0;
    int n = 0, cap = 0;
    size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        if (n == cap) { cap = cap ? 2 * cap : 64; *names = realloc(*names, sizeof(char *) * (size_t)cap); }
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(*names, (size_t)n, sizeof(char *), cmp);
    return n;
}

void tl_run(TlRun *r, const char *file, const char *src, size_t len)
{
    arena_init(&r->arena);
    diag_init(&r->diags, file, src, len);
    r->prog = vm_parse(&r->arena, &r->diags, src, len);
    r->ir = r->prog ? vm_check(&r->arena, &r->diags, r->prog) : NULL;
    r->rendered = diag_render(&r->diags);
}

void tl_run_free(TlRun *r)
{
    free(r->rendered);
    diag_free(&r->diags);
    arena_free(&r->arena);
}
