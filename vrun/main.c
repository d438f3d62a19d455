/* vrun: the only place that prints diagnostics and picks the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "vrun/cli.h"
#include "runtime/run.h"
#include "runtime/model.h"
#include "lang/ir.h"
#include "runtime/sim_outputs.h"

#define VRUN_VERSION "0.1.0"

/* ---- RunModel over the compiled model ---- */
typedef struct Adapter { VmModel *m; } Adapter;

static int target_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density((VmEval *)ctx, u, 1, lp, grad);
}

static int target_new(void *model, BkTarget *t, char *err, size_t errlen)
{
    Adapter *a = model;
    VmEval *e = vm_eval_new(a->m);
    if (!e) { snprintf(err, errlen, "out of memory"); return 1; }
    t->dim = vm_model_dim(a->m);
    t->ndisc = vm_model_ndisc(a->m);
    t->disc_lo = a->m->disc_lo;
    t->disc_hi = a->m->disc_hi;
    t->logp = target_logp;
    t->ctx = e;
    t->model = a->m;
    return 0;
}

static void target_free(void *model, BkTarget *t) { vm_eval_free((VmEval *)t->ctx); }

static int values(void *model, BkTarget *t, const double *u, gsl_rng *r, double *out)
{
    return vm_write_values((VmEval *)t->ctx, u, r, out);
}

static int do_check(const char *path, int format)
{
    size_t len;
    char *src = vrun_read_file(path, &len);
    if (!src) { fprintf(stderr, "%s: error: cannot open the model file\n", path); return 1; }
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, path, src, len);
    Program *p = vm_parse(&a, &d, src, len);
    Ir *ir = p ? vm_check(&a, &d, p) : NULL;
    char *msg = diag_render(&d);
    if (msg && *msg) fputs(msg, stderr);
    free(msg);
    int rc = ir ? 0 : 1;
    if (ir && format) {
        char *f = vm_format(p);
        fputs(f, stdout);
        free(f);
    } else if (ir) puts("ok");
    diag_free(&d);
    arena_free(&a);
    free(src);
    return rc;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    Cli c;
    char err[1024];
    if (cli_parse(argc, argv, &c, err, sizeof err)) {
        fprintf(stderr, "vrun: error: %s\n", err);
        cli_free(&c);
        return 1;
    }
    if (c.help) { cli_usage(stdout); cli_free(&c); return 0; }
    if (c.version) { printf("vrun %s\n", VRUN_VERSION); cli_free(&c); return 0; }
    if (!c.model) {
        fprintf(stderr, "vrun: error: no model file given (the interactive REPL is not part of this build yet)\n");
        cli_usage(stderr);
        cli_free(&c);
        return 1;
    }
    if (c.check || c.format) { int rc = do_check(c.model, c.format); cli_free(&c); return rc; }

    const Backend *b = NULL;
    int special = !strcmp(c.method, "logprob") || !strcmp(c.method, "diagnose");
    if (!special) {
        b = bk_find(c.method);
        if (!b) {
            fprintf(stderr, "vrun: error: unknown method '%s' (try --help for the list)\n", c.method);
            cli_free(&c);
            return 1;
        }
        if (bk_check_options(b, c.opts, c.nopts, err, sizeof err)) {
            fprintf(stderr, "vrun: error: %s\n", err);
            cli_free(&c);
            return 1;
        }
    } else if (c.nopts) {
        fprintf(stderr, "vrun: error: unknown option --%s for --method=%s\n", c.opts[0].key, c.method);
        cli_free(&c);
        return 1;
    }
    char *msg = NULL;
    VmModel *m = vm_model_load_file(c.model, c.data, &msg);
    if (!m) {
        fputs(msg ? msg : "vrun: error: cannot load the model\n", stderr);
        free(msg);
        cli_free(&c);
        return 1;
    }
    if (vm_model_warnings(m) && !c.quiet) fputs(vm_model_warnings(m), stderr);
    int rc;
    if (!strcmp(c.method, "logprob")) rc = vrun_logprob(&c, m, stdout);
    else if (!strcmp(c.method, "diagnose")) rc = vrun_diagnose(&c, m, stdout);
    else {
        Adapter ad = {m};
        const char **names = malloc(sizeof(char *) * (vm_model_nvalues(m) + 1));
        for (size_t i = 0; i < vm_model_nvalues(m); i++) names[i] = vm_model_value_name(m, i);
        double *init = NULL;
        if (c.init) {
            char *txt = vrun_read_file(c.init, NULL);
            init = calloc(vm_model_dim(m) + vm_model_ndisc(m) + 1, sizeof(double));
            VmEval *e = vm_eval_new(m);
            if (!txt || vm_unconstrain_json(e, txt, init)) {
                fprintf(stderr, "%s: error: %s\n", c.init, txt ? vm_eval_message(e) : "cannot open the file");
                free(txt); free(init); vm_eval_free(e); free(names); vm_model_free(m); cli_free(&c);
                return 1;
            }
            free(txt);
            vm_eval_free(e);
        }
        const char *base = strrchr(c.model, '/');
        RunModel rm = {base ? base + 1 : c.model, vm_model_dim(m), vm_model_ndisc(m), target_new, target_free,
                       vm_model_nvalues(m), names, values, init, &ad};
        SimOutputs *so = NULL;     /* prior-predictive: the simulated data as extra columns */
        if (!strcmp(b->name, "prior-predictive") && !(so = sim_outputs_wrap(&rm, m, &msg))) {
            fputs(msg ? msg : "vrun: error: the model cannot be simulated\n", stderr);
            free(msg); free(init); free(names); vm_model_free(m); cli_free(&c);
            return 1;
        }
        RunConfig cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.backend = b;
        cfg.base.warmup = c.warmup;
        cfg.base.draws = c.draws;
        cfg.base.iters = c.iters;
        cfg.base.mc = c.mc;
        cfg.base.lr = c.lr;
        cfg.base.tol = c.tol;
        cfg.base.seed = (unsigned long)c.seed;
        cfg.base.opts = c.opts;
        cfg.base.nopts = c.nopts;
        cfg.chains = c.chains > 0 ? (int)c.chains : (b->kind == BK_SAMPLER ? 4 : 1);
        cfg.threads = (int)c.threads;
        cfg.output_csv = c.output;
        cfg.summary_json = c.summary;
        cfg.quiet = c.quiet;
        cfg.progress = c.progress;
        cfg.command_line = c.command_line;
        cfg.out = stdout;
        RunResult res;
        memset(&res, 0, sizeof res);
        rc = run_inference(&rm, &cfg, &res, err, sizeof err);
        if (rc == 1 || rc == 2) fprintf(stderr, "vrun: error: %s\n", err);
        run_result_free(&res);
        sim_outputs_free(so);
        free(init);
        free(names);
    }
    vm_model_free(m);
    cli_free(&c);
    return rc;
}
