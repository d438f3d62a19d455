/* Conjugacy detection: which mean-field family each parameter gets, and whether every
 * `~` statement is a conjugate factor for the families it touches (docs/cavi.md).
 *
 * As JAGS's ConjugateFactory asks each sampler's canSample(), the check here is a
 * table, cj_pairs: a parameter of family F may enter argument A of distribution D
 * only through transform T.  What an argument actually is comes from the runtime,
 * not from symbolic algebra: every statement instance is evaluated at probe points
 * (ir_eval.h) -- a base point, a unit step in each element of each normal block
 * (the coefficients of a linear predictor), an encoding point per positive block
 * (x[e] = 2 + e tells which element and the constant c), one per Dirichlet
 * replicate -- and the structure so decoded must predict the values at a random
 * verification point.  Discrete parameters select factors: a statement that
 * depends on z[n] is analysed once per value of z[n]. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "backends/conj_int.h"

/* ORDER FAMILIES */
const char *const cj_fam_name[] = {"normal", "gamma", "inverse gamma", "beta", "Dirichlet", "categorical",
                                   "inverse Wishart", "Wishart"};

/* The conjugate pairs: (family of the parameter, distribution, argument (0 is the
 * variate), the transform through which the parameter may enter it). */
const CjPair cj_pairs[] = {
    {Q_NORMAL, &dist_normal, 0, CT_LINEAR},
    {Q_NORMAL, &dist_normal, 1, CT_LINEAR},
    {Q_NORMAL, &dist_std_normal, 0, CT_LINEAR},
    {Q_NORMAL, &dist_multi_normal, 0, CT_LINEAR},
    {Q_NORMAL, &dist_multi_normal, 1, CT_LINEAR},
    {Q_NORMAL, &dist_multi_normal_cholesky, 0, CT_LINEAR},
    {Q_NORMAL, &dist_multi_normal_cholesky, 1, CT_LINEAR},
    {Q_GAMMA, &dist_normal, 2, CT_PRECISION},
    {Q_INVGAMMA, &dist_normal, 2, CT_VARIANCE},
    {Q_GAMMA, &dist_gamma, 0, CT_IDENTITY},
    {Q_GAMMA, &dist_gamma, 2, CT_SCALE},
    {Q_GAMMA, &dist_exponential, 0, CT_IDENTITY},
    {Q_GAMMA, &dist_exponential, 1, CT_SCALE},
    {Q_GAMMA, &dist_poisson, 1, CT_SCALE},
    {Q_INVGAMMA, &dist_inv_gamma, 0, CT_IDENTITY},
    {Q_GAMMA, &dist_inv_gamma, 2, CT_SCALE},
    {Q_BETA, &dist_beta, 0, CT_IDENTITY},
    {Q_BETA, &dist_bernoulli, 1, CT_IDENTITY},
    {Q_BETA, &dist_binomial, 2, CT_IDENTITY},
    {Q_DIRICHLET, &dist_dirichlet, 0, CT_IDENTITY},
    {Q_DIRICHLET, &dist_categorical, 1, CT_IDENTITY},
    {Q_DIRICHLET, &dist_multinomial, 1, CT_IDENTITY},
    {Q_INVWISHART, &dist_inv_wishart, 0, CT_IDENTITY},
    {Q_INVWISHART, &dist_multi_normal, 2, CT_IDENTITY},
    {Q_WISHART, &dist_wishart, 0, CT_IDENTITY},
    {Q_WISHART, &dist_multi_normal_prec, 2, CT_IDENTITY},
    {Q_NORMAL, &dist_multi_normal_prec, 0, CT_LINEAR},
    {Q_NORMAL, &dist_multi_normal_prec, 1, CT_LINEAR},
    {Q_NFAM, NULL, 0, CT_LINEAR},
};

/* Distributions CAVI has a factor for (ORDER: cj_build's dispatch). */
static const Dist *const cj_dists[] = {
    &dist_normal, &dist_std_normal, &dist_multi_normal, &dist_multi_normal_cholesky, &dist_gamma,
    &dist_exponential, &dist_inv_gamma, &dist_poisson, &dist_beta, &dist_bernoulli, &dist_binomial,
    &dist_dirichlet, &dist_categorical, &dist_multinomial, &dist_inv_wishart, &dist_wishart,
    &dist_multi_normal_prec, NULL};

const CjPair *cj_pair_find(CjFam fam, const Dist *dist, int arg)
{
    for (const CjPair *p = cj_pairs; p->dist; p++)
        if (p->fam == fam && p->arg == arg && p->dist == dist) return p;
    return NULL;
}

static const char *tr_text(CjTr t)
{
    switch (t) {
    case CT_LINEAR: return "a linear function of it";
    case CT_PRECISION: return "its precision (the scale must be inv_sqrt(c * x), c from the data)";
    case CT_VARIANCE: return "its variance (the scale must be sqrt(c * x), c from the data)";
    case CT_SCALE: return "a multiple c * x of it (c from the data)";
    case CT_IDENTITY: return "itself";
    }
    return "";
}

void cj_refuse(CjAn *a, long inst, VgPos sp, const char *fmt, ...)
{
    if (a->refused && a->rinst <= inst) return;      /* keep the earliest statement */
    a->refused = 1;
    a->rinst = inst;
    a->rspan = sp;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->rmsg, sizeof a->rmsg, fmt, ap);
    va_end(ap);
}

const char *cj_argname(const CjInst *in, int arg, char *buf, size_t n)
{
    const char *nm = arg < DIST_MAX_ARGS ? in->d->argnames[arg] : NULL;
    if (nm) snprintf(buf, n, "%s", nm);
    else snprintf(buf, n, "argument %d", arg);
    return buf;
}

static VgPos arg_span(const CjInst *in, int arg)
{
    return arg < in->f->nvals ? in->f->val_pos[arg] : in->f->pos;
}

/* ---- blocks ---- */

/* The distribution of the first factor whose variate is parameter k (its prior). */
static const Dist *prior_dist(const VgGraph *g, int k)
{
    for (int i = 0; i < vg_nfactors(g); i++)
        if (vg_factor(g, i)->variate == k) return vg_factor(g, i)->dist;
    return NULL;
}

static void block_alloc(CjBlock *b)
{
    int n = b->n, K = b->K;
    switch (b->fam) {
    case Q_NORMAL:
        b->acc = calloc((size_t)n * n + n + 1, sizeof(double));
        b->mean = calloc((size_t)n + 1, sizeof(double));
        b->cov = calloc((size_t)n * n + 1, sizeof(double));
        b->chol = calloc((size_t)n * n + 1, sizeof(double));
        break;
    case Q_DIRICHLET:
        b->acc = calloc((size_t)n + 1, sizeof(double));
        b->p1 = calloc((size_t)n + 1, sizeof(double));
        b->e1 = calloc((size_t)n + 1, sizeof(double));
        break;
    case Q_CATEG:
        b->acc = calloc((size_t)n * K + 1, sizeof(double));
        b->p1 = calloc((size_t)n * K + 1, sizeof(double));
        break;
    case Q_INVWISHART: case Q_WISHART:
        b->acc = calloc((size_t)n + 1, sizeof(double));
        b->p1 = calloc((size_t)n + 1, sizeof(double));
        b->p2 = calloc(1, sizeof(double));
        b->e1 = calloc((size_t)n + 1, sizeof(double));
        b->e2 = calloc(1, sizeof(double));
        break;
    default:
        b->acc = calloc(2 * (size_t)n + 1, sizeof(double));
        b->p1 = calloc((size_t)n + 1, sizeof(double));
        b->p2 = calloc((size_t)n + 1, sizeof(double));
        b->e1 = calloc((size_t)n + 1, sizeof(double));
        b->e2 = calloc((size_t)n + 1, sizeof(double));
    }
}

static void make_blocks(CjAn *a)
{
    const VgGraph *g = a->g;
    CjModel *cm = a->cm;
    int np = vg_nparams(g);
    cm->blk = calloc((size_t)np + 1, sizeof(CjBlock));
    a->pblk = calloc((size_t)np + 1, sizeof(int));
    for (int k = 0; k < np; k++) {
        const VgParam *pi = vg_param(g, k);
        CjBlock *b = &cm->blk[cm->nblk];
        b->name = pi->name;
        b->param = k;
        b->n = (int)pi->n;
        b->K = 1;
        double lo = pi->lo, hi = pi->hi;
        int hl = pi->lo_kind, hh = pi->hi_kind;
        int fam = -1;
        if (pi->is_int) {
            fam = Q_CATEG;
            if (hl == 1 && hh == 1) {
                double l0 = b->n ? lo : 1, h0 = b->n ? hi : 1;
                b->lo = (int)l0;
                b->K = (int)(h0 - l0) + 1;
            }
            if (hl != 1 || hh != 1 || b->K > 10000) fam = -1;
        } else if (pi->constraint == VG_SIMPLEX) {
            fam = Q_DIRICHLET;
            b->K = pi->rows * pi->cols;
        } else if (pi->constraint == VG_REAL && pi->shape != VG_MATRIX) {
            fam = Q_NORMAL;
        } else if (pi->constraint == VG_LOWER && hl == 1 && lo == 0) {
            fam = prior_dist(g, k) == &dist_inv_gamma ? Q_INVGAMMA : Q_GAMMA;
        } else if (pi->constraint == VG_LOWER_UPPER && hl == 1 && hh == 1 && lo == 0 && hi == 1) {
            fam = Q_BETA;
        } else if (pi->constraint == VG_COV_MATRIX && pi->reps == 1) {
            const Dist *pd = prior_dist(g, k);
            if (pd == &dist_inv_wishart) { fam = Q_INVWISHART; b->K = pi->rows; }
            if (pd == &dist_wishart) { fam = Q_WISHART; b->K = pi->rows; }
        }
        if (fam < 0) {
            cj_refuse(a, -1, pi->pos,
                      "cavi: parameter '%s' has no conjugate mean-field family (CAVI takes real or vector "
                      "parameters without bounds (normal), <lower=0> (gamma or inverse gamma), <lower=0, upper=1> "
                      "(beta), simplex (Dirichlet), cov_matrix with an inv_wishart or wishart prior ((inverse) "
                      "Wishart) and int with constant bounds (categorical)); use --method=bbvi",
                      pi->name);
            continue;
        }
        b->fam = (CjFam)fam;
        a->pblk[k] = cm->nblk++;
        block_alloc(b);
        a->pv[k] = calloc((size_t)b->n + 1, sizeof(double));
    }
}

/* Probe values of block b: base, encoding, or verification (from r). */
static void set_block(CjAn *a, int k, int mode, gsl_rng *r)
{
    const CjBlock *b = &a->cm->blk[a->pblk[k]];
    double *x = a->pv[k];
    int n = b->n;
    switch (b->fam) {
    case Q_NORMAL:
        for (int i = 0; i < n; i++) x[i] = mode == 2 ? gsl_ran_gaussian(r, 1.0) : 0;
        break;
    case Q_GAMMA: case Q_INVGAMMA: case Q_INVWISHART: case Q_WISHART:
        for (int i = 0; i < n; i++) x[i] = mode == 0 ? 1 : mode == 1 ? 2 + i : 0.5 + 1.5 * gsl_rng_uniform(r);
        break;
    case Q_BETA:
        for (int i = 0; i < n; i++) x[i] = mode == 0 ? 0.5 : mode == 1 ? (i + 1.0) / (n + 2.0) : 0.1 + 0.8 * gsl_rng_uniform(r);
        break;
    case Q_DIRICHLET:
        for (int rep = 0; rep * b->K < n; rep++) {
            double s = 0, *v = x + (size_t)rep * b->K;
            for (int j = 0; j < b->K; j++) { v[j] = mode == 2 ? 0.5 + gsl_rng_uniform(r) : 1; s += v[j]; }
            for (int j = 0; j < b->K; j++) v[j] /= s;
        }
        break;
    case Q_CATEG:
        for (int i = 0; i < n; i++) x[i] = b->lo + (a->cur < b->K ? a->cur : 0);
        break;
    default: break;
    }
}

/* The Dirichlet encoding of a replicate: proportional to (k + phi)^2 with phi
 * irrational, so that no element equals the uniform base value 1/K (an affine code
 * has its middle element there). */
static double dir_code(int K, int k)
{
    const double phi = 0.6180339887498949;
    double s = 0;
    for (int j = 0; j < K; j++) s += (j + phi) * (j + phi);
    return (k + phi) * (k + phi) / s;
}

/* ---- discrete references (the probe's, by parameter; here by block) ---- */

static void refs_to_blocks(const CjAn *a, VgRefs *r)
{
    if (r->n || r->many) r->first = a->pblk[r->first];
    for (int i = 0; i < r->n; i++) r->param[i] = a->pblk[r->param[i]];
}

static int supported(const Dist *d)
{
    for (int i = 0; cj_dists[i]; i++) if (cj_dists[i] == d) return 1;
    return 0;
}

static CjInst *new_inst(CjAn *a)
{
    if (a->ninst == a->capinst) {
        a->capinst = a->capinst ? 2 * a->capinst : 64;
        a->inst = realloc(a->inst, sizeof(CjInst) * (size_t)a->capinst);
    }
    CjInst *in = &a->inst[a->ninst++];
    memset(in, 0, sizeof *in);
    return in;
}

/* A vectorised univariate statement whose replicate r reads z[sub[r]] only, as
 * y ~ normal(mu[z], s): one instance per replicate, each with its own selector. */
static int try_split(CjAn *a, CjInst *in, int inst, const VgRefs *lhs, const VgRefs *args)
{
    int nrep = 1;
    for (int i = 0; i < in->nv; i++) if (in->sz[i] > nrep) nrep = in->sz[i];
    if (lhs->n || !args->sub || args->subdiff || args->mixed || args->nsub != nrep || nrep < 2) return 0;
    for (const char *c = in->d->sig; *c; c++) if (*c != 'R' && *c != 'I') return 0;
    for (int i = 0; i < in->nv; i++) if (in->sz[i] != 1 && in->sz[i] != nrep) return 0;
    int b = args->first, *sub = args->sub;
    CjInst proto = *in;
    a->ninst--;                      /* replace the whole-statement instance */
    a->nval = proto.off;
    for (int r = 0; r < nrep; r++) {
        CjInst *p = new_inst(a);
        *p = proto;
        p->rep = r;
        p->off = a->nval;
        for (int i = 0; i < p->nv; i++) { p->sz[i] = 1; p->rows[i] = 1; }
        a->nval += p->nv;
        p->sel = (CjSel){b, sub[r], 0};
    }
    a->wcount[inst] = nrep;
    if (a->cm->blk[b].K > a->C) a->C = a->cm->blk[b].K;
    return 1;
}

/* Element j of value i of (pseudo-)instance in. */
static double ival(const CjInst *in, const VgValue *vals, int i, int j)
{
    if (in->rep >= 0) j = in->osz[i] == 1 ? 0 : in->rep;
    return vals[i].x[j];
}

/* Walk 0: list the instances, their sizes and discrete references. */
static int visit_list(void *ctx, const VgFactor *s, int inst, const VgValue *vals, int nv)
{
    CjAn *a = ctx;
    if (a->nwalk == a->capwalk) {
        a->capwalk = a->capwalk ? 2 * a->capwalk : 64;
        a->wfirst = realloc(a->wfirst, sizeof(int) * (size_t)a->capwalk);
        a->wcount = realloc(a->wcount, sizeof(int) * (size_t)a->capwalk);
    }
    a->nwalk++;
    a->wfirst[inst] = a->ninst;
    a->wcount[inst] = 1;
    CjInst *in = new_inst(a);
    in->f = s;
    in->d = s->dist;
    in->nv = nv;
    in->off = a->nval;
    in->rep = -1;
    in->sel.blk = in->zblk = -1;
    for (int i = 0; i < nv; i++) {
        in->sz[i] = in->osz[i] = vals[i].n;
        in->rows[i] = vals[i].ndims > vals[i].narr ? vals[i].dims[vals[i].narr] : 1;
        a->nval += vals[i].n;
    }
    if (!supported(in->d)) {
        cj_refuse(a, inst, s->dist_pos,
                  "cavi: %s has no conjugate update (CAVI handles normal, std_normal, multi_normal, gamma, "
                  "exponential, inv_gamma, poisson, beta, bernoulli, binomial, dirichlet, categorical, "
                  "multinomial, inv_wishart, wishart and multi_normal_prec); use --method=bbvi", in->d->name);
        return 0;
    }
    VgRefs lhs = {0}, args = {0};
    int fail = vg_probe_refs(a->pr, 0, &lhs);
    for (int i = 1; i < nv && !fail; i++) fail = vg_probe_refs(a->pr, i, &args);
    if (fail) { free(lhs.sub); free(args.sub); return 0; }
    refs_to_blocks(a, &lhs);
    refs_to_blocks(a, &args);
    if (lhs.n && !args.n && in->d == &dist_categorical) {
        /* the variate is z[...] (or all of z): one categorical row per element */
        int bad = lhs.mixed || lhs.subdiff || lhs.nsub != in->sz[0];
        if (bad) cj_refuse(a, inst, s->val_pos[0], "cavi: the variate mixes several discrete parameters or data; use --method=bbvi");
        else {
            in->zblk = lhs.first;
            in->zel = lhs.sub;
            lhs.sub = NULL;
        }
        free(lhs.sub);
        free(args.sub);
        return 0;
    }
    int split = try_split(a, in, inst, &lhs, &args);
    free(lhs.sub);
    free(args.sub);
    if (split) return 0;
    for (int i = 0; i < lhs.n; i++) vg_refs_add(&args, lhs.param[i], lhs.elt[i]);
    if (args.n > 1 || args.many) {
        const CjBlock *b = &a->cm->blk[args.param[0]];
        cj_refuse(a, inst, s->pos,
                  "cavi: this statement depends on several elements of the discrete '%s' (or on several discrete "
                  "parameters): a mixture needs one assignment per statement, as in y[n] ~ normal(mu[z[n]], s) "
                  "inside a loop; use --method=bbvi", b->name);
        return 0;
    }
    if (args.n == 1) {
        in->sel.blk = args.param[0];
        in->sel.elt = args.elt[0];
        if (a->cm->blk[in->sel.blk].K > a->C) a->C = a->cm->blk[in->sel.blk].K;
    }
    return 0;
}

static int relevant(const CjAn *a, const CjInst *in) { return a->cur == 0 || in->sel.blk >= 0; }

static int visit_base(void *ctx, const VgFactor *s, int w, const VgValue *vals, int nv)
{
    CjAn *a = ctx;
    for (int ii = a->wfirst[w]; ii < a->wfirst[w] + a->wcount[w]; ii++) {
        const CjInst *in = &a->inst[ii];
        double *dst = a->cfg[a->cur].base + in->off;
        long o = 0;
        for (int i = 0; i < nv; i++)
            for (int j = 0; j < in->sz[i]; j++, o++) {
                double v = ival(in, vals, i, j);
                if (in->sel.blk >= 0 || a->cur == 0) { dst[o] = v; continue; }
                /* an instance without a selector must not change with the discrete values */
                if (i == 0 && in->zblk >= 0) continue;
                if (v != a->cfg[0].base[in->off + o] && !(isnan(v) && isnan(a->cfg[0].base[in->off + o])))
                    cj_refuse(a, ii, s->pos,
                              "cavi: this statement depends on a discrete parameter through a let or local variable; "
                              "write z[...] directly in the statement, or use --method=bbvi");
            }
    }
    return 0;
}

static void add_ent(CjCfg *c, long gv, int blk, int elt, double coef)
{
    if (c->nent == c->capent) {
        c->capent = c->capent ? 2 * c->capent : 256;
        c->ent = realloc(c->ent, sizeof(CjEnt) * (size_t)c->capent);
    }
    c->ent[c->nent++] = (CjEnt){gv, blk, elt, coef};
}

/* The transform's map g with g(a) = c x. */
static double tr_g(CjTr t, double v)
{
    switch (t) {
    case CT_PRECISION: return 1 / (v * v);
    case CT_VARIANCE: return v * v;
    default: return v;
    }
}

/* Where each family is conjugate (ORDER FAMILIES), for the refusal's hint. */
static const char *const fam_hint[] = {
    "it may enter the variate or the location of normal or multi_normal, linearly",
    "a <lower=0> parameter is conjugate with a gamma or exponential prior, as a normal's precision "
    "(scale inv_sqrt(c * x)) or the rate of poisson, exponential or gamma",
    "an inverse-gamma parameter is conjugate as a normal's variance (scale sqrt(c * x))",
    "a <lower=0, upper=1> parameter is conjugate with a beta prior, as the probability of bernoulli or binomial",
    "a simplex is conjugate with a dirichlet prior, as the probabilities of categorical or multinomial",
    "a discrete parameter may select (index) the arguments of any conjugate statement",
    "a cov_matrix with an inv_wishart prior is conjugate as the whole covariance of multi_normal with a "
    "constant location",
    "a cov_matrix with a wishart prior is conjugate as the whole precision of multi_normal_prec with a "
    "constant location"};

static void refuse_pair(CjAn *a, int inst, const CjInst *in, int arg, const CjBlock *b, const CjPair *p)
{
    char an[64];
    cj_argname(in, arg, an, sizeof an);
    if (!p)
        cj_refuse(a, inst, arg_span(in, arg),
                  "cavi: '%s' (%s) enters the %s of %s, where a %s parameter is not conjugate (%s); use --method=bbvi",
                  b->name, cj_fam_name[b->fam], an, in->d->name, cj_fam_name[b->fam], fam_hint[b->fam]);
    else
        cj_refuse(a, inst, arg_span(in, arg),
                  "cavi: '%s' (%s) enters the %s of %s, but not as %s; use --method=bbvi", b->name,
                  cj_fam_name[b->fam], an, in->d->name, tr_text(p->tr));
}

/* Unit, encoding and Dirichlet probes: compare with the base, decode. */
static int probe_one(CjAn *a, int inst, const VgValue *vals, int nv)
{
    CjInst *in = &a->inst[inst];
    if (!relevant(a, in)) return 0;
    CjCfg *c = &a->cfg[a->cur];
    const CjBlock *b = &a->cm->blk[a->pb];
    long o = in->off;
    for (int i = 0; i < nv; i++) {
        if (i == 0 && in->zblk >= 0) { o += in->sz[i]; continue; }
        const CjPair *p = cj_pair_find(b->fam, in->d, i);
        for (int j = 0; j < in->sz[i]; j++, o++) {
            double v = ival(in, vals, i, j), v0 = c->base[o];
            if (v == v0) continue;
            if (!p || (b->fam == Q_NORMAL) != (p->tr == CT_LINEAR)) { refuse_pair(a, inst, in, i, b, p); return 0; }
            if (b->fam == Q_NORMAL) { add_ent(c, o, a->pb, a->pe, v - v0); continue; }
            if (c->psrc[o].blk >= 0) {
                cj_refuse(a, inst, arg_span(in, i), "cavi: the %s of %s depends on both '%s' and '%s'; use --method=bbvi",
                          cj_argname(in, i, (char[64]){0}, 64), in->d->name, a->cm->blk[c->psrc[o].blk].name, b->name);
                return 0;
            }
            int e = -1;
            double w = 1;
            if (b->fam == Q_DIRICHLET) {
                int K = b->K, k = j % (in->rows[i] > 0 ? in->rows[i] : 1);
                if (k < K && fabs(v - dir_code(K, k)) < 1e-12) e = a->pe * K + k;
            } else if (b->fam == Q_BETA) {
                double t = v * (b->n + 2.0) - 1;
                e = (int)lround(t);
                if (fabs(t - e) > 1e-9 || e < 0 || e >= b->n || v0 != 0.5) e = -1;
            } else {
                w = tr_g(p->tr, v0);
                double t = tr_g(p->tr, v) / w - 2;
                e = (int)lround(t);
                if (!(w > 0) || fabs(t - e) > 1e-9 * (2 + fabs(t)) || e < 0 || e >= b->n) e = -1;
                if (p->tr == CT_IDENTITY && fabs(w - 1) > 1e-12) e = -1;
            }
            if (e < 0) { refuse_pair(a, inst, in, i, b, p); return 0; }
            c->psrc[o] = (CjSrc){a->pb, e, w};
        }
    }
    return 0;
}

static int visit_probe(void *ctx, const VgFactor *s, int w, const VgValue *vals, int nv)
{
    (void)s;
    CjAn *a = ctx;
    for (int ii = a->wfirst[w]; ii < a->wfirst[w] + a->wcount[w]; ii++) probe_one(a, ii, vals, nv);
    return 0;
}

static int ent_cmp(const void *x, const void *y)
{
    const CjEnt *p = x, *q = y;
    if (p->gv != q->gv) return p->gv < q->gv ? -1 : 1;
    if (p->blk != q->blk) return p->blk - q->blk;
    return p->elt - q->elt;
}

/* Predicted value of gv at the verification point. */
static double predict(const CjAn *a, const CjCfg *c, long gv)
{
    const CjSrc *ps = &c->psrc[gv];
    if (ps->blk >= 0) {
        const CjBlock *b = &a->cm->blk[ps->blk];
        double x = a->pv[b->param][ps->elt];
        return b->fam == Q_NORMAL ? NAN : ps->w * x;   /* g(a) = w x: compared through g */
    }
    double v = c->base[gv];
    for (long k = c->lstart[gv]; k < c->lstart[gv + 1]; k++)
        v += c->ent[k].coef * a->pv[a->cm->blk[c->ent[k].blk].param][c->ent[k].elt];
    return v;
}

static int verify_one(CjAn *a, int inst, const VgValue *vals, int nv)
{
    CjInst *in = &a->inst[inst];
    if (!relevant(a, in)) return 0;
    const CjCfg *c = &a->cfg[a->cur];
    long o = in->off;
    for (int i = 0; i < nv; i++) {
        if (i == 0 && in->zblk >= 0) { o += in->sz[i]; continue; }
        for (int j = 0; j < in->sz[i]; j++, o++) {
            double v = ival(in, vals, i, j), pred = predict(a, c, o);
            const CjSrc *ps = &c->psrc[o];
            double got = v, scale = 0;
            if (ps->blk >= 0) {
                const CjBlock *b = &a->cm->blk[ps->blk];
                const CjPair *p = cj_pair_find(b->fam, in->d, i);
                got = p ? tr_g(p->tr, v) : NAN;
            } else {
                scale = fabs(c->base[o]);
                for (long k = c->lstart[o]; k < c->lstart[o + 1]; k++)
                    scale += fabs(c->ent[k].coef * a->pv[a->cm->blk[c->ent[k].blk].param][c->ent[k].elt]);
            }
            if (fabs(got - pred) <= 1e-8 * (1 + fabs(pred) + scale)) continue;
            char an[64];
            const char *who = ps->blk >= 0 ? a->cm->blk[ps->blk].name
                              : c->lstart[o] < c->lstart[o + 1] ? a->cm->blk[c->ent[c->lstart[o]].blk].name : NULL;
            if (who && ps->blk < 0)
                cj_refuse(a, inst, arg_span(in, i), "cavi: the %s of %s is not linear in '%s' (or mixes it with another "
                          "parameter); use --method=bbvi", cj_argname(in, i, an, sizeof an), in->d->name, who);
            else if (who)
                cj_refuse(a, inst, arg_span(in, i), "cavi: the %s of %s depends on '%s' through a function CAVI cannot "
                          "match to a conjugate form; use --method=bbvi", cj_argname(in, i, an, sizeof an), in->d->name, who);
            else
                cj_refuse(a, inst, arg_span(in, i), "cavi: the %s of %s is a product or other non-linear function of "
                          "parameters; use --method=bbvi", cj_argname(in, i, an, sizeof an), in->d->name);
            return 0;
        }
    }
    return 0;
}

static int visit_verify(void *ctx, const VgFactor *s, int w, const VgValue *vals, int nv)
{
    (void)s;
    CjAn *a = ctx;
    for (int ii = a->wfirst[w]; ii < a->wfirst[w] + a->wcount[w]; ii++) verify_one(a, ii, vals, nv);
    return 0;
}

static int walk(CjAn *a, VgVisit v)
{
    int rc = vg_probe_walk(a->pr, v, a);
    if (rc < 0) {
        VgPos sp;
        const char *msg = vg_probe_error(a->pr, &sp);
        cj_refuse(a, -1, sp, "cavi: %s; use --method=bbvi", msg);
    }
    return rc;
}

static void probe_config(CjAn *a, gsl_rng *r)
{
    int np = vg_nparams(a->g);
    CjModel *cm = a->cm;
    CjCfg *c = &a->cfg[a->cur];
    for (int k = 0; k < np; k++) set_block(a, k, 0, r);
    if (walk(a, visit_base) || a->refused) return;
    for (int b = 0; b < cm->nblk && !a->refused; b++) {
        CjBlock *B = &cm->blk[b];
        double *x = a->pv[B->param];
        a->pb = b;
        if (B->fam == Q_NORMAL) {
            for (int e = 0; e < B->n && !a->refused; e++) {
                a->pe = e;
                x[e] = 1;
                walk(a, visit_probe);
                x[e] = 0;
            }
        } else if (B->fam == Q_DIRICHLET) {
            for (int rep = 0; rep * B->K < B->n && !a->refused; rep++) {
                a->pe = rep;
                for (int k = 0; k < B->K; k++) x[rep * B->K + k] = dir_code(B->K, k);
                walk(a, visit_probe);
                for (int k = 0; k < B->K; k++) x[rep * B->K + k] = 1.0 / B->K;
            }
        } else if (B->fam != Q_CATEG) {
            set_block(a, B->param, 1, r);
            walk(a, visit_probe);
            set_block(a, B->param, 0, r);
        }
    }
    if (a->refused) return;
    if (c->nent) qsort(c->ent, (size_t)c->nent, sizeof(CjEnt), ent_cmp);
    c->lstart = calloc((size_t)a->nval + 1, sizeof(long));
    for (long k = 0; k < c->nent; k++) c->lstart[c->ent[k].gv + 1]++;
    for (long g = 0; g < a->nval; g++) c->lstart[g + 1] += c->lstart[g];
    for (int k = 0; k < np; k++)
        if (cm->blk[a->pblk[k]].fam != Q_CATEG) set_block(a, k, 2, r);
    walk(a, visit_verify);
}

static void an_free(CjAn *a)
{
    for (int i = 0; i < a->ninst; i++) free(a->inst[i].zel);
    free(a->inst);
    free(a->wfirst);
    free(a->wcount);
    for (int c = 0; a->cfg && c < a->C; c++) {
        free(a->cfg[c].base); free(a->cfg[c].ent); free(a->cfg[c].lstart); free(a->cfg[c].psrc);
    }
    free(a->cfg);
    for (int k = 0; a->pv && k < vg_nparams(a->g); k++) free(a->pv[k]);
    free(a->pv);
    free(a->pblk);
    vg_probe_free(a->pr);
}

int cj_analyse(const VmModel *m, CjModel *cm, char *err, size_t errlen)
{
    memset(cm, 0, sizeof *cm);
    cm->g = vg_new(m);
    if (!cm->g) { snprintf(err, errlen, "cavi: out of memory"); return -1; }
    CjAn a = {0};
    a.g = cm->g;
    a.cm = cm;
    a.pr = vg_probe_new(a.g);
    int np = vg_nparams(a.g);
    a.pv = calloc((size_t)np + 1, sizeof(double *));
    a.C = 1;
    make_blocks(&a);
    for (int k = 0; k < np; k++) vg_probe_set(a.pr, k, a.pv[k]);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261125);
    if (!a.refused) {
        for (int k = 0; k < np; k++) set_block(&a, k, 0, r);
        walk(&a, visit_list);
    }
    if (!a.refused) {
        a.cfg = calloc((size_t)a.C, sizeof(CjCfg));
        for (int c = 0; c < a.C; c++) {
            a.cfg[c].base = calloc((size_t)a.nval + 1, sizeof(double));
            a.cfg[c].psrc = malloc(sizeof(CjSrc) * ((size_t)a.nval + 1));
            for (long g = 0; g <= a.nval; g++) a.cfg[c].psrc[g].blk = -1;
        }
        for (a.cur = 0; a.cur < a.C && !a.refused; a.cur++) probe_config(&a, r);
    }
    if (!a.refused) cj_build(&a);
    gsl_rng_free(r);
    int rc = 0;
    if (a.refused) {
        char *msg = vg_render(a.g, a.rspan, a.rmsg);
        snprintf(err, errlen, "%s", msg ? msg : a.rmsg);
        free(msg);
        rc = -1;
    }
    an_free(&a);
    if (rc) cj_free(cm);
    return rc;
}

void cj_free(CjModel *cm)
{
    for (int b = 0; b < cm->nblk; b++) {
        CjBlock *B = &cm->blk[b];
        free(B->acc); free(B->mean); free(B->cov); free(B->chol); free(B->p1); free(B->p2); free(B->e1); free(B->e2);
        if (cm->bfac) free(cm->bfac[b]);
        if (cm->bsel) free(cm->bsel[b]);
    }
    free(cm->blk);
    free(cm->bfac);
    free(cm->bsel);
    for (int i = 0; i < cm->nfac; i++) {
        CjFactor *f = &cm->fac[i];
        for (int l = 0; l < f->nlin; l++) { free(f->lin[l].rowptr); free(f->lin[l].col); free(f->lin[l].val); }
        free(f->lin); free(f->c); free(f->prec); free(f->a); free(f->cv); free(f->rate); free(f->var);
        free(f->s); free(f->f); free(f->theta); free(f->cf); free(f->simp); free(f->logt); free(f->zvar);
        free(f->iB);
    }
    free(cm->fac);
    vg_free(cm->g);
    memset(cm, 0, sizeof *cm);
}
