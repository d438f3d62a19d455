/* The one interface between vrun (CLI, REPL, tests) and an inference method.
 *
 * A method is one `const Backend` in its own file and one row in registry.c.
 * The driver (driver/run.c) owns the loop, warm-up, threads, output and progress;
 * a backend only allocates its workspace once (create), starts (init), does one
 * iteration (step, no allocation), and hands out draws (draw).  The random stream
 * is always an argument: a backend holds no hidden random state, which is what
 * makes a run bit-identical for any thread count.  (GSL's type+state, BlackJAX's
 * init/step.) */
#ifndef VM_BACKEND_H
#define VM_BACKEND_H

#include <stddef.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>

/* The log density on the unconstrained space, as a backend sees it.
 * Coordinates 0..dim-1 are continuous; dim..dim+ndisc-1 hold discrete `param int`
 * values stored as doubles (only methods that can move them use them; gradient
 * methods refuse a target with ndisc > 0 unless they marginalise it).
 * Each chain owns its own target (its own evaluator scratch): calls need no lock. */
typedef struct BkTarget {
    size_t dim;                /* continuous coordinates, the length of grad */
    size_t ndisc;              /* discrete coordinates after them */
    const double *disc_lo;     /* ndisc inclusive bounds of the discrete coordinates */
    const double *disc_hi;
    /* *lp = log density at u (with the log-Jacobian); grad (dim entries) may be NULL
     * for value only.  Returns 0; *lp may be -inf (outside the support, an invalid
     * argument): a backend treats that as a rejected point, never as a crash.
     * Returns nonzero only for an error that must stop the run (message kept by ctx). */
    int (*logp)(void *ctx, const double *u, double *lp, double *grad);
    void *ctx;
    /* The compiled model (a VmModel, runtime/model.h) when the target comes from one,
     * else NULL: methods that read the model's structure (CAVI's conjugacy analysis,
     * forward simulation) use it; every other method needs only logp. */
    const void *model;
    /* Optional structure of logp (all 0/NULL when absent, e.g. a hand-written target):
     * log p is a sum of nterms terms (a model's statements); the terms that may depend
     * on coordinate i (of the dim + ndisc) are term_idx[term_start[i] .. term_start[i+1]);
     * logp_terms is logp that also writes the terms' values into terms[nterms].  The
     * score-function VI estimator Rao-Blackwellises with them. */
    size_t nterms;
    const size_t *term_start;
    const int *term_idx;
    int (*logp_terms)(void *ctx, const double *u, double *lp, double *grad, double *terms);
} BkTarget;

struct Backend;                /* forward: the option look-ups below take one */

/* Method-specific options as given on the command line (`--max-depth=12`). */
typedef struct BkOpt { const char *key, *value; } BkOpt;

/* One accepted option of a method: the CLI rejects any other with a clear error. */
typedef struct BkOption {
    const char *name;          /* without the dashes: "max-depth" */
    const char *kind;          /* "int", "real", "bool", "string" */
    const char *def;           /* default, as text */
    const char *help;
} BkOption;

typedef struct BkSettings {
    long warmup, draws;        /* samplers: iterations of each phase */
    long iters;                /* VI / optimisers: maximum iterations */
    long mc;                   /* Monte Carlo samples per gradient step (VI) */
    double lr, tol;            /* VI: step size (<= 0: method's default), stopping tolerance */
    unsigned long seed;
    int chain;                 /* 0-based chain id */
    const BkOpt *opts;         /* method options, NULL-terminated by key == NULL */
    size_t nopts;
} BkSettings;

struct Backend;   /* defined below; declared here so the look-ups can name it */

/* Typed look-ups of a method option; the value was validated against Backend.options
 * by bk_check_options, so these cannot fail.  Missing: the option's declared default. */
const char *bk_opt_str(const BkSettings *s, const struct Backend *b, const char *name);
double bk_opt_real(const BkSettings *s, const struct Backend *b, const char *name);
long bk_opt_int(const BkSettings *s, const struct Backend *b, const char *name);
int bk_opt_bool(const BkSettings *s, const struct Backend *b, const char *name);

typedef enum { BK_SAMPLER = 1, BK_VI = 2, BK_OPTIMIZER = 3 } BkKind;

/* step() results */
enum { BK_OK = 0, BK_DONE = 1, BK_FAIL = -1 };

#define BK_MAX_COLUMNS 8

typedef struct Backend {
    const char *name;          /* --method=NAME */
    const char *help;          /* one line for --help */
    BkKind kind;
    const BkOption *options;   /* terminated by an entry with name == NULL */
    /* Method columns written after lp__ in the CSV (accept_stat__, stepsize__, ...),
     * NULL-terminated, at most BK_MAX_COLUMNS. */
    const char *const *columns;
    /* Allocate every workspace for this target's size, or refuse (NULL, err filled):
     * e.g. a gradient method given discrete parameters. */
    void *(*create)(const BkSettings *s, const BkTarget *t, char *err, size_t errlen);
    /* Start at u0 (dim + ndisc values whose log density is finite). */
    int (*init)(void *st, const BkTarget *t, gsl_rng *r, const double *u0, char *err, size_t errlen);
    /* One iteration.  Samplers: one transition, adapting while warmup is nonzero.
     * VI/optimisers: one optimisation step, BK_DONE once converged.
     * BK_FAIL with err filled when inference itself failed (exit status 2). */
    int (*step)(void *st, const BkTarget *t, gsl_rng *r, long iter, int warmup, char *err, size_t errlen);
    /* Samplers: the current state (u, its lp, the method columns).  VI: a new draw from
     * the fitted q (r is used); lp is log p at that draw. */
    void (*draw)(void *st, gsl_rng *r, double *u, double *lp, double *cols);
    /* Lines describing the adaptation or the fit (step size, metric, ELBO +- MCSE,
     * k-hat): each line is written after `prefix` ("# " in the CSV, "" in the summary).
     * May be NULL. */
    void (*report)(void *st, FILE *out, const char *prefix);
    /* Lines for the CSV file only, after report (VI: the ELBO trace that `vrun plot`
     * draws, docs/plots.md).  May be NULL. */
    void (*trace)(void *st, FILE *out, const char *prefix);
    void (*free)(void *st);
    /* The fit's results as a new JSON object (jansson's json_t) for --summary, as
     * fields rather than report text: VI's ELBO, MCSE, k-hat, iterations, converged;
     * cavi's q per factor; map's log density and Jacobian flag (with the unconstrained
     * mode as "mode_unconstrained", which the driver turns into named values).  May be
     * NULL, and may return NULL. */
    struct json_t *(*results)(void *st);
    /* A fit with a closed form (cavi): the exact mean, sd and 5%, 50%, 95% quantiles
     * under q of the output column `name` ("theta", "beta.2") into out[5].  Returns 0,
     * or nonzero for a column it has no closed form for (a let, a gen).  May be NULL. */
    int (*exact)(void *st, const char *name, double out[5]);
    /* A gradient method takes a model's bounded discrete parameters summed out
     * (runtime/marginal.c): BK_SUM always (nuts, langevin, map: refused when they cannot
     * be), BK_SUM_IF_POSSIBLE (bbvi, flow: their own discrete families otherwise), or 0. */
    int sums_discrete;
} Backend;

enum { BK_SUM = 1, BK_SUM_IF_POSSIBLE = 2 };

/* registry.c: every method, in the order --help lists them. */
extern const Backend *const bk_registry[];
const Backend *bk_find(const char *name);
/* Check options against b->options: unknown names and values of the wrong kind give
 * a message naming the option.  Returns 0 or -1 with err filled. */
int bk_check_options(const Backend *b, const BkOpt *opts, size_t nopts, char *err, size_t errlen);

#endif
