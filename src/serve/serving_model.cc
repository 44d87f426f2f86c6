#include "serve/serving_model.h"

#include <algorithm>
#include <chrono>

#include "mfrec/checkpoint.h"
#include "serve/json_out.h"

namespace mfrec::serve {

std::shared_ptr<const ServingModel> ServingModel::load(const std::string& path, uint64_t version) {
  auto s = std::make_shared<ServingModel>();
  s->rec = std::make_shared<const Recommender>(load_model(path));
  const Model& m = s->rec->model();
  s->version = version;
  s->loaded_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  s->item_json.resize(m.n_items());
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
  }
  s->titles = std::make_unique<const TitleIndex>(m, s->rec->popularity());
  return s;
}

}  // namespace mfrec::serve
