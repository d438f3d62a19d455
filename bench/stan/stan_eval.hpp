// The evaluation both Stan benchmarks time (shapes_stan.cpp, survey_stan.cpp): the
// model in g_model, stan::model::log_prob_grad at u (Jacobian included, constants
// dropped as Stan's `~` does), the gradient into g.  Included after STAN_MODEL_HPP.
#ifndef VM_BENCH_STAN_EVAL_HPP
#define VM_BENCH_STAN_EVAL_HPP
#include <vector>
#include <stan/model/log_prob_grad.hpp>

static stan_model *g_model;

static double stan_eval(void *ctx, const double *u, double *g)
{
    (void)ctx;
    size_t dim = g_model->num_params_r();
    std::vector<double> params(u, u + dim), grad;
    std::vector<int> params_i;
    double lp = stan::model::log_prob_grad<true, true>(*g_model, params, params_i, grad, nullptr);
    for (size_t i = 0; i < dim; i++) g[i] = grad[i];
    return lp;
}
#endif
