#pragma once
// Training ratings packed for the inner loops: 16 bytes each, the user's mean folded in.
#include <numeric>
#include <vector>

#include "common/random.h"

#include "mfrec/model.h"

namespace mfrec {

struct Sample {
  uint32_t user, item;
  float rating;
  float base;  // mu_u: the target the biases and factors explain the rest of
};

inline std::vector<Sample> pack_samples(const Ratings& r, const Model& m) {
  std::vector<Sample> out(r.size());
  for (size_t k = 0; k < r.size(); ++k) out[k] = {r.user[k], r.item[k], r.value[k], m.user_mean[r.user[k]]};
  return out;
}

// A fresh random order of `samples` in `out`. Shuffling 4-byte indices and then gathering is several
// times faster than shuffling the 16-byte samples in place (fewer cache misses per swap).
inline void shuffle_samples(const std::vector<Sample>& samples, std::vector<uint32_t>& order,
                            std::vector<Sample>& out, uint64_t seed) {
  if (order.size() != samples.size()) {
    order.resize(samples.size());
    std::iota(order.begin(), order.end(), 0u);
  }
  Random(seed).shuffle(order);
  out.resize(samples.size());
  for (size_t k = 0; k < order.size(); ++k) out[k] = samples[order[k]];
}

}  // namespace mfrec
