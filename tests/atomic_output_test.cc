// Every file mfrec writes goes through the atomic writer: a failed write (here a file-size limit,
// as a full disk) leaves the old file and no temporary behind, and temporaries of killed runs are
// cleaned at the next write.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/atomic_file.h"
#include "test_util.h"

namespace mfrec {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicOutput, StaleTemporariesOfDeadRunsAreRemoved) {
  const std::string dir = test::scratch_dir("atomic-stale");
  const std::string dead = "model.mfrec.tmp." + std::to_string(dead_pid());
  const std::string alive = "model.mfrec.tmp." + std::to_string(::getppid());  // a live process: may be writing
  test::write_file(dir, dead, "cut");
  test::write_file(dir, alive, "in progress");
  test::write_file(dir, "other.csv.tmp." + std::to_string(dead_pid()), "another file's: left alone");
  test::write_file(dir, "model.mfrec.tmp.notapid", "not ours");
  write_file_atomically(dir + "/model.mfrec", "new");
  EXPECT_EQ(test::read_file(dir + "/model.mfrec"), "new");
  const auto names = names_in(dir);
  EXPECT_EQ(std::count(names.begin(), names.end(), dead), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), alive), 1);
  EXPECT_EQ(names.size(), 4u);
}

// The command under a 1 KiB file-size limit (two 512-byte blocks in sh) with SIGXFSZ ignored, so that writes fail with EFBIG.
test::RunResult run_with_file_limit(const std::string& args, const std::string& cwd) {
  const std::string cmd = "cd " + cwd + " && trap '' XFSZ && ulimit -f 2 && " + std::string(MFREC_CLI) + " " + args + " 2>&1 </dev/null";
  return test::run_shell(cmd);
}

TEST(AtomicOutput, RecommendAllOnAFullDiskKeepsTheOldFile) {
  const std::string dir = test::scratch_dir("atomic-recs");
  test::write_file(dir, "recs.csv", "the old recommendations\n");
  const auto r = run_with_file_limit("recommend --all --model " + test::small_model() + " --out recs.csv", dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "mfrec: error: recs.csv: cannot write (write): File too large")) << r.out;
  EXPECT_EQ(test::read_file(dir + "/recs.csv"), "the old recommendations\n");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"recs.csv"});
  // A folder that does not exist: the reason is given.
  const auto missing = test::run_cli("recommend --all --model " + test::small_model() + " --out " + dir + "/missing/x.csv");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.out, "missing/x.csv: cannot write (create): No such file or directory")) << missing.out;
}

TEST(AtomicOutput, ExportOnAFullDiskLeavesNoTruncatedFile) {
  const std::string dir = test::scratch_dir("atomic-export");
  ASSERT_EQ(test::run_cli("export --model " + test::small_model() + " --out " + dir + "/out").exit_code, 0);
  const std::string before = test::read_file(dir + "/out/item_factors.npy");
  ASSERT_GT(before.size(), 2048u);
  const auto r = run_with_file_limit("export --model " + test::small_model() + " --out out", dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "cannot write (write): File too large")) << r.out;
  EXPECT_EQ(test::read_file(dir + "/out/item_factors.npy"), before);
  for (const auto& name : names_in(dir + "/out")) EXPECT_FALSE(contains(name, ".tmp.")) << name;
}

}  // namespace
}  // namespace mfrec
