/* vm_plot_write: every kind asked for, as PNG and SVG, then the index. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "plot/plot_int.h"

typedef int (*VmPlotDrawFn)(const VmPlotJob *j, char *err, size_t errlen);

static const VmPlotDrawFn plot_draw[VM_PLOT_NKINDS] = {
    vm_plot_trace, vm_plot_rank, vm_plot_density, vm_plot_pairs, vm_plot_energy, vm_plot_elbo};
    /* ORDER KINDS */

/* mkdir -p */
int vm_plot_mkdir(const char *dir, char *err, size_t errlen)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char keep = *s;
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create the directory %s: %s", p, strerror(errno));
                return -1;
            }
            *s = keep;
            if (!keep) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    return 0;
}

static int plot_one(const VmPlotJob *j, VmPlotKind k, const char *path, int svg, char *err,
                    size_t errlen)
{
    if (vm_plot_canvas_open(path, svg, j->width, j->height, err, errlen)) return -1;
    int rc = plot_draw[k](j, err, errlen);
    const char *perr = vm_plot_canvas_error();
    if (rc == 0 && perr) {
        snprintf(err, errlen, "%s: %s", path, perr);
        rc = -1;
    }
    vm_plot_canvas_close();
    return rc;
}

static int add_file(char ***files, size_t *n, const char *path)
{
    char **f = realloc(*files, (*n + 1) * sizeof *f);
    if (!f) return -1;
    *files = f;
    f[(*n)++] = strdup(path);
    return 0;
}

int vm_plot_write(const VmPlotDraws *d, const VmPlotOpts *o, char ***files, size_t *nfiles,
                  char *err, size_t errlen)
{
    char **list = NULL;
    size_t nl = 0;
    if (d->nchain <= 0) { snprintf(err, errlen, "no draws to plot"); return -1; }
    if (o->width < 100 || o->height < 100 || o->width > 10000 || o->height > 10000) {
        snprintf(err, errlen, "plot size %dx%d: each side must be 100 to 10000 pixels", o->width, o->height);
        return -1;
    }
    unsigned kinds = o->kinds;
    char why[512];
    for (int k = 0; k < VM_PLOT_NKINDS; k++) {
        int applies = vm_plot_applies(d, (VmPlotKind)k, why, sizeof why);
        if (!o->kinds && applies) kinds |= 1u << k;
        if ((o->kinds >> k & 1) && !applies) {
            snprintf(err, errlen, "%s", why);
            return -1;
        }
    }
    /* a VI run's draws are independent draws of q: their trace and rank plots say
     * nothing about the fit, the ELBO plot does */
    if (!o->kinds && d->vi) kinds &= ~((1u << VM_PLOT_TRACE) | (1u << VM_PLOT_RANK));
    size_t *col = NULL, ncol = 0;
    if (vm_plot_select(d, o->vars, &col, &ncol, err, errlen)) return -1;
    if (vm_plot_mkdir(o->dir, err, errlen)) { free(col); return -1; }
    VmPlotJob j = {d, col, ncol, o->width, o->height};
    int rc = 0;
    for (int k = 0; k < VM_PLOT_NKINDS && rc == 0; k++) {
        if (!(kinds >> k & 1)) continue;
        for (int svg = 0; svg <= (o->svg ? 1 : 0) && rc == 0; svg++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.%s", o->dir, vm_plot_kind_name((VmPlotKind)k), svg ? "svg" : "png");
            rc = plot_one(&j, (VmPlotKind)k, path, svg, err, errlen);
            if (rc == 0 && add_file(&list, &nl, path)) { snprintf(err, errlen, "out of memory"); rc = -1; }
        }
    }
    free(col);
    if (rc == 0) rc = vm_plot_index(o->dir, o->index_title ? o->index_title : "vrun plots", list, nl, err, errlen);
    if (rc == 0 && files) {
        *files = list;
        *nfiles = nl;
    } else vm_plot_files_free(list, nl);
    return rc;
}

void vm_plot_files_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++) free(files[i]);
    free(files);
}
