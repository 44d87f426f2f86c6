#pragma once
// Using a trained model: top-k items for a user (what the user rated in training left out), every
// user's top-k at once, similar items and users (cosine on the factors), and fold-in of a new user
// from a few ratings (regularized least squares with the item side fixed, no retraining).
//
// A Recommender prepares a model once for fast scoring (the item factors as one contiguous fp32
// matrix whatever the model's storage precision, unit-length copies for cosine) and is immutable
// afterwards: every method is const and safe to call from many threads at once.
//
// Scores are predicted ratings, mu_u + b_u + b_i + p_u . q_i, not clipped to the rating range (so
// that they still order the items; show them through Model::clip); ties go to the lower index.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mfrec/model.h"

namespace mfrec {

// The least number of training ratings an item needs to be listed as similar to another by default
// (the CLI's and the HTTP API's --min_count): rarely rated items have noisy factors whose cosine
// says little, and would otherwise fill the list.
inline constexpr uint32_t kDefaultMinCount = 20;

struct Scored {
  uint32_t index;  // internal item (or user) index
  float score;
};

// The k best of scores[0..n), best first, leaving out the indices in `skip` (sorted ascending).
// NaN scores never qualify. A partial selection: O(n log k).
std::vector<Scored> select_top_k(const float* scores, size_t n, size_t k, std::span<const uint32_t> skip = {});

struct FoldInRating {
  uint32_t item;  // internal index
  float rating;
};

// How fold-in regularizes: minimize over (p, b)
//   sum_i (r_i - mu - b - b_i - p . q_i)^2 + lambda * (|p|^2 + b^2),  lambda = reg_per_rating * n + reg_min
// where mu is the mean of the given ratings (as mu_u is a user's mean in training) and n their number.
struct FoldInOptions {
  // < 0: derived from the model's training options: reg * batch_size, the per-rating L2 weight that
  // Adam's per-batch penalty amounts to (0.05 with the defaults); for an mcmc model, the ridge of a
  // Gaussian prior fitted to the trained users (reg_min unused); else as given.
  float reg_per_rating = -1;
  float reg_min = 1.0f;  // keeps a user with fewer ratings than dimensions well-posed
};

// A user who is not in the model, described by fold-in: factors, bias and mean rating.
struct FoldedUser {
  std::vector<float> factors;
  float bias = 0, mean = 0;
  std::vector<uint32_t> rated;  // the items the fold-in saw, sorted (left out of recommendations)
};

class Recommender {
 public:
  explicit Recommender(std::shared_ptr<const Model> model);
  explicit Recommender(Model model) : Recommender(std::make_shared<const Model>(std::move(model))) {}

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& model_ptr() const { return model_; }
  size_t n_items() const { return model_->n_items(); }
  size_t n_users() const { return model_->n_users(); }
  // How many users rated each item in training.
  const std::vector<uint32_t>& popularity() const { return popularity_; }

  // Every item's score for a known user, or for a folded-in one, into out[0..n_items).
  void score_user(uint32_t user, float* out) const;
  void score(const FoldedUser& user, float* out) const;

  // Top-k for a known user, leaving out what the user rated in training unless include_seen.
  std::vector<Scored> top_k(uint32_t user, size_t k, bool include_seen = false) const;
  // Top-k for a folded-in user, leaving out the items the fold-in saw.
  std::vector<Scored> top_k(const FoldedUser& user, size_t k) const;

  // Every user's top-k (as top_k), by blocks of users scored as one matrix product, on `threads`
  // threads (0: all cores). result[u] is user u's list.
  std::vector<std::vector<Scored>> recommend_all(size_t k, bool include_seen = false, unsigned threads = 0) const;
  // The same for the given users: result[x] is users[x]'s list.
  std::vector<std::vector<Scored>> recommend_users(std::span<const uint32_t> users, size_t k, bool include_seen = false,
                                                   unsigned threads = 0) const;

  // Cosine similarity of the factors; the item (user) itself and rows without factors (never seen
  // in training) are left out, and so are items with fewer than min_for(min_count, k) training
  // ratings.
  std::vector<Scored> similar_items(uint32_t item, size_t k, uint32_t min_count = 0) const;
  // The minimum support actually applied: `wanted`, lowered when fewer than k + 1 items have that
  // many ratings to the count of the (k + 1)-th most rated item, so that a small catalogue still
  // gives k neighbours.
  uint32_t min_count_for(uint32_t wanted, size_t k) const;
  std::vector<Scored> similar_users(uint32_t user, size_t k) const;

  // Throws UsageError for an item index out of range or a non-finite rating.
  FoldedUser fold_in(std::span<const FoldInRating> ratings, const FoldInOptions& options = {}) const;

 private:
  struct Impl;
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Impl> impl_;
  std::vector<uint32_t> popularity_;
  std::vector<uint32_t> popularity_desc_;  // popularity_, most rated first
};

}  // namespace mfrec
