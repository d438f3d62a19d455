/* The driver on more than one process (runtime/mpi.h).
 *
 * Chains spread over ranks (the default with at least as many chains as ranks):
 * chain k runs on rank k mod R.  A chain's draws depend only on its own generator and
 * target (run.c), so they are the bits one process would make.  Rank 0 opens every
 * CSV file and writes its header; another rank writes its chains' rows to an unlinked
 * temporary file and, when its chains are done, sends rank 0 everything the files and
 * the summary need of them: the rows and draws, the file's bytes, timings, status and
 * the backend's report.  Rank 0 then finishes exactly as one process does.
 *
 * Data-parallel (RunConfig.data_parallel): every rank runs every chain in lockstep,
 * the density itself combining the ranks' shares (split.c); only rank 0 writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "driver/run_int.h"
#include "runtime/mpi.h"
#include <jansson.h>

int runmp_spread(const RunConfig *cfg) { return mp_size() > 1 && !cfg->data_parallel; }

int runmp_mine(const RunConfig *cfg, int k) { return !runmp_spread(cfg) || k % mp_size() == mp_rank(); }

int runmp_chains_mine(const RunConfig *cfg)
{
    int n = 0;
    for (int k = 0; k < cfg->chains; k++)
        n += runmp_mine(cfg, k);
    return n;
}

/* Open the CSV of chain k as this rank must: 0 with *have = 0 when it writes none. */
int runmp_csv_open(const RunConfig *cfg, int k, CsvOut *w, const char *path, size_t ncols, int *have,
                   char *err, size_t errlen)
{
    *have = 0;
    if (mp_rank() == 0) {
        if (csv_open(w, path, ncols, err, errlen) != 0)
            return 1;
        *have = 1;
        return 0;
    }
    if (!runmp_spread(cfg) || !runmp_mine(cfg, k))
        return 0;
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/vrun-chain-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "rank %d: cannot make a temporary file in %s: %s", mp_rank(),
                 dir && *dir ? dir : "/tmp", strerror(errno));
        return 1;
    }
    close(fd);
    int rc = csv_open(w, tmp, ncols, err, errlen);
    unlink(tmp);   /* the descriptor keeps it until rank 0 has its bytes */
    if (rc != 0)
        return 1;
    *have = 1;
    return 0;
}

/* The backend's report as rank 0's summary would print it (with the chain prefix)
 * and as the JSON summary lists it (without), and its results (Backend.results) as
 * JSON text. */
static void runmp_reports(const Backend *b, RunChain *c, int chains, char *txt[3])
{
    txt[0] = txt[1] = txt[2] = NULL;
    if (b->results && c->st) {
        json_t *r = b->results(c->st);
        txt[2] = r ? json_dumps(r, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
        json_decref(r);
    }
    if (!b->report || !c->st)
        return;
    for (int j = 0; j < 2; j++) {
        char prefix[32] = "";
        if (j == 0 && chains > 1)
            snprintf(prefix, sizeof prefix, "chain %d: ", c->id + 1);
        size_t len = 0;
        FILE *f = open_memstream(&txt[j], &len);
        if (!f)
            continue;
        b->report(c->st, f, prefix);
        fclose(f);
    }
}

/* What rank 0 needs of a chain another rank ran, ahead of its arrays. */
typedef struct RunMpHead {
    long ndone, iters, value_fails;
    int converged, status, phase, interrupted;
    double t_warmup, t_sampling;
    long long csv_size, rep_len[3];
    char err[512];
} RunMpHead;

static int runmp_grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    char *p = realloc(*buf, need);
    if (!p)
        return -1;
    *buf = p;
    *cap = need;
    return 0;
}

/* The bytes of the unlinked temporary file, open write-only by csv_open. */
static int runmp_read_back(int wfd, char *p, size_t n)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", wfd);
    int fd = open(proc, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = pread(fd, p, n, 0);
    close(fd);
    return got == (ssize_t)n ? 0 : -1;
}

/* On the rank that ran chain c: pack it and send it to rank 0. */
static int runmp_send_chain(const Backend *b, RunChain *c, int chains, size_t ncols, int interrupted,
                            char **buf, size_t *cap)
{
    RunMpHead h;
    memset(&h, 0, sizeof h);
    h.ndone = c->ndone;
    h.iters = c->iters;
    h.converged = c->converged;
    h.status = c->status;
    h.phase = atomic_load(&c->phase);
    h.interrupted = interrupted;
    h.t_warmup = c->t_warmup;
    h.t_sampling = c->t_sampling;
    memcpy(h.err, c->err, sizeof h.err);
    h.csv_size = c->have_csv ? c->csv.size : 0;
    char *rep[3];
    runmp_reports(b, c, chains, rep);
    for (int j = 0; j < 3; j++)
        h.rep_len[j] = rep[j] ? (long long)strlen(rep[j]) : -1;
    size_t nrows = (size_t)h.ndone * ncols * sizeof(double);
    size_t nend = c->have_csv ? ((size_t)h.ndone + 1) * sizeof(long long) : 0;
    size_t n = sizeof h + (size_t)h.ndone + nrows + nend + (size_t)h.csv_size;
    for (int j = 0; j < 3; j++)
        n += h.rep_len[j] > 0 ? (size_t)h.rep_len[j] : 0;
    int rc = runmp_grow(buf, cap, n);
    if (rc == 0) {
        char *p = *buf;
        memcpy(p, &h, sizeof h), p += sizeof h;
        memcpy(p, c->failed, (size_t)h.ndone), p += h.ndone;
        memcpy(p, c->rows, nrows), p += nrows;
        if (nend)
            memcpy(p, c->row_end, nend), p += nend;
        if (h.csv_size > 0 && runmp_read_back(c->csv.fd, p, (size_t)h.csv_size) != 0)
            rc = -1;
        p += h.csv_size;
        for (int j = 0; j < 3; j++)
            if (h.rep_len[j] > 0)
                memcpy(p, rep[j], (size_t)h.rep_len[j]), p += h.rep_len[j];
    }
    free(rep[0]);
    free(rep[1]);
    free(rep[2]);
    if (rc != 0) {   /* rank 0 still expects a message: a failed chain it can report */
        memset(&h, 0, sizeof h);
        h.status = 2;
        h.phase = 3;
        snprintf(h.err, sizeof h.err, "chain %d: rank %d cannot send its draws (out of memory or a "
                                      "temporary file that cannot be read)", c->id + 1, mp_rank());
        h.rep_len[0] = h.rep_len[1] = h.rep_len[2] = -1;
        mp_send(&h, sizeof h, 0);
        return -1;
    }
    mp_send(*buf, n, 0);
    return 0;
}

/* On rank 0: take chain c from the rank that ran it. */
static void runmp_recv_chain(RunChain *c, size_t ncols, int src, int *interrupted, char **buf, size_t *cap)
{
    size_t n = mp_probe(src);
    if (runmp_grow(buf, cap, n) != 0) {   /* drain it, then report */
        char *tmp = malloc(n ? n : 1);
        mp_recv(tmp, n, src);
        free(tmp);
        c->status = 2;
        snprintf(c->err, sizeof c->err, "out of memory receiving chain %d", c->id + 1);
        return;
    }
    mp_recv(*buf, n, src);
    RunMpHead h;
    const char *p = *buf;
    memcpy(&h, p, sizeof h), p += sizeof h;
    if (n == sizeof h) {   /* the sender could not pack the chain: only its error */
        c->status = h.status;
        atomic_store(&c->phase, h.phase);
        memcpy(c->err, h.err, sizeof c->err);
        return;
    }
    c->ndone = h.ndone;
    c->iters = h.iters;
    c->converged = h.converged;
    c->status = h.status;
    atomic_store(&c->phase, h.phase);
    c->t_warmup = h.t_warmup;
    c->t_sampling = h.t_sampling;
    memcpy(c->err, h.err, sizeof c->err);
    if (!*interrupted)   /* a signal number: the first one, not a mix of bits */
        *interrupted = h.interrupted;
    memcpy(c->failed, p, (size_t)h.ndone), p += h.ndone;
    size_t nrows = (size_t)h.ndone * ncols * sizeof(double);
    memcpy(c->rows, p, nrows), p += nrows;
    if (c->have_csv) {
        size_t nend = ((size_t)h.ndone + 1) * sizeof(long long);
        memcpy(c->row_end, p, nend), p += nend;
        /* the file rank 0 opened holds the same header: replace it with the bytes */
        if (ftruncate(c->csv.fd, 0) != 0 || lseek(c->csv.fd, 0, SEEK_SET) < 0 ||
            write(c->csv.fd, p, (size_t)h.csv_size) != (ssize_t)h.csv_size) {
            c->status = 2;
            snprintf(c->err, sizeof c->err, "cannot write the CSV file of chain %d: %s", c->id + 1, strerror(errno));
        } else
            c->csv.size = h.csv_size;
    }
    p += h.csv_size;
    for (int j = 0; j < 3; j++)
        if (h.rep_len[j] >= 0) {
            c->report_txt[j] = strndup(p, (size_t)h.rep_len[j]);
            p += h.rep_len[j];
        }
}

void runmp_gather(const RunConfig *cfg, RunChain *ch, size_t ncols, int *interrupted)
{
    if (!runmp_spread(cfg))
        return;
    char *buf = NULL;
    size_t cap = 0;
    for (int k = 0; k < cfg->chains; k++) {
        int owner = k % mp_size();
        if (owner == 0)
            continue;
        if (mp_rank() == owner)
            runmp_send_chain(cfg->backend, &ch[k], cfg->chains, ncols, *interrupted, &buf, &cap);
        else if (mp_rank() == 0)
            runmp_recv_chain(&ch[k], ncols, owner, interrupted, &buf, &cap);
    }
    free(buf);
}

/* Every rank leaves with rank 0's status, message and interruption. */
int runmp_agree(int rc, char *err, size_t errlen, int *interrupted)
{
    if (mp_size() == 1)
        return rc;
    int v[2] = {rc, *interrupted};
    mp_bcast(v, sizeof v, 0);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", err ? err : "");
    mp_bcast(msg, sizeof msg, 0);
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    *interrupted = v[1];
    return v[0];
}
