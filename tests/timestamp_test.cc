// The reader's timestamp column: Unix seconds, ISO 8601 dates and date-times; bad ones named with
// their file and line.
#include <gtest/gtest.h>

#include "data/timestamp.h"
#include "mfrec/split.h"
#include "test_util.h"

namespace mfrec {
namespace {

int64_t seconds(const std::string& text) {
  int64_t t = -1;
  std::string why;
  EXPECT_TRUE(parse_timestamp(text, t, why)) << text << ": " << why;
  return t;
}

TEST(Timestamp, UnixSecondsAndIsoDatesAndDateTimes) {
  EXPECT_EQ(seconds("978300760"), 978300760);
  EXPECT_EQ(seconds("-5"), -5);
  EXPECT_EQ(seconds("1970-01-01"), 0);
  EXPECT_EQ(seconds("2003-01-31"), 1043971200);
  EXPECT_EQ(seconds("2003-01-31T12:00:00Z"), 1043971200 + 43200);
  EXPECT_EQ(seconds("2003-01-31 12:00:00"), 1043971200 + 43200);
  EXPECT_EQ(seconds("2003-01-31T12:00"), 1043971200 + 43200);
  EXPECT_EQ(seconds("2003-01-31T12:00:00.250Z"), 1043971200 + 43200);
  EXPECT_EQ(seconds("2003-01-31T12:00:00+01:00"), 1043971200 + 39600);
  EXPECT_EQ(seconds("2003-01-31T12:00:00-0530"), 1043971200 + 43200 + 19800);
  EXPECT_EQ(seconds("2000-02-29"), 951782400);  // a leap day
  EXPECT_EQ(seconds("1969-12-31T23:59:59Z"), -1);
}

TEST(Timestamp, BadOnesSayWhy) {
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"yesterday", "not Unix seconds"}, {"2003-13-01", "month 13"}, {"2003-02-29", "day 29 does not exist in 2003-02"},
           {"2003-01-31T25:00", "25:00:00 does not exist"}, {"2003-01-31T12:00:00+99:00", "offset"},
           {"2003-01-31T12", "not Unix seconds"}, {"2003-1-31", "not Unix seconds"}, {"2003-01-31Tnoon", "not Unix seconds"},
           {"12.5", "not Unix seconds"}}) {
    int64_t t;
    std::string message;
    EXPECT_FALSE(parse_timestamp(text, t, message)) << text;
    EXPECT_NE(message.find(why), std::string::npos) << text << ": " << message;
  }
}

TEST(Timestamp, TheReaderTakesIsoTimestampsAndNamesBadOnes) {
  const std::string dir = test::scratch_dir("timestamps");
  test::write_file(dir, "r.tsv", "1\t10\t4\t2003-01-31\n1\t11\t5\t2003-01-31 12:00:00\n2\t10\t3\t2003-02-01T00:00:00+01:00\n3\t11\t2\t1043971200\n");
  const Dataset d = load_dataset({.path = dir + "/r.tsv"});
  ASSERT_EQ(d.ratings.size(), 4u);
  EXPECT_EQ(d.ratings.time, (std::vector<int64_t>{1043971200, 1043971200 + 43200, 1044054000, 1043971200}));
  test::write_file(dir, "bad.csv", "u,i,r,t\n1,10,4,2003-01-31\n1,11,5,2003-02-30\n");
  try {
    load_dataset({.path = dir + "/bad.csv"});
    FAIL() << "a bad date was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/bad.csv:3: the timestamp \"2003-02-30\" is wrong: day 30 does not exist"),
              std::string::npos) << e.what();
  }
  // Through the program: exit 1 and the file and line.
  const auto r = test::run_cli("train --data_path " + dir + "/bad.csv --output " + dir + "/o");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("mfrec: error: " + dir + "/bad.csv:3: the timestamp"), std::string::npos) << r.out;
}

// A split that does not use timestamps reads them without keeping them (8 bytes a rating), and still
// names a bad one.
TEST(Timestamp, TimestampsNotUsedAreCheckedButNotKept) {
  const std::string dir = test::scratch_dir("timestamps-unused");
  std::string text = "u,i,r,t\n";
  for (int u = 1; u <= 20; ++u)
    for (int i = 1; i <= 10; ++i) text += std::to_string(u) + "," + std::to_string(i) + ",4," + std::to_string(1000 + u * i) + "\n";
  test::write_file(dir, "r.csv", text);
  const SplitData random = load_split({.path = dir + "/r.csv"}, {.kind = SplitKind::random});
  EXPECT_FALSE(random.split.train.has_time());
  EXPECT_EQ(random.split.train.size() + random.split.val.size() + random.split.test.size(), 200u);
  // The temporal split orders by them, and the same data gives the same fingerprint either way.
  const SplitData temporal = load_split({.path = dir + "/r.csv"}, {.kind = SplitKind::temporal});
  EXPECT_EQ(temporal.data.fingerprint, random.data.fingerprint);
  test::write_file(dir, "bad.csv", text + "21,1,4,2003-02-30\n");
  const auto r = test::run_cli("train --data_path " + dir + "/bad.csv --split random --output " + dir + "/o");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(dir + "/bad.csv:202: the timestamp \"2003-02-30\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
