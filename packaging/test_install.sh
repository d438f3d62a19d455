#!/usr/bin/env bash
# `meson install --destdir`: every file where a Debian user looks for it, the man page
# renders, the installed vrun runs a model, and a C program built with the installed
# header and `pkg-config vmod` loads a model and evaluates its log density.
# usage: test_install.sh MESON BUILD_DIR SRC_DIR SANITIZE
set -u
MESON=$1; BUILD=$2; SRC=$3; SAN=$4
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
D=$T/dest
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
"$MESON" install -C "$BUILD" --no-rebuild --destdir "$D" >"$T/log" 2>&1 || { cat "$T/log"; echo "meson install failed"; exit 1; }
prefix=$("$MESON" introspect "$BUILD" --buildoptions | python3 -c "import json, sys; print([o['value'] for o in json.load(sys.stdin) if o['name'] == 'prefix'][0])")
libdir=$("$MESON" introspect "$BUILD" --buildoptions | python3 -c "import json, sys; print([o['value'] for o in json.load(sys.stdin) if o['name'] == 'libdir'][0])")
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
P=$D$prefix
for f in bin/vrun share/man/man1/vrun.1 include/vmod/vmod.h include/vmod/graph.h share/doc/vmod/README.md share/doc/vmod/nuts.md \
         share/doc/vmod/repl.md; do
    if [ -f "$P/$f" ]; then ok; else bad "not installed: $prefix/$f"; fi
done
for f in libvmod.so pkgconfig/vmod.pc; do
    if [ -e "$D$libdir/$f" ]; then ok; else bad "not installed: $libdir/$f"; fi
done
if [ -e "$P/share/doc/vmod/vrun.1" ] || [ -e "$P/bin/bench_parse" ]; then bad "installed what it should not"; else ok; fi
if man -l "$P/share/man/man1/vrun.1" 2>/dev/null | grep -q "^EXIT STATUS" || groff -man -Tascii "$P/share/man/man1/vrun.1" 2>/dev/null | grep -q "EXIT STATUS"; then ok
else bad "man page does not render"; fi
if "$P/bin/vrun" "$SRC/examples/eight_schools.vmod" --quiet --draws=100 --warmup=100 2>/dev/null | grep -q "^mu "; then ok
else bad "installed vrun does not run"; fi

# a binding's view: header + pkg-config + the shared library
cat >"$T/use.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vmod.h>
#include <graph.h>
int main(void)
{
    const char *src = "param real x;\nx ~ normal(1, 2);\n";
    char *msg = NULL;
    VmModel *m = vm_model_load(src, strlen(src), "t.vmod", NULL, NULL, &msg);
    if (!m) { printf("load: %s\n", msg ? msg : "?"); return 1; }
    VmEval *e = vm_eval_new(m);
    double u = 0.5, lp, g;
    if (vm_model_dim(m) != 1 || vm_log_density(e, &u, 1, &lp, &g) != 0) return 2;
    /* normal(0.5 | 1, 2): -log(2 sqrt(2 pi)) - 0.25^2 / 2 */
    double want = -log(2 * sqrt(2 * M_PI)) - 0.03125;
    printf("%.12f %.12f %.12f\n", lp, want, g);
    /* the model graph: one parameter, one factor on it */
    VgGraph *gr = vg_new(m);
    if (!gr || vg_nparams(gr) != 1 || vg_nfactors(gr) != 1 || vg_factor(gr, 0)->variate != 0) return 4;
    vg_free(gr);
    vm_eval_free(e);
    vm_model_free(m);
    return fabs(lp - want) < 1e-12 && fabs(g - 0.125) < 1e-12 ? 0 : 3;
}
C
flags=$(PKG_CONFIG_PATH="$D$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D" pkg-config --cflags --libs vmod 2>"$T/pc.err")
if [ -n "$flags" ]; then ok; else bad "pkg-config vmod"; cat "$T/pc.err"; fi
san=""
[ "$SAN" != "none" ] && [ -n "$SAN" ] && san="-fsanitize=$SAN"
if cc -std=c11 -D_GNU_SOURCE $san "$T/use.c" $flags -lm -o "$T/use" 2>"$T/cc.err"; then ok; else bad "compiling against the installed API"; cat "$T/cc.err"; fi
if [ -x "$T/use" ] && LD_LIBRARY_PATH="$D$libdir" ASAN_OPTIONS=detect_leaks=0 "$T/use" >"$T/use.out" 2>&1; then ok
else bad "the installed library: wrong log density"; cat "$T/use.out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
