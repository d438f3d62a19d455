/* The formatter round trip.  Every example model, every posteriordb translation and
 * the design documents' models (tests/lang/ok) pass the checker; format(parse(x))
 * parses to the same tree as x (compared node by node, spans aside), and formatting
 * is a fixed point.  A table of tricky expressions pins the parse (against a fully
 * parenthesised spelling of the intended meaning) and the canonical text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang_util.h"

/* ---- structural comparison (spans and checker annotations ignored) ---- */
static char why[512];

static int differ(const char *what, Span sp)
{
    if (!why[0]) snprintf(why, sizeof why, "%s (at byte %d of the first tree)", what, sp.off);
    return 0;
}

static int str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static int expr_eq(const Expr *a, const Expr *b)
{
    if (!a || !b) return a == b ? 1 : differ("an expression is missing on one side", a ? a->span : (Span){0, 0});
    if (a->kind != b->kind) return differ("expression kinds differ", a->span);
    switch (a->kind) {
    case E_INT: if (a->ival != b->ival) return differ("int literals differ", a->span); break;
    case E_REAL: if (a->rval != b->rval) return differ("real literals differ", a->span); break;
    case E_VAR: if (!str_eq(a->name, b->name)) return differ("variable names differ", a->span); break;
    case E_CALL:
        if (!str_eq(a->name, b->name)) return differ("function names differ", a->span);
        if (a->bar != b->bar) return differ("one call has '|', the other not", a->span);
        break;
    case E_BINOP: case E_UNOP: if (a->op != b->op) return differ("operators differ", a->span); break;
    case E_INDEX:
        if (a->nidx != b->nidx) return differ("index counts differ", a->span);
        for (int i = 0; i < a->nidx; i++) {
            if (a->idx[i].kind != b->idx[i].kind) return differ("index kinds differ", a->span);
            if (!expr_eq(a->idx[i].a, b->idx[i].a) || !expr_eq(a->idx[i].b, b->idx[i].b)) return 0;
        }
        break;
    default: break;
    }
    if (a->nargs != b->nargs) return differ("operand counts differ", a->span);
    for (int i = 0; i < a->nargs; i++) if (!expr_eq(a->args[i], b->args[i])) return 0;
    return 1;
}

static int type_eq(const TypeSpec *a, const TypeSpec *b)
{
    if (!a || !b) return a == b ? 1 : differ("a type is missing on one side", (Span){0, 0});
    if (a->name != b->name || a->narr != b->narr) return differ("types differ", a->span);
    if (!expr_eq(a->lower, b->lower) || !expr_eq(a->upper, b->upper)) return 0;
    if (!expr_eq(a->size[0], b->size[0]) || !expr_eq(a->size[1], b->size[1])) return 0;
    for (int i = 0; i < a->narr; i++) if (!expr_eq(a->arr[i], b->arr[i])) return 0;
    return 1;
}

static int stmt_eq(const Stmt *a, const Stmt *b)
{
    if (!a || !b) return a == b ? 1 : differ("a statement is missing on one side", a ? a->span : (Span){0, 0});
    if (a->kind != b->kind) return differ("statement kinds differ", a->span);
    switch (a->kind) {
    case S_DECL:
        if (a->decl != b->decl || !str_eq(a->name, b->name)) return differ("declarations differ", a->span);
        return type_eq(a->type, b->type) && expr_eq(a->init, b->init);
    case S_TILDE:
        if (!str_eq(a->dist, b->dist) || a->nargs != b->nargs) return differ("~ statements differ", a->span);
        for (int i = 0; i < a->nargs; i++) if (!expr_eq(a->args[i], b->args[i])) return 0;
        return expr_eq(a->lhs, b->lhs);
    case S_TARGET: return expr_eq(a->rhs, b->rhs);
    case S_ASSIGN:
        if (a->aop != b->aop) return differ("assignment operators differ", a->span);
        return expr_eq(a->lhs, b->lhs) && expr_eq(a->rhs, b->rhs);
    case S_FOR:
        if (!str_eq(a->loopvar, b->loopvar)) return differ("loop variables differ", a->span);
        return expr_eq(a->lo, b->lo) && expr_eq(a->hi, b->hi) && stmt_eq(a->body, b->body);
    case S_WHILE: return expr_eq(a->cond, b->cond) && stmt_eq(a->body, b->body);
    case S_IF: return expr_eq(a->cond, b->cond) && stmt_eq(a->body, b->body) && stmt_eq(a->els, b->els);
    case S_BLOCK:
        if (a->nstmts != b->nstmts) return differ("block lengths differ", a->span);
        for (int i = 0; i < a->nstmts; i++) if (!stmt_eq(a->stmts[i], b->stmts[i])) return 0;
        return 1;
    case S_EMPTY: return 1;
    case S_RETURN: case S_CALL: return expr_eq(a->rhs, b->rhs);
    }
    return differ("unknown statement kind", a->span);
}

static int fun_eq(const FunDef *a, const FunDef *b)
{
    if (!str_eq(a->name, b->name) || a->nparams != b->nparams) return differ("functions differ", a->span);
    if (!a->ret != !b->ret || (a->ret && !type_eq(a->ret, b->ret))) return differ("return types differ", a->span);
    for (int i = 0; i < a->nparams; i++) {
        if (!str_eq(a->params[i].name, b->params[i].name) || a->params[i].data_only != b->params[i].data_only)
            return differ("arguments differ", a->span);
        if (!type_eq(a->params[i].type, b->params[i].type)) return 0;
    }
    return stmt_eq(a->body, b->body);
}

static int prog_eq(const Program *a, const Program *b)
{
    why[0] = 0;
    if (a->nfuns != b->nfuns) return differ("function counts differ", (Span){0, 0});
    for (int i = 0; i < a->nfuns; i++) if (!fun_eq(a->funs[i], b->funs[i])) return 0;
    if (a->nstmts != b->nstmts) return differ("statement counts differ", (Span){0, 0});
    for (int i = 0; i < a->nstmts; i++) if (!stmt_eq(a->stmts[i], b->stmts[i])) return 0;
    return 1;
}

/* The comments of the formatted text are those of the source, in order (trailing
 * white space of line comments aside). */
static int trimmed(const char *t, int n)
{
    if (n >= 2 && t[0] == '/' && t[1] == '*') return n;
    while (n > 0 && strchr(" \t\r", t[n - 1])) n--;
    return n;
}

static void assert_same_comments(const TlRun *a, const TlRun *b, const char *what)
{
    ck_assert_msg(a->prog->ncomments == b->prog->ncomments, "%s: %d comments, %d after formatting", what,
                  a->prog->ncomments, b->prog->ncomments);
    for (int i = 0; i < a->prog->ncomments; i++) {
        Span x = a->prog->comments[i], y = b->prog->comments[i];
        const char *sx = a->prog->src + x.off, *sy = b->prog->src + y.off;
        int nx = trimmed(sx, x.len), ny = trimmed(sy, y.len);
        ck_assert_msg(nx == ny && memcmp(sx, sy, (size_t)nx) == 0, "%s: comment %d '%.*s' became '%.*s'", what, i,
                      nx, sx, ny, sy);
    }
}

/* ---- every model file ---- */
static char **files;
static int nfiles;

static void add_dir(const char *dir)
{
    char **names;
    int n = tl_list(dir, ".vmod", &names);
    for (int i = 0; i < n; i++) {
        files = realloc(files, sizeof(char *) * (size_t)(nfiles + 1));
        if (asprintf(&files[nfiles++], "%s/%s", dir, names[i]) < 0) abort();
        free(names[i]);
    }
    free(names);
}

START_TEST(test_model_round_trip)
{
    char *path = tl_src_path(files[_i]);
    size_t len;
    char *src = tl_read(path, &len);
    ck_assert_msg(src != NULL, "cannot read %s", path);
    TlRun r1, r2, r3;
    tl_run(&r1, files[_i], src, len);
    ck_assert_msg(r1.ir != NULL, "%s does not pass the checker:\n%s", files[_i], r1.rendered);
    char *f1 = vm_format(r1.prog);
    tl_run(&r2, "formatted", f1, strlen(f1));
    ck_assert_msg(r2.ir != NULL, "%s: the formatted text does not check:\n%s\n%s", files[_i], r2.rendered, f1);
    ck_assert_msg(prog_eq(r1.prog, r2.prog), "%s: the formatted text parses differently: %s\n%s", files[_i], why, f1);
    assert_same_comments(&r1, &r2, files[_i]);
    char *f2 = vm_format(r2.prog);
    ck_assert_str_eq(f1, f2);
    /* and once more from the canonical text: same tree again */
    tl_run(&r3, "formatted2", f2, strlen(f2));
    ck_assert(r3.ir != NULL && prog_eq(r2.prog, r3.prog));
    tl_run_free(&r3);
    free(f2);
    tl_run_free(&r2);
    free(f1);
    tl_run_free(&r1);
    free(src);
    free(path);
}
END_TEST

START_TEST(test_model_count)
{
    /* the examples, the posteriordb translations and the design documents' models */
    ck_assert_int_ge(nfiles, 5 + 14 + 4);
}
END_TEST

/* Comments in awkward places survive formatting, and formatting stays a fixed point. */
static const char *const commented[] = {
    "// head\n# hash comment\ndata int N; // trailing\n/* block\n   over lines */ param real mu;\n"
    "mu ~ normal(0, /* inside */ 1); // after\n// last\n",
    "param real mu;\nmu ~ normal(0, 1);\nfor (n in 1:3) // header\n    target += n;\n"
    "if (1) { target += 1; } // then\nelse { // open\n    target += 2; /* a */ /* b */\n    // before close\n}\n",
    "param real mu;\r\nmu ~ normal(0, 1); // crlf \r\n{\r\n    // only a comment\r\n}\r\n",
    "param real mu;\nmu ~ normal(0,\n  // between arguments\n  1);\ntarget += mu *\n  # hash in an expression\n  2;\n",
    "// a file of comments only\n/* and a block */\n",
};

START_TEST(test_comments)
{
    const char *src = commented[_i];
    TlRun r1, r2;
    tl_run(&r1, "commented", src, strlen(src));
    ck_assert_msg(r1.ir != NULL, "%s", r1.rendered);
    char *f1 = vm_format(r1.prog);
    tl_run(&r2, "formatted", f1, strlen(f1));
    ck_assert_msg(r2.ir != NULL, "%s\n%s", r2.rendered, f1);
    ck_assert_msg(prog_eq(r1.prog, r2.prog), "%s\n%s", why, f1);
    assert_same_comments(&r1, &r2, f1);
    char *f2 = vm_format(r2.prog);
    ck_assert_str_eq(f1, f2);
    free(f2);
    tl_run_free(&r2);
    free(f1);
    tl_run_free(&r1);
}
END_TEST

/* ---- tricky expressions ---- */
static const char *const prelude =
    "data real a;\ndata real b;\ndata real c;\ndata int i;\ndata int j;\ndata int k;\n"
    "data vector[3] v;\ndata vector[3] w;\ndata row_vector[3] r;\ndata matrix[3, 3] m;\n"
    "data array[3] int ix;\ndata array[3, 4] real g;\ndata array[2] matrix[3, 3] ms;\n";

static const struct {
    const char *expr;       /* as a user might write it */
    const char *meaning;    /* fully parenthesised: the tree it must give */
    const char *canonical;  /* what the formatter prints */
} tricky[] = {
    {"-a^2", "-(a^2)", "-a^2"},
    {"a^b^c", "a^(b^c)", "a^b^c"},
    {"(a^b)^c", "(a^b)^c", "(a^b)^c"},
    {"-a^-b", "-(a^(-b))", "-a^-b"},
    {"a^-b^c", "a^(-(b^c))", "a^-b^c"},
    {"(-a)^2", "(-a)^2", "(-a)^2"},
    {"- -a", "-(-a)", "--a"},
    {"a - b - c", "(a - b) - c", "a - b - c"},
    {"a - (b - c)", "a - (b - c)", "a - (b - c)"},
    {"a / b * c", "(a / b) * c", "a / b * c"},
    {"a / (b * c)", "a / (b * c)", "a / (b * c)"},
    {"a + b * c ^ 2", "a + (b * (c ^ 2))", "a + b * c^2"},
    {"i % j * k", "(i % j) * k", "i % j * k"},
    {"v .* w ./ v", "(v .* w) ./ v", "v .* w ./ v"},
    {"v .* (w ./ v)", "v .* (w ./ v)", "v .* (w ./ v)"},
    {"a * v .* w", "(a * v) .* w", "a * v .* w"},
    {"v' * w", "(v') * w", "v' * w"},
    {"m' * v", "(m') * v", "m' * v"},
    {"(m * m)'", "(m * m)'", "(m * m)'"},
    {"-v'", "-(v')", "-v'"},
    {"v'' ", "(v')'", "v''"},
    {"m[1]'", "(m[1])'", "m[1]'"},
    {"m \\ v", "m \\ v", "m \\ v"},
    {"a < b == b < a", "(a < b) == (b < a)", "a < b == b < a"},
    {"a < b && b < c || i", "((a < b) && (b < c)) || i", "a < b && b < c || i"},
    {"i || j && k", "i || (j && k)", "i || j && k"},
    {"!i && j", "(!i) && j", "!i && j"},
    {"!(i && j)", "!(i && j)", "!(i && j)"},
    {"i ? a : j ? b : c", "i ? a : (j ? b : c)", "i ? a : j ? b : c"},
    {"(i ? j : k) ? a : b", "(i ? j : k) ? a : b", "(i ? j : k) ? a : b"},
    {"i ? a + b : c * 2", "i ? (a + b) : (c * 2)", "i ? a + b : c * 2"},
    {"a + (i ? b : c)", "a + (i ? b : c)", "a + (i ? b : c)"},
    {"v[2:3]", "v[2:3]", "v[2:3]"},
    {"v[2:]", "v[2:]", "v[2:]"},
    {"v[:2]", "v[:2]", "v[:2]"},
    {"m[:, 2]", "m[:, 2]", "m[:, 2]"},
    {"m[i:j, :k]", "m[i:j, :k]", "m[i:j, :k]"},
    {"v[ix]", "v[ix]", "v[ix]"},
    {"v[ix[i]]", "v[ix[i]]", "v[ix[i]]"},
    {"g[i][j]", "(g[i])[j]", "g[i][j]"},
    {"g[i, j]", "g[i, j]", "g[i, j]"},
    {"ms[1, 2, 3]", "ms[1, 2, 3]", "ms[1, 2, 3]"},
    {"ms[1][2, :]'", "((ms[1])[2, :])'", "ms[1][2, :]'"},
    {"v[i + 1 : j - 1]", "v[(i + 1):(j - 1)]", "v[i + 1:j - 1]"},
    {"(v + w)[2]", "(v + w)[2]", "(v + w)[2]"},
    {"normal_lpdf(a | b, c)", "normal_lpdf(a | b, c)", "normal_lpdf(a | b, c)"},
    {"normal_lpdf(a + b | -c, 1) * 2", "(normal_lpdf((a + b) | (-c), 1)) * 2", "normal_lpdf(a + b | -c, 1) * 2"},
    {"std_normal_lpdf(v |)", "std_normal_lpdf(v |)", "std_normal_lpdf(v |)"},
    {"poisson_lpmf(ix | a)", "poisson_lpmf(ix | a)", "poisson_lpmf(ix | a)"},
    {"student_t_lccdf(0 | 3, 0, 10)", "student_t_lccdf(0 | 3, 0, 10)", "student_t_lccdf(0 | 3, 0, 10)"},
    {"[a, b, c] * v", "([a, b, c]) * v", "[a, b, c] * v"},
    {"[[a, b, c], r]", "[[a, b, c], r]", "[[a, b, c], r]"},
    {"{1, 2, 3}", "{1, 2, 3}", "{1, 2, 3}"},
    {"{{1.5, 2}, {3, 4}}", "{{1.5, 2}, {3, 4}}", "{{1.5, 2}, {3, 4}}"},
    {"pi() * 2", "(pi()) * 2", "pi() * 2"},
    {"1e-3 + .5 + 2.5E+4", "(1e-3 + .5) + 2.5E+4", "0.001 + 0.5 + 25000.0"},
    {"exp(-a^2 / 2)", "exp((-(a^2)) / 2)", "exp(-a^2 / 2)"},
    {"log_sum_exp(a, b) - log(2)", "(log_sum_exp(a, b)) - (log(2))", "log_sum_exp(a, b) - log(2)"},
};

static char *model_with(const char *e)
{
    char *s = NULL;
    if (asprintf(&s, "%sgen x = %s;\n", prelude, e) < 0) abort();
    return s;
}

/* the init expression of the last declaration */
static const Expr *last_init(const TlRun *r) { return r->prog->stmts[r->prog->nstmts - 1]->init; }

START_TEST(test_tricky)
{
    char *s1 = model_with(tricky[_i].expr), *s2 = model_with(tricky[_i].meaning);
    TlRun r1, r2, r3;
    tl_run(&r1, "expr", s1, strlen(s1));
    tl_run(&r2, "meaning", s2, strlen(s2));
    ck_assert_msg(r1.ir != NULL, "'%s' does not check:\n%s", tricky[_i].expr, r1.rendered);
    ck_assert_msg(r2.ir != NULL, "'%s' does not check:\n%s", tricky[_i].meaning, r2.rendered);
    why[0] = 0;
    ck_assert_msg(expr_eq(last_init(&r1), last_init(&r2)), "'%s' does not parse as '%s': %s", tricky[_i].expr,
                  tricky[_i].meaning, why);
    /* canonical text, and it re-parses to the same tree */
    char *f = vm_format(r1.prog);
    const char *line = strstr(f, "gen x = ");
    ck_assert_ptr_nonnull(line);
    line += strlen("gen x = ");
    size_t n = strcspn(line, ";");
    ck_assert_msg(strlen(tricky[_i].canonical) == n && strncmp(line, tricky[_i].canonical, n) == 0,
                  "'%s' formats as '%.*s', expected '%s'", tricky[_i].expr, (int)n, line, tricky[_i].canonical);
    tl_run(&r3, "formatted", f, strlen(f));
    ck_assert(r3.ir != NULL);
    why[0] = 0;
    ck_assert_msg(expr_eq(last_init(&r1), last_init(&r3)), "'%s' formatted re-parses differently: %s", tricky[_i].expr, why);
    tl_run_free(&r3);
    free(f);
    tl_run_free(&r2);
    tl_run_free(&r1);
    free(s2);
    free(s1);
}
END_TEST

/* The comparison itself must see a difference where there is one. */
START_TEST(test_comparison_sees_differences)
{
    static const char *const pairs[][2] = {
        {"a - b - c", "a - (b - c)"}, {"-a^2", "(-a)^2"}, {"v[2:]", "v[:2]"}, {"v'", "v"},
        {"normal_lpdf(a | b, c)", "normal_lpdf(a | c, b)"}, {"i ? a : b", "i ? b : a"}, {"1.5", "1.25"},
    };
    for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
        char *s1 = model_with(pairs[p][0]), *s2 = model_with(pairs[p][1]);
        TlRun r1, r2;
        tl_run(&r1, "a", s1, strlen(s1));
        tl_run(&r2, "b", s2, strlen(s2));
        ck_assert(r1.prog && r2.prog);
        ck_assert_msg(!expr_eq(last_init(&r1), last_init(&r2)), "'%s' and '%s' compare equal", pairs[p][0], pairs[p][1]);
        tl_run_free(&r2);
        tl_run_free(&r1);
        free(s2);
        free(s1);
    }
}
END_TEST

int main(void)
{
    add_dir("examples");
    add_dir("examples/posteriordb");
    add_dir("tests/lang/ok");
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("round trip");
    tcase_add_test(tc, test_model_count);
    tcase_add_loop_test(tc, test_model_round_trip, 0, nfiles);
    tcase_add_loop_test(tc, test_tricky, 0, (int)(sizeof tricky / sizeof *tricky));
    tcase_add_test(tc, test_comparison_sees_differences);
    tcase_add_loop_test(tc, test_comments, 0, (int)(sizeof commented / sizeof *commented));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return nf ? 1 : 0;
}
