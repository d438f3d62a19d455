/* The scalar programs (runtime/scalar.c), chosen at load by the plan (runtime/plan.c)
 * for loops the vectoriser and the recurrence compiler do not take, must give the
 * interpreter's density, gradient and error message: each model is loaded twice, with
 * the programs and without (vm_plan_scalar_disabled: the interpreter, or recur.c for a
 * recurrence), and compared at several points;
 * the program must really have run (Ev.sc_runs), and its gradient must match central
 * finite differences. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "runtime/vmod.h"
#include "runtime/eval.h"
#include "runtime/plan.h"
#include "runtime/model.h"
#include "tests/runtime/rt_util.h"

static const char *DATA =
    "{\"N\": 9, \"J\": 3, \"y\": [0.3, -1.2, 2.5, 0.8, 1.1, -0.4, 0.0, 1.7, -0.9],"
    " \"x\": [1.0, 2.0, -0.5, 0.25, 3.0, -2.0, 0.5, 1.5, -1.0],"
    " \"z\": [0, 1, 1, 0, 1, 0, 1, 1, 0], \"k\": [0, 3, 1, 7, 2, 0, 5, 1, 2], \"g\": [1, 3, 2, 2, 1, 3, 1, 2, 3],"
    " \"Y\": [[[0.1, 0.4], [1.2, -0.3]], [[0.5, 0.9], [-1.1, 0.2]], [[2.0, 1.0], [0.0, -0.5]]],"
    " \"X\": [[0.5, -1.0, 0.2], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [0.0, -0.4, 0.6], [2.0, 1.0, -1.5],"
    " [-1.2, 0.1, 0.4], [0.7, -0.6, 0.9], [0.3, 1.4, -0.2], [-0.8, 0.5, 0.05]]}";

#define DECLS \
    "data int N; data int J; data array[N] real y; data vector[N] x;\n" \
    "data array[N] int z; data array[N] int k; data array[N] int g; data array[J, 2, 2] real Y;\n" \
    "data matrix[N, J] X;\n" \
    "param real a; param real b; param real<lower=0> s; param real t;\n" \
    "param vector[J] al; param matrix[J, J] lt;\n"

typedef struct { const char *name, *src; int invalid; } Case;

static const Case cases[] = {
    {"hmm forward: nested loops, log_sum_exp over a loop-built array",
     DECLS "{ array[J] real acc; array[N, J] real gam;\n"
     "  for (j in 1:J) gam[1, j] = normal_lpdf(y[1] | al[j], s);\n"
     "  for (n in 2:N) for (j in 1:J) {\n"
     "    for (i in 1:J) acc[i] = gam[n - 1, i] + lt[i, j] + normal_lpdf(y[n] | al[j], s);\n"
     "    gam[n, j] = log_sum_exp(acc); }\n"
     "  target += log_sum_exp(gam[N]); }", 0},
    {"arma(1,1): two assignments per step",
     DECLS "{ vector[N] nu; vector[N] err; nu[1] = a + b * a; err[1] = y[1] - nu[1];\n"
     "  for (n in 2:N) { nu[n] = a + b * y[n - 1] + t * err[n - 1]; err[n] = y[n] - nu[n]; }\n"
     "  err ~ normal(0, s); }", 0},
    {"three nested loops with a local, a value carried across the iterations",
     DECLS "{ real r = 0; for (i in 1:J) for (j in 1:2) { real m = a + al[i] * b + lt[i, j] * 0.5 + r;\n"
     "  for (c in 1:2) Y[i, j, c] ~ normal(m, s); r = r * 0.5 + m * 0.1; } }", 0},
    {"outer scalar with compound assignments, pow, two-argument functions",
     DECLS "{ real acc = 0; for (n in 1:N) { acc += pow(x[n] * a, 2); acc -= fmax(b, x[n]) / 3; acc *= 0.9;\n"
     "  acc /= 1.1; acc = acc + log_sum_exp(a * x[n], b) - atan2(s, 2); }\n"
     "  target += -0.5 * acc * acc / 100; }", 0},
    {"int arithmetic in the indices, int locals, the loop variable as a value",
     DECLS "for (n in 1:N) { int h = (n - 1) / 3 + 1; int q; q = n % 2 + 1;\n"
     "  y[n] ~ normal(al[g[n]] * lt[h, q] + -b * n, s + 0.1 * (J - h)); }", 0},
    {"other densities: cauchy, poisson_log and bernoulli_logit of int data, student_t in an expression",
     DECLS "{ real r = 0; for (n in 1:N) { y[n] ~ cauchy(a + r, s); k[n] ~ poisson_log(b * x[n]); z[n] ~ bernoulli_logit(a - x[n]);\n"
     "  target += 0.5 * student_t_lpdf(y[n] | 3, b, exp(t)); r = 0.5 * r + 0.1 * y[n]; } }", 0},
    {"a local declared without a value, unary minus, division by a parameter",
     DECLS "{ real r = 0; for (n in 2:N) { real v; v = -(a - y[n - 1]) / (1 + s) + r;\n"
     "  target += -square(v - b) + log1m_exp(-exp(t * x[n])); r = v * 0.3; } }", 0},
    {"matrix elements written and read back",
     DECLS "{ matrix[J, J] p; for (i in 1:J) for (j in 1:J) p[i, j] = lt[j, i] * a + i - j;\n"
     "  for (i in 1:J) for (j in 1:J) { real w = p[i, j] * p[j, i]; target += -w * w / 10; } }", 0},
    {"a recurrence (garch): the scalar program against recur.c's forward mode",
     DECLS "{ vector[N] h; h[1] = 1; for (n in 2:N) h[n] = sqrt(exp(t) + inv_logit(a) * pow(y[n - 1] - b, 2) + 0.3 * pow(h[n - 1], 2));\n"
     "  y ~ normal(b, h); }", 0},
    {"products folded into sums and differences (SO_FMA): c + x*y, x*y - c, c - x*y, a*a + c, a*a - a",
     DECLS "{ real r = 0; for (n in 1:N) { real u = a + b * x[n]; real v = x[n] * s - u; real w = u - a * b;\n"
     "  real q = t * t + w; r = 0.5 * r + v * 0.1 - q * 0.01 + a * a - a; y[n] ~ normal(r * b + u, s); } }", 0},
    {"folded products of constants, ints and a product read twice (not folded)",
     DECLS "{ real r = 0; for (n in 1:N) { real p = a * x[n]; real v = 2 + 3 * n - k[n] * x[n] + p + p * 2;\n"
     "  r = r * 0.5 + 1.5 * v - b * n; } target += -r * r / 100; }", 0},
    {"squares (SO_SQ: pow with a literal 2, int or real) beside other powers",
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.3 * r + pow(x[n] - a, 2) * 0.1 + pow(b * r, 2.0) - pow(s, 3) + pow(s, b) * 0.01\n"
     "  + pow(2, a); } target += -r * r / 10; }", 0},
    {"cdfs of scalars: normal_lcdf and _lccdf, logistic_cdf, poisson_cdf of int data",
     DECLS "for (n in 1:N) target += normal_lcdf(a * x[n] | b, s) + 0.1 * normal_lccdf(y[n] | a, s)\n"
     "  + 0.5 * logistic_cdf(y[n] | b, 1 + s) + 0.2 * log(poisson_cdf(k[n] | exp(t)));", 0},
    {"user functions inlined: locals, an int argument, a function calling one, a user _lpdf after ~",
     "real sq2(real u) { return u * u; }\n"
     "real skew_lpdf(real v, real mu, real sc, real al) {\n"
     "  real z = (v - mu) / sc;\n  return normal_lpdf(v | mu, sc) + log(2) + normal_lcdf(al * z | 0, 1);\n}\n"
     "real shift(real u, int h) { real w = sq2(u) * 0.1; int h2 = h * 2; return w + h2; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { y[n] ~ skew(a + shift(b, g[n]) * 0.1 + r, s, t); r = 0.3 * r + sq2(x[n] * b) * 0.01; } }", 0},
    {"user functions with vector arguments: a row and a whole vector, read in place, indexed, reduced",
     "real lin(row_vector xr, vector w, real c) { return xr * w + c * w[2] + dot_product(w, xr); }\n"
     "real lse3(vector v) { return log_sum_exp(v) - v[3]; }\n"
     DECLS "for (n in 1:N) y[n] ~ normal(lin(X[n], al, a) + 0.1 * lse3(al), s);", 0},
    {"stores read back: forwarded, and not after the value, the index or the element changes",
     DECLS "{ vector[N] u = rep_vector(0.5, N); vector[N] w = rep_vector(0.25, N); real r = 0;\n"
     "  for (n in 1:N) { int h = n; real q = a * x[n]; u[n] = q; w[h] = b * x[n] + r; r = u[n] * 0.5 + w[h];\n"
     "    q = q + b; h = N + 1 - n; r = r * 0.5 + u[n] + w[h] * 0.1; u[n] = r;\n"
     "    for (j in 1:2) u[n] = u[n] * 0.9 + t; target += -square(u[n] - w[h] + r) / 10; } }", 0},
    {"densities over data slices in nested loops (SS_DISTV): the last index, a strided one, int data",
     DECLS "for (i in 1:J) { real m = a + al[i] * b; for (c in 1:2) Y[i, 1, c] ~ normal(m, s);\n"
     "  for (j in 1:2) Y[i, j, 2] ~ student_t(3, m * 0.5, s + 1); for (n in 1:N) k[n] ~ poisson_log(b * 0.1 + al[i] * 0.2); }", 0},
    {"normal over data rows: whole (their statistics), part of one, a matrix's column (not contiguous)",
     DECLS "for (i in 1:J) { real m = a + al[i] * b; for (j in 1:2) { for (c in 1:2) Y[i, j, c] ~ normal(m + j, s);\n"
     "  for (c in 2:2) Y[i, j, c] ~ normal(m * 0.5, s); } for (n in 1:N) X[n, i] ~ normal(m, s + 1); }", 0},
    {"if/else on int data: a zero-inflated poisson (Stan's way), a statement before the if (not split into vectorised runs)",
     DECLS "for (n in 1:N) {\n  real lam = exp(b);\n  if (k[n] == 0)\n"
     "    target += log_sum_exp(bernoulli_lpmf(1 | inv_logit(a)), bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | lam));\n"
     "  else\n    target += bernoulli_lpmf(0 | inv_logit(a)) + poisson_lpmf(k[n] | lam);\n}", 0},
    {"if without else, real comparisons, !, nested ifs, a local set in both branches",
     DECLS "{ real r = 0; for (n in 1:N) { real w; if (x[n] > a) w = x[n] - a; else w = a * 0.5;\n"
     "  if (!(z[n] == 1)) r = r * 0.9 + w * b;\n"
     "  if (g[n] >= 2) { if (y[n] <= t) y[n] ~ normal(r, s); } else target += -square(w - t); } }", 0},
    {"a branch never taken that would fail, a store in a branch read after the if",
     DECLS "{ vector[N] u = rep_vector(0.0, N); real r = 0; for (n in 1:N) {\n"
     "  if (n > N) r = r + x[n + 1];\n  if (z[n] == 1) u[n] = a * x[n];\n  r = r * 0.5 + u[n] + b; }\n"
     "  target += -r * r; }", 0},
    {"&& and || in conditions: the right side only when needed (y[n - 1] at n = 1 is out of range)",
     DECLS "{ real r = 0; for (n in 1:N) {\n  if (n > 1 && y[n - 1] > a) r = r * 0.5 + y[n - 1] * b;\n"
     "  if (n == 1 || x[n - 1] < b) r = r + 0.1 * s;\n  if ((z[n] == 1 && k[n] > 1) || !(g[n] != 2 || n > N - 1)) r = r - t;\n"
     "  y[n] ~ normal(r, s); } }", 0},
    {"row dot products: X[n] * al, dot_product of a row, transposes, a vector with itself",
     DECLS "for (n in 1:N) { y[n] ~ normal(a + X[n] * al, s);\n"
     "  target += -0.1 * square(dot_product(X[n], al) - b) - 0.01 * (al' * al) + 0.05 * (X[n] * X[n]') * t\n"
     "    + 0.1 * dot_product(al, X[n]) * b - 0.2 * (al' * X[n]') * a; }", 0},
    {"a local vector whose size changes from one iteration to the next",
     DECLS "for (n in 1:N) { vector[g[n]] u = rep_vector(a, g[n]); for (j in 1:g[n]) u[j] += al[j] * b;\n"
     "  target += -0.1 * log_sum_exp(u) + u[1] * t; }", 0},
    {"a local vector in the body: a finite mixture (Stan's user guide), log_sum_exp of it, its weights varying with n",
     DECLS "for (n in 1:N) { vector[J] lps = -exp(al) * 0.5 + a * x[n];\n"
     "  for (j in 1:J) lps[j] += normal_lpdf(y[n] | al[j], s);\n  target += log_sum_exp(lps); }", 0},
    {"local arrays: no value, rep_*, whole and compound assignments, element-wise rows and vectors",
     DECLS "{ real r = 0; for (n in 1:N) { vector[J] u; row_vector[J] w = rep_row_vector(b, J); array[2] real q = rep_array(0.5, 2);\n"
     "  u = X[n]' .* al - w' / 2; u += al; u = u * t; q[2] = u[1];\n"
     "  for (j in 1:J) r = r * 0.5 + u[j] * q[1 + j % 2]; } target += -r * r; }", 0},
    {"while loops: a top-level one with an outer int, one in a for body",
     DECLS "{ int m = 1; real r = 0; while (m <= N) { r = r * 0.5 + a * x[m]; m += 2; } target += -r * r;\n"
     "  for (n in 1:N) { int c = 0; real w = a; while (c < k[n]) { w += b * 0.1; c += 1; } y[n] ~ normal(w, s); } }", 0},
    {"conditional expressions: only the branch chosen runs (y[n - 1] at n = 1), int and real, nested, as an index",
     DECLS "{ real r = 0; for (n in 1:N) { real p = n > 1 ? y[n - 1] : 0.0; int h = g[n] == 2 ? 1 : (g[n] == 3 ? 2 : 3);\n"
     "  r = r * 0.5 + p * a + (z[n] == 1 ? b : exp(t)) * x[h] + al[n > 3 ? 2 : 1]; y[n] ~ normal(r, s); } }", 0},
    {"&& and || as values: the right side only when needed",
     DECLS "{ real r = 0; for (n in 1:N) { int q = n > 1 && y[n - 1] > a; int w = (z[n] == 1 || k[n] > 2);\n"
     "  r = r * 0.5 + q * b + w * t - (q || w) * 0.1 + (n == N || x[n + 1] > 0) * a; } target += -r * r; }", 0},
    {"a change point (Stan's coal mining disasters): a conditional rate in a double loop",
     DECLS "{ vector[N] lp = rep_vector(-log(N), N);\n"
     "  for (sp in 1:N) for (n in 1:N) lp[sp] = lp[sp] + poisson_lpmf(k[n] | n < sp ? exp(a) : exp(b));\n"
     "  target += log_sum_exp(lp); }", 0},
    {"a conditional and && in while loops' conditions (tested at the top of the body): the right side only when needed",
     DECLS "{ int m = 1; real r = 0; while ((m > N ? 0 : g[m]) >= 1) { r = r * 0.5 + a * x[m]; m += 1; }\n"
     "  for (n in 1:N) { int i = 1; while (i <= N && x[i] < x[n] + 0.5) i += 1; r = r * 0.9 + (n > 2 ? b : t) * x[n] + i * a; }\n"
     "  target += -r * r; }", 0},
    {"selects: conditionals of registers and constants, real and int, in a while condition too",
     DECLS "{ int m = 1; real r = 0; while ((m > N ? 0 : 1) == 1) { r = r * 0.5 + a * x[m]; m += 1; }\n"
     "  for (n in 1:N) { int h = z[n] == 1 ? n : 2; real q = x[n] > 0 ? s : 1.5; r = r * 0.9 + (n > 2 ? b : t) * x[h] + q; }\n"
     "  target += -r * r; }", 0},
    {"a function whose body holds loops: Stan's HMM forward pass as a function, and a while",
     "real hmm_fwd(array[] real yy, vector mu, matrix lt, real sg) {\n"
     "  int K = rows(mu); int T = size(yy); array[T, K] real gam; array[K] real acc;\n"
     "  for (k in 1:K) gam[1, k] = normal_lpdf(yy[1] | mu[k], sg);\n"
     "  for (t in 2:T) for (k in 1:K) { for (j in 1:K) acc[j] = gam[t - 1, j] + lt[j, k] + normal_lpdf(yy[t] | mu[k], sg);\n"
     "    gam[t, k] = log_sum_exp(acc); }\n  return log_sum_exp(gam[T]); }\n"
     "real geo(real q, int n) { real acc = 0; int i = 0; while (i < n) { acc = acc * q + 1; i += 1; } return acc; }\n"
     DECLS "target += hmm_fwd(y, al, lt, s) - 0.1 * square(geo(inv_logit(t), N));", 0},
    {"slices and segments: in dot products, log_sum_exp and sum, of vectors and of rows",
     DECLS "{ real r = 0; for (n in 3:N) { r = r * 0.5 + dot_product(al[2:3], x[n - 2:n - 1]) * a + log_sum_exp(lt[g[n]]) * 0.1\n"
     "  + sum(X[n, 2:3]) * b + dot_product(segment(x, n - 2, 2), lt[1, 1:2]) * t + sum(al) * 0.01 + log_sum_exp(al[:2])\n"
     "  + sum(al[3:2]) + sum(al[2:2]) * b + log_sum_exp(X[n, 2:]) * s; } target += -r * r; }", 0},
    {"math functions of three scalars: log_mix of two densities, fma",
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + log_mix(inv_logit(t), normal_lpdf(y[n] | a, s),\n"
     "  normal_lpdf(y[n] | b + r * 0.1, s + 1)) + 0.01 * fma(a, x[n], b); } target += r; }", 0},
    {"functions with if/else and early returns inlined: real and int results, a local in a branch",
     "real safe_log(real v) { if (v > 0) return log(v); return -10; }\n"
     "real pick(real p, real q, int h) { if (h == 1) return p; else if (h == 2) { real z = p * q; return z + 1; } else return q; }\n"
     "int sgn(real v) { if (v > 0) return 1; if (v < 0) return -1; return 0; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + safe_log(x[n] * s) * 0.1 + pick(a, b, g[n]) * x[n] + sgn(y[n] - a) * t\n"
     "  + pick(sgn(x[n]), safe_log(s), 3); } target += -r * r; }", 0},
    {"functions with loops, assignments and local vectors inlined: a mixture's density as a function",
     "real mix_lpdf(real v, vector th, vector mu, real sg) { int K = rows(th); vector[K] lps = th;\n"
     "  for (k in 1:K) lps[k] += normal_lpdf(v | mu[k], sg); return log_sum_exp(lps); }\n"
     "real acc3(real q) { real r = 0; for (i in 1:3) { r = r * q + i; if (r > 5) r = 5; } return r; }\n"
     "real lenw(row_vector w) { return size(w) + cols(w) * 0.5; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { y[n] ~ mix(lt[1]', al, s); r = 0.5 * r + acc3(x[n] * a) * 0.1 + lenw(X[n]) * b; }\n"
     "  target += -r * r; }", 0},
    {"categorical_logit of a row and of a vector, as ~ and as _lpmf",
     DECLS "for (n in 1:N) { g[n] ~ categorical_logit(lt[n % 3 + 1]'); target += 0.5 * categorical_logit_lpmf(g[n] | al); }", 0},
    {"vector expressions where a view is read: log_sum_exp, dot_product, sum, a function's argument",
     "real lse_of(vector v) { return log_sum_exp(v); }\n"
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + log_sum_exp(al + lt[g[n]]') * 0.1 + dot_product(X[n] .* al', al) * a\n"
     "  + sum(exp(al * b)) * 0.01 + lse_of(-al) * t;\n"
     "  vector[J] u = al * sum(exp(al * t)) + log_sum_exp(al .* al); r = r + u[g[n]] * 0.01\n"
     "    + dot_product(to_vector(X[n]), al) * b + sum(to_array_1d(exp(al))) * 0.01; } target += -r * r; }", 0},
    {"densities of containers: categorical of a simplex, ordered_logistic, a row's normal, dirichlet, a whole Cholesky factor",
     DECLS "param simplex[J] th; param ordered[2] cp; param cholesky_factor_corr[2] Lc;\n"
     "for (n in 1:N) { g[n] ~ categorical(th); g[n] ~ ordered_logistic(X[n] * al * 0.5, cp);\n"
     "  target += 0.1 * normal_lpdf(X[n] | a, s) + 0.1 * dirichlet_lpdf(th | exp(al)) + 0.2 * categorical_lpmf(g[n] | th);\n"
     "  X[n, 1:2]' ~ multi_normal_cholesky(lt[1, 1:2]', Lc); al[2:3] ~ normal(x[n], s + x[n] * x[n]); }", 0},
    {"outer values (once per run, by the interpreter): a Cholesky factor scaled, softmax, sd, a row of a product",
     DECLS "param cholesky_factor_corr[2] Lc;\n"
     "for (n in 1:N) { X[n, 1:2]' ~ multi_normal_cholesky(al[1:2], diag_pre_multiply(exp(al[2:3]), Lc));\n"
     "  g[n] ~ categorical(softmax(al)); y[n] ~ normal(a + dot_product(softmax(-al), X[n]), sd(al) + s);\n"
     "  target += -0.1 * square(y[n] - b * (lt * al)[g[n]]); }", 0},
    {"an outer value that fails at some points, in a branch never taken: no error",
     DECLS "for (n in 1:N) { if (n > N) target += sum(cholesky_decompose(lt * lt' + diag_matrix(rep_vector(t, J))));\n"
     "  y[n] ~ normal(a * x[n], s); }", 0},
    {"values that vary are not outer values: softmax of a local, of an outer vector the loop assigns, of the loop variable",
     DECLS "{ vector[J] w = al; real r = 0; for (n in 1:N) r = r * 0.5 + a * x[n]; target += -r * r;\n"
     "  for (n in 1:N) { vector[J] u = al * x[n]; g[n] ~ categorical(softmax(u)); }\n"
     "  for (n in 1:N) { g[n] ~ categorical(softmax(w)); w[g[n]] = w[g[n]] * 0.5 + a; }\n"
     "  for (n in 1:N) target += sd(al * n) * 0.1; }", 0},
    {"an outer value that is not a simplex",
     DECLS "for (n in 1:N) g[n] ~ categorical(softmax(al) * 2);", 1},
    {"densities of int arrays: slices of counts and of outcomes as variates, a multinomial",
     DECLS "for (n in 1:N - 2) { k[n:n + 2] ~ poisson_log(al * x[n]); segment(z, n, 2) ~ bernoulli_logit(al[1:2] * b);\n"
     "  target += 0.1 * multinomial_lpmf(k[n:n + 2] | softmax(al)) + binomial_lpmf(z[n:n + 2] | k[n:n + 2], inv_logit(a)); }", 0},
    {"a density of an int slice and a vector of different sizes",
     DECLS "for (n in 1:N) k[1:2] ~ poisson_log(al * a);", 1},
    {"poisson as ~ and as _lpmf (inline), a rate shared by every term and one per term",
     DECLS "{ real r = 1; for (n in 1:N) { k[n] ~ poisson(exp(a) + x[n] * x[n] + r); target += 0.5 * poisson_lpmf(k[n] | s)\n"
     "  + poisson_lpmf(z[n] | exp(b)); r = r * 0.5 + s; } }", 0},
    {"poisson with a negative rate (t < 0 at some points)",
     DECLS "{ real r = 0; for (n in 1:N) { k[n] ~ poisson(t + x[n] * 0.01 + r); r = r * 0.5; } }", 1},
    {"reject and fatal_error in the body and in an inlined function, never reached",
     "real checked(real v) { if (v > 1e300) reject(\"too large: \", v); return v; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { r = r * 0.5 + checked(x[n] * a); if (r > 1e300) fatal_error(\"runaway at \", n);\n"
     "  y[n] ~ normal(r, s); } }", 0},
    {"reject in an inlined function, reached at some points (t < 0)",
     "real pos(real v) { if (v <= 0) reject(\"must be positive: \", v); return v; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { r = r * 0.5 + x[n]; y[n] ~ normal(a * r, pos(t)); } }", 1},
    {"bernoulli_logit as ~ and as _lpmf (inline), in the tails too",
     DECLS "{ real r = 0; for (n in 1:N) { z[n] ~ bernoulli_logit(a * x[n] + r); target += bernoulli_logit_lpmf(1 - z[n] | 40 * b + r);\n"
     "  r = r * 0.5 + 0.1 * s; } }", 0},
    {"bernoulli_logit of an outcome that is not 0 or 1",
     DECLS "{ real r = 0; for (n in 1:N) { k[n] ~ bernoulli_logit(a * x[n] + r); r = r * 0.5; } }", 1},
    {"functions with returns inside loops inlined: a search, a while with an exit, nested loops, two calls in one expression",
     "int first_above(vector v, real q) { for (i in 1:rows(v)) if (v[i] > q) return i; return rows(v) + 1; }\n"
     "real capped(real v, real cap) { real acc = 0; int i = 0; while (i < 10) { acc = acc * 0.5 + v; if (acc > cap) return cap; i += 1; }\n"
     "  return acc; }\n"
     "real pairsum(vector v, real q) { for (i in 1:rows(v)) for (j in 1:rows(v)) if (v[i] + v[j] > q) return v[i] * v[j]; return 0; }\n"
     "real pick2(vector v, real q) { if (q > 0) { for (i in 1:rows(v)) if (v[i] > q) return v[i]; return -1; } else return 2 * q; }\n"
     DECLS "{ real r = 0; for (n in 1:N) { int h = first_above(al, x[n] * a); r = r * 0.5 + h * 0.1\n"
     "  + capped(a * x[n], 1.5) * pairsum(al, b + x[n]) + capped(b, 0.5) + pick2(al, x[n] * t); y[n] ~ normal(r, s); } }", 0},
    {"local vectors copied: a whole vector, matrix rows, a slice, an outer value, then changed",
     DECLS "{ real r = 0; for (n in 1:N) { vector[J] u = al; row_vector[J] w = lt[g[n]]; vector[2] q = al[2:3];\n"
     "  vector[J] v = softmax(al); vector[J] d = X[n]'; u[1] += a * x[n]; w[2] = w[2] * b; d[3] = d[3] * t;\n"
     "  r = r * 0.5 + u[1] + w[2] + q[1] * v[g[n]] + sum(u) * 0.1 + d[3] + al[1]; } target += -r * r; }", 0},
    {"a local vector copied from a vector of another size",
     DECLS "for (n in 1:N) { vector[2] u = al; target += -square(u[1]); }", 1},
    {"slices, segments and outer values in element-wise values: a local's value, log_sum_exp, dot_product",
     DECLS "{ real r = 0; for (n in 2:N) { vector[2] u = al[2:3] * x[n] + segment(x, n - 1, 2); row_vector[J] w = X[n] .* softmax(al)';\n"
     "  r = r * 0.5 + u[1] - u[2] * b + log_sum_exp(al[1:2] + x[n - 1:n]) * 0.1 + dot_product(X[n, 2:3] .* al[1:2]', lt[1, 1:2]) * a\n"
     "    + w[g[n]]; } target += -r * r; }", 0},
    {"a slice out of range in an element-wise value",
     DECLS "{ real r = 0; for (n in 1:N) { vector[2] u = x[n:n + 1] * a; r = r * 0.5 + u[2]; } target += -r * r; }", 1},
    {"matrix times vector element by element: categorical_logit of lt * X[n]', log_sum_exp, a local's value",
     DECLS "{ real r = 0; for (n in 1:N) { g[n] ~ categorical_logit(lt * X[n]'); vector[J] u = lt * al + al;\n"
     "  r = r * 0.5 + log_sum_exp(lt * X[n]') * 0.1 + u[g[n]] * a; } target += -r * r; }", 0},
    {"row vector times matrix element by element (the matrix transposed once per run): categorical_logit, log_sum_exp",
     DECLS "{ real r = 0; for (n in 1:N) { g[n] ~ categorical_logit((X[n] * lt)'); r = r * 0.5 + log_sum_exp(X[n] * lt) * 0.1\n"
     "  + dot_product(X[n] * lt, al) * a; } target += -r * r; }", 0},
    {"matrix times vector of another size",
     DECLS "{ real r = 0; for (n in 1:N) r = r * 0.5 + log_sum_exp(lt * x) * a; target += -r * r; }", 1},
    {"categorical of a vector that is not a simplex",
     DECLS "for (n in 1:N) g[n] ~ categorical(exp(al));", 1},
    {"a density of two views of different sizes",
     DECLS "for (n in 1:N) target += normal_lpdf(X[n] | al[1:2], s);", 1},
    {"a local vector's value of another size",
     DECLS "for (n in 1:N) { vector[J] u = x * a; target += -square(u[1]); }", 1},
    {"a dot product of vectors of different sizes",
     DECLS "for (n in 1:N) target += -square(X[n] * x) * a;", 1},
    {"a slice out of range",
     DECLS "{ real r = 0; for (n in 1:N) r = r * 0.5 + dot_product(al[2:4], x[1:3]) * a; target += -r * r; }", 1},
    {"a segment out of range",
     DECLS "{ real r = 0; for (n in 1:N) r = r * 0.5 + sum(segment(x, n, 2)) * a; target += -r * r; }", 1},
    {"categorical_logit of an outcome out of range",
     DECLS "for (n in 1:N) k[n] ~ categorical_logit(al);", 1},
    {"categorical_logit of a vector with an element not finite",
     DECLS "for (n in 1:N) { vector[J] v = al; v[1] = log(0.0); g[n] ~ categorical_logit(v); }", 1},
    {"a vector expression of vectors of different sizes",
     DECLS "{ real r = 0; for (n in 1:N) r = r * 0.5 + log_sum_exp(al + x) * a; target += -r * r; }", 1},
    {"invalid scale (t < 0 at some points)",
     DECLS "for (n in 1:N) { real m = a * x[n]; y[n] ~ normal(m, t); }", 1},
    {"invalid scale of a density over a data slice (t < 0 at some points)",
     DECLS "for (i in 1:J) { real m = a * al[i]; for (c in 1:2) Y[i, 1, c] ~ normal(m, t); }", 1},
    {"invalid scale in an expression (t < 0 at some points)",
     DECLS "{ real acc = 0; for (n in 1:N) acc += normal_lpdf(y[n] | a, t); target += acc; }", 1},
    {"index out of range",
     DECLS "{ real r = 0; for (n in 1:N) { r = r * 0.5 + a * x[n + n / N]; } target += -r * r; }", 1},
    {"a whole data row (its statistics) at an index out of range",
     DECLS "for (i in 1:J) { real m = a + b * i; for (j in 1:2) for (c in 1:2) Y[i, j + i / J, c] ~ normal(m, s); }", 1},
    {"cells side by side (scalar_batch.c): nested3's, the location and the scale from the lanes",
     DECLS "for (i in 1:J) { for (j in 1:2) { real m = a + al[i] * b + lt[i, j] * t; for (c in 1:2) Y[i, j, c] ~ normal(m, s); }\n"
     "  for (j in 1:2) { real w = s + lt[j, i] * lt[j, i]; for (c in 1:2) Y[i, j, c] ~ normal(a, w); } }", 0},
    {"cells side by side, an element out of range",
     DECLS "for (i in 1:J) for (j in 1:2) { real m = a + al[i] * b + lt[i, j + 2] * t; for (c in 1:2) Y[i, j, c] ~ normal(m, s); }", 1},
    {"cells side by side, a row out of range",
     DECLS "for (i in 1:J) for (j in 1:2) { real m = a + al[i] * b; for (c in 1:2) Y[i, j + 1, c] ~ normal(m, s); }", 1},
    {"a normal per cell side by side, a scale that is not positive (t < 0 at some points)",
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; for (j in 1:J) X[n, j] ~ normal(a, t + lt[j, j] * 0); }\n"
     "  target += -r * r; }", 1},
    {"a normal and a target += per cell: two terms of lp, so the flat code",
     DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; for (j in 1:J) { real w = s + lt[j, 1] * lt[j, 1];\n"
     "  X[n, j] ~ normal(a * x[n], w); target += al[j] * X[n, j]; } } target += -r * r; }", 0},
    {"cells side by side, a scale that is not positive (t < 0 at some points)",
     DECLS "for (i in 1:J) for (j in 1:2) { real w = t + lt[i, j] * 0; for (c in 1:2) Y[i, j, c] ~ normal(a, w); }", 1},
};

/* with the programs, or with none (the interpreter, or recur.c for a recurrence) */
/* linear recurrences (ARMA's) are linrec.c's when it runs: off here, so that the
 * programs stay tested on them (tests/runtime/test_linrec.c tests linrec.c) */
static VmModel *load(const char *src, int scalar)
{
    vm_plan_linrec_disabled = 1;
    VmModel *m = rt_load(src, DATA, &vm_plan_scalar_disabled, !scalar);
    vm_plan_linrec_disabled = 0;
    return m;
}


START_TEST(same_as_interpreter)
{
    const Case *c = &cases[_i];
    VmModel *mf = load(c->src, 1), *ms = load(c->src, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    size_t dim = vm_model_dim(mf);
    ck_assert_uint_eq(dim, vm_model_dim(ms));
    ck_assert_uint_le(dim, 32);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32];
    int nfinite = 0, ninf = 0;
    for (int pt = 0; pt < 8; pt++) {
        rt_point(u, dim, pt);
        if (rt_same_at(ef, es, u, dim, c->name, 1e-10)) nfinite++;
        else ninf++;
    }
    if (c->invalid) ck_assert_msg(ninf > 0, "%s: never failed", c->name);
    else {
        ck_assert_msg(nfinite == 8, "%s: %d finite points", c->name, nfinite);
        /* the program ran (the interpreter did not take over), without it none did */
        ck_assert_msg(((Ev *)ef)->sc_runs > 0, "%s: no scalar program ran", c->name);
    }
    ck_assert_int_eq(((Ev *)es)->sc_runs, 0);
    /* the recurrence's comparison is with recur.c, which must have run it */
    if (strstr(c->name, "recur.c")) ck_assert_msg(((Ev *)es)->rec_runs > 0, "%s: recur.c did not run", c->name);
    vm_eval_free(ef);
    vm_eval_free(es);
    vm_model_free(mf);
    vm_model_free(ms);
}
END_TEST

/* Errors: the message names the position, as the interpreter's does. */
START_TEST(errors_have_messages)
{
    const Case *c = &cases[_i];
    if (!c->invalid) return;
    VmModel *m = load(c->src, 1);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    double u[32], lp, g[32];
    int failed = 0;
    for (int pt = 0; pt < 8; pt++) {
        rt_point(u, vm_model_dim(m), pt);
        vm_log_density(e, u, 1, &lp, g);
        if (isinf(lp)) { failed = 1; ck_assert(strlen(vm_eval_message(e)) > 0); }
    }
    ck_assert(failed);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* The program's gradient against central differences of its own density. */
START_TEST(finite_differences)
{
    const Case *c = &cases[_i];
    if (c->invalid) return;
    VmModel *m = load(c->src, 1);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    rt_fd_points(e, vm_model_dim(m), 3, c->name);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* The plan decides at load: every loop of a model has its entry, however many. */
START_TEST(every_loop_planned)
{
    char src[8192];
    int n = snprintf(src, sizeof src, DECLS);
    for (int i = 0; i < 40; i++)
        n += snprintf(src + n, sizeof src - (size_t)n,
                      "{ real r = 0; for (j in 1:N) { r = r * 0.5 + x[j] * a; } target += -r * r * %d / 1000; }\n", i + 1);
    VmModel *m = load(src, 1);
    ck_assert_ptr_nonnull(m);
    VmEval *e = vm_eval_new(m);
    double u[32] = {0}, lp, g[32];
    rt_point(u, vm_model_dim(m), 1);
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
    ck_assert_int_eq(((Ev *)e)->sc_runs, 40);
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

/* A count over the programs of m's plan (sc_nfused, sc_nhoisted, ...): their sum, or
 * with outermost the largest (the outermost loop's program: a nested loop has its
 * own, for when the loop around it is not a program, and that one counts less). */
static int plan_count(VmModel *m, int (*count)(const ScProg *), int outermost)
{
    VmEval *e = vm_eval_new(m);
    const Plan *p = ((Ev *)e)->m->plan;
    int n = 0;
    for (int i = 0; i < p->cap; i++) {
        if (!p->tab[i].s || !p->tab[i].sc) continue;
        int k = count(p->tab[i].sc);
        n = outermost ? (k > n ? k : n) : n + k;
    }
    vm_eval_free(e);
    return n;
}

static int nfused(VmModel *m) { return plan_count(m, sc_nfused, 0); }
static int nsum3(VmModel *m) { return plan_count(m, sc_nsum3, 0); }

/* Products folded into the sum or difference they feed (SO_FMA), then sums into
 * the sum or difference that reads them (SO_ADD3): as many as the shape has, the same density bit for bit as the unfolded program's and the same
 * gradient up to the order of two additions into one adjoint. */
/* src's programs with a transformation (*mf) and without it (*mu: *off set at load) */
static void load_with_without(const char *src, int *off, VmModel **mf, VmModel **mu)
{
    *mf = load(src, 1);
    *off = 1;
    *mu = load(src, 1);
    *off = 0;
    ck_assert_ptr_nonnull(*mf);
    ck_assert_ptr_nonnull(*mu);
}

/* Programs mf and mu (one transformation on and off) both ran, and gave the same
 * density bit for bit and the same gradient (relative 1e-13) at four points; with fd,
 * mf's gradient against central differences too.  Frees both. */
static void same_bits(VmModel *mf, VmModel *mu, size_t c, int fd)
{
    VmEval *ef = vm_eval_new(mf), *eu = vm_eval_new(mu);
    size_t dim = vm_model_dim(mf);
    double u[32], gf[32], gu[32], lf, lu;
    for (int pt = 0; pt < 4; pt++) {
        rt_point(u, dim, pt);
        ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, gf), 0);
        ck_assert_int_eq(vm_log_density(eu, u, 1, &lu, gu), 0);
        ck_assert_msg(lf == lu, "case %zu: lp %.17g vs %.17g", c, lf, lu);
        for (size_t i = 0; i < dim; i++)
            ck_assert_msg(fabs(gf[i] - gu[i]) <= 1e-13 * fmax(1, fabs(gu[i])), "case %zu: grad[%zu] %.17g vs %.17g",
                          c, i, gf[i], gu[i]);
    }
    ck_assert_msg(((Ev *)ef)->sc_runs > 0 && ((Ev *)eu)->sc_runs > 0, "case %zu: no program ran", c);
    if (fd) rt_fd_points(ef, dim, 2, "program");
    vm_eval_free(ef); vm_eval_free(eu);
    vm_model_free(mf); vm_model_free(mu);
}

/* src with one transformation (*off clear) and without it: `want` of what count counts
 * (the sum over the model's programs, or the most in one when outermost), none without,
 * and same_bits with central differences */
static void one_case(const char *src, int *off, int (*count)(const ScProg *), int outermost, int want, size_t c,
                     const char *what)
{
    VmModel *mf, *mu;
    load_with_without(src, off, &mf, &mu);
    int n = plan_count(mf, count, outermost);
    ck_assert_msg(n == want, "case %zu: %d %s, want %d", c, n, what, want);
    ck_assert_int_eq(plan_count(mu, count, 0), 0);
    same_bits(mf, mu, c, 1);
}

START_TEST(fused_same_as_unfused)
{
    static const struct { const char *src; int nf, ns; } fc[] = {
        {DECLS "{ vector[N] nu; vector[N] err; nu[1] = a; err[1] = y[1] - nu[1];\n"
         "  for (n in 2:N) { nu[n] = a + b * y[n - 1] + t * err[n - 1]; err[n] = y[n] - nu[n]; }\n"
         "  err ~ normal(0, s); }", 2, 0},
        {DECLS "{ real r = 0; for (n in 1:N) r = x[n] * a - b + t * s - x[n] * x[n] + 0.5 * r; target += -r * r; }", 4, 0},
        {DECLS "{ real r = 0; for (n in 1:N) { real p = a * x[n]; r = r + p + p; } target += -r * r; }", 0, 1},
        /* sums into sums (SO_ADD3): a - b + c, c - (a + b), (a - b) - c, a term computed
         * between the two (the HMM's density), a chain of four */
        {DECLS "{ real r = 0; for (n in 1:N) r = 0.5 * r + (x[n] - a + t) - (b + x[n]); target += -r * r; }", 0, 2},
        {DECLS "{ real r = 0; for (n in 1:N) r = 0.9 * r + ((r - b) - normal_lpdf(x[n] | a, s)); target += -r * r; }", 0, 1},
        {DECLS "{ real r = 0; for (n in 1:N) r = 0.9 * r - (a + x[n] + b + t); target += -r * r; }", 0, 2},
    };
    for (size_t c = 0; c < sizeof fc / sizeof fc[0]; c++) {
        VmModel *mf, *mu;
        load_with_without(fc[c].src, &vm_scalar_nofuse, &mf, &mu);
        ck_assert_msg(nfused(mf) == fc[c].nf, "case %zu: %d products folded", c, nfused(mf));
        ck_assert_msg(nsum3(mf) == fc[c].ns, "case %zu: %d sums folded", c, nsum3(mf));
        ck_assert_int_eq(nfused(mu), 0);
        ck_assert_int_eq(nsum3(mu), 0);
        same_bits(mf, mu, c, 0);
    }
}
END_TEST

static int nhoisted(VmModel *m) { return plan_count(m, sc_nhoisted, 1); }

/* A local's value computed into it by its last operation, no copy (coalesce): as many
 * as the case has, the same density bit for bit and the same gradient as with copies. */
START_TEST(coalesced_same_as_copied)
{
    static const struct { const char *src; int nc; } cc[] = {
        /* nested3's m; m's old value read by an operation before the last one; the last
         * one reading it (a copy: m = m * x[n]) */
        {DECLS "for (i in 1:J) { real m = a + al[i] * b; for (c in 1:2) Y[i, 1, c] ~ normal(m, s); }", 1},
        {DECLS "{ real m = 1; for (n in 1:N) { m = 0.5 * m + x[n] * a; target += -m * m; } }", 1},
        {DECLS "{ real m = 1; for (n in 1:N) { m = m * x[n] * 0.1; y[n] ~ normal(m + a, s); m = m * x[n]; } }", 1},
        /* p read twice: computed into p, then read as p; r's old value read first */
        {DECLS "{ real r = 0; for (n in 1:N) { real p = a * x[n]; real q = exp(p); r = r * 0.5 + p * q + p; } target += -r * r; }", 3},
        /* an element read as the value, an int local alongside */
        {DECLS "for (n in 1:N) { int h = g[n]; real w = al[h]; y[n] ~ normal(w + b, s); }", 1},
    };
    for (size_t c = 0; c < sizeof cc / sizeof cc[0]; c++)
        one_case(cc[c].src, &vm_scalar_nocoalesce, sc_ncoalesced, 0, cc[c].nc, c, "values coalesced");
}
END_TEST

/* A sum or product that only a density reads, its partials pushed to its inputs
 * (push_linear): as many as the case has, the same density bit for bit and the same
 * gradient as with the tape variable, and central differences. */
START_TEST(pushed_same_as_taped)
{
    static const struct { const char *src; int np; } pc[] = {
        /* nested3's m, set just before the rows' normal */
        {DECLS "for (i in 1:J) { real m = a + al[i] * b; for (c in 1:2) Y[i, 1, c] ~ normal(m, s); }", 1},
        /* in the density's own operations; a local input, changed in the next iteration */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; y[n] ~ normal(a + b * r, s); } }", 1},
        /* location and scale both (t * t moves out of the loop); a product; a difference
         * into target */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; y[n] ~ normal(b * r, s + t * t * (1 + x[n] * x[n])); } }", 2},
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.9 * r + y[n] * b; target += a - r; } }", 1},
        /* sums of three (SO_ADD3), the inner sum left and right of the outer */
        {DECLS "for (i in 1:J) { real m = a + al[i] + b; for (c in 1:2) Y[i, 1, c] ~ normal(m, s); }", 1},
        {DECLS "for (i in 1:J) { real m = b - (a - al[i]); for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        {DECLS "for (i in 1:J) { real m = a + al[i] - b; for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        /* the same register twice in the product (m * m) */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + a; real m = r - x[n]; target += -m * m; } }", 1},
        /* not pushed: set in a branch; read twice (m; its scale s + 0 * m is pushed); an
         * outer scalar written back */
        {DECLS "{ real r = 0; for (n in 1:N) { real m = r; if (z[n]) m = a + b * x[n]; r = m; y[n] ~ normal(m, s); } }", 0},
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; real m = a + b * r; y[n] ~ normal(m, s + 0 * m); } }", 1},
        {DECLS "{ real m = 0; for (n in 1:N) { m = a + b * x[n]; y[n] ~ normal(m, s); } target += m; }", 0},
    };
    vm_scalar_nobatch = 1;            /* the flat code's pushes (batched_same_as_flat: the lanes') */
    for (size_t c = 0; c < sizeof pc / sizeof pc[0]; c++)
        one_case(pc[c].src, &vm_scalar_nopush, sc_npushed, 0, pc[c].np, c, "pushed");
    vm_scalar_nobatch = 0;
}
END_TEST

/* A loop whose iterations run side by side (scalar_batch.c, SX_BFOR): as many as the
 * case has, the same density bit for bit and the same gradient as the flat code's,
 * and central differences.  The data rows need statistics (SX_NSTAT) for the density
 * the lanes run; Y's rows are Y[i, j, 1:2]. */
START_TEST(batched_same_as_flat)
{
    static const struct { const char *src; int nb; } bc[] = {
        /* nested3's cells: an element read, the pushed sum, the rows' normal */
        {DECLS "for (i in 1:J) for (j in 1:2) { real m = a + al[i] * b + lt[i, j] * t; for (c in 1:2) Y[i, j, c] ~ normal(m, s); }", 1},
        /* sums of three, nested3's as written (mu + za[a] + zb[a, b]), the inner sum
         * right of the outer */
        {DECLS "for (i in 1:J) for (j in 1:2) { real m = a + al[i] + lt[i, j]; for (c in 1:2) Y[i, j, c] ~ normal(m, s); }", 1},
        {DECLS "for (i in 1:J) { real m = b - (a - al[i]); for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        {DECLS "for (i in 1:J) { real m = a + al[i] - b; for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        /* the program's own loop; an index plus a constant; a difference and a product */
        {DECLS "for (i in 1:J) { real m = al[i] - a; for (c in 1:2) Y[i, 1, c] ~ normal(m, s); }", 1},
        {DECLS "for (i in 2:J) { real m = al[i - 1] * b; for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        /* the scale from the lanes, the location from outside */
        {DECLS "for (i in 1:J) { real w = s + al[i] * al[i]; for (c in 1:2) Y[i, 1, c] ~ normal(a, w); }", 1},
        /* a normal of three reals per iteration (SX_NORMAL), a target += of a product (the
         * outer loops carry r: programs, not vectors) */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n];\n"
         "  for (j in 1:J) { real m = a + al[j] * b; X[n, j] ~ normal(m, s); } } target += -r * r; }", 1},
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n]; for (j in 1:J) target += X[n, j] * al[j]; }\n"
         "  target += -r * r; }", 1},
        /* its scale from the lanes too: a diagonal element (both indices the loop's), squared */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + x[n];\n"
         "  for (j in 1:J) { real m = a + al[j] * b; X[n, j] ~ normal(m, s + lt[j, j] * lt[j, j]); } }\n"
         "  target += -r * r; }", 1},
        /* an element read alone into an outer scalar, a density's after the loop (no
         * shares from the lanes) */
        {DECLS "{ real w = 0; real r = 0; for (i in 1:J) { for (j in 1:J) w = lt[i, j]; r = 0.5 * r + w;\n"
         "  y[i] ~ normal(w, s); } target += -r * r; }", 1},
        /* a location shared by both arguments of the push (a * a): the lanes' slow loop */
        {DECLS "for (i in 1:J) { real m = al[i] + a * a; for (c in 1:2) Y[i, 2, c] ~ normal(m, s); }", 1},
        /* not so: a value carried from one iteration to the next, a store, a second
         * density into the same scale's share */
        {DECLS "{ real r = 0; for (i in 1:J) { r = 0.5 * r + al[i]; for (c in 1:2) Y[i, 1, c] ~ normal(r, s); } }", 0},
        {DECLS "{ vector[J] q; for (i in 1:J) { q[i] = al[i] * b; for (c in 1:2) Y[i, 1, c] ~ normal(q[i], s); } }", 0},
        {DECLS "for (i in 1:J) { real m = a + al[i]; for (c in 1:2) Y[i, 1, c] ~ normal(m, s);\n"
         "  for (c in 1:2) Y[i, 2, c] ~ normal(m + b, s); }", 0},
    };
    for (size_t c = 0; c < sizeof bc / sizeof bc[0]; c++)
        one_case(bc[c].src, &vm_scalar_nobatch, sc_nbatch, 1, bc[c].nb, c, "loops side by side");
}
END_TEST

static int nforwarded(VmModel *m) { return plan_count(m, sc_nforwarded, 1); }

/* Loops over a data slice run as one density call each (SS_DISTV), in the program of
 * the loop around them, and a normal over whole rows of data from the rows' statistics
 * (sc_data_stats: given where the rows are whole at load; a part of a row is judged at
 * run time, a matrix column not given them); the same_as_interpreter cases check the
 * values.  Counts over all programs, or the outermost program's. */
START_TEST(slices_as_one_call)
{
    static const struct { const char *name; int outermost, ndistv, nstat; } want[] = {
        {"data slices", 0, 3, 1},             /* normal over Y's rows; not student_t */
        {"normal over data rows", 1, 3, 2},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (!strstr(cases[i].name, want[w].name)) continue;
            VmModel *m = load(cases[i].src, 1);
            ck_assert_ptr_nonnull(m);
            ck_assert_int_eq(plan_count(m, sc_ndistv, want[w].outermost), want[w].ndistv);
            ck_assert_int_eq(plan_count(m, sc_nstat, want[w].outermost), want[w].nstat);
            vm_model_free(m);
        }
}
END_TEST

/* Store forwarding: the reads that take a stored register, as many as the case has
 * (the same_as_interpreter cases check the values). */
START_TEST(forwarded_reads)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int want = strstr(cases[i].name, "arma") ? 1 : strstr(cases[i].name, "stores read back") ? 2 : -1;
        if (want < 0) continue;
        VmModel *m = load(cases[i].src, 1);
        ck_assert_ptr_nonnull(m);
        ck_assert_msg(nforwarded(m) == want, "%s: %d reads forwarded, want %d", cases[i].name, nforwarded(m), want);
        vm_model_free(m);
    }
}
END_TEST

/* Operations moved out of the loops they do not depend on (scalar_hoist.c): as many
 * moves as the shape has (in the outermost loop's program; a nested loop has its own,
 * for when the loop around it is not a program), the density bit for bit that of the program without them,
 * the gradient up to the order of the additions into an adjoint; an invariant that
 * fails in a loop of no iteration hands the loop to the interpreter (same result). */
/* A model loaded three ways: as compiled (0), with a pass of the compiler off (1: *off
 * set while it loads), and interpreted (2), each with an evaluator. */
typedef struct { VmModel *m[3]; VmEval *e[3]; Ev *ev[3]; } Three;

static Three three_load(const char *src, int *off)
{
    Three t;
    t.m[0] = load(src, 1);
    *off = 1;
    t.m[1] = load(src, 1);
    *off = 0;
    t.m[2] = load(src, 0);
    for (int k = 0; k < 3; k++) {
        ck_assert_ptr_nonnull(t.m[k]);
        t.e[k] = vm_eval_new(t.m[k]);
        t.ev[k] = (Ev *)t.e[k];
    }
    return t;
}

/* At six points: the log density as compiled equals, bit for bit, the one without the
 * pass (a pass keeps the values) when the program ran, else the interpreter's that took
 * over; the three agree within 1e-12 in value and gradient (the passes change only the
 * order of the gradient's additions). */
static void three_compare(Three *t, int ran, size_t c, const char *off_name)
{
    size_t dim = vm_model_dim(t->m[0]);
    double u[32], g[3][32], lp[3];
    for (int pt = 0; pt < 6; pt++) {
        rt_point(u, dim, pt);
        for (int k = 0; k < 3; k++) ck_assert_int_eq(vm_log_density(t->e[k], u, 1, &lp[k], g[k]), 0);
        double want = ran ? lp[1] : lp[2];
        ck_assert_msg(lp[0] == want, "case %zu: lp %.17g vs %.17g", c, lp[0], want);
        ck_assert_msg(fabs(lp[0] - lp[2]) <= 1e-12 * fmax(1, fabs(lp[2])), "case %zu: lp %.17g vs the interpreter's %.17g",
                      c, lp[0], lp[2]);
        for (size_t i = 0; i < dim; i++)
            ck_assert_msg(fabs(g[0][i] - g[1][i]) <= 1e-12 * fmax(1, fabs(g[1][i])) &&
                          fabs(g[0][i] - g[2][i]) <= 1e-12 * fmax(1, fabs(g[2][i])),
                          "case %zu: grad[%zu] %.17g, %s %.17g, interpreter %.17g", c, i, g[0][i], off_name, g[1][i], g[2][i]);
    }
}

static void three_free(Three *t)
{
    for (int k = 0; k < 3; k++) { vm_eval_free(t->e[k]); vm_model_free(t->m[k]); }
}

START_TEST(hoisted_same_as_not)
{
    static const struct { const char *src; int nh, ran; } hc[] = {
        /* y[n], al[j], their density and n - 1 out of the i loop; y[n], n - 1 out of the
         * j loop too (moves counted per loop left: 2 + 1 + 1 + 2) */
        {DECLS "{ array[J] real acc; array[N, J] real gam; for (j in 1:J) gam[1, j] = 0;\n"
         "  for (n in 2:N) for (j in 1:J) {\n"
         "    for (i in 1:J) acc[i] = gam[n - 1, i] + lt[i, j] + normal_lpdf(y[n] | al[j], s);\n"
         "    gam[n, j] = log_sum_exp(acc); }\n"
         "  target += log_sum_exp(gam[N]); }", 6, 1},
        /* a * b and exp(t) out of the program's own loop; r is written by it */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + a * b * x[n] + exp(t); } target += -r * r; }", 2, 1},
        /* nothing invariant: every operation reads n or r */
        {DECLS "{ real r = 0; for (n in 1:N) r = 0.5 * r + x[n] * a; target += -r * r; }", 0, 1},
        /* the j loop never runs, and its invariant density is invalid (a negative scale):
         * moved out, it fails, and the interpreter runs the loop */
        {DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + a; y[n] ~ normal(r, s);\n"
         "  for (j in 1:0) target += 0.5 * normal_lpdf(y[n] | b, -exp(t)); } }", 7, 0},
    };
    vm_scalar_novsum = 1;             /* the i loop's operations, as counted above */
    for (size_t c = 0; c < sizeof hc / sizeof hc[0]; c++) {
        Three t = three_load(hc[c].src, &vm_scalar_nohoist);
        ck_assert_msg(nhoisted(t.m[0]) == hc[c].nh, "case %zu: %d moves", c, nhoisted(t.m[0]));
        ck_assert_int_eq(nhoisted(t.m[1]), 0);
        three_compare(&t, hc[c].ran, c, "not moved");
        ck_assert_msg((t.ev[0]->sc_runs > 0) == hc[c].ran, "case %zu: %ld runs", c, (long)t.ev[0]->sc_runs);
        ck_assert_msg(t.ev[1]->sc_runs > 0, "case %zu: the program without moves did not run", c);
        three_free(&t);
    }
    vm_scalar_novsum = 0;
}
END_TEST

/* Loops `for (j in lo:hi) a[..., j] = t1 +- t2 ...` as one element-wise sum (SS_VSUM):
 * the same values bit for bit as the loop compiled the ordinary way (the additions in
 * the same order), the gradient within 1e-12, the interpreter's when the run is
 * refused; how many loops each program takes. */
START_TEST(vsum_same_as_loop)
{
    static const struct { const char *src; int nv, ran; } vc[] = {
        /* the HMM forward pass: rows and columns of 2-d arrays, a density as a term */
        {DECLS "{ array[J] real acc; array[N, J] real gam; for (j in 1:J) gam[1, j] = 0;\n"
         "  for (n in 2:N) for (j in 1:J) {\n"
         "    for (i in 1:J) acc[i] = gam[n - 1, i] + lt[i, j] + normal_lpdf(y[n] | al[j], s);\n"
         "    gam[n, j] = log_sum_exp(acc); }\n"
         "  target += log_sum_exp(gam[N]); }", 2, 1},   /* the n loop's program and the j loop's (planned too) */
        /* differences, int data, a vector of data, a local vector as the target, a
         * constant term, a row of a matrix parameter */
        {DECLS "{ real r = 0; for (n in 1:N) { vector[J] u; for (j in 1:J) u[j] = -al[j] + lt[n % J + 1, j] - k[j] + 2 - x[j];\n"
         "  r = r * 0.5 + log_sum_exp(u) * y[n]; } target += -r * r; }", 1, 1},
        /* a sum of data alone: values, no tape variables */
        {DECLS "{ real r = 0; for (n in 1:N) { vector[J] u; for (j in 1:J) u[j] = x[j] + k[j] + y[n];\n"
         "  r = r * 0.5 + a * log_sum_exp(u); } target += -r * r; }", 1, 1},
        /* a matrix's row as the target, a data matrix's row as a term, elements read back
         * in the next iteration */
        {DECLS "{ matrix[N, J] M; real r = 0; for (n in 1:N) { for (i in 1:J) M[n, i] = al[i] - y[n] + X[n, i];\n"
         "  r = r * 0.5 + M[n, 1] * a - M[n > 1 ? n - 1 : 1, J]; } target += -r * r; }", 1, 1},
        /* not this shape: a product, j read twice, the target read */
        {DECLS "{ array[J] real acc = rep_array(0.0, J); real r = 0; for (n in 1:N) { for (i in 1:J) acc[i] = al[i] * y[n];\n"
         "  for (i in 1:J) acc[i] = acc[i] + al[i]; for (i in 2:J) acc[i] = al[i] + lt[i, i]; r = r + sum(acc) * a; }\n"
         "  target += -r * r; }", 0, 1},
    };
    for (size_t c = 0; c < sizeof vc / sizeof vc[0]; c++) {
        Three t = three_load(vc[c].src, &vm_scalar_novsum);
        ck_assert_msg(plan_count(t.m[0], sc_nvsum, 0) == vc[c].nv, "case %zu: %d sums", c, plan_count(t.m[0], sc_nvsum, 0));
        ck_assert_int_eq(plan_count(t.m[1], sc_nvsum, 0), 0);
        three_compare(&t, vc[c].ran, c, "as a loop");
        ck_assert_msg((t.ev[0]->sc_runs > 0) == vc[c].ran, "case %zu: %ld runs", c, (long)t.ev[0]->sc_runs);
        three_free(&t);
    }
}
END_TEST

/* An element-wise sum into a local that only the log_sum_exp right after it reads, run
 * with it as one operation (SX_VLSE, scalar_settle.c): as many as the shape has (a sum
 * over the program's statements), the density bit for bit the two operations', the
 * gradient to 1e-13 and against central differences.  A run whose sum does not cover
 * the local runs the two operations. */
START_TEST(vlse_same_as_two)
{
    static const struct { const char *src; int nv; } vc[] = {
        /* the HMM forward pass, three states and two (log1p's weights) */
        {DECLS "{ array[J] real acc; array[N, J] real gam;\n"
         "  for (j in 1:J) gam[1, j] = normal_lpdf(y[1] | al[j], s);\n"
         "  for (n in 2:N) for (j in 1:J) {\n"
         "    for (i in 1:J) acc[i] = gam[n - 1, i] + lt[i, j] + normal_lpdf(y[n] | al[j], s);\n"
         "    gam[n, j] = log_sum_exp(acc); }\n"
         "  target += log_sum_exp(gam[N]); }", 1},
        {DECLS "{ array[2] real acc; array[N, 2] real gam;\n"
         "  for (j in 1:2) gam[1, j] = normal_lpdf(y[1] | al[j], s);\n"
         "  for (n in 2:N) for (j in 1:2) {\n"
         "    for (i in 1:2) acc[i] = gam[n - 1, i] + lt[j, i] - normal_lpdf(y[n] | al[j], s);\n"
         "    gam[n, j] = log_sum_exp(acc); }\n"
         "  target += log_sum_exp(gam[N]); }", 1},
        /* a local of the body; differences, int data, data and a constant as terms */
        {DECLS "{ real r = 0; for (n in 1:N) { vector[J] u; for (j in 1:J) u[j] = -al[j] + lt[n % J + 1, j] - k[j] + 2 - x[j];\n"
         "  real l = log_sum_exp(u); r = r * 0.5 + l * y[n]; } target += -r * r; }", 1},
        /* data alone: no tape variable; an element of minus infinity (no weight) */
        {DECLS "{ real r = 0; for (n in 1:N) { vector[J] u; for (j in 1:J) u[j] = x[j] + k[j] + y[n];\n"
         "  real l = log_sum_exp(u); r = r * 0.5 + a * l; } target += -r * r; }", 1},
        {DECLS "{ array[J] real c = rep_array(0.0, J); c[2] = negative_infinity(); real r = 0; array[J] real acc;\n"
         "  for (n in 1:N) { for (i in 1:J) acc[i] = al[i] + c[i] + y[n] * t;\n"
         "  real l = log_sum_exp(acc); r = r * 0.5 + l; } target += -r * r; }", 1},
        /* the run declines: a sum over part of the local (as it would over more than 16
         * elements, which no model's program meets: the vectoriser takes 8 or more) */
        {DECLS "{ array[J] real acc = rep_array(0.5, J); real r = 0;\n"
         "  for (n in 1:N) { for (i in 1:2) acc[i] = al[i] + y[n] * b; real l = log_sum_exp(acc); r = r * 0.5 + l; }\n"
         "  target += -r * r; }", 1},
        /* in a function's body (a local of its block, dead after the loop) */
        {"real f(array[] real yy, vector m, matrix L) { int K = rows(m); int T = size(yy);\n"
         "  array[T, K] real g; array[K] real acc; for (k in 1:K) g[1, k] = normal_lpdf(yy[1] | m[k], 1);\n"
         "  for (t in 2:T) for (k in 1:K) { for (j in 1:K) acc[j] = g[t - 1, j] + L[j, k] + normal_lpdf(yy[t] | m[k], 1);\n"
         "    g[t, k] = log_sum_exp(acc); }\n"
         "  return log_sum_exp(g[T]); }\n"
         DECLS "target += f(y, al, lt);", 1},
        {"real f(array[] real yy, vector m, matrix L) { int K = rows(m); int T = size(yy);\n"
         "  array[T, K] real g; array[K] real acc; for (k in 1:K) g[1, k] = normal_lpdf(yy[1] | m[k], 1);\n"
         "  for (t in 2:T) for (k in 1:K) { for (j in 1:K) acc[j] = g[t - 1, j] + L[j, k] + normal_lpdf(yy[t] | m[k], 1);\n"
         "    g[t, k] = log_sum_exp(acc); }\n"
         "  return log_sum_exp(g[T]) + acc[2]; }\n"
         DECLS "target += f(y, al, lt);", 0},
        /* not this shape: the local read after the loop, or by another operation, or the
         * log_sum_exp where a branch's jump lands */
        {DECLS "{ array[J] real acc; real r = 0;\n"
         "  for (n in 1:N) { for (i in 1:J) acc[i] = al[i] + y[n] * b; real l = log_sum_exp(acc); r = r * 0.5 + l; }\n"
         "  target += -r * r + acc[2]; }", 0},
        {DECLS "{ array[J] real acc; real r = 0;\n"
         "  for (n in 1:N) { for (i in 1:J) acc[i] = al[i] + y[n] * b; real l = log_sum_exp(acc); r = r * 0.5 + l - acc[1]; }\n"
         "  target += -r * r; }", 0},
        {DECLS "{ array[J] real acc; real r = 0;\n"
         "  for (n in 1:N) { if (y[n] > 0) { for (i in 1:J) acc[i] = al[i] + y[n]; } else { for (i in 1:J) acc[i] = al[i] - y[n] * b; }\n"
         "  real l = log_sum_exp(acc); r = r * 0.5 + l; } target += -r * r; }", 0},
    };
    for (size_t c = 0; c < sizeof vc / sizeof vc[0]; c++)
        one_case(vc[c].src, &vm_scalar_novlse, sc_nvlse, 0, vc[c].nv, c, "sums with their log_sum_exp");
}
END_TEST

static int nmemo(VmModel *m) { return plan_count(m, sc_nmemo, 0); }

/* Memos (scalar_memo.c): the same density and gradient as without (the gradient up to
 * the order of additions: a memo's tape variable serves every iteration), a memo only
 * where the inputs do not vary with the program's loop, and hits where they repeat. */
START_TEST(memo_same_as_not)
{
    static const struct { const char *src; int nm, hits; } mc[] = {
        /* Stan's HMM: log1p_exp(lt[i, j]) in the loop over time, once per (i, j) */
        {DECLS "{ array[J] real acc; array[N, J] real gam; for (j in 1:J) gam[1, j] = 0;\n"
         "  for (n in 2:N) for (j in 1:J) {\n"
         "    for (i in 1:J) acc[i] = gam[n - 1, i] + log1p_exp(lt[i, j]) + normal_lpdf(y[n] | al[j], s);\n"
         "    gam[n, j] = log_sum_exp(acc); }\n"
         "  target += log_sum_exp(gam[N]); }", 1, 1},
        /* the mixture: log(inv_logit(al)) in a local vector's value (with a term that
         * varies, else the value is an outer value, copied), two functions */
        {DECLS "for (n in 1:N) { vector[J] lps = log(inv_logit(al)) + x[n] * 0.1;\n"
         "  for (j in 1:J) lps[j] += normal_lpdf(y[n] | al[j], s); target += log_sum_exp(lps); }", 2, 1},
        /* pow of two parameters (both keys), and of a constant and one (never a hit) */
        {DECLS "{ real r = 0; for (n in 1:N) for (j in 1:J) r = 0.5 * r + pow(s, al[j]) * x[n] + pow(2, al[j]) * 0.1;\n"
         "  target += -r * r; }", 2, 1},
        /* nothing to memo: every input varies with n */
        {DECLS "{ real r = 0; for (n in 1:N) for (j in 1:J) r = 0.5 * r + exp(x[n] * al[j]); target += -r * r / 100; }", 0, 0},
    };
    for (size_t c = 0; c < sizeof mc / sizeof mc[0]; c++) {
        Three t = three_load(mc[c].src, &vm_scalar_nomemo);
        ck_assert_msg(nmemo(t.m[0]) == mc[c].nm, "case %zu: %d memos", c, nmemo(t.m[0]));
        ck_assert_int_eq(nmemo(t.m[1]), 0);
        three_compare(&t, 1, c, "without memos");
        ck_assert_msg(t.ev[0]->sc_runs > 0 && t.ev[1]->sc_runs > 0, "case %zu: no program ran", c);
        ck_assert_msg((t.ev[0]->sc_memo_hits > 0) == mc[c].hits, "case %zu: %ld hits", c, t.ev[0]->sc_memo_hits);
        ck_assert_int_eq(t.ev[1]->sc_memo_hits, 0);
        three_free(&t);
    }
}
END_TEST

/* A function the programs do not inline (a recursive one): the loop that calls it
 * is the interpreter's, with the same density. */
START_TEST(not_inlined)
{
    const char *src = "real fact(int k) { if (k <= 1) return 1; return k * fact(k - 1); }\n"
                      DECLS "{ real r = 0; for (n in 1:N) { r = 0.5 * r + a * fact(g[n]); } target += -r * r; }";
    VmModel *mf = load(src, 1), *ms = load(src, 0);
    ck_assert_ptr_nonnull(mf);
    ck_assert_ptr_nonnull(ms);
    VmEval *ef = vm_eval_new(mf), *es = vm_eval_new(ms);
    double u[32], gf[32], gs[32], lf, ls;
    rt_point(u, vm_model_dim(mf), 1);
    ck_assert_int_eq(vm_log_density(ef, u, 1, &lf, gf), 0);
    ck_assert_int_eq(vm_log_density(es, u, 1, &ls, gs), 0);
    ck_assert(isfinite(lf) && lf == ls);
    ck_assert_int_eq(((Ev *)ef)->sc_runs, 0);
    vm_eval_free(ef); vm_eval_free(es);
    vm_model_free(mf); vm_model_free(ms);
}
END_TEST

/* Containers in the body (a local vector, a row of a matrix) and while loops leave no
 * loop to the interpreter: the outermost loop is one program, run once per gradient. */
START_TEST(whole_loop_one_program)
{
    static const struct { const char *name; long runs; } want[] = {
        {"row dot products", 1}, {"a local vector in the body", 1}, {"local arrays", 1}, {"while loops", 2},
        {"user functions with vector arguments", 1}, {"conditional expressions", 1}, {"&& and || as values", 1},
        {"a change point", 1}, {"a conditional and && in while loops' conditions", 2}, {"selects:", 2}, {"functions with returns inside loops", 1},
        {"a function whose body holds loops", 2}, {"slices and segments", 1},
        {"functions with if/else and early returns", 1}, {"functions with loops, assignments", 1},
        {"categorical_logit of a row", 1}, {"vector expressions where a view is read", 1},   /* and its first loop runs as vectors */
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t i = 0, n = sizeof cases / sizeof cases[0];
        while (i < n && strncmp(cases[i].name, want[w].name, strlen(want[w].name))) i++;
        ck_assert_msg(i < n, "%s: no such case", want[w].name);
        VmModel *m = load(cases[i].src, 1);
        ck_assert_ptr_nonnull(m);
        VmEval *e = vm_eval_new(m);
        double u[32], g[32], lp;
        rt_point(u, vm_model_dim(m), 1);
        ck_assert_int_eq(vm_log_density(e, u, 1, &lp, g), 0);
        ck_assert_msg(((Ev *)e)->sc_runs == want[w].runs, "%s: %ld program runs", want[w].name, ((Ev *)e)->sc_runs);
        vm_eval_free(e);
        vm_model_free(m);
    }
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("scalar");
    TCase *tc = tcase_create("scalar");
    tcase_set_timeout(tc, 60);
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, same_as_interpreter, 0, n);
    tcase_add_loop_test(tc, errors_have_messages, 0, n);
    tcase_add_loop_test(tc, finite_differences, 0, n);
    tcase_add_test(tc, every_loop_planned);
    tcase_add_test(tc, whole_loop_one_program);
    tcase_add_test(tc, fused_same_as_unfused);
    tcase_add_test(tc, coalesced_same_as_copied);
    tcase_add_test(tc, pushed_same_as_taped);
    tcase_add_test(tc, batched_same_as_flat);
    tcase_add_test(tc, hoisted_same_as_not);
    tcase_add_test(tc, vsum_same_as_loop);
    tcase_add_test(tc, vlse_same_as_two);
    tcase_add_test(tc, memo_same_as_not);
    tcase_add_test(tc, not_inlined);
    tcase_add_test(tc, forwarded_reads);
    tcase_add_test(tc, slices_as_one_call);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
