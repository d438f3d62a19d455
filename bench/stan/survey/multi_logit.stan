// bench/survey/multi_logit.vmod in the Stan language of rstan 2.21.
data { int N; int K; int D; matrix[N, D] x; int y[N]; }
parameters { matrix[D, K] beta; }
model {
  matrix[N, K] x_beta = x * beta;
  to_vector(beta) ~ normal(0, 5);
  for (n in 1:N) y[n] ~ categorical_logit(x_beta[n]');
}
