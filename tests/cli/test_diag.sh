#!/usr/bin/env bash
# The run says when not to trust it (vrun-cli.md, "Warnings"): each warning on a model
# made to trigger it, the counts cross-checked against the CSV, --strict, the
# "diagnostics" and per-chain fields of --summary, and the failed runs (exit 2).
# usage: test_diag.sh VRUN SRC_DIR
set -u
VRUN=$1; SRC=$2
D=$SRC/tests/cli/diag
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
run() {   # want desc cmd...: exit status
    local want=$1 desc=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local st=$?
    if [ "$st" -eq "$want" ]; then ok; else bad "$desc: exit $st, wanted $want"; head -20 "$T/err"; fi
}
has_err() { if grep -qE -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks /$1/"; head -20 "$T/err"; fi; }
no_err()  { if grep -qE -- "$1" "$T/err"; then bad "$2: stderr has /$1/"; head -20 "$T/err"; else ok; fi; }
py() {    # desc python-code: the code asserts; it gets T
    if T="$T" python3 -c "$2" >"$T/py" 2>&1; then ok; else bad "$1"; cat "$T/py"; fi
}

# --- funnel: divergences, counted as in the CSV ---
run 0 "funnel" "$VRUN" "$SRC/examples/flows/funnel2.vmod" --no-progress --output="$T/f.csv" --summary="$T/f.json"
has_err "^vrun: warning: [0-9]+ of 4000 transitions after warm-up were divergent .*--adapt-delta" "funnel divergences"
if grep -q "^x " "$T/out" && ! grep -q "warning" "$T/out"; then ok; else bad "funnel: table on stdout, warnings not"; fi
py "funnel: divergences in JSON equal the CSV's divergent__ column" '
import csv, json, os
T = os.environ["T"]
j = json.load(open(T + "/f.json"))
tot = 0
for c in range(4):
    rows = [r for r in csv.reader(l for l in open(T + "/f_%d.csv" % (c + 1)) if not l.startswith("#"))]
    k = rows[0].index("divergent__")
    n = sum(float(r[k]) != 0 for r in rows[1:])
    assert j["per_chain"][c]["divergences"] == n, (c, n, j["per_chain"][c])
    tot += n
d = j["diagnostics"]
assert tot > 0 and d["divergences"] == tot, (tot, d["divergences"])
w = [x for x in d["warnings"] if x["code"] == "divergences"]
assert len(w) == 1 and w[0]["value"] == tot, w
assert d["warnings_count"] == len(d["warnings"])
'
run 3 "funnel --strict" "$VRUN" "$SRC/examples/flows/funnel2.vmod" --quiet --strict
has_err "^vrun: error: --strict: [0-9]+ warnings" "strict message"

# --- a target without difficulties: no warning, --strict still 0 ---
run 0 "normal --strict" "$VRUN" "$D/normal.vmod" --quiet --strict --summary="$T/n.json"
no_err "warning" "normal: no warning"
py "normal: empty diagnostics, sampler fields per chain" '
import json, os
j = json.load(open(os.environ["T"] + "/n.json"))
d = j["diagnostics"]
assert d["warnings"] == [] and d["warnings_count"] == 0 and d["divergences"] == 0, d
for c in j["per_chain"]:
    assert c["divergences"] == 0 and c["treedepth_hits"] == 0 and c["max_depth"] == 10, c
    assert 0.3 < c["ebfmi"] < 3 and 0.1 < c["stepsize"] < 3, c
'

# --- a short run: too few effective draws, naming the worst quantity ---
run 0 "short run" "$VRUN" "$SRC/examples/eight_schools.vmod" --warmup=30 --draws=30 --no-progress --summary="$T/s.json"
has_err "^vrun: warning: bulk ESS is [0-9]+ for [a-z_.0-9]+ \([0-9]+ per chain; [0-9]+ quantit(y|ies) below 100 per chain\)" "short run: bulk ESS"
has_err "^vrun: warning: R-hat is 1\.[0-9]+ for " "short run: R-hat"
py "short run: the named quantity has the lowest bulk ESS in the table" '
import json, os
j = json.load(open(os.environ["T"] + "/s.json"))
w = [x for x in j["diagnostics"]["warnings"] if x["code"] == "ess_bulk"][0]
cols = [c for c in j["columns"] if c["ess_bulk"] is not None]
worst = min(cols, key=lambda c: c["ess_bulk"])
assert w["quantity"] == worst["name"], (w, worst)
assert abs(w["value"] - worst["ess_bulk"] / 4) < 1e-9, (w, worst)
r = [x for x in j["diagnostics"]["warnings"] if x["code"] == "rhat"][0]
assert r["quantity"] == max(cols, key=lambda c: c["rhat"] or 0)["name"]
'

# --- two modes, chains in each: the minority chains are named ---
run 0 "bimodal" "$VRUN" "$D/bimodal.vmod" --seed=1 --no-progress --summary="$T/b.json"
has_err "^vrun: warning: chain 2 disagrees with chains 1, 4 about x: its median 6\.0[0-9]* lies outside" "bimodal: chain 2"
has_err "^vrun: warning: chain 3 disagrees with chains 1, 4 about x" "bimodal: chain 3"
no_err "chain [14] disagrees" "bimodal: majority chains not named"
py "bimodal: chains_disagree findings" '
import json, os
j = json.load(open(os.environ["T"] + "/b.json"))
w = [x for x in j["diagnostics"]["warnings"] if x["code"] == "chains_disagree"]
assert [x["chain"] for x in w] == [2, 3] and all(x["quantity"] == "x" and x["value"] > 5 for x in w), w
'
run 3 "bimodal --strict" "$VRUN" "$D/bimodal.vmod" --seed=1 --quiet --strict

# --- funnel in 10 dimensions: E-BFMI and tree depth ---
run 0 "funnel10" "$VRUN" "$SRC/examples/flows/funnel10.vmod" --no-progress --output="$T/g.csv" --summary="$T/g.json"
has_err "^vrun: warning: chain [1-4]: E-BFMI = 0\.[0-9]+ \(below 0\.3\)" "funnel10: E-BFMI"
has_err "^vrun: warning: [0-9]+ of 4000 transitions hit the maximum tree depth of 10.*--max-depth=12" "funnel10: tree depth"
py "funnel10: E-BFMI and tree-depth hits recomputed from the CSV" '
import csv, json, os
T = os.environ["T"]
j = json.load(open(T + "/g.json"))
for c in range(4):
    rows = [r for r in csv.reader(l for l in open(T + "/g_%d.csv" % (c + 1)) if not l.startswith("#"))]
    e = [float(r[rows[0].index("energy__")]) for r in rows[1:]]
    td = sum(int(r[rows[0].index("treedepth__")]) >= 10 for r in rows[1:])
    n = len(e); m = sum(e) / n
    bfmi = sum((e[i] - e[i - 1]) ** 2 for i in range(1, n)) / n / (sum((x - m) ** 2 for x in e) / (n - 1))
    pc = j["per_chain"][c]
    # the CSV has 6 significant digits
    assert abs(pc["ebfmi"] - bfmi) < 1e-3 * bfmi, (c, pc["ebfmi"], bfmi)
    assert pc["treedepth_hits"] == td, (c, pc["treedepth_hits"], td)
    flagged = any(w["code"] == "ebfmi" and w["chain"] == c + 1 for w in j["diagnostics"]["warnings"])
    assert flagged == (bfmi < 0.3), (c, bfmi, flagged)
'

# --- the same counts as rstan's own checks on the same CSV files ---
cat >"$T/hmc.R" <<RSCRIPT
suppressMessages(library(rstan))
f <- read_stan_csv(sprintf("$T/g_%d.csv", 1:4))
cat(get_num_divergent(f), get_num_max_treedepth(f), sprintf("%.6f", get_bfmi(f)), "\n")
RSCRIPT
if Rscript "$T/hmc.R" >"$T/hmc.out" 2>"$T/hmc.err"; then ok; else bad "rstan on funnel10's CSV"; cat "$T/hmc.err"; fi
py "funnel10: divergences, tree-depth hits and E-BFMI as rstan counts them" '
import json, os
T = os.environ["T"]
j = json.load(open(T + "/g.json"))
r = open(T + "/hmc.out").read().split()
assert int(r[0]) == j["diagnostics"]["divergences"], (r, j["diagnostics"]["divergences"])
assert int(r[1]) == j["diagnostics"]["treedepth_hits"], (r, j["diagnostics"]["treedepth_hits"])
for c in range(4):
    e = j["per_chain"][c]["ebfmi"]
    assert abs(float(r[2 + c]) - e) < 1e-3 * e, (c, r[2 + c], e)   # the CSV holds 6 digits
'

# --- VI: heavy tails give k-hat > 0.7; a capped fit did not converge ---
run 0 "heavy tails" "$VRUN" "$D/heavy_tails.vmod" --method=bbvi --no-progress --summary="$T/h.json"
has_err "^vrun: warning: Pareto k-hat = [0-9.]+ \(above 0\.7\).*--method=nuts" "heavy tails: k-hat"
py "heavy tails: VI results as fields" '
import json, os
j = json.load(open(os.environ["T"] + "/h.json"))
r = j["per_chain"][0]["results"]
assert r["khat"] > 0.7 and r["converged"] is True and r["iterations"] > 0, r
assert r["elbo"] < 0 and 0 < r["elbo_mcse"] < 1 and r["eval_draws"] > 0, r
w = j["diagnostics"]["warnings"]
assert [x["code"] for x in w] == ["khat"] and abs(w[0]["value"] - r["khat"]) < 1e-12, w
'
run 0 "VI capped" "$VRUN" "$D/normal.vmod" --method=bbvi --iters=20 --no-progress --summary="$T/v.json"
has_err "^vrun: warning: the fit did not converge in 20 iterations.*--iters" "VI capped: not converged"
run 3 "VI capped --strict" "$VRUN" "$D/normal.vmod" --method=bbvi --iters=20 --quiet --strict
run 0 "VI converged" "$VRUN" "$D/normal.vmod" --method=bbvi --quiet
no_err "warning" "VI converged: no warning"

# --- failed runs: exit 2 with the reason and no table ---
run 2 "gen fails every draw" "$VRUN" "$D/gen_fails.vmod" --draws=50 --warmup=50 --quiet
has_err "inference failed: every draw failed a check in a let or gen statement" "gen fails: reason"
if [ -s "$T/out" ]; then bad "gen fails: a table was printed"; cat "$T/out"; else ok; fi
printf '{"x": 0}' > "$T/x0.json"
for m in mh langevin; do
    run 2 "stuck $m" "$VRUN" "$D/stuck.vmod" --method=$m --draws=50 --warmup=50 --quiet --init="$T/x0.json"
    has_err "inference failed: no chain moved from its initial point in 50 draws" "stuck $m: reason"
    if [ -s "$T/out" ]; then bad "stuck $m: a table was printed"; else ok; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
