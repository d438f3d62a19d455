// bench/survey/rows_loop.vmod in the Stan language of rstan 2.21.
data { int N; int K; int J; matrix[N, K] X; int g[N]; vector[N] y; }
parameters { vector[K] beta; vector[J] alpha; real<lower=0> sigma; }
model {
  beta ~ normal(0, 1); alpha ~ normal(0, 1); sigma ~ normal(0, 1);
  for (n in 1:N) y[n] ~ normal(alpha[g[n]] + X[n] * beta, sigma);
}
