// `mfrec recommend`: top-k items for a user of the model, for a new user described by a few ratings
// (fold-in), or for every user into a CSV file.
#include <chrono>

#include "cli/commands.h"
#include "cli/listing.h"
#include "cli/plural.h"
#include "common/atomic_file.h"
#include "common/json_io.h"
#include "mfrec/mf.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model, user, ratings, out;
  size_t k = 10;
  bool include_seen = false, all = false, json = false;
  unsigned threads = 0;
};

// "1193:5,661:3,914:4" -> ratings in the model's indices.
std::vector<FoldInRating> parse_ratings(const Model& m, const std::string& text) {
  std::vector<FoldInRating> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string pair = text.substr(at, comma - at);
    at = comma + 1;
    if (pair.find_first_not_of(" ") == std::string::npos) continue;
    const size_t colon = pair.rfind(':');
    if (colon == std::string::npos) throw UsageError("--ratings: expected ITEM:RATING pairs, got '" + pair + "'");
    const std::string id = pair.substr(0, colon), value = pair.substr(colon + 1);
    float rating = 0;
    try {
      size_t used = 0;
      rating = std::stof(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw UsageError("--ratings: '" + value + "' is not a number (in '" + pair + "')");
    }
    if (!(rating >= m.rating_min && rating <= m.rating_max))
      throw UsageError(fmt::format("--ratings: {} is outside the model's rating range {}..{}", rating, m.rating_min, m.rating_max));
    out.push_back({lookup(m.items, id, "item"), rating});
  }
  if (out.empty()) throw UsageError("--ratings: no ratings given");
  return out;
}

void write_all(const MF& mf, const Args& a) {
  if (a.out.empty()) throw UsageError("--all needs --out FILE (the CSV to write)");
  const auto t0 = std::chrono::steady_clock::now();
  const auto lists = mf.recommend_all(a.k, a.include_seen, a.threads);
  const double scoring = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Model& m = mf.model();
  fmt::memory_buffer b;
  fmt::format_to(std::back_inserter(b), "user,rank,item,score\n");
  for (size_t u = 0; u < lists.size(); ++u)
    for (size_t r = 0; r < lists[u].size(); ++r)
      fmt::format_to(std::back_inserter(b), "{},{},{},{:.4f}\n", m.users.external(uint32_t(u)), r + 1,
                     m.items.external(lists[u][r].index), m.clip(lists[u][r].score));
  write_file_atomically(a.out, std::string_view(b.data(), b.size()));  // a full disk leaves the old file
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("wrote the top {} of {} users to {} ({:.3f} s scoring and selection, {:.3f} s in all)\n", a.k,
             lists.size(), a.out, scoring, total);
}

void run(const Args& a) {
  check_k(a.k);
  const int modes = int(!a.user.empty()) + int(!a.ratings.empty()) + int(a.all);
  if (modes != 1) throw UsageError("give exactly one of --user ID, --ratings \"ITEM:RATING,...\" and --all");
  if (!a.out.empty() && !a.all) throw UsageError("--out goes with --all");
  const MF mf = MF::load(a.model);
  const Model& m = mf.model();
  if (a.all) return write_all(mf, a);

  std::vector<Scored> top;
  nlohmann::json head;
  if (!a.user.empty()) {
    const uint32_t u = lookup(m.users, a.user, "user");
    top = mf.recommend(u, a.k, a.include_seen);
    head = {{"user", a.user}, {"rated_in_training", m.seen.count(u)}};
    if (!a.json)
      fmt::print("top {} for user {} ({} rated in training{}):\n", a.k, a.user, count_of(m.seen.count(u), "item"),
                 a.include_seen ? ", included" : ", left out");
  } else {
    if (a.include_seen) throw UsageError("--include_seen goes with --user");
    const FoldedUser f = mf.fold_in(parse_ratings(m, a.ratings));
    top = mf.recommend(f, a.k);
    head = {{"ratings", f.rated.size()}, {"mean", f.mean}, {"bias", f.bias}};
    if (!a.json) fmt::print("top {} for a new user folded in from {} (mean {:.2f}):\n", a.k, count_of(f.rated.size(), "rating"), f.mean);
  }
  if (a.json) {
    head["items"] = items_json(mf.recommender(), top, ScoreKind::rating);
    fmt::print("{}\n", json_text(head, 2));
  } else {
    print_items(mf.recommender(), top, ScoreKind::rating);
  }
}

}  // namespace

void add_recommend(CLI::App& app) {
  auto* cmd = app.add_subcommand("recommend", "top-k items for a user, a new user (--ratings), or every user (--all)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_option("--user", a->user, "a user id of the training data");
  cmd->add_option("--ratings", a->ratings, "a new user's ratings, \"ITEM:RATING,...\" (fold-in, no retraining)");
  cmd->add_flag("--all", a->all, "every user's top-k, into --out FILE (CSV: user,rank,item,score)");
  cmd->add_option("--out", a->out, "with --all: the CSV file to write");
  cmd->add_option("-k,--k", a->k, "how many items")->capture_default_str();
  cmd->add_flag("--include_seen", a->include_seen, "also recommend items the user rated in training");
  cmd->add_option("--threads", a->threads, "with --all: threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] { run(*a); });
}

}  // namespace mfrec::cli
