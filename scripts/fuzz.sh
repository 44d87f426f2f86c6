#!/usr/bin/env bash
# Runs the libFuzzer harnesses (fuzz/, built in build-san/ by scripts/sanitizer_build.sh) for SECONDS
# each (default 60), each on a scratch copy of its seed corpus fuzz/corpus/<name>/ (the repository's
# corpus stays small), with fuzz/<name>.dict when there is one. Every harness runs; if any finds a
# crash, a leak, a hang or runaway memory, the script names the input it saved (under
# build-san/fuzz-artifacts/<harness>/) and fails. Usage: scripts/fuzz.sh [SECONDS [HARNESS...]]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_ratings fuzz_dataset fuzz_binary_data fuzz_checkpoint fuzz_config fuzz_http)

scripts/sanitizer_build.sh "${harnesses[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export OMP_NUM_THREADS=1
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
failed=()
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  artifacts=build-san/fuzz-artifacts/$h
  mkdir -p "$scratch/$name" "$artifacts"
  cp fuzz/corpus/"$name"/* "$scratch/$name/"
  dict=()
  [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
  echo "== $h: ${seconds}s"
  before=$(ls "$artifacts" | wc -l)
  if ! "build-san/fuzz/$h" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "$scratch/$name" 2>"$scratch/$h.log" ||
      [ "$(ls "$artifacts" | wc -l)" != "$before" ]; then
    tail -n 80 "$scratch/$h.log"
    # Named here, and printed in base64 for a CI log that keeps no files (base64 -d > FILE restores it).
    for f in $(ls -t "$artifacts" | head -n 3); do
      echo "fuzz.sh: $h: saved input $artifacts/$f ($(stat -c %s "$artifacts/$f") bytes), base64:" >&2
      head -c 6000 "$artifacts/$f" | base64 >&2
    done
    failed+=("$h")
    continue
  fi
  grep -E '^#[0-9]+ +DONE|^stat::number_of_executed_units' "$scratch/$h.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]} (replay one: build-san/fuzz/HARNESS FILE)" >&2
  exit 1
fi
echo "fuzz.sh: no finding in ${#harnesses[@]} harnesses x ${seconds}s"
