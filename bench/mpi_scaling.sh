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
one=$("$BIN" "$@")
echo "$one"
two=$(mpirun --oversubscribe --bind-to none -n 2 "$BIN" "$@")
echo "$two"
field() { sed "s/.* $1=\([0-9.]*\).*/\1/" <<<" $2"; }
awk -v a="$(field us_per_gradient "$one")" -v b="$(field us_per_gradient "$two")" \
    -v c="$(field cpu_us_per_gradient "$one")" -v d="$(field cpu_us_per_gradient "$two")" 'BEGIN {
    printf "wall time per gradient, 2 processes / 1 process: %.3f (target <= 0.6)\n", b / a
    printf "rank 0 CPU time per gradient, 2 processes / 1 process: %.3f (the work each does)\n", d / c }'
load=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "load average now: $load on $(nproc) cores (wall times mean little when it exceeds the cores)"
