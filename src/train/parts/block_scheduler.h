#pragma once
// The rating grid and the block scheduler of FPSG (Chin, Zhuang, Juan, Lin: "A Fast Parallel
// Stochastic Gradient Method for Matrix Factorization in Shared Memory Systems", ACM TIST 2015).
//
// Users are cut into `side` row blocks and items into `side` column blocks (random membership,
// balanced by rating count), so the rating matrix becomes side x side blocks. Two blocks that share
// neither a row block nor a column block touch disjoint user rows and item rows: threads can run
// them side by side without locks or races. With more blocks than threads (side >= 2 * threads + 1)
// a thread that finishes always finds a free block.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/random.h"
#include "train/parts/samples.h"

namespace mfrec {

// The training ratings bucketed by block: block b = row_block * side + col_block holds
// samples[offsets[b] .. offsets[b + 1]), stored contiguously and shuffled once.
//
// Rows are renumbered so that each block's rows are contiguous: user u is row user_index[u] of the
// grid, and row block r holds grid rows [user_begin[r], user_begin[r + 1]) (items alike). The
// samples carry grid row numbers. Engines keep their tables in grid order, so that threads on
// different blocks never write the same cache line (no false sharing of biases or accumulators)
// and a block's rows are one stretch of memory.
struct RatingGrid {
  uint32_t side = 1;
  std::vector<uint32_t> user_block, item_block;  // row block of each user, column block of each item
  std::vector<uint32_t> user_index, item_index;  // grid row of each user and each item
  std::vector<uint32_t> user_begin, item_begin;  // side + 1: first grid row of each block
  std::vector<uint64_t> offsets;                  // side * side + 1
  std::vector<Sample> samples;                    // user and item are grid rows

  uint32_t blocks() const { return side * side; }
  size_t size(uint32_t b) const { return offsets[b + 1] - offsets[b]; }
  const Sample* begin(uint32_t b) const { return samples.data() + offsets[b]; }
  const Sample* end(uint32_t b) const { return samples.data() + offsets[b + 1]; }
};

RatingGrid make_grid(const std::vector<Sample>& samples, size_t n_users, size_t n_items, uint32_t side,
                     uint64_t seed);
// The same from the training ratings as pack_samples() would pack them, without that copy.
RatingGrid make_grid(const Ratings& train, const Model& model, uint32_t side, uint64_t seed);

// The automatic grid side for `threads` threads (TrainOptions::blocks == 0) and factor rows of
// `row_bytes` bytes.
uint32_t auto_grid_side(uint32_t threads, size_t n_users, size_t n_items, size_t row_bytes);

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
