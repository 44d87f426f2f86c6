// The Adam engine: one step against a hand computation, its gradient against finite differences,
// determinism, and 16-bit storage.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "common/random.h"
#include "test_util.h"
#include "train/engine.h"

namespace mfrec {
namespace {

Ratings ratings_of(std::initializer_list<std::tuple<uint32_t, uint32_t, float>> rows) {
  Ratings r;
  for (auto [u, i, v] : rows) r.push(u, i, v);
  return r;
}

Model model_of(size_t users, size_t items, uint32_t dim, uint64_t seed, Precision p = Precision::fp32) {
  Model m;
  m.init(users, items, dim, p, 0.3f, seed);
  return m;
}

TEST(Adam, OneStepMatchesAHandComputation) {
  Model m = model_of(1, 1, 2, 1);
  const float p[2] = {0.1f, -0.2f}, q[2] = {0.3f, 0.4f};
  m.P.write_row(0, p);
  m.Q.write_row(0, q);
  m.user_bias = {0.05f};
  m.item_bias = {-0.1f};
  const Ratings r = ratings_of({{0, 0, 4.0f}});
  m.set_user_means(r);  // mu = 4
  TrainOptions o;
  o.dim = 2, o.batch_size = 1, o.threads = 1, o.lr = 0.01f, o.reg = 0.1f;
  make_adam(m, r, o)->run_epoch(1);

  // By hand: pred = 4 + 0.05 - 0.1 + (0.03 - 0.08) = 3.9, err = -0.1, dL/dpred = 2 * err = -0.2.
  const double g_pred = -0.2;
  const double lr_t = 0.01 * std::sqrt(1 - 0.999) / (1 - 0.9);
  auto step = [&](double w, double grad) {  // first Adam step: m = 0.1 g, v = 0.001 g^2
    const double mm = 0.1 * grad, vv = 0.001 * grad * grad;
    return w - lr_t * mm / (std::sqrt(vv) + 1e-7);
  };
  EXPECT_NEAR(m.P.get(0, 0), step(0.1, g_pred * 0.3 + 2 * 0.1 * 0.1), 1e-6);
  EXPECT_NEAR(m.P.get(0, 1), step(-0.2, g_pred * 0.4 + 2 * 0.1 * -0.2), 1e-6);
  EXPECT_NEAR(m.Q.get(0, 0), step(0.3, g_pred * 0.1 + 2 * 0.1 * 0.3), 1e-6);
  EXPECT_NEAR(m.Q.get(0, 1), step(0.4, g_pred * -0.2 + 2 * 0.1 * 0.4), 1e-6);
  EXPECT_NEAR(m.user_bias[0], step(0.05, g_pred + 2 * 0.1 * 0.05), 1e-6);
  EXPECT_NEAR(m.item_bias[0], step(-0.1, g_pred + 2 * 0.1 * -0.1), 1e-6);
}

// The batch loss the engine minimises, in double: mean squared error plus L2 on touched rows.
double batch_loss(const Model& m, const Ratings& r, double reg, double reg_b) {
  double mse = 0;
  for (size_t k = 0; k < r.size(); ++k) {
    double e = double(m.predict_raw(r.user[k], r.item[k])) - r.value[k];
    mse += e * e;
  }
  double l2 = 0;
  std::set<uint32_t> users(r.user.begin(), r.user.end()), items(r.item.begin(), r.item.end());
  for (uint32_t u : users) {
    for (size_t c = 0; c < m.dim; ++c) l2 += reg * m.P.get(u, c) * m.P.get(u, c);
    l2 += reg_b * m.user_bias[u] * m.user_bias[u];
  }
  for (uint32_t i : items) {
    for (size_t c = 0; c < m.dim; ++c) l2 += reg * m.Q.get(i, c) * m.Q.get(i, c);
    l2 += reg_b * m.item_bias[i] * m.item_bias[i];
  }
  return mse / double(r.size()) + l2;
}

// With beta1 = beta2 = 0 and a huge epsilon, one Adam step moves each parameter by lr/eps times its
// gradient: lr = eps turns the step into minus the gradient itself, which finite differences check.
void check_gradient(uint32_t threads) {
  const Ratings r = ratings_of({{0, 0, 4}, {0, 2, 1}, {1, 1, 5}, {1, 2, 3}, {2, 0, 2}, {2, 3, 4}, {0, 3, 5}});
  Model m = model_of(3, 4, 5, 11);
  m.set_user_means(r);
  TrainOptions o;
  o.dim = 5, o.batch_size = uint32_t(r.size()), o.threads = threads;
  o.beta1 = 0, o.beta2 = 0, o.eps = 1e7f, o.lr = 1e7f, o.reg = 0.03f, o.reg_bias = 0.02f;
  Model before = m;
  make_adam(m, r, o)->run_epoch(1);
  const double h = 1e-3;
  auto numeric = [&](auto set) {
    Model plus = before, minus = before;
    set(plus, h), set(minus, -h);
    return (batch_loss(plus, r, o.reg, o.reg_bias) - batch_loss(minus, r, o.reg, o.reg_bias)) / (2 * h);
  };
  for (uint32_t u = 0; u < 3; ++u) {
    for (uint32_t c = 0; c < 5; ++c) {
      const double analytic = before.P.get(u, c) - m.P.get(u, c);
      EXPECT_NEAR(analytic, numeric([&](Model& x, double d) { x.P.set(u, c, x.P.get(u, c) + float(d)); }), 2e-4);
    }
    const double analytic = before.user_bias[u] - m.user_bias[u];
    EXPECT_NEAR(analytic, numeric([&](Model& x, double d) { x.user_bias[u] += float(d); }), 2e-4);
  }
  for (uint32_t i = 0; i < 4; ++i) {
    for (uint32_t c = 0; c < 5; ++c) {
      const double analytic = before.Q.get(i, c) - m.Q.get(i, c);
      EXPECT_NEAR(analytic, numeric([&](Model& x, double d) { x.Q.set(i, c, x.Q.get(i, c) + float(d)); }), 2e-4);
    }
    const double analytic = before.item_bias[i] - m.item_bias[i];
    EXPECT_NEAR(analytic, numeric([&](Model& x, double d) { x.item_bias[i] += float(d); }), 2e-4);
  }
}

TEST(Adam, GradientMatchesFiniteDifferences) { check_gradient(1); }

FitResult fit_small(const TrainOptions& o, Model* out = nullptr) {
  static const Dataset d = load_dataset({.path = test::small_synthetic()});
  static const Split s = make_split(d.ratings, {.kind = SplitKind::temporal, .seed = 2});
  FitResult r = fit(d, s, o);
  Model m = r.model;
  if (out) *out = std::move(m);
  return r;
}

TEST(Adam, BitIdenticalForASeedAndAThreadCount) {
  for (uint32_t threads : {1u, 2u, 4u}) {  // dim 32: one slice, two of 16, four of 8
    TrainOptions o;
    o.epochs = 3, o.threads = threads, o.seed = 4, o.batch_size = 64;
    Model a, b;
    fit_small(o, &a);
    fit_small(o, &b);
    ASSERT_EQ(a.P.bytes(), b.P.bytes());
    EXPECT_EQ(std::memcmp(a.P.raw(), b.P.raw(), a.P.bytes()), 0) << threads << " threads";
    EXPECT_EQ(std::memcmp(a.Q.raw(), b.Q.raw(), a.Q.bytes()), 0) << threads << " threads";
    EXPECT_EQ(a.user_bias, b.user_bias);
  }
}

TEST(Adam, TwoThreadsReachTheSameAccuracy) {
  TrainOptions o;
  o.epochs = 15, o.threads = 1, o.batch_size = 64, o.lr = 0.005f;
  const double one = fit_small(o).test.rmse;
  o.threads = 2;
  EXPECT_NEAR(fit_small(o).test.rmse, one, 0.01);
}

// Threads split the dimensions of the one-thread algorithm: the same batches, the same order, the
// same updates; only the dot products are summed in two halves, so the parameters stay within
// rounding of the one-thread run.
TEST(Adam, ThreadsSplitTheDimensionsOfTheOneThreadAlgorithm) {
  TrainOptions o;
  o.epochs = 3, o.threads = 1, o.batch_size = 64, o.lr = 0.005f, o.keep_best = false;
  Model one, two, four;
  fit_small(o, &one);
  o.threads = 2;
  fit_small(o, &two);
  o.threads = 4;
  fit_small(o, &four);
  EXPECT_GT(test::largest_difference(one, two), 0.0) << "two threads ran as one";
  EXPECT_LT(test::largest_difference(one, two), 1e-4);
  EXPECT_LT(test::largest_difference(one, four), 1e-4);
}

// Ratings of more than 256 values do not pack into 8 bytes: the 16-byte samples take the same paths,
// with their epoch orders made in the threads' waits on two threads.
TEST(Adam, UnpackedRatingsSplitTheDimensionsToo) {
  Random rng(9);
  Ratings r;
  for (int k = 0; k < 20000; ++k)
    r.push(uint32_t(rng.below(300)), uint32_t(rng.below(200)), 1.0f + 4.0f * float(rng.uniform()));
  auto run = [&](uint32_t threads) {
    Model m = model_of(300, 200, 32, 3);
    m.set_user_means(r);
    TrainOptions o;
    o.threads = threads, o.batch_size = 256, o.epochs = 4, o.lr = 0.005f;
    auto engine = make_adam(m, r, o);
    for (uint32_t e = 1; e <= o.epochs; ++e) engine->run_epoch(e);
    engine->sync();
    return m;
  };
  const Model one = run(1), two = run(2), again = run(2);
  EXPECT_GT(test::largest_difference(one, two), 0.0) << "two threads ran as one";
  EXPECT_LT(test::largest_difference(one, two), 1e-4);
  EXPECT_EQ(test::largest_difference(two, again), 0.0);
}

// A dim that does not split into slices of whole vectors runs on one thread: the one-thread model.
TEST(Adam, ADimThatDoesNotSplitRunsOnOneThread) {
  TrainOptions o;
  o.epochs = 2, o.threads = 1, o.batch_size = 64, o.dim = 12, o.keep_best = false;
  Model one, two;
  fit_small(o, &one);
  o.threads = 2;
  fit_small(o, &two);
  EXPECT_EQ(test::largest_difference(one, two), 0.0);
}

TEST(Adam, SixteenBitStorageStaysCloseToFp32) {
  TrainOptions o;
  o.epochs = 20, o.threads = 1, o.batch_size = 64, o.lr = 0.005f;
  const double fp32 = fit_small(o).test.rmse;
  for (Precision p : {Precision::bf16, Precision::fp16}) {
    for (uint32_t threads : {1u, 2u}) {
      o.precision = p, o.threads = threads;
      Model m;
      const double rmse = fit_small(o, &m).test.rmse;
      EXPECT_NEAR(rmse, fp32, 0.01) << precision_name(p) << ", " << threads << " threads";
      EXPECT_EQ(m.P.bytes(), m.n_users() * m.dim * 2);
    }
  }
}

}  // namespace
}  // namespace mfrec
