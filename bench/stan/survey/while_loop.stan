// bench/survey/while_loop.vmod in the Stan language of rstan 2.21.
data { int N; vector[N] y; }
parameters { real mu; real<lower=0> sigma; }
model {
  int n = 1;
  mu ~ normal(0, 1); sigma ~ normal(0, 1);
  while (n <= N) { y[n] ~ normal(mu, sigma); n += 1; }
}
