/* Hooks into the VI backends' state for tests and tools: the shared engine of a bbvi
 * or flow state (as returned by create()). */
#ifndef VM_VI_BACKENDS_H
#define VM_VI_BACKENDS_H

#include "backends/vi_common.h"
#include "backends/flow_layers.h"

extern const Backend backend_bbvi;
extern const Backend backend_flow;

ViCore *bbvi_core(void *st);
ViCore *flow_core(void *st);
/* A bbvi state's final q = N(mu, L L'): mu (dim) and the Cholesky factor L (dim x dim,
 * row-major); returns log|det L|. */
double bbvi_gaussian(void *st, double *mu, double *L);
/* A flow state's layers, the parameters draws come from, and each layer's offset in them. */
size_t flow_layers(void *st, const FlLayer **layers, const double **par, const size_t **off);

#endif
