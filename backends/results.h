/* Backend.results of the methods whose state lives in their own files (results.c,
 * cavi.c, map.c): each a new JSON object, see backend.h. */
#ifndef VM_RESULTS_H
#define VM_RESULTS_H

#include "backends/vi_common.h"

struct json_t;
struct json_t *vi_core_results(const ViCore *c);
struct json_t *bbvi_results(void *st);
struct json_t *flow_results(void *st);

#endif
