/* Included before every source of the library (meson.build: -include): the C
 * library's allocation functions become the library's hookable ones (runtime/alloc.h).
 * The system headers come first, so their declarations keep their own names. */
#ifndef VM_ALLOC_SEAM_H
#define VM_ALLOC_SEAM_H
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "runtime/alloc.h"
#define malloc(n) vm_malloc(n)
#define calloc(n, s) vm_calloc(n, s)
#define realloc(p, n) vm_realloc(p, n)
#define free(p) vm_free(p)
#define strdup(s) vm_strdup(s)
#define strndup(s, n) vm_strndup(s, n)
#endif
