/* The draws of a finished run written again as Stan CSV (the REPL's :save-draws): the
 * same writer, header and number format as --output, one file per chain. */
#include <errno.h>
#include <string.h>
#include "driver/run_int.h"

int run_save_csv(const RunResult *res, const Backend *b, const char *model_name, const char *path,
                 char *err, size_t errlen)
{
    RunConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = b;
    cfg.chains = res->chains;
    cfg.base.draws = res->ndraws;
    RunModel m;
    memset(&m, 0, sizeof m);
    m.name = model_name;
    for (int k = 0; k < res->chains; k++) {
        char file[4096];
        CsvOut w;
        if (csv_path(path, k, res->chains, file, sizeof file) != 0) {
            snprintf(err, errlen, "path too long: %s", path);
            return -1;
        }
        if (csv_open(&w, file, res->ncols, err, errlen) != 0)
            return -1;
        int rc = csv_header(&w, &m, &cfg, k, file, res->col_names, res->ncols);
        for (long d = 0; rc == 0 && d < res->ndraws; d++)
            rc = csv_row(&w, res->draws + ((size_t)k * (size_t)res->ndraws + (size_t)d) * res->ncols, res->ncols);
        csv_close(&w);
        if (rc != 0) {
            snprintf(err, errlen, "cannot write %s: %s", file, strerror(errno));
            return -1;
        }
    }
    return 0;
}
