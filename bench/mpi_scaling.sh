#!/usr/bin/env bash
# The distributed table of BENCHMARKS.md: als and ials on 1, 2 and 4 ranks of this machine (mpirun
# on loopback), seconds per epoch, bytes per epoch (the most one rank sent and received, and all
# ranks together), each rank's memory (its peak, loading included, and the most it held after an
# epoch), and the one-process run beside them. The fastest epoch is shown: on a shared machine it
# is the one the other processes disturbed least.
# Usage: bench/mpi_scaling.sh DATA [EPOCHS] [RANKS...]   e.g. bench/mpi_scaling.sh ../shared/data/ml-1m-half 5 1 2 4
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$1"
epochs="${2:-5}"
ranks=("${@:3}")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 4)
mfrec="${MFREC:-$root/build/mfrec}"
mpi="${MFREC_MPI:-$root/build/mfrec-mpi}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
py=/usr/bin/python3

# The settings: BENCHMARKS.md's ALS and iALS rows, all of train (no validation: no gathers between epochs
# but the one that keeps the last epoch).
als="--optimizer als --dim 32 --reg 0.05"
ials="--optimizer ials --dim 64 --reg 0.02 --alpha 2"

report() {  # LABEL DIR RSS_KB
  $py - "$1" "$2" "${3:-}" <<'PY'
import json, sys
label, out, rss = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(out + "/metrics.json"))
sec = sorted(h["seconds"] for h in m["history"])
d = m.get("distributed")
mb = lambda b: f"{b / 1e6:.1f}"
score = f"NDCG@10 {m['test_ranking']['ndcg']:.4f}" if "test_ranking" in m else f"RMSE {m['test_rmse']:.4f}"
if d:
    b = d["bytes_per_epoch"]
    peaks = " / ".join(f"{p:.0f}" for p in d["peak_memory_mb"])
    held = " / ".join(f"{p:.0f}" for p in d["training_memory_mb"])
    print(f"| {label} | {sec[0]:.3f} | {mb(b['max_sent_by_a_rank'])} / {mb(b['max_received_by_a_rank'])} | {mb(b['all_ranks'])} | {peaks} | {held} | {score} |")
else:
    print(f"| {label} | {sec[0]:.3f} | | | {int(rss) / 1024:.0f} | | {score} |")
PY
}

echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%F)"
echo "data: $data, $epochs epochs; s/epoch: the fastest epoch; MB per epoch: the most one rank sent / received, and all ranks"
echo
echo "| run | s/epoch | MB sent / received | MB all ranks | peak MB per rank | MB held training | test |"
echo "|---|---|---|---|---|---|---|"
for engine in als ials; do
  opts=${!engine}
  /usr/bin/time -f "%M" -o "$tmp/rss" "$mfrec" train --data_path "$data" $opts --epochs "$epochs" --val_ratio 0 --quiet \
    --output "$tmp/one" >/dev/null
  report "$engine, one process (mfrec train)" "$tmp/one" "$(cat "$tmp/rss")"
  for n in "${ranks[@]}"; do
    mpirun --oversubscribe -np "$n" "$mpi" train --data_path "$data" $opts --epochs "$epochs" --val_ratio 0 --quiet \
      --output "$tmp/r$n" >/dev/null
    report "$engine, $n ranks" "$tmp/r$n"
  done
done
