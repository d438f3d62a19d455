# Sourced by the MPI tests: Ctrl-C to mpirun once draws are being written, then
# check what every process left: each chain file with the same number of draws, the
# summary on stdout saying it was interrupted.  Open MPI's mpirun answers Ctrl-C with
# SIGCONT to every process, SIGTERM odls_base_sigkill_timeout seconds later and
# SIGKILL as long again; pinned here to the default (1 s), so rank 0 must be done
# within 2 s.  usage: interrupt_check DESC DIR CHAINS_EXPECTED vrun-args...
export OMPI_MCA_odls_base_sigkill_timeout=1

# First draws of chain 1 in DIR (up to 60 s), for a signal to come mid-run.
wait_draws() {
    local n=0
    for _ in $(seq 1 600); do
        n=$(grep -vc '^#' "$1/c_1.csv" 2>/dev/null); n=${n:-0}
        [ "$n" -gt 100 ] && return 0
        sleep 0.1
    done
    return 1
}

interrupt_check() {
    local desc=$1 dir=$2 want=$3; shift 3
    mkdir -p "$dir"
    (cd "$dir" && exec $MPIRUN -n 2 "$VRUN" "$@" >out 2>err) &
    local pid=$!
    wait_draws "$dir"
    kill -INT "$pid"
    wait "$pid"
    local files rows
    files=$(ls "$dir"/c_*.csv 2>/dev/null | wc -l)
    rows=$(for f in "$dir"/c_*.csv; do grep -vc '^#' "$f"; done | sort -u | wc -l)
    if [ "$files" -eq "$want" ] && [ "$rows" -eq 1 ] && head -1 "$dir/out" | grep -q "^vrun .* draws" &&
       grep -q "^interrupted: " "$dir/out" && grep -q "interrupted by the MPI launcher" "$dir/err"; then ok
    else bad "$desc: after Ctrl-C $files files (wanted $want), $rows distinct lengths, stdout: $(head -1 "$dir/out")"
         grep interrupted "$dir/out"; cat "$dir/err"; fi
}

# Ctrl-Z to mpirun (it forwards SIGTSTP), 3 s later fg (SIGCONT): the SIGCONT that
# resumes the processes is not mpirun's notice of a kill, the run goes on to the end.
# usage: resume_check DESC DIR DRAWS vrun-args... (2 chains, --draws=DRAWS among the args)
resume_check() {
    local desc=$1 dir=$2 draws=$3; shift 3
    mkdir -p "$dir"
    (cd "$dir" && exec $MPIRUN -n 2 "$VRUN" "$@" >out 2>err) &
    local pid=$! st
    wait_draws "$dir"
    kill -TSTP "$pid"
    sleep 3   # stopped well over run_notice.c's 1 s
    kill -CONT "$pid"
    wait "$pid"
    st=$?
    if [ "$st" = 0 ] && head -1 "$dir/out" | grep -q "chains: 2 x $draws draws" &&
       ! grep -q "^interrupted" "$dir/out"; then ok
    else bad "$desc: status $st, stdout: $(head -1 "$dir/out")"; cat "$dir/err"; fi
}
