#pragma once
// A fresh uniformly random order of the training samples every epoch, without a cache miss per sample.
//
// Shuffling an index and gathering through it reads the samples in random order: one miss per sample
// once they outgrow L2, and the misses evict the model rows the trainer needs (it was 60% of an Adam
// epoch on ml-1m-half). Rao and Sandelius' method gives the same distribution with streaming access:
// send every sample to one of B buckets drawn uniformly, then shuffle each bucket (small enough for L1)
// with Fisher-Yates. Concatenating the buckets is a uniform random permutation: which bucket holds a
// sample and its place in that bucket are independent and uniform (Rao 1961; Sandelius 1962).
//
// Every draw is a function of the seed and the sample's index (or the bucket's), not of a stream, so
// that threads can share the work and still give the same permutation as one thread.
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
  // out[0, in.size()) = the elements of `in` in a random order drawn from `seed`, on this thread.
  void operator()(std::span<const T> in, T* out, uint64_t seed) {
    begin(in, out, seed, 1);
    count(0);
    place(0);
    shuffle_buckets(0);
  }

  // The same by `parts` threads: begin() on one thread, then every thread (part = 0..parts-1) calls
  // count(part), place(part) and shuffle_buckets(part) in turn, each after all have done the previous.
  void begin(std::span<const T> in, T* out, uint64_t seed, int parts) {
    in_ = in, out_ = out, key_ = hash(seed), parts_ = size_t(parts);
    // Buckets of about 1024 elements (16 KiB of training samples): the last step shuffles each in L1.
    bits_ = std::min(12, int(std::bit_width(in.size() / 1024)));
    counts_.assign(parts_ << bits_, 0);
  }
  void count(int part) {
    size_t* counts = counts_.data() + (size_t(part) << bits_);
    for_each_bucket(part, [&](size_t, uint32_t b) { ++counts[b]; });
  }
  void place(int part) {
    // Where this part's samples of each bucket go: after the earlier buckets, then after the samples
    // earlier parts put in the same bucket.
    const size_t buckets = size_t(1) << bits_;
    std::vector<size_t> cursor(buckets);
    size_t at = 0;
    for (size_t b = 0; b < buckets; ++b) {
      for (size_t p = 0; p < parts_; ++p) {
        if (p == size_t(part)) cursor[b] = at;
        at += counts_[(p << bits_) + b];
      }
    }
    for_each_bucket(part, [&](size_t k, uint32_t b) { out_[cursor[b]++] = in_[k]; });
  }
  void shuffle_buckets(int part) {
    const size_t buckets = size_t(1) << bits_;
    size_t begin = 0;
    for (size_t b = 0; b < buckets; ++b) {
      size_t size = 0;
      for (size_t p = 0; p < parts_; ++p) size += counts_[(p << bits_) + b];
      if (b * parts_ / buckets == size_t(part)) {  // this part's share of the buckets
        Random rng(key_ ^ (0x9e3779b97f4a7c15ull * (b + 1)));
        T* bucket = out_ + begin;
        for (size_t k = size; k > 1; --k) std::swap(bucket[k - 1], bucket[rng.below(k)]);
      }
      begin += size;
    }
  }

 private:
  // Calls f(k, bucket of k) for the samples k of `part`'s share of the input, in order. Bucket draws
  // come `bits_` at a time from one 64-bit hash of (seed, k / per_draw); the seed is hashed first, so
  // that nearby seeds (one per epoch) do not share draws.
  template <typename F>
  void for_each_bucket(int part, F&& f) const {
    const size_t n = in_.size();
    const size_t per_draw = bits_ ? size_t(64 / bits_) : 64;
    const size_t draws = (n + per_draw - 1) / per_draw;
    // Split on draw boundaries, so that every part takes whole draws.
    const size_t first = draws * size_t(part) / parts_, last = draws * size_t(part + 1) / parts_;
    const uint64_t mask = (uint64_t(1) << bits_) - 1;
    for (size_t d = first; d < last; ++d) {
      uint64_t r = hash(key_ + d);
      const size_t end = std::min(n, (d + 1) * per_draw);
      for (size_t k = d * per_draw; k < end; ++k, r >>= bits_) f(k, uint32_t(r & mask));
    }
  }
  static uint64_t hash(uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

  std::span<const T> in_;
  T* out_ = nullptr;
  uint64_t key_ = 0;
  size_t parts_ = 1;
  int bits_ = 0;
  std::vector<size_t> counts_;  // part x bucket
};

}  // namespace mfrec
