// The implicit-feedback engines against brute-force references on tiny sets, the registry, the
// ranking protocols' splits, fold-in and checkpoints of ranking models, and the CLI with them.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <set>

#include "test_util.h"
#include "train/parts/bpr_step.h"
#include "train/engine.h"

namespace mfrec {
namespace {

// 6 users x 7 items, a few interactions each (ratings 1..5), with timestamps.
Dataset tiny_data() {
  Dataset d;
  const int pairs[][3] = {{0, 0, 5}, {0, 1, 3}, {0, 2, 4}, {1, 1, 5}, {1, 2, 2}, {1, 3, 4}, {2, 0, 1}, {2, 4, 5},
                          {3, 4, 3}, {3, 5, 4}, {3, 6, 5}, {4, 0, 2}, {4, 6, 4}, {5, 2, 5}, {5, 3, 1}, {5, 5, 3}};
  for (int u = 0; u < 6; ++u) d.users.intern("u" + std::to_string(u));
  for (int i = 0; i < 7; ++i) d.items.intern("i" + std::to_string(i));
  int64_t t = 0;
  for (const auto& p : pairs) {
    d.ratings.push(uint32_t(p[0]), uint32_t(p[1]), float(p[2]));
    d.ratings.time.push_back(t++);
  }
  d.rating_min = 1, d.rating_max = 5;
  return d;
}

TrainOptions ials_options(const std::string& solver) {
  TrainOptions o;
  o.optimizer = "ials";
  o.dim = 3;
  o.epochs = 1;
  o.reg = 0.3f;
  o.alpha = 2;
  o.confidence = Confidence::linear;
  o.unobserved_weight = 0.5f;
  o.reg_exponent = 0.5f;
  o.solver = solver;
  o.cg_steps = 3;
  o.init_std = 0.3f;
  o.threads = 1;
  return o;
}

// After a sweep the item rows solve their weighted least squares exactly (Cholesky): compare with
// the dense problem over every (user, item) pair, built from scratch. With `recency`, each
// interaction's confidence is weighted by its recency_decay (counted back from the user's latest).
void expect_items_solve_the_dense_problem(float recency) {
  const Dataset d = tiny_data();
  TrainOptions o = ials_options("cholesky");
  o.recency = recency;
  Model m = prepare_model(d, d.ratings, o);
  train(m, d.ratings, Ratings{}, o);
  const size_t U = m.n_users(), I = m.n_items(), k = o.dim;
  Eigen::MatrixXd X(U, k), Y(I, k), W = Eigen::MatrixXd::Constant(U, I, o.unobserved_weight), P = Eigen::MatrixXd::Zero(U, I);
  std::vector<float> row(k);
  for (size_t u = 0; u < U; ++u) m.P.read_row(u, row.data()), X.row(Eigen::Index(u)) = Eigen::Map<Eigen::VectorXf>(row.data(), Eigen::Index(k)).cast<double>();
  for (size_t i = 0; i < I; ++i) m.Q.read_row(i, row.data()), Y.row(Eigen::Index(i)) = Eigen::Map<Eigen::VectorXf>(row.data(), Eigen::Index(k)).cast<double>();
  std::vector<size_t> count(I, 0);
  for (size_t r = 0; r < d.ratings.size(); ++r) {
    size_t later = 0;  // the user's interactions after this one (tiny_data's times rise in file order)
    for (size_t x = r + 1; x < d.ratings.size(); ++x) later += d.ratings.user[x] == d.ratings.user[r];
    const double decay = recency > 0 ? std::pow(0.5, double(later) / recency) : 1.0;
    W(d.ratings.user[r], d.ratings.item[r]) = 1.0 + o.alpha * d.ratings.value[r] * decay;
    P(d.ratings.user[r], d.ratings.item[r]) = 1;
    ++count[d.ratings.item[r]];
  }
  for (size_t i = 0; i < I; ++i) {
    const double lambda = o.reg * std::pow(double(count[i]) + o.unobserved_weight * double(U), o.reg_exponent);
    const Eigen::MatrixXd A = X.transpose() * W.col(Eigen::Index(i)).asDiagonal() * X + lambda * Eigen::MatrixXd::Identity(k, k);
    const Eigen::VectorXd b = X.transpose() * (W.col(Eigen::Index(i)).array() * P.col(Eigen::Index(i)).array()).matrix();
    const Eigen::VectorXd y = A.ldlt().solve(b);
    EXPECT_LT((y - Y.row(Eigen::Index(i)).transpose()).cwiseAbs().maxCoeff(), 1e-4) << "item " << i;
  }
}

TEST(Ials, ItemRowsSolveTheDenseWeightedLeastSquares) { expect_items_solve_the_dense_problem(0); }
TEST(Ials, RecencyWeightsTheConfidences) { expect_items_solve_the_dense_problem(2); }

// A split handed over (fit(Split&&)): the user side is made of the training part's own columns, and
// the model is the one a kept split gives, to the bit, on 1 and 2 threads.
TEST(Ials, AHandedOverSplitTrainsTheSameModel) {
  const SplitData& d = test::small_random_split();
  for (uint32_t threads : {1u, 2u}) {
    TrainOptions o = ials_options("cg");
    o.dim = 8;
    o.epochs = 3;
    o.threads = threads;
    o.recency = 3;  // the confidences read the part's timestamps before it is reordered
    const FitResult kept = fit(d.data, d.split, o);
    Split handed = d.split;
    const FitResult r = fit(d.data, std::move(handed), o);
    EXPECT_EQ(handed.train.size(), 0u);
    EXPECT_EQ(test::largest_difference(r.model, kept.model), 0.0) << threads << " threads";
    EXPECT_EQ(r.model.seen.items, kept.model.seen.items);
    EXPECT_EQ(r.test_ranking.ndcg, kept.test_ranking.ndcg);
  }
}

// Conjugate gradient with enough steps reaches the exact solution; the objective never rises.
TEST(Ials, ConjugateGradientConvergesToCholesky) {
  const Dataset d = tiny_data();
  TrainOptions cg = ials_options("cg"), exact = ials_options("cholesky");
  cg.cg_steps = 50;
  cg.epochs = exact.epochs = 5;
  Model a = prepare_model(d, d.ratings, cg), b = prepare_model(d, d.ratings, exact);
  const TrainResult ra = train(a, d.ratings, Ratings{}, cg);
  train(b, d.ratings, Ratings{}, exact);
  EXPECT_LT(test::largest_difference(a, b), 1e-3);
  for (size_t e = 1; e < ra.history.size(); ++e) EXPECT_LE(ra.history[e].loss, ra.history[e - 1].loss + 1e-6);
}

// Fold-in is the same closed form: a training user folded in from their interactions gets the row
// that the last sweep's items imply (up to the half-sweep that moved the items after the user).
TEST(Ials, FoldInOfATrainingUserMatchesTheUsersSolve) {
  const Dataset d = tiny_data();
  TrainOptions o = ials_options("cholesky");
  o.epochs = 30;  // converged: the users' rows solve their problem for the final items too
  Model m = prepare_model(d, d.ratings, o);
  train(m, d.ratings, Ratings{}, o);
  m.seen = SeenItems::from(d.ratings, m.n_users());
  const Recommender rec(m);
  std::vector<FoldInRating> given;
  for (size_t r = 0; r < d.ratings.size(); ++r)
    if (d.ratings.user[r] == 3) given.push_back({d.ratings.item[r], d.ratings.value[r]});
  const FoldedUser f = rec.fold_in(given);
  std::vector<float> row(o.dim);
  m.P.read_row(3, row.data());
  for (size_t c = 0; c < o.dim; ++c) EXPECT_NEAR(f.factors[c], row[c], 2e-3);
}

// EASE against its formula in double precision.
TEST(Ease, MatchesTheClosedForm) {
  const Dataset d = tiny_data();
  TrainOptions o;
  o.optimizer = "ease";
  o.epochs = 1;
  o.reg = 2.0f;
  Model m = prepare_model(d, d.ratings, o);
  train(m, d.ratings, Ratings{}, o);
  const Eigen::Index I = Eigen::Index(m.n_items());
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(Eigen::Index(m.n_users()), I);
  for (size_t r = 0; r < d.ratings.size(); ++r) X(d.ratings.user[r], d.ratings.item[r]) = 1;
  const Eigen::MatrixXd G = X.transpose() * X + o.reg * Eigen::MatrixXd::Identity(I, I);
  const Eigen::MatrixXd Pinv = G.inverse();
  ASSERT_EQ(m.dim, uint32_t(I));
  for (Eigen::Index i = 0; i < I; ++i)
    for (Eigen::Index j = 0; j < I; ++j) {
      const double b = i == j ? 0.0 : -Pinv(j, i) / Pinv(i, i);  // B_ji; item i's row holds column i
      EXPECT_NEAR(m.Q.get(size_t(i), size_t(j)), b, 1e-5);
    }
  for (size_t r = 0; r < d.ratings.size(); ++r) EXPECT_EQ(m.P.get(d.ratings.user[r], d.ratings.item[r]), 1.0f);
}

TEST(Ease, RefusesACatalogueOverTheMemoryBudget) {
  const Dataset d = tiny_data();
  TrainOptions o;
  o.optimizer = "ease";
  o.memory_budget_mb = 1e-4;
  Model m = prepare_model(d, d.ratings, o);
  try {
    train(m, d.ratings, Ratings{}, o);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("memory budget of 0 MB"), std::string::npos) << e.what();
  }
}

// The BPR step is SGD on its loss: its change equals -lr times the gradient found by finite differences.
TEST(Bpr, StepFollowsTheFiniteDifferenceGradient) {
  const uint32_t k = 4;
  const float p0[k] = {0.3f, -0.2f, 0.5f, 1.0f}, qi0[k] = {0.1f, 0.4f, -0.3f, 0.2f}, qj0[k] = {-0.2f, 0.1f, 0.3f, -0.1f};
  const float reg = 0.05f, lr = 1e-3f;
  auto loss = [&](const float* p, const float* qi, const float* qj) {
    double x = 0, n = 0;
    for (uint32_t c = 0; c < k; ++c) x += double(p[c]) * (qi[c] - qj[c]), n += p[c] * p[c] + qi[c] * qi[c] + qj[c] * qj[c];
    return std::log1p(std::exp(-x)) + reg * n / 2;
  };
  float p[k], qi[k], qj[k], scratch[k];
  std::copy(p0, p0 + k, p), std::copy(qi0, qi0 + k, qi), std::copy(qj0, qj0 + k, qj);
  bpr_step(p, qi, qj, k, lr, reg, scratch);
  const float* before[3] = {p0, qi0, qj0};
  const float* after[3] = {p, qi, qj};
  for (int v = 0; v < 3; ++v)
    for (uint32_t c = 0; c < k; ++c) {
      float a[3][k];
      for (int w = 0; w < 3; ++w) std::copy(before[w], before[w] + k, a[w]);
      const double h = 1e-3;
      a[v][c] += float(h);
      const double up = loss(a[0], a[1], a[2]);
      a[v][c] -= float(2 * h);
      const double down = loss(a[0], a[1], a[2]);
      const double grad = (up - down) / (2 * h);
      EXPECT_NEAR((after[v][c] - before[v][c]) / lr, -grad, 2e-3) << "vector " << v << " column " << c;
    }
}

// On generated data (popularity is all that decides which items a user rated there) the engines
// learn: they beat their own untrained start.
TEST(ImplicitEngines, LearnOnGeneratedData) {
  const auto& s = test::small_random_split();
  for (const std::string engine : {"ials", "bpr"}) {
    TrainOptions o = ials_options("cg");
    o.optimizer = engine, o.dim = 16, o.alpha = 1, o.unobserved_weight = 1, o.reg = engine == "bpr" ? 1e-4f : 1.0f;
    o.reg_exponent = 0, o.lr = 0.05f, o.init_std = 0.1f;
    const Recommender untrained(prepare_model(s.data, s.split.train, o));
    o.epochs = 10;
    FitResult r = fit(s.data, s.split, o);
    EXPECT_GT(r.test_ranking.ndcg, evaluate_ranking(untrained, s.split.test).ndcg * 1.5) << engine;
  }
}

// ml-100k as read (the caller skips when it is not there), and settings that work on it.
Dataset ml100k(const std::string& path) {
  ReadOptions ro;
  ro.path = path;
  return load_dataset(ro);
}
TrainOptions ml100k_ials() {
  TrainOptions o = ials_options("cg");
  o.dim = 16, o.epochs = 8, o.alpha = 1, o.unobserved_weight = 1, o.reg = 1, o.reg_exponent = 0, o.threads = 0;
  return o;
}

// On real data every engine's list is far ahead of the most-popular chart (ml-100k, random 80/20).
TEST(ImplicitEngines, BeatPopularityOnMl100k) {
  MFREC_REQUIRE_DATA(path, "ml-100k");
  Dataset d = ml100k(path);
  SplitOptions so;
  so.kind = SplitKind::random;
  const Split s = make_split(d.ratings, so);
  auto ndcg = [&](TrainOptions o) {
    FitResult r = fit(d, s, o);
    return r.test_ranking.ndcg;
  };
  TrainOptions pop;
  pop.optimizer = "popularity";
  const double base = ndcg(pop);
  const TrainOptions ials = ml100k_ials();
  TrainOptions bpr;
  bpr.optimizer = "bpr", bpr.dim = 32, bpr.epochs = 20, bpr.lr = 0.05f, bpr.reg = 1e-4f, bpr.init_std = 0.1f;
  TrainOptions ease;
  ease.optimizer = "ease", ease.reg = 200;
  EXPECT_GT(ndcg(ials), base * 1.5);
  EXPECT_GT(ndcg(bpr), base * 1.3);
  EXPECT_GT(ndcg(ease), base * 1.5);
  bpr.sampling = "popularity";
  EXPECT_GT(ndcg(bpr), base);
}

// An engine added in a test: one row, and it trains, validates and is reported like the others.
class ConstantEngine final : public Engine {
 public:
  ConstantEngine(Model& m, const Ratings&, const TrainOptions&) : Engine(m) {}
  double run_epoch(uint32_t) override { return 0.5; }
};
std::unique_ptr<Engine> make_constant(Model& m, const Ratings& r, const TrainOptions& o) {
  return std::make_unique<ConstantEngine>(m, r, o);
}

TEST(Registry, AnEngineIsOneRow) {
  EngineInfo row;
  row.name = "constant";
  row.summary = "a test engine";
  row.make = make_constant;
  row.loss = "0.5";
  row.resumable = false;
  register_engine(row);
  EXPECT_NE(engine_names().find("constant"), std::string::npos);
  const auto& s = test::small_random_split();
  TrainOptions o;
  o.optimizer = "constant";
  o.epochs = 3;
  FitResult r = fit(s.data, s.split, o);
  const Model m = r.model;
  EXPECT_EQ(r.train.history.size(), 3u);
  EXPECT_EQ(r.train.history[0].loss, 0.5);
  EXPECT_TRUE(std::isfinite(r.test.rmse));
  EXPECT_THROW(fit_from(m, s.data, s.split, o), UsageError);  // not resumable: its row says so
  o.optimizer = "nonesuch";
  try {
    o.validate();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("constant"), std::string::npos) << e.what();  // names the known ones
  }
}

TEST(Registry, RowsDescribeTheirEngines) {
  EXPECT_EQ(engine_info("ials").objective, Objective::ranking);
  EXPECT_EQ(engine_info("adam").objective, Objective::rating);
  EXPECT_FALSE(engine_info("mcmc").resumable);
  EXPECT_TRUE(engine_info("adam").cuda);
  TrainOptions o;
  o.optimizer = "ials";
  o.solver = "lu";
  EXPECT_THROW(o.validate(), UsageError);
  o.solver = "cg";
  o.recency = -1;
  EXPECT_THROW(o.validate(), UsageError);
}

// Leave-one-out: each user's latest rating (ties: the later in file order) is the test part, the
// one before it validation; nothing leaks; the same split every time.
TEST(Splits, LeaveOneOut) {
  Ratings r;
  const int rows[][3] = {{0, 0, 10}, {0, 1, 30}, {0, 2, 20}, {0, 3, 30}, {1, 4, 5}, {1, 5, 6}, {2, 6, 1}};
  for (const auto& x : rows) r.push(uint32_t(x[0]), uint32_t(x[1]), 4), r.time.push_back(x[2]);
  SplitOptions o;
  o.kind = SplitKind::loo;
  o.val_ratio = 0.1;
  const Split s = make_split(r, o);
  ASSERT_EQ(s.test.size(), 1u);  // user 0 only has 3 or more; user 1 and 2 keep theirs in training
  EXPECT_EQ(s.test.item[0], 3u);  // time 30 ties with item 1; item 3 comes later in the file
  ASSERT_EQ(s.val.size(), 1u);
  EXPECT_EQ(s.val.item[0], 1u);
  EXPECT_EQ(s.train.size(), 5u);
  o.val_ratio = 0;
  const Split t = make_split(r, o);
  EXPECT_EQ(t.test.size(), 2u);  // users 0 and 1
  EXPECT_EQ(t.kind, SplitKind::loo);
}

TEST(Splits, HeldOutUsersNeverTrain) {
  const Ratings& all = test::small_random_split().split.train;
  SplitOptions o;
  o.kind = SplitKind::users;
  o.test_ratio = 0.2;
  o.val_ratio = 0.1;
  const Split s = make_split(all, o);
  std::set<uint32_t> train_users(s.train.user.begin(), s.train.user.end());
  for (uint32_t u : s.test.user) EXPECT_FALSE(train_users.count(u));
  for (uint32_t u : s.val.user) EXPECT_FALSE(train_users.count(u));
  EXPECT_EQ(s.train.size() + s.val.size() + s.test.size(), all.size());
  EXPECT_EQ(make_split(all, o).test.user, s.test.user);
}

// The held-out-users protocol folds each test user in and ranks the rest (ml-100k).
TEST(Splits, HeldOutUsersProtocolOnMl100k) {
  MFREC_REQUIRE_DATA(path, "ml-100k");
  Dataset d = ml100k(path);
  SplitOptions so;
  so.kind = SplitKind::users;
  so.val_ratio = 0.1;
  const Split s = make_split(d.ratings, so);
  auto recall50 = [&](TrainOptions t) {
    FitResult r = fit(d, s, t);
    EXPECT_EQ(r.test_ranking.protocol, RankingProtocol::users);
    EXPECT_GT(r.test_ranking.users, 150u);
    return r.test_ranking.recall50;
  };
  TrainOptions pop;
  pop.optimizer = "popularity";
  const TrainOptions ials = ml100k_ials();
  TrainOptions ease;
  ease.optimizer = "ease", ease.reg = 200;
  const double base = recall50(pop);
  EXPECT_GT(recall50(ials), base);
  EXPECT_GT(recall50(ease), base);
}

// A ranking model's checkpoint keeps what it is; its scores are shown as they are, not clipped.
TEST(RankingModels, CheckpointAndScores) {
  const Dataset d = tiny_data();
  TrainOptions o = ials_options("cg");
  Split s;
  s.train = d.ratings;
  FitResult r = fit(d, s, o);
  const Model m = r.model;
  const std::string path = test::scratch_dir("ranking-ckpt") + "/m.mfrec";
  save_model(m, path);
  const Model back = load_model(path);
  EXPECT_EQ(back.objective, Objective::ranking);
  EXPECT_EQ(back.fold_in.kind, FoldInPrior::Kind::implicit);
  EXPECT_EQ(back.fold_in.alpha, o.alpha);
  EXPECT_EQ(back.fold_in.confidence, Confidence::linear);
  EXPECT_EQ(back.clip(-0.25f), -0.25f);
  EXPECT_EQ(back.predict(0, 0), back.predict_raw(0, 0));
}

TEST(RankingModels, TrainRecommendAndEvalFromTheCli) {
  const std::string dir = test::scratch_dir("ials-cli");
  const std::string data = test::small_synthetic();
  auto r = test::run_cli("train --data_path " + data + " --optimizer ials --dim 8 --epochs 3 --output " + dir + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("test full@10"), std::string::npos) << r.out;
  const nlohmann::json metrics = nlohmann::json::parse(test::read_file(dir + "/metrics.json"));
  EXPECT_EQ(metrics["objective"], "ranking");
  EXPECT_EQ(metrics["history"].size(), 3u);
  EXPECT_GT(metrics["test_ranking"]["ndcg"].get<double>(), 0.0);
  r = test::run_cli("recommend --model " + dir + "/model.mfrec --user 1 -k 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("score"), std::string::npos) << r.out;
  r = test::run_cli("eval --model " + dir + "/model.mfrec --data_path " + data);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("a ranking model (ials)"), std::string::npos) << r.out;
  r = test::run_cli("train --data_path " + data + " --optimizer ials --solver lu --output " + dir);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--solver must be cg or cholesky"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
