/* The evaluator's semantics, one table row per rule of the language spec: a model,
 * optional data, and either the values of its variable `out` (hand-computed from
 * literal inputs, in Stan CSV order: column-major, first index fastest) or the log
 * density at a given unconstrained point, or the rejection message.  Every case with
 * parameters and a finite density also has its gradient checked against central
 * finite differences, so the tape of each construct is tested with its value. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "runtime/vmod.h"

#define LOG_SQRT_2PI 0.91893853320467274178

typedef struct ECase {
    const char *src;
    const char *data;          /* CmdStan JSON or NULL */
    double u[4];               /* the unconstrained point (the first dim entries) */
    int check_lp;
    double lp;                 /* with the log-Jacobian */
    int n;                     /* values of `out`, -1: not checked */
    double want[24];
    const char *msg;           /* rejection: lp = -inf and this message */
    const char *gen_msg;       /* a draw that fails: vm_write_values gives -1 and this */
} ECase;

#define VAL(s, nn, ...) {.src = s, .n = nn, .want = {__VA_ARGS__}}
#define VALD(s, d, nn, ...) {.src = s, .data = d, .n = nn, .want = {__VA_ARGS__}}
#define LP(s, x, l) {.src = s, .u = {x}, .check_lp = 1, .lp = l, .n = -1}
#define LP2(s, x, y, l) {.src = s, .u = {x, y}, .check_lp = 1, .lp = l, .n = -1}
#define LP4(s, a, b, c, d, l) {.src = s, .u = {a, b, c, d}, .check_lp = 1, .lp = l, .n = -1}
#define REJ(s, x, m) {.src = s, .u = {x}, .n = -1, .msg = m}
#define GREJ(s, x, m) {.src = "param real x;\nx ~ normal(0, 1);\n" s, .u = {x}, .n = -1, .gen_msg = m}

#define V4 "data vector[4] v = [1, 2, 3, 4]';\n"
#define A23 "data matrix[2, 3] A = [[1, 2, 3], [4, 5, 6]];\n"
#define TH "data array[2] vector[3] th = {[1, 2, 3]', [4, 5, 6]'};\n"
#define G23 "data array[2, 3] real g = {{1, 2, 3}, {4, 5, 6}};\n"

static const ECase cases[] = {
    /* indexing: single, slices, int arrays */
    VAL(V4 "gen out = v[3];", 1, 3),
    VAL(V4 "gen out = v[2:3];", 2, 2, 3),
    VAL(V4 "gen out = v[3:];", 2, 3, 4),
    VAL(V4 "gen out = v[:2];", 2, 1, 2),
    VAL(V4 "gen out = v[:];", 4, 1, 2, 3, 4),
    VAL(V4 "gen out = v[{4, 1, 4}];", 3, 4, 1, 4),
    VALD(V4 "data array[3] int idx;\ngen out = v[idx];", "{\"idx\": [2, 2, 1]}", 3, 2, 2, 1),
    /* matrices: m[i] is a row, X[:, j] a column */
    VAL(A23 "gen out = A[2];", 3, 4, 5, 6),
    VAL(A23 "gen out = A[:, 2];", 2, 2, 5),
    VAL(A23 "gen out = A[2, 3];", 1, 6),
    VAL(A23 "gen out = A[1, 2:3];", 2, 2, 3),
    VAL(A23 "gen out = A[:, {3, 1}];", 4, 3, 6, 1, 4),
    VAL(A23 "gen out = A[{2, 1}, 2:];", 4, 5, 2, 6, 3),
    /* arrays: positions run over array dimensions first */
    VAL(TH "gen out = th[2, 1];", 1, 4),
    VAL(TH "gen out = th[2];", 3, 4, 5, 6),
    VAL(TH "gen out = th[:, 3];", 2, 3, 6),
    VAL(TH "gen out = th[1, 2:3];", 2, 2, 3),
    VAL(G23 "gen out = g[2];", 3, 4, 5, 6),
    VAL(G23 "gen out = g[2, 3];", 1, 6),
    VAL(G23 "gen out = g[:, 2];", 2, 2, 5),
    /* assignment to indexed targets */
    VAL("gen vector[4] out = rep_vector(0, 4);\nout[2] = 5;\nout[3:4] = [7, 8]';", 4, 0, 5, 7, 8),
    VAL("gen vector[4] out = rep_vector(0, 4);\nout[{4, 1}] = [9, 8]';", 4, 8, 0, 0, 9),
    VAL("gen matrix[2, 2] out = rep_matrix(0, 2, 2);\nout[1] = [1, 2];\nout[:, 2] = [9, 8]';", 4, 1, 0, 9, 8),
    VAL("gen matrix[2, 3] out = rep_matrix(0, 2, 3);\nout[2, 3] = 7;\nout[1, 1:2] = [1, 2];", 6, 1, 0, 2, 0, 0, 7),
    VAL("gen array[2] vector[2] out;\nout[1] = [1, 2]';\nout[2, 1] = 3;\nout[2, 2] = 4;", 4, 1, 3, 2, 4),
    VAL("gen array[2, 2] int out;\nfor (i in 1:2) for (j in 1:2) out[i, j] = 10 * i + j;", 4, 11, 21, 12, 22),
    /* the right side is evaluated before the left is written, also when they overlap */
    VAL("gen vector[2] out = [1, 2]';\nout = out[{2, 1}];", 2, 2, 1),
    VAL("gen vector[3] out = [1, 2, 3]';\nout[2:3] = out[1:2];", 3, 1, 1, 2),
    VAL("gen vector[3] out = [1, 2, 3]';\nout[2:3] = head(out, 2);", 3, 1, 1, 2),
    VAL("gen vector[3] out = [1, 2, 3]';\nout[{3, 2}] = out[1:2];", 3, 1, 2, 1),
    VAL("gen array[3] real out = {1.0, 2.0, 3.0};\nout[2:3] = segment(out, 1, 2);", 3, 1, 1, 2),
    /* values, not references: a later write to the source does not change a copy */
    VAL("gen real s = 3;\ngen real out = max(s, 1);\ns = 5;", 1, 3),
    VAL("gen vector[3] a = [1, 2, 3]';\ngen vector[2] out = head(a, 2);\na[1] = 9;", 2, 1, 2),
    VAL("gen vector[3] a = [1, 2, 3]';\ngen vector[3] out = a;\na[1] = 9;", 3, 1, 2, 3),
    VAL("gen vector[3] a = [1, 2, 3]';\ngen out = a[2:3];\na[2] = 9;", 2, 2, 3),
    VAL(V4 "gen out = v[3:2];", 0, 0),
    VAL(V4 "gen out = v[size(v) - 1];", 1, 3),
    VAL(TH "gen out = th[2][3];", 1, 6),
    VAL("gen out = {1 / 2, 2 ^ -1, +3, -(-2)};", 4, 0, 0.5, 3, 2),
    VAL("gen real out = 0;\nfor (i in -1:1) out = out * 10 + i + 2;", 1, 123),
    /* ternary, && and || evaluate only what they need (5 / k would fail) */
    VAL("gen int k = 0;\ngen int out = k == 0 ? 1 : 5 / k;", 1, 1),
    VAL("gen int k = 0;\ngen int out = k != 0 && 5 / k > 1;", 1, 0),
    VAL("gen int k = 0;\ngen int out = k == 0 || 5 / k > 1;", 1, 1),
    /* compound assignment */
    VAL("gen real out = 2;\nout += 3;\nout *= 4;\nout -= 1;\nout /= 2;", 1, 9.5),
    VAL("gen vector[2] out = [1, 2]';\nout += [10, 20]';\nout *= 2;\nout[1] -= 1;", 2, 21, 44),
    /* int arithmetic: division truncates toward zero, as in Stan (and C) */
    VAL("gen out = {7 / 2, -7 / 2, 7 % 3, -7 % 3, 2 * 3 + 4, 2 + 3 * 4, (2 + 3) * 4, 10 - 3 - 2};", 8,
        3, -3, 1, -1, 10, 14, 20, 5),
    VAL("gen out = {7.0 / 2, 7 / 2.0, 2 ^ 3, -2 ^ 2, 2 ^ 3 ^ 2, 1e-3, .5, 2.5E+1};", 8,
        3.5, 3.5, 8, -4, 512, 1e-3, 0.5, 25),
    /* comparisons and logical operators give int 1 or 0 */
    VAL("gen out = {1 < 2, 2 <= 1, 3 > 3, 3 >= 3, 1 == 1.0, 1 != 2, !0, !3, 1 && 0, 1 || 0, 0 || 0, 2.5 > 2};", 12,
        1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1),
    VAL("gen out = {1 + 1 == 2, 1 < 2 && 2 < 3, 0 && 1 || 1, !(1 > 2)};", 4, 1, 1, 1, 1),
    /* ternary */
    VAL("gen out = {2 > 1 ? 10 : 20, 2 < 1 ? 10 : 20, 0 ? 1 : 0 ? 2 : 3};", 3, 10, 20, 3),
    VAL("gen out = 1 > 0 ? 1.5 : 2;", 1, 1.5),
    /* loops, while, if/else */
    VAL("gen real out = 0;\nfor (i in 1:4) out += i;", 1, 10),
    VAL("gen real out = 0;\nfor (i in 3:2) out += 100;", 1, 0),
    VAL("gen real out = 0;\nfor (i in 1:3) for (j in i:3) out += 1;", 1, 6),
    VALD("data int N;\ngen real out = 0;\nfor (i in 1:N) { out = out * 10 + i; }", "{\"N\": 3}", 1, 123),
    VAL("gen int out = 1;\nwhile (out < 100) out *= 3;", 1, 243),
    VAL("gen int out = 5;\nwhile (0) out = 0;", 1, 5),
    VAL("gen array[3] int out;\nfor (i in 1:3) { if (i > 2) out[i] = 1; else if (i > 1) out[i] = 2; else out[i] = 3; }", 3,
        3, 2, 1),
    VAL("gen int out = 0;\nif (1) { int t = 4; out = t * t; }", 1, 16),
    /* container literals */
    VAL("gen out = [1, 2, 3];", 3, 1, 2, 3),
    VAL("gen out = [[1, 2], [3, 4]];", 4, 1, 3, 2, 4),
    VAL("gen out = {1, 2};", 2, 1, 2),
    VAL("gen out = {{1, 2, 3}, {4, 5, 6}};", 6, 1, 4, 2, 5, 3, 6),
    VAL("gen out = {[1, 2], [3, 4]};", 4, 1, 3, 2, 4),
    VAL("gen out = [1, 2.5];", 2, 1, 2.5),
    /* transpose */
    VAL("gen out = [1, 2]';", 2, 1, 2),
    VAL(A23 "gen out = A';", 6, 1, 2, 3, 4, 5, 6),
    VAL(A23 "gen out = A'';", 6, 1, 4, 2, 5, 3, 6),
    /* matrix products of all shapes */
    VAL(A23 "gen out = A * [[1, 0], [0, 1], [1, 1]];", 4, 4, 10, 5, 11),
    VAL(A23 "gen out = A * [1, 1, 1]';", 2, 6, 15),
    VAL(A23 "gen out = [1, 1] * A;", 3, 5, 7, 9),
    VAL("gen out = [1, 2, 3] * [1, 1, 1]';", 1, 6),
    VAL("gen out = [1, 2]' * [3, 4];", 4, 3, 6, 4, 8),
    VAL(A23 "gen out = 2 * A;", 6, 2, 8, 4, 10, 6, 12),
    VAL(A23 "gen out = A * 0.5;", 6, 0.5, 2, 1, 2.5, 1.5, 3),
    VAL(A23 "gen out = A' * A;", 9, 17, 22, 27, 22, 29, 36, 27, 36, 45),
    /* element-wise */
    VAL("gen out = [1, 2, 3] .* [4, 5, 6];", 3, 4, 10, 18),
    VAL("gen out = [1, 2, 3]' ./ [4, 5, 6]';", 3, 0.25, 0.4, 0.5),
    VAL(A23 "gen out = A .* A;", 6, 1, 16, 4, 25, 9, 36),
    VAL(A23 "gen out = A ./ A;", 6, 1, 1, 1, 1, 1, 1),
    /* scalar-container broadcasting */
    VAL("gen out = [1, 2, 3] + 1;", 3, 2, 3, 4),
    VAL("gen out = 1 - [1, 2]';", 2, 0, -1),
    VAL("gen out = [2, 4] / 2;", 2, 1, 2),
    VAL("gen out = 2 * [1, 2, 3]';", 3, 2, 4, 6),
    VAL("gen out = [1, 2] - [3, 5];", 2, -2, -3),
    VAL(A23 "gen out = A - 1;", 6, 0, 3, 1, 4, 2, 5),
    VAL("gen out = -[1, 2];", 2, -1, -2),
    VAL("gen out = [1, 2] ./ 4;", 2, 0.25, 0.5),
    /* unary math on containers */
    VAL("gen out = exp([0, 1]);", 2, 1, M_E),
    VAL("gen out = log({1.0, 100.0});", 2, 0, 4.605170185988091368),
    VAL(A23 "gen out = square(A);", 6, 1, 16, 4, 25, 9, 36),
    VAL("gen out = inv_logit([0, log(3)]');", 2, 0.5, 0.75),
    VAL("gen out = sqrt({{4, 9}, {16, 25}});", 4, 2, 4, 3, 5),
    VAL(TH "gen out = log(th[2] ./ th[2]);", 3, 0, 0, 0),
    /* density calls with '|' */
    VAL("gen out = normal_lpdf(1 | 0, 1);", 1, -0.5 - LOG_SQRT_2PI),
    VAL("gen out = normal_lpdf([1, 2] | 0, [1, 2]);", 1, -0.5 - LOG_SQRT_2PI + -0.5 - LOG_SQRT_2PI - M_LN2),
    VAL("gen out = poisson_lpmf(2 | 3);", 1, 2 * 1.0986122886681098 - 3 - M_LN2),
    VAL("gen out = poisson_lpmf({2, 0} | 3);", 1, 2 * 1.0986122886681098 - 3 - M_LN2 - 3),
    VAL("gen out = normal_lcdf(0 | 0, 2);", 1, -M_LN2),
    /* cdfs of discrete families (Stan has them; they were refused until 2026-12-06):
     * the sums of the pmfs, written out */
    VAL("gen out = {poisson_cdf(2 | 1.5), exp(poisson_lcdf(2 | 1.5)), exp(poisson_lccdf(2 | 1.5))};", 3,
        0.80884683053805322, 0.80884683053805322, 1 - 0.80884683053805322),
    VAL("gen out = {binomial_cdf(1 | 3, 0.5), bernoulli_cdf(0 | 0.3), exp(neg_binomial_lcdf(0 | 2, 1))};", 3,
        0.5, 0.7, 0.25),
    VAL("gen out = poisson_cdf({0, 1} | 2);", 1, 0.13533528323661270 * 0.40600584970983811),
    /* let variables: data-only lets are computed once and size later declarations */
    VAL("let int K = 2 + 1;\nlet vector[K] z = rep_vector(1.5, K);\ngen out = sum(z);", 1, 4.5),
    VAL("let real a = 2;\nlet real b = a * a;\ngen out = b + 1;", 1, 5),
    /* parameter-dependent lets and gens see the constrained values of the point */
    {.src = "param real x;\nlet out = 3 * x;", .u = {0.5}, .n = 1, .want = {1.5}},
    {.src = "param real<lower=0> s;\nlet y = 2 * s;\ngen out = {s, y + 1};", .u = {0.5}, .n = 2,
     .want = {1.6487212707001282, 4.2974425414002564}},
    {.src = "param real<lower=-1, upper=1> r;\ngen out = r;", .u = {0}, .n = 1, .want = {0}},
    {.src = "param vector[2] x;\nlet vector[2] out;\nout[2] = x[1];\nout[1] = x[2];", .u = {0.5, -0.25}, .n = 2,
     .want = {-0.25, 0.5}},

    /* log density: target += of scalars and containers, ~, Jacobians */
    /* truncation T[L, U]: the density less the log of the mass inside (values worked
     * out from erf and the Poisson pmf), -inf outside; gradients by differences below */
    LP("data real y = 0.3;\nparam real mu;\ny ~ normal(mu, 1.5) T[-1, 2];", 0.5, -0.9515773838995998),
    LP("data real y = 0.3;\nparam real mu;\ny ~ normal(mu, 1.5) T[-1, ];", 0.5, -1.160538751178276),
    LP("data real y = 0.3;\nparam real mu;\ny ~ normal(mu, 1.5) T[, 2.5];", 0.5, -1.2376499534612053),
    LP("data int k = 3;\nparam real l;\nk ~ poisson(exp(l)) T[1, 10];", 0.6931471805599453, -1.566894861025135),
    LP("data int k = 3;\nparam real l;\nk ~ poisson(exp(l)) T[2, ];", 0.6931471805599453, -1.1914321198838747),
    REJ("data real y = 3;\nparam real mu;\ny ~ normal(mu, 1.5) T[-1, 2];", 0.5, ""),
    REJ("data int k = 0;\nparam real l;\nk ~ poisson(exp(l)) T[1, ];", 0.5, ""),
    LP("param real x;\ntarget += [1, 2, 3] * x;", 0.5, 3),
    LP("param real x;\ntarget += {x, 2 * x};", 0.5, 1.5),
    LP("param real x;\ntarget += [[x, 1], [2, x]];", 0.5, 4),
    LP("param real x;\nx ~ normal(0, 1);", 0.5, -0.125 - LOG_SQRT_2PI),
    LP("param real x;\n[x, x]' ~ normal(0, [1, 2]');", 0.5, -0.125 - 0.03125 - 2 * LOG_SQRT_2PI - M_LN2),
    LP("param real x;\ntarget += normal_lpdf(x | 0, 1);", 0.5, -0.125 - LOG_SQRT_2PI),
    LP("param real<lower=0> s;\ntarget += -s;", 0.5, -exp(0.5) + 0.5),
    LP("param real x;\nlet y = 3 * x;\ntarget += y;", 0.5, 1.5),
    LP("param real x;\nlet vector[3] y;\nfor (i in 1:3) y[i] = i * x;\ntarget += y;", 0.5, 3),
    LP("param vector[3] x;\nlet vector[3] y = x;\ny[2] = 10 * x[1];\ntarget += y;", 0.5, 5.5),
    LP2("param real x;\nparam real y;\ntarget += x > y ? x : y;", 0.5, -0.25, 0.5),
    LP2("param real x;\nparam real y;\nif (x < y) target += x; else target += 2 * y;", 0.5, -0.25, -0.5),
    LP("param real x;\ntarget += [x, 1] * [[1, 2], [3, 4]] * [x, 1]';", 0.5, 3.5 * 0.5 + 5),
    LP("param real x;\ntarget += sum(exp([x, 2 * x]));", 0.5, exp(0.5) + M_E),
    LP("param real x;\n{ real t = x * x; target += t; }", 0.5, 0.25),
    LP("param real x;\n{ real t = 0; while (t < 3) t += 1; target += t * x; }", 0.5, 1.5),
    LP2("param vector[2] x;\ntarget += x[2] - x[1];", 0.5, -0.25, -0.75),
    LP2("param vector[2] x;\ntarget += x .* x;", 0.5, -0.25, 0.3125),
    LP2("param vector[2] x;\ntarget += -dot_self(x ./ [2, 4]');", 0.5, -0.25, -0.0625 - 0.00390625),
    /* products and element-wise operations with parameters on both sides */
    LP2("param vector[2] x;\ntarget += x' * [[1, 2], [3, 4]] * x;", 0.5, -0.25, 0.25 - 1.25 * 0.5 + 0.25),
    LP4("param row_vector[2] w;\nparam vector[2] v;\ntarget += w * v;", 1, 2, 3, 4, 11),
    LP4("param row_vector[2] w;\nparam vector[2] v;\ntarget += v * w;", 1, 2, 3, 4, 21),
    LP4("param matrix[2, 2] M;\ntarget += M * M;", 1, 2, 3, 4, 7 + 10 + 15 + 22),
    LP4("param matrix[2, 2] M;\ntarget += M' * [1, -1]';", 1, 2, 3, 4, -1 - 1),
    LP4("param matrix[2, 2] M;\ntarget += [1, -1] * M;", 1, 2, 3, 4, -1 - 1),
    LP4("param vector[2] a;\nparam vector[2] b;\ntarget += a ./ b + a .* b;", 1, 2, 4, 8, 0.25 + 0.25 + 4 + 16),
    LP4("param matrix[2, 2] M;\ntarget += M[2] * M[:, 1];", 1, 2, 3, 4, 2 * 1 + 4 * 2),
    LP4("param array[2] vector[2] t;\ntarget += t[2, 1] * t[1, 2] + t[2][2];", 1, 2, 3, 4, 3 * 2 + 4),
    LP2("param vector[2] x;\nlet vector[2] y;\ny[{2, 1}] = x;\ntarget += y[1] * [1, 3] * x;", 0.5, -0.25, -0.25 * (0.5 - 0.75)),
    LP2("param vector[2] x;\ntarget += x[1] > 0 ? [x[1], 1] * x : [0, 0] * x;", 0.5, -0.25, 0.25 - 0.25),
    LP2("param vector[2] x;\n[1, 2]' ~ normal(x, 1);", 0.5, -0.25, -0.125 - 0.5 * 2.25 * 2.25 - 2 * LOG_SQRT_2PI),
    LP2("param vector[2] x;\ntarget += log1p(exp(x));", 0.5, -0.25, 0.9740769841801067 + 0.5759394198788436),
    LP2("param vector[2] x;\ntarget += -x + x / 2 - 2 * x;", 0.5, -0.25, -2.5 * 0.25),
    LP("param real<lower=0, upper=1> p;\ntarget += log(p);", 0, -M_LN2 + log(0.25)),

    /* rejections: lp = -inf and a message naming the variable */
    REJ("param real x;\ndata vector[3] v = [1, 2, 3]';\ndata int k = 4;\ntarget += v[k] * x;", 0.5,
        "index 4 out of range for 'v' (dimension 1 has size 3)"),
    REJ("param vector[3] th;\ntarget += th[{1, 5}];", 0.5,
        "index 5 (element 2 of the index array) out of range for 'th' (size 3)"),
    REJ("param vector[3] th;\ntarget += th[2:4];", 0.5, "slice 2:4 out of range for 'th' (size 3)"),
    REJ("param real x;\nlet vector[3] z = rep_vector(x, 3);\nz[0] = x;\ntarget += z;", 0.5,
        "index 0 out of range for 'z'"),
    REJ("param real x;\nlet vector[2] z = [x, x]';\nz[1:2] = [x, x, x]';\ntarget += z;", 0.5,
        "size mismatch in assignment to 'z'"),
    REJ("param real x;\ntarget += normal_lpdf(x | 0, x - 1);", 0.5, "normal_lpdf: scale is -0.5, but must be positive"),
    REJ("param real x;\nlet real<lower=0> y = x;\ntarget += y;", -0.5, "y"),
    /* draws that fail (at x = 2; x = 0, where the loader looks, is fine) */
    GREJ("gen int k = x > 1 ? 0 : 1;\ngen int out = 5 / k;", 2, "integer division by zero"),
    GREJ("gen int k = x > 1 ? 0 : 1;\ngen int out = 5 % k;", 2, "integer division by zero"),
    GREJ("gen int k = x > 1 ? 2147483647 : 1;\ngen int out = k + 1;", 2, "integer overflow"),
    GREJ("gen int k = x > 1 ? 2147483647 : 1;\ngen int out = k * 2;", 2, "integer overflow"),
    GREJ("gen int a;\nif (x < 1) a = 1;\ngen int out = a + 1;", 2, "int value used before it was assigned"),
    GREJ("gen vector[2] v = [1, 2]';\ngen int k = x > 1 ? 3 : 1;\ngen out = v[k];", 2, "index 3 out of range for 'v'"),
};

static VmModel *load(const ECase *c)
{
    char *msg = NULL;
    VmModel *m = vm_model_load(c->src, strlen(c->src), "t.vmod", c->data, c->data ? "d.json" : NULL, &msg);
    ck_assert_msg(m != NULL, "load failed:\n%s\nmodel:\n%s", msg ? msg : "", c->src);
    return m;
}

static double lp_at(VmEval *e, const double *u)
{
    double lp;
    ck_assert_int_eq(vm_log_density(e, u, 1, &lp, NULL), 0);
    return lp;
}

START_TEST(semantics)
{
    const ECase *c = &cases[_i];
    VmModel *m = load(c);
    VmEval *e = vm_eval_new(m);
    size_t dim = vm_model_dim(m), nd = vm_model_ndisc(m);
    ck_assert_uint_le(dim + nd, 4);
    double u[4] = {0}, g[4] = {0};
    memcpy(u, c->u, sizeof u);
    double lp;
    /* no gradient without parameters: density.c passes a NULL buffer to memset then
     * (test_eval_known_bugs) */
    int rc = vm_log_density(e, u, 1, &lp, dim ? g : NULL);
    if (c->msg) {
        ck_assert_msg(rc == 0 && lp == -INFINITY, "%s\nrc %d, lp %g: should be rejected", c->src, rc, lp);
        ck_assert_msg(strstr(vm_eval_message(e), c->msg) != NULL, "%s\nmessage: %s\nwant: %s", c->src,
                      vm_eval_message(e), c->msg);
    } else {
        ck_assert_msg(rc == 0 && isfinite(lp), "%s\nrc %d, lp %g: %s", c->src, rc, lp, vm_eval_message(e));
    }
    if (c->check_lp)
        ck_assert_msg(fabs(lp - c->lp) <= 1e-12 * fmax(1, fabs(c->lp)), "%s\nlp %.17g, want %.17g", c->src, lp, c->lp);
    /* the gradient of every construct, against central differences */
    for (size_t k = 0; k < dim && !c->msg; k++) {
        double h = 1e-5, u0 = u[k];
        u[k] = u0 + h;
        double fp = lp_at(e, u);
        u[k] = u0 - h;
        double fm = lp_at(e, u);
        u[k] = u0;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - g[k]) <= 1e-6 * fmax(1, fabs(g[k])), "%s\nd/d%s is %.12g, finite differences %.12g",
                      c->src, vm_model_unc_name(m, k), g[k], fd);
    }
    if (c->n >= 0) {
        size_t nv = vm_model_nvalues(m);
        double *all = malloc((nv ? nv : 1) * sizeof *all);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_msg(vm_write_values(e, u, r, all) == 0, "%s\n%s", c->src, vm_eval_message(e));
        int n = 0;
        for (size_t i = 0; i < nv; i++) {
            const char *nm = vm_model_value_name(m, i);
            if (strcmp(nm, "out") && strncmp(nm, "out.", 4)) continue;
            ck_assert_msg(n < c->n, "%s\nmore than %d values", c->src, c->n);
            ck_assert_msg(fabs(all[i] - c->want[n]) <= 1e-12 * fmax(1, fabs(c->want[n])),
                          "%s\n%s is %.17g, want %.17g", c->src, nm, all[i], c->want[n]);
            n++;
        }
        ck_assert_msg(n == c->n, "%s\n%d values, want %d", c->src, n, c->n);
        gsl_rng_free(r);
        free(all);
    }
    if (c->gen_msg) {
        size_t nv = vm_model_nvalues(m);
        double *all = malloc((nv ? nv : 1) * sizeof *all);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_msg(vm_write_values(e, u, r, all) == -1, "%s\nthe draw should fail", c->src);
        ck_assert_msg(strstr(vm_eval_message(e), c->gen_msg) != NULL, "%s\nmessage: %s\nwant: %s", c->src,
                      vm_eval_message(e), c->gen_msg);
        gsl_rng_free(r);
        free(all);
    }
    vm_eval_free(e);
    vm_model_free(m);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, semantics, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* hundreds of small cases: a fork each costs more than the case (30 s under ASan) */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
