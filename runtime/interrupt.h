/* One process-wide "stop" request, set from a signal handler (SIGINT, SIGTERM) and
 * read by long computations: the run loop between iterations, the interpreter every
 * VM_INTERRUPT_EVERY iterations of a model's loop (so that `while (1)` in a density
 * ends at a Ctrl-C, not after 10^8 turns). */
#ifndef VM_INTERRUPT_H
#define VM_INTERRUPT_H

#define VM_INTERRUPT_EVERY 100000

/* The signal that asked to stop (SIGINT, SIGTERM), 0 if none.  Async-signal-safe. */
void vm_interrupt_set(int sig);
int vm_interrupt_pending(void);
void vm_interrupt_clear(void);
/* Catch SIGINT and SIGTERM for the whole process with vm_interrupt_set (no
 * SA_RESETHAND: a second signal sets the flag again, it does not kill; no SA_RESTART,
 * so a blocking read returns EINTR). */
void vm_interrupt_catch(void);

#endif
