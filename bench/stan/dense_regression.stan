// bench/shapes/dense_regression.vmod in the Stan language of rstan 2.21.
data { int<lower=1> N; int<lower=1> K; matrix[N, K] X; vector[N] y; }
parameters { real alpha; vector[K] beta; real<lower=0> sigma; }
model {
  alpha ~ normal(0, 10);
  beta ~ normal(0, 10);
  sigma ~ normal(0, 5);
  y ~ normal(alpha + X * beta, sigma);
}
