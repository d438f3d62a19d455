/* Hand-written log density and gradient of a few posteriordb posteriors: the
 * physical limit an interpreter is measured against (bench/gradient.c), written as a
 * C programmer would, with the same constants as vmod (every normalising constant
 * kept, with the log-Jacobian), so the values are comparable with lp_full_jacobian. */
#ifndef VM_BENCH_HANDWRITTEN_H
#define VM_BENCH_HANDWRITTEN_H

#include <stddef.h>

/* The data of every model here: N pairs (x[n], y[n]). */
typedef struct {
    size_t n;
    double *x, *y;
} HwData;

typedef struct {
    const char *posterior;     /* posteriordb name, the folder in shared/posteriordb */
    size_t dim;
    const char *x_name, *y_name; /* keys of x and y in data.json */
    /* log density at unconstrained u, with constants and the log-Jacobian; grad (dim) */
    double (*lp_grad)(const HwData *d, const double *u, double *grad);
} HwModel;

extern const HwModel hw_models[];
extern const size_t hw_nmodels;

const HwModel *hw_find(const char *posterior);
/* Reads x_name and y_name of a CmdStan JSON file.  Returns 0, or -1 with a message
 * in err (err_len bytes). */
int hw_data_load(const HwModel *hm, const char *path, HwData *d, char *err, size_t err_len);
void hw_data_free(HwData *d);

#endif
