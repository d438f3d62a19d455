// bench/survey/function_vector.vmod in the Stan language of rstan 2.21.
functions { real lin(row_vector x, vector b) { return x * b; } }
data { int N; int K; matrix[N, K] X; vector[N] y; }
parameters { vector[K] beta; real<lower=0> sigma; }
model {
  beta ~ normal(0, 1); sigma ~ normal(0, 1);
  for (n in 1:N) y[n] ~ normal(lin(X[n], beta), sigma);
}
