// Using a model: top-k selection, top-k per user and for everyone, similar items and users, fold-in,
// and the recommend / similar commands.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "common/random.h"
#include "mfrec/recommend.h"
#include "test_util.h"

namespace mfrec {
namespace {

struct Trained {
  Dataset data;
  Split split;
  std::shared_ptr<const Model> model;
};

Trained train_on(const std::string& path, uint32_t epochs, float lr, Precision precision = Precision::fp32,
                 const std::string& optimizer = "adam") {
  Trained t;
  t.data = load_dataset({.path = path});
  t.split = make_split(t.data.ratings, {});
  TrainOptions o;
  o.optimizer = optimizer;
  o.burn_in = epochs / 3;
  o.epochs = epochs;
  o.lr = lr;
  o.threads = 2;
  o.seed = 1;
  o.precision = precision;
  t.model = std::make_shared<const Model>(fit(t.data, t.split, o).model);
  return t;
}

const Trained& small() {
  static const Trained t = train_on(test::small_synthetic(), 15, 0.005f);
  return t;
}

// Every item in decreasing score (ties: lower index first) without the skipped ones: the reference.
std::vector<Scored> full_sort(const std::vector<float>& s, const std::vector<uint32_t>& skip, size_t k) {
  std::vector<Scored> all;
  for (uint32_t i = 0; i < s.size(); ++i)
    if (!std::binary_search(skip.begin(), skip.end(), i) && !std::isnan(s[i])) all.push_back({i, s[i]});
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.score > b.score; });
  if (all.size() > k) all.resize(k);
  return all;
}

void expect_same(const std::vector<Scored>& a, const std::vector<Scored>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t r = 0; r < a.size(); ++r) {
    EXPECT_EQ(a[r].index, b[r].index) << "rank " << r;
    EXPECT_FLOAT_EQ(a[r].score, b[r].score) << "rank " << r;
  }
}

TEST(SelectTopK, MatchesAFullSortWithSkipsTiesAndNaN) {
  Random rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t n = 1 + rng.below(300), k = rng.below(40);
    std::vector<float> s(n);
    for (auto& x : s) x = float(rng.below(20)) / 4;  // many ties
    for (int j = 0; j < 3; ++j) s[rng.below(n)] = std::nanf("");
    std::vector<uint32_t> skip;
    for (uint32_t i = 0; i < n; ++i)
      if (rng.below(5) == 0) skip.push_back(i);
    expect_same(select_top_k(s.data(), n, k, skip), full_sort(s, skip, k));
  }
  EXPECT_TRUE(select_top_k(nullptr, 0, 10).empty());
}

TEST(Recommender, TopKIsTheBestUnseenItemsByPrediction) {
  const Trained& t = small();
  const Recommender rec(t.model);
  const Model& m = *t.model;
  for (uint32_t u : {0u, 7u, 123u}) {
    std::vector<float> s(m.n_items());
    for (uint32_t i = 0; i < m.n_items(); ++i) s[i] = m.predict_raw(u, i);
    const std::vector<uint32_t> seen(m.seen.begin(u), m.seen.end(u));
    ASSERT_GT(seen.size(), 0u);
    const auto top = rec.top_k(u, 10);
    ASSERT_EQ(top.size(), 10u);
    const auto ref = full_sort(s, seen, 10);
    for (size_t r = 0; r < 10; ++r) {
      EXPECT_EQ(top[r].index, ref[r].index);
      EXPECT_NEAR(top[r].score, ref[r].score, 1e-4);
      EXPECT_FALSE(m.seen.contains(u, top[r].index));
    }
    const auto with_seen = rec.top_k(u, 10, true);
    EXPECT_GE(with_seen.front().score, top.front().score);
    EXPECT_NEAR(with_seen.front().score, full_sort(s, {}, 1)[0].score, 1e-4);
  }
  EXPECT_EQ(rec.top_k(0, 100000).size(), m.n_items() - m.seen.count(0));
  EXPECT_THROW(rec.top_k(uint32_t(m.n_users()), 10), UsageError);
}

TEST(Recommender, RecommendAllEqualsTopKForEveryUser) {
  const Trained& t = small();
  const Recommender rec(t.model);
  for (unsigned threads : {1u, 2u}) {
    const auto all = rec.recommend_all(10, false, threads);
    ASSERT_EQ(all.size(), t.model->n_users());
    for (uint32_t u = 0; u < all.size(); ++u) {
      const auto one = rec.top_k(u, 10);
      ASSERT_EQ(all[u].size(), one.size());
      for (size_t r = 0; r < one.size(); ++r) {
        EXPECT_EQ(all[u][r].index, one[r].index) << "user " << u << " rank " << r;
        EXPECT_NEAR(all[u][r].score, one[r].score, 1e-4);
      }
    }
  }
}

TEST(Recommender, HalfPrecisionModelsScoreAsTheirPredictions) {
  for (Precision p : {Precision::bf16, Precision::fp16}) {
    const Trained t = train_on(test::small_synthetic(), 3, 0.005f, p);
    const Recommender rec(t.model);
    std::vector<float> s(t.model->n_items());
    rec.score_user(5, s.data());
    for (uint32_t i = 0; i < s.size(); i += 17) EXPECT_NEAR(s[i], t.model->predict_raw(5, i), 1e-3);
  }
}

TEST(Recommender, SimilarItemsAreCosineNeighbours) {
  const Trained& t = small();
  const Recommender rec(t.model);
  const Model& m = *t.model;
  auto row = [&](const FactorMatrix& f, uint32_t r) {
    std::vector<float> v(f.cols());
    f.read_row(r, v.data());
    return v;
  };
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t c = 0; c < a.size(); ++c) ab += a[c] * b[c], aa += a[c] * a[c], bb += b[c] * b[c];
    return ab / std::sqrt(aa * bb);
  };
  const auto sim = rec.similar_items(3, 5);
  ASSERT_EQ(sim.size(), 5u);
  for (size_t r = 0; r < sim.size(); ++r) {
    EXPECT_NE(sim[r].index, 3u);
    EXPECT_NEAR(sim[r].score, cosine(row(m.Q, 3), row(m.Q, sim[r].index)), 1e-4);
    if (r) EXPECT_GE(sim[r - 1].score, sim[r].score);
  }
  // Nothing beats the best neighbour.
  for (uint32_t i = 0; i < m.n_items(); ++i)
    if (i != 3) EXPECT_LE(cosine(row(m.Q, 3), row(m.Q, i)), sim[0].score + 1e-4);
  const auto users = rec.similar_users(0, 3);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_NE(users[0].index, 0u);
  EXPECT_NEAR(users[0].score, cosine(row(m.P, 0), row(m.P, users[0].index)), 1e-4);
  EXPECT_THROW(rec.similar_items(uint32_t(m.n_items()), 5), UsageError);
}

TEST(FoldIn, RecoversAUserFromExactRatings) {
  const Trained& t = small();
  const Recommender rec(t.model);
  const Model& m = *t.model;
  // Ratings that an existing user's parameters predict exactly: fold-in with almost no
  // regularization finds parameters that predict them again.
  const uint32_t u = 11;
  std::vector<FoldInRating> r;
  for (uint32_t i = 0; i < m.n_items(); i += 2) r.push_back({i, m.predict_raw(u, i)});
  FoldInOptions o;
  o.reg_per_rating = 0;
  o.reg_min = 1e-6f;
  const FoldedUser f = rec.fold_in(r, o);
  std::vector<float> s(m.n_items());
  rec.score(f, s.data());
  for (uint32_t i = 1; i < m.n_items(); i += 2) EXPECT_NEAR(s[i], m.predict_raw(u, i), 2e-3) << i;
  EXPECT_EQ(f.rated.size(), r.size());
  // The rated items are left out of the recommendations.
  for (const auto& x : rec.top_k(f, 20)) EXPECT_EQ(x.index % 2, 1u);
}

TEST(FoldIn, ValidatesAndHandlesEdgeCases) {
  const Trained& t = small();
  const Recommender rec(t.model);
  const std::vector<FoldInRating> none;
  const FoldedUser empty = rec.fold_in(none);
  EXPECT_FLOAT_EQ(empty.mean, t.model->global_mean);
  EXPECT_EQ(rec.top_k(empty, 5).size(), 5u);
  const std::vector<FoldInRating> bad_item = {{uint32_t(t.model->n_items()), 4}};
  EXPECT_THROW(rec.fold_in(bad_item), UsageError);
  const std::vector<FoldInRating> nan = {{1, std::nanf("")}};
  EXPECT_THROW(rec.fold_in(nan), UsageError);
  // A repeated item counts once, with its last rating.
  const std::vector<FoldInRating> twice = {{1, 1}, {2, 4}, {1, 5}};
  const FoldedUser f = rec.fold_in(twice);
  EXPECT_EQ(f.rated, (std::vector<uint32_t>{1, 2}));
  EXPECT_FLOAT_EQ(f.mean, 4.5f);
}

// A user of the training data, folded in again from the same ratings, gets much the same top-10.
double mean_top10_overlap(const Trained& t, size_t users) {
  const Model& m = *t.model;
  const Recommender rec(t.model);
  std::vector<std::vector<FoldInRating>> by_user(m.n_users());
  for (const Ratings* part : {&t.split.train, &t.split.val})
    for (size_t k = 0; k < part->size(); ++k) by_user[part->user[k]].push_back({part->item[k], part->value[k]});
  double overlap = 0;
  size_t n = 0;
  for (uint32_t u = 0; u < m.n_users() && n < users; u += 3) {
    if (by_user[u].size() < 20) continue;
    const FoldedUser f = rec.fold_in(by_user[u]);
    EXPECT_EQ(f.rated, std::vector<uint32_t>(m.seen.begin(u), m.seen.end(u)));
    std::set<uint32_t> trained;
    for (const auto& x : rec.top_k(u, 10)) trained.insert(x.index);
    for (const auto& x : rec.top_k(f, 10)) overlap += trained.count(x.index);
    ++n;
  }
  EXPECT_GT(n, 10u);
  return overlap / double(n) / 10.0;
}

TEST(FoldIn, OverlapsTheTrainedUsersTop10) {
  const double overlap = mean_top10_overlap(small(), 60);
  std::printf("fold-in vs trained top-10 overlap (synthetic): %.3f\n", overlap);
  EXPECT_GE(overlap, 0.6);
}

TEST(FoldIn, OverlapsTheTrainedUsersTop10OnMovieLens) {
  MFREC_REQUIRE_DATA(path, "ml-100k");
  const Trained t = train_on(path, 20, 0.001f);
  const double overlap = mean_top10_overlap(t, 100);
  std::printf("fold-in vs trained top-10 overlap (ml-100k): %.3f\n", overlap);
  EXPECT_GE(overlap, 0.6);
}

// A model of the posterior mean (mcmc, rank 2 x dim) folds users in with the ridge of a prior fitted
// to its trained users; its training L2 options would not do (0.51 with them on ml-100k).
TEST(FoldIn, OverlapsTheTrainedUsersTop10OnMovieLensWithMcmc) {
  MFREC_REQUIRE_DATA(path, "ml-100k");
  const Trained t = train_on(path, 60, 0.001f, Precision::fp32, "mcmc");
  EXPECT_GT(t.model->meta.value("noise_variance", 0.0), 0.3);
  const double overlap = mean_top10_overlap(t, 100);
  std::printf("fold-in vs trained top-10 overlap (ml-100k, mcmc): %.3f\n", overlap);
  EXPECT_GE(overlap, 0.7);
}

TEST(RecommendCli, UserFoldInAllAndErrors) {
  const std::string dir = test::scratch_dir("cli-rec");
  auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --output " + dir + " --epochs 3 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string model = dir + "/model.mfrec";
  r = test::run_cli("recommend --model " + model + " --user 1 -k 5");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("top 5 for user 1"), std::string::npos) << r.out;
  r = test::run_cli("recommend --model " + model + " --user 1 -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_FALSE(j["items"][0]["title"].get<std::string>().empty());
  r = test::run_cli("recommend --model " + model + " --ratings \"1:5,2:4,3:1\" -k 4");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("folded in from 3 ratings"), std::string::npos) << r.out;
  r = test::run_cli("recommend --model " + model + " --all --out " + dir + "/recs.csv -k 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string csv = test::read_file(dir + "/recs.csv");
  EXPECT_EQ(csv.rfind("user,rank,item,score\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 300);
  // Usage errors exit 2 with a message naming the problem.
  for (const auto& [args, what] : std::vector<std::pair<std::string, std::string>>{
           {"--user 99999", "unknown user id '99999'"},
           {"--ratings \"77777:5\"", "unknown item id '77777'"},
           {"--ratings \"1:x\"", "not a number"},
           {"--ratings \"1:9\"", "outside the model's rating range"},
           {"--user 1 --ratings \"1:5\"", "exactly one of"},
           {"--user 1 -k 0", "-k must be"},
           {"--all", "--all needs --out"}}) {
    r = test::run_cli("recommend --model " + model + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find(what), std::string::npos) << args << ": " << r.out;
  }
  r = test::run_cli("recommend --model " + dir + "/missing.mfrec --user 1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = test::run_cli("similar --model " + model + " --item 1 -k 3");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("items most similar to 1"), std::string::npos) << r.out;
  r = test::run_cli("similar --model " + model + " --user 1 -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["users"].size(), 3u);
  r = test::run_cli("similar --model " + model + " --item 99999");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown item id '99999'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
