#include "serve/serving_model.h"

#include <algorithm>
#include <chrono>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "serve/json_out.h"

namespace mfrec::serve {
namespace {

std::string item_fields(const Model& m, uint32_t i) {
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
  return fmt::to_string(b);
}

std::unique_ptr<const MF> load_rating_model(const std::string& path) {
  auto rating = std::make_unique<const MF>(MF::load(path));
  const Model& m = rating->model();
  if (m.objective != Objective::rating) {
    const std::string engine = m.meta.contains("options") && m.meta["options"].is_object()
                                   ? m.meta["options"].value("optimizer", std::string())
                                   : std::string();
    std::string rating_engines;
    for (const EngineInfo& e : engines())
      if (e.objective == Objective::rating) rating_engines += (rating_engines.empty() ? "" : ", ") + e.name;
    throw UsageError(fmt::format(
        "`rating_model` {} is a {} model{}: its scores are only an order, not ratings; give a model "
        "trained for ratings (`optimizer` {})",
        path, objective_name(m.objective), engine.empty() ? "" : " (" + engine + ")", rating_engines));
  }
  return rating;
}

}  // namespace

std::shared_ptr<const ServingModel> ServingModel::load(const std::string& path, const std::string& rating_path,
                                                       uint64_t version) {
  auto s = std::make_shared<ServingModel>(MF::load(path));
  const Model& m = s->model();
  s->version = version;
  s->loaded_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  s->item_json.resize(m.n_items());
  for (uint32_t i = 0; i < m.n_items(); ++i) s->item_json[i] = item_fields(m, i);
  s->titles = std::make_unique<const TitleIndex>(m, s->rec().popularity());
  if (!rating_path.empty()) {
    s->rating = load_rating_model(rating_path);
    const IdMap& theirs = s->rating->model().items;
    s->rating_item.resize(m.n_items());
    for (uint32_t i = 0; i < m.n_items(); ++i) s->rating_item[i] = theirs.find(m.items.external(i)).value_or(Model::npos);
  }
  return s;
}

std::vector<float> ServingModel::predicted(std::string_view user, std::span<const Scored> list) const {
  std::vector<float> out;
  if (!rating) return out;
  const Model& r = rating->model();
  const uint32_t u = r.users.find(user).value_or(Model::npos);
  out.reserve(list.size());
  for (const Scored& s : list) out.push_back(r.predict_any(u, rating_item[s.index]));
  return out;
}

std::vector<float> ServingModel::predicted(std::span<const FoldInRating> ratings, std::span<const Scored> list) const {
  std::vector<float> out;
  if (!rating) return out;
  const Model& r = rating->model();
  std::vector<FoldInRating> theirs;  // the ratings of items the rating model knows, in its indices
  for (const FoldInRating& x : ratings)
    if (const uint32_t i = rating_item[x.item]; i != Model::npos) theirs.push_back({i, x.rating});
  out.reserve(list.size());
  if (theirs.empty()) {  // nothing it knows: an unknown user
    for (const Scored& s : list) out.push_back(r.predict_any(Model::npos, rating_item[s.index]));
    return out;
  }
  const FoldedUser folded = rating->fold_in(theirs);
  std::vector<float> scores(r.n_items());
  rating->recommender().score(folded, scores.data());
  for (const Scored& s : list) {
    const uint32_t i = rating_item[s.index];
    // An item it does not know: the folded user's mean and bias, as for a known user.
    out.push_back(r.clip(i == Model::npos ? folded.mean + folded.bias : scores[i]));
  }
  return out;
}

}  // namespace mfrec::serve
