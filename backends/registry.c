/* Every inference method, in the order --help lists them, and the typed look-ups of
 * method options.  (Minimal version written on the `vi` branch: the lead merges it
 * with the full one; only the rows matter.) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends/backend.h"

extern const Backend backend_bbvi;
extern const Backend backend_flow;

const Backend *const bk_registry[] = {
    &backend_bbvi,
    &backend_flow,
    NULL
};

const Backend *bk_find(const char *name)
{
    for (size_t i = 0; bk_registry[i]; i++)
        if (strcmp(bk_registry[i]->name, name) == 0)
            return bk_registry[i];
    return NULL;
}

static const BkOption *opt_decl(const Backend *b, const char *name)
{
    for (const BkOption *o = b->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* The given value of option `name`, else its declared default. */
static const char *opt_text(const BkSettings *s, const Backend *b, const char *name)
{
    for (size_t i = 0; s && s->opts && i < s->nopts && s->opts[i].key; i++)
        if (strcmp(s->opts[i].key, name) == 0)
            return s->opts[i].value ? s->opts[i].value : "true";
    const BkOption *o = opt_decl(b, name);
    return o ? o->def : NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) { *out = 1; return 0; }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) { *out = 0; return 0; }
    return -1;
}

static int parse_real(const char *v, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    return (v[0] == '\0' || *end != '\0' || errno) ? -1 : 0;
}

static int parse_int(const char *v, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    return (v[0] == '\0' || *end != '\0' || errno) ? -1 : 0;
}

const char *bk_opt_str(const BkSettings *s, const Backend *b, const char *name)
{
    return opt_text(s, b, name);
}

double bk_opt_real(const BkSettings *s, const Backend *b, const char *name)
{
    double x = 0;
    const char *v = opt_text(s, b, name);
    if (v) parse_real(v, &x);
    return x;
}

long bk_opt_int(const BkSettings *s, const Backend *b, const char *name)
{
    long x = 0;
    const char *v = opt_text(s, b, name);
    if (v) parse_int(v, &x);
    return x;
}

int bk_opt_bool(const BkSettings *s, const Backend *b, const char *name)
{
    int x = 0;
    parse_bool(opt_text(s, b, name), &x);
    return x;
}

int bk_check_options(const Backend *b, const BkOpt *opts, size_t nopts, char *err, size_t errlen)
{
    for (size_t i = 0; opts && i < nopts && opts[i].key; i++) {
        const BkOption *o = opt_decl(b, opts[i].key);
        const char *v = opts[i].value;
        if (!o) {
            snprintf(err, errlen, "method %s has no option --%s", b->name, opts[i].key);
            return -1;
        }
        int bad = 0, bv;
        double rv;
        long iv;
        if (!strcmp(o->kind, "bool")) bad = parse_bool(v, &bv);
        else if (!strcmp(o->kind, "real")) bad = !v || parse_real(v, &rv);
        else if (!strcmp(o->kind, "int")) bad = !v || parse_int(v, &iv);
        else bad = !v;
        if (bad) {
            snprintf(err, errlen, "option --%s of method %s needs %s %s value, not '%s'",
                     o->name, b->name, strcmp(o->kind, "int") ? "a" : "an", o->kind, v ? v : "");
            return -1;
        }
    }
    return 0;
}
