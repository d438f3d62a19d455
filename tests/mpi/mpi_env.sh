# Sourced by the MPI tests: how to start mpirun here.  Root is allowed (CI runs as
# root), more ranks than cores are allowed (CI has 2), and under AddressSanitizer
# the leaks Open MPI keeps until exit are suppressed, nothing else.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # containers often forbid CMA
# Open MPI unloads its plugins at MPI_Finalize: only the slow unwinder still reaches
# a frame in libmpi/libopen-pal from their allocations, for the suppressions to match.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan.supp:print_suppressions=0
MPIRUN="mpirun --oversubscribe"
