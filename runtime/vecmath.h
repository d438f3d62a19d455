/* exp and log1p over arrays: glibc's libmvec four lanes at a time where the CPU has
 * AVX2 (and x86-64 builds), scalar libm otherwise.  libmvec's results are within 4 ulp
 * of libm's, not bit-identical: on one machine the choice is fixed, so a seed still
 * gives the same draws bit for bit; VMOD_SCALAR_MATH=1 in the environment forces libm
 * for runs that must match across CPUs. */
#ifndef VM_VECMATH_H
#define VM_VECMATH_H

/* elements per block for callers that keep their scratch on the stack */
#define VM_VEC_BLOCK 256

void vm_vexp(const double *x, double *y, int n);
void vm_vlog1p(const double *x, double *y, int n);
/* 1 when the vector path is in use */
int vm_vecmath_simd(void);

#endif
