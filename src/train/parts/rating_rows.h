#pragma once
// The training ratings of one side (users or items) as compressed rows: for row r, the other side's
// indices and the ratings less the user's mean. The per-row solvers (als, mcmc) read them.
#include <cstdint>
#include <vector>

#include "mfrec/ratings.h"

namespace mfrec {

struct RatingRows {
  std::vector<uint64_t> offsets;  // n_rows + 1
  std::vector<uint32_t> other;
  std::vector<float> target;
  size_t rows() const { return offsets.size() - 1; }
  size_t count(size_t r) const { return offsets[r + 1] - offsets[r]; }

  static RatingRows group(const Ratings& train, const std::vector<float>& user_mean, size_t n_rows, bool by_user) {
    RatingRows g;
    g.offsets.assign(n_rows + 1, 0);
    const auto& key = by_user ? train.user : train.item;
    const auto& other = by_user ? train.item : train.user;
    for (uint32_t r : key) ++g.offsets[r + 1];
    for (size_t r = 0; r < n_rows; ++r) g.offsets[r + 1] += g.offsets[r];
    std::vector<uint64_t> fill(g.offsets.begin(), g.offsets.end() - 1);
    g.other.resize(train.size());
    g.target.resize(train.size());
    for (size_t k = 0; k < train.size(); ++k) {
      const uint64_t at = fill[key[k]]++;
      g.other[at] = other[k];
      g.target[at] = train.value[k] - user_mean[train.user[k]];
    }
    return g;
  }
};

}  // namespace mfrec
