// `mfrec convert` end to end: a .mfd trains, evaluates, splits and describes itself as its text
// does (a model trained on one is evaluated on the other), and a bad one exits 1 naming the file.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// small_synthetic() converted once.
const std::string& converted() {
  static const std::string path = [] {
    const std::string out = test::scratch_dir("cli-binary") + "/data.mfd";
    const auto r = test::run_cli("convert --data_path " + test::small_synthetic() + " --out " + out);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "15000 ratings, 300 users, 200 items, timestamps, a catalog")) << r.out;
    EXPECT_TRUE(contains(r.out, "wrote " + out)) << r.out;
    return out;
  }();
  return path;
}

TEST(CliBinary, InfoDescribesTheSameDataAsTheText) {
  auto bin = test::run_cli("info --data_path " + converted() + " --json");
  auto text = test::run_cli("info --data_path " + test::small_synthetic() + " --json");
  ASSERT_EQ(bin.exit_code, 0) << bin.out;
  ASSERT_EQ(text.exit_code, 0) << text.out;
  const json b = json::parse(bin.out), t = json::parse(text.out);
  EXPECT_EQ(b["layout"], "mfd");
  EXPECT_EQ(b["catalog"], converted());
  for (const char* key : {"ratings", "users", "items", "timestamps", "fingerprint", "rating_min", "rating_max", "duplicates"})
    EXPECT_EQ(b[key], t[key]) << key;
  EXPECT_EQ(b["file_bytes"], fs::file_size(converted()));
  auto plain = test::run_cli("info --data_path " + converted());
  EXPECT_TRUE(contains(plain.out, "layout mfd")) << plain.out;
  EXPECT_TRUE(contains(plain.out, "loaded in")) << plain.out;
  EXPECT_EQ(test::run_cli("info").exit_code, 2);
  EXPECT_EQ(test::run_cli("info --model x --data_path " + converted()).exit_code, 2);
}

TEST(CliBinary, TrainsFromTheBinaryAndEvaluatesOnEither) {
  const std::string out = test::scratch_dir("cli-binary-train"), text = test::small_synthetic();
  auto r = test::run_cli("train --data_path " + converted() + " --epochs 2 --dim 8 --threads 1 --output " + out + "/bin --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = test::run_cli("train --data_path " + text + " --epochs 2 --dim 8 --threads 1 --output " + out + "/text --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The same data, split and seed: the same model, evaluated the same on either file.
  const json mb = json::parse(test::read_file(out + "/bin/metrics.json"));
  const json mt = json::parse(test::read_file(out + "/text/metrics.json"));
  EXPECT_EQ(mb["test_rmse"], mt["test_rmse"]);
  for (const std::string model : {out + "/bin/model.mfrec", out + "/text/model.mfrec"}) {
    auto on_text = test::run_cli("eval --model " + model + " --data_path " + text + " --json");
    auto on_bin = test::run_cli("eval --model " + model + " --data_path " + converted() + " --json");
    ASSERT_EQ(on_text.exit_code, 0) << on_text.out;
    ASSERT_EQ(on_bin.exit_code, 0) << on_bin.out;
    EXPECT_EQ(json::parse(on_text.out)["rmse"], json::parse(on_bin.out)["rmse"]);
  }
  // Recommendations speak the original ids and titles.
  const Dataset d = load_dataset({.path = text});
  r = test::run_cli("recommend --model " + out + "/bin/model.mfrec --user " + d.users.external(3) + " -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json recs = json::parse(r.out);  // kept alive: a range-for over parse(...)["items"] reads freed memory
  for (const auto& rec : recs["items"]) {
    const auto i = d.items.find(rec["item"].get<std::string>());
    ASSERT_TRUE(i.has_value()) << rec;
    EXPECT_EQ(rec["title"], d.catalog.titles[*i]);
  }
}

TEST(CliBinary, SplitWritesTheTextsParts) {
  const std::string out = test::scratch_dir("cli-binary-split");
  ASSERT_EQ(test::run_cli("split --data_path " + converted() + " --out " + out + "/bin").exit_code, 0);
  ASSERT_EQ(test::run_cli("split --data_path " + test::small_synthetic() + " --out " + out + "/text").exit_code, 0);
  for (const char* part : {"/train.csv", "/val.csv", "/test.csv"})
    EXPECT_EQ(test::read_file(out + "/bin" + part), test::read_file(out + "/text" + part)) << part;
}

TEST(CliBinary, BadFilesExitOneNamingTheFile) {
  const std::string dir = test::scratch_dir("cli-binary-bad");
  const std::string bytes = test::read_file(converted());
  const std::string truncated = test::write_file(dir, "truncated.mfd", bytes.substr(0, bytes.size() / 2));
  std::string flipped_bytes = bytes;
  flipped_bytes[bytes.size() / 3] ^= 4;
  const std::string flipped = test::write_file(dir, "flipped.mfd", flipped_bytes);
  const std::string future = test::write_file(dir, "future.mfd", bytes.substr(0, 8) + std::string("\x07\0\0\0", 4) + bytes.substr(12));
  for (const auto& [file, why] : {std::pair{truncated, "truncated"}, {flipped, "checksum mismatch"}, {future, "version 7"}}) {
    auto r = test::run_cli("train --epochs 1 --data_path " + file + " --output " + dir + "/out");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "mfrec: error: " + file + ": ")) << r.out;
    EXPECT_TRUE(contains(r.out, why)) << r.out;
    EXPECT_EQ(test::run_cli("info --data_path " + file).exit_code, 1);
  }
  EXPECT_FALSE(fs::exists(dir + "/out/model.mfrec"));
  // convert: a missing source, an unwritable target (nothing left behind).
  EXPECT_EQ(test::run_cli("convert --data_path " + dir + "/nowhere --out " + dir + "/x.mfd").exit_code, 1);
  auto r = test::run_cli("convert --data_path " + test::small_synthetic() + " --out " + dir + "/no/folder/x.mfd");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_FALSE(fs::exists(dir + "/no"));
  EXPECT_EQ(test::run_cli("convert --data_path " + test::small_synthetic()).exit_code, 2);  // no --out
}

}  // namespace
}  // namespace mfrec
