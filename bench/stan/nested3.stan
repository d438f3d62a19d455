// bench/shapes/nested3.vmod in the Stan language of rstan 2.21.
data { int<lower=1> A; int<lower=1> B; int<lower=1> C; real y[A, B, C]; }
parameters {
  real mu;
  real<lower=0> tau_a;
  real<lower=0> tau_b;
  real<lower=0> sigma;
  vector[A] za;
  matrix[A, B] zb;
}
model {
  mu ~ normal(0, 5);
  tau_a ~ normal(0, 1);
  tau_b ~ normal(0, 1);
  sigma ~ normal(0, 1);
  za ~ normal(0, 1);
  to_vector(zb) ~ normal(0, 1);
  for (a in 1:A) {
    for (b in 1:B) {
      real m = mu + tau_a * za[a] + tau_b * zb[a, b];
      for (c in 1:C) y[a, b, c] ~ normal(m, sigma);
    }
  }
}
