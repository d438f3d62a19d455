// The bench shapes (bench/shapes/NAME.vmod) as Stan's compiled C++: the model that
// rstan 2.21's stanc makes of bench/stan/NAME.stan, included as STAN_MODEL_HPP, on
// the data that bench_shapes draws (shapes_hw.c, same seed), timed with
// stan::model::log_prob_grad (Jacobian included, constants dropped as Stan's `~`
// does) -- the figure the Stan column measured -- against the hand-written C
// of shapes_hw.c in the same run, by the same clock and method as bench_shapes
// (bench/timing.c: thread CPU time, median of batches).
//
// Before timing, at bench_shapes' four points, Stan's gradient must equal the
// hand-written one and Stan's log density differences between the points the
// hand-written ones (relative 1e-8): the same model, the same parameterisation.
// Built and run by bench/stan_shapes.sh.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include STAN_MODEL_HPP
#include "bench/stan/stan_eval.hpp"
#include <stan/io/array_var_context.hpp>

extern "C" {
#include "bench/shapes_hw.h"
#include "bench/timing.h"
}

struct Hw { const ShModel *sm; ShData *d; };

static double hw_eval(void *ctx, const double *u, double *g)
{
    Hw *h = static_cast<Hw *>(ctx);
    return h->sm->lp_grad(h->d, u, g);
}

// ShData (row-major) as a var_context (column-major, Stan's order)
static stan::io::array_var_context *data_of(const std::string &shape, const ShData *d)
{
    std::vector<std::string> rn, in;
    std::vector<double> rv;
    std::vector<int> iv;
    std::vector<std::vector<size_t> > rd, id;
    auto put_int = [&](const char *name, int v) { in.push_back(name); iv.push_back(v); id.push_back({}); };
    if (shape == "dense_regression") {
        put_int("N", d->n);
        put_int("K", d->k);
        rn.push_back("X");
        for (int j = 0; j < d->k; j++)
            for (int i = 0; i < d->n; i++) rv.push_back(d->x[(size_t)i * d->k + j]);
        rd.push_back({(size_t)d->n, (size_t)d->k});
        rn.push_back("y");
        rv.insert(rv.end(), d->y, d->y + d->n);
        rd.push_back({(size_t)d->n});
    } else if (shape == "hmm") {
        put_int("N", d->n);
        put_int("K", d->k);
        rn.push_back("y");
        rv.insert(rv.end(), d->y, d->y + d->n);
        rd.push_back({(size_t)d->n});
    } else if (shape == "arma11") {
        put_int("T", d->n);
        rn.push_back("y");
        rv.insert(rv.end(), d->y, d->y + d->n);
        rd.push_back({(size_t)d->n});
    } else if (shape == "nested3") {
        int A = d->a, B = d->b, C = d->c;
        put_int("A", A);
        put_int("B", B);
        put_int("C", C);
        rn.push_back("y");
        for (int c = 0; c < C; c++)
            for (int b = 0; b < B; b++)
                for (int a = 0; a < A; a++) rv.push_back(d->y[((size_t)a * B + b) * C + c]);
        rd.push_back({(size_t)A, (size_t)B, (size_t)C});
    } else if (shape == "zip") {
        put_int("N", d->n);
        in.push_back("y");
        for (int i = 0; i < d->n; i++) iv.push_back((int)d->y[i]);
        id.push_back({(size_t)d->n});
    } else if (shape == "rows_regression") {
        put_int("N", d->n);
        put_int("K", d->k);
        put_int("J", d->a);
        rn.push_back("X");
        for (int j = 0; j < d->k; j++)
            for (int i = 0; i < d->n; i++) rv.push_back(d->x[(size_t)i * d->k + j]);
        rd.push_back({(size_t)d->n, (size_t)d->k});
        in.push_back("g");
        for (int i = 0; i < d->n; i++) iv.push_back(d->grp[i] + 1);
        id.push_back({(size_t)d->n});
        rn.push_back("y");
        rv.insert(rv.end(), d->y, d->y + d->n);
        rd.push_back({(size_t)d->n});
    } else if (shape == "mixture_local") {
        put_int("N", d->n);
        put_int("C", d->k);
        rn.push_back("y");
        rv.insert(rv.end(), d->y, d->y + d->n);
        rd.push_back({(size_t)d->n});
    } else {
        return nullptr;
    }
    return new stan::io::array_var_context(rn, rv, rd, in, iv, id);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s SHAPE-FILE-STEM MODEL-NAME-SUBSTRING [--budget=S] [--calls=N]\n", argv[0]);
        return 2;
    }
    std::string shape = argv[1];
    double budget = 0.4;
    long calls = 0;                   /* --calls=N: no timing, N gradients (for callgrind) */
    for (int i = 3; i < argc; i++) {
        if (std::string(argv[i]).rfind("--budget=", 0) == 0) budget = std::atof(argv[i] + 9);
        if (std::string(argv[i]).rfind("--calls=", 0) == 0) calls = std::atol(argv[i] + 8);
    }
    int fail = 0;
    for (size_t m = 0; m < sh_nmodels; m++) {
        const ShModel *sm = &sh_models[m];
        if (std::string(sm->file) != shape + ".vmod" || !std::strstr(sm->name, argv[2])) continue;
        ShData d = {};
        FILE *null = std::fopen("/dev/null", "w");
        sm->make(sm->p1, sm->p2, &d, null);
        std::fclose(null);
        stan::io::array_var_context *ctx = data_of(shape, &d);
        if (!ctx) { std::fprintf(stderr, "%s: unknown shape\n", shape.c_str()); return 2; }
        g_model = new stan_model(*ctx, 0, nullptr);
        size_t dim = sm->dim(&d);
        if (g_model->num_params_r() != dim) {
            std::fprintf(stderr, "%s: Stan has %zu parameters, the hand-written density %zu\n", sm->name,
                         g_model->num_params_r(), dim);
            return 1;
        }
        // bench_shapes' points: near the data's generating values
        const int npts = 4;
        unsigned long long s = 99;
        std::vector<double> pts(npts * dim), g1(dim), g2(dim);
        for (int k = 0; k < npts; k++)
            for (size_t i = 0; i < dim; i++) pts[k * dim + i] = d.truth[i] + 0.1 * sh_normal(&s);
        Hw h = {sm, &d};
        double err = 0, lp0s = 0, lp0h = 0;
        for (int k = 0; k < npts; k++) {
            double ls = stan_eval(nullptr, &pts[k * dim], g1.data()), lh = hw_eval(&h, &pts[k * dim], g2.data());
            if (k == 0) { lp0s = ls; lp0h = lh; }
            double e = std::fabs((ls - lp0s) - (lh - lp0h)) / std::fmax(1.0, std::fabs(lh - lp0h));
            for (size_t i = 0; i < dim; i++) e = std::fmax(e, std::fabs(g1[i] - g2[i]) / std::fmax(1.0, std::fabs(g2[i])));
            err = std::fmax(err, e);
        }
        if (calls > 0) {
            volatile double sink = 0;
            for (long k = 0; k < calls; k++) sink += stan_eval(nullptr, &pts[(k % npts) * dim], g1.data());
            (void)sink;
            std::printf("%-30s %4zu %9.1e\n", sm->name, dim, err);
            delete g_model;
            delete ctx;
            sh_data_free(&d);
            continue;
        }
        BnResult st, hw;
        bn_time(stan_eval, nullptr, pts.data(), npts, dim, g1.data(), budget, &st);
        bn_time(hw_eval, &h, pts.data(), npts, dim, g1.data(), budget, &hw);
        int wrong = !(err <= 1e-8);
        fail |= wrong;
        std::printf("%-30s %4zu %10.2f %9.1f %7.2f %9.2f %7.2fx %9.1e%s\n", sm->name, dim, st.us, st.bytes, st.calls, hw.us,
                    st.us / hw.us, err, wrong ? "  WRONG" : "");
        delete g_model;
        delete ctx;
        sh_data_free(&d);
    }
    return fail;
}
