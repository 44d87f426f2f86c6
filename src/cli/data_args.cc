#include "cli/data_args.h"
#include "cli/option_checks.h"

#include <filesystem>

#include <fmt/format.h>

#include "mfrec/error.h"
#include "mfrec/synth.h"

namespace fs = std::filesystem;

namespace mfrec::cli {

namespace {

// Timestamps only decide the split; the parts do without them (a fifth of their memory).
void drop_timestamps(Split& s) {
  for (Ratings* part : {&s.train, &s.val, &s.test}) std::vector<int64_t>().swap(part->time);
}

}  // namespace

void DataArgs::add(CLI::App& cmd, bool data_required) {
  auto* path = cmd.add_option("--data_path", read.path,
                              "ratings: an ml-1m/ml-100k/MovieLens-CSV folder, or a ratings file");
  if (data_required) path->required();
  cmd.add_option("--format", read.format, "columns of a delimited file, e.g. user,item,rating,timestamp (skip: ignore)");
  cmd.add_option("--sep", read.sep, "field separator of a delimited file: tab, comma, '::', ';', '|', space");
  cmd.add_flag("--header", has_header, "the first line is a header");
  cmd.add_flag("--no_header", no_header, "the first line is data");
  cmd.add_option("--rating_min", read.rating_min, "lowest valid rating (ratings below are errors)")->check(kFiniteCheck);
  cmd.add_option("--rating_max", read.rating_max, "highest valid rating")->check(kFiniteCheck);
  cmd.add_option("--min_rating", read.min_rating, "keep only ratings >= this, e.g. 4 for implicit feedback (default: all)")
      ->check(kFiniteCheck);
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

void DataArgs::load(Dataset& d, Split& s) {
  if (has_header && no_header) throw UsageError("--header and --no_header contradict each other");
  if (has_header) read.header = true;
  if (no_header) read.header = false;
  split_options.kind = parse_split(split);
  if (val_split != "random" && val_split != "temporal") throw UsageError("--val_split must be random or temporal");
  split_options.val_temporal = val_split == "temporal";
  if (split_options.kind == SplitKind::kfold && split_options.folds >= 2 &&
      (split_options.fold < 0 || split_options.fold >= split_options.folds))
    throw UsageError(fmt::format("--split kfold needs --fold K with K from 1 to {} (--folds {})", split_options.folds,
                                 split_options.folds));
  if (split_options.kind != SplitKind::files) {
    if (!train_file.empty() || !test_file.empty()) throw UsageError("--train and --test go with --split files");
    d = load_dataset(read);
    s = make_split(std::move(d.ratings), split_options);  // d.ratings is left empty
    if (!keep_time) drop_timestamps(s);
    return;
  }
  if (train_file.empty() || test_file.empty()) throw UsageError("--split files needs --train FILE and --test FILE");
  // Files are taken as given, else relative to the --data_path folder (so `--train u1.base` works).
  auto resolve = [&](const std::string& f) {
    if (fs::exists(f) || read.path.empty()) return f;
    const fs::path base = fs::is_directory(read.path) ? fs::path(read.path) : fs::path(read.path).parent_path();
    return (base / f).string();
  };
  const auto t0 = std::chrono::steady_clock::now();
  ReadOptions r = read;
  r.path = resolve(train_file);
  d.source = detect_source(r);
  Ratings train = read_ratings(d.source.ratings_file, d.source.layout, d.users, d.items, &d.report);
  if (read.min_rating) train = keep_at_least(train, *read.min_rating, d.source.ratings_file);
  r.path = resolve(test_file);
  const Source test_source = detect_source(r);
  ReadReport test_report;
  Ratings test = read_ratings(test_source.ratings_file, test_source.layout, d.users, d.items, &test_report);
  if (read.min_rating) test = keep_at_least(test, *read.min_rating, test_source.ratings_file);
  d.report.duplicates += test_report.duplicates;
  d.report.bytes += test_report.bytes;
  d.report.lines += test_report.lines;
  std::string items_file = d.source.items_file;
  if (items_file.empty() && !read.path.empty() && fs::is_directory(read.path)) items_file = detect_source(read).items_file;
  d.catalog = read_catalog(items_file, d.source.layout.name, d.items);
  auto [lo, hi] = std::minmax_element(train.value.begin(), train.value.end());
  d.rating_min = *lo;
  d.rating_max = *hi;
  d.fingerprint = data_fingerprint(train, d.users, d.items, data_fingerprint(test, d.users, d.items));
  s = split_given(train, test, split_options);
  if (!keep_time) drop_timestamps(s);
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
