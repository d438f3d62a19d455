/* gen_functions_doc [OUT.md]: write docs/functions.md (to stdout without OUT). */
#include <stdio.h>
#include "tools/functions_doc.h"

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "w") : stdout;
    if (!f) { perror(argv[1]); return 1; }
    int rc = fdoc_write(f);
    if (argc > 1 && fclose(f) != 0) rc = -1;
    if (rc) { fprintf(stderr, "gen_functions_doc: write error\n"); return 1; }
    return 0;
}
