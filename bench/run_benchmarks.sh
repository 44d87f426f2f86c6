#!/usr/bin/env bash
# Produces the CPU tables of BENCHMARKS.md: engines (updates/s, seconds per epoch, test RMSE, peak
# RSS) for 1 and 2 threads on the generated ML-1M-shaped set, ml-1m-half and ml-100k; accuracy with
# the settings in bench/configs; storage precision; and the Google Benchmark micro-benchmarks.
# Usage: bench/run_benchmarks.sh [DATA_DIR]   (DATA_DIR holds ml-1m-half/ and ml-100k/; default ../shared/data)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data}"
mfrec="${MFREC:-$root/build/mfrec}"
bench="${MFREC_BENCH:-$root/build/bench/mfrec_bench}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
synth="$tmp/synth-ml1m"
"$mfrec" synth --out "$synth" >/dev/null

metric() { $py -c "import json; m=json.load(open('$1/metrics.json')); print($2)"; }

# row LABEL ARGS...: one training run, one table row (peak RSS from /usr/bin/time).
row() {
  local label="$1"; shift
  local out="$tmp/run"
  rm -rf "$out"
  /usr/bin/time -f "%M" -o "$tmp/rss" "$mfrec" train --quiet --output "$out" "$@" >/dev/null
  local rss; rss=$(awk '{printf "%.1f", $1 / 1024}' "$tmp/rss")
  echo "| $label | $(metric "$out" "round(m['samples_per_second'] / 1e6, 1)") | $(metric "$out" "round(m['train_seconds'] / m['epochs'], 4)") | $(metric "$out" "round(m['test_rmse'], 4)") | $rss |"
}

echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores, $(date -u +%F)"
echo
echo "### Engines (dim 32)"
echo
echo "| data, engine, threads | M updates/s | s/epoch | test RMSE | peak RSS MB |"
echo "|---|---|---|---|---|"
for t in 1 2; do
  row "generated ML-1M-shaped (800k train), adam, $t" --data_path "$synth" --split random --val_ratio 0 --epochs 10 --threads "$t"
  row "generated ML-1M-shaped (800k train), sgd lr 0.05 reg 0.05, $t" --data_path "$synth" --split random --val_ratio 0 --optimizer sgd --lr 0.05 --reg 0.05 --epochs 10 --threads "$t"
  row "generated ML-1M-shaped (800k train), als reg 0.05, $t" --data_path "$synth" --split random --val_ratio 0 --optimizer als --reg 0.05 --epochs 5 --threads "$t"
  row "generated ML-1M-shaped (800k train), mcmc 10 sweeps (speed; 5 averaged), $t" --data_path "$synth" --split random --val_ratio 0 --optimizer mcmc --epochs 10 --burn_in 5 --threads "$t"
done
if [ -d "$data/ml-1m-half" ]; then
  for t in 1 2; do
    row "ml-1m-half temporal, adam (recipe, 100 epochs), $t" --data_path "$data/ml-1m-half" --threads "$t"
    row "ml-1m-half temporal, sgd (bench/configs), $t" --data_path "$data/ml-1m-half" --config "$root/bench/configs/ml1m-half-temporal-sgd.json" --threads "$t"
    row "ml-1m-half temporal, als reg 0.05, 10 sweeps, $t" --data_path "$data/ml-1m-half" --optimizer als --reg 0.05 --epochs 10 --threads "$t"
  done
fi
if [ -d "$data/ml-100k" ]; then
  for t in 1 2; do
    row "ml-100k u1, adam (recipe), $t" --data_path "$data/ml-100k" --split files --train u1.base --test u1.test --threads "$t"
    row "ml-100k u1, sgd (bench/configs), $t" --data_path "$data/ml-100k" --split files --train u1.base --test u1.test --config "$root/bench/configs/ml100k-u-sgd.json" --threads "$t"
  done
fi

if [ -d "$data/ml-1m-half" ] && [ -d "$data/ml-100k" ]; then
  echo
  echo "### Accuracy with bench/configs"
  echo
  echo "| protocol | engine | command | test RMSE | training s |"
  echo "|---|---|---|---|---|"
  # accuracy ENGINE SUFFIX: the three protocols with bench/configs/<protocol><SUFFIX>.json
  accuracy() {
    local engine="$1" sfx="$2"
    "$mfrec" train --quiet --output "$tmp/a1" --data_path "$data/ml-1m-half" --split random --test_ratio 0.1 --config "$root/bench/configs/ml1m-half-random$sfx.json" >/dev/null
    echo "| ml-1m-half random 90/10 | $engine | \`mfrec train --data_path ml-1m-half --split random --test_ratio 0.1 --config bench/configs/ml1m-half-random$sfx.json\` | $(metric "$tmp/a1" "round(m['test_rmse'], 4)") | $(metric "$tmp/a1" "round(m['train_seconds'], 2)") |"
    "$mfrec" train --quiet --output "$tmp/a2" --data_path "$data/ml-1m-half" --config "$root/bench/configs/ml1m-half-temporal$sfx.json" >/dev/null
    echo "| ml-1m-half temporal 80/20 | $engine | \`mfrec train --data_path ml-1m-half --config bench/configs/ml1m-half-temporal$sfx.json\` | $(metric "$tmp/a2" "round(m['test_rmse'], 4)") | $(metric "$tmp/a2" "round(m['train_seconds'], 2)") |"
    local sum=0 secs=0 folds=""
    for k in 1 2 3 4 5; do
      "$mfrec" train --quiet --output "$tmp/u$k" --data_path "$data/ml-100k" --split files --train "u$k.base" --test "u$k.test" --config "$root/bench/configs/ml100k-u$sfx.json" >/dev/null
      local r; r=$(metric "$tmp/u$k" "m['test_rmse']")
      folds="$folds $(printf '%.4f' "$r")"
      sum=$(awk -v a="$sum" -v b="$r" 'BEGIN {print a + b}')
      secs=$(awk -v a="$secs" -v b="$(metric "$tmp/u$k" "m['train_seconds']")" 'BEGIN {print a + b}')
    done
    echo "| ml-100k u1..u5 mean (folds:$folds) | $engine | \`mfrec train --data_path ml-100k --split files --train uK.base --test uK.test --config bench/configs/ml100k-u$sfx.json\` | $(awk -v s="$sum" 'BEGIN {printf "%.4f", s / 5}') | $(awk -v s="$secs" 'BEGIN {printf "%.2f per fold", s / 5}') |"
  }
  accuracy sgd "-sgd"
  accuracy mcmc ""

  echo
  echo "### Storage precision (ml-1m-half temporal, the recipe: adam, 100 epochs)"
  echo
  echo "| precision | test RMSE | factor bytes | checkpoint bytes |"
  echo "|---|---|---|---|"
  for p in fp32 bf16 fp16; do
    "$mfrec" train --quiet --output "$tmp/p-$p" --data_path "$data/ml-1m-half" --precision "$p" >/dev/null
    echo "| $p | $(metric "$tmp/p-$p" "round(m['test_rmse'], 4)") | $(metric "$tmp/p-$p" "m['model_bytes']") | $(stat -c %s "$tmp/p-$p/model.mfrec") |"
  done
fi

echo
echo "### Micro-benchmarks (Google Benchmark)"
echo
echo '```'
"$bench" --benchmark_min_time=0.5 2>&1 | grep -E '^(BM_|Benchmark|-)'
echo '```'
