/* Reading Stan CSV for the plots.  The format is CmdStan's (stan/services/util/
 * mcmc_writer.hpp), which rstan's sample_file and vrun (driver/csv.c) share: comment
 * lines, one header row, a row per iteration.  What matters here beyond the numbers:
 * - warm-up rows are kept by rstan's sample_file and by CmdStan's save_warmup=1; both
 *   write "# Adaptation terminated" between warm-up and sampling, so rows before that
 *   comment are warm-up when rows come after it;
 * - a variational file ("method = variational") starts with a row for the mean of q;
 * - vrun's VI backends add their ELBO trace as "# elbo_trace = x,y,..." lines after
 *   "# elbo_window = W", plus the report lines "Parameters averaged over iterations
 *   A..B" and "Pareto k-hat = K" (backends/vi_common.c, docs/plots.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/plot.h"

typedef struct Reader {
    const char *path;
    long line;
    char *err;
    size_t errlen;
} Reader;

static int rd_fail(Reader *r, const char *what)
{
    snprintf(r->err, r->errlen, "%s:%ld: %s", r->path, r->line, what);
    return -1;
}

static int push(double **a, long *n, long *cap, double x)
{
    if (*n >= *cap) {
        long c = *cap ? 2 * *cap : 256;
        double *p = realloc(*a, (size_t)c * sizeof *p);
        if (!p) return -1;
        *a = p;
        *cap = c;
    }
    (*a)[(*n)++] = x;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = 0;
    return s;
}

/* A comment line (without '#'): the few that the plots use. */
static int rd_comment(Reader *r, char *s, VmPlotChain *c, int *vi, int *adapt_seen,
                      long *elbo_cap)
{
    s = trim(s);
    if (!strcmp(s, "Adaptation terminated")) { *adapt_seen = 1; return 0; }
    if (!strncmp(s, "method = variational", 20)) { *vi = 1; return 0; }
    if (!strncmp(s, "elbo_window = ", 14)) { c->elbo_window = atol(s + 14); return 0; }
    if (!strncmp(s, "elbo_trace = ", 13)) {
        char *p = s + 13, *end;
        while (*p) {
            errno = 0;
            double x = strtod(p, &end);
            if (end == p) return rd_fail(r, "elbo_trace: expected a number");
            if (push(&c->elbo, &c->nelbo, elbo_cap, x)) return rd_fail(r, "out of memory");
            p = end;
            while (*p == ',' || *p == ' ') p++;
        }
        return 0;
    }
    const char *avg = strstr(s, "averaged over iterations ");
    if (avg) { sscanf(avg + 25, "%ld..%ld", &c->avg_from, &c->avg_to); return 0; }
    const char *k = strstr(s, "Pareto k-hat = ");
    if (k) { c->khat = strtod(k + 15, NULL); return 0; }
    return 0;
}

static int rd_header(Reader *r, VmPlotDraws *d, char *s, size_t *ncol)
{
    s = trim(s);
    size_t n = 1;
    for (char *p = s; *p; p++) n += *p == ',';
    char **names = calloc(n, sizeof *names);
    if (!names) return rd_fail(r, "out of memory");
    char *save = NULL, *tok = strtok_r(s, ",", &save);
    size_t k = 0;
    for (; tok && k < n; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        size_t l = strlen(tok);
        if (l >= 2 && tok[0] == '"' && tok[l - 1] == '"') { tok[l - 1] = 0; tok++; }
        names[k++] = strdup(tok);
    }
    *ncol = k;
    if (d->nchain > 0) {
        int same = k == d->ncol;
        for (size_t i = 0; same && i < k; i++) same = !strcmp(names[i], d->names[i]);
        for (size_t i = 0; i < k; i++) free(names[i]);
        free(names);
        if (!same) {
            snprintf(r->err, r->errlen, "%s:%ld: the columns differ from those of %s", r->path, r->line,
                     d->ch[0].file);
            return -1;
        }
        return 0;
    }
    d->names = names;
    d->ncol = k;
    return 0;
}

static int rd_row(Reader *r, char *s, size_t ncol, double **rows, long *nrows, long *cap)
{
    char *p = trim(s), *end;
    size_t k = 0;
    while (1) {
        double x = strtod(p, &end);
        if (end == p) {
            char msg[160];
            snprintf(msg, sizeof msg, "value %zu is not a number", k + 1);
            return rd_fail(r, msg);
        }
        if (k >= ncol) {
            char msg[160];
            snprintf(msg, sizeof msg, "expected %zu values, found more", ncol);
            return rd_fail(r, msg);
        }
        if (push(rows, nrows, cap, x)) return rd_fail(r, "out of memory");
        k++;
        p = end;
        while (*p == ' ') p++;
        if (!*p) break;
        if (*p != ',') return rd_fail(r, "expected ',' between values");
        p++;
    }
    if (k != ncol) {
        char msg[160];
        snprintf(msg, sizeof msg, "expected %zu values, found %zu", ncol, k);
        return rd_fail(r, msg);
    }
    return 0;
}

int vm_plot_read_csv(VmPlotDraws *d, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    VmPlotChain c = {0};
    c.khat = NAN;
    Reader r = {path, 0, err, errlen};
    char *line = NULL;
    size_t cap = 0, ncol = 0;
    long nrows = 0, rcap = 0, elbo_cap = 0, warm = -1;
    int vi = 0, adapt = 0, header = 0, rc = 0;
    double *rows = NULL;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        r.line++;
        char *s = trim(line);
        if (!*s) continue;
        if (*s == '#') {
            rc = rd_comment(&r, s + 1, &c, &vi, &adapt, &elbo_cap);
            if (adapt && warm < 0) warm = ncol ? nrows / (long)ncol : 0;
        } else if (!header) {
            rc = rd_header(&r, d, s, &ncol);
            header = 1;
        } else
            rc = rd_row(&r, s, ncol, &rows, &nrows, &rcap);
    }
    free(line);
    fclose(f);
    if (rc == 0 && !header) {
        snprintf(err, errlen, "%s: no header row: not a Stan CSV file", path);
        rc = -1;
    }
    long n = ncol ? nrows / (long)ncol : 0;
    long skip = warm > 0 && warm < n ? warm : 0;
    c.nwarmup = skip;
    if (vi && n > skip) skip++;          /* the mean of q */
    if (rc == 0 && n - skip <= 0) {
        snprintf(err, errlen, "%s: no draws after warm-up", path);
        rc = -1;
    }
    VmPlotChain *ch = rc == 0 ? realloc(d->ch, (size_t)(d->nchain + 1) * sizeof *ch) : NULL;
    if (rc == 0 && !ch) { snprintf(err, errlen, "out of memory"); rc = -1; }
    if (rc) {
        free(rows);
        free(c.elbo);
        if (d->nchain == 0) {
            for (size_t i = 0; i < d->ncol; i++) free(d->names[i]);
            free(d->names);
            d->names = NULL;
            d->ncol = 0;
        }
        return -1;
    }
    c.file = strdup(path);
    c.n = n - skip;
    c.v = malloc((size_t)c.n * ncol * sizeof *c.v);
    memcpy(c.v, rows + (size_t)skip * ncol, (size_t)c.n * ncol * sizeof *c.v);
    free(rows);
    d->ch = ch;
    d->ch[d->nchain++] = c;
    d->vi |= vi;
    return 0;
}

int vm_plot_from_rows(VmPlotDraws *d, int chains, long n, size_t ncol, const char *const *names,
                      const double *rows, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->names = calloc(ncol, sizeof *d->names);
    d->ch = calloc((size_t)chains, sizeof *d->ch);
    if (!d->names || !d->ch || n <= 0) {
        snprintf(err, errlen, n <= 0 ? "no draws to plot" : "out of memory");
        vm_plot_draws_free(d);
        return -1;
    }
    d->ncol = ncol;
    for (size_t i = 0; i < ncol; i++) d->names[i] = strdup(names[i]);
    for (int k = 0; k < chains; k++) {
        VmPlotChain *c = &d->ch[k];
        c->file = strdup("");
        c->n = n;
        c->khat = NAN;
        c->v = malloc((size_t)n * ncol * sizeof *c->v);
        d->nchain++;
        if (!c->v) {
            snprintf(err, errlen, "out of memory");
            vm_plot_draws_free(d);
            return -1;
        }
        memcpy(c->v, rows + (size_t)k * (size_t)n * ncol, (size_t)n * ncol * sizeof *c->v);
    }
    return 0;
}

void vm_plot_draws_free(VmPlotDraws *d)
{
    for (int k = 0; k < d->nchain; k++) {
        free(d->ch[k].file);
        free(d->ch[k].v);
        free(d->ch[k].elbo);
    }
    free(d->ch);
    for (size_t i = 0; i < d->ncol; i++) free(d->names[i]);
    free(d->names);
    memset(d, 0, sizeof *d);
}

long vm_plot_col(const VmPlotDraws *d, const char *name)
{
    for (size_t i = 0; i < d->ncol; i++)
        if (!strcmp(d->names[i], name)) return (long)i;
    return -1;
}
