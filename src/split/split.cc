#include "mfrec/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/random.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

// Rows grouped by user, each group in file order.
std::vector<std::vector<uint32_t>> rows_by_user(const Ratings& r) {
  uint32_t n_users = r.size() ? *std::max_element(r.user.begin(), r.user.end()) + 1 : 0;
  std::vector<std::vector<uint32_t>> groups(n_users);
  for (uint32_t k = 0; k < r.size(); ++k) groups[r.user[k]].push_back(k);
  return groups;
}

// Per user, the first floor((1 - ratio) * count) rows train, the rest test. The epsilon makes the
// floor exact where (1 - ratio) * count is an integer, as the reference's int(0.8 * count) is.
void per_user_cut(const Ratings& r, double ratio, bool by_time, std::vector<uint32_t>& train,
                  std::vector<uint32_t>& test) {
  for (auto& rows : rows_by_user(r)) {
    if (by_time)
      std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) { return r.time[a] < r.time[b]; });
    const size_t cut = size_t(std::floor((1.0 - ratio) * double(rows.size()) + 1e-9));
    train.insert(train.end(), rows.begin(), rows.begin() + cut);
    test.insert(test.end(), rows.begin() + cut, rows.end());
  }
}

void check_ratio(double ratio, const char* name) {
  if (!(ratio >= 0 && ratio < 1)) throw UsageError(std::string("--") + name + " must be in [0, 1)");
}

// Holds val_ratio of the train rows out at random; both parts keep file order.
Split finish(const Ratings& all, std::vector<uint32_t> train, const Ratings& test, const SplitOptions& o) {
  check_ratio(o.val_ratio, "val_ratio");
  Random rng(o.seed ^ 0x5eedfa11ull);
  std::vector<uint32_t> order = train;
  rng.shuffle(order);
  const size_t n_val = size_t(double(order.size()) * o.val_ratio);
  std::vector<uint32_t> val(order.end() - ptrdiff_t(n_val), order.end());
  order.resize(order.size() - n_val);
  std::sort(order.begin(), order.end());
  std::sort(val.begin(), val.end());
  return Split{all.select(order), all.select(val), test};
}

}  // namespace

SplitKind parse_split(const std::string& name) {
  if (name == "temporal") return SplitKind::temporal;
  if (name == "fileorder") return SplitKind::fileorder;
  if (name == "random") return SplitKind::random;
  if (name == "files") return SplitKind::files;
  if (name == "kfold") return SplitKind::kfold;
  throw UsageError("unknown split '" + name + "' (expected temporal, fileorder, random, files or kfold)");
}

const char* split_name(SplitKind kind) {
  static const char* const names[] = {"temporal", "fileorder", "random", "files", "kfold"};
  return names[int(kind)];
}

Split make_split(const Ratings& all, const SplitOptions& o) {
  std::vector<uint32_t> train, test;
  switch (o.kind) {
    case SplitKind::temporal:
      if (!all.has_time()) throw UsageError("--split temporal needs timestamps, and this data has none (use --split random)");
      [[fallthrough]];
    case SplitKind::fileorder:
      check_ratio(o.test_ratio, "test_ratio");
      per_user_cut(all, o.test_ratio, o.kind == SplitKind::temporal, train, test);
      break;
    case SplitKind::random: {
      check_ratio(o.test_ratio, "test_ratio");
      std::vector<uint32_t> order(all.size());
      std::iota(order.begin(), order.end(), 0u);
      Random(o.seed).shuffle(order);
      const size_t n_test = size_t(std::llround(double(all.size()) * o.test_ratio));
      test.assign(order.begin(), order.begin() + ptrdiff_t(n_test));
      train.assign(order.begin() + ptrdiff_t(n_test), order.end());
      break;
    }
    case SplitKind::kfold: {
      if (o.folds < 2 || o.fold < 0 || o.fold >= o.folds) throw UsageError("--folds must be >= 2 and the fold below it");
      std::vector<uint32_t> order(all.size());
      std::iota(order.begin(), order.end(), 0u);
      Random(o.seed).shuffle(order);
      const size_t lo = all.size() * size_t(o.fold) / size_t(o.folds), hi = all.size() * size_t(o.fold + 1) / size_t(o.folds);
      test.assign(order.begin() + ptrdiff_t(lo), order.begin() + ptrdiff_t(hi));
      train.assign(order.begin(), order.begin() + ptrdiff_t(lo));
      train.insert(train.end(), order.begin() + ptrdiff_t(hi), order.end());
      break;
    }
    case SplitKind::files:
      throw UsageError("--split files needs --train and --test files");
  }
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  return finish(all, std::move(train), all.select(test), o);
}

Split split_given(const Ratings& train, const Ratings& test, const SplitOptions& o) {
  std::vector<uint32_t> rows(train.size());
  std::iota(rows.begin(), rows.end(), 0u);
  return finish(train, std::move(rows), test, o);
}

}  // namespace mfrec
