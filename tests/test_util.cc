#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <sstream>

namespace fs = std::filesystem;

namespace mfrec::test {

std::string scratch_dir(const std::string& name) {
  static const fs::path root = [] {
    fs::path p = fs::temp_directory_path() / ("mfrec-test-" + std::to_string(::getpid()));
    fs::create_directories(p);
    std::atexit([] { std::error_code ec; fs::remove_all(fs::temp_directory_path() / ("mfrec-test-" + std::to_string(::getpid())), ec); });
    return p;
  }();
  fs::path dir = root / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = (fs::path(dir) / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shared_data(const std::string& name) {
  if (const char* off = std::getenv("MFREC_TEST_NO_SHARED_DATA"); off && *off) return "";
  const fs::path p = fs::path(MFREC_SOURCE_DIR) / ".." / "shared" / "data" / name;
  return fs::exists(p) ? fs::canonical(p).string() : "";
}

std::string small_synthetic(uint32_t users, uint32_t items, uint64_t ratings) {
  static std::map<std::string, std::string> made;
  const std::string key = std::to_string(users) + "x" + std::to_string(items) + "x" + std::to_string(ratings);
  if (auto it = made.find(key); it != made.end()) return it->second;
  const std::string dir = scratch_dir("synth-" + key);
  SynthOptions o;
  o.users = users;
  o.items = items;
  o.ratings = ratings;
  o.seed = 7;
  write_synthetic(dir, o);
  return made[key] = dir;
}

std::string small_model(uint64_t seed) {
  static std::map<uint64_t, std::string> made;
  if (auto it = made.find(seed); it != made.end()) return it->second;
  const Dataset d = load_dataset({.path = small_synthetic()});
  const Split s = make_split(d.ratings, {});
  TrainOptions o;
  o.epochs = 4;
  o.lr = 0.005f;
  o.threads = 2;
  o.seed = seed;
  const std::string path = scratch_dir("model-" + std::to_string(seed)) + "/model.mfrec";
  save_model(fit(d, s, o).model, path);
  return made[seed] = path;
}

std::string small_ranking_model() {
  static const std::string path = [] {
    const Dataset d = load_dataset({.path = small_synthetic()});
    const Split s = make_split(d.ratings, {});
    TrainOptions o;
    o.optimizer = "ials";
    o.dim = 8;
    o.epochs = 3;
    o.threads = 2;
    const std::string out = scratch_dir("ranking-model") + "/model.mfrec";
    save_model(fit(d, s, o).model, out);
    return out;
  }();
  return path;
}

const SplitData& small_random_split() {
  static const SplitData d = [] {
    SplitData x;
    x.data = load_dataset({.path = small_synthetic(300, 200, 15000)});
    x.split = make_split(x.data.ratings, {.kind = SplitKind::random, .test_ratio = 0.2, .seed = 3});
    return x;
  }();
  return d;
}

double user_mean_rmse(const Split& s, size_t n_users) {
  std::vector<double> sum(n_users, 0), count(n_users, 0);
  double all = 0;
  for (size_t k = 0; k < s.train.size(); ++k) {
    sum[s.train.user[k]] += s.train.value[k];
    ++count[s.train.user[k]];
    all += s.train.value[k];
  }
  all /= double(s.train.size());
  double se = 0;
  for (size_t k = 0; k < s.test.size(); ++k) {
    const uint32_t u = s.test.user[k];
    const double e = (count[u] ? sum[u] / count[u] : all) - s.test.value[k];
    se += e * e;
  }
  return std::sqrt(se / double(s.test.size()));
}

double largest_difference(const Model& a, const Model& b) {
  double worst = 0;
  auto at_most = [&](double x, double y) { worst = std::max(worst, std::abs(x - y)); };
  for (size_t u = 0; u < a.n_users(); ++u) {
    for (uint32_t c = 0; c < a.dim; ++c) at_most(a.P.get(u, c), b.P.get(u, c));
    at_most(a.user_bias[u], b.user_bias[u]);
  }
  for (size_t i = 0; i < a.n_items(); ++i) {
    for (uint32_t c = 0; c < a.dim; ++c) at_most(a.Q.get(i, c), b.Q.get(i, c));
    at_most(a.item_bias[i], b.item_bias[i]);
  }
  return worst;
}

RunResult run_cli(const std::string& args, const std::string& cwd) {
  return run_shell((cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(MFREC_CLI) + " " + args + " 2>&1 </dev/null");
}

RunResult run_shell(const std::string& cmd) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  RunResult r{-1, ""};
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

void expect_same_data(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.ratings.user, b.ratings.user);
  EXPECT_EQ(a.ratings.item, b.ratings.item);
  EXPECT_EQ(a.ratings.value, b.ratings.value);
  EXPECT_EQ(a.ratings.time, b.ratings.time);
  EXPECT_EQ(a.users.names(), b.users.names());
  EXPECT_EQ(a.items.names(), b.items.names());
  EXPECT_EQ(a.report.lines, b.report.lines);
  EXPECT_EQ(a.report.duplicates, b.report.duplicates);
}

}  // namespace mfrec::test
