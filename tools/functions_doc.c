/* docs/functions.md, generated from the three registration tables (mathfn_table,
 * builtin_table, dist_table) so that the page cannot drift from what the language
 * accepts.  tools/gen_functions_doc writes it; tests/runtime/test_functions_doc fails
 * when the committed page differs from what this produces. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tools/functions_doc.h"
#include "stdlib/mathfn.h"
#include "stdlib/dist.h"
#include "runtime/eval.h"

/* Argument letters of lang/builtin_sig.c as Stan types. */
static const char *arg_type(char c)
{
    switch (c) {
    case 'i': return "int";
    case 'r': return "real";
    case 'v': return "vector";
    case 'w': return "row_vector";
    case 'm': return "matrix";
    case 'I': return "array[] int";
    case 'R': return "array[] real";
    case 'V': return "array[] vector";
    case 'W': return "array[] row_vector";
    case 'M': return "array[] matrix";
    case 's': return "vector/row_vector/array[] real";
    case 'x': return "any numeric";
    case 'a': return "any";
    }
    return "?";
}

/* Return letters: the argument letters plus those derived from the arguments. */
static void ret_type(char c, char *out, size_t n)
{
    switch (c) {
    case 'T': snprintf(out, n, "(type of argument 1)"); return;
    case 'A': snprintf(out, n, "(array of argument 1, one dimension per int argument)"); return;
    case 'E': snprintf(out, n, "(element type of argument 1)"); return;
    case '0': case '1': snprintf(out, n, "(type of argument %d, real)", c - '0' + 1); return;
    }
    snprintf(out, n, "%s", arg_type(c));
}

static void math_section(FILE *f)
{
    int n = 0, nc = 0;
    for (const MathFn *m = mathfn_table; m->name; m++) {
        if (m->arity) n++;
        else nc++;
    }
    fprintf(f, "## Math functions (%d, and %d constants)\n\n", n, nc);
    fprintf(f, "Scalar functions with their derivative with respect to every real argument\n"
               "(stdlib/mathfn_table.c).  A one-argument function applies element-wise to any\n"
               "container; with two or three arguments, the containers must have the same type\n"
               "and scalars are broadcast.  \"int if all int\": the result is an int when every\n"
               "argument is.  The last column is the interval on which tests/stdlib checks the\n"
               "derivative against finite differences.\n\n");
    fprintf(f, "| function | signature | result | derivative tested on |\n|---|---|---|---|\n");
    static const char *names[] = {"x", "y", "z"};
    for (const MathFn *m = mathfn_table; m->name; m++) {
        if (!m->arity) continue;
        fprintf(f, "| `%s` | `real %s(", m->name, m->name);
        for (int k = 0; k < m->arity; k++) fprintf(f, "%sreal %s", k ? ", " : "", names[k]);
        fprintf(f, ")` | %s | [%g, %g] |\n", m->int_valued ? "int if all int" : "real", m->lo, m->hi);
    }
    fprintf(f, "\nConstants, called with `()` as in Stan:\n\n| constant | value |\n|---|---|\n");
    for (const MathFn *m = mathfn_table; m->name; m++)
        if (!m->arity) fprintf(f, "| `%s()` | %.17g |\n", m->name, m->c);
    fprintf(f, "\n");
}

static void builtin_section(FILE *f)
{
    int n = 0;
    for (const struct Builtin *b = builtin_table; b->name; b++) n++;
    fprintf(f, "## Container and linear-algebra functions (%d)\n\n", n);
    fprintf(f, "runtime/builtins.c, one row each in `builtin_table`; the signature strings are\n"
               "those sema checks (lang/builtin_sig.c).  Every real argument is differentiated;\n"
               "tests/runtime/test_builtins.c checks each overload's gradient and values.\n\n");
    fprintf(f, "| function | signatures |\n|---|---|\n");
    for (const struct Builtin *b = builtin_table; b->name; b++) {
        fprintf(f, "| `%s` | ", b->name);
        const char *p = b->sig;
        int first = 1;
        while (p && *p) {
            char ret[96];
            ret_type(p[0], ret, sizeof ret);
            fprintf(f, "%s`%s %s(", first ? "" : "<br>", ret, b->name);
            int k = 0;
            for (const char *a = p + 2; *a && *a != ')'; a++)
                if (*a != ',') fprintf(f, "%s%s", k++ ? ", " : "", arg_type(*a));
            fprintf(f, ")`");
            first = 0;
            p = strchr(p, ';');
            if (p) p++;
        }
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

static const char *dist_code(char c)
{
    switch (c) {
    case 'R': return "real, vectorised";
    case 'I': return "int, vectorised";
    case 'V': return "vector";
    case 'S': return "simplex";
    case 'M': return "matrix";
    case 'L': return "Cholesky factor";
    case 'C': return "covariance or correlation matrix";
    case 'K': return "int array";
    }
    return "?";
}

static void bound(FILE *f, double x)
{
    if (isinf(x)) fprintf(f, "%sinf", x < 0 ? "-" : "");
    else fprintf(f, "%g", x);
}

static void dist_section(FILE *f)
{
    int n = 0;
    for (const Dist *const *d = dist_table; *d; d++) n++;
    fprintf(f, "## Distributions (%d)\n\n", n);
    fprintf(f, "stdlib/dist_table.c.  `y ~ NAME(args)` adds `NAME_lpdf(y | args)` (`_lpmf` for a\n"
               "discrete family) with every normalising constant.  Argument codes (stdlib/dist.h):\n"
               "R real and I int are vectorised (a scalar, an array, a vector or a row vector;\n"
               "scalars are broadcast); V vector, S simplex, M matrix, L Cholesky factor,\n"
               "C covariance or correlation matrix, K int array.  The support is the variate's,\n"
               "as used by the normalisation tests.\n\n");
    fprintf(f, "| distribution | arguments (variate first) | functions | support |\n|---|---|---|---|\n");
    for (const Dist *const *dp = dist_table; *dp; dp++) {
        const Dist *d = *dp;
        fprintf(f, "| `%s` | ", d->name);
        for (int k = 0; k < d->nargs; k++)
            fprintf(f, "%s%s (%c: %s)", k ? ", " : "", d->argnames[k], d->sig[k], dist_code(d->sig[k]));
        fprintf(f, " | `%s_%s`", d->name, d->discrete ? "lpmf" : "lpdf");
        if (d->rng) {
            fprintf(f, ", `%s_rng`", d->name);
            if (d->rng_sig) {          /* the rng's own arguments (multinomial_rng(theta, N)) */
                fprintf(f, " (arguments: ");
                for (const char *c = d->rng_sig; *c; c++) fprintf(f, "%s%s", c == d->rng_sig ? "" : ", ", dist_code(*c));
                fprintf(f, ")");
            }
        }
        if (d->cdf) fprintf(f, ", `%s_cdf`", d->name);
        if (d->lcdf) fprintf(f, ", `%s_lcdf`", d->name);
        if (d->lccdf) fprintf(f, ", `%s_lccdf`", d->name);
        fprintf(f, " | ");
        if (d->discrete) fprintf(f, "{");
        else fprintf(f, "%s", isinf(d->lo) ? "(" : "[");
        bound(f, d->lo);
        fprintf(f, d->discrete ? ", ..., " : ", ");
        bound(f, d->hi);
        if (d->discrete) fprintf(f, "}");
        else fprintf(f, "%s", isinf(d->hi) ? ")" : "]");
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

int fdoc_write(FILE *f)
{
    fprintf(f, "# Functions and distributions\n\n"
               "<!-- Generated by tools/gen_functions_doc from the registration tables; do not\n"
               "     edit.  `ninja -C build functions-doc` rewrites it, and the test\n"
               "     `functions_doc` fails when it is stale. -->\n\n"
               "Every function and distribution the language knows, as registered.  A name that\n"
               "is not here is an unknown function.\n\n");
    math_section(f);
    builtin_section(f);
    dist_section(f);
    return ferror(f) ? -1 : 0;
}
