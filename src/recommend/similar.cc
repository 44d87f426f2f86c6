// Similar items and similar users: cosine similarity of the factor rows.
#include <algorithm>
#include <limits>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {
namespace {

std::vector<Scored> most_similar(const RowMatrix& unit, const std::vector<uint32_t>& void_rows, uint32_t row,
                                 size_t k, const uint32_t* counts = nullptr, uint32_t min_count = 0) {
  const size_t n = size_t(unit.rows());
  float* s = scratch_scores(n);
  Eigen::Map<Eigen::VectorXf> sims(s, unit.rows());
  sims.noalias() = unit * unit.row(Eigen::Index(row)).transpose();
  constexpr float kNone = std::numeric_limits<float>::quiet_NaN();  // never qualifies
  for (uint32_t v : void_rows) s[v] = kNone;  // no factors: no similarity
  if (counts && min_count > 0)
    for (size_t i = 0; i < n; ++i)
      if (counts[i] < min_count) s[i] = kNone;
  const uint32_t self[1] = {row};
  return select_top_k(s, n, k, self);
}

}  // namespace

uint32_t Recommender::min_count_for(uint32_t wanted, size_t k) const {
  if (popularity_desc_.empty()) return 0;
  // k others and the item itself: the (k + 1)-th most rated item sets the highest bar that still
  // leaves k candidates.
  const size_t at = std::min(k, popularity_desc_.size() - 1);
  return std::min(wanted, popularity_desc_[at]);
}

std::vector<Scored> Recommender::similar_items(uint32_t item, size_t k, uint32_t min_count) const {
  if (item >= n_items()) throw UsageError("item index out of range");
  if (std::binary_search(impl_->item_void.begin(), impl_->item_void.end(), item)) return {};
  return most_similar(impl_->Qn, impl_->item_void, item, k, popularity_.data(), min_count_for(min_count, k));
}

std::vector<Scored> Recommender::similar_users(uint32_t user, size_t k) const {
  if (user >= n_users()) throw UsageError("user index out of range");
  if (std::binary_search(impl_->user_void.begin(), impl_->user_void.end(), user)) return {};
  return most_similar(impl_->Pn, impl_->user_void, user, k);
}

}  // namespace mfrec
