// The epoch shuffle: a permutation, fixed by its seed, and uniform (checked by counting).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "train/parts/shuffle.h"

namespace mfrec {
namespace {

struct Item {
  uint32_t id, pad[3];  // 16 bytes, as a training sample
};

std::vector<Item> items(size_t n) {
  std::vector<Item> v(n);
  for (size_t k = 0; k < n; ++k) v[k].id = uint32_t(k);
  return v;
}

std::vector<uint32_t> shuffled_ids(const std::vector<Item>& in, uint64_t seed) {
  std::vector<Item> out(in.size());
  StreamShuffle<Item>()(in, out.data(), seed);
  std::vector<uint32_t> ids(out.size());
  for (size_t k = 0; k < out.size(); ++k) ids[k] = out[k].id;
  return ids;
}

TEST(StreamShuffle, IsAPermutationFixedByItsSeed) {
  for (size_t n : {0, 1, 2, 1000, 5000, 300000}) {  // one bucket up to many
    const auto in = items(n);
    const auto a = shuffled_ids(in, 7);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    std::vector<uint32_t> expect(n);
    std::iota(expect.begin(), expect.end(), 0u);
    EXPECT_EQ(sorted, expect) << n;
    EXPECT_EQ(a, shuffled_ids(in, 7)) << n;
    if (n > 2) EXPECT_NE(a, shuffled_ids(in, 8)) << n;
  }
}

// Threads sharing the work give the same permutation as one thread, however it is cut.
TEST(StreamShuffle, ChunksAndGroupsGiveTheOneThreadPermutation) {
  for (size_t n : {0, 3, 5000, 300000}) {
    const auto in = items(n);
    const auto one = shuffled_ids(in, 5);
    for (size_t chunks : {2, 3, 7, 64}) {
      const size_t groups = chunks + 1;
      std::vector<Item> out(n);
      StreamShuffle<Item> shuffle;
      shuffle.begin(in, out.data(), 5, chunks);
      for (size_t c = 0; c < chunks; ++c) shuffle.count(c);
      shuffle.prefix();
      for (size_t c = chunks; c-- > 0;) shuffle.place(c);  // any order within a step
      for (size_t g = groups; g-- > 0;) shuffle.shuffle_buckets(g, groups);
      std::vector<uint32_t> ids(n);
      for (size_t k = 0; k < n; ++k) ids[k] = out[k].id;
      EXPECT_EQ(ids, one) << n << " " << chunks;
    }
  }
}

// Every element is equally likely at every place: over many seeds, the counts of (element, place
// decile) stay within a few standard deviations of their mean, for the first and last elements and
// one in the middle, with 4 buckets and with 32.
TEST(StreamShuffle, PlacesEveryElementUniformly) {
  for (size_t n : {2048, 20000}) {
    const size_t trials = 4000;
    const auto in = items(n);
    const uint32_t watched[] = {0, uint32_t(n / 2), uint32_t(n - 1)};
    std::vector<size_t> counts(3 * 10, 0);
    std::vector<Item> out(n);
    StreamShuffle<Item> shuffle;
    for (size_t t = 0; t < trials; ++t) {
      shuffle(in, out.data(), 1000 + t);
      for (size_t at = 0; at < n; ++at)
        for (int w = 0; w < 3; ++w)
          if (out[at].id == watched[w]) ++counts[size_t(w) * 10 + at * 10 / n];
    }
    const double mean = double(trials) / 10, sd = std::sqrt(mean * 0.9);
    for (size_t c = 0; c < counts.size(); ++c) EXPECT_NEAR(double(counts[c]), mean, 5 * sd) << n << " " << c;
  }
}

}  // namespace
}  // namespace mfrec
