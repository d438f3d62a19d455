#!/usr/bin/env bash
# Installs the Debian packages vmod needs to build and run (the tests' own, R and
# rstan, are scripts/install-test-deps.sh's).  Safe to run again: it only calls apt-get
# when something is missing.
set -euo pipefail
pkgs=(gcc clang pkg-config meson ninja-build re2c lemon libgsl-dev check libsubunit-dev
      libjansson-dev libedit-dev libopenblas-dev tmux
      libplplot-dev plplot-driver-cairo libpng-dev libxml2-dev
      libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
