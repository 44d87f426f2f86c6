// `mfrec train`: data -> split -> model -> trainer -> evaluation -> checkpoint, log and metrics.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <fmt/os.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/plural.h"
#include "cli/learning_curve.h"
#include "cli/progress.h"
#include "cli/train_args.h"
#include "cli/train_run.h"
#include "cli/option_checks.h"
#include "common/atomic_file.h"
#include "common/json_io.h"
#include "mfrec/engines.h"
#include "mfrec/mfrec.h"

namespace fs = std::filesystem;

namespace mfrec::cli {
namespace {

// The 1-minute load average (/proc/loadavg), 0 where it cannot be read.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  return in >> load ? load : 0.0;
}

}  // namespace

fs::path TrainCommand::out_dir() const {
  return output.empty() ? fs::path("output") / std::to_string(device_id) : fs::path(output);
}

TrainingData load_training_data(const TrainCommand& a, bool verbose) {
  TrainingData d;
  fs::create_directories(a.out_dir());
  d.options = a.train.resolve();
  d.data_args = a.data;
  DataArgs& data_args = d.data_args;
  if (data_args.read.path.empty() && data_args.train_file.empty()) {
    data_args.read.path = ensure_default_data((fs::path("output") / "synthetic-ml1m").string());
    if (verbose)
      fmt::print("no --data_path: training on the embedded default, a generated MovieLens-1M-shaped data set "
                 "({}; not MovieLens)\n", data_args.read.path);
  }
  data_args.keep_time = d.options.recency > 0;
  data_args.split_options.seed = d.options.seed;  // --seed seeds the split too (eval re-makes it from the checkpoint)
  data_args.load(d.data, d.split);
  if (!verbose) return d;
  const Dataset& data = d.data;
  fmt::print("data: {} ({}), {}, {}, {}, {} dropped, read in {:.3f} s\n", data.source.ratings_file,
             data.source.layout.name, count_of(data.report.lines, "rating"), count_of(data.users.size(), "user"),
             count_of(data.items.size(), "item"), count_of(data.report.duplicates, "duplicate"), data.load_seconds);
  fmt::print("split: {}, train {}, validation {}, test {}\n", data_args.split, d.split.train.size(),
             d.split.val.size(), d.split.test.size());
  return d;
}

nlohmann::json train_loaded(const TrainCommand& a, TrainingData& d, const TrainHooks& hooks) {
  const auto t_start = d.start;
  const fs::path out = a.out_dir();
  TrainOptions& o = d.options;
  const DataArgs& data_args = d.data_args;
  const Dataset& data = d.data;
  Split& split = d.split;
  // Sizes, not the parts: fit frees the training part when it is handed over.
  const size_t n_train = split.train.size(), n_val = split.val.size(), n_test = split.test.size();
  std::string why;
  if (const uint32_t t = o.threads_for(n_train, load_average(), &why); t != o.thread_count()) {
    o.threads = t;
    fmt::print("{}: training on {} thread (--threads N to choose)\n", why, t);
  }

  const fs::path model_path = out / "model.mfrec";
  MF mf = a.resume ? MF(load_model(model_path.string()), o) : MF(o);
  if (a.resume)
    fmt::print("resuming from {} ({} epochs done)\n", model_path.string(), mf.model().meta.value("epochs_done", 0));

  const fs::path log_path = out / fmt::format("train_{}.log", a.device_id);
  // The log is written aside and put in place with the model and metrics.json, so that the three
  // always describe the same run; a run that fails leaves its log as train_<id>.log.partial.
  const fs::path partial_log = fs::path(log_path.string() + ".partial");
  auto log = fmt::output_file(partial_log.string());
  log.print("mfrec train: optimizer {} dim {} lr {} batch_size {} epochs {} reg {} precision {} threads {}\n",
            o.optimizer, o.dim, o.lr, o.batch_size, o.epochs, o.reg, precision_name(o.precision), o.thread_count());
  log.print("data {} ratings {} users {} items {} split {} train {} val {} test {}\n", data.source.ratings_file,
            data.report.lines, data.users.size(), data.items.size(), data_args.split, n_train,
            n_val, n_test);
  Progress bar(o.epochs);
  const bool ranking = engine_info(o.optimizer).objective == Objective::ranking;
  const uint32_t epochs = engine_info(o.optimizer).closed_form ? 1 : o.epochs;
  nlohmann::json history = nlohmann::json::array();
  auto on_epoch = [&](const EpochStats& s) {
    const std::string plain_line =
        ranking ? fmt::format("epoch {}/{} loss {:.4f}{} time {:.3f}s samples/s {:.0f}", s.epoch, epochs, s.loss,
                              n_val ? fmt::format(" val_ndcg@10 {:.4f}", s.val_ndcg) : "", s.seconds,
                              s.samples_per_second)
                : fmt::format("epoch {}/{} loss {:.4f} train_rmse {:.4f}{} time {:.3f}s samples/s {:.0f}", s.epoch,
                              epochs, s.loss, s.train_rmse,
                              n_val ? fmt::format(" val_rmse {:.4f}", s.val_rmse) : "", s.seconds,
                              s.samples_per_second);
    const std::string line = hooks.epoch_note ? plain_line + hooks.epoch_note(s) : plain_line;
    history.push_back({{"epoch", s.epoch}, {"loss", s.loss}, {"seconds", s.seconds},
                       {ranking ? "val_ndcg@10" : "val_rmse", ranking ? s.val_ndcg : s.val_rmse}});
    if (!ranking) history.back()["train_rmse"] = s.train_rmse;
    log.print("{}\n", line);
    log.flush();
    if (isatty(STDERR_FILENO)) bar.update(s.epoch, ranking ? fmt::format("val_ndcg@10 {:.4f}", s.val_ndcg) : fmt::format("val_rmse {:.4f}", s.val_rmse));
    else if (!a.quiet) fmt::print("{}\n", line);
  };
  if (hooks.before_fit) hooks.before_fit(a.resume ? &mf.model() : nullptr);
  const FitResult& r = hooks.keep_split ? mf.fit(data, split, on_epoch, a.resume)
                                        : mf.fit(data, std::move(split), on_epoch, a.resume);
  const Model& model = mf.model();
  bar.done();
  const size_t epochs_run = r.train.history.size();
  const double sps = double(n_train) * double(epochs_run) / std::max(r.train.train_seconds, 1e-9);
  const bool usable = !r.train.diverged || r.train.best_epoch > 0;
  // For `mfrec info`: how the data was split, and what the model scored.
  mf.meta()["data"]["split"] = data_args.describe();
  mf.meta()["metrics"] = {{"test_rmse", r.test.rmse}, {"test_mae", r.test.mae}, {"val_rmse", r.val.rmse}};
  if (!usable) {  // nothing to keep: the folder stays as the previous run left it, this log aside
    log.print("training diverged (the loss became NaN) in the first epoch; no model was written\n");
    log.close();
    throw DataError(fmt::format("training diverged (the loss became NaN) in the first epoch; no model was written "
                                "(the log is {}); try a lower --lr (or --reg)", partial_log.string()));
  }
  mf.save(model_path.string());

  const double e2e = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  nlohmann::json metrics = {
      {"test_rmse", r.test.rmse}, {"test_mae", r.test.mae}, {"val_rmse", r.val.rmse},
      {"best_epoch", r.train.best_epoch}, {"epochs", epochs_run}, {"train_seconds", r.train.train_seconds},
      {"loop_seconds", r.train.loop_seconds}, {"samples_per_second", sps}, {"load_seconds", data.load_seconds}, {"e2e_seconds", e2e},
      {"n_users", data.users.size()}, {"n_items", data.items.size()}, {"n_train", n_train},
      {"n_val", n_val}, {"n_test", n_test}, {"cold_test_ratings", r.test.cold},
      {"duplicates", data.report.duplicates}, {"split", data_args.split}, {"optimizer", o.optimizer},
      {"precision", precision_name(o.precision)}, {"dim", model.dim}, {"threads", o.thread_count()},
      {"model_bytes", model.P.bytes() + model.Q.bytes()}, {"diverged", r.train.diverged},
      {"early_stopped", r.train.early_stopped}, {"data_path", data.source.ratings_file}, {"options", o.to_json()},
      {"objective", objective_name(model.objective)}, {"history", history}};
  if (hooks.metrics) hooks.metrics(metrics);
  if (ranking) {
    metrics["test_ranking"] = r.test_ranking.to_json();
    if (n_val) metrics["val_ranking"] = r.val_ranking.to_json();
  }
  write_file_atomically((out / "metrics.json").string(), json_text(metrics, 2) + "\n");
  write_file_atomically((out / "learning_curve.svg").string(),
                        learning_curve_svg(r.train.history, ranking, fmt::format("mfrec train: {} dim {} on {}", o.optimizer,
                                                                                 model.dim, data.source.ratings_file)));

  log.print("best epoch {} of {}, cold test ratings {}\n", r.train.best_epoch, epochs_run, r.test.cold);
  log.print("Final Performance samples/sec : {:.0f}\n", sps);
  const bool tested = n_test > 0;
  if (!tested) log.print("Final Test RMSE : n/a (no test part)\n");
  else if (ranking) log.print("Final Test NDCG@10 : {:.4f}\n", r.test_ranking.ndcg);
  else log.print("Final Test RMSE : {:.4f}\n", r.test.rmse);
  log.print("E2E Training Duration sec : {:.3f}\n", e2e);
  log.close();
  fs::rename(partial_log, log_path);
  if (!tested) {
    fmt::print("no test part (--test_ratio 0): a final model on all the data{}, best epoch {}/{}\n",
               n_val ? fmt::format(", val {} {:.4f}", ranking ? "NDCG@10" : "RMSE",
                                              ranking ? r.val_ranking.ndcg : r.val.rmse) : "",
               r.train.best_epoch, epochs_run);
  } else if (ranking) {
    const RankingMetrics& t = r.test_ranking;
    fmt::print("test {}@10 ({} users{}): HR {:.4f}  P {:.4f}  R {:.4f}  NDCG {:.4f}", protocol_name(t.protocol), t.users,
               t.protocol == RankingProtocol::sampled ? fmt::format(", vs {} sampled items", t.negatives) : "", t.hr,
               t.precision, t.recall, t.ndcg);
    if (t.protocol == RankingProtocol::users)
      fmt::print("  Recall@20 {:.4f}  Recall@50 {:.4f}  NDCG@100 {:.4f}", t.recall20, t.recall50, t.ndcg100);
    const std::string val = n_val ? fmt::format("{:.4f}", r.val_ranking.ndcg) : "n/a (no validation part)";
    fmt::print("  val NDCG@10 {}  best epoch {}/{}\n", val, r.train.best_epoch, epochs_run);
  } else {
    const std::string val = n_val ? fmt::format("{:.4f}", r.val.rmse) : "n/a (no validation part)";
    fmt::print("test RMSE {:.4f}  MAE {:.4f}  ({}, {} cold)  val RMSE {}  best epoch {}/{}\n", r.test.rmse,
               r.test.mae, count_of(r.test.count, "rating"), r.test.cold, val, r.train.best_epoch, epochs_run);
  }
  fmt::print("training {:.3f} s, {:.0f} samples/s; wrote {}, {}, {}\n", r.train.train_seconds, sps,
             model_path.string(), log_path.string(), (out / "metrics.json").string());
  if (r.train.diverged)
    throw DataError(fmt::format("training diverged (the loss became NaN) after epoch {}; the model file holds epoch {}, "
                                "the last good one; try a lower --lr (or --reg)", epochs_run, r.train.best_epoch));
  return metrics;
}

namespace {

nlohmann::json run(const TrainCommand& a) {
  TrainingData d = load_training_data(a);
  return train_loaded(a, d);
}

// --split kfold without --fold: every fold in turn (output/<id>/fold-K/, K from 1), then the mean and the
// standard deviation of the test RMSE and MAE in output/<id>/metrics.json.
void run_all_folds(const TrainCommand& a) {
  const fs::path out = a.out_dir();
  const int folds = a.data.split_options.folds;
  if (folds < 2) throw UsageError("--folds must be at least 2");
  std::vector<double> rmse, mae;
  for (int f = 0; f < folds; ++f) {
    TrainCommand one = a;
    one.data.split_options.fold = f;
    one.output = (out / fmt::format("fold-{}", f + 1)).string();
    fmt::print("fold {}/{}\n", f + 1, folds);
    const nlohmann::json m = run(one);
    rmse.push_back(m["test_rmse"]);
    mae.push_back(m["test_mae"]);
  }
  auto mean_std = [](const std::vector<double>& v) {
    double mean = 0, var = 0;
    for (double x : v) mean += x / double(v.size());
    for (double x : v) var += (x - mean) * (x - mean) / double(v.size() - 1);
    return std::pair{mean, std::sqrt(var)};
  };
  const auto [rm, rs] = mean_std(rmse);
  const auto [mm, ms] = mean_std(mae);
  const nlohmann::json summary = {{"split", "kfold"}, {"folds", folds}, {"test_rmse", rm}, {"test_rmse_std", rs},
                                  {"test_mae", mm}, {"test_mae_std", ms}, {"fold_test_rmse", rmse}};
  write_file_atomically((out / "metrics.json").string(), json_text(summary, 2) + "\n");
  fmt::print("{}-fold test RMSE {:.4f} +- {:.4f}, MAE {:.4f} +- {:.4f} (mean +- std over folds); wrote {}\n", folds, rm, rs,
             mm, ms, (out / "metrics.json").string());
}

}  // namespace

void add_train_options(CLI::App& cmd, TrainCommand& a) {
  a.data.add(cmd, false);
  a.train.add(cmd);
  cmd.add_option("--output", a.output, "output folder (default output/<device_id>)")->check(kNonEmptyCheck);
  cmd.add_option("--device_id", a.device_id, "device id, names the output folder and log")->capture_default_str();
  cmd.add_flag("--resume", a.resume, "continue from the output folder's model.mfrec");
  cmd.add_flag("--quiet", a.quiet, "no per-epoch lines on stdout");
}

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "train a model, report test RMSE, write a checkpoint");
  auto args = std::make_shared<TrainCommand>();
  add_train_options(*cmd, *args);
  auto distributed = std::make_shared<bool>(false);
  cmd->add_flag("--distributed", *distributed,
                "train als, ials, mcmc or sgd across the ranks of an MPI job: mpirun -np N mfrec train --distributed ... (runs "
                "mfrec-mpi; mfrec-mpi train --help adds --checkpoint_every)");
  cmd->callback([args, distributed] {
    // main.cc hands a command line with --distributed to mfrec-mpi; here it can only come from a file.
    if (*distributed) throw UsageError("--distributed goes on the command line, not in a --config file");
    if (args->data.split == "kfold" && args->data.split_options.fold < 0) run_all_folds(*args);
    else run(*args);
  });
}

}  // namespace mfrec::cli
