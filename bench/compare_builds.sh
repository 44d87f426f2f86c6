#!/usr/bin/env bash
# Two builds of mfrec side by side (e.g. native against portable, scripts/check_portable.sh), on the
# same jobs, one after the other and alternating, ROUNDS times. Prints a markdown table: each job's
# training seconds (the epochs, median over rounds) in both builds, their ratio, and the test figure
# of each (the same model to rounding, or the builds differ in more than speed).
# Usage: bench/compare_builds.sh DATA_DIR MFREC_A MFREC_B [ROUNDS]
#   DATA_DIR: an ml-1m layout folder (e.g. ml-1m-half).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:?usage: $0 DATA_DIR MFREC_A MFREC_B [ROUNDS]}"
a="${2:?usage: $0 DATA_DIR MFREC_A MFREC_B [ROUNDS]}"
b="${3:?usage: $0 DATA_DIR MFREC_A MFREC_B [ROUNDS]}"
rounds="${4:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
configs="$root/bench/configs"

jobs=(
  "recipe fp32|"
  "recipe fp16|--precision fp16"
  "recipe bf16|--precision bf16"
  "sgd dim 64|--config $configs/ml1m-half-temporal-sgd.json"
  "als dim 64, 15 sweeps|--optimizer als --dim 64 --epochs 15 --reg 0.05"
  "ials dim 64, 15 sweeps|--config $configs/ml1m-half-topn.json"
  "bpr 20 epochs|--optimizer bpr --epochs 20"
  "mcmc dim 32, 60 sweeps|--optimizer mcmc --epochs 60 --burn_in 20"
)

# run PROGRAM ARGS: "train_seconds test_figure"
run() {
  local program="$1"; shift
  # shellcheck disable=SC2068
  "$program" train --data_path "$data" --output "$tmp/out" --quiet $@ >/dev/null
  python3 -c "
import json; m = json.load(open('$tmp/out/metrics.json'))
r = m.get('test_ranking')
print(round(m['train_seconds'], 3), f\"NDCG@10 {r['ndcg']:.4f}\" if m.get('objective') == 'ranking' else f\"RMSE {m['test_rmse']:.4f}\")"
}

echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores; $(date -u +%F)"
echo "A: $("$a" --version)"
echo "B: $("$b" --version)"
echo "data: $data; training seconds, median of $rounds alternating rounds"
echo
echo "| job | A s | B s | B / A | A test | B test |"
echo "|---|---|---|---|---|---|"
for job in "${jobs[@]}"; do
  name="${job%%|*}" args="${job#*|}"
  ta=() tb=()
  for ((r = 0; r < rounds; ++r)); do
    read -r s fa < <(run "$a" "$args"); ta+=("$s")
    read -r s fb < <(run "$b" "$args"); tb+=("$s")
  done
  ma=$(printf '%s\n' "${ta[@]}" | sort -g | sed -n "$(( (rounds + 1) / 2 ))p")
  mb=$(printf '%s\n' "${tb[@]}" | sort -g | sed -n "$(( (rounds + 1) / 2 ))p")
  echo "| $name | $ma | $mb | $(python3 -c "print(f'{$mb / $ma:.2f}')") | $fa | $fb |"
done
