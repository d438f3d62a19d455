#!/usr/bin/env bash
# Cost per gradient of every shared posterior with two builds, alternating (old, new,
# old, new, ...) so both see the same machine; the least of REPEATS runs each (noise on
# a shared machine only ever adds time).  The "before and after" table of a change to
# the evaluator.  Never pass/fail.
#   bench/gradient_ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [REPEATS=3] [BUDGET_SECONDS=0.4]
set -u
old=$(cd "${1:?old build dir}" && pwd); new=$(cd "${2:?new build dir}" && pwd)
reps=${3:-3}; budget=${4:-0.4}
shared=${VMOD_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
cd "$(dirname "$0")/.."
us() {   # build name -> cpu us per gradient (bench_gradient's third column)
    VMOD_SHARED="$shared" "$1/bench/bench_gradient" --budget="$budget" "$2" 2>/dev/null | awk -v n="$2" '$1 == n {print $3}'
}
printf "%-50s %10s %10s %8s\n" posterior "old us/gr" "new us/gr" "new/old"
for d in "$shared"/posteriordb/*/; do
    name=$(basename "$d")
    bo=""; bn=""
    for r in $(seq "$reps"); do
        o=$(us "$old" "$name"); n=$(us "$new" "$name")
        bo=$(printf "%s\n%s\n" "$bo" "$o" | awk 'NF && (m == "" || $1 < m) {m = $1} END {print m}')
        bn=$(printf "%s\n%s\n" "$bn" "$n" | awk 'NF && (m == "" || $1 < m) {m = $1} END {print m}')
    done
    awk -v n="$name" -v o="$bo" -v w="$bn" 'BEGIN { printf "%-50s %10s %10s %7.2fx\n", n, o, w, (o > 0 ? w / o : 0) }'
done
