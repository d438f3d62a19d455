/* Progress on stderr, drawn by the driver's main thread from the chains' atomic
 * counters (the algorithms never report: they only count).  A bar redrawn in place
 * when stderr is a terminal, a plain line every few seconds otherwise. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "runtime/run_int.h"

#define PROG_BAR_EVERY 0.2     /* seconds between redraws of the bar */
#define PROG_LINE_EVERY 5.0    /* seconds between plain lines */
#define PROG_BAR_WIDTH 24

double run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void prog_start(Progress *p, int mode, long total, const Backend *b, double now)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->total = total > 0 ? total : 1;
    p->method = b->name;
    p->phase[0] = b->kind == BK_SAMPLER ? "warmup" : "fitting";
    p->phase[1] = b->kind == BK_SAMPLER ? "sampling" : "drawing";
    p->t0 = now;
    /* a bar shows at the first wake-up; a plain line (a log, not a terminal) only
     * after its interval, so a quick run or an early refusal prints none */
    p->last = mode == 1 ? now - PROG_LINE_EVERY : now;
}

static void prog_eta(char *buf, size_t len, double secs)
{
    if (!(secs >= 0) || secs > 1e7)
        snprintf(buf, len, "--");
    else if (secs < 60)
        snprintf(buf, len, "%.0fs", secs);
    else if (secs < 3600)
        snprintf(buf, len, "%dm%02ds", (int)secs / 60, (int)secs % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)secs / 3600, ((int)secs % 3600) / 60);
}

void prog_update(Progress *p, RunChain *ch, int chains, double now, int force)
{
    if (p->mode == 0)
        return;
    double every = p->mode == 1 ? PROG_BAR_EVERY : PROG_LINE_EVERY;
    if (!force && now - p->last < every)
        return;
    p->last = now;
    long done = 0;
    int sampling = 1;   /* unless a running chain is still warming up */
    for (int c = 0; c < chains; c++) {
        done += atomic_load(&ch[c].progress);
        if (atomic_load(&ch[c].phase) == 1)
            sampling = 0;
    }
    if (done > p->total)
        done = p->total;
    double el = now - p->t0;
    double rate = el > 0 ? done / el : 0;
    char eta[32];
    prog_eta(eta, sizeof eta, rate > 0 ? (p->total - done) / rate : -1);
    int pct = (int)(100.0 * done / p->total);
    char line[256];
    int n;
    if (p->mode == 1) {
        char bar[PROG_BAR_WIDTH + 1];
        int fill = (int)((double)PROG_BAR_WIDTH * done / p->total);
        for (int i = 0; i < PROG_BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[PROG_BAR_WIDTH] = 0;
        n = snprintf(line, sizeof line, "\r%s [%s] %3d%%  iter %ld/%ld  %s  %.0f it/s  left %s",
                     p->method, bar, pct, done, p->total, p->phase[sampling],
                     rate, eta);
        int pad = p->width > n ? p->width - n : 0;
        fprintf(stderr, "%s%*s", line, pad, "");
        p->width = n;
    } else {
        fprintf(stderr, "%s: iter %ld/%ld (%d%%)  %s  %.0f it/s  left %s\n", p->method, done,
                p->total, pct, p->phase[sampling], rate, eta);
    }
    fflush(stderr);
}

/* The last state, also as a plain line, so a log shows how far the run got. */
void prog_abort(Progress *p)
{
    if (p->mode == 1) {
        fputs("\r\033[K", stderr);    /* clear the bar */
        fflush(stderr);
    }
}

void prog_finish(Progress *p, RunChain *ch, int chains, double now)
{
    if (p->mode == 0)
        return;
    prog_update(p, ch, chains, now, 1);
    if (p->mode == 1)
        fputc('\n', stderr);
    fflush(stderr);
}
