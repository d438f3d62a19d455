/* The fast paths (runtime/fast.c: fused affine location for normal, bernoulli_logit,
 * poisson_log; runtime/vecloop.c: loops run as vectors) must give the density,
 * gradient and error message of the generic path.  Each row pairs a model that
 * takes a fast path with one written to avoid it (`+ 0` after the call, or the
 * loop body inside `if (1)`), same data, compared at several points. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "runtime/eval.h"
#include "runtime/vecmath.h"
#include "runtime/model.h"
#include "runtime/plan.h"
#include "tests/runtime/rt_util.h"

static const char *DATA =
    "{\"N\": 7, \"J\": 3, \"y\": [0.3, -1.2, 2.5, 0.8, 1.1, -0.4, 0.0],"
    " \"x\": [1.0, 2.0, -0.5, 0.25, 3.0, -2.0, 0.5],"
    " \"sv\": [1.0, 0.5, 2.0, 1.5, 0.7, 1.2, 3.0],"
    " \"z\": [0, 1, 1, 0, 1, 0, 1], \"k\": [0, 3, 1, 7, 2, 0, 5], \"g\": [1, 3, 2, 2, 1, 3, 1],"
    " \"Z\": [[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]],"
    " \"X\": [[1, 0.5], [0.2, -1], [0.3, 0.3], [-2, 1], [0.1, 0.9], [1.5, -0.4], [0, 1]],"
    " \"W\": [[1, 2], [3, 4], [5, 6]]}";

#define DECLS \
    "data int N; data int J; data vector[N] y; data vector[N] x; data vector[N] sv;\n" \
    "data array[N] int z; data array[N] int k; data array[N] int g; data array[J, 4] int Z;\n" \
    "param real a; param real b; param real c; param real<lower=0> s; param real t;\n" \
    "data matrix[N, 2] X; data matrix[3, 2] W;\n" \
    "param vector[N] th; param vector[J] al; param vector[2] bv;\n"

typedef struct { const char *name, *fast, *slow; } Pair;

static const Pair pairs[] = {
    {"normal affine", DECLS "y ~ normal(a + b * x - 2 * c * x + 3, s);",
     DECLS "target += normal_lpdf(y | a + b * x - 2 * c * x + 3, s) + 0;"},
    {"normal data coefficient", DECLS "target += normal_lpdf(y | 1.5 * x - a, s);",
     DECLS "target += normal_lpdf(y | 1.5 * x - a, s) + 0;"},
    {"normal vector scale, param variate", DECLS "th ~ normal(a, sv); th ~ normal(b * x, s);",
     DECLS "target += normal_lpdf(th | a, sv) + 0; target += normal_lpdf(th | b * x, s) + 0;"},
    {"bernoulli_logit affine", DECLS "z ~ bernoulli_logit(a + b * x);",
     DECLS "target += bernoulli_logit_lpmf(z | a + b * x) + 0;"},
    {"bernoulli_logit param vector", DECLS "z ~ bernoulli_logit(th * 5);",
     DECLS "target += bernoulli_logit_lpmf(z | th * 5) + 0;"},
    {"poisson_log affine", DECLS "k ~ poisson_log(a - b * x);",
     DECLS "target += poisson_log_lpmf(k | a - b * x) + 0;"},
    {"loop normal", DECLS "for (n in 1:N) target += normal_lpdf(y[n] | a + b * x[n], s);",
     DECLS "for (n in 1:N) if (1) target += normal_lpdf(y[n] | a + b * x[n], s);"},
    {"loop from 2 to N - 1, products", DECLS "for (n in 2:N - 1) y[n] ~ normal(th[n] * x[n] / s, exp(c) + sv[n]);",
     DECLS "for (n in 2:N - 1) if (1) y[n] ~ normal(th[n] * x[n] / s, exp(c) + sv[n]);"},
    {"loop assignment and lookup",
     DECLS "{ vector[N] m; for (n in 1:N) { m[n] = al[g[n]] + b * x[n]; y[n] ~ normal(m[n], s); } }",
     DECLS "{ vector[N] m; for (n in 1:N) if (1) { m[n] = al[g[n]] + b * x[n]; y[n] ~ normal(m[n], s); } }"},
    {"nested loops, matrix rows",
     DECLS "{ matrix[J, 4] p; for (i in 1:J) for (j in 1:4) p[i, j] = a + b * j + al[i];\n"
     "  for (i in 1:J) for (j in 1:4) Z[i, j] ~ bernoulli_logit(p[i, j]); }",
     DECLS "{ matrix[J, 4] p; for (i in 1:J) for (j in 1:4) p[i, j] = a + b * j + al[i];\n"
     "  for (i in 1:J) for (j in 1:4) if (1) Z[i, j] ~ bernoulli_logit(p[i, j]); }"},
    {"loop-carried dependence stays scalar",
     DECLS "{ vector[N] m; m[1] = a; for (n in 2:N) { m[n] = m[n - 1] * 0.5 + b * x[n]; y[n] ~ normal(m[n], s); } }",
     DECLS "{ vector[N] m; m[1] = a; for (n in 2:N) if (1) { m[n] = m[n - 1] * 0.5 + b * x[n]; y[n] ~ normal(m[n], s); } }"},
    {"loop mixture of densities",
     DECLS "for (n in 1:N) target += log_mix(inv_logit(c), normal_lpdf(y[n] | a, s), cauchy_lpdf(y[n] | b, exp(th[n])));",
     DECLS "for (n in 1:N) if (1) target += log_mix(inv_logit(c), normal_lpdf(y[n] | a, s), cauchy_lpdf(y[n] | b, exp(th[n])));"},
    {"loop discrete densities in an expression",
     DECLS "for (n in 1:N) target += 0.5 * poisson_log_lpmf(k[n] | a * x[n]) - bernoulli_logit_lpmf(z[n] | b);",
     DECLS "for (n in 1:N) if (1) target += 0.5 * poisson_log_lpmf(k[n] | a * x[n]) - bernoulli_logit_lpmf(z[n] | b);"},
    {"invalid scale in a mixture (t < 0 at some points)",
     DECLS "for (n in 1:N) target += log_mix(0.3, normal_lpdf(y[n] | a, t), normal_lpdf(y[n] | b, s));",
     DECLS "for (n in 1:N) if (1) target += log_mix(0.3, normal_lpdf(y[n] | a, t), normal_lpdf(y[n] | b, s));"},
    {"affine local and assignment",
     DECLS "{ vector[N] m = a + b * x - 3 * th; m = m - c * sv + 1; y ~ normal(m, s); }",
     DECLS "{ vector[N] m = (a + b * x - 3 * th) .* rep_vector(1, N); m = (m - c * sv + 1) .* rep_vector(1, N);\n"
     "  y ~ normal(m, s); }"},
    {"reduction with a shifted index (arK)",
     DECLS "for (i in 3:N) { real m = a; for (j in 1:2) m = m + al[j] * y[i - j]; y[i] ~ normal(m, s); }",
     DECLS "for (i in 3:N) { real m = a; for (j in 1:2) if (1) m = m + al[j] * y[i - j]; y[i] ~ normal(m, s); }"},
    {"reduction with +=, the loop variable as a value",
     DECLS "{ real m = 0; for (n in 1:N) m += th[n] * n - 0.1 * (N - n); target += -0.5 * m * m; }",
     DECLS "{ real m = 0; for (n in 1:N) if (1) m += th[n] * n - 0.1 * (N - n); target += -0.5 * m * m; }"},
    {"invalid scale in a loop (t < 0 at some points)",
     DECLS "for (n in 1:N) target += normal_lpdf(y[n] | a + b * x[n], t);",
     DECLS "for (n in 1:N) if (1) target += normal_lpdf(y[n] | a + b * x[n], t);"},
    {"invalid scale, vectorised (t < 0 at some points)", DECLS "y ~ normal(a + b * x, t);",
     DECLS "target += normal_lpdf(y | a + b * x, t) + 0;"},
    {"loop mixture, a weight per element",
     DECLS "for (n in 1:N) target += log_mix(inv_logit(th[n]), normal_lpdf(y[n] | a, s), normal_lpdf(y[n] | b, 2 * s));",
     DECLS "for (n in 1:N) if (1) target += log_mix(inv_logit(th[n]), normal_lpdf(y[n] | a, s), normal_lpdf(y[n] | b, 2 * s));"},
    {"loop mixture with an impossible component at some elements",
     DECLS "for (n in 1:N) target += log_mix(0.3, normal_lpdf(y[n] | a, s), uniform_lpdf(y[n] | -1, 1));",
     DECLS "for (n in 1:N) if (1) target += log_mix(0.3, normal_lpdf(y[n] | a, s), uniform_lpdf(y[n] | -1, 1));"},
    {"locals and an inner loop (arK as Stan writes it)",
     DECLS "for (i in 3:N) { real mu = a; for (j in 1:2) mu += al[j] * y[i - j]; y[i] ~ normal(mu, s); }",
     DECLS "for (i in 3:N) if (1) { real mu = a; for (j in 1:2) mu += al[j] * y[i - j]; y[i] ~ normal(mu, s); }"},
    {"locals declared, assigned, reassigned, without an initialiser",
     DECLS "for (n in 1:N) { real m = a + b * x[n]; real v; v = exp(c) * sv[n]; m = m * 0.5 - v;\n"
     "  target += normal_lpdf(y[n] | m, v); }",
     DECLS "for (n in 1:N) if (1) { real m = a + b * x[n]; real v; v = exp(c) * sv[n]; m = m * 0.5 - v;\n"
     "  target += normal_lpdf(y[n] | m, v); }"},
    {"a data matrix's row times a parameter vector (a column per term)",
     DECLS "for (n in 1:N) y[n] ~ normal(al[g[n]] + X[n] * bv - 0.5 * c, s);",
     DECLS "for (n in 1:N) if (1) y[n] ~ normal(al[g[n]] + X[n] * bv - 0.5 * c, s);"},
    {"a row product in a value, in a function, over some of the rows",
     DECLS "for (n in 2:N - 1) { real m = exp(0.1 * (X[n] * bv)); target += normal_lpdf(y[n] | m * a + X[n] * bv, s); }",
     DECLS "for (n in 2:N - 1) if (1) { real m = exp(0.1 * (X[n] * bv)); target += normal_lpdf(y[n] | m * a + X[n] * bv, s); }"},
    {"a row product of a matrix with too few rows (out of range)",
     DECLS "for (n in 1:N) y[n] ~ normal(W[n] * bv, s);",
     DECLS "for (n in 1:N) if (1) y[n] ~ normal(W[n] * bv, s);"},
    {"mixture as the User's Guide writes it: a local vector, log_sum_exp [vec]",
     DECLS "for (n in 1:N) { vector[J] lps = log_softmax(al); for (j in 1:J) lps[j] += normal_lpdf(y[n] | th[j], s);\n"
     "  target += log_sum_exp(lps); }",
     DECLS "for (n in 1:N) if (1) { vector[J] lps = log_softmax(al); for (j in 1:J) lps[j] += normal_lpdf(y[n] | th[j], s);\n"
     "  target += log_sum_exp(lps); }"},
    {"a local vector's elements plus a density of data alone, of a discrete family, of a t [vec]",
     DECLS "for (n in 1:N) { vector[3] v = rep_vector(a, 3); v[1] += poisson_lpmf(k[n] | 2.5); v[2] += student_t_lpdf(y[n] | 3, b, s);\n"
     "  v[3] += normal_lpdf(1.5 | 0, 2); target += log_sum_exp(v); }",
     DECLS "for (n in 1:N) if (1) { vector[3] v = rep_vector(a, 3); v[1] += poisson_lpmf(k[n] | 2.5); v[2] += student_t_lpdf(y[n] | 3, b, s);\n"
     "  v[3] += normal_lpdf(1.5 | 0, 2); target += log_sum_exp(v); }"},
    {"a local vector without a value, elements set, read, scaled [vec]",
     DECLS "for (n in 1:N) { vector[2] v; v[1] = a * x[n]; v[2] = v[1] * b - sv[n]; v[1] *= c; v[2] /= 2;\n"
     "  target += log_sum_exp(v) + v[2] - v[1]; }",
     DECLS "for (n in 1:N) if (1) { vector[2] v; v[1] = a * x[n]; v[2] = v[1] * b - sv[n]; v[1] *= c; v[2] /= 2;\n"
     "  target += log_sum_exp(v) + v[2] - v[1]; }"},
    {"a local vector's element kept in a scalar, then assigned [vec]",
     DECLS "for (n in 1:N) { vector[2] v = rep_vector(a, 2); real q = v[1]; v[1] = x[n] * c; v[2] -= q;\n"
     "  target += normal_lpdf(y[n] | q + v[1] + v[2], s); }",
     DECLS "for (n in 1:N) if (1) { vector[2] v = rep_vector(a, 2); real q = v[1]; v[1] = x[n] * c; v[2] -= q;\n"
     "  target += normal_lpdf(y[n] | q + v[1] + v[2], s); }"},
    {"a local vector's element out of range",
     DECLS "for (n in 1:N) { vector[2] v = rep_vector(a, 2); v[k[n] + 1] = x[n]; target += log_sum_exp(v); }",
     DECLS "for (n in 1:N) if (1) { vector[2] v = rep_vector(a, 2); v[k[n] + 1] = x[n]; target += log_sum_exp(v); }"},
    {"a local vector's index out of range, the same for every n",
     DECLS "for (n in 1:N) { vector[2] v = rep_vector(a, 2); v[3] = x[n]; target += log_sum_exp(v); }",
     DECLS "for (n in 1:N) if (1) { vector[2] v = rep_vector(a, 2); v[3] = x[n]; target += log_sum_exp(v); }"},
    {"local vectors the loop cannot hold as columns (a sum, a size varying with n)",
     DECLS "for (n in 1:N) { vector[2] v = rep_vector(a, 2); v[1] += x[n]; vector[n] w = rep_vector(b, n);\n"
     "  target += sum(v) + log_sum_exp(w); }",
     DECLS "for (n in 1:N) if (1) { vector[2] v = rep_vector(a, 2); v[1] += x[n]; vector[n] w = rep_vector(b, n);\n"
     "  target += sum(v) + log_sum_exp(w); }"},
    {"target += a sum of terms: each summed on its own, a term that does not vary times the count [vec]",
     DECLS "for (n in 1:N) target += bernoulli_lpmf(1 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)) - 0.5 * th[n] ^ 2\n"
     "  - normal_lpdf(y[n] | c, s) + normal_lpdf(y[n] | th[n], s);",
     DECLS "for (n in 1:N) if (1) target += bernoulli_lpmf(1 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)) - 0.5 * th[n] ^ 2\n"
     "  - normal_lpdf(y[n] | c, s) + normal_lpdf(y[n] | th[n], s);"},
    {"zero-inflated Poisson as the User's Guide writes it: an if on data, each branch over its iterations [vec]",
     DECLS "for (n in 1:N) { if (k[n] == 0)\n"
     "    target += log_sum_exp(bernoulli_lpmf(1 | inv_logit(a)), bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)));\n"
     "  else target += bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)); }",
     DECLS "for (n in 1:N) { if (k[n] == 0 && a < 1e300)\n"
     "    target += log_sum_exp(bernoulli_lpmf(1 | inv_logit(a)), bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)));\n"
     "  else target += bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | exp(b)); }"},
    {"log_sum_exp of two varying values, poisson of a varying rate [vec]",
     DECLS "for (n in 1:N) target += log_sum_exp(normal_lpdf(y[n] | a, s), poisson_lpmf(k[n] | exp(th[n])));",
     DECLS "for (n in 1:N) if (1) target += log_sum_exp(normal_lpdf(y[n] | a, s), poisson_lpmf(k[n] | exp(th[n])));"},
    {"poisson of a rate zero at some elements, log_sum_exp with minus infinity (the element loops' edge cases) [vec]",
     DECLS "for (n in 1:N) target += log_sum_exp(normal_lpdf(y[n] | a, s), log(fmax(0, x[n]))) + poisson_lpmf(0 * z[n] | fmax(0, x[n]) * exp(b)) + poisson_lpmf(z[n] | exp(b) + 0 * x[n]);",
     DECLS "for (n in 1:N) if (1) target += log_sum_exp(normal_lpdf(y[n] | a, s), log(fmax(0, x[n]))) + poisson_lpmf(0 * z[n] | fmax(0, x[n]) * exp(b)) + poisson_lpmf(z[n] | exp(b) + 0 * x[n]);"},
    {"an if on data without else, element assignments and lookups in its branch [vec]",
     DECLS "{ vector[N] m = rep_vector(0, N); for (n in 1:N) if (z[n]) { m[n] = al[g[n]] + b * x[n]; y[n] ~ normal(m[n] + X[n] * bv, s); }\n"
     "  target += -0.5 * dot_self(m); }",
     DECLS "{ vector[N] m = rep_vector(0, N); for (n in 1:N) if (z[n]) { if (1) { m[n] = al[g[n]] + b * x[n]; y[n] ~ normal(m[n] + X[n] * bv, s); } }\n"
     "  target += -0.5 * dot_self(m); }"},
    {"an if on data in the data phase (its iterations kept by the load's evaluator, then freed) [vec]",
     DECLS "let vector[N] w; for (n in 1:N) { if (k[n] == 0) w[n] = 1 + 0 * x[n]; else w[n] = x[n] * 2; }\n"
     "for (n in 1:N) { if (z[n]) target += normal_lpdf(y[n] | a * w[n], s); else target += normal_lpdf(y[n] | b, s); }",
     DECLS "let vector[N] w; for (n in 1:N) { if (k[n] == 0 && 1) w[n] = 1 + 0 * x[n]; else w[n] = x[n] * 2; }\n"
     "for (n in 1:N) { if (z[n] && a < 1e300) target += normal_lpdf(y[n] | a * w[n], s); else target += normal_lpdf(y[n] | b, s); }"},
    {"an if on data whose condition fails (index out of range)",
     DECLS "for (n in 1:N) if (z[n + 1]) target += normal_lpdf(y[n] | a, s); else target += normal_lpdf(y[n] | b, s);",
     DECLS "for (n in 1:N) if (z[n + 1] && a < 1e300) target += normal_lpdf(y[n] | a, s); else target += normal_lpdf(y[n] | b, s);"},
    {"a local that does not vary with n, summed over n",
     DECLS "for (n in 1:N) { real q = a * 2; target += normal_lpdf(y[n] | q, s) + q; }",
     DECLS "for (n in 1:N) if (1) { real q = a * 2; target += normal_lpdf(y[n] | q, s) + q; }"},
    {"an inner loop accumulating into an outer scalar",
     DECLS "{ real acc = 0; for (n in 1:N) for (j in 1:2) acc += th[n] * j; target += -0.5 * acc * acc; }",
     DECLS "{ real acc = 0; for (n in 1:N) if (1) for (j in 1:2) acc += th[n] * j; target += -0.5 * acc * acc; }"},
    {"a local beside an element assignment",
     DECLS "{ vector[N] m; for (n in 1:N) { real u = b * x[n]; m[n] = u + a; y[n] ~ normal(m[n], s); } }",
     DECLS "{ vector[N] m; for (n in 1:N) if (1) { real u = b * x[n]; m[n] = u + a; y[n] ~ normal(m[n], s); } }"},
    {"an element assignment inside an inner loop (run one iteration at a time)",
     DECLS "{ vector[N] m; for (n in 1:N) for (j in 1:2) m[n] = a * j + x[n]; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; for (n in 1:N) if (1) for (j in 1:2) m[n] = a * j + x[n]; y ~ normal(m, s); }"},
    {"a local keeps its value when the element it was read from is written again",
     DECLS "{ vector[N] m; for (n in 1:N) { m[n] = a * x[n]; real v = m[n]; m[n] = b * x[n]; y[n] ~ normal(v + m[n], s); } }",
     DECLS "{ vector[N] m; for (n in 1:N) if (1) { m[n] = a * x[n]; real v = m[n]; m[n] = b * x[n]; y[n] ~ normal(v + m[n], s); } }"},
    {"inner loop bounds from data, nested locals",
     DECLS "for (n in 1:N) { real mu = 0; for (j in 1:J) { real w = al[j] * j; mu += w * x[n]; } z[n] ~ bernoulli_logit(mu); }",
     DECLS "for (n in 1:N) if (1) { real mu = 0; for (j in 1:J) { real w = al[j] * j; mu += w * x[n]; } z[n] ~ bernoulli_logit(mu); }"},
    {"invalid scale through a local (t < 0 at some points)",
     DECLS "for (n in 1:N) { real sc = t * sv[n]; y[n] ~ normal(a, sc); }",
     DECLS "for (n in 1:N) if (1) { real sc = t * sv[n]; y[n] ~ normal(a, sc); }"},
    {"recurrence in forward mode (garch)",
     DECLS "{ vector[N] h; h[1] = sv[1]; for (i in 2:N) h[i] = sqrt(exp(c) + inv_logit(a) * pow(y[i - 1] - b, 2) + 0.3 * pow(h[i - 1], 2));\n"
     "  y ~ normal(b, h); }",
     DECLS "{ vector[N] h; h[1] = sv[1]; for (i in 2:N) if (1) h[i] = sqrt(exp(c) + inv_logit(a) * pow(y[i - 1] - b, 2) + 0.3 * pow(h[i - 1], 2));\n"
     "  y ~ normal(b, h); }"},
    {"recurrence over two lags, division, minus, int data, the loop variable, ^",
     DECLS "{ vector[N] m; m[1] = a; m[2] = b; for (i in 3:N) m[i] = -0.5 * m[i - 1] + m[i - 2] / (2 + s) + k[i] * 0.1 + i * c ^ 2;\n"
     "  y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = a; m[2] = b; for (i in 3:N) if (1) m[i] = -0.5 * m[i - 1] + m[i - 2] / (2 + s) + k[i] * 0.1 + i * c ^ 2;\n"
     "  y ~ normal(m, s); }"},
    {"recurrence from a parameter's element, data shifted forward",
     DECLS "{ vector[N] m; m[1] = th[1]; for (i in 2:N - 1) m[i] = m[i - 1] * 0.9 + x[i + 1] * a; m[N] = 0; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = th[1]; for (i in 2:N - 1) if (1) m[i] = m[i - 1] * 0.9 + x[i + 1] * a; m[N] = 0; y ~ normal(m, s); }"},
    {"recurrence reading a parameter vector (left to the interpreter)",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) m[i] = m[i - 1] + th[i]; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) if (1) m[i] = m[i - 1] + th[i]; y ~ normal(m, s); }"},
    {"invalid scale from a recurrence (t < 0 at some points: log of a negative)",
     DECLS "{ vector[N] h; h[1] = 1; for (i in 2:N) h[i] = log(h[i - 1] + t + 1); y ~ normal(a, h); }",
     DECLS "{ vector[N] h; h[1] = 1; for (i in 2:N) if (1) h[i] = log(h[i - 1] + t + 1); y ~ normal(a, h); }"},
    {"recurrence index out of range",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) m[i] = m[i - 1] + x[i + 1] * a; y ~ normal(m, s); }",
     DECLS "{ vector[N] m; m[1] = 0; for (i in 2:N) if (1) m[i] = m[i - 1] + x[i + 1] * a; y ~ normal(m, s); }"},
    {"index out of range in a loop", DECLS "for (n in 1:N + 1) target += normal_lpdf(y[n] | a, s);",
     DECLS "for (n in 1:N + 1) if (1) target += normal_lpdf(y[n] | a, s);"},
};

static VmModel *load(const char *src) { return rt_load(src, DATA, NULL, 0); }

START_TEST(same_as_generic)
{
    const Pair *p = &pairs[_i];
    VmModel *mf = load(p->fast), *ms = load(p->slow);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    size_t dim = vm_model_dim(mf);
    ck_assert_uint_eq(dim, vm_model_dim(ms));
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32], gf[32], gs[32];
    int any_finite = 0;
    for (int pt = 0; pt < 6; pt++) {
        for (size_t i = 0; i < dim; i++) u[i] = 0.9 * sin(1.3 * (double)i + 2.1 * pt + 0.4);
        double lf, ls;
        int rf = vm_log_density(ef, u, 1, &lf, gf), rs = vm_log_density(es, u, 1, &ls, gs);
        ck_assert_int_eq(rf, rs);
        ck_assert_str_eq(vm_eval_message(ef), vm_eval_message(es));
        if (isinf(ls)) { ck_assert(isinf(lf) && lf < 0); continue; }
        any_finite = 1;
        ck_assert_msg(fabs(lf - ls) <= 1e-10 * fmax(1, fabs(ls)), "%s: lp %.17g vs %.17g", p->name, lf, ls);
        for (size_t i = 0; i < dim; i++)
            ck_assert_msg(fabs(gf[i] - gs[i]) <= 1e-10 * fmax(1, fabs(gs[i])), "%s: grad[%zu] %.17g vs %.17g",
                          p->name, i, gf[i], gs[i]);
        /* the value alone (no gradient) agrees too */
        double lv;
        vm_log_density(ef, u, 1, &lv, NULL);
        ck_assert(fabs(lv - lf) <= 1e-12 * fmax(1, fabs(lf)));
    }
    ck_assert_msg(any_finite || strstr(p->name, "invalid") || strstr(p->name, "range"), "%s: no finite point", p->name);
    if (strstr(p->name, "[vec]"))     /* the loop the rows above say runs as vectors does */
        ck_assert_msg(((Ev *)ef)->m->plan->nvec >= 1, "%s: not planned as vectors", p->name);
    /* the fast paths the plan chose at load are those the evaluator would try (plan_fast.c) */
    for (size_t i = 0; i < dim; i++) u[i] = 0.9 * sin(1.3 * (double)i + 0.4);
    double lc;
    vm_plan_fast_mismatch = 0;
    vm_plan_fast_check = 1;
    vm_log_density(ef, u, 1, &lc, gf);
    vm_log_density(es, u, 1, &lc, gs);
    vm_plan_fast_check = 0;
    ck_assert_msg(vm_plan_fast_mismatch == 0, "%s: %ld planned verdicts differ", p->name, vm_plan_fast_mismatch);
    vm_eval_free(ef);
    vm_eval_free(es);
    vm_model_free(mf);
    vm_model_free(ms);
}
END_TEST

/* The error rows (named so) must really fail somewhere, with a message. */
START_TEST(errors_reported)
{
    if (!strstr(pairs[_i].name, "invalid") && !strstr(pairs[_i].name, "range")) return;
    VmModel *m = load(pairs[_i].fast);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    double u[32], lp, g[32];
    int failed = 0;
    for (int pt = 0; pt < 6; pt++) {
        for (size_t i = 0; i < vm_model_dim(m); i++) u[i] = 0.9 * sin(1.3 * (double)i + 2.1 * pt + 0.4);
        vm_log_density(e, u, 1, &lp, g);
        if (isinf(lp)) { failed = 1; ck_assert(strlen(vm_eval_message(e)) > 0); }
    }
    ck_assert(failed);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* vecmath against libm: within 4 ulp (libmvec's bound), the special values exactly,
 * in blocks of every length mod 4 (the vector body and the scalar tail) */
static double ulps(double a, double b)
{
    if (a == b) return 0;
    return fabs(a - b) / fmax(nextafter(fabs(b), INFINITY) - fabs(b), 4.9e-324);
}

START_TEST(vecmath_against_libm)
{
    enum { N = 4003 };
    static double x[N], y[N], z[N];
    for (int k = 0; k < N; k++) x[k] = -745.5 + 1455.0 * k / (N - 1);
    x[0] = 0; x[1] = -0.0; x[2] = 1e-300; x[3] = -1e-17; x[4] = NAN; x[5] = INFINITY; x[6] = -INFINITY;
    x[7] = 709.7; x[8] = 710; x[9] = -1; x[10] = -2; x[11] = 5e-324;
    for (int len = N - 3; len <= N; len++) {
        vm_vexp(x, y, len);
        for (int k = 0; k < len; k++) {
            double r = exp(x[k]);
            if (isnan(r)) ck_assert_msg(isnan(y[k]), "exp(%g): %g", x[k], y[k]);
            else ck_assert_msg(ulps(y[k], r) <= 4, "exp(%.17g) = %.17g, libm %.17g", x[k], y[k], r);
        }
        for (int k = 0; k < len; k++) z[k] = k < 12 ? x[k] : (k % 2 ? exp(x[k] / 30) - 1 : exp(-fabs(x[k]) / 20));
        vm_vlog1p(z, y, len);
        for (int k = 0; k < len; k++) {
            double r = log1p(z[k]);
            if (isnan(r)) ck_assert_msg(isnan(y[k]), "log1p(%g): %g", z[k], y[k]);
            else ck_assert_msg(ulps(y[k], r) <= 4, "log1p(%.17g) = %.17g, libm %.17g", z[k], y[k], r);
        }
    }
    printf("vecmath: %s\n", vm_vecmath_simd() ? "libmvec AVX2" : "scalar libm");
}
END_TEST

/* The kernels that go through vecmath (bernoulli_logit, poisson_log, log_mix), over
 * many blocks of 256 and a tail, with linear predictors far into both tails (exp(-|v|)
 * down to underflow) */
START_TEST(long_vectors)
{
    enum { N = 1000 };
    char *data = malloc(64 * N + 256), *p = data;
    p += sprintf(p, "{\"N\": %d, \"x\": [", N);
    for (int k = 0; k < N; k++) p += sprintf(p, "%s%.6f", k ? ", " : "", 300.0 * sin(0.37 * k) * (k % 7 ? 0.01 : 1));
    p += sprintf(p, "], \"z\": [");
    for (int k = 0; k < N; k++) p += sprintf(p, "%s%d", k ? ", " : "", (k * 7919) % 3 == 0);
    p += sprintf(p, "], \"k\": [");
    for (int k = 0; k < N; k++) p += sprintf(p, "%s%d", k ? ", " : "", (k * 31) % 17);
    sprintf(p, "]}");
    const char *decl = "data int N; data vector[N] x; data array[N] int z; data array[N] int k;\n"
                       "param real a; param real b; param vector[N] th;\n";
    const char *fast[] = {"z ~ bernoulli_logit(a + b * x);", "z ~ bernoulli_logit(th * 40 + b * x);",
                          "k ~ poisson_log(a + 0.01 * b * x);", "k ~ poisson_log(th + a);",
                          "for (n in 1:N) target += log_mix(inv_logit(a), normal_lpdf(x[n] | b, 30), normal_lpdf(x[n] | th[n], 2));"};
    const char *slow[] = {"target += bernoulli_logit_lpmf(z | a + b * x) + 0;",
                          "target += bernoulli_logit_lpmf(z | th * 40 + b * x) + 0;",
                          "target += poisson_log_lpmf(k | a + 0.01 * b * x) + 0;",
                          "target += poisson_log_lpmf(k | th + a) + 0;",
                          "for (n in 1:N) if (1) target += log_mix(inv_logit(a), normal_lpdf(x[n] | b, 30), normal_lpdf(x[n] | th[n], 2));"};
    static double u[N + 2], gf[N + 2], gs[N + 2];
    for (int c = 0; c < 5; c++) {
        char sf[512], ss[512], *msg = NULL;
        snprintf(sf, sizeof sf, "%s%s", decl, fast[c]);
        snprintf(ss, sizeof ss, "%s%s", decl, slow[c]);
        VmModel *mf = vm_model_load(sf, strlen(sf), "f.vmod", data, "d.json", &msg);
        ck_assert_msg(mf != NULL, "%s", msg ? msg : "?");
        VmModel *ms = vm_model_load(ss, strlen(ss), "s.vmod", data, "d.json", &msg);
        ck_assert_msg(ms != NULL, "%s", msg ? msg : "?");
        VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
        size_t dim = vm_model_dim(mf);
        for (int pt = 0; pt < 4; pt++) {
            for (size_t i = 0; i < dim; i++) u[i] = 0.9 * sin(1.3 * (double)i + 2.1 * pt + 0.4);
            double lf, ls;
            ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, gf), 0);
            ck_assert_int_eq(vm_log_density(es, u, 1, &ls, gs), 0);
            ck_assert_msg(fabs(lf - ls) <= 1e-12 * fmax(1, fabs(ls)), "%s: lp %.17g vs %.17g", fast[c], lf, ls);
            for (size_t i = 0; i < dim; i++)
                ck_assert_msg(fabs(gf[i] - gs[i]) <= 1e-10 * fmax(1, fabs(gs[i])), "%s: grad[%zu] %.17g vs %.17g",
                              fast[c], i, gf[i], gs[i]);
        }
        vm_eval_free(ef); vm_eval_free(es);
        vm_model_free(mf); vm_model_free(ms);
    }
    free(data);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("fastpath");
    TCase *tc = tcase_create("core");
    int n = (int)(sizeof pairs / sizeof pairs[0]);
    tcase_add_loop_test(tc, same_as_generic, 0, n);
    tcase_add_loop_test(tc, errors_reported, 0, n);
    tcase_add_test(tc, vecmath_against_libm);
    tcase_add_test(tc, long_vectors);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int nf = srunner_ntests_failed(r);
    srunner_free(r);
    return nf ? 1 : 0;
}
