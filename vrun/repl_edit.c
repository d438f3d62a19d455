/* Line editing on the terminal with libedit's readline interface: history kept in
 * $VMOD_HISTORY (default ~/.vmod_history) and tab completion of commands, file
 * names, methods and their options, and of the words of the language: the model's
 * variables and data, functions (stdlib/mathfn.h, runtime/eval.h's builtin_table),
 * distributions (stdlib/dist.h) and keywords. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <editline/readline.h>
#include "vrun/repl_int.h"
#include "stdlib/mathfn.h"
#include "stdlib/dist.h"
#include "runtime/eval.h"

/* readline's callbacks take no context argument, so the session being edited is
 * reached through these two (one REPL per process). */
static Repl *edit_repl;
static char edit_hist[PATH_MAX];

/* Candidates of one completion, and the generator that hands them to readline. */
static char **cand;
static size_t ncand, capcand;

static void cand_clear(void)
{
    for (size_t i = 0; i < ncand; i++) free(cand[i]);
    ncand = 0;
}

static void cand_add(const char *s, const char *prefix)
{
    if (!s || strncmp(s, prefix, strlen(prefix))) return;
    for (size_t i = 0; i < ncand; i++) if (!strcmp(cand[i], s)) return;
    if (ncand == capcand) {
        capcand = capcand ? 2 * capcand : 256;
        cand = realloc(cand, capcand * sizeof *cand);
    }
    cand[ncand++] = strdup(s);
}

static char *cand_next(const char *text, int state)
{
    static size_t i;
    if (!state) i = 0;
    return i < ncand ? strdup(cand[i++]) : NULL;
}

static void words_code(const char *prefix)
{
    static const char *const kw[] = {"data", "param", "let", "gen", "for", "in", "if", "else", "while",
                                     "target", "lower", "upper", "array", NULL};
    for (int i = 0; i < edit_repl->nnames; i++) cand_add(edit_repl->names[i], prefix);
    const char *k;
    json_t *v;
    json_object_foreach(edit_repl->data, k, v) cand_add(k, prefix);
    for (int i = 0; kw[i]; i++) cand_add(kw[i], prefix);
    for (int i = 0; i < TS_NNAMES; i++) cand_add(vm_typename[i], prefix);
    for (const MathFn *f = mathfn_table; f->name; f++) cand_add(f->name, prefix);
    for (const struct Builtin *b = builtin_table; b->name; b++) cand_add(b->name, prefix);
    for (int i = 0; dist_table[i]; i++) {
        const Dist *d = dist_table[i];
        char buf[96];
        cand_add(d->name, prefix);
        snprintf(buf, sizeof buf, "%s_%s", d->name, d->discrete ? "lpmf" : "lpdf");
        cand_add(buf, prefix);
        if (d->rng) { snprintf(buf, sizeof buf, "%s_rng", d->name); cand_add(buf, prefix); }
    }
}

static void words_run(const char *prefix, int first)
{
    static const char *const opts[] = {"--chains=", "--threads=", "--warmup=", "--draws=", "--seed=", "--iters=",
                                       "--lr=", "--mc=", "--tol=", "--output=", "--summary=", "--init=",
                                       "--at=", "--at-unconstrained=", "--quiet", "--no-progress", "--help", NULL};
    if (first && prefix[0] != '-') {
        for (int i = 0; bk_registry[i]; i++) cand_add(bk_registry[i]->name, prefix);
        cand_add("logprob", prefix);
        cand_add("diagnose", prefix);
        return;
    }
    for (int i = 0; opts[i]; i++) cand_add(opts[i], prefix);
    for (int i = 0; bk_registry[i]; i++)
        for (const BkOption *o = bk_registry[i]->options; o && o->name; o++) {
            char buf[96];
            snprintf(buf, sizeof buf, "--%s=", o->name);
            cand_add(buf, prefix);
        }
}

static void words_files(const char *prefix)
{
    const char *slash = strrchr(prefix, '/');
    char dir[PATH_MAX];
    size_t dl = slash ? (size_t)(slash - prefix + 1) : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)dl, prefix);
    DIR *d = opendir(dl ? dir : ".");
    if (!d) return;
    const char *base = prefix + dl;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' && base[0] != '.') continue;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strncmp(e->d_name, base, strlen(base))) continue;
        char path[PATH_MAX + 256];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", dir, e->d_name);
        int isdir = !stat(path, &st) && S_ISDIR(st.st_mode);
        if (isdir) strncat(path, "/", sizeof path - strlen(path) - 1);
        cand_add(path, prefix);
    }
    closedir(d);
}

/* The command of the line (":load"), or "" for model code. */
static void line_command(const char *line, char *cmd, size_t n)
{
    const char *p = line;
    while (isspace((unsigned char)*p)) p++;
    size_t l = 0;
    if (*p == ':') while (p[l] && !isspace((unsigned char)p[l])) l++;
    snprintf(cmd, n, "%.*s", (int)l, p);
}

static int is_file_command(const char *cmd)
{
    return !strcmp(cmd, ":load") || !strcmp(cmd, ":data") || !strcmp(cmd, ":save") ||
           !strcmp(cmd, ":save-draws") || !strcmp(cmd, ":lp");
}

/* readline's word (text, from start) breaks at these; libedit calls a break hook
 * before it updates rl_line_buffer, so complete() finds the word itself instead: a
 * command, a file name or an option runs to the previous blank ("save-draws",
 * "../data/x.json", "--family"), a word of code is an identifier.  The candidates are
 * then rewritten to replace readline's text. */
static char edit_breaks[] = " \t\n\"'`@$><=;|&{(}[)],+*^!~%?:";

static void cand_rebase(const char *line, int start, int ws)
{
    for (size_t i = 0; i < ncand; i++) {
        char *c = cand[i];
        if (ws >= start) {
            char *n = NULL;
            if (asprintf(&n, "%.*s%s", ws - start, line + start, c) < 0) continue;
            cand[i] = n;
            free(c);
        } else {
            size_t k = (size_t)(start - ws);
            memmove(c, c + (strlen(c) >= k ? k : strlen(c)), strlen(c) - (strlen(c) >= k ? k : strlen(c)) + 1);
        }
    }
}

static char **complete(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1;   /* never fall back to readline's own file names */
    cand_clear();
    const char *line = rl_line_buffer;
    char cmd[32];
    line_command(line, cmd, sizeof cmd);
    int p0 = 0;
    while (isspace((unsigned char)line[p0])) p0++;
    int ws = end;
    if (cmd[0] && (is_file_command(cmd) || !strcmp(cmd, ":run") || end <= p0 + (int)strlen(cmd)))
        while (ws > 0 && !isspace((unsigned char)line[ws - 1])) ws--;
    else
        while (ws > 0 && (isalnum((unsigned char)line[ws - 1]) || line[ws - 1] == '_')) ws--;
    char *word = strndup(line + ws, (size_t)(end - ws));
    if (cmd[0] && end <= p0 + (int)strlen(cmd)) {
        for (int i = 0; repl_commands[i]; i++) cand_add(repl_commands[i], word);
    } else if (is_file_command(cmd)) words_files(word);
    else if (!strcmp(cmd, ":run")) {
        int q = p0 + (int)strlen(cmd);
        while (isspace((unsigned char)line[q])) q++;
        words_run(word, ws <= q);
    } else words_code(word);
    /* no blank after a directory or an option that wants its value */
    rl_completion_append_character = ' ';
    if (ncand == 1 && cand[0][0] && strchr("/=", cand[0][strlen(cand[0]) - 1])) rl_completion_append_character = 0;
    cand_rebase(line, start, ws);
    free(word);
    return ncand ? rl_completion_matches(text, cand_next) : NULL;
}

void edit_init(Repl *r)
{
    edit_repl = r;
    const char *h = getenv("VMOD_HISTORY");
    if (h && *h) snprintf(edit_hist, sizeof edit_hist, "%s", h);
    else snprintf(edit_hist, sizeof edit_hist, "%s/.vmod_history", getenv("HOME") ? getenv("HOME") : ".");
    rl_readline_name = "vrun";
    using_history();
    stifle_history(2000);
    read_history(edit_hist);
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = edit_breaks;
    rl_basic_word_break_characters = edit_breaks;
}

void edit_done(void)
{
    write_history(edit_hist);
    cand_clear();
    free(cand);
    cand = NULL;
    capcand = 0;
    edit_repl = NULL;
}

void edit_history_add(const char *line)
{
    add_history(line);
    write_history(edit_hist);     /* now, so that a killed session keeps it */
}

char *edit_line(const char *prompt, int *interrupted)
{
    *interrupted = 0;
    repl_sigint_clear();
    char *line = readline(prompt);
    if (!line && repl_sigint_pending()) *interrupted = 1;
    return line;
}
