// bench/survey/ordinal_dot.vmod in the Stan language of rstan 2.21.
data { int N; int K; int D; int<lower=1, upper=K> y[N]; row_vector[D] x[N]; }
parameters { vector[D] beta; ordered[K - 1] c; }
model {
  beta ~ normal(0, 2);
  for (n in 1:N) y[n] ~ ordered_logistic(x[n] * beta, c);
}
