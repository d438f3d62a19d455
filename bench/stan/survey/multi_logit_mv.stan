// bench/survey/multi_logit_mv.vmod in the Stan language of rstan 2.21.
data { int N; int K; int D; vector[D] x[N]; int<lower=1, upper=K> y[N]; }
parameters { matrix[K, D] beta; }
model {
  to_vector(beta) ~ normal(0, 5);
  for (n in 1:N) y[n] ~ categorical_logit(beta * x[n]);
}
