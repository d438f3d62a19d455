/* Every inference method, in the order --help lists them, and the typed look-up of
 * method options.  (Minimal version from the samplers branch: the lead merges the rows.) */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "backends/backend.h"

extern const Backend backend_nuts, backend_mh;

const Backend *const bk_registry[] = {&backend_nuts, &backend_mh, NULL};

const Backend *bk_find(const char *name)
{
    for (size_t i = 0; bk_registry[i]; i++)
        if (!strcmp(bk_registry[i]->name, name))
            return bk_registry[i];
    return NULL;
}

static const BkOption *opt_decl(const Backend *b, const char *name)
{
    for (const BkOption *o = b->options; o && o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

/* The given value of option `name`, else its declared default, else "". */
const char *bk_opt_str(const BkSettings *s, const Backend *b, const char *name)
{
    if (s && s->opts)
        for (size_t i = 0; i < s->nopts && s->opts[i].key; i++)
            if (!strcmp(s->opts[i].key, name))
                return s->opts[i].value ? s->opts[i].value : "";
    const BkOption *o = opt_decl(b, name);
    return o && o->def ? o->def : "";
}

static int parse_real(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || isnan(x))
        return -1;
    *out = x;
    return 0;
}

static int parse_int(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno == ERANGE)
        return -1;
    *out = x;
    return 0;
}

/* A flag given without a value ("--adapt") means true. */
static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"", "1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!strcasecmp(v, yes[i]))
            return *out = 1, 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (!strcasecmp(v, no[i]))
            return *out = 0, 0;
    return -1;
}

double bk_opt_real(const BkSettings *s, const Backend *b, const char *name)
{
    double x = 0;
    parse_real(bk_opt_str(s, b, name), &x);
    return x;
}

long bk_opt_int(const BkSettings *s, const Backend *b, const char *name)
{
    long x = 0;
    parse_int(bk_opt_str(s, b, name), &x);
    return x;
}

int bk_opt_bool(const BkSettings *s, const Backend *b, const char *name)
{
    int x = 0;
    parse_bool(bk_opt_str(s, b, name), &x);
    return x;
}

int bk_check_options(const Backend *b, const BkOpt *opts, size_t nopts, char *err, size_t errlen)
{
    for (size_t i = 0; opts && i < nopts && opts[i].key; i++) {
        const char *k = opts[i].key, *v = opts[i].value ? opts[i].value : "";
        const BkOption *o = opt_decl(b, k);
        if (!o) {
            snprintf(err, errlen, "unknown option --%s for --method=%s", k, b->name);
            return -1;
        }
        double r;
        long n;
        int f;
        int bad = (!strcmp(o->kind, "real") && parse_real(v, &r)) ||
                  (!strcmp(o->kind, "int") && parse_int(v, &n)) ||
                  (!strcmp(o->kind, "bool") && parse_bool(v, &f));
        if (bad) {
            snprintf(err, errlen, "option --%s of --method=%s expects %s %s, got '%s'", k, b->name,
                     !strcmp(o->kind, "int") ? "an" : "a",
                     !strcmp(o->kind, "int") ? "integer" : !strcmp(o->kind, "real") ? "number" : "boolean",
                     v);
            return -1;
        }
    }
    return 0;
}
