/* vm_interrupt: see interrupt.h.  The one piece of global mutable state of the
 * library, because a signal handler can reach no other. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include "runtime/interrupt.h"

static atomic_int vm_interrupt_sig;   /* lock-free, so a handler may store to it */

void vm_interrupt_set(int sig) { atomic_store(&vm_interrupt_sig, sig ? sig : SIGINT); }
int vm_interrupt_pending(void) { return atomic_load(&vm_interrupt_sig); }
void vm_interrupt_clear(void) { atomic_store(&vm_interrupt_sig, 0); }

static void vm_interrupt_on_signal(int sig) { vm_interrupt_set(sig); }

void vm_interrupt_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = vm_interrupt_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
