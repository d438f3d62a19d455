// A survey model (bench/survey/NAME.vmod) as Stan's compiled C++: the model that
// rstan 2.21's stanc makes of bench/stan/survey/NAME.stan, included as STAN_MODEL_HPP,
// on the survey's data converted to Stan's R dump format (stan_survey.sh), timed with
// stan::model::log_prob_grad (Jacobian included, constants dropped as Stan's `~` does)
// by bench/timing.c's clock and method (thread CPU time, median of batches), as
// bench_plan_survey times vmod.
//
//   survey_stan DUMP --dim                 the number of unconstrained parameters
//   survey_stan DUMP POINTS [--budget=S]   at each point (POINTS: "npts dim" and then the
//                                          coordinates), a line "lp g1 ... gdim"; then
//                                          "us MICROSECONDS" per gradient at the first
//                                          point (bench_plan_survey's)
// stan_survey.sh compares the lines with vrun --method=logprob at the same points
// (the same model, the same parameterisation) before it reports the time.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include STAN_MODEL_HPP
#include "bench/stan/stan_eval.hpp"
#include <stan/io/dump.hpp>

extern "C" {
#include "bench/timing.h"
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s DUMP (--dim | POINTS [--budget=S])\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) { std::fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[1]); return 2; }
    stan::io::dump data(in);
    g_model = new stan_model(data, 0, nullptr);
    size_t dim = g_model->num_params_r();
    if (std::string(argv[2]) == "--dim") { std::printf("%zu\n", dim); return 0; }
    double budget = 0.4;
    for (int i = 3; i < argc; i++)
        if (std::string(argv[i]).rfind("--budget=", 0) == 0) budget = std::atof(argv[i] + 9);
    FILE *pf = std::fopen(argv[2], "r");
    size_t npts = 0, pdim = 0;
    if (!pf || std::fscanf(pf, "%zu %zu", &npts, &pdim) != 2 || pdim != dim || npts == 0) {
        std::fprintf(stderr, "%s: %s: want \"npts %zu\" and the points\n", argv[0], argv[2], dim);
        return 2;
    }
    std::vector<double> pts(npts * dim), g(dim);
    for (double &x : pts)
        if (std::fscanf(pf, "%lf", &x) != 1) { std::fprintf(stderr, "%s: short points file\n", argv[0]); return 2; }
    std::fclose(pf);
    for (size_t k = 0; k < npts; k++) {
        std::printf("%.17g", stan_eval(nullptr, &pts[k * dim], g.data()));
        for (size_t i = 0; i < dim; i++) std::printf(" %.17g", g[i]);
        std::printf("\n");
    }
    BnResult st;
    bn_time(stan_eval, nullptr, pts.data(), 1, dim, g.data(), budget, &st);   /* at the first point, as vmod */
    std::printf("us %.4f\n", st.us);
    delete g_model;
    return 0;
}
