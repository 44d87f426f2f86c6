// The binary data format of `mfrec convert` (.mfd): a data set as it loads, laid out so that the
// columns can be used straight from a memory map. All numbers are little-endian.
//
//   offset 0    header (320 bytes, struct Header in binary_format.h): magic "MFRDAT\x89\n", format
//               version, flags (timestamps, catalog), counts (ratings, users, items), the file size,
//               the data fingerprint, the source's report (lines, duplicates, bytes), the rating
//               range, the checksum of the body, the section table (offset and size of each
//               section), and last the checksum of the header's bytes before it
//   320         the sections, in this order, each starting at a multiple of 64 bytes (zero bytes
//               between them):
//                 user index u32 x ratings, item index u32 x ratings, rating f32 x ratings,
//                 timestamp i64 x ratings (size 0 without timestamps),
//                 user ids: offsets u64 x (users + 1) into their bytes, then the bytes (UTF-8 or not,
//                 as read), the same for item ids, then (size 0 without a catalog) titles and genres
//                 by item index in the same form
//   file size   the end of the last section, rounded up to 64
//
// Offsets of string tables count from the start of their bytes section: string k is
// bytes[offsets[k], offsets[k+1]). A reader needs nothing but the header to find any section; the
// checksums (binary::Checksum) detect truncation and bit flips, and the reader checks every count,
// offset and index anyway, so that a forged file with a valid checksum cannot make it read outside.
#include "data/binary_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "common/atomic_file.h"
#include "common/where.h"
#include "mfrec/error.h"

namespace mfrec::binary {
namespace {

constexpr uint64_t kPrime1 = 0x9e3779b185ebca87ull, kPrime2 = 0xc2b2ae3d27d4eb4full;

constexpr uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t round_up(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// A table of strings in the file's form: offsets (count + 1 of them) into the bytes.
struct StringTable {
  std::vector<uint64_t> offsets{0};
  std::string bytes;
  void add(std::string_view s) {
    bytes += s;
    offsets.push_back(bytes.size());
  }
};

std::string_view view_of(const void* p, size_t n) { return {static_cast<const char*>(p), n}; }

}  // namespace

void Checksum::stripe(const char* p) {
  for (int j = 0; j < 4; ++j) {
    uint64_t w;
    std::memcpy(&w, p + 8 * j, 8);
    lane_[j] = rotl((lane_[j] ^ w) * kPrime1, 31);
  }
}

void Checksum::update(const char* p, size_t n) {
  if (n == 0) return;  // p may be null then (an empty column)
  total_ += n;
  if (npending_ > 0) {
    const size_t take = std::min(n, sizeof pending_ - npending_);
    std::memcpy(pending_ + npending_, p, take);
    npending_ += take, p += take, n -= take;
    if (npending_ < sizeof pending_) return;
    stripe(pending_);
    npending_ = 0;
  }
  // The bulk with the lanes in registers: four independent chains, so the multiplies overlap.
  uint64_t a = lane_[0], b = lane_[1], c = lane_[2], e = lane_[3];
  for (; n >= 32; p += 32, n -= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    a = rotl((a ^ w[0]) * kPrime1, 31);
    b = rotl((b ^ w[1]) * kPrime1, 31);
    c = rotl((c ^ w[2]) * kPrime1, 31);
    e = rotl((e ^ w[3]) * kPrime1, 31);
  }
  lane_[0] = a, lane_[1] = b, lane_[2] = c, lane_[3] = e;
  if (n) std::memcpy(pending_, p, n);
  npending_ = n;
}

uint64_t Checksum::digest() const {
  // Each step is a bijection of h for the others fixed, so a change in one lane always shows.
  uint64_t h = total_ * kPrime2;
  for (uint64_t lane : lane_) h = rotl((h ^ lane) * kPrime1, 27) * kPrime2;
  for (size_t k = 0; k < npending_; ++k) h = (h ^ uint8_t(pending_[k])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= kPrime2;
  return h ^ (h >> 29);
}

uint64_t checksum(const char* p, size_t n) {
  Checksum c;
  c.update(p, n);
  return c.digest();
}

uint64_t lay_out(Extent (&sections)[kSections]) {
  uint64_t at = kHeaderSize;
  for (Extent& s : sections) {
    s.offset = at;
    at = round_up(at + s.size);
  }
  return at;
}

bool has_magic(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char head[sizeof kMagic];
  const ssize_t got = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  return got == ssize_t(sizeof head) && std::memcmp(head, kMagic, sizeof head) == 0;
}

void write_dataset(const Dataset& d, const std::string& path) {
  if constexpr (std::endian::native != std::endian::little)
    throw DataError(where(path, 0, "the binary data format is little-endian, and this machine is not"));
  const Ratings& r = d.ratings;
  const size_t n = r.size();
  if (n == 0) throw DataError(where(path, 0, "no ratings to write"));
  if (r.user.size() != n || r.item.size() != n || (r.has_time() && r.time.size() != n))
    throw DataError(where(path, 0, "the rating columns differ in length"));
  if (d.users.size() > UINT32_MAX || d.items.size() > UINT32_MAX) throw DataError(where(path, 0, "more than 2^32 ids"));
  StringTable users, items, titles, genres;
  for (const auto& id : d.users.names()) users.add(id);
  for (const auto& id : d.items.names()) items.add(id);
  const Catalog& cat = d.catalog;
  auto any = [](const std::vector<std::string>& v) { return std::any_of(v.begin(), v.end(), [](auto& s) { return !s.empty(); }); };
  const bool catalog = !d.source.items_file.empty() || any(cat.titles) || any(cat.genres);
  if (catalog) {
    for (size_t i = 0; i < d.items.size(); ++i) {
      titles.add(i < cat.titles.size() ? cat.titles[i] : std::string_view());
      genres.add(i < cat.genres.size() ? cat.genres[i] : std::string_view());
    }
  }
  const auto [lo, hi] = std::minmax_element(r.value.begin(), r.value.end());

  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.flags = (r.has_time() ? kHasTime : 0) | (catalog ? kHasCatalog : 0);
  h.n_ratings = n, h.n_users = d.users.size(), h.n_items = d.items.size();
  h.fingerprint = d.fingerprint;
  h.lines = d.report.lines, h.duplicates = d.report.duplicates, h.source_bytes = d.report.bytes;
  h.rating_min = *lo, h.rating_max = *hi;
  std::string_view body[kSections] = {
      view_of(r.user.data(), n * 4), view_of(r.item.data(), n * 4), view_of(r.value.data(), n * 4),
      view_of(r.time.data(), r.time.size() * 8),
      view_of(users.offsets.data(), users.offsets.size() * 8), users.bytes,
      view_of(items.offsets.data(), items.offsets.size() * 8), items.bytes,
      catalog ? view_of(titles.offsets.data(), titles.offsets.size() * 8) : std::string_view(), titles.bytes,
      catalog ? view_of(genres.offsets.data(), genres.offsets.size() * 8) : std::string_view(), genres.bytes};
  for (size_t k = 0; k < kSections; ++k) h.sections[k].size = body[k].size();
  h.file_size = lay_out(h.sections);

  // The parts as written, the zero padding after each section included; the body's checksum over them.
  static const char zeros[kAlign] = {};
  std::vector<std::string_view> parts{view_of(&h, kHeaderSize)};
  Checksum sum;
  for (size_t k = 0; k < kSections; ++k) {
    const uint64_t end = k + 1 < kSections ? h.sections[k + 1].offset : h.file_size;
    const std::string_view pad(zeros, end - h.sections[k].offset - body[k].size());
    for (std::string_view part : {body[k], pad}) {
      sum.update(part.data(), part.size());
      parts.push_back(part);
    }
  }
  h.body_checksum = sum.digest();
  h.header_checksum = checksum(reinterpret_cast<const char*>(&h), kHeaderSize - 8);
  write_file_atomically(path, parts);
}

}  // namespace mfrec::binary

void mfrec::write_binary_dataset(const Dataset& data, const std::string& path) { binary::write_dataset(data, path); }
