// Using a model from the command line: scores shown within the rating scale, `similar` with a
// minimum support, `predict` for many pairs, `info`, `items`, and tables aligned for long string ids.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mfrec/recommend.h"
#include "test_util.h"

namespace mfrec {
namespace {

using json = nlohmann::json;
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// small_model() with two items pushed far above the scale: raw scores over 5, the first above the second.
struct Inflated {
  std::string path;
  std::string top, second;
};
const Inflated& inflated_model() {
  static const Inflated made = [] {
    Model m = load_model(test::small_model());
    Inflated x;
    x.path = test::scratch_dir("cli-use-inflated") + "/model.mfrec";
    // Two items the first user did not rate in training.
    std::vector<uint32_t> picks;
    for (uint32_t i = 0; i < m.n_items() && picks.size() < 2; ++i)
      if (!m.seen.contains(0, i)) picks.push_back(i);
    m.item_bias[picks[0]] += 12;
    m.item_bias[picks[1]] += 8;
    x.top = m.items.external(picks[0]);
    x.second = m.items.external(picks[1]);
    save_model(m, x.path);
    return x;
  }();
  return made;
}

TEST(CliUse, PredictedRatingsAreClippedToTheScaleButRankedByRawScore) {
  const Inflated& x = inflated_model();
  const Model m = load_model(x.path);
  const std::string user = m.users.external(0);
  // The library's raw scores are above the scale (and order the two items).
  const Recommender rec(load_model(x.path));
  const auto raw = rec.top_k(0, 2);
  ASSERT_GT(raw[0].score, raw[1].score);
  ASSERT_GT(raw[1].score, m.rating_max);

  auto r = test::run_cli("recommend --model " + x.path + " --user " + user + " -k 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["items"][0]["item"], x.top);
  EXPECT_EQ(j["items"][1]["item"], x.second);
  for (const auto& it : j["items"]) {
    EXPECT_LE(it["score"].get<double>(), m.rating_max);
    EXPECT_GE(it["score"].get<double>(), m.rating_min);
  }
  EXPECT_EQ(j["items"][0]["score"].get<double>(), m.rating_max);

  r = test::run_cli("recommend --model " + x.path + " --user " + user + " -k 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, fmt::format("{:.4f}", m.rating_max))) << r.out;
  EXPECT_FALSE(contains(r.out, fmt::format("{:.4f}", raw[0].score))) << r.out;

  // A new user folded in, and every user into a CSV.
  r = test::run_cli("recommend --model " + x.path + " --ratings " + m.items.external(5) + ":5," + m.items.external(6) + ":4 -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json::parse(r.out);
  EXPECT_EQ(j["items"][0]["item"], x.top);
  for (const auto& it : j["items"]) EXPECT_LE(it["score"].get<double>(), m.rating_max);
  const std::string csv = test::scratch_dir("cli-use-all") + "/recs.csv";
  r = test::run_cli("recommend --model " + x.path + " --all -k 3 --out " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(test::read_file(csv));
  std::string line;
  std::getline(lines, line);
  size_t rows = 0;
  while (std::getline(lines, line)) {
    const double score = std::stod(line.substr(line.rfind(',') + 1));
    EXPECT_LE(score, m.rating_max) << line;
    EXPECT_GE(score, m.rating_min) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 3 * m.n_users());
}

TEST(CliUse, SimilarKeepsToItemsWithTheMinimumSupport) {
  const std::string model = test::small_model();
  const Recommender rec(load_model(model));
  const Model& m = rec.model();
  const std::string item = m.items.external(0);
  auto r = test::run_cli("similar --model " + model + " --item " + item + " -k 10 --min_count 40 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  ASSERT_EQ(j["min_count"], 40);
  ASSERT_EQ(j["items"].size(), 10u);
  for (const auto& it : j["items"]) {
    EXPECT_GE(it["ratings"].get<uint32_t>(), 40u) << it.dump();
    EXPECT_EQ(it["ratings"].get<uint32_t>(), rec.popularity()[*m.items.find(it["item"].get<std::string>())]);
  }
  // The default is 20; a bar no item reaches is lowered so that k neighbours still come out.
  r = test::run_cli("similar --model " + model + " --item " + item + " --json");
  EXPECT_EQ(json::parse(r.out)["min_count"], kDefaultMinCount);
  r = test::run_cli("similar --model " + model + " --item " + item + " -k 5 --min_count 1000000 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json::parse(r.out);
  EXPECT_EQ(j["items"].size(), 5u);
  EXPECT_LT(j["min_count"].get<uint32_t>(), 1000000u);
  for (const auto& it : j["items"]) EXPECT_GE(it["ratings"].get<uint32_t>(), j["min_count"].get<uint32_t>());
  // The text output shows each neighbour's training count and the bar.
  r = test::run_cli("similar --model " + model + " --item " + item + " -k 3 --min_count 40");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "at least 40 training ratings")) << r.out;
  EXPECT_TRUE(contains(r.out, "ratings  title")) << r.out;
}

TEST(CliUse, SimilarOnMl1mHalfListsOnlyWellRatedNeighbours) {
  MFREC_REQUIRE_DATA(data, "ml-1m-half");
  const std::string out = test::scratch_dir("cli-use-ml1m");
  auto r = test::run_cli("train --data_path " + data + " --epochs 5 --quiet --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = test::run_cli("similar --model " + out + "/model.mfrec --item 1193 -k 10 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["min_count"], 20);
  ASSERT_EQ(j["items"].size(), 10u);
  for (const auto& it : j["items"]) EXPECT_GE(it["ratings"].get<uint32_t>(), 20u) << it.dump();
}

// Runs mfrec with `args`, stdin from `input`; stdout and stderr apart.
struct Piped {
  int exit_code;
  std::string out, err;
};
Piped run_with_stdin(const std::string& args, const std::string& input) {
  const std::string dir = test::scratch_dir("cli-use-pipe");
  const std::string in = test::write_file(dir, "in.txt", input), err = dir + "/err.txt";
  FILE* p = ::popen((std::string(MFREC_CLI) + " " + args + " <" + in + " 2>" + err).c_str(), "r");
  Piped r{-1, "", ""};
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = test::read_file(err);
  return r;
}

TEST(CliUse, PredictScoresPairsWithTheFallbackForUnknownIds) {
  const std::string model = test::small_model();
  const Model m = load_model(model);
  const std::string u0 = m.users.external(0), u1 = m.users.external(1), i0 = m.items.external(0), i1 = m.items.external(1);
  const std::string input = "user,item\n" + u0 + "," + i0 + "\n" + u1 + "\t" + i1 + "\nnobody," + i0 + "\n" + u0 + ",nothing\n\n";
  // The separator is sniffed from the first data line; here the second line's tab is wrong.
  auto bad = run_with_stdin("predict --model " + model + " --pairs -", input);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "mfrec: error: stdin:3: expected USER,ITEM")) << bad.err;

  const std::string good = "user,item\n" + u0 + "," + i0 + "\n" + u1 + "," + i1 + ",4.5\nnobody," + i0 + "\n" + u0 + ",nothing\n";
  auto r = run_with_stdin("predict --model " + model + " --pairs -", good);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected = fmt::format("user,item,score\n{},{},{:.4f}\n{},{},{:.4f}\nnobody,{},{:.4f}\n{},nothing,{:.4f}\n", u0, i0,
                                           m.predict_any(0, 0), u1, i1, m.predict_any(1, 1), i0,
                                           m.predict_any(Model::npos, 0), u0, m.predict_any(0, Model::npos));
  EXPECT_EQ(r.out, expected);
  EXPECT_TRUE(contains(r.err, "2 of 4 pairs had an unknown id (1 unknown user, 1 unknown item)")) << r.err;

  // Any of the supported separators, from a file, into --out.
  const std::string dir = test::scratch_dir("cli-use-predict");
  const std::string pairs = test::write_file(dir, "pairs.dat", u0 + "::" + i0 + "\n" + u1 + "::" + i1 + "\r\n");
  auto f = test::run_cli("predict --model " + model + " --pairs " + pairs + " --out " + dir + "/scores.csv");
  ASSERT_EQ(f.exit_code, 0) << f.out;
  EXPECT_EQ(test::read_file(dir + "/scores.csv"),
            fmt::format("user,item,score\n{},{},{:.4f}\n{},{},{:.4f}\n", u0, i0, m.predict_any(0, 0), u1, i1, m.predict_any(1, 1)));
  EXPECT_FALSE(contains(f.out, "unknown")) << f.out;
  EXPECT_EQ(test::run_cli("predict --model " + model + " --pairs " + dir + "/missing.txt").exit_code, 1);
}

TEST(CliUse, PredictIsFastForManyPairs) {
  const std::string model = test::small_model();
  const Model m = load_model(model);
  std::string text;
  const size_t n = 1000000;
  text.reserve(n * 10);
  for (size_t k = 0; k < n; ++k)
    text += m.users.external(uint32_t(k % m.n_users())) + "," + m.items.external(uint32_t(k % m.n_items())) + "\n";
  const std::string dir = test::scratch_dir("cli-use-predict-many");
  const std::string pairs = test::write_file(dir, "pairs.csv", text);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = test::run_cli("predict --model " + model + " --pairs " + pairs + " --out " + dir + "/scores.csv");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string scores = test::read_file(dir + "/scores.csv");
  EXPECT_EQ(size_t(std::count(scores.begin(), scores.end(), '\n')), n + 1);
  EXPECT_LT(seconds, 20.0) << "a million pairs should take a second or two, not " << seconds << " s";
}

TEST(CliUse, InfoTellsWhatTheModelWasTrainedOn) {
  const std::string out = test::scratch_dir("cli-use-info"), data = test::small_synthetic();
  ASSERT_EQ(test::run_cli("train --data_path " + data + " --epochs 2 --dim 8 --precision bf16 --split random --output " + out + " --quiet").exit_code, 0);
  const std::string model = out + "/model.mfrec";
  auto r = test::run_cli("info --model " + model + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out);
  const auto metrics = json::parse(test::read_file(out + "/metrics.json"));
  EXPECT_EQ(j["data"]["source"], data + "/ratings.dat");
  EXPECT_EQ(j["data"]["layout"], "ml-1m");
  EXPECT_EQ(j["data"]["split"]["kind"], "random");
  EXPECT_EQ(j["data"]["split"]["test_ratio"], 0.2);
  EXPECT_EQ(j["options"]["dim"], 8);
  EXPECT_EQ(j["options"]["lr"], 0.001);
  EXPECT_EQ(j["users"], metrics["n_users"]);
  EXPECT_EQ(j["items"], metrics["n_items"]);
  EXPECT_EQ(j["dim"], 8);
  EXPECT_EQ(j["precision"], "bf16");
  EXPECT_EQ(j["ratings_seen"], metrics["n_train"].get<size_t>() + metrics["n_val"].get<size_t>());
  EXPECT_EQ(j["file_bytes"], std::filesystem::file_size(model));
  EXPECT_NEAR(j["metrics"]["test_rmse"].get<double>(), metrics["test_rmse"].get<double>(), 1e-9);
  EXPECT_NEAR(j["metrics"]["test_mae"].get<double>(), metrics["test_mae"].get<double>(), 1e-9);
  r = test::run_cli("info --model " + model);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* part : {"trained on  ", "layout ml-1m", "kind random", "dim 8", "precision   bf16", "test_rmse 0.", "lr 0.001,"})
    EXPECT_TRUE(contains(r.out, part)) << part << "\n" << r.out;
  EXPECT_EQ(test::run_cli("info --model " + out + "/nothing.mfrec").exit_code, 1);
}

// A data set in the ml-1m layout whose titles need folding: latin-1 accents, articles at the end.
std::string titled_data() {
  static const std::string dir = [] {
    const std::string d = test::scratch_dir("cli-use-titles");
    std::string ratings;
    for (int u = 1; u <= 40; ++u)
      for (int i = 1; i <= 6; ++i)
        if ((u + i) % 3) ratings += fmt::format("{}::{}::{}::{}\n", u, i, 1 + (u * i) % 5, 1000 + u * 10 + i);
    test::write_file(d, "ratings.dat", ratings);
    test::write_file(d, "movies.dat",
                     "1::L\xe9on: The Professional (1994)::Crime|Drama\n"
                     "2::Godfather: Part II, The (1974)::Crime|Drama\n"
                     "3::Godfather: Part III, The (1990)::Crime|Drama\n"
                     "4::Godfather, The (1972)::Crime|Drama\n"
                     "5::Schindler's List (1993)::Drama|War\n"
                     "6::Toy Story (1995)::Animation|Children's|Comedy\n");
    return d;
  }();
  return dir;
}

TEST(CliUse, ItemsFindsTitlesWhateverTheAccentsCaseAndWordOrder) {
  const std::string out = test::scratch_dir("cli-use-items");
  ASSERT_EQ(test::run_cli("train --data_path " + titled_data() + " --epochs 1 --output " + out + " --quiet").exit_code, 0);
  const std::string model = out + "/model.mfrec";
  auto ids = [&](const std::string& q) {
    auto r = test::run_cli("items --model " + model + " --q '" + q + "' --json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::vector<std::string> found;
    const json j = json::parse(r.out);
    for (const auto& it : j["items"]) found.push_back(it["item"]);
    return found;
  };
  EXPECT_EQ(ids("leon"), std::vector<std::string>{"1"});
  EXPECT_EQ(ids("LÉON professional"), std::vector<std::string>{"1"});
  EXPECT_EQ(ids("godfather ii").front(), "2");  // Part II as whole words first, then Part III
  EXPECT_EQ(ids("godfather ii").size(), 2u);
  EXPECT_EQ(ids("the godfather").size(), 3u);
  EXPECT_EQ(ids("schindlers"), std::vector<std::string>{"5"});
  EXPECT_TRUE(ids("godfather iv").empty());
  auto r = test::run_cli("items --model " + model + " -q leon");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "L\xc3\xa9on: The Professional (1994) [Crime|Drama]")) << r.out;
}

TEST(CliUse, TablesStayAlignedWithLongStringIds) {
  const std::string dir = test::scratch_dir("cli-use-strings");
  std::string ratings = "user,item,rating\n";
  for (int u = 0; u < 30; ++u)
    for (int i = 0; i < 12; ++i)
      if ((u * 7 + i) % 4)
        ratings += fmt::format("{},{},{}\n", u % 3 ? fmt::format("user-{}", u) : fmt::format("a-very-long-user-name-{}", u),
                               i % 2 ? fmt::format("i{}", i) : fmt::format("an-item-with-a-long-id-{}", i), 1 + (u + i) % 5);
  test::write_file(dir, "r.csv", ratings);
  ASSERT_EQ(test::run_cli("train --data_path " + dir + "/r.csv --split random --epochs 2 --output " + dir + "/o --quiet").exit_code, 0);
  const std::string model = dir + "/o/model.mfrec";
  // No titles in this data (so no title column): align on the score column.
  auto starts = [](const std::string& text, const std::string& heading) {
    std::istringstream lines(text);
    std::string line;
    std::vector<size_t> out;
    size_t at = std::string::npos;
    while (std::getline(lines, line)) {
      if (at == std::string::npos) {
        if ((at = line.find(heading)) != std::string::npos) out.push_back(at + heading.size());
        continue;
      }
      // The end of the right-aligned score column: where the score's last digit is.
      const size_t dot = line.find('.');
      if (dot != std::string::npos) out.push_back(dot + 5);
    }
    return out;
  };
  auto r = test::run_cli("recommend --model " + model + " --user a-very-long-user-name-0 -k 8");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(contains(r.out, "title")) << r.out;
  auto cols = starts(r.out, "predicted");
  ASSERT_GE(cols.size(), 4u) << r.out;
  for (size_t c : cols) EXPECT_EQ(c, cols[0]) << r.out;
  r = test::run_cli("similar --model " + model + " --item an-item-with-a-long-id-0 -k 8 --min_count 0");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  cols = starts(r.out, "cosine");
  ASSERT_GE(cols.size(), 4u) << r.out;
  for (size_t c : cols) EXPECT_EQ(c, cols[0]) << r.out;
  EXPECT_TRUE(contains(r.out, "item                     ")) << r.out;  // headed over the widest id
  r = test::run_cli("similar --model " + model + " --user user-1 -k 8");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  cols = starts(r.out, "cosine");
  ASSERT_GE(cols.size(), 4u) << r.out;
  for (size_t c : cols) EXPECT_EQ(c, cols[0]) << r.out;
}

}  // namespace
}  // namespace mfrec
