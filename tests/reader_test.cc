// The ratings readers: every layout, and every kind of bad input the README promises to catch.
#include <gtest/gtest.h>

#include <cmath>

#include "common/random.h"
#include "test_util.h"

namespace mfrec {
namespace {

Layout layout_of(const std::string& file_name, const std::string& text, ReadOptions o = {}) {
  o.path = test::write_file(test::scratch_dir("layout"), file_name, text);
  return detect_source(o).layout;
}

Ratings parse(const std::string& text, const Layout& layout, IdMap& users, IdMap& items, ReadReport* rep = nullptr) {
  return parse_ratings(text, "t.dat", layout, users, items, rep);
}

// Expects a DataError whose message contains each of `parts`.
void expect_error(const std::string& text, const Layout& layout, std::initializer_list<std::string> parts) {
  IdMap users, items;
  try {
    parse(text, layout, users, items);
    FAIL() << "no error for: " << text;
  } catch (const DataError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

const Layout kMl1m = layout_of("ratings.dat", "1::2::3::4\n");

TEST(Reader, ParsesMl1mLines) {
  IdMap users, items;
  Ratings r = parse("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978300000\n", kMl1m, users, items);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(items.size(), 2u);
  EXPECT_EQ(items.external(r.item[1]), "661");
  EXPECT_EQ(r.item[0], r.item[2]);
  EXPECT_FLOAT_EQ(r.value[0], 5.0f);
  EXPECT_EQ(r.time[1], 978302109);
  EXPECT_EQ(kMl1m.name, "ml-1m");
}

TEST(Reader, DetectsEachLayout) {
  EXPECT_EQ(layout_of("u.data", "1\t2\t3\t4\n").name, "ml-100k");
  EXPECT_EQ(layout_of("u1.base", "1\t2\t3\t4\n").name, "ml-100k");
  const Layout csv = layout_of("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3.5,4\n");
  EXPECT_EQ(csv.name, "movielens-csv");
  EXPECT_TRUE(csv.header);
  const Layout any = layout_of("mine.txt", "user;item;score\nalice;book-1;4.5\n");
  EXPECT_EQ(any.name, "delimited");
  EXPECT_EQ(any.sep, ";");
  EXPECT_TRUE(any.header);
  EXPECT_EQ(any.columns.size(), 3u);
  EXPECT_FALSE(layout_of("mine.tsv", "7\t8\t1\n").header);
}

TEST(Reader, HalfStarsStringIdsAndHeader) {
  IdMap users, items;
  Layout csv = layout_of("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3.5,4\n");
  Ratings r = parse("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\nalice,tt0114709,0.5,1\n", csv, users, items);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FLOAT_EQ(r.value[0], 2.5f);
  EXPECT_FLOAT_EQ(r.value[1], 0.5f);
  EXPECT_EQ(users.external(r.user[1]), "alice");
  EXPECT_EQ(items.external(r.item[1]), "tt0114709");
  // Integers too large for the fast path are ids like any other.
  Ratings big = parse("99999999999::1::3::0\n99999999999::2::4::0\n", kMl1m, users, items);
  EXPECT_EQ(big.user[0], big.user[1]);
  EXPECT_EQ(users.external(big.user[0]), "99999999999");
}

TEST(Reader, FormatNamesColumnsAndSeparator) {
  ReadOptions o;
  o.format = "item,skip,user,rating";
  o.sep = "|";
  const Layout l = layout_of("x.psv", "10|junk|u1|4\n", o);
  IdMap users, items;
  Ratings r = parse("10|junk|u1|4\n11|junk|u2|2\n", l, users, items);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(users.external(r.user[0]), "u1");
  EXPECT_EQ(items.external(r.item[1]), "11");
  EXPECT_FALSE(r.has_time());
  ReadOptions bad;
  bad.format = "user,user,item";  // (user,item alone is an interactions file: see InteractionsWithoutRatings)
  EXPECT_THROW(layout_of("x.csv", "1,2,3\n", bad), UsageError);
  bad.format = "user,item,stars";
  EXPECT_THROW(layout_of("x.csv", "1,2,3\n", bad), UsageError);
}

// Interactions without a rating (user,item[,count][,timestamp]): each one has the value 1, or its count.
TEST(Reader, InteractionsWithoutRatings) {
  IdMap users, items;
  Ratings r = parse_ratings("u1,i1\nu1,i2\nu2,i1\n", "clicks.csv", layout_of("clicks.csv", "u1,i1\n", {}), users, items);
  ASSERT_EQ(r.size(), 3u);
  for (float v : r.value) EXPECT_EQ(v, 1.0f);
  ReadOptions counts;
  counts.format = "user,item,count,timestamp";
  IdMap u2, i2;
  r = parse_ratings("a,x,3,100\nb,x,1,200\n", "plays.csv", layout_of("plays.csv", "a,x,3,100\n", counts), u2, i2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.value[0], 3.0f);
  EXPECT_EQ(r.time[1], 200);
}

// --min_rating keeps the ratings at or above it, in file order, and says so when none is left.
TEST(Reader, KeepAtLeast) {
  Ratings r;
  r.push(0, 0, 5), r.push(0, 1, 2), r.push(1, 0, 4);
  const Ratings kept = keep_at_least(r, 4, "x.csv");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.item[1], 0u);
  EXPECT_EQ(kept.user[1], 1u);
  EXPECT_THROW(keep_at_least(r, 6, "x.csv"), DataError);
}

TEST(Reader, AcceptsCrlfBomAndBlankLines) {
  IdMap users, items;
  Ratings r = parse("\xEF\xBB\xBF" "1::2::3::4\r\n2::2::5::6\r\n\r\n\n  \n", kMl1m, users, items);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(users.external(0), "1");
  EXPECT_FLOAT_EQ(r.value[1], 5.0f);
  EXPECT_EQ(r.time[1], 6);
}

TEST(Reader, DuplicatesKeepTheLastAndAreCounted) {
  IdMap users, items;
  ReadReport rep;
  Ratings r = parse("1::2::3::10\n1::3::4::11\n1::2::5::12\n2::2::1::13\n", kMl1m, users, items, &rep);
  EXPECT_EQ(rep.duplicates, 1u);
  EXPECT_EQ(rep.lines, 4u);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FLOAT_EQ(r.value[0], 4.0f);  // file order kept: (1,3), then the last (1,2), then (2,2)
  EXPECT_FLOAT_EQ(r.value[1], 5.0f);
  EXPECT_EQ(r.time[1], 12);
}

TEST(Reader, ErrorsNameTheLineAndTheProblem) {
  expect_error("1::2::3::4\n1::2\n", kMl1m, {"t.dat:2:", "expected 4 fields", "found 2", "too few"});
  expect_error("1::2::3::4::5\n", kMl1m, {"t.dat:1:", "too many"});
  expect_error("1::2::3::4\n1::3::x::4\n", kMl1m, {"t.dat:2:", "\"x\" is not a number"});
  expect_error("1::2::nan::4\n", kMl1m, {"t.dat:1:", "not a finite number"});
  expect_error("1::2::3::4\n1::3::inf::4\n", kMl1m, {"t.dat:2:", "not a finite number"});
  expect_error("1::2::3::4\n1::3::7::4\n", kMl1m, {"t.dat:2:", "outside the declared range [0.5, 5]"});
  expect_error("1::2::0::4\n", kMl1m, {"outside the declared range"});
  const Layout tab = layout_of("u.data", "1\t2\t3\t4\n");
  expect_error("1::2::3::4\n", tab, {"expected 4 fields separated by tab"});
  expect_error("1\t2\t3\t4\n1\t3\tx\t4\n", tab, {"t.dat:2:", "\"x\" is not a number"});
  expect_error("1\t2\t3\t4\n1\t3\t\x01\x02\t4\n", tab, {"t.dat:2:", "binary data"});
  expect_error("UserID::MovieID::Rating::Timestamp\n1::2::3::4\n", kMl1m, {"t.dat:1:", "header"});
  expect_error("1::2::3::4\n1::3::4::yesterday\n", kMl1m, {"t.dat:2:", "timestamp"});
  expect_error("", kMl1m, {"no ratings"});
  expect_error("\n\n  \n", kMl1m, {"no ratings"});
  expect_error(std::string("1::2::3::4\n\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\xff\xfe\n", 24), kMl1m, {"t.dat:2:", "binary data"});
  expect_error(std::string("1::\x01\x02::3::4\n"), kMl1m, {"binary data"});
  expect_error("::2::3::4\n", kMl1m, {"empty user id"});
}

TEST(Reader, RandomBytesNeverCrash) {
  Random rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::string text(size_t(rng.below(300)), '\0');
    for (auto& c : text) c = char(rng.below(256));
    if (trial % 3 == 0) text = "1::2::3::4\n" + text;
    IdMap users, items;
    try {
      parse(text, kMl1m, users, items);
    } catch (const DataError&) {
    }
  }
}

TEST(Reader, PathErrors) {
  const std::string dir = test::scratch_dir("paths");
  EXPECT_THROW(detect_source({.path = dir + "/missing"}), DataError);
  test::write_file(dir, "notes.txt", "hello\n");
  try {
    detect_source({.path = dir});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("no known layout"), std::string::npos);
  }
  const std::string empty = test::write_file(dir, "empty.csv", "");
  EXPECT_THROW(load_dataset({.path = empty}), DataError);
  EXPECT_THROW(detect_source({.path = "/dev/zero"}), DataError);  // endless: must not hang
  // A file with no line end in the first block is no ratings file; it must not be read whole.
  const std::string one_line = test::write_file(dir, "ratings.dat", std::string(5 << 20, 'x'));
  try {
    load_dataset({.path = one_line});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("ratings.dat:1: a line longer than 4 MiB"), std::string::npos) << e.what();
  }
}

TEST(Reader, LoadsAFolderWithTitlesInUtf8) {
  const std::string dir = test::scratch_dir("folder");
  test::write_file(dir, "ratings.dat", "1::10::5::100\n2::20::3::200\n");
  test::write_file(dir, "movies.dat", "10::Am\xe9lie (2001)::Comedy|Romance\n20::Heat (1995)::Action\n30::Unrated::Drama\n");
  Dataset d = load_dataset({.path = dir});
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(d.catalog.titles[*d.items.find("10")], "Am\xc3\xa9lie (2001)");
  EXPECT_EQ(d.catalog.genres[*d.items.find("20")], "Action");
  EXPECT_FLOAT_EQ(d.rating_min, 3.0f);  // predictions are clipped to the range the data uses
  EXPECT_FLOAT_EQ(d.rating_max, 5.0f);
}

TEST(Reader, CsvCatalogWithQuotedTitles) {
  const std::string dir = test::scratch_dir("csvcat");
  test::write_file(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,11,4.0,5\n");
  test::write_file(dir, "movies.csv", "movieId,title,genres\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n");
  Dataset d = load_dataset({.path = dir});
  EXPECT_EQ(d.catalog.titles[0], "American President, The (1995)");
  EXPECT_EQ(d.catalog.genres[0], "Comedy|Drama|Romance");
}

}  // namespace
}  // namespace mfrec
