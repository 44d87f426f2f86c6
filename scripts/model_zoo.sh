# Shared by train_full_1p.sh and train_performance_1p.sh (sourced, not run): the model zoo's
# conventions. ASCEND_DEVICE_ID names the device id; everything lands in output/<id>/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_path=""
extra=()
for arg in "$@"; do
  case "$arg" in
    --data_path=*) data_path="${arg#*=}" ;;
    --help|-h) echo "usage: $0 --data_path=DIR [mfrec train options...]"; exit 0 ;;
    *) extra+=("$arg") ;;
  esac
done
if [ -z "$data_path" ]; then
  echo "$0: --data_path=DIR is required (the ml-1m folder; download it from GroupLens yourself)" >&2
  exit 2
fi
device_id="${ASCEND_DEVICE_ID:-0}"
mfrec="${MFREC:-$root/build/mfrec}"
[ -x "$mfrec" ] || "$root/scripts/build.sh"
out="$root/output/$device_id"
mkdir -p "$out"

# run_case CASE_SUFFIX [mfrec train options...]: trains, then prints and writes the summary.
run_case() {
  local suffix="$1"; shift
  local network="MF_mfrec" batch_size=512 device_type=cpu
  local args=("$@" "${extra[@]}")
  for ((k = 0; k < ${#args[@]}; ++k)); do
    case "${args[k]}" in
      --batch_size) batch_size="${args[k+1]}" ;;
      --batch_size=*) batch_size="${args[k]#*=}" ;;
      --device) device_type="${args[k+1]}" ;;
      --device=*) device_type="${args[k]#*=}" ;;
    esac
  done
  local start end
  start=$(date +%s.%N)
  "$mfrec" train --data_path "$data_path" --device_id "$device_id" --output "$out" "${args[@]}"
  end=$(date +%s.%N)
  local log="$out/train_${device_id}.log"
  local fps rmse loss e2e step_time case_name
  fps=$(awk -F' : ' '/^Final Performance samples\/sec/ {print $2}' "$log")
  rmse=$(awk -F' : ' '/^Final Test RMSE/ {print $2}' "$log")
  loss=$(awk '/^epoch / {for (i = 1; i < NF; ++i) if ($i == "loss") l = $(i + 1)} END {print l}' "$log")
  e2e=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
  step_time=$(awk -v f="$fps" -v b="$batch_size" 'BEGIN {printf "%.6f", (f > 0 ? b / f : 0)}')
  case_name="${network}_bs${batch_size}_1p_${suffix}"
  echo "------------------ Final result ------------------"
  echo "Final Performance samples/sec : $fps"
  echo "Final Train Accuracy : $rmse"
  echo "Final Training Duration sec : $e2e"
  {
    echo "Network = ${network}"
    echo "RankSize = 1"
    echo "BatchSize = ${batch_size}"
    echo "DeviceType = ${device_type}"
    echo "CaseName = ${case_name}"
    echo "ActualFPS = ${fps}"
    echo "TrainingTime = ${step_time}"
    echo "TrainAccuracy = ${rmse}"
    echo "ActualLoss = ${loss}"
    echo "E2ETrainingTime = ${e2e}"
  } > "$out/${case_name}.log"
  echo "wrote $log and $out/${case_name}.log"
}
