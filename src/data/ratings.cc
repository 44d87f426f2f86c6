#include "mfrec/ratings.h"

#include <algorithm>

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

size_t Ratings::drop_duplicates(size_t n_users, size_t n_items) {
  Ratings& r = *this;
  const size_t n = r.size();
  std::vector<uint32_t> start(n_users + 1, 0);
  for (uint32_t u : r.user) ++start[u + 1];
  for (size_t u = 0; u < n_users; ++u) start[u + 1] += start[u];
  std::vector<uint32_t> by_user(n), fill(start.begin(), start.end() - 1);
  for (size_t k = 0; k < n; ++k) by_user[fill[r.user[k]]++] = uint32_t(k);
  std::vector<uint32_t> mark(n_items, UINT32_MAX);
  std::vector<uint8_t> drop(n, 0);
  size_t dropped = 0;
  for (size_t u = 0; u < n_users; ++u) {
    for (size_t k = start[u + 1]; k-- > start[u];) {  // latest first
      const uint32_t row = by_user[k];
      uint32_t& m = mark[r.item[row]];
      if (m == u) {
        drop[row] = 1;
        ++dropped;
      } else {
        m = uint32_t(u);
      }
    }
  }
  if (dropped == 0) return 0;
  size_t w = 0;
  for (size_t k = 0; k < n; ++k) {
    if (drop[k]) continue;
    r.user[w] = r.user[k];
    r.item[w] = r.item[k];
    r.value[w] = r.value[k];
    if (r.has_time()) r.time[w] = r.time[k];
    ++w;
  }
  r.user.resize(w);
  r.item.resize(w);
  r.value.resize(w);
  if (r.has_time()) r.time.resize(w);
  return dropped;
}

}  // namespace mfrec
