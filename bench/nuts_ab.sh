#!/usr/bin/env bash
# NUTS on every shared posterior with two builds, alternating, so that both see the same
# machine: the table "NUTS ESS/s before and after" of a change to the evaluator.
#   bench/nuts_ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [REPEATS=3] [name-filter]
# Each build dir needs bench/bench_accuracy (meson builds it).  Per posterior and build:
# gradient evaluations (the same seed and the same gradients give the same count: then
# the two runs drew the same chains and their ESS is the same), the min bulk ESS of the
# run (its column; a bench_accuracy older than that column gives ESS/s x wall time,
# rounded, and when the counts are equal the new build's ESS stands for both), and the
# process's CPU seconds
# (user + system, the median of REPEATS runs: CPU time moves less than wall time on a
# shared machine).  ESS/s here is min bulk ESS over CPU seconds; "new/old" > 1 is faster.
# Never pass/fail.
set -u
old=$(cd "${1:?old build dir}" && pwd); new=$(cd "${2:?new build dir}" && pwd)
reps=${3:-3}; filter=${4:-}
shared=${VMOD_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
src=$(cd "$(dirname "$0")/.." && pwd)
args="--method=nuts --chains=2 --warmup=1000 --draws=1000 --seed=1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
one() {   # build name -> "grads ess cpu" of one run
    local b=$1 name=$2 line cpu
    /usr/bin/time -f "%U %S" -o "$tmp/t" env VMOD_SHARED="$shared" VMOD_SRC="$src" \
        "$b/bench/bench_accuracy" $args "$name" >"$tmp/o" 2>/dev/null
    line=$(grep -F "$name" "$tmp/o" | tail -1)
    cpu=$(awk '{print $1 + $2}' "$tmp/t")
    # columns: posterior err/sd maxz sdratio rhat ESS/s div grads time [min-ESS] worst
    if grep -q "min ESS" "$tmp/o"; then echo "$line" | awk -v c="$cpu" '{printf "%s %.0f %s\n", $8, $10, c}'
    else echo "$line" | awk -v c="$cpu" '{printf "%s %.0f %s\n", $8, $6 * $9, c}'; fi
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
printf "%-50s %9s %9s %7s %7s %8s %8s %9s %9s %8s\n" posterior "grads old" "grads new" "ESS old" "ESS new" \
    "cpu old" "cpu new" "ESS/s old" "ESS/s new" "new/old"
for d in "$shared"/posteriordb/*/; do
    name=$(basename "$d")
    [ -n "$filter" ] && case $name in *"$filter"*) ;; *) continue ;; esac
    : >"$tmp/old"; : >"$tmp/new"
    for r in $(seq "$reps"); do one "$old" "$name" >>"$tmp/old"; one "$new" "$name" >>"$tmp/new"; done
    read -r go eo _ < "$tmp/old"; read -r gn en _ < "$tmp/new"
    [ "$go" = "$gn" ] && eo=$en
    co=$(awk '{print $3}' "$tmp/old" | median); cn=$(awk '{print $3}' "$tmp/new" | median)
    awk -v n="$name" -v go="$go" -v gn="$gn" -v eo="$eo" -v en="$en" -v co="$co" -v cn="$cn" 'BEGIN {
        so = co > 0 ? eo / co : 0; sn = cn > 0 ? en / cn : 0
        printf "%-50s %9s %9s %7s %7s %8.2f %8.2f %9.0f %9.0f %7.2fx\n", n, go, gn, eo, en, co, cn, so, sn, (so > 0 ? sn / so : 0) }'
done
