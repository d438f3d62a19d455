/* Progress on stderr, drawn by the driver's main thread from the chains' atomic
 * counters (the algorithms never report: they only count).  On a terminal, one line
 * per chain redrawn in place (up to PROG_MAX_LINES chains, else one bar for the run);
 * otherwise a plain line every few seconds.
 *
 * The time left is each running chain's remaining iterations at its recent rate (an
 * average over the last few seconds, not since the start: warm-up's first iterations
 * cost little or much more than the rest), and the chains still queued placed on the
 * first thread to come free.  A VI fit's iterations are an upper bound (it stops when
 * it converges), so its time left is "at most". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "driver/run_int.h"

#define PROG_BAR_EVERY 0.2     /* seconds between redraws of the bar */
#define PROG_LINE_EVERY 5.0    /* seconds between plain lines */
#define PROG_BAR_WIDTH 24
#define PROG_MAX_LINES 8       /* more chains than this: one bar for all */
#define PROG_RATE_WINDOW 1.0   /* seconds over which a chain's rate is measured */

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
    p->vi = b->kind != BK_SAMPLER;
    p->phase[0] = b->kind == BK_SAMPLER ? "warmup" : "fitting";
    p->phase[1] = b->kind == BK_SAMPLER ? "sampling" : "drawing";
    p->t0 = now;
    /* a bar shows at the first wake-up; a plain line (a log, not a terminal) only
     * after its interval, so a quick run or an early refusal prints none */
    p->last = mode == 1 ? now - PROG_LINE_EVERY : now;
}

void prog_shape(Progress *p, int chains, int threads, long first, long second)
{
    p->chains = chains;
    p->threads = threads > 0 ? threads : 1;
    p->first = first > 0 ? first : 0;
    p->second = second > 0 ? second : 0;
    p->rate = calloc((size_t)chains + 1, sizeof *p->rate);
    p->tprev = calloc((size_t)chains + 1, sizeof *p->tprev);
    p->prev = calloc((size_t)chains + 1, sizeof *p->prev);
    if (!p->rate || !p->tprev || !p->prev)
        p->chains = 0;   /* no per-chain display: the run goes on */
}

static void prog_release(Progress *p)
{
    free(p->rate);
    free(p->tprev);
    free(p->prev);
    p->rate = p->tprev = NULL;
    p->prev = NULL;
    p->chains = 0;
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

/* Each chain's recent rate, from its count now and a window ago. */
static void prog_rates(Progress *p, RunChain *ch, double now)
{
    for (int c = 0; c < p->chains; c++) {
        long done = atomic_load(&ch[c].progress);
        int phase = atomic_load(&ch[c].phase);
        if (phase == 0 || phase == 3) {
            p->prev[c] = done;
            p->tprev[c] = now;
            continue;
        }
        if (p->tprev[c] == 0) {   /* just started */
            p->prev[c] = done;
            p->tprev[c] = now;
            continue;
        }
        double dt = now - p->tprev[c];
        if (dt < PROG_RATE_WINDOW)
            continue;
        double r = (double)(done - p->prev[c]) / dt;
        p->rate[c] = p->rate[c] > 0 ? 0.5 * p->rate[c] + 0.5 * r : r;
        p->prev[c] = done;
        p->tprev[c] = now;
    }
}

/* Seconds left: running chains finish at their rates, queued ones go to the first
 * thread free.  Negative when no rate is known yet. */
static double prog_left(const Progress *p, RunChain *ch)
{
    long per = p->first + p->second;
    double mean = 0;
    int nr = 0;
    for (int c = 0; c < p->chains; c++)
        if (p->rate[c] > 0) {
            mean += p->rate[c];
            nr++;
        }
    if (nr == 0)
        return -1;
    mean /= nr;
    double *free_at = calloc((size_t)p->threads, sizeof *free_at);
    if (!free_at)
        return -1;
    int t = 0;
    double worst = 0;
    for (int c = 0; c < p->chains; c++) {
        int phase = atomic_load(&ch[c].phase);
        long done = atomic_load(&ch[c].progress);
        if (phase == 3 || phase == 0)
            continue;
        double left = (double)(per - done) / (p->rate[c] > 0 ? p->rate[c] : mean);
        if (t < p->threads)
            free_at[t++] = left;
        worst = fmax(worst, left);
    }
    for (int c = 0; c < p->chains; c++) {
        if (atomic_load(&ch[c].phase) != 0)
            continue;
        int k = 0;   /* the thread free first */
        for (int i = 1; i < p->threads; i++)
            if (free_at[i] < free_at[k])
                k = i;
        free_at[k] += (double)per / mean;
        worst = fmax(worst, free_at[k]);
    }
    free(free_at);
    return worst;
}

static void prog_bar(char *bar, double frac)
{
    int fill = (int)((double)PROG_BAR_WIDTH * frac);
    for (int i = 0; i < PROG_BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[PROG_BAR_WIDTH] = 0;
}

/* One chain's line (without the newline). */
static void prog_chain_line(const Progress *p, RunChain *ch, int c, char *line, size_t len)
{
    int phase = atomic_load(&ch[c].phase);
    long done = atomic_load(&ch[c].progress), per = p->first + p->second;
    char bar[PROG_BAR_WIDTH + 1];
    if (phase == 0) {
        snprintf(line, len, "chain %d  queued", c + 1);
        return;
    }
    if (done > per)
        done = per;
    prog_bar(bar, per > 0 ? (double)done / (double)per : 1);
    int pct = per > 0 ? (int)(100.0 * (double)done / (double)per) : 100;
    char rate[32] = "";
    if (p->rate[c] > 0)
        snprintf(rate, sizeof rate, "  %.0f it/s", p->rate[c]);
    if (phase == 3)
        snprintf(line, len, "chain %d [%s] %3d%%  done", c + 1, bar, pct);
    else if (p->vi && phase == 1)
        snprintf(line, len, "chain %d [%s] %3d%%  %s  iter %ld (at most %ld)%s", c + 1, bar, pct,
                 p->phase[0], done, p->first, rate);
    else if (phase == 1)
        snprintf(line, len, "chain %d [%s] %3d%%  %s   %ld/%ld%s", c + 1, bar, pct, p->phase[0], done,
                 p->first, rate);
    else
        snprintf(line, len, "chain %d [%s] %3d%%  %s %ld/%ld%s", c + 1, bar, pct, p->phase[1],
                 done - p->first > 0 ? done - p->first : 0, p->second, rate);
}

void prog_update(Progress *p, RunChain *ch, int chains, double now, int force)
{
    if (p->mode == 0)
        return;
    if (p->chains == chains && p->chains > 0)   /* at every wake-up: a log's first line has rates */
        prog_rates(p, ch, now);
    double every = p->mode == 1 ? PROG_BAR_EVERY : PROG_LINE_EVERY;
    if (!force && now - p->last < every)
        return;
    p->last = now;
    long done = 0;
    int sampling = 1, running = 0, finished = 0, nwarm = 0, nsamp = 0;
    for (int c = 0; c < chains; c++) {
        done += atomic_load(&ch[c].progress);
        int ph = atomic_load(&ch[c].phase);
        nwarm += ph == 1;
        nsamp += ph == 2;
        if (ph == 1)
            sampling = 0;
        running += ph == 1 || ph == 2;
        finished += ph == 3;
    }
    if (done > p->total)
        done = p->total;
    double el = now - p->t0;
    double rate = el > 0 ? done / el : 0;
    char eta[32];
    double left = p->chains == chains && p->chains > 0 ? prog_left(p, ch) : (rate > 0 ? (p->total - done) / rate : -1);
    prog_eta(eta, sizeof eta, finished == chains ? 0 : left);
    const char *upto = p->vi && finished < chains ? "at most " : "";
    int pct = (int)(100.0 * done / p->total);
    char line[256];
    if (p->mode == 1 && p->chains == chains && chains <= PROG_MAX_LINES) {
        if (p->lines > 0)
            fprintf(stderr, "\033[%dA", p->lines);   /* back to the first line */
        for (int c = 0; c < chains; c++) {
            prog_chain_line(p, ch, c, line, sizeof line);
            fprintf(stderr, "\r%s\033[K\n", line);
        }
        fprintf(stderr, "\r%s: %d of %d chains done, %d running  elapsed %.0fs  left %s%s\033[K\n", p->method,
                finished, chains, running, el, upto, eta);
        p->lines = chains + 1;
    } else if (p->mode == 1) {
        char bar[PROG_BAR_WIDTH + 1];
        prog_bar(bar, (double)done / (double)p->total);
        /* chains in both phases: say so rather than flip between the two labels */
        char phase[40];
        if (nwarm > 0 && nsamp > 0)
            snprintf(phase, sizeof phase, "%s %d, %s %d", p->phase[0], nwarm, p->phase[1], nsamp);
        else
            snprintf(phase, sizeof phase, "%s", p->phase[sampling]);
        int n = snprintf(line, sizeof line, "\r%s [%s] %3d%%  iter %ld/%ld  %s  %.0f it/s  left %s%s", p->method,
                         bar, pct, done, p->total, phase, rate, upto, eta);
        int pad = p->width > n ? p->width - n : 0;
        fprintf(stderr, "%s%*s", line, pad, "");
        p->width = n;
    } else if (p->chains == chains && chains <= PROG_MAX_LINES) {   /* a log: each chain in brief */
        int n = snprintf(line, sizeof line, "%s:", p->method);
        for (int c = 0; c < chains && n < (int)sizeof line; c++) {
            int ph = atomic_load(&ch[c].phase);
            long d = atomic_load(&ch[c].progress), per = p->first + p->second;
            if (ph == 0)
                n += snprintf(line + n, sizeof line - (size_t)n, " chain %d queued,", c + 1);
            else if (ph == 3)
                n += snprintf(line + n, sizeof line - (size_t)n, " chain %d done,", c + 1);
            else if (p->vi && ph == 1)
                n += snprintf(line + n, sizeof line - (size_t)n, " chain %d %s iter %ld,", c + 1, p->phase[0], d);
            else
                n += snprintf(line + n, sizeof line - (size_t)n, " chain %d %d%% %s,", c + 1,
                              per > 0 ? (int)(100.0 * (double)d / (double)per) : 100, p->phase[ph == 2]);
        }
        fprintf(stderr, "%s elapsed %.0fs, left %s%s\n", line, el, upto, eta);
    } else {
        fprintf(stderr, "%s: iter %ld/%ld (%d%%)  %d of %d chains done, %d running  %.0f it/s  left %s%s\n",
                p->method, done, p->total, pct, finished, chains, running, rate, upto, eta);
    }
    fflush(stderr);
}

void prog_abort(Progress *p)
{
    if (p->mode == 1 && p->lines > 0)
        fprintf(stderr, "\033[%dA\r\033[J", p->lines);   /* clear the chains' lines */
    else if (p->mode == 1)
        fputs("\r\033[K", stderr);    /* clear the bar */
    fflush(stderr);
    prog_release(p);
}

/* The last state, also as a plain line, so a log shows how far the run got. */
void prog_finish(Progress *p, RunChain *ch, int chains, double now)
{
    if (p->mode != 0) {
        prog_update(p, ch, chains, now, 1);
        if (p->mode == 1 && p->lines == 0)
            fputc('\n', stderr);
        fflush(stderr);
    }
    prog_release(p);
}
