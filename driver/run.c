/* run_inference: chains on a pool of threads, Stan's initialisation, the warm-up and
 * sampling loop (or the optimisation loop of VI and optimisers), Stan CSV as draws
 * complete, progress, SIGINT, and the summary.
 *
 * Determinism: a chain touches only its own generator (run_chain_rng(seed, chain)),
 * target, backend state, CSV file and slice of the result, so its bytes do not depend
 * on which thread runs it or when.
 *
 * Iteration numbers passed to step(): samplers get 0..warmup-1 with warmup = 1, then
 * warmup..warmup+draws-1 with warmup = 0; VI and optimisers get 0..iters-1. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#include "driver/run_int.h"
#include "runtime/interrupt.h"
#include "runtime/mpi.h"

/* The one piece of global mutable state, because a signal handler can reach no
 * other: set by the first SIGINT, read by every chain at each iteration.  (Two runs at
 * once in one process would share it; vrun runs one at a time.) */
static atomic_int run_sigint;   /* lock-free, so a handler may store to it */

static void run_on_sigint(int sig)
{
    atomic_store(&run_sigint, sig);
    vm_interrupt_set(sig);   /* and the interpreter's loops stop too */
    mp_request_stop(1);
}

typedef struct RunShared {
    const RunModel *m;
    const RunConfig *cfg;
    RunChain *ch;
    size_t nmethod, ncols;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int next;                 /* next chain to take */
    int running;              /* workers still running */
    atomic_int failed;        /* a chain failed: the others stop */
    atomic_int remote;        /* another rank asked every rank to stop (run_mpi.c) */
    int rejects_taken;        /* the reject counts went into the warnings (run_rejects) */
} RunShared;

static int run_stopping(RunShared *sh)
{
    if (sh->cfg->data_parallel && mp_size() > 1)   /* only a stop all processes agreed on */
        return atomic_load(&sh->failed) || mp_stop_agreed();
    return atomic_load(&run_sigint) || atomic_load(&sh->failed) || atomic_load(&sh->remote) || vm_interrupt_pending();
}

static int run_fail(RunChain *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c->status = status;
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return status;
}

/* Stan's initialisation: uniform(-2, 2) on every continuous coordinate, discrete
 * ones uniform over their bounds (clipped to a window of the same width when a
 * bound is infinite), until lp and gradient are finite. */
static int run_init_point(RunChain *c, const RunModel *m)
{
    BkTarget *t = &c->t;
    double lp, R = m->init_radius > 0 ? m->init_radius : RUN_INIT_RADIUS;
    const unsigned char *given = m->init_u ? m->init_given : NULL;
    int fixed = m->init_u && !given;
    int tries = fixed ? 1 : RUN_INIT_TRIES;
    for (int k = 0; k < tries; k++) {
        if (m->init_u)
            memcpy(c->u, m->init_u, (t->dim + t->ndisc) * sizeof *c->u);
        if (!fixed) {   /* every coordinate, or those a partial --init left out */
            for (size_t i = 0; i < t->dim; i++)
                if (!given || !given[i])
                    c->u[i] = gsl_rng_uniform(c->r) * 2 * R - R;
            for (size_t j = 0; j < t->ndisc; j++) {
                if (given && given[t->dim + j])
                    continue;
                double lo = t->disc_lo ? t->disc_lo[j] : -INFINITY;
                double hi = t->disc_hi ? t->disc_hi[j] : INFINITY;
                if (!isfinite(lo))
                    lo = isfinite(hi) ? hi - 2 * RUN_INIT_RADIUS : -RUN_INIT_RADIUS;
                if (!isfinite(hi))
                    hi = lo + 2 * RUN_INIT_RADIUS;
                unsigned long span = (unsigned long)(hi - lo) + 1;
                c->u[t->dim + j] = lo + (double)gsl_rng_uniform_int(c->r, span);
            }
        }
        if (t->logp(t->ctx, c->u, &lp, c->grad) != 0)
            return run_fail(c, 2, "chain %d: the log density failed at the initial point", c->id + 1);
        int ok = isfinite(lp);
        for (size_t i = 0; ok && i < t->dim; i++)
            ok = isfinite(c->grad[i]);
        if (ok)
            return 0;
    }
    char *why = m->why ? m->why(m->model, t) : NULL;
    int rc;
    if (fixed)
        rc = run_fail(c, 2, "chain %d: the log density or its gradient is not finite at the "
                            "initial point given by --init%s%s", c->id + 1, why ? "; the last reason:\n" : "",
                      why ? why : "");
    else
        rc = run_fail(c, 2, "chain %d: no initial point with finite log density and gradient after "
                            "%d tries of uniform(-%g, %g) on the unconstrained scale%s%s%s",
                      c->id + 1, RUN_INIT_TRIES, R, R, given ? " for what --init left out" : "",
                      why ? "; the last reason:\n" : "", why ? why : "");
    free(why);
    return rc;
}

/* Take the draw from the backend, fill the row, write it. */
/* Take draw d from the backend and fill its row. */
static void run_take(RunShared *sh, RunChain *c, long d)
{
    const Backend *b = sh->cfg->backend;
    double *row = c->rows + (size_t)d * sh->ncols;
    double lp = NAN;
    b->draw(c->st, c->r, c->u, &lp, c->cols);
    for (size_t i = 0; c->usum && i < c->t.dim + c->t.ndisc; i++)
        c->usum[i] += c->u[i];
    row[0] = lp;
    memcpy(row + 1, c->cols, sh->nmethod * sizeof *row);
    double *vals = row + 1 + sh->nmethod;
    int vrc = sh->m->ncols > 0 ? sh->m->values(sh->m->model, &c->t, c->u, c->r, vals) : 0;
    if (vrc != 0) {
        if (vrc != RUN_VALUES_PARTIAL)
            for (size_t i = 0; i < sh->m->ncols; i++)
                vals[i] = NAN;
        if (!c->value_why && sh->m->why)
            c->value_why = sh->m->why(sh->m->model, &c->t);
        c->failed[d] = 1;
    }
    c->ndone = d + 1;
}

/* Append row d to the CSV, remembering where it ends. */
static int run_write(RunShared *sh, RunChain *c, long d)
{
    if (!c->have_csv)
        return 0;
    if (d == 0)
        c->row_end[0] = c->csv.size;
    if (csv_row(&c->csv, c->rows + (size_t)d * sh->ncols, sh->ncols) != 0)
        return run_fail(c, 2, "chain %d: cannot write the CSV file: %s", c->id + 1, strerror(errno));
    c->row_end[d + 1] = c->csv.size;
    return 0;
}

static int run_emit(RunShared *sh, RunChain *c, long d)
{
    run_take(sh, c, d);
    return run_write(sh, c, d);
}

/* CmdStan's variational output starts with a row for the mean of the approximation,
 * lp__ and the method columns 0 (rstan and CmdStanPy drop or read it as such).  The
 * backend API gives draws, not q's parameters, so the row is the model's values at
 * the mean of the unconstrained draws, as CmdStan transforms q's mean: a mean of
 * constrained draws breaks the constraint of a unit vector or a Cholesky factor.
 * (Discrete coordinates take their rounded mean; should the values fail there, the
 * row falls back to each column's mean.)  The draws are taken first and written
 * after it. */
static int run_write_vi(RunShared *sh, RunChain *c)
{
    if (!c->have_csv || c->ndone == 0)
        return 0;
    size_t nc = sh->ncols;
    double *mean = calloc(nc, sizeof *mean);
    if (!mean)
        return run_fail(c, 2, "chain %d: out of memory", c->id + 1);
    for (size_t j = 1 + sh->nmethod; j < nc; j++) {
        for (long d = 0; d < c->ndone; d++)
            mean[j] += c->rows[(size_t)d * nc + j];
        mean[j] /= (double)c->ndone;
    }
    size_t dim = c->t.dim, nu = dim + c->t.ndisc, first = 1 + sh->nmethod;
    if (c->usum && sh->m->ncols > 0) {
        double *vals = malloc(sh->m->ncols * sizeof *vals);
        for (size_t i = 0; i < nu; i++)
            c->u[i] = i < dim ? c->usum[i] / (double)c->ndone : round(c->usum[i] / (double)c->ndone);
        if (vals && sh->m->values(sh->m->model, &c->t, c->u, c->r, vals) == 0)
            memcpy(mean + first, vals, sh->m->ncols * sizeof *vals);
        free(vals);
    }
    int rc = csv_row(&c->csv, mean, nc);
    free(mean);
    if (rc != 0)
        return run_fail(c, 2, "chain %d: cannot write the CSV file: %s", c->id + 1, strerror(errno));
    for (long d = 0; d < c->ndone; d++)
        if (run_write(sh, c, d) != 0)
            return c->status;
    return 0;
}

static long run_thin(const RunConfig *cfg)
{
    return cfg->thin > 1 ? cfg->thin : 1;
}

/* --save-warmup: a warm-up row goes to the CSV only (the summary is of the draws). */
static int run_write_warmup(RunShared *sh, RunChain *c)
{
    double *row = c->wrow;
    double lp = NAN;
    sh->cfg->backend->draw(c->st, c->r, c->u, &lp, c->cols);
    row[0] = lp;
    memcpy(row + 1, c->cols, sh->nmethod * sizeof *row);
    double *vals = row + 1 + sh->nmethod;
    if (sh->m->ncols > 0 && sh->m->values(sh->m->model, &c->t, c->u, c->r, vals) != 0)
        for (size_t i = 0; i < sh->m->ncols; i++)
            vals[i] = NAN;
    if (csv_row(&c->csv, row, sh->ncols) != 0)
        return run_fail(c, 2, "chain %d: cannot write the CSV file: %s", c->id + 1, strerror(errno));
    return 0;
}

static int run_sampler(RunShared *sh, RunChain *c)
{
    const Backend *b = sh->cfg->backend;
    const BkSettings *s = &sh->cfg->base;
    char msg[512] = "";
    double t0 = run_now();
    long it, thin = run_thin(sh->cfg);
    int save = sh->cfg->save_warmup && c->have_csv && c->wrow;
    for (it = 0; it < s->warmup && !run_stopping(sh); it++) {
        if (b->step(c->st, &c->t, c->r, it, 1, msg, sizeof msg) == BK_FAIL)
            return run_stopping(sh) ? 0 : run_fail(c, 2, "chain %d: %s", c->id + 1, msg);
        if (save && it % thin == 0 && run_write_warmup(sh, c) != 0)
            return c->status;
        atomic_fetch_add(&c->progress, 1);
    }
    double t1 = run_now();
    c->t_warmup = t1 - t0;
    if (it < s->warmup)
        return 0;
    if (s->warmup > 0 && c->have_csv)
        csv_report(&c->csv, b, c->st, 1);
    atomic_store(&c->phase, 2);
    for (long d = 0; d < s->draws && !run_stopping(sh); d++) {
        if (b->step(c->st, &c->t, c->r, s->warmup + d, 0, msg, sizeof msg) == BK_FAIL)
            return run_stopping(sh) ? 0 : run_fail(c, 2, "chain %d: %s", c->id + 1, msg);
        if (run_stopping(sh))   /* an interrupt may have cut the step's evaluations short */
            break;
        if (d % thin == 0 && run_emit(sh, c, d / thin) != 0)
            return c->status;
        atomic_fetch_add(&c->progress, 1);
        c->t_sampling = run_now() - t1;
    }
    c->t_sampling = run_now() - t1;
    return 0;
}

static int run_fit(RunShared *sh, RunChain *c)
{
    const Backend *b = sh->cfg->backend;
    const BkSettings *s = &sh->cfg->base;
    char msg[512] = "";
    double t0 = run_now();
    long it;
    for (it = 0; it < s->iters && !run_stopping(sh); it++) {
        int rc = b->step(c->st, &c->t, c->r, it, 0, msg, sizeof msg);
        if (rc == BK_FAIL)
            return run_stopping(sh) ? 0 : run_fail(c, 2, "chain %d: %s", c->id + 1, msg);
        atomic_fetch_add(&c->progress, 1);
        if (rc == BK_DONE) {
            c->converged = 1;
            it++;
            break;
        }
    }
    c->iters = it;
    double t1 = run_now();
    c->t_warmup = t1 - t0;
    if (run_stopping(sh))
        return 0;
    /* The rest of the progress budget was for iterations not needed. */
    atomic_store(&c->progress, s->iters);
    if (c->have_csv) {
        if (!c->converged) {
            char note[160];
            snprintf(note, sizeof note, "Stopped at the limit of %ld iterations without converging",
                     s->iters);
            csv_comment(&c->csv, note);
        }
        csv_report(&c->csv, b, c->st, 0);
    }
    atomic_store(&c->phase, 2);
    int vi = b->kind == BK_VI;
    for (long d = 0; d < s->draws && !run_stopping(sh); d++) {
        if (vi)
            run_take(sh, c, d);
        else if (run_emit(sh, c, d) != 0)
            return c->status;
        atomic_fetch_add(&c->progress, 1);
    }
    if (vi && run_write_vi(sh, c) != 0)
        return c->status;
    c->t_sampling = run_now() - t1;
    return 0;
}

static void run_chain(RunShared *sh, RunChain *c)
{
    const RunModel *m = sh->m;
    const Backend *b = sh->cfg->backend;
    char msg[512] = "";
    if (m->target_new(m->model, &c->t, msg, sizeof msg) != 0) {
        run_fail(c, 1, "%s", msg);
        return;
    }
    c->have_target = 1;
    size_t n = c->t.dim + c->t.ndisc;
    c->u = calloc(n ? n : 1, sizeof *c->u);
    c->grad = calloc(c->t.dim ? c->t.dim : 1, sizeof *c->grad);
    c->cols = calloc(BK_MAX_COLUMNS, sizeof *c->cols);
    if (sh->cfg->save_warmup && c->have_csv)
        c->wrow = calloc(sh->ncols, sizeof *c->wrow);
    int vi = b->kind == BK_VI;
    if (vi && c->have_csv)   /* the mean row: q's mean on the unconstrained scale */
        c->usum = calloc(n ? n : 1, sizeof *c->usum);
    if (!c->u || !c->grad || !c->cols || (sh->cfg->save_warmup && c->have_csv && !c->wrow) ||
        (vi && c->have_csv && !c->usum)) {
        run_fail(c, 2, "chain %d: out of memory", c->id + 1);
        return;
    }
    c->settings = sh->cfg->base;   /* kept: a backend may hold on to it */
    c->settings.chain = c->id;
    c->st = b->create(&c->settings, &c->t, msg, sizeof msg);
    if (!c->st) {
        run_fail(c, 1, "%s", msg);   /* the same refusal for every chain: no chain id */
        return;
    }
    if (run_init_point(c, m) != 0) {
        if (atomic_load(&run_sigint))   /* cut short by the interrupt: not a failure */
            c->status = 0;
        return;
    }
    if (b->init(c->st, &c->t, c->r, c->u, msg, sizeof msg) != 0) {
        run_fail(c, 2, "chain %d: %s", c->id + 1, msg);
        return;
    }
    if (b->kind == BK_SAMPLER)
        run_sampler(sh, c);
    else
        run_fit(sh, c);
}

static void *run_worker(void *arg)
{
    RunShared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (sh->next < sh->cfg->chains && !runmp_mine(sh->cfg, sh->next))
            sh->next++;       /* another rank runs it */
        int k = sh->next < sh->cfg->chains && !run_stopping(sh) ? sh->next++ : -1;
        pthread_mutex_unlock(&sh->mu);
        if (k < 0)
            break;
        atomic_store(&sh->ch[k].phase, 1);
        run_chain(sh, &sh->ch[k]);
        atomic_store(&sh->ch[k].phase, 3);
        if (sh->ch[k].status != 0)
            atomic_store(&sh->failed, 1);
    }
    pthread_mutex_lock(&sh->mu);
    sh->running--;
    pthread_cond_signal(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

static int run_threads(const RunConfig *cfg)
{
    int n = cfg->threads;
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    int mine = runmp_chains_mine(cfg);
    return n < mine ? n : mine > 0 ? mine : 1;
}

static int run_progress_mode(const RunConfig *cfg)
{
    if (cfg->quiet || cfg->progress == 0 || mp_rank() != 0)
        return 0;
    return isatty(STDERR_FILENO) ? 1 : 2;
}

/* Per-chain setup that can fail before any thread starts: generator, CSV file and
 * its header (written now, so even a run killed before its first draw leaves a
 * valid file). */
static int run_prepare(RunShared *sh, RunResult *res, long cap, char *err, size_t errlen)
{
    const RunConfig *cfg = sh->cfg;
    for (int k = 0; k < cfg->chains; k++) {
        RunChain *c = &sh->ch[k];
        c->id = k;
        c->rows = res->draws + (size_t)k * (size_t)cap * sh->ncols;
        c->csv.fd = -1;
        atomic_init(&c->progress, 0);
        atomic_init(&c->phase, 0);
        c->r = run_chain_rng(cfg->base.seed, k);
        c->failed = calloc((size_t)cap + 1, 1);
        if (!c->r || !c->failed) {
            snprintf(err, errlen, "out of memory");
            return 2;
        }
        if (!cfg->output_csv)
            continue;
        char path[4096];
        if (csv_path(cfg->output_csv, k, cfg->chains, path, sizeof path) != 0) {
            snprintf(err, errlen, "output path too long: %s", cfg->output_csv);
            return 1;
        }
        if (runmp_csv_open(cfg, k, &c->csv, path, sh->ncols, &c->have_csv, err, errlen) != 0)
            return 1;
        if (!c->have_csv)
            continue;         /* another rank's chain, or a data-parallel rank other than 0 */
        c->path = strdup(path);
        c->row_end = calloc((size_t)cap + 1, sizeof *c->row_end);
        if (!c->row_end || !c->path) {
            snprintf(err, errlen, "out of memory");
            return 2;
        }
        if (csv_header(&c->csv, sh->m, cfg, k, path, res->col_names, sh->ncols) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            return 1;
        }
    }
    return 0;
}

/* The model's reject() counts of each chain (RunModel.report), one warning a line,
 * so that they stand with the others, in the JSON too, and count for --strict. */
static void run_rejects(RunShared *sh, RunDiag *dg)
{
    for (int k = 0; sh->m->report && k < sh->cfg->chains; k++) {
        RunChain *c = &sh->ch[k];
        char *rep = c->have_target ? sh->m->report(sh->m->model, &c->t) : NULL;
        for (char *l = rep, *nl; l && *l; l = nl + 1) {
            if (!(nl = strchr(l, '\n'))) nl = l + strlen(l) - 1;
            rundiag_add_text(dg, "reject", k + 1, "chain %d: %.*s", k + 1, (int)(nl - l), l);
        }
        free(rep);
    }
    sh->rejects_taken = 1;
}

static void run_release(RunShared *sh)
{
    const Backend *b = sh->cfg->backend;
    for (int k = 0; k < sh->cfg->chains; k++) {
        RunChain *c = &sh->ch[k];
        if (c->st)
            (b->free)(c->st);   /* parenthesised: free() is the allocator seam's macro */
        if (c->have_target && sh->m->report && !sh->rejects_taken) {   /* a failed run's, in chain order */
            char *rep = sh->m->report(sh->m->model, &c->t);
            for (char *l = rep, *nl; l && *l; l = nl + 1) {
                if (!(nl = strchr(l, '\n'))) nl = l + strlen(l) - 1;
                fprintf(stderr, "chain %d: %.*s\n", k + 1, (int)(nl - l), l);
            }
            free(rep);
        }
        if (c->have_target && sh->m->target_free)
            sh->m->target_free(sh->m->model, &c->t);
        if (c->have_csv)
            csv_close(&c->csv);
        gsl_rng_free(c->r);
        free(c->u);
        free(c->grad);
        free(c->cols);
        free(c->wrow);
        free(c->usum);
        free(c->row_end);
        free(c->failed);
        free(c->value_why);
        free(c->path);
        free(c->report_txt[0]);
        free(c->report_txt[1]);
        free(c->report_txt[2]);
    }
    free(sh->ch);
}

/* After the chains: an interrupted chain that got further than the others is cut
 * back to the common number of draws (the draws the summary uses, and what rstan
 * requires of the files of one fit), then each file gets its timing block.  Chains
 * still queued when the run was interrupted are left out altogether. */
static void run_finish_csv(RunShared *sh, int ran, long nd)
{
    const Backend *b = sh->cfg->backend;
    for (int k = 0; k < sh->cfg->chains; k++) {
        RunChain *c = &sh->ch[k];
        if (!c->have_csv)
            continue;
        if (k >= ran) {   /* interrupted before it started: no file rather than an empty one */
            csv_discard(&c->csv);
            continue;
        }
        if (c->ndone > nd)
            csv_truncate(&c->csv, c->row_end[nd]);
        csv_timing(&c->csv, c->t_warmup, c->t_sampling, b->kind == BK_SAMPLER ? "Sampling" : "Drawing");
    }
}

/* Chains spread over ranks: tell the others when this rank stops, hear when they do. */
static void run_poll_ranks(RunShared *sh)
{
    if (runmp_spread(sh->cfg) &&
        mp_stop_poll(atomic_load(&run_sigint) || atomic_load(&sh->failed)))
        atomic_store(&sh->remote, 1);
}

/* Start the workers and draw progress until they are all done. */
static int run_pool(RunShared *sh, int nthreads, Progress *prog)
{
    pthread_t tid[nthreads];
    int started = 0;
    /* chains in parallel already use the cores: OpenBLAS's own threads (a GEMV of
     * X * beta) would only oversubscribe them (docs/ir.md) */
    int blas_threads = openblas_get_num_threads();
    if (nthreads > 1)
        openblas_set_num_threads(1);
    pthread_mutex_lock(&sh->mu);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&tid[i], NULL, run_worker, sh) != 0)
            break;
        started++;
        sh->running++;
    }
    while (sh->running > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
        pthread_mutex_unlock(&sh->mu);
        prog_update(prog, sh->ch, sh->cfg->chains, run_now(), 0);
        if (runmp_notice_check())   /* the launcher is ending the job: stop now, not at its SIGTERM */
            run_on_sigint(SIGCONT);
        run_poll_ranks(sh);
        pthread_mutex_lock(&sh->mu);
    }
    pthread_mutex_unlock(&sh->mu);
    run_poll_ranks(sh);       /* a failure in the last chain here still stops the others */
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (nthreads > 1)
        openblas_set_num_threads(blas_threads);
    return started;
}

static int run_check_config(const RunModel *m, const RunConfig *cfg, char *err, size_t errlen)
{
    const Backend *b = cfg->backend;
    if (!b) {
        snprintf(err, errlen, "no inference method given");
        return 1;
    }
    if (cfg->chains < 1) {
        snprintf(err, errlen, "--chains must be at least 1, got %d", cfg->chains);
        return 1;
    }
    if (cfg->base.draws < 0 || cfg->base.warmup < 0 || cfg->base.iters < 0) {
        snprintf(err, errlen, "--warmup, --draws and --iters must not be negative");
        return 1;
    }
    if (!m->target_new || (m->ncols > 0 && !m->values)) {
        snprintf(err, errlen, "the model gives no log density");
        return 1;
    }
    return bk_check_options(b, cfg->base.opts, cfg->base.nopts, err, errlen) != 0 ? 1 : 0;
}

static size_t run_method_columns(const Backend *b)
{
    size_t n = 0;
    while (b->columns && b->columns[n] && n < BK_MAX_COLUMNS)
        n++;
    return n;
}

/* Keep the first `nd` draws of each chain, contiguously (chain-major). */
static void run_compact(RunResult *res, long cap, long nd)
{
    for (int k = 1; k < res->chains && nd < cap; k++)
        memmove(res->draws + (size_t)k * (size_t)nd * res->ncols,
                res->draws + (size_t)k * (size_t)cap * res->ncols,
                (size_t)nd * res->ncols * sizeof *res->draws);
}

/* The result arrays and the column names: lp__, the method's, the model's. */
static int run_alloc(RunShared *sh, RunResult *res, long cap, char *err, size_t errlen)
{
    const Backend *b = sh->cfg->backend;
    res->chains = sh->cfg->chains;
    res->ncols = sh->ncols;
    res->col_names = calloc(sh->ncols, sizeof *res->col_names);
    res->draws = malloc(((size_t)res->chains * (size_t)cap * sh->ncols + 1) * sizeof *res->draws);
    sh->ch = calloc((size_t)res->chains, sizeof *sh->ch);
    if (!res->col_names || !res->draws || !sh->ch) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    res->col_names[0] = "lp__";
    for (size_t i = 0; i < sh->nmethod; i++)
        res->col_names[1 + i] = b->columns[i];
    for (size_t i = 0; i < sh->m->ncols; i++)
        res->col_names[1 + sh->nmethod + i] = sh->m->col_names[i];
    return 0;
}

/* Run the chains with SIGINT caught; returns the number of threads used. */
static int run_chains(RunShared *sh, double *seconds, int *interrupted)
{
    const RunConfig *cfg = sh->cfg;
    const Backend *b = cfg->backend;
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cv, NULL);
    atomic_init(&sh->failed, 0);
    atomic_init(&sh->remote, 0);
    struct sigaction sa, old, oldterm, oldcont;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = run_on_sigint;
    /* SIGTERM (a kill, a batch system's time limit) ends the run as Ctrl-C does, with
     * the files finished and the summary.  No SA_RESETHAND: a second signal must not
     * kill a REPL session or leave the files unfinished; the interpreter's loops look
     * at the flag, so the first one is enough. */
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a second Ctrl-C while a chain writes its CSV rows must not fail the
     * write (EINTR) and turn the interrupted run into an I/O error; the flag is what
     * stops the chains, no call needs to be cut short */
    sa.sa_flags = SA_RESTART;
    /* a signal already caught by the caller's vm_interrupt_catch (while the model
     * loaded) stops the run at once rather than being lost */
    atomic_store(&run_sigint, vm_interrupt_pending());
    mp_request_stop(0);
    mp_set_stop_agreed(0);
    sigaction(SIGINT, &sa, &old);
    /* (Ctrl-C to mpirun reaches the processes as SIGCONT, then SIGTERM, then SIGKILL) */
    sigaction(SIGTERM, &sa, &oldterm);
    runmp_notice_begin(&oldcont);   /* ... and before them, SIGCONT (run_notice.c) */

    long per_chain = b->kind == BK_SAMPLER ? cfg->base.warmup + cfg->base.draws
                                           : cfg->base.iters + cfg->base.draws;
    Progress prog;
    double t0 = run_now();
    prog_start(&prog, run_progress_mode(cfg), per_chain * cfg->chains, b, t0);
    prog_shape(&prog, cfg->chains, run_threads(cfg), b->kind == BK_SAMPLER ? cfg->base.warmup : cfg->base.iters,
               cfg->base.draws);
    if (runmp_spread(cfg))
        mp_stop_begin();
    int started = run_pool(sh, run_threads(cfg), &prog);
    if (runmp_spread(cfg))
        mp_stop_end();
    double t1 = run_now();
    if (atomic_load(&sh->failed))
        prog_abort(&prog);           /* the error says it all: no final progress line */
    else
        prog_finish(&prog, sh->ch, cfg->chains, t1);

    sigaction(SIGINT, &old, NULL);
    sigaction(SIGTERM, &oldterm, NULL);
    runmp_notice_end(&oldcont);
    *interrupted = atomic_load(&run_sigint) ? atomic_load(&run_sigint) : vm_interrupt_pending();
    if (!*interrupted && mp_stop_agreed())   /* another process was stopped (mpirun's SIGTERM) */
        *interrupted = SIGTERM;
    vm_interrupt_clear();   /* consumed: the next run starts afresh */
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    *seconds = t1 - t0;
    return started;
}

/* Keep the draws every chain that ran has (chains are taken in order, so those that
 * ran are a prefix), finish the files, gather timings and failed checks. */
static void run_collect(RunShared *sh, RunResult *res, long cap)
{
    int ran = 0;
    while (ran < sh->cfg->chains && atomic_load(&sh->ch[ran].phase) != 0)
        ran++;
    long nd = ran > 0 ? cap : 0;
    for (int k = 0; k < ran; k++)
        if (sh->ch[k].ndone < nd)
            nd = sh->ch[k].ndone;
    res->chains = ran;
    for (int k = 0; k < ran; k++) {
        RunChain *c = &sh->ch[k];
        for (long d = 0; d < nd; d++)
            c->value_fails += c->failed[d];
        if (c->t_warmup > res->seconds_warmup)
            res->seconds_warmup = c->t_warmup;
        if (c->t_sampling > res->seconds_sampling)
            res->seconds_sampling = c->t_sampling;
    }
    run_compact(res, cap, nd);
    res->ndraws = nd;
    run_finish_csv(sh, ran, nd);
    for (int k = 0; k < ran; k++)
        sh->ch[k].ndone = nd;
}

int run_inference(const RunModel *m, const RunConfig *cfg, RunResult *res, char *err, size_t errlen)
{
    RunResult local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    int rc = run_check_config(m, cfg, err, errlen);
    if (rc != 0)
        return rc;
    RunShared sh = {.m = m, .cfg = cfg, .nmethod = run_method_columns(cfg->backend)};
    sh.ncols = 1 + sh.nmethod + m->ncols;
    long cap = cfg->base.draws;
    if (cfg->backend->kind == BK_SAMPLER)   /* iterations 0, thin, 2 thin, ... are kept */
        cap = (cfg->base.draws + run_thin(cfg) - 1) / run_thin(cfg);
    rc = run_alloc(&sh, res, cap, err, errlen);
    if (rc == 0)
        rc = run_prepare(&sh, res, cap, err, errlen);
    if (mp_size() > 1) {      /* a rank that cannot start stops them all */
        int any = mp_max_int(rc);
        if (any != 0 && rc == 0) {
            rc = any;
            snprintf(err, errlen, "another process could not start (out of memory or no temporary file)");
        }
    }
    double seconds = 0;
    int threads = 0;
    if (rc == 0) {
        threads = run_chains(&sh, &seconds, &res->interrupted);
        if (threads == 0) {
            snprintf(err, errlen, "cannot start a thread");
            rc = 2;
        }
        runmp_gather(cfg, sh.ch, sh.ncols, &res->interrupted);
    }
    for (int k = 0; rc == 0 && k < cfg->chains; k++)
        if (sh.ch[k].status != 0) {   /* the first failed chain speaks */
            rc = sh.ch[k].status;
            snprintf(err, errlen, "%s", sh.ch[k].err);
        }
    rc = runmp_agree(rc, err, errlen, &res->interrupted);
    if (rc == 0 && mp_rank() != 0) {  /* rank 0 writes and summarises */
        int interrupted = res->interrupted;
        run_release(&sh);
        run_result_free(res);
        return interrupted ? 130 : 0;
    }
    if (rc != 0) {
        if (sh.ch)
            run_release(&sh);
        run_result_free(res);
        return rc;
    }
    run_collect(&sh, res, cap);
    RunReport rep = {.m = m, .cfg = cfg, .res = res, .ch = sh.ch, .nmethod = sh.nmethod,
                     .seconds_total = seconds, .threads = threads};
    RunDiag dg;
    rc = rundiag_failed(&rep, err, errlen);   /* a failed run gets its reason, not a table */
    memset(&dg, 0, sizeof dg);
    if (rc == 0) {
        rundiag_compute(&rep, &dg);
        run_rejects(&sh, &dg);
        rep.diag = &dg;
    }
    /* the file first: under mpirun's Ctrl-C the table may block on a full pty (run_notice.c) */
    int json_failed = rc == 0 && cfg->summary_json && runsum_json(&rep, cfg->summary_json, err, errlen) != 0;
    if (rc == 0 && cfg->out)
        runsum_print(&rep, cfg->out);
    if (json_failed)
        rc = 1;
    if (rc == 0)
        rundiag_print(&dg, stderr);
    if (rc == 0 && cfg->strict && dg.n > 0 && !res->interrupted) {
        snprintf(err, errlen, "--strict: %zu warning%s", dg.n, dg.n == 1 ? "" : "s");
        rc = 3;
    }
    rundiag_free(&dg);
    run_release(&sh);
    int interrupted = res->interrupted;
    long nd = res->ndraws;
    if (res == &local)
        run_result_free(res);
    if (rc == 0 && interrupted) {
        snprintf(err, errlen, "interrupted by %s: %ld draws per chain kept",
                 interrupted == SIGTERM   ? "SIGTERM"
                 : interrupted == SIGCONT ? "the MPI launcher ending the job (Ctrl-C to mpirun, or a kill)"
                                          : "Ctrl-C", nd);
        rc = 128 + (interrupted == SIGTERM ? SIGTERM : SIGINT);
    }
    return rc;
}

void run_result_free(RunResult *res)
{
    if (!res)
        return;
    free(res->col_names);
    free(res->draws);
    res->col_names = NULL;
    res->draws = NULL;
    res->ndraws = 0;
}
