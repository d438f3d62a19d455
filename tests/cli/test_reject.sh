#!/usr/bin/env bash
# reject(), fatal_error() and print() from the command line: a rejected region is
# never sampled and each chain reports its rejections once, with their count;
# fatal_error stops the run with exit 2 and the message at its place.
# usage: test_reject.sh VRUN
set -u
VRUN=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# x ~ normal(0, 1) truncated to x <= 1 by reject: no draw above 1, for NUTS and MH
cat > "$T/rej.vmod" <<'M'
param real x;
if (x > 1) reject("x above 1: ", x);
x ~ normal(0, 1);
M
for method in nuts mh; do
    "$VRUN" "$T/rej.vmod" --method=$method --seed=3 --output="$T/d.csv" >"$T/out" 2>"$T/err"
    st=$?
    [ $st -eq 0 ] || bad "$method: exit $st"
    # the column of x, then the largest draw of it over all chains
    xcol=$(grep -h '^lp__' "$T"/d_1.csv | tr ',' '\n' | grep -n '^x$' | cut -d: -f1)
    max=$(grep -hv '^#\|^lp__' "$T"/d_*.csv | cut -d, -f"$xcol" | sort -g | tail -1)
    n=$(grep -hv '^#\|^lp__' "$T"/d_*.csv | wc -l)
    if [ "$n" -lt 4000 ] || awk -v m="$max" 'BEGIN { exit !(m > 1) }'; then
        bad "$method: $n draws, largest x $max (must be <= 1)"
    fi
    for c in 1 2 3 4; do
        line=$(grep "^vrun: warning: chain $c: reject at .*rej.vmod:2:12: [0-9]* times; first message: x above 1: " "$T/err" | head -1)
        [ -n "$line" ] || { bad "$method: no reject report for chain $c"; cat "$T/err"; }
        cnt=$(echo "$line" | sed 's/.*2:12: \([0-9]*\) times.*/\1/')
        [ "${cnt:-0}" -gt 10 ] || bad "$method: chain $c count '$cnt'"
    done
    [ "$(grep -c 'reject at' "$T/err")" -eq 4 ] || bad "$method: one report line per chain expected"
done

# fatal_error: exit 2, the message with its place and caret
cat > "$T/fatal.vmod" <<'M'
param real x;
if (x > 1) fatal_error("x is ", x, ": stop");
x ~ normal(0, 1);
M
"$VRUN" "$T/fatal.vmod" --seed=1 >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 2 ] || bad "fatal_error: exit $st, wanted 2"
grep -q 'fatal.vmod:2:12: error: x is [0-9.]*: stop' "$T/err" || { bad "fatal_error message"; cat "$T/err"; }
grep -qF '           ^~~~~~~~~~~~' "$T/err" || bad "fatal_error caret"

# print in a gen statement: once per draw, to stderr
cat > "$T/print.vmod" <<'M'
param real x;
x ~ normal(0, 1);
gen real y = x + 1;
print("y=", y, " v=", [1, 2]);
M
"$VRUN" "$T/print.vmod" --seed=1 --chains=1 --draws=7 --warmup=10 >"$T/out" 2>"$T/err"
[ "$(grep -c '^y=[-0-9.e]* v=\[1,2\]$' "$T/err")" -eq 7 ] || { bad "print: wanted 7 lines"; cat "$T/err"; }

# the reject counts are warnings: in the summary's diagnostics, and --strict fails on them
"$VRUN" "$T/rej.vmod" --method=mh --seed=3 --strict --summary="$T/s.json" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 3 ] || bad "--strict with rejections: exit $st, wanted 3"
n=$(grep -c '"code": "reject"' "$T/s.json")
[ "$n" -eq 4 ] || bad "summary JSON: $n reject findings, wanted one per chain (4)"

[ $fail -eq 0 ] && echo "all reject/fatal_error/print checks passed"
exit $fail
