#pragma once
// Training ratings packed for the inner loops: 16 bytes each with the user's mean folded in, or
// 8 bytes where the data allows it (every MovieLens file does).
#include <bit>
#include <optional>
#include <unordered_map>
#include <vector>

#include "mfrec/model.h"

namespace mfrec {

struct Sample {
  uint32_t user, item;
  float rating;
  float base;  // mu_u: the target the biases and factors explain the rest of
};

// Rating k of `r` as a Sample of model `m`.
inline Sample sample_of(const Ratings& r, const Model& m, size_t k) {
  return {r.user[k], r.item[k], r.value[k], m.user_mean[r.user[k]]};
}

inline void pack_samples(const Ratings& r, const Model& m, Sample* out) {
  for (size_t k = 0; k < r.size(); ++k) out[k] = sample_of(r, m, k);
}

inline std::vector<Sample> pack_samples(const Ratings& r, const Model& m) {
  std::vector<Sample> out(r.size());
  pack_samples(r, m, out.data());
  return out;
}

// A rating in 8 bytes: the item in 24 bits and the rating as one of at most 256 values (its level);
// the user's mean is read from the model. Half a Sample: a shuffled epoch streams half the bytes.
struct PackedSample {
  uint32_t user, item_level;
  uint32_t item() const { return item_level >> 8; }
  uint32_t level() const { return item_level & 255; }
};

inline uint32_t item_of(const Sample& x) { return x.item; }
inline uint32_t item_of(const PackedSample& x) { return x.item(); }

// The distinct rating values of `r`, each at its level, when `r` can be held as PackedSamples: at
// most 256 values and fewer than 2^24 items.
inline std::optional<std::vector<float>> rating_levels(const Ratings& r, size_t n_items) {
  if (n_items >= (size_t(1) << 24)) return std::nullopt;
  std::unordered_map<uint32_t, uint32_t> seen;  // by bit pattern: every value comes back exactly
  std::vector<float> levels;
  for (float v : r.value) {
    if (seen.try_emplace(std::bit_cast<uint32_t>(v), uint32_t(levels.size())).second) {
      if (levels.size() == 256) return std::nullopt;
      levels.push_back(v);
    }
  }
  return levels;
}

// `r` as PackedSamples into `out`, with the levels rating_levels gave.
inline void pack_samples(const Ratings& r, const std::vector<float>& levels, PackedSample* out) {
  std::unordered_map<uint32_t, uint32_t> level;
  for (uint32_t k = 0; k < levels.size(); ++k) level[std::bit_cast<uint32_t>(levels[k])] = k;
  for (size_t k = 0; k < r.size(); ++k)
    out[k] = {r.user[k], r.item[k] << 8 | level.at(std::bit_cast<uint32_t>(r.value[k]))};
}

}  // namespace mfrec
