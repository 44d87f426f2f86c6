// The binary data format (.mfd): text -> .mfd -> the same Dataset (ratings in order, ids,
// timestamps, catalog, fingerprint), found by its magic number under any name, through every path
// that reads data (load_dataset, split `files`, --min_rating).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/binary_format.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace mfrec {
namespace {

void expect_same(const Dataset& text, const Dataset& bin) {
  test::expect_same_data(bin, text);
  EXPECT_EQ(bin.catalog.titles, text.catalog.titles);
  EXPECT_EQ(bin.catalog.genres, text.catalog.genres);
  EXPECT_EQ(bin.fingerprint, text.fingerprint);
  EXPECT_EQ(data_fingerprint(bin.ratings, bin.users, bin.items), text.fingerprint);
  EXPECT_EQ(bin.rating_min, text.rating_min);
  EXPECT_EQ(bin.rating_max, text.rating_max);
  EXPECT_EQ(bin.report.bytes, text.report.bytes);
  EXPECT_EQ(bin.source.items_file.empty(), text.source.items_file.empty());
  // The id maps answer as the text's do.
  for (uint32_t k = 0; k < text.users.size(); k += 7) EXPECT_EQ(bin.users.find(text.users.external(k)), k);
  for (uint32_t k = 0; k < text.items.size(); k += 7) EXPECT_EQ(bin.items.find(text.items.external(k)), k);
}

// Converts `path` (read with `o`) into dir/name and returns both data sets.
std::pair<Dataset, Dataset> round_trip(ReadOptions o, const std::string& name = "data.mfd") {
  const Dataset text = load_dataset(o);
  const std::string out = test::scratch_dir("binary-" + fs::path(name).stem().string()) + "/" + name;
  write_binary_dataset(text, out);
  Dataset bin = load_dataset({.path = out});
  EXPECT_EQ(bin.source.ratings_file, out);
  EXPECT_EQ(bin.source.layout.name, "mfd");
  return {text, std::move(bin)};
}

TEST(BinaryData, GeneratedMl1mRoundTrips) {
  auto [text, bin] = round_trip({.path = test::small_synthetic()});
  ASSERT_TRUE(text.ratings.has_time());
  ASSERT_FALSE(text.source.items_file.empty());
  ASSERT_FALSE(text.catalog.titles[0].empty());
  expect_same(text, bin);
  EXPECT_EQ(bin.source.items_file, bin.source.ratings_file);  // the catalog comes from the file itself
}

TEST(BinaryData, StringIdsDuplicatesNoTimestampsNoCatalog) {
  const std::string dir = test::scratch_dir("binary-strings");
  const std::string csv = test::write_file(dir, "r.csv", "alice,film a,3.5\nbob,film b,4\nalice,film b,2\n"
                                                         "alice,film a,5\n007,x\ty,1\ncarol,\xff\xfe,0.5\n");
  auto [text, bin] = round_trip({.path = csv});
  ASSERT_FALSE(text.ratings.has_time());
  EXPECT_EQ(text.report.duplicates, 1u);
  EXPECT_TRUE(bin.source.items_file.empty());
  EXPECT_FALSE(bin.ratings.has_time());
  expect_same(text, bin);
  EXPECT_EQ(bin.items.external(bin.ratings.item[4]), "\xff\xfe");
}

TEST(BinaryData, ItsOwnDataSetRoundTripsAgain) {
  auto [text, bin] = round_trip({.path = test::small_synthetic()});
  const std::string again = test::scratch_dir("binary-again") + "/again.mfd";
  write_binary_dataset(bin, again);
  expect_same(text, load_dataset({.path = again}));
  EXPECT_EQ(test::read_file(again), test::read_file(bin.source.ratings_file));  // the same bytes
}

TEST(BinaryData, RealMl100kRoundTrips) {
  MFREC_REQUIRE_DATA(dir, "ml-100k");
  auto [text, bin] = round_trip({.path = dir});
  EXPECT_EQ(text.ratings.size(), 100000u);
  expect_same(text, bin);
  EXPECT_EQ(bin.items.find("1").has_value(), true);
  EXPECT_EQ(bin.catalog.titles[*bin.items.find("1")], "Toy Story (1995)");
}

TEST(BinaryData, FoundByItsMagicNumberUnderAnyName) {
  auto [text, bin] = round_trip({.path = test::small_synthetic()}, "ratings.csv");
  expect_same(text, bin);
  const std::string dir = test::scratch_dir("binary-names");
  fs::copy_file(bin.source.ratings_file, dir + "/data.zip");
  expect_same(text, load_dataset({.path = dir + "/data.zip"}));
  // Text options do not apply to it.
  expect_same(text, load_dataset({.path = dir + "/data.zip", .format = "user,item", .sep = "tab", .header = true}));
  // A .mfd that is not one is named as such.
  const std::string fake = test::write_file(dir, "fake.mfd", "1,2,3\n");
  try {
    load_dataset({.path = fake});
    FAIL() << "a text file named .mfd loaded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(fake), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("wrong magic number"), std::string::npos) << e.what();
  }
}

TEST(BinaryData, MinRatingAndDeclaredRangeAsForText) {
  const std::string data = test::small_synthetic();
  auto [text, bin] = round_trip({.path = data});
  const std::string mfd = bin.source.ratings_file;
  const Dataset text4 = load_dataset({.path = data, .min_rating = 4});
  const Dataset bin4 = load_dataset({.path = mfd, .min_rating = 4});
  ASSERT_LT(text4.ratings.size(), text.ratings.size());
  expect_same(text4, bin4);
  // A converted subset is the subset.
  const std::string sub = test::scratch_dir("binary-min") + "/sub.mfd";
  write_binary_dataset(text4, sub);
  expect_same(text4, load_dataset({.path = sub}));
  expect_same(text4, load_dataset({.path = sub, .min_rating = 4}));
  // A declared range the ratings leave is an error, as in text.
  try {
    load_dataset({.path = mfd, .rating_max = 4});
    FAIL() << "ratings above --rating_max loaded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("outside the declared range"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(load_dataset({.path = mfd, .rating_min = 1, .rating_max = 5}));
}

TEST(BinaryData, FilesSplitOfBinaryFilesIsTheTextsSplit) {
  const std::string dir = test::scratch_dir("binary-files");
  test::write_file(dir, "train.csv", "1,10,4,100\n2,10,3,101\n2,20,5,102\nu3,30,1,103\n");
  test::write_file(dir, "test.csv", "2,30,2,200\nu4,10,4,201\n1,40,3,202\n");
  for (const char* part : {"train", "test"})
    write_binary_dataset(load_dataset({.path = dir + "/" + part + ".csv"}), dir + "/" + part + ".mfd");
  SplitOptions o;
  o.kind = SplitKind::files;
  o.val_ratio = 0;
  const SplitData text = load_split({.path = dir + "/train.csv"}, o, "train.csv", "test.csv");
  for (const auto& [train, test] : {std::pair{"train.mfd", "test.mfd"}, {"train.csv", "test.mfd"}, {"train.mfd", "test.csv"}}) {
    const SplitData bin = load_split({.path = dir + "/train.csv"}, o, train, test);
    EXPECT_EQ(bin.data.users.names(), text.data.users.names()) << train << " " << test;
    EXPECT_EQ(bin.data.items.names(), text.data.items.names());
    EXPECT_EQ(bin.split.train.user, text.split.train.user);
    EXPECT_EQ(bin.split.test.item, text.split.test.item);
    EXPECT_EQ(bin.split.test.value, text.split.test.value);
    EXPECT_EQ(bin.data.fingerprint, text.data.fingerprint);
  }
}

TEST(BinaryData, TheLayoutPutsEverySectionAtAnAlignedPlace) {
  auto [text, bin] = round_trip({.path = test::small_synthetic()});
  const std::string bytes = test::read_file(bin.source.ratings_file);
  binary::Header h;
  ASSERT_GE(bytes.size(), sizeof h);
  std::memcpy(&h, bytes.data(), sizeof h);
  EXPECT_EQ(h.version, binary::kVersion);
  EXPECT_EQ(h.file_size, bytes.size());
  EXPECT_EQ(h.n_ratings, text.ratings.size());
  EXPECT_EQ(h.flags, binary::kHasTime | binary::kHasCatalog);
  for (const auto& s : h.sections) EXPECT_EQ(s.offset % binary::kAlign, 0u);
  // The columns are the arrays as they are in memory.
  EXPECT_EQ(std::memcmp(bytes.data() + h.sections[binary::kItem].offset, text.ratings.item.data(), text.ratings.size() * 4), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + h.sections[binary::kTime].offset, text.ratings.time.data(), text.ratings.size() * 8), 0);
  EXPECT_EQ(bytes.size() % binary::kAlign, 0u);
}

TEST(BinaryData, WritingIntoAMissingFolderLeavesNothing) {
  const Dataset d = load_dataset({.path = test::small_synthetic()});
  const std::string dir = test::scratch_dir("binary-nowhere");
  EXPECT_THROW(write_binary_dataset(d, dir + "/no/such/folder/data.mfd"), DataError);
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace mfrec
