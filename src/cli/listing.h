#pragma once
// Shared by `recommend` and `similar`: looking up ids with clear messages, and printing ranked lists
// of items as text or JSON.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mfrec/error.h"
#include "mfrec/recommend.h"

namespace mfrec::cli {

inline uint32_t lookup(const IdMap& ids, const std::string& id, const char* what) {
  if (auto index = ids.find(id)) return *index;
  throw UsageError(fmt::format("unknown {} id '{}': the model knows {} {}s{}", what, id, ids.size(), what,
                               ids.size() ? fmt::format(" ({}, {}, ...)", ids.external(0), ids.external(std::min<uint32_t>(1, uint32_t(ids.size() - 1)))) : ""));
}

inline const std::string& title_of(const Model& m, uint32_t i) {
  static const std::string none;
  return i < m.catalog.titles.size() ? m.catalog.titles[i] : none;
}
inline const std::string& genres_of(const Model& m, uint32_t i) {
  static const std::string none;
  return i < m.catalog.genres.size() ? m.catalog.genres[i] : none;
}

inline nlohmann::json items_json(const Model& m, const std::vector<Scored>& list, const char* score_key) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : list)
    out.push_back({{"item", m.items.external(s.index)}, {"title", title_of(m, s.index)},
                   {"genres", genres_of(m, s.index)}, {score_key, s.score}});
  return out;
}

inline void print_items(const Model& m, const std::vector<Scored>& list, const char* score_label) {
  fmt::print("{:>4}  {:>8}  {:>10}  {}\n", "rank", "item", score_label, "title [genres]");
  for (size_t r = 0; r < list.size(); ++r) {
    const uint32_t i = list[r].index;
    const std::string& genres = genres_of(m, i);
    fmt::print("{:>4}  {:>8}  {:>10.4f}  {}{}\n", r + 1, m.items.external(i), list[r].score, title_of(m, i),
               genres.empty() ? "" : " [" + genres + "]");
  }
}

inline void check_k(size_t k) {
  if (k < 1 || k > 100000) throw UsageError("-k must be between 1 and 100000");
}

}  // namespace mfrec::cli
