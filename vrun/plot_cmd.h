/* vrun's plotting commands (plot_cmd.c), over plot/plot.h. */
#ifndef VM_PLOT_CMD_H
#define VM_PLOT_CMD_H
#include <stdio.h>
#include "vrun/cli.h"

/* `vrun plot ...`: argv[0] is "plot".  Returns the exit status. */
int vrun_plot_main(int argc, char **argv);
/* --plot=DIR without --output: create DIR and send the draws to DIR/draws_N.csv.
 * 0, or 1 with err. */
int vrun_plot_prepare(Cli *c, char *err, size_t errlen);
/* After a run of m with --plot=DIR: plot its CSV files into DIR, by default the model's
 * parameters (up to 10).  Returns 0 or 1. */
int vrun_plot_after_run(const Cli *c, const VmModel *m, int chains, FILE *out);
#endif
