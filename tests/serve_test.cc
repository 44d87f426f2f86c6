// `mfrec serve` end to end: a server on a free loopback port and a real HTTP client. Every route,
// every error status, reload while requests are in flight, and the command with SIGHUP.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <algorithm>
#include <thread>

#include "mfrec/serve.h"
#include "test_util.h"

extern char** environ;

namespace mfrec {
namespace {

using json = nlohmann::json;

// Two different models of the same data, saved once per process.
std::string model_path(int which) { return test::small_model(uint64_t(which + 1)); }

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir("serve");
    live_ = dir_ + "/model.mfrec";
    std::filesystem::copy_file(model_path(0), live_);
    ServeOptions o;
    o.model_path = live_;
    o.port = 0;  // any free port
    o.threads = 16;
    o.max_body = 4096;
    server_ = std::make_unique<Server>(o);
    server_->start();
  }
  void TearDown() override { server_->stop(); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }
  // GET or POST, expecting `status` and a JSON body.
  json call(const std::string& path, int status, const std::string& body = "", const char* method = nullptr) {
    auto c = client();
    const bool post = method ? std::string(method) == "POST" : !body.empty();
    auto res = post ? c.Post(path, body, "application/json") : c.Get(path);
    EXPECT_TRUE(res) << path << ": " << httplib::to_string(res.error());
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << " -> " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    json j = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << " -> " << res->body;
    if (status >= 400 && !j.is_discarded()) {
      EXPECT_EQ(j["error"]["status"], status) << res->body;
      EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
    }
    return j;
  }

  // The /metrics text once it shows every line in `wants` (a request is counted just after its
  // response is sent, so the latest counts may trail by a moment); the last text seen otherwise.
  std::string metrics_showing(const std::vector<std::string>& wants) {
    auto c = client();
    std::string body;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto res = c.Get("/metrics");
      if (res && res->status == 200) body = res->body;
      if (std::all_of(wants.begin(), wants.end(), [&](const std::string& w) { return body.find(w) != std::string::npos; }))
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return body;
  }

  std::string dir_, live_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServeTest, EveryRouteAnswers) {
  const auto rec = server_->recommender();  // held: a reload frees the model it replaces
  const Model& m = rec->model();
  const std::string user = m.users.external(0), item = m.items.external(0);

  json j = call("/v1/recommend?user=" + user + "&k=5", 200);
  ASSERT_EQ(j["items"].size(), 5u);
  EXPECT_EQ(j["user"], user);
  EXPECT_EQ(j["model_version"], 1);
  EXPECT_EQ(j["objective"], "rating");  // scores are predicted ratings
  const auto top = server_->recommender()->top_k(0, 5);
  for (size_t r = 0; r < 5; ++r) {
    const json& x = j["items"][r];
    EXPECT_EQ(x["item"], m.items.external(top[r].index));
    EXPECT_EQ(x["title"], m.catalog.titles[top[r].index]);
    EXPECT_TRUE(x["genres"].is_array());
    EXPECT_NEAR(x["score"].get<double>(), m.clip(top[r].score), 1e-3);
    EXPECT_FALSE(x.contains("predicted"));  // no rating model beside it
  }
  EXPECT_EQ(call("/v1/recommend?user=" + user, 200)["items"].size(), 10u);
  const json seen = call("/v1/recommend?user=" + user + "&k=1&include_seen=1", 200);
  EXPECT_GE(seen["items"][0]["score"].get<double>(), j["items"][0]["score"].get<double>());

  j = call("/v1/similar?item=" + item + "&k=3", 200);
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_NE(j["items"][0]["item"], item);
  EXPECT_LE(j["items"][0]["similarity"].get<double>(), 1.0001);
  j = call("/v1/similar?user=" + user + "&k=2", 200);
  ASSERT_EQ(j["users"].size(), 2u);

  j = call("/v1/predict?user=" + user + "&item=" + item, 200);
  EXPECT_NEAR(j["rating"].get<double>(), m.predict(0, 0), 1e-3);
  EXPECT_EQ(j["fallback"], false);
  j = call("/v1/predict?user=nobody&item=" + item, 200);  // the documented fallback, not an error
  EXPECT_EQ(j["fallback"], "unknown user");
  EXPECT_NEAR(j["rating"].get<double>(), m.predict_any(Model::npos, 0), 1e-3);

  j = call("/v1/foldin", 200, R"({"ratings":[{"item":")" + item + R"(","rating":5},{"item":)" + m.items.external(1) +
                                  R"(,"rating":2}],"k":4})");
  EXPECT_EQ(j["rated"], 2);
  EXPECT_EQ(j["objective"], "rating");
  ASSERT_EQ(j["items"].size(), 4u);
  for (const auto& x : j["items"]) EXPECT_NE(x["item"], item);  // rated items are not recommended back
  EXPECT_EQ(call("/v1/foldin", 200, R"({"ratings":[]})")["items"].size(), 10u);

  const std::string word = m.catalog.titles[0].substr(0, m.catalog.titles[0].find(' '));
  j = call("/v1/items?q=" + word + "&limit=5", 200);
  ASSERT_GE(j["items"].size(), 1u);
  for (const auto& x : j["items"]) EXPECT_NE(x["title"].get<std::string>().find(word), std::string::npos);
  EXPECT_EQ(call("/v1/items?limit=7", 200)["items"].size(), 7u);

  j = call("/healthz", 200);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["users"], m.n_users());

  const std::vector<std::string> wants = {
      "mfrec_http_requests_total{route=\"recommend\",status=\"200\"} 3",
      "mfrec_http_request_duration_seconds_bucket{route=\"recommend\",le=\"+Inf\"} 3",
      "mfrec_http_request_duration_seconds_count{route=\"foldin\"} 2", "mfrec_model_version 1"};
  const std::string body = metrics_showing(wants);
  for (const auto& w : wants) EXPECT_NE(body.find(w), std::string::npos) << w << " in\n" << body;

  auto c = client();
  auto res = c.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(res->body.rfind("<!doctype html>", 0), 0u);
  EXPECT_EQ(res->body.find("src=\"http"), std::string::npos);  // self-contained
}

TEST_F(ServeTest, ScoresAreClippedAndNeighboursCarryTheirTrainingCounts) {
  // Two items pushed above the rating scale: their raw scores still rank them, their shown scores
  // are the scale's top.
  Model m = load_model(live_);
  std::vector<uint32_t> picks;
  for (uint32_t i = 0; i < m.n_items() && picks.size() < 2; ++i)
    if (!m.seen.contains(0, i)) picks.push_back(i);
  m.item_bias[picks[0]] += 12;
  m.item_bias[picks[1]] += 8;
  save_model(m, live_);
  call("/v1/reload", 200, "", "POST");
  const std::string user = m.users.external(0);
  json j = call("/v1/recommend?user=" + user + "&k=3", 200);
  EXPECT_EQ(j["items"][0]["item"], m.items.external(picks[0]));
  EXPECT_EQ(j["items"][1]["item"], m.items.external(picks[1]));
  for (const auto& x : j["items"]) EXPECT_LE(x["score"].get<double>(), m.rating_max);
  EXPECT_EQ(j["items"][0]["score"].get<double>(), m.rating_max);
  j = call("/v1/foldin", 200, R"({"ratings":[{"item":")" + m.items.external(5) + R"(","rating":5}],"k":3})");
  EXPECT_EQ(j["items"][0]["item"], m.items.external(picks[0]));
  for (const auto& x : j["items"]) EXPECT_LE(x["score"].get<double>(), m.rating_max);
  EXPECT_LE(call("/v1/predict?user=" + user + "&item=" + m.items.external(picks[0]), 200)["rating"].get<double>(), m.rating_max);

  const auto rec = server_->recommender();
  const std::string item = m.items.external(0);
  j = call("/v1/similar?item=" + item + "&k=5&min_count=40", 200);
  EXPECT_EQ(j["min_count"], 40);
  EXPECT_EQ(j["ratings"], rec->popularity()[0]);
  ASSERT_EQ(j["items"].size(), 5u);
  for (const auto& x : j["items"]) {
    EXPECT_GE(x["ratings"].get<uint32_t>(), 40u);
    EXPECT_EQ(x["ratings"], rec->popularity()[*m.items.find(x["item"].get<std::string>())]);
  }
  EXPECT_EQ(call("/v1/similar?item=" + item, 200)["min_count"], kDefaultMinCount);
  j = call("/v1/similar?item=" + item + "&k=4&min_count=100000", 200);
  EXPECT_EQ(j["items"].size(), 4u);
  EXPECT_LT(j["min_count"].get<uint32_t>(), 100000u);
  call("/v1/similar?item=" + item + "&min_count=x", 400);
  j = call("/v1/similar?user=" + user + "&k=2", 200);
  EXPECT_EQ(j["users"][0]["ratings"], m.seen.count(*m.users.find(j["users"][0]["user"].get<std::string>())));
}

TEST_F(ServeTest, EveryErrorStatus) {
  const auto rec = server_->recommender();  // held: a reload frees the model it replaces
  const Model& m = rec->model();
  const std::string user = m.users.external(0), item = m.items.external(0);
  // 400: malformed.
  call("/v1/recommend", 400);
  call("/v1/recommend?user=" + user + "&k=ten", 400);
  call("/v1/recommend?user=" + user + "&k=1.5", 400);
  call("/v1/recommend?user=" + user + "&include_seen=maybe", 400);
  call("/v1/similar?k=3", 400);
  call("/v1/similar?item=" + item + "&user=" + user, 400);
  call("/v1/predict?user=" + user, 400);
  call("/v1/foldin", 400, "{not json");
  call("/v1/foldin", 400, R"({"ratings":{"item":"1"}})");
  call("/v1/foldin", 400, R"({"ratings":[{"item":"1"}]})");
  call("/v1/foldin", 400, R"({"ratings":[{"item":[1],"rating":3}]})");
  call("/v1/foldin", 400, R"({"ratings":[],"k":"many"})");
  // 404: unknown ids and routes.
  call("/v1/recommend?user=no-such-user", 404);
  call("/v1/similar?item=no-such-item", 404);
  call("/v1/similar?user=no-such-user", 404);
  call("/v1/foldin", 404, R"({"ratings":[{"item":"no-such-item","rating":3}]})");
  call("/v1/nothing", 404);
  // 405: a known route, the wrong method.
  call("/v1/reload", 405);
  call("/v1/recommend?user=" + user, 405, "{}", "POST");
  // 413: a body over the limit (4096 bytes in this test).
  call("/v1/foldin", 413, R"({"ratings":[)" + std::string(8000, ' ') + "]}");
  // 422: values out of range.
  call("/v1/recommend?user=" + user + "&k=0", 422);
  call("/v1/recommend?user=" + user + "&k=1001", 422);
  call("/v1/recommend?user=" + user + "&k=99999999999999999999999", 422);
  call("/v1/similar?item=" + item + "&k=-1", 422);
  call("/v1/items?q=a&limit=0", 422);
  call("/v1/foldin", 422, R"({"ratings":[{"item":")" + item + R"(","rating":9}]})");
  call("/v1/foldin", 422, R"({"ratings":[],"k":0})");
  // The server is still up and counted the errors.
  call("/healthz", 200);
  const std::vector<std::string> wants = {"mfrec_http_requests_total{route=\"recommend\",status=\"422\"} 3",
                                          "mfrec_http_requests_total{route=\"other\",status=\"404\"} 1"};
  const std::string body = metrics_showing(wants);
  for (const auto& w : wants) EXPECT_NE(body.find(w), std::string::npos) << w << " in\n" << body;
}

TEST_F(ServeTest, ReloadUnderConcurrentRequestsFailsNone) {
  const auto rec = server_->recommender();  // held: a reload frees the model it replaces
  const Model& m = rec->model();
  const std::shared_ptr<const Recommender> before = server_->recommender();
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0}, regressions{0}, newest{0};
  std::vector<std::thread> clients;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_keep_alive(t % 2 == 0);  // both fresh and kept-alive connections
      c.set_read_timeout(10);
      int last_version = 0;
      for (int n = 0; n < 100000 && !done && std::chrono::steady_clock::now() < deadline; ++n) {
        auto res = c.Get("/v1/recommend?user=" + m.users.external(uint32_t((n * 7 + t) % m.n_users())) + "&k=10");
        if (!res || res->status != 200) {
          ++failed;
          continue;
        }
        const int version = json::parse(res->body)["model_version"];
        if (version < last_version) ++regressions;
        last_version = version;
        if (version > newest) newest = version;
        ++ok;
      }
    });
  }
  // Reload six times while they run, alternating two different checkpoints swapped in by rename.
  auto admin = client();
  for (int r = 0; r < 6; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    std::filesystem::copy_file(model_path((r + 1) % 2), live_ + ".new", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(live_ + ".new", live_);
    auto res = admin.Post("/v1/reload", "", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["model_version"], r + 2);
  }
  // Let the clients get answers from the last model too (bounded: a loaded machine may be slow).
  for (int n = 0; n < 500 && newest < 7; ++n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(newest, 7);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(regressions, 0);
  EXPECT_GT(ok, 50);
  std::printf("%d requests answered during 6 reloads, %d failed\n", ok.load(), failed.load());
  EXPECT_EQ(server_->model_version(), 7u);
  // A request that held the first model can still use it after the swap.
  EXPECT_NE(server_->recommender(), before);
  EXPECT_EQ(before->top_k(0, 3).size(), 3u);

  // A reload that cannot load leaves the serving model alone.
  test::write_file(dir_, "model.mfrec", "not a model");
  json j = call("/v1/reload", 500, "", "POST");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("still serving version 7"), std::string::npos);
  EXPECT_THROW(server_->reload(), DataError);
  EXPECT_EQ(call("/v1/recommend?user=" + m.users.external(0), 200)["model_version"], 7);
  auto res = admin.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("mfrec_model_reloads_total{result=\"ok\"} 6"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("mfrec_model_reloads_total{result=\"failed\"} 2"), std::string::npos);
}

TEST(ServeOptionsTest, RejectsBadValues) {
  ServeOptions o;
  EXPECT_THROW(o.validate(), UsageError);  // no model
  o.model_path = model_path(0);
  o.port = 70000;
  EXPECT_THROW(o.validate(), UsageError);
  o.port = 0;
  o.threads = 0;
  EXPECT_THROW(o.validate(), UsageError);
  o.threads = 2;
  // A port that is taken: a clear error, not a crash.
  Server first(o);
  first.start();
  o.port = first.port();
  Server second(o);
  EXPECT_THROW(second.start(), UsageError);
  o.model_path = "/nonexistent/model.mfrec";
  EXPECT_THROW(Server{o}, DataError);
}

// One line of the child's output, waiting at most `seconds` ("" on timeout or end of file).
std::string read_line(int fd, int seconds) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (char c = 0; c != '\n';) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) <= 0 || ::read(fd, &c, 1) != 1) return "";
    line += c;
  }
  return line;
}

// The command: --port 0 prints the port it got; SIGHUP reloads; SIGTERM stops it cleanly.
TEST(ServeCommand, ReloadsOnSighupAndStopsOnSigterm) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  const std::string model = model_path(1);
  std::vector<std::string> args = {MFREC_CLI, "serve", "--model", model, "--port", "0", "--threads", "4"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, MFREC_CLI, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  struct Reaper {  // a failed assertion must not leave the server running
    pid_t pid;
    ~Reaper() {
      if (pid > 0) ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  ::close(out[1]);
  const std::string first = read_line(out[0], 30);  // the listening line
  const size_t at = first.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << first;
  const int port = std::stoi(first.substr(at + 17));
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  auto res = c.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["model_version"], 1);
  ::kill(pid, SIGHUP);
  const std::string reloaded = read_line(out[0], 30);
  EXPECT_NE(reloaded.find("reloaded"), std::string::npos) << reloaded;
  res = c.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["model_version"], 2);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaper.pid = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ::close(out[0]);
}

}  // namespace
}  // namespace mfrec
