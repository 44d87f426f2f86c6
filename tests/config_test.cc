// `--config FILE`: values are type-checked against the options they name, nesting is bounded, and
// a file that is not a regular JSON file is refused with its name, never a crash or a hang.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"

namespace mfrec {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Runs `train --config FILE` plus `rest` in a scratch folder (a check that let the file through
// trains one quick epoch there), expecting exit 2 and `words` in the message.
void expect_usage_error(const std::string& file, const std::string& words, const std::string& rest = "") {
  const auto r = test::run_cli("train --config " + file + " " + rest + " --epochs 1 --data_path " + test::small_synthetic(),
                               test::scratch_dir("config-run"));
  EXPECT_EQ(r.exit_code, 2) << file << ": " << r.out;
  EXPECT_TRUE(contains(r.out, "mfrec: error: --config " + file)) << r.out;
  EXPECT_TRUE(contains(r.out, words)) << r.out;
}

TEST(Config, DeepNestingIsRefusedNotAStackOverflow) {
  const std::string dir = test::scratch_dir("config-deep");
  const std::string arrays = test::write_file(dir, "arrays.json", "{\"dim\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  expect_usage_error(arrays, "nested deeper than 64 levels");
  std::string objects;
  for (int k = 0; k < 100000; ++k) objects += "{\"a\":";
  objects += "1" + std::string(100000, '}');
  expect_usage_error(test::write_file(dir, "objects.json", objects), "nested deeper than 64 levels");
}

TEST(Config, ValuesMustHaveTheTypeOfTheirOption) {
  const std::string dir = test::scratch_dir("config-types");
  const std::string out = dir + "/out";
  // A boolean for an option that takes a value used to swallow the next word of the command line.
  expect_usage_error(test::write_file(dir, "output.json", R"({"output": true})"),
                     "\"output\" expects a string, not true", "--quiet");
  expect_usage_error(test::write_file(dir, "dim.json", R"({"dim": true})"), "\"dim\" expects an integer, not true");
  expect_usage_error(test::write_file(dir, "dim2.json", R"({"dim": 3.5})"), "\"dim\" expects an integer, not 3.5");
  expect_usage_error(test::write_file(dir, "lr.json", R"({"lr": "fast"})"), "\"lr\" expects a number, not a string");
  expect_usage_error(test::write_file(dir, "opt.json", R"({"optimizer": [1]})"), "\"optimizer\" expects a string, not an array");
  expect_usage_error(test::write_file(dir, "null.json", R"({"reg": null})"), "\"reg\" expects a number, not null");
  expect_usage_error(test::write_file(dir, "flag.json", R"({"quiet": "yes"})"), "\"quiet\" is a flag: expected true or false");
  expect_usage_error(test::write_file(dir, "unknown.json", R"({"dimension": 3})"), "\"dimension\" is not an option of `train`");
  // Well-typed values still work, flags included; false leaves a flag off.
  const std::string good = test::write_file(dir, "good.json", R"({"dim": 4, "epochs": 1, "lr": 0.002, "quiet": true,
      "resume": false, "output": ")" + out + R"(", "_note": "x"})");
  const auto r = test::run_cli("train --config " + good + " --data_path " + test::small_synthetic());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/model.mfrec"));
}

TEST(Config, AFileThatIsNotARegularFileIsRefused) {
  const std::string dir = test::scratch_dir("config-files");
  expect_usage_error(dir, "is a folder, not a JSON file");
  expect_usage_error(dir + "/missing.json", "no such file");
  const std::string fifo = dir + "/fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_usage_error(fifo, "not a regular file");  // used to block forever
  const std::string loop = dir + "/loop.json";
  std::filesystem::create_symlink(loop, loop);
  expect_usage_error(loop, "cannot read: Too many levels of symbolic links");
  expect_usage_error(test::write_file(dir, "cut.json", "{\"dim\": "), "not valid JSON: it ends too early");
  expect_usage_error(test::write_file(dir, "junk.json", "{\"dim\": 4} x"), "not valid JSON at byte 12");
}

}  // namespace
}  // namespace mfrec
