#pragma once
// The block scheduler of FPSG (Chin, Zhuang, Juan, Lin: "A Fast Parallel Stochastic Gradient Method
// for Matrix Factorization in Shared Memory Systems", ACM TIST 2015) over the blocks of a rating grid
// (rating_grid.h). With more blocks than threads (side >= 2 * threads + 1) a thread that finishes
// always finds a free block.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/random.h"

namespace mfrec {

// Hands out blocks to threads so that no two running blocks share a row block or a column block.
// Each epoch every block is handed out exactly once. Among the free blocks it prefers the least
// updated (over all epochs), then the one whose row and column still hold the most pending blocks
// (this keeps the remainder spread out, so fewer threads wait at the end of an epoch), then a random
// one. With one thread the order is a function of the seed alone.
class BlockScheduler {
 public:
  static constexpr int kDone = -1;

  explicit BlockScheduler(uint32_t side);
  void start_epoch(uint64_t seed);
  // A free block, waiting while every pending block conflicts with a running one; kDone when the
  // epoch's blocks are all handed out.
  int acquire();
  void release(int block);

  uint32_t side() const { return side_; }
  uint64_t updates(int block) const { return count_[size_t(block)]; }
  uint64_t waits() const { return waits_; }  // how often a thread had to wait for a free block

 private:
  uint32_t side_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<uint8_t> row_busy_, col_busy_, pending_;
  std::vector<uint32_t> row_pending_, col_pending_;
  std::vector<uint64_t> count_;
  uint32_t remaining_ = 0;
  uint64_t waits_ = 0;
  Random rng_{0};
};

// Runs one epoch: `threads` threads take blocks from `scheduler` until all are done, calling
// work(block, thread) on each; returns the sum of what `work` returned.
double run_grid_epoch(BlockScheduler& scheduler, int threads, uint64_t seed,
                      const std::function<double(int block, int thread)>& work);

}  // namespace mfrec
