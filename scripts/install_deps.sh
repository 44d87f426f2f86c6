#!/usr/bin/env bash
# Installs what mfrec needs to build and test, from Debian's packages (run as root). Quick when
# everything is already there: it only calls apt-get for what is missing.
set -euo pipefail
packages=(g++ cmake make pkg-config
          libcli11-dev libfmt-dev nlohmann-json3-dev libeigen3-dev
          libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libarchive-dev
          libgtest-dev libgmock-dev libbenchmark-dev
          python3-dev pybind11-dev python3-numpy python3-pytest python3-pandas python3-scipy
          libopenmpi-dev openmpi-bin
          chromium
          # The sanitizer and fuzz build (scripts/sanitizer_build.sh): clang, its sanitizer and libFuzzer
          # runtimes, its OpenMP, and llvm-symbolizer for the stack traces.
          clang-14 libclang-rt-14-dev libomp-14-dev llvm-14)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
