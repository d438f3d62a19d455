/* Stan CSV, as CmdStan writes it (stan/services/util/mcmc_writer.hpp): a comment
 * header of `key = value` lines indented by level, the column row, adaptation
 * comments, one row per draw, and the timing block.  Numbers use 6 significant
 * digits like CmdStan's default output, so the bytes depend only on the draws.
 * Every block goes out in a single write(2) so that a killed run leaves whole lines. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "driver/run_int.h"

static int csv_write_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* CmdStan's multi-chain naming: out.csv -> out_1.csv, out_2.csv ...  A path holding
 * "{chain}" names each file itself (out-{chain}.csv -> out-1.csv). */
static int csv_write_all(CsvOut *w, const char *p, size_t n)
{
    if (csv_write_fd(w->fd, p, n) != 0) {
        /* a full disk: cut back to the last whole line, so the file stays readable */
        int e = errno;
        if (ftruncate(w->fd, (off_t)w->size) == 0)
            lseek(w->fd, (off_t)w->size, SEEK_SET);
        errno = e;
        return -1;
    }
    w->size += (long long)n;
    return 0;
}

int csv_truncate(CsvOut *w, long long size)
{
    if (size >= w->size)
        return 0;
    if (ftruncate(w->fd, (off_t)size) != 0 || lseek(w->fd, (off_t)size, SEEK_SET) < 0)
        return -1;
    w->size = size;
    return 0;
}

int csv_path(const char *pattern, int chain, int chains, char *out, size_t len)
{
    const char *ph = strstr(pattern, "{chain}");
    int n;
    if (ph)
        n = snprintf(out, len, "%.*s%d%s", (int)(ph - pattern), pattern, chain + 1, ph + 7);
    else if (chains <= 1)
        n = snprintf(out, len, "%s", pattern);
    else {
        const char *slash = strrchr(pattern, '/');
        const char *dot = strrchr(pattern, '.');
        if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : pattern))
            dot = pattern + strlen(pattern);
        n = snprintf(out, len, "%.*s_%d%s", (int)(dot - pattern), pattern, chain + 1, dot);
    }
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int csv_open(CsvOut *w, const char *path, size_t ncols, char *err, size_t errlen)
{
    w->cap = 32 * (ncols + 1) + 2;   /* %.6g needs at most 13 characters */
    w->line = malloc(w->cap);
    w->fd = -1;
    w->size = 0;
    w->path = strdup(path);
    if (!w->line || !w->path) {
        snprintf(err, errlen, "out of memory");
        csv_close(w);
        return -1;
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot write %s: it is a directory", path);
        csv_close(w);
        return -1;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        csv_close(w);
        return -1;
    }
    if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        /* one run per file: a second run on the same --output is refused before it
         * truncates anything, instead of interleaving its rows with the first's */
        if (flock(w->fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path,
                     errno == EWOULDBLOCK ? "another run is writing it" : strerror(errno));
            csv_close(w);
            return -1;
        }
        if (ftruncate(w->fd, 0) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            csv_close(w);
            return -1;
        }
    }
    return 0;
}

void csv_discard(CsvOut *w)
{
    struct stat st;
    if (w->path && w->fd >= 0 && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
        unlink(w->path);
}

void csv_close(CsvOut *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->line);
    free(w->path);
    w->fd = -1;
    w->line = NULL;
    w->path = NULL;
}

int csv_format(char *buf, size_t len, double x)
{
    if (isnan(x))
        return snprintf(buf, len, "nan");
    if (isinf(x))
        return snprintf(buf, len, x > 0 ? "inf" : "-inf");
    return snprintf(buf, len, "%.6g", x);
}

int csv_row(CsvOut *w, const double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            w->line[k++] = ',';
        k += (size_t)csv_format(w->line + k, w->cap - k, v[i]);
    }
    w->line[k++] = '\n';
    return csv_write_all(w, w->line, k);
}

/* Write a block built in a memory stream, in one go. */
static int csv_flush_stream(CsvOut *w, FILE *f, char **buf, size_t *len)
{
    if (fclose(f) != 0) {
        free(*buf);
        return -1;
    }
    int rc = csv_write_all(w, *buf, *len);
    free(*buf);
    return rc;
}

int csv_comment(CsvOut *w, const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "# %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
    return csv_flush_stream(w, f, &buf, &len);
}

/* A name from outside (the model's file name, a path, the command line) as one
 * comment line: a newline in it must not end the comment and start a CSV row. */
static void csv_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\r')
            fputs("\\r", f);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
}

/* CmdStan spells option names with underscores. */
static void csv_key(FILE *f, const char *name)
{
    for (const char *p = name; *p; p++)
        fputc(*p == '-' ? '_' : *p, f);
}

/* The method's own options, each marked "(Default)" when not given, as CmdStan does. */
static void csv_method_options(FILE *f, const Backend *b, const BkSettings *s, int indent)
{
    if (!b->options)
        return;
    for (const BkOption *o = b->options; o->name; o++) {
        int given = 0;
        for (size_t i = 0; s->opts && i < s->nopts && s->opts[i].key; i++)
            if (strcmp(s->opts[i].key, o->name) == 0)
                given = 1;
        const char *v = bk_opt_str(s, b, o->name);
        fprintf(f, "#%*s", indent, "");
        csv_key(f, o->name);
        fprintf(f, " = ");
        csv_text(f, v ? v : "");
        fprintf(f, "%s\n", given ? "" : " (Default)");
    }
}

static void csv_method_block(FILE *f, const RunConfig *cfg)
{
    const Backend *b = cfg->backend;
    const BkSettings *s = &cfg->base;
    switch (b->kind) {
    case BK_SAMPLER:
        fprintf(f, "# method = sample (Default)\n#   sample\n");
        fprintf(f, "#     num_samples = %ld\n#     num_warmup = %ld\n", s->draws, s->warmup);
        fprintf(f, "#     save_warmup = %d\n#     thin = %ld\n", cfg->save_warmup ? 1 : 0,
                cfg->thin > 1 ? cfg->thin : 1L);
        fprintf(f, "#     adapt\n#       engaged = %d\n", s->warmup > 0);
        /* NUTS is CmdStan's hmc engine; other samplers name themselves. */
        if (strcmp(b->name, "nuts") == 0) {
            fprintf(f, "#     algorithm = hmc (Default)\n#       hmc\n#         engine = nuts (Default)\n"
                       "#           nuts\n");
            csv_method_options(f, b, s, 13);
            fprintf(f, "#         metric = diag_e (Default)\n");
        } else {
            fprintf(f, "#     algorithm = %s\n#       %s\n", b->name, b->name);
            csv_method_options(f, b, s, 9);
        }
        fprintf(f, "#     num_chains = %d\n", cfg->chains);
        break;
    case BK_VI:
        fprintf(f, "# method = variational\n#   variational\n");
        fprintf(f, "#     algorithm = %s\n#       %s\n", b->name, b->name);
        csv_method_options(f, b, s, 9);
        fprintf(f, "#     iter = %ld\n#     grad_samples = %ld\n", s->iters, s->mc);
        if (s->lr > 0)
            fprintf(f, "#     eta = %g\n", s->lr);
        else
            fprintf(f, "#     eta = 0 (Default)\n");
        fprintf(f, "#     tol_rel_obj = %g\n#     output_samples = %ld\n", s->tol, s->draws);
        break;
    case BK_OPTIMIZER:
    default:
        fprintf(f, "# method = optimize\n#   optimize\n");
        fprintf(f, "#     algorithm = %s\n#       %s\n", b->name, b->name);
        csv_method_options(f, b, s, 9);
        fprintf(f, "#     iter = %ld\n#     tol_rel_obj = %g\n#     draws = %ld\n", s->iters, s->tol,
                s->draws);
        break;
    }
}

int csv_header(CsvOut *w, const RunModel *m, const RunConfig *cfg, int chain, const char *path,
               const char *const *names, size_t ncols)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;
    fprintf(f, "# vrun_version = %s\n", RUN_VERSION);
    fprintf(f, "# model = ");
    csv_text(f, m->name ? m->name : "");
    fputc('\n', f);
    csv_method_block(f, cfg);
    fprintf(f, "# id = %d\n", chain + 1);
    if (m->init_radius > 0)
        fprintf(f, "# init = %g\n", m->init_radius);
    else
        fprintf(f, "# init = %s\n", m->init_u ? "user" : "2 (Default)");
    fprintf(f, "# random\n#   seed = %lu\n", cfg->base.seed);
    fprintf(f, "# output\n#   file = ");
    csv_text(f, path);
    fputc('\n', f);
    if (cfg->command_line) {
        fprintf(f, "# command = ");
        csv_text(f, cfg->command_line);
        fputc('\n', f);
    }
    for (size_t i = 0; i < ncols; i++)
        fprintf(f, "%s%s", i ? "," : "", names[i]);
    fputc('\n', f);
    return csv_flush_stream(w, f, &buf, &len);
}

int csv_report(CsvOut *w, const Backend *b, void *st, int after_warmup)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;
    if (after_warmup)
        fprintf(f, "# Adaptation terminated\n");
    if (b->report)
        b->report(st, f, "# ");
    if (b->trace)
        b->trace(st, f, "# ");
    return csv_flush_stream(w, f, &buf, &len);
}

/* CmdStan's write_timing: " Elapsed Time: " and its width of spaces, %g seconds. */
int csv_timing(CsvOut *w, double warmup, double sampling, const char *phase2)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "# \n#  Elapsed Time: %g seconds (Warm-up)\n#                %g seconds (%s)\n"
                     "#                %g seconds (Total)\n# \n",
                     warmup, sampling, phase2, warmup + sampling);
    if (n < 0 || (size_t)n >= sizeof buf)
        return -1;
    return csv_write_all(w, buf, (size_t)n);
}
