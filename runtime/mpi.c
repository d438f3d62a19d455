/* mp_: MPI when built with it (VM_HAVE_MPI), else the one-process group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include "runtime/mpi.h"

static atomic_int mp_req, mp_agreed;

void mp_request_stop(int on) { atomic_store(&mp_req, on); }
int mp_stop_requested(void) { return atomic_load(&mp_req); }
void mp_set_stop_agreed(int on) { atomic_store(&mp_agreed, on); }
int mp_stop_agreed(void) { return atomic_load(&mp_agreed); }

/* Launched by an MPI launcher with this many processes (0: not launched by one). */
static int mp_launched_size(void)
{
    const char *v[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        const char *s = getenv(v[i]);
        if (s && *s)
            return atoi(s);
    }
    return 0;
}

int mp_launched(void) { return mp_launched_size() > 0; }

#ifdef VM_HAVE_MPI
#include <cblas.h>
#include <mpi.h>
#include <unistd.h>

static int mp_on;                 /* MPI_Init_thread was called */
static int mp_r, mp_n = 1;
static MPI_Comm mp_comm, mp_stop_comm;
enum { MP_TAG_DATA = 1, MP_TAG_STOP = 2 };
static MPI_Request mp_stop_rx, mp_stop_tx[1024];
static int mp_stop_in, mp_stop_sent, mp_stop_got, mp_stop_ntx;

int mp_available(void) { return 1; }

int mp_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (mp_launched_size() <= 0)
        return 0;
    int provided;
    /* SERIALIZED: the data-parallel density calls from a chain's thread, the driver
     * from the main thread, never both at once */
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    mp_on = 1;
    MPI_Comm_dup(MPI_COMM_WORLD, &mp_comm);
    MPI_Comm_dup(MPI_COMM_WORLD, &mp_stop_comm);
    MPI_Comm_rank(mp_comm, &mp_r);
    MPI_Comm_size(mp_comm, &mp_n);
    /* OpenBLAS (the dsm network) starts a thread per core in every process: the
     * processes of one node share its cores instead */
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int per = local && atoi(local) > 0 && cores > 0 ? (int)(cores / atoi(local)) : 1;
    if (mp_n > 1 && !getenv("OPENBLAS_NUM_THREADS"))
        openblas_set_num_threads(per > 0 ? per : 1);
    return 0;
}

void mp_finalize(void)
{
    if (!mp_on)
        return;
    MPI_Comm_free(&mp_comm);
    MPI_Comm_free(&mp_stop_comm);
    MPI_Finalize();
    mp_on = 0;
}

int mp_rank(void) { return mp_r; }
int mp_size(void) { return mp_n; }

void mp_sum_ordered(double *x, size_t n, double *scratch)
{
    if (mp_n == 1)
        return;
    MPI_Allgather(x, (int)n, MPI_DOUBLE, scratch, (int)n, MPI_DOUBLE, mp_comm);
    for (size_t i = 0; i < n; i++) {
        double s = scratch[i];
        for (int r = 1; r < mp_n; r++)
            s += scratch[(size_t)r * n + i];
        x[i] = s;
    }
}

int mp_max_int(int x)
{
    int y = x;
    if (mp_n > 1)
        MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_MAX, mp_comm);
    return y;
}

void mp_bcast(void *buf, size_t bytes, int root)
{
    if (mp_n > 1)
        MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, mp_comm);
}

void mp_send(const void *buf, size_t bytes, int dest)
{
    MPI_Send(buf, (int)bytes, MPI_BYTE, dest, MP_TAG_DATA, mp_comm);
}

void mp_recv(void *buf, size_t bytes, int src)
{
    MPI_Recv(buf, (int)bytes, MPI_BYTE, src, MP_TAG_DATA, mp_comm, MPI_STATUS_IGNORE);
}

size_t mp_probe(int src)
{
    MPI_Status st;
    int n = 0;
    MPI_Probe(src, MP_TAG_DATA, mp_comm, &st);
    MPI_Get_count(&st, MPI_BYTE, &n);
    return (size_t)n;
}

void mp_barrier(void)
{
    if (mp_n > 1)
        MPI_Barrier(mp_comm);
}

void mp_gather_shares(double *buf, long n, size_t width)
{
    if (mp_n == 1)
        return;
    int *cnt = malloc(sizeof(int) * 2 * (size_t)mp_n);
    if (!cnt)
        abort();
    int *off = cnt + mp_n;
    for (int r = 0; r < mp_n; r++) {
        long lo = n * r / mp_n, hi = n * (r + 1) / mp_n;
        cnt[r] = (int)((hi - lo) * (long)width);
        off[r] = (int)(lo * (long)width);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, cnt, off, MPI_DOUBLE, mp_comm);
    free(cnt);
}

void mp_stop_begin(void)
{
    mp_stop_sent = mp_stop_got = mp_stop_ntx = 0;
    mp_stop_in = 0;
    if (mp_n > 1)
        MPI_Irecv(&mp_stop_in, 1, MPI_INT, MPI_ANY_SOURCE, MP_TAG_STOP, mp_stop_comm, &mp_stop_rx);
}

int mp_stop_poll(int local)
{
    if (mp_n == 1)
        return 0;
    static const int one = 1;
    if (local && !mp_stop_sent) {
        for (int r = 0; r < mp_n && mp_stop_ntx < 1024; r++)
            if (r != mp_r)
                MPI_Isend(&one, 1, MPI_INT, r, MP_TAG_STOP, mp_stop_comm, &mp_stop_tx[mp_stop_ntx++]);
        mp_stop_sent = 1;
    }
    if (!mp_stop_got) {
        int done = 0;
        MPI_Test(&mp_stop_rx, &done, MPI_STATUS_IGNORE);
        mp_stop_got = done;
    }
    return mp_stop_got;
}

void mp_stop_end(void)
{
    if (mp_n == 1)
        return;
    /* every rank learns how many stop messages are addressed to it, and takes them all */
    int senders = 0;
    MPI_Allreduce(&mp_stop_sent, &senders, 1, MPI_INT, MPI_SUM, mp_stop_comm);
    int expect = senders - mp_stop_sent;
    if (expect == 0) {
        MPI_Cancel(&mp_stop_rx);
        MPI_Wait(&mp_stop_rx, MPI_STATUS_IGNORE);
    } else {
        if (!mp_stop_got)
            MPI_Wait(&mp_stop_rx, MPI_STATUS_IGNORE);
        for (int k = 1; k < expect; k++) {
            int v;
            MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, MP_TAG_STOP, mp_stop_comm, MPI_STATUS_IGNORE);
        }
    }
    MPI_Waitall(mp_stop_ntx, mp_stop_tx, MPI_STATUSES_IGNORE);
    mp_stop_ntx = 0;
}

#else

int mp_available(void) { return 0; }

int mp_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)argc;
    (void)argv;
    if (mp_launched_size() > 1) {
        snprintf(err, errlen, "launched by mpirun on %d processes, but this vrun was built without MPI "
                              "(reconfigure with -Dmpi=enabled after installing libopenmpi-dev)",
                 mp_launched_size());
        return 1;
    }
    return 0;
}

void mp_finalize(void) {}
int mp_rank(void) { return 0; }
int mp_size(void) { return 1; }
void mp_sum_ordered(double *x, size_t n, double *scratch) { (void)x; (void)n; (void)scratch; }
int mp_max_int(int x) { return x; }
void mp_bcast(void *buf, size_t bytes, int root) { (void)buf; (void)bytes; (void)root; }
/* With one process there is no other rank to talk to: the callers never reach these. */
void mp_send(const void *buf, size_t bytes, int dest) { (void)buf; (void)bytes; (void)dest; abort(); }
void mp_recv(void *buf, size_t bytes, int src) { (void)buf; (void)bytes; (void)src; abort(); }
size_t mp_probe(int src) { (void)src; abort(); }
void mp_barrier(void) {}
void mp_gather_shares(double *buf, long n, size_t width) { (void)buf; (void)n; (void)width; }
void mp_stop_begin(void) {}
int mp_stop_poll(int local) { (void)local; return 0; }
void mp_stop_end(void) {}

#endif
