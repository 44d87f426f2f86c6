// `mfrec serve` with a ranking model: alone (its scores shown as they are, the lists say their
// objective), and with a rating model beside it (--rating_model): the lists are the ranking model's,
// each item also carries the rating model's predicted rating, /v1/predict answers from the rating
// model, reload swaps both, and a ranking model given as the rating model is refused.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>

#include "mfrec/serve.h"
#include "test_util.h"

namespace mfrec {
namespace {

using json = nlohmann::json;

// A rating model of a smaller generated set (250 users, 150 items, ids from 1): the ranking model's
// users above 250 and items above 150 are unknown to it.
std::string rating_model_of_fewer() {
  static const std::string path = [] {
    const Dataset d = load_dataset({.path = test::small_synthetic(250, 150, 12000)});
    const Split s = make_split(d.ratings, {});
    TrainOptions o;
    o.epochs = 4;
    o.lr = 0.005f;
    o.threads = 2;
    const std::string out = test::scratch_dir("pair-rating-model") + "/model.mfrec";
    save_model(fit(d, s, o).model, out);
    return out;
  }();
  return path;
}

class ServePair : public ::testing::Test {
 protected:
  void start(const std::string& model, const std::string& rating_model) {
    dir_ = test::scratch_dir("serve-pair");
    live_ = dir_ + "/model.mfrec";
    std::filesystem::copy_file(model, live_);
    ServeOptions o;
    o.model_path = live_;
    if (!rating_model.empty()) {
      live_rating_ = dir_ + "/rating.mfrec";
      std::filesystem::copy_file(rating_model, live_rating_);
      o.rating_model_path = live_rating_;
    }
    o.port = 0;
    o.threads = 8;
    server_ = std::make_unique<Server>(o);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  json call(const std::string& path, int status, const std::string& body = "") {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    auto res = body.empty() && path != "/v1/reload" ? c.Get(path) : c.Post(path, body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << " -> " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  std::string dir_, live_, live_rating_;
  std::unique_ptr<Server> server_;
};

// A user known to both models, and one only the ranking model knows.
std::string user_in_both(const Model& ranking, const Model& rating) {
  for (uint32_t u = 0; u < ranking.n_users(); ++u)
    if (rating.users.find(ranking.users.external(u))) return ranking.users.external(u);
  return "";
}
std::string user_only_in(const Model& ranking, const Model& rating) {
  for (uint32_t u = 0; u < ranking.n_users(); ++u)
    if (!rating.users.find(ranking.users.external(u))) return ranking.users.external(u);
  return "";
}

// The rating model's prediction for external ids, as Model::predict_any documents it.
float expected_prediction(const Model& rating, const std::string& user, const std::string& item) {
  return rating.predict_any(rating.users.find(user).value_or(Model::npos), rating.items.find(item).value_or(Model::npos));
}

TEST_F(ServePair, ARankingModelAloneShowsItsScoresAsTheyAre) {
  start(test::small_ranking_model(), "");
  // Held for the whole test: the reload below frees the first model once nothing else holds it.
  const std::shared_ptr<const Recommender> rec = server_->recommender();
  const Model& m = rec->model();
  ASSERT_EQ(m.objective, Objective::ranking);
  EXPECT_EQ(server_->rating_recommender(), nullptr);
  const std::string user = m.users.external(0);
  json j = call("/v1/recommend?user=" + user + "&k=8", 200);
  EXPECT_EQ(j["objective"], "ranking");
  const auto top = server_->recommender()->top_k(0, 8);
  ASSERT_EQ(j["items"].size(), top.size());
  for (size_t r = 0; r < top.size(); ++r) {
    EXPECT_EQ(j["items"][r]["item"], m.items.external(top[r].index));
    EXPECT_NEAR(j["items"][r]["score"].get<double>(), top[r].score, 1e-3);  // not clipped
    EXPECT_FALSE(j["items"][r].contains("predicted"));
  }
  // iALS scores are no ratings (mostly below 1 here): shown as they are, outside the rating range.
  EXPECT_TRUE(std::any_of(top.begin(), top.end(), [&](const Scored& s) {
    return s.score < m.rating_min || s.score > m.rating_max;
  })) << "the test wants a score outside " << m.rating_min << ".." << m.rating_max;
  EXPECT_EQ(call("/v1/reload", 200)["model_version"], 2);
  j = call("/v1/recommend?user=" + user + "&k=3", 200);
  EXPECT_EQ(j["objective"], "ranking");
  EXPECT_EQ(j["model_version"], 2);

  j = call("/v1/foldin", 200, R"({"ratings":[{"item":")" + m.items.external(1) + R"(","rating":4}],"k":5})");
  EXPECT_EQ(j["objective"], "ranking");
  EXPECT_EQ(j["items"].size(), 5u);
  for (const auto& x : j["items"]) EXPECT_FALSE(x.contains("predicted"));
  j = call("/v1/predict?user=" + user + "&item=" + m.items.external(2), 200);
  EXPECT_EQ(j["objective"], "ranking");
  j = call("/healthz", 200);
  EXPECT_EQ(j["objective"], "ranking");
  EXPECT_EQ(j["rating_model"], false);
}

TEST_F(ServePair, ARatingModelBesideARankingOnePredictsEachListedItem) {
  start(test::small_ranking_model(), rating_model_of_fewer());
  const auto rec = server_->recommender();
  const auto rating_rec = server_->rating_recommender();
  ASSERT_NE(rating_rec, nullptr);
  const Model& m = rec->model();
  const Model& rating = rating_rec->model();
  const std::string both = user_in_both(m, rating), only = user_only_in(m, rating);
  ASSERT_FALSE(both.empty());
  ASSERT_FALSE(only.empty());

  // Known to both: the lists are the ranking model's, "predicted" the rating model's own prediction
  // (its fallback for items it does not know), within its range.
  size_t unknown_items = 0;
  for (const std::string& user : {both, only}) {
    const json j = call("/v1/recommend?user=" + user + "&k=60", 200);
    EXPECT_EQ(j["objective"], "ranking");
    const auto top = rec->top_k(*m.users.find(user), 60);
    ASSERT_EQ(j["items"].size(), top.size());
    for (size_t r = 0; r < top.size(); ++r) {
      const json& x = j["items"][r];
      const std::string item = m.items.external(top[r].index);
      EXPECT_EQ(x["item"], item);
      EXPECT_NEAR(x["score"].get<double>(), top[r].score, 1e-3);
      ASSERT_TRUE(x.contains("predicted")) << x;
      const double p = x["predicted"].get<double>();
      EXPECT_GE(p, rating.rating_min);
      EXPECT_LE(p, rating.rating_max);
      EXPECT_NEAR(p, expected_prediction(rating, user, item), 1e-3) << user << " " << item;
      if (user == both && rating.items.find(item)) {
        EXPECT_NEAR(p, rating.predict(*rating.users.find(user), *rating.items.find(item)), 1e-3);
      }
      unknown_items += !rating.items.find(item);
    }
  }
  EXPECT_GT(unknown_items, 0u);  // the fallback was exercised

  // Fold-in: the rating model folds in the ratings of the items it knows, and predicts from that.
  std::vector<std::pair<std::string, float>> given;
  std::vector<FoldInRating> theirs;
  for (uint32_t i = 0; i < m.n_items() && given.size() < 4; ++i) {
    const std::string id = m.items.external(i);
    const float r = float(1 + given.size());
    const auto known = rating.items.find(id);
    if (given.size() < 3 ? !known : !!known) continue;  // three it knows, then one it does not
    given.emplace_back(id, r);
    if (known) theirs.push_back({*known, r});
  }
  ASSERT_EQ(given.size(), 4u);
  json body = {{"k", 60}, {"ratings", json::array()}};
  for (const auto& [id, r] : given) body["ratings"].push_back({{"item", id}, {"rating", r}});
  json j = call("/v1/foldin", 200, body.dump());
  EXPECT_EQ(j["objective"], "ranking");
  const FoldedUser folded = rating_rec->fold_in(theirs);
  std::vector<float> scores(rating.n_items());
  rating_rec->score(folded, scores.data());
  ASSERT_EQ(j["items"].size(), 60u);
  for (const auto& x : j["items"]) {
    const auto i = rating.items.find(x["item"].get<std::string>());
    const double expected = rating.clip(i ? scores[*i] : folded.mean + folded.bias);
    EXPECT_NEAR(x["predicted"].get<double>(), expected, 1e-3) << x;
    EXPECT_GE(x["predicted"].get<double>(), rating.rating_min);
    EXPECT_LE(x["predicted"].get<double>(), rating.rating_max);
  }
  // Nothing the rating model knows: an unknown user's fallback.
  j = call("/v1/foldin", 200, R"({"ratings":[{"item":")" + given[3].first + R"(","rating":5}],"k":5})");
  for (const auto& x : j["items"])
    EXPECT_NEAR(x["predicted"].get<double>(), expected_prediction(rating, "", x["item"].get<std::string>()), 1e-3) << x;

  // /v1/predict answers from the rating model, its fallbacks included.
  const std::string item = rating.items.external(3);
  j = call("/v1/predict?user=" + both + "&item=" + item, 200);
  EXPECT_EQ(j["objective"], "rating");
  EXPECT_EQ(j["fallback"], false);
  EXPECT_NEAR(j["rating"].get<double>(), rating.predict(*rating.users.find(both), 3), 1e-3);
  j = call("/v1/predict?user=" + only + "&item=" + item, 200);
  EXPECT_EQ(j["fallback"], "unknown user");
  EXPECT_NEAR(j["rating"].get<double>(), rating.predict_any(Model::npos, 3), 1e-3);
  EXPECT_EQ(call("/healthz", 200)["rating_model"], true);
}

TEST_F(ServePair, ReloadSwapsBothAndKeepsThePairOnFailure) {
  start(test::small_ranking_model(), rating_model_of_fewer());
  Model rating = load_model(live_rating_);
  const std::string user = user_in_both(server_->recommender()->model(), rating);
  const std::string item = rating.items.external(0);
  const double before = call("/v1/predict?user=" + user + "&item=" + item, 200)["rating"].get<double>();
  // Lower the rating model's item biases: the predictions shown after reload are the new file's.
  for (auto& b : rating.item_bias) b -= 0.5f;
  save_model(rating, live_rating_);
  EXPECT_EQ(call("/v1/reload", 200)["model_version"], 2);
  ASSERT_NE(server_->rating_recommender(), nullptr);
  const double after = call("/v1/predict?user=" + user + "&item=" + item, 200)["rating"].get<double>();
  EXPECT_NEAR(after, rating.predict(*rating.users.find(user), 0), 1e-3);
  EXPECT_LT(after, before);
  json j = call("/v1/recommend?user=" + user + "&k=5", 200);
  EXPECT_EQ(j["model_version"], 2);
  for (const auto& x : j["items"]) {
    EXPECT_TRUE(x.contains("predicted")) << x;
    EXPECT_NEAR(x["predicted"].get<double>(), expected_prediction(rating, user, x["item"].get<std::string>()), 1e-3);
  }
  // A ranking model put in the rating model's place: the reload fails, the pair keeps serving.
  std::filesystem::copy_file(test::small_ranking_model(), live_rating_, std::filesystem::copy_options::overwrite_existing);
  j = call("/v1/reload", 500);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("ranking"), std::string::npos) << j;
  EXPECT_EQ(server_->model_version(), 2u);
  EXPECT_TRUE(call("/v1/recommend?user=" + user + "&k=2", 200)["items"][0].contains("predicted"));
}

TEST(ServePairOptions, ARankingModelAsTheRatingModelIsRefused) {
  ServeOptions o;
  o.model_path = test::small_ranking_model();
  o.rating_model_path = test::small_ranking_model();
  o.port = 0;
  try {
    Server server(o);
    FAIL() << "a ranking model was taken as the rating model";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("`rating_model`"), std::string::npos) << what;  // the library names options so
    EXPECT_NE(what.find("ranking model (ials)"), std::string::npos) << what;
    EXPECT_NE(what.find("adam"), std::string::npos) << what;  // names the engines that predict ratings
  }
  // The command says so and exits 2, before it listens.
  const auto r = test::run_cli("serve --model " + o.model_path + " --rating_model " + o.rating_model_path + " --port 0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("is a ranking model"), std::string::npos) << r.out;
  // A rating model beside a rating model is fine: the lists say "rating".
  o.rating_model_path = test::small_model(0);
  o.model_path = test::small_model(1);
  Server server(o);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(10);
  auto res = c.Get("/v1/recommend?user=" + server.recommender()->model().users.external(0) + "&k=2");
  ASSERT_TRUE(res);
  const json j = json::parse(res->body);
  EXPECT_EQ(j["objective"], "rating");
  EXPECT_TRUE(j["items"][0].contains("predicted"));
  server.stop();
}

}  // namespace
}  // namespace mfrec
