/* The REPL's ':' commands.  One row per command in repl_cmds (ORDER COMMANDS: the
 * help text, the dispatcher and tab completion all read it). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/plot_cmd.h"
#include "vrun/repl_int.h"
#include "vrun/session.h"
#include "driver/summary.h"
#include "runtime/model.h"
#include "lang/diag.h"

typedef int (*CmdFn)(Repl *r, const char *arg, int *quit);

typedef struct ReplCmd {
    const char *name, *args, *help;
    CmdFn fn;
} ReplCmd;

void repl_fit_free(ReplFit *f)
{
    run_result_free(&f->res);
    vm_model_free(f->model);
    free(f->src);
    free(f->data);
    memset(f, 0, sizeof *f);
}

static int need_arg(const char *arg, const char *usage)
{
    if (arg && *arg) return 0;
    fprintf(stderr, "error: usage: %s\n", usage);
    return 1;
}

/* One blank-separated argument (quotes allowed), nothing after it. */
static char *one_word(const char *arg, const char *usage)
{
    const char *p = arg;
    char *w = repl_word(&p);
    char *more = repl_word(&p);
    if (!w || more) {
        fprintf(stderr, "error: usage: %s\n", usage);
        free(w);
        free(more);
        return NULL;
    }
    return w;
}

static int cmd_load(Repl *r, const char *arg, int *quit)
{
    char *path = one_word(arg, ":load FILE.vmod");
    if (!path) return 1;
    size_t len;
    char *src = vrun_read_file(path, "model file", &len);
    int rc = 1;
    if (src && !(rc = repl_add(r, src, path, 1)))
        printf("loaded %s: %d statements (:model lists them)\n", path, r->nstmts);
    free(src);
    free(path);
    return rc;
}

static int cmd_data(Repl *r, const char *arg, int *quit)
{
    if (!*arg) { repl_data_show(r, stdout); return 0; }
    char *path = one_word(arg, ":data [FILE.json]");
    if (!path) return 1;
    int rc = repl_data_file(r, path);
    free(path);
    return rc;
}

static int cmd_set(Repl *r, const char *arg, int *quit) { return repl_data_set(r, arg); }

static int cmd_unset(Repl *r, const char *arg, int *quit)
{
    char *name = one_word(arg, ":unset NAME");
    if (!name) return 1;
    int rc = json_object_del(r->data, name) ? 1 : 0;
    if (rc) fprintf(stderr, "error: no data value named '%s'\n", name);
    free(name);
    return rc;
}

static int cmd_model(Repl *r, const char *arg, int *quit)
{
    repl_list(r, stdout);
    return 0;
}

static int parse_index(const char **p, int *k)
{
    char *end;
    long v = strtol(*p, &end, 10);
    if (end == *p || v < 1 || v > 1000000) return 1;
    *k = (int)v;
    *p = end;
    return 0;
}

static int is_end(const char *p)
{
    while (isspace((unsigned char)*p)) p++;
    return !*p;
}

static int cmd_rm(Repl *r, const char *arg, int *quit)
{
    int k;
    const char *p = arg;
    if (parse_index(&p, &k) || !is_end(p)) { fprintf(stderr, "error: usage: :rm K (K as :model numbers it)\n"); return 1; }
    return repl_remove(r, k);
}

static int cmd_replace(Repl *r, const char *arg, int *quit)
{
    int k;
    const char *p = arg;
    if (parse_index(&p, &k) || is_end(p)) {
        fprintf(stderr, "error: usage: :replace K STATEMENT (K as :model numbers it)\n");
        return 1;
    }
    return repl_replace(r, k, p);
}

static int cmd_save(Repl *r, const char *arg, int *quit)
{
    char *path = one_word(arg, ":save FILE.vmod");
    if (!path) return 1;
    int rc = repl_save(r, path);
    free(path);
    return rc;
}

/* ---- :run ---- */

/* vrun's argv from the words of :run: a first word without dashes is the method. */
static int run_words(const char *arg, char **words, int max)
{
    int n = 0;
    words[n++] = strdup("vrun");
    const char *p = arg;
    for (char *w; n < max && (w = repl_word(&p));) {
        if (n == 1 && w[0] != '-') {
            char *m = NULL;
            if (asprintf(&m, "--method=%s", w) < 0) m = NULL;
            free(w);
            w = m;
        }
        words[n++] = w;
    }
    return n;
}

/* The command line's options, minus those that make no sense inside a session.
 * Returns 0, or 1 with err. */
static int run_options(int n, char **words, Cli *c, const Backend **b, char *err, size_t errlen)
{
    if (cli_parse(n, words, c, err, errlen)) return 1;
    if (c->help) return 0;
    if (c->model) {
        snprintf(err, errlen, "unexpected argument '%s' (give the method first: :run nuts --draws=500)", c->model);
        return 1;
    }
    if (c->data || c->script || c->check || c->format || c->version) {
        snprintf(err, errlen, "--data, --script, --check, --format and --version are not :run options "
                              "(load data with :data FILE.json)");
        return 1;
    }
    return session_method(c, b, err, errlen);
}

/* A finished or interrupted run becomes the session's draws, with what it ran on. */
static void fit_keep(Repl *r, VmModel *m, RunResult *res, char *src, char *data, const Backend *b)
{
    if (r->have_fit) repl_fit_free(&r->fit);
    ReplFit *f = &r->fit;
    f->model = m;
    f->res = *res;
    f->src = src;
    f->data = data;
    snprintf(f->method, sizeof f->method, "%s", b->name);
    f->nmethod = res->ncols - 1 - vm_model_nvalues(m);
    r->have_fit = 1;
    if (res->interrupted)
        printf("interrupted: kept %ld draws from each of %d chains (:summary and :save-draws use them)\n",
               res->ndraws, res->chains);
}

static int cmd_run(Repl *r, const char *arg, int *quit)
{
    char *words[256];
    int n = run_words(arg, words, 255);
    Cli c;
    const Backend *b = NULL;
    char err[1024] = "";
    int rc = run_options(n, words, &c, &b, err, sizeof err);
    VmModel *m = NULL;
    char *src = repl_source(r), *data = repl_data_text(r);
    if (!rc && c.help) cli_usage(stdout);
    else if (!rc && !r->nstmts) {
        snprintf(err, sizeof err, "the model is empty: type statements or :load FILE.vmod");
        rc = 1;
    } else if (!rc && !(m = repl_compile(src, data, NULL))) rc = 1;   /* printed */
    if (!rc && m) {
        if (vm_model_warnings(m) && !c.quiet) fputs(vm_model_warnings(m), stderr);
        if (!b) rc = !strcmp(c.method, "logprob") ? vrun_logprob(&c, m, stdout) : vrun_diagnose(&c, m, stdout);
        else {
            RunResult res;
            memset(&res, 0, sizeof res);
            /* --plot=DIR as on the command line: the CSV files, then their plots */
            rc = vrun_plot_prepare(&c, err, sizeof err);
            if (!rc) rc = session_run(&c, b, m, "repl", &res, err, sizeof err);
            int plot_rc = (rc == 0 || rc == 130 || rc == 143) && c.plot ? vrun_plot_after_run(&c, m, res.chains, stdout) : 0;
            if (rc == 0 || rc == 130 || rc == 143) {
                fit_keep(r, m, &res, src, data, b);
                m = NULL;
                src = data = NULL;
            }
            if (plot_rc && rc == 0) rc = 1;     /* the draws are kept; the message is printed */
        }
    }
    if ((rc == 1 || rc == 2) && err[0]) fprintf(stderr, "error: %s\n", err);
    vm_model_free(m);
    free(src);
    free(data);
    cli_free(&c);
    for (int i = 0; i < n; i++) free(words[i]);
    return rc;
}

/* ---- :summary, :save-draws ---- */

static int need_fit(const Repl *r)
{
    if (r->have_fit) return 0;
    fprintf(stderr, "error: no draws yet: run a method first (:run nuts)\n");
    return 1;
}

/* "theta[2, 1]" -> "theta.2.1", the way the columns are named. */
static char *column_spelling(const char *s)
{
    char *o = malloc(strlen(s) + 1), *q = o;
    for (; *s; s++) {
        if (*s == '[' || *s == ',') *q++ = '.';
        else if (*s != ']' && !isspace((unsigned char)*s)) *q++ = *s;
    }
    *q = 0;
    return o;
}

static int column_matches(const char *col, const char *want)
{
    size_t l = strlen(want);
    return !strcmp(col, want) || (!strncmp(col, want, l) && col[l] == '.');
}

static int cmd_summary(Repl *r, const char *arg, int *quit)
{
    if (need_fit(r)) return 1;
    const RunResult *res = &r->fit.res;
    size_t first = 1 + r->fit.nmethod, n = 0;
    size_t *cols = malloc(sizeof(size_t) * (res->ncols + 1));
    const char **names = malloc(sizeof(char *) * (res->ncols + 1));
    int rc = 0;
    if (!*arg)
        for (size_t j = first; j < res->ncols; j++) cols[n++] = j;
    const char *p = arg;
    for (char *w; (w = repl_word(&p));) {
        char *want = column_spelling(w);
        size_t before = n;
        for (size_t j = 0; j < res->ncols; j++)
            if (column_matches(res->col_names[j], want)) cols[n++] = j;
        if (n == before) {
            fprintf(stderr, "error: no variable '%s' in the draws (:summary with no name shows them all)\n", w);
            rc = 1;
        }
        free(want);
        free(w);
    }
    SumStats *st = calloc(n + 1, sizeof *st);
    for (size_t i = 0; i < n && !rc; i++) {
        names[i] = res->col_names[cols[i]];
        sum_compute(res->draws + cols[i], res->chains, (size_t)res->ndraws, res->ncols, &st[i]);
    }
    if (!rc) {
        printf("method: %s  chains: %d x %ld draws%s\n", r->fit.method, res->chains, res->ndraws,
               res->interrupted ? "  (interrupted)" : "");
        sum_write_table(stdout, n, names, st);
    }
    free(st);
    free(names);
    free(cols);
    return rc;
}

static int cmd_save_draws(Repl *r, const char *arg, int *quit)
{
    char *path = one_word(arg, ":save-draws FILE.csv");
    if (!path) return 1;
    if (need_fit(r)) { free(path); return 1; }
    const RunResult *res = &r->fit.res;
    char err[1024];
    /* Stan CSV, one file per chain, as --output writes them */
    int rc = run_save_csv(res, bk_find(r->fit.method), "repl", path, err, sizeof err) ? 1 : 0;
    if (rc) fprintf(stderr, "error: %s\n", err);
    else if (res->chains > 1)
        printf("saved %d chains x %ld draws x %zu columns as Stan CSV to %s (one file per chain: _1 ... _%d)\n",
               res->chains, res->ndraws, res->ncols, path, res->chains);
    else printf("saved %ld draws x %zu columns as Stan CSV to %s\n", res->ndraws, res->ncols, path);
    free(path);
    return rc;
}

static int cmd_eval(Repl *r, const char *arg, int *quit)
{
    if (need_arg(arg, ":eval EXPR [@ DRAW]")) return 1;
    return repl_eval(r, arg);
}

static int cmd_lp(Repl *r, const char *arg, int *quit) { return repl_lp(r, arg); }

static int cmd_plot(Repl *r, const char *arg, int *quit) { return repl_plot(r, arg); }

static int cmd_reset(Repl *r, const char *arg, int *quit)
{
    for (int i = 0; i < r->nstmts; i++) free(r->stmts[i]);
    free(r->stmts);
    r->stmts = NULL;
    r->nstmts = r->cap = 0;
    json_object_clear(r->data);
    if (r->have_fit) repl_fit_free(&r->fit);
    r->have_fit = 0;
    repl_names_update(r);
    printf("model, data and draws cleared\n");
    return 0;
}

static int cmd_help(Repl *r, const char *arg, int *quit)
{
    repl_help(stdout);
    return 0;
}

static int cmd_quit(Repl *r, const char *arg, int *quit)
{
    *quit = 1;
    return 0;
}

static const ReplCmd repl_cmds[] = {   /* ORDER COMMANDS */
    {":load", "FILE.vmod", "replace the model by the statements of a file", cmd_load},
    {":data", "[FILE.json]", "add the values of a CmdStan JSON data file (no file: list the data)", cmd_data},
    {":set", "NAME = VALUE", "set one data value, in JSON syntax: :set N = 10, :set y = [1, 2, 3]", cmd_set},
    {":unset", "NAME", "remove one data value", cmd_unset},
    {":model", "", "show the model, formatted, one number per statement", cmd_model},
    {":rm", "K", "remove statement K", cmd_rm},
    {":replace", "K STATEMENT", "replace statement K", cmd_replace},
    {":run", "[METHOD] [--OPTION=VALUE ...]", "run a method with vrun's options: :run bbvi --family=fullrank", cmd_run},
    {":summary", "[NAME ...]", "the summary of the last run, or of some variables (theta, theta[2])", cmd_summary},
    {":eval", "EXPR [@ DRAW]", "EXPR at the posterior mean (and over the draws), or at draw DRAW", cmd_eval},
    {":lp", "[@ DRAW | FILE.json]", "log density and gradient at the posterior mean, a draw or a point", cmd_lp},
    {":save", "FILE.vmod", "write the model to a file", cmd_save},
    {":save-draws", "FILE.csv", "write the draws of the last run as Stan CSV (one file per chain)", cmd_save_draws},
    {":plot", "NAME [KIND]", "plot a variable of the last run (trace, rank, density, pairs, energy) into plots/NAME/", cmd_plot},
    {":reset", "", "clear the model, the data and the draws", cmd_reset},
    {":help", "", "this list", cmd_help},
    {":quit", "", "leave (Ctrl-D too)", cmd_quit},
    {NULL, NULL, NULL, NULL},
};

const char *const repl_commands[] = {":load", ":data", ":set", ":unset", ":model", ":rm", ":replace", ":run",
                                     ":summary", ":eval", ":lp", ":save", ":plot", ":save-draws", ":reset", ":help",
                                     ":quit", NULL};   /* ORDER COMMANDS */

void repl_help(FILE *out)
{
    fprintf(out, "Type model statements (.vmod syntax) to add them to the model; a statement may span\n"
                 "lines until its brackets balance and it ends with ';' or '}'.  Ctrl-C drops the input\n"
                 "being typed or stops a run (keeping the draws so far); Ctrl-D leaves.  Commands:\n");
    for (const ReplCmd *c = repl_cmds; c->name; c++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", c->name, c->args);
        fprintf(out, "  %-34s %s\n", head, c->help);
    }
    fprintf(out, "Methods for :run:");
    for (int i = 0; bk_registry[i]; i++) fprintf(out, " %s", bk_registry[i]->name);
    fprintf(out, " logprob diagnose (:run --help lists their options)\n");
}

int repl_command(Repl *r, const char *line, int *quit)
{
    const char *p = line;
    while (*p && !isspace((unsigned char)*p)) p++;
    size_t l = (size_t)(p - line);
    while (isspace((unsigned char)*p)) p++;
    char *arg = strdup(p);
    for (size_t n = strlen(arg); n && isspace((unsigned char)arg[n - 1]);) arg[--n] = 0;
    int rc = -1;
    for (const ReplCmd *c = repl_cmds; c->name; c++)
        if (strlen(c->name) == l && !strncmp(c->name, line, l)) { rc = c->fn(r, arg, quit); break; }
    if (rc == -1) {
        fprintf(stderr, "error: unknown command '%.*s' (:help lists the commands)\n", (int)l, line);
        rc = 1;
    }
    free(arg);
    return rc;
}
