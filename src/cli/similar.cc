// `mfrec similar`: the items (or users) nearest to one, by cosine similarity of their factors.
#include "cli/commands.h"
#include "cli/listing.h"
#include "common/json_io.h"
#include "mfrec/checkpoint.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model, item, user;
  size_t k = 10;
  bool json = false;
};

void run(const Args& a) {
  check_k(a.k);
  if (a.item.empty() == a.user.empty()) throw UsageError("give exactly one of --item ID and --user ID");
  const Recommender rec(load_model(a.model));
  const Model& m = rec.model();
  if (!a.item.empty()) {
    const uint32_t i = lookup(m.items, a.item, "item");
    const auto list = rec.similar_items(i, a.k);
    if (a.json) {
      fmt::print("{}\n", json_text(nlohmann::json{{"item", a.item}, {"title", title_of(m, i)}, {"items", items_json(m, list, "similarity")}}, 2));
      return;
    }
    if (list.empty()) throw UsageError("item " + a.item + " has no factors (nobody rated it in training): nothing is similar to it");
    fmt::print("items most similar to {} {}:\n", a.item, title_of(m, i));
    print_items(m, list, "cosine");
    return;
  }
  const uint32_t u = lookup(m.users, a.user, "user");
  const auto list = rec.similar_users(u, a.k);
  if (a.json) {
    nlohmann::json users = nlohmann::json::array();
    for (const auto& s : list) users.push_back({{"user", m.users.external(s.index)}, {"similarity", s.score}, {"rated", m.seen.count(s.index)}});
    fmt::print("{}\n", json_text(nlohmann::json{{"user", a.user}, {"users", users}}, 2));
    return;
  }
  if (list.empty()) throw UsageError("user " + a.user + " has no factors (no training ratings): nobody is similar");
  fmt::print("users most similar to {}:\n{:>4}  {:>8}  {:>10}  {}\n", a.user, "rank", "user", "cosine", "rated in training");
  for (size_t r = 0; r < list.size(); ++r)
    fmt::print("{:>4}  {:>8}  {:>10.4f}  {}\n", r + 1, m.users.external(list[r].index), list[r].score, m.seen.count(list[r].index));
}

}  // namespace

void add_similar(CLI::App& app) {
  auto* cmd = app.add_subcommand("similar", "items similar to an item (--item), or users similar to a user (--user)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_option("--item", a->item, "an item id");
  cmd->add_option("--user", a->user, "a user id");
  cmd->add_option("-k,--k", a->k, "how many")->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] { run(*a); });
}

}  // namespace mfrec::cli
