#!/usr/bin/env bash
# vrun as a user meets it: exit statuses, messages, determinism across threads,
# logprob/diagnose output, every method end to end on a small model.
# usage: test_cli.sh VRUN SRC_DIR SHARED_DIR
set -u
VRUN=$1; SRC=$2; SHARED=$3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_status() {   # want desc cmd...
    local want=$1 desc=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local st=$?
    if [ "$st" -eq "$want" ]; then ok; else bad "$desc: exit $st, wanted $want"; cat "$T/err"; fi
}
expect_err() {      # text desc
    if grep -qF -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks '$1'"; cat "$T/err"; fi
}

ES=$SRC/examples/eight_schools.vmod

# --- exit statuses and messages ---
expect_status 0 "help" "$VRUN" --help
expect_status 0 "version" "$VRUN" --version
printf 'param real mu;\nmu ~ norml(0, 1);\n' > "$T/bad.vmod"
expect_status 1 "model error" "$VRUN" "$T/bad.vmod"
expect_err "bad.vmod:2:6: error: unknown distribution 'norml' (did you mean 'normal'?)" "model error message"
expect_err "    mu ~ norml(0, 1);" "model error line"
expect_status 1 "unknown method" "$VRUN" "$ES" --method=nope
expect_err "unknown method 'nope'" "unknown method message"
expect_status 1 "unknown option" "$VRUN" "$ES" --max-dept=3
expect_err "unknown option --max-dept for method 'nuts'" "unknown option message"
expect_status 1 "bad option value" "$VRUN" "$ES" --chains=zero
expect_err "option --chains expects an integer >= 1, got 'zero'" "bad option value message"
expect_status 1 "missing data file" "$VRUN" "$ES" --data "$T/none.json"
expect_err "cannot open the data file" "missing data file message"
printf '{"J": 8, "y": [1,2,3], "sigma": [1,1,1,1,1,1,1,1]}' > "$T/d.json"
expect_status 1 "data shape" "$VRUN" "$ES" --data "$T/d.json"
expect_err "data 'y': expected 8 elements, found 3" "data shape message"
expect_status 1 "no model" "$VRUN" --check
printf 'param real<lower=0> x;\nx ~ normal(0, -1);\n' > "$T/neg.vmod"
expect_status 2 "no finite initial point" "$VRUN" "$T/neg.vmod" --quiet
expect_err "neg.vmod:2:1: error: normal_lpdf: scale is -1, but must be positive" "initial point reason"
printf 'param real<lower=0> s;\ntarget += -s;\n' > "$T/improper.vmod"
expect_status 0 "check ok" "$VRUN" --check "$T/improper.vmod"

# --- every example checks, and formats to a model that checks and formats the same ---
for f in "$SRC"/examples/*.vmod "$SRC"/examples/posteriordb/*.vmod; do
    "$VRUN" --format "$f" > "$T/f1.vmod" 2>"$T/err" || { bad "format $f"; continue; }
    "$VRUN" --format "$T/f1.vmod" > "$T/f2.vmod" 2>"$T/err" || { bad "re-format $f"; continue; }
    if cmp -s "$T/f1.vmod" "$T/f2.vmod"; then ok; else bad "format of $f is not stable"; fi
done

# --- determinism: same seed, same CSV bytes for 1 and 2 threads ---
for m in nuts mh langevin bbvi; do
    "$VRUN" "$ES" --method=$m --seed=7 --chains=2 --threads=1 --draws=200 --warmup=200 --quiet --output="$T/a.csv" >/dev/null 2>&1
    "$VRUN" "$ES" --method=$m --seed=7 --chains=2 --threads=2 --draws=200 --warmup=200 --quiet --output="$T/b.csv" >/dev/null 2>&1
    same=1
    [ -s "$T/a_1.csv" ] && [ -s "$T/b_2.csv" ] || { bad "$m: no CSV written"; continue; }
    for c in 1 2; do
        if ! cmp -s <(grep -v -e 'Elapsed' -e 'seconds' -e '^#  *file' -e 'output' "$T/a_$c.csv") \
                    <(grep -v -e 'Elapsed' -e 'seconds' -e '^#  *file' -e 'output' "$T/b_$c.csv"); then same=0; fi
    done
    if [ "$same" = 1 ]; then ok; else bad "$m: CSV differs between 1 and 2 threads"; fi
    rm -f "$T"/a*.csv "$T"/b*.csv
done

# --- logprob: JSON with lp and gradient; diagnose agrees ---
printf '{"mu": 1.5, "tau": 2.0, "theta_raw": [0,0,0,0,0,0,0,0]}' > "$T/at.json"
expect_status 0 "logprob" "$VRUN" "$ES" --method=logprob --at="$T/at.json"
if grep -q '"lp": -' "$T/out" && grep -q '"gradient": \[' "$T/out"; then ok; else bad "logprob output"; cat "$T/out"; fi
expect_status 0 "diagnose" "$VRUN" "$ES" --method=diagnose --seed=3
if grep -q "largest relative error: .* (ok)" "$T/out"; then ok; else bad "diagnose output"; cat "$T/out"; fi

# --- every method runs end to end and prints the summary ---
for m in nuts mh langevin bbvi flow map; do
    expect_status 0 "method $m" "$VRUN" "$ES" --method=$m --quiet --draws=200 --warmup=200 --iters=3000
    if grep -q "^mu " "$T/out" && grep -q "method: $m" "$T/out"; then ok; else bad "method $m summary"; cat "$T/out"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
