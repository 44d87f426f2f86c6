// Making one Adam epoch's order on the ML-1M-shaped set's 800k training ratings (8-byte samples,
// batches of 512): the shuffle's scatter (count, prefix, place), its Fisher-Yates inside the buckets,
// the gradient slots of every batch, and all of it as EpochPrep's tasks on one thread.
#include <benchmark/benchmark.h>

#include "bench_data.h"
#include "train/parts/epoch_prep.h"

namespace mfrec::bench {
namespace {

constexpr size_t kBatch = 512;

const std::vector<PackedSample>& samples() {
  static const std::vector<PackedSample> s = [] {
    const Ratings& r = ml1m_shaped_split().train;
    std::vector<PackedSample> out(r.size());
    pack_samples(r, *rating_levels(r, ml1m_shaped().items.size()), out.data());
    return out;
  }();
  return s;
}

size_t users() { return ml1m_shaped().users.size(); }
size_t items() { return ml1m_shaped().items.size(); }

void BM_ShuffleScatter(benchmark::State& state) {
  std::vector<PackedSample> out(samples().size());
  StreamShuffle<PackedSample> shuffle;
  uint64_t seed = 0;
  for (auto _ : state) {
    shuffle.begin(samples(), out.data(), ++seed, 1);
    shuffle.count(0);
    shuffle.prefix();
    shuffle.place(0);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ShuffleScatter)->Unit(benchmark::kMillisecond);

void BM_ShuffleBuckets(benchmark::State& state) {
  std::vector<PackedSample> out(samples().size());
  StreamShuffle<PackedSample> shuffle;
  shuffle.begin(samples(), out.data(), 1, 1);
  shuffle.count(0);
  shuffle.prefix();
  shuffle.place(0);
  for (auto _ : state) {
    shuffle.shuffle_buckets(0, 1);  // again on its own output: the same work every time
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ShuffleBuckets)->Unit(benchmark::kMillisecond);

void BM_BatchSlots(benchmark::State& state) {
  BatchSlots slots(samples().size(), kBatch);
  SlotTable u(users(), kBatch), i(items(), kBatch);
  for (auto _ : state) {
    slots.assign(samples().data(), 0, slots.batches(), u, i, [](const PackedSample& x) { return x.user; },
                 [](const PackedSample& x) { return x.item(); });
    benchmark::DoNotOptimize(slots.batch(0));
  }
}
BENCHMARK(BM_BatchSlots)->Unit(benchmark::kMillisecond);

void BM_EpochPrep(benchmark::State& state) {
  std::vector<PackedSample> out(samples().size());
  BatchSlots slots(samples().size(), kBatch);
  EpochPrep<PackedSample> prep(1, users(), items(), kBatch);
  uint64_t seed = 0;
  for (auto _ : state) {
    prep.begin(samples(), out.data(), ++seed, slots);
    prep.finish(0);
    benchmark::DoNotOptimize(slots.batch(0));
  }
}
BENCHMARK(BM_EpochPrep)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mfrec::bench
