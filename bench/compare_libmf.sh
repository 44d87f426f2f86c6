#!/usr/bin/env bash
# mfrec's `sgd` against LIBMF (cjlin1/libmf, built with its own Makefile) on the same train/test
# files, one after the other on the same threads: the whole process on each side (mfrec: load,
# train, evaluate, checkpoint; LIBMF: mf-train, then mf-predict on the test file), wall seconds,
# peak resident memory (GNU time) and test RMSE, and the ratios.
# Usage: bench/compare_libmf.sh DATA LIBMF_DIR
#   DATA: anything `mfrec split` reads (e.g. a `mfrec synth` folder); LIBMF_DIR: holds mf-train and
#   mf-predict (this script builds nothing).
# Env: MFREC (the program), THREADS (2), EPOCHS (10), DIM (32), TEST_RATIO (0.1), KEEP=1 keeps the
#   files, PARTS (a folder KEEP=1 left: its train.txt and test.txt are used, DATA is not split again),
#   ENGINES (more mfrec engines on the same files, with their defaults, e.g. "als ials").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:?usage: $0 DATA LIBMF_DIR}"
libmf="${2:?usage: $0 DATA LIBMF_DIR}"
mfrec="${MFREC:-$root/build/mfrec}"
threads="${THREADS:-2}" epochs="${EPOCHS:-10}" dim="${DIM:-32}"
tmp="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] && echo "files in $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

# Both read "user item rating" lines; mfrec's split writes CSV with a header.
if [ -n "${PARTS:-}" ]; then
  ln -s "$PARTS/train.txt" "$tmp/train.txt" && ln -s "$PARTS/test.txt" "$tmp/test.txt"
else
  "$mfrec" split --data_path "$data" --split random --test_ratio "${TEST_RATIO:-0.1}" --val_ratio 0 --out "$tmp" > /dev/null
  for part in train test; do
    tail -n +2 "$tmp/$part.csv" | awk -F, '{print $1" "$2" "$3}' > "$tmp/$part.txt"
    rm "$tmp/$part.csv"
  done
  rm -f "$tmp/val.csv"
fi
n_train=$(wc -l < "$tmp/train.txt")

# timed LOG CMD...: runs CMD, leaves "wall_s peak_kb" in LOG.time
timed() {
  local log="$1"; shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" > "$log" 2>&1
}

timed "$tmp/libmf-train" "$libmf/mf-train" -k "$dim" -t "$epochs" -s "$threads" "$tmp/train.txt" "$tmp/libmf.model"
timed "$tmp/libmf-predict" "$libmf/mf-predict" -e 0 "$tmp/test.txt" "$tmp/libmf.model" "$tmp/libmf.pred"
read -r lt lm < "$tmp/libmf-train.time"
read -r pt pm < "$tmp/libmf-predict.time"
libmf_rmse=$(grep -o 'RMSE = [0-9.]*' "$tmp/libmf-predict" | awk '{print $3}')
libmf_s=$(awk -v a="$lt" -v b="$pt" 'BEGIN{printf "%.2f", a + b}')
libmf_mb=$(awk -v a="$lm" -v b="$pm" 'BEGIN{printf "%.0f", (a > b ? a : b) / 1024}')

# mfrec's sgd with the settings of bench/configs/ml1m-half-random-sgd.json (a biased model); LIBMF
# with its defaults (eta 0.1, L2 0.1, no biases), the same dimension and epochs.
run_mfrec() {
  local engine="$1"; shift
  timed "$tmp/mfrec-$engine" "$mfrec" train --data_path "$tmp/train.txt" --split files --train "$tmp/train.txt" \
    --test "$tmp/test.txt" --val_ratio 0 --optimizer "$engine" --dim "$dim" --epochs "$epochs" --threads "$threads" \
    --output "$tmp/out-$engine" --quiet "$@"
  read -r s kb < "$tmp/mfrec-$engine.time"
  rmse=$(grep -o '"test_rmse": *[0-9.]*' "$tmp/out-$engine/metrics.json" | head -1 | grep -o '[0-9.]*$' |
    awk '{printf "%.4f", $1}')
  echo "$s $kb $rmse"
}
read -r ms mkb mrmse < <(run_mfrec sgd --lr 0.05 --reg 0.04 --reg_bias 0.01 --init_std 0.005)
mmb=$(awk -v a="$mkb" 'BEGIN{printf "%.0f", a / 1024}')

echo "| $n_train training ratings, k=$dim, $epochs epochs, $threads threads | wall s | peak MB | bytes/training rating | test RMSE |"
echo "|---|---|---|---|---|"
echo "| LIBMF (mf-train + mf-predict) | $libmf_s | $libmf_mb | $(awk -v m="$libmf_mb" -v n="$n_train" 'BEGIN{printf "%.1f", m*1048576/n}') | $libmf_rmse |"
echo "| LIBMF mf-train alone | $lt | $(awk -v a="$lm" 'BEGIN{printf "%.0f", a / 1024}') | | |"
echo "| mfrec sgd | $ms | $mmb | $(awk -v m="$mkb" -v n="$n_train" 'BEGIN{printf "%.1f", m*1024/n}') | $mrmse |"
for engine in ${ENGINES:-}; do
  read -r s kb rmse < <(run_mfrec "$engine")
  echo "| mfrec $engine | $s | $(awk -v a="$kb" 'BEGIN{printf "%.0f", a / 1024}') | $(awk -v m="$kb" -v n="$n_train" 'BEGIN{printf "%.1f", m*1024/n}') | ${rmse:-n/a} |"
done
echo
echo "sgd: LIBMF / mfrec wall $(awk -v a="$libmf_s" -v b="$ms" 'BEGIN{printf "%.2fx", a/b}') (mf-train alone $(awk -v a="$lt" -v b="$ms" 'BEGIN{printf "%.2fx", a/b}')), peak mfrec / LIBMF $(awk -v a="$mmb" -v b="$libmf_mb" 'BEGIN{printf "%.2fx", a/b}')"
