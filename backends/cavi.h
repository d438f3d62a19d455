/* CAVI's state, for tests and benchmarks that drive backend_cavi directly. */
#ifndef VM_CAVI_H
#define VM_CAVI_H
#include "backends/backend.h"
#include "backends/conj.h"

extern const Backend backend_cavi;
double cavi_elbo(const void *st);            /* after the last sweep */
long cavi_sweeps(const void *st);            /* sweeps of the current restart */
long cavi_restart(const void *st);           /* 0-based restart under way */
const CjModel *cavi_model(const void *st);
const CjBlock *cavi_block(const void *st, const char *name);
#endif
