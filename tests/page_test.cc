// The web page in a real browser: headless Chromium, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in a NUL byte, on the browser's fds 3 and 4).
// The page is loaded from a live server; the test searches by title, rates three movies by clicking
// their stars, and checks that the recommendations the page shows are the fold-in's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "mfrec/serve.h"
#include "test_util.h"

extern char** environ;

namespace mfrec {
namespace {

using json = nlohmann::json;
constexpr const char* kChromium = "/usr/bin/chromium";

class Browser {
 public:
  explicit Browser(const std::string& profile_dir) {
    int to[2], from[2];
    if (::pipe2(to, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t a;
    posix_spawn_file_actions_init(&a);
    posix_spawn_file_actions_adddup2(&a, to[0], 3);    // the browser reads commands on fd 3
    posix_spawn_file_actions_adddup2(&a, from[1], 4);  // and writes answers and events on fd 4
    posix_spawn_file_actions_addopen(&a, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&a, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args = {kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-extensions", "--remote-debugging-pipe",
                                     "--user-data-dir=" + profile_dir, "about:blank"};
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kChromium, &a, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&a);
    ::close(to[0]);
    ::close(from[1]);
    out_ = to[1];
    in_ = from[0];
  }
  ~Browser() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (in_ >= 0) ::close(in_);
  }
  bool started() const { return pid_ > 0; }

  // Sends a command and waits (at most `seconds`) for its answer; events on the way are dropped.
  json call(const std::string& method, json params = json::object(), const std::string& session = "",
            int seconds = 30) {
    json msg = {{"id", ++id_}, {"method", method}, {"params", std::move(params)}};
    if (!session.empty()) msg["sessionId"] = session;
    const std::string text = msg.dump() + '\0';
    if (::write(out_, text.data(), text.size()) != ssize_t(text.size())) throw std::runtime_error("write to browser failed");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
      for (size_t end; (end = buf_.find('\0')) != std::string::npos;) {
        json m = json::parse(buf_.substr(0, end));
        buf_.erase(0, end + 1);
        if (m.value("id", -1) != id_) continue;
        if (m.contains("error")) throw std::runtime_error(method + ": " + m["error"].dump());
        return m["result"];
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error(method + ": no answer from the browser in time");
      pollfd p{in_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(in_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the browser closed the pipe");
      buf_.append(chunk, size_t(n));
    }
  }

 private:
  pid_t pid_ = 0;
  int out_ = -1, in_ = -1, id_ = 0;
  std::string buf_;
};

// A word that at least three titles contain (the synthetic titles repeat their words).
std::string common_title_word(const Model& m) {
  for (const auto& title : m.catalog.titles) {
    const std::string word = title.substr(0, title.find(' '));
    if (word.size() < 3) continue;
    int n = 0;
    for (const auto& t : m.catalog.titles) n += t.find(word) != std::string::npos;
    if (n >= 3) return word;
  }
  return "";
}

constexpr const char* kScript = R"JS((async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (f, what) => {
    for (let i = 0; i < 300; i++) { if (f()) return; await sleep(50); }
    throw new Error("timed out waiting for " + what);
  };
  const results = () => [...document.querySelectorAll("#results li.movie")];
  await until(() => results().length > 0, "the first results");
  const input = document.getElementById("search");
  input.value = WORD;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const matches = () => results().length >= 3 &&
    results().every((li) => li.querySelector(".title").textContent.toLowerCase().includes(WORD.toLowerCase()));
  await until(matches, "search results for " + WORD);
  const rated = [];
  const stars = [5, 4, 1];
  for (let n = 0; n < 3; n++) {
    const li = results()[n];
    rated.push({ item: li.dataset.item, rating: stars[n] });
    li.querySelector('button.star[data-rating="' + stars[n] + '"]').click();
    await until(() => document.querySelectorAll("#mine li.movie").length === n + 1, "rating " + (n + 1));
  }
  await until(() => document.getElementById("status").textContent.includes("3 ratings") &&
                    document.querySelectorAll("#recommendations li.rec").length > 0, "recommendations");
  const recs = [...document.querySelectorAll("#recommendations li.rec")].map((li) => ({
    item: li.dataset.item,
    title: li.querySelector(".title").textContent,
    genres: [...li.querySelectorAll(".genre")].map((g) => g.textContent),
    score: li.querySelector(".score").textContent,
    predicted: (li.querySelector(".predicted") || {}).textContent || null,
  }));
  // Movies similar to the first result, among those with at least 30 ratings.
  const first = results()[0];
  document.getElementById("min-count").value = "30";
  first.querySelector("button.similar").click();
  await until(() => document.querySelectorAll("#similar li.sim").length > 0, "similar movies");
  const similar = [...document.querySelectorAll("#similar li.sim")].map((li) => ({
    item: li.dataset.item, text: li.querySelector(".score").textContent }));
  return JSON.stringify({ rated, recs, status: document.getElementById("status").textContent,
                          similarTo: first.dataset.item, similar,
                          similarStatus: document.getElementById("similar-status").textContent,
                          info: document.getElementById("model-info").textContent });
})())JS";

// Loads the page from `server` in headless Chromium and runs kScript there (searching for `word`):
// what it returns, or a failure.
json drive_page(const Server& server, const std::string& word) {
  json result;
  Browser browser(test::scratch_dir("page") + "/profile");
  if (!browser.started()) throw std::runtime_error("chromium did not start");
  try {
    browser.call("Target.setDiscoverTargets", {{"discover", false}});
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    const std::string target = browser.call("Target.createTarget", {{"url", url}})["targetId"];
    const std::string session = browser.call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})["sessionId"];
    // Wait for the page itself (not the blank page a new tab starts with) to have loaded.
    for (int n = 0;; ++n) {
      const json r = browser.call("Runtime.evaluate",
                                  {{"expression", "location.href + ' ' + document.readyState"}, {"returnByValue", true}},
                                  session);
      if (r["result"].value("value", "") == url + " complete") break;
      if (n > 200) throw std::runtime_error("the page did not load: " + r.dump());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string script = kScript;
    for (size_t at; (at = script.find("WORD")) != std::string::npos;) script.replace(at, 4, json(word).dump());
    result = browser.call("Runtime.evaluate",
                          {{"expression", script}, {"awaitPromise", true}, {"returnByValue", true}, {"timeout", 40000}},
                          session, 60);
    browser.call("Browser.close", json::object(), "", 10);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("driving the browser failed: ") + e.what());
  }
  if (result.contains("exceptionDetails")) throw std::runtime_error("the page script failed: " + result["exceptionDetails"].dump());
  return json::parse(result["result"]["value"].get<std::string>());
}

TEST(Page, RateThreeMoviesInChromiumAndSeeRecommendations) {
  if (::access(kChromium, X_OK) != 0)
    GTEST_SKIP() << "headless-browser test skipped: " << kChromium << " is not installed (apt-get install chromium)";
  ServeOptions so;
  so.model_path = test::small_model(0);
  so.port = 0;
  so.threads = 8;
  Server server(so);
  server.start();
  const Model& m = server.recommender()->model();
  const std::string word = common_title_word(m);
  ASSERT_FALSE(word.empty());

  json page;
  try {
    page = drive_page(server, word);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }

  // The page shows the fold-in's top 10 for the three ratings, titles and genres included.
  std::vector<FoldInRating> ratings;
  std::set<std::string> rated;
  for (const auto& r : page["rated"]) {
    ratings.push_back({*m.items.find(r["item"].get<std::string>()), r["rating"].get<float>()});
    rated.insert(r["item"]);
  }
  ASSERT_EQ(ratings.size(), 3u);
  const auto rec = server.recommender();
  const auto expected = rec->top_k(rec->fold_in(ratings), 10);
  ASSERT_EQ(page["recs"].size(), expected.size()) << page.dump();
  for (size_t r = 0; r < expected.size(); ++r) {
    const json& shown = page["recs"][r];
    EXPECT_EQ(shown["item"], m.items.external(expected[r].index));
    EXPECT_EQ(rated.count(shown["item"]), 0u);
    EXPECT_EQ(shown["title"], m.catalog.titles[expected[r].index]);
    EXPECT_FALSE(shown["genres"].empty());
    // A rating model's score is its predicted rating, shown clipped.
    const std::string score = shown["score"];
    ASSERT_EQ(score.rfind("predicted ", 0), 0u) << shown;
    EXPECT_NEAR(std::stod(score.substr(10)), m.clip(expected[r].score), 0.006) << shown;
    EXPECT_TRUE(shown["predicted"].is_null()) << shown;
  }
  EXPECT_NE(page["status"].get<std::string>().find("3 ratings"), std::string::npos);

  // The similar movies shown are the library's with that minimum support, each with its count.
  const uint32_t to = *m.items.find(page["similarTo"].get<std::string>());
  const auto similar = rec->similar_items(to, 10, 30);
  ASSERT_EQ(page["similar"].size(), similar.size()) << page.dump();
  for (size_t r = 0; r < similar.size(); ++r) {
    EXPECT_EQ(page["similar"][r]["item"], m.items.external(similar[r].index));
    const uint32_t count = rec->popularity()[similar[r].index];
    EXPECT_GE(count, 30u);
    EXPECT_NE(page["similar"][r]["text"].get<std::string>().find(std::to_string(count) + " ratings"), std::string::npos);
  }
  EXPECT_NE(page["similarStatus"].get<std::string>().find("at least 30 ratings"), std::string::npos) << page.dump();
  server.stop();
}

// A ranking model's scores are only an order: the page says "score 0.83", not "predicted"; with a
// rating model beside it, each recommendation also shows that model's stars ("predicted 4.1").
TEST(Page, ARankingModelShowsScoresAndTheRatingModelsStars) {
  if (::access(kChromium, X_OK) != 0)
    GTEST_SKIP() << "headless-browser test skipped: " << kChromium << " is not installed (apt-get install chromium)";
  ServeOptions so;
  so.model_path = test::small_ranking_model();
  so.rating_model_path = test::small_model(0);
  so.port = 0;
  so.threads = 8;
  Server server(so);
  server.start();
  const Model& m = server.recommender()->model();
  const Model& rating = server.rating_recommender()->model();
  const std::string word = common_title_word(m);
  ASSERT_FALSE(word.empty());
  json page;
  try {
    page = drive_page(server, word);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  std::vector<FoldInRating> ratings;
  for (const auto& r : page["rated"]) ratings.push_back({*m.items.find(r["item"].get<std::string>()), r["rating"].get<float>()});
  const auto rec = server.recommender();
  const auto expected = rec->top_k(rec->fold_in(ratings), 10);
  ASSERT_EQ(page["recs"].size(), expected.size()) << page.dump();
  for (size_t r = 0; r < expected.size(); ++r) {
    const json& shown = page["recs"][r];
    EXPECT_EQ(shown["item"], m.items.external(expected[r].index));
    const std::string score = shown["score"], predicted = shown["predicted"].is_string() ? shown["predicted"] : "";
    ASSERT_EQ(score.rfind("score ", 0), 0u) << shown;
    EXPECT_NEAR(std::stod(score.substr(6)), expected[r].score, 0.006) << shown;  // as it is, two decimals
    ASSERT_EQ(predicted.rfind("predicted ", 0), 0u) << shown;
    const double stars = std::stod(predicted.substr(10));
    EXPECT_EQ(predicted.size(), std::string("predicted 4.1").size()) << shown;  // one decimal
    EXPECT_GE(stars, rating.rating_min);
    EXPECT_LE(stars, rating.rating_max);
  }
  EXPECT_NE(page["info"].get<std::string>().find("ranking model with a rating model"), std::string::npos) << page["info"];
  server.stop();
}

}  // namespace
}  // namespace mfrec
