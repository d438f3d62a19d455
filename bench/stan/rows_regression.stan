// bench/shapes/rows_regression.vmod in the Stan language of rstan 2.21.
data { int<lower=1> N; int<lower=1> K; int<lower=1> J; matrix[N, K] X; int<lower=1, upper=J> g[N]; vector[N] y; }
parameters { vector[K] beta; vector[J] alpha; real<lower=0> sigma; }
model {
  beta ~ normal(0, 1);
  alpha ~ normal(0, 2);
  sigma ~ normal(0, 1);
  for (n in 1:N) y[n] ~ normal(alpha[g[n]] + X[n] * beta, sigma);
}
