#pragma once
// One version of the serving models: the model whose lists are served, the rating model
// beside it when there is one (--rating_model), and what the HTTP layer precomputes for them (each
// item's JSON fields, the title search index, the items' indices in the rating model). Immutable.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mfrec/mf.h"
#include "mfrec/search.h"

namespace mfrec::serve {

struct ServingModel {
  explicit ServingModel(MF m) : mf(std::move(m)) {}

  MF mf;                              // the lists come from it (--model)
  std::unique_ptr<const MF> rating;   // --rating_model (Objective::rating), or null
  std::vector<uint32_t> rating_item;  // mf's item -> rating's (Model::npos: unknown there)
  std::vector<std::string> item_json;         // "item":"2858","title":"...","genres":["Comedy","Drama"]
  std::unique_ptr<const TitleIndex> titles;
  uint64_t version = 0;
  double loaded_unix_seconds = 0;

  // Loads the model at `path` and, when `rating_path` is not empty, the rating model there: throws
  // DataError when either cannot be read, UsageError when the rating model's objective is not rating.
  static std::shared_ptr<const ServingModel> load(const std::string& path, const std::string& rating_path,
                                                  uint64_t version);
  const Model& model() const { return mf.model(); }
  const Recommender& rec() const { return mf.recommender(); }
  // The model that answers /v1/predict: the rating model when there is one.
  const Model& predicting_model() const { return rating ? rating->model() : mf.model(); }
  // Title search (see TitleIndex::search).
  std::vector<uint32_t> search(std::string_view query, size_t limit) const { return titles->search(query, limit); }

  // The rating model's predicted ratings (clipped to its range) of the listed items of mf, for the
  // user with external id `user`, or for the user folded in from `ratings` (mf's item indices).
  // Ids the rating model does not know get Model::predict_any's fallback. Empty without a rating model.
  std::vector<float> predicted(std::string_view user, std::span<const Scored> list) const;
  std::vector<float> predicted(std::span<const FoldInRating> ratings, std::span<const Scored> list) const;
};

}  // namespace mfrec::serve
