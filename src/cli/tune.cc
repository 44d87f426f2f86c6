// `mfrec tune`: search the settings on the validation part, then train the best and report its test
// RMSE; the best settings go to JSON for `mfrec train --config`.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/train_args.h"
#include "cli/option_checks.h"
#include "common/atomic_file.h"
#include "common/json_io.h"
#include "mfrec/mfrec.h"

#include <cmath>

namespace fs = std::filesystem;

namespace mfrec::cli {
namespace {

struct Args {
  DataArgs data;
  TrainArgs train;
  TuneOptions tune;
  std::string budget = "60s", optimizers = "adam,sgd,als", output = "output/tune";
};

double parse_budget(const std::string& s) {
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    const std::string unit = s.substr(used);
    if (unit == "m" || unit == "min") v *= 60;
    else if (unit == "h") v *= 3600;
    else if (!unit.empty() && unit != "s") throw std::invalid_argument(unit);
    if (v > 0) return v;
  } catch (const std::exception&) {
  }
  throw UsageError("--budget must be a duration like 60s, 5m or 1h");
}

nlohmann::json settings_json(const TrainOptions& o) {
  auto round6 = [](float v) { return std::stod(fmt::format("{:.6g}", v)); };
  const EngineInfo& e = engine_info(o.optimizer);
  nlohmann::json j = {{"optimizer", o.optimizer}, {"dim", o.dim}, {"reg", round6(o.reg)}, {"epochs", o.epochs}};
  if (e.space.lr_lo != e.space.lr_hi) j["lr"] = round6(o.lr);
  if (o.optimizer == "adam") j["batch_size"] = o.batch_size;
  // The engine's own options, searched or not, so that train --config repeats the trial exactly.
  const nlohmann::json all = o.to_json();
  for (const std::string& name : e.options)
    if (all.contains(name)) j[name] = all[name];
  return j;
}

std::string describe(const TrainOptions& o) {
  if (o.optimizer == "mcmc") return fmt::format("optimizer mcmc dim {} noise precision {:.4g}", o.dim, o.noise_precision);
  const TuneSpace& s = engine_info(o.optimizer).space;
  return fmt::format("optimizer {} dim {}{} reg {:.4g}", o.optimizer, o.dim,
                     s.lr_lo != s.lr_hi ? fmt::format(" lr {:.4g}", o.lr) : "", o.reg);
}

// A trial's validation figure: RMSE, or NDCG@10 for ranking engines (kept negated, lower is better).
std::string val_figure(const Trial& t) {
  return std::isnan(t.val_ndcg) ? fmt::format("val RMSE {:.4f}", t.val_rmse) : fmt::format("val NDCG@10 {:.4f}", t.val_ndcg);
}

void run(Args& a) {
  a.tune.budget_seconds = parse_budget(a.budget);
  a.tune.optimizers.clear();
  for (size_t at = 0; at <= a.optimizers.size();) {
    const size_t comma = std::min(a.optimizers.find(',', at), a.optimizers.size());
    a.tune.optimizers.push_back(a.optimizers.substr(at, comma - at));
    at = comma + 1;
  }
  const TrainOptions base = a.train.resolve();
  a.tune.seed = base.seed;
  if (a.data.read.path.empty() && a.data.train_file.empty()) {
    a.data.read.path = ensure_default_data((fs::path("output") / "synthetic-ml1m").string());
    fmt::print("no --data_path: tuning on the embedded default (generated, not MovieLens)\n");
  }
  a.data.keep_time = base.recency > 0;
  Dataset data;
  Split split;
  a.data.load(data, split);
  fmt::print("tuning on {} ({} train, {} validation ratings; the {} test ratings are not used) for {:.0f} s\n",
             data.source.ratings_file, split.train.size(), split.val.size(), split.test.size(), a.tune.budget_seconds);
  fs::create_directories(a.output);
  std::ofstream log(fs::path(a.output) / "tune.log");
  size_t n = 0;
  auto print = [&](const Trial& t, const std::string& mark) {
    const std::string line = fmt::format("trial {:3}: {} epochs {:3} -> {} ({:.1f} s){}", ++n, describe(t.options),
                                         t.options.epochs, val_figure(t), t.seconds, mark);
    fmt::print("{}\n", line);
    std::fflush(stdout);
    log << line << "\n";
  };
  const auto trials = autotune(data, split, base, a.tune, [&](const Trial& t, size_t best) {
    print(t, best == n ? "  <- best so far" : "");  // n: trials printed before this one
  });
  size_t best = 0;
  for (size_t k = 0; k < trials.size(); ++k)
    if (trials[k].val_rmse < trials[best].val_rmse) best = k;
  const Trial& b = trials[best];
  MF mf(b.options);
  const FitResult& r = mf.fit(data, split);
  mf.save((fs::path(a.output) / "model.mfrec").string());
  nlohmann::json best_json = settings_json(b.options);
  write_file_atomically((fs::path(a.output) / "best.json").string(), json_text(best_json, 2) + "\n");
  fmt::print("best of {} trials: {} epochs {} ({})\n", trials.size(), describe(b.options), b.options.epochs, val_figure(b));
  const std::string test = std::isnan(b.val_ndcg) ? fmt::format("test RMSE {:.4f}  MAE {:.4f}", r.test.rmse, r.test.mae)
                                                   : fmt::format("test NDCG@10 {:.4f}  HR@10 {:.4f}", r.test_ranking.ndcg, r.test_ranking.hr);
  fmt::print("{}  with the best settings; wrote {}/best.json (use: mfrec train --config {}/best.json)\n", test, a.output,
             a.output);
}

}  // namespace

void add_tune(CLI::App& app) {
  auto* cmd = app.add_subcommand("tune", "search dim, reg, lr, epochs and optimizer on the validation part");
  auto args = std::make_shared<Args>();
  args->data.add(*cmd, false);
  args->train.add(*cmd);
  cmd->add_option("--budget", args->budget, "time to search: 60s, 5m, 1h")->capture_default_str();
  cmd->add_option("--optimizers", args->optimizers, "engines to search, comma separated")->capture_default_str();
  cmd->add_option("--max_dim", args->tune.max_dim, "largest dim to try")->capture_default_str();
  cmd->add_option("--trials", args->tune.max_trials, "stop after this many trials (0: when the budget is spent)")->capture_default_str();
  cmd->add_option("--output", args->output, "folder for best.json, tune.log and the best model")->capture_default_str()->check(kNonEmptyCheck);
  cmd->callback([args] { run(*args); });
}

}  // namespace mfrec::cli
