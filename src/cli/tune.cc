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
  nlohmann::json j = {{"optimizer", o.optimizer}, {"dim", o.dim}, {"lr", round6(o.lr)}, {"reg", round6(o.reg)}, {"epochs", o.epochs}};
  if (o.optimizer == "adam") j["batch_size"] = o.batch_size;
  if (o.optimizer == "mcmc") j["burn_in"] = o.burn_in, j["noise_precision"] = round6(o.noise_precision);
  return j;
}

std::string describe(const TrainOptions& o) {
  if (o.optimizer == "mcmc") return fmt::format("optimizer mcmc dim {} noise precision {:.4g}", o.dim, o.noise_precision);
  return fmt::format("optimizer {} dim {} lr {:.4g} reg {:.4g}", o.optimizer, o.dim, o.lr, o.reg);
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
    const std::string line = fmt::format("trial {:3}: {} epochs {:3} -> val RMSE {:.4f} ({:.1f} s){}", ++n,
                                         describe(t.options), t.options.epochs, t.val_rmse, t.seconds, mark);
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
  FitResult r;
  Model model = fit(data, split, b.options, r);
  save_model(model, (fs::path(a.output) / "model.mfrec").string());
  nlohmann::json best_json = settings_json(b.options);
  write_file_atomically((fs::path(a.output) / "best.json").string(), json_text(best_json, 2) + "\n");
  fmt::print("best of {} trials: {} epochs {} (val RMSE {:.4f})\n", trials.size(), describe(b.options), b.options.epochs, b.val_rmse);
  fmt::print("test RMSE {:.4f}  MAE {:.4f}  with the best settings; wrote {}/best.json (use: mfrec train --config {}/best.json)\n",
             r.test.rmse, r.test.mae, a.output, a.output);
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
