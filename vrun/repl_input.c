/* When is typed input complete?  Pure functions of the text, so that tests can pin
 * them (tests/repl/test_repl_input.c). */
#include <ctype.h>
#include <string.h>
#include "vrun/repl_int.h"
#include "lang/diag.h"

/* Complete when brackets balance outside comments and the text ends a statement
 * (`;` or `}`), or holds nothing but comments.  More closing than opening brackets
 * is complete too: the parser then says what is wrong. */
int repl_input_complete(const char *buf)
{
    int depth = 0;
    char last = 0;
    for (const char *p = buf; *p; p++) {
        if ((p[0] == '/' && p[1] == '/') || p[0] == '#') {
            while (p[1] && p[1] != '\n') p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            if (!q) return 0;
            p = q + 1;
            continue;
        }
        if (strchr("([{", *p)) depth++;
        else if (strchr(")]}", *p)) depth--;
        if (!isspace((unsigned char)*p)) last = *p;
    }
    if (depth != 0) return depth < 0;
    return last == 0 || last == ';' || last == '}';
}

char *repl_word(const char **p)
{
    const char *s = *p;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) { *p = s; return NULL; }
    const char *e = s;
    char q = 0;
    Buf b = {0};
    buf_putn(&b, "", 0);
    for (; *e && (q || !isspace((unsigned char)*e)); e++) {
        if (!q && (*e == '"' || *e == '\'')) q = *e;
        else if (q && *e == q) q = 0;
        else buf_putn(&b, e, 1);
    }
    *p = e;
    return b.s;
}

/* A :replace whose statement spans lines goes on like a statement. */
int repl_command_complete(const char *buf)
{
    const char *p = buf;
    while (isspace((unsigned char)*p)) p++;
    if (strncmp(p, ":replace", 8) || (p[8] && !isspace((unsigned char)p[8]))) return 1;
    p += 8;
    while (isspace((unsigned char)*p)) p++;
    while (isdigit((unsigned char)*p)) p++;
    while (isspace((unsigned char)*p)) p++;
    return !*p || repl_input_complete(p);
}

