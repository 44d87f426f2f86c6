// Similar items and similar users: cosine similarity of the factor rows.
#include <algorithm>
#include <limits>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {
namespace {

std::vector<Scored> most_similar(const RowMatrix& unit, const std::vector<uint32_t>& void_rows, uint32_t row,
                                 size_t k) {
  const size_t n = size_t(unit.rows());
  float* s = scratch_scores(n);
  Eigen::Map<Eigen::VectorXf> sims(s, unit.rows());
  sims.noalias() = unit * unit.row(Eigen::Index(row)).transpose();
  for (uint32_t v : void_rows) s[v] = std::numeric_limits<float>::quiet_NaN();  // no factors: no similarity
  const uint32_t self[1] = {row};
  return select_top_k(s, n, k, self);
}

}  // namespace

std::vector<Scored> Recommender::similar_items(uint32_t item, size_t k) const {
  if (item >= n_items()) throw UsageError("item index out of range");
  if (std::binary_search(impl_->item_void.begin(), impl_->item_void.end(), item)) return {};
  return most_similar(impl_->Qn, impl_->item_void, item, k);
}

std::vector<Scored> Recommender::similar_users(uint32_t user, size_t k) const {
  if (user >= n_users()) throw UsageError("user index out of range");
  if (std::binary_search(impl_->user_void.begin(), impl_->user_void.end(), user)) return {};
  return most_similar(impl_->Pn, impl_->user_void, user, k);
}

}  // namespace mfrec
