/* The group of processes vrun runs in: one process (rank 0 of 1) unless launched by
 * mpirun and built with MPI (meson option `mpi`).  Every collective here is called by
 * every rank in the same order; none allocates after mp_init.
 *
 * Only what the driver (run_mpi.c) and the data-parallel density (split.c) need:
 * byte transfers to and from rank 0, a broadcast, an ordered sum, and a stop signal
 * that any rank can raise while the others are busy. */
#ifndef VM_MPI_H
#define VM_MPI_H

#include <stddef.h>

/* Join the group when launched by mpirun (an MPI launcher's environment); outside
 * it, nothing happens and the process is rank 0 of 1.  Returns 0, or 1 with err when
 * launched by mpirun with more than one process but built without MPI (every process
 * would otherwise write the same files). */
int mp_init(int *argc, char ***argv, char *err, size_t errlen);
void mp_finalize(void);
int mp_rank(void);
int mp_size(void);
/* 1 when started by an MPI launcher (mpirun, srun), with any number of processes. */
int mp_launched(void);
/* 1 if this build can run on more than one process. */
int mp_available(void);

/* x[n] summed over the ranks, every rank getting the same bits whatever the
 * reduction tree: the partial vectors are gathered and added in rank order.
 * scratch holds n * mp_size() doubles. */
void mp_sum_ordered(double *x, size_t n, double *scratch);
/* Largest of x over the ranks, on every rank. */
int mp_max_int(int x);
void mp_bcast(void *buf, size_t bytes, int root);
void mp_send(const void *buf, size_t bytes, int dest);
void mp_recv(void *buf, size_t bytes, int src);
/* The size of the next message from src, then mp_recv it. */
size_t mp_probe(int src);
void mp_barrier(void);
/* buf holds n rows of `width` doubles, this rank's share of them filled (rank r of R:
 * rows [n r / R, n (r + 1) / R)); afterwards every rank has every row. */
void mp_gather_shares(double *buf, long n, size_t width);

/* A stop any rank may raise while the others run (a chain failed, Ctrl-C): begin
 * before the work, poll now and then from one thread (local: this rank wants every
 * rank to stop; returns 1 once some other rank asked), end after the work on every
 * rank (it collects every stop message sent, so none is left in flight). */
void mp_stop_begin(void);
int mp_stop_poll(int local);
void mp_stop_end(void);

/* Processes stepping together (a split density) must stop at the same step: a stop
 * is requested locally (from a signal handler: lock-free) and carried by the next
 * collective of the density (split.c), after which every process sees it agreed. */
void mp_request_stop(int on);
int mp_stop_requested(void);
void mp_set_stop_agreed(int on);
int mp_stop_agreed(void);

#endif
