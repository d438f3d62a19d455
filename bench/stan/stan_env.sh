# Sourced by bench/stan_shapes.sh and bench/stan_survey.sh (as "stan_env.sh SCRIPT"):
# R with rstan, or the script says so and stops (exit 0: figures, never pass/fail);
# src, build and budget from the script's arguments; stan_build, which makes a Stan
# program's C++ with rstan 2.21's stanc and compiles it with a harness, as rstan
# compiles models (g++ -O3 against StanHeaders, RcppEigen and Boost).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd); budget=${2:-0.4}
command -v Rscript >/dev/null && Rscript -e 'suppressMessages(library(rstan))' 2>/dev/null ||
    { echo "$(basename "$0"): needs R with rstan (apt-get install r-cran-rstan r-cran-bh)"; exit 0; }
inc() { Rscript -e "cat(system.file('include', package = '$1'))"; }
sh=$(inc StanHeaders); eig=$(inc RcppEigen)
CXXFLAGS=${CXXFLAGS:-"-O3 -march=native -DNDEBUG"}

# stan_build STAN_FILE OUT_PREFIX HARNESS_CPP OBJECT...: OUT_PREFIX.hpp and the program
# OUT_PREFIX, the harness including the model as STAN_MODEL_HPP
stan_build() {
    local stan=$1 out=$2 harness=$3 name
    shift 3
    name=$(basename "$out")
    Rscript -e "suppressMessages(library(rstan)); r <- stanc('$stan', model_name = '$name');
                writeLines(r\$cppcode, '$out.hpp')" >/dev/null
    # shellcheck disable=SC2086
    g++ -std=c++1y $CXXFLAGS -w -I"$src" -I"$sh" -I"$sh/src" -I"$eig" -I/usr/include/eigen3 \
        -DBOOST_DISABLE_ASSERTS -D_REENTRANT -DSTAN_MODEL_HPP="\"$out.hpp\"" \
        "$harness" "$@" \
        -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=aligned_alloc \
        -Wl,--wrap=posix_memalign -ltbb -lm -o "$out"
}
