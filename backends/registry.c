/* Every inference method, in the order --help lists them, and the option look-ups.
 * (Minimal version written on the langevin branch; the registry branch owns the full
 * list: merge by keeping its rows and adding backend_langevin.) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "backends/backend.h"

extern const Backend backend_langevin;

const Backend *const bk_registry[] = {
    &backend_langevin,
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

/* The value given for `name`, else its declared default (the last occurrence wins,
 * as on a command line). */
static const char *opt_text(const BkSettings *s, const Backend *b, const char *name)
{
    const char *v = NULL;
    if (s && s->opts)
        for (size_t i = 0; i < s->nopts && s->opts[i].key; i++)
            if (strcmp(s->opts[i].key, name) == 0)
                v = s->opts[i].value;
    if (v)
        return v;
    const BkOption *o = opt_decl(b, name);
    return o ? o->def : NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!v || !*v || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
        *out = 1;   /* a bare flag (--ula) arrives with an empty or NULL value */
        return 0;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || errno)
        return -1;
    *out = x;
    return 0;
}

static int parse_real(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end || errno)
        return -1;
    *out = x;
    return 0;
}

const char *bk_opt_str(const BkSettings *s, const Backend *b, const char *name)
{
    return opt_text(s, b, name);
}

double bk_opt_real(const BkSettings *s, const Backend *b, const char *name)
{
    double x = 0;
    parse_real(opt_text(s, b, name), &x);
    return x;
}

long bk_opt_int(const BkSettings *s, const Backend *b, const char *name)
{
    long x = 0;
    parse_long(opt_text(s, b, name), &x);
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
        if (!o) {
            snprintf(err, errlen, "method %s has no option --%s", b->name, opts[i].key);
            return -1;
        }
        const char *v = opts[i].value;
        int bad = 0, bv;
        long lv;
        double rv;
        if (!strcmp(o->kind, "int"))
            bad = parse_long(v, &lv);
        else if (!strcmp(o->kind, "real"))
            bad = parse_real(v, &rv);
        else if (!strcmp(o->kind, "bool"))
            bad = parse_bool(v, &bv);
        else
            bad = !v;
        if (bad) {
            snprintf(err, errlen, "option --%s of method %s takes %s %s, not '%s'", o->name,
                     b->name, !strcmp(o->kind, "int") ? "an" : "a", o->kind, v ? v : "");
            return -1;
        }
    }
    return 0;
}
