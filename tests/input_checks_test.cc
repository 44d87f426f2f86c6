// Settings and inputs that used to be accepted without a word, or refused with an unclear message:
// each is now refused with a message naming the option or the file and what was wrong.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"

namespace mfrec {
namespace {

namespace fs = std::filesystem;

// Runs the command in a scratch folder, expecting `code` and `words` after "mfrec: error: ".
void expect_error(const std::string& args, int code, const std::string& words) {
  const auto r = test::run_cli(args, test::scratch_dir("checks-run"));
  EXPECT_EQ(r.exit_code, code) << args << "\n" << r.out;
  EXPECT_NE(r.out.find("mfrec: error: "), std::string::npos) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(words), std::string::npos) << args << "\n" << r.out;
}

std::string five_ratings() {
  static const std::string f = test::write_file(test::scratch_dir("checks"), "five.csv", "1,1,5\n1,2,4\n2,1,3\n2,2,2\n3,1,1\n");
  return f;
}

TEST(InputChecks, KfoldSettingsMustFitTheData) {
  expect_error("train --data_path " + five_ratings() + " --split kfold --folds 1000 --epochs 1 --output o", 2,
               "--folds 1000 is more than the 5 ratings: at most 5 folds");
  expect_error("train --data_path " + five_ratings() + " --split kfold --fold -1 --epochs 1 --output o", 2,
               "--fold: a fold is an integer from 1 to --folds, not '-1'");
}

TEST(InputChecks, OptionValuesThatUsedToPassSilently) {
  const std::string data = " --data_path " + five_ratings() + " --split random --epochs 1 --output o";
  for (const char* seed : {"-1", "1e23", "18446744073709551616", "0x10"})
    expect_error("train --seed " + std::string(seed) + data, 2, "a seed is an integer from 0 to 18446744073709551615");
  expect_error("train --rating_min nan" + data, 2, "--rating_min: expected a finite number, not 'nan'");
  expect_error("train --rating_max inf" + data, 2, "--rating_max: expected a finite number");
  expect_error("synth --out s --noise nan", 2, "--noise: expected a finite number, not 'nan'");
  expect_error("tune --max_dim 1 --trials 1 --data_path " + test::small_synthetic() + " --output t", 2,
               "--max_dim 1 is below the smallest dim tune tries (8)");
  expect_error("train --output ''" + std::string(" --data_path ") + five_ratings(), 2, "--output: must not be empty");
  expect_error("eval --model m --data_path d --seed -3", 2, "a seed is an integer");
  // The largest seed is still a seed.
  const auto ok = test::run_cli("train --seed 18446744073709551615" + data, test::scratch_dir("checks-seed"));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST(InputChecks, FilesThatAreNotRegularFilesAreNamed) {
  const std::string dir = test::scratch_dir("checks-files");
  for (const char* d : {"fifo", "zero", "folder", "movies"}) fs::create_directory(dir + "/" + d);
  ASSERT_EQ(::mkfifo((dir + "/fifo/ratings.dat").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", dir + "/zero/ratings.dat");
  fs::create_directory(dir + "/folder/ratings.dat");
  test::write_file(dir + "/movies", "ratings.dat", "1::1::5::1\n2::1::4::2\n");
  ASSERT_EQ(::mkfifo((dir + "/movies/movies.dat").c_str(), 0600), 0);
  fs::create_symlink(dir + "/loop", dir + "/loop");
  expect_error("train --data_path " + dir + "/fifo --output o", 1, dir + "/fifo/ratings.dat: not a regular file (a FIFO or a device?)");
  expect_error("train --data_path " + dir + "/zero --output o", 1, dir + "/zero/ratings.dat: not a regular file");
  expect_error("train --data_path " + dir + "/folder --output o", 1, dir + "/folder/ratings.dat: is a folder, not a file");
  expect_error("train --data_path " + dir + "/movies --output o", 1, dir + "/movies/movies.dat: not a regular file");
  expect_error("train --data_path " + dir + "/loop --output o", 1, dir + "/loop: cannot read: Too many levels of symbolic links");
}

TEST(InputChecks, BinaryDataAndOddLineEndsAreNamed) {
  const std::string dir = test::scratch_dir("checks-binary");
  // A .gz file is read decompressed (a broken one is named); gzip data under a plain name is named as such.
  test::write_file(dir, "ratings.csv.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) + "\x03xyz,,,");
  test::write_file(dir, "gz.csv", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) + "\x03xyz,,,");
  std::string noise;
  for (int k = 0; k < 3000; ++k) noise += char((k * 7919 + 13) % 256);
  test::write_file(dir, "noise.bin", noise);
  test::write_file(dir, "zip.csv", std::string("PK\x03\x04", 4) + "rest,of,it");
  std::string cr;
  for (int k = 0; k < 50; ++k) cr += std::to_string(k) + ",1,4\r";
  test::write_file(dir, "cr.csv", cr);
  test::write_file(dir, "tiny.csv", "1,1,5\n1,2,1e-320\n");
  expect_error("train --data_path " + dir + "/ratings.csv.gz --output o", 1, "ratings.csv.gz: cannot open: gzip decompression failed");
  expect_error("train --data_path " + dir + "/gz.csv --output o", 1, "gz.csv: gzip-compressed data, not a ratings file");
  expect_error("train --data_path " + dir + "/noise.bin --output o", 1, "noise.bin: binary data, not a ratings file");
  expect_error("train --data_path " + dir + "/zip.csv --output o", 1, "a zip archive, not a ratings file");
  expect_error("train --data_path " + dir + "/cr.csv --output o", 1, "its lines end in CR alone");
  expect_error("train --data_path " + dir + "/tiny.csv --output o", 1, "tiny.csv:2: the rating \"1e-320\" is out of the range of a float");
}

}  // namespace
}  // namespace mfrec
