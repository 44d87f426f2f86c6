#pragma once
// The biased matrix-factorization model (Koren et al. 2009):
//   r_hat(u, i) = mu_u + b_u + b_i + p_u . q_i
// where mu_u is user u's mean rating on the training part. The `plain` kind predicts p_u . q_i.
// A Model carries everything needed to use it: id maps, titles, and what each user rated in training.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mfrec/dataset.h"
#include "mfrec/factors.h"

namespace mfrec {

enum class ModelKind : uint8_t { biased = 0, plain = 1 };

// Items each user rated in training, as compressed rows (offsets has n_users + 1 entries).
struct SeenItems {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> items;  // sorted within each user
  size_t count(uint32_t u) const { return offsets[u + 1] - offsets[u]; }
  const uint32_t* begin(uint32_t u) const { return items.data() + offsets[u]; }
  const uint32_t* end(uint32_t u) const { return items.data() + offsets[u + 1]; }
  bool contains(uint32_t u, uint32_t i) const;
  static SeenItems from(const Ratings& train, size_t n_users) { return from(train, Ratings{}, n_users); }
  static SeenItems from(const Ratings& train, const Ratings& more, size_t n_users);  // both parts
};

struct Model {
  ModelKind kind = ModelKind::biased;
  uint32_t dim = 0;
  FactorMatrix P, Q;  // users x dim, items x dim
  std::vector<float> user_bias, item_bias, user_mean;
  float global_mean = 0;
  float rating_min = 1, rating_max = 5;

  IdMap users, items;
  Catalog catalog;
  SeenItems seen;
  nlohmann::json meta = nlohmann::json::object();  // hyper-parameters, data, metrics, epochs done

  size_t n_users() const { return user_bias.size(); }
  size_t n_items() const { return item_bias.size(); }
  Precision precision() const { return P.precision(); }

  // Shapes the parameters; factors are drawn from N(0, init_std), biases N(0, init_std) as in the
  // recipe, user means from `train`.
  void init(size_t n_users, size_t n_items, uint32_t dim, Precision precision, float init_std,
            uint64_t seed);
  void set_user_means(const Ratings& train);
  // Rows that never occur in `train` carry no information: zero them so that predictions fall back
  // to what is known (the user's mean, the item's bias, the global mean).
  void zero_unseen(const Ratings& train);

  float predict_raw(uint32_t u, uint32_t i) const;
  float predict(uint32_t u, uint32_t i) const;  // clipped to the rating range
  // A score shown as a predicted rating: within the range the model was trained on.
  float clip(float score) const { return std::clamp(score, rating_min, rating_max); }
  // Prediction for ids that may be unknown (index == npos): the documented fallback.
  static constexpr uint32_t npos = UINT32_MAX;
  float predict_any(uint32_t u, uint32_t i) const;
};

}  // namespace mfrec
