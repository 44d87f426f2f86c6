#pragma once
// Input files that may be compressed, read through libarchive: `x.gz` (gzip, or anything else
// libarchive decompresses), and members of a zip archive named as a path inside it,
// `ml-1m.zip/ml-1m/ratings.dat` (the form the messages use, so that errors name file and line).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mfrec {

// Whether `name` is read through libarchive: a .gz file or a member of a .zip.
bool is_compressed_name(const std::string& name);

// The members (files, not folders) of a zip archive; throws DataError when it is not one.
std::vector<std::string> zip_members(const std::string& zip);

// A stream of a (possibly compressed) file's bytes, from the start.
class InputStream {
 public:
  explicit InputStream(const std::string& name);  // throws DataError naming the file
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;
  size_t read(char* buf, size_t n);      // up to n bytes; 0 at the end; throws DataError
  std::optional<uint64_t> size() const;  // the uncompressed size, when the archive says it

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The whole file, or its first `limit` bytes, decompressed.
std::string read_input(const std::string& name, size_t limit = SIZE_MAX);

}  // namespace mfrec
