/* DIR/index.html: every plot as its PNG, each linked to its SVG and PNG. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "plot/plot_int.h"

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int vm_plot_index(const char *dir, const char *title, char *const *files, size_t nfiles,
                  char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
    html_text(f, title);
    fputs("</title>\n<style>body{font-family:sans-serif;margin:2em}img{max-width:100%;"
          "border:1px solid #ccc}</style></head>\n<body>\n<h1>", f);
    html_text(f, title);
    fputs("</h1>\n", f);
    /* files come in pairs per kind, PNG then SVG (vm_plot_write) */
    for (size_t i = 0; i < nfiles; i++) {
        const char *b = base_name(files[i]);
        size_t l = strlen(b);
        if (l < 4 || strcmp(b + l - 4, ".png")) continue;
        fprintf(f, "<h2>%.*s</h2>\n<p><a href=\"", (int)(l - 4), b);
        html_text(f, b);
        fputs("\"><img src=\"", f);
        html_text(f, b);
        fputs("\" alt=\"", f);
        html_text(f, b);
        fputs("\"></a></p>\n<p>", f);
        for (size_t k = 0; k < nfiles; k++) {
            const char *o = base_name(files[k]);
            if (strncmp(o, b, l - 3) || strlen(o) <= l - 3) continue;
            fputs("<a href=\"", f);
            html_text(f, o);
            fputs("\">", f);
            html_text(f, o);
            fputs("</a> ", f);
        }
        fputs("</p>\n", f);
    }
    fputs("</body></html>\n", f);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
