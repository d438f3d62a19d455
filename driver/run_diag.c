/* When not to trust a run (vrun-cli.md, "Warnings"): the checks rstan's
 * check_hmc_diagnostics and CmdStan's diagnose make, from the draws and the method
 * columns the run already holds, plus the method's own results (VI's k-hat and
 * convergence).  Each finding is one line with what it means and what to try; the same
 * findings go into --summary under "diagnostics".  A run whose draws are all
 * non-finite, or that never moved, is not a run with warnings but a failed one. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "driver/run_int.h"
#include "driver/summary.h"
#include "driver/radix.h"

#define DIAG_RHAT_MAX 1.01
#define DIAG_ESS_PER_CHAIN 100.0
#define DIAG_EBFMI_MIN 0.3
#define DIAG_KHAT_MAX 0.7

static long diag_col(const RunResult *res, const char *name)
{
    for (size_t j = 0; j < res->ncols; j++)
        if (!strcmp(res->col_names[j], name))
            return (long)j;
    return -1;
}

static double diag_at(const RunResult *res, int c, long d, size_t j)
{
    return res->draws[((size_t)c * (size_t)res->ndraws + (size_t)d) * res->ncols + j];
}

static void diag_add(RunDiag *dg, const char *code, int chain, const char *column, double value,
                     const char *fmt, ...)
{
    RunFinding *f = realloc(dg->f, (dg->n + 1) * sizeof *f);
    if (!f)
        return;
    dg->f = f;
    f += dg->n;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    f->text = malloc((size_t)len + 1);
    if (!f->text)
        return;
    va_start(ap, fmt);
    vsnprintf(f->text, (size_t)len + 1, fmt, ap);
    va_end(ap);
    f->code = code;
    f->chain = chain;
    f->column = column ? strdup(column) : NULL;
    f->value = value;
    dg->n++;
}

/* A failed run: every draw failed a let or gen check, no draw has a finite value in
 * any model column, or (samplers) no chain ever moved. */
int rundiag_failed(const RunReport *rep, char *err, size_t errlen)
{
    const RunResult *res = rep->res;
    size_t first = 1 + rep->nmethod;
    if (res->ndraws == 0 || res->chains == 0)
        return 0;
    if (res->ncols > first) {
        int finite = 0;
        for (int c = 0; c < res->chains && !finite; c++)
            for (long d = 0; d < res->ndraws && !finite; d++)
                for (size_t j = first; j < res->ncols && !finite; j++)
                    finite = isfinite(diag_at(res, c, d, j));
        long fails = 0;
        for (int c = 0; c < res->chains; c++)
            fails += rep->ch[c].value_fails;
        if (fails > 0 && fails == (long)res->chains * res->ndraws) {   /* its parameters may be fine: the model is not */
            const char *why = NULL;   /* the reason, as the summary gives it when only some fail */
            for (int c = 0; c < res->chains && !why; c++) why = rep->ch[c].value_why;
            int n = snprintf(err, errlen, "inference failed: every draw failed a check in a let or gen statement "
                                          "(its values are NaN; no summary; the CSV holds the draws)");
            if (why && n >= 0 && (size_t)n < errlen) {
                snprintf(err + n, errlen - (size_t)n, "; the first failure:\n%s", why);
                size_t k = strlen(err);
                if (k && err[k - 1] == '\n') err[k - 1] = 0;
            }
            return 2;
        }
        if (!finite) {
            snprintf(err, errlen, "inference failed: every draw of every quantity is NaN or infinite "
                                  "(no summary; the CSV holds the draws)");
            return 2;
        }
    }
    if (rep->cfg->backend->kind != BK_SAMPLER || rep->m->dim == 0 || res->ndraws < 2)
        return 0;
    /* Stuck: lp__ never changes in any chain, and either every model column is constant
     * too or the method says every transition was rejected (accept_stat__ 0). */
    long acc = diag_col(res, "accept_stat__");
    int lp_fixed = 1, cols_fixed = 1, rejected = acc >= 0;
    for (int c = 0; c < res->chains; c++)
        for (long d = 0; d < res->ndraws; d++) {
            if (diag_at(res, c, d, 0) != diag_at(res, c, 0, 0))
                lp_fixed = 0;
            for (size_t j = first; j < res->ncols; j++)
                if (diag_at(res, c, d, j) != diag_at(res, c, 0, j))
                    cols_fixed = 0;
            if (acc >= 0 && !(diag_at(res, c, d, (size_t)acc) < 1e-12))
                rejected = 0;
        }
    if (lp_fixed && (cols_fixed || rejected)) {
        snprintf(err, errlen, "inference failed: no chain moved from its initial point in %ld draws "
                              "(every transition rejected); check the model for a density that is "
                              "-inf or NaN almost everywhere, or try --init",
                 res->ndraws);
        return 2;
    }
    return 0;
}

/* Per chain: divergences, tree-depth hits, E-BFMI, the last step size. */
static void diag_sampler_stats(const RunReport *rep, RunDiag *dg)
{
    const RunResult *res = rep->res;
    const Backend *b = rep->cfg->backend;
    long div = diag_col(res, "divergent__"), td = diag_col(res, "treedepth__");
    long en = diag_col(res, "energy__"), eps = diag_col(res, "stepsize__");
    dg->max_depth = -1;
    for (const BkOption *o = b->options; td >= 0 && o && o->name; o++)
        if (!strcmp(o->name, "max-depth"))
            dg->max_depth = bk_opt_int(&rep->cfg->base, b, "max-depth");
    for (int c = 0; c < res->chains; c++) {
        dg->divergent[c] = dg->treedepth_hits[c] = -1;
        dg->ebfmi[c] = dg->stepsize[c] = NAN;
        if (div >= 0) {
            dg->divergent[c] = 0;
            for (long d = 0; d < res->ndraws; d++)
                dg->divergent[c] += diag_at(res, c, d, (size_t)div) != 0;
        }
        if (td >= 0 && dg->max_depth > 0) {
            dg->treedepth_hits[c] = 0;
            for (long d = 0; d < res->ndraws; d++)
                dg->treedepth_hits[c] += diag_at(res, c, d, (size_t)td) >= (double)dg->max_depth;
        }
        if (eps >= 0 && res->ndraws > 0)
            dg->stepsize[c] = diag_at(res, c, res->ndraws - 1, (size_t)eps);
        /* rstan's get_bfmi: mean squared change of the energy over its variance */
        if (en >= 0 && res->ndraws > 2) {
            double mean = 0, num = 0, den = 0;
            for (long d = 0; d < res->ndraws; d++)
                mean += diag_at(res, c, d, (size_t)en);
            mean /= (double)res->ndraws;
            for (long d = 0; d < res->ndraws; d++) {
                double e = diag_at(res, c, d, (size_t)en);
                den += (e - mean) * (e - mean);
                if (d > 0) {
                    double de = e - diag_at(res, c, d - 1, (size_t)en);
                    num += de * de;
                }
            }
            dg->ebfmi[c] = (num / (double)res->ndraws) / (den / (double)(res->ndraws - 1));
        }
    }
}

static void diag_sampler_warnings(const RunReport *rep, RunDiag *dg)
{
    const RunResult *res = rep->res;
    long ndiv = 0, ntd = 0, total = (long)res->chains * res->ndraws;
    for (int c = 0; c < res->chains; c++) {
        ndiv += dg->divergent[c] > 0 ? dg->divergent[c] : 0;
        ntd += dg->treedepth_hits[c] > 0 ? dg->treedepth_hits[c] : 0;
    }
    if (ndiv > 0)
        diag_add(dg, "divergences", 0, NULL, (double)ndiv,
                 "%ld of %ld transitions after warm-up were divergent (%.2g%%): the draws may be biased "
                 "where the posterior's curvature is high; try a larger --adapt-delta (e.g. 0.95) or "
                 "reparameterise the model (e.g. non-centred)",
                 ndiv, total, 100.0 * (double)ndiv / (double)total);
    if (ntd > 0)
        diag_add(dg, "treedepth", 0, NULL, (double)ntd,
                 "%ld of %ld transitions hit the maximum tree depth of %ld: the sampler is inefficient "
                 "(not biased); try --max-depth=%ld or reparameterise the model",
                 ntd, total, dg->max_depth, dg->max_depth + 2);
    for (int c = 0; c < res->chains; c++)
        if (dg->ebfmi[c] < DIAG_EBFMI_MIN)
            diag_add(dg, "ebfmi", c + 1, NULL, dg->ebfmi[c],
                     "chain %d: E-BFMI = %.3f (below %.1f): the momentum resampling explores the energy "
                     "poorly, the tails may be missed; reparameterise the model or run longer warm-up",
                     c + 1, dg->ebfmi[c], DIAG_EBFMI_MIN);
}

/* R's type 7 quantile of sorted s[n] */
static double diag_q(const double *s, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    return i + 1 < n ? s[i] + (h - (double)i) * (s[i + 1] - s[i]) : s[n - 1];
}

/* Chains agree when each one's median lies in the other's 5%-95% range; groups are
 * the connected sets of agreeing chains (st[3c..3c+2]: median, 5%, 95% of chain c).
 * Returns the number of groups, grp[c] the group of chain c (0 for chain 1's). */
static int diag_groups(const double *st, int M, int *grp)
{
    for (int c = 0; c < M; c++)
        grp[c] = -1;
    int ng = 0;
    for (int c = 0; c < M; c++) {
        if (grp[c] >= 0)
            continue;
        grp[c] = ng;
        for (int changed = 1; changed;) {   /* flood fill: M is small */
            changed = 0;
            for (int a = 0; a < M; a++)
                for (int b = 0; grp[a] == ng && b < M; b++)
                    if (grp[b] < 0 && st[3 * a] >= st[3 * b + 1] && st[3 * a] <= st[3 * b + 2] &&
                        st[3 * b] >= st[3 * a + 1] && st[3 * b] <= st[3 * a + 2]) {
                        grp[b] = ng;
                        changed = 1;
                    }
        }
        ng++;
    }
    return ng;
}

/* One finding per chain outside the largest group (ties: the group of the lowest
 * chain stays), naming the quantity and each group's medians. */
static void diag_disagree(RunDiag *dg, const char *name, const int *grp, const double *st, int M)
{
    int size[64] = {0}, big = 0;
    for (int c = 0; c < M; c++)
        if (grp[c] < 64)
            size[grp[c]]++;
    for (int g = 1; g < 64; g++)
        if (size[g] > size[big])
            big = g;
    char them[256] = "", meds[256] = "";
    size_t lt = 0, lm = 0;
    for (int c = 0; c < M; c++)
        if (grp[c] == big) {
            lt += (size_t)snprintf(them + lt, lt < sizeof them ? sizeof them - lt : 0, "%s%d", lt ? ", " : "", c + 1);
            lm += (size_t)snprintf(meds + lm, lm < sizeof meds ? sizeof meds - lm : 0, "%s%.4g", lm ? ", " : "", st[3 * c]);
        }
    for (int c = 0; c < M; c++)
        if (grp[c] != big)
            diag_add(dg, "chains_disagree", c + 1, name, st[3 * c],
                     "chain %d disagrees with chain%s %s about %s: its median %.4g lies outside their 5%%-95%% "
                     "range%s (medians %s): a chain stuck in another mode; try other initial values (--init) "
                     "or a longer warm-up, and if the modes are real one summary of them all misleads",
                     c + 1, size[big] > 1 ? "s" : "", them, name, st[3 * c], size[big] > 1 ? "s" : "", meds);
}

/* R-hat and ESS of every model column (naming the worst), and chains whose median
 * of some quantity lies outside the others' central 90%: a chain in another mode. */
static void diag_mixing(const RunReport *rep, RunDiag *dg)
{
    const RunResult *res = rep->res;
    size_t first = 1 + rep->nmethod;
    int M = res->chains;
    size_t N = (size_t)res->ndraws;
    if (res->ncols <= first || N < 4)
        return;
    double *own = malloc(2 * N * sizeof *own), *rest = malloc(3 * (size_t)M * sizeof *rest);
    if (!dg->stats || !own || !rest) {
        free(own);
        free(rest);
        return;
    }
    double rhat = 0, bulk = INFINITY, tail = INFINITY;
    long nrhat = 0, nbulk = 0, ntail = 0, rj = -1, bj = -1, tj = -1;
    /* the quantity that splits the chains into the most groups */
    int *grp = calloc((size_t)M, sizeof *grp), *best_grp = calloc((size_t)M, sizeof *grp), best_groups = 1;
    double *best_med = calloc(3 * (size_t)M, sizeof *best_med);
    long gj = -1;
    for (size_t j = first; j < res->ncols && grp && best_grp && best_med; j++) {
        SumStats s = dg->stats[j - first];
        if (s.flags & (SUM_F_NONFINITE | SUM_F_CONSTANT))
            continue;
        if (s.rhat > DIAG_RHAT_MAX) {
            nrhat++;
            if (s.rhat > rhat) { rhat = s.rhat; rj = (long)j; }
        }
        if (s.ess_bulk / M < DIAG_ESS_PER_CHAIN) {
            nbulk++;
            if (s.ess_bulk < bulk) { bulk = s.ess_bulk; bj = (long)j; }
        }
        if (s.ess_tail / M < DIAG_ESS_PER_CHAIN) {
            ntail++;
            if (s.ess_tail < tail) { tail = s.ess_tail; tj = (long)j; }
        }
        /* each chain's median and 5%/95% quantiles */
        for (int c = 0; M >= 2 && c < M; c++) {
            for (size_t d = 0; d < N; d++)
                own[d] = diag_at(res, c, (long)d, j);
            radix_doubles(own, N, own + N);
            rest[3 * c] = diag_q(own, N, 0.5);
            rest[3 * c + 1] = diag_q(own, N, 0.05);
            rest[3 * c + 2] = diag_q(own, N, 0.95);
        }
        int ngroups = M >= 2 ? diag_groups(rest, M, grp) : 1;
        if (ngroups > best_groups) {
            best_groups = ngroups;
            gj = (long)j;
            memcpy(best_grp, grp, (size_t)M * sizeof *grp);
            memcpy(best_med, rest, 3 * (size_t)M * sizeof *rest);
        }
    }
    const char *const *nm = res->col_names;
    if (rj >= 0)
        diag_add(dg, "rhat", 0, nm[rj], rhat,
                 "R-hat is %.3f for %s (%ld quantit%s above %.2f): the chains have not mixed and the "
                 "estimates cannot be trusted; run longer (--warmup, --draws) or reparameterise",
                 rhat, nm[rj], nrhat, nrhat == 1 ? "y" : "ies", DIAG_RHAT_MAX);
    if (bj >= 0)
        diag_add(dg, "ess_bulk", 0, nm[bj], bulk / M,
                 "bulk ESS is %.0f for %s (%.0f per chain; %ld quantit%s below %.0f per chain): means and "
                 "medians are unreliable; run longer (--draws) or reparameterise",
                 bulk, nm[bj], bulk / M, nbulk, nbulk == 1 ? "y" : "ies", DIAG_ESS_PER_CHAIN);
    if (tj >= 0)
        diag_add(dg, "ess_tail", 0, nm[tj], tail / M,
                 "tail ESS is %.0f for %s (%.0f per chain; %ld quantit%s below %.0f per chain): the 5%% "
                 "and 95%% quantiles are unreliable; run longer (--draws) or reparameterise",
                 tail, nm[tj], tail / M, ntail, ntail == 1 ? "y" : "ies", DIAG_ESS_PER_CHAIN);
    if (gj >= 0)
        diag_disagree(dg, nm[gj], best_grp, best_med, M);
    free(grp);
    free(best_grp);
    free(best_med);
    free(own);
    free(rest);
}

/* VI and optimisers: convergence, and VI's Pareto k-hat, from the method's results
 * when it gives them. */
static void diag_fit_warnings(const RunReport *rep, RunDiag *dg)
{
    const RunResult *res = rep->res;
    const RunConfig *cfg = rep->cfg;
    for (int c = 0; c < res->chains; c++) {
        json_t *r = dg->results[c];
        json_t *conv = r ? json_object_get(r, "converged") : NULL;
        int converged = conv ? json_is_true(conv) : rep->ch[c].converged;
        char who[32] = "";
        if (res->chains > 1)
            snprintf(who, sizeof who, "chain %d: ", c + 1);
        if (!converged && !res->interrupted)
            diag_add(dg, "not_converged", c + 1, NULL, (double)rep->ch[c].iters,
                     "%sthe %s did not converge in %ld iterations: its results are those of the last "
                     "iterate; raise --iters%s", who, cfg->backend->kind == BK_VI ? "fit" : "optimisation",
                     rep->ch[c].iters, cfg->backend->kind == BK_VI ? " or lower --lr" : " or loosen --tol");
        json_t *k = r ? json_object_get(r, "khat") : NULL;
        if (k && json_is_number(k) && json_number_value(k) > DIAG_KHAT_MAX)
            diag_add(dg, "khat", c + 1, NULL, json_number_value(k),
                     "%sPareto k-hat = %.2f (above %.1f): q is far from the posterior in its tails and "
                     "estimates from its draws are unreliable; try --family=fullrank, --method=flow or "
                     "--method=nuts", who, json_number_value(k), DIAG_KHAT_MAX);
    }
}

/* map: the named values at each chain's mode (m->values at mode_unconstrained). */
static void diag_modes(const RunReport *rep, RunDiag *dg)
{
    const RunModel *m = rep->m;
    size_t n = m->ncols;
    dg->mode = calloc((size_t)rep->res->chains, sizeof *dg->mode);
    double *u = calloc(m->dim + m->ndisc + 1, sizeof *u);
    for (int c = 0; dg->mode && u && c < rep->res->chains; c++) {
        json_t *mu = dg->results[c] ? json_object_get(dg->results[c], "mode_unconstrained") : NULL;
        if (!mu || json_array_size(mu) != m->dim)
            continue;
        for (size_t i = 0; i < m->dim; i++)
            u[i] = json_is_number(json_array_get(mu, i)) ? json_number_value(json_array_get(mu, i)) : NAN;
        RunChain *ch = (RunChain *)&rep->ch[c];
        double *v = calloc(n + 1, sizeof *v);
        if (v && n > 0 && m->values(m->model, &ch->t, u, ch->r, v) != 0)
            for (size_t i = 0; i < n; i++)
                v[i] = NAN;
        dg->mode[c] = v;
        if (!v)
            continue;
        json_t *named = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(named, m->col_names[i], isfinite(v[i]) ? json_real(v[i]) : json_null());
        json_object_set_new(dg->results[c], "mode", named);
        json_object_del(dg->results[c], "mode_unconstrained");
    }
    free(u);
}

void rundiag_compute(const RunReport *rep, RunDiag *dg)
{
    const RunResult *res = rep->res;
    const Backend *b = rep->cfg->backend;
    memset(dg, 0, sizeof *dg);
    int M = res->chains > 0 ? res->chains : 1;
    dg->chains = res->chains;
    dg->divergent = calloc((size_t)M, sizeof *dg->divergent);
    dg->treedepth_hits = calloc((size_t)M, sizeof *dg->treedepth_hits);
    dg->ebfmi = calloc((size_t)M, sizeof *dg->ebfmi);
    dg->stepsize = calloc((size_t)M, sizeof *dg->stepsize);
    dg->results = calloc((size_t)M, sizeof *dg->results);
    if (!dg->divergent || !dg->treedepth_hits || !dg->ebfmi || !dg->stepsize || !dg->results)
        return;
    for (int c = 0; c < res->chains; c++) {
        dg->divergent[c] = dg->treedepth_hits[c] = -1;
        dg->ebfmi[c] = dg->stepsize[c] = NAN;
    }
    for (int c = 0; c < res->chains; c++)
        dg->results[c] = b->results && rep->ch[c].st ? b->results(rep->ch[c].st)
                         : rep->ch[c].report_txt[2] ? json_loads(rep->ch[c].report_txt[2], 0, NULL)   /* another rank's */
                         : NULL;
    if (b->kind == BK_OPTIMIZER)
        diag_modes(rep, dg);
    if (res->ndraws == 0)
        return;
    size_t first = 1 + rep->nmethod, n = res->ncols > first ? res->ncols - first : 0;
    dg->stats = calloc(n ? n : 1, sizeof *dg->stats);
    SumWork *w = dg->stats ? sum_work_new(res->chains, (size_t)res->ndraws) : NULL;
    if (w) {
        for (size_t j = 0; j < n; j++)
            sum_column(w, res->draws + first + j, res->ncols, &dg->stats[j]);
        dg->nstats = n;
    } else {
        free(dg->stats);
        dg->stats = NULL;
    }
    sum_work_free(w);
    if (b->kind == BK_SAMPLER) {
        diag_sampler_stats(rep, dg);
        diag_sampler_warnings(rep, dg);
        diag_mixing(rep, dg);
    } else
        diag_fit_warnings(rep, dg);
}

void rundiag_add_text(RunDiag *dg, const char *code, int chain, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    diag_add(dg, code, chain, NULL, NAN, "%s", text);
}

void rundiag_print(const RunDiag *dg, FILE *out)
{
    for (size_t i = 0; i < dg->n; i++)
        fprintf(out, "vrun: warning: %s\n", dg->f[i].text);
    fflush(out);
}

json_t *rundiag_json(const RunDiag *dg)
{
    json_t *a = json_array();
    for (size_t i = 0; i < dg->n; i++) {
        const RunFinding *f = &dg->f[i];
        json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:s}", "code", f->code, "chain",
                                           f->chain > 0 ? json_integer(f->chain) : json_null(), "quantity",
                                           f->column ? json_string(f->column) : json_null(), "value",
                                           isfinite(f->value) ? json_real(f->value) : json_null(),
                                           "message", f->text));
    }
    long ndiv = -1, ntd = -1;
    for (int c = 0; dg->divergent && c < dg->chains; c++) {
        if (dg->divergent[c] >= 0)
            ndiv = (ndiv < 0 ? 0 : ndiv) + dg->divergent[c];
        if (dg->treedepth_hits[c] >= 0)
            ntd = (ntd < 0 ? 0 : ntd) + dg->treedepth_hits[c];
    }
    return json_pack("{s:i, s:o, s:o, s:o}", "warnings_count", (int)dg->n, "divergences",
                     ndiv >= 0 ? json_integer(ndiv) : json_null(), "treedepth_hits",
                     ntd >= 0 ? json_integer(ntd) : json_null(), "warnings", a);
}

void rundiag_chain_json(const RunDiag *dg, int c, json_t *o)
{
    if (!dg || c >= dg->chains || !dg->divergent)
        return;
    if (dg->divergent[c] >= 0)
        json_object_set_new(o, "divergences", json_integer(dg->divergent[c]));
    if (dg->treedepth_hits[c] >= 0) {
        json_object_set_new(o, "treedepth_hits", json_integer(dg->treedepth_hits[c]));
        json_object_set_new(o, "max_depth", json_integer(dg->max_depth));
    }
    if (isfinite(dg->ebfmi[c]))
        json_object_set_new(o, "ebfmi", json_real(dg->ebfmi[c]));
    if (isfinite(dg->stepsize[c]))
        json_object_set_new(o, "stepsize", json_real(dg->stepsize[c]));
    if (dg->results[c])
        json_object_set(o, "results", dg->results[c]);
}

void rundiag_free(RunDiag *dg)
{
    for (size_t i = 0; i < dg->n; i++) {
        free(dg->f[i].text);
        free(dg->f[i].column);
    }
    free(dg->f);
    for (int c = 0; dg->results && c < dg->chains; c++)
        json_decref(dg->results[c]);
    for (int c = 0; dg->mode && c < dg->chains; c++)
        free(dg->mode[c]);
    free(dg->mode);
    free(dg->stats);
    free(dg->results);
    free(dg->divergent);
    free(dg->treedepth_hits);
    free(dg->ebfmi);
    free(dg->stepsize);
    memset(dg, 0, sizeof *dg);
}
