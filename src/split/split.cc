#include "mfrec/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>

#include <fmt/format.h>

#include "common/random.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

// Rows grouped by user, each group in file order, as compressed rows (4 bytes a rating, no slack).
class UserRows {
 public:
  explicit UserRows(const Ratings& r) {
    const uint32_t n_users = r.size() ? *std::max_element(r.user.begin(), r.user.end()) + 1 : 0;
    start_.assign(size_t(n_users) + 1, 0);
    for (uint32_t u : r.user) ++start_[u + 1];
    for (size_t u = 0; u < n_users; ++u) start_[u + 1] += start_[u];
    rows_.resize(r.size());
    std::vector<uint64_t> fill(start_.begin(), start_.end() - 1);
    for (uint32_t k = 0; k < r.size(); ++k) rows_[fill[r.user[k]]++] = k;
  }
  size_t users() const { return start_.size() - 1; }
  std::span<uint32_t> of(size_t u) { return {rows_.data() + start_[u], rows_.data() + start_[u + 1]}; }

 private:
  std::vector<uint64_t> start_;
  std::vector<uint32_t> rows_;
};

void by_time(std::span<uint32_t> rows, const Ratings& r) {
  std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) { return r.time[a] < r.time[b]; });
}

// Per user, the first floor((1 - ratio) * count) rows train, the rest test, each list in file order.
// The epsilon makes the floor exact where (1 - ratio) * count is an integer, as the reference's
// int(0.8 * count) is. The grouping is freed before the lists are made: one of them is held at a time.
void per_user_cut(const Ratings& r, double ratio, bool time, std::vector<uint32_t>& train,
                  std::vector<uint32_t>& test) {
  std::vector<bool> to_test(r.size(), false);
  size_t n_test = 0;
  {
    UserRows groups(r);
    for (size_t u = 0; u < groups.users(); ++u) {
      const std::span<uint32_t> rows = groups.of(u);
      if (time) by_time(rows, r);
      const size_t cut = size_t(std::floor((1.0 - ratio) * double(rows.size()) + 1e-9));
      for (size_t k = cut; k < rows.size(); ++k) to_test[rows[k]] = true;
      n_test += rows.size() - cut;
    }
  }
  train.reserve(train.size() + r.size() - n_test), test.reserve(test.size() + n_test);
  for (uint32_t k = 0; k < r.size(); ++k) (to_test[k] ? test : train).push_back(k);
}

void check_ratio(double ratio, const char* name) {
  if (!(ratio >= 0 && ratio < 1)) throw UsageError(std::string("--") + name + " must be in [0, 1)");
}

// Which rows go where; each list in file order.
struct Rows {
  std::vector<uint32_t> train, val, test;
};

// Sorts distinct row numbers below `bound`: through a bitmap in O(bound) where they are dense (a
// comparison sort of 20M shuffled rows takes seconds).
void sort_rows(std::vector<uint32_t>& v, size_t bound) {
  if (std::is_sorted(v.begin(), v.end())) return;
  if (v.size() < bound / 32) return std::sort(v.begin(), v.end());
  std::vector<uint64_t> bits((bound + 63) / 64, 0);
  for (uint32_t r : v) bits[r >> 6] |= uint64_t(1) << (r & 63);
  size_t w = 0;
  for (size_t b = 0; b < bits.size(); ++b)
    for (uint64_t m = bits[b]; m; m &= m - 1) v[w++] = uint32_t(b * 64 + size_t(__builtin_ctzll(m)));
}

// Holds val_ratio of the train rows out at random, or (val_temporal) each user's latest val_ratio.
void hold_out_validation(Rows& rows, const SplitOptions& o, const Ratings* all = nullptr) {
  check_ratio(o.val_ratio, "val_ratio");
  const size_t bound = all ? all->size()
                           : (rows.train.empty() ? 0 : *std::max_element(rows.train.begin(), rows.train.end()) + size_t(1));
  if (o.val_temporal) {
    if (!all || !all->has_time()) throw UsageError("`val_split` temporal needs timestamps, and this data has none");
    const Ratings part = all->select(rows.train);
    std::vector<uint32_t> train, val;
    per_user_cut(part, o.val_ratio, true, train, val);
    for (uint32_t& k : train) k = rows.train[k];
    for (uint32_t& k : val) k = rows.train[k];
    rows.train = std::move(train);
    rows.val = std::move(val);
    for (auto* v : {&rows.train, &rows.val, &rows.test}) sort_rows(*v, bound);
    return;
  }
  std::vector<uint32_t>& train = rows.train;
  sort_rows(train, bound);  // the shuffle starts from file order
  const size_t n = train.size(), n_val = size_t(double(n) * o.val_ratio);
  // The first n_val steps of Random::shuffle settle its last n_val places: the rows a whole shuffle
  // would hold out, without shuffling the rest.
  Random rng(o.seed ^ 0x5eedfa11ull);
  for (size_t k = n; k > n - n_val && k > 1; --k) std::swap(train[k - 1], train[rng.below(k)]);
  rows.val.assign(train.end() - ptrdiff_t(n_val), train.end());
  train.resize(n - n_val);
  for (auto* v : {&rows.train, &rows.val, &rows.test}) sort_rows(*v, bound);
}

template <typename T>
void gather(const std::vector<T>& from, const std::vector<uint32_t>& rows, std::vector<T>& to) {
  to.resize(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) to[k] = from[rows[k]];
}

// Copies the rows into the three parts, one column at a time. With `owned` (== &all), each column of
// `all` is freed as soon as it is copied: the peak is one copy plus one column, not two copies.
Split materialize(const Ratings& all, const Rows& rows, Ratings* owned) {
  Split s;
  auto column = [&](auto member) {
    gather(all.*member, rows.train, s.train.*member);
    gather(all.*member, rows.val, s.val.*member);
    gather(all.*member, rows.test, s.test.*member);
    if (owned) std::remove_reference_t<decltype(owned->*member)>().swap(owned->*member);  // frees it
  };
  column(&Ratings::user);
  column(&Ratings::item);
  column(&Ratings::value);
  if (all.has_time()) column(&Ratings::time);
  return s;
}

// Per user, the latest rating is the test part and (with a validation part) the latest before it the
// validation part (He et al. 2017); by timestamp, ties in file order, or in file order without
// timestamps. A user with too few ratings keeps them in training.
void leave_one_out(const Ratings& r, const SplitOptions& o, Rows& rows) {
  check_ratio(o.val_ratio, "val_ratio");
  const size_t keep = o.val_ratio > 0 ? 3 : 2;  // ratings a user needs to give one to each part
  UserRows groups(r);
  for (size_t u = 0; u < groups.users(); ++u) {
    std::span<uint32_t> user_rows = groups.of(u);
    if (r.has_time()) by_time(user_rows, r);
    if (user_rows.size() >= keep) {
      rows.test.push_back(user_rows.back());
      user_rows = user_rows.first(user_rows.size() - 1);
      if (o.val_ratio > 0) rows.val.push_back(user_rows.back()), user_rows = user_rows.first(user_rows.size() - 1);
    }
    rows.train.insert(rows.train.end(), user_rows.begin(), user_rows.end());
  }
  for (auto* v : {&rows.train, &rows.val, &rows.test}) std::sort(v->begin(), v->end());
}

// Whole users held out (strong generalization): a random test_ratio of the users for test, val_ratio
// of them for validation, all of their ratings; the model never sees them in training.
void held_out_users(const Ratings& r, const SplitOptions& o, Rows& rows) {
  check_ratio(o.test_ratio, "test_ratio");
  check_ratio(o.val_ratio, "val_ratio");
  if (o.test_ratio + o.val_ratio >= 1) throw UsageError("`test_ratio` plus `val_ratio` must be below 1");
  UserRows groups(r);
  std::vector<uint32_t> users(groups.users());
  std::iota(users.begin(), users.end(), 0u);
  Random(o.seed ^ 0x05e75ull).shuffle(users);
  const size_t n_test = size_t(std::llround(double(users.size()) * o.test_ratio));
  const size_t n_val = size_t(std::llround(double(users.size()) * o.val_ratio));
  for (size_t k = 0; k < users.size(); ++k) {
    auto& to = k < n_test ? rows.test : k < n_test + n_val ? rows.val : rows.train;
    const std::span<uint32_t> of = groups.of(users[k]);
    to.insert(to.end(), of.begin(), of.end());
  }
  for (auto* v : {&rows.train, &rows.val, &rows.test}) std::sort(v->begin(), v->end());
}

Rows assign(const Ratings& all, const SplitOptions& o) {
  Rows rows;
  switch (o.kind) {
    case SplitKind::temporal:
      if (!all.has_time()) throw UsageError("`split` temporal needs timestamps, and this data has none (use `split` random)");
      [[fallthrough]];
    case SplitKind::fileorder:
      check_ratio(o.test_ratio, "test_ratio");
      per_user_cut(all, o.test_ratio, o.kind == SplitKind::temporal, rows.train, rows.test);
      break;
    case SplitKind::random: {
      check_ratio(o.test_ratio, "test_ratio");
      std::vector<uint32_t> order(all.size());
      std::iota(order.begin(), order.end(), 0u);
      Random(o.seed).shuffle(order);
      const size_t n_test = size_t(std::llround(double(all.size()) * o.test_ratio));
      rows.test.assign(order.begin(), order.begin() + ptrdiff_t(n_test));
      order.erase(order.begin(), order.begin() + ptrdiff_t(n_test));  // one index array at a time
      rows.train = std::move(order);
      break;
    }
    case SplitKind::kfold: {
      if (o.folds < 2) throw UsageError("`folds` must be at least 2");
      if (o.fold < 0 || o.fold >= o.folds)
        throw UsageError("`split` kfold needs `fold` between 0 and " + std::to_string(o.folds - 1));
      // Each fold's test part must hold a rating (else its RMSE is NaN and the mean with it).
      if (size_t(o.folds) > all.size())
        throw UsageError(fmt::format("`folds` {} is more than the {} ratings: at most {} folds", o.folds, all.size(), all.size()));
      std::vector<uint32_t> order(all.size());
      std::iota(order.begin(), order.end(), 0u);
      Random(o.seed).shuffle(order);
      const size_t lo = all.size() * size_t(o.fold) / size_t(o.folds), hi = all.size() * size_t(o.fold + 1) / size_t(o.folds);
      rows.test.assign(order.begin() + ptrdiff_t(lo), order.begin() + ptrdiff_t(hi));
      rows.train.assign(order.begin(), order.begin() + ptrdiff_t(lo));
      rows.train.insert(rows.train.end(), order.begin() + ptrdiff_t(hi), order.end());
      break;
    }
    case SplitKind::loo:
      leave_one_out(all, o, rows);
      return rows;
    case SplitKind::users:
      held_out_users(all, o, rows);
      return rows;
    case SplitKind::files:
      throw UsageError("`split` files needs `train` and `test` files");
  }
  hold_out_validation(rows, o, &all);
  return rows;
}

}  // namespace

SplitKind parse_split(const std::string& name) {
  if (name == "temporal") return SplitKind::temporal;
  if (name == "fileorder") return SplitKind::fileorder;
  if (name == "random") return SplitKind::random;
  if (name == "files") return SplitKind::files;
  if (name == "kfold") return SplitKind::kfold;
  if (name == "loo") return SplitKind::loo;
  if (name == "users") return SplitKind::users;
  throw UsageError("unknown split '" + name + "' (expected temporal, fileorder, random, files, kfold, loo or users)");
}

const char* split_name(SplitKind kind) {
  static const char* const names[] = {"temporal", "fileorder", "random", "files", "kfold", "loo", "users"};
  return names[int(kind)];
}

Split make_split(const Ratings& all, const SplitOptions& o) {
  Split s = materialize(all, assign(all, o), nullptr);
  s.kind = o.kind;
  return s;
}

Split make_split(Ratings&& all, const SplitOptions& o, bool keep_time) {
  const Rows rows = assign(all, o);
  if (!keep_time) std::vector<int64_t>().swap(all.time);
  Split s = materialize(all, rows, &all);
  s.kind = o.kind;
  return s;
}

namespace {

// The given training part's rows, validation held out.
Rows given_rows(const Ratings& train, const SplitOptions& o) {
  Rows rows;
  rows.train.resize(train.size());
  std::iota(rows.train.begin(), rows.train.end(), 0u);
  hold_out_validation(rows, o, &train);
  return rows;
}

}  // namespace

Split split_given(const Ratings& train, const Ratings& test, const SplitOptions& o) {
  Split s = materialize(train, given_rows(train, o), nullptr);
  s.test = test;
  s.kind = SplitKind::files;
  return s;
}

Split split_given(Ratings&& train, Ratings&& test, const SplitOptions& o) {
  Split s;
  if (o.val_ratio == 0 && !o.val_temporal) {
    s.train = std::move(train);  // nothing held out: no copy at all
  } else {
    s = materialize(train, given_rows(train, o), &train);
    train = Ratings{};
  }
  s.test = std::move(test);
  s.kind = SplitKind::files;
  return s;
}

}  // namespace mfrec
