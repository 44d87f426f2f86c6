#pragma once
// Ratings in columns: internal dense user and item indices, the rating, and (optionally) a timestamp.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mfrec {

struct Ratings {
  std::vector<uint32_t> user;
  std::vector<uint32_t> item;
  std::vector<float> value;
  std::vector<int64_t> time;  // empty when the source has no timestamps

  size_t size() const { return value.size(); }
  bool has_time() const { return !time.empty(); }
  void reserve(size_t n);
  void push(uint32_t u, uint32_t i, float r);
  // The rows at `rows`, in that order.
  Ratings select(const std::vector<uint32_t>& rows) const;
  // Keeps the last of each repeated (user, item) pair, in order; returns how many were dropped.
  size_t drop_duplicates(size_t n_users, size_t n_items);
};

}  // namespace mfrec
