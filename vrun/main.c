/* vrun: the only place that prints diagnostics and picks the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "vrun/cli.h"
#include "vrun/session.h"
#include "vrun/repl.h"
#include "vrun/plot_cmd.h"
#include "driver/run.h"
#include "runtime/model.h"
#include "runtime/interrupt.h"
#include "runtime/mpi.h"
#include "lang/ir.h"

#define VRUN_VERSION "0.1.0"

static int do_check(const char *path, int format, const char *data, int plan)
{
    size_t len;
    char *src = vrun_read_file(path, "model file", &len);
    if (!src) return 1;
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
    } else if (ir) {
        /* with the data bound every size is known: evaluate once for size mismatches */
        char *lmsg = NULL;
        VmModel *m = vm_model_load_file(path, data, &lmsg);
        char *sz = m ? vm_model_check_sizes(m) : NULL;
        if (!m && data) { fputs(lmsg ? lmsg : "error: cannot load the model with its data\n", stderr); rc = 1; }
        else if (sz) { fputs(sz, stderr); if (sz[strlen(sz) - 1] != '\n') fputc('\n', stderr); rc = 1; }
        else if (plan && m) {
            char *desc = vm_model_plan_describe(m);
            if (desc && *desc) fputs(desc, stdout);
            else puts("no loops");
            free(desc);
        } else if (plan) { fputs(lmsg ? lmsg : "error: cannot load the model\n", stderr); rc = 1; }
        else puts("ok");
        free(sz);
        free(lmsg);
        vm_model_free(m);
    }
    diag_free(&d);
    arena_free(&a);
    free(src);
    return rc;
}

static int vrun_main(int argc, char **argv);

/* Under mpirun every rank runs vrun_main; they all return the same status. */
int main(int argc, char **argv)
{
    char err[1024];
    if (mp_init(&argc, &argv, err, sizeof err)) {
        fprintf(stderr, "vrun: error: %s\n", err);
        return 1;
    }
    /* Every rank loads the same model and data and reaches the same verdict; rank 0
     * alone speaks, so that the output is one process's. */
    if (mp_rank() != 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
        return 1;
    int rc = vrun_main(argc, argv);
    mp_finalize();
    return rc;
}

static int vrun_main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    Cli c;
    char err[1024];
    if (argc >= 2 && !strcmp(argv[1], "plot")) return vrun_plot_main(argc - 1, argv + 1);
    if (cli_parse(argc, argv, &c, err, sizeof err)) {
        fprintf(stderr, "vrun: error: %s\n", err);
        cli_free(&c);
        return 1;
    }
    if (c.help) { cli_usage(stdout); cli_free(&c); return 0; }
    if (c.version) { printf("vrun %s\n", VRUN_VERSION); cli_free(&c); return 0; }
    if (!c.model && (c.check || c.format || c.plan)) {
        const char *flag = c.check ? "check" : c.plan ? "plan" : "format";
        fprintf(stderr, "vrun: error: --%s needs a model file: vrun --%s MODEL.vmod\n", flag, flag);
        cli_free(&c);
        return 1;
    }
    if (!c.model && mp_size() > 1) {
        /* the REPL reads one terminal: rank 0 alone would reach a run's collectives, the
         * others having read nothing, and wait for ever */
        fprintf(stderr, "vrun: error: the interactive session runs in one process, not under mpirun with %d "
                "processes: start it without mpirun (vrun MODEL.vmod runs a model over MPI)\n", mp_size());
        cli_free(&c);
        return 1;
    }
    if (!c.model) { int rc = repl_main(&c); cli_free(&c); return rc; }
    if (c.check || c.format || c.plan) {
        int rc = do_check(c.model, c.format, c.check || c.plan ? c.data : NULL, c.plan);
        cli_free(&c);
        return rc;
    }

    const Backend *b = NULL;
    if (session_method(&c, &b, err, sizeof err)) {
        fprintf(stderr, "vrun: error: %s\n", err);
        cli_free(&c);
        return 1;
    }
    /* From here to the end a SIGINT or SIGTERM finishes the run's files and summary
     * (the run's own handler) or, outside the run, ends vrun at the next safe point. */
    vm_interrupt_catch();
    char *msg = NULL;
    VmModel *m = vm_model_load_file(c.model, c.data, &msg);
    if (!m && vm_interrupt_pending()) {
        fprintf(stderr, "vrun: interrupted while loading the model\n");
        free(msg);
        cli_free(&c);
        return 128 + vm_interrupt_pending();
    }
    if (!m) {
        int oom = msg && !strcmp(msg, "out of memory\n");   /* not the model's fault: status 2 */
        if (oom) fprintf(stderr, "vrun: error: out of memory while loading %s\n", c.model);
        else fputs(msg ? msg : "vrun: error: cannot load the model\n", stderr);
        free(msg);
        cli_free(&c);
        return oom ? 2 : 1;
    }
    if (vm_model_warnings(m)) fputs(vm_model_warnings(m), stderr);   /* --quiet keeps warnings */
    int rc;
    if (session_split(&c, b, m, err, sizeof err)) {
        fprintf(stderr, "vrun: error: %s\n", err);
        vm_model_free(m);
        cli_free(&c);
        return 1;
    }
    if (!strcmp(c.method, "logprob")) rc = vrun_logprob(&c, m, stdout);
    else if (!strcmp(c.method, "diagnose")) rc = vrun_diagnose(&c, m, stdout);
    else {
        const char *base = strrchr(c.model, '/');
        RunResult res;
        if (vrun_plot_prepare(&c, err, sizeof err)) {
            fprintf(stderr, "vrun: error: --plot: %s\n", err);
            vm_model_free(m);
            cli_free(&c);
            return 1;
        }
        rc = session_run(&c, b, m, base ? base + 1 : c.model, &res, err, sizeof err);
        if (rc == 1 || rc == 2 || rc == 3) {
            /* a message that already names its place (file:line:col) is printed as is */
            const char *nl = strchr(err, '\n'), *pos = strstr(err, ": error: ");
            if (pos && (!nl || pos < nl)) fprintf(stderr, "%s%s", err, err[strlen(err) - 1] == '\n' ? "" : "\n");
            else fprintf(stderr, "vrun: error: %s\n", err);
        } else if (rc > 128) fprintf(stderr, "vrun: %s\n", err);
        if (c.plot && (rc == 0 || rc == 3 || rc == 130 || rc == 143) && res.chains > 0 &&
            vrun_plot_after_run(&c, m, res.chains, stdout))
            rc = rc ? rc : 1;
        run_result_free(&res);
    }
    vm_model_free(m);
    cli_free(&c);
    return rc;
}
