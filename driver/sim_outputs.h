/* Simulated data as extra output columns of a run (used by --method=prior-predictive). */
#ifndef VM_SIM_OUTPUTS_H
#define VM_SIM_OUTPUTS_H
#include "driver/run.h"
#include "runtime/vmod.h"

typedef struct SimOutputs SimOutputs;

/* Rewrite rm in place so that each output row is followed by the data simulated
 * given the row's parameters (names "y.1", ...).  NULL with *msg (malloc'd, the
 * rendered refusal) when m cannot be simulated.  Free after the run. */
SimOutputs *sim_outputs_wrap(RunModel *rm, const VmModel *m, char **msg);
void sim_outputs_free(SimOutputs *so);
#endif
