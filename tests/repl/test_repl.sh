#!/bin/sh
# The REPL through a real terminal: tmux runs `vrun` in a pane, send-keys types,
# capture-pane reads the screen.  Checks tab completion, history across sessions, a
# multi-line model, an error with its caret and the recovery, a run and a summary,
# Ctrl-C during a long run, Ctrl-D, and the piped-script mode.
# Usage: test_repl.sh VRUN SRCDIR   (meson passes both)
VRUN=${1:?usage: test_repl.sh VRUN SRCDIR}
SRC=${2:?usage: test_repl.sh VRUN SRCDIR}
case $VRUN in /*) ;; *) VRUN=$PWD/$VRUN ;; esac

if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (apt-get install tmux); the REPL tests need a terminal"
    exit 77
fi

TMP=$(mktemp -d)
SOCK=vmod-repl-test-$$
HIST=$TMP/history
FAILS=0
trap 'tmux -L $SOCK kill-server 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
    if [ -n "$REPL_TEST_VERBOSE" ]; then screen | grep -v '^[[:space:]]*$' | tail -n 12 | sed 's/^/  | /'; fi
}
pass() { echo "ok: $*"; }

screen() { tmux -L $SOCK capture-pane -p -J -S - -t repl 2>/dev/null; }

# wait_for REGEX [SECONDS]: until the screen (with its scroll-back) matches.  The time
# is tripled: on a loaded CI machine (the other tests run beside this one) a reply can
# take seconds; a match returns at once, so only a failing check waits that long.
wait_for() {
    n=$(( ${2:-10} * 30 ))
    while [ $n -gt 0 ]; do
        if screen | grep -Eq -- "$1"; then return 0; fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# count of screen lines matching REGEX
count() { screen | grep -Ec -- "$1"; }

stop() {
    tmux -L $SOCK kill-server 2>/dev/null
    n=50
    while [ $n -gt 0 ] && tmux -L $SOCK list-sessions >/dev/null 2>&1; do sleep 0.1; n=$((n - 1)); done
}

start() {
    stop
    rm -f "$TMP/status"
    tmux -L $SOCK -f /dev/null new-session -d -s repl -x 160 -y 50 \
        "trap true INT; cd '$SRC' && env VMOD_HISTORY='$HIST' TERM=xterm '$VRUN' --threads=1; echo \$? > '$TMP/status'"
    wait_for 'vmod> ' 10 || fail "no prompt after start"
}

# tmux reads a ';' that ends an argument as its command separator: send it as hex.
type_keys() {
    case $1 in
    *\;) tmux -L $SOCK send-keys -t repl -l -- "${1%;}"; tmux -L $SOCK send-keys -t repl -H 3b ;;
    *) tmux -L $SOCK send-keys -t repl -l -- "$1" ;;
    esac
}
key() { tmux -L $SOCK send-keys -t repl "$@"; }
line() { type_keys "$1"; key Enter; }

# The last line of the screen that is not empty.
last_line() { screen | grep -v '^[[:space:]]*$' | tail -n 1; }

# Until the last line is an empty prompt (then libedit owns the terminal).
wait_prompt() {
    n=300
    while [ $n -gt 0 ]; do
        case $(last_line) in "vmod>"|"vmod> ") sleep 0.2; return 0 ;; esac
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# vrun's exit status, once it has exited (the shell around it writes it: tmux itself
# may learn the pane's status only after it sees the terminal close).
exit_status() {
    n=150
    while [ $n -gt 0 ] && [ ! -s "$TMP/status" ]; do sleep 0.1; n=$((n - 1)); done
    cat "$TMP/status" 2>/dev/null || echo "still running"
}

# ---------------------------------------------------------------- completion
start
type_keys ':lo'; key Tab
if wait_for '^vmod> :load $' 3 || wait_for '^vmod> :load' 1; then pass "command completion"; else fail "':lo<Tab>' did not complete to ':load'"; fi
type_keys 'examples/eight_sch'; key Tab
if wait_for 'vmod> :load examples/eight_schools.vmod' 3; then pass "file name completion"; else fail "file name completion"; fi
key Enter
wait_for 'loaded examples/eight_schools.vmod: 12 statements' 5 || fail "the model did not load"
type_keys ':eval theta_r'; key Tab
if wait_for 'vmod> :eval theta_raw' 3; then pass "variable completion"; else fail "variable name completion"; fi
key C-u
type_keys 'gen real z = inv_logi'; key Tab
if wait_for 'vmod> gen real z = inv_logit' 3; then pass "function completion"; else fail "function name completion"; fi
key C-u
type_keys 'tau ~ cauc'; key Tab
if wait_for 'vmod> tau ~ cauchy' 3; then pass "distribution completion"; else fail "distribution name completion"; fi
key C-u
type_keys ':run nuts --max-d'; key Tab
if wait_for 'vmod> :run nuts --max-depth=' 3; then pass "option completion"; else fail "method option completion"; fi
key C-u

# ---------------------------------------------------- a multi-line model typed in
line ':reset'
wait_for 'model, data and draws cleared' 3 || fail ":reset"
line 'data int<lower=0> N = 5;'
line 'data array[N] real y = {1.2, 0.8, 1.9, 1.1, 0.7};'
line 'param real mu;'
line 'param real<lower=0> sigma;'
line 'for (n in 1:N) {'
wait_for '^  \.\.\.> $' 3 && pass "continuation prompt" || fail "no continuation prompt inside a block"
line '  y[n] ~ normal(mu,'
line '                sigma);'
line '}'
line ':model'
if wait_for '^  5  for \(n in 1:N\) \{' 3 && wait_for 'y\[n\] ~ normal\(mu, sigma\);' 1; then
    pass "multi-line statement added as statement 5"
else
    fail "the multi-line for loop is not statement 5 of :model"
fi

# ------------------------------------------- an error with its caret, recovered
line 'mu ~ normal(0, sgima);'
if wait_for "^<input>:1:16: error: unknown variable 'sgima'" 3 && wait_for '^ +\^~~~~$' 1; then
    pass "error shown with a caret"
else
    fail "no error with a caret for an unknown variable"
fi
line ':model'
sleep 0.3
if [ "$(count '^  6  ')" -eq 0 ]; then pass "the model is unchanged after the error"; else fail "a bad statement was added"; fi
line 'mu ~ normal(0, 10);'
line 'sigma ~ exponential(1);'
line ':model'
if wait_for '^  7  sigma ~ exponential\(1\);' 3; then pass "statements after the error are added"; else fail "recovery after the error"; fi

# -------------------------------------------------------- a run and a summary
line ':run nuts --chains=2 --warmup=300 --draws=300 --seed=7 --no-progress'
if wait_for 'method: nuts  chains: 2 x 300 draws' 15; then pass "a run prints its summary"; else fail ":run nuts"; fi
line ':summary mu'
# (the value itself is the samplers' tests' business: a last-bit difference in floating
# point on another machine changes the draws)
if wait_for '^method: nuts  chains: 2 x 300 draws$' 3 && wait_for '^mu +-?[0-9]+\.[0-9]+ ' 1; then
    pass ":summary mu"
else
    fail ":summary mu"
fi
line ':eval mu / sigma @ 3'
wait_for 'mu / sigma = -?[0-9.e+-]+ +at draw 3 \(chain 1, draw 3\)' 5 && pass ":eval at a draw" || fail ":eval at a draw"

# ---------------- a :load that fails (a directory) keeps the model, data and draws
tmux -L $SOCK clear-history -t repl
key C-l
line ":load $TMP"
wait_for "$TMP: error: the model file is a directory, not a file" 3 && pass ":load of a directory refused" || fail ":load DIR message"
line ':model'
if wait_for '^  7  sigma ~ exponential\(1\);' 3; then pass "the model survives a failed :load"; else fail "the model is gone after :load DIR"; fi
line ':eval mu / sigma @ 3'
wait_for 'mu / sigma = -?[0-9.e+-]+ +at draw 3' 5 && pass "the draws survive a failed :load" || fail "the draws are gone after :load DIR"

# ------------------------------------------ Ctrl-C during a long run, then the prompt
line ':reset'
line 'data int K = 20000;'
line 'param real theta;'
line 'for (k in 1:K) target += -0.5 * square(theta) / K;'
tmux -L $SOCK clear-history -t repl
key C-l
line ":run nuts --chains=1 --warmup=10 --draws=1000000 --seed=3 --no-progress --output=$TMP/long.csv"
# Ctrl-C once a few draws are written (rows are appended as they come)
n=600
csv_rows() { c=$(grep -c '^[-0-9]' "$1" 2>/dev/null); echo "${c:-0}"; }
while [ $n -gt 0 ] && [ "$(csv_rows "$TMP/long.csv")" -lt 5 ]; do sleep 0.1; n=$((n - 1)); done
[ $n -gt 0 ] || fail "the long run wrote no draws in 60 s"
key C-c
if wait_for 'interrupted: kept [1-9][0-9]* draws from each of 1 chains' 20; then
    kept=$(screen | sed -n 's/^interrupted: kept \([0-9]*\) draws.*/\1/p' | tail -n 1)
    rows=$(csv_rows "$TMP/long.csv")
    # the session keeps what the CSV holds: every draw so far, and no more
    [ "$kept" -eq "$rows" ] && pass "Ctrl-C stops the run and keeps the $kept draws so far" ||
        fail "kept $kept draws but the CSV has $rows"
else
    fail "Ctrl-C during :run"
fi
line ':summary theta'
wait_for '^theta +-?[0-9]' 5 && pass ":summary after the interrupt" || fail ":summary after the interrupt"
# two Ctrl-C in a row during a run: the second does not kill the session, it is back
# at the prompt with the draws so far
wait_prompt || fail "no prompt before the second long run"
tmux -L $SOCK clear-history -t repl
key C-l
line ":run nuts --chains=1 --warmup=10 --draws=1000000 --seed=4 --no-progress --output=$TMP/long2.csv"
n=600
while [ $n -gt 0 ] && [ "$(csv_rows "$TMP/long2.csv")" -lt 5 ]; do sleep 0.1; n=$((n - 1)); done
key C-c
key C-c
if wait_for 'interrupted: kept [1-9][0-9]* draws from each of 1 chains' 20 && wait_prompt; then
    line ':eval 2 + 3'
    wait_for '^2 \+ 3 = 5( |$)' 5 && pass "a second Ctrl-C returns to the prompt" || fail "no answer after two Ctrl-C"
else
    fail "two Ctrl-C during :run"
fi
# the REPL's own Ctrl-C is back: it drops a half-typed line and vrun goes on
wait_prompt || fail "no prompt after :summary"
type_keys 'this line is dropped'
wait_for '^vmod> this line is dropped$' 3 || fail "typed text not shown"
key C-c
# type on only once the dropped line has given way to a fresh prompt: keys sent before
# libedit has handled the interrupt would land on the old line
wait_prompt || fail "no prompt after Ctrl-C at the prompt"
line ':eval 6 * 7'
if wait_for '^6 \* 7 = 42( |$)' 5 && [ "$(count 'this line is dropped')" -eq 1 ] && [ "$(count '^ +this line is dropped')" -eq 0 ]; then pass "Ctrl-C at the prompt drops the line"; else fail "Ctrl-C at the prompt after a run"; fi
# a Ctrl-D typed ahead, before libedit has the terminal, is read as a plain byte, as
# on any terminal: wait until the prompt is there
wait_prompt || fail "no prompt before Ctrl-D"
key C-d
st=$(exit_status)
[ "$st" = "0" ] && pass "Ctrl-D leaves with status 0" || fail "Ctrl-D: exit status '$st'"

# ------------------------------------------------------------ history
# libedit writes the file vis(3)-encoded: a blank is \040
grep -Eq ':eval(\\040| )6(\\040| )\*(\\040| )7' "$HIST" && pass "history written to \$VMOD_HISTORY" || fail "history file"
start
wait_prompt
key Up
if wait_for '^vmod> :eval 6 \* 7$' 3; then pass "history recalled in a new session"; else fail "Up does not recall the last line"; fi
key Enter
wait_for '^6 \* 7 = 42( |$)' 3 || fail "recalled line did not run"
line ':quit'
sleep 0.5
stop

# ------------------------------------------------------------ script mode
OUT=$TMP/out
cat > "$TMP/ok.txt" <<'SCRIPT'
:load examples/eight_schools.vmod
:run nuts --chains=2 --warmup=200 --draws=200 --seed=1 --threads=1 --no-progress
:summary tau
:eval theta[2] - theta[1]
SCRIPT
(cd "$SRC" && "$VRUN" < "$TMP/ok.txt" > "$OUT" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^tau ' "$OUT" && grep -q 'theta\[2\] - theta\[1\] = ' "$OUT" && ! grep -q 'vmod>' "$OUT"; then
    pass "piped script runs without prompts"
else
    fail "piped script (rc $rc)"; cat "$OUT"
fi
printf 'param real mu;\nmu ~ normal(0, sdev);\n:eval 1 + 1\n' > "$TMP/bad.txt"
(cd "$SRC" && "$VRUN" --script "$TMP/bad.txt" > "$OUT" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "unknown variable 'sdev'" "$OUT" && grep -q 'stopped at the input on line 2' "$OUT" && ! grep -q '1 + 1 = 2' "$OUT"; then
    pass "--script stops at the first error with status 1"
else
    fail "--script error (rc $rc)"; cat "$OUT"
fi
printf 'param real mu;\nmu ~ normal(0, 1)\n' | "$VRUN" > "$OUT" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'ends inside a statement' "$OUT" && pass "unfinished statement at the end of a script" || fail "unfinished statement (rc $rc)"

# data set inline, a replaced statement, :lp at a point against the density written out
# by hand, :eval at the posterior mean against the mean of the saved draws, :save
# read back by vrun --check, and a refused :rm that ends the script with status 1.
cat > "$TMP/full.txt" <<SCRIPT
:set N = 4
:set y = [0.5, 1.5, 1.0, 2.0]
data int<lower=0> N;
data vector[N] y;
param real mu;
param real<lower=0> sigma;
y ~ normal(mu, sigma);
mu ~ normal(0, 10);
sigma ~ exponential(1);
:replace 6 mu ~ normal(0, 5);
:run nuts --chains=2 --draws=200 --warmup=200 --seed=2 --threads=1 --no-progress
:lp {"mu": 0.5, "sigma": 1}
:eval mu
:save $TMP/saved.vmod
:save-draws $TMP/draws.csv
:rm 1
:eval 1 + 1
SCRIPT
"$VRUN" --script "$TMP/full.txt" > "$OUT" 2>&1; rc=$?
# normal(y | 0.5, 1) + normal(0.5 | 0, 5) + exponential(1 | 1), without the Jacobian
want=$(awk 'BEGIN { c = 0.5 * log(2 * 3.141592653589793);
    s = 0; split("0.5 1.5 1.0 2.0", y, " "); for (i = 1; i <= 4; i++) s += -0.5 * (y[i] - 0.5)^2 - c;
    s += -0.5 * (0.5 / 5)^2 - log(5) - c; s += -1; printf "%.6f", s }')
got=$(sed -n 's/^log density .* (with the log-Jacobian), \([-0-9.e+]*\) (without).*/\1/p' "$OUT")
if awk -v a="$got" -v b="$want" 'BEGIN { exit !(a != "" && (a - b) ^ 2 < 1e-12) }'; then
    pass ":lp at a given point is the log density written out by hand ($want)"
else
    fail ":lp at a point: got '$got', want $want"; cat "$OUT"
fi
# Stan CSV, one file per chain: the header row starts with lp__ and holds mu
mean=$(awk -F, '/^-?[0-9]/ { for (j = 1; j <= NF; j++) if (col[j] == "mu") { s += $j; n++ } } /^lp__,/ { for (j = 1; j <= NF; j++) col[j] = $j } END { printf "%.9g", s / n }' "$TMP/draws_1.csv" "$TMP/draws_2.csv")
at=$(sed -n 's/^mu = \([-0-9.e+]*\) .*at the posterior mean/\1/p' "$OUT")
if awk -v a="$at" -v b="$mean" 'BEGIN { exit !(a != "" && (a - b) ^ 2 < 1e-8 * (1 + b * b)) }'; then   # 6 digits
    pass ":eval at the posterior mean agrees with the saved draws ($mean)"
else
    fail ":eval mu at the mean '$at' vs the draws' mean '$mean'"
fi
rows=$(cat "$TMP/draws_1.csv" "$TMP/draws_2.csv" | grep -c '^-\?[0-9]')
[ "$rows" -eq 400 ] && pass ":save-draws wrote 400 rows" || fail ":save-draws rows: $rows"
if grep -q '^# method = sample' "$TMP/draws_1.csv" && grep -q '^lp__,accept_stat__,' "$TMP/draws_2.csv" && ! grep -q chain__ "$TMP/draws_1.csv"; then
    pass ":save-draws writes Stan CSV"
else
    fail ":save-draws is not Stan CSV"; head -30 "$TMP/draws_1.csv"
fi
if command -v Rscript >/dev/null && Rscript -e "suppressMessages(library(rstan)); f <- read_stan_csv(c('$TMP/draws_1.csv', '$TMP/draws_2.csv')); stopifnot(dim(as.array(f))[1:2] == c(200, 2)); cat('ok\n')" 2>&1 | grep -q '^ok$'; then
    pass ":save-draws: rstan reads the files"
else
    fail ":save-draws: rstan cannot read the files"
fi
if "$VRUN" --check "$TMP/saved.vmod" > /dev/null 2>&1 && grep -q '^mu ~ normal(0, 5);$' "$TMP/saved.vmod" && ! grep -q 'normal(0, 10)' "$TMP/saved.vmod"; then
    pass ":save writes the model with the replaced statement"
else
    fail ":save / :replace"
fi
if [ $rc -eq 1 ] && grep -q 'statement 1 stays: the model needs it' "$OUT" && ! grep -q '1 + 1 = 2' "$OUT"; then
    pass "a refused :rm ends the script with status 1"
else
    fail ":rm of a needed statement (rc $rc)"
fi

# A user-defined function typed over several lines, listed and used (piped mode).
printf 'real twice(real x) {\n  return 2 * x;\n}\nparam real mu;\nmu ~ normal(twice(3), 1);\n:model\n:run --seed=1\n' \
    | "$VRUN" > "$TMP/fn.out" 2>&1
if grep -q '^  1  real twice(real x) {' "$TMP/fn.out" && grep -Eq '^mu +(5\.[89]|6\.[01])' "$TMP/fn.out"; then
    pass "a function typed over several lines is one item of :model, and the run uses it"
else
    fail "function in the REPL"; cat "$TMP/fn.out"
fi

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed; last screen:"
    exit 1
fi
echo "all REPL checks passed"
