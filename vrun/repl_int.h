/* Private to the REPL's files (repl*.c): the session state and the pieces they share. */
#ifndef VM_REPL_INT_H
#define VM_REPL_INT_H
#include <stdio.h>
#include <jansson.h>
#include "vrun/cli.h"
#include "driver/run.h"

/* The last finished (or interrupted) run.  Its column names point into `model`,
 * which therefore lives as long as the fit; `src` and `data` are the model text and
 * data it ran on, so that :eval and :lp still refer to it after the model changes. */
typedef struct ReplFit {
    VmModel *model;
    RunResult res;
    char *src, *data;
    char method[32];
    size_t nmethod;            /* method columns after lp__ */
} ReplFit;

typedef struct Repl {
    char **stmts;              /* the model, one top-level statement (as typed) each */
    int nstmts, cap;
    json_t *data;              /* the data object: :data files and :set values */
    ReplFit fit;
    int have_fit;
    char **names;              /* variables of the model and data, for completion */
    int nnames;
    int interactive;           /* prompts, line editing, Ctrl-C returns to the prompt */
} Repl;

/* Status of a command or an input: 0 ok, 1 error in the input (model, data, options),
 * 2 inference failed, 130 interrupted.  Script mode stops at the first nonzero. */

/* repl_model.c */
char *repl_source(const Repl *r);                        /* the statements joined */
int repl_add(Repl *r, const char *text, const char *file, int replace_all);
int repl_replace(Repl *r, int k, const char *text);
int repl_remove(Repl *r, int k);
void repl_list(const Repl *r, FILE *out);
int repl_save(const Repl *r, const char *path);
int repl_data_file(Repl *r, const char *path);
int repl_data_set(Repl *r, const char *assignment);
void repl_data_show(const Repl *r, FILE *out);
char *repl_data_text(const Repl *r);                     /* NULL when there is none */
VmModel *repl_compile(const char *src, const char *data, const char *extra);
void repl_names_update(Repl *r);
/* Check prefix + text + suffix as one program.  An error within text is shown against
 * text alone, named file (`<input>:2:7`); any other against the whole as `model`.
 * Returns 0 or 1. */
int repl_check_source(const char *prefix, const char *text, const char *suffix, const char *file);

/* repl_cmd.c */
int repl_command(Repl *r, const char *line, int *quit);
void repl_help(FILE *out);
void repl_fit_free(ReplFit *f);
extern const char *const repl_commands[];                /* ":load", ... NULL */

/* repl_plot.c: :plot NAME [KIND] */
int repl_plot(Repl *r, const char *arg);

/* repl_eval.c */
int repl_eval(Repl *r, const char *arg);
int repl_lp(Repl *r, const char *arg);

/* repl_edit.c: line editing on the terminal */
void edit_init(Repl *r);
void edit_done(void);
char *edit_line(const char *prompt, int *interrupted);   /* NULL at Ctrl-D */
void edit_history_add(const char *line);

/* repl.c */
void repl_catch_sigint(void);
void repl_sigint_clear(void);
int repl_sigint_pending(void);
/* repl_input.c */
int repl_input_complete(const char *buf);
int repl_command_complete(const char *buf);
char *repl_word(const char **p);                         /* next blank-separated word */
#endif
