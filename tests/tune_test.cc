// Autotune: it searches on validation only, keeps the best, and its JSON trains again.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mfrec {
namespace {

TEST(Tune, FindsSettingsBetterThanTheFirstTrial) {
  const Dataset d = load_dataset({.path = test::small_synthetic()});
  const Split s = make_split(d.ratings, {.kind = SplitKind::random, .seed = 1});
  TrainOptions base;
  base.threads = 1;
  TuneOptions t;
  t.budget_seconds = 600;  // the trial count ends it, so that a busy machine cannot
  t.max_trials = 4;
  t.optimizers = {"adam"};
  t.max_dim = 32;
  const auto trials = autotune(d, s, base, t);
  ASSERT_EQ(trials.size(), 4u);
  double best = INFINITY;
  for (const auto& x : trials) best = std::min(best, x.val_rmse);
  EXPECT_LE(best, trials.front().val_rmse);
  for (const auto& x : trials) {
    EXPECT_LE(x.options.dim, 32u);
    EXPECT_GE(x.options.epochs, 1u);
  }
}

TEST(Tune, CommandWritesAConfigThatTrainRepeats) {
  const std::string out = test::scratch_dir("tune-cli");
  auto r = test::run_cli("tune --data_path " + test::small_synthetic() + " --budget 10m --trials 2 --optimizers adam --max_dim 16 --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("trial   1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test RMSE"), std::string::npos) << r.out;
  const auto best = nlohmann::json::parse(test::read_file(out + "/best.json"));
  EXPECT_EQ(best["optimizer"], "adam");
  auto again = test::run_cli("train --config " + out + "/best.json --data_path " + test::small_synthetic() + " --output " + out + "/again");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(test::run_cli("tune --budget soon --data_path " + test::small_synthetic()).exit_code, 2);
}

// mcmc has no learning rate or L2: tune searches its dim (at most 64) and noise precision, and the
// config it writes carries them.
TEST(Tune, SearchesMcmcsDimAndNoisePrecision) {
  const Dataset d = load_dataset({.path = test::small_synthetic()});
  const Split s = make_split(d.ratings, {.kind = SplitKind::random, .seed = 1});
  TrainOptions base;
  base.threads = 2;
  TuneOptions t;
  t.budget_seconds = 600;
  t.max_trials = 3;
  t.optimizers = {"mcmc"};
  const auto trials = autotune(d, s, base, t);
  ASSERT_EQ(trials.size(), 3u);
  for (const auto& x : trials) {
    EXPECT_EQ(x.options.optimizer, "mcmc");
    EXPECT_LE(x.options.dim, 64u);
    EXPECT_GE(x.options.noise_precision, 0.5f);
    EXPECT_LE(x.options.noise_precision, 6.0f);
    EXPECT_GT(x.options.epochs, x.options.burn_in) << "the kept epoch is past the burn-in";
    EXPECT_TRUE(std::isfinite(x.val_rmse));
  }
  const std::string out = test::scratch_dir("tune-mcmc");
  auto r = test::run_cli("tune --data_path " + test::small_synthetic() + " --budget 10m --trials 1 --optimizers mcmc --max_dim 8 --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("noise precision"), std::string::npos) << r.out;
  const auto best = nlohmann::json::parse(test::read_file(out + "/best.json"));
  EXPECT_EQ(best["optimizer"], "mcmc");
  EXPECT_TRUE(best.contains("noise_precision") && best.contains("burn_in")) << best.dump();
  auto again = test::run_cli("train --config " + out + "/best.json --data_path " + test::small_synthetic() + " --output " + out + "/again");
  ASSERT_EQ(again.exit_code, 0) << again.out;
}

}  // namespace
}  // namespace mfrec
