// Compressed input: a zip laid out as GroupLens ships ml-1m.zip (ml-1m/ratings.dat, movies.dat,
// users.dat) and .gz files, made here with libarchive and read as the plain files are.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace mfrec {
namespace {

// Writes `files` (name -> contents) as a zip archive, or one of them as gzip when `gzip`.
void write_archive(const std::string& path, const std::vector<std::pair<std::string, std::string>>& files, bool gzip = false) {
  archive* a = archive_write_new();
  if (gzip) {
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
  } else {
    archive_write_set_format_zip(a);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& [name, text] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, la_int64_t(text.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    ASSERT_EQ(archive_write_data(a, text.data(), text.size()), la_ssize_t(text.size()));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

struct Plain {
  std::string dir, ratings, movies, users;
};
const Plain& plain() {
  static const Plain p = [] {
    Plain x;
    x.dir = test::small_synthetic();
    x.ratings = test::read_file(x.dir + "/ratings.dat");
    x.movies = test::read_file(x.dir + "/movies.dat");
    x.users = test::read_file(x.dir + "/users.dat");
    return x;
  }();
  return p;
}

void expect_same(const Dataset& a, const Dataset& b) {
  test::expect_same_data(a, b);
  EXPECT_EQ(a.catalog.titles, b.catalog.titles);
  EXPECT_EQ(a.catalog.genres, b.catalog.genres);
}

TEST(Compressed, AZipAsGroupLensShipsIt) {
  const Plain& p = plain();
  const std::string dir = test::scratch_dir("zip");
  const std::string zip = dir + "/ml-1m.zip";
  write_archive(zip, {{"ml-1m/movies.dat", p.movies}, {"ml-1m/ratings.dat", p.ratings}, {"ml-1m/users.dat", p.users}});
  const Dataset z = load_dataset({.path = zip});
  EXPECT_EQ(z.source.ratings_file, zip + "/ml-1m/ratings.dat");
  EXPECT_EQ(z.source.items_file, zip + "/ml-1m/movies.dat");
  EXPECT_EQ(z.source.layout.name, "ml-1m");
  expect_same(z, load_dataset({.path = p.dir}));

  // The program trains from it, and a bad line inside names the member and the line.
  auto r = test::run_cli("train --data_path " + zip + " --epochs 1 --output " + dir + "/o --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("data: " + zip + "/ml-1m/ratings.dat (ml-1m)"), std::string::npos) << r.out;
  write_archive(dir + "/bad.zip", {{"ml-1m/ratings.dat", "1::2::3::4\n1::3::x::5\n"}});
  r = test::run_cli("train --data_path " + dir + "/bad.zip --output " + dir + "/o2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("mfrec: error: " + dir + "/bad.zip/ml-1m/ratings.dat:2: the rating \"x\" is not a number"), std::string::npos) << r.out;
  write_archive(dir + "/other.zip", {{"a/readme.txt", "hello\n"}, {"a/b.txt", "x\n"}});
  r = test::run_cli("train --data_path " + dir + "/other.zip --output " + dir + "/o3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("no ratings.dat"), std::string::npos) << r.out;
}

TEST(Compressed, GzFilesReadAsTheirPlainSelves) {
  const Plain& p = plain();
  const std::string dir = test::scratch_dir("gz");
  write_archive(dir + "/ratings.dat.gz", {{"ratings.dat", p.ratings}}, true);
  write_archive(dir + "/movies.dat.gz", {{"movies.dat", p.movies}}, true);
  const Dataset g = load_dataset({.path = dir + "/ratings.dat.gz"});
  EXPECT_EQ(g.source.layout.name, "ml-1m");
  EXPECT_EQ(g.source.items_file, dir + "/movies.dat.gz");
  expect_same(g, load_dataset({.path = p.dir}));

  // Any delimited file: its columns sniffed from the decompressed text (a header, commas).
  std::string csv = "user,item,rating,timestamp\n";
  for (int k = 0; k < 2000; ++k) csv += std::to_string(k % 37) + "," + std::to_string(k % 53) + "," + std::to_string(1 + k % 5) + ",100\n";
  write_archive(dir + "/r.csv.gz", {{"r.csv", csv}}, true);
  const std::string plain_csv = test::write_file(dir, "r.csv", csv);
  const Dataset c = load_dataset({.path = dir + "/r.csv.gz"});
  EXPECT_TRUE(c.source.layout.header);
  expect_same(c, load_dataset({.path = plain_csv}));

  // A truncated .gz is an error naming the file, not a crash or a silent short read.
  const std::string whole = test::read_file(dir + "/ratings.dat.gz");
  test::write_file(dir, "cut.dat.gz", whole.substr(0, whole.size() / 2));
  const auto r = test::run_cli("train --data_path " + dir + "/cut.dat.gz --format user,item,rating,timestamp --sep :: --output " + dir + "/o");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.rfind("mfrec: error: " + dir + "/cut.dat.gz", 0), 0u) << r.out;
}

// Compressed input is read, but what it holds must still be text: binary data inside a .gz or a
// zip is named as such, not reported as "a line with N fields".
TEST(Compressed, BinaryDataInsideIsNamed) {
  const std::string dir = test::scratch_dir("gz-binary");
  std::string noise;
  for (int k = 0; k < 3000; ++k) noise += char((k * 7919 + 13) % 256);
  write_archive(dir + "/noise.csv.gz", {{"noise.csv", noise}}, true);
  write_archive(dir + "/noise.zip", {{"noise.bin", noise}});
  for (const std::string& f : {dir + "/noise.csv.gz", dir + "/noise.zip"}) {
    const auto r = test::run_cli("train --data_path " + f + " --output " + dir + "/o");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("binary data, not a ratings file"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace mfrec
