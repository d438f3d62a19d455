/* A launcher's notice that it is ending the job (run_int.h: runmp_notice_*).
 *
 * Ctrl-C to Open MPI's mpirun (4.x, orte odls) does not reach the processes as
 * SIGINT: mpirun sends every process SIGCONT, sleeps odls_base_sigkill_timeout (1 s
 * by default), sends SIGTERM, sleeps again, and sends SIGKILL.  Slurm's scancel does
 * the same (SIGCONT, SIGTERM, SIGKILL after KillWait).  Stopping at SIGTERM leaves
 * one second to gather the chains, write the files and summarise, after a second of
 * sampling more draws that must then be moved and summarised too: not enough.  The
 * SIGCONT is the first word of the kill, so under a launcher a run stops on it.
 *
 * SIGCONT also resumes a stopped process (Ctrl-Z forwarded by mpirun as SIGTSTP, then
 * fg; Slurm's suspend).  The difference: after a stop, the process has not run for
 * as long as it was stopped.  The main thread ticks about every 100 ms (run_pool);
 * a SIGCONT that comes less than RUNMP_NOTICE_GAP after the last tick before it found
 * the process running, so it cannot be a resume.  Misjudging a long stall of the main
 * thread as a stop only falls back on SIGTERM, a second later.
 *
 * mpirun sleeps those seconds in its event loop, which also reads the processes'
 * stdout (a pty, about 14 KB of buffer) and stderr (a pipe, 64 KB): until the SIGKILL,
 * rank 0's summary must fit in them.  Rank 0 asks for pipes as large as Linux allows
 * an unprivileged process (/proc/sys/fs/pipe-max-size, 1 MB), and writes the JSON
 * summary file before the table (run.c). */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "driver/run_int.h"
#include "runtime/mpi.h"

#define RUNMP_NOTICE_GAP 1000000000LL   /* ns: 10 ticks, room for a loaded machine; a Ctrl-Z and fg take longer */

static atomic_llong runmp_cont_ns;   /* when the last SIGCONT came, 0: none since the last look */
static long long runmp_tick[2];      /* main thread only: its last two ticks */
static int runmp_armed;

static long long runmp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);   /* async-signal-safe */
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void runmp_on_cont(int sig)
{
    (void)sig;
    long long t = runmp_mono_ns();
    atomic_store(&runmp_cont_ns, t > 0 ? t : 1);
}

/* Grow the pipe behind fd to the system's limit (a failure leaves it as it was). */
static void runmp_grow_pipe(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
#ifdef F_SETPIPE_SZ
    for (int sz = 1 << 20; sz > 65536; sz /= 2)
        if (fcntl(fd, F_SETPIPE_SZ, sz) >= 0)
            return;
#endif
}

void runmp_notice_begin(struct sigaction *old)
{
    runmp_armed = mp_launched();
    if (!runmp_armed)
        return;
    if (mp_rank() == 0) {
        runmp_grow_pipe(1);
        runmp_grow_pipe(2);
    }
    atomic_store(&runmp_cont_ns, 0);
    runmp_tick[0] = runmp_tick[1] = runmp_mono_ns();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = runmp_on_cont;
    sa.sa_flags = SA_RESTART;   /* the writers' system calls carry on as after a plain SIGCONT */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCONT, &sa, old);
}

void runmp_notice_end(const struct sigaction *old)
{
    if (runmp_armed)
        sigaction(SIGCONT, old, NULL);
    runmp_armed = 0;
}

int runmp_notice_check(void)
{
    if (!runmp_armed)
        return 0;
    long long now = runmp_mono_ns();   /* before the look: a SIGCONT seen now came after tick[1] or now */
    long long t = atomic_exchange(&runmp_cont_ns, 0);
    int notice = 0;
    if (t != 0) {
        /* the last tick before it: the process ran then, and not since if it was stopped */
        long long last = t >= now ? now : t >= runmp_tick[1] ? runmp_tick[1] : runmp_tick[0];
        notice = t - last < RUNMP_NOTICE_GAP;
    }
    runmp_tick[0] = runmp_tick[1];
    runmp_tick[1] = now;
    return notice;
}
