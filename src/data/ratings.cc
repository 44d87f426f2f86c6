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
  std::vector<uint64_t> start(n_users + 1, 0);
  for (uint32_t u : r.user) ++start[u + 1];
  for (size_t u = 0; u < n_users; ++u) start[u + 1] += start[u];
  // Rows grouped by user a range of users at a time, each range at most a quarter of the rows: the
  // grouping costs a few passes over the user column instead of 4 bytes a rating.
  const size_t most = std::max<size_t>(n / 4 + 1, size_t(1) << 16);
  uint64_t largest = 0;  // one user's rows are always grouped together
  for (size_t u = 0; u < n_users; ++u) largest = std::max(largest, start[u + 1] - start[u]);
  std::vector<uint32_t> by_user(std::min<size_t>(n, std::max<size_t>(most, largest))), mark(n_items, UINT32_MAX);
  std::vector<uint64_t> fill;
  std::vector<bool> drop(n, false);
  size_t dropped = 0;
  for (size_t lo = 0; lo < n_users;) {
    size_t hi = lo + 1;
    while (hi < n_users && start[hi + 1] - start[lo] <= most) ++hi;
    fill.assign(start.begin() + ptrdiff_t(lo), start.begin() + ptrdiff_t(hi));
    for (size_t k = 0; k < n; ++k) {
      const uint32_t u = r.user[k];
      if (u >= lo && u < hi) by_user[fill[u - lo]++ - start[lo]] = uint32_t(k);
    }
    for (size_t u = lo; u < hi; ++u) {
      for (size_t k = start[u + 1]; k-- > start[u];) {  // latest first
        const uint32_t row = by_user[k - start[lo]];
        uint32_t& m = mark[r.item[row]];
        if (m == u) {
          drop[row] = true;
          ++dropped;
        } else {
          m = uint32_t(u);
        }
      }
    }
    lo = hi;
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
