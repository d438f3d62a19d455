/* CAVI on the models of tests/backends/cavi/: exact posteriors and evidence for
 * single-block conjugate models, the textbook mean-field fixed point, exact means of a
 * regression, a Gaussian mixture with discrete assignments, the ELBO never
 * decreasing, draws from q, and the refusal of non-conjugate models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include "tests/test_seed.h"
#include "backends/cavi.h"
#include "runtime/model.h"

static const Backend *const B = &backend_cavi;

static char *model_path(const char *name)
{
    const char *src = getenv("VMOD_SRC");
    char *p = NULL;
    if (asprintf(&p, "%s/tests/backends/cavi/%s", src ? src : ".", name) < 0) return NULL;
    return p;
}

typedef struct Fit {
    VmModel *m;
    VmEval *e;
    BkTarget t;
    void *st;
    long sweeps, steps;
    int rc;
    char err[4096];
} Fit;

static int fit_logp(void *ctx, const double *u, double *lp, double *grad)
{
    return vm_log_density(ctx, u, 1, lp, grad);
}

/* Load, create and step to convergence, asserting after every sweep that the ELBO
 * did not decrease within a restart.  Returns the create status (0 or -1). */
static int fit_run(Fit *f, const char *name, const char *data_path, const BkOpt *opts, size_t nopts, double tol)
{
    memset(f, 0, sizeof *f);
    char *path = model_path(name), *msg = NULL;
    f->m = vm_model_load_file(path, data_path, &msg);
    ck_assert_msg(f->m, "%s: %s", name, msg ? msg : "");
    free(path);
    f->e = vm_eval_new(f->m);
    f->t = (BkTarget){vm_model_dim(f->m), vm_model_ndisc(f->m), f->m->disc_lo, f->m->disc_hi, fit_logp, f->e, f->m};
    BkSettings s = {.iters = 20000, .tol = tol, .seed = test_seed(7), .opts = opts, .nopts = nopts};
    f->st = B->create(&s, &f->t, f->err, sizeof f->err);
    if (!f->st) return -1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    ck_assert_int_eq(B->init(f->st, &f->t, r, NULL, f->err, sizeof f->err), 0);
    double prev = -INFINITY;
    long restart = 0;
    for (long it = 0; it < s.iters; it++) {
        f->rc = B->step(f->st, &f->t, r, it, 0, f->err, sizeof f->err);
        ck_assert_msg(f->rc != BK_FAIL, "%s: %s", name, f->err);
        f->steps++;
        if (f->rc == BK_DONE) break;
        if (cavi_restart(f->st) != restart) { restart = cavi_restart(f->st); prev = -INFINITY; continue; }
        double el = cavi_elbo(f->st);
        ck_assert_msg(el >= prev - 1e-12 * fabs(el), "%s: the ELBO fell from %.17g to %.17g at sweep %ld", name, prev,
                      el, cavi_sweeps(f->st));
        prev = el;
    }
    ck_assert_msg(f->rc == BK_DONE, "%s: no convergence in %ld sweeps", name, f->steps);
    gsl_rng_free(r);
    return 0;
}

static void fit_free(Fit *f)
{
    if (f->st) B->free(f->st);
    vm_eval_free(f->e);
    vm_model_free(f->m);
}

/* A data value of the model, by name. */
static Val dat(const VmModel *m, const char *name)
{
    for (int i = 0; i < m->ir->nvars; i++)
        if (m->ir->vars[i].kind == D_DATA && !strcmp(m->ir->vars[i].name, name)) return m->data_env[i];
    ck_abort_msg("no data '%s'", name);
    return (Val){0};
}
static double dx(const Val *v, int i) { return v->base == TB_INT ? v->iv[i] : v->x[i]; }

static void close_to(const char *what, double got, double want, double tol)
{
    ck_assert_msg(fabs(got - want) <= tol * (1 + fabs(want)), "%s: %.15g, expected %.15g", what, got, want);
}

/* ---- single-block conjugate models: the exact posterior, and the ELBO = log p(y) ---- */

static void check_beta_bernoulli(Fit *f)
{
    Val y = dat(f->m, "y");
    double a = dat(f->m, "a").x[0], b = dat(f->m, "b").x[0], s = 0;
    for (int i = 0; i < y.n; i++) s += dx(&y, i);
    const CjBlock *q = cavi_block(f->st, "theta");
    close_to("a", q->p1[0], a + s, 1e-12);
    close_to("b", q->p2[0], b + y.n - s, 1e-12);
    close_to("ELBO = log evidence", cavi_elbo(f->st), gsl_sf_lnbeta(a + s, b + y.n - s) - gsl_sf_lnbeta(a, b), 1e-10);
}

static void check_gamma_poisson(Fit *f)
{
    Val g = dat(f->m, "g"), y = dat(f->m, "y"), t = dat(f->m, "t");
    int J = dat(f->m, "J").iv[0];
    const CjBlock *q = cavi_block(f->st, "lambda");
    double ev = 0;
    for (int j = 0; j < J; j++) {
        double sy = 0, st = 0;
        for (int n = 0; n < y.n; n++)
            if (g.iv[n] == j + 1) { sy += y.iv[n]; st += t.x[n]; }
        close_to("shape", q->p1[j], 2 + sy, 1e-12);
        close_to("rate", q->p2[j], 0.5 + st, 1e-12);
        ev += 2 * log(0.5) - gsl_sf_lngamma(2) + gsl_sf_lngamma(2 + sy) - (2 + sy) * log(0.5 + st);
    }
    for (int n = 0; n < y.n; n++) ev += y.iv[n] * log(t.x[n]) - gsl_sf_lngamma(y.iv[n] + 1.0);
    close_to("ELBO = log evidence", cavi_elbo(f->st), ev, 1e-10);
}

static void check_normal_known(Fit *f)
{
    Val y = dat(f->m, "y");
    double sg = dat(f->m, "sigma").x[0], prec = 1 / 4.0, h = 1 / 4.0;
    for (int i = 0; i < y.n; i++) { prec += 1 / (sg * sg); h += y.x[i] / (sg * sg); }
    const CjBlock *q = cavi_block(f->st, "mu");
    close_to("mean", q->mean[0], h / prec, 1e-12);
    close_to("variance", q->cov[0], 1 / prec, 1e-12);
    /* log evidence: y ~ N(1, sg^2 I + 4 11'), by the matrix determinant lemma */
    int n = y.n;
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) { s1 += y.x[i] - 1; s2 += (y.x[i] - 1) * (y.x[i] - 1); }
    double v = sg * sg, c = 4, quad = (s2 - c * s1 * s1 / (v + n * c)) / v;
    double logdet = n * log(v) + log1p(n * c / v);
    close_to("ELBO = log evidence", cavi_elbo(f->st), -0.5 * (n * log(2 * M_PI) + logdet + quad), 1e-10);
}

static void check_dirichlet(Fit *f)
{
    Val y = dat(f->m, "y"), al = dat(f->m, "alpha");
    int K = al.n;
    double cnt[16] = {0}, a0 = 0, ev = 0;
    for (int i = 0; i < y.n; i++) cnt[y.iv[i] - 1] += 1;
    const CjBlock *q = cavi_block(f->st, "theta");
    for (int k = 0; k < K; k++) {
        close_to("alpha", q->p1[k], al.x[k] + cnt[k], 1e-12);
        a0 += al.x[k];
        ev += gsl_sf_lngamma(al.x[k] + cnt[k]) - gsl_sf_lngamma(al.x[k]);
    }
    ev += gsl_sf_lngamma(a0) - gsl_sf_lngamma(a0 + y.n);
    close_to("ELBO = log evidence", cavi_elbo(f->st), ev, 1e-10);
}

static void check_rate1(Fit *f)
{
    int n = dat(f->m, "n").iv[0], k = dat(f->m, "k").iv[0];
    const CjBlock *q = cavi_block(f->st, "theta");
    close_to("a", q->p1[0], k + 1, 1e-12);
    close_to("b", q->p2[0], n - k + 1, 1e-12);
    close_to("ELBO = log evidence", cavi_elbo(f->st), gsl_sf_lnchoose((unsigned)n, (unsigned)k) + gsl_sf_lnbeta(k + 1, n - k + 1),
             1e-10);
}

static void check_mvn(Fit *f)
{
    Val y = dat(f->m, "y"), m0 = dat(f->m, "m0"), S0 = dat(f->m, "S0"), S = dat(f->m, "S");
    int D = m0.n, N = y.n / D;
    gsl_matrix *P0 = gsl_matrix_alloc(D, D), *P = gsl_matrix_alloc(D, D), *L = gsl_matrix_alloc(D, D);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) { gsl_matrix_set(P0, i, j, S0.x[i + j * D]); gsl_matrix_set(P, i, j, S.x[i + j * D]); }
    gsl_linalg_cholesky_decomp1(P0); gsl_linalg_cholesky_invert(P0);
    gsl_linalg_cholesky_decomp1(P); gsl_linalg_cholesky_invert(P);
    gsl_vector *h = gsl_vector_calloc(D), *mean = gsl_vector_alloc(D);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double sy = 0;
            for (int n = 0; n < N; n++) sy += y.x[n * D + j];
            *gsl_vector_ptr(h, i) += gsl_matrix_get(P0, i, j) * m0.x[j] + gsl_matrix_get(P, i, j) * sy;
            gsl_matrix_set(L, i, j, gsl_matrix_get(P0, i, j) + N * gsl_matrix_get(P, i, j));
        }
    gsl_linalg_cholesky_decomp1(L);
    gsl_linalg_cholesky_solve(L, h, mean);
    gsl_linalg_cholesky_invert(L);
    const CjBlock *q = cavi_block(f->st, "mu");
    for (int i = 0; i < D; i++) {
        close_to("mean", q->mean[i], gsl_vector_get(mean, i), 1e-10);
        for (int j = 0; j < D; j++) close_to("cov", q->cov[i * D + j], gsl_matrix_get(L, i, j), 1e-10);
    }
    gsl_matrix_free(P0); gsl_matrix_free(P); gsl_matrix_free(L); gsl_vector_free(h); gsl_vector_free(mean);
}

static void check_invgamma(Fit *f)
{
    Val y = dat(f->m, "y");
    double m = dat(f->m, "m").x[0], ss = 0;
    for (int i = 0; i < y.n; i++) ss += (y.x[i] - m) * (y.x[i] - m);
    const CjBlock *q = cavi_block(f->st, "sigma2");
    ck_assert_int_eq(q->fam, Q_INVGAMMA);
    close_to("shape", q->p1[0], 3 + y.n / 2.0, 1e-12);
    close_to("scale", q->p2[0], 2 + ss / 2, 1e-12);
    double ev = 3 * log(2.0) - gsl_sf_lngamma(3) + gsl_sf_lngamma(3 + y.n / 2.0) - (3 + y.n / 2.0) * log(2 + ss / 2) -
                y.n / 2.0 * log(2 * M_PI);
    close_to("ELBO = log evidence", cavi_elbo(f->st), ev, 1e-10);
}

static void check_gamma_exp(Fit *f)
{
    Val y = dat(f->m, "y");
    double x = dat(f->m, "x").x[0], sy = 0;
    for (int i = 0; i < y.n; i++) sy += y.x[i];
    const CjBlock *q = cavi_block(f->st, "lambda");
    close_to("shape", q->p1[0], 2 + y.n + 3, 1e-12);
    close_to("rate", q->p2[0], 1 + sy + x, 1e-12);
    double a = 2 + y.n + 3, b = 1 + sy + x;
    double ev = -gsl_sf_lngamma(2) + gsl_sf_lngamma(a) - a * log(b) - gsl_sf_lngamma(3) + 2 * log(x);
    close_to("ELBO = log evidence", cavi_elbo(f->st), ev, 1e-10);
}

static void check_multinomial(Fit *f)
{
    Val y = dat(f->m, "y");
    const double al[3] = {2, 1, 1};
    const CjBlock *q = cavi_block(f->st, "theta");
    double ev = gsl_sf_lngamma(4) - gsl_sf_lngamma(4 + y.iv[0] + y.iv[1] + y.iv[2]);
    double N = 0;
    for (int k = 0; k < 3; k++) {
        close_to("alpha", q->p1[k], al[k] + y.iv[k], 1e-12);
        ev += gsl_sf_lngamma(al[k] + y.iv[k]) - gsl_sf_lngamma(al[k]) - gsl_sf_lngamma(y.iv[k] + 1.0);
        N += y.iv[k];
    }
    ev += gsl_sf_lngamma(N + 1);
    close_to("ELBO = log evidence", cavi_elbo(f->st), ev, 1e-10);
}

typedef struct ExactCase {
    const char *model;
    const char *pdb;           /* posteriordb data set under $VMOD_SHARED, or NULL */
    void (*check)(Fit *);
    const char *report;        /* a line of the report */
} ExactCase;

static const ExactCase exact_cases[] = {
    {"beta_bernoulli.vmod", NULL, check_beta_bernoulli, "theta: beta (prior in 1 statement, conjugate to 1 likelihood statement)"},
    {"gamma_poisson.vmod", NULL, check_gamma_poisson, "lambda: gamma (prior in 1 statement, conjugate to 1 likelihood statement)"},
    {"normal_known.vmod", NULL, check_normal_known, "mu: normal (prior in 1 statement, conjugate to 1 likelihood statement)"},
    {"normal_known_target.vmod", NULL, check_normal_known, "mu: normal (prior in 1 statement, conjugate to 1 likelihood statement)"},
    {"dirichlet_categorical.vmod", NULL, check_dirichlet, "theta: Dirichlet (prior in 1 statement"},
    {"../../../examples/posteriordb/Rate_1_data-Rate_1_model.vmod", "Rate_1_data-Rate_1_model", check_rate1, "theta: beta"},
    {"mvn_mean.vmod", NULL, check_mvn, "mu: normal (prior in 1 statement, conjugate to 1 likelihood statement)"},
    {"invgamma_var.vmod", NULL, check_invgamma, "sigma2: inverse gamma"},
    {"gamma_exponential.vmod", NULL, check_gamma_exp, "lambda: gamma (prior in 1 statement, conjugate to 2 likelihood statements)"},
    {"multinomial.vmod", NULL, check_multinomial, "theta: Dirichlet"},
};

START_TEST(test_exact)
{
    const ExactCase *c = &exact_cases[_i];
    char *data = NULL;
    if (c->pdb) {
        const char *sh = getenv("VMOD_SHARED");
        ck_assert_int_ge(asprintf(&data, "%s/posteriordb/%s/data.json", sh ? sh : "../shared", c->pdb), 0);
    }
    Fit f;
    ck_assert_msg(fit_run(&f, c->model, data, NULL, 0, 0) == 0, "%s: %s", c->model, f.err);
    ck_assert_msg(f.steps == 2, "%s: %ld sweeps for one conjugate block", c->model, f.steps);
    c->check(&f);
    char buf[4096] = "";
    FILE *o = fmemopen(buf, sizeof buf - 1, "w");
    B->report(f.st, o, "# ");
    fclose(o);
    ck_assert_msg(strstr(buf, c->report), "%s", buf);
    ck_assert_msg(strstr(buf, "# CAVI: ELBO = "), "%s", buf);
    fit_free(&f);
    free(data);
}
END_TEST

/* ---- generated data, written as JSON for vm_model_load_file ---- */

static char *write_json(const char *text)
{
    char *p = strdup("/tmp/test_cavi_XXXXXX");
    int fd = mkstemp(p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return p;
}

static void json_vec(char **s, size_t *n, FILE **o, const char *name, const double *x, int len)
{
    (void)s; (void)n;
    fprintf(*o, "\"%s\": [", name);
    for (int i = 0; i < len; i++) fprintf(*o, "%s%.17g", i ? "," : "", x[i]);
    fprintf(*o, "]");
}

/* Bishop (2006) section 10.1.3, iterated here to its fixed point. */
START_TEST(test_normal_gamma)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    enum { N = 50 };
    double y[N], sy = 0;
    for (int i = 0; i < N; i++) { y[i] = 1.3 + 0.7 * gsl_ran_gaussian(r, 1); sy += y[i]; }
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    fprintf(o, "{\"N\": %d, ", N);
    json_vec(&text, &len, &o, "y", y, N);
    fprintf(o, "}");
    fclose(o);
    char *path = write_json(text);
    Fit f;
    ck_assert_msg(fit_run(&f, "normal_gamma.vmod", path, NULL, 0, 1e-15) == 0, "%s", f.err);
    const double mu0 = 0.5, l0 = 2, a0 = 3, b0 = 2;
    double muN = (l0 * mu0 + sy) / (l0 + N), aN = a0 + (N + 1) / 2.0, bN = b0, lN = 1;
    for (int it = 0; it < 200; it++) {
        lN = (l0 + N) * aN / bN;
        double ss = 0;
        for (int i = 0; i < N; i++) ss += (y[i] - muN) * (y[i] - muN);
        bN = b0 + 0.5 * (ss + N / lN + l0 * ((muN - mu0) * (muN - mu0) + 1 / lN));
    }
    const CjBlock *qm = cavi_block(f.st, "mu"), *qt = cavi_block(f.st, "tau");
    close_to("E mu", qm->mean[0], muN, 1e-8);
    close_to("Var mu", qm->cov[0], 1 / lN, 1e-8);
    close_to("shape of tau", qt->p1[0], aN, 1e-8);
    close_to("rate of tau", qt->p2[0], bN, 1e-8);
    ck_assert_msg(f.steps > 2, "the fixed point needs more than one sweep (%ld)", f.steps);
    fit_free(&f);
    unlink(path);
    free(path);
    free(text);
    gsl_rng_free(r);
}
END_TEST

/* Two mean-field blocks (alpha, beta): their means are the exact posterior means,
 * beta's covariance the inverse of its block of the exact precision. */
START_TEST(test_linreg)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    enum { N = 40, P = 3 };
    const double sg = 0.7, bt[P] = {1.5, -0.8, 0.3};
    double X[N][P], y[N];
    for (int n = 0; n < N; n++) {
        y[n] = 0.4 + sg * gsl_ran_gaussian(r, 1);
        for (int p = 0; p < P; p++) { X[n][p] = gsl_ran_gaussian(r, 1) + 0.5; y[n] += X[n][p] * bt[p]; }
    }
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    fprintf(o, "{\"N\": %d, \"P\": %d, \"X\": [", N, P);
    for (int n = 0; n < N; n++) {
        fprintf(o, "%s[", n ? "," : "");
        for (int p = 0; p < P; p++) fprintf(o, "%s%.17g", p ? "," : "", X[n][p]);
        fprintf(o, "]");
    }
    fprintf(o, "], ");
    json_vec(&text, &len, &o, "y", y, N);
    fprintf(o, "}");
    fclose(o);
    char *path = write_json(text);
    Fit f;
    ck_assert_msg(fit_run(&f, "linreg_known.vmod", path, NULL, 0, 1e-15) == 0, "%s", f.err);
    /* exact joint posterior of (alpha, beta) */
    gsl_matrix *Lam = gsl_matrix_calloc(P + 1, P + 1);
    gsl_vector *h = gsl_vector_calloc(P + 1), *m = gsl_vector_alloc(P + 1);
    for (int n = 0; n < N; n++) {
        double a[P + 1] = {1};
        for (int p = 0; p < P; p++) a[p + 1] = X[n][p];
        for (int i = 0; i <= P; i++) {
            *gsl_vector_ptr(h, i) += a[i] * y[n] / (sg * sg);
            for (int j = 0; j <= P; j++) *gsl_matrix_ptr(Lam, i, j) += a[i] * a[j] / (sg * sg);
        }
    }
    *gsl_matrix_ptr(Lam, 0, 0) += 1 / 25.0;
    for (int p = 1; p <= P; p++) *gsl_matrix_ptr(Lam, p, p) += 1 / 4.0;
    gsl_matrix *Lb = gsl_matrix_alloc(P, P);
    for (int i = 0; i < P; i++) for (int j = 0; j < P; j++) gsl_matrix_set(Lb, i, j, gsl_matrix_get(Lam, i + 1, j + 1));
    gsl_linalg_cholesky_decomp1(Lam);
    gsl_linalg_cholesky_solve(Lam, h, m);
    gsl_linalg_cholesky_decomp1(Lb);
    gsl_linalg_cholesky_invert(Lb);
    const CjBlock *qa = cavi_block(f.st, "alpha"), *qb = cavi_block(f.st, "beta");
    close_to("E alpha", qa->mean[0], gsl_vector_get(m, 0), 1e-8);
    for (int p = 0; p < P; p++) {
        close_to("E beta", qb->mean[p], gsl_vector_get(m, p + 1), 1e-8);
        for (int j = 0; j < P; j++) close_to("Cov beta", qb->cov[p * P + j], gsl_matrix_get(Lb, p, j), 1e-8);
    }
    fit_free(&f);
    gsl_matrix_free(Lam); gsl_matrix_free(Lb); gsl_vector_free(h); gsl_vector_free(m);
    unlink(path);
    free(path);
    free(text);
    gsl_rng_free(r);
}
END_TEST

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Bishop section 10.2: N = 300 points from three well separated components; the
 * model with a loop over y[n] ~ normal(mu[z[n]], s), and vectorised. */
static const char *const mixture_models[] = {"mixture3.vmod", "mixture3_vec.vmod"};

START_TEST(test_mixture)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    enum { N = 300, K = 3 };
    const double mu[K] = {-4, 0, 4.5}, sd = 0.6;
    double y[N], sum[K] = {0}, cnt[K] = {0};
    int z[N];
    for (int n = 0; n < N; n++) {
        z[n] = (int)gsl_rng_uniform_int(r, K);
        y[n] = mu[z[n]] + sd * gsl_ran_gaussian(r, 1);
        sum[z[n]] += y[n];
        cnt[z[n]] += 1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    fprintf(o, "{\"N\": %d, \"K\": %d, ", N, K);
    json_vec(&text, &len, &o, "y", y, N);
    fprintf(o, "}");
    fclose(o);
    char *path = write_json(text);
    const BkOpt opts[] = {{"restarts", "5"}, {NULL, NULL}};
    Fit f;
    ck_assert_msg(fit_run(&f, mixture_models[_i], path, opts, 1, 0) == 0, "%s", f.err);
    const CjBlock *qm = cavi_block(f.st, "mu"), *qz = cavi_block(f.st, "z"), *qt = cavi_block(f.st, "tau");
    double got[K];
    for (int k = 0; k < K; k++) got[k] = qm->mean[k];
    qsort(got, K, sizeof(double), dcmp);
    for (int k = 0; k < K; k++) {
        ck_assert_msg(fabs(got[k] - mu[k]) < 0.2, "component %d: mean %g, true %g", k, got[k], mu[k]);
        ck_assert_msg(fabs(got[k] - sum[k] / cnt[k]) < 0.05, "component %d: mean %g, sample mean %g", k, got[k], sum[k] / cnt[k]);
    }
    close_to("E tau", qt->p1[0] / qt->p2[0], 1 / (sd * sd), 0.25);
    /* the assignments: every point's most probable component is its true one (up to labels) */
    int wrong = 0;
    for (int n = 0; n < N; n++) {
        int best = 0;
        for (int k = 1; k < K; k++) if (qz->p1[n * K + k] > qz->p1[n * K + best]) best = k;
        int rank = 0;
        for (int k = 0; k < K; k++) if (qm->mean[k] < qm->mean[best]) rank++;
        wrong += rank != z[n];
    }
    ck_assert_msg(wrong <= 3, "%d of %d points assigned to another component", wrong, N);
    /* draws: discrete values in range, finite log density */
    double *u = calloc(vm_model_dim(f.m) + vm_model_ndisc(f.m), sizeof(double)), lp;
    for (int d = 0; d < 20; d++) {
        B->draw(f.st, r, u, &lp, NULL);
        ck_assert_msg(isfinite(lp), "draw %d: lp %g", d, lp);
        for (size_t j = 0; j < vm_model_ndisc(f.m); j++) ck_assert(u[vm_model_dim(f.m) + j] >= 1 && u[vm_model_dim(f.m) + j] <= K);
    }
    free(u);
    fit_free(&f);
    unlink(path);
    free(path);
    free(text);
    gsl_rng_free(r);
}
END_TEST

/* Hierarchical means: converges, the ELBO rises (checked by fit_run), and a further
 * sweep from the fixed point changes no q. */
START_TEST(test_hierarchical)
{
    Fit f;
    ck_assert_msg(fit_run(&f, "hier_normal.vmod", NULL, NULL, 0, 1e-14) == 0, "%s", f.err);
    const CjBlock *q = cavi_block(f.st, "mu");
    double before[5], el = cavi_elbo(f.st);
    memcpy(before, q->mean, sizeof before);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    char err[256];
    /* restarts = 1: one more step sweeps again from the converged q */
    ck_assert_int_ne(B->step(f.st, &f.t, r, 0, 0, err, sizeof err), BK_FAIL);
    for (int j = 0; j < 5; j++) close_to("mu fixed point", q->mean[j], before[j], 1e-7);
    close_to("ELBO", cavi_elbo(f.st), el, 1e-12);
    /* group means shrink toward the hyper-mean */
    Val y = dat(f.m, "y");
    for (int j = 0; j < 5; j++) {
        double s = 0;
        for (int i = 0; i < 4; i++) s += y.x[4 * j + i];
        double m = cavi_block(f.st, "m")->mean[0];
        ck_assert_msg(fabs(q->mean[j] - m) < fabs(s / 4 - m), "group %d not shrunk", j);
    }
    gsl_rng_free(r);
    fit_free(&f);
}
END_TEST

/* A change point: one discrete parameter selecting every statement's rate.  The
 * mean-field fixed point is iterated here from its equations: q(s = k) ∝
 * exp sum_t E log p(y_t | rate), q(e) = Gamma(2 + sum_t P(t < s) y_t, 1 + sum_t P(t < s)). */
START_TEST(test_changepoint)
{
    Fit f;
    ck_assert_msg(fit_run(&f, "changepoint.vmod", NULL, NULL, 0, 1e-15) == 0, "%s", f.err);
    Val y = dat(f.m, "y");
    int T = y.n;
    double q[64], ae = 1, be = 1, al = 1, bl = 1;
    for (int it = 0; it < 500; it++) {
        double ee = ae / be, le = gsl_sf_psi(ae) - log(be), el = al / bl, ll = gsl_sf_psi(al) - log(bl), mx = -INFINITY, z = 0;
        for (int k = 1; k <= T; k++) {
            double v = 0;
            for (int t = 1; t <= T; t++) v += t < k ? y.iv[t - 1] * le - ee : y.iv[t - 1] * ll - el;
            q[k - 1] = v;
            if (v > mx) mx = v;
        }
        for (int k = 0; k < T; k++) z += q[k] = exp(q[k] - mx);
        for (int k = 0; k < T; k++) q[k] /= z;
        ae = 2; be = 1; al = 2; bl = 1;
        for (int t = 1; t <= T; t++) {
            double pb = 0;
            for (int k = t + 1; k <= T; k++) pb += q[k - 1];
            ae += pb * y.iv[t - 1]; be += pb;
            al += (1 - pb) * y.iv[t - 1]; bl += 1 - pb;
        }
    }
    const CjBlock *qe = cavi_block(f.st, "e"), *ql = cavi_block(f.st, "l"), *qs = cavi_block(f.st, "s");
    close_to("shape e", qe->p1[0], ae, 1e-8);
    close_to("rate e", qe->p2[0], be, 1e-8);
    close_to("shape l", ql->p1[0], al, 1e-8);
    close_to("rate l", ql->p2[0], bl, 1e-8);
    for (int k = 0; k < T; k++) close_to("q(s)", qs->p1[k], q[k], 1e-8);
    fit_free(&f);
}
END_TEST

/* Draws from q: Beta(a', b') on the logit scale; normal on the identity. */
START_TEST(test_draws)
{
    Fit f;
    ck_assert_int_eq(fit_run(&f, "beta_bernoulli.vmod", NULL, NULL, 0, 0), 0);
    const CjBlock *q = cavi_block(f.st, "theta");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    enum { M = 20000 };
    double s = 0, s2 = 0, u, lp;
    for (int d = 0; d < M; d++) {
        B->draw(f.st, r, &u, &lp, NULL);
        double th = 1 / (1 + exp(-u)), lpx;
        vm_log_density(f.e, &u, 1, &lpx, NULL);
        ck_assert(lp == lpx);
        s += th;
        s2 += th * th;
    }
    double a = q->p1[0], b = q->p2[0], mean = a / (a + b), var = a * b / ((a + b) * (a + b) * (a + b + 1));
    ck_assert_msg(fabs(s / M - mean) < 4 * sqrt(var / M), "mean %g vs %g", s / M, mean);
    ck_assert_msg(fabs(s2 / M - s * s / M / M - var) < 0.05 * var, "variance %g vs %g", s2 / M - s * s / M / M, var);
    fit_free(&f);
    gsl_rng_free(r);
}
END_TEST

/* ---- the closed-form ELBO against a Monte Carlo estimate E_q[log p - log q] ---- */

/* log q at the constrained values x (parameters in declaration order). */
static double log_q(const void *st, const double *x)
{
    const CjModel *cm = cavi_model(st);
    double lq = 0;
    size_t o = 0;
    for (int i = 0; i < cm->nblk; i++) {
        const CjBlock *b = &cm->blk[i];
        int n = b->n;
        switch (b->fam) {
        case Q_NORMAL: {
            gsl_matrix *L = gsl_matrix_alloc(n, n);
            gsl_vector *d = gsl_vector_alloc(n), *w = gsl_vector_alloc(n);
            for (int j = 0; j < n; j++) {
                gsl_vector_set(d, j, x[o + j] - b->mean[j]);
                for (int k = 0; k < n; k++) gsl_matrix_set(L, j, k, b->cov[j * n + k]);
            }
            gsl_linalg_cholesky_decomp1(L);
            gsl_linalg_cholesky_solve(L, d, w);
            double q = 0, ld = 0;
            for (int j = 0; j < n; j++) { q += gsl_vector_get(d, j) * gsl_vector_get(w, j); ld += log(gsl_matrix_get(L, j, j)); }
            lq += -0.5 * n * log(2 * M_PI) - ld - 0.5 * q;
            gsl_matrix_free(L); gsl_vector_free(d); gsl_vector_free(w);
            break;
        }
        case Q_GAMMA:
            for (int j = 0; j < n; j++) lq += log(gsl_ran_gamma_pdf(x[o + j], b->p1[j], 1 / b->p2[j]));
            break;
        case Q_INVGAMMA:
            for (int j = 0; j < n; j++)
                lq += log(gsl_ran_gamma_pdf(1 / x[o + j], b->p1[j], 1 / b->p2[j])) - 2 * log(x[o + j]);
            break;
        case Q_BETA:
            for (int j = 0; j < n; j++) lq += log(gsl_ran_beta_pdf(x[o + j], b->p1[j], b->p2[j]));
            break;
        case Q_DIRICHLET:
            for (int r = 0; r * b->K < n; r++) lq += gsl_ran_dirichlet_lnpdf(b->K, b->p1 + r * b->K, x + o + r * b->K);
            break;
        case Q_CATEG:
            for (int j = 0; j < n; j++) lq += log(b->p1[j * b->K + (int)x[o + j] - b->lo]);
            break;
        default: break;
        }
        o += (size_t)n;
    }
    return lq;
}

typedef struct McCase { const char *model, *data; } McCase;
static const McCase mc_cases[] = {
    {"hier_normal.vmod", NULL},
    {"changepoint.vmod", NULL},
    {"mvn_mean.vmod", NULL},
    {"invgamma_var.vmod", NULL},
    {"gamma_poisson.vmod", NULL},
    {"mixture3.vmod", "{\"K\": 2, \"N\": 8, \"y\": [-2.1, -1.7, -2.4, 1.9, 2.2, 2.6, 1.5, -1.1]}"},
    {"mixture3_vec.vmod", "{\"K\": 3, \"N\": 9, \"y\": [-2.1, -1.7, -2.4, 1.9, 2.2, 2.6, 0.1, -0.2, 0.3]}"},
};

START_TEST(test_elbo_mc)
{
    const McCase *c = &mc_cases[_i];
    char *path = c->data ? write_json(c->data) : NULL;
    Fit f;
    ck_assert_msg(fit_run(&f, c->model, path, NULL, 0, 1e-14) == 0, "%s: %s", c->model, f.err);
    size_t nu = vm_model_dim(f.m) + vm_model_ndisc(f.m), nx = vm_model_nparam_values(f.m);
    double *u = calloc(nu, sizeof(double)), *x = calloc(nx, sizeof(double)), lp;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 123);
    enum { M = 4000 };
    double s = 0, s2 = 0;
    for (int d = 0; d < M; d++) {
        B->draw(f.st, r, u, &lp, NULL);
        ck_assert_int_eq(vm_constrain(f.e, u, x), 0);
        double lpx;
        ck_assert_int_eq(vm_log_density(f.e, u, 0, &lpx, NULL), 0);   /* log p(x, z), no Jacobian */
        double v = lpx - log_q(f.st, x);
        s += v;
        s2 += v * v;
    }
    double mean = s / M, se = sqrt(fmax(s2 / M - mean * mean, 0) / M);
    ck_assert_msg(fabs(mean - cavi_elbo(f.st)) <= 5 * se + 1e-9 * (1 + fabs(mean)),
                  "%s: closed-form ELBO %.10g, Monte Carlo %.10g +- %.2g", c->model, cavi_elbo(f.st), mean, se);
    free(u); free(x);
    gsl_rng_free(r);
    fit_free(&f);
    if (path) { unlink(path); free(path); }
}
END_TEST

/* ---- refusals ---- */

typedef struct RefuseCase { const char *model, *where, *msg; } RefuseCase;

static const RefuseCase refuse_cases[] = {
    {"refuse_sd_gamma.vmod", ":8:16: error: ", "'sigma' (gamma) enters the scale of normal, but not as its precision"},
    {"refuse_cauchy.vmod", ":5:7: error: ", "cauchy has no conjugate update"},
    {"refuse_logit.vmod", ":7:5: error: ", "bernoulli_logit has no conjugate update"},
    {"refuse_square.vmod", ":6:12: error: ", "the location of normal is not linear in 'mu'"},
    {"refuse_product.vmod", ":8:12: error: ", "the location of normal is a product or other non-linear function of parameters"},
    {"refuse_ordered.vmod", ":4:1: error: ", "parameter 'mu' has no conjugate mean-field family"},
    {"refuse_gamma_mean.vmod", ":6:12: error: ", "'lambda' (gamma) enters the location of normal, where a gamma parameter is not conjugate"},
    {"refuse_target.vmod", ":6:1: error: ", "'target +=' adds a term that is not one density call"},
    {"refuse_beta_rate.vmod", ":6:13: error: ", "'theta' (beta) enters the rate of poisson, where a beta parameter is not conjugate"},
    {"refuse_log_link.vmod", ":6:13: error: ", "'eta' (normal) enters the rate of poisson, where a normal parameter is not conjugate"},
    {"refuse_gamma_shape.vmod", ":6:11: error: ", "'alpha' (gamma) enters the shape of gamma"},
    {"refuse_ig_precision.vmod", ":6:15: error: ", "'sigma2' (inverse gamma) enters the scale of normal, but not as its variance"},
    {"refuse_two_z.vmod", ":8:1: error: ", "depends on several elements of the discrete 'z'"},
    {"refuse_lognormal.vmod", ":5:9: error: ", "lognormal has no conjugate update"},
};

START_TEST(test_refuse)
{
    const RefuseCase *c = &refuse_cases[_i];
    Fit f;
    ck_assert_msg(fit_run(&f, c->model, NULL, NULL, 0, 0) == -1, "%s was not refused", c->model);
    char where[256];
    snprintf(where, sizeof where, "%s%s", c->model, c->where);
    ck_assert_msg(strstr(f.err, where), "%s: expected %s in\n%s", c->model, where, f.err);
    ck_assert_msg(strstr(f.err, c->msg), "%s: expected '%s' in\n%s", c->model, c->msg, f.err);
    ck_assert_msg(strstr(f.err, "use --method=bbvi"), "%s: no suggestion in\n%s", c->model, f.err);
    ck_assert_msg(strstr(f.err, "\n    ^") || strstr(f.err, " ^"), "%s: no caret in\n%s", c->model, f.err);
    fit_free(&f);
}
END_TEST

START_TEST(test_options)
{
    const BkOpt bad[] = {{"restarts", "0"}, {NULL, NULL}};
    Fit f;
    ck_assert_int_eq(fit_run(&f, "beta_bernoulli.vmod", NULL, bad, 1, 0), -1);
    ck_assert_msg(strstr(f.err, "--restarts=0"), "%s", f.err);
    fit_free(&f);
    /* no model behind the target */
    BkTarget t = {1, 0, NULL, NULL, fit_logp, NULL, NULL};
    BkSettings s = {.iters = 10};
    char err[256] = "";
    ck_assert_ptr_null(B->create(&s, &t, err, sizeof err));
    ck_assert_msg(strstr(err, "needs the compiled model"), "%s", err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cavi");
    TCase *t = tcase_create("cavi");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, test_exact, 0, sizeof exact_cases / sizeof exact_cases[0]);
    tcase_add_test(t, test_normal_gamma);
    tcase_add_test(t, test_linreg);
    tcase_add_loop_test(t, test_mixture, 0, 2);
    tcase_add_test(t, test_hierarchical);
    tcase_add_test(t, test_changepoint);
    tcase_add_test(t, test_draws);
    tcase_add_loop_test(t, test_elbo_mc, 0, sizeof mc_cases / sizeof mc_cases[0]);
    tcase_add_loop_test(t, test_refuse, 0, sizeof refuse_cases / sizeof refuse_cases[0]);
    tcase_add_test(t, test_options);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
