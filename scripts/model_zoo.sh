# Shared by the train_*_1p.sh scripts (sourced, not run): the model zoo's conventions.
# ASCEND_DEVICE_ID names the device id (default 0); everything lands under the CURRENT working
# directory's output/<id>/, as in the model zoo:
#   full runs         output/<id>/model.mfrec, train_<id>.log, metrics.json
#   performance runs  output/<id>/performance/model.mfrec, train_<id>.log, metrics.json (so that a
#                     performance run never overwrites the full run's model)
#   summary           output/<id>/<CaseName>.log, e.g. MF_mfrec_bs512_1p_acc.log, MF_mfrec_bs512_1p_perf.log
# `--output DIR` puts the run and its summary in DIR instead; the summary is always read from that
# run's own log. Without a data path mfrec trains on its embedded default (a generated
# MovieLens-1M-shaped set in output/synthetic-ml1m/), as `mfrec train` does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_path=""
output=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data_path=*) data_path="${1#*=}"; shift ;;
    --data_path) [[ $# -ge 2 ]] || { echo "$0: --data_path needs a folder or file" >&2; exit 2; }; data_path="$2"; shift 2 ;;
    --output=*) output="${1#*=}"; shift ;;
    --output) [[ $# -ge 2 ]] || { echo "$0: --output needs a folder" >&2; exit 2; }; output="$2"; shift 2 ;;
    --help|-h) echo "usage: $0 [--data_path DIR] [--output DIR] [mfrec train options...]"; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
device_id="${ASCEND_DEVICE_ID:-0}"
mfrec="${MFREC:-$root/build/mfrec}"
[ -x "$mfrec" ] || "$root/scripts/build.sh"
device_dir="output/$device_id"

# run_case CASE_SUFFIX RUN_SUBFOLDER [mfrec train options...]: trains, then prints and writes the summary.
run_case() {
  local suffix="$1" subfolder="$2"; shift 2
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
  local run_dir summary_dir
  if [ -n "$output" ]; then
    run_dir="$output" summary_dir="$output"
  else
    run_dir="$device_dir${subfolder:+/$subfolder}" summary_dir="$device_dir"
  fi
  mkdir -p "$run_dir" "$summary_dir"
  local data_args=()
  [ -n "$data_path" ] && data_args=(--data_path "$data_path")
  local start end
  start=$(date +%s.%N)
  "$mfrec" train "${data_args[@]}" --device_id "$device_id" --output "$run_dir" "${args[@]}"
  end=$(date +%s.%N)
  local log="$run_dir/train_${device_id}.log"
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
  } > "$summary_dir/${case_name}.log"
  echo "wrote $log and $summary_dir/${case_name}.log"
}
