#ifndef VM_DATA_JSON_H
#define VM_DATA_JSON_H
#include <stddef.h>
#include "runtime/eval.h"
/* Parse a CmdStan JSON data text; NULL and err on failure. */
void *data_json_parse(const char *text, const char *file, char *err, size_t errlen);
/* Fill v (already shaped by its declaration) from root[name].  Returns 0, 1 if the
 * name is absent, -1 with err naming the variable and element. */
int data_json_read(void *root, const char *name, Val *v, char *err, size_t errlen);
/* Check that root[name] has the shape dims[0..nd) (row-major nesting) without
 * storing anything, so that a wrong shape is named before the value is allocated.
 * Returns 0 (or 1 if absent), -1 with the same message data_json_read would give. */
int data_json_shape(void *root, const char *name, int nd, const int *dims, char *err, size_t errlen);
const char *data_json_next_key(void *root, void **iter);
void data_json_free(void *root);
#endif
