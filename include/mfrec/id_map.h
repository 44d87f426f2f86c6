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
  // The index of `id`, adding it when new. Inline for the parser's sake: most ids are small integers.
  uint32_t intern(std::string_view id) {
    if (const int64_t v = small_integer(id); v >= 0 && size_t(v) < dense_.size() && dense_[size_t(v)] != 0)
      return uint32_t(dense_[size_t(v)] - 1);
    return intern_slow(id);
  }
  std::optional<uint32_t> find(std::string_view id) const;
  const std::string& external(uint32_t index) const { return names_[index]; }
  size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  static IdMap from_names(std::vector<std::string> names);
  void reserve(size_t n) { names_.reserve(n); }

 private:
  static constexpr uint64_t kDenseLimit = 1u << 20;  // integer ids below this use a flat table (<= 4 MB)
  // The value of a canonical decimal integer (no sign, no leading zero) below kDenseLimit, else -1.
  static int64_t small_integer(std::string_view s) {
    if (s.empty() || s.size() > 7 || (s.size() > 1 && s[0] == '0')) return -1;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + uint64_t(c - '0');
    }
    return v < kDenseLimit ? int64_t(v) : -1;
  }
  uint32_t intern_slow(std::string_view id);
  std::vector<std::string> names_;
  std::vector<int32_t> dense_;  // integer id -> index + 1 (0: absent)
  struct Hash {  // looks up a string_view without making a string of it
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> sparse_;
};

}  // namespace mfrec
