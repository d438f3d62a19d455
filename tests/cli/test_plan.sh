#!/usr/bin/env bash
# vrun --plan says how each loop of a model runs: a scalar program, vectorised, a loop
# inside another's program, or the interpreter with the construct that kept it there.
# usage: test_plan.sh VRUN
set -u
VRUN=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; cat "$T/out" "$T/err"; }

cat > "$T/m.vmod" <<'M'
data int N;
data vector[N] y;
param vector[3] mu;
param real<lower=0> s;
mu ~ normal(0, 1);
for (n in 1:N) {
  vector[3] lps = log(rep_vector(1.0 / 3, 3));
  for (k in 1:3) lps[k] += normal_lpdf(y[n] | mu[k], s);
  target += log_sum_exp(lps);
}
for (n in 1:N) y[n] ~ normal(mu[1], s);
{
  real r = 0;
  for (n in 2:N) r = r + segment(y, n - 1, 2)[1] * mu[2];
  target += -r * r;
}
for (n in 1:N) {
  vector[3] lps = mu * y[n];
  for (k in 1:3) lps[k] += normal_lpdf(y[n] | mu[k], s);
  target += log_sum_exp(lps);
}
M
printf '{"N": 4, "y": [0.1, 2.5, -0.4, 1.2]}' > "$T/d.json"
"$VRUN" --plan "$T/m.vmod" --data "$T/d.json" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 0 ] || bad "exit $st, wanted 0"
grep -q "m.vmod:6: for loop: vectorised" "$T/out" || bad "the mixture's loop: vectorised"
grep -q "m.vmod:8:   for loop: in the vectorised loop of line 6" "$T/out" || bad "its inner loop: part of the vectorised run"
# a local vector whose value varies with n: a scalar program
grep -q "m.vmod:17: for loop: a scalar program (" "$T/out" || bad "the weighted mixture's loop: a scalar program"
grep -q "m.vmod:19:   for loop: in the scalar program of line 17" "$T/out" || bad "its inner loop: part of the program"
grep -q "m.vmod:11: for loop: vectorised" "$T/out" || bad "the observations' loop: vectorised"
grep -qF 'm.vmod:14: for loop: the interpreter, one statement at a time: line 14 column 26 is not compiled, `segment(y, n - 1, 2)[1]`' "$T/out" \
    || bad "the loop with a slice: the interpreter, and why"
# a loop's density of a matrix expression no iteration changes: an outer value
cat > "$T/o.vmod" <<'M'
data int N;
data array[N] vector[2] y;
param vector[2] mu;
param vector<lower=0>[2] tau;
param cholesky_factor_corr[2] L;
for (n in 1:N) y[n] ~ multi_normal_cholesky(mu, diag_pre_multiply(tau, L));
M
printf '{"N": 3, "y": [[0.1, 2.5], [-0.4, 1.2], [0.3, 0.3]]}' > "$T/o.json"
"$VRUN" --plan "$T/o.vmod" --data "$T/o.json" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 0 ] || bad "outer value: exit $st, wanted 0"
grep -qF "o.vmod:6: for loop: a scalar program (1 operations, 1 outer value computed once per run)" "$T/out" \
    || bad "the multi_normal_cholesky loop: a program with an outer value"
# a function's loops, under its name
cat > "$T/f.vmod" <<'M'
real geo(real q, int n) {
  real acc = 0;
  for (i in 1:n) acc = acc * q + 1;
  return acc;
}
real twice(real q) { return 2 * q; }
param real<lower=0, upper=1> q;
target += -square(geo(q, 5) - twice(q));
M
"$VRUN" --plan "$T/f.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 0 ] || bad "functions: exit $st, wanted 0"
grep -qx "in function geo:" "$T/out" && grep -q "f.vmod:3:   for loop: a scalar program (" "$T/out" || bad "the function's loop"
grep -q "twice" "$T/out" && bad "a function without loops has no heading"
# nested3's cells: the inner loop's iterations side by side (scalar_batch.c)
cat > "$T/n.vmod" <<'M'
data int A; data int B; data array[A, B, 3] real y;
param real mu; param real<lower=0> sigma; param vector[A] za; param matrix[A, B] zb;
for (a in 1:A) {
  for (b in 1:B) {
    real m = mu + za[a] + zb[a, b];
    for (c in 1:3) y[a, b, c] ~ normal(m, sigma);
  }
}
M
printf '{"A": 2, "B": 2, "y": [[[1, 2, 3], [4, 5, 6]], [[0, 1, 0], [2, 2, 1]]]}' > "$T/nd.json"
"$VRUN" --plan "$T/n.vmod" --data "$T/nd.json" >"$T/out" 2>"$T/err"
grep -q "n.vmod:3: for loop: a scalar program (.*1 loop with its iterations side by side" "$T/out" \
    || bad "nested3's cells: side by side"
# an HMM's sum into acc and the log_sum_exp of acc as one operation (scalar_settle.c);
# not when acc is read after the loop
cat > "$T/h.vmod" <<'M'
data int N; data array[N] real y;
param vector[2] mu; param matrix[2, 2] lt;
{
  array[2] real acc;
  array[N, 2] real g;
  for (k in 1:2) g[1, k] = normal_lpdf(y[1] | mu[k], 1);
  for (t in 2:N) {
    for (k in 1:2) {
      for (j in 1:2) acc[j] = g[t - 1, j] + lt[j, k] + normal_lpdf(y[t] | mu[k], 1);
      g[t, k] = log_sum_exp(acc);
    }
  }
  target += log_sum_exp(g[N]);
}
M
printf '{"N": 4, "y": [0.5, 1.5, -0.2, 2.0]}' > "$T/hd.json"
"$VRUN" --plan "$T/h.vmod" --data "$T/hd.json" >"$T/out" 2>"$T/err"
grep -q "h.vmod:7: for loop: a scalar program (.*1 sum and its log_sum_exp as one" "$T/out" || bad "the HMM's sum and log_sum_exp"
sed -i 's/target += log_sum_exp(g\[N\]);/target += log_sum_exp(g[N]) + acc[1];/' "$T/h.vmod"
"$VRUN" --plan "$T/h.vmod" --data "$T/hd.json" >"$T/out" 2>"$T/err"
grep -q "h.vmod:7: for loop: a scalar program (" "$T/out" && ! grep -q "log_sum_exp as one" "$T/out" \
    || bad "acc read after the loop: the sum stays"
# without the data the sizes are unknown: the load's error, exit 1
"$VRUN" --plan "$T/m.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && [ -s "$T/err" ] || bad "no data: exit $st, wanted 1 with a message"
"$VRUN" --plan >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q "needs a model file" "$T/err" || bad "no model: exit $st"
[ $fail -eq 0 ] && echo "test_plan: ok"
exit $((fail > 0))
