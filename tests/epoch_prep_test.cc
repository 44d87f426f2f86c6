// Making an epoch's order and slots as tasks: whichever threads take the tasks, in whatever
// interleaving, the order is the one-thread shuffle's and the slots are those of that order.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/random.h"
#include "train/parts/epoch_prep.h"

namespace mfrec {
namespace {

constexpr size_t kUsers = 400, kItems = 3000, kBatch = 512;

std::vector<PackedSample> ratings(size_t n) {
  Random rng(11);
  std::vector<PackedSample> r(n);
  for (size_t k = 0; k < n; ++k)
    r[k] = {uint32_t(rng.below(kUsers)), uint32_t(rng.below(kItems)) << 8 | uint32_t(k % 5)};
  return r;
}

struct Made {
  std::vector<PackedSample> order;
  BatchSlots slots;
  explicit Made(size_t n) : order(n), slots(n, kBatch) {}
};

void expect_same(const Made& a, const Made& b) {
  ASSERT_EQ(a.order.size(), b.order.size());
  for (size_t k = 0; k < a.order.size(); ++k) {
    ASSERT_EQ(a.order[k].user, b.order[k].user) << k;
    ASSERT_EQ(a.order[k].item_level, b.order[k].item_level) << k;
  }
  ASSERT_EQ(a.slots.batches(), b.slots.batches());
  for (size_t b_ = 0; b_ < a.slots.batches(); ++b_) {
    EXPECT_EQ(a.slots.users_touched(b_), b.slots.users_touched(b_));
    EXPECT_EQ(a.slots.items_touched(b_), b.slots.items_touched(b_));
    for (size_t j = 0; j < std::min(kBatch, a.order.size() - b_ * kBatch); ++j)
      ASSERT_EQ(a.slots.batch(b_)[j], b.slots.batch(b_)[j]) << b_ << " " << j;
  }
}

TEST(EpochPrep, AnyThreadsTakingTheTasksMakeTheOneThreadOrderAndItsSlots) {
  for (size_t n : {1, 700, 100000}) {
    const auto in = ratings(n);
    // The reference: the shuffle on one thread, then the slots of its order in one pass.
    Made want(n);
    StreamShuffle<PackedSample>()(in, want.order.data(), 42);
    SlotTable users(kUsers, kBatch), items(kItems, kBatch);
    want.slots.assign(
        want.order.data(), 0, want.slots.batches(), users, items, [](const PackedSample& x) { return x.user; },
        [](const PackedSample& x) { return x.item(); });

    EpochPrep<PackedSample> prep(3, kUsers, kItems, kBatch);
    Made one(n);
    prep.begin(in, one.order.data(), 42, one.slots);
    prep.finish(0);
    expect_same(want, one);

    Made interleaved(n);  // the tasks taken in turn as three threads would, on this one
    prep.begin(in, interleaved.order.data(), 42, interleaved.slots);
    for (size_t turn = 0; !prep.done(); ++turn) ASSERT_TRUE(prep.run_one(turn % 3));
    expect_same(want, interleaved);

    Made threads(n);  // three threads at once
    prep.begin(in, threads.order.data(), 42, threads.slots);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < 3; ++t) pool.emplace_back([&prep, t] { prep.finish(t); });
    for (auto& th : pool) th.join();
    expect_same(want, threads);
  }
}
}  // namespace
}  // namespace mfrec
