// `mfrec eval` re-makes the split the model was trained with, from its checkpoint, and refuses data
// the model was not trained on; another split only when asked, and then it says so.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mfrec {
namespace {

TEST(Eval, RemakesTheTrainingSplitAndRefusesOtherData) {
  const std::string dir = test::scratch_dir("eval-split");
  const std::string data = test::small_synthetic();
  auto r = test::run_cli("train --data_path " + data + " --split random --test_ratio 0.3 --seed 5 --epochs 3 --output " +
                         dir + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto m = nlohmann::json::parse(test::read_file(dir + "/metrics.json"));
  EXPECT_EQ(m["history"].size(), 3u);  // per epoch, also drawn beside the log:
  const std::string svg = test::read_file(dir + "/learning_curve.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 2u) << svg;  // training and validation RMSE
  r = test::run_cli("eval --model " + dir + "/model.mfrec --data_path " + data + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto e = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_NEAR(e["rmse"].get<double>(), m["test_rmse"].get<double>(), 1e-6);  // the same split: random, 0.3, seed 5
  EXPECT_EQ(e["split"], "random");
  EXPECT_TRUE(e["split_from_checkpoint"].get<bool>());
  // Another data set: refused, exit 1, naming both.
  const std::string other = test::scratch_dir("eval-other");
  ASSERT_EQ(test::run_cli("synth --out " + other + " --users 200 --items 100 --ratings 5000 --seed 9").exit_code, 0);
  r = test::run_cli("eval --model " + dir + "/model.mfrec --data_path " + other);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("is not the data"), std::string::npos) << r.out;
  // Another split asked for explicitly: evaluated, with the warning that test may overlap training.
  r = test::run_cli("eval --model " + dir + "/model.mfrec --data_path " + data + " --split temporal");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("may overlap"), std::string::npos) << r.out;
}

TEST(Eval, FilesSplitOnMl100k) {
  MFREC_REQUIRE_DATA(path, "ml-100k");
  const std::string dir = test::scratch_dir("eval-files");
  auto r = test::run_cli("train --data_path " + path + " --split files --train u1.base --test u1.test --epochs 3 --output " +
                         dir + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto m = nlohmann::json::parse(test::read_file(dir + "/metrics.json"));
  r = test::run_cli("eval --model " + dir + "/model.mfrec --data_path " + path + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto e = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_NEAR(e["rmse"].get<double>(), m["test_rmse"].get<double>(), 1e-6);  // u1.test, not a split of u.data
}

// A final model on all the data: no test part, no validation part, no NaN printed.
TEST(Eval, AllTheDataForAFinalModel) {
  const std::string dir = test::scratch_dir("final-model");
  auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --test_ratio 0 --val_ratio 0 --epochs 2 --output " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no test part"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
