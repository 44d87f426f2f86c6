// `mfrec eval`: a saved model against the test part of a data set, split as at training time.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/option_checks.h"
#include "cli/plural.h"
#include "common/json_io.h"
#include "mfrec/mfrec.h"
#include "mfrec/ranking.h"

namespace mfrec::cli {
namespace {

struct Args {
  DataArgs data;
  std::string model;
  uint64_t seed = 0;
  bool json = false;
  RankingOptions ranking;
  bool sampled = false;
  std::optional<float> relevant_min;
};

void run(Args& a, bool split_asked) {
  const MF mf = MF::load(a.model);
  const Model& model = mf.model();
  // By default the split the model was trained with, as its checkpoint says; another only when asked.
  const nlohmann::json& meta_data = model.meta.contains("data") ? model.meta["data"] : nlohmann::json::object();
  std::string split_note;
  if (!split_asked && meta_data.contains("split") && meta_data["split"].is_object()) {
    a.data.from_description(meta_data["split"]);
    split_note = fmt::format("split: {} as at training (from the checkpoint)", a.data.split);
  } else {
    a.data.split_options.seed = a.seed;
    split_note = fmt::format("split: {} as asked, which need not be the split the model was trained with: test "
                             "ratings may overlap its training ratings", a.data.split);
  }
  Dataset data;
  Split split;
  a.data.load(data, split);
  if (meta_data.contains("fingerprint") && meta_data["fingerprint"].is_string()) {
    const std::string now = fmt::format("{:016x}", data.fingerprint), then = meta_data["fingerprint"];
    const std::string what = fmt::format("{} is not the data {} was trained on ({}: fingerprint {}, the model's {})",
                                         data.source.ratings_file, a.model, meta_data.value("source", std::string("?")),
                                         now, then);
    if (now != then && !split_asked) throw DataError(what + "; evaluate it on the data it was trained on");
    if (now != then) fmt::print(stderr, "mfrec: warning: {}: the figures below do not say how it does on unseen data\n", what);
  }
  const bool rating = model.objective == Objective::rating;
  // Ranking: the split's protocol (loo: 1 vs 100 sampled; users: held-out users folded in; else every
  // item a test user did not rate in training), or 1 vs N sampled with --sampled.
  RankingOptions ro = ranking_protocol(split.kind, a.seed);
  if (a.sampled) ro.protocol = RankingProtocol::sampled;
  ro.k = a.ranking.k;
  ro.negatives = a.ranking.negatives;
  ro.threads = a.ranking.threads;
  ro.relevant_min = a.relevant_min;
  const Evaluation e = mf.evaluate(data, split.test, ro);
  const ErrorMetrics& m = e.error;
  const RankingMetrics& rk = e.ranking;
  if (a.json) {
    fmt::print("{}\n", json_text(nlohmann::json{{"rmse", m.rmse}, {"mae", m.mae}, {"count", m.count}, {"cold", m.cold},
                                                {"objective", objective_name(model.objective)},
                                                {"split", a.data.split}, {"split_from_checkpoint", !split_asked},
                                                {"model", a.model}, {"ranking", rk.to_json()}}, 2));
  } else {
    if (rating)
      fmt::print("test RMSE {:.4f}  MAE {:.4f}  over {} ({} cold: user or item not in training)\n", m.rmse,
                 m.mae, count_of(m.count, "rating"), m.cold);
    else
      fmt::print("a ranking model ({}): its scores are not ratings, so no RMSE; {} test ratings\n",
                 model.meta.value("options", nlohmann::json::object()).value("optimizer", std::string("?")), m.count);
    const size_t k = rk.k;
    if (rk.protocol == RankingProtocol::users)
      fmt::print("ranking of held-out users ({} users, each folded in from 80% of their test items): Recall@20 {:.4f}  "
                 "Recall@50 {:.4f}  NDCG@100 {:.4f}  HR@{} {:.4f}  NDCG@{} {:.4f}  Precision@{} {:.4f}  Recall@{} {:.4f}\n",
                 rk.users, rk.recall20, rk.recall50, rk.ndcg100, k, rk.hr, k, rk.ndcg, k, rk.precision, k, rk.recall);
    else if (rk.protocol == RankingProtocol::sampled)
      fmt::print("ranking@{} (each test item vs {} sampled unrated items, {}, {}): HR@{} {:.4f}  NDCG@{} {:.4f}  "
                 "Precision@{} {:.4f}  Recall@{} {:.4f}  MAP@{} {:.4f}\n",
                 k, rk.negatives, count_of(rk.cases, "case"), count_of(rk.users, "user"), k, rk.hr, k, rk.ndcg, k, rk.precision, k, rk.recall, k, rk.map);
    else
      fmt::print("ranking@{} (all items unrated in training, {}): HR@{} {:.4f}  NDCG@{} {:.4f}  Precision@{} {:.4f}  "
                 "Recall@{} {:.4f}  MAP@{} {:.4f}  coverage {:.4f}\n",
                 k, count_of(rk.users, "user"), k, rk.hr, k, rk.ndcg, k, rk.precision, k, rk.recall, k, rk.map, rk.coverage);
    if (rk.skipped) fmt::print("  ({} not ranked: user or item unknown to the model)\n", count_of(rk.skipped, "test rating"));
    fmt::print("{}\n", split_note);
  }
}

}  // namespace

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "evaluate a saved model on a data set's test split");
  auto args = std::make_shared<Args>();
  cmd->add_option("--model", args->model, "model file (model.mfrec)")->required();
  args->data.add(*cmd, true);
  cmd->add_option("--seed", args->seed, "split seed (as at training)")->capture_default_str()->check(kSeedCheck);
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->add_option("-k,--k", args->ranking.k, "cut-off of the ranking metrics (HR, NDCG, Precision, Recall, MAP @K)")->capture_default_str();
  cmd->add_flag("--sampled", args->sampled, "rank each test item against --negatives sampled unrated items (1 vs 100) instead of all");
  cmd->add_option("--negatives", args->ranking.negatives, "with --sampled: items drawn per test item")->capture_default_str();
  cmd->add_option("--relevant_min", args->relevant_min, "a test rating is relevant when >= this (default: every test rating)");
  cmd->add_option("--threads", args->ranking.threads, "threads for the ranking metrics (0: all cores)")->capture_default_str();
  cmd->callback([args, cmd] {
    bool asked = false;
    for (const char* o : {"--split", "--test_ratio", "--val_ratio", "--val_split", "--train", "--test", "--folds", "--fold", "--seed"})
      asked |= cmd->count(o) > 0;
    run(*args, asked);
  });
}

}  // namespace mfrec::cli
