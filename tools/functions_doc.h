/* docs/functions.md from the registration tables (tools/functions_doc.c). */
#ifndef VM_FUNCTIONS_DOC_H
#define VM_FUNCTIONS_DOC_H
#include <stdio.h>

/* Write the whole page to f; 0, or -1 on a write error. */
int fdoc_write(FILE *f);

#endif
