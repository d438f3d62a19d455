/* The REPL's model and data: the model is a list of top-level statements kept as the
 * user typed them (comments included), re-checked as a whole before any change is
 * made, so that an error leaves the model exactly as it was. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vrun/repl_int.h"
#include "lang/ir.h"
#include "lang/arena.h"

char *repl_source(const Repl *r)
{
    Buf b = {0};
    buf_putn(&b, "", 0);
    for (int i = 0; i < r->nstmts; i++) buf_printf(&b, "%s\n", r->stmts[i]);
    return b.s;
}

static void names_clear(Repl *r)
{
    for (int i = 0; i < r->nnames; i++) free(r->names[i]);
    free(r->names);
    r->names = NULL;
    r->nnames = 0;
}

/* Parse and check the statements v[0..n) as one program.  Errors are printed with
 * the joined source (as :save writes it); when r is given, its completion names are
 * refreshed from the checked program.  Returns 0 or 1. */
static int check_stmts(char *const *v, int n, Repl *r)
{
    Buf b = {0};
    buf_putn(&b, "", 0);
    for (int i = 0; i < n; i++) buf_printf(&b, "%s\n", v[i]);
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, "model", b.s, b.n);
    Program *p = vm_parse(&a, &d, b.s, b.n);
    Ir *ir = p ? vm_check(&a, &d, p) : NULL;
    if (!ir) {
        char *msg = diag_render(&d);
        fputs(msg ? msg : "model: error: the model does not check\n", stderr);
        free(msg);
    } else if (r) {
        names_clear(r);
        r->names = calloc((size_t)ir->nvars + 1, sizeof(char *));
        for (int i = 0; i < ir->nvars; i++)
            if (ir->vars[i].toplevel && !ir->vars[i].is_loopvar && ir->vars[i].name)
                r->names[r->nnames++] = strdup(ir->vars[i].name);
    }
    diag_free(&d);
    arena_free(&a);
    free(b.s);
    return ir ? 0 : 1;
}

int repl_check_source(const char *prefix, const char *text, const char *suffix, const char *file)
{
    Buf b = {0};
    buf_printf(&b, "%s", prefix);
    int off = (int)b.n, tl = (int)strlen(text);
    buf_printf(&b, "%s%s", text, suffix);
    Arena a;
    arena_init(&a);
    DiagList d, e;
    diag_init(&d, "model", b.s, b.n);
    diag_init(&e, file, text, (size_t)tl);
    Program *p = vm_parse(&a, &d, b.s, b.n);
    int ok = p && vm_check(&a, &d, p) != NULL, inside = 1;
    for (int i = 0; i < d.n; i++) {
        if (d.v[i].sev != DIAG_ERROR) continue;
        Span sp = d.v[i].span;
        if (sp.off < off) inside = 0;
        sp.off = sp.off - off > tl ? tl : sp.off - off;
        if (sp.off + sp.len > tl) sp.len = tl - sp.off;
        diag_add(&e, DIAG_ERROR, sp, "%s", d.v[i].msg);
    }
    if (!ok) {
        char *msg = diag_render(inside ? &e : &d);
        fputs(msg ? msg : "error: the model does not check\n", stderr);
        free(msg);
    }
    diag_free(&e);
    diag_free(&d);
    arena_free(&a);
    free(b.s);
    return ok ? 0 : 1;
}

void repl_names_update(Repl *r)
{
    if (check_stmts(r->stmts, r->nstmts, r)) names_clear(r);
}

/* Split text into its top-level statements.  A statement takes the comments above it
 * and a line comment that ends its last line.  Returns the count, or -1 after printing
 * the syntax errors (file names the text in them). */
static int split(const char *text, const char *file, char ***out)
{
    size_t len = strlen(text);
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, file, text, len);
    Program *p = vm_parse(&a, &d, text, len);
    int n = -1;
    *out = NULL;
    if (!p || d.nerrors) {
        char *msg = diag_render(&d);
        fputs(msg ? msg : "error: cannot parse the input\n", stderr);
        free(msg);
    } else {
        n = 0;
        *out = calloc((size_t)(p->nstmts + p->nfuns) + 1, sizeof(char *));
        int prev = 0;
        /* statements and function definitions, in source order */
        for (int i = 0, k = 0; i < p->nstmts || k < p->nfuns;) {
            int fun = k < p->nfuns && (i >= p->nstmts || p->funs[k]->span.off < p->stmts[i]->span.off);
            Span sp = fun ? p->funs[k++]->span : p->stmts[i]->span;
            int empty = !fun && p->stmts[i]->kind == S_EMPTY;
            if (!fun) i++;
            int start = prev, end = sp.off + sp.len, e = end;
            while (text[e] == ' ' || text[e] == '\t') e++;
            if ((text[e] == '/' && text[e + 1] == '/') || text[e] == '#') {
                while (text[e] && text[e] != '\n') e++;
                end = e;
            }
            prev = end;
            while (start < end && isspace((unsigned char)text[start])) start++;
            if (!empty) (*out)[n++] = strndup(text + start, (size_t)(end - start));
        }
    }
    diag_free(&d);
    arena_free(&a);
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void set_stmts(Repl *r, char **v, int n)
{
    r->stmts = v;
    r->nstmts = r->cap = n;
}

int repl_add(Repl *r, const char *text, const char *file, int replace_all)
{
    char **add;
    int k = split(text, file, &add);
    if (k < 0) return 1;
    if (k == 0 && replace_all) {   /* :load of an empty file is a mistake, not a request to clear */
        fprintf(stderr, "%s: error: no statements in the file; the model is unchanged (:reset clears it)\n", file);
        free(add);
        return 1;
    }
    int base = replace_all ? 0 : r->nstmts;
    char **v = calloc((size_t)(base + k) + 1, sizeof(char *));
    for (int i = 0; i < base; i++) v[i] = r->stmts[i];
    for (int i = 0; i < k; i++) v[base + i] = add[i];
    free(add);
    char *prefix = NULL;
    if (!replace_all) prefix = repl_source(r);
    int bad = (k || replace_all) && repl_check_source(prefix ? prefix : "", text, "", file);
    free(prefix);
    if (bad) {
        for (int i = base; i < base + k; i++) free(v[i]);
        free(v);
        return 1;
    }
    if (replace_all) free_list(r->stmts, r->nstmts);
    else free(r->stmts);
    set_stmts(r, v, base + k);
    repl_names_update(r);
    return 0;
}

static int check_index(const Repl *r, int k)
{
    if (k >= 1 && k <= r->nstmts) return 0;
    if (r->nstmts) fprintf(stderr, "error: no statement %d (the model has statements 1 to %d; :model lists them)\n", k, r->nstmts);
    else fprintf(stderr, "error: no statement %d (the model is empty)\n", k);
    return 1;
}

int repl_replace(Repl *r, int k, const char *text)
{
    if (check_index(r, k)) return 1;
    char **add;
    int n = split(text, "<input>", &add);
    if (n < 0) return 1;
    if (n != 1) {
        fprintf(stderr, "error: :replace takes exactly one statement, got %d\n", n);
        free_list(add, n);
        return 1;
    }
    char **v = calloc((size_t)r->nstmts + 1, sizeof(char *));
    memcpy(v, r->stmts, sizeof(char *) * (size_t)r->nstmts);
    v[k - 1] = add[0];
    if (check_stmts(v, r->nstmts, NULL)) {
        free_list(add, n);
        free(v);
        return 1;
    }
    free(r->stmts[k - 1]);
    free(r->stmts);
    free(add);
    set_stmts(r, v, r->nstmts);
    repl_names_update(r);
    printf("replaced statement %d\n", k);
    return 0;
}

int repl_remove(Repl *r, int k)
{
    if (check_index(r, k)) return 1;
    char **v = calloc((size_t)r->nstmts + 1, sizeof(char *));
    int n = 0;
    for (int i = 0; i < r->nstmts; i++) if (i != k - 1) v[n++] = r->stmts[i];
    if (check_stmts(v, n, NULL)) {
        fprintf(stderr, "error: statement %d stays: the model needs it\n", k);
        free(v);
        return 1;
    }
    free(r->stmts[k - 1]);
    free(r->stmts);
    set_stmts(r, v, n);
    repl_names_update(r);
    printf("removed statement %d (the statements after it move up)\n", k);
    return 0;
}

/* Each statement formatted by vm_format, numbered as :rm and :replace count. */
void repl_list(const Repl *r, FILE *out)
{
    if (!r->nstmts) { fprintf(out, "(the model is empty: type statements, or :load FILE.vmod)\n"); return; }
    for (int i = 0; i < r->nstmts; i++) {
        Arena a;
        arena_init(&a);
        DiagList d;
        diag_init(&d, "model", r->stmts[i], strlen(r->stmts[i]));
        Program *p = vm_parse(&a, &d, r->stmts[i], strlen(r->stmts[i]));
        char *f = p && !d.nerrors ? vm_format(p) : strdup(r->stmts[i]);
        int first = 1;
        for (char *line = f, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            int l = nl ? (int)(nl - line) : (int)strlen(line);
            if (!l && !nl) break;
            if (!l) continue;
            if (first) fprintf(out, "%3d  %.*s\n", i + 1, l, line);
            else fprintf(out, "     %.*s\n", l, line);
            first = 0;
        }
        free(f);
        diag_free(&d);
        arena_free(&a);
    }
}

int repl_save(const Repl *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "error: cannot write %s\n", path); return 1; }
    char *s = repl_source(r);
    fputs(s, f);
    free(s);
    if (fclose(f)) { fprintf(stderr, "error: cannot write %s\n", path); return 1; }
    printf("saved %d statements to %s\n", r->nstmts, path);
    return 0;
}

/* ---- data ---- */

int repl_data_file(Repl *r, const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_DECODE_ANY, &je);
    if (!j) {
        if (je.line < 0 || strstr(je.text, "unable to open")) fprintf(stderr, "%s: error: cannot open the data file\n", path);
        else fprintf(stderr, "%s:%d:%d: error: %s\n", path, je.line, je.column, je.text);
        return 1;
    }
    if (!json_is_object(j)) {
        fprintf(stderr, "%s: error: the data must be a JSON object of named values\n", path);
        json_decref(j);
        return 1;
    }
    json_object_update(r->data, j);
    printf("data: %zu values from %s\n", json_object_size(j), path);
    json_decref(j);
    return 0;
}

/* "NAME = VALUE", VALUE in JSON syntax. */
int repl_data_set(Repl *r, const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    const char *n0 = s;
    if (isalpha((unsigned char)*s)) while (isalnum((unsigned char)*s) || *s == '_') s++;
    size_t nl = (size_t)(s - n0);
    while (isspace((unsigned char)*s)) s++;
    if (!nl || *s != '=') {
        fprintf(stderr, "error: :set expects NAME = VALUE (a JSON value: 10, 2.5, [1, 2, 3], [[1, 0], [0, 1]])\n");
        return 1;
    }
    json_error_t je;
    json_t *v = json_loads(s + 1, JSON_DECODE_ANY, &je);
    if (!v || json_is_object(v) || json_is_string(v)) {
        if (v) fprintf(stderr, "error: :set %.*s: a data value is a number or an array of them\n", (int)nl, n0);
        else fprintf(stderr, "error: :set %.*s: not a JSON value: %s\n", (int)nl, n0, je.text);
        json_decref(v);
        return 1;
    }
    char *name = strndup(n0, nl);
    json_object_set_new(r->data, name, v);
    free(name);
    return 0;
}

void repl_data_show(const Repl *r, FILE *out)
{
    if (!json_object_size(r->data)) { fprintf(out, "(no data: :data FILE.json or :set NAME = VALUE)\n"); return; }
    const char *k;
    json_t *v;
    json_object_foreach(r->data, k, v) {
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t l = t ? strlen(t) : 0;
        if (l > 60) fprintf(out, "  %s = %.56s ...\n", k, t);
        else fprintf(out, "  %s = %s\n", k, t ? t : "?");
        free(t);
    }
}

char *repl_data_text(const Repl *r)
{
    if (!json_object_size(r->data)) return NULL;
    return json_dumps(r->data, JSON_COMPACT);
}

VmModel *repl_compile(const char *src, const char *data, const char *extra)
{
    char *full = NULL;
    if (asprintf(&full, "%s%s%s", src, extra ? "\n" : "", extra ? extra : "") < 0) return NULL;
    char *msg = NULL;
    VmModel *m = vm_model_load(full, strlen(full), "model", data, "data", &msg);
    if (!m) fputs(msg ? msg : "error: cannot load the model\n", stderr);
    free(msg);
    free(full);
    return m;
}
