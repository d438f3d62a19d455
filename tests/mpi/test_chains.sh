#!/usr/bin/env bash
# Chains spread over MPI processes: the files, the summary and the exit status are
# those of one process with the same seed, byte for byte (timings aside), with an
# even (2 ranks, 4 chains) and an uneven split (3 ranks, 4 chains), for a sampler
# and a VI method, and a failure on every rank ends the run with one process's error.
# usage: test_chains.sh VRUN SRC_DIR
set -u
VRUN=$(realpath "$1"); SRC=$2
. "$(dirname "$0")/mpi_env.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Run "$@" in $T/$1 (one process) or under mpirun; stdout, stderr, status kept there.
run_in() {   # dir ranks args...
    local d=$T/$1 n=$2; shift 2
    mkdir -p "$d"
    if [ "$n" -eq 0 ]; then (cd "$d" && "$VRUN" "$@" >out 2>err; echo $? >status)
    else (cd "$d" && $MPIRUN -n "$n" "$VRUN" "$@" >out 2>err; echo $? >status); fi
}
# Timing lines and the summary's clock differ from run to run, nothing else may.
strip_time() { grep -v -e 'seconds' -e 'Elapsed' "$1" | sed -e '1s/time: [0-9.]* s//' ; }
same_run() {   # desc chains
    local desc=$1 chains=$2
    for f in status out; do
        if cmp -s <(strip_time "$T/one/$f") <(strip_time "$T/many/$f"); then ok; else bad "$desc: $f differs"; diff <(strip_time "$T/one/$f") <(strip_time "$T/many/$f") | head -5; cat "$T/many/err"; fi
    done
    for k in $(seq 1 "$chains"); do
        if [ -s "$T/one/o_$k.csv" ] && cmp -s <(strip_time "$T/one/o_$k.csv") <(strip_time "$T/many/o_$k.csv"); then ok
        else bad "$desc: o_$k.csv differs or is missing"; fi
    done
    if cmp -s <(grep -v -e seconds -e '"warmup"' -e '"sampling"' -e '"total"' "$T/one/s.json") \
              <(grep -v -e seconds -e '"warmup"' -e '"sampling"' -e '"total"' "$T/many/s.json"); then ok
    else bad "$desc: summary JSON differs"; fi
    # the warnings after the run (R-hat, ESS, ...) are one process's too
    if cmp -s <(strip_time "$T/one/err") <(strip_time "$T/many/err"); then ok
    else bad "$desc: stderr differs"; diff "$T/one/err" "$T/many/err" | head -5; fi
    rm -rf "$T/one" "$T/many"
}

ES=$SRC/examples/eight_schools.vmod
for n in 2 3; do
    args=("$ES" --chains=4 --seed=11 --warmup=300 --draws=200 --quiet --output=o.csv --summary=s.json --threads=1)
    run_in one 0 "${args[@]}"
    run_in many "$n" "${args[@]}"
    same_run "nuts, $n ranks" 4
done
args=("$SRC/examples/logistic_regression.vmod" --method=bbvi --chains=3 --seed=5 --iters=400 --draws=300 --quiet
      --output=o.csv --summary=s.json --threads=1)
run_in one 0 "${args[@]}"
run_in many 2 "${args[@]}"
same_run "bbvi, 2 ranks" 3

# No initial point on any rank: one process's status (2) and message, once.
printf 'param real x;\nx ~ normal(0, -1);\n' > "$T/bad.vmod"
run_in one 0 "$T/bad.vmod" --chains=4 --seed=1 --quiet
run_in many 2 "$T/bad.vmod" --chains=4 --seed=1 --quiet
if [ "$(cat "$T/many/status")" = 2 ] && [ "$(cat "$T/one/status")" = 2 ]; then ok; else bad "failing model: status $(cat "$T/many/status")"; fi
# (mpirun adds its own notice of the non-zero status after a line of dashes)
if cmp -s "$T/one/err" <(sed '/^-----/,$d' "$T/many/err"); then ok
else bad "failing model: message differs"; diff "$T/one/err" "$T/many/err" | head; fi

# Chain 2 (rank 1) finds no initial point while chain 1 (rank 0) would sample 3e6
# draws: rank 1's failure must stop rank 0 at once, with one process's message.
printf 'param real x;\nx ~ uniform(1.99, 2);\n' > "$T/narrow.vmod"
run_in one 0 "$T/narrow.vmod" --chains=2 --seed=2 --draws=3000000 --quiet
mkdir -p "$T/many"
(cd "$T/many" && timeout 120 $MPIRUN -n 2 "$VRUN" "$T/narrow.vmod" --chains=2 --seed=2 --draws=3000000 --quiet >out 2>err; echo $? >status)
if [ "$(cat "$T/many/status")" = 2 ] && [ "$(cat "$T/one/status")" = 2 ]; then ok; else bad "one rank failing: status $(cat "$T/many/status") (124: the other rank did not stop)"; fi
if grep -q "chain 2: no initial point" "$T/one/err" && cmp -s "$T/one/err" <(sed '/^-----/,$d' "$T/many/err"); then ok
else bad "one rank failing: message differs"; cat "$T/one/err" "$T/many/err"; fi
rm -rf "$T/one" "$T/many"

# Ctrl-C: every rank stops, rank 0 writes the draws so far of the chains that ran
# (1 on rank 0, 2 on rank 1: one thread each), cut to the same number, and the
# summary; chains 3 and 4 were still queued, so they have no file, as in one process.
# mpirun's default odls_base_sigkill_timeout (1 s) applies: its SIGKILL comes 2 s
# after the Ctrl-C, so the processes must stop at its first word, SIGCONT.
. "$(dirname "$0")/interrupt.sh"
interrupt_check "chains, Ctrl-C" "$T/int" 2 "$SRC/examples/eight_schools.vmod" --chains=4 --draws=100000 --quiet \
    --output=c.csv --threads=1
# Ctrl-Z and fg (mpirun forwards SIGTSTP, then SIGCONT): a resume, not the end
resume_check "chains, Ctrl-Z" "$T/tstp" 20000 "$SRC/examples/eight_schools.vmod" --chains=2 --draws=20000 --quiet \
    --output=c.csv --threads=1

# The interactive session under mpirun: refused at once on every rank (it used to wait
# for ever: rank 0 alone read the script and reached a run's collectives).
printf ':load %s\n:run nuts --chains=2 --draws=50 --warmup=50 --no-progress\n' "$SRC/examples/eight_schools.vmod" > "$T/repl.txt"
timeout 120 $MPIRUN -n 2 "$VRUN" < "$T/repl.txt" >"$T/repl.out" 2>"$T/repl.err"
st=$?
if [ "$st" -eq 1 ] && grep -q "the interactive session runs in one process" "$T/repl.err"; then ok
else bad "REPL under mpirun: exit $st"; head -5 "$T/repl.err"; fi

echo "chains over ranks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
