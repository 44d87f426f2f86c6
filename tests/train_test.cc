// Training end to end on generated data: it learns, stops early, survives divergence.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "test_util.h"

namespace mfrec {
namespace {

struct Fixture {
  Dataset data = load_dataset({.path = test::small_synthetic()});
  Split split = make_split(data.ratings, {.seed = 3});
};
const Fixture& fx() {
  static const Fixture f;
  return f;
}

TEST(Train, LearnsFarBelowTheUserMeanBaseline) {
  TrainOptions o;
  o.epochs = 30, o.batch_size = 64, o.lr = 0.005f, o.threads = 1;
  FitResult r = fit(fx().data, fx().split, o);
  Model m = r.model;
  const double baseline = test::user_mean_rmse(fx().split, fx().data.users.size());
  EXPECT_LT(r.test.rmse, baseline - 0.05) << "baseline " << baseline;
  EXPECT_EQ(r.train.history.size(), 30u);
  EXPECT_GT(r.train.best_epoch, 0u);
  EXPECT_LT(r.train.history.back().loss, r.train.history.front().loss);
  EXPECT_GT(r.train.train_seconds, 0.0);
  EXPECT_GT(r.train.loop_seconds, r.train.train_seconds) << "the loop holds the epochs and validation";
  for (size_t u = 0; u < m.n_users(); ++u) EXPECT_GT(m.seen.count(uint32_t(u)), 0u);
}

TEST(Train, PlainModelPredictsTheDotProductAlone) {
  TrainOptions o;
  o.kind = ModelKind::plain, o.epochs = 3, o.threads = 1;
  FitResult r = fit(fx().data, fx().split, o);
  Model m = r.model;
  for (size_t u = 0; u < m.n_users(); ++u) ASSERT_EQ(m.user_mean[u] + m.user_bias[u], 0.0f);
  for (size_t i = 0; i < m.n_items(); ++i) ASSERT_EQ(m.item_bias[i], 0.0f);
}

TEST(Train, EarlyStoppingKeepsTheBestEpoch) {
  TrainOptions o;
  o.epochs = 200, o.batch_size = 16, o.lr = 0.05f, o.reg = 0, o.patience = 3, o.threads = 1, o.dim = 64;
  FitResult r = fit(fx().data, fx().split, o);
  EXPECT_TRUE(r.train.early_stopped);
  EXPECT_LT(r.train.history.size(), 200u);
  EXPECT_EQ(r.train.history.size(), r.train.best_epoch + 3);
  double best = INFINITY;
  for (const auto& e : r.train.history) best = std::min(best, e.val_rmse);
  EXPECT_DOUBLE_EQ(r.train.history[r.train.best_epoch - 1].val_rmse, best);
}

TEST(Train, KeepLastHoldsTheFinalEpoch) {
  TrainOptions o;
  o.epochs = 40, o.batch_size = 16, o.lr = 0.002f, o.reg = 0, o.threads = 1, o.dim = 64;
  FitResult best, last;
  best = fit(fx().data, fx().split, o);
  o.keep_best = false;
  last = fit(fx().data, fx().split, o);
  EXPECT_EQ(last.train.best_epoch, 40u);
  EXPECT_LT(best.train.best_epoch, 40u) << "this setting overfits, so the best epoch comes early";
  EXPECT_LT(best.val.rmse, last.val.rmse);
}

TEST(Train, DivergenceStopsWithTheLastGoodParameters) {
  TrainOptions o;
  o.epochs = 5, o.lr = 1e20f, o.threads = 1;
  FitResult r = fit(fx().data, fx().split, o);
  Model m = r.model;
  EXPECT_TRUE(r.train.diverged);
  EXPECT_EQ(r.train.best_epoch, 0u);
  EXPECT_EQ(r.train.history.size(), 1u);
  for (size_t u = 0; u < m.n_users(); ++u) ASSERT_TRUE(std::isfinite(m.user_bias[u]));
  EXPECT_TRUE(std::isfinite(r.test.rmse));
}

TEST(Train, BadOptionsAreUsageErrors) {
  for (auto bad : std::vector<std::function<void(TrainOptions&)>>{
           [](TrainOptions& o) { o.dim = 0; }, [](TrainOptions& o) { o.batch_size = 0; },
           [](TrainOptions& o) { o.lr = -1; }, [](TrainOptions& o) { o.reg = NAN; },
           [](TrainOptions& o) { o.optimizer = "lbfgs"; }, [](TrainOptions& o) { o.epochs = 0; }}) {
    TrainOptions o;
    bad(o);
    EXPECT_THROW(fit(fx().data, fx().split, o), UsageError);
  }
}

TEST(Train, ResumeCarriesParametersByExternalId) {
  TrainOptions o;
  o.epochs = 10, o.batch_size = 64, o.lr = 0.005f, o.threads = 1;
  FitResult first = fit(fx().data, fx().split, o);
  Model m = first.model;
  o.epochs = 1;
  o.seed = 99;  // another initialisation: resuming must not depend on it
  FitResult again = fit_from(m, fx().data, fx().split, o);
  Model resumed = again.model;
  EXPECT_EQ(resumed.meta["epochs_done"], 11);
  EXPECT_LT(again.test.rmse, first.test.rmse + 0.01);
  FitResult cold = fit(fx().data, fx().split, o);
  EXPECT_LT(again.test.rmse, cold.test.rmse);
}

}  // namespace
}  // namespace mfrec
