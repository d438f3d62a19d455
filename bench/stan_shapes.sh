#!/usr/bin/env bash
# Stan's gradient cost on the bench shapes, against vmod's, in the same run.
# Each bench/stan/NAME.stan (the Stan twin of bench/shapes/NAME.vmod) is translated
# by rstan 2.21's stanc and compiled with g++ -O3 against StanHeaders (as rstan
# compiles models) into a program that times stan::model::log_prob_grad on the data
# bench_shapes draws, with the hand-written C of shapes_hw.c as the baseline in the
# same process (shapes_stan.cpp).  Then bench_shapes times vmod against the same C.
# vmod / Stan is the ratio of the two "vs C" columns, each measured against the C in
# its own process, so machine drift between the two runs cancels.  Figures, never
# pass/fail; needs r-cran-rstan and r-cran-bh (not installed by the test command).
#   [SHAPES="rows_regression mixture_local"] bench/stan_shapes.sh [BUILD_DIR=build] [BUDGET_SECONDS=0.4]
# SHAPES: the file stems to run (default all); each model name starts with its stem.
. "$(dirname "$0")/stan/stan_env.sh"
out="$build/bench/stan"
mkdir -p "$out"
stems=${SHAPES:-"dense_regression hmm arma11 nested3 zip rows_regression mixture_local"}
# the C the Stan programs link (data, hand-written gradients, timing), compiled once
for c in shapes_hw timing alloc_count; do
    [ "$src/bench/$c.c" -nt "$out/$c.o" ] && gcc -O2 -c -I"$src" "$src/bench/$c.c" -o "$out/$c.o"
done
for stem in $stems; do
    if [ ! -x "$out/$stem" ] || [ "$src/bench/stan/$stem.stan" -nt "$out/$stem" ] ||
       [ "$src/bench/stan/shapes_stan.cpp" -nt "$out/$stem" ] || [ "$out/shapes_hw.o" -nt "$out/$stem" ] ||
       [ "$src/bench/stan/stan_eval.hpp" -nt "$out/$stem" ]; then
        stan_build "$src/bench/stan/$stem.stan" "$out/$stem" "$src/bench/stan/shapes_stan.cpp" \
            "$out/shapes_hw.o" "$out/timing.o" "$out/alloc_count.o"
    fi
done
printf "%-30s %4s %10s %9s %7s %9s %8s %9s\n" "Stan (rstan 2.21, g++ $CXXFLAGS)" dim "us/gr" bytes/gr allocs "C us" "vs C" "vs C err"
for stem in $stems; do "$out/$stem" "$stem" "" --budget="$budget" | tee -a "$out/stan.txt.$$"; done
echo
# shellcheck disable=SC2086
"$build/bench/bench_shapes" --budget="$budget" $stems | tee "$out/vmod.txt.$$"
echo
printf "%-30s %12s %12s %12s\n" model "vmod vs C" "Stan vs C" "vmod / Stan"
awk 'function key(l) { l = substr(l, 1, 30); sub(/ +$/, "", l); return l }
     function ratio(   i) { for (i = NF; i > 0; i--) if ($i ~ /^[0-9.]+x$/) return $i + 0; return -1 }
     FNR == NR { if (ratio() > 0) s[key($0)] = ratio(); next }
     { k = key($0); v = ratio(); if (v > 0 && (k in s)) printf "%-30s %11.2fx %11.2fx %11.2fx\n", k, v, s[k], v / s[k] }' \
    "$out/stan.txt.$$" "$out/vmod.txt.$$"
rm -f "$out/stan.txt.$$" "$out/vmod.txt.$$"
