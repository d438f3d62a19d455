/* The interactive session of `vrun` with no model file (docs/repl.md). */
#ifndef VM_REPL_H
#define VM_REPL_H
#include "vrun/cli.h"

/* Runs the REPL: on the terminal when stdin is one, else (or with --script FILE) as a
 * script with no prompts that stops at the first error.  Returns the exit status. */
int repl_main(const Cli *c);
#endif
