#pragma once
// The training ratings of one side (users or items) as compressed rows: for row r, the other side's
// indices and the ratings less the user's mean. The per-row solvers (als, mcmc) read them.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "mfrec/ratings.h"

namespace mfrec {

struct RatingRows {
  std::vector<uint64_t> offsets;  // n_rows + 1
  std::vector<uint32_t> other;
  std::vector<float> target;
  size_t rows() const { return offsets.size() - 1; }
  size_t count(size_t r) const { return offsets[r + 1] - offsets[r]; }

  // Rows with the rating less the user's mean as the target.
  static RatingRows group(const Ratings& train, const std::vector<float>& user_mean, size_t n_rows, bool by_user) {
    return group_by(train, n_rows, by_user, [&](size_t k) { return train.value[k] - user_mean[train.user[k]]; });
  }

  // Rows of the other side's indices alone, without targets (bpr, ease).
  static RatingRows index(const Ratings& train, size_t n_rows, bool by_user) {
    return group_by(train, n_rows, by_user, nullptr);
  }

  // Rows with target(k) as the target of training rating k (none for nullptr); each row in the
  // training part's order.
  template <typename Target>
  static RatingRows group_by(const Ratings& train, size_t n_rows, bool by_user, Target target) {
    RatingRows g;
    g.offsets.assign(n_rows + 1, 0);
    const auto& key = by_user ? train.user : train.item;
    const auto& other = by_user ? train.item : train.user;
    for (uint32_t r : key) ++g.offsets[r + 1];
    for (size_t r = 0; r < n_rows; ++r) g.offsets[r + 1] += g.offsets[r];
    std::vector<uint64_t> fill(g.offsets.begin(), g.offsets.end() - 1);
    g.other.resize(train.size());
    constexpr bool with_target = !std::is_null_pointer_v<Target>;
    if constexpr (with_target) g.target.resize(train.size());
    for (size_t k = 0; k < train.size(); ++k) {
      const uint64_t at = fill[key[k]]++;
      g.other[at] = other[k];
      if constexpr (with_target) g.target[at] = target(k);
    }
    return g;
  }
};

}  // namespace mfrec
