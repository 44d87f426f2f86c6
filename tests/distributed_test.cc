// Distributed training (mfrec-mpi under mpirun on this machine): als, ials and mcmc on 1 to 4 ranks
// give the one-process model within rounding, sgd (DSGD) the one-process engine's RMSE within 0.005, `mfrec train --distributed` runs it, errors are reported
// once, a rank that is killed ends the job within seconds and leaves the checkpoint as it was, and
// --checkpoint_every and --resume carry a run over to another number of ranks.
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
const std::string kSgd = "--optimizer sgd --dim 8 --epochs 20 --lr 0.05 --reg 0.05 --seed 3 --threads 1 --quiet";
const std::string kMcmc = "--optimizer mcmc --dim 8 --epochs 16 --burn_in 8 --seed 3 --threads 1 --quiet";

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
  // Every row's sums are formed in the one-process order (two_sides.h, dist/partition.h): the same bits.
  EXPECT_EQ(test::largest_difference(load_model(out + "/model.mfrec"), load_model(one + "/model.mfrec")), 0.0);
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

TEST_P(Ranks, McmcGivesTheOneProcessChain) {
  MFREC_REQUIRE_MPI();
  const std::string one = one_process(kMcmc);
  const std::string out = test::scratch_dir("mcmc");
  const auto r = run_mpi(GetParam(), "--data_path " + data() + " " + kMcmc + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NEAR(metrics(out)["test_rmse"].get<double>(), metrics(one)["test_rmse"].get<double>(), 1e-4) << r.out;
  EXPECT_EQ(metrics(out)["best_epoch"], metrics(one)["best_epoch"]);
  // The same draws, the sums (the priors' statistics, the training error) in another order.
  const Model a = load_model(out + "/model.mfrec"), b = load_model(one + "/model.mfrec");
  ASSERT_EQ(a.dim, b.dim);
  EXPECT_LT(test::largest_difference(a, b), 1e-3);
}

// DSGD visits the ratings in another order than the one-process grid: another draw of the same method.
TEST_P(Ranks, SgdByStrataMatchesTheOneProcessRmse) {
  MFREC_REQUIRE_MPI();
  const std::string one = one_process(kSgd);
  const std::string out = test::scratch_dir("sgd");
  const auto r = run_mpi(GetParam(), "--data_path " + data() + " " + kSgd + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const double mine = metrics(out)["test_rmse"].get<double>(), theirs = metrics(one)["test_rmse"].get<double>();
  EXPECT_NEAR(mine, theirs, 0.005) << r.out;
  // It learned: well below the first epoch's error, and each rank passed item blocks on.
  const auto m = metrics(out);
  EXPECT_LT(m["history"].back()["loss"].get<double>(), m["history"].front()["loss"].get<double>() * 0.8) << r.out;
  if (GetParam() > 1) EXPECT_GT(m["distributed"]["bytes_per_epoch"]["max_received_by_a_rank"].get<double>(), 0);
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
  EXPECT_NE(other.out.find("als, ials, mcmc and sgd"), std::string::npos) << other.out;
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

struct Killed {
  bool ended = false;  // the job ended by itself
  int status = 0;
  double seconds = 0;  // from the kill to the job's end
  std::string out;
};

// Runs `ranks` ranks of mfrec-mpi train `args`, kills rank `victim` once the output holds `marker`,
// and waits (30 s at most) for the job to end.
Killed kill_rank_during(int ranks, const std::string& args, const std::string& marker, int victim, const std::string& dir) {
  Killed k;
  const std::string log = dir + "/job.out";
  const std::string cmd = "exec env " + mpirun(ranks) + kMpi + " train " + args + " > " + log + " 2>&1";
  pid_t shell = 0;
  const char* argv[] = {"sh", "-c", cmd.c_str(), nullptr};
  if (posix_spawn(&shell, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return k;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (test::read_file(log).find(marker) == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto ranks_now = ranks_of(shell);  // `exec`: the shell became mpirun
  const auto killed = std::chrono::steady_clock::now();
  if (ranks_now.count(victim)) ::kill(ranks_now.at(victim), SIGKILL);
  pid_t done = 0;
  while ((done = waitpid(shell, &k.status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < killed + std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  k.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  k.ended = done == shell;
  if (!k.ended) {
    ::kill(shell, SIGKILL);
    waitpid(shell, &k.status, 0);
  }
  k.out = test::read_file(log);
  if (!ranks_now.count(victim)) k.out += "\n(the test found no rank " + std::to_string(victim) + " to kill)";
  return k;
}

TEST(Distributed, AKilledRankEndsTheJobWithinSecondsAndTheCheckpointStays) {
  MFREC_REQUIRE_MPI();
  const std::string out = test::scratch_dir("killed");
  const std::string base = "--data_path " + data() + " --optimizer als --dim 8 --reg 0.05 --threads 1 --output " + out;
  const auto first = run_mpi(2, base + " --epochs 2 --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const std::string before = test::read_file(out + "/model.mfrec");
  // A long run into the same folder, killed at rank 1 once it is training.
  const Killed k = kill_rank_during(3, base + " --epochs 100000 --val_ratio 0", "epoch 3/", 1, out);
  ASSERT_TRUE(k.ended) << "the job went on " << k.seconds << " s after a rank was killed\n" << k.out;
  EXPECT_LT(k.seconds, 10.0);
  EXPECT_TRUE(WIFEXITED(k.status) && WEXITSTATUS(k.status) != 0) << k.out;
  EXPECT_NE(k.out.find("rank 1"), std::string::npos) << k.out;
  EXPECT_EQ(test::read_file(out + "/model.mfrec"), before);
  EXPECT_NO_THROW(load_model(out + "/model.mfrec"));
}

TEST(Distributed, ACheckpointEveryKEpochsOutlivesAKilledRankAndResumesOnOtherRanks) {
  MFREC_REQUIRE_MPI();
  const std::string out = test::scratch_dir("checkpointed");
  const std::string base = "--data_path " + data() + " --optimizer als --dim 8 --reg 0.05 --threads 1 --val_ratio 0";
  const Killed k = kill_rank_during(3, base + " --epochs 100000 --checkpoint_every 3 --output " + out, "checkpoint: epoch 6 ",
                                    2, out);
  ASSERT_TRUE(k.ended) << k.out;
  EXPECT_NE(WEXITSTATUS(k.status), 0) << k.out;
  const Model saved = load_model(out + "/model.mfrec");
  const uint64_t epochs = saved.meta.value("epochs_done", uint64_t(0));
  ASSERT_GE(epochs, 6u) << k.out;
  EXPECT_EQ(epochs % 3, 0u);
  // What was saved is the one-process model after as many epochs.
  const std::string one = test::scratch_dir("checkpointed-one");
  const auto r1 = test::run_cli("train " + base + " --quiet --epochs " + std::to_string(epochs) + " --output " + one);
  ASSERT_EQ(r1.exit_code, 0) << r1.out;
  EXPECT_LT(test::largest_difference(saved, load_model(one + "/model.mfrec")), 1e-4);
  // And training goes on from it on another number of ranks.
  const auto r2 = run_mpi(2, base + " --quiet --epochs 1 --resume --output " + out);
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_EQ(load_model(out + "/model.mfrec").meta.value("epochs_done", uint64_t(0)), epochs + 1);
}

}  // namespace
}  // namespace mfrec
