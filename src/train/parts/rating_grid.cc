#include "train/parts/rating_grid.h"

#include <omp.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "common/random.h"

namespace mfrec {
namespace {

// Random membership, balanced by ratings: walk a random order of the rows and cut it into `side`
// runs of about equal rating counts. A row's index in the grid is its place in that order, so each
// block's rows are contiguous.
void cut(const std::vector<uint64_t>& counts, uint32_t side, Random& rng, std::vector<uint32_t>& block,
         std::vector<uint32_t>& index, std::vector<uint32_t>& begin) {
  const size_t n = counts.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order);
  block.assign(n, 0);
  index.assign(n, 0);
  begin.assign(size_t(side) + 1, uint32_t(n));
  begin[0] = 0;
  const uint64_t total = std::accumulate(counts.begin(), counts.end(), uint64_t(0));
  uint64_t seen = 0;
  uint32_t b = 0;
  for (size_t k = 0; k < n; ++k) {
    // Move on once this block has its share, but leave at least one row for each block still to come.
    while (b + 1 < side && (seen * side >= total * (b + 1) || n - k <= side - 1 - b)) begin[++b] = uint32_t(k);
    block[order[k]] = b;
    index[order[k]] = uint32_t(k);
    seen += counts[order[k]];
  }
}

template <bool Time>
inline void swap_rows(Ratings& r, size_t a, size_t b) {
  std::swap(r.user[a], r.user[b]);
  std::swap(r.item[a], r.item[b]);
  std::swap(r.value[a], r.value[b]);
  if constexpr (Time) std::swap(r.time[a], r.time[b]);
}

// Moves every row of [bounds[0], bounds.back()) into its bucket's range [bounds[t], bounds[t + 1]),
// t = key(row), in place (American flag sort: each swap puts one row where it belongs). The rows
// of the buckets before b are all in place when b's turn comes, so a row met there belongs to b or later.
template <bool Time, typename Key>
void bucket_in_place(Ratings& r, const uint64_t* bounds, size_t buckets, Key key) {
  std::vector<uint64_t> next(bounds, bounds + buckets);
  for (size_t b = 0; b < buckets; ++b)
    for (uint64_t& k = next[b]; k < bounds[b + 1]; ++k)
      for (size_t t; (t = key(k)) != b;) swap_rows<Time>(r, k, next[t]++);
}

template <bool Time>
void place(Ratings& r, RatingGrid& g, uint64_t seed, int threads) {
  const uint32_t side = g.side;
  // Row blocks first (side buckets over all rows), then each row block's column blocks, side by side.
  std::vector<uint64_t> row_bounds(size_t(side) + 1);
  for (uint32_t b = 0; b <= side; ++b) row_bounds[b] = g.offsets[size_t(b) * side];
  bucket_in_place<Time>(r, row_bounds.data(), side, [&](uint64_t k) { return g.user_block[r.user[k]]; });
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t rb = 0; rb < int64_t(side); ++rb)
    bucket_in_place<Time>(r, g.offsets.data() + size_t(rb) * side, side, [&](uint64_t k) { return g.item_block[r.item[k]]; });
  // A random order inside each block, drawn from the block's own stream: the same for any thread count.
  const uint32_t nb = g.blocks();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
  for (int64_t b = 0; b < int64_t(nb); ++b) {
    Random rng(splitmix64_mix(seed + uint64_t(b)));
    const size_t first = g.offsets[size_t(b)];
    for (size_t k = g.size(uint32_t(b)); k > 1; --k) swap_rows<Time>(r, first + k - 1, first + rng.below(k));
  }
}

// Two passes of bucket_in_place: by blocks of about 1024 keys' rows, then each block by key, so
// that each pass writes to few places at once (one pass over every key would miss the cache on
// every swap).
template <bool Time>
void group(Ratings& r, const std::vector<uint32_t>& key, const std::vector<uint64_t>& offsets, int threads) {
  const size_t n_keys = offsets.size() - 1, per_block = std::max<size_t>(1, (n_keys + 1023) / 1024);
  const size_t blocks = (n_keys + per_block - 1) / per_block;
  std::vector<uint64_t> bounds(blocks + 1);
  for (size_t b = 0; b <= blocks; ++b) bounds[b] = offsets[std::min(n_keys, b * per_block)];
  bucket_in_place<Time>(r, bounds.data(), blocks, [&](uint64_t k) { return key[k] / per_block; });
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t b = 0; b < int64_t(blocks); ++b) {
    const size_t first = size_t(b) * per_block;
    bucket_in_place<Time>(r, offsets.data() + first, std::min(per_block, n_keys - first),
                          [&](uint64_t k) { return key[k] - first; });
  }
}

}  // namespace

std::vector<uint64_t> group_in_place(Ratings& r, size_t n_keys, bool by_user, int threads) {
  const std::vector<uint32_t>& key = by_user ? r.user : r.item;  // read as the rows move
  std::vector<uint64_t> offsets(n_keys + 1, 0);
  for (uint32_t k : key) ++offsets[k + 1];
  for (size_t k = 0; k < n_keys; ++k) offsets[k + 1] += offsets[k];
  if (n_keys == 0) return offsets;
  if (r.has_time()) group<true>(r, key, offsets, std::max(threads, 1));
  else group<false>(r, key, offsets, std::max(threads, 1));
  return offsets;
}

uint32_t auto_grid_side(uint32_t threads, size_t n_users, size_t n_items, size_t row_bytes) {
  // FPSG needs at least 2 * threads + 1 blocks per side so that a finishing thread always finds a
  // free block; 8 at least evens out the end of an epoch. Beyond that, the rows a block touches
  // ((users + items) / side rows) should stay within half a core's L2 (taken as 1 MiB: 512 KiB);
  // more blocks than that only add scheduling and cold starts. The scheduler scans side^2 blocks
  // per hand-out: at most 64 a side.
  const size_t by_cache = ((n_users + n_items) * row_bytes + (512u << 10) - 1) / (512u << 10);
  const size_t side = std::min<size_t>(64, std::max<size_t>({2 * size_t(threads) + 1, 8, by_cache}));
  return uint32_t(std::max<size_t>(1, std::min<size_t>({side, n_users, n_items})));
}

RatingGrid make_grid(Ratings& r, size_t n_users, size_t n_items, uint32_t side, uint64_t seed, int threads) {
  RatingGrid g;
  g.side = std::max<uint32_t>(1, side);
  threads = std::max(threads, 1);
  Random rng(seed ^ 0x6a09e667f3bcc908ull);
  const size_t n = r.size();
  std::vector<uint64_t> user_count(n_users, 0), item_count(n_items, 0);
  for (size_t k = 0; k < n; ++k) ++user_count[r.user[k]], ++item_count[r.item[k]];
  cut(user_count, g.side, rng, g.user_block, g.user_index, g.user_begin);
  cut(item_count, g.side, rng, g.item_block, g.item_index, g.item_begin);
  g.user_of.resize(n_users), g.item_of.resize(n_items);
  for (size_t u = 0; u < n_users; ++u) g.user_of[g.user_index[u]] = uint32_t(u);
  for (size_t i = 0; i < n_items; ++i) g.item_of[g.item_index[i]] = uint32_t(i);
  g.offsets.assign(size_t(g.blocks()) + 1, 0);
  for (size_t k = 0; k < n; ++k) ++g.offsets[g.user_block[r.user[k]] * g.side + g.item_block[r.item[k]] + 1];
  for (uint32_t b = 0; b < g.blocks(); ++b) g.offsets[b + 1] += g.offsets[b];
  const uint64_t shuffle_seed = rng.next();
  if (r.has_time()) place<true>(r, g, shuffle_seed, threads);
  else place<false>(r, g, shuffle_seed, threads);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t k = 0; k < int64_t(n); ++k) {
    r.user[size_t(k)] = g.user_index[r.user[size_t(k)]];
    r.item[size_t(k)] = g.item_index[r.item[size_t(k)]];
  }
  return g;
}

void restore_ids(Ratings& r, const RatingGrid& g, int threads) noexcept {
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static)
  for (int64_t k = 0; k < int64_t(r.size()); ++k) {
    r.user[size_t(k)] = g.user_of[r.user[size_t(k)]];
    r.item[size_t(k)] = g.item_of[r.item[size_t(k)]];
  }
}

}  // namespace mfrec
