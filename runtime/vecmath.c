/* Array exp and log1p for the regression kernels (fast.c).  Most of a logistic
 * regression's gradient is log1p(exp(-|eta|)) per observation: libm's scalar log1p
 * alone was 64% of wells_dist's gradient time. */
#include <math.h>
#include <stdlib.h>
#include "runtime/vecmath.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(VM_NO_LIBMVEC)
/* target attributes, not "#pragma GCC target": clang (the fuzzing build) ignores the
 * pragma and then refuses the AVX types */
#include <immintrin.h>
#define VM_AVX2 __attribute__((target("avx2,fma")))
/* libmvec's AVX2 variants (the vector function ABI's names), glibc >= 2.35 for log1p */
extern VM_AVX2 __m256d _ZGVdN4v_exp(__m256d);
extern VM_AVX2 __m256d _ZGVdN4v_log1p(__m256d);

static VM_AVX2 void exp_avx2(const double *x, double *y, int n)
{
    int k = 0;
    for (; k + 4 <= n; k += 4) _mm256_storeu_pd(y + k, _ZGVdN4v_exp(_mm256_loadu_pd(x + k)));
    for (; k < n; k++) y[k] = exp(x[k]);
}

static VM_AVX2 void log1p_avx2(const double *x, double *y, int n)
{
    int k = 0;
    for (; k + 4 <= n; k += 4) _mm256_storeu_pd(y + k, _ZGVdN4v_log1p(_mm256_loadu_pd(x + k)));
    for (; k < n; k++) y[k] = log1p(x[k]);
}
#define HAVE_AVX2_PATH 1
#endif

/* decided once: a benign race at worst (every thread computes the same value) */
static int simd_state = -1;

int vm_vecmath_simd(void)
{
    int s = __atomic_load_n(&simd_state, __ATOMIC_RELAXED);
    if (s < 0) {
#ifdef HAVE_AVX2_PATH
        const char *env = getenv("VMOD_SCALAR_MATH");
        __builtin_cpu_init();
        s = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !(env && *env && *env != '0');
#else
        s = 0;
#endif
        __atomic_store_n(&simd_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

void vm_vexp(const double *x, double *y, int n)
{
#ifdef HAVE_AVX2_PATH
    if (vm_vecmath_simd()) { exp_avx2(x, y, n); return; }
#endif
    for (int k = 0; k < n; k++) y[k] = exp(x[k]);
}

void vm_vlog1p(const double *x, double *y, int n)
{
#ifdef HAVE_AVX2_PATH
    if (vm_vecmath_simd()) { log1p_avx2(x, y, n); return; }
#endif
    for (int k = 0; k < n; k++) y[k] = log1p(x[k]);
}
