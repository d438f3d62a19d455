/* Reading an input file whole, safely (and writing an output whole): in chunks (so pipes, FIFOs and /dev/stdin
 * work, which a size from ftell does not), with a limit (so /dev/zero or a runaway
 * producer ends in an error, not in exhausted memory), and refusing what is not a
 * stream of bytes (a directory, a block device). */
#ifndef VM_READFILE_H
#define VM_READFILE_H

#include <stddef.h>

/* Limits, in bytes.  A model source and a point (--init, --at) are small; a data file
 * may be large but the whole text is held in memory while it is parsed. */
#define VM_MAX_MODEL_BYTES ((size_t)64 << 20)
#define VM_MAX_DATA_BYTES ((size_t)1 << 30)

/* The contents of path, NUL-terminated, malloc'd; *len (may be NULL) its length.
 * On failure NULL, and err holds the reason without the path, naming the file by
 * `what` ("data file": "the data file is a directory, not a file", "cannot open the
 * data file: No such file or directory", "the data file is larger than the limit of
 * 1024 MiB"). */
char *vm_read_file(const char *path, const char *what, size_t limit, size_t *len, char *err, size_t errlen);

/* Write text[0..n) to path whole or not at all: into a temporary file beside it,
 * renamed into place when complete (a path that is a device or a pipe is written
 * directly).  Returns 0, or -1 with err ("cannot write PATH: No space left on device"). */
int vm_write_file(const char *path, const char *text, size_t n, char *err, size_t errlen);

#endif
