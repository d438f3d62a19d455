#!/usr/bin/env bash
# The bench shapes (bench_shapes: vmod against the hand-written C in one process) with
# two builds, whole runs alternating (old, new, old, new, ...) so both see the same
# machine: per shape the median of REPEATS runs of vmod's µs per gradient and of the
# "vs C" ratio, and the least ratio.  This machine's timings drift by up to 1.5x from
# minute to minute, the interpreter's more than the C's, so one run says little; the
# medians are the "before and after" table of a change to the evaluator.  Never
# pass/fail.
#   bench/shapes_ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [REPEATS=9] [BUDGET_SECONDS=0.3]
set -u
old=$(cd "${1:?old build dir}" && pwd); new=$(cd "${2:?new build dir}" && pwd)
reps=${3:-9}; budget=${4:-0.3}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() {   # build -> one line per shape: name|us|ratio (name's spaces as _)
    VMOD_SRC="$src" "$1/bench/bench_shapes" --budget="$budget" 2>/dev/null |
        awk 'NR > 1 && $(NF - 2) ~ /x$/ { n = $1; for (i = 2; i <= NF - 8; i++) n = n "_" $i
                                          r = $(NF - 2); sub(/x$/, "", r); print n "|" $(NF - 6) "|" r }'
}
for r in $(seq "$reps"); do run "$old" >>"$tmp/old"; run "$new" >>"$tmp/new"; done
col() { grep -F "$1|" "$2" | cut -d'|' -f"$3" | sort -g; }
med() { awk '{v[NR] = $1} END {if (NR) printf "%.3f", v[int((NR + 1) / 2)]}'; }
low() { awk 'NR == 1 {printf "%.3f", $1}'; }
printf "%-34s %9s %9s %10s %10s %10s %10s\n" shape "old us" "new us" "old vs C" "new vs C" "old least" "new least"
for name in $(cut -d'|' -f1 "$tmp/old" | awk '!seen[$0]++'); do
    printf "%-34s %9s %9s %9sx %9sx %9sx %9sx\n" "$name" \
        "$(col "$name" "$tmp/old" 2 | med)" "$(col "$name" "$tmp/new" 2 | med)" \
        "$(col "$name" "$tmp/old" 3 | med)" "$(col "$name" "$tmp/new" 3 | med)" \
        "$(col "$name" "$tmp/old" 3 | low)" "$(col "$name" "$tmp/new" 3 | low)"
done
