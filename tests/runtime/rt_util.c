/* See rt_util.h. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/runtime/rt_util.h"

VmModel *rt_load(const char *src, const char *json, int *flag, int value)
{
    char *msg = NULL;
    if (flag) *flag = value;
    VmModel *m = vm_model_load(src, strlen(src), "test.vmod", json, "data.json", &msg);
    if (flag) *flag = 0;
    if (!m) fprintf(stderr, "%s\n", msg ? msg : "?");
    free(msg);
    return m;
}

void rt_point(double *u, size_t dim, int pt)
{
    for (size_t i = 0; i < dim; i++) u[i] = 0.9 * sin(1.3 * (double)i + 2.1 * pt + 0.4);
}

void rt_fd_check(VmEval *e, double *u, size_t dim, const char *name)
{
    double g[64], gx[64], lp, up, dn;
    ck_assert_uint_le(dim, 64);
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    for (size_t i = 0; i < dim; i++) {
        double h = 1e-6 * fmax(1, fabs(u[i])), ui = u[i];
        u[i] = ui + h;
        vm_log_density(e, u, 1, &up, gx);
        u[i] = ui - h;
        vm_log_density(e, u, 1, &dn, gx);
        u[i] = ui;
        double fd = (up - dn) / (2 * h);
        ck_assert_msg(fabs(fd - g[i]) <= 1e-5 * fmax(1, fabs(g[i])), "%s: grad[%zu] %.10g, differences %.10g", name, i,
                      g[i], fd);
    }
}

void rt_fd_points(VmEval *e, size_t dim, int npts, const char *name)
{
    double u[64];
    ck_assert_uint_le(dim, 64);
    for (int pt = 0; pt < npts; pt++) {
        rt_point(u, dim, pt);
        rt_fd_check(e, u, dim, name);
    }
}

int rt_same_at(VmEval *ef, VmEval *es, const double *u, size_t dim, const char *name, double lp_tol)
{
    return rt_same_at_jac(ef, es, u, dim, name, lp_tol, 1);
}

int rt_same_at_jac(VmEval *ef, VmEval *es, const double *u, size_t dim, const char *name, double lp_tol, int jacobian)
{
    double gf[64], gs[64], lf, ls;
    ck_assert_uint_le(dim, 64);
    int rf = vm_log_density(ef, u, jacobian, &lf, gf), rs = vm_log_density(es, u, jacobian, &ls, gs);
    ck_assert_int_eq(rf, rs);
    ck_assert_str_eq(vm_eval_message(ef), vm_eval_message(es));
    if (isinf(ls)) {
        ck_assert(isinf(lf) && lf < 0);
        return 0;
    }
    ck_assert_msg(fabs(lf - ls) <= lp_tol * fmax(1, fabs(ls)), "%s: lp %.17g vs %.17g", name, lf, ls);
    for (size_t i = 0; i < dim; i++)
        ck_assert_msg(fabs(gf[i] - gs[i]) <= 1e-10 * fmax(1, fabs(gs[i])), "%s: grad[%zu] %.17g vs %.17g", name, i,
                      gf[i], gs[i]);
    double lv;                        /* the value alone (no gradient) agrees too */
    ck_assert_int_eq(vm_log_density(ef, u, jacobian, &lv, NULL), rf);
    ck_assert(fabs(lv - lf) <= 1e-12 * fmax(1, fabs(lf)));
    return 1;
}
