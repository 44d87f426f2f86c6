#include "mfrec/id_map.h"

namespace mfrec {
namespace {

// The value of a canonical decimal integer (no sign, no leading zero) below `limit`, else -1.
int64_t small_integer(std::string_view s, uint64_t limit) {
  if (s.empty() || s.size() > 8 || (s.size() > 1 && s[0] == '0')) return -1;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + uint64_t(c - '0');
  }
  return v < limit ? int64_t(v) : -1;
}

}  // namespace

uint32_t IdMap::intern(std::string_view id) {
  if (int64_t v = small_integer(id, kDenseLimit); v >= 0) {
    if (size_t(v) >= dense_.size()) dense_.resize(std::min<size_t>(std::max<size_t>(size_t(v) + 1, dense_.size() * 2), kDenseLimit), 0);
    int32_t& slot = dense_[size_t(v)];
    if (slot == 0) {
      names_.emplace_back(id);
      slot = int32_t(names_.size());
    }
    return uint32_t(slot - 1);
  }
  auto [it, added] = sparse_.try_emplace(std::string(id), uint32_t(names_.size()));
  if (added) names_.emplace_back(id);
  return it->second;
}

std::optional<uint32_t> IdMap::find(std::string_view id) const {
  if (int64_t v = small_integer(id, kDenseLimit); v >= 0) {
    if (size_t(v) < dense_.size() && dense_[size_t(v)] != 0) return uint32_t(dense_[size_t(v)] - 1);
    return std::nullopt;
  }
  auto it = sparse_.find(std::string(id));
  if (it == sparse_.end()) return std::nullopt;
  return it->second;
}

IdMap IdMap::from_names(std::vector<std::string> names) {
  IdMap map;
  for (const auto& n : names) map.intern(n);
  return map;
}

}  // namespace mfrec
