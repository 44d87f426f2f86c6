#include "mfrec/ratings.h"

namespace mfrec {

void Ratings::reserve(size_t n) {
  user.reserve(n);
  item.reserve(n);
  value.reserve(n);
}

void Ratings::push(uint32_t u, uint32_t i, float r) {
  user.push_back(u);
  item.push_back(i);
  value.push_back(r);
}

Ratings Ratings::select(const std::vector<uint32_t>& rows) const {
  Ratings out;
  out.user.resize(rows.size());
  out.item.resize(rows.size());
  out.value.resize(rows.size());
  if (has_time()) out.time.resize(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const uint32_t r = rows[k];
    out.user[k] = user[r];
    out.item[k] = item[r];
    out.value[k] = value[r];
    if (has_time()) out.time[k] = time[r];
  }
  return out;
}

}  // namespace mfrec
