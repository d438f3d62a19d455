// bench/survey/mixture_function.vmod in the Stan language of rstan 2.21.
functions {
  real mix_lpdf(real v, vector theta, vector mu, vector s) {
    int C = rows(theta);
    vector[C] lps = log(theta);
    for (c in 1:C) lps[c] += normal_lpdf(v | mu[c], s[c]);
    return log_sum_exp(lps);
  }
}
data { int N; int C; vector[N] ym; }
parameters { ordered[C] mu; vector<lower=0>[C] s; simplex[C] theta; }
model {
  mu ~ normal(0, 5); s ~ lognormal(0, 1);
  for (n in 1:N) ym[n] ~ mix(theta, mu, s);
}
