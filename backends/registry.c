/* Every inference method, in the order `vrun --help` lists them.
 *
 * To add a method: define `const Backend backend_NAME` in backends/NAME.c, declare it
 * below, and add one row to bk_registry[] (ORDER HELP: the row order is the order of
 * --help).  Nothing else in the driver or the CLI needs to change. */
#include <string.h>
#include "backends/backend.h"

/* ORDER HELP: one declaration per method file (backends/NAME.c). */
extern const Backend backend_nuts;      /* backends/nuts.c     */
extern const Backend backend_mh;        /* backends/mh.c       */
extern const Backend backend_cavi;      /* backends/cavi.c     */
extern const Backend backend_bbvi;      /* backends/bbvi.c     */
extern const Backend backend_flow;      /* backends/flow.c     */
extern const Backend backend_langevin;  /* backends/langevin.c */
extern const Backend backend_map;       /* backends/map.c      */
extern const Backend backend_prior_predictive; /* backends/prior_predictive.c */
extern const Backend backend_dsm;       /* backends/dsm.c      */
extern const Backend backend_npse;      /* backends/dsm.c (alias) */

const Backend *const bk_registry[] = {
    /* ORDER HELP: one row per method, e.g. `&backend_nuts,` (the first is the default). */
    &backend_nuts,
    &backend_mh,
    &backend_cavi,
    &backend_bbvi,
    &backend_flow,
    &backend_langevin,
    &backend_map,
    &backend_prior_predictive,
    &backend_dsm,
    &backend_npse,
    NULL
};

const Backend *bk_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; bk_registry[i]; i++)
        if (strcmp(bk_registry[i]->name, name) == 0)
            return bk_registry[i];
    return NULL;
}
