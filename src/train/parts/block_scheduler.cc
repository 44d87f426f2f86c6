#include "train/parts/block_scheduler.h"

#include <omp.h>

#include <algorithm>
#include <numeric>

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

}  // namespace

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

namespace {

// The grid over `n` samples, the k-th given by at(k): a counting sort into blocks, then a shuffle
// inside each block. Samples are made on the fly, so no second copy of the ratings is held.
template <typename At>
RatingGrid grid_of(size_t n, At at, size_t n_users, size_t n_items, uint32_t side, uint64_t seed) {
  RatingGrid g;
  g.side = std::max<uint32_t>(1, side);
  Random rng(seed ^ 0x6a09e667f3bcc908ull);
  std::vector<uint64_t> user_count(n_users, 0), item_count(n_items, 0);
  for (size_t k = 0; k < n; ++k) {
    const Sample s = at(k);
    ++user_count[s.user], ++item_count[s.item];
  }
  cut(user_count, g.side, rng, g.user_block, g.user_index, g.user_begin);
  cut(item_count, g.side, rng, g.item_block, g.item_index, g.item_begin);
  const uint32_t nb = g.blocks();
  g.offsets.assign(size_t(nb) + 1, 0);
  auto block_of = [&](const Sample& s) { return g.user_block[s.user] * g.side + g.item_block[s.item]; };
  for (size_t k = 0; k < n; ++k) ++g.offsets[block_of(at(k)) + 1];
  for (uint32_t b = 0; b < nb; ++b) g.offsets[b + 1] += g.offsets[b];
  std::vector<uint64_t> fill(g.offsets.begin(), g.offsets.end() - 1);
  g.samples.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const Sample s = at(k);
    Sample& to = g.samples[fill[block_of(s)]++];
    to = s;
    to.user = g.user_index[s.user];
    to.item = g.item_index[s.item];
  }
  for (uint32_t b = 0; b < nb; ++b) {
    Sample* first = g.samples.data() + g.offsets[b];
    for (size_t k = g.size(b); k > 1; --k) std::swap(first[k - 1], first[rng.below(k)]);
  }
  return g;
}

}  // namespace

RatingGrid make_grid(const std::vector<Sample>& samples, size_t n_users, size_t n_items, uint32_t side,
                     uint64_t seed) {
  return grid_of(samples.size(), [&](size_t k) { return samples[k]; }, n_users, n_items, side, seed);
}

RatingGrid make_grid(const Ratings& r, const Model& m, uint32_t side, uint64_t seed) {
  return grid_of(r.size(), [&](size_t k) { return sample_of(r, m, k); }, m.n_users(), m.n_items(), side, seed);
}

BlockScheduler::BlockScheduler(uint32_t side)
    : side_(side), row_busy_(side, 0), col_busy_(side, 0), pending_(size_t(side) * side, 0),
      row_pending_(side, 0), col_pending_(side, 0), count_(size_t(side) * side, 0) {}

void BlockScheduler::start_epoch(uint64_t seed) {
  std::lock_guard lock(mutex_);
  std::fill(pending_.begin(), pending_.end(), 1);
  std::fill(row_pending_.begin(), row_pending_.end(), side_);
  std::fill(col_pending_.begin(), col_pending_.end(), side_);
  remaining_ = side_ * side_;
  rng_ = Random(seed);
}

int BlockScheduler::acquire() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (remaining_ == 0) return kDone;
    int best = kDone;
    uint64_t best_count = 0;
    uint32_t best_spread = 0, ties = 0;
    for (uint32_t r = 0; r < side_; ++r) {
      if (row_busy_[r]) continue;
      for (uint32_t c = 0; c < side_; ++c) {
        const uint32_t b = r * side_ + c;
        if (!pending_[b] || col_busy_[c]) continue;
        const uint64_t n = count_[b];
        const uint32_t spread = row_pending_[r] + col_pending_[c];
        if (best == kDone || n < best_count || (n == best_count && spread > best_spread)) {
          best = int(b), best_count = n, best_spread = spread, ties = 1;
        } else if (n == best_count && spread == best_spread && rng_.below(++ties) == 0) {
          best = int(b);  // reservoir sampling: each tied block equally likely
        }
      }
    }
    if (best != kDone) {
      const uint32_t r = uint32_t(best) / side_, c = uint32_t(best) % side_;
      row_busy_[r] = col_busy_[c] = 1;
      pending_[size_t(best)] = 0;
      --row_pending_[r], --col_pending_[c], --remaining_;
      return best;
    }
    ++waits_;
    freed_.wait(lock);
  }
}

void BlockScheduler::release(int block) {
  {
    std::lock_guard lock(mutex_);
    const uint32_t r = uint32_t(block) / side_, c = uint32_t(block) % side_;
    row_busy_[r] = col_busy_[c] = 0;
    ++count_[size_t(block)];
  }
  freed_.notify_all();
}

double run_grid_epoch(BlockScheduler& scheduler, int threads, uint64_t seed,
                      const std::function<double(int, int)>& work) {
  scheduler.start_epoch(seed);
  double sum = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sum)
  {
    const int t = omp_get_thread_num();
    for (int b; (b = scheduler.acquire()) != BlockScheduler::kDone;) {
      sum += work(b, t);
      scheduler.release(b);
    }
  }
  return sum;
}

}  // namespace mfrec
