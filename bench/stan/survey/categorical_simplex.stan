// bench/survey/categorical_simplex.vmod in the Stan language of rstan 2.21.
data { int N; int K; int J; int<lower=1, upper=K> y[N]; int<lower=1, upper=J> g[N]; }
parameters { simplex[K] theta[J]; }
model { for (n in 1:N) y[n] ~ categorical(theta[g[n]]); }
