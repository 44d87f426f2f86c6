// The gradient slots of an epoch's batches: first-touch numbering, touched counts, the same slots
// from any split of the batches among threads, and the 16-bit limit the Adam engine enforces.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "common/random.h"
#include "mfrec/error.h"
#include "train/parts/batch_slots.h"
#include "train/engine.h"

namespace mfrec {
namespace {

using Pair = std::pair<uint32_t, uint32_t>;  // user, item
auto user_of = [](const Pair& x) { return x.first; };
auto item_of = [](const Pair& x) { return x.second; };

TEST(BatchSlots, NumberTheRowsOfEachBatchInFirstTouchOrder) {
  // Two batches of 4 and a last one of 1.
  const std::vector<Pair> r = {{5, 2}, {1, 2}, {5, 0}, {3, 7}, {1, 1}, {1, 1}, {0, 4}, {9, 1}, {5, 2}};
  BatchSlots slots(r.size(), 4);
  SlotTable users(10, 4), items(8, 4);
  slots.assign(r.data(), 0, slots.batches(), users, items, user_of, item_of);
  ASSERT_EQ(slots.batches(), 3u);
  const std::vector<Pair> want = {{0, 0}, {1, 0}, {0, 1}, {2, 2},   // users 5 1 3, items 2 0 7
                                  {0, 0}, {0, 0}, {1, 1}, {2, 0},   // users 1 0 9, items 1 4
                                  {0, 0}};                          // a batch starts afresh
  for (size_t j = 0; j < r.size(); ++j) {
    const uint32_t pair = slots.batch(j / 4)[j % 4];
    EXPECT_EQ(BatchSlots::user_slot(pair), want[j].first) << j;
    EXPECT_EQ(BatchSlots::item_slot(pair), want[j].second) << j;
  }
  EXPECT_EQ(slots.users_touched(0), 3u);
  EXPECT_EQ(slots.items_touched(0), 3u);
  EXPECT_EQ(slots.users_touched(1), 3u);
  EXPECT_EQ(slots.items_touched(1), 2u);
  EXPECT_EQ(slots.users_touched(2), 1u);
  EXPECT_EQ(slots.items_touched(2), 1u);
}

TEST(BatchSlots, AnySplitOfTheBatchesAmongThreadsGivesTheSameSlots) {
  Random rng(3);
  std::vector<Pair> r(10007);
  for (auto& x : r) x = {uint32_t(rng.below(300)), uint32_t(rng.below(70000))};
  BatchSlots whole(r.size(), 512), split(r.size(), 512);
  SlotTable users(300, 512), items(70000, 512);
  whole.assign(r.data(), 0, whole.batches(), users, items, user_of, item_of);
  const size_t parts = 3;
  for (size_t p = 0; p < parts; ++p) {
    SlotTable own_users(300, 512), own_items(70000, 512);
    split.assign(r.data(), split.batches() * p / parts, split.batches() * (p + 1) / parts, own_users, own_items,
                 user_of, item_of);
  }
  for (size_t b = 0; b < whole.batches(); ++b) {
    EXPECT_EQ(whole.users_touched(b), split.users_touched(b));
    EXPECT_EQ(whole.items_touched(b), split.items_touched(b));
    for (size_t j = 0; j < std::min<size_t>(512, r.size() - b * 512); ++j)
      ASSERT_EQ(whole.batch(b)[j], split.batch(b)[j]) << b << " " << j;
  }
}

TEST(BatchSlots, SixteenBitsHoldEveryRowABatchCanTouch) {
  EXPECT_TRUE(BatchSlots::fits(65536, 1000000, 1000000));  // at most 65536 rows: slots 0..65535
  EXPECT_TRUE(BatchSlots::fits(1000000, 65536, 3706));      // at most 65536 users in any batch
  EXPECT_FALSE(BatchSlots::fits(65537, 65537, 10));
  EXPECT_FALSE(BatchSlots::fits(65537, 10, 65537));
}

TEST(BatchSlots, AdamRefusesBatchesItsSlotsCannotNumber) {
  Ratings r;
  for (uint32_t u = 0; u < 70000; ++u) r.push(u, u % 50, 3.0f);
  Model m;
  m.init(70000, 50, 8, Precision::fp32, 0.1f, 1);
  m.set_user_means(r);
  TrainOptions o;
  o.dim = 8, o.threads = 1, o.batch_size = 70000;
  EXPECT_THROW(make_adam(m, r, o), UsageError);
  o.batch_size = 65536;
  EXPECT_NO_THROW(make_adam(m, r, o)->run_epoch(1));
}

}  // namespace
}  // namespace mfrec
