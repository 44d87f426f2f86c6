#pragma once
// The binary data format (`mfrec convert`, .mfd): its header, sections and checksum, shared by the
// writer, the reader and the tests and fuzz harness that forge files. The layout is described at the
// top of binary_format.cc.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mfrec/dataset.h"

namespace mfrec::binary {

// Ends in bytes no text file holds (as PNG's), so that a .mfd is never taken for ratings text.
inline constexpr char kMagic[8] = {'M', 'F', 'R', 'D', 'A', 'T', '\x89', '\n'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kAlign = 64;  // every section starts at a multiple of this (a cache line)
inline constexpr char kLayout[] = "mfd";  // Layout::name of a Source that is a binary file

inline constexpr uint32_t kHasTime = 1, kHasCatalog = 2;  // Header::flags

// In file order; a section the data lacks (timestamps, the catalog) has size 0.
enum Section : size_t {
  kUser, kItem, kValue, kTime,
  kUserIdOffsets, kUserIdBytes, kItemIdOffsets, kItemIdBytes,
  kTitleOffsets, kTitleBytes, kGenreOffsets, kGenreBytes,
  kSections
};

struct Extent {
  uint64_t offset, size;  // bytes from the start of the file
};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  uint64_t n_ratings, n_users, n_items;
  uint64_t file_size;
  uint64_t fingerprint;                        // Dataset::fingerprint as converted
  uint64_t lines, duplicates, source_bytes;    // the source's ReadReport
  float rating_min, rating_max;                // the range the ratings use
  uint64_t body_checksum;                      // over the bytes from kHeaderSize to file_size
  Extent sections[kSections];
  uint64_t reserved[3];
  uint64_t header_checksum;                    // over the bytes of the header before it
};
inline constexpr size_t kHeaderSize = sizeof(Header);
static_assert(kHeaderSize == 320 && kHeaderSize % kAlign == 0);

// A 64-bit checksum of a byte stream fed in pieces of any length: four lanes of multiply-rotate
// over 8-byte words, so that it runs at memory speed; any change to a single word changes it.
class Checksum {
 public:
  void update(const char* p, size_t n);
  uint64_t digest() const;

 private:
  void stripe(const char* p);
  uint64_t lane_[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull};
  char pending_[32];
  size_t npending_ = 0;
  uint64_t total_ = 0;
};
uint64_t checksum(const char* p, size_t n);

// Whether the file starts with kMagic (reads 8 bytes; false for what cannot be opened).
bool has_magic(const std::string& path);

// Writes `data` as a binary file through the atomic writer; throws DataError naming `path`.
void write_dataset(const Dataset& data, const std::string& path);

// Reads a whole binary file: ratings, ids, catalog, fingerprint, range and report as converted;
// `source` is the file's Source (its layout's declared range is enforced). Every count, offset and
// index is checked; a bad file is a DataError naming it.
Dataset read_dataset(const Source& source);

// Places the sections one after another from kHeaderSize, each at a multiple of kAlign, given their
// sizes (each at most 2^56); returns the file size. The writer lays a file out so, the reader
// requires it.
uint64_t lay_out(Extent (&sections)[kSections]);

// The Source of a binary file (the header's flags say whether it has timestamps and a catalog; the
// rest is checked by read_dataset).
Source detect(const std::string& path);

// The ratings of a binary file with their ids interned into `users` and `items` (split `files`:
// two files in one id space), and its catalog by external item id: read_ratings and read_catalog
// on a binary file.
Ratings read_ratings(const std::string& path, const Layout& layout, IdMap& users, IdMap& items, ReadReport* report);
Catalog read_catalog(const std::string& path, const IdMap& items);

}  // namespace mfrec::binary
