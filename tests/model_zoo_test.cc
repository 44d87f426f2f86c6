// The model zoo's scripts (scripts/train_*_1p.sh) on a tiny generated data set, in a scratch working
// directory: where they write, the summary they print and file, and that each reads its own run.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "test_util.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

test::RunResult run_script(const std::string& script, const std::string& args, const std::string& cwd) {
  const std::string cmd = "cd '" + cwd + "' && MFREC='" + MFREC_CLI + "' ASCEND_DEVICE_ID=3 bash '" + MFREC_SOURCE_DIR +
                          "/scripts/" + script + "' " + args + " 2>&1 </dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  test::RunResult r{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// "Key = value" lines of a summary file, or "Key : value" lines of a log or of the printed output.
std::map<std::string, std::string> fields(const std::string& text, const std::string& sep) {
  std::map<std::string, std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (const size_t at = line.find(sep); at != std::string::npos) out[line.substr(0, at)] = line.substr(at + sep.size());
  return out;
}

TEST(ModelZoo, FullAndPerformanceRunsWriteTheirOwnFoldersAndSummaries) {
  const std::string cwd = test::scratch_dir("zoo"), data = test::small_synthetic();
  auto full = run_script("train_full_1p.sh", "--data_path=" + data + " --epochs 3 --batch_size 128 --quiet", cwd);
  ASSERT_EQ(full.exit_code, 0) << full.out;
  const fs::path dev = fs::path(cwd) / "output" / "3";
  ASSERT_TRUE(fs::exists(dev / "model.mfrec")) << full.out;
  const auto log = fields(test::read_file((dev / "train_3.log").string()), " : ");
  const auto shown = fields(full.out, " : ");
  EXPECT_EQ(shown.at("Final Train Accuracy"), log.at("Final Test RMSE"));
  EXPECT_EQ(shown.at("Final Performance samples/sec"), log.at("Final Performance samples/sec"));
  EXPECT_TRUE(shown.count("Final Training Duration sec"));
  const auto summary = fields(test::read_file((dev / "MF_mfrec_bs128_1p_acc.log").string()), " = ");
  EXPECT_EQ(summary.at("CaseName"), "MF_mfrec_bs128_1p_acc");
  EXPECT_EQ(summary.at("BatchSize"), "128");
  EXPECT_EQ(summary.at("TrainAccuracy"), log.at("Final Test RMSE"));
  EXPECT_FALSE(summary.at("ActualLoss").empty());
  const std::string full_model = test::read_file((dev / "model.mfrec").string());

  // Performance (here with --data_path and a space): its own folder; the full run's model stays.
  auto perf = run_script("train_performance_1p.sh", "--data_path " + data + " --epochs 1 --quiet", cwd);
  ASSERT_EQ(perf.exit_code, 0) << perf.out;
  ASSERT_TRUE(fs::exists(dev / "performance" / "model.mfrec")) << perf.out;
  EXPECT_EQ(test::read_file((dev / "model.mfrec").string()), full_model);
  const auto perf_log = fields(test::read_file((dev / "performance" / "train_3.log").string()), " : ");
  EXPECT_EQ(fields(perf.out, " : ").at("Final Train Accuracy"), perf_log.at("Final Test RMSE"));
  EXPECT_EQ(fields(test::read_file((dev / "MF_mfrec_bs512_1p_perf.log").string()), " = ").at("TrainAccuracy"),
            perf_log.at("Final Test RMSE"));
  EXPECT_TRUE(contains(test::read_file((dev / "performance" / "train_3.log").string()), "epoch 1/1 "));

  // --output DIR: the run, its summary and the figures printed all come from DIR.
  auto mine = run_script("train_full_1p.sh", "--data_path " + data + " --epochs 1 --dim 4 --output mine --quiet", cwd);
  ASSERT_EQ(mine.exit_code, 0) << mine.out;
  const auto mine_log = fields(test::read_file(cwd + "/mine/train_3.log"), " : ");
  EXPECT_EQ(fields(mine.out, " : ").at("Final Train Accuracy"), mine_log.at("Final Test RMSE"));
  EXPECT_NE(mine_log.at("Final Test RMSE"), log.at("Final Test RMSE"));
  EXPECT_TRUE(fs::exists(cwd + "/mine/MF_mfrec_bs512_1p_acc.log"));
  EXPECT_EQ(test::read_file((dev / "model.mfrec").string()), full_model);
  EXPECT_FALSE(fs::exists(fs::path(MFREC_SOURCE_DIR) / "output" / "3"));  // nothing in the repository
}

TEST(ModelZoo, StaticAndDynamicScriptsRunWithTheirCaseNames) {
  const std::string cwd = test::scratch_dir("zoo-shapes"), data = test::small_synthetic();
  for (const char* kind : {"static", "dynamic"}) {
    for (const char* run : {"full", "performance"}) {
      const std::string script = std::string("train_") + run + "_" + kind + "_1p.sh";
      auto r = run_script(script, "--data_path=" + data + " --epochs 1 --quiet", cwd);
      ASSERT_EQ(r.exit_code, 0) << script << ": " << r.out;
      EXPECT_TRUE(contains(r.out, "Final Train Accuracy : ")) << r.out;
      const std::string name = std::string("MF_mfrec_bs512_1p_") + kind + (std::string(run) == "full" ? "_acc" : "_perf");
      EXPECT_TRUE(fs::exists(cwd + "/output/3/" + name + ".log")) << script;
      EXPECT_TRUE(fs::exists(cwd + "/output/3" + (std::string(run) == "full" ? "" : "/performance") + "/model.mfrec")) << script;
    }
  }
}

TEST(ModelZoo, WithoutADataPathTheEmbeddedDefaultIsUsed) {
  const std::string cwd = test::scratch_dir("zoo-default");
  auto r = run_script("train_performance_1p.sh", "--epochs 1 --dim 8 --quiet", cwd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "embedded default")) << r.out;
  EXPECT_TRUE(fs::exists(cwd + "/output/synthetic-ml1m/ratings.dat"));
  EXPECT_TRUE(fs::exists(cwd + "/output/3/performance/model.mfrec"));
  EXPECT_FALSE(fields(r.out, " : ").at("Final Train Accuracy").empty()) << r.out;
}

}  // namespace
}  // namespace mfrec
