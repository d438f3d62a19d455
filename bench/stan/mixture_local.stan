// bench/shapes/mixture_local.vmod in the Stan language of rstan 2.21.
data { int<lower=1> N; int<lower=1> C; vector[N] y; }
parameters { ordered[C] mu; vector<lower=0>[C] s; simplex[C] theta; }
model {
  mu ~ normal(0, 5);
  s ~ lognormal(0, 1);
  for (n in 1:N) {
    vector[C] lps = log(theta);
    for (c in 1:C) lps[c] += normal_lpdf(y[n] | mu[c], s[c]);
    target += log_sum_exp(lps);
  }
}
