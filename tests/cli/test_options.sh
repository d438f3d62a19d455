#!/usr/bin/env bash
# CmdStan's options as a CmdStan user types them: the three --init forms, --thin and
# --save-warmup (the CSV read back by rstan), -h, -q and the did-you-mean of an unknown
# option.
# usage: test_options.sh VRUN SRC_DIR
set -u
VRUN=$1; SRC=$2
ES=$SRC/examples/eight_schools.vmod
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
run() {   # want desc cmd...
    local want=$1 desc=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local st=$?
    if [ "$st" -eq "$want" ]; then ok; else bad "$desc: exit $st, wanted $want"; head -20 "$T/err"; fi
}
has_err() { if grep -qF -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks '$1'"; head -20 "$T/err"; fi; }
# the first draw of each chain, with a step size of 1e-12 and no warm-up: the initial point
first_rows() {   # init-arg: writes $T/first (one CSV line per chain: mu, tau, theta_raw.1..8)
    "$VRUN" "$ES" --init="$1" --quiet --method=langevin --stepsize=1e-12 --warmup=0 --draws=1 \
        --output="$T/i.csv" >/dev/null 2>"$T/err" || { bad "--init=$1: exit"; cat "$T/err"; }
    : >"$T/first"
    for c in 1 2 3 4; do grep -v '^#' "$T/i_$c.csv" | sed -n 2p | cut -d, -f4-13 >>"$T/first"; done
}

# --- --init=0: every unconstrained coordinate 0 (mu = 0, tau = exp(0) = 1) ---
first_rows 0
if awk -F, '{ for (i = 1; i <= NF; i++) { v = (i == 2) ? $i - 1 : $i; if (v > 1e-9 || v < -1e-9) exit 1 } }' "$T/first" \
   && [ "$(wc -l <"$T/first")" -eq 4 ]; then ok; else bad "--init=0: not all zero"; cat "$T/first"; fi
# --- --init=R: uniform(-R, R); with R = 0.5 every coordinate within it (tau = exp(u)) ---
first_rows 0.5
if awk -F, '{ for (i = 1; i <= NF; i++) { v = (i == 2) ? log($i) : $i; if (v > 0.5 || v < -0.5) exit 1 } }' "$T/first" \
   && [ "$(sort -u "$T/first" | wc -l)" -eq 4 ]; then ok; else bad "--init=0.5: outside (-0.5, 0.5) or chains equal"; cat "$T/first"; fi
first_rows 2
if awk -F, '{ for (i = 1; i <= NF; i++) { v = (i == 2) ? log($i) : $i; if (v > 0.5 || v < -0.5) n++ } } END { exit !(n > 10) }' "$T/first"
then ok; else bad "--init=2: draws not spread over (-2, 2)"; cat "$T/first"; fi
# --- --init=FILE, partial: mu given, the rest drawn per chain ---
printf '{"mu": 3.5}' >"$T/p.json"
first_rows "$T/p.json"
if awk -F, '{ if ($1 != 3.5) exit 1 }' "$T/first" && [ "$(cut -d, -f2- "$T/first" | sort -u | wc -l)" -eq 4 ]; then ok
else bad "partial --init: mu not 3.5 or the rest not drawn per chain"; cat "$T/first"; fi
run 1 "--init=-1" "$VRUN" "$ES" --init=-1 --quiet
has_err "--init=-1: a radius must not be negative" "negative radius"
printf '{"mu": 1, "tau": -1}' >"$T/neg.json"
run 1 "--init with a value outside its bounds" "$VRUN" "$ES" --init="$T/neg.json" --quiet
has_err "'tau': element 1 violates its constraint" "init bounds message"

# --- --thin and --save-warmup, read back by rstan ---
run 0 "thin + save-warmup" "$VRUN" "$ES" --warmup=100 --draws=200 --thin=3 --save-warmup --chains=2 --quiet --output="$T/s.csv"
if grep -q "chains: 2 x 67 draws" "$T/out"; then ok; else bad "--thin=3: 67 draws per chain"; head -2 "$T/out"; fi
cat >"$T/r.R" <<RSCRIPT
suppressMessages(library(rstan))
f <- read_stan_csv(c("$T/s_1.csv", "$T/s_2.csv"))
a <- extract(f, permuted = FALSE, inc_warmup = TRUE)
stopifnot(f@sim\$thin == 3, all(f@sim\$warmup2 == 34), all(f@sim\$n_save == 34 + 67), dim(a)[1] == 101)
# the warm-up rows are the first 34 data rows of the file, the draws the last 67
d <- read.csv("$T/s_1.csv", comment.char = "#")
stopifnot(nrow(d) == 101, all(abs(a[, 1, "mu"] - d\$mu) < 1e-12))
cat("rstan ok\n")
RSCRIPT
if Rscript "$T/r.R" >"$T/r.out" 2>&1 && grep -q "rstan ok" "$T/r.out"; then ok; else bad "rstan reading --thin/--save-warmup"; cat "$T/r.out"; fi
if grep -n "Adaptation terminated" "$T/s_1.csv" | cut -d: -f1 | awk -v f="$T/s_1.csv" '{ n = $1 } END {
       while ((getline l < f) > 0) { k++; if (l !~ /^#/) rows++; if (k == n) before = rows } exit !(before == 35) }'
then ok; else bad "save-warmup: 34 warm-up rows (and the header) before '# Adaptation terminated'"; fi

# --- -h, -q, did-you-mean ---
run 0 "-h" "$VRUN" -h
if grep -q "^usage: vrun MODEL.vmod" "$T/out" && grep -q -- "--save-warmup" "$T/out"; then ok; else bad "-h text"; fi
run 0 "-q" "$VRUN" "$ES" -q --draws=200 --warmup=200
if grep -q "^mu " "$T/out" && ! grep -qv "^vrun: warning" "$T/err"; then ok; else bad "-q: table on stdout, only warnings on stderr"; cat "$T/err"; fi
run 1 "--sed=7" "$VRUN" "$ES" --sed=7
has_err "unknown option --sed for method 'nuts' (did you mean --seed?)" "did you mean --seed"
run 1 "--draw=7" "$VRUN" "$ES" --draw=7
has_err "(did you mean --draws?)" "did you mean --draws"
run 1 "--laplace with nuts" "$VRUN" "$ES" --laplace
has_err "unknown option --laplace for method 'nuts' (it is an option of --method=map)" "another method's option"
run 1 "-x" "$VRUN" "$ES" -x
has_err "unknown option '-x'" "unknown short option"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
