#!/usr/bin/env bash
# wishart_cholesky and multi_student_t_cholesky through vrun: NUTS on the density
# (with the cholesky_factor_cov transform) and prior-predictive on the _rng must give
# the same distribution, and both its known moments (E[L L'] = nu S; mean mu and
# sd sqrt(nu/(nu-2) S_ii)).  A wrong Jacobian in wishart_cholesky_lpdf moves the NUTS
# means by many standard errors.  Invalid arguments give the message at the `~` line.
# usage: test_dist_mv2.sh VRUN
set -u
VRUN=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cat > "$T/wc.vmod" <<'EOF'
data matrix[2, 2] LS = [[1, 0], [0.5, 0.8]];
param cholesky_factor_cov[2] LW;
LW ~ wishart_cholesky(5.0, LS);
let matrix[2, 2] W = LW * LW';
EOF
cat > "$T/mt.vmod" <<'EOF'
data matrix[2, 2] L = [[1, 0], [0.5, 0.8]];
param vector[2] y;
y ~ multi_student_t_cholesky(6, [1, -1]', L);
EOF
for m in wc mt; do
    "$VRUN" "$T/$m.vmod" --seed=7 --draws=4000 --no-progress -q --summary="$T/$m-nuts.json" >/dev/null 2>"$T/err" \
        || { bad "$m: nuts exit $?"; cat "$T/err"; }
    "$VRUN" "$T/$m.vmod" --seed=7 --method=prior-predictive --chains=1 --draws=16000 --no-progress -q \
        --summary="$T/$m-ppd.json" >/dev/null 2>"$T/err" || { bad "$m: prior-predictive exit $?"; cat "$T/err"; }
done
T="$T" python3 - <<'PY' || bad "moments (above)"
import json, math, os, sys
T = os.environ["T"]
def cols(f):
    return {c["name"]: c for c in json.load(open(os.path.join(T, f)))["columns"]}
ok = True
def near(what, a, b, se):
    global ok
    if not abs(a - b) < 5 * se:
        print(f"{what}: {a:.4f} vs {b:.4f} (5 se = {5 * se:.4f})")
        ok = False
# wishart_cholesky(5, LS): S = LS LS' = [[1, .5], [.5, .89]]
wn, wp = cols("wc-nuts.json"), cols("wc-ppd.json")
S = {"1.1": 1.0, "2.1": 0.5, "1.2": 0.5, "2.2": 0.89}
for k in ["LW.1.1", "LW.2.1", "LW.2.2", "W.1.1", "W.2.1", "W.2.2"]:
    a, b = wn[k], wp[k]
    near(k + " nuts vs rng", a["mean"], b["mean"], math.hypot(a["mcse"], b["mcse"]))
    if k.startswith("W."):
        near(k + " nuts vs nu S", a["mean"], 5 * S[k[2:]], a["mcse"])
        near(k + " rng vs nu S", b["mean"], 5 * S[k[2:]], b["mcse"])
# multi_student_t_cholesky(6, [1, -1], L): sd^2 = 6/4 (L L')_ii
mn, mp = cols("mt-nuts.json"), cols("mt-ppd.json")
for k, mu, s2 in [("y.1", 1.0, 1.0), ("y.2", -1.0, 0.89)]:
    sd = math.sqrt(1.5 * s2)
    for name, c in [("nuts", mn[k]), ("rng", mp[k])]:
        near(f"{k} {name} mean", c["mean"], mu, c["mcse"])
        # the sd of a t(6) sample sd: a few percent at these sizes
        if not abs(c["sd"] - sd) < 0.05 * sd:
            print(f"{k} {name} sd {c['sd']:.4f} vs {sd:.4f}")
            ok = False
sys.exit(0 if ok else 1)
PY

# invalid arguments: the message names the function, the argument and the element,
# at the statement's position
printf "data matrix[2, 2] LS = [[1, 0.3], [0.5, 0.8]];\nparam cholesky_factor_cov[2] LW;\nLW ~ wishart_cholesky(5.0, LS);\n" \
    > "$T/b1.vmod"
"$VRUN" "$T/b1.vmod" --no-progress >/dev/null 2>"$T/err"; st=$?
[ $st -ne 0 ] && grep -q 'b1.vmod:3:1: error: wishart_cholesky_lpdf: Cholesky factor of scale matrix\[3\] is 0.3, but must be lower triangular' "$T/err" \
    || { bad "wishart_cholesky upper entry: exit $st"; cat "$T/err"; }
printf "data array[3] int n = {3, -1, 1};\nparam vector<lower=0>[3] a;\nn ~ dirichlet_multinomial(a);\n" > "$T/b2.vmod"
"$VRUN" "$T/b2.vmod" --no-progress >/dev/null 2>"$T/err"; st=$?
[ $st -ne 0 ] && grep -q 'b2.vmod:3:1: error: dirichlet_multinomial_lpmf: variate\[2\] is -1, but must be non-negative' "$T/err" \
    || { bad "dirichlet_multinomial negative count: exit $st"; cat "$T/err"; }
printf "param real y;\ny ~ normal(0, 1);\ngen vector[2] t = multi_student_t_cholesky_rng(-1, [0, 0]', [[1, 0], [0, 1]]);\n" \
    > "$T/b3.vmod"
"$VRUN" "$T/b3.vmod" --no-progress >/dev/null 2>"$T/err"; st=$?
grep -q 'b3.vmod:3:19: error: multi_student_t_cholesky_rng: degrees of freedom is -1, but must be positive finite' "$T/err" \
    || { bad "multi_student_t_cholesky_rng nu < 0: exit $st"; cat "$T/err"; }
# the checker: a real array is not counts
printf "param vector<lower=0>[2] a;\n{1.5, 2.0} ~ dirichlet_multinomial(a);\n" > "$T/b4.vmod"
"$VRUN" --check "$T/b4.vmod" >/dev/null 2>"$T/err"; st=$?
[ $st -eq 1 ] && grep -q 'b4.vmod:2:1: error: dirichlet_multinomial is a distribution over integers' "$T/err" \
    || { bad "checker: exit $st"; cat "$T/err"; }

[ $fail -eq 0 ] && echo "all dist_mv2 cli checks passed"
exit $fail
