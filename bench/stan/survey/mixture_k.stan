// bench/survey/mixture_k.vmod in the Stan language of rstan 2.21.
data { int N; int C; vector[N] ym; }
parameters { ordered[C] mu; vector<lower=0>[C] s; simplex[C] theta; }
model {
  mu ~ normal(0, 5); s ~ lognormal(0, 1);
  for (n in 1:N) {
    vector[C] lps = log(theta);
    for (c in 1:C) lps[c] += normal_lpdf(ym[n] | mu[c], s[c]);
    target += log_sum_exp(lps);
  }
}
