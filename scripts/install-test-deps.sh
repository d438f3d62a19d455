#!/usr/bin/env bash
# Installs what the tests need beyond building and running (scripts/install-deps.sh):
# R's posterior and rstan, against which summaries and Stan CSV files are checked, and
# groff for the man page's test.
# scripts/test-all.sh runs it.  Safe to run again.
set -euo pipefail
pkgs=(r-cran-posterior r-cran-rstan r-cran-bh groff-base jq)
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-test-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
