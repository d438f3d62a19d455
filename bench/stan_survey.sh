#!/usr/bin/env bash
# Stan's gradient cost on the survey models (bench/survey/NAME.vmod: shapes real users
# write that the plan's scalar programs took over), against vmod's, in the same run.
# Each bench/stan/survey/NAME.stan (the Stan twin) is translated by rstan 2.21's stanc
# and compiled with g++ -O3 against StanHeaders into survey_stan (survey_stan.cpp),
# which reads the survey's data in R dump form and times stan::model::log_prob_grad
# at bench_plan_survey's point.  Before the time is believed, Stan's log density
# differences and gradients at four points must equal vrun --method=logprob's
# (relative 1e-8: the same model, the same parameterisation).  vmod's time is
# bench_plan_survey's "plan us/gr", run right after.  Figures, never pass/fail; needs
# r-cran-rstan and r-cran-bh (not installed by the test command).
#   [SURVEY="ordinal_dot mvn_loop"] bench/stan_survey.sh [BUILD_DIR=build] [BUDGET_SECONDS=0.4]
. "$(dirname "$0")/stan/stan_env.sh"
out="$build/bench/stan/survey"
mkdir -p "$out"
[ "$src/bench/timing.c" -nt "$out/timing.o" ] && gcc -O2 -c -I"$src" "$src/bench/timing.c" -o "$out/timing.o"
[ "$src/bench/alloc_count.c" -nt "$out/alloc_count.o" ] && gcc -O2 -c -I"$src" "$src/bench/alloc_count.c" -o "$out/alloc_count.o"
stems=${SURVEY:-$(cd "$src/bench/stan/survey" && ls ./*.stan | sed 's|^\./||; s|\.stan$||')}
tools="python3 $src/bench/stan/survey_tools.py"
printf "%-20s %4s %12s %12s %10s %9s\n" model dim "Stan us/gr" "vmod us/gr" "vmod/Stan" "agree"
for stem in $stems; do
    bin="$out/$stem"
    if [ ! -x "$bin" ] || [ "$src/bench/stan/survey/$stem.stan" -nt "$bin" ] || [ "$src/bench/stan/survey_stan.cpp" -nt "$bin" ] ||
       [ "$src/bench/stan/stan_eval.hpp" -nt "$bin" ]; then
        stan_build "$src/bench/stan/survey/$stem.stan" "$bin" "$src/bench/stan/survey_stan.cpp" \
            "$out/timing.o" "$out/alloc_count.o"
    fi
    $tools dump "$src/bench/survey/$stem.json" "$out/$stem.R"
    dim=$("$bin" "$out/$stem.R" --dim)
    $tools points "$dim" "$out/$stem.pts"
    "$bin" "$out/$stem.R" "$out/$stem.pts" --budget="$budget" >"$out/$stem.stan.out"
    for k in 0 1 2 3; do
        "$build/vrun/vrun" --method=logprob "$src/bench/survey/$stem.vmod" --data "$src/bench/survey/$stem.json" \
            --at-unconstrained="$out/$stem.pts.$k.json" >"$out/$stem.vmod.$k.json" 2>/dev/null
    done
    agree=$($tools compare "$out/$stem.stan.out" "$out/$stem".vmod.[0-3].json)
    stan_us=$(awk '/^us / {print $2}' "$out/$stem.stan.out")
    vmod_us=$("$build/bench/bench_plan_survey" --budget="$budget" "$stem" | awk -v s="$stem" '$1 == s {print $3}')
    awk -v m="$stem" -v d="$dim" -v s="$stan_us" -v v="$vmod_us" -v a="$agree" 'BEGIN {
        w = (a + 0 <= 1e-8) ? "" : "  WRONG"
        printf "%-20s %4d %12.2f %12.2f %9.2fx %9s%s\n", m, d, s, v, v / s, a, w }'
done
