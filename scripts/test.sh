#!/usr/bin/env bash
# The one command that builds mfrec and runs every test (GoogleTest through CTest). Real-data tests
# read ../shared/data when it is there and report themselves skipped otherwise; GPU tests (label
# `gpu`) skip where no GPU is present. Arguments go to ctest (e.g. -L unit, -R Reader). Then
# scripts/check_install.sh installs the build and builds examples/ against it, scripts/sanitize.sh
# runs the tests again under AddressSanitizer and UndefinedBehaviorSanitizer (same arguments),
# scripts/check_portable.sh builds and checks the portable build (-DMFREC_NATIVE=OFF), and
# scripts/fuzz.sh runs each fuzz harness for a short while from its seed corpus. Each stage's wall
# time is printed as it ends, so that a slow CI run says where its time went.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  echo "== test.sh: $name took $((SECONDS - start)) s (${SECONDS} s in all)"
}
stage "installing dependencies" scripts/install_deps.sh
stage "the build" scripts/build.sh
stage "ctest" bash -c 'cd build && exec ctest --output-on-failure -j2 "$@"' ctest "$@"
stage "the install check" scripts/check_install.sh
stage "the sanitizer build and its tests" scripts/sanitize.sh "$@"
stage "the portable build" scripts/check_portable.sh
stage "fuzzing" scripts/fuzz.sh 25
