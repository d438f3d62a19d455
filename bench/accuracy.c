/* Accuracy and speed of one method over every shared posterior:
 *   bench_accuracy --method=nuts [--chains=4 --warmup=1000 --draws=1000 --seed=1]
 *                  [--iters=N --mc=N --KEY=VALUE (method options)] [name-filter]
 * prints max |mean - ref| / ref sd, the sd ratio range, max R-hat, min bulk ESS per
 * second, divergent transitions (samplers with a divergent__ column, "-" otherwise),
 * gradient evaluations, wall time and the min bulk ESS itself; never pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "tests/pdb_run.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    PdbSpec s = {"nuts", 4, 0, 1000, 1000, 0, 0, 0, 0, 1, NULL, 0};
    BkOpt opts[16];
    size_t nopts = 0;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strncmp(a, "--method=", 9)) s.method = a + 9;
        else if (!strncmp(a, "--chains=", 9)) s.chains = atoi(a + 9);
        else if (!strncmp(a, "--warmup=", 9)) s.warmup = atol(a + 9);
        else if (!strncmp(a, "--draws=", 8)) s.draws = atol(a + 8);
        else if (!strncmp(a, "--iters=", 8)) s.iters = atol(a + 8);
        else if (!strncmp(a, "--mc=", 5)) s.mc = atol(a + 5);
        else if (!strncmp(a, "--seed=", 7)) s.seed = strtoul(a + 7, NULL, 10);
        else if (!strncmp(a, "--", 2) && strchr(a, '=') && nopts < 15) {
            char *eq = strchr(a, '=');
            *eq = 0;
            opts[nopts++] = (BkOpt){a + 2, eq + 1};
        } else filter = a;
    }
    opts[nopts] = (BkOpt){NULL, NULL};
    s.opts = opts;
    s.nopts = nopts;
    const char *shared = getenv("VMOD_SHARED") ? getenv("VMOD_SHARED") : "../shared";
    const char *src = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : ".";
    char pdir[1024];
    snprintf(pdir, sizeof pdir, "%s/posteriordb", shared);
    char **names = pdb_names(pdir);
    if (!names) { fprintf(stderr, "cannot read %s\n", pdir); return 1; }
    printf("method %s, %d chains x %ld draws after %ld warm-up, seed %lu\n", s.method, s.chains, s.draws, s.warmup, s.seed);
    printf("%-50s %8s %7s %13s %7s %9s %5s %10s %8s %8s  %s\n", "posterior", "err/sd", "max z", "sd ratio", "rhat",
           "ESS/s", "div", "grads", "time s", "min ESS", "worst");
    for (int i = 0; names[i]; i++) {
        if (filter && !strstr(names[i], filter)) continue;
        PdbOutcome o;
        if (pdb_run(pdir, src, names[i], &s, &o)) {
            printf("%-50s failed: %s\n", names[i], o.msg);
            continue;
        }
        char div[24] = "-";
        if (o.divergent >= 0) snprintf(div, sizeof div, "%ld", o.divergent);
        printf("%-50s %8.3f %7.2f %6.2f-%-6.2f %7.3f %9.0f %5s %10ld %8.2f %8.0f  %s\n", names[i], o.max_err_sd, o.max_z,
               o.sd_ratio_lo, o.sd_ratio_hi, o.max_rhat, o.min_ess_bulk / o.seconds, div, o.gradients, o.seconds,
               o.min_ess_bulk, o.worst);
        /* VI and optimisers: the fit's own figures (ELBO +- MCSE, k-hat, convergence) */
        for (char *line = strtok(o.report, "\n"); line; line = strtok(NULL, "\n"))
            if (strstr(line, "ELBO") || strstr(line, "k-hat") || strstr(line, "onverge"))
                printf("%50s   %s\n", "", line);
        fflush(stdout);
    }
    pdb_free_names(names);
    return 0;
}
