#pragma once
// A read-only memory map of a whole file (empty files map to an empty view).
#include <string>
#include <string_view>

namespace mfrec {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws DataError naming the path
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {data_, size_}; }
  // Maps every page now, in one call, rather than at a fault each as they are read (advice only).
  void populate() const;

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mfrec
