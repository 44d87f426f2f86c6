// Memory follows the data, not an option's value: options that size memory are capped or checked
// against the data before anything is allocated, and running out of memory is a message, not
// "std::bad_alloc". The runs are under a virtual-memory limit (ulimit -v) so that a regression
// fails here instead of taking the machine's memory.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "test_util.h"

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The mfrec program under `ulimit -v kib`, in a scratch folder.
test::RunResult run_limited(const std::string& args, size_t kib) {
  const std::string cmd = "cd " + test::scratch_dir("memory") + " && ulimit -v " + std::to_string(kib) + " && " +
                          std::string(MFREC_CLI) + " " + args + " 2>&1 </dev/null";
  return test::run_shell(cmd);
}

constexpr size_t kLimit = 2 << 20;  // 2 GiB of address space: ample for these runs, far below what the options asked

TEST(MemoryLimits, AdamBatchSizeIsCappedAtTheData) {
  MFREC_SKIP_UNDER_ASAN("under ulimit -v");
  const auto r = run_limited("train --data_path " + test::small_synthetic() + " --epochs 1 --threads 1 --batch_size 100000000 --output out", kLimit);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "mfrec: note: --batch_size 100000000 is more than the")) << r.out;
}

TEST(MemoryLimits, SgdBlocksAreCheckedAgainstTheData) {
  MFREC_SKIP_UNDER_ASAN("under ulimit -v");
  const auto r = run_limited("train --data_path " + test::small_synthetic() + " --optimizer sgd --epochs 1 --blocks 1000000 --output out", kLimit);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(contains(r.out, "mfrec: error: sgd: --blocks 1000000 is more than this data allows (at most 200")) << r.out;
  const auto ok = run_limited("train --data_path " + test::small_synthetic() + " --optimizer sgd --lr 0.05 --epochs 1 --blocks 200 --output out", kLimit);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST(MemoryLimits, RunningOutOfMemoryIsAMessage) {
  MFREC_SKIP_UNDER_ASAN("under ulimit -v");
  // Two billion ratings do not fit in 2 GiB: the allocation fails, and the user is told what to lower.
  const auto r = run_limited("synth --out data --users 100000000 --items 3706 --ratings 2000000000", kLimit);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "mfrec: error: out of memory: lower the options that size memory")) << r.out;
  EXPECT_FALSE(contains(r.out, "bad_alloc")) << r.out;
}

}  // namespace
}  // namespace mfrec
