#!/usr/bin/env bash
# Every test (GoogleTest through CTest) under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer, from build-san/ (scripts/sanitizer_build.sh). The first error ends the
# program that hit it with a stack trace, and its test fails; the programs the tests start (mfrec,
# mfrec-serve) are instrumented too, and exit 99 on an error, a code mfrec itself never uses.
# The real-data tests skip (they run the same code as the generated data, minutes longer under
# the sanitizers), and so do the ulimit -v ones (tests/memory_limits_test.cc). Arguments go to
# ctest (e.g. -R Serve).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/sanitizer_build.sh
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
export LSAN_OPTIONS=exitcode=99
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
export MFREC_TEST_NO_SHARED_DATA=1
cd build-san
ctest --output-on-failure -j2 "$@"
