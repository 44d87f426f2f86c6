#pragma once
// One version of the serving model: the Recommender plus what the HTTP layer precomputes for it
// (each item's JSON fields, lower-case titles for search, items by popularity). Immutable.
#include <memory>
#include <string>
#include <vector>

#include "mfrec/recommend.h"

namespace mfrec::serve {

struct ServingModel {
  std::shared_ptr<const Recommender> rec;
  std::vector<std::string> item_json;    // "item":"2858","title":"...","genres":["Comedy","Drama"]
  std::vector<std::string> title_lower;  // ASCII-lower-cased titles
  std::vector<uint32_t> by_popularity;   // item indices, most rated in training first
  uint64_t version = 0;
  double loaded_unix_seconds = 0;

  static std::shared_ptr<const ServingModel> load(const std::string& path, uint64_t version);
  const Model& model() const { return rec->model(); }
  // Items whose title contains `query` (any case) or whose id is `query`, most rated first.
  std::vector<uint32_t> search(std::string_view query, size_t limit) const;
};

}  // namespace mfrec::serve
