#!/usr/bin/env bash
# Hostile input and faults, from the outside (issue "faults and hostile input"): each
# block is one defect's reproducer and what must happen instead.  Never a crash (a
# status above 128 that is not an interrupt's), never a damaged file.
# usage: test_faults.sh VRUN SRC_DIR
set -u
VRUN=$1; SRC=$2
case $VRUN in /*) ;; *) VRUN=$PWD/$VRUN ;; esac
case $SRC in /*) ;; *) SRC=$PWD/$SRC ;; esac
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
run() { "$@" >"$T/out" 2>"$T/err"; st=$?; }
want() {            # status desc
    if [ "$st" -eq "$1" ]; then ok; else bad "$2: exit $st, wanted $1"; head -c 2000 "$T/err"; fi
}
err_has() { if grep -qF -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks '$1'"; head -c 2000 "$T/err"; fi; }
out_has() { if grep -qF -- "$1" "$T/out"; then ok; else bad "$2: stdout lacks '$1'"; head -c 2000 "$T/out"; fi; }
# every line that is not a comment has the header's number of fields
whole_rows() {
    local f=$1 desc=$2
    if [ ! -s "$f" ]; then bad "$desc: $f missing or empty"; return; fi
    if awk -F, '!/^#/ { if (n == 0) n = NF; else if (NF != n) bad = 1 } END { exit bad || n == 0 }' "$f"; then ok
    else bad "$desc: $f has rows of different widths"; fi
}
Q="--quiet --draws=50 --warmup=50"
asan=0; grep -q __asan_init "$VRUN" && asan=1

printf 'param real x;\nx ~ normal(0, 1);\n' > ok.vmod
# slow enough per draw (2000 terms) that a run is still going when a signal comes
printf 'param real x;\nfor (k in 1:2000) target += -0.5 * square(x) / 2000;\n' > slow.vmod
printf 'data int N;\nparam real x;\nx ~ normal(0, 1);\n' > n.vmod

# 1. sizes: a product that overflows, from the data, named before any allocation
printf 'data int N;\nparam array[N, N, N, N] real z;\nparam real x;\nx ~ normal(z[5,5,5,5], 1);\n' > big.vmod
echo '{"N": 65536}' > big.json
run "$VRUN" big.vmod --data big.json $Q; want 1 "1 param size overflow"
err_has "param 'z': its size 65536 x 65536 x 65536 x 65536 is more than the limit" "1 param size message"
printf 'data int N;\nlet array[N, N, N, N] real z;\nz[1,1,1,2] = 1;\nparam real x;\nx ~ normal(0, 1);\n' > biglet.vmod
run "$VRUN" biglet.vmod --data big.json $Q; want 1 "1 let size overflow"
err_has "biglet.vmod:2:1: error: 'z' of size 65536 x 65536 x 65536 x 65536 would have more than the limit" "1 let size message"
printf 'data int N;\nlet a = rep_array(1.0, N, N, N);\nparam real x;\nx ~ normal(0, 1);\n' > bigexpr.vmod
echo '{"N": 5000}' > big5k.json
run "$VRUN" bigexpr.vmod --data big5k.json $Q; want 1 "1 expression size overflow"
err_has "bigexpr.vmod:2:1: error: a value of size 5000 x 5000 x 5000 has more than the limit" "1 expression size message"

# 2. prior-predictive's failure explanation reads the model's evaluator, not its own state
printf 'param real x;\nx ~ normal(0, -1);\n' > negsd.vmod
run "$VRUN" negsd.vmod --method=prior-predictive --quiet; want 2 "2 prior-predictive failure"
err_has "negsd.vmod:2:1: error: normal_lpdf: scale is -1, but must be positive" "2 prior-predictive reason"
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/err"; then bad "2: garbage bytes in the message"; else ok; fi

# 3. pipes, FIFOs and /dev/stdin as model and data
run "$VRUN" <(cat ok.vmod) $Q --chains=1; want 0 "3 model from a pipe"
out_has "x " "3 model from a pipe has x"
cat ok.vmod | "$VRUN" /dev/stdin $Q --chains=1 >"$T/out" 2>"$T/err"; st=$?; want 0 "3 model from /dev/stdin"
out_has "x " "3 model from /dev/stdin has x"
run "$VRUN" n.vmod --data <(echo '{"N": 3}') $Q --chains=1; want 0 "3 data from a pipe"
mkfifo fifo.json; (timeout 60 sh -c "echo '{\"N\": 3}' > fifo.json" >/dev/null 2>&1 &)
run "$VRUN" n.vmod --data fifo.json $Q --chains=1; want 0 "3 data from a FIFO"

# 4. directories and /dev/null as input
mkdir adir
run "$VRUN" adir $Q; want 1 "4 directory as model"; err_has "adir: error: the model file is a directory" "4 directory model message"
run "$VRUN" --check adir; want 1 "4 --check directory"
run "$VRUN" n.vmod --data adir $Q; want 1 "4 directory as data"; err_has "the data file is a directory" "4 directory data message"
printf 'param real x;\nx ~ normal(0, 1);\n:load %s\n' "$T/adir" > s1.txt
run "$VRUN" --script s1.txt; want 1 "4 :load directory"; err_has "the model file is a directory" "4 :load directory message"
printf 'param real x;\nx ~ normal(0, 1);\n:load /dev/null\n' > s2.txt
run "$VRUN" --script s2.txt; want 1 "4 :load /dev/null"; err_has "no statements in the file; the model is unchanged" "4 :load /dev/null message"

# 5. an output equal to an input, or to another output, before anything is written
cp ok.vmod m5.vmod; echo '{"N": 3}' > d5.json; cp m5.vmod m5.orig; cp d5.json d5.orig
printf 'data int N;\nparam real x;\nx ~ normal(0, 1);\n' > m5n.vmod
run "$VRUN" m5.vmod $Q --chains=1 --output=m5.vmod; want 1 "5 --output = model"; err_has "which is the model file" "5 output=model message"
run "$VRUN" m5n.vmod --data d5.json $Q --chains=1 --output=./d5.json; want 1 "5 --output = data"
run "$VRUN" m5n.vmod --data d5.json $Q --summary=d5.json; want 1 "5 --summary = data"
if cmp -s m5.vmod m5.orig && cmp -s d5.json d5.orig; then ok; else bad "5: an input was changed"; fi
run "$VRUN" m5.vmod $Q --chains=1 --output=x.csv --summary=x.csv; want 1 "5 --output = --summary"
err_has "both name x.csv" "5 two outputs message"
[ -e x.csv ] && bad "5: x.csv written although refused" || ok

# 6. dsm network sizes
BB=$SRC/examples/beta_binomial.vmod
run "$VRUN" "$BB" --method=dsm --hidden=100000 --quiet; want 1 "6 dsm --hidden huge"; err_has "lower --hidden" "6 dsm hidden message"
printf 'vmod-dsm 1 1000000 1000000 3\n' > huge.net
run "$VRUN" "$BB" --method=dsm --load-net=huge.net --quiet; want 1 "6 dsm huge network file"
printf 'vmod-dsm 1 1 2 1\n1\n0 1\n0 1\n0 1\nvmod-nn 1 2 4 50000 50000 1\n' > huge2.net
run "$VRUN" "$BB" --method=dsm --load-net=huge2.net --quiet; want 1 "6 dsm huge layers in the file"

# 7. logprob: valid JSON whatever the values; non-numbers refused
printf 'param real x;\nx ~ normal(0, 1);\ntarget += log(x);\n' > lpi.vmod
echo '[-1]' > at1.json
run "$VRUN" lpi.vmod --method=logprob --at-unconstrained=at1.json; want 0 "7 logprob at -inf"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lp"] == "-Inf"' "$T/out"; then ok; else bad "7: logprob JSON invalid or lp not \"-Inf\""; cat "$T/out"; fi
echo '["x"]' > at2.json
run "$VRUN" lpi.vmod --method=logprob --at-unconstrained=at2.json; want 1 "7 non-number in --at-unconstrained"
err_has "element 1 of the unconstrained point is not a finite number" "7 non-number message"

# 8. two runs on one --output: the second is refused before it truncates anything,
# or runs after the first; either way each file is one run's, whole
printf 'param real x;\nparam real y;\nx ~ normal(0, 1);\ny ~ normal(0, 1);\n' > two.vmod
"$VRUN" ok.vmod --quiet --draws=20000 --warmup=100 --chains=2 --threads=1 --output=same.csv >/dev/null 2>"$T/err1" &
p1=$!
sleep 0.5
"$VRUN" two.vmod --quiet --draws=20000 --warmup=100 --chains=2 --threads=1 --output=same.csv >/dev/null 2>"$T/err2" &
p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
if [ "$s1" -eq 0 ] && { [ "$s2" -eq 0 ] || grep -q "another run is writing it" "$T/err2"; }; then ok
else bad "8 concurrent runs: exits $s1 $s2"; cat "$T/err1" "$T/err2"; fi
whole_rows same_1.csv "8 concurrent runs, chain 1"; whole_rows same_2.csv "8 concurrent runs, chain 2"

# 9. output integrity
run "$VRUN" ok.vmod $Q --output=; want 1 "9 empty --output"; err_has "--output needs a file name" "9 empty output message"
run "$VRUN" ok.vmod $Q --output=/dev/full; want 1 "9 /dev/full with 4 chains"
[ -e /dev/full_1 ] && bad "9: /dev/full_1 created" || ok
run "$VRUN" ok.vmod $Q --chains=1 --output=/dev/full; want 1 "9 /dev/full"; err_has "No space left on device" "9 /dev/full message"
if [ "$asan" = 0 ]; then   # a file size limit: the write fails inside a row
    (trap '' XFSZ; ulimit -f 16; "$VRUN" ok.vmod --quiet --chains=1 --draws=5000 --output=full.csv >/dev/null 2>"$T/err"); st=$?
    want 2 "9 disk full"; whole_rows full.csv "9 disk full: whole rows"
fi
cp ok.vmod $'a\nb.vmod'
run "$VRUN" $'a\nb.vmod' $Q --chains=1 --output=nl.csv; want 0 "9 newline in the model name"
if grep -q '^b\.vmod' nl.csv; then bad "9: the model name's newline started a line"; else ok; fi
whole_rows nl.csv "9 newline in the model name: whole rows"
"$VRUN" slow.vmod --chains=2 --threads=1 --draws=2000000 --warmup=10 --output=term.csv >"$T/out" 2>"$T/err" &
p=$!; sleep 2; kill -TERM $p; wait $p; st=$?
want 143 "9 SIGTERM"; out_has "interrupted:" "9 SIGTERM summary"; err_has "interrupted by SIGTERM" "9 SIGTERM message"
whole_rows term_1.csv "9 SIGTERM: whole rows"
if grep -q "Elapsed Time" term_1.csv; then ok; else bad "9 SIGTERM: no timing block"; fi
[ -e term_2.csv ] && bad "9 SIGTERM: a file for the chain not started" || ok

# 10. allocation before validation; unbounded reads
printf 'data int N;\ndata int M;\ndata matrix[N, M] X;\nparam real x;\nx ~ normal(0, 1);\n' > mat.vmod
echo '{"N": 46341, "M": 46341, "X": []}' > mat1.json
run "$VRUN" mat.vmod --data mat1.json $Q; want 1 "10 matrix size beyond the limit"; err_has "data 'X': its size 46341 x 46341" "10 size message"
echo '{"N": 10000, "M": 10000, "X": []}' > mat2.json
if [ "$asan" = 0 ]; then (ulimit -v 400000; "$VRUN" mat.vmod --data mat2.json $Q >"$T/out" 2>"$T/err"); st=$?
else run "$VRUN" mat.vmod --data mat2.json $Q; fi
want 1 "10 shape before allocation"; err_has "data 'X': expected 10000 elements, found 0" "10 shape message"
run "$VRUN" ok.vmod $Q --init=/dev/zero; want 1 "10 --init=/dev/zero"; err_has "larger than the limit" "10 /dev/zero message"
run "$VRUN" ok.vmod --data /dev/zero $Q; want 1 "10 --data=/dev/zero"

# 11. nesting far from the stack's end
python3 -c "n=5000; print('param real x;\nx ~ normal(0, 1);\n' + '{' * n + '}' * n)" > deep.vmod
run "$VRUN" --check deep.vmod; want 1 "11 deep nesting"; err_has "nested too deeply" "11 deep nesting message"
python3 -c "n=400; print('param real x;\nx ~ normal(0, 1);\n' + '{' * n + 'target += 0;' + '}' * n)" > deep2.vmod
run "$VRUN" deep2.vmod $Q --chains=1; want 0 "11 400 levels run"

# 12. a failing gen keeps the parameters and names itself
printf 'param real x;\nx ~ normal(0, 1);\ngen real y = normal_rng(0, x);\n' > gen.vmod
run "$VRUN" gen.vmod $Q --chains=1 --draws=200 --output=gen.csv; want 0 "12 failing gen"
if awk -F, '!/^#/ && !/^lp__/ && $8 == "nan" { bad = 1 } END { exit bad }' gen.csv; then ok; else bad "12: x is NaN in a draw whose gen failed"; fi
out_has "the first failure (chain 1): gen.vmod:3:14: error: normal_rng: scale is" "12 failure named"
if grep -E '^x ' "$T/out" | grep -q NA; then bad "12: x's summary is NA"; else ok; fi

# 13. interrupts: a density loop stops at Ctrl-C; the REPL survives two
printf 'param real x;\nx ~ normal(0, 1);\nwhile (x > 1.5) { }\n' > spin.vmod
"$VRUN" spin.vmod --chains=1 --draws=2000000 --quiet --output=spin.csv >"$T/out" 2>"$T/err" &
p=$!; sleep 2; kill -INT $p; s0=$SECONDS; wait $p; st=$?
want 130 "13 Ctrl-C in a density loop"
[ $((SECONDS - s0)) -le 10 ] && ok || bad "13: took $((SECONDS - s0)) s to stop"
whole_rows spin.csv "13 Ctrl-C: whole rows"
mkfifo repl.in
"$VRUN" --script /dev/stdin <repl.in >"$T/out" 2>"$T/err" &
p=$!
exec 7<>repl.in   # read-write: the open does not wait for a reader
printf 'param real x;\nfor (k in 1:2000) target += -0.5 * square(x) / 2000;\n:run nuts --chains=1 --draws=2000000 --quiet\n' >&7
sleep 3; kill -INT $p; sleep 0.2; kill -INT $p
exec 7>&-
wait $p; st=$?
err_has "stopped at the input on line 3" "13 REPL after two Ctrl-C"
out_has "interrupted: kept" "13 REPL kept the draws"

# 14. low
echo '{"N": 3, "N": 4}' > dup.json
run "$VRUN" n.vmod --data dup.json $Q; want 1 "14 duplicate keys"; err_has "duplicate object key" "14 duplicate message"
run "$VRUN" ok.vmod --method=bbvi --lr=-1 --quiet; want 1 "14 --lr=-1"; err_has "--lr expects a positive number" "14 lr message"
run "$VRUN" "$BB" --method=dsm --epochs=0 --quiet; want 1 "14 dsm --epochs=0"
printf 'data int N;\nparam real x;\nx ~ normal(0, 1);\nfor (n in -2147483647:N) target += 0;\n' > vl.vmod
run "$VRUN" vl.vmod --data <(echo '{"N": -2147483640}') $Q --chains=1; want 0 "14 loop range beyond an int"
echo '{"N": -2147483648}' > dmin.json
run "$VRUN" n.vmod --data dmin.json $Q; want 1 "14 int minimum"; err_has "outside the int range -2147483647 to 2147483647" "14 int range message"
echo '{"N": -1}' > neg.json
printf 'data int N;\nparam vector[N] x;\nx ~ normal(0, 1);\n' > negv.vmod
run "$VRUN" negv.vmod --data neg.json $Q; want 1 "14 negative size"
# a layout that fails at its second parameter frees the names made for the first
# (found by the fuzz smoke stage of CI: a leak, seen only under ASan)
printf 'param real v;\nparam vector[---9] x;\nv ~ normal(0, 3);\nx ~ normal(0, exp(v / 2));\n' > neg2.vmod
run "$VRUN" neg2.vmod $Q; want 1 "14 negative size of a second parameter"; err_has "param 'x': size -9 is negative" "14 second parameter message"

# out of memory while loading: a message and status 2, not an abort (runtime/alloc.h)
if [ "$asan" = 0 ]; then
    printf 'data int N;\nlet vector[N] v = rep_vector(0, N);\nparam real x;\nx ~ normal(sum(v), 1);\n' > oom.vmod
    echo '{"N": 200000000}' > oom.json
    (ulimit -v 800000; "$VRUN" oom.vmod --data oom.json --quiet >"$T/out" 2>"$T/err"); st=$?
    want 2 "out of memory at load"; err_has "out of memory while loading oom.vmod" "out of memory message"
fi

# found by fuzz_run: the matrix-constrained parameters handed K*K to transforms that
# take K (a heap overflow under ASan, garbage without it)
printf 'param cov_matrix[2] S;\nS ~ wishart(4, [[1, 0], [0, 1]]);\n' > cov.vmod
run "$VRUN" cov.vmod --quiet --chains=2 --draws=1000 --seed=5; want 0 "fuzz cov_matrix runs"
m11=$(awk '$1 == "S.1.1" {print $2}' "$T/out")
if awk -v m="$m11" 'BEGIN { exit !(m > 3.3 && m < 4.7) }'; then ok; else bad "fuzz: E[S.1.1] = $m11 under wishart(4, I), wanted about 4"; fi
printf 'param cholesky_factor_corr[3] L;\nL ~ lkj_corr_cholesky(2);\n' > lkj.vmod
printf 'param corr_matrix[3] R;\nR ~ lkj_corr(2);\n' > corr.vmod
for f in cov lkj corr; do
    run "$VRUN" $f.vmod --method=diagnose --seed=2; want 0 "fuzz $f diagnose"; out_has "(ok)" "fuzz $f gradient"
done

# found by fuzz_run: bounds that cross at the load's first point (u = 0) left the later
# parameters unbound, and the output columns were sized from the first parameter
printf 'param real<lower=0, upper=2> a;\nparam real<lower=0, upper=(1 - a)> b;\nparam vector[4] x;\nx ~ normal(0, 1);\n' > cross.vmod
run "$VRUN" cross.vmod --quiet --chains=1 --draws=100 --output=cross.csv; want 0 "fuzz crossing bounds"
out_has "x.4 " "fuzz crossing bounds: every element of x in the summary"
if grep -q '^lp__.*,x\.4$' cross.csv; then ok; else bad "fuzz crossing bounds: the CSV lacks x.4"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
