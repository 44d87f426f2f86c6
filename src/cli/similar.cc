// `mfrec similar`: the items (or users) nearest to one, by cosine similarity of their factors.
#include "cli/commands.h"
#include "cli/listing.h"
#include "cli/plural.h"
#include "common/json_io.h"
#include "mfrec/mf.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model, item, user;
  size_t k = 10;
  uint32_t min_count = kDefaultMinCount;
  bool json = false;
};

void similar_items(const MF& mf, const Args& a) {
  const Recommender& rec = mf.recommender();
  const Model& m = mf.model();
  const uint32_t i = lookup(m.items, a.item, "item");
  const uint32_t min_count = rec.min_count_for(a.min_count, a.k);
  const auto list = mf.similar_items(i, a.k, a.min_count);
  if (a.json) {
    fmt::print("{}\n", json_text(nlohmann::json{{"item", a.item}, {"title", title_of(m, i)}, {"ratings", rec.popularity()[i]},
                                                {"min_count", min_count}, {"items", items_json(rec, list, ScoreKind::similarity)}},
                                 2));
    return;
  }
  if (list.empty()) throw UsageError("item " + a.item + " has no factors (nobody rated it in training): nothing is similar to it");
  fmt::print("items most similar to {} {} ({} in training), among items with at least {}{}:\n", a.item,
             title_of(m, i), count_of(rec.popularity()[i], "rating"), count_of(min_count, "training rating"),
             min_count < a.min_count ? fmt::format(" (--min_count {} lowered: too few items have that many)", a.min_count) : "");
  print_items(rec, list, ScoreKind::similarity);
}

void similar_users(const MF& mf, const Args& a) {
  const Model& m = mf.model();
  const uint32_t u = lookup(m.users, a.user, "user");
  const auto list = mf.similar_users(u, a.k);
  if (a.json) {
    nlohmann::json users = nlohmann::json::array();
    for (const auto& s : list) users.push_back({{"user", m.users.external(s.index)}, {"similarity", s.score}, {"ratings", m.seen.count(s.index)}});
    fmt::print("{}\n", json_text(nlohmann::json{{"user", a.user}, {"ratings", m.seen.count(u)}, {"users", users}}, 2));
    return;
  }
  if (list.empty()) throw UsageError("user " + a.user + " has no factors (no training ratings): nobody is similar");
  const size_t w = id_width(list, "user", [&](uint32_t v) -> const std::string& { return m.users.external(v); });
  fmt::print("users most similar to {} ({} in training):\n{:>4}  {:<{}}  {:>7}  {:>7}\n", a.user,
             count_of(m.seen.count(u), "rating"), "rank", "user", w, "cosine", "ratings");
  for (size_t r = 0; r < list.size(); ++r)
    fmt::print("{:>4}  {:<{}}  {:>7.4f}  {:>7}\n", r + 1, m.users.external(list[r].index), w, list[r].score,
               m.seen.count(list[r].index));
}

void run(const Args& a) {
  check_k(a.k);
  if (a.item.empty() == a.user.empty()) throw UsageError("give exactly one of --item ID and --user ID");
  const MF mf = MF::load(a.model);
  if (!a.item.empty()) similar_items(mf, a);
  else similar_users(mf, a);
}

}  // namespace

void add_similar(CLI::App& app) {
  auto* cmd = app.add_subcommand("similar", "items similar to an item (--item), or users similar to a user (--user)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_option("--item", a->item, "an item id");
  cmd->add_option("--user", a->user, "a user id");
  cmd->add_option("-k,--k", a->k, "how many")->capture_default_str();
  cmd->add_option("--min_count", a->min_count,
                  "with --item: list only items with at least this many training ratings (lowered when fewer "
                  "than k items have that many)")
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] { run(*a); });
}

}  // namespace mfrec::cli
