#include "serve/serving_model.h"

#include <algorithm>
#include <chrono>

#include "mfrec/checkpoint.h"
#include "serve/json_out.h"

namespace mfrec::serve {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

}  // namespace

std::shared_ptr<const ServingModel> ServingModel::load(const std::string& path, uint64_t version) {
  auto s = std::make_shared<ServingModel>();
  s->rec = std::make_shared<const Recommender>(load_model(path));
  const Model& m = s->rec->model();
  s->version = version;
  s->loaded_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  s->item_json.resize(m.n_items());
  s->title_lower.resize(m.n_items());
  for (uint32_t i = 0; i < m.n_items(); ++i) {
    const std::string title = i < m.catalog.titles.size() ? m.catalog.titles[i] : "";
    const std::string genres = i < m.catalog.genres.size() ? m.catalog.genres[i] : "";
    fmt::memory_buffer b;
    b.append(std::string_view("\"item\":"));
    append_json_string(b, m.items.external(i));
    b.append(std::string_view(",\"title\":"));
    append_json_string(b, title);
    b.append(std::string_view(",\"genres\":["));
    for (size_t at = 0; !genres.empty() && at <= genres.size();) {
      const size_t bar = std::min(genres.find('|', at), genres.size());
      if (at) b.push_back(',');
      append_json_string(b, std::string_view(genres).substr(at, bar - at));
      at = bar + 1;
    }
    b.push_back(']');
    s->item_json[i] = fmt::to_string(b);
    s->title_lower[i] = lower(title);
  }
  const auto& pop = s->rec->popularity();
  s->by_popularity.resize(m.n_items());
  for (uint32_t i = 0; i < m.n_items(); ++i) s->by_popularity[i] = i;
  std::stable_sort(s->by_popularity.begin(), s->by_popularity.end(),
                   [&](uint32_t a, uint32_t b) { return pop[a] > pop[b]; });
  return s;
}

std::vector<uint32_t> ServingModel::search(std::string_view query, size_t limit) const {
  std::vector<uint32_t> out;
  const std::string q = lower(query);
  if (auto exact = model().items.find(query)) out.push_back(*exact);
  for (uint32_t i : by_popularity) {
    if (out.size() >= limit) break;
    if (title_lower[i].find(q) != std::string::npos && (out.empty() || out.front() != i)) out.push_back(i);
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace mfrec::serve
