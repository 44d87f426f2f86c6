#pragma once
// Shared by `recommend` and `similar`: looking up ids with clear messages, and printing ranked lists
// of items as text or JSON.
#include <algorithm>
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

// What the score of a list is: a predicted rating (shown clipped to the model's range; the order
// stays the raw score's) or a cosine similarity (shown as it is, with each item's training count).
enum class ScoreKind { rating, similarity };

inline nlohmann::json items_json(const Recommender& rec, const std::vector<Scored>& list, ScoreKind kind) {
  const Model& m = rec.model();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : list) {
    nlohmann::json j = {{"item", m.items.external(s.index)}, {"title", title_of(m, s.index)}, {"genres", genres_of(m, s.index)}};
    if (kind == ScoreKind::rating) j["score"] = m.clip(s.score);
    else j["similarity"] = s.score, j["ratings"] = rec.popularity()[s.index];
    out.push_back(std::move(j));
  }
  return out;
}

// The width of a column of ids: the longest of them, and at least the heading's.
template <typename Name>
size_t id_width(const std::vector<Scored>& list, std::string_view heading, Name name) {
  size_t w = heading.size();
  for (const auto& s : list) w = std::max(w, name(s.index).size());
  return w;
}

// A table of items, the id column as wide as the longest id; no title column when there are no titles.
inline void print_items(const Recommender& rec, const std::vector<Scored>& list, ScoreKind kind) {
  const Model& m = rec.model();
  const size_t w = id_width(list, "item", [&](uint32_t i) -> const std::string& { return m.items.external(i); });
  const bool titled = std::any_of(list.begin(), list.end(), [&](const Scored& s) { return !title_of(m, s.index).empty(); });
  const std::string title_heading = titled ? "  title [genres]" : "";
  if (kind == ScoreKind::rating)
    fmt::print("{:>4}  {:<{}}  {:>9}{}\n", "rank", "item", w, "predicted", title_heading);
  else
    fmt::print("{:>4}  {:<{}}  {:>7}  {:>7}{}\n", "rank", "item", w, "cosine", "ratings", title_heading);
  for (size_t r = 0; r < list.size(); ++r) {
    const uint32_t i = list[r].index;
    const std::string& genres = genres_of(m, i);
    const std::string title = titled ? "  " + title_of(m, i) + (genres.empty() ? "" : " [" + genres + "]") : "";
    if (kind == ScoreKind::rating)
      fmt::print("{:>4}  {:<{}}  {:>9.4f}{}\n", r + 1, m.items.external(i), w, m.clip(list[r].score), title);
    else
      fmt::print("{:>4}  {:<{}}  {:>7.4f}  {:>7}{}\n", r + 1, m.items.external(i), w, list[r].score,
                 rec.popularity()[i], title);
  }
}

inline void check_k(size_t k) {
  if (k < 1 || k > 100000) throw UsageError("-k must be between 1 and 100000");
}

}  // namespace mfrec::cli
