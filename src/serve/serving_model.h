#pragma once
// One version of the serving model: the Recommender plus what the HTTP layer precomputes for it
// (each item's JSON fields, the title search index). Immutable.
#include <memory>
#include <string>
#include <vector>

#include "mfrec/recommend.h"
#include "mfrec/search.h"

namespace mfrec::serve {

struct ServingModel {
  std::shared_ptr<const Recommender> rec;
  std::vector<std::string> item_json;    // "item":"2858","title":"...","genres":["Comedy","Drama"]
  std::unique_ptr<const TitleIndex> titles;
  uint64_t version = 0;
  double loaded_unix_seconds = 0;

  static std::shared_ptr<const ServingModel> load(const std::string& path, uint64_t version);
  const Model& model() const { return rec->model(); }
  // Title search (see TitleIndex::search).
  std::vector<uint32_t> search(std::string_view query, size_t limit) const { return titles->search(query, limit); }
};

}  // namespace mfrec::serve
