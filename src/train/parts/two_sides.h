#pragma once
// The training ratings as both sides' compressed rows (rating_rows.h), for the engines that solve
// user rows and item rows in turn (als, mcmc, ials). Where the caller lends its training part
// (make_engine), the user side is made of the part's own columns: the values are turned into the
// targets, the item side is copied (each item's row in the part's order), the rows are grouped by
// user in place and their item and value columns become the user side (each row in item order, as
// the distributed engines make it), given back when the sides go. Else the same is done on a copy
// (with its timestamps where `with_time`), so both give the same rows.
#include <functional>
#include <vector>

#include "train/parts/rating_rows.h"

namespace mfrec {

class TwoSides {
 public:
  TwoSides(const Ratings& train, Ratings* lent, size_t n_users, size_t n_items, int threads,
           const std::function<void(Ratings&)>& to_targets, bool with_time = false);
  ~TwoSides();
  TwoSides(const TwoSides&) = delete;
  TwoSides& operator=(const TwoSides&) = delete;

  RatingRows by_user, by_item;

  // The values less the user's mean (als, mcmc).
  static std::function<void(Ratings&)> less_mean(const std::vector<float>& user_mean);

 private:
  Ratings* lent_ = nullptr;
};

}  // namespace mfrec
