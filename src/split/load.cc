// Reading and splitting in one step, including the `files` split's two files in one id space.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "mfrec/error.h"
#include "mfrec/split.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

// Timestamps only decide the split; the parts do without them (a fifth of their memory).
void drop_timestamps(Split& s) {
  for (Ratings* part : {&s.train, &s.val, &s.test}) std::vector<int64_t>().swap(part->time);
}

void check_folds(const SplitOptions& o) {
  if (o.kind == SplitKind::kfold && (o.folds < 2 || o.fold < 0 || o.fold >= o.folds))
    throw UsageError("split kfold needs `folds` of at least 2 and `fold` from 0 to folds - 1 (got folds " +
                     std::to_string(o.folds) + ", fold " + std::to_string(o.fold) + ")");
}

// The validation hold-out orders by time only when it is temporal and holds something out.
bool validation_by_time(const SplitOptions& o) { return o.val_temporal && o.val_ratio > 0; }

}  // namespace

SplitData split_dataset(Dataset data, const SplitOptions& options, bool keep_time) {
  if (options.kind == SplitKind::files) throw UsageError("split `files` reads two files: use load_split");
  check_folds(options);
  SplitData out;
  out.split = make_split(std::move(data.ratings), options, keep_time);  // data.ratings is left empty
  out.data = std::move(data);
  return out;
}

SplitData load_split(const ReadOptions& read, const SplitOptions& options, const std::string& train_file,
                     const std::string& test_file, bool keep_time) {
  if (options.kind != SplitKind::files) {
    if (!train_file.empty() || !test_file.empty()) throw UsageError("`train` and `test` files go with split `files`");
    check_folds(options);
    ReadOptions r = read;  // timestamps are kept only where the split or the engine reads them
    r.timestamps = keep_time || options.kind == SplitKind::temporal || options.kind == SplitKind::loo ||
                   validation_by_time(options);
    return split_dataset(load_dataset(r), options, keep_time);
  }
  if (train_file.empty() || test_file.empty()) throw UsageError("split `files` needs a `train` file and a `test` file");
  auto resolve = [&](const std::string& f) {
    if (fs::exists(f) || read.path.empty()) return f;
    const fs::path base = fs::is_directory(read.path) ? fs::path(read.path) : fs::path(read.path).parent_path();
    return (base / f).string();
  };
  const auto t0 = std::chrono::steady_clock::now();
  SplitData out;
  Dataset& d = out.data;
  ReadOptions r = read;
  r.path = resolve(train_file);
  d.source = detect_source(r);
  Layout layout = d.source.layout;
  layout.keep_time = keep_time || validation_by_time(options);
  Ratings train = read_ratings(d.source.ratings_file, layout, d.users, d.items, &d.report);
  if (read.min_rating) train = keep_at_least(train, *read.min_rating, d.source.ratings_file);
  r.path = resolve(test_file);
  const Source test_source = detect_source(r);
  ReadReport test_report;
  Layout test_layout = test_source.layout;
  test_layout.keep_time = keep_time;
  Ratings test = read_ratings(test_source.ratings_file, test_layout, d.users, d.items, &test_report);
  if (read.min_rating) test = keep_at_least(test, *read.min_rating, test_source.ratings_file);
  d.report.duplicates += test_report.duplicates;
  d.report.bytes += test_report.bytes;
  d.report.lines += test_report.lines;
  std::string items_file = d.source.items_file;
  if (items_file.empty() && !read.path.empty() && fs::is_directory(read.path)) items_file = detect_source(read).items_file;
  d.catalog = read_catalog(items_file, d.source.layout.name, d.items);
  const auto [lo, hi] = std::minmax_element(train.value.begin(), train.value.end());
  d.rating_min = *lo;
  d.rating_max = *hi;
  // The parts are handed to the split (no copy of them), so the fingerprint comes first.
  d.fingerprint = data_fingerprint(train, d.users, d.items, data_fingerprint(test, d.users, d.items));
  out.split = split_given(std::move(train), std::move(test), options);
  if (!keep_time) drop_timestamps(out.split);
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace mfrec
