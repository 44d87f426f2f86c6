// Distributed training (mfrec-mpi under mpirun on this machine): als and ials on 1 to 4 ranks give
// the one-process model within rounding, `mfrec train --distributed` runs it, errors are reported
// once, and a rank that is killed ends the job within seconds and leaves the checkpoint as it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_util.h"

extern char** environ;

namespace mfrec {
namespace {

namespace fs = std::filesystem;

#ifdef MFREC_MPI_CLI
constexpr bool kHaveMpi = true;
const std::string kMpi = MFREC_MPI_CLI;
const std::string kMpiexec = MFREC_MPIEXEC;
#else
constexpr bool kHaveMpi = false;
const std::string kMpi, kMpiexec;
#endif
#define MFREC_REQUIRE_MPI() \
  if (!kHaveMpi) GTEST_SKIP() << "MPI is not in this build: apt-get install libopenmpi-dev openmpi-bin, then build again"

// mpirun on this machine alone: as many ranks as asked whatever the cores, allowed as root (CI runs
// as root), shared memory without the single-copy path that containers often forbid.
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none " +
         kMpiexec + " --oversubscribe -np " + std::to_string(ranks) + " ";
}

test::RunResult run_mpi(int ranks, const std::string& args, const std::string& program = kMpi + " train") {
  return test::run_shell(mpirun(ranks) + program + " " + args + " 2>&1 </dev/null");
}

nlohmann::json metrics(const std::string& dir) {
  std::ifstream in(dir + "/metrics.json");
  return nlohmann::json::parse(in);
}

// Generated data a little larger than the small set, so that every rank owns many rows.
const std::string& data() {
  static const std::string d = test::small_synthetic(500, 300, 25000);
  return d;
}

const std::string kAls = "--optimizer als --dim 8 --epochs 4 --reg 0.05 --seed 3 --threads 1 --quiet";
const std::string kIals = "--optimizer ials --dim 8 --epochs 4 --reg 0.02 --alpha 2 --seed 3 --threads 1 --quiet";

// The one-process model of `options`, trained once per test program.
std::string one_process(const std::string& options) {
  static std::map<std::string, std::string> made;
  if (auto it = made.find(options); it != made.end()) return it->second;
  const std::string out = test::scratch_dir("one-process-" + std::to_string(made.size()));
  const auto r = test::run_cli("train --data_path " + data() + " " + options + " --output " + out);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return made[options] = out;
}

class Ranks : public ::testing::TestWithParam<int> {};

TEST_P(Ranks, AlsGivesTheOneProcessModel) {
  MFREC_REQUIRE_MPI();
  const std::string one = one_process(kAls);
  const std::string out = test::scratch_dir("als");
  const auto r = run_mpi(GetParam(), "--data_path " + data() + " " + kAls + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NEAR(metrics(out)["test_rmse"].get<double>(), metrics(one)["test_rmse"].get<double>(), 1e-4) << r.out;
  EXPECT_EQ(metrics(out)["best_epoch"], metrics(one)["best_epoch"]);
  EXPECT_LT(test::largest_difference(load_model(out + "/model.mfrec"), load_model(one + "/model.mfrec")), 1e-4);
  EXPECT_EQ(metrics(out)["distributed"]["ranks"], GetParam());
}

TEST_P(Ranks, IalsGivesTheOneProcessModel) {
  MFREC_REQUIRE_MPI();
  const std::string one = one_process(kIals);
  const std::string out = test::scratch_dir("ials");
  const auto r = run_mpi(GetParam(), "--data_path " + data() + " " + kIals + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto a = metrics(out)["test_ranking"], b = metrics(one)["test_ranking"];
  for (const char* m : {"hr", "precision", "recall", "ndcg", "map"}) EXPECT_NEAR(a[m].get<double>(), b[m].get<double>(), 1e-3) << m;
  EXPECT_EQ(metrics(out)["best_epoch"], metrics(one)["best_epoch"]);
  // The Gramian is summed in another order: close, not equal.
  EXPECT_LT(test::largest_difference(load_model(out + "/model.mfrec"), load_model(one + "/model.mfrec")), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Distributed, Ranks, ::testing::Values(1, 2, 3, 4), [](const auto& p) {
  return std::to_string(p.param) + "ranks";
});

TEST(Distributed, TrainDistributedRunsMfrecMpiAndSaysWhatItSent) {
  MFREC_REQUIRE_MPI();
  const std::string out = test::scratch_dir("via-mfrec");
  const std::string options = "--optimizer als --dim 8 --epochs 2 --reg 0.05 --threads 1";
  const auto r = run_mpi(2, "--distributed --data_path " + data() + " " + options + " --output " + out,
                         std::string(MFREC_CLI) + " train");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("distributed: 2 ranks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("epoch 2/2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" sent "), std::string::npos) << r.out;
  EXPECT_GT(metrics(out)["distributed"]["bytes_per_epoch"]["max_sent_by_a_rank"].get<double>(), 0);
  EXPECT_EQ(metrics(out)["distributed"]["peak_memory_mb"].size(), 2u);
  // The checkpoint is the ordinary one: recommend reads it.
  const auto rec = test::run_cli("recommend --model " + out + "/model.mfrec --user 1 -k 3");
  EXPECT_EQ(rec.exit_code, 0) << rec.out;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Distributed, AnErrorEveryRankMeetsIsReportedOnce) {
  MFREC_REQUIRE_MPI();
  const auto missing = run_mpi(3, "--data_path /nonexistent/ratings.dat --optimizer als");
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_EQ(count_of(missing.out, "mfrec: error:"), 1u) << missing.out;
  const auto other = run_mpi(2, "--data_path " + data() + " --optimizer adam");
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_EQ(count_of(other.out, "mfrec: error:"), 1u) << other.out;
  EXPECT_NE(other.out.find("als and ials"), std::string::npos) << other.out;
  const auto typo = run_mpi(2, "--dimm 8");
  EXPECT_EQ(typo.exit_code, 2) << typo.out;
  EXPECT_EQ(count_of(typo.out, "mfrec: error:"), 1u) << typo.out;
}

// The ranks mpirun `launcher` started on this machine (its children), by rank.
std::map<int, pid_t> ranks_of(pid_t launcher) {
  std::map<int, pid_t> ranks;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != launcher) continue;
    std::ifstream env(e.path() / "environ");
    std::string var;
    while (std::getline(env, var, '\0'))
      if (var.rfind("OMPI_COMM_WORLD_RANK=", 0) == 0) ranks[std::stoi(var.substr(21))] = pid_t(std::stoi(name));
  }
  return ranks;
}

TEST(Distributed, AKilledRankEndsTheJobWithinSecondsAndTheCheckpointStays) {
  MFREC_REQUIRE_MPI();
  const std::string out = test::scratch_dir("killed");
  const std::string base = "--data_path " + data() + " --optimizer als --dim 8 --reg 0.05 --threads 1 --output " + out;
  const auto first = run_mpi(2, base + " --epochs 2 --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const std::string before = test::read_file(out + "/model.mfrec");

  // A long run into the same folder, killed at rank 1 once it is training.
  const std::string log = out + "/killed.out";
  const std::string cmd = "exec env " + mpirun(3) + kMpi + " train " + base + " --epochs 100000 --val_ratio 0 > " + log + " 2>&1";
  pid_t shell = 0;
  const char* argv[] = {"sh", "-c", cmd.c_str(), nullptr};
  ASSERT_EQ(posix_spawn(&shell, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (test::read_file(log).find("epoch 3/") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto ranks = ranks_of(shell);  // `exec`: the shell became mpirun
  ASSERT_EQ(ranks.count(1), 1u) << test::read_file(log);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(ranks.at(1), SIGKILL), 0);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(shell, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < killed + std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  if (done == 0) {
    ::kill(shell, SIGKILL);
    waitpid(shell, &status, 0);
  }
  const std::string said = test::read_file(log);
  ASSERT_EQ(done, shell) << "the job went on " << seconds << " s after a rank was killed\n" << said;
  EXPECT_LT(seconds, 10.0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << said;
  EXPECT_NE(said.find("rank 1"), std::string::npos) << said;
  EXPECT_EQ(test::read_file(out + "/model.mfrec"), before);
  EXPECT_NO_THROW(load_model(out + "/model.mfrec"));
}

}  // namespace
}  // namespace mfrec
