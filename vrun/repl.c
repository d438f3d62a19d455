/* The REPL's loop: read a line (libedit on a terminal, plain stdio for a script),
 * collect lines until a statement is complete, then either add it to the model or
 * run the command.  On a terminal an error is shown and the session goes on; in a
 * script the first error ends it with a nonzero status. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vrun/repl.h"
#include "vrun/repl_int.h"
#include "lang/diag.h"
#include "runtime/interrupt.h"

/* Set by Ctrl-C at the prompt: a signal handler can reach nothing else.  The driver
 * installs its own handler during :run and puts this one back afterwards. */
static volatile sig_atomic_t repl_sigint;

static void repl_on_sigint(int sig)
{
    repl_sigint = 1;
    vm_interrupt_set(sig);   /* a loop of a model being compiled or evaluated stops too */
}

void repl_sigint_clear(void) { repl_sigint = 0; }
int repl_sigint_pending(void) { return repl_sigint != 0; }

/* No SA_RESTART: a Ctrl-C must interrupt the read under libedit so that the line
 * is dropped and a fresh prompt shown. */
void repl_catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = repl_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

static char *read_plain(FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n < 0) { free(line); return NULL; }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    return line;
}

static int is_blank(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    return !*s;
}

static void repl_free(Repl *r)
{
    for (int i = 0; i < r->nstmts; i++) free(r->stmts[i]);
    free(r->stmts);
    for (int i = 0; i < r->nnames; i++) free(r->names[i]);
    free(r->names);
    json_decref(r->data);
    if (r->have_fit) repl_fit_free(&r->fit);
}

/* One complete input: a command or statements for the model. */
static int repl_dispatch(Repl *r, const char *buf, int *quit)
{
    const char *p = buf;
    while (isspace((unsigned char)*p)) p++;
    if (*p == ':') return repl_command(r, p, quit);
    return repl_add(r, buf, "<input>", 0);
}

int repl_main(const Cli *c)
{
    Repl r;
    memset(&r, 0, sizeof r);
    r.data = json_object();
    FILE *in = stdin;
    if (c->script && !(in = fopen(c->script, "r"))) {
        fprintf(stderr, "vrun: error: cannot open the script %s\n", c->script);
        repl_free(&r);
        return 1;
    }
    r.interactive = !c->script && isatty(STDIN_FILENO);
    const char *src = c->script ? c->script : "<stdin>";
    if (c->data && repl_data_file(&r, c->data) && !r.interactive) {
        if (in != stdin) fclose(in);
        repl_free(&r);
        return 1;
    }
    if (r.interactive) {
        edit_init(&r);
        repl_catch_sigint();
        printf("vrun REPL: type model statements or :help; Tab completes, Ctrl-D leaves.\n");
    }
    Buf buf = {0};
    buf_putn(&buf, "", 0);
    int rc = 0, quit = 0, lineno = 0, first_line = 0;
    while (!quit) {
        int intr = 0;
        char *line = r.interactive ? edit_line(buf.n ? "  ...> " : "vmod> ", &intr) : read_plain(in);
        if (!line) {
            if (r.interactive && intr) {      /* Ctrl-C: drop the pending input */
                printf("\n");
                buf.n = 0;
                buf.s[0] = 0;
                continue;
            }
            break;
        }
        lineno++;
        if (r.interactive && !is_blank(line)) edit_history_add(line);
        if (!buf.n && is_blank(line)) { free(line); continue; }
        if (!buf.n) first_line = lineno;
        buf_printf(&buf, "%s\n", line);
        free(line);
        const char *p = buf.s;
        while (isspace((unsigned char)*p)) p++;
        if (*p == ':' ? !repl_command_complete(buf.s) : !repl_input_complete(buf.s)) continue;
        vm_interrupt_clear();   /* a Ctrl-C at the prompt is not for this input */
        int st = repl_dispatch(&r, buf.s, &quit);
        buf.n = 0;
        buf.s[0] = 0;
        fflush(stdout);
        if (r.interactive) repl_catch_sigint();   /* whatever a run left behind */
        else if (st) {
            fprintf(stderr, "vrun: %s: stopped at the input on line %d\n", src, first_line);
            rc = st;
            break;
        }
    }
    if (!r.interactive && !rc && buf.n && !is_blank(buf.s)) {
        fprintf(stderr, "vrun: %s: the input ends inside a statement (line %d): a ';' or '}' is missing\n", src,
                first_line);
        rc = 1;
    }
    if (r.interactive) {
        if (!quit) printf("\n");
        edit_done();
    }
    free(buf.s);
    if (in != stdin) fclose(in);
    repl_free(&r);
    return rc;
}
