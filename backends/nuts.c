/* Multinomial No-U-Turn sampler, transition for transition Stan's base_nuts
 * (Stan >= 2.26; Betancourt 2017, "A conceptual introduction to HMC", appendix A):
 * the trajectory doubles in a random direction; a new subtree replaces the sample
 * with probability min(1, w_new / w_old) (biased progressive sampling), points
 * inside a subtree are drawn in proportion to exp(-H) (multinomial sampling); it
 * stops on the generalised no-U-turn criterion over the merged trajectory and,
 * since 2.26, across the boundary between the two merged halves.
 * Warm-up (nuts_adapt.c): Stan's windows, dual averaging, regularised metric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/backend.h"
#include "backends/nuts.h"

#define NUTS_MAX_DELTA_H 1000.0
#define NUTS_MAX_DEPTH_LIMIT 30

enum { NUTS_UNIT, NUTS_DIAG, NUTS_DENSE };

typedef struct NutsPoint {
    double *q, *p, *g;  /* position, momentum, gradient of log p (= -dV/dq) */
    double V;           /* potential -log p; +inf outside the support */
} NutsPoint;

/* Scratch of one recursion level of build_tree (Stan allocates these per call). */
typedef struct NutsLevel {
    double *p_init_end, *ps_init_end, *rho_init;
    double *p_final_beg, *ps_final_beg, *rho_final;
    NutsPoint z_final;
} NutsLevel;

typedef struct Nuts {
    size_t d;
    int metric, max_depth;
    long warmup;
    double delta, eps_init;
    NutsPoint z, z_fwd, z_bck, z_sample, z_propose, z_save;
    /* momenta and sharp momenta at the ends of the forward and backward subtrees */
    double *p_ff, *ps_ff, *p_fb, *ps_fb, *p_bf, *ps_bf, *p_bb, *ps_bb;
    double *rho, *rho_fwd, *rho_bck, *tmp, *htmp;
    double *minv, *chol;     /* inverse metric (d or d*d) and its Cholesky factor (dense) */
    NutsLevel *lv;           /* max_depth + 1 levels */
    double *mem;             /* the one block every vector lives in */
    NutsWindow win;
    NutsDual dual;
    NutsWelford wf;
    int adapting, adapted;   /* warm-up running / finished */
    double nom_eps, eps;
    /* the last transition, for draw() */
    double accept, energy;
    int depth, n_leapfrog, divergent;
    /* the transition's context */
    const BkTarget *t;
    gsl_rng *r;
    int fail;
    char fail_msg[200];
} Nuts;

static const BkOption nuts_options[] = {
    {"max-depth", "int", "10", "maximum tree depth (at most 2^depth - 1 leapfrog steps)"},
    {"adapt-delta", "real", "0.8", "target mean acceptance statistic of step-size adaptation"},
    {"metric", "string", "diag_e", "diag_e (adapted diagonal), dense_e (adapted dense), unit_e"},
    {"stepsize", "real", "1", "initial step size"},
    {NULL, NULL, NULL, NULL}};

static const char *const nuts_columns[] = {"accept_stat__", "stepsize__", "treedepth__",
                                           "n_leapfrog__", "divergent__", "energy__", NULL};

const Backend backend_nuts;

/* ---- vectors ---- */

static void vcopy(double *dst, const double *src, size_t d)
{
    if (d)
        memcpy(dst, src, d * sizeof *dst);
}

static void vzero(double *x, size_t d)
{
    if (d)
        memset(x, 0, d * sizeof *x);
}

static void pt_copy(NutsPoint *dst, const NutsPoint *src, size_t d)
{
    vcopy(dst->q, src->q, d);
    vcopy(dst->p, src->p, d);
    vcopy(dst->g, src->g, d);
    dst->V = src->V;
}

static double log_sum_exp(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    double m = a > b ? a : b;
    return m + log(exp(a - m) + exp(b - m));
}

/* Criterion on rho = a + b without storing the sum. */
static int crit_sum(const double *ps_minus, const double *ps_plus, const double *a, const double *b,
                    size_t d)
{
    double x = 0, y = 0;
    for (size_t i = 0; i < d; i++) {
        double r = a[i] + b[i];
        x += ps_plus[i] * r;
        y += ps_minus[i] * r;
    }
    return x > 0 && y > 0;
}

/* ---- the Hamiltonian: H = V(q) + p' M^{-1} p / 2 (Stan's unit_e, diag_e, dense_e) ---- */

static void nuts_dtau(const Nuts *s, const double *p, double *out)
{
    size_t d = s->d;
    if (s->metric == NUTS_UNIT) {
        vcopy(out, p, d);
    } else if (s->metric == NUTS_DIAG) {
        for (size_t i = 0; i < d; i++)
            out[i] = s->minv[i] * p[i];
    } else {
        for (size_t i = 0; i < d; i++) {
            double a = 0;
            for (size_t j = 0; j < d; j++)
                a += s->minv[i * d + j] * p[j];
            out[i] = a;
        }
    }
}

static double nuts_H(Nuts *s, const NutsPoint *z)
{
    double k = 0;
    nuts_dtau(s, z->p, s->htmp);
    for (size_t i = 0; i < s->d; i++)
        k += z->p[i] * s->htmp[i];
    return z->V + 0.5 * k;
}

/* p ~ N(0, M): for dense, p = L^{-T} u with M^{-1} = L L^T (Stan: llt().matrixU().solve). */
static void nuts_sample_p(Nuts *s, double *p)
{
    size_t d = s->d;
    for (size_t i = 0; i < d; i++)
        p[i] = gsl_ran_gaussian_ziggurat(s->r, 1.0);
    if (s->metric == NUTS_DIAG) {
        for (size_t i = 0; i < d; i++)
            p[i] /= sqrt(s->minv[i]);
    } else if (s->metric == NUTS_DENSE) {
        for (size_t i = d; i-- > 0;) {
            double a = p[i];
            for (size_t k = i + 1; k < d; k++)
                a -= s->chol[k * d + i] * p[k];
            p[i] = a / s->chol[i * d + i];
        }
    }
}

/* V and gradient at z->q.  A point outside the support has V = +inf; an error that
 * must stop the run is remembered in s->fail and also ends the trajectory. */
static void nuts_eval(Nuts *s, NutsPoint *z)
{
    double lp = 0;
    if (s->t->logp(s->t->ctx, z->q, &lp, z->g) != 0) {
        s->fail = 1;
        z->V = INFINITY;
        return;
    }
    z->V = isfinite(lp) ? -lp : INFINITY;
}

/* Stan's expl_leapfrog: half step in p, full step in q, half step in p. */
static void nuts_leapfrog(Nuts *s, NutsPoint *z, double eps)
{
    size_t d = s->d;
    for (size_t i = 0; i < d; i++)
        z->p[i] += 0.5 * eps * z->g[i];
    nuts_dtau(s, z->p, s->tmp);
    for (size_t i = 0; i < d; i++)
        z->q[i] += eps * s->tmp[i];
    nuts_eval(s, z);
    for (size_t i = 0; i < d; i++)
        z->p[i] += 0.5 * eps * z->g[i];
}

/* ---- the tree ---- */

/* Stan's build_tree: a subtree of 2^depth leapfrog steps from s->z in direction sign.
 * ps_beg/p_beg: (sharp) momentum at the end next to the existing trajectory,
 * ps_end/p_end: at the far end.  Returns 0 when the subtree diverged or U-turned. */
static int nuts_build(Nuts *s, int depth, NutsPoint *z_propose, double *ps_beg, double *ps_end,
                      double *rho, double *p_beg, double *p_end, double H0, double sign,
                      double *lsw, double *sum_metro)
{
    size_t d = s->d;
    if (depth == 0) {
        nuts_leapfrog(s, &s->z, sign * s->eps);
        s->n_leapfrog++;
        double h = nuts_H(s, &s->z);
        if (isnan(h))
            h = INFINITY;
        if (h - H0 > NUTS_MAX_DELTA_H || s->fail)
            s->divergent = 1;
        *lsw = log_sum_exp(*lsw, H0 - h);
        *sum_metro += H0 - h > 0 ? 1.0 : exp(H0 - h);
        pt_copy(z_propose, &s->z, d);
        nuts_dtau(s, s->z.p, ps_beg);
        vcopy(ps_end, ps_beg, d);
        for (size_t i = 0; i < d; i++)
            rho[i] += s->z.p[i];
        vcopy(p_beg, s->z.p, d);
        vcopy(p_end, s->z.p, d);
        return !s->divergent;
    }
    NutsLevel *L = &s->lv[depth];
    double lsw_init = -INFINITY, lsw_final = -INFINITY;
    vzero(L->rho_init, d);
    if (!nuts_build(s, depth - 1, z_propose, ps_beg, L->ps_init_end, L->rho_init, p_beg,
                    L->p_init_end, H0, sign, &lsw_init, sum_metro))
        return 0;
    vzero(L->rho_final, d);
    if (!nuts_build(s, depth - 1, &L->z_final, L->ps_final_beg, ps_end, L->rho_final,
                    L->p_final_beg, p_end, H0, sign, &lsw_final, sum_metro))
        return 0;

    /* multinomial sample within the subtree */
    double lsw_sub = log_sum_exp(lsw_init, lsw_final);
    *lsw = log_sum_exp(*lsw, lsw_sub);
    if (lsw_final > lsw_sub || gsl_rng_uniform(s->r) < exp(lsw_final - lsw_sub))
        pt_copy(z_propose, &L->z_final, d);

    /* the merged subtree, then the checks across its two halves (Stan >= 2.26) */
    int ok = crit_sum(ps_beg, ps_end, L->rho_init, L->rho_final, d) &&
             crit_sum(ps_beg, L->ps_final_beg, L->rho_init, L->p_final_beg, d) &&
             crit_sum(L->ps_init_end, ps_end, L->rho_final, L->p_init_end, d);
    for (size_t i = 0; i < d; i++)
        rho[i] += L->rho_init[i] + L->rho_final[i];
    return ok;
}

/* One NUTS transition from s->z (whose V and g are current); leaves the sample in s->z. */
static void nuts_transition(Nuts *s)
{
    size_t d = s->d;
    s->eps = s->nom_eps;
    nuts_sample_p(s, s->z.p);
    pt_copy(&s->z_fwd, &s->z, d);
    pt_copy(&s->z_bck, &s->z, d);
    pt_copy(&s->z_sample, &s->z, d);
    pt_copy(&s->z_propose, &s->z, d);

    vcopy(s->p_ff, s->z.p, d);
    nuts_dtau(s, s->z.p, s->ps_ff);
    vcopy(s->p_fb, s->p_ff, d);
    vcopy(s->ps_fb, s->ps_ff, d);
    vcopy(s->p_bf, s->p_ff, d);
    vcopy(s->ps_bf, s->ps_ff, d);
    vcopy(s->p_bb, s->p_ff, d);
    vcopy(s->ps_bb, s->ps_ff, d);
    vcopy(s->rho, s->z.p, d);

    double lsw = 0;  /* log(exp(H0 - H0)) */
    double H0 = nuts_H(s, &s->z), sum_metro = 0;
    s->n_leapfrog = 0;
    s->depth = 0;
    s->divergent = 0;

    while (s->depth < s->max_depth) {
        double lsw_sub = -INFINITY;
        int valid;
        vzero(s->rho_fwd, d);
        vzero(s->rho_bck, d);
        if (gsl_rng_uniform(s->r) > 0.5) {
            /* extend forward: the old trajectory becomes the backward subtree */
            pt_copy(&s->z, &s->z_fwd, d);
            vcopy(s->rho_bck, s->rho, d);
            vcopy(s->p_bf, s->p_ff, d);
            vcopy(s->ps_bf, s->ps_ff, d);
            valid = nuts_build(s, s->depth, &s->z_propose, s->ps_fb, s->ps_ff, s->rho_fwd, s->p_fb,
                               s->p_ff, H0, 1.0, &lsw_sub, &sum_metro);
            pt_copy(&s->z_fwd, &s->z, d);
        } else {
            pt_copy(&s->z, &s->z_bck, d);
            vcopy(s->rho_fwd, s->rho, d);
            vcopy(s->p_fb, s->p_bb, d);
            vcopy(s->ps_fb, s->ps_bb, d);
            valid = nuts_build(s, s->depth, &s->z_propose, s->ps_bf, s->ps_bb, s->rho_bck, s->p_bf,
                               s->p_bb, H0, -1.0, &lsw_sub, &sum_metro);
            pt_copy(&s->z_bck, &s->z, d);
        }
        if (!valid)
            break;
        s->depth++;

        /* biased progressive sampling between the old trajectory and the new subtree */
        if (lsw_sub > lsw || gsl_rng_uniform(s->r) < exp(lsw_sub - lsw))
            pt_copy(&s->z_sample, &s->z_propose, d);
        lsw = log_sum_exp(lsw, lsw_sub);

        for (size_t i = 0; i < d; i++)
            s->rho[i] = s->rho_bck[i] + s->rho_fwd[i];
        int persist = nuts_criterion(s->ps_bb, s->ps_ff, s->rho, d) &&
                      crit_sum(s->ps_bb, s->ps_fb, s->rho_bck, s->p_fb, d) &&
                      crit_sum(s->ps_bf, s->ps_ff, s->rho_fwd, s->p_bf, d);
        if (!persist)
            break;
    }
    s->accept = s->n_leapfrog > 0 ? sum_metro / (double)s->n_leapfrog : 0.0;
    pt_copy(&s->z, &s->z_sample, d);
    s->energy = nuts_H(s, &s->z);
}

/* Stan's base_hmc::init_stepsize: double or halve the step size until the acceptance
 * of one leapfrog step from fresh momenta crosses 0.8.  Leaves s->z unchanged. */
static int nuts_init_stepsize(Nuts *s, char *err, size_t errlen)
{
    size_t d = s->d;
    if (d == 0 || s->nom_eps == 0 || s->nom_eps > 1e7 || isnan(s->nom_eps))
        return 0;
    pt_copy(&s->z_save, &s->z, d);
    int direction = 0;
    for (;;) {
        pt_copy(&s->z, &s->z_save, d);
        nuts_sample_p(s, s->z.p);
        double H0 = nuts_H(s, &s->z);
        nuts_leapfrog(s, &s->z, s->nom_eps);
        if (s->fail)
            break;
        double h = nuts_H(s, &s->z);
        if (isnan(h))
            h = INFINITY;
        double dH = H0 - h;
        if (direction == 0) {
            direction = dH > log(0.8) ? 1 : -1;
            continue;
        }
        if (direction == 1 && !(dH > log(0.8)))
            break;
        if (direction == -1 && !(dH < log(0.8)))
            break;
        s->nom_eps = direction == 1 ? 2 * s->nom_eps : 0.5 * s->nom_eps;
        if (s->nom_eps > 1e7) {
            snprintf(err, errlen, "nuts: posterior is improper: the step size grew beyond 1e7 "
                                  "while searching for a reasonable one; check the model");
            pt_copy(&s->z, &s->z_save, d);
            return -1;
        }
        if (s->nom_eps == 0) {
            snprintf(err, errlen, "nuts: no acceptably small step size could be found; "
                                  "is the log density continuous?");
            pt_copy(&s->z, &s->z_save, d);
            return -1;
        }
    }
    pt_copy(&s->z, &s->z_save, d);
    return 0;
}

/* ---- the Backend ---- */

static void *nuts_create(const BkSettings *set, const BkTarget *t, char *err, size_t errlen)
{
    if (t->ndisc > 0) {
        snprintf(err, errlen,
                 "nuts: NUTS needs gradients; the model has %zu discrete parameter%s (param int), "
                 "which it cannot move: marginalise them out or use --method=mh",
                 t->ndisc, t->ndisc == 1 ? "" : "s");
        return NULL;
    }
    long max_depth = bk_opt_int(set, &backend_nuts, "max-depth");
    double delta = bk_opt_real(set, &backend_nuts, "adapt-delta");
    double eps = bk_opt_real(set, &backend_nuts, "stepsize");
    const char *m = bk_opt_str(set, &backend_nuts, "metric");
    int metric;
    if (!strcmp(m, "diag_e") || !strcmp(m, "diag"))
        metric = NUTS_DIAG;
    else if (!strcmp(m, "dense_e") || !strcmp(m, "dense"))
        metric = NUTS_DENSE;
    else if (!strcmp(m, "unit_e") || !strcmp(m, "unit"))
        metric = NUTS_UNIT;
    else {
        snprintf(err, errlen, "nuts: --metric=%s: expected diag_e, dense_e or unit_e", m);
        return NULL;
    }
    if (max_depth < 1 || max_depth > NUTS_MAX_DEPTH_LIMIT) {
        snprintf(err, errlen, "nuts: --max-depth=%ld: expected an integer from 1 to %d", max_depth,
                 NUTS_MAX_DEPTH_LIMIT);
        return NULL;
    }
    if (!(delta > 0 && delta < 1)) {
        snprintf(err, errlen, "nuts: --adapt-delta=%g: expected a number strictly between 0 and 1",
                 delta);
        return NULL;
    }
    if (!(eps > 0) || !isfinite(eps)) {
        snprintf(err, errlen, "nuts: --stepsize=%g: expected a positive number", eps);
        return NULL;
    }

    size_t d = t->dim, nd = (size_t)max_depth + 1;
    size_t mat = metric == NUTS_DENSE ? d * d : d;
    /* 6 points x 3 + 13 vectors + 2 metric-sized + welford (d + mat) + levels x (6 + 3) */
    size_t nvec = 18 + 13 + 1 + nd * 9;
    size_t ndouble = nvec * d + 3 * mat + (metric == NUTS_DENSE ? d * d : 0);
    Nuts *s = calloc(1, sizeof *s);
    double *mem = calloc(ndouble ? ndouble : 1, sizeof *mem);
    NutsLevel *lv = calloc(nd, sizeof *lv);
    if (!s || !mem || !lv) {
        free(s);
        free(mem);
        free(lv);
        snprintf(err, errlen, "nuts: out of memory for %zu parameters", d);
        return NULL;
    }
    s->d = d;
    s->metric = metric;
    s->max_depth = (int)max_depth;
    s->warmup = set->warmup;
    s->delta = delta;
    s->eps_init = eps;
    s->lv = lv;
    s->mem = mem;
    double *cur = mem;
#define TAKE(n) (cur += (n), cur - (n))
    NutsPoint *pts[] = {&s->z, &s->z_fwd, &s->z_bck, &s->z_sample, &s->z_propose, &s->z_save};
    for (size_t k = 0; k < 6; k++) {
        pts[k]->q = TAKE(d);
        pts[k]->p = TAKE(d);
        pts[k]->g = TAKE(d);
    }
    double **vecs[] = {&s->p_ff, &s->ps_ff, &s->p_fb, &s->ps_fb, &s->p_bf, &s->ps_bf, &s->p_bb,
                       &s->ps_bb, &s->rho, &s->rho_fwd, &s->rho_bck, &s->tmp, &s->htmp};
    for (size_t k = 0; k < sizeof vecs / sizeof *vecs; k++)
        *vecs[k] = TAKE(d);
    for (size_t k = 0; k < nd; k++) {
        NutsLevel *L = &lv[k];
        double **lvecs[] = {&L->p_init_end,  &L->ps_init_end,  &L->rho_init, &L->p_final_beg,
                            &L->ps_final_beg, &L->rho_final, &L->z_final.q, &L->z_final.p,
                            &L->z_final.g};
        for (size_t j = 0; j < 9; j++)
            *lvecs[j] = TAKE(d);
    }
    s->minv = TAKE(mat);
    s->wf.m2 = TAKE(mat);
    s->wf.mean = TAKE(d);
    s->chol = metric == NUTS_DENSE ? TAKE(d * d) : NULL;
#undef TAKE
    s->wf.d = d;
    s->wf.dense = metric == NUTS_DENSE;
    return s;
}

static void nuts_metric_identity(Nuts *s)
{
    size_t d = s->d;
    if (s->metric == NUTS_DENSE) {
        vzero(s->minv, d * d);
        vzero(s->chol, d * d);
        for (size_t i = 0; i < d; i++)
            s->minv[i * d + i] = s->chol[i * d + i] = 1.0;
    } else {
        for (size_t i = 0; i < d; i++)
            s->minv[i] = 1.0;
    }
}

static int nuts_init(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err,
                     size_t errlen)
{
    Nuts *s = st;
    s->t = t;
    s->r = r;
    s->fail = 0;
    nuts_metric_identity(s);
    vcopy(s->z.q, u0, s->d);
    nuts_eval(s, &s->z);
    if (s->fail || !isfinite(s->z.V)) {
        snprintf(err, errlen, "nuts: the log density at the initial point is %s",
                 s->fail ? "an error" : "not finite");
        return -1;
    }
    for (size_t i = 0; i < s->d; i++)
        if (!isfinite(s->z.g[i])) {
            snprintf(err, errlen, "nuts: the gradient at the initial point is not finite "
                                  "(coordinate %zu)", i + 1);
            return -1;
        }
    vzero(s->z.p, s->d);
    s->nom_eps = s->eps = s->eps_init;
    s->accept = 0;
    s->energy = s->z.V;
    s->depth = s->n_leapfrog = s->divergent = 0;
    s->adapted = 0;
    s->adapting = s->warmup > 0 && s->d > 0;   /* nothing to adapt without parameters */
    nuts_dual_init(&s->dual, s->delta, log(10 * s->eps_init));
    nuts_window_set(&s->win, s->warmup, 75, 50, 25);
    nuts_welford_restart(&s->wf);
    if (s->adapting && nuts_init_stepsize(s, err, errlen) != 0)
        return -1;
    if (s->fail) {
        snprintf(err, errlen, "nuts: the log density failed while searching the initial step size");
        return -1;
    }
    return 0;
}

/* End of a metric window: new metric, new step size search, restarted dual averaging
 * (Stan's adapt_diag_e_nuts::transition). */
static int nuts_window_update(Nuts *s, char *err, size_t errlen)
{
    if (nuts_welford_metric(&s->wf, s->minv) != 0 ||
        (s->metric == NUTS_DENSE && nuts_cholesky(s->minv, s->chol, s->d) != 0)) {
        snprintf(err, errlen, "nuts: the adapted inverse metric is not finite or not positive "
                              "definite (warm-up iteration %u)", s->win.counter + 1);
        return -1;
    }
    nuts_welford_restart(&s->wf);
    if (nuts_init_stepsize(s, err, errlen) != 0)
        return -1;
    s->dual.mu = log(10 * s->nom_eps);
    nuts_dual_restart(&s->dual);
    return 0;
}

static void nuts_finish_adaptation(Nuts *s)
{
    if (!s->adapting)
        return;
    s->adapting = 0;
    s->adapted = 1;
    if (s->dual.counter > 0)
        s->nom_eps = nuts_dual_final(&s->dual);
}

static int nuts_step(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err,
                     size_t errlen)
{
    Nuts *s = st;
    s->t = t;
    s->r = r;
    if (!warmup)
        nuts_finish_adaptation(s);
    nuts_transition(s);
    if (s->fail) {
        snprintf(err, errlen, "nuts: the log density failed at iteration %ld", iter + 1);
        return BK_FAIL;
    }
    if (!warmup || !s->adapting)
        return BK_OK;
    s->nom_eps = nuts_dual_learn(&s->dual, s->accept);
    if (s->metric == NUTS_UNIT)         /* Stan's adapt_unit_e_nuts: step size only */
        return BK_OK;
    if (nuts_window_in(&s->win))
        nuts_welford_add(&s->wf, s->z.q, s->tmp);
    int end = nuts_window_end(&s->win);
    if (end)
        nuts_window_next(&s->win);
    s->win.counter++;
    if (end && nuts_window_update(s, err, errlen) != 0)
        return BK_FAIL;
    if (s->fail) {
        snprintf(err, errlen, "nuts: the log density failed at warm-up iteration %ld", iter + 1);
        return BK_FAIL;
    }
    return BK_OK;
}

static void nuts_draw(void *st, gsl_rng *r, double *u, double *lp, double *cols)
{
    Nuts *s = st;
    vcopy(u, s->z.q, s->d);
    *lp = -s->z.V;
    cols[0] = s->accept;
    cols[1] = s->eps;
    cols[2] = s->depth;
    cols[3] = s->n_leapfrog;
    cols[4] = s->divergent;
    cols[5] = s->energy;
}

/* CmdStan's write_adapt_finish and write_metric, default stream precision (%g). */
static void nuts_report(void *st, FILE *out, const char *prefix)
{
    Nuts *s = st;
    size_t d = s->d;
    nuts_finish_adaptation(s);
    if (!s->adapted)
        return;
    fprintf(out, "%sStep size = %g\n", prefix, s->nom_eps);
    if (s->metric == NUTS_UNIT) {
        fprintf(out, "%sNo free parameters for unit metric\n", prefix);
        return;
    }
    if (s->metric == NUTS_DIAG) {
        fprintf(out, "%sDiagonal elements of inverse mass matrix:\n%s", prefix, prefix);
        for (size_t i = 0; i < d; i++)
            fprintf(out, "%s%g", i ? ", " : "", s->minv[i]);
        fputc('\n', out);
        return;
    }
    fprintf(out, "%sElements of inverse mass matrix:\n", prefix);
    for (size_t i = 0; i < d; i++) {
        fputs(prefix, out);
        for (size_t j = 0; j < d; j++)
            fprintf(out, "%s%g", j ? ", " : "", s->minv[i * d + j]);
        fputc('\n', out);
    }
}

static void nuts_free(void *st)
{
    Nuts *s = st;
    if (!s)
        return;
    free(s->mem);
    free(s->lv);
    free(s);
}

const Backend backend_nuts = {
    .name = "nuts",
    .sums_discrete = BK_SUM,
    .help = "No-U-Turn HMC (Stan's multinomial NUTS) with adapted step size and metric",
    .kind = BK_SAMPLER,
    .options = nuts_options,
    .columns = nuts_columns,
    .create = nuts_create,
    .init = nuts_init,
    .step = nuts_step,
    .draw = nuts_draw,
    .report = nuts_report,
    .free = nuts_free,
};
