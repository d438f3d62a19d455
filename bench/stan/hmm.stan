// bench/shapes/hmm.vmod in the Stan language of rstan 2.21.
data { int<lower=1> N; int<lower=1> K; real y[N]; }
parameters { matrix[K, K] lt; ordered[K] mu; }
model {
  real ltheta[K, K];
  real acc[K];
  real gamma[N, K];
  to_vector(lt) ~ normal(0, 1);
  mu ~ normal(0, 10);
  for (j in 1:K) {
    real z = log_sum_exp(lt[j]);
    for (k in 1:K) ltheta[j, k] = lt[j, k] - z;
  }
  for (k in 1:K) gamma[1, k] = normal_lpdf(y[1] | mu[k], 1);
  for (t in 2:N) {
    for (k in 1:K) {
      for (j in 1:K) acc[j] = gamma[t - 1, j] + ltheta[j, k] + normal_lpdf(y[t] | mu[k], 1);
      gamma[t, k] = log_sum_exp(acc);
    }
  }
  target += log_sum_exp(gamma[N]);
}
