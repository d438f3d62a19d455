/* The end-of-run summary: the table a CmdStan user reads at a glance (vrun-cli.md),
 * the backend's report lines, and the same numbers as JSON (--summary=FILE.json). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "driver/run_int.h"
#include "driver/summary.h"
#include "runtime/readfile.h"

#define SUM_NSTAT 9
static const char *const sum_heads[SUM_NSTAT] = {"mean", "sd", "mcse", "5%", "50%", "95%",
                                                 "ess_bulk", "ess_tail", "rhat"};

static void sum_values(const SumStats *s, double v[SUM_NSTAT])
{
    double t[SUM_NSTAT] = {s->mean, s->sd, s->mcse_mean, s->q5, s->q50, s->q95,
                           s->ess_bulk, s->ess_tail, s->rhat};
    memcpy(v, t, sizeof t);
}

/* Two decimals where that shows the value, else two or three significant digits;
 * ESS as integers. */
static void sum_format(char *buf, size_t len, double x, int stat)
{
    if (!isfinite(x))
        snprintf(buf, len, "NA");
    else if (stat == 6 || stat == 7)
        snprintf(buf, len, "%.0f", x);
    else if (x == 0 || (fabs(x) >= 0.01 && fabs(x) < 1e6))
        snprintf(buf, len, "%.2f", x);
    else if (fabs(x) < 0.01)
        snprintf(buf, len, "%.2g", x);   /* 0.0057, then 5.7e-05 */
    else
        snprintf(buf, len, "%.3g", x);   /* 1.23e+06 */
}

/* Statistics of every model column (after lp__ and the method columns). */
static SumStats *sum_columns(const RunReport *rep, size_t *ncol)
{
    if (rep->diag && rep->diag->stats) {   /* computed once for the table, the JSON and the checks */
        size_t n = rep->diag->nstats;
        SumStats *st = malloc((n ? n : 1) * sizeof *st);
        if (st && n)
            memcpy(st, rep->diag->stats, n * sizeof *st);
        *ncol = n;
        return st;
    }
    const RunResult *res = rep->res;
    size_t first = 1 + rep->nmethod, n = res->ncols - first;
    size_t per = (size_t)res->chains * (size_t)res->ndraws;
    SumStats *st = calloc(n ? n : 1, sizeof *st);
    (void)per;
    if (!st) return NULL;
    SumWork *w = sum_work_new(res->chains, (size_t)res->ndraws);
    for (size_t j = 0; j < n; j++) sum_column(w, res->draws + first + j, res->ncols, &st[j]);
    sum_work_free(w);
    *ncol = n;
    return st;
}

static long sum_value_fails(const RunReport *rep)
{
    long k = 0;
    for (int c = 0; c < rep->res->chains; c++)
        k += rep->ch[c].value_fails;
    return k;
}

/* What a sampler did, in one line: divergences, tree depth, acceptance, step sizes,
 * E-BFMI, where the method has them. */
static void sum_sampler_line(const RunReport *rep, FILE *out)
{
    const RunDiag *dg = rep->diag;
    const RunResult *res = rep->res;
    long total = (long)res->chains * res->ndraws, div = -1, td = -1;
    double acc = 0, eps_lo = INFINITY, eps_hi = -INFINITY, bf_lo = INFINITY, bf_hi = -INFINITY;
    long acc_col = -1;
    for (size_t j = 1; j < 1 + rep->nmethod; j++)
        if (!strcmp(res->col_names[j], "accept_stat__"))
            acc_col = (long)j;
    for (int c = 0; c < res->chains && dg->divergent; c++) {
        if (dg->divergent[c] >= 0) div = (div < 0 ? 0 : div) + dg->divergent[c];
        if (dg->treedepth_hits[c] >= 0) td = (td < 0 ? 0 : td) + dg->treedepth_hits[c];
        if (isfinite(dg->stepsize[c])) { eps_lo = fmin(eps_lo, dg->stepsize[c]); eps_hi = fmax(eps_hi, dg->stepsize[c]); }
        if (isfinite(dg->ebfmi[c])) { bf_lo = fmin(bf_lo, dg->ebfmi[c]); bf_hi = fmax(bf_hi, dg->ebfmi[c]); }
    }
    for (long i = 0; acc_col >= 0 && i < total; i++)
        acc += res->draws[(size_t)i * res->ncols + (size_t)acc_col] / (double)total;
    char line[512];
    int n = snprintf(line, sizeof line, "%s:", rep->cfg->backend->name);
    if (div >= 0)
        n += snprintf(line + n, sizeof line - (size_t)n, " %ld of %ld transitions divergent,", div, total);
    if (td >= 0)
        n += snprintf(line + n, sizeof line - (size_t)n, " %ld at the maximum tree depth %ld,", td, dg->max_depth);
    if (acc_col >= 0 && total > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, " mean acceptance %.2f,", acc);
    if (eps_lo <= eps_hi)
        n += snprintf(line + n, sizeof line - (size_t)n, eps_lo == eps_hi ? " step size %.3g," : " step size %.3g-%.3g,",
                      eps_lo, eps_hi);
    if (bf_lo <= bf_hi)
        n += snprintf(line + n, sizeof line - (size_t)n, " E-BFMI %.2f-%.2f,", bf_lo, bf_hi);
    if (n > 0 && line[n - 1] == ',') {
        line[n - 1] = 0;
        fprintf(out, "%s\n", line);
    }
}

static void sum_notes(const RunReport *rep, FILE *out, int any_na)
{
    const RunConfig *cfg = rep->cfg;
    const Backend *b = cfg->backend;
    if (rep->res->interrupted && rep->res->chains < cfg->chains)
        fprintf(out, "interrupted: %d of %d chains started, %ld of %ld draws per chain done "
                     "(written and summarised)\n", rep->res->chains, cfg->chains, rep->res->ndraws,
                cfg->base.draws);
    else if (rep->res->interrupted)
        fprintf(out, "interrupted: %ld of %ld draws per chain done (written and summarised)\n",
                rep->res->ndraws, cfg->base.draws);
    long fails = sum_value_fails(rep);
    if (fails > 0) {
        fprintf(out, "%ld draws failed a check in a let or gen statement: the values of their lets "
                     "and gens are NaN in the CSV and those columns' statistics NA\n", fails);
        for (int c = 0; c < rep->res->chains; c++)
            if (rep->ch[c].value_fails > 0 && rep->ch[c].value_why) {
                fprintf(out, "the first failure (chain %d): %s", c + 1, rep->ch[c].value_why);
                if (rep->ch[c].value_why[0] && rep->ch[c].value_why[strlen(rep->ch[c].value_why) - 1] != '\n')
                    fputc('\n', out);
                break;
            }
    }
    if (any_na)
        fprintf(out, "NA: not defined (a constant column, fewer than 4 draws, or a non-finite draw)\n");
    for (int c = 0; c < rep->res->chains; c++) {
        const RunChain *ch = &rep->ch[c];
        char prefix[32] = "";
        if (cfg->chains > 1)
            snprintf(prefix, sizeof prefix, "chain %d: ", c + 1);
        /* a method with results says whether it converged in its own report */
        if (b->kind != BK_SAMPLER && ch->iters > 0 && !b->results)
            fprintf(out, "%s%s after %ld iterations\n", prefix,
                    ch->converged ? "converged" : "did not converge (the --iters limit)", ch->iters);
        /* a sampler's report is its adaptation: the CSV's comments and the JSON have it */
        if (b->kind == BK_SAMPLER)
            continue;
        if (ch->report_txt[0])   /* the chain ran on another rank */
            fputs(ch->report_txt[0], out);
        else if (b->report && ch->st)
            b->report(ch->st, out, prefix);
    }
    if (b->kind == BK_SAMPLER && rep->diag)
        sum_sampler_line(rep, out);
}

void runsum_print(const RunReport *rep, FILE *out)
{
    const RunResult *res = rep->res;
    const RunConfig *cfg = rep->cfg;
    fprintf(out, "vrun %s  model: %s  method: %s  chains: %d x %ld draws  time: %.2f s\n",
            RUN_VERSION, rep->m->name ? rep->m->name : "", cfg->backend->name, res->chains,
            res->ndraws, rep->seconds_total);
    if (runpt_print_point(rep, out)) {
        sum_notes(rep, out, 0);
        fflush(out);
        return;
    }
    size_t n = 0;
    SumStats *st = sum_columns(rep, &n);
    if (!st) {
        fprintf(out, "(out of memory for the summary)\n");
        return;
    }
    unsigned char *exact = runpt_exact(rep, st, n);   /* rows with a closed form */
    size_t nexact = 0;
    for (size_t j = 0; exact && j < n; j++)
        nexact += exact[j];
    if (exact)
        runpt_print_exact(rep, out, st, exact, n);
    if (exact && nexact < n)
        fprintf(out, "from %ld draws of q:\n", res->ndraws);
    const char *const *names = res->col_names + 1 + rep->nmethod;
    char (*cell)[32] = malloc((n ? n : 1) * SUM_NSTAT * sizeof *cell);
    if (!cell) {
        free(st);
        free(exact);
        return;
    }
    int namew = 4, w[SUM_NSTAT], any_na = 0;
    for (int k = 0; k < SUM_NSTAT; k++)
        w[k] = (int)strlen(sum_heads[k]) > 6 ? (int)strlen(sum_heads[k]) : 6;
    for (size_t j = 0; j < n; j++) {
        double v[SUM_NSTAT];
        if (exact && exact[j])
            continue;
        sum_values(&st[j], v);
        if ((int)strlen(names[j]) > namew)
            namew = (int)strlen(names[j]);
        for (int k = 0; k < SUM_NSTAT; k++) {
            sum_format(cell[j * SUM_NSTAT + k], 32, v[k], k);
            int l = (int)strlen(cell[j * SUM_NSTAT + k]);
            if (l > w[k])
                w[k] = l;
            if (!isfinite(v[k]))
                any_na = 1;
        }
    }
    if (nexact < n) {
        fprintf(out, "%-*s", namew, "");
        for (int k = 0; k < SUM_NSTAT; k++)
            fprintf(out, " %*s", w[k], sum_heads[k]);
        fputc('\n', out);
    }
    for (size_t j = 0; j < n; j++) {
        if (exact && exact[j])
            continue;
        fprintf(out, "%-*s", namew, names[j]);
        for (int k = 0; k < SUM_NSTAT; k++)
            fprintf(out, " %*s", w[k], cell[j * SUM_NSTAT + k]);
        fputc('\n', out);
    }
    sum_notes(rep, out, any_na);
    fflush(out);
    free(cell);
    free(st);
    free(exact);
}

static json_t *sum_real(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* The backend's report lines of one chain, as an array of strings. */
static json_t *sum_report_lines(const Backend *b, void *st, const char *given)
{
    json_t *a = json_array();
    char *buf = NULL;
    size_t len = 0;
    if (given)   /* the chain ran on another rank, which wrote its report */
        buf = strdup(given);
    else {
        FILE *f = b->report && st ? open_memstream(&buf, &len) : NULL;
        if (!f)
            return a;
        b->report(st, f, "");
        fclose(f);
    }
    for (char *p = buf, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        json_array_append_new(a, json_stringn(p, nl ? (size_t)(nl - p) : strlen(p)));
    }
    free(buf);
    return a;
}

static json_t *sum_settings(const RunReport *rep)
{
    const RunConfig *cfg = rep->cfg;
    const BkSettings *s = &cfg->base;
    json_t *opts = json_object();
    const Backend *b = cfg->backend;
    for (const BkOption *o = b->options; o && o->name; o++) {
        const char *v = bk_opt_str(s, b, o->name);
        json_object_set_new(opts, o->name, v ? json_string(v) : json_null());
    }
    json_t *set = json_pack("{s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
                     "seed", (json_int_t)s->seed, "chains", cfg->chains, "threads", rep->threads,
                     "warmup", (json_int_t)s->warmup, "draws", (json_int_t)s->draws,
                     "iters", (json_int_t)s->iters, "mc", (json_int_t)s->mc,
                     "lr", sum_real(s->lr), "tol", sum_real(s->tol), "options", opts,
                     "output", cfg->output_csv ? json_string(cfg->output_csv) : json_null(),
                     "command", cfg->command_line ? json_string(cfg->command_line) : json_null());
    if (set) {
        json_object_set_new(set, "thin", json_integer(cfg->thin > 1 ? cfg->thin : 1));
        json_object_set_new(set, "save_warmup", json_boolean(cfg->save_warmup));
        json_object_set_new(set, "strict", json_boolean(cfg->strict));
        json_object_set_new(set, "init", rep->m->init_radius > 0 ? json_real(rep->m->init_radius)
                                         : json_string(rep->m->init_u ? (rep->m->init_given ? "file (partial)" : "given")
                                                                      : "uniform(-2, 2)"));
    }
    return set;
}

int runsum_json(const RunReport *rep, const char *path, char *err, size_t errlen)
{
    const RunResult *res = rep->res;
    const RunConfig *cfg = rep->cfg;
    size_t n = 0;
    SumStats *st = sum_columns(rep, &n);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_t *cols = json_array();
    const char *const *names = res->col_names + 1 + rep->nmethod;
    unsigned char *exact = runpt_exact(rep, st, n);
    for (size_t j = 0; j < n; j++) {
        double v[SUM_NSTAT];
        sum_values(&st[j], v);
        json_t *o = json_pack("{s:s}", "name", names[j]);
        if (exact)
            json_object_set_new(o, "exact", json_boolean(exact[j]));
        for (int k = 0; k < SUM_NSTAT; k++) {
            static const char *const keys[SUM_NSTAT] = {"mean", "sd", "mcse", "q5", "q50", "q95",
                                                         "ess_bulk", "ess_tail", "rhat"};
            json_object_set_new(o, keys[k], sum_real(v[k]));
        }
        json_array_append_new(cols, o);
    }
    free(st);
    free(exact);
    json_t *chains = json_array();
    for (int c = 0; c < res->chains; c++) {
        const RunChain *ch = &rep->ch[c];
        json_t *o = json_pack("{s:i, s:I, s:o, s:o, s:I, s:o}", "chain", c + 1,
                              "draws", (json_int_t)ch->ndone, "seconds_warmup", sum_real(ch->t_warmup),
                              "seconds_sampling", sum_real(ch->t_sampling),
                              "value_failures", (json_int_t)ch->value_fails,
                              "report", sum_report_lines(cfg->backend, ch->st, ch->report_txt[1]));
        if (cfg->backend->kind != BK_SAMPLER) {
            json_object_set_new(o, "iterations", json_integer(ch->iters));
            json_object_set_new(o, "converged", json_boolean(ch->converged));
        }
        rundiag_chain_json(rep->diag, c, o);
        json_array_append_new(chains, o);
    }
    json_t *root = json_pack("{s:s, s:s, s:s, s:i, s:I, s:b, s:o, s:{s:o, s:o, s:o}, s:o, s:o}",
                             "vrun", RUN_VERSION, "model", rep->m->name ? rep->m->name : "",
                             "method", cfg->backend->name, "chains", res->chains,
                             "draws_per_chain", (json_int_t)res->ndraws, "interrupted", res->interrupted,
                             "settings", sum_settings(rep), "timing",
                             "warmup", sum_real(res->seconds_warmup),
                             "sampling", sum_real(res->seconds_sampling),
                             "total", sum_real(rep->seconds_total),
                             "columns", cols, "per_chain", chains);
    if (root && rep->diag)
        json_object_set_new(root, "diagnostics", rundiag_json(rep->diag));
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text) {
        snprintf(err, errlen, "cannot write the summary %s: it cannot be made into JSON", path);
        return -1;
    }
    size_t len = strlen(text);
    int rc = vm_write_file(path, text, len, err, errlen);
    free(text);
    return rc;
}
