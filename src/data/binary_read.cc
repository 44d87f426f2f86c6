// Reading the binary data format (layout: binary_format.cc). One pass over the mapped file checks
// the checksum block by block while the columns are copied out (each block is read from memory
// once); every count, offset and index is checked before it is used, checksum or not.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "common/huge_pages.h"
#include "common/where.h"
#include "data/binary_format.h"
#include "data/mapped_file.h"
#include "mfrec/error.h"

namespace mfrec::binary {
namespace {

const char* const kSectionNames[kSections] = {"user indices", "item indices", "ratings", "timestamps",
                                              "user id offsets", "user ids", "item id offsets", "item ids",
                                              "title offsets", "titles", "genre offsets", "genres"};

constexpr size_t kBlock = 256 << 10;  // checked and copied while in cache
constexpr uint64_t kParallelBody = 64 << 20;  // below this a thread costs more than it saves

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60)) out += c >= 0x20 && c < 0x7f ? std::string(1, char(c)) : fmt::format("\\x{:02x}", c);
  return s.size() > 60 ? out + "..." : out;
}

class Reader {
 public:
  explicit Reader(const Source& source) : source_(source), path_(source.ratings_file), file_(path_) {}

  Dataset read() {
    if constexpr (std::endian::native != std::endian::little)
      fail("the binary data format is little-endian, and this machine is not");
    check_header();
    check_sections();
    Dataset d;
    copy_columns(d.ratings);
    check_columns(d.ratings);
    d.users = ids(kUserIdOffsets, h_.n_users, "user");
    d.items = ids(kItemIdOffsets, h_.n_items, "item");
    if (h_.flags & kHasCatalog) {
      d.catalog.titles = strings(kTitleOffsets, h_.n_items, "title");
      d.catalog.genres = strings(kGenreOffsets, h_.n_items, "genre");
    } else {
      d.catalog.titles.assign(h_.n_items, "");
      d.catalog.genres.assign(h_.n_items, "");
    }
    d.source = source_;
    d.source.items_file = h_.flags & kHasCatalog ? path_ : "";
    d.report = {h_.lines, h_.duplicates, h_.source_bytes};
    d.rating_min = h_.rating_min;
    d.rating_max = h_.rating_max;
    d.fingerprint = h_.fingerprint;
    return d;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw DataError(where(path_, 0, what)); }

  const char* at(Section s) const { return file_.view().data() + h_.sections[s].offset; }

  // The magic first (a big file that is not ours is not read), then the version (a newer header
  // may be laid out otherwise), the header's checksum, and the size it claims.
  void check_header() {
    const std::string_view bytes = file_.view();
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
      fail("not mfrec binary data (wrong magic number): a file `mfrec convert` writes was expected");
    if (bytes.size() < kHeaderSize)
      fail(fmt::format("truncated: {} bytes, less than the {}-byte header", bytes.size(), kHeaderSize));
    std::memcpy(&h_, bytes.data(), kHeaderSize);
    if (h_.version != kVersion)
      fail(fmt::format("binary data format version {}, and this mfrec reads version {} (a newer mfrec wrote it, or it "
                       "is corrupted): convert the data again with this mfrec",
                       h_.version, kVersion));
    if (checksum(bytes.data(), kHeaderSize - 8) != h_.header_checksum)
      fail("the header is corrupted (checksum mismatch): convert the data again");
    if (h_.file_size != bytes.size())
      fail(h_.file_size > bytes.size()
               ? fmt::format("truncated: {} bytes of the {} its header says", bytes.size(), h_.file_size)
               : fmt::format("{} bytes where its header says {} (bytes appended?)", bytes.size(), h_.file_size));
    if (h_.flags & ~uint32_t(kHasTime | kHasCatalog)) fail(fmt::format("unknown flags {:#x} in the header", h_.flags));
  }

  // Counts against the sizes of their sections, sizes against the file, and the sections where the
  // layout puts them: after this every section lies within the file at its aligned place.
  void check_sections() {
    if (h_.n_ratings == 0) fail("no ratings in the file");
    if (h_.n_users == 0 || h_.n_items == 0 || h_.n_users > UINT32_MAX || h_.n_items > UINT32_MAX)
      fail(fmt::format("impossible counts in the header: {} users, {} items", h_.n_users, h_.n_items));
    for (size_t k = 0; k < kSections; ++k)
      if (h_.sections[k].size > h_.file_size)
        fail(fmt::format("the {} section claims {} bytes, more than the file's {}", kSectionNames[k], h_.sections[k].size,
                         h_.file_size));
    const bool timed = h_.flags & kHasTime, catalog = h_.flags & kHasCatalog;
    auto expect = [&](Section s, uint64_t count, uint64_t width) {
      const uint64_t size = h_.sections[s].size;
      if (size % width != 0 || size / width != count)
        fail(fmt::format("the {} section has {} bytes, not the {} x {} its counts say", kSectionNames[s], size, count, width));
    };
    expect(kUser, h_.n_ratings, 4);
    expect(kItem, h_.n_ratings, 4);
    expect(kValue, h_.n_ratings, 4);
    expect(kTime, timed ? h_.n_ratings : 0, 8);
    expect(kUserIdOffsets, h_.n_users + 1, 8);
    expect(kItemIdOffsets, h_.n_items + 1, 8);
    expect(kTitleOffsets, catalog ? h_.n_items + 1 : 0, 8);
    expect(kGenreOffsets, catalog ? h_.n_items + 1 : 0, 8);
    if (!catalog && (h_.sections[kTitleBytes].size || h_.sections[kGenreBytes].size))
      fail("titles or genres in a file whose header says it has no catalog");
    Extent placed[kSections];
    for (size_t k = 0; k < kSections; ++k) placed[k].size = h_.sections[k].size;
    const uint64_t end = lay_out(placed);
    for (size_t k = 0; k < kSections; ++k)
      if (placed[k].offset != h_.sections[k].offset)
        fail(fmt::format("the {} section is at offset {}, not at {} where the layout puts it", kSectionNames[k],
                         h_.sections[k].offset, placed[k].offset));
    if (end != h_.file_size) fail(fmt::format("the sections end at {}, not at the file's end {}", end, h_.file_size));
  }

  template <typename T>
  static void append(std::vector<T>& column, const char* p, size_t bytes) {
    const T* first = reinterpret_cast<const T*>(p);  // aligned: sections start at multiples of 64
    column.insert(column.end(), first, first + bytes / sizeof(T));
  }

  // The body in blocks, in file order: each block goes into the checksum and, for a column, into its
  // vector, with the largest index and the value range. With a second core the checksum runs on a
  // thread of its own over the whole body while this one copies (the body is read twice, but each
  // pass streams at one core's speed); with one, both are done block by block while in cache.
  void copy_columns(Ratings& r) {
    const size_t n = h_.n_ratings;
    r.user.reserve(n), r.item.reserve(n), r.value.reserve(n);
    if (h_.flags & kHasTime) r.time.reserve(n);
    advise_huge_pages(r.user.data(), n * 4), advise_huge_pages(r.item.data(), n * 4);
    advise_huge_pages(r.value.data(), n * 4), advise_huge_pages(r.time.data(), r.time.capacity() * 8);
    file_.populate();  // the header is checked: the file is ours and as long as it says
    const char* base = file_.view().data();
    const uint64_t body = h_.sections[0].offset;
    Checksum sum;
    std::jthread summing;  // joined however this ends: a std::thread left running would terminate
    if (std::thread::hardware_concurrency() > 1 && h_.file_size - body >= kParallelBody) try {
        summing = std::jthread([&] { sum.update(base + body, size_t(h_.file_size - body)); });
      } catch (const std::system_error&) {  // no thread to be had: the one-core way
      }
    const bool inline_sum = !summing.joinable();
    for (size_t k = 0; k < kSections; ++k) {
      const uint64_t begin = h_.sections[k].offset, size = h_.sections[k].size;
      const uint64_t end = k + 1 < kSections ? h_.sections[k + 1].offset : h_.file_size;
      for (uint64_t pos = begin; pos < end; pos += kBlock) {
        const size_t len = size_t(std::min<uint64_t>(kBlock, end - pos));
        if (inline_sum) sum.update(base + pos, len);
        const size_t data = pos - begin < size ? size_t(std::min<uint64_t>(len, size - (pos - begin))) : 0;
        if (data == 0) continue;
        const size_t from = size_t(pos - begin) / 4;  // the block's first row, for the 4-byte columns
        switch (k) {
          case kUser: append(r.user, base + pos, data), max_user_ = std::max(max_user_, largest(r.user, from)); break;
          case kItem: append(r.item, base + pos, data), max_item_ = std::max(max_item_, largest(r.item, from)); break;
          case kValue: append(r.value, base + pos, data), range(r.value, from); break;
          case kTime: append(r.time, base + pos, data); break;
          default: break;  // the string tables are read after the checksum
        }
      }
    }
    if (summing.joinable()) summing.join();
    if (sum.digest() != h_.body_checksum) fail("corrupted or truncated (checksum mismatch): convert the data again");
  }

  static uint32_t largest(const std::vector<uint32_t>& v, size_t from) {
    uint32_t m = 0;
    for (size_t k = from; k < v.size(); ++k) m = std::max(m, v[k]);
    return m;
  }

  void range(const std::vector<float>& v, size_t from) {
    for (size_t k = from; k < v.size(); ++k) {
      const float x = v[k];
      finite_ &= std::abs(x) <= 3.4028235e38f;  // false for NaN too
      lo_ = std::min(lo_, x), hi_ = std::max(hi_, x);
    }
  }

  // Indices below the id counts (the first offending rating named), ratings finite and in the
  // header's range and the declared one (--rating_min/--rating_max).
  void check_columns(const Ratings& r) {
    auto first = [&](auto bad) {
      size_t k = 0;
      while (k < r.size() && !bad(k)) ++k;
      return k;
    };
    if (max_user_ >= h_.n_users) {
      const size_t k = first([&](size_t k) { return r.user[k] >= h_.n_users; });
      fail(fmt::format("rating {} has user index {}, and there are {} users", k, r.user[k], h_.n_users));
    }
    if (max_item_ >= h_.n_items) {
      const size_t k = first([&](size_t k) { return r.item[k] >= h_.n_items; });
      fail(fmt::format("rating {} has item index {}, and there are {} items", k, r.item[k], h_.n_items));
    }
    if (!finite_)
      fail(fmt::format("rating {} is not a finite number", first([&](size_t k) { return !std::isfinite(r.value[k]); })));
    if (lo_ != h_.rating_min || hi_ != h_.rating_max)
      fail(fmt::format("the ratings range from {} to {}, and the header says {} to {}", lo_, hi_, h_.rating_min,
                       h_.rating_max));
    const Layout& l = source_.layout;
    auto outside = [&](float v) { return (l.rating_min && v < *l.rating_min) || (l.rating_max && v > *l.rating_max); };
    if (outside(lo_) || outside(hi_)) {
      const size_t k = first([&](size_t k) { return outside(r.value[k]); });
      fail(fmt::format("rating {}: the rating {} is outside the declared range [{}, {}]", k, r.value[k],
                       l.rating_min.value_or(-INFINITY), l.rating_max.value_or(INFINITY)));
    }
  }

  // String k of a table: its offsets checked to rise within its bytes before they are used.
  template <typename Each>
  void each_string(Section offsets, uint64_t count, const char* what, Each each) const {
    const auto* off = reinterpret_cast<const uint64_t*>(at(offsets));
    const char* bytes = at(Section(offsets + 1));
    const uint64_t size = h_.sections[offsets + 1].size;
    if (off[0] != 0 || off[count] != size)
      fail(fmt::format("the {} offsets run from {} to {}, not from 0 to the {} bytes of the {}s", what, off[0], off[count], size, what));
    for (uint64_t k = 0; k < count; ++k) {
      if (off[k + 1] < off[k] || off[k + 1] > size)
        fail(fmt::format("{} {}'s offsets {} to {} are outside its {} bytes", what, k, off[k], off[k + 1], size));
      each(k, std::string_view(bytes + off[k], off[k + 1] - off[k]));
    }
  }

  // The ids as a file read as text has them: not empty, no control bytes but tab, each once.
  IdMap ids(Section offsets, uint64_t count, const char* what) const {
    IdMap map;
    map.reserve(count);
    each_string(offsets, count, what, [&](uint64_t k, std::string_view id) {
      if (id.empty()) fail(fmt::format("{} id {} is empty", what, k));
      if (std::any_of(id.begin(), id.end(), [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }))
        fail(fmt::format("{} id {} holds control bytes: \"{}\"", what, k, printable(id)));
      if (map.intern(id) != k) fail(fmt::format("{} id \"{}\" appears twice", what, printable(id)));
    });
    return map;
  }

  std::vector<std::string> strings(Section offsets, uint64_t count, const char* what) const {
    std::vector<std::string> out;
    out.reserve(count);
    each_string(offsets, count, what, [&](uint64_t, std::string_view s) { out.emplace_back(s); });
    return out;
  }

  const Source& source_;
  const std::string& path_;
  MappedFile file_;
  Header h_{};
  uint32_t max_user_ = 0, max_item_ = 0;
  float lo_ = INFINITY, hi_ = -INFINITY;
  bool finite_ = true;
};

}  // namespace

Dataset read_dataset(const Source& source) { return Reader(source).read(); }

Source detect(const std::string& path) {
  Header h{};
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); fd >= 0) {
    if (::pread(fd, &h, kHeaderSize, 0) != ssize_t(kHeaderSize)) h = Header{};
    ::close(fd);
  }
  Source s;
  s.ratings_file = path;
  s.items_file = h.flags & kHasCatalog ? path : "";
  s.layout.name = kLayout;
  s.layout.columns = {Column::user, Column::item, Column::rating};
  if (h.flags & kHasTime) s.layout.columns.push_back(Column::timestamp);
  return s;
}

Ratings read_ratings(const std::string& path, const Layout& layout, IdMap& users, IdMap& items, ReadReport* report) {
  Dataset d = read_dataset(Source{path, "", layout});
  if (report) *report = d.report;
  if (users.size() == 0 && items.size() == 0) {
    users = std::move(d.users);
    items = std::move(d.items);
    return std::move(d.ratings);
  }
  // Into ids read before (the other file of a split): each index through the id it stands for.
  std::vector<uint32_t> user_to(d.users.size()), item_to(d.items.size());
  for (uint32_t k = 0; k < user_to.size(); ++k) user_to[k] = users.intern(d.users.external(k));
  for (uint32_t k = 0; k < item_to.size(); ++k) item_to[k] = items.intern(d.items.external(k));
  for (uint32_t& u : d.ratings.user) u = user_to[u];
  for (uint32_t& i : d.ratings.item) i = item_to[i];
  return std::move(d.ratings);
}

Catalog read_catalog(const std::string& path, const IdMap& items) {
  const Dataset d = read_dataset(detect(path));
  Catalog cat;
  cat.titles.assign(items.size(), "");
  cat.genres.assign(items.size(), "");
  for (uint32_t k = 0; k < d.items.size(); ++k) {
    if (const auto i = items.find(d.items.external(k))) {
      cat.titles[*i] = d.catalog.titles[k];
      cat.genres[*i] = d.catalog.genres[k];
    }
  }
  return cat;
}

}  // namespace mfrec::binary
