/* The summary of fits that are not sample sets: an optimiser's point (its mode's
 * values, with --laplace the sds of the approximation's draws) and a closed-form q
 * (cavi's exact moments and quantiles, from Backend.exact), instead of an MCMC
 * table of statistics estimated from draws (vrun-cli.md, "What it prints"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver/run_int.h"

static void pt_cell(char *buf, size_t len, double x)
{
    if (!isfinite(x))
        snprintf(buf, len, isnan(x) ? "NA" : x > 0 ? "inf" : "-inf");
    else if (x == 0 || (fabs(x) >= 0.01 && fabs(x) < 1e6))
        snprintf(buf, len, "%.4g", x);
    else
        snprintf(buf, len, "%.3g", x);
}

/* rows x cols cells with a header; names and heads as given. */
static void pt_table(FILE *out, size_t rows, const char *const *names, const unsigned char *skip, int cols,
                     const char *const *heads, const double *v)
{
    int namew = 4, w = 8;
    char cell[32];
    for (size_t i = 0; i < rows; i++) {
        if (skip && skip[i])
            continue;
        if ((int)strlen(names[i]) > namew)
            namew = (int)strlen(names[i]);
        for (int k = 0; k < cols; k++) {
            pt_cell(cell, sizeof cell, v[i * (size_t)cols + (size_t)k]);
            if ((int)strlen(cell) > w)
                w = (int)strlen(cell);
        }
    }
    for (int k = 0; k < cols; k++)
        if ((int)strlen(heads[k]) > w)
            w = (int)strlen(heads[k]);
    fprintf(out, "%-*s", namew, "");
    for (int k = 0; k < cols; k++)
        fprintf(out, " %*s", w, heads[k]);
    fputc('\n', out);
    for (size_t i = 0; i < rows; i++) {
        if (skip && skip[i])
            continue;
        fprintf(out, "%-*s", namew, names[i]);
        for (int k = 0; k < cols; k++) {
            pt_cell(cell, sizeof cell, v[i * (size_t)cols + (size_t)k]);
            fprintf(out, " %*s", w, cell);
        }
        fputc('\n', out);
    }
}

int runpt_print_point(const RunReport *rep, FILE *out)
{
    const RunResult *res = rep->res;
    const RunDiag *dg = rep->diag;
    if (rep->cfg->backend->kind != BK_OPTIMIZER || !dg || !dg->mode || res->chains < 1)
        return 0;
    size_t n = rep->m->ncols, first = 1 + rep->nmethod;
    int M = res->chains, laplace = 0;
    for (int c = 0; c < M; c++) {
        struct json_t *r = dg->results ? dg->results[c] : NULL;
        if (!dg->mode[c])
            return 0;
        (void)r;
    }
    /* --laplace: the draws differ; else every draw is the mode */
    for (size_t j = 0; j < n && res->ndraws > 1; j++)
        for (long d = 1; d < res->ndraws; d++)
            if (res->draws[(size_t)d * res->ncols + first + j] != res->draws[first + j])
                laplace = 1;
    int cols = M * (1 + laplace);
    double *v = malloc((n ? n : 1) * (size_t)cols * sizeof *v);
    char (*head)[24] = malloc((size_t)cols * sizeof *head);
    const char **heads = malloc((size_t)cols * sizeof *heads);
    if (!v || !head || !heads) {
        free(v);
        free(head);
        free(heads);
        return 0;
    }
    for (int c = 0; c < M; c++) {
        int k0 = c * (1 + laplace);
        snprintf(head[k0], sizeof head[k0], M > 1 ? "mode.%d" : "mode", c + 1);
        if (laplace)
            snprintf(head[k0 + 1], sizeof head[k0 + 1], M > 1 ? "sd.%d" : "sd", c + 1);
        for (size_t j = 0; j < n; j++) {
            v[j * (size_t)cols + (size_t)k0] = dg->mode[c][j];
            if (!laplace)
                continue;
            double s = 0, s2 = 0, N = (double)res->ndraws;
            for (long d = 0; d < res->ndraws; d++) {
                double x = res->draws[((size_t)c * (size_t)res->ndraws + (size_t)d) * res->ncols + first + j];
                s += x;
                s2 += x * x;
            }
            double var = N > 1 ? (s2 - s * s / N) / (N - 1) : NAN;
            v[j * (size_t)cols + (size_t)k0 + 1] = sqrt(fmax(0, var));
        }
    }
    for (int k = 0; k < cols; k++)
        heads[k] = head[k];
    pt_table(out, n, res->col_names + first, NULL, cols, heads, v);
    if (laplace)
        fprintf(out, "sd: of the %ld draws from the Laplace approximation at the mode\n", res->ndraws);
    free(v);
    free(head);
    free(heads);
    return 1;
}

unsigned char *runpt_exact(const RunReport *rep, SumStats *st, size_t n)
{
    const Backend *b = rep->cfg->backend;
    if (!b->exact || rep->res->chains < 1 || !rep->ch[0].st)
        return NULL;
    unsigned char *mask = calloc(n ? n : 1, 1);
    const char *const *names = rep->res->col_names + 1 + rep->nmethod;
    size_t k = 0;
    for (size_t j = 0; mask && j < n; j++) {
        double e[5];
        if (b->exact(rep->ch[0].st, names[j], e) != 0)
            continue;
        mask[j] = 1;
        k++;
        st[j] = (SumStats){.mean = e[0], .sd = e[1], .mcse_mean = 0, .q5 = e[2], .q50 = e[3], .q95 = e[4],
                           .ess_bulk = NAN, .ess_tail = NAN, .rhat = NAN};
    }
    if (k == 0) {
        free(mask);
        return NULL;
    }
    return mask;
}

void runpt_print_exact(const RunReport *rep, FILE *out, const SumStats *st, const unsigned char *mask, size_t n)
{
    static const char *const heads[5] = {"mean", "sd", "5%", "50%", "95%"};
    double *v = malloc((n ? n : 1) * 5 * sizeof *v);
    unsigned char *skip = malloc(n ? n : 1);
    if (!v || !skip) {
        free(v);
        free(skip);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        double r[5] = {st[j].mean, st[j].sd, st[j].q5, st[j].q50, st[j].q95};
        memcpy(v + 5 * j, r, sizeof r);
        skip[j] = !mask[j];
    }
    fprintf(out, "q, exactly (closed form):\n");
    pt_table(out, n, rep->res->col_names + 1 + rep->nmethod, skip, 5, heads, v);
    free(v);
    free(skip);
}
