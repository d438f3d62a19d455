/* bench_dsm: --method=dsm on three conjugate models at the full budget (10^5
 * simulations, at most 2 minutes of training), one trained network per model, its
 * posterior means and sds against the exact ones for three data sets each.
 *
 *   bench_dsm [SIMS [EPOCHS [DRAWS]]]      defaults 100000 40 4000
 *
 * The target: means within 0.1 posterior sd, sds within 15%. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "bench/dsm_conj.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    long sims = argc > 1 ? atol(argv[1]) : 100000, epochs = argc > 2 ? atol(argv[2]) : 40;
    long draws = argc > 3 ? atol(argv[3]) : 4000;
    printf("%-18s %8s %7s %8s %8s %9s %10s %10s %s\n", "model", "sims", "epochs", "sim s", "train s", "sample s",
           "max|dm|/sd", "max|dsd|", "within 0.1 sd / 15%");
    for (int k = 0; k < DSM_CONJ_MODELS; k++) {
        DsmConjFit f;
        char err[1024];
        if (dsm_conj_run(k, sims, epochs, draws, 42, &f, err, sizeof err)) {
            fprintf(stderr, "bench_dsm: %s\n", err);
            return 1;
        }
        double dm = 0, ds = 0;
        for (int d = 0; d < DSM_CONJ_DATASETS; d++)
            for (int j = 0; j < f.np; j++) {
                dm = fmax(dm, fabs(f.mean[d][j] - f.exact_mean[d][j]) / f.exact_sd[d][j]);
                ds = fmax(ds, fabs(f.sd[d][j] / f.exact_sd[d][j] - 1));
            }
        printf("%-18s %8ld %7ld %8.2f %8.2f %9.2f %10.3f %9.1f%% %s\n", f.model, f.sims, f.epochs, f.t_sim, f.t_train,
               f.t_sample, dm, 100 * ds, dm <= 0.1 && ds <= 0.15 ? "yes" : "no");
        dsm_conj_print(&f, stdout);
        fflush(stdout);
    }
    return 0;
}
