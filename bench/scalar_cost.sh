#!/usr/bin/env bash
# Instructions per scalar operation of the scalar programs (runtime/scalar.c), the
# figure issue 18 sets at about 30 "including the tape".  For each bench shape whose
# loops run as scalar programs, callgrind counts the instructions executed inside
# sc_loop (the programs: operations, statements, the tape records they write) and in
# the tape's reverse sweep, over the run of bench_shapes --calls=N, which also prints
# how many operations and statements the programs executed per gradient (Ev.sc_ops).
# The sweep also carries triples that are not the programs' (the density after the
# loop, the transforms): "with sweep" is an upper bound.  Machine-independent; never
# pass/fail.
#   bench/scalar_cost.sh [BUILD_DIR=build] [CALLS=200] [SHAPE ...]
set -u
build=$(cd "${1:-build}" && pwd); calls=${2:-200}; shift $(( $# > 2 ? 2 : $# ))
shapes=${*:-"K=2_N K=3 arma nested3"}   # substrings of bench_shapes' model names
command -v valgrind >/dev/null || { echo "scalar_cost.sh: needs valgrind (apt-get install valgrind)"; exit 0; }
printf "%-26s %12s %14s %12s %14s\n" shape "ops/gradient" "Ir/op program" "Ir/op sweep" "Ir/op with sweep"
for s in $shapes; do
    s=${s//_/ }                       # K=2_N: "K=2 N" (K=2 alone also names K=24)
    tmp=$(mktemp -d)
    # the models whose names hold the substring: one run each (K=2, K=3, ...)
    out=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect=sc_loop \
          --toggle-collect=sweep "$build/bench/bench_shapes" --calls="$calls" "$s" 2>/dev/null)
    callgrind_annotate --inclusive=yes "$tmp/cg" >"$tmp/ann" 2>/dev/null
    line=$(echo "$out" | grep "scalar-ops/gradient" | head -1)
    name=$(echo "$line" | awk '{for (i = 1; i <= NF && $i !~ /^[0-9]+$/; i++) printf "%s%s", (i > 1 ? " " : ""), $i}')
    ops=$(echo "$line" | awk '{print $NF}')
    prog=$(awk '/scalar.c:sc_loop/ {gsub(",", "", $1); print $1; exit}' "$tmp/ann")
    sweep=$(awk '/tape.c:sweep/ {gsub(",", "", $1); print $1; exit}' "$tmp/ann")
    awk -v nm="$name" -v o="${ops:-0}" -v p="${prog:-0}" -v w="${sweep:-0}" -v c="$calls" 'BEGIN {
        n = o * (c + 4); if (n <= 0) { printf "%-26s %12s\n", nm, "no program"; exit }
        printf "%-26s %12.0f %14.1f %12.1f %14.1f\n", nm, o, p / n, w / n, (p + w) / n }'
    rm -rf "$tmp"
done
