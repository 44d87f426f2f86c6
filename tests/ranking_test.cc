// Ranking metrics: hand-computed values on a tiny model, both protocols, and `mfrec eval`.
#include <gtest/gtest.h>

#include <cmath>

#include "mfrec/ranking.h"
#include "test_util.h"

namespace mfrec {
namespace {

// Two users, six items, one factor: user 0 likes items in index order, user 1 in reverse order.
// User 0 rated item 0 in training, user 1 item 5.
std::shared_ptr<const Model> tiny_model() {
  Model m;
  m.kind = ModelKind::plain;
  m.init(2, 6, 1, Precision::fp32, 0, 0);
  m.P.set(0, 0, 1.0f);
  m.P.set(1, 0, -1.0f);
  const float q[6] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
  for (uint32_t i = 0; i < 6; ++i) m.Q.set(i, 0, q[i]);
  for (auto* ids : {&m.users, &m.items}) ids->intern("x");  // ids are not used here, sizes are
  m.users.intern("y");
  for (const char* id : {"b", "c", "d", "e", "f"}) m.items.intern(id);
  Ratings train;
  train.push(0, 0, 5);
  train.push(1, 5, 5);
  m.seen = SeenItems::from(train, 2);
  return std::make_shared<const Model>(std::move(m));
}

Ratings tiny_test() {
  Ratings t;
  t.push(0, 2, 5);
  t.push(0, 5, 3);
  t.push(1, 4, 4);
  t.push(1, Model::npos, 5);  // an item the model does not know: skipped
  return t;
}

TEST(Ranking, FullRankingByHand) {
  const Recommender rec(tiny_model());
  RankingOptions o;
  o.k = 3;
  const RankingMetrics r = evaluate_ranking(rec, tiny_test(), o);
  // User 0 sees 1,2,3 (item 2 relevant, at rank 2; item 5 relevant, missed); user 1 sees 4,3,2 (4 at rank 1).
  const double ndcg0 = (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_EQ(r.users, 2u);
  EXPECT_EQ(r.cases, 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_NEAR(r.hr, 1.0, 1e-9);
  EXPECT_NEAR(r.ndcg, (ndcg0 + 1) / 2, 1e-9);
  EXPECT_NEAR(r.precision, 1.0 / 3, 1e-9);
  EXPECT_NEAR(r.recall, (0.5 + 1) / 2, 1e-9);
  EXPECT_NEAR(r.map, (0.25 + 1) / 2, 1e-9);
  EXPECT_NEAR(r.coverage, 4.0 / 6, 1e-9);
  // Only ratings >= 4 relevant: user 0 keeps item 2 alone.
  o.relevant_min = 4;
  const RankingMetrics h = evaluate_ranking(rec, tiny_test(), o);
  EXPECT_NEAR(h.recall, 1.0, 1e-9);
  EXPECT_NEAR(h.map, (0.5 + 1) / 2, 1e-9);
}

TEST(Ranking, SampledByHand) {
  const Recommender rec(tiny_model());
  RankingOptions o;
  o.k = 3;
  o.protocol = RankingProtocol::sampled;  // 100 negatives asked, fewer eligible: all of them are used
  const RankingMetrics r = evaluate_ranking(rec, tiny_test(), o);
  // (0, 2): beaten by item 1 only -> rank 1. (0, 5): beaten by 1, 3, 4 -> rank 3, a miss. (1, 4): rank 0.
  EXPECT_EQ(r.cases, 3u);
  EXPECT_NEAR(r.hr, 2.0 / 3, 1e-9);
  EXPECT_NEAR(r.ndcg, (1 / std::log2(3.0) + 1) / 3, 1e-9);
  EXPECT_NEAR(r.map, (0.5 + 1) / 3, 1e-9);
  EXPECT_NEAR(r.recall, r.hr, 1e-12);
  EXPECT_NEAR(r.precision, r.hr / 3, 1e-12);
  EXPECT_TRUE(std::isnan(r.coverage));
}

TEST(Ranking, TrainedModelBeatsAnUntrainedOneAndIsDeterministic) {
  const Dataset d = load_dataset({.path = test::small_synthetic()});
  const Split s = make_split(d.ratings, {});
  TrainOptions o;
  o.epochs = 8;
  o.lr = 0.005f;
  o.threads = 2;
  FitResult fr;
  const Recommender trained(fit(d, s, o).model);
  o.epochs = 1;
  o.lr = 1e-7f;
  const Recommender untrained(fit(d, s, o).model);
  for (bool sampled : {false, true}) {
    RankingOptions ro;
    ro.protocol = sampled ? RankingProtocol::sampled : RankingProtocol::full;
    ro.threads = 1;
    const RankingMetrics a = evaluate_ranking(trained, s.test, ro);
    const RankingMetrics b = evaluate_ranking(untrained, s.test, ro);
    EXPECT_GT(a.ndcg, b.ndcg) << (sampled ? "sampled" : "full");
    EXPECT_GT(a.hr, 0.0);
    ro.threads = 2;
    const RankingMetrics c = evaluate_ranking(trained, s.test, ro);
    EXPECT_DOUBLE_EQ(a.ndcg, c.ndcg);
    EXPECT_DOUBLE_EQ(a.map, c.map);
  }
  RankingOptions bad;
  bad.k = 0;
  EXPECT_THROW(evaluate_ranking(trained, s.test, bad), UsageError);
}

TEST(Ranking, EvalCommandKeepsRmseAndAddsRanking) {
  const std::string dir = test::scratch_dir("eval-rank");
  const std::string data = test::small_synthetic();
  auto r = test::run_cli("train --data_path " + data + " --output " + dir + " --epochs 3 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string base = "eval --model " + dir + "/model.mfrec --data_path " + data;
  r = test::run_cli(base);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("test RMSE ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("ranking@10 (all items unrated in training"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NDCG@10"), std::string::npos);
  EXPECT_NE(r.out.find("coverage"), std::string::npos);
  r = test::run_cli(base + " --k 5 --sampled --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("rmse"));
  EXPECT_EQ(j["ranking"]["k"], 5);
  EXPECT_EQ(j["ranking"]["protocol"], "sampled");
  EXPECT_EQ(j["ranking"]["negatives"], 100);
  r = test::run_cli(base + " --k 0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

}  // namespace
}  // namespace mfrec

namespace mfrec {
namespace {

// Ties count against the test item (He et al.'s protocol): three items scored alike, item 1 the
// test item, items 2 and 3 the only eligible negatives, so its rank is 2.
TEST(Ranking, SampledTiesCountAgainstTheTestItem) {
  Model m;
  m.kind = ModelKind::plain;
  m.init(1, 4, 1, Precision::fp32, 0, 0);
  m.P.set(0, 0, 1.0f);
  for (uint32_t i = 1; i < 4; ++i) m.Q.set(i, 0, 0.5f);
  m.Q.set(0, 0, 0.9f);
  m.users.intern("u");
  for (const char* id : {"a", "b", "c", "d"}) m.items.intern(id);
  Ratings train, test;
  train.push(0, 0, 5);
  test.push(0, 1, 5);
  m.seen = SeenItems::from(train, 1);
  const Recommender rec(std::move(m));
  RankingOptions o;
  o.protocol = RankingProtocol::sampled;
  o.k = 2;
  EXPECT_EQ(evaluate_ranking(rec, test, o).hr, 0.0);
  o.k = 3;
  const RankingMetrics r = evaluate_ranking(rec, test, o);
  EXPECT_EQ(r.hr, 1.0);
  EXPECT_NEAR(r.ndcg, 1 / std::log2(4.0), 1e-12);
}

// k larger than the catalogue: every unseen item is listed; precision still divides by k, and a
// user with one test item at the top has NDCG 1.
TEST(Ranking, KLargerThanTheCatalogueAndOneTestItem) {
  const Recommender rec(tiny_model());
  RankingOptions o;
  o.k = 100;
  const RankingMetrics r = evaluate_ranking(rec, tiny_test(), o);
  const double ndcg0 = (1 / std::log2(3.0) + 1 / std::log2(6.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_NEAR(r.ndcg, (ndcg0 + 1.0) / 2, 1e-9);  // user 1: its one test item, ranked first
  EXPECT_NEAR(r.recall, 1.0, 1e-12);
  EXPECT_NEAR(r.precision, (2.0 / 100 + 1.0 / 100) / 2, 1e-12);
  EXPECT_NEAR(r.coverage, 1.0, 1e-12);
}

}  // namespace
}  // namespace mfrec
