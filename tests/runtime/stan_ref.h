/* vmod against rstan's log density, gradient and transforms at the fixed points of
 * tests/fixtures/DIR/NAME.ref.json (stan_ref.c); finite_differences: also the
 * gradient against central differences.  Fails the running Check test on a mismatch. */
#ifndef VM_TEST_STAN_REF_H
#define VM_TEST_STAN_REF_H
void stan_ref_check(const char *dir, const char *name, int finite_differences);
#endif
