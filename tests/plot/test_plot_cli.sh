#!/usr/bin/env bash
# vrun plot, --plot=DIR and the REPL's :plot from the outside: statuses, messages, files.
# usage: test_plot_cli.sh VRUN SRCDIR
set -u
vrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
tmp=$(mktemp -d /tmp/vmod_plot_cli_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS 'MESSAGE' cmd...: the status and a line of stderr
expect() {
    local want=$1 msg=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || fail "$* exited $got, expected $want: $(cat "$tmp/err")"
    [ -z "$msg" ] || grep -qF -- "$msg" "$tmp/err" || fail "$*: expected '$msg' in: $(cat "$tmp/err")"
}

expect 1 "vrun: error: vrun plot needs at least one Stan CSV file" "$vrun" plot
expect 1 "vrun: error: $tmp/none.csv: cannot open: No such file or directory" "$vrun" plot "$tmp/none.csv"
expect 1 "vrun: error: unknown option '--colour' for vrun plot" "$vrun" plot --colour=red x.csv
expect 1 "vrun: error: option --size expects WIDTHxHEIGHT in pixels, e.g. 1000x750, got 'big'" \
    "$vrun" plot --size=big x.csv
expect 1 "vrun: error: unknown plot kind 'pie' (kinds: trace, rank, density, pairs, energy, elbo)" \
    "$vrun" plot --kind=trace,pie x.csv
expect 0 "" "$vrun" plot --help

# --plot=DIR on a run: draws into DIR, plots at the end
expect 0 "" "$vrun" "$src/tests/plot/normal.vmod" --seed=2 --quiet --plot="$tmp/run"
for f in draws_1.csv draws_4.csv index.html trace.png trace.svg rank.png density.png pairs.png energy.png energy.svg; do
    [ -s "$tmp/run/$f" ] || fail "--plot: $tmp/run/$f missing"
done
grep -qF "plots: $tmp/run/index.html (10 files) of z.1, z.2" "$tmp/out" || fail "--plot: no index path printed: $(cat "$tmp/out")"
# --plot knows the model: its parameters by default, not its lets and gens; vrun plot
# knows only the CSV: every column up to 10
expect 0 "" "$vrun" "$src/tests/plot/lets.vmod" --seed=2 --quiet --plot="$tmp/lets"
grep -qxF "plots: $tmp/lets/index.html (10 files) of a" "$tmp/out" || fail "--plot vars: $(cat "$tmp/out")"
expect 0 "" "$vrun" plot "$tmp"/lets/draws_*.csv --out="$tmp/lets2"
grep -qxF "plots: $tmp/lets2/index.html (10 files) of a, b, c" "$tmp/out" || fail "vrun plot vars: $(cat "$tmp/out")"
# with --output the plots read those files
expect 0 "" "$vrun" "$src/tests/plot/normal.vmod" --seed=2 --quiet --output="$tmp/o.csv" --plot="$tmp/run2"
[ -s "$tmp/o_1.csv" ] && [ -s "$tmp/run2/pairs.png" ] && [ ! -e "$tmp/run2/draws_1.csv" ] \
    || fail "--plot with --output"
# a VI run gets its ELBO plot, and vrun plot reads the same file
expect 0 "" "$vrun" "$src/examples/eight_schools.vmod" --method=bbvi --seed=2 --quiet --plot="$tmp/vi"
[ -s "$tmp/vi/elbo.png" ] && [ -s "$tmp/vi/elbo.svg" ] || fail "--plot: no ELBO plot for bbvi"
expect 0 "" "$vrun" plot "$tmp/vi/draws_1.csv" --kind=elbo,density --vars=theta --out="$tmp/vi2" --size=400x300
[ -s "$tmp/vi2/elbo.png" ] && [ -s "$tmp/vi2/density.svg" ] && [ ! -e "$tmp/vi2/pairs.png" ] || fail "vrun plot --kind"
expect 1 "vrun: error: the energy plot needs an energy__ column (a NUTS run)" \
    "$vrun" plot "$tmp/vi/draws_1.csv" --kind=energy --out="$tmp/vi3"
touch "$tmp/afile"
expect 1 "vrun: error: cannot create the directory $tmp/afile/sub: Not a directory" \
    "$vrun" plot "$tmp/vi/draws_1.csv" --out="$tmp/afile/sub"
expect 1 "vrun: error: plot size 50x50: each side must be 100 to 10000 pixels" \
    "$vrun" plot "$tmp/vi/draws_1.csv" --size=50x50 --out="$tmp/vi5"
expect 1 "vrun: error: no variable 'nope' in the draws" "$vrun" plot "$tmp/vi/draws_1.csv" --vars=nope --out="$tmp/vi4"

# the REPL: :plot NAME [KIND] writes the files and prints their paths
cat >"$tmp/script" <<'SCRIPT'
param vector[3] theta;
theta ~ normal(0, 1);
:run nuts --seed=5 --chains=2 --draws=200 --warmup=200 --quiet
:plot theta rank
SCRIPT
(cd "$tmp" && "$vrun" --script "$tmp/script" >"$tmp/out" 2>"$tmp/err") || fail ":plot: exit $?: $(cat "$tmp/err")"
grep -qx "plots/theta/rank.png" "$tmp/out" || fail ":plot: path not printed: $(cat "$tmp/out")"
[ -s "$tmp/plots/theta/rank.png" ] && [ -s "$tmp/plots/theta/rank.svg" ] || fail ":plot: files missing"
# :run --plot=DIR plots as the command line does (from the CSV files, ELBO included)
cat >"$tmp/script3" <<'SCRIPT'
param real mu;
mu ~ normal(1, 2);
:run bbvi --seed=5 --quiet --plot=vi_repl
SCRIPT
(cd "$tmp" && "$vrun" --script "$tmp/script3" >"$tmp/out" 2>"$tmp/err") || fail ":run --plot: exit $?: $(cat "$tmp/err")"
[ -s "$tmp/vi_repl/elbo.png" ] && [ -s "$tmp/vi_repl/draws_1.csv" ] || fail ":run --plot: files missing"
printf ':plot theta\n' >"$tmp/script2"
(cd "$tmp" && "$vrun" --script "$tmp/script2" >"$tmp/out" 2>"$tmp/err")
grep -qF "error: no draws yet: :run a method first" "$tmp/err" || fail ":plot before :run: $(cat "$tmp/err")"

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all passed"
