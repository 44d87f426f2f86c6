// `mfrec items`: find items by title (accents, case and word order do not matter; see
// mfrec/search.h), most rated first.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/listing.h"
#include "common/json_io.h"
#include "mfrec/mf.h"
#include "mfrec/search.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model, q;
  size_t limit = 20;
  bool json = false;
};

void run(const Args& a) {
  if (a.limit < 1 || a.limit > 100000) throw UsageError("--limit must be between 1 and 100000");
  const MF mf = MF::load(a.model);
  const Recommender& rec = mf.recommender();
  const Model& m = mf.model();
  const TitleIndex index(m, rec.popularity());
  const auto found = index.search(a.q, a.limit);
  const auto& pop = rec.popularity();
  if (a.json) {
    nlohmann::json items = nlohmann::json::array();
    for (uint32_t i : found)
      items.push_back({{"item", m.items.external(i)}, {"title", title_of(m, i)}, {"genres", genres_of(m, i)}, {"ratings", pop[i]}});
    fmt::print("{}\n", json_text(nlohmann::json{{"q", a.q}, {"items", items}}, 2));
    return;
  }
  if (found.empty()) {
    fmt::print("no title matches \"{}\"\n", a.q);
    return;
  }
  size_t w = 4;
  for (uint32_t i : found) w = std::max(w, m.items.external(i).size());
  fmt::print("{:<{}}  {:>7}  {}\n", "item", w, "ratings", "title [genres]");
  for (uint32_t i : found) {
    const std::string& genres = genres_of(m, i);
    fmt::print("{:<{}}  {:>7}  {}{}\n", m.items.external(i), w, pop[i], title_of(m, i), genres.empty() ? "" : " [" + genres + "]");
  }
}

}  // namespace

void add_items(CLI::App& app) {
  auto* cmd = app.add_subcommand("items", "find items by title (any case, accents, word order), most rated first");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_option("-q,--q", a->q, "words of the title, e.g. \"godfather ii\" (empty: the most rated items)");
  cmd->add_option("--limit", a->limit, "how many at most")->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] { run(*a); });
}

}  // namespace mfrec::cli
