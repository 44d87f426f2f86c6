// Splits: sizes, no leakage between parts, the temporal order, determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "test_util.h"

namespace mfrec {
namespace {

const Dataset& data() {
  static const Dataset d = load_dataset({.path = test::small_synthetic()});
  return d;
}

using Key = std::tuple<uint32_t, uint32_t>;
std::set<Key> keys(const Ratings& r) {
  std::set<Key> s;
  for (size_t k = 0; k < r.size(); ++k) s.insert({r.user[k], r.item[k]});
  return s;
}

void expect_partition(const Split& s, const Ratings& all) {
  EXPECT_EQ(s.train.size() + s.val.size() + s.test.size(), all.size());
  auto tr = keys(s.train), va = keys(s.val), te = keys(s.test);
  EXPECT_EQ(tr.size() + va.size() + te.size(), all.size()) << "a rating is in two parts";
  for (const auto& k : te) EXPECT_FALSE(tr.count(k) || va.count(k));
}

TEST(Split, TemporalTakesEachUsersLatestTwentyPercent) {
  const Ratings& all = data().ratings;
  Split s = make_split(all, {.kind = SplitKind::temporal, .test_ratio = 0.2, .val_ratio = 0.1, .seed = 1});
  expect_partition(s, all);
  std::map<uint32_t, int64_t> last_train, first_test;
  std::map<uint32_t, size_t> n_all, n_test;
  for (size_t k = 0; k < all.size(); ++k) ++n_all[all.user[k]];
  for (const Ratings* part : {&s.train, &s.val})
    for (size_t k = 0; k < part->size(); ++k)
      last_train[part->user[k]] = std::max(last_train[part->user[k]], part->time[k]);
  for (size_t k = 0; k < s.test.size(); ++k) {
    ++n_test[s.test.user[k]];
    auto [it, added] = first_test.try_emplace(s.test.user[k], s.test.time[k]);
    if (!added) it->second = std::min(it->second, s.test.time[k]);
  }
  for (auto [u, n] : n_all) {
    EXPECT_EQ(n_test[u], n - size_t(0.8 * double(n) + 1e-9)) << "user " << u;
    if (n_test[u]) EXPECT_LE(last_train[u], first_test[u]) << "user " << u << " has a test rating before a train one";
  }
  EXPECT_NEAR(double(s.val.size()) / double(s.train.size() + s.val.size()), 0.1, 0.001);
}

TEST(Split, FileorderCutsEachUserAtFloorOfEightyPercent) {
  IdMap users, items;
  Layout l = detect_source({.path = test::write_file(test::scratch_dir("fo"), "ratings.dat", "1::1::1::1\n")}).layout;
  std::string text;
  for (int i = 0; i < 7; ++i) text += "1::" + std::to_string(i) + "::3::" + std::to_string(100 - i) + "\n";
  Ratings r = parse_ratings(text, "x", l, users, items);
  Split s = make_split(r, {.kind = SplitKind::fileorder, .val_ratio = 0});
  ASSERT_EQ(s.test.size(), 2u);  // int(0.8 * 7) = 5 train rows, in file order
  EXPECT_EQ(items.external(s.test.item[0]), "5");
  EXPECT_EQ(items.external(s.test.item[1]), "6");
  Split t = make_split(r, {.kind = SplitKind::temporal, .val_ratio = 0});
  EXPECT_EQ(items.external(t.test.item[0]), "0");  // the two latest timestamps
}

TEST(Split, RandomAndKfold) {
  const Ratings& all = data().ratings;
  Split r = make_split(all, {.kind = SplitKind::random, .test_ratio = 0.1, .seed = 5});
  expect_partition(r, all);
  EXPECT_NEAR(double(r.test.size()) / double(all.size()), 0.1, 0.001);
  std::set<Key> seen_tests;
  for (int f = 0; f < 5; ++f) {
    Split k = make_split(all, {.kind = SplitKind::kfold, .val_ratio = 0, .seed = 5, .folds = 5, .fold = f});
    expect_partition(k, all);
    for (const auto& key : keys(k.test)) EXPECT_TRUE(seen_tests.insert(key).second) << "a rating in two folds";
  }
  EXPECT_EQ(seen_tests.size(), all.size());
  EXPECT_THROW(make_split(all, {.kind = SplitKind::kfold, .folds = 5, .fold = 5}), UsageError);
  EXPECT_THROW(make_split(all, {.kind = SplitKind::kfold, .folds = 5}), UsageError);
  EXPECT_THROW(make_split(all, {.kind = SplitKind::random, .test_ratio = 1.5}), UsageError);
}

TEST(Split, DeterministicForASeed) {
  const Ratings& all = data().ratings;
  for (SplitKind kind : {SplitKind::temporal, SplitKind::random}) {
    Split a = make_split(all, {.kind = kind, .seed = 9}), b = make_split(all, {.kind = kind, .seed = 9});
    Split c = make_split(all, {.kind = kind, .seed = 10});
    EXPECT_EQ(a.val.user, b.val.user);
    EXPECT_EQ(a.val.item, b.val.item);
    EXPECT_EQ(a.test.item, b.test.item);
    EXPECT_NE(a.val.item, c.val.item);
  }
}

TEST(Split, GivenFilesKeepTheirTestPart) {
  const Ratings& all = data().ratings;
  Split s = make_split(all, {.kind = SplitKind::random, .val_ratio = 0});
  Split g = split_given(s.train, s.test, {.val_ratio = 0.1});
  EXPECT_EQ(g.test.item, s.test.item);
  EXPECT_EQ(g.train.size() + g.val.size(), s.train.size());
}

// Taking the parts over gives the parts a copy gives, with and without a validation part.
TEST(Split, GivenPartsTakenOverAreTheCopiedOnes) {
  const Ratings& all = data().ratings;
  const Split s = make_split(all, {.kind = SplitKind::random, .val_ratio = 0});
  for (double val : {0.0, 0.1}) {
    const SplitOptions o{.val_ratio = val, .seed = 3};
    const Split copied = split_given(s.train, s.test, o);
    Ratings train = s.train, test = s.test;
    const Split taken = split_given(std::move(train), std::move(test), o);
    for (const auto& [a, b] : {std::pair{&copied.train, &taken.train}, {&copied.val, &taken.val}, {&copied.test, &taken.test}}) {
      EXPECT_EQ(a->user, b->user) << val;
      EXPECT_EQ(a->item, b->item) << val;
      EXPECT_EQ(a->value, b->value) << val;
      EXPECT_EQ(a->time, b->time) << val;
    }
    EXPECT_EQ(taken.kind, SplitKind::files);
    EXPECT_EQ(taken.val.size() > 0, val > 0);
  }
}

}  // namespace
}  // namespace mfrec
