// bench/survey/change_point.vmod in the Stan language of rstan 2.21.
data { int<lower=1> T; int<lower=0> D[T]; real<lower=0> r_e; real<lower=0> r_l; }
parameters { real<lower=0> e; real<lower=0> l; }
model {
  vector[T] lp = rep_vector(log(1.0 / T), T);
  e ~ exponential(r_e);
  l ~ exponential(r_l);
  for (s in 1:T)
    for (t in 1:T)
      lp[s] = lp[s] + poisson_lpmf(D[t] | t < s ? e : l);
  target += log_sum_exp(lp);
}
