/* :plot NAME [KIND]: one plot of a variable of the last run, from the draws in memory,
 * written as plots/NAME/KIND.png and .svg (with an index.html) and the paths printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/repl_int.h"
#include "plot/plot.h"

#define REPL_PLOT_DIR "plots"

int repl_plot(Repl *r, const char *arg)
{
    char name[128] = "", kind[32] = "trace", extra[8] = "";
    int n = sscanf(arg ? arg : "", "%127s %31s %7s", name, kind, extra);
    if (n < 1 || n > 2) {
        fprintf(stderr, "error: usage: :plot NAME [KIND]  (KIND: trace, rank, density, pairs, energy)\n");
        return 1;
    }
    if (!r->have_fit) {
        fprintf(stderr, "error: no draws yet: :run a method first\n");
        return 1;
    }
    char err[512];
    unsigned mask;
    if (vm_plot_parse_kinds(kind, &mask, err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    const RunResult *res = &r->fit.res;
    VmPlotDraws d;
    if (vm_plot_from_rows(&d, res->chains, res->ndraws, res->ncols, res->col_names, res->draws, err,
                          sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (mask & (1u << VM_PLOT_ELBO)) {
        /* the trace lives in the CSV file only: the REPL keeps the draws, not the fit */
        fprintf(stderr, "error: the ELBO trace is not kept by the REPL: run the model with "
                        "vrun MODEL.vmod --method=bbvi --plot=DIR\n");
        vm_plot_draws_free(&d);
        return 1;
    }
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", REPL_PLOT_DIR, name);
    VmPlotOpts o = {dir, mask, name, 1000, 750, 1, name};
    char **files = NULL;
    size_t nf = 0;
    int rc = vm_plot_write(&d, &o, &files, &nf, err, sizeof err);
    if (rc) fprintf(stderr, "error: %s\n", err);
    for (size_t i = 0; i < nf; i++) printf("%s\n", files[i]);
    vm_plot_files_free(files, nf);
    vm_plot_draws_free(&d);
    return rc ? 1 : 0;
}
