// Model files with a valid checksum around impossible contents (a forged or buggy writer): each is
// refused on load with a message naming the file, never a crash later in eval, recommend or serve.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "model/checkpoint_format.h"
#include "test_util.h"

namespace mfrec {
namespace {

const Model& good_model() {
  static const Model m = load_model(test::small_model());
  return m;
}

void expect_refused(const std::string& path, const std::string& words) {
  try {
    load_model(path);
    ADD_FAILURE() << "loaded a forged model: " << words;
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

std::string saved(const Model& m, const std::string& name) {
  const std::string path = test::scratch_dir("forged") + "/" + name;
  save_model(m, path);
  return path;
}

// The file's bytes with the JSON header replaced by `header` and the checksum made valid again.
std::string with_header(const std::string& header) {
  const std::string bytes = test::read_file(test::small_model());
  uint64_t hlen;
  std::memcpy(&hlen, bytes.data() + 12, 8);
  std::string out = bytes.substr(0, 12);
  const uint64_t n = header.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += header;
  out += bytes.substr(20 + hlen, bytes.size() - 8 - 20 - hlen);
  const uint64_t sum = checkpoint::checksum(out.data(), out.size());
  out.append(reinterpret_cast<const char*>(&sum), 8);
  return out;
}

nlohmann::json good_header() {
  const std::string bytes = test::read_file(test::small_model());
  uint64_t hlen;
  std::memcpy(&hlen, bytes.data() + 12, 8);
  return nlohmann::json::parse(bytes.substr(20, hlen));
}

TEST(ForgedCheckpoint, SeenItemsOutOfRangeAreRefused) {
  Model m = good_model();
  m.seen.offsets[1] = uint64_t(1) << 40;
  expect_refused(saved(m, "offset.mfrec"), "seen items");
  m = good_model();
  m.seen.items[0] = 0xFFFFFFFFu;
  expect_refused(saved(m, "item.mfrec"), "seen items: user 0 has item 4294967295");
  m = good_model();
  ASSERT_GE(m.seen.count(0), 2u);
  std::swap(m.seen.items[0], m.seen.items[1]);
  expect_refused(saved(m, "unsorted.mfrec"), "not sorted");
  m = good_model();
  m.seen.offsets[2] = m.seen.offsets[1] - 1;  // falls back
  expect_refused(saved(m, "falling.mfrec"), "seen items");
  m = good_model();
  m.seen.offsets.back() += 1;
  m.seen.items.push_back(0);
  m.seen.offsets[0] = 1;
  expect_refused(saved(m, "first.mfrec"), "first offset");
}

TEST(ForgedCheckpoint, HeaderValuesOutOfRangeOrOfTheWrongTypeAreRefused) {
  const std::string dir = test::scratch_dir("forged-header");
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* words;
  };
  const std::vector<Case> cases = {
      {"n_users", uint64_t(1) << 62, "'n_users' must be an integer from 0 to"},
      {"n_items", uint64_t(1) << 40, "'n_items' must be an integer"},
      {"n_users", -3, "'n_users' must be an integer"},
      {"dim", "32", "'dim' must be an integer from 1 to 65536"},
      {"dim", 0, "'dim' must be"},
      {"dim", 1u << 30, "'dim' must be"},
      {"kind", 5, "'kind' must be \"biased\" or \"plain\""},
      {"precision", true, "'precision' must be a string"},
      {"precision", "fp8", "unknown precision 'fp8'"},
      {"global_mean", "x", "'global_mean' must be a finite number"},
      {"rating_min", nullptr, "'rating_min' must be a finite number"},
      {"rating_min", 9, "rating_min is above rating_max"},
      {"meta", "text", "'meta' must be an object"},
      {"meta", {{"options", 3}}, "'meta.options' must be an object"},
      {"meta", {{"options", {{"reg", "high"}}}}, "'meta.options.reg' must be a number"},
      {"meta", {{"epochs_done", -1}}, "'meta.epochs_done' must be"},
      {"objective", 1, "'objective' must be \"rating\" or \"ranking\""},
      {"objective", "votes", "'objective' must be \"rating\" or \"ranking\""},
      {"fold_in", "ridge", "'fold_in' must be an object"},
      {"fold_in", {{"kind", 7}}, "'fold_in.kind' must be a string"},
      {"fold_in", {{"kind", "magic"}}, "fold_in: unknown fold-in prior 'magic'"},
      {"fold_in", {{"kind", "ridge"}, {"reg_per_rating", "high"}}, "'fold_in.reg_per_rating' must be a finite number"},
      {"fold_in", {{"kind", "implicit"}, {"confidence", 2}}, "'fold_in.confidence' must be a string"},
      {"fold_in", {{"kind", "implicit"}, {"confidence", "cubic"}}, "confidence must be binary, linear or log"},
  };
  for (const auto& c : cases) {
    nlohmann::json h = good_header();
    h[c.key] = c.value;
    const std::string path = test::write_file(dir, std::string(c.key) + ".mfrec", with_header(h.dump()));
    expect_refused(path, c.words);
  }
  nlohmann::json h = good_header();
  h.erase("dim");
  expect_refused(test::write_file(dir, "nodim.mfrec", with_header(h.dump())), "missing the field 'dim'");
  expect_refused(test::write_file(dir, "array.mfrec", with_header("[1,2]")), "not a JSON object");
  expect_refused(test::write_file(dir, "bad.mfrec", with_header("{\"dim\":")), "not valid JSON");
  expect_refused(test::write_file(dir, "deep.mfrec", with_header(std::string(100000, '[') + std::string(100000, ']'))),
                 "nested deeper than");
  // One user fewer than the tables hold: the tables no longer line up.
  h = good_header();
  h["n_users"] = h["n_users"].get<uint64_t>() - 1;
  expect_refused(test::write_file(dir, "fewer.mfrec", with_header(h.dump())), "inconsistent");
}

// Files written before the objective and the fold-in prior were saved load with the defaults: a
// rating model whose prior is derived from its options.
TEST(ForgedCheckpoint, HeadersWithoutObjectiveOrPriorAreOldFilesNotForgeries) {
  nlohmann::json h = good_header();
  ASSERT_TRUE(h.contains("objective") && h.contains("fold_in"));
  h.erase("objective");
  h.erase("fold_in");
  const std::string path = test::write_file(test::scratch_dir("forged-old"), "old.mfrec", with_header(h.dump()));
  const Model m = load_model(path);
  EXPECT_EQ(m.objective, Objective::rating);
  EXPECT_EQ(int(m.fold_in.kind), int(good_model().fold_in.kind));
  EXPECT_FLOAT_EQ(m.fold_in.reg_per_rating, good_model().fold_in.reg_per_rating);
}

TEST(ForgedCheckpoint, TrailingBytesAreRefused) {
  std::string bytes = test::read_file(test::small_model());
  bytes.resize(bytes.size() - 8);
  bytes += "extra";
  const uint64_t sum = checkpoint::checksum(bytes.data(), bytes.size());
  bytes.append(reinterpret_cast<const char*>(&sum), 8);
  expect_refused(test::write_file(test::scratch_dir("forged-tail"), "tail.mfrec", bytes), "after the last table");
}

TEST(ForgedCheckpoint, AHugeFileThatIsNotAModelFailsAtOnce) {
  // 2 GB of holes: the magic number is read first, the rest is never touched.
  const std::string path = test::scratch_dir("forged-huge") + "/huge.mfrec";
  { std::ofstream(path).put('x'); }
  std::filesystem::resize_file(path, uint64_t(2) << 30);
  const auto t0 = std::chrono::steady_clock::now();
  expect_refused(path, "bad magic number");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  std::filesystem::remove(path);
}

TEST(ForgedCheckpoint, AFifoIsRefusedWithoutWaiting) {
  const std::string path = test::scratch_dir("forged-fifo") + "/fifo.mfrec";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  expect_refused(path, "not a regular file");
}

TEST(ForgedCheckpoint, CommandsReportTheForgedFile) {
  Model m = good_model();
  m.seen.items[0] = 0xFFFFFFFFu;
  const std::string path = saved(m, "cli.mfrec");
  for (const std::string cmd : {"eval --model " + path + " --data_path " + test::small_synthetic(),
                                "recommend --all --model " + path + " --out " + test::scratch_dir("forged-out") + "/r.csv",
                                "recommend --model " + path + " --user " + m.users.external(0)}) {
    const auto r = test::run_cli(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("mfrec: error: " + path + ": model file is inconsistent"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace mfrec
