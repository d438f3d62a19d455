#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test in a normal
# build and again under AddressSanitizer + UndefinedBehaviorSanitizer, then a short
# fuzzing smoke run.  Exit status 0 only if everything passed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
bash scripts/install-test-deps.sh || exit 1

pass=0; fail=0
run_suite() {   # name builddir meson-args...
    local name=$1 dir=$2; shift 2
    echo "=== $name"
    if [ ! -f "$dir/build.ninja" ]; then meson setup "$dir" "$@" >/dev/null || { fail=$((fail + 1)); return; }; fi
    if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then cat "$dir.build.log"; fail=$((fail + 1)); return; fi
    meson test -C "$dir" --print-errorlogs --num-processes 2 2>&1 | tee "$dir.test.log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
    local ok bad
    # meson's closing counts: "Ok: N", "Fail: N", "Timeout: N", "Unexpected Pass: N"
    ok=$(awk '/^Ok:/ {print $2}' "$dir.test.log" | tail -1)
    bad=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$dir.test.log")
    if [ -z "$ok" ]; then ok=0; bad=$((bad + 1)); echo "no test summary from meson in $dir"; fi
    pass=$((pass + ok)); fail=$((fail + bad))
    # Remember the failures so the last lines of the run name them (CI shows the tail).
    grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$dir.test.log" | sed "s|^|[$name] |" >>"$failures" || true
}
failures=$(mktemp)

run_suite "tests" build
run_suite "tests under ASan+UBSan" build-asan -Db_sanitize=address,undefined -Db_lundef=false
if [ -x scripts/fuzz-smoke.sh ]; then
    echo "=== fuzz smoke"
    # A fixed seed: this stage replays the committed corpus (seeds and every crasher found
    # so far) and then a repeatable stretch of new inputs; open-ended fuzzing is
    # scripts/fuzz-smoke.sh without FUZZ_SEED (docs/front-end-tests.md).
    if FUZZ_SEED=20261206 bash scripts/fuzz-smoke.sh 30 >build-fuzz.log 2>&1 &&
       FUZZ_SEED=20261206 bash scripts/fuzz-smoke.sh 50 fuzz_run >>build-fuzz.log 2>&1; then
        pass=$((pass + 1)); tail -3 build-fuzz.log
    else
        fail=$((fail + 1)); tail -60 build-fuzz.log; echo "[fuzz smoke] FAIL (log: build-fuzz.log)" >>"$failures"
    fi
fi
if [ -s "$failures" ]; then
    echo "=== failed"
    cat "$failures"
    # The error output of each failed test, from meson's log, so a CI tail shows why.
    for d in build build-asan; do
        [ -f "$d/meson-logs/testlog.txt" ] || continue
        python3 scripts/failed-logs.py "$d/meson-logs/testlog.txt"
    done
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
