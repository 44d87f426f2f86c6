// The mfrec program: its outputs, its exit codes (0 ok, 1 bad data, 2 bad usage) and messages.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Cli, TrainWritesModelLogAndMetrics) {
  const std::string data = test::small_synthetic(), out = test::scratch_dir("cli-train");
  auto r = test::run_cli("train --data_path " + data + " --epochs 3 --batch_size 128 --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "test RMSE"));
  const std::string log = test::read_file(out + "/train_0.log");
  EXPECT_TRUE(contains(log, "epoch 3/3 loss"));
  EXPECT_TRUE(contains(log, "Final Performance samples/sec : "));
  EXPECT_TRUE(contains(log, "Final Test RMSE : "));
  EXPECT_TRUE(contains(log, "E2E Training Duration sec : "));
  const auto m = nlohmann::json::parse(test::read_file(out + "/metrics.json"));
  for (const char* key : {"test_rmse", "test_mae", "val_rmse", "best_epoch", "epochs", "train_seconds",
                          "loop_seconds", "samples_per_second", "load_seconds", "n_users", "n_items", "n_train",
                          "n_test", "cold_test_ratings", "split", "optimizer", "precision"})
    EXPECT_TRUE(m.contains(key)) << key;
  EXPECT_EQ(m["split"], "temporal");
  EXPECT_EQ(m["epochs"], 3);

  // eval on the same split reproduces the test RMSE.
  auto e = test::run_cli("eval --model " + out + "/model.mfrec --data_path " + data + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const auto ej = nlohmann::json::parse(e.out.substr(e.out.find('{')));
  EXPECT_NEAR(ej["rmse"].get<double>(), m["test_rmse"].get<double>(), 1e-6);

  // --resume continues from the checkpoint.
  auto again = test::run_cli("train --data_path " + data + " --epochs 1 --batch_size 128 --resume --output " + out);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_TRUE(contains(again.out, "resuming from"));
  EXPECT_EQ(load_model(out + "/model.mfrec").meta["epochs_done"], 4);
}

TEST(Cli, ConfigFileWithCommandLineOverrides) {
  const std::string dir = test::scratch_dir("cli-config");
  test::write_file(dir, "best.json", R"({"optimizer": "adam", "dim": 8, "epochs": 2, "lr": 0.002, "_note": "x"})");
  auto r = test::run_cli("train --config " + dir + "/best.json --dim 4 --data_path " + test::small_synthetic() +
                         " --output " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto m = nlohmann::json::parse(test::read_file(dir + "/out/metrics.json"));
  EXPECT_EQ(m["dim"], 4);
  EXPECT_EQ(m["epochs"], 2);
  test::write_file(dir, "bad.json", "{\"dim\": ");
  EXPECT_EQ(test::run_cli("train --config " + dir + "/bad.json").exit_code, 2);
  test::write_file(dir, "unknown.json", R"({"dimension": 3})");
  EXPECT_EQ(test::run_cli("train --config " + dir + "/unknown.json").exit_code, 2);
}

TEST(Cli, BadUsageExitsTwo) {
  const std::string data = " --data_path " + test::small_synthetic() + " --output " + test::scratch_dir("cli-usage");
  for (const char* bad : {"--dim -5", "--dim 0", "--batch_size 0", "--epochs 0", "--lr -1", "--optimizer nope",
                          "--precision fp8", "--split sideways", "--test_ratio 1.5", "--no_such_option 3"}) {
    auto r = test::run_cli("train " + std::string(bad) + data);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out;
    EXPECT_FALSE(r.out.empty()) << bad;
  }
  EXPECT_EQ(test::run_cli("").exit_code, 2);
  EXPECT_EQ(test::run_cli("--version").exit_code, 0);
}

TEST(Cli, BadDataExitsOneNamingFileAndLine) {
  const std::string dir = test::scratch_dir("cli-data");
  auto missing = test::run_cli("train --data_path " + dir + "/nowhere --output " + dir);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.out, dir + "/nowhere: no such file or folder")) << missing.out;
  test::write_file(dir, "ratings.dat", "1::2::3::4\n1::3::4::5\n2::2::x::6\n");
  auto bad = test::run_cli("train --data_path " + dir + " --output " + dir);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.out, dir + "/ratings.dat:3: the rating \"x\" is not a number")) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/model.mfrec"));
  test::write_file(dir, "broken.mfrec", "MFREC but not really");
  auto model = test::run_cli("eval --model " + dir + "/broken.mfrec --data_path " + test::small_synthetic());
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_TRUE(contains(model.out, "broken.mfrec")) << model.out;
}

TEST(Cli, DivergenceLeavesTheLastGoodCheckpoint) {
  const std::string data = test::small_synthetic(), out = test::scratch_dir("cli-nan");
  ASSERT_EQ(test::run_cli("train --epochs 1 --data_path " + data + " --output " + out).exit_code, 0);
  const std::string good = test::read_file(out + "/model.mfrec");
  auto r = test::run_cli("train --epochs 3 --lr 1e20 --data_path " + data + " --output " + out);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "diverged")) << r.out;
  EXPECT_EQ(test::read_file(out + "/model.mfrec"), good);
}

// A run that fails keeps the folder consistent: the log, metrics.json and the model are the last good
// run's; the failed run's log stands aside as train_0.log.partial.
TEST(Cli, AFailedRunLeavesLogMetricsAndModelTogether) {
  const std::string data = test::small_synthetic(), out = test::scratch_dir("cli-consistent");
  ASSERT_EQ(test::run_cli("train --epochs 2 --data_path " + data + " --output " + out).exit_code, 0);
  const std::string log = test::read_file(out + "/train_0.log"), metrics = test::read_file(out + "/metrics.json");
  auto r = test::run_cli("train --epochs 3 --lr 1e30 --data_path " + data + " --output " + out);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(test::read_file(out + "/train_0.log"), log);
  EXPECT_EQ(test::read_file(out + "/metrics.json"), metrics);
  EXPECT_TRUE(contains(test::read_file(out + "/train_0.log.partial"), "diverged")) << r.out;
}

TEST(Cli, KfoldRunsEveryFoldAndReportsMeanAndStd) {
  const std::string out = test::scratch_dir("cli-kfold");
  auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --split kfold --folds 3 --epochs 2 --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "3-fold test RMSE")) << r.out;
  const auto m = nlohmann::json::parse(test::read_file(out + "/metrics.json"));
  ASSERT_EQ(m["fold_test_rmse"].size(), 3u);
  double mean = 0;
  for (int f = 0; f < 3; ++f) {
    EXPECT_TRUE(std::filesystem::exists(out + "/fold-" + std::to_string(f + 1) + "/model.mfrec"));
    mean += m["fold_test_rmse"][f].get<double>() / 3;
  }
  EXPECT_NEAR(m["test_rmse"].get<double>(), mean, 1e-12);
  EXPECT_GT(m["test_rmse_std"].get<double>(), 0.0);
  EXPECT_EQ(test::run_cli("eval --model " + out + "/fold-1/model.mfrec --data_path " + test::small_synthetic() +
                          " --split kfold --folds 3").exit_code, 2);  // eval needs to be told the fold
}

TEST(Cli, SynthWritesTheMl1mLayout) {
  const std::string out = test::scratch_dir("cli-synth");
  auto r = test::run_cli("synth --out " + out + " --users 100 --items 80 --ratings 3000 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Dataset d = load_dataset({.path = out});
  EXPECT_EQ(d.ratings.size(), 3000u);
  EXPECT_EQ(d.users.size(), 100u);
  EXPECT_LE(d.items.size(), 80u);
  EXPECT_EQ(d.source.layout.name, "ml-1m");
  EXPECT_FALSE(d.catalog.titles[0].empty());
  EXPECT_EQ(test::run_cli("synth --out " + out + " --users 10 --items 5 --ratings 1000000").exit_code, 2);
}

}  // namespace
}  // namespace mfrec
