#!/usr/bin/env bash
# Every constrained type through vrun as a user meets it: each method's draws satisfy
# each constraint (unit norm, zero sum, triangular factors with positive diagonals,
# unit rows, symmetric matrices with a unit diagonal, bounds, offset/multiplier),
# --init and --at take constrained values, diagnose passes, and the REPL accepts the
# types.  usage: test_types.sh VRUN
set -u
VRUN=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cat > "$T/types.vmod" <<'M'
data vector[3] lo = [0, -1, 2]';
data vector[3] hi = [1, 1, 5]';
param unit_vector[3] uv;
param sum_to_zero_vector[4] z;
param cholesky_factor_cov[3, 2] Lc;
param cholesky_factor_corr[3] L;
param corr_matrix[3] Om;
param cov_matrix[2] S;
param real<offset=1, multiplier=2> a;
param vector<lower=lo, upper=hi>[3] c;
uv ~ normal([1, 0, -1]', 1);
z ~ normal(0, 1);
to_vector(Lc) ~ normal(0, 2);
L ~ lkj_corr_cholesky(2);
Om ~ lkj_corr(2);
S ~ inv_wishart(5, [[1, 0.3], [0.3, 1]]);
a ~ normal(1, 2);
c ~ normal(0.5, 2);
M

# Check every draw of a Stan CSV: awk finds the columns by name.  A VI file's first
# row is q's mean on the unconstrained scale, transformed (CmdStan's mean row,
# driver/run.c): it must satisfy the constraints too.  The CSV holds 6 digits.
check_csv() {   # file desc skip
    awk -F, -v desc="$2" -v skip="$3" '
    /^#/ || NF == 0 { next }
    !hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
    function v(n) { if (!(n in col)) { print desc ": no column " n; bad = 1; return 0 } return $col[n] + 0 }
    function near(x, y) { return (x - y < 1e-4 && y - x < 1e-4) }
    skip > 0 { skip--; next }
    {
        rows++
        n2 = v("uv.1")^2 + v("uv.2")^2 + v("uv.3")^2
        if (!near(n2, 1)) { print desc ": |uv|^2 = " n2; bad = 1 }
        s = v("z.1") + v("z.2") + v("z.3") + v("z.4")
        if (!near(s, 0)) { print desc ": sum z = " s; bad = 1 }
        if (v("Lc.1.2") != 0 || v("Lc.1.1") <= 0 || v("Lc.2.2") <= 0) { print desc ": Lc not a Cholesky factor"; bad = 1 }
        for (i = 1; i <= 3; i++) {
            r = 0
            for (j = 1; j <= 3; j++) r += v("L." i "." j)^2
            if (!near(r, 1) || v("L." i "." i) <= 0) { print desc ": row " i " of L"; bad = 1 }
            if (!near(v("Om." i "." i), 1)) { print desc ": Om diagonal"; bad = 1 }
            for (j = 1; j < i; j++) {
                if (v("L." j "." i) != 0) { print desc ": L upper"; bad = 1 }
                if (!near(v("Om." i "." j), v("Om." j "." i))) { print desc ": Om symmetric"; bad = 1 }
            }
        }
        if (!near(v("S.1.2"), v("S.2.1")) || v("S.1.1") * v("S.2.2") <= v("S.1.2")^2) { print desc ": S"; bad = 1 }
        split("0 -1 2", lo, " "); split("1 1 5", hi, " ")
        for (i = 1; i <= 3; i++) if (v("c." i) <= lo[i] || v("c." i) >= hi[i]) { print desc ": c." i; bad = 1 }
        if (bad) exit 1
    }
    END { if (!bad && rows < 10) { print desc ": " rows " rows"; exit 1 } exit bad }' "$1"
}

for m in nuts mh bbvi flow langevin map; do
    if "$VRUN" "$T/types.vmod" --method=$m --chains=1 --draws=200 --warmup=200 --iters=400 --seed=7 --quiet \
        --output="$T/$m.csv" >"$T/out" 2>"$T/err"; then
        f="$T/$m.csv"; [ -f "$f" ] || f="$T/${m}_1.csv"
        skip=0
        if check_csv "$f" "$m" $skip; then ok; else bad "$m draws violate a constraint"; fi
    else bad "$m: exit $?"; cat "$T/err"; fi
done

# diagnose: the gradient through every transform
if "$VRUN" "$T/types.vmod" --method=diagnose >"$T/out" 2>&1 && grep -q "(ok)" "$T/out"; then ok
else bad "diagnose"; tail -3 "$T/out"; fi

# --init and --at: constrained values by name
cat > "$T/init.json" <<'J'
{"uv": [0.6, 0.8, 0], "z": [1, -1, 0.5, -0.5], "Lc": [[1, 0], [0.5, 2], [0.1, 0.2]],
 "L": [[1, 0, 0], [0.6, 0.8, 0], [0, 0.6, 0.8]], "Om": [[1, 0.2, 0], [0.2, 1, 0.3], [0, 0.3, 1]],
 "S": [[2, 0.5], [0.5, 1]], "a": 0.3, "c": [0.5, 0, 3]}
J
if "$VRUN" "$T/types.vmod" --method=logprob --at="$T/init.json" >"$T/out" 2>"$T/err" && grep -q '"lp"' "$T/out"; then ok
else bad "--at with constrained values"; cat "$T/err"; fi
if "$VRUN" "$T/types.vmod" --init="$T/init.json" --method=mh --chains=1 --draws=50 --quiet >"$T/out" 2>"$T/err"; then ok
else bad "--init with constrained values"; cat "$T/err"; fi
sed 's/0.6, 0.8, 0]/0.6, 0.9, 0]/' "$T/init.json" > "$T/bad.json"
"$VRUN" "$T/types.vmod" --method=logprob --at="$T/bad.json" >"$T/out" 2>"$T/err"; st=$?
if [ $st -eq 1 ] && grep -q "'uv': element 3 violates its constraint" "$T/err"; then ok
else bad "a non-unit uv in --at: exit $st"; cat "$T/err"; fi

# the REPL takes the types
printf 'param unit_vector[2] u;\nparam real<offset=1, multiplier=3> b;\nparam sum_to_zero_vector[3] w;\nparam cholesky_factor_cov[2] K;\nw ~ normal(0, 1);\nb ~ normal(1, 3);\nto_vector(K) ~ normal(0, 1);\nu ~ normal(0, 1);\n:run --chains=1 --draws=100\n' \
    | "$VRUN" >"$T/out" 2>&1
if grep -q "^w.3 " "$T/out" && grep -q "^K.2.2 " "$T/out" && grep -q "^b " "$T/out"; then ok
else bad "REPL"; tail -5 "$T/out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
