# Sourced by the MPI tests: Ctrl-C to mpirun once draws are being written, then
# check what every process left: each chain file with the same number of draws, the
# summary on stdout.  usage: interrupt_check DESC DIR CHAINS_EXPECTED vrun-args...
interrupt_check() {
    local desc=$1 dir=$2 want=$3; shift 3
    mkdir -p "$dir"
    (cd "$dir" && exec $MPIRUN -n 2 "$VRUN" "$@" >out 2>err) &
    local pid=$! n=0
    for _ in $(seq 1 600); do   # up to 60 s for the first hundred draws
        n=$(grep -vc '^#' "$dir/c_1.csv" 2>/dev/null); n=${n:-0}
        [ "$n" -gt 100 ] && break
        sleep 0.1
    done
    kill -INT "$pid"
    wait "$pid"
    local files rows
    files=$(ls "$dir"/c_*.csv 2>/dev/null | wc -l)
    rows=$(for f in "$dir"/c_*.csv; do grep -vc '^#' "$f"; done | sort -u | wc -l)
    if [ "$files" -eq "$want" ] && [ "$rows" -eq 1 ] && head -1 "$dir/out" | grep -q "^vrun .* draws"; then ok
    else bad "$desc: after Ctrl-C $files files (wanted $want), $rows distinct lengths, stdout: $(head -1 "$dir/out")"; cat "$dir/err"; fi
}
