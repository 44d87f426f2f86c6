// The SGD engine: the FPSG grid and block scheduler (no two running blocks share a row or column
// block; every rating once per epoch), determinism with one thread, accuracy on generated data,
// bf16 storage, the Hogwild schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "test_util.h"
#include "train/parts/block_scheduler.h"
#include "train/parts/rating_grid.h"
#include "train/parts/sgd_engine.h"

namespace mfrec {
namespace {

using Data = SplitData;
const Data& synthetic() { return test::small_random_split(); }
using test::user_mean_rmse;

TrainOptions sgd_options() {
  TrainOptions o;
  o.optimizer = "sgd";
  o.dim = 16;
  o.lr = 0.05f;
  o.reg = 0.05f;
  o.epochs = 25;
  o.threads = 2;
  o.seed = 11;
  return o;
}

// Random ratings whose value is the row's index, so that a reordered row can be traced back.
Ratings random_ratings(size_t n_users, size_t n_items, size_t n, uint64_t seed, bool time = false) {
  Random rng(seed);
  Ratings r;
  for (size_t k = 0; k < n; ++k) {
    r.push(uint32_t(rng.below(n_users)), uint32_t(rng.below(n_items)), float(k));
    if (time) r.time.push_back(int64_t(k) * 3);
  }
  return r;
}

TEST(SgdGrid, EveryRatingInExactlyOneBlockOfItsRowAndColumn) {
  const Ratings original = random_ratings(97, 61, 5000, 1, true);
  Ratings rows = original;
  const RatingGrid g = make_grid(rows, 97, 61, 7, 5);
  ASSERT_EQ(g.side, 7u);
  ASSERT_EQ(rows.size(), original.size());
  ASSERT_EQ(g.offsets.back(), original.size());
  std::vector<int> seen(original.size(), 0);
  for (uint32_t b = 0; b < g.blocks(); ++b) {
    const uint32_t r = b / g.side, c = b % g.side;
    for (uint64_t k = g.offsets[b]; k < g.offsets[b + 1]; ++k) {
      const size_t from = size_t(rows.value[k]);  // the value carries the row's index here
      ++seen[from];
      EXPECT_EQ(rows.time[k], original.time[from]);  // rows move whole
      EXPECT_EQ(g.user_block[original.user[from]], r);
      EXPECT_EQ(g.item_block[original.item[from]], c);
      // Grid rows: renumbered, each block's rows contiguous.
      EXPECT_EQ(rows.user[k], g.user_index[original.user[from]]);
      EXPECT_EQ(rows.item[k], g.item_index[original.item[from]]);
      EXPECT_TRUE(rows.user[k] >= g.user_begin[r] && rows.user[k] < g.user_begin[r + 1]);
      EXPECT_TRUE(rows.item[k] >= g.item_begin[c] && rows.item[k] < g.item_begin[c + 1]);
    }
  }
  for (int c : seen) ASSERT_EQ(c, 1);
  // The renumbering is a permutation, and user_of / item_of are its inverse.
  std::vector<uint32_t> users = g.user_index, items = g.item_index;
  std::sort(users.begin(), users.end());
  std::sort(items.begin(), items.end());
  for (uint32_t u = 0; u < 97; ++u) {
    ASSERT_EQ(users[u], u);
    ASSERT_EQ(g.user_of[g.user_index[u]], u);
  }
  for (uint32_t i = 0; i < 61; ++i) {
    ASSERT_EQ(items[i], i);
    ASSERT_EQ(g.item_of[g.item_index[i]], i);
  }
  EXPECT_EQ(g.user_begin.back(), 97u);
  EXPECT_EQ(g.item_begin.back(), 61u);
  // Row and column blocks get about equal numbers of ratings.
  std::vector<size_t> per_row(g.side, 0);
  for (uint32_t b = 0; b < g.blocks(); ++b) per_row[b / g.side] += g.size(b);
  for (size_t r : per_row) EXPECT_NEAR(double(r), 5000.0 / 7, 5000.0 / 7 * 0.25);
  // The ids come back; each row is the original one.
  restore_ids(rows, g);
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t from = size_t(rows.value[k]);
    ASSERT_EQ(rows.user[k], original.user[from]);
    ASSERT_EQ(rows.item[k], original.item[from]);
  }
}

TEST(SgdGrid, TheSameGridOnAnyNumberOfThreads) {
  const Ratings original = random_ratings(400, 300, 30000, 6);
  Ratings one = original, three = original;
  const RatingGrid a = make_grid(one, 400, 300, 9, 8, 1), b = make_grid(three, 400, 300, 9, 8, 3);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(one.value, three.value);  // the same order, block by block
  EXPECT_EQ(one.user, three.user);
  Ratings other = original;
  make_grid(other, 400, 300, 9, 9, 1);
  EXPECT_NE(one.value, other.value);  // another seed, another shuffle
}

// group_in_place (iALS's user side): each key's rows together, every row whole and once, the same
// order on any number of threads.
TEST(GroupInPlace, EachKeysRowsTogetherEveryRowWhole) {
  for (const size_t n_users : {size_t(1), size_t(37), size_t(5000)}) {
    const Ratings original = random_ratings(n_users, 50, 20000, 2, true);
    Ratings one = original, two = original;
    const std::vector<uint64_t> offsets = group_in_place(one, n_users, true, 1);
    EXPECT_EQ(group_in_place(two, n_users, true, 2), offsets);
    EXPECT_EQ(one.value, two.value);
    ASSERT_EQ(offsets.size(), n_users + 1);
    ASSERT_EQ(offsets.back(), original.size());
    std::vector<int> seen(original.size(), 0);
    for (size_t u = 0; u < n_users; ++u)
      for (uint64_t k = offsets[u]; k < offsets[u + 1]; ++k) {
        const size_t from = size_t(one.value[k]);  // the value carries the row's index
        ++seen[from];
        ASSERT_EQ(one.user[k], u);
        ASSERT_EQ(original.user[from], u);
        ASSERT_EQ(one.item[k], original.item[from]);
        ASSERT_EQ(one.time[k], original.time[from]);
      }
    for (int c : seen) ASSERT_EQ(c, 1);
  }
  Ratings by_item = random_ratings(20, 300, 3000, 3);
  const std::vector<uint64_t> offsets = group_in_place(by_item, 300, false);
  for (size_t i = 0; i < 300; ++i)
    for (uint64_t k = offsets[i]; k < offsets[i + 1]; ++k) ASSERT_EQ(by_item.item[k], i);
}

TEST(SgdGrid, AutomaticSideLeavesAFreeBlockForEveryThread) {
  for (uint32_t t : {1u, 2u, 4u, 16u}) EXPECT_GE(auto_grid_side(t, 100000, 100000, 128), 2 * t + 1);
  EXPECT_LE(auto_grid_side(2, 3, 1000, 128), 3u);  // never more blocks than rows
}

// Threads run blocks for real (with random short pauses) while the work function checks that no
// running block shares a row block or column block with another, and counts visits per rating.
TEST(SgdScheduler, NoSharedRowsOrColumnsAndEveryRatingOncePerEpoch) {
  Ratings rows = random_ratings(300, 200, 20000, 2);
  const RatingGrid g = make_grid(rows, 300, 200, 9, 3);
  BlockScheduler scheduler(g.side);
  std::vector<std::atomic<int>> row_busy(g.side), col_busy(g.side);
  std::vector<int> visits(rows.size(), 0);
  std::atomic<int> conflicts{0}, running{0}, max_running{0};
  const int threads = 4, epochs = 3;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    std::fill(visits.begin(), visits.end(), 0);
    const double total = run_grid_epoch(scheduler, threads, uint64_t(epoch), [&](int b, int t) {
      const uint32_t r = uint32_t(b) / g.side, c = uint32_t(b) % g.side;
      if (row_busy[r].exchange(1) || col_busy[c].exchange(1)) ++conflicts;
      const int now = ++running;
      for (int m = max_running; now > m && !max_running.compare_exchange_weak(m, now);) {}
      for (uint64_t k = g.offsets[size_t(b)]; k < g.offsets[size_t(b) + 1]; ++k) ++visits[k];
      std::this_thread::sleep_for(std::chrono::microseconds(50 * ((b * 7 + t) % 5)));
      --running;
      row_busy[r] = 0, col_busy[c] = 0;
      return double(g.size(uint32_t(b)));
    });
    EXPECT_EQ(total, double(rows.size()));
    for (int v : visits) ASSERT_EQ(v, 1);
  }
  EXPECT_EQ(conflicts.load(), 0);
  EXPECT_GE(max_running.load(), 2);  // blocks did run side by side
  for (uint32_t b = 0; b < g.blocks(); ++b) EXPECT_EQ(scheduler.updates(int(b)), uint64_t(epochs));
}

TEST(SgdScheduler, OneThreadOrderDependsOnTheSeedAlone) {
  auto order = [](uint64_t seed) {
    BlockScheduler s(6);
    std::vector<int> out;
    run_grid_epoch(s, 1, seed, [&](int b, int) { out.push_back(b); return 0.0; });
    return out;
  };
  EXPECT_EQ(order(4), order(4));
  EXPECT_NE(order(4), order(5));
  EXPECT_EQ(order(4).size(), 36u);
}

template <typename T>
std::vector<T> storage(const FactorMatrix& m) {
  const T* p = static_cast<const T*>(m.raw());
  return std::vector<T>(p, p + m.rows() * m.cols());
}

bool same_bits(const FactorMatrix& a, const FactorMatrix& b) {
  return a.bytes() == b.bytes() && std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

TEST(Sgd, OneThreadIsBitIdenticalForASeed) {
  const Data& d = synthetic();
  for (Precision prec : {Precision::fp32, Precision::bf16}) {
    TrainOptions o = sgd_options();
    o.threads = 1;
    o.epochs = 4;
    o.precision = prec;
    FitResult r1, r2;
    r1 = fit(d.data, d.split, o);
    const Model a = r1.model;
    r2 = fit(d.data, d.split, o);
    const Model b = r2.model;
    EXPECT_TRUE(same_bits(a.P, b.P)) << precision_name(prec);
    EXPECT_TRUE(same_bits(a.Q, b.Q)) << precision_name(prec);
    EXPECT_EQ(a.user_bias, b.user_bias);
    EXPECT_EQ(a.item_bias, b.item_bias);
    ASSERT_EQ(r1.train.history.size(), r2.train.history.size());
    for (size_t e = 0; e < r1.train.history.size(); ++e) EXPECT_EQ(r1.train.history[e].loss, r2.train.history[e].loss);
    o.seed = 12;
    FitResult r3 = fit(d.data, d.split, o);
    const Model c = r3.model;
    EXPECT_FALSE(same_bits(a.P, c.P));
  }
}

TEST(Sgd, BeatsTheUserMeanBaselineOnGeneratedData) {
  const Data& d = synthetic();
  const double baseline = user_mean_rmse(d.split, d.data.users.size());
  FitResult r = fit(d.data, d.split, sgd_options());
  EXPECT_LT(r.test.rmse, baseline - 0.08) << "baseline " << baseline;
  // The loss it reports is the training error seen during the epoch, and it goes down.
  EXPECT_LT(r.train.history.back().loss, r.train.history.front().loss);
}

TEST(Sgd, Bf16AndFp16StorageTrainAsWellAsFp32) {
  const Data& d = synthetic();
  TrainOptions o = sgd_options();
  FitResult f32 = fit(d.data, d.split, o);
  for (Precision prec : {Precision::bf16, Precision::fp16}) {
    o.precision = prec;
    FitResult r = fit(d.data, d.split, o);
    const Model m = r.model;
    EXPECT_EQ(m.precision(), prec);
    EXPECT_NEAR(r.test.rmse, f32.test.rmse, 0.02) << precision_name(prec);
  }
}

TEST(Sgd, EveryDimensionAndThePlainModel) {
  // 16/32/64 take the unrolled kernels, 20 and 24 the generic ones; all learn.
  const Data& d = synthetic();
  const double baseline = user_mean_rmse(d.split, d.data.users.size());
  for (uint32_t dim : {20u, 24u, 32u, 64u}) {
    TrainOptions o = sgd_options();
    o.dim = dim;
    o.epochs = 15;
    FitResult r = fit(d.data, d.split, o);
    EXPECT_LT(r.test.rmse, baseline - 0.05) << "dim " << dim;
  }
  TrainOptions o = sgd_options();
  o.kind = ModelKind::plain;
  o.epochs = 40;
  FitResult r = fit(d.data, d.split, o);
  EXPECT_LT(r.test.rmse, 1.0);  // p.q alone must learn the ratings' scale
}

TEST(Sgd, HogwildScheduleLearnsToo) {
  const Data& d = synthetic();
  TrainOptions o = sgd_options();
  Model m;
  m.init(d.data.users.size(), d.data.items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(d.split.train);
  auto engine = make_sgd_engine(m, d.split.train, o, SgdSchedule::hogwild);
  double first = 0, last = 0;
  for (uint32_t e = 1; e <= o.epochs; ++e) (e == 1 ? first : last) = engine->run_epoch(e);
  EXPECT_LT(last, first);
  EXPECT_LT(engine->rmse(d.split.test), user_mean_rmse(d.split, d.data.users.size()) - 0.08);
}

TEST(Sgd, ManyThreadsOnFewRows) {
  // More threads than the grid can keep busy, and rows that own no rating: still every rating once.
  const Data& d = synthetic();
  TrainOptions o = sgd_options();
  o.threads = 8;
  o.blocks = 3;
  o.epochs = 3;
  FitResult r = fit(d.data, d.split, o);
  EXPECT_TRUE(std::isfinite(r.test.rmse));
}

// A split handed over (fit(Split&&)): the grid is built in its training columns, with no copy; the
// model is the one a kept split gives, and the part comes back empty (its seen items made from it).
TEST(Sgd, AHandedOverSplitTrainsTheSameModel) {
  const Data& d = synthetic();
  TrainOptions o = sgd_options();
  o.threads = 1;
  o.epochs = 4;
  const FitResult kept = fit(d.data, d.split, o);
  Split handed = d.split;
  const FitResult r = fit(d.data, std::move(handed), o);
  EXPECT_EQ(handed.train.size(), 0u);
  EXPECT_EQ(handed.test.size(), d.split.test.size());
  EXPECT_EQ(storage<float>(r.model.P), storage<float>(kept.model.P));
  EXPECT_EQ(storage<float>(r.model.Q), storage<float>(kept.model.Q));
  EXPECT_EQ(r.model.seen.offsets, kept.model.seen.offsets);
  EXPECT_EQ(r.model.seen.items, kept.model.seen.items);
  EXPECT_EQ(r.test.rmse, kept.test.rmse);
}

// Training that ends in an exception leaves the lent rows with their own ids (in another order).
TEST(Sgd, LentRowsGetTheirIdsBackWhenTrainingThrows) {
  const Data& d = synthetic();
  TrainOptions o = sgd_options();
  Split handed = d.split;
  auto stop = [](const EpochStats&) -> bool { throw std::runtime_error("stopped"); };
  EXPECT_THROW(fit(d.data, std::move(handed), o, stop), std::runtime_error);
  auto rows = [](const Ratings& r) {
    std::vector<std::tuple<uint32_t, uint32_t, float>> v;
    for (size_t k = 0; k < r.size(); ++k) v.emplace_back(r.user[k], r.item[k], r.value[k]);
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(rows(handed.train), rows(d.split.train));
}

}  // namespace
}  // namespace mfrec
