#!/usr/bin/env bash
# The one command that builds mfrec and runs every test (GoogleTest through CTest). Real-data tests
# read ../shared/data when it is there and report themselves skipped otherwise; GPU tests (label
# `gpu`) skip where no GPU is present. Arguments go to ctest (e.g. -L unit, -R Reader). Then
# scripts/check_install.sh installs the build and builds examples/ against it, scripts/sanitize.sh
# runs the tests again under AddressSanitizer and UndefinedBehaviorSanitizer (same arguments),
# scripts/check_portable.sh builds and checks the portable build (-DMFREC_NATIVE=OFF), and
# scripts/fuzz.sh runs each fuzz harness for a short while from its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j2 "$@"
cd ..
scripts/check_install.sh
scripts/sanitize.sh "$@"
scripts/check_portable.sh
scripts/fuzz.sh 25
