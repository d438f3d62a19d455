#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan, coverage on the library) and run
# one for a while.  Any crash, leak, timeout or out-of-memory fails the script.
# fuzz_run (the runtime) holds each input to 0.7 s itself and needs the lowered
# VM_MAX_ELEMENTS (2^20) to stay within the memory limit.
#   scripts/fuzz-smoke.sh [SECONDS=60] [TARGET=fuzz_front] [BUILD_DIR=build-fuzz]
# FUZZ_SEED=N makes the run repeatable: the same seed tries the same inputs in the same
# order, so a time limit only cuts the sequence shorter.  CI sets it (a gate must not
# pass or fail by luck); long runs to find new defects leave it unset (a random seed).
set -eu
secs=${1:-60}
target=${2:-fuzz_front}
dir=${3:-build-fuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized \
        "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer -DVM_MAX_ELEMENTS=1048576"
fi
ninja -C "$dir" -j2 "tests/fuzz/$target"
corpus=tests/fuzz/corpus
timeout=2
case $target in fuzz_json) corpus=tests/fuzz/corpus_json ;; fuzz_run) corpus=tests/fuzz/corpus_run; timeout=10 ;; esac
# New inputs go to a scratch directory: the committed corpus stays the seeds and crashers.
work="$dir/fuzz-work-$target"
mkdir -p "$work"
dict=""
[ -f "tests/fuzz/$target.dict" ] && dict="-dict=tests/fuzz/$target.dict"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
"$dir/tests/fuzz/$target" -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=2048 \
    -artifact_prefix="$dir/" -print_final_stats=1 -seed="${FUZZ_SEED:-0}" $dict "$work" "$corpus"
