// Reading on several threads gives what one thread gives: the same ratings in the same order, the
// same ids in the same order, the same duplicates dropped and the same first error, with its line.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "common/random.h"
#include "data/reader.h"
#include "test_util.h"

namespace mfrec {
namespace {

// About `lines` ratings in the layout `sep` makes, with what real files hold now and then: blank
// lines, CRLF ends, padded fields, repeated pairs, ISO dates and unusual numbers (these go through
// the parser's slow path), and ids that first appear deep in the file.
std::string text_of(const std::string& sep, size_t lines, bool string_ids, uint64_t seed = 7) {
  Random rng(seed);
  std::string s;
  for (size_t k = 0; k < lines; ++k) {
    const uint64_t u = rng.below(k < lines / 2 ? 500 : 900), i = rng.below(k < lines / 3 ? 300 : 700);
    const std::string user = string_ids ? fmt::format("user-{}", u) : std::to_string(u + 1);
    const std::string item = string_ids ? fmt::format("item {}", i) : std::to_string(i + 1);
    std::string rating = std::to_string(1 + rng.below(5)), time = std::to_string(978300000 + k);
    switch (rng.below(50)) {
      case 0: s += "\n"; break;
      case 1: rating = sep == " " ? "4.50" : " 4.50 "; break;
      case 2: time = "2001-01-01T10:00:00Z"; break;
      case 3: rating = "+3e0"; break;
      default: break;
    }
    s += user + sep + item + sep + rating + sep + time + (rng.below(20) == 0 ? "\r\n" : "\n");
  }
  return s;
}

Dataset parse_on(int threads, const std::string& text, const Layout& layout) {
  Dataset d;
  d.ratings = parse_ratings_on(threads, text, "t.dat", layout, d.users, d.items, &d.report);
  return d;
}

Layout layout(const std::string& sep, bool header = false) {
  Layout l;
  l.name = "delimited";
  l.sep = sep;
  l.header = header;
  return l;
}

TEST(ParallelRead, EveryThreadCountGivesTheOneThreadResult) {
  for (const auto& [sep, string_ids] : std::vector<std::pair<std::string, bool>>{{"::", false}, {"\t", false}, {",", true}, {" ", false}}) {
    const std::string text = text_of(sep, 150000, string_ids && sep == ",");
    ASSERT_GT(text.size(), size_t(2) << 20);  // several pieces for every thread count below
    const Dataset one = parse_on(1, text, layout(sep));
    EXPECT_GT(one.report.duplicates, 0u);
    EXPECT_GT(one.users.size(), 500u);  // some users first appear in the second half
    for (int threads : {2, 3}) {
      SCOPED_TRACE(fmt::format("sep '{}', {} threads", sep, threads));
      test::expect_same_data(one, parse_on(threads, text, layout(sep)));
    }
  }
}

TEST(ParallelRead, HeaderAndByteOrderMarkStayWithTheFileStart) {
  const std::string text = "\xEF\xBB\xBF\n\nuser,item,rating,timestamp\r\n" + text_of(",", 100000, true);
  const Dataset one = parse_on(1, text, layout(",", true));
  test::expect_same_data(one, parse_on(2, text, layout(",", true)));
  EXPECT_EQ(one.users.external(0).rfind("user-", 0), 0u);
}

TEST(ParallelRead, TheFirstErrorIsReportedWithItsLine) {
  std::string text = text_of("::", 120000, false);
  auto line_start = [&](size_t line) {  // byte offset of 1-based `line`
    size_t at = 0;
    for (size_t k = 1; k < line; ++k) at = text.find('\n', at) + 1;
    return at;
  };
  text.insert(line_start(100001), "7::8::x::1\n");   // line 100001: in the last piece
  text.insert(line_start(60001), "7::8::9::1::5\n");  // line 60001: an earlier piece
  for (int threads : {1, 2, 3}) {
    try {
      parse_on(threads, text, layout("::"));
      ADD_FAILURE() << "no error on " << threads << " threads";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("t.dat:60001: expected 4 fields"), std::string::npos) << e.what();
    }
  }
}

TEST(ParallelRead, FilesOfManyBlocksReadTheSameOnAnyThreads) {
  const std::string text = text_of("\t", 500000, false, 11);
  ASSERT_GT(text.size(), size_t(9) << 20);  // three read blocks
  const std::string path = test::write_file(test::scratch_dir("parallel_read"), "u.data", text);
  Dataset one, two;
  one.ratings = read_ratings_on(1, path, layout("\t"), one.users, one.items, &one.report);
  two.ratings = read_ratings_on(2, path, layout("\t"), two.users, two.items, &two.report);
  test::expect_same_data(one, two);
  EXPECT_EQ(one.report.bytes, text.size());
}

}  // namespace
}  // namespace mfrec
