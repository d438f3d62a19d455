// bench/survey/logit_dot.vmod in the Stan language of rstan 2.21.
data { int N; int K; matrix[N, K] X; int yb[N]; }
parameters { vector[K] beta; }
model {
  beta ~ normal(0, 1);
  for (n in 1:N) yb[n] ~ bernoulli_logit(dot_product(X[n], beta));
}
