// bench/survey/mvn_loop.vmod in the Stan language of rstan 2.21.
data { int J; int K; vector[K] y[J]; }
parameters { vector[K] mu; cholesky_factor_corr[K] L; vector<lower=0>[K] tau; }
model {
  mu ~ normal(0, 5);
  tau ~ cauchy(0, 2.5);
  L ~ lkj_corr_cholesky(2);
  for (j in 1:J) y[j] ~ multi_normal_cholesky(mu, diag_pre_multiply(tau, L));
}
