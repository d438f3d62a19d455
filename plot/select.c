/* Which columns and which kinds to plot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/plot.h"

#define VM_PLOT_DEFAULT_VARS 10

static const char *const kind_names[VM_PLOT_NKINDS] = {
    "trace", "rank", "density", "pairs", "energy", "elbo"};   /* ORDER KINDS */

const char *vm_plot_kind_name(VmPlotKind k) { return k < VM_PLOT_NKINDS ? kind_names[k] : "?"; }

int vm_plot_parse_kinds(const char *list, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (int k = 0; k < VM_PLOT_NKINDS; k++)
            if (strlen(kind_names[k]) == n && !strncmp(p, kind_names[k], n)) {
                *mask |= 1u << k;
                found = 1;
            }
        if (!found) {
            snprintf(err, errlen, "unknown plot kind '%.*s' (kinds: trace, rank, density, pairs, energy, elbo)",
                     (int)n, p);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

int vm_plot_applies(const VmPlotDraws *d, VmPlotKind k, char *why, size_t len)
{
    if (k == VM_PLOT_ENERGY && vm_plot_col(d, "energy__") < 0) {
        snprintf(why, len, "the energy plot needs an energy__ column (a NUTS run); %s has none",
                 d->ch[0].file[0] ? d->ch[0].file : "this run");
        return 0;
    }
    if (k == VM_PLOT_ELBO) {
        for (int c = 0; c < d->nchain; c++)
            if (d->ch[c].nelbo > 0) return 1;
        snprintf(why, len, "the ELBO plot needs a VI run's ELBO trace (elbo_trace comments); %s has none",
                 d->ch[0].file[0] ? d->ch[0].file : "this run");
        return 0;
    }
    return 1;
}

/* name is the variable itself or one element of it: theta.1, theta.2.3, theta[1]. */
static int is_element(const char *col, const char *name, size_t n)
{
    if (strncmp(col, name, n)) return 0;
    return col[n] == 0 || col[n] == '.' || col[n] == '[';
}

int vm_plot_select(const VmPlotDraws *d, const char *vars, size_t **idx, size_t *n,
                   char *err, size_t errlen)
{
    *idx = calloc(d->ncol + 1, sizeof **idx);
    *n = 0;
    if (!*idx) { snprintf(err, errlen, "out of memory"); return -1; }
    if (!vars || !*vars) {
        for (size_t i = 0; i < d->ncol && *n < VM_PLOT_DEFAULT_VARS; i++) {
            size_t l = strlen(d->names[i]);
            if (l < 2 || strcmp(d->names[i] + l - 2, "__")) (*idx)[(*n)++] = i;
        }
        if (*n == 0) {
            snprintf(err, errlen, "no parameters to plot (every column ends in __)");
            free(*idx);
            *idx = NULL;
            return -1;
        }
        return 0;
    }
    const char *p = vars;
    while (*p) {
        /* one name up to a comma outside brackets (theta[1,2] is one name) */
        size_t l = 0;
        for (int depth = 0; p[l] && (depth || p[l] != ','); l++)
            depth += (p[l] == '[') - (p[l] == ']');
        /* Stan's CSV spells theta[1,2] as theta.1.2 */
        char name[256];
        size_t k = 0;
        for (size_t i = 0; i < l && k + 1 < sizeof name; i++) {
            char ch = p[i];
            if (ch == ' ' || ch == ']') continue;
            name[k++] = ch == '[' || ch == ',' ? '.' : ch;
        }
        name[k] = 0;
        long exact = vm_plot_col(d, name);
        size_t before = *n;
        for (size_t i = 0; i < d->ncol; i++) {
            if (exact >= 0 ? (long)i != exact : !is_element(d->names[i], name, strlen(name))) continue;
            int dup = 0;
            for (size_t j = 0; j < *n; j++) dup |= (*idx)[j] == i;
            if (!dup) (*idx)[(*n)++] = i;
        }
        if (*n == before && (exact < 0)) {
            snprintf(err, errlen, "no variable '%s' in the draws", name);
            free(*idx);
            *idx = NULL;
            return -1;
        }
        p += l + (p[l] == ',');
    }
    return 0;
}

void vm_plot_col_limits(const VmPlotDraws *d, size_t col, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (int c = 0; c < d->nchain; c++)
        for (long i = 0; i < d->ch[c].n; i++) {
            double v = d->ch[c].v[(size_t)i * d->ncol + col];
            if (!isfinite(v)) continue;
            if (v < a) a = v;
            if (v > b) b = v;
        }
    if (!(a <= b)) { a = 0; b = 1; }
    double pad = b > a ? 0.05 * (b - a) : fabs(a) > 0 ? 0.05 * fabs(a) : 0.5;
    if (!isfinite(a - pad) || !isfinite(b + pad)) pad = 0;   /* values near DBL_MAX */
    *lo = a - pad;
    *hi = b + pad;
}
