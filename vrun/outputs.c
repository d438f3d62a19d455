/* Before anything is written: the output files must be names of files, must not be
 * an input (--output=m.vmod would replace the model) and must not be each other
 * (--output=x.csv --summary=x.csv would keep only the last one written). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "vrun/cli.h"
#include "driver/run_int.h"

typedef struct OutName { const char *opt; char path[PATH_MAX]; } OutName;

/* Two paths name the same file: the same inode when both exist, else the same
 * canonical directory and last component (neither exists yet). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb) return 0;
    char da[PATH_MAX], db[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
    const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
    snprintf(da, sizeof da, "%.*s", ba ? (int)(ba - a) + (ba == a) : 1, ba ? a : ".");
    snprintf(db, sizeof db, "%.*s", bb ? (int)(bb - b) + (bb == b) : 1, bb ? b : ".");
    if (!realpath(da, ra) || !realpath(db, rb)) return 0;
    return !strcmp(ra, rb) && !strcmp(ba ? ba + 1 : a, bb ? bb + 1 : b);
}

static int non_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

int vrun_check_outputs(const Cli *c, int chains, char *err, size_t errlen)
{
    const char *opt[2] = {"output", "summary"}, *val[2] = {c->output, c->summary};
    for (int i = 0; i < 2; i++)
        if (val[i] && !*val[i]) {
            snprintf(err, errlen, "--%s needs a file name (--%s=%s)", opt[i], opt[i], i ? "FILE.json" : "FILE.csv");
            return 1;
        }
    if (c->output && chains > 1 && !strstr(c->output, "{chain}") && non_regular(c->output)) {
        snprintf(err, errlen, "--output=%s is not a regular file: %d chains need a file each (--chains=1 writes one)",
                 c->output, chains);
        return 1;
    }
    int n = 0;
    OutName *out = calloc((size_t)(c->output ? chains : 0) + 2, sizeof *out);
    if (!out) { snprintf(err, errlen, "out of memory"); return 1; }
    for (int k = 0; c->output && k < chains; k++, n++) {
        out[n].opt = "output";
        if (csv_path(c->output, k, chains, out[n].path, sizeof out[n].path) != 0) {
            snprintf(err, errlen, "--output=%s: the path is too long", c->output);
            free(out);
            return 1;
        }
    }
    if (c->summary) {
        out[n].opt = "summary";
        snprintf(out[n++].path, PATH_MAX, "%s", c->summary);
    }
    const char *in_opt[5] = {"model file", "data file", "--init file", "--at file", "--at-unconstrained file"};
    const char *in[5] = {c->model, c->data, c->init, c->at, c->at_unc};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        for (int j = 0; j < 5 && !rc; j++)
            if (in[j] && same_file(out[i].path, in[j])) {
                snprintf(err, errlen, "--%s would write %s, which is the %s: choose another name", out[i].opt,
                         out[i].path, in_opt[j]);
                rc = 1;
            }
        for (int j = 0; j < i && !rc; j++)
            if (same_file(out[i].path, out[j].path) && !non_regular(out[i].path)) {
                snprintf(err, errlen, "--%s and --%s both name %s: choose two names", out[j].opt, out[i].opt,
                         out[i].path);
                rc = 1;
            }
    }
    free(out);
    return rc;
}
