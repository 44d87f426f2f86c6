#!/usr/bin/env bash
# mfrec against the model-zoo recipe's PyTorch re-expression, one after the other on this machine,
# on the same data and split rule. Prints a markdown table (times, test RMSE, speed-up ratios).
# Usage: bench/compare_reference.sh DATA_DIR REFERENCE_SCRIPT [EPOCHS]
#   DATA_DIR: an ml-1m layout folder (e.g. ml-1m-half); REFERENCE_SCRIPT: reference_mf_torch.py.
# Needs Debian's python3-torch and python3-numpy (apt-get install python3-torch python3-numpy).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:?usage: $0 DATA_DIR REFERENCE_SCRIPT [EPOCHS]}"
ref="${2:?usage: $0 DATA_DIR REFERENCE_SCRIPT [EPOCHS]}"
epochs="${3:-100}"
mfrec="${MFREC:-$root/build/mfrec}"
threads="$(nproc)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

# mfrec_run NAME ARGS...: trains, echoes "seconds rmse"
mfrec_run() {
  local name="$1"; shift
  "$mfrec" train --data_path "$data" --epochs "$epochs" --output "$tmp/$name" --quiet "$@" > "$tmp/$name.out"
  $py -c "import json,sys; m=json.load(open('$tmp/$name/metrics.json')); print(round(m['train_seconds'], 3), round(m['test_rmse'], 4))"
}
ref_run() {
  local name="$1"; shift
  $py "$ref" --data_path "$data" --epochs "$epochs" --threads "$threads" "$@" > "$tmp/$name.out"
  tail -1 "$tmp/$name.out" | $py -c "import json,sys; m=json.loads(sys.stdin.read()); print(m['train_s'], m['test_rmse'])"
}

echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores; $(date -u +%F)"
echo "data: $data, $epochs epochs, batch 512, dim 32, Adam lr 0.001, L2 1e-4"
read -r m_time m_rmse < <(mfrec_run temporal --split temporal)
read -r r_time r_rmse < <(ref_run ref-time --split time)
read -r mf_time mf_rmse < <(mfrec_run fileorder --split fileorder --keep last)
read -r rf_time rf_rmse < <(ref_run ref-fileorder --split fileorder)
read -r mfb_time mfb_rmse < <(mfrec_run fileorder-best --split fileorder)
read -r mb_time mb_rmse < <(mfrec_run bf16 --split temporal --precision bf16)
read -r m2_time m2_rmse < <(mfrec_run temporal2 --split temporal --threads 2)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
echo
echo "| run | split | training s | test RMSE | reference s / mfrec s |"
echo "|---|---|---|---|---|"
echo "| reference (PyTorch, $threads threads) | time (temporal) | $r_time | $r_rmse | 1 |"
echo "| mfrec adam fp32 (defaults: 1 thread) | temporal | $m_time | $m_rmse | $(ratio "$r_time" "$m_time")x |"
echo "| mfrec adam bf16 (1 thread) | temporal | $mb_time | $mb_rmse | $(ratio "$r_time" "$mb_time")x |"
echo "| mfrec adam fp32, --threads 2 (Hogwild) | temporal | $m2_time | $m2_rmse | $(ratio "$r_time" "$m2_time")x |"
echo "| reference (PyTorch, $threads threads) | fileorder | $rf_time | $rf_rmse | 1 |"
echo "| mfrec adam fp32 --keep last (as the reference) | fileorder | $mf_time | $mf_rmse | $(ratio "$rf_time" "$mf_time")x |"
echo "| mfrec adam fp32 (keeps the best epoch) | fileorder | $mfb_time | $mfb_rmse | $(ratio "$rf_time" "$mfb_time")x |"
