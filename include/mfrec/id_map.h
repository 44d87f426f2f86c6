#pragma once
// External ids (any string; integers take a fast path) <-> dense internal indices 0..size()-1.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mfrec {

class IdMap {
 public:
  // The index of `id`, adding it when new.
  uint32_t intern(std::string_view id);
  std::optional<uint32_t> find(std::string_view id) const;
  const std::string& external(uint32_t index) const { return names_[index]; }
  size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  static IdMap from_names(std::vector<std::string> names);
  void reserve(size_t n) { names_.reserve(n); }

 private:
  static constexpr uint64_t kDenseLimit = 1u << 20;  // integer ids below this use a flat table (<= 4 MB)
  std::vector<std::string> names_;
  std::vector<int32_t> dense_;  // integer id -> index + 1 (0: absent)
  std::unordered_map<std::string, uint32_t> sparse_;
};

}  // namespace mfrec
