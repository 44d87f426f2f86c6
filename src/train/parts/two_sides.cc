#include "train/parts/two_sides.h"

#include "train/parts/rating_grid.h"

namespace mfrec {

TwoSides::TwoSides(const Ratings& train, Ratings* lent, size_t n_users, size_t n_items, int threads,
                   const std::function<void(Ratings&)>& to_targets, bool with_time) {
  Ratings own;
  if (!lent) {
    own.user = train.user, own.item = train.item, own.value = train.value;
    if (with_time) own.time = train.time;
  }
  Ratings& rows = lent ? *lent : own;
  to_targets(rows);
  // The item side is copied from the rows in their order, then the rows are grouped by user.
  by_item = RatingRows::group_by(rows, n_items, false, [&](size_t k) { return rows.value[k]; });
  by_user.offsets = group_in_place(rows, n_users, true, threads);
  by_user.other = std::move(rows.item);
  by_user.target = std::move(rows.value);
  by_user.sort_rows(threads);
  lent_ = lent;
}

std::function<void(Ratings&)> TwoSides::less_mean(const std::vector<float>& user_mean) {
  return [&user_mean](Ratings& rows) {
    for (size_t k = 0; k < rows.size(); ++k) rows.value[k] -= user_mean[rows.user[k]];
  };
}

TwoSides::~TwoSides() {
  if (lent_) lent_->item = std::move(by_user.other), lent_->value = std::move(by_user.target);
}

}  // namespace mfrec
