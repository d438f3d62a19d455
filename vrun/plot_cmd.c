/* `vrun plot FILE.csv ... [--kind=K,...] [--vars=V,...] [--out=DIR] [--size=WxH]` and
 * `--plot=DIR` on a run: read Stan CSV files, write the plots (plot/plot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/plot_cmd.h"
#include "plot/plot.h"
#include "driver/run.h"

#define PLOT_W 1000
#define PLOT_H 750

static int plot_size(const char *v, int *w, int *h, char *err, size_t errlen)
{
    char x;
    if (sscanf(v, "%d%c%d", w, &x, h) != 3 || (x != 'x' && x != 'X')) {
        snprintf(err, errlen, "option --size expects WIDTHxHEIGHT in pixels, e.g. 1000x750, got '%s'", v);
        return 1;
    }
    return 0;
}

static void plot_usage(FILE *out)
{
    fprintf(out, "usage: vrun plot FILE.csv ... [--kind=trace,rank,density,pairs,energy,elbo] "
                 "[--vars=a,b] [--out=DIR] [--size=WxH]\n"
                 "  reads Stan CSV files (vrun's, CmdStan's, rstan's; one chain each) and writes\n"
                 "  DIR/KIND.png, DIR/KIND.svg and DIR/index.html (DIR: plots).  Default kinds: all\n"
                 "  that apply; default variables: the first 10 parameters.  See docs/plots.md.\n");
}

/* Draw what o asks from the files; prints the index path unless quiet. */
static int plot_files(char *const *paths, size_t n, const VmPlotOpts *o, int quiet, FILE *out)
{
    VmPlotDraws d = {0};
    char err[1024];
    for (size_t i = 0; i < n; i++)
        if (vm_plot_read_csv(&d, paths[i], err, sizeof err)) {
            fprintf(stderr, "vrun: error: %s\n", err);
            vm_plot_draws_free(&d);
            return 1;
        }
    char **files = NULL;
    size_t nf = 0;
    int rc = vm_plot_write(&d, o, &files, &nf, err, sizeof err);
    if (rc) fprintf(stderr, "vrun: error: %s\n", err);
    else if (!quiet) {
        fprintf(out, "plots: %s/index.html (%zu files) of", o->dir, nf);
        size_t *idx = NULL, n = 0;
        if (vm_plot_select(&d, o->vars, &idx, &n, err, sizeof err) == 0)
            for (size_t i = 0; i < n; i++) fprintf(out, "%s %s", i ? "," : "", d.names[idx[i]]);
        fprintf(out, "\n");
        free(idx);
    }
    vm_plot_files_free(files, nf);
    vm_plot_draws_free(&d);
    return rc ? 1 : 0;
}

int vrun_plot_main(int argc, char **argv)
{
    VmPlotOpts o = {"plots", 0, NULL, PLOT_W, PLOT_H, 1, "vrun plot"};
    char err[512];
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        int kl = eq ? (int)(eq - a) : (int)strlen(a);
#define OPT(name) (kl == (int)strlen(name) && !strncmp(a, name, (size_t)kl))
        if (!strcmp(a, "--help")) { plot_usage(stdout); free(paths); return 0; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (a[0] != '-' || a[1] != '-') { paths[n++] = argv[i]; continue; }
        if (!(OPT("--kind") || OPT("--vars") || OPT("--out") || OPT("--size"))) {
            fprintf(stderr, "vrun: error: unknown option '%.*s' for vrun plot (try vrun plot --help)\n", kl, a);
            free(paths);
            return 1;
        }
        if (!v) {
            fprintf(stderr, "vrun: error: option %.*s needs a value\n", kl, a);
            free(paths);
            return 1;
        }
        if (!eq) i++;
        int bad = 0;
        if (OPT("--kind")) bad = vm_plot_parse_kinds(v, &o.kinds, err, sizeof err) != 0;
        else if (OPT("--vars")) o.vars = v;
        else if (OPT("--out")) o.dir = v;
        else bad = plot_size(v, &o.width, &o.height, err, sizeof err);
#undef OPT
        if (bad) {
            fprintf(stderr, "vrun: error: %s\n", err);
            free(paths);
            return 1;
        }
    }
    if (!n) {
        fprintf(stderr, "vrun: error: vrun plot needs at least one Stan CSV file\n");
        plot_usage(stderr);
        free(paths);
        return 1;
    }
    int rc = plot_files(paths, n, &o, quiet, stdout);
    free(paths);
    return rc;
}

int vrun_plot_prepare(Cli *c, char *err, size_t errlen)
{
    if (!c->plot || c->output) return 0;
    if (vm_plot_mkdir(c->plot, err, errlen)) return 1;
    size_t len = strlen(c->plot) + 32;
    c->plot_csv = malloc(len);
    snprintf(c->plot_csv, len, "%s/draws_{chain}.csv", c->plot);
    c->output = c->plot_csv;
    return 0;
}

/* The model's parameter columns, at most VM_PLOT_DEFAULT_VARS, as a --vars list: the
 * CSV alone cannot tell parameters from lets and gens. */
static char *plot_param_vars(const VmModel *m)
{
    size_t n = vm_model_nparam_values(m), len = 1;
    if (n > 10) n = 10;
    for (size_t i = 0; i < n; i++) len += strlen(vm_model_value_name(m, i)) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; s && i < n; i++) {
        if (i) strcat(s, ",");
        strcat(s, vm_model_value_name(m, i));
    }
    return s;
}

int vrun_plot_after_run(const Cli *c, const VmModel *m, int chains, FILE *out)
{
    char **paths = calloc((size_t)chains + 1, sizeof *paths);
    char *vars = m ? plot_param_vars(m) : NULL;
    int rc = 0;
    for (int k = 0; k < chains && rc == 0; k++) {
        paths[k] = malloc(4096);
        if (csv_path(c->output, k, chains, paths[k], 4096)) rc = 1;
    }
    VmPlotOpts o = {c->plot, 0, vars, PLOT_W, PLOT_H, 1, c->model ? c->model : "vrun"};
    if (rc == 0) rc = plot_files(paths, (size_t)chains, &o, 0, out);
    else fprintf(stderr, "vrun: error: --plot: the CSV file name is too long\n");
    for (int k = 0; k < chains; k++) free(paths[k]);
    free(paths);
    free(vars);
    return rc;
}
