#pragma once
// FPSG's rating grid (Chin, Zhuang, Juan, Lin: "A Fast Parallel Stochastic Gradient Method for Matrix
// Factorization in Shared Memory Systems", ACM TIST 2015), built in place.
//
// Users are cut into `side` row blocks and items into `side` column blocks (random membership,
// balanced by rating count), so the rating matrix becomes side x side blocks. Two blocks that share
// neither a row block nor a column block touch disjoint user rows and item rows: threads can run
// them side by side without locks or races (block_scheduler.h hands them out).
#include <cstdint>
#include <vector>

#include "mfrec/ratings.h"

namespace mfrec {

// Where the blocks are: make_grid reorders the rows of a Ratings (each row kept whole) so that block
// b = row_block * side + col_block is rows [offsets[b], offsets[b + 1]), shuffled once, and renumbers
// their users and items to grid rows. No copy of the ratings is made: the grid costs its index
// arrays only.
//
// User u is grid row user_index[u], and row block r holds grid rows [user_begin[r], user_begin[r + 1])
// (items alike). Engines keep their tables in grid order, so that threads on different blocks never
// write the same cache line and a block's rows are one stretch of memory.
struct RatingGrid {
  uint32_t side = 1;
  std::vector<uint32_t> user_block, item_block;  // row block of each user, column block of each item
  std::vector<uint32_t> user_index, item_index;  // grid row of each user and each item
  std::vector<uint32_t> user_of, item_of;        // the user (item) at each grid row
  std::vector<uint32_t> user_begin, item_begin;  // side + 1: first grid row of each block
  std::vector<uint64_t> offsets;                  // side * side + 1

  uint32_t blocks() const { return side * side; }
  size_t size(uint32_t b) const { return offsets[b + 1] - offsets[b]; }
};

// Makes the grid of `rows` (users < n_users, items < n_items) in place, on `threads` threads; the
// same grid for any thread count.
RatingGrid make_grid(Ratings& rows, size_t n_users, size_t n_items, uint32_t side, uint64_t seed, int threads = 1);
// Gives `rows` their user and item indices back (the rows stay in grid order).
void restore_ids(Ratings& rows, const RatingGrid& grid, int threads = 1) noexcept;

// Reorders `rows` in place (each row kept whole) so that the rows of user u (by_user; else of item
// u) are [offsets[u], offsets[u + 1]); returns those n_keys + 1 offsets. Inside a key the order is
// the sort's, not the file's, and the same for any thread count.
std::vector<uint64_t> group_in_place(Ratings& rows, size_t n_keys, bool by_user, int threads = 1);

// The automatic grid side for `threads` threads (TrainOptions::blocks == 0) and factor rows of
// `row_bytes` bytes.
uint32_t auto_grid_side(uint32_t threads, size_t n_users, size_t n_items, size_t row_bytes);

}  // namespace mfrec
