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
const char* model_kind_name(ModelKind kind);
ModelKind parse_model_kind(const std::string& name);  // throws UsageError

// What a model's scores mean: predicted ratings (clipped to the rating range wherever they are shown
// as ratings) or ranking scores, of which only the order means something (the implicit engines).
enum class Objective : uint8_t { rating = 0, ranking = 1 };
const char* objective_name(Objective objective);

// How the observed interactions' confidence grows with their value r (implicit engines):
// c = 1 + alpha * f(r), f = 1 (binary), r (linear) or log(1 + r) (log, Hu et al. 2008).
enum class Confidence : uint8_t { binary = 0, linear = 1, log = 2 };
Confidence parse_confidence(const std::string& name);  // throws UsageError
const char* confidence_name(Confidence c);
// `decay` weighs the alpha term: 0.5^(later / half-life) for an interaction followed by `later` more
// of the same user's (--recency), 1 without.
float confidence_of(Confidence c, float alpha, float r, float decay = 1.0f);
float recency_decay(size_t later, float half_life);

// How a new user is folded in from a few ratings (Recommender::fold_in), left in the model by the
// engine that trained it and saved in the checkpoint.
struct FoldInPrior {
  enum class Kind : uint8_t {
    ridge,     // ridge regression on the ratings: lambda = reg_per_rating * n + 1
    gaussian,  // mcmc: a Gaussian prior with the trained users' spread and this noise variance
    implicit,  // ials, bpr: the iALS closed form with the options below
    items,     // ease: the user's row is the indicator of the given items
    mean_user, // popularity: the trained users' mean row, whatever was given
  } kind = Kind::ridge;
  float reg_per_rating = 0;
  double noise_variance = 1;
  float alpha = 1, unobserved_weight = 1, reg = 0, reg_exponent = 0, recency = 0;
  Confidence confidence = Confidence::binary;
  nlohmann::json to_json() const;
  static FoldInPrior from_json(const nlohmann::json& j);  // throws nlohmann::json::exception
};

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
  // The same, freeing train's columns as it goes: its peak is train's size, not twice it.
  static SeenItems from(Ratings&& train, const Ratings& more, size_t n_users);
};

struct Model {
  ModelKind kind = ModelKind::biased;
  Objective objective = Objective::rating;
  FoldInPrior fold_in;
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
  float predict(uint32_t u, uint32_t i) const;  // clipped to the rating range (rating models)
  // A score shown as a predicted rating: within the range the model was trained on. A ranking
  // model's scores are not ratings: shown as they are.
  float clip(float score) const {
    return objective == Objective::ranking ? score : std::clamp(score, rating_min, rating_max);
  }
  // Prediction for ids that may be unknown (index == npos): the documented fallback.
  static constexpr uint32_t npos = UINT32_MAX;
  float predict_any(uint32_t u, uint32_t i) const;
  // A complete model's invariants: dim > 0; the factor tables, biases, means and id maps sized by
  // the user and item counts; a title and genres per item (or none); the seen items as rows of
  // sorted item indices. inconsistency() says what is broken ("" when nothing is); check() throws
  // it as a DataError. The loader and the facade check, since scoring indexes unchecked.
  std::string inconsistency() const;
  void check() const;
  // What the model is, as the checkpoint's header and export's model.json say it: kind, objective,
  // fold-in prior, dim, precision, sizes, global mean, rating range and the metadata.
  nlohmann::json info() const;
};

}  // namespace mfrec
