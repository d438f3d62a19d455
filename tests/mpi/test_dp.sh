#!/usr/bin/env bash
# The log density split over MPI processes (--data-parallel): lp and gradient equal
# one process's to 1e-10 (relative) on 2 and 3 processes (3 cuts 101 rows unevenly),
# for a logistic regression over the rows of X, varying intercepts by group index, a
# GLM call, a loop of independent iterations next to statements that must not be
# split, a block of a local filled by a loop (radon's pattern; split, and not when a
# statement after the loop reads the whole local), a statement every process runs for
# its values whose densities only rank 0 keeps (seeded), a candidate the probe must reject
# (and the split gradient against finite differences); and NUTS and bbvi on a split
# density agree with one process within Monte Carlo error.
# usage: test_dp.sh VRUN SRC_DIR
set -u
VRUN=$(realpath "$1"); SRC=$2
D=$SRC/tests/mpi
. "$D/mpi_env.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# An unconstrained point of n coordinates, the same every run.
point() { awk -v n="$1" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s%.3f", (i ? ", " : ""), 0.37 * sin(1.3 * i + 0.4); print "]" }'; }
# lp and the gradient of a logprob JSON, one number a line.
numbers() { jq -r '.lp, .gradient[]' "$1"; }
close_to() {   # file-a file-b: every number equal to 1e-10 relative
    paste <(numbers "$1") <(numbers "$2") |
        awk 'function abs(v) { return v < 0 ? -v : v } { n++; if (abs($1 - $2) > 1e-10 * (1 + abs($1))) { print "  " NR ": " $1 " vs " $2; bad++ } }
             END { exit (n == 0 || bad > 0) }'
}

for case in logistic:4:1 hier:11:1 glm:5:1 loop:5:1 reject:102:0 block_ok:9:1 block:9:0 seeded:2:0; do
    IFS=: read -r m dim nsplit <<<"$case"
    point "$dim" >"$T/p.json"
    args=("$D/$m.vmod" --data "$D/data.json" --method=logprob --at-unconstrained="$T/p.json")
    "$VRUN" "${args[@]}" --quiet >"$T/one.json" 2>/dev/null || bad "$m: one process failed"
    for n in 2 3; do
        $MPIRUN -n "$n" "$VRUN" "${args[@]}" >"$T/many.json" 2>"$T/err"
        st=$?
        if [ "$st" -eq 0 ]; then ok; else bad "$m on $n: exit $st"; cat "$T/err"; continue; fi
        if grep -q "$nsplit density statements\? split" "$T/err"; then ok
        else bad "$m on $n: expected $nsplit statement(s) split"; cat "$T/err"; fi
        if close_to "$T/one.json" "$T/many.json"; then ok; else bad "$m on $n: lp or gradient differ"; fi
    done
    # the split gradient against finite differences of the split density
    $MPIRUN -n 3 "$VRUN" "$D/$m.vmod" --data "$D/data.json" --method=diagnose --quiet >"$T/diag" 2>&1
    if grep -q "largest relative error: .* (ok)" "$T/diag"; then ok; else bad "$m: diagnose on 3"; cat "$T/diag"; fi
done

# Samplers and VI see one density: posterior means within 5 Monte Carlo standard
# errors of one process's (both runs' errors combined).
means() { jq -r '.columns[] | "\(.name) \(.mean) \(.mcse) \(.sd)"' "$1"; }
agree() {   # desc one.json many.json
    paste <(means "$2") <(means "$3") |
        awk -v d="$1" 'function abs(v) { return v < 0 ? -v : v }
            { n++; tol = 5 * sqrt($3 * $3 + $7 * $7); if ($1 != $5 || abs($2 - $6) > tol) { print "  " d ": " $1 " " $2 " vs " $6 " (tol " tol ")"; bad++ } }
            END { exit (n == 0 || bad > 0) }'
}
for method in nuts:1000 bbvi:4000; do
    IFS=: read -r b draws <<<"$method"
    args=("$D/logistic.vmod" --data "$D/data.json" --method="$b" --chains=1 --seed=3 --draws="$draws" --quiet)
    "$VRUN" "${args[@]}" --summary="$T/one.json" >/dev/null 2>&1 || bad "$b: one process failed"
    $MPIRUN -n 2 "$VRUN" "${args[@]}" --summary="$T/many.json" >"$T/out" 2>"$T/err"
    st=$?
    if [ "$st" -eq 0 ]; then ok; else bad "$b on 2: exit $st"; cat "$T/err"; continue; fi
    if agree "$b" "$T/one.json" "$T/many.json"; then ok; else bad "$b: means differ beyond Monte Carlo error"; fi
done

# A density with no finite point: every process gives up together, status 2, one message.
printf 'param real x;\nx ~ normal(0, -1);\n' > "$T/bad.vmod"
"$VRUN" "$T/bad.vmod" --chains=1 --quiet >/dev/null 2>"$T/err1"
$MPIRUN -n 2 "$VRUN" "$T/bad.vmod" --chains=1 --quiet >/dev/null 2>"$T/err2"
st=$?
if [ "$st" -eq 2 ] && cmp -s "$T/err1" <(sed '/^-----/,$d' "$T/err2"); then ok; else bad "no finite point: exit $st"; cat "$T/err2"; fi

# Ctrl-C: the processes stop at the same step (the stop travels with the density's
# all-reduce), rank 0 writes the draws so far and the summary; the second chain never
# started, so it has no file.
. "$D/interrupt.sh"
interrupt_check "data-parallel, Ctrl-C" "$T/int" 1 "$D/logistic.vmod" --data "$D/data.json" --chains=2 --data-parallel \
    --draws=100000 --quiet --output=c.csv

echo "data-parallel density: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
