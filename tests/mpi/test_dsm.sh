#!/usr/bin/env bash
# dsm trained data-parallel on 2 processes (simulations split, the network's gradient
# summed over the processes at every batch): the posterior of a normal mean with
# known scale, whose exact mean and sd are known, is found as well as one process
# finds it (docs/dsm.md: mean within 0.15, sd within 30%), and the run repeats bit
# for bit with the same seed.
# usage: test_dsm.sh VRUN SRC_DIR
set -u
VRUN=$(realpath "$1"); SRC=$2
. "$SRC/tests/mpi/mpi_env.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# y_i ~ normal(mu, 1), mu ~ normal(0, 2): posterior mean sum(y) / (N + 1/4), sd 1 / sqrt(N + 1/4)
cat > "$T/nn.vmod" <<'M'
data int<lower=0> N = 10;
data vector[N] y = [1.2, 0.4, 2.1, 1.7, 0.9, 1.5, 2.6, 0.3, 1.1, 1.8]';
param real mu;
mu ~ normal(0, 2);
y ~ normal(mu, 1);
M
args=("$T/nn.vmod" --method=dsm --chains=1 --seed=4 --quiet --data-parallel)
for k in 1 2 3; do
    # the first run at the accuracy budget, two short ones for repeatability
    if [ "$k" = 1 ]; then budget=(--sims=4000 --epochs=60); else budget=(--sims=1000 --epochs=5); fi
    (cd "$T" && $MPIRUN -n 2 "$VRUN" "${args[@]}" "${budget[@]}" --summary="s$k.json" --output="o$k.csv" >"out$k" 2>"err$k")
    st=$?
    if [ "$st" -eq 0 ]; then ok; else bad "dsm on 2 processes: exit $st"; cat "$T/err$k"; fi
done
read -r mean sd < <(jq -r '.columns[] | select(.name == "mu") | "\(.mean) \(.sd)"' "$T/s1.json")
if awk -v m="$mean" -v s="$sd" 'BEGIN { em = 13.6 / 10.25; es = 1 / sqrt(10.25)
        exit !(m - em < 0.15 && em - m < 0.15 && s > 0.7 * es && s < 1.3 * es) }'; then ok
else bad "dsm on 2 processes: mean $mean sd $sd, exact 1.327 0.312"; fi
if grep -q "simulations in" "$T/out1"; then ok; else bad "dsm report missing"; cat "$T/out1"; fi
if [ "$(grep -vc '^#' "$T/o2.csv")" -gt 1000 ] && cmp -s <(grep -v '^#' "$T/o2.csv") <(grep -v '^#' "$T/o3.csv"); then ok
else bad "dsm on 2 processes: not the same draws twice"; fi

echo "dsm data-parallel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
