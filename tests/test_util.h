#pragma once
// Helpers shared by the tests: scratch folders, files, the real data sets, the CLI.
#include <string>

#include "mfrec/mfrec.h"

// Skips a test that measures memory: AddressSanitizer's shadow memory is terabytes of address space
// (far over any ulimit -v) and inflates every peak, and its operator new ends the program instead
// of throwing std::bad_alloc.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MFREC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MFREC_UNDER_ASAN)
#define MFREC_SKIP_UNDER_ASAN(why) GTEST_SKIP() << why << ": not with AddressSanitizer"
#else
#define MFREC_SKIP_UNDER_ASAN(why) (void)0
#endif

namespace mfrec::test {

// Expects two readings of the same data to agree: the rating columns in order, the ids in order and
// the read report's line and duplicate counts (gtest EXPECTs, so every difference is listed).
void expect_same_data(const Dataset& a, const Dataset& b);

// A fresh empty folder under the system's temporary directory, removed at exit.
std::string scratch_dir(const std::string& name);
std::string write_file(const std::string& dir, const std::string& name, const std::string& text);
std::string read_file(const std::string& path);

// ../shared/data/<name> beside the project, or "" when it is not there or MFREC_TEST_NO_SHARED_DATA
// is set (the test then skips; scripts/sanitize.sh sets it).
std::string shared_data(const std::string& name);
#define MFREC_REQUIRE_DATA(var, name)                                                              \
  const std::string var = ::mfrec::test::shared_data(name);                                       \
  if (var.empty()) GTEST_SKIP() << "real-data test skipped: ../shared/data/" name " is not there"

// A small generated data set in the ml-1m layout (made once per process).
std::string small_synthetic(uint32_t users = 300, uint32_t items = 200, uint64_t ratings = 15000);

// A model of small_synthetic() (temporal split, 4 Adam epochs), saved once per seed and process;
// returns its path.
std::string small_model(uint64_t seed = 0);

// A ranking model (iALS, 8 factors, 3 sweeps) of small_synthetic(), saved once per process; returns
// its path.
std::string small_ranking_model();

// small_synthetic() read and split at random 80/20 (seed 3), made once per process.
const SplitData& small_random_split();

// RMSE of predicting each test rating by its user's training mean (the global mean for a user with
// none): the baseline a trained model must beat.
double user_mean_rmse(const Split& split, size_t n_users);

// The largest absolute difference between two models' factors and biases (same shapes).
double largest_difference(const Model& a, const Model& b);

struct RunResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};
// Runs the mfrec program with `args` (a shell-quoted string), in `cwd` when given.
RunResult run_cli(const std::string& args, const std::string& cwd = "");
// Runs a shell command line (sh -c), its stdout as `out`.
RunResult run_shell(const std::string& cmd);

}  // namespace mfrec::test
