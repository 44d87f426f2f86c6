// The packed forms of the training ratings: what fits 8 bytes, and that it reads back exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "train/parts/samples.h"

namespace mfrec {
namespace {

TEST(Samples, PackedSamplesHoldEveryRatingExactly) {
  Ratings r;
  r.push(0, 0, 4.0f);
  r.push(7, (1u << 24) - 1, 0.5f);  // the largest item that fits
  r.push(3, 12, -0.0f);             // kept apart from 0: values come back bit for bit
  r.push(3, 13, 0.0f);
  r.push(9, 1, 4.0f);
  EXPECT_FALSE(rating_levels(r, size_t(1) << 24)) << "2^24 items do not fit 24 bits";
  const auto fits = rating_levels(r, (size_t(1) << 24) - 1);
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->size(), 4u);
  std::vector<PackedSample> packed(r.size());
  pack_samples(r, *fits, packed.data());
  for (size_t k = 0; k < r.size(); ++k) {
    EXPECT_EQ(packed[k].user, r.user[k]);
    EXPECT_EQ(packed[k].item(), r.item[k]);
    const float v = (*fits)[packed[k].level()];
    EXPECT_EQ(std::signbit(v), std::signbit(r.value[k]));
    EXPECT_EQ(v, r.value[k]);
  }
}

TEST(Samples, MoreThan256RatingValuesDoNotPack) {
  Ratings r;
  for (uint32_t k = 0; k < 256; ++k) r.push(k, k, float(k) / 4);
  EXPECT_TRUE(rating_levels(r, 256));
  r.push(0, 0, 1000.0f);
  EXPECT_FALSE(rating_levels(r, 256));
}

}  // namespace
}  // namespace mfrec
