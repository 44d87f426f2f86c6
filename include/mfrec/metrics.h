#pragma once
// Rating-prediction metrics over a set of ratings.
#include <cstddef>

#include "mfrec/model.h"

namespace mfrec {

struct ErrorMetrics {
  double rmse = 0, mae = 0;  // NaN when there are no ratings
  size_t count = 0;
  size_t cold = 0;  // ratings whose user or item never occurs in training
};

// Clipped predictions against the ratings, in the model's indices (Model::npos for an unknown id:
// the documented fallback); `cold` counts ratings whose user or item has no training ratings.
ErrorMetrics evaluate(const Model& model, const Ratings& ratings);
// Re-indexes ratings read with other id maps into the model's (unknown ids become Model::npos).
Ratings to_model_ids(const Model& model, const Ratings& ratings, const IdMap& users, const IdMap& items);
// Unclipped, for the training loop's validation.
double rmse_raw(const Model& model, const Ratings& ratings);

}  // namespace mfrec
