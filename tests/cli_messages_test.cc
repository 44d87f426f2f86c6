// The mfrec program's own messages: every error in its voice (CLI11's too), suggestions for typos,
// config files named with their key, -k everywhere, folds from 1, floats as typed, plurals.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "mfrec/dataset.h"
#include "mfrec/error.h"
#include "test_util.h"

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CliMessages, ParseErrorsStartWithMfrecError) {
  const std::string model = test::small_model();
  for (const std::string& args : std::vector<std::string>{"train --dim abc", "train --dim", "recommend --user 1", "eval --model x", "",
                                 "train --no_such_option 3", "similar --model " + model + " --item 1 -k x"}) {
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_EQ(r.out.rfind("mfrec: error: ", 0), 0u) << args << ": " << r.out;
    EXPECT_FALSE(contains(r.out, "Run with --help")) << r.out;
  }
  EXPECT_TRUE(contains(test::run_cli("train --dim abc").out, "--dim: 'abc' is not a valid value"));
}

TEST(CliMessages, MistypedFlagOrCommandGetsASuggestion) {
  auto r = test::run_cli("train --dimm 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.out, "mfrec: error: unknown option --dimm for mfrec train (did you mean --dim?)")) << r.out;
  r = test::run_cli("recommend --model m --usr 1");
  EXPECT_TRUE(contains(r.out, "did you mean --user?")) << r.out;
  r = test::run_cli("trian --epochs 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.out, "mfrec: error: unknown command 'trian' (did you mean train?)")) << r.out;
  r = test::run_cli("frobnicate");
  EXPECT_TRUE(contains(r.out, "unknown command 'frobnicate'")) << r.out;
  EXPECT_FALSE(contains(r.out, "did you mean")) << r.out;
  EXPECT_TRUE(contains(r.out, "train, eval")) << r.out;
}

TEST(CliMessages, BadConfigKeyNamesFileAndKey) {
  const std::string dir = test::scratch_dir("cli-msg-config");
  const std::string file = test::write_file(dir, "c.json", R"({"epochs": 1, "dimension": 3})");
  auto r = test::run_cli("train --config " + file + " --data_path " + test::small_synthetic() + " --output " + dir + "/o");
  EXPECT_EQ(r.exit_code, 2);
  // One form for every config error (merge of i13 and i17): "--config FILE: "key" what".
  EXPECT_TRUE(contains(r.out, "mfrec: error: --config " + file + ": \"dimension\" is not an option of `train`")) << r.out;
  EXPECT_TRUE(contains(r.out, "did you mean --dim?")) << r.out;
  const std::string bad = test::write_file(dir, "v.json", R"({"dim": "many"})");
  r = test::run_cli("train --config " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.out, "mfrec: error: --config " + bad + ": \"dim\" expects an integer, not a string")) << r.out;
  // A value of the right type that the option still refuses: CLI11's message, with the file and key.
  const std::string big = test::write_file(dir, "big.json", R"({"dim": 99999999999999999})");
  r = test::run_cli("train --config " + big);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.out, "\"dim\" in " + big)) << r.out;
}

TEST(CliMessages, ConfigIsInEveryCommandsHelp) {
  for (const char* cmd : {"train", "eval", "tune", "recommend", "similar", "predict", "info", "items", "serve"}) {
    const auto r = test::run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_TRUE(contains(r.out, "--config FILE")) << cmd << ": " << r.out;
  }
}

TEST(CliMessages, ShortKWorksWhereverLongKDoes) {
  const std::string model = test::small_model();
  const Model m = load_model(model);
  const std::string user = m.users.external(0), item = m.items.external(0);
  auto r = test::run_cli("recommend --model " + model + " --user " + user + " -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["items"].size(), 3u);
  r = test::run_cli("similar --model " + model + " --item " + item + " -k 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["items"].size(), 2u);
  r = test::run_cli("eval --model " + model + " --data_path " + test::small_synthetic() + " -k 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ranking"]["k"], 7);
}

TEST(CliMessages, FoldsCountFromOne) {
  const std::string out = test::scratch_dir("cli-msg-folds"), data = test::small_synthetic();
  auto r = test::run_cli("train --data_path " + data + " --split kfold --folds 3 --epochs 1 --output " + out + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "fold 1/3")) << r.out;
  EXPECT_TRUE(contains(r.out, "fold 3/3")) << r.out;
  for (int f = 1; f <= 3; ++f) EXPECT_TRUE(std::filesystem::exists(out + "/fold-" + std::to_string(f) + "/model.mfrec")) << f;
  EXPECT_FALSE(std::filesystem::exists(out + "/fold-0"));
  // --fold 3 of 3 is the last fold; eval of fold-3's model with --fold 3 reproduces its test RMSE.
  const auto m = nlohmann::json::parse(test::read_file(out + "/fold-3/metrics.json"));
  auto e = test::run_cli("eval --model " + out + "/fold-3/model.mfrec --data_path " + data + " --split kfold --folds 3 --fold 3 --json");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["rmse"].get<double>(), m["test_rmse"].get<double>(), 1e-6);
  for (const char* bad : {"--fold 0", "--fold 4"}) {
    e = test::run_cli("eval --model " + out + "/fold-1/model.mfrec --data_path " + data + " --split kfold --folds 3 " + bad);
    EXPECT_EQ(e.exit_code, 2) << bad << ": " << e.out;
    EXPECT_TRUE(contains(e.out, "from 1")) << e.out;
  }
}

TEST(CliMessages, FloatsPrintAsTyped) {
  const std::string out = test::scratch_dir("cli-msg-floats");
  auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --epochs 1 --lr 0.003 --reg 0.9 --output " + out + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string metrics = test::read_file(out + "/metrics.json");
  EXPECT_TRUE(contains(metrics, "\"lr\": 0.003,")) << metrics;
  EXPECT_TRUE(contains(metrics, "\"reg\": 0.9,")) << metrics;
  EXPECT_TRUE(contains(metrics, "\"beta1\": 0.9,")) << metrics;
  EXPECT_FALSE(contains(metrics, "0.899999")) << metrics;
  const auto info = test::run_cli("info --model " + out + "/model.mfrec");
  ASSERT_EQ(info.exit_code, 0) << info.out;
  EXPECT_TRUE(contains(info.out, "lr 0.003,")) << info.out;
  EXPECT_TRUE(contains(info.out, "reg 0.9,")) << info.out;
}

TEST(CliMessages, OneRatingNotOneRatings) {
  const std::string model = test::small_model();
  const Model m = load_model(model);
  const auto r = test::run_cli("recommend --model " + model + " --ratings " + m.items.external(0) + ":4 -k 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "folded in from 1 rating ")) << r.out;
  EXPECT_FALSE(contains(r.out, "1 ratings")) << r.out;
}

// The library's DataErrors name options as the library does (`min_rating`); the CLI says --min_rating.
// Backquotes around anything but an option name (quoted data) stay as they are.
TEST(CliMessages, DataErrorsNameOptionsAsFlags) {
  Ratings r;
  r.push(0, 0, 3);
  try {
    keep_at_least(r, 6, "x.csv");
    ADD_FAILURE() << "kept nothing without a word";
  } catch (const DataError& e) {
    EXPECT_TRUE(contains(e.what(), "(`min_rating`)")) << e.what();
  }
  auto run = test::run_cli("train --data_path " + test::small_synthetic() + " --min_rating 99 --epochs 1 --output " +
                           test::scratch_dir("min-rating") + " --quiet");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_TRUE(contains(run.out, "(--min_rating)")) << run.out;
  const std::string dir = test::scratch_dir("backquoted-data");
  test::write_file(dir, "ratings.dat", "1::2::`x y`::3\n");
  run = test::run_cli("train --data_path " + dir + "/ratings.dat --epochs 1 --output " + dir + "/o --quiet");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_TRUE(contains(run.out, "\"`x y`\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "use --header")) << run.out;
}

}  // namespace
}  // namespace mfrec
