#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, fuzz/) in build-fuzz/ and runs each for SECONDS (default 60)
# on a scratch copy of its seed corpus in fuzz/corpus/<name>/ (the repository's corpus stays small).
# Fails on the first harness that crashes; its input is left as build-fuzz/artifacts/<harness>/crash-*.
# Not part of CI. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
harnesses=(fuzz_ratings fuzz_checkpoint fuzz_config)

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DMFREC_FUZZ=ON -DMFREC_TESTS=OFF -DMFREC_BENCH=OFF \
  -DMFREC_NATIVE=OFF -DMFREC_CUDA=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export OMP_NUM_THREADS=1
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  mkdir -p "$scratch/$name" "build-fuzz/artifacts/$h"
  cp fuzz/corpus/"$name"/* "$scratch/$name/"
  echo "== $h: ${seconds}s"
  if ! "build-fuzz/fuzz/$h" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$h/" "$scratch/$name" 2>"$scratch/$h.log"; then
    tail -n 60 "$scratch/$h.log"
    echo "fuzz.sh: $h crashed; the input is in build-fuzz/artifacts/$h/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|Done [0-9]+ runs' "$scratch/$h.log" || true
done
echo "fuzz.sh: no crash in ${#harnesses[@]} harnesses x ${seconds}s"
