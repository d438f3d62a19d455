/* Method options: validation against a backend's option table (with a "did you mean"
 * hint computed by edit distance, as git and cargo do) and typed look-ups. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends/backend.h"

static const BkOption *opt_decl(const Backend *b, const char *name)
{
    if (!b->options)
        return NULL;
    for (const BkOption *o = b->options; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* Levenshtein distance, for the hint; option names are short (capped at 63 chars). */
static size_t opt_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest declared option, if it is close enough to be a plausible typo:
 * distance at most 2, or at most a third of the name's length when that is larger. */
static const char *opt_suggest(const Backend *b, const char *name)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    if (!b->options)
        return NULL;
    for (const BkOption *o = b->options; o->name; o++) {
        size_t d = opt_distance(name, o->name);
        if (d < bestd) {
            bestd = d;
            best = o->name;
        }
    }
    size_t limit = strlen(name) / 3;
    if (limit < 2)
        limit = 2;
    /* A prefix ("max" for "max-depth") is also a plausible slip. */
    if (best && bestd > limit) {
        best = NULL;
        for (const BkOption *o = b->options; o->name; o++)
            if (strlen(name) >= 2 && strncmp(o->name, name, strlen(name)) == 0)
                return o->name;
    }
    return best;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE && fabs(v) > 1)
        return -1;
    if (*end || isnan(v))
        return -1;
    *out = v;
    return 0;
}

/* true/false, 1/0, yes/no, on/off; an empty value (a bare `--flag`) means true. */
static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"", "1", "true", "yes", "on", NULL};
    static const char *const no[] = {"0", "false", "no", "off", NULL};
    if (!s) {
        *out = 1;
        return 0;
    }
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
    for (int i = 0; no[i]; i++)
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    return -1;
}

static int opt_value_ok(const char *kind, const char *value)
{
    long l;
    double d;
    int bo;
    if (strcmp(kind, "int") == 0)
        return parse_long(value, &l) == 0;
    if (strcmp(kind, "real") == 0)
        return parse_real(value, &d) == 0;
    if (strcmp(kind, "bool") == 0)
        return parse_bool(value, &bo) == 0;
    return value != NULL;   /* "string": anything given */
}

static const char *kind_noun(const char *kind)
{
    if (strcmp(kind, "int") == 0) return "an integer";
    if (strcmp(kind, "real") == 0) return "a real number";
    if (strcmp(kind, "bool") == 0) return "true or false";
    return "a value";
}

int bk_check_options(const Backend *b, const BkOpt *opts, size_t nopts, char *err, size_t errlen)
{
    for (size_t i = 0; i < nopts && opts && opts[i].key; i++) {
        const BkOpt *o = &opts[i];
        const BkOption *d = opt_decl(b, o->key);
        if (!d) {
            const char *hint = opt_suggest(b, o->key);
            if (hint)
                snprintf(err, errlen, "unknown option --%s for method '%s' (did you mean --%s?)",
                         o->key, b->name, hint);
            else
                snprintf(err, errlen, "unknown option --%s for method '%s'", o->key, b->name);
            return -1;
        }
        if (!opt_value_ok(d->kind, o->value)) {
            snprintf(err, errlen, "option --%s expects %s, got '%s'", d->name, kind_noun(d->kind),
                     o->value ? o->value : "");
            return -1;
        }
    }
    return 0;
}

/* The given value of `name`, the last one given winning (as in most CLIs), else the
 * declared default. */
static const char *opt_text(const BkSettings *s, const Backend *b, const char *name)
{
    const char *v = NULL;
    int given = 0;
    for (size_t i = 0; s && s->opts && i < s->nopts && s->opts[i].key; i++)
        if (strcmp(s->opts[i].key, name) == 0) {
            v = s->opts[i].value;
            given = 1;
        }
    if (given)
        return v ? v : "";
    const BkOption *d = opt_decl(b, name);
    return d ? d->def : NULL;
}

const char *bk_opt_str(const BkSettings *s, const Backend *b, const char *name)
{
    return opt_text(s, b, name);
}

double bk_opt_real(const BkSettings *s, const Backend *b, const char *name)
{
    double v = 0;
    if (parse_real(opt_text(s, b, name), &v) != 0)
        return NAN;
    return v;
}

long bk_opt_int(const BkSettings *s, const Backend *b, const char *name)
{
    long v = 0;
    if (parse_long(opt_text(s, b, name), &v) != 0)
        return 0;
    return v;
}

int bk_opt_bool(const BkSettings *s, const Backend *b, const char *name)
{
    int v = 0;
    const char *t = opt_text(s, b, name);
    if (!t)
        return 0;
    if (parse_bool(t, &v) != 0)
        return 0;
    return v;
}
