#include "train/parts/block_scheduler.h"

#include <omp.h>

namespace mfrec {

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
