#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "vrun/cli.h"
#include "runtime/readfile.h"

void cli_usage(FILE *out)
{
    fprintf(out,
        "usage: vrun MODEL.vmod [--data FILE.json] [--method=NAME] [options]\n"
        "       vrun --check MODEL.vmod | --format MODEL.vmod | --help | --version\n"
        "       vrun --plan MODEL.vmod [--data FILE.json]   how each loop runs (docs/ir.md)\n"
        "       vrun [--data FILE.json]             the interactive REPL (docs/repl.md)\n"
        "       vrun --script FILE [--data FILE.json]   REPL commands from FILE, no prompts\n"
        "       vrun plot FILE.csv ... [--kind=K,...] [--vars=V,...] [--out=DIR]   plots (docs/plots.md)\n"
        "\nmethods:\n");
    for (int i = 0; bk_registry[i]; i++) fprintf(out, "  %-10s %s\n", bk_registry[i]->name, bk_registry[i]->help);
    fprintf(out,
        "  %-10s %s\n  %-10s %s\n", "logprob", "log density and gradient at --at=POINT.json or --at-unconstrained=POINT.json",
        "diagnose", "gradient against finite differences at a random or given point");
    fprintf(out,
        "\ncommon options:\n"
        "  --data FILE.json   data in CmdStan JSON        --seed=N          random seed (default 1234)\n"
        "  --chains=N         chains (default 4)           --threads=N       threads (default: all cores)\n"
        "  --warmup=N         warm-up iterations (1000)    --draws=N         draws per chain (1000)\n"
        "  --output=FILE.csv  Stan CSV draws               --summary=FILE.json  summary as JSON\n"
        "  --init=FILE.json   initial values by name (parameters left out start at random)\n"
        "  --init=R           uniform(-R, R) on the unconstrained scale (default 2); --init=0: all 0\n"
        "  --thin=N           keep every N-th draw         --save-warmup     warm-up draws in the CSV too\n"
        "  --strict           exit status 3 after any warning (divergences, R-hat, ESS, k-hat ...)\n"
        "  -q, --quiet        only warnings and errors     --no-progress     no progress display\n"
        "  -h, --help         this text\n"
        "  --plot=DIR         diagnostic plots at the end  (vrun plot FILE.csv ...: docs/plots.md)\n"
        "  VI: --iters=N --lr=X --mc=N --tol=X\n"
        "  under mpirun: --data-parallel  split each chain's density over the processes (docs/mpi.md)\n"
        "  method options: --NAME=VALUE (see docs/ for each method)\n");
    for (int i = 0; bk_registry[i]; i++) {
        const Backend *b = bk_registry[i];
        if (!b->options || !b->options[0].name) continue;
        fprintf(out, "  %s:", b->name);
        for (const BkOption *o = b->options; o->name; o++) fprintf(out, " --%s=%s", o->name, o->def ? o->def : "");
        fprintf(out, "\n");
    }
}

/* Every option vrun itself takes, for the did-you-mean of an unknown one. */
static const char *const cli_names[] = {"data", "method", "output", "summary", "init", "at", "at-unconstrained",
                                        "seed", "chains", "threads", "warmup", "draws", "iters", "mc", "lr", "tol",
                                        "jacobian", "script", "thin", "save-warmup", "help", "version", "check",
                                        "format", "plan", "quiet", "no-progress", "strict", NULL};

static size_t cli_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63 || lb > 63) return (size_t)-1;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

int cli_check_unknown(const char *key, const Backend *b, const char *method, char *err, size_t errlen)
{
    for (const BkOption *o = b ? b->options : NULL; o && o->name; o++)
        if (!strcmp(o->name, key)) return 0;
    /* the nearest of vrun's and the method's options, if close enough to be a slip */
    const char *best = NULL;
    size_t bestd = (size_t)-1, len = strlen(key), limit = len <= 4 ? 1 : len / 3 > 2 ? len / 3 : 2;
    for (int i = 0; cli_names[i]; i++) {
        size_t d = cli_distance(key, cli_names[i]);
        if (d < bestd) { bestd = d; best = cli_names[i]; }
    }
    for (const BkOption *o = b ? b->options : NULL; o && o->name; o++) {
        size_t d = cli_distance(key, o->name);
        if (d < bestd) { bestd = d; best = o->name; }
    }
    if (best && bestd <= limit) {
        snprintf(err, errlen, "unknown option --%s for method '%s' (did you mean --%s?)", key, method, best);
        return 1;
    }
    /* an option of another method */
    for (int i = 0; bk_registry[i]; i++)
        for (const BkOption *o = bk_registry[i]->options; o && o->name; o++)
            if (!strcmp(o->name, key)) {
                snprintf(err, errlen, "unknown option --%s for method '%s' (it is an option of --method=%s)", key,
                         method, bk_registry[i]->name);
                return 1;
            }
    snprintf(err, errlen, "unknown option --%s for method '%s' (vrun --help lists the options)", key, method);
    return 1;
}

static int parse_long(const char *name, const char *v, long lo, long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo) {
        snprintf(err, errlen, "option --%s expects an integer >= %ld, got '%s'", name, lo, v);
        return 1;
    }
    *out = x;
    return 0;
}

static int parse_double(const char *name, const char *v, double *out, char *err, size_t errlen)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x == x)) {
        snprintf(err, errlen, "option --%s expects a number, got '%s'", name, v);
        return 1;
    }
    *out = x;
    return 0;
}

int cli_parse(int argc, char **argv, Cli *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->method = "nuts";
    c->seed = 1234;
    c->chains = -1;
    c->threads = 0;
    c->warmup = 1000;
    c->draws = 1000;
    c->iters = 10000;
    c->mc = 0;
    c->lr = 0;
    c->tol = 0;
    c->progress = -1;
    c->jacobian = 1;
    size_t len = 0;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    c->command_line = calloc(len + 1, 1);
    for (int i = 0; i < argc; i++) { if (i) strcat(c->command_line, " "); strcat(c->command_line, argv[i]); }
    c->opts = calloc((size_t)argc + 1, sizeof(BkOpt));
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strcmp(a, "-h")) { c->help = 1; continue; }
        if (!strcmp(a, "-q")) { c->quiet = 1; c->progress = 0; continue; }
        if (a[0] == '-' && a[1] && a[1] != '-') {
            snprintf(err, errlen, "unknown option '%s' (short options: -h, -q; the others are --NAME=VALUE)", a);
            return 1;
        }
        if (a[0] != '-' || a[1] != '-') {
            if (c->model) { snprintf(err, errlen, "more than one model file: '%s' and '%s'", c->model, a); return 1; }
            c->model = a;
            continue;
        }
        char key[64];
        const char *val = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t kl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, a + 2, kl);
        key[kl] = 0;
        if (eq) val = eq + 1;
        /* flags */
        if (!strcmp(key, "help")) { c->help = 1; continue; }
        if (!strcmp(key, "version")) { c->version = 1; continue; }
        if (!strcmp(key, "check")) { c->check = 1; continue; }
        if (!strcmp(key, "format")) { c->format = 1; continue; }
        if (!strcmp(key, "plan")) { c->plan = 1; continue; }
        if (!strcmp(key, "quiet")) { c->quiet = 1; c->progress = 0; continue; }
        if (!strcmp(key, "no-progress")) { c->progress = 0; continue; }
        if (!strcmp(key, "strict")) { c->strict = 1; continue; }
        if (!strcmp(key, "save-warmup")) { c->save_warmup = 1; continue; }
        if (!strcmp(key, "data-parallel")) { c->data_parallel = 1; continue; }
        static const char *const valued[] = {"data", "method", "output", "summary", "init", "at", "at-unconstrained",
                                             "seed", "chains", "threads", "warmup", "draws", "iters", "mc", "lr", "tol",
                                             "jacobian", "script", "thin", "plot", NULL};
        int known = 0;
        for (int k = 0; valued[k]; k++) if (!strcmp(key, valued[k])) known = 1;
        if (known && !val) {
            if (i + 1 >= argc) { snprintf(err, errlen, "option --%s needs a value", key); return 1; }
            val = argv[++i];
        }
        if (!known) {            /* a method option, checked against the method's table later */
            c->opts[c->nopts].key = strdup(key);
            c->opts[c->nopts].value = val ? val : "true";
            c->nopts++;
            continue;
        }
        if (!strcmp(key, "data")) c->data = val;
        else if (!strcmp(key, "method")) c->method = val;
        else if (!strcmp(key, "output")) c->output = val;
        else if (!strcmp(key, "summary")) c->summary = val;
        else if (!strcmp(key, "init")) c->init = val;
        else if (!strcmp(key, "script")) c->script = val;
        else if (!strcmp(key, "plot")) c->plot = val;
        else if (!strcmp(key, "at")) c->at = val;
        else if (!strcmp(key, "at-unconstrained")) c->at_unc = val;
        else if (!strcmp(key, "jacobian")) {
            c->jacobian_given = 1;
            if (!strcmp(val, "true") || !strcmp(val, "1")) c->jacobian = 1;
            else if (!strcmp(val, "false") || !strcmp(val, "0")) c->jacobian = 0;
            else { snprintf(err, errlen, "option --jacobian expects true or false, got '%s'", val); return 1; }
        } else if (!strcmp(key, "seed")) { if (parse_long(key, val, 0, &c->seed, err, errlen)) return 1; }
        else if (!strcmp(key, "chains")) { if (parse_long(key, val, 1, &c->chains, err, errlen)) return 1; }
        else if (!strcmp(key, "threads")) { if (parse_long(key, val, 1, &c->threads, err, errlen)) return 1; }
        else if (!strcmp(key, "warmup")) { if (parse_long(key, val, 0, &c->warmup, err, errlen)) return 1; }
        else if (!strcmp(key, "draws")) { if (parse_long(key, val, 1, &c->draws, err, errlen)) return 1; }
        else if (!strcmp(key, "iters")) { if (parse_long(key, val, 1, &c->iters, err, errlen)) return 1; }
        else if (!strcmp(key, "thin")) { if (parse_long(key, val, 1, &c->thin, err, errlen)) return 1; }
        else if (!strcmp(key, "mc")) { if (parse_long(key, val, 1, &c->mc, err, errlen)) return 1; }
        else if (!strcmp(key, "lr")) {
            if (parse_double(key, val, &c->lr, err, errlen)) return 1;
            if (!(c->lr > 0) || !isfinite(c->lr)) { snprintf(err, errlen, "option --lr expects a positive number, got '%s'", val); return 1; }
        } else if (!strcmp(key, "tol")) {
            if (parse_double(key, val, &c->tol, err, errlen)) return 1;
            if (!(c->tol >= 0) || !isfinite(c->tol)) { snprintf(err, errlen, "option --tol expects a number >= 0, got '%s'", val); return 1; }
        }
    }
    return 0;
}

void cli_free(Cli *c)
{
    for (size_t i = 0; i < c->nopts; i++) free((char *)c->opts[i].key);
    free(c->opts);
    free(c->command_line);
    free(c->plot_csv);
}

/* An input file for vrun (`what`: "model file", "file"); on failure the reason goes to
 * stderr as "PATH: error: ..." and the result is NULL. */
char *vrun_read_file(const char *path, const char *what, size_t *len)
{
    char why[256];
    char *s = vm_read_file(path, what, VM_MAX_MODEL_BYTES, len, why, sizeof why);
    if (!s) fprintf(stderr, "%s: error: %s\n", path, why);
    return s;
}
