#!/usr/bin/env bash
# vrun --check finds the size mismatches it can know: from literal sizes and embedded
# data, and from the data file when --data is given.
# usage: test_check_sizes.sh VRUN
set -u
VRUN=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; cat "$T/err"; }

printf "data vector[3] y = [1, 2, 3]';\nparam vector[2] mu;\ny ~ normal(mu, 1);\n" > "$T/lit.vmod"
"$VRUN" --check "$T/lit.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] || bad "literal sizes: exit $st, wanted 1"
grep -q 'lit.vmod:3:1: error: normal_lpdf: size mismatch: argument location has 2 elements, another has 3' "$T/err" \
    || bad "literal sizes: message at the ~ line"
grep -qF '    y ~ normal(mu, 1);' "$T/err" || bad "literal sizes: source line"

# sizes from data: unknown without --data (ok), known with it
printf "data int N;\ndata vector[N] y;\nparam vector[3] mu;\ny ~ normal(mu, 1);\n" > "$T/dat.vmod"
"$VRUN" --check "$T/dat.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 0 ] && grep -qx ok "$T/out" || bad "no data: exit $st, wanted 0 and ok"
printf '{"N": 4, "y": [1, 2, 3, 4]}' > "$T/d4.json"
"$VRUN" --check "$T/dat.vmod" --data "$T/d4.json" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q 'dat.vmod:4:1: error: normal_lpdf: size mismatch: argument location has 3 elements, another has 4' "$T/err" \
    || bad "--data with 4 values: exit $st"
printf '{"N": 3, "y": [1, 2, 3]}' > "$T/d3.json"
"$VRUN" --check "$T/dat.vmod" --data "$T/d3.json" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 0 ] && grep -qx ok "$T/out" || bad "--data with 3 values: exit $st"
# a data error is reported when --data is given
printf '{"N": 3}' > "$T/dmiss.json"
"$VRUN" --check "$T/dat.vmod" --data "$T/dmiss.json" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q "'y'" "$T/err" || bad "--data missing y: exit $st"
# a size mismatch in an assignment of a let, and one in gen
printf "param real a;\nlet vector[2] v = [a, a, a]';\na ~ normal(0, 1);\n" > "$T/let.vmod"
"$VRUN" --check "$T/let.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q "let.vmod:2:19: error: size mismatch assigning to 'v'" "$T/err" || bad "let mismatch: exit $st"
printf "param real a;\na ~ normal(0, 1);\ngen vector[2] v = [a, a, a]';\n" > "$T/gen.vmod"
"$VRUN" --check "$T/gen.vmod" >"$T/out" 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q "gen.vmod:3:19: error: size mismatch assigning to 'v'" "$T/err" || bad "gen mismatch: exit $st"

[ $fail -eq 0 ] && echo "all --check size checks passed"
exit $fail
