/* bench_gradient: cost of one log density + gradient for every shared posteriordb
 * posterior, through the public API (vm_log_density, with the Jacobian), at the six
 * points of its gradients.json in turn.
 *
 * Prints per posterior: CPU microseconds per gradient (this thread's CPU time, not
 * wall time, so other jobs on a shared machine do not inflate it; the median over
 * batches of the time per evaluation), gradients per
 * second, bytes and allocating calls per gradient after warm-up (should be 0: the
 * tape is reset, not freed), the largest gradient error against Stan, and for the
 * posteriors of bench/handwritten.c the hand-written C time and our ratio to it.
 * The hand-written gradients are first checked against gradients.json, so the
 * baseline is known right.
 *
 * usage: bench_gradient [--budget=SECONDS] [--calls=N] [NAME-SUBSTRING ...]
 * --calls=N skips the timing and runs exactly N gradients per posterior after the
 * error check: for `valgrind --tool=callgrind --toggle-collect=bn_vm_eval`, whose
 * instruction count per call of bn_vm_eval is repeatable on a loaded machine (and as
 * many hand-written gradients, for --toggle-collect=bn_hw_eval).
 * Paths: $VMOD_SHARED/posteriordb and $VMOD_SRC/examples/posteriordb, defaulting to
 * the source tree this was built from.  Exit status 1 if a model fails to load or a
 * gradient is wrong; timings never fail. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <cblas.h>

#include "runtime/vmod.h"
#include "bench/alloc_count.h"
#include "bench/handwritten.h"
#include "bench/timing.h"

#ifndef VM_BENCH_SRC_DIR
#define VM_BENCH_SRC_DIR "."
#endif

#define BN_MAX_POSTERIORS 64
#define BN_GRAD_TOL 1e-8         /* hand-written vs Stan, README's exact-derivative figure */
#define BN_LP_TOL 1e-10

typedef struct {
    size_t dim, npts;
    double *u;            /* npts x dim */
    double *lp;           /* lp_full_jacobian per point */
    double *grad;         /* npts x dim, grad_jacobian */
} BnPoints;

static int bn_points_load(const char *path, BnPoints *p)
{
    json_error_t je;
    json_t *g = json_load_file(path, 0, &je);
    if (g == NULL) {
        fprintf(stderr, "bench_gradient: %s: %s\n", path, je.text);
        return -1;
    }
    json_t *pts = json_object_get(g, "points");
    p->dim = (size_t)json_integer_value(json_object_get(g, "dimension"));
    p->npts = json_array_size(pts);
    p->u = malloc((p->npts * p->dim + 1) * sizeof *p->u);
    p->grad = malloc((p->npts * p->dim + 1) * sizeof *p->grad);
    p->lp = malloc((p->npts + 1) * sizeof *p->lp);
    if (p->u == NULL || p->grad == NULL || p->lp == NULL || p->npts == 0) {
        json_decref(g);
        return -1;
    }
    for (size_t k = 0; k < p->npts; k++) {
        json_t *pt = json_array_get(pts, k);
        json_t *u = json_object_get(pt, "unconstrained"), *gr = json_object_get(pt, "grad_jacobian");
        for (size_t i = 0; i < p->dim; i++) {
            p->u[k * p->dim + i] = json_number_value(json_array_get(u, i));
            p->grad[k * p->dim + i] = json_number_value(json_array_get(gr, i));
        }
        p->lp[k] = json_number_value(json_object_get(pt, "lp_full_jacobian"));
    }
    json_decref(g);
    return 0;
}

static void bn_points_free(BnPoints *p)
{
    free(p->u);
    free(p->grad);
    free(p->lp);
}

/* Largest |g - g_stan| / max(1, |g_stan|) and lp error over the points. */
static void bn_errors(BnEval f, void *ctx, const BnPoints *p, double *g, double *gerr, double *lerr)
{
    *gerr = *lerr = 0.0;
    for (size_t k = 0; k < p->npts; k++) {
        double lp = f(ctx, p->u + k * p->dim, g);
        double e = fabs(lp - p->lp[k]) / fmax(1.0, fabs(p->lp[k]));
        *lerr = isnan(e) || e > *lerr ? e : *lerr;
        for (size_t i = 0; i < p->dim; i++) {
            double ref = p->grad[k * p->dim + i];
            e = fabs(g[i] - ref) / fmax(1.0, fabs(ref));
            *gerr = isnan(e) || e > *gerr ? e : *gerr;
        }
    }
}

/* Stan's compiled C++ (stan::model::log_prob_grad in a tight loop), microseconds per
 * gradient on this machine class, as measured for issue 18: the baseline of the shared
 * posteriors that have no hand-written C here.  Keyed by the posteriordb model name
 * (the part after the dash). */
static const struct { const char *model; double us; } bn_stan[] = {
    {"dogs", 86.2}, {"garch11", 14.0}, {"arK", 13.7}, {"wells_dist", 84.7},
    {"radon_pooled", 36.4}, {"radon_hierarchical_intercept_noncentered", 66.9},
    {"low_dim_gauss_mix", 101}, {"kidscore_momiq", 10.1}, {"earn_height", 27.5},
    {"logmesquite", 5.13}, {"GLM_Poisson_model", 2.84}, {"gp_pois_regr", 3.87},
};

static double bn_stan_us(const char *posterior)
{
    const char *dash = strchr(posterior, '-');
    const char *model = dash ? dash + 1 : posterior;
    for (size_t i = 0; i < sizeof bn_stan / sizeof bn_stan[0]; i++)
        if (strcmp(bn_stan[i].model, model) == 0)
            return bn_stan[i].us;
    return NAN;
}

/* log of our time over Stan's, summed over the posteriors that have both */
static double bn_log_ratio_sum;
static int bn_log_ratio_n;

static double bn_vm_eval(void *ctx, const double *u, double *g)
{
    double lp = NAN;
    if (vm_log_density(ctx, u, 1, &lp, g) != 0)
        return NAN;
    return lp;
}

typedef struct {
    const HwModel *hm;
    HwData data;
} BnHw;

static double bn_hw_eval(void *ctx, const double *u, double *g)
{
    BnHw *h = ctx;
    return h->hm->lp_grad(&h->data, u, g);
}

static int bn_cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* One posterior: returns 0, or 1 if it failed to load or a gradient is wrong. */
static int bn_posterior(const char *shared, const char *src, const char *name, double budget, long calls)
{
    char *gpath = NULL, *dpath = NULL, *mpath = NULL;
    BnPoints pts = {0};
    if (asprintf(&gpath, "%s/posteriordb/%s/gradients.json", shared, name) < 0
        || asprintf(&dpath, "%s/posteriordb/%s/data.json", shared, name) < 0
        || asprintf(&mpath, "%s/examples/posteriordb/%s.vmod", src, name) < 0
        || bn_points_load(gpath, &pts) != 0) {
        bn_points_free(&pts);
        free(gpath);
        free(dpath);
        free(mpath);
        return 1;
    }
    int fail = 0;
    double *g = malloc((pts.dim + 1) * sizeof *g);
    printf("%-50s %4zu", name, pts.dim);

    char *msg = NULL;
    VmModel *m = vm_model_load_file(mpath, dpath, &msg);
    VmEval *e = m ? vm_eval_new(m) : NULL;
    BnResult ours = {NAN, NAN, NAN};
    if (e == NULL || vm_model_dim(m) != pts.dim) {
        /* the first line of the diagnostics is enough here */
        printf("  cannot run: %.*s", msg ? (int)strcspn(msg, "\n") : 40,
               msg ? msg : "wrong dimension or no evaluator");
        fail = 1;
    } else {
        double gerr, lerr;
        bn_errors(bn_vm_eval, e, &pts, g, &gerr, &lerr);
        if (calls > 0) {
            volatile double sink = 0.0;
            for (long k = 0; k < calls; k++) sink += bn_vm_eval(e, pts.u + (size_t)(k % (long)pts.npts) * pts.dim, g);
            (void)sink;
        } else
            bn_time(bn_vm_eval, e, pts.u, pts.npts, pts.dim, g, budget, &ours);
        printf(" %10.3f %11.0f %9.1f %7.2f %9.1e", ours.us, 1e6 / ours.us, ours.bytes,
               ours.calls, gerr);
        fail |= !(gerr <= 1e-5);   /* the loosest figure the test allows; it checks finer */
    }
    double stan = bn_stan_us(name);
    if (isnan(stan) || !(ours.us > 0))
        printf(" %8s %8s", "-", "-");
    else {
        printf(" %8.2f %7.2fx", stan, ours.us / stan);
        bn_log_ratio_sum += log(ours.us / stan);
        bn_log_ratio_n++;
    }
    free(msg);

    const HwModel *hm = hw_find(name);
    if (hm != NULL) {
        BnHw h = {hm, {0}};
        char err[512];
        if (hm->dim != pts.dim || hw_data_load(hm, dpath, &h.data, err, sizeof err) != 0) {
            printf("  hand-written: %s", hm->dim != pts.dim ? "wrong dimension" : err);
            fail = 1;
        } else {
            double gerr, lerr;
            bn_errors(bn_hw_eval, &h, &pts, g, &gerr, &lerr);
            if (!(gerr <= BN_GRAD_TOL && lerr <= BN_LP_TOL)) {
                printf("  hand-written WRONG: grad err %.2e, lp err %.2e", gerr, lerr);
                fail = 1;
            } else if (calls > 0) {
                volatile double sink = 0.0;   /* for --toggle-collect=bn_hw_eval */
                for (long k = 0; k < calls; k++)
                    sink += bn_hw_eval(&h, pts.u + (size_t)(k % (long)pts.npts) * pts.dim, g);
                (void)sink;
            } else {
                BnResult hw;
                bn_time(bn_hw_eval, &h, pts.u, pts.npts, pts.dim, g, budget, &hw);
                printf(" %9.3f %7.1fx", hw.us, ours.us / hw.us);
            }
            hw_data_free(&h.data);
        }
    }
    printf("\n");
    fflush(stdout);
    vm_eval_free(e);
    if (m)
        vm_model_free(m);
    free(g);
    bn_points_free(&pts);
    free(gpath);
    free(dpath);
    free(mpath);
    return fail;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    /* the time measured is this thread's CPU time: BLAS threads would hide work */
    openblas_set_num_threads(1);
    double budget = 0.3;
    long calls = 0;
    if (bn_args(argc, argv, "bench_gradient", &budget, &calls))
        return 0;
    const char *src = getenv("VMOD_SRC") ? getenv("VMOD_SRC") : VM_BENCH_SRC_DIR;
    char *shared_default = NULL, *dirpath = NULL;
    if (asprintf(&shared_default, "%s/../shared", src) < 0)
        return 1;
    const char *shared = getenv("VMOD_SHARED") ? getenv("VMOD_SHARED") : shared_default;
    if (asprintf(&dirpath, "%s/posteriordb", shared) < 0)
        return 1;
    DIR *dir = opendir(dirpath);
    if (dir == NULL) {
        fprintf(stderr, "bench_gradient: cannot open %s\n", dirpath);
        return 1;
    }
    free(dirpath);
    static char names[BN_MAX_POSTERIORS][256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL && n < BN_MAX_POSTERIORS) {
        if (de->d_name[0] == '.' || strchr(de->d_name, '.') != NULL
            || strlen(de->d_name) >= sizeof names[0] || !bn_selected(de->d_name, argc, argv))
            continue;
        strcpy(names[n++], de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], bn_cmp_names);

    printf("%-50s %4s %10s %11s %9s %7s %9s %8s %8s %9s %8s\n", "posterior", "dim", "cpu us/gr",
           "grad/s", "bytes/gr", "allocs", "grad err", "Stan us", "vs Stan", "C us", "vs C");
    int fail = 0;
    for (size_t i = 0; i < n; i++)
        fail |= bn_posterior(shared, src, names[i], budget, calls);
    if (bn_log_ratio_n > 0)
        printf("geometric mean of our time over Stan's, %d posteriors: %.3fx\n", bn_log_ratio_n,
               exp(bn_log_ratio_sum / bn_log_ratio_n));
    free(shared_default);
    return fail;
}
