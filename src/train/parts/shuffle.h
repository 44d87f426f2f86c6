#pragma once
// A fresh uniformly random order of the training samples every epoch, without a cache miss per sample.
//
// Shuffling an index and gathering through it reads the samples in random order: one miss per sample
// once they outgrow L2, and the misses evict the model rows the trainer needs (a large part of an
// Adam epoch). Rao and Sandelius' method gives the same distribution with streaming access:
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
#include <utility>
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
    prefix();
    place(0);
    shuffle_buckets(0, 1);
  }

  // The same in steps that threads can share: begin() on one thread; then count(c) for every chunk
  // c < chunks, prefix() once, place(c) for every chunk, and shuffle_buckets(g, groups) for every
  // group g < groups (any number of groups). Each step starts after all calls of the previous one
  // have returned; the calls of a step run in any order, on any threads.
  void begin(std::span<const T> in, T* out, uint64_t seed, size_t chunks) {
    in_ = in, out_ = out, key_ = hash(seed), chunks_ = chunks;
    // Buckets of about 1024 elements (16 KiB of training samples): the last step shuffles each in L1.
    bits_ = std::min(12, int(std::bit_width(in.size() / 1024)));
    counts_.assign(chunks_ << bits_, 0);
    begins_.assign(buckets() + 1, 0);
  }
  size_t buckets() const { return size_t(1) << bits_; }
  void count(size_t chunk) {
    size_t* counts = counts_.data() + (chunk << bits_);
    for_each_bucket(chunk, [&](size_t, uint32_t b) { ++counts[b]; });
  }
  // Turns the counts into where each chunk's samples of each bucket go: after the earlier buckets,
  // then after the samples earlier chunks put in the same bucket.
  void prefix() {
    size_t at = 0;
    for (size_t b = 0; b < buckets(); ++b) {
      begins_[b] = at;
      for (size_t c = 0; c < chunks_; ++c) {
        const size_t n = counts_[(c << bits_) + b];
        counts_[(c << bits_) + b] = at;
        at += n;
      }
    }
    begins_[buckets()] = at;
  }
  void place(size_t chunk) {
    size_t* cursor = counts_.data() + (chunk << bits_);
    for_each_bucket(chunk, [&](size_t k, uint32_t b) { out_[cursor[b]++] = in_[k]; });
  }
  // Fisher-Yates on group `group` of `groups` of the buckets. Its draws are independent of each other
  // (the k-th of a bucket is a hash of the bucket's key and k), so they are made 256 at a time in
  // vector registers before the swaps, instead of one after another from a sequential generator.
  void shuffle_buckets(size_t group, size_t groups) {
    uint32_t draws[256];
    for (size_t b = buckets() * group / groups; b < buckets() * (group + 1) / groups; ++b) {
      const uint64_t key = hash(key_ ^ (0x9e3779b97f4a7c15ull * (b + 1)));
      T* bucket = out_ + begins_[b];
      if (b + 1 < buckets())  // the next bucket's lines, asked for while this one is shuffled
        for (size_t at = begins_[b + 1]; at < begins_[b + 2]; at += 64 / sizeof(T))
          __builtin_prefetch(out_ + at, 1);
      for (size_t k = begins_[b + 1] - begins_[b]; k > 1;) {
        const size_t m = std::min<size_t>(k - 1, 256);  // the draws for k, k - 1, ..., k - m + 1
#pragma omp simd
        for (size_t d = 0; d < m; ++d) draws[d] = below(hash(key + (k - d) * 0x9e3779b97f4a7c15ull), k - d);
        for (size_t d = 0; d < m; ++d) std::swap(bucket[k - d - 1], bucket[draws[d]]);
        k -= m;
      }
    }
  }

 private:
  // Calls f(k, bucket of k) for the samples k of chunk `chunk` of the input, in order. Bucket draws
  // come `bits_` at a time from one 64-bit hash of (seed, k / per_draw); the seed is hashed first, so
  // that nearby seeds (one per epoch) do not share draws.
  template <typename F>
  void for_each_bucket(size_t chunk, F&& f) const {
    const size_t n = in_.size();
    const size_t per_draw = bits_ ? size_t(64 / bits_) : 64;
    const size_t draws = (n + per_draw - 1) / per_draw;
    // Split on draw boundaries, so that every chunk takes whole draws.
    const size_t first = draws * chunk / chunks_, last = draws * (chunk + 1) / chunks_;
    const uint64_t mask = (uint64_t(1) << bits_) - 1;
    for (size_t d = first; d < last; ++d) {
      uint64_t r = hash(key_ + d);
      const size_t end = std::min(n, (d + 1) * per_draw);
      for (size_t k = d * per_draw; k < end; ++k, r >>= bits_) f(k, uint32_t(r & mask));
    }
  }
  // A uniform draw in [0, n) from 32 random bits (n < 2^32: a bucket holds far fewer samples).
  static uint32_t below(uint64_t random, uint64_t n) { return uint32_t(((random >> 32) * n) >> 32); }
  static uint64_t hash(uint64_t x) { return splitmix64_mix(x + kGoldenGamma); }

  std::span<const T> in_;
  T* out_ = nullptr;
  uint64_t key_ = 0;
  size_t chunks_ = 1;
  int bits_ = 0;
  std::vector<size_t> counts_;  // chunk x bucket: counts, then (from prefix()) places
  std::vector<size_t> begins_;  // where each bucket begins, and the end
};

}  // namespace mfrec
