#!/usr/bin/env bash
# The GPU session's one script (issue 5): build with nvcc, run the gpu tests, run the benchmarks,
# print a markdown table. Meant to finish in under 8 minutes on one H100 or H200.
#
#   bench/gpu.sh [--data DIR] [--reference FILE] [--kit DIR] [--out DIR] [--skip-tests]
#                [--ref-epochs N] [--sgd-epochs N]
#   bench/gpu.sh pack [DIR]
#
# --data       the ml-1m-half folder (ratings.dat); default $MFREC_ML1M_HALF, else ../shared/data/ml-1m-half
# --reference  reference_mf_torch.py; default $MFREC_REFERENCE, else ../shared/peers/reference_mf_torch.py.
#              Run with the python3 on PATH when it imports torch; skipped otherwise.
# --kit        use binaries made by `bench/gpu.sh pack` instead of building (for a GPU machine without
#              the project's build dependencies: fmt, CLI11, nlohmann-json, Eigen, GTest, cpp-httplib)
# --out        where the table, logs and metrics go (default: build-gpu/gpu-bench; also copied to $OUT
#              when that is set)
# pack         here, on a machine with the dependencies and nvcc but no GPU: build a portable kit
#              (no -march=native) into DIR (default build-gpu-kit/kit): mfrec, the two CUDA test
#              programs and the shared libraries they need beyond glibc/libstdc++/libgomp.
#
# A GPU machine gets a copy of the repository without ../shared: copy what it needs into an ignored
# folder first and pass it, e.g. (build-*/ is ignored by git):
#   mkdir -p build-gpu-data && cp -r ../shared/data/ml-1m-half ../shared/peers/reference_mf_torch.py build-gpu-data/
#   bench/gpu.sh --data build-gpu-data/ml-1m-half --reference build-gpu-data/reference_mf_torch.py
# Requires there: nvcc and cmake (and the build dependencies), or --kit. No network is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t_start=$(date +%s)

die() { echo "bench/gpu.sh: $*" >&2; exit 1; }
note() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - t_start )); }

# ---------------------------------------------------------------- pack (no GPU needed)
if [[ "${1:-}" == pack ]]; then
  kit=${2:-build-gpu-kit/kit}
  command -v cmake >/dev/null || die "cmake is required"
  cmake -S . -B build-gpu-kit -DCMAKE_BUILD_TYPE=Release -DMFREC_CUDA=ON -DMFREC_NATIVE=OFF -DMFREC_BENCH=OFF >/dev/null
  cmake --build build-gpu-kit -j"$(nproc)" --target mfrec_cli cuda_gpu_test cuda_math_test
  rm -rf "$kit" && mkdir -p "$kit/lib"
  cp build-gpu-kit/mfrec build-gpu-kit/tests/cuda_gpu_test build-gpu-kit/tests/cuda_math_test "$kit/"
  # Shared libraries beyond the C/C++ runtimes that every Linux with a GPU driver has.
  ldd "$kit/mfrec" "$kit/cuda_gpu_test" | awk '/=> \// {print $3}' | sort -u |
    grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libgomp|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$kit/lib/"; done
  du -sh "$kit"
  echo "kit ready: carry '$kit' (and the data folder) to the GPU machine, then: bench/gpu.sh --kit $kit --data ..."
  exit 0
fi

# ---------------------------------------------------------------- arguments
data=${MFREC_ML1M_HALF:-}
reference=${MFREC_REFERENCE:-}
kit=""
out=""
skip_tests=0
ref_epochs=10
sgd_epochs=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --reference) reference=$2; shift 2 ;;
    --kit) kit=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --skip-tests) skip_tests=1; shift ;;
    --ref-epochs) ref_epochs=$2; shift 2 ;;
    --sgd-epochs) sgd_epochs=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -z "$data" && -d ../shared/data/ml-1m-half ]] && data=../shared/data/ml-1m-half
[[ -z "$reference" && -f ../shared/peers/reference_mf_torch.py ]] && reference=../shared/peers/reference_mf_torch.py
[[ -n "$data" && -f "$data/ratings.dat" ]] || die "ml-1m-half not found: pass --data DIR (a folder with ratings.dat)"
data=$(cd "$data" && pwd)
[[ -n "$reference" ]] && reference=$(cd "$(dirname "$reference")" && pwd)/$(basename "$reference")

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader ||
  echo "(nvidia-smi not found)"

# ---------------------------------------------------------------- build
if [[ -n "$kit" ]]; then
  kit=$(cd "$kit" && pwd)
  out=${out:-$root/build-gpu-kit/gpu-bench}
  # Wrappers give the kit's programs (and only them, not python) the kit's shared libraries.
  mkdir -p "$out/bin"
  for p in mfrec cuda_gpu_test cuda_math_test; do
    [[ -x "$kit/$p" ]] || die "the kit $kit has no $p (make it with: bench/gpu.sh pack)"
    printf '#!/bin/sh\nLD_LIBRARY_PATH="%s/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s/%s" "$@"\n' "$kit" "$kit" "$p" > "$out/bin/$p"
    chmod +x "$out/bin/$p"
  done
  bin=$out/bin/mfrec
  gpu_test=$out/bin/cuda_gpu_test
  math_test=$out/bin/cuda_math_test
else
  command -v cmake >/dev/null || die "cmake not found: install it, or build a kit elsewhere (bench/gpu.sh pack) and pass --kit"
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  [[ -x "$nvcc" ]] || die "nvcc not found (PATH or /usr/local/cuda/bin)"
  note "build (nvcc: $("$nvcc" --version | tail -1))"
  if ! cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DMFREC_CUDA=ON -DMFREC_BENCH=OFF \
      -DCMAKE_CUDA_COMPILER="$nvcc" > build-gpu.configure.log 2>&1; then
    tail -20 build-gpu.configure.log
    die "cmake failed (missing build dependencies?); alternative: bench/gpu.sh pack on a build machine, then --kit"
  fi
  timeout 400 cmake --build build-gpu -j"$(nproc)" --target mfrec_cli cuda_gpu_test cuda_math_test 2>&1 | tail -3
  bin=$root/build-gpu/mfrec
  gpu_test=$root/build-gpu/tests/cuda_gpu_test
  math_test=$root/build-gpu/tests/cuda_math_test
  out=${out:-$root/build-gpu/gpu-bench}
fi
[[ -x "$bin" ]] || die "no mfrec binary at $bin"
mkdir -p "$out"
work=$out/work
mkdir -p "$work"

# ---------------------------------------------------------------- tests
test_status="not run"
if [[ $skip_tests == 0 ]]; then
  note "gpu tests"
  export MFREC_ML1M_HALF=$data MFREC_ML1M_EPOCHS=${MFREC_ML1M_EPOCHS:-20}
  filter="*"
  # A kit's test programs have the build machine's path of mfrec baked in: the CLI cases are left
  # to the benchmark runs below, which exercise the same commands.
  [[ -n "$kit" ]] && filter="-GpuCli.*:CudaCli.*"
  set +e
  if [[ -z "$kit" ]] && command -v ctest >/dev/null; then
    (cd build-gpu && timeout 300 ctest -L gpu --output-on-failure) 2>&1 | tee "$out/tests.log" | tail -25
    rc=${PIPESTATUS[0]}
  else
    timeout 300 "$gpu_test" --gtest_filter="$filter" 2>&1 | tee "$out/tests.log" | tail -25
    rc=${PIPESTATUS[0]}
  fi
  timeout 120 "$math_test" --gtest_filter="$filter" > "$out/math_tests.log" 2>&1
  mrc=$?
  set -e
  tail -3 "$out/math_tests.log"
  test_status=$([[ $rc == 0 && $mrc == 0 ]] && echo "passed" || echo "FAILED (gpu rc $rc, math rc $mrc)")
  grep -q "SKIPPED" "$out/tests.log" && test_status="$test_status, some SKIPPED (see tests.log)"
fi

# ---------------------------------------------------------------- benchmarks
json() {  # json FILE KEY -> value
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
rows=()
row() { rows+=("| $* |"); }
train_data=$data   # the data set of the next train call
train_env=()       # VAR=value settings for it
train() {  # train NAME ARGS... -> $work/NAME/metrics.json
  local name=$1; shift
  note "train $name ${train_env[*]:-}"
  if ! timeout 300 env "${train_env[@]}" "$bin" train --data_path "$train_data" --output "$work/$name" --quiet "$@" \
      > "$work/$name.log" 2>&1; then
    tail -5 "$work/$name.log"
    return 1
  fi
  tail -2 "$work/$name.log"
}
fmt_row() {  # fmt_row NAME LABEL DEVICE TARGET_TEXT
  local m=$work/$1/metrics.json
  [[ -f $m ]] || { row "$2 | $3 | - | - | - | - | FAILED, see $1.log; target $4"; return; }
  local s e r sps
  s=$(json "$m" train_seconds); e=$(json "$m" epochs); r=$(json "$m" test_rmse); sps=$(json "$m" samples_per_second)
  row "$2 | $3 | $(printf %.3f "$s") | $(python3 -c "print(f'{$s/$e:.4f}')") | $(printf %.4f "$r") | $(python3 -c "print(f'{$sps:.3g}')") | $4"
}

gpu_ok=1
train gpu-adam --device cuda || gpu_ok=0
train_env=(MFREC_CUDA_PDL=0)
train gpu-adam-nopdl --device cuda || true
train_env=()
train gpu-adam-bf16 --device cuda --precision bf16 || true
train cpu-adam --device cpu || true

verdict_time="-"; verdict_rmse="-"; verdict_ref="-"; served="-"
if [[ $gpu_ok == 1 ]]; then
  g=$work/gpu-adam/metrics.json
  gs=$(json "$g" train_seconds); gr=$(json "$g" test_rmse)
  verdict_time=$(python3 -c "print(('PASS' if $gs < 0.95 else 'FAIL') + f' ({$gs:.3f} s for 100 epochs; target < 0.95 s = 100x the reference\'s 0.95 s/epoch)')")
  if [[ -f $work/cpu-adam/metrics.json ]]; then
    cr=$(json "$work/cpu-adam/metrics.json" test_rmse)
    verdict_rmse=$(python3 -c "d=abs($gr-$cr); print(('PASS' if d <= 0.005 else 'FAIL') + f' (|{$gr:.4f} - {$cr:.4f}| = {d:.4f}; target <= 0.005)')")
  fi
  # The checkpoint written from the GPU, evaluated by the CPU code.
  er=$("$bin" eval --model "$work/gpu-adam/model.mfrec" --data_path "$data" --json 2>/dev/null |
       python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["rmse"])' || echo nan)
  served=$(python3 -c "print(('PASS' if abs($er-$gr) < 1e-6 else 'FAIL') + f' (mfrec eval on the CPU: {$er:.4f}, at training: {$gr:.4f})')" 2>/dev/null || echo "FAIL ($er)")
fi

ref_epoch_s=""
if [[ -n "$reference" && -f "$reference" ]] && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  note "reference_mf_torch.py --device cuda --split time --compile ($ref_epochs epochs)"
  if timeout 240 env PYTHONUNBUFFERED=1 python3 "$reference" --data_path "$data" --device cuda --split time --compile \
      --epochs "$ref_epochs" > "$work/reference.log" 2>&1; then
    tail -1 "$work/reference.log" > "$work/reference.json"
    ref_epoch_s=$(json "$work/reference.json" median_epoch_s)
    ref_rmse=$(json "$work/reference.json" test_rmse)
    row "reference_mf_torch.py --compile, ml-1m-half, $ref_epochs epochs (s/epoch: median) | cuda | $(json "$work/reference.json" train_s) | $ref_epoch_s | $ref_rmse | $(json "$work/reference.json" samples_per_s) | (the baseline)"
    if [[ $gpu_ok == 1 ]]; then
      verdict_ref=$(python3 -c "x=$ref_epoch_s*100/$gs; print(('PASS' if x >= 100 else 'FAIL') + f' ({x:.0f}x: reference {$ref_epoch_s:.4f} s/epoch x 100 / mfrec {$gs:.3f} s)')")
    fi
  else
    tail -5 "$work/reference.log"
    row "reference_mf_torch.py --compile | cuda | - | - | - | - | FAILED, see reference.log"
  fi
else
  echo "(reference skipped: no --reference, or python3 cannot use torch on CUDA)"
fi

fmt_row gpu-adam "mfrec adam, recipe defaults (batch 512, dim 32, 100 epochs), ml-1m-half temporal, fp32" cuda "< 0.95 s in all; RMSE within 0.005 of CPU"
fmt_row gpu-adam-nopdl "the same, MFREC_CUDA_PDL=0 (no programmatic dependent launch)" cuda "(comparison)"
fmt_row gpu-adam-bf16 "the same, --precision bf16" cuda "(information)"
fmt_row cpu-adam "the same on the CPU ($(nproc) threads)" cpu "(the RMSE to match)"

# SGD, cuMF_SGD style, on a generated 20M-rating set.
synth=$work/synth20m
note "synth 20M ratings"
[[ -f $synth/ratings.dat ]] || timeout 240 "$bin" synth --users 138000 --items 27000 --ratings 20000000 --out "$synth" | tail -1
sgd_verdict="-"
train_data=$synth
if train gpu-sgd-bf16 --device cuda --optimizer sgd --precision bf16 --dim 32 --epochs "$sgd_epochs" --lr 0.05 --reg 0.02; then
  sps=$(json "$work/gpu-sgd-bf16/metrics.json" samples_per_second)
  sgd_verdict=$(python3 -c "print(('PASS' if $sps >= 1e9 else 'FAIL') + f' ({$sps/1e9:.2f} G updates/s; target >= 1)')")
fi
fmt_row gpu-sgd-bf16 "mfrec sgd (cuMF_SGD style), k=32, bf16, synth 20M ratings, $sgd_epochs epochs" cuda ">= 1e9 updates/s"

# ---------------------------------------------------------------- table
{
  echo
  echo "## mfrec on the GPU ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo '?'), $(date -u +%Y-%m-%d))"
  echo
  echo "| run | device | train s | s/epoch | test RMSE | ratings/s | target |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "- gpu tests: $test_status"
  echo "- adam 100 epochs under 1 s: $verdict_time"
  echo "- adam >= 100x the PyTorch reference: $verdict_ref"
  echo "- GPU vs CPU test RMSE (fp32): $verdict_rmse"
  echo "- GPU checkpoint served by the CPU code: $served"
  echo "- sgd bf16 on 20M ratings: $sgd_verdict"
  echo "- total $(( $(date +%s) - t_start )) s; logs and metrics.json files in $out"
} | tee "$out/table.md"
if [[ -n "${OUT:-}" && -d "${OUT:-}" ]]; then
  cp "$out/table.md" "$OUT/" && cp "$out/tests.log" "$OUT/" 2>/dev/null || true
  for n in gpu-adam gpu-sgd-bf16 cpu-adam; do
    [[ -f $work/$n/metrics.json ]] && cp "$work/$n/metrics.json" "$OUT/$n.metrics.json"
  done
fi
