#!/usr/bin/env bash
# Configures and builds build-san/: every target with AddressSanitizer (LeakSanitizer included) and
# UndefinedBehaviorSanitizer, plus libFuzzer's coverage, with clang 14 (cmake/sanitize.cmake). The
# tests (scripts/sanitize.sh) and the fuzz harnesses (scripts/fuzz.sh) both run from it. Arguments:
# the targets to build (default: all of them). Not the Python module (the interpreter would need the
# ASan runtime preloaded) nor mfrec-mpi (OpenMPI's own allocations read as leaks).
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang-14 CXX=clang++-14 cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DMFREC_SANITIZE=address,undefined \
  -DMFREC_FUZZ=ON -DMFREC_BENCH=OFF -DMFREC_CUDA=OFF -DMFREC_NATIVE=OFF \
  -DMFREC_PYTHON=OFF -DMFREC_MPI=OFF >/dev/null
cmake --build build-san -j"$(nproc)" ${1:+--target "$@"}
