#!/usr/bin/env bash
# Time per gradient of a 10^6-row logistic regression on 1 and 2 MPI processes, in
# one run, and the ratio (target on 2 cores: at most 0.6).  docs/mpi.md uses the
# figures for its scaling model.
# usage: bench/mpi_scaling.sh [BUILD_DIR] [--rows=N] [--seconds=S]
set -eu
B=${1:-build}; shift || true
BIN=$B/bench/bench_mpi_gradient
[ -x "$BIN" ] || { echo "no $BIN: build with MPI (meson option mpi)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# one core per process in both runs: OpenBLAS (X * beta) would take both cores for
# one process (mp_init gives each of 2 processes on 2 cores one thread)
export OPENBLAS_NUM_THREADS=1
one=$("$BIN" "$@")
echo "$one"
# a process waiting in MPI yields the core (the other jobs of a shared machine get
# it rather than a spinning wait)
two=$(OMPI_MCA_mpi_yield_when_idle=1 mpirun --oversubscribe --bind-to none -n 2 "$BIN" "$@")
echo "$two"
field() { sed "s/.* $1=\([0-9.]*\).*/\1/" <<<" $2"; }
awk -v a="$(field us_per_gradient "$one")" -v b="$(field us_per_gradient "$two")" \
    -v c="$(field cpu_us_per_gradient "$one")" -v d="$(field cpu_us_per_gradient "$two")" \
    -v e="$(field share_cpu_us "$one")" -v f="$(field share_cpu_us "$two")" -v r="$(field allreduce_us "$two")" \
    -v g="$(field wall_ratio_same_run "$two")" 'BEGIN {
    printf "wall time per gradient, 2 processes / 1 process (separate runs): %.3f (target <= 0.6)\n", b / a
    printf "wall time per gradient, 2 processes / rank 0 alone, batches alternated in one run: %.3f (target <= 0.6)\n", g
    printf "rank 0 CPU time per gradient, 2 processes / 1 process: %.3f (with the all-reduce and its polling)\n", d / c
    printf "rank 0 CPU time of its share alone, 2 processes / 1 process: %.3f (the work each does; ideal 0.5)\n", f / e
    printf "estimate for 2 idle cores, (share + all-reduce) / one process: %.3f (a model, not a measurement)\n", (f + r) / e }'
load=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "load average now: $load on $(nproc) cores (wall times mean little when it exceeds the cores)"
# The scaling model of docs/mpi.md from these figures: a gradient on R processes
# takes c N / R (c: CPU time per row on one process) plus the all-reduce, modelled
# as lambda log2 R (lambda: the 2-process all-reduce just measured) -- and, for
# comparison, with lambda = 2 us, a small-message latency of a cluster interconnect.
awk -v c="$(field cpu_ns_per_row "$one")" -v lam="$(field allreduce_us "$two")" 'BEGIN {
    N = 1e8; t1 = c * 1e-9 * N
    printf "model for N = 1e8 rows: c = %.2f ns/row, one process %.3f s per gradient\n", c, t1
    for (k = 0; k < 2; k++) {
        l = (k == 0 ? lam : 2) * 1e-6
        printf "  all-reduce %.1f us per doubling (%s):", l * 1e6, k == 0 ? "measured here" : "cluster"
        split("8 64 512", R, " ")
        for (i = 1; i <= 3; i++) { r = R[i]; t = t1 / r + l * log(r) / log(2); printf "  R=%d speedup %.0f", r, t1 / t }
        for (r = 2; t1 / r > l * log(r) / log(2); r *= 2) ;
        printf "; communication dominates from R ~ %d\n", r
    }
}'
