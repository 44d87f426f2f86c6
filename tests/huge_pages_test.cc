// The huge-page buffer: zeroed, on a 2 MiB boundary, writable end to end, movable.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "common/huge_pages.h"

namespace mfrec {
namespace {

TEST(HugePageBuffer, IsZeroedAlignedAndWritable) {
  const size_t bytes = (3 << 20) + 123;  // more than one huge page, not a multiple
  HugePageBuffer b(bytes);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(b.size(), bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (2 << 20), 0u);
  for (size_t k = 0; k < bytes; k += 4096) EXPECT_EQ(b.data()[k], std::byte{0});
  b.data()[0] = std::byte{1};
  b.data()[bytes - 1] = std::byte{2};
  HugePageBuffer moved = std::move(b);
  EXPECT_EQ(moved.data()[0], std::byte{1});
  EXPECT_EQ(moved.data()[bytes - 1], std::byte{2});
  EXPECT_EQ(b.data(), nullptr);
}

TEST(HugePageBuffer, EmptyHoldsNothing) {
  HugePageBuffer b(0);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace mfrec
