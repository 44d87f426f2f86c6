#pragma once
// The training ratings of one side (users or items) as compressed rows: for row r, the other side's
// indices and a target each (the rating less the user's mean for als and mcmc, the confidence for
// ials, none for bpr and ease). The per-row solvers read them.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "mfrec/ratings.h"

namespace mfrec {

struct RatingRows {
  std::vector<uint64_t> offsets;  // n_rows + 1
  std::vector<uint32_t> other;
  std::vector<float> target;
  size_t rows() const { return offsets.size() - 1; }
  size_t count(size_t r) const { return offsets[r + 1] - offsets[r]; }

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

  // Each row's entries in the order of their other-side index (then target), the targets moving
  // with them: a user's row has this order wherever it is made (in place, or on a rank), so that
  // its sums are formed alike.
  void sort_rows(int threads = 1) {
    const bool with_target = !target.empty();
#pragma omp parallel num_threads(threads)
    {
      std::vector<std::pair<uint32_t, float>> row;
#pragma omp for schedule(dynamic, 256)
      for (int64_t r = 0; r < int64_t(rows()); ++r) {
        const uint64_t b = offsets[size_t(r)], e = offsets[size_t(r) + 1];
        row.clear();
        for (uint64_t k = b; k < e; ++k) row.emplace_back(other[k], with_target ? target[k] : 0.0f);
        std::sort(row.begin(), row.end());
        for (uint64_t k = b; k < e; ++k) {
          other[k] = row[k - b].first;
          if (with_target) target[k] = row[k - b].second;
        }
      }
    }
  }
};

}  // namespace mfrec
