#!/usr/bin/env bash
# HTTP load test of `mfrec serve`: wrk against GET /v1/recommend?user=ID&k=10 over loopback, cycling
# through every user of the model, with a reload (POST /v1/reload) half-way through the run.
# Reports requests/s, p50/p99 latency, errors (socket errors and non-2xx answers) and what the
# server's own /metrics counted, then stops the server.
#
#   scripts/bench_http.sh [--model FILE | --data_path DIR] [--mfrec BIN] [--port N] [--duration 10s]
#                         [--connections 32] [--wrk_threads 2] [--server_threads 128] [--no_reload]
#
# Without --model a model is trained first (20 epochs) on --data_path, or on the generated
# MovieLens-1M-shaped data set when no --data_path is given.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
mfrec="" model="" data_path="" port=18431 duration=10s connections=32 wrk_threads=2 server_threads=128 reload=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mfrec) mfrec="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --data_path) data_path="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --wrk_threads) wrk_threads="$2"; shift 2 ;;
    --server_threads) server_threads="$2"; shift 2 ;;
    --no_reload) reload=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench_http.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench_http.sh: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done
if [[ -z "$mfrec" ]]; then
  for candidate in "$root"/build/mfrec "$root"/build-*/mfrec; do
    [[ -x "$candidate" ]] && { mfrec="$candidate"; break; }
  done
fi
[[ -x "$mfrec" ]] || { echo "bench_http.sh: no mfrec binary found; build it or pass --mfrec BIN" >&2; exit 2; }

work="$(mktemp -d /tmp/mfrec-bench-http.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$model" ]]; then
  train_args=(--output "$work/train" --epochs 20 --quiet)
  [[ -n "$data_path" ]] && train_args+=(--data_path "$data_path")
  echo "training a model (${data_path:-generated MovieLens-1M-shaped data}) ..."
  (cd "$work" && "$mfrec" train "${train_args[@]}" | tail -n 2)
  model="$work/train/model.mfrec"
fi
# The users to ask for: every user of the model (users.csv of `mfrec export`).
"$mfrec" export --model "$model" --out "$work/export" >/dev/null

url="http://127.0.0.1:$port"
"$mfrec" serve --model "$model" --port "$port" --threads "$server_threads" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$url/healthz" >/dev/null || { echo "bench_http.sh: the server did not come up" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "server: $(head -n 1 "$work/serve.log")"

lua="$here/wrk_recommend.lua"
wrk -t"$wrk_threads" -c"$connections" -d2s -s "$lua" "$url" -- "$work/export/users.csv" 10 >/dev/null  # warm-up

seconds="${duration%s}"
wrk_cmd=(wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$lua" "$url" -- "$work/export/users.csv" 10)
echo "load: ${wrk_cmd[*]}"
"${wrk_cmd[@]}" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
reload_answer="(no reload)"
if [[ "$reload" == 1 ]]; then
  sleep "$(awk -v s="$seconds" 'BEGIN { print s / 2 }')"
  reload_answer="$(curl -s -X POST -d '' -w ' HTTP %{http_code}' "$url/v1/reload" | tr -d '\n')"
fi
wait "$wrk_pid"
metrics="$(curl -s "$url/metrics")"

cat "$work/wrk.txt"
rps="$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.txt")"
p50="$(awk '$1 == "50%" { print $2 }' "$work/wrk.txt")"
p99="$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")"
socket_errors="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk.txt")"
non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$work/wrk.txt")"
server_errors="$(printf '%s\n' "$metrics" | awk '/^mfrec_http_requests_total\{route="recommend"/ && !/status="200"/ { n += $2 } END { print n + 0 }')"
version="$(printf '%s\n' "$metrics" | awk '/^mfrec_model_version / { print $2 }')"
echo
echo "== summary =="
echo "requests/s:        $rps"
echo "latency p50 / p99: $p50 / $p99"
echo "errors:            socket ${socket_errors:-0}, non-2xx ${non2xx:-0}; server-side non-200 on /v1/recommend: $server_errors"
echo "reload mid-run:    $reload_answer; model version after the run: $version"
