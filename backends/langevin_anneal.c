/* Annealed Langevin (Song & Ermon 2019, "Generative Modeling by Estimating Gradients of
 * the Data Distribution", Algorithm 1) needs the score of the noise-perturbed target
 * p_sigma = p * N(0, sigma^2 I), but the model only gives the score of p.  By the
 * convolution identity (Tweedie):
 *   grad log p_sigma(x) = E_{p(z|x)}[grad log p(z)] = (E_{p(z|x)}[z] - x) / sigma^2,
 *   p(z|x) proportional to p(z) N(x; z, sigma^2 I).
 * Drawing z = x + sigma e, e ~ N(0, I), is drawing from N(z; x, sigma^2 I), so the
 * importance weight of z is p(z) alone and both expectations are estimated by
 * self-normalised importance sampling.  See docs/langevin.md for the choice between
 * the two forms. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "backends/langevin.h"

const char *const lgv_score_names[] = {"grad", "tweedie", "blend", NULL};

int lgv_score_kind(const char *name)
{
    for (int i = 0; name && lgv_score_names[i]; i++)
        if (strcmp(name, lgv_score_names[i]) == 0)
            return i;
    return -1;
}

size_t lgv_score_work_len(size_t dim)
{
    return 4 * dim;   /* z, grad log p(z), and the two weighted sums */
}

void lgv_sigma_levels(double smax, double smin, long L, double *sigma)
{
    if (L == 1) {
        sigma[0] = smax;
        return;
    }
    double r = log(smin / smax) / (double)(L - 1);
    for (long i = 0; i < L; i++)
        sigma[i] = smax * exp(r * (double)i);
    sigma[L - 1] = smin;
}

/* Streaming self-normalised sums: weights exp(lp_j - m) with m the running maximum,
 * rescaling the sums whenever m grows, so no sample's lp is kept and nothing overflows. */
int lgv_noisy_score(const BkTarget *t, gsl_rng *r, const double *x, double sigma, long n,
                    LgvScoreKind kind, const double *var, double *score, double *work,
                    double *zbest, LgvScoreInfo *info)
{
    size_t d = t->dim;
    double *z = work, *g = work + d, *sg = work + 2 * d, *se = work + 3 * d;
    double m = -INFINITY, wsum = 0, w2sum = 0;
    long nf = 0;
    memset(sg, 0, 2 * d * sizeof *sg);
    for (long j = 0; j < n; j++) {
        for (size_t k = 0; k < d; k++)
            z[k] = x[k] + sigma * gsl_ran_gaussian_ziggurat(r, 1.0);
        double lp;
        int rc = t->logp(t->ctx, z, &lp, g);
        if (rc)
            return rc;
        if (!isfinite(lp))
            continue;
        int finite_grad = 1;
        for (size_t k = 0; k < d; k++)
            finite_grad &= isfinite(g[k]);
        if (!finite_grad)
            continue;
        nf++;
        if (lp > m) {
            double c = exp(m - lp);   /* 0 on the first finite sample */
            wsum *= c;
            w2sum *= c * c;
            for (size_t k = 0; k < 2 * d; k++)
                sg[k] *= c;
            m = lp;
            if (zbest)
                memcpy(zbest, z, d * sizeof *z);
        }
        double w = exp(lp - m);
        wsum += w;
        w2sum += w * w;
        for (size_t k = 0; k < d; k++) {
            sg[k] += w * g[k];
            se[k] += w * (z[k] - x[k]) / (sigma * sigma);
        }
    }
    info->nfinite = nf;
    info->logpsig = nf ? m + log(wsum / (double)n) : -INFINITY;
    info->ess = nf ? wsum * wsum / w2sum : 0;
    for (size_t k = 0; k < d; k++) {
        if (nf == 0) {
            score[k] = 0;
            continue;
        }
        double eg = sg[k] / wsum, et = se[k] / wsum;
        if (kind == LGV_SCORE_GRAD)
            score[k] = eg;
        else if (kind == LGV_SCORE_TWEEDIE)
            score[k] = et;
        else {
            double lam = var[k] / (var[k] + sigma * sigma);
            score[k] = lam * eg + (1 - lam) * et;
        }
    }
    return 0;
}
