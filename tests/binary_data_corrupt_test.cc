// Bad binary data files: truncated at many points, bit flips everywhere, and forged files whose
// checksums are valid around impossible contents (huge counts, offsets and indices out of bounds,
// duplicate ids, a future version). Each must be a DataError naming the file, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "data/binary_format.h"
#include "mfrec/synth.h"
#include "test_util.h"

namespace mfrec {
namespace {

using binary::Header;
using binary::kHeaderSize;

// A small file with every section: timestamps, a catalog, string ids.
const std::string& valid_file() {
  static const std::string bytes = [] {
    const std::string dir = test::scratch_dir("corrupt-source");
    test::write_file(dir, "ratings.dat", "u1::i1::4::100\nu2::i1::3::101\nu2::i2::5::102\nu3::i3::1::103\nu1::i3::2::104\n");
    test::write_file(dir, "movies.dat", "i1::First (1990)::Drama\ni2::Second (1991)::Comedy|Drama\ni3::Third::Horror\n");
    write_binary_dataset(load_dataset({.path = dir}), dir + "/data.mfd");
    return test::read_file(dir + "/data.mfd");
  }();
  return bytes;
}

Header header_of(const std::string& bytes) {
  Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  return h;
}

// The bytes with both checksums made valid again, so that the checks behind them are reached.
std::string reseal(std::string bytes) {
  if (bytes.size() < kHeaderSize) return bytes;
  Header h = header_of(bytes);
  h.body_checksum = binary::checksum(bytes.data() + kHeaderSize, bytes.size() - kHeaderSize);
  h.header_checksum = binary::checksum(reinterpret_cast<const char*>(&h), kHeaderSize - 8);
  std::memcpy(bytes.data(), &h, sizeof h);
  return bytes;
}

// The valid file with its header changed by `edit` and resealed.
std::string forged(const std::function<void(Header&)>& edit) {
  std::string bytes = valid_file();
  Header h = header_of(bytes);
  edit(h);
  std::memcpy(bytes.data(), &h, sizeof h);
  return reseal(bytes);
}

// The valid file with `len` bytes at `offset` within section `s` replaced, resealed.
std::string patched(binary::Section s, size_t offset, const void* with, size_t len) {
  std::string bytes = valid_file();
  std::memcpy(bytes.data() + header_of(bytes).sections[s].offset + offset, with, len);
  return reseal(bytes);
}

// Loads `bytes` as a .mfd; returns the error's message ("" when it loaded).
std::string load_error(const std::string& bytes) {
  static const std::string dir = test::scratch_dir("corrupt");
  const std::string path = test::write_file(dir, "data.mfd", bytes);
  try {
    load_dataset({.path = path});
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    return what;
  }
  return "";
}

void expect_refused(const std::string& bytes, const std::string& why) {
  const std::string what = load_error(bytes);
  EXPECT_NE(what.find(why), std::string::npos) << (what.empty() ? "it loaded" : what) << "; expected: " << why;
}

TEST(BinaryCorrupt, TheValidFileLoads) {
  EXPECT_EQ(load_error(valid_file()), "");
  EXPECT_EQ(load_error(reseal(valid_file())), "");
  EXPECT_GT(valid_file().size(), kHeaderSize);
}

TEST(BinaryCorrupt, ALargeFileIsCheckedOnAThreadOfItsOwn) {
  // Past 64 MB of body, with a second core, the checksum runs on its own thread while the columns are
  // copied: the file still loads as the text it came from, and a flip in a column or in the string
  // tables after them is still caught.
  const std::string dir = test::scratch_dir("corrupt-large");
  SynthOptions o;
  o.users = 20000, o.items = 3000, o.ratings = 3500000, o.seed = 5;
  write_synthetic(dir, o);
  const Dataset text = load_dataset({.path = dir});
  write_binary_dataset(text, dir + "/data.mfd");
  const std::string full = test::read_file(dir + "/data.mfd");
  ASSERT_GT(full.size() - kHeaderSize, size_t(64) << 20);
  const Dataset bin = load_dataset({.path = dir + "/data.mfd"});
  EXPECT_EQ(bin.ratings.user, text.ratings.user);
  EXPECT_EQ(bin.ratings.item, text.ratings.item);
  EXPECT_EQ(bin.ratings.value, text.ratings.value);
  EXPECT_EQ(bin.ratings.time, text.ratings.time);
  const Header h = header_of(full);
  for (const size_t at : {size_t(h.sections[binary::kTime].offset + 8 * 3000000 + 3), full.size() - 5}) {
    std::string bad = full;
    bad[at] = char(bad[at] ^ 0x10);
    expect_refused(bad, "checksum mismatch");
  }
}

TEST(BinaryCorrupt, TruncatedAnywhere) {
  const std::string& full = valid_file();
  for (size_t cut = 0; cut < full.size(); cut += cut < 400 ? 1 : 37) {
    const std::string part = full.substr(0, cut);
    EXPECT_NE(load_error(part), "") << "cut at " << cut;
    if (cut >= kHeaderSize) EXPECT_NE(load_error(reseal(part)), "") << "cut at " << cut << ", resealed";
  }
  expect_refused(full.substr(0, 4), "wrong magic number");
  expect_refused(full.substr(0, 100), "truncated");
  expect_refused(full.substr(0, full.size() - 64), "truncated");
  expect_refused(full + std::string(64, '\0'), "bytes appended");
}

TEST(BinaryCorrupt, EveryBitFlipIsCaught) {
  const std::string& full = valid_file();
  for (size_t at = 0; at < full.size(); ++at) {
    std::string bad = full;
    bad[at] = char(bad[at] ^ (1 << (at % 8)));
    EXPECT_NE(load_error(bad), "") << "bit " << at % 8 << " of byte " << at;
  }
}

TEST(BinaryCorrupt, HeaderChecks) {
  std::string magic = valid_file();
  magic[0] = 'X';
  expect_refused(magic, "wrong magic number");
  expect_refused(forged([](Header& h) { h.version = 2; }), "version 2");
  expect_refused(forged([](Header& h) { h.version = 0; }), "version 0");
  std::string flipped = valid_file();
  flipped[20] ^= 1;  // a count, the header's checksum not made again
  expect_refused(flipped, "header is corrupted");
  std::string body = valid_file();
  body[body.size() - 100] ^= 1;
  expect_refused(body, "checksum mismatch");
  expect_refused(forged([](Header& h) { h.flags |= 8; }), "unknown flags");
}

TEST(BinaryCorrupt, HugeCountsWithAValidChecksum) {
  expect_refused(forged([](Header& h) { h.n_ratings = uint64_t(1) << 60; }), "its counts say");
  expect_refused(forged([](Header& h) { h.n_ratings = ~uint64_t(0); }), "its counts say");
  expect_refused(forged([](Header& h) { h.n_ratings = 0; }), "no ratings");
  expect_refused(forged([](Header& h) { h.n_users = uint64_t(1) << 40; }), "impossible counts");
  expect_refused(forged([](Header& h) { h.n_items = 0; }), "impossible counts");
  expect_refused(forged([](Header& h) { h.n_users = 2; }), "its counts say");
  expect_refused(forged([](Header& h) { h.sections[binary::kUser].size = uint64_t(1) << 62; }), "claims");
  expect_refused(forged([](Header& h) { h.sections[binary::kUserIdBytes].size += 64; }), "section");
  expect_refused(forged([](Header& h) { h.sections[binary::kItem].offset += 64; }), "offset");
  expect_refused(forged([](Header& h) { h.sections[binary::kGenreBytes].offset = ~uint64_t(0) - 8; }), "offset");
  expect_refused(forged([](Header& h) { h.flags &= ~binary::kHasTime; }), "timestamps section");
  expect_refused(forged([](Header& h) { h.flags &= ~binary::kHasCatalog; }), "section");
  expect_refused(forged([](Header& h) { h.file_size = uint64_t(1) << 50; }), "truncated");
}

TEST(BinaryCorrupt, IndicesAndValuesWithAValidChecksum) {
  const uint32_t big = 0xFFFFFFFF, three = 3;
  expect_refused(patched(binary::kUser, 4 * 2, &big, 4), "rating 2 has user index 4294967295, and there are 3 users");
  expect_refused(patched(binary::kItem, 4 * 4, &three, 4), "rating 4 has item index 3, and there are 3 items");
  const float nan = std::nanf(""), inf = INFINITY, nine = 9;
  expect_refused(patched(binary::kValue, 4, &nan, 4), "rating 1 is not a finite number");
  expect_refused(patched(binary::kValue, 0, &inf, 4), "rating 0 is not a finite number");
  expect_refused(patched(binary::kValue, 0, &nine, 4), "the header says 1 to 5");
  expect_refused(forged([](Header& h) { h.rating_max = 4; }), "the header says 1 to 4");
}

TEST(BinaryCorrupt, StringTablesWithAValidChecksum) {
  const uint64_t huge = uint64_t(1) << 50, zero = 0, two = 2, one = 1;
  expect_refused(patched(binary::kUserIdOffsets, 8, &huge, 8), "outside");
  expect_refused(patched(binary::kUserIdOffsets, 0, &one, 8), "offsets run from 1");
  expect_refused(patched(binary::kItemIdOffsets, 8 * 3, &huge, 8), "offsets run from 0 to 1125899906842624");
  expect_refused(patched(binary::kUserIdOffsets, 8, &zero, 8), "user id 0 is empty");
  expect_refused(patched(binary::kTitleOffsets, 8 * 2, &two, 8), "title 1's offsets 12 to 2");
  expect_refused(patched(binary::kGenreOffsets, 8, &huge, 8), "genre 0's offsets");
  expect_refused(patched(binary::kUserIdBytes, 2, "u1", 2), "user id \"u1\" appears twice");  // u1 u2 u3 -> u1 u1 u3
  expect_refused(patched(binary::kItemIdBytes, 0, "\n", 1), "item id 0 holds control bytes");
}

}  // namespace
}  // namespace mfrec
