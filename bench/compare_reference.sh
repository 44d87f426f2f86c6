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

# mfrec_run NAME ARGS...: trains, echoes "epochs_seconds loop_seconds rmse threads". The loop holds
# the epochs and the validation after each, as the reference's train_s does.
mfrec_run() {
  local name="$1"; shift
  "$mfrec" train --data_path "$data" --epochs "$epochs" --output "$tmp/$name" --quiet "$@" > "$tmp/$name.out"
  $py -c "import json,sys; m=json.load(open('$tmp/$name/metrics.json')); print(round(m['train_seconds'], 3), round(m['loop_seconds'], 3), round(m['test_rmse'], 4), m['options']['threads'])"
}
ref_run() {
  local name="$1"; shift
  $py "$ref" --data_path "$data" --epochs "$epochs" --threads "$threads" "$@" > "$tmp/$name.out"
  tail -1 "$tmp/$name.out" | $py -c "import json,sys; m=json.loads(sys.stdin.read()); print(m['train_s'], m['test_rmse'])"
}

echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores; $(date -u +%F)"
echo "data: $data, $epochs epochs, batch 512, dim 32, Adam lr 0.001, L2 1e-4"
read -r m_time m_loop m_rmse m_threads < <(mfrec_run temporal --split temporal)
read -r r_time r_rmse < <(ref_run ref-time --split time)
read -r m1_time m1_loop m1_rmse _ < <(mfrec_run temporal1 --split temporal --threads 1)
read -r mb_time mb_loop mb_rmse _ < <(mfrec_run bf16 --split temporal --precision bf16)
read -r mf_time mf_loop mf_rmse _ < <(mfrec_run fileorder --split fileorder --keep last)
read -r rf_time rf_rmse < <(ref_run ref-fileorder --split fileorder)
read -r mfb_time mfb_loop mfb_rmse _ < <(mfrec_run fileorder-best --split fileorder)
read -r mf1_time mf1_loop mf1_rmse _ < <(mfrec_run fileorder1 --split fileorder --keep last --threads 1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
row() {  # LABEL SPLIT EPOCHS_S LOOP_S RMSE REFERENCE_S
  echo "| $1 | $2 | $3 | $4 | $5 | $(ratio "$6" "$4")x | $(ratio "$6" "$3")x |"
}
echo
echo "Seconds: the epochs alone, and the epoch loop (the epochs and the validation after each, which is"
echo "what the reference's train_s holds). The speed-up is the reference's seconds over mfrec's loop"
echo "(like for like), and over its epochs alone."
echo
echo "| run | split | epochs s | loop s | test RMSE | reference s / loop s | reference s / epochs s |"
echo "|---|---|---|---|---|---|---|"
echo "| reference (PyTorch, $threads threads) | time (temporal) | | $r_time | $r_rmse | 1 | |"
row "mfrec adam fp32 (defaults: $m_threads threads here)" temporal "$m_time" "$m_loop" "$m_rmse" "$r_time"
row "mfrec adam fp32, --threads 1" temporal "$m1_time" "$m1_loop" "$m1_rmse" "$r_time"
row "mfrec adam bf16 (defaults)" temporal "$mb_time" "$mb_loop" "$mb_rmse" "$r_time"
echo "| reference (PyTorch, $threads threads) | fileorder | | $rf_time | $rf_rmse | 1 | |"
row "mfrec adam fp32 --keep last (as the reference)" fileorder "$mf_time" "$mf_loop" "$mf_rmse" "$rf_time"
row "mfrec adam fp32 --keep last, --threads 1" fileorder "$mf1_time" "$mf1_loop" "$mf1_rmse" "$rf_time"
row "mfrec adam fp32 (keeps the best epoch)" fileorder "$mfb_time" "$mfb_loop" "$mfb_rmse" "$rf_time"
