// bench/survey/hmm_function.vmod in the Stan language of rstan 2.21.
functions {
  real hmm_fwd(real[] yy, vector mu, matrix lt) {
    int K = rows(mu);
    int T = size(yy);
    real ltheta[K, K];
    real gamma[T, K];
    real acc[K];
    for (j in 1:K) {
      real z = log_sum_exp(lt[j]);
      for (k in 1:K) ltheta[j, k] = lt[j, k] - z;
    }
    for (k in 1:K) gamma[1, k] = normal_lpdf(yy[1] | mu[k], 1);
    for (t in 2:T) {
      for (k in 1:K) {
        for (j in 1:K) acc[j] = gamma[t - 1, j] + ltheta[j, k] + normal_lpdf(yy[t] | mu[k], 1);
        gamma[t, k] = log_sum_exp(acc);
      }
    }
    return log_sum_exp(gamma[T]);
  }
}
data { int<lower=1> N; int<lower=1> K; real y[N]; }
parameters { matrix[K, K] lt; ordered[K] mu; }
model {
  to_vector(lt) ~ normal(0, 1);
  mu ~ normal(0, 10);
  target += hmm_fwd(y, mu, lt);
}
