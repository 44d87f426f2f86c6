// The real MovieLens files beside the project (../shared/data): each skips, saying so, when absent.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mfrec {
namespace {

TEST(RealData, Ml1mHalfReadsEveryRating) {
  MFREC_REQUIRE_DATA(dir, "ml-1m-half");
  Dataset d = load_dataset({.path = dir});
  EXPECT_EQ(d.source.layout.name, "ml-1m");
  EXPECT_EQ(d.ratings.size(), 487650u);
  EXPECT_EQ(d.users.size(), 2999u);
  EXPECT_EQ(d.report.duplicates, 0u);
  EXPECT_EQ(d.catalog.titles[*d.items.find("1193")], "One Flew Over the Cuckoo's Nest (1975)");
  // Latin-1 in movies.dat arrives as UTF-8.
  bool found_accent = false;
  for (const auto& t : d.catalog.titles) found_accent |= t.find("\xc3\xa9") != std::string::npos;
  EXPECT_TRUE(found_accent);
}

TEST(RealData, Ml1mHalfTrainsBetterThanTheReferenceTarget) {
  MFREC_REQUIRE_DATA(dir, "ml-1m-half");
  Dataset d = load_dataset({.path = dir});
  Split s = make_split(d.ratings, {});
  TrainOptions o;
  o.epochs = 15;  // the best validation epoch of the full recipe comes around 14
  FitResult r = fit(d, s, o);
  EXPECT_LT(r.test.rmse, 0.922) << "the PyTorch reference reaches 0.922 on this split";
}

TEST(RealData, Ml100kWithItsOwnSplitFiles) {
  MFREC_REQUIRE_DATA(dir, "ml-100k");
  Dataset all = load_dataset({.path = dir});
  EXPECT_EQ(all.ratings.size(), 100000u);
  EXPECT_EQ(all.users.size(), 943u);
  EXPECT_EQ(all.items.size(), 1682u);
  EXPECT_EQ(all.catalog.titles[*all.items.find("1")], "Toy Story (1995)");
  EXPECT_EQ(all.catalog.genres[*all.items.find("1")], "Animation|Children's|Comedy");
  auto r = test::run_cli("train --data_path " + dir + " --split files --train u1.base --test u1.test --epochs 5 --output " +
                         test::scratch_dir("u1"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("test 20000"), std::string::npos) << r.out;
}

TEST(RealData, MovieLensLatestSmallCsv) {
  MFREC_REQUIRE_DATA(dir, "ml-latest-small");
  Dataset d = load_dataset({.path = dir});
  EXPECT_EQ(d.source.layout.name, "movielens-csv");
  EXPECT_EQ(d.ratings.size(), 100836u);
  EXPECT_EQ(d.users.size(), 610u);
  EXPECT_EQ(d.items.size(), 9724u);
  EXPECT_FLOAT_EQ(d.rating_min, 0.5f);
  EXPECT_EQ(d.catalog.titles[*d.items.find("1")], "Toy Story (1995)");
}

}  // namespace
}  // namespace mfrec
