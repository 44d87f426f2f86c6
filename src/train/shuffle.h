#pragma once
// A fresh uniformly random order of the training samples every epoch, without a cache miss per sample.
//
// Shuffling an index and gathering through it reads the samples in random order: one miss per sample
// once they outgrow L2, and the misses evict the model rows the trainer needs (it was 60% of an Adam
// epoch on ml-1m-half). Rao and Sandelius' method gives the same distribution with streaming access:
// send every sample to one of B buckets drawn uniformly, then shuffle each bucket (small enough for L1)
// with Fisher-Yates. Concatenating the buckets is a uniform random permutation: which bucket holds a
// sample and its place in that bucket are independent and uniform (Rao 1961; Sandelius 1962).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "common/random.h"

namespace mfrec {

template <typename T>
class StreamShuffle {
 public:
  // out[0, in.size()) = the elements of `in` in a random order drawn from `seed`.
  void operator()(std::span<const T> in, T* out, uint64_t seed) {
    const size_t n = in.size();
    // Buckets of about 1024 elements (16 KiB of training samples): the last pass shuffles each in L1.
    // Counted in elements, so that a seed gives the same permutation whatever the element's size.
    const int bits = std::min(12, int(std::bit_width(n / 1024)));
    const size_t buckets = size_t(1) << bits;
    cursor_.assign(buckets + 1, 0);
    // Pass 1 counts the bucket draws; pass 2 replays the same draws to place each sample.
    const Random start(seed);
    Random rng = start;
    for_each_bucket(rng, n, bits, [&](size_t, uint32_t b) { ++cursor_[b + 1]; });
    for (size_t b = 0; b < buckets; ++b) cursor_[b + 1] += cursor_[b];
    ends_.assign(cursor_.begin() + 1, cursor_.end());
    Random replay = start;
    for_each_bucket(replay, n, bits, [&](size_t k, uint32_t b) { out[cursor_[b]++] = in[k]; });
    size_t begin = 0;
    for (size_t b = 0; b < buckets; ++b) {
      const size_t end = ends_[b];
      for (size_t k = end - begin; k > 1; --k) std::swap(out[begin + k - 1], out[begin + rng.below(k)]);
      begin = end;
    }
  }

 private:
  // Calls f(k, bucket) for k = 0..n-1, drawing `bits`-bit buckets several to one 64-bit number.
  template <typename F>
  static void for_each_bucket(Random& rng, size_t n, int bits, F&& f) {
    if (bits == 0) {
      for (size_t k = 0; k < n; ++k) f(k, 0);
      return;
    }
    const int per_draw = 64 / bits;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    for (size_t k = 0; k < n;) {
      uint64_t r = rng.next();
      for (int j = 0; j < per_draw && k < n; ++j, ++k, r >>= bits) f(k, uint32_t(r & mask));
    }
  }

  std::vector<size_t> cursor_, ends_;
};

}  // namespace mfrec
