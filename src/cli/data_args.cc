#include "cli/data_args.h"
#include "cli/option_checks.h"

#include <filesystem>

#include <fmt/format.h>

#include "mfrec/error.h"
#include "mfrec/synth.h"

namespace fs = std::filesystem;

namespace mfrec::cli {

void DataArgs::add_read(CLI::App& cmd, bool data_required) {
  auto* path = cmd.add_option("--data_path", read.path,
                              "ratings: an ml-1m/ml-100k/MovieLens-CSV folder, a ratings file, or a .mfd file (mfrec convert)");
  if (data_required) path->required();
  cmd.add_option("--format", read.format, "columns of a delimited file, e.g. user,item,rating,timestamp (skip: ignore)");
  cmd.add_option("--sep", read.sep, "field separator of a delimited file: tab, comma, '::', ';', '|', space");
  cmd.add_flag("--header", has_header, "the first line is a header");
  cmd.add_flag("--no_header", no_header, "the first line is data");
  cmd.add_option("--rating_min", read.rating_min, "lowest valid rating (ratings below are errors)")->check(kFiniteCheck);
  cmd.add_option("--rating_max", read.rating_max, "highest valid rating")->check(kFiniteCheck);
  cmd.add_option("--min_rating", read.min_rating, "keep only ratings >= this, e.g. 4 for implicit feedback (default: all)")
      ->check(kFiniteCheck);
}

void DataArgs::add(CLI::App& cmd, bool data_required) {
  add_read(cmd, data_required);
  cmd.add_option("--split", split, "temporal | fileorder | random | files | kfold | loo (latest per user) | users (held-out users)")->capture_default_str();
  cmd.add_option("--test_ratio", split_options.test_ratio, "share of ratings for test")->capture_default_str();
  cmd.add_option("--val_ratio", split_options.val_ratio, "share of train held out for validation")->capture_default_str();
  cmd.add_option("--val_split", val_split, "how validation is held out of train: random | temporal (each user's latest)")->capture_default_str();
  cmd.add_option("--train", train_file, "--split files: the training file (e.g. u1.base)");
  cmd.add_option("--test", test_file, "--split files: the test file (e.g. u1.test)");
  cmd.add_option("--folds", split_options.folds, "--split kfold: number of folds")->capture_default_str();
  // Folds count from 1 on the command line and in the output; the library counts from 0. Not given
  // is -1 (train runs every fold): a -1 typed on the command line must not mean that (kFoldCheck).
  cmd.add_option_function<int>(
         "--fold", [this](int k) {
           if (k < 1) throw CLI::ValidationError("--fold: folds count from 1 (K from 1 to --folds)");
           split_options.fold = k - 1;
         },
         "--split kfold: which fold is the test part, 1 to --folds (train: all folds when not given)")
      ->type_name("K")
      ->check(kFoldCheck);
}

ReadOptions DataArgs::read_options() const {
  if (has_header && no_header) throw UsageError("--header and --no_header contradict each other");
  ReadOptions r = read;
  if (has_header) r.header = true;
  if (no_header) r.header = false;
  return r;
}

void DataArgs::load(Dataset& d, Split& s) {
  read = read_options();
  split_options.kind = parse_split(split);
  if (val_split != "random" && val_split != "temporal") throw UsageError("--val_split must be random or temporal");
  split_options.val_temporal = val_split == "temporal";
  if (split_options.kind == SplitKind::kfold && split_options.folds >= 2 &&
      (split_options.fold < 0 || split_options.fold >= split_options.folds))
    throw UsageError(fmt::format("--split kfold needs --fold K with K from 1 to {} (--folds {})", split_options.folds,
                                 split_options.folds));
  if (split_options.kind != SplitKind::files && (!train_file.empty() || !test_file.empty()))
    throw UsageError("--train and --test go with --split files");
  if (split_options.kind == SplitKind::files && (train_file.empty() || test_file.empty()))
    throw UsageError("--split files needs --train FILE and --test FILE");
  SplitData sd = load_split(read, split_options, train_file, test_file, keep_time);
  d = std::move(sd.data);
  s = std::move(sd.split);
}

nlohmann::json DataArgs::describe() const {
  nlohmann::json j = {{"kind", split}};
  const SplitOptions& o = split_options;
  if (o.kind == SplitKind::files) j["train"] = train_file, j["test"] = test_file;
  else if (o.kind == SplitKind::kfold) j["folds"] = o.folds, j["fold"] = o.fold + 1;
  else j["test_ratio"] = o.test_ratio;
  j["val_ratio"] = o.val_ratio;
  j["val_split"] = val_split;
  j["seed"] = o.seed;
  if (read.min_rating) j["min_rating"] = *read.min_rating;
  return j;
}

void DataArgs::from_description(const nlohmann::json& j) {
  split = j.value("kind", split);
  SplitOptions& o = split_options;
  o.test_ratio = j.value("test_ratio", o.test_ratio);
  o.val_ratio = j.value("val_ratio", o.val_ratio);
  o.seed = j.value("seed", o.seed);
  o.folds = j.value("folds", o.folds);
  if (j.contains("fold")) o.fold = j["fold"].get<int>() - 1;
  val_split = j.value("val_split", val_split);
  train_file = j.value("train", train_file);
  test_file = j.value("test", test_file);
  if (j.contains("min_rating")) read.min_rating = j["min_rating"].get<float>();
}

std::string ensure_default_data(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "ratings.dat")) {
    fmt::print(stderr, "mfrec: generating the embedded default data set in {} (MovieLens-1M-shaped, not MovieLens)\n", dir);
    write_synthetic(dir, SynthOptions{});
  }
  return dir;
}

}  // namespace mfrec::cli
