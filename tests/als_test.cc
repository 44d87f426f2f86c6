// The ALS engine: a solved row is the solution of its normal equations, the objective never goes up
// from one sweep to the next, accuracy on generated data, bf16 storage, rows without ratings.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "test_util.h"
#include "train/engine.h"

namespace mfrec {
namespace {

using Data = SplitData;
const Data& synthetic() { return test::small_random_split(); }
using test::user_mean_rmse;

TrainOptions als_options() {
  TrainOptions o;
  o.optimizer = "als";
  o.dim = 16;
  o.reg = 0.08f;
  o.epochs = 8;
  o.threads = 2;
  o.seed = 5;
  return o;
}

Model fresh_model(const Data& d, const TrainOptions& o) {
  Model m;
  m.kind = o.kind;
  m.init(d.data.users.size(), d.data.items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(d.split.train);
  return m;
}

Eigen::VectorXd row(const FactorMatrix& m, size_t r) {
  std::vector<float> v(m.cols());
  m.read_row(r, v.data());
  return Eigen::Map<Eigen::VectorXf>(v.data(), Eigen::Index(v.size())).cast<double>();
}

// The normal equations of one row, in double, from the other side's factors and biases, solved by
// Eigen's dense LU: x = [factors; bias].
Eigen::VectorXd direct_solve(const Model& m, const Ratings& train, bool user_side, uint32_t r, const FactorMatrix& other,
                             const std::vector<float>& other_bias, double lambda, double lambda_b) {
  const Eigen::Index k = m.dim, w = k + 1;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(w, w);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(w);
  double n = 0;
  for (size_t t = 0; t < train.size(); ++t) {
    if ((user_side ? train.user[t] : train.item[t]) != r) continue;
    const uint32_t j = user_side ? train.item[t] : train.user[t];
    Eigen::VectorXd x(w);
    x.head(k) = row(other, j);
    x[k] = 1;
    const double y = train.value[t] - m.user_mean[train.user[t]] - other_bias[j];
    A += x * x.transpose();
    b += y * x;
    ++n;
  }
  A.diagonal().head(k).array() += lambda * n;
  A(k, k) += lambda_b * n;
  return A.fullPivLu().solve(b);
}

TEST(Als, SolvedRowsAreTheSolutionsOfTheirNormalEquations) {
  const Data& d = synthetic();
  TrainOptions o = als_options();
  o.reg_bias = 0.03f;
  Model m = fresh_model(d, o);
  const FactorMatrix Q0 = m.Q;
  const std::vector<float> bi0 = m.item_bias;
  auto engine = make_engine(m, d.split.train, o);
  engine->run_epoch(1);
  // Users were solved against the items as they were before the sweep, items against the new users.
  for (uint32_t u : {0u, 7u, 123u, 299u}) {
    const Eigen::VectorXd x = direct_solve(m, d.split.train, true, u, Q0, bi0, o.reg, o.bias_reg());
    const Eigen::VectorXd p = row(m.P, u);
    EXPECT_LT((p - x.head(o.dim)).norm(), 1e-4 * (1 + x.norm())) << "user " << u;
    EXPECT_NEAR(m.user_bias[u], x[o.dim], 1e-4) << "user " << u;
  }
  for (uint32_t i : {0u, 3u, 77u, 150u}) {
    const Eigen::VectorXd x = direct_solve(m, d.split.train, false, i, m.P, m.user_bias, o.reg, o.bias_reg());
    const Eigen::VectorXd q = row(m.Q, i);
    EXPECT_LT((q - x.head(o.dim)).norm(), 1e-4 * (1 + x.norm())) << "item " << i;
    EXPECT_NEAR(m.item_bias[i], x[o.dim], 1e-4) << "item " << i;
  }
}

// The ALS-WR objective (see als.cc), in double.
double objective(const Model& m, const Ratings& train, double lambda, double lambda_b) {
  std::vector<double> nu(m.n_users(), 0), ni(m.n_items(), 0);
  double sse = 0;
  for (size_t t = 0; t < train.size(); ++t) {
    const uint32_t u = train.user[t], i = train.item[t];
    const double e = double(m.predict_raw(u, i)) - train.value[t];
    sse += e * e;
    ++nu[u], ++ni[i];
  }
  double reg = 0;
  for (size_t u = 0; u < m.n_users(); ++u) reg += nu[u] * (lambda * row(m.P, u).squaredNorm() + lambda_b * m.user_bias[u] * m.user_bias[u]);
  for (size_t i = 0; i < m.n_items(); ++i) reg += ni[i] * (lambda * row(m.Q, i).squaredNorm() + lambda_b * m.item_bias[i] * m.item_bias[i]);
  return sse + reg;
}

// A split handed over (fit(Split&&)): the user side is made of the training part's own columns
// (two_sides.h); the model is the one a kept split gives, to the bit, for als and mcmc.
TEST(Als, AHandedOverSplitTrainsTheSameModelAsMcmcDoes) {
  const SplitData& d = test::small_random_split();
  for (const char* engine : {"als", "mcmc"}) {
    TrainOptions o = als_options();
    o.optimizer = engine;
    o.epochs = 3;
    o.burn_in = 1;
    o.threads = 2;
    const FitResult kept = fit(d.data, d.split, o);
    Split handed = d.split;
    const FitResult r = fit(d.data, std::move(handed), o);
    EXPECT_EQ(handed.train.size(), 0u);
    EXPECT_EQ(test::largest_difference(r.model, kept.model), 0.0) << engine;
    EXPECT_EQ(r.test.rmse, kept.test.rmse) << engine;
  }
}

// Rows lent to an engine come back reordered, with targets for values, each with its own user and
// item: what fit() reads of them afterwards.
TEST(Als, LentRowsKeepEachRowsUserAndItem) {
  const SplitData& d = test::small_random_split();
  auto pairs = [](const Ratings& r) {
    std::vector<std::pair<uint32_t, uint32_t>> v;
    for (size_t k = 0; k < r.size(); ++k) v.emplace_back(r.user[k], r.item[k]);
    std::sort(v.begin(), v.end());
    return v;
  };
  for (const char* engine : {"als", "mcmc", "ials"}) {
    TrainOptions o = als_options();
    o.optimizer = engine;
    o.epochs = 2;
    o.burn_in = 1;
    Ratings rows = d.split.train;
    Model m = prepare_model(d.data, rows, o);
    train_in_place(m, rows, Ratings{}, o, [](const EpochStats&) { return true; }, RankingOptions{});
    ASSERT_EQ(rows.size(), d.split.train.size()) << engine;
    EXPECT_EQ(rows.value.size(), rows.size()) << engine;
    EXPECT_EQ(pairs(rows), pairs(d.split.train)) << engine;
  }
}

TEST(Als, ObjectiveNeverIncreasesFromSweepToSweep) {
  const Data& d = synthetic();
  const TrainOptions o = als_options();
  Model m = fresh_model(d, o);
  auto engine = make_engine(m, d.split.train, o);
  double before = objective(m, d.split.train, o.reg, o.bias_reg());
  for (uint32_t e = 1; e <= 10; ++e) {
    const double mse = engine->run_epoch(e);
    const double after = objective(m, d.split.train, o.reg, o.bias_reg());
    // Exact row minimisations; float arithmetic allows a relative wobble far below this bound.
    EXPECT_LE(after, before * (1 + 1e-5)) << "sweep " << e;
    EXPECT_GT(mse, 0);
    before = after;
  }
}

TEST(Als, MseIsTheTrainingErrorAfterTheSweep) {
  const Data& d = synthetic();
  const TrainOptions o = als_options();
  Model m = fresh_model(d, o);
  auto engine = make_engine(m, d.split.train, o);
  const double mse = engine->run_epoch(1);
  const double rmse = rmse_raw(m, d.split.train);
  EXPECT_NEAR(mse, rmse * rmse, 1e-5);
}

TEST(Als, BeatsTheUserMeanBaselineOnGeneratedData) {
  const Data& d = synthetic();
  const double baseline = user_mean_rmse(d.split, d.data.users.size());
  FitResult r = fit(d.data, d.split, als_options());
  EXPECT_LT(r.test.rmse, baseline - 0.08) << "baseline " << baseline;
}

TEST(Als, Bf16StorageAndThePlainModel) {
  const Data& d = synthetic();
  TrainOptions o = als_options();
  FitResult f32 = fit(d.data, d.split, o);
  o.precision = Precision::bf16;
  FitResult b16 = fit(d.data, d.split, o);
  const Model m = b16.model;
  EXPECT_EQ(m.precision(), Precision::bf16);
  EXPECT_NEAR(b16.test.rmse, f32.test.rmse, 0.02);
  o.precision = Precision::fp32;
  o.kind = ModelKind::plain;
  FitResult plain = fit(d.data, d.split, o);
  EXPECT_LT(plain.test.rmse, 1.1);  // p.q alone learns the ratings' scale
}

TEST(Als, RowsWithoutRatingsAreLeftAlone) {
  const Data& d = synthetic();
  const TrainOptions o = als_options();
  // Train without user 5's and item 9's ratings.
  std::vector<uint32_t> keep;
  for (size_t t = 0; t < d.split.train.size(); ++t)
    if (d.split.train.user[t] != 5 && d.split.train.item[t] != 9) keep.push_back(uint32_t(t));
  const Ratings train = d.split.train.select(keep);
  Model m = fresh_model(d, o);
  const Eigen::VectorXd p5 = row(m.P, 5), q9 = row(m.Q, 9);
  const float b5 = m.user_bias[5], b9 = m.item_bias[9];
  auto engine = make_engine(m, train, o);
  engine->run_epoch(1);
  engine->run_epoch(2);
  EXPECT_EQ(row(m.P, 5), p5);
  EXPECT_EQ(row(m.Q, 9), q9);
  EXPECT_EQ(m.user_bias[5], b5);
  EXPECT_EQ(m.item_bias[9], b9);
  EXPECT_NE(row(m.P, 6), Eigen::VectorXd(row(fresh_model(d, o).P, 6)));
}

}  // namespace
}  // namespace mfrec
