#include "mfrec/id_map.h"

namespace mfrec {

uint32_t IdMap::intern_slow(std::string_view id) {
  if (int64_t v = small_integer(id); v >= 0) {
    if (size_t(v) >= dense_.size()) dense_.resize(std::min<size_t>(std::max<size_t>(size_t(v) + 1, dense_.size() * 2), kDenseLimit), 0);
    int32_t& slot = dense_[size_t(v)];
    if (slot == 0) {
      names_.emplace_back(id);
      slot = int32_t(names_.size());
    }
    return uint32_t(slot - 1);
  }
  if (auto it = sparse_.find(id); it != sparse_.end()) return it->second;
  sparse_.emplace(std::string(id), uint32_t(names_.size()));
  names_.emplace_back(id);
  return uint32_t(names_.size() - 1);
}

std::optional<uint32_t> IdMap::find(std::string_view id) const {
  if (int64_t v = small_integer(id); v >= 0) {
    if (size_t(v) < dense_.size() && dense_[size_t(v)] != 0) return uint32_t(dense_[size_t(v)] - 1);
    return std::nullopt;
  }
  auto it = sparse_.find(id);
  if (it == sparse_.end()) return std::nullopt;
  return it->second;
}

IdMap IdMap::from_names(std::vector<std::string> names) {
  IdMap map;
  for (const auto& n : names) map.intern(n);
  return map;
}

}  // namespace mfrec
