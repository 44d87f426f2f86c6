#!/usr/bin/env bash
# The portable build (-DMFREC_NATIVE=OFF, src/common/isa.h) in build-portable/: builds the programs and
# the tests of the engines whose loops it picks at run time, runs those tests, and checks the
# programs' machine code: outside the functions chosen at run time (g++'s clones for x86-64-v3 and
# v4, and the AVX2 kernels), no instruction beyond x86-64-v2, so that they start on any such CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=(isa_kernels_test sgd_test adam_test implicit_test train_test cli_test)
cmake -S . -B build-portable -DCMAKE_BUILD_TYPE=Release -DMFREC_NATIVE=OFF -DMFREC_BENCH=OFF \
  -DMFREC_PYTHON=OFF -DMFREC_MPI=OFF -DMFREC_CUDA=OFF >/dev/null
cmake --build build-portable -j"$(nproc)" --target mfrec_cli mfrec_serve_cli "${tests[@]}"

# Functions allowed vector extensions past SSE4.2: the clones, and the kernels that carry
# MFREC_TARGET_AVX2 (chosen only where cpu_has_avx2()).
allowed='\.arch_x86_64_v[34]|sgd_run_x86|load8|reduce4|dot_rows|load_f16c|store_f16c|store_bf16_avx2'
for program in build-portable/mfrec build-portable/mfrec-serve; do
  objdump -d --no-show-raw-insn -C "$program" | awk -v allowed="$allowed" -v program="$program" '
    /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
    /^ +[0-9a-f]+:\t/ {
      split($0, f, "\t"); insn = f[2]; split(insn, w, " "); op = w[1]
      if (op ~ /^v/ || insn ~ /%[yz]mm|%k[0-7]/ ||
          op ~ /^(andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|lzcnt|movbe)$/) {
        if (fn ~ allowed) vector++
        else if (!(fn in bad)) { bad[fn] = insn; n_bad++ }
      }
    }
    END {
      for (b in bad) printf "%s: %s uses %s outside a run-time choice\n", program, b, bad[b] > "/dev/stderr"
      if (n_bad) exit 1
      if (!vector) { printf "%s: no run-time-chosen AVX code at all (no clones?)\n", program > "/dev/stderr"; exit 1 }
      printf "%s: %d AVX instructions, all in functions chosen at run time\n", program, vector
    }'
done
build-portable/mfrec --version
cd build-portable/tests
for t in "${tests[@]}"; do ./"$t" --gtest_brief=1; done
