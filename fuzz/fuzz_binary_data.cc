// load_dataset on the input written as a binary data file (.mfd). Both checksums are made valid
// for the bytes as they are, so that mutations reach the counts, offsets, indices and string tables
// instead of stopping at a checksum. A data set that loads must keep its invariants (indices below
// the id counts, a catalog entry per item), and must load again as the test file of a `files`
// split (its ids interned into those of the training file).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/binary_format.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"
#include "mfrec/split.h"

namespace mfrec::fuzz {
namespace {

void check_invariants(const Dataset& d) {
  const Ratings& r = d.ratings;
  bool ok = r.user.size() == r.size() && r.item.size() == r.size() && (r.time.empty() || r.time.size() == r.size()) &&
            d.catalog.titles.size() == d.items.size() && d.catalog.genres.size() == d.items.size();
  for (size_t k = 0; ok && k < r.size(); ++k) ok = r.user[k] < d.users.size() && r.item[k] < d.items.size();
  if (!ok) std::abort();  // a file that loads with impossible contents: a finding
}

}  // namespace

void binary_data_one(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= binary::kHeaderSize) {
    binary::Header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    h.body_checksum = binary::checksum(bytes.data() + binary::kHeaderSize, bytes.size() - binary::kHeaderSize);
    h.header_checksum = binary::checksum(reinterpret_cast<const char*>(&h), binary::kHeaderSize - 8);
    std::memcpy(bytes.data(), &h, sizeof h);
  }
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mfrec-fuzz-binary-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "data.mfd").string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  try {
    const Dataset d = load_dataset({.path = path});
    check_invariants(d);
    SplitOptions o;
    o.kind = SplitKind::files;
    o.val_ratio = 0;
    check_invariants(load_split({.path = path}, o, path, path).data);
  } catch (const DataError&) {
  } catch (const UsageError&) {
  }
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::binary_data_one(data, size);
  return 0;
}
#endif
