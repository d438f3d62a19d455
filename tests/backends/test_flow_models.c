/* Flows against full-rank Gaussian VI on the test models of examples/flows/, written as
 * .vmod and run through the whole stack (parser, runtime, transforms) with default
 * settings: the funnel in 2 and 10 dimensions, a banana and a bimodal mixture, whose
 * answers are known in closed form (see each file's header).  All four densities are
 * normalised, so the ELBO is -KL(q || p). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "tests/backends/vi_targets.h"

typedef struct Loaded { VmModel *m; VmEval *e; BkTarget t; } Loaded;

static int model_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density(ctx, u, 1, lp, grad);
}

static void load(const char *name, Loaded *l)
{
    char path[1024], *msg = NULL;
    snprintf(path, sizeof path, "%s/examples/flows/%s.vmod", getenv("VMOD_SRC") ? getenv("VMOD_SRC") : ".", name);
    l->m = vm_model_load_file(path, NULL, &msg);
    ck_assert_msg(l->m != NULL, "%s: %s", path, msg ? msg : "?");
    l->e = vm_eval_new(l->m);
    l->t = (BkTarget){.dim = vm_model_dim(l->m), .logp = model_logp, .ctx = l->e};
}

static void unload(Loaded *l)
{
    vm_eval_free(l->e);
    vm_model_free(l->m);
}

/* flow and fullrank with defaults (bar the iteration cap and the flow's draws per
 * step, mc: 0 for the default), 20000 draws each */
static void duel(Loaded *l, long iters, long mc, int check_khat, VtRun *flow, VtRun *full, const char *name)
{
    double u0[VT_MAXD] = {0};
    /* 10000 evaluation draws: from 1000 the Gaussian's k-hat on the banana came out
     * 0.6 (its weights' tail is heavy only far out), from 10000 0.70-1.02 */
    BkOpt fo[] = {{"eval-draws", "10000"}, {NULL, NULL}};
    BkOpt fr[] = {{"family", "fullrank"}, {"eval-draws", "10000"}, {NULL, NULL}};
    vt_run(&backend_flow, &l->t, fo, 1, iters, mc, 0, 5, 20000, u0, 0, flow);
    vt_run(&backend_bbvi, &l->t, fr, 2, iters, 0, 0, 5, 20000, u0, 0, full);
    for (int k = 0; k < 2; k++) {
        VtRun *o = k ? full : flow;
        printf("%-9s %-8s iters %5ld conv %d KL %7.4f ± %.4f k-hat %5.2f  mean[0] %6.3f sd[0] %6.3f"
               "  mean[1] %6.3f sd[1] %6.3f\n", name, k ? "fullrank" : "flow", o->stats.iters,
               o->stats.converged, -o->stats.elbo, o->stats.elbo_se, o->stats.khat, o->mean[0], o->sd[0],
               o->mean[1], o->sd[1]);
        ck_assert_msg(o->rc == BK_DONE || o->rc == BK_OK, "%s: %s", name, o->err);
    }
    /* the richer family is closer to the posterior, beyond the Monte Carlo error */
    double se = hypot(flow->stats.elbo_se, full->stats.elbo_se);
    ck_assert_msg(flow->stats.elbo > full->stats.elbo + 4 * se, "%s: ELBO flow %g, fullrank %g", name,
                  flow->stats.elbo, full->stats.elbo);
    /* k-hat is lower, within its sampling noise (sd near 0.05 at 10000 draws), or both
     * fits are usable (< 0.7: a Gaussian wider than a bimodal target has bounded weights
     * and a negative k-hat).  NaN: the weights are flat, q matches p. */
    if (check_khat && !isnan(flow->stats.khat) && !isnan(full->stats.khat))
        ck_assert_msg(flow->stats.khat < fmax(full->stats.khat + 0.05, 0.7), "%s: k-hat flow %g, fullrank %g",
                      name, flow->stats.khat, full->stats.khat);
}

START_TEST(funnel2)
{
    Loaded l;
    load("funnel2", &l);
    VtRun flow, full;
    duel(&l, 30000, 0, 1, &flow, &full, "funnel2");
    /* v's marginal is N(0, 3): the flow gets its sd within 10%, a Gaussian cannot widen
     * the funnel's mouth */
    ck_assert_msg(fabs(flow.sd[0] / 3 - 1) < 0.10, "flow sd(v) %g, exact 3", flow.sd[0]);
    ck_assert_msg(fabs(flow.mean[0]) < 0.45, "flow mean(v) %g", flow.mean[0]);
    ck_assert_msg(full.sd[0] < 2, "fullrank sd(v) %g", full.sd[0]);
    unload(&l);
}
END_TEST

START_TEST(funnel10)
{
    Loaded l;
    load("funnel10", &l);
    VtRun flow, full;
    /* nine coordinates squeezed by exp(v / 2).  With the path gradient (--stl, the
     * default) sd(v) from 10000 draws was 2.66-2.82 over seeds 1-6 at the default 8 draws
     * per step and 2.83-2.89 at 32 (without it: 2.28-2.48, 17-24% short): the tail of a
     * funnel needs the quieter gradient */
    duel(&l, 40000, 32, 1, &flow, &full, "funnel10");
    ck_assert_msg(fabs(flow.sd[0] / 3 - 1) < 0.10, "flow sd(v) %g, exact 3", flow.sd[0]);
    ck_assert_msg(full.sd[0] < 2, "fullrank sd(v) %g", full.sd[0]);
    unload(&l);
}
END_TEST

START_TEST(banana)
{
    Loaded l;
    load("banana", &l);
    VtRun flow, full;
    duel(&l, 30000, 0, 1, &flow, &full, "banana");
    ck_assert_msg(-flow.stats.elbo < 0.2, "flow KL %g", -flow.stats.elbo);
    ck_assert_msg(flow.mean[1] > 0.55 && flow.mean[1] < 1.2, "flow E x2 %g, exact 1", flow.mean[1]);
    ck_assert_msg(full.mean[1] < 0.5, "fullrank E x2 %g", full.mean[1]);
    unload(&l);
}
END_TEST

START_TEST(bimodal)
{
    Loaded l;
    load("bimodal", &l);
    VtRun flow, full;
    duel(&l, 30000, 0, 1, &flow, &full, "bimodal");
    /* both modes, each with half the mass: mean 0, sd 1.3 */
    ck_assert_msg(-flow.stats.elbo < 0.1, "flow KL %g", -flow.stats.elbo);
    ck_assert_msg(fabs(flow.mean[0]) < 0.2, "flow mean %g", flow.mean[0]);
    ck_assert_msg(fabs(flow.sd[0] / 1.3 - 1) < 0.1, "flow sd %g, exact 1.3", flow.sd[0]);
    ck_assert_msg(-full.stats.elbo > 0.25, "fullrank KL %g", -full.stats.elbo);
    unload(&l);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("flow_models");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, funnel2);
    tcase_add_test(tc, funnel10);
    tcase_add_test(tc, banana);
    tcase_add_test(tc, bimodal);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
