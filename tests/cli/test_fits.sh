#!/usr/bin/env bash
# Results of fits that are not sample sets: cavi's exact moments and quantiles of q
# (checked against R's closed forms to 1e-10, and q's parameters against the known
# posteriors), the JSON fields of cavi and map, map's table and --jacobian.
# usage: test_fits.sh VRUN SRC_DIR
set -u
VRUN=$1; SRC=$2
C=$SRC/tests/backends/cavi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
py() {    # desc python-code
    if T="$T" python3 -c "$2" >"$T/py" 2>&1; then ok; else bad "$1"; cat "$T/py"; fi
}

# --- cavi: exact moments from q's closed form, against R's d/q functions ---
for m in beta_bernoulli normal_known gamma_poisson invgamma_var dirichlet_categorical; do
    if "$VRUN" "$C/$m.vmod" --method=cavi --quiet --summary="$T/$m.json" >"$T/$m.out" 2>"$T/err"; then ok
    else bad "cavi $m: exit status"; cat "$T/err"; continue; fi
    grep -q "^q, exactly (closed form):" "$T/$m.out" && ok || { bad "cavi $m: no exact table"; cat "$T/$m.out"; }
done
# every exact column's mean, sd and quantiles as an R expression to compare with
T="$T" python3 - >"$T/check.R" <<'PY' || bad "cavi: building the R check"
import json, os
T = os.environ["T"]
print("bad <- 0; chk <- function(what, got, want) { if (!(abs(got - want) <= 1e-10 * max(1, abs(want)))) { cat('FAIL:', what, got, 'want', want, '\\n'); bad <<- bad + 1 } }")
n = 0
for m in ["beta_bernoulli", "normal_known", "gamma_poisson", "invgamma_var", "dirichlet_categorical"]:
    j = json.load(open("%s/%s.json" % (T, m)))
    facs = {f["name"]: f for f in j["per_chain"][0]["results"]["factors"]}
    for c in j["columns"]:
        if not c.get("exact"):
            continue
        name, _, k = c["name"].partition(".")
        f = facs[name]
        i = int(k) - 1 if k else None
        at = lambda v: v[i] if i is not None else v
        fam = f["family"]
        if fam == "beta" or fam == "Dirichlet":
            if fam == "beta":
                a, b = at(f["a"]), at(f["b"])
            else:
                a = f["alpha"][i]; b = sum(f["alpha"]) - a
            exp = dict(mean="%r/(%r+%r)" % (a, a, b), sd="sqrt(%r*%r/((%r+%r)^2*(%r+%r+1)))" % (a, b, a, b, a, b),
                       q="qbeta(%%s, %r, %r)" % (a, b))
        elif fam == "normal":
            mu, sd = at(f["mean"]), f["sd"]
            exp = dict(mean=repr(mu), sd=repr(sd), q="qnorm(%%s, %r, %r)" % (mu, sd))
        elif fam == "gamma":
            a, r = at(f["shape"]), at(f["rate"])
            exp = dict(mean="%r/%r" % (a, r), sd="sqrt(%r)/%r" % (a, r), q="qgamma(%%s, %r, rate=%r)" % (a, r))
        elif fam == "inverse gamma":
            a, s = at(f["shape"]), at(f["scale"])
            exp = dict(mean="%r/(%r-1)" % (s, a), sd="%r/((%r-1)*sqrt(%r-2))" % (s, a, a),
                       q="1/qgamma(%%s, %r, rate=%r, lower.tail=FALSE)" % (a, s))
        else:
            raise SystemExit("unexpected family " + fam)
        w = "%s %s" % (m, c["name"])
        print("chk('%s mean', %r, %s)" % (w, c["mean"], exp["mean"]))
        print("chk('%s sd', %r, %s)" % (w, c["sd"], exp["sd"]))
        for key, p in (("q5", 0.05), ("q50", 0.5), ("q95", 0.95)):
            print("chk('%s %s', %r, %s)" % (w, key, c[key], exp["q"] % p))
        n += 1
print("cat(%d, 'exact columns checked,', bad, 'failures\\n'); quit(status = bad > 0)" % n)
PY
if Rscript "$T/check.R" >"$T/r.out" 2>&1 && grep -q "^1[0-9] exact columns checked, 0 failures" "$T/r.out"; then ok
else bad "cavi exact moments against R"; cat "$T/r.out"; fi

py "cavi: q's parameters are the known posteriors" '
import json, os
T = os.environ["T"]
f = json.load(open(T + "/beta_bernoulli.json"))["per_chain"][0]["results"]
assert f["converged"] is True and f["iterations"] >= 1, f
q = f["factors"][0]
assert q["name"] == "theta" and q["family"] == "beta", q
assert abs(q["a"] - 10.5) < 1e-12 and abs(q["b"] - 5.5) < 1e-12, q   # 2.5 + 8 ones, 1.5 + 4 zeros
g = json.load(open(T + "/invgamma_var.json"))["per_chain"][0]["results"]["factors"][0]
y = [0.3, -1.2, 0.8, 2.0, -0.4, 1.1]
assert abs(g["shape"] - (3 + 3)) < 1e-12 and abs(g["scale"] - (2 + sum((v - 0.2) ** 2 for v in y) / 2)) < 1e-12, g
d = json.load(open(T + "/dirichlet_categorical.json"))["per_chain"][0]["results"]["factors"][0]
assert [round(a, 12) for a in d["alpha"]] == [4.0, 4.5, 4.0, 7.5], d   # alpha + counts 3, 4, 2, 6
'
if grep -c "converged" "$T/beta_bernoulli.out" | grep -qx 1; then ok; else bad "cavi: converged said more than once"; cat "$T/beta_bernoulli.out"; fi

# --- map: a table of values, --jacobian honoured, the JSON fields ---
printf 'param real<lower=0> s;\ns ~ lognormal(0, 1);\n' > "$T/ln.vmod"
for jac in true false; do
    "$VRUN" "$T/ln.vmod" --method=map --jacobian=$jac --quiet --summary="$T/map_$jac.json" >"$T/map_$jac.out" 2>"$T/err" || bad "map --jacobian=$jac: exit"
done
# with the Jacobian the mode of log s ~ N(0, 1) is s = 1; without, lognormal's mode exp(-1)
if grep -qE "^s +1(\.0+)?$" "$T/map_true.out"; then ok; else bad "map --jacobian=true: s"; cat "$T/map_true.out"; fi
if grep -qE "^s +0\.3679$" "$T/map_false.out"; then ok; else bad "map --jacobian=false: s"; cat "$T/map_false.out"; fi
if grep -qE "^ +mode$" "$T/map_true.out" && ! grep -q "ess_bulk" "$T/map_true.out"; then ok; else bad "map: not a table of values"; cat "$T/map_true.out"; fi
py "map: mode, log density, jacobian flag" '
import json, math, os
T = os.environ["T"]
for jac, s, lp in ((True, 1.0, -0.5 * math.log(2 * math.pi)), (False, math.exp(-1), -0.5 * math.log(2 * math.pi) + 1 - 0.5)):
    r = json.load(open("%s/map_%s.json" % (T, "true" if jac else "false")))["per_chain"][0]["results"]
    assert r["jacobian"] is jac and r["converged"] is True and r["laplace"] is False, r
    assert abs(r["mode"]["s"] - s) < 1e-6, r
    assert abs(r["log_density"] - lp) < 1e-9, (r, lp)
    assert "mode_unconstrained" not in r
'
"$VRUN" "$T/ln.vmod" --method=map --laplace --quiet --draws=4000 >"$T/lap.out" 2>"$T/err" || bad "map --laplace: exit"
# the Laplace approximation of log s is N(0, 1): s = exp(z) has sd sqrt((e - 1) e) = 2.16
if awk '$1 == "s" { exit !($2 > 0.99 && $2 < 1.01 && $3 > 1.9 && $3 < 2.45) }' "$T/lap.out" && grep -qE "^ +mode +sd$" "$T/lap.out"; then ok
else bad "map --laplace: mode and sd"; cat "$T/lap.out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
