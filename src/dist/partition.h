#pragma once
// How the ratings and factor rows are spread over the ranks, as Spark ML's ALS does it: every user
// and every item has one owner rank, a hash of its external id (so that any rank can tell without
// asking); each rank keeps the ratings of its own users grouped by user and the ratings of its own
// items grouped by item (each rating once per side), and before each half-sweep receives the other
// side's rows its ratings name, and only those (its in-blocks; what it sends are its out-blocks).
#include <cstdint>
#include <string_view>
#include <vector>

#include "dist/comm.h"
#include "mfrec/id_map.h"
#include "mfrec/ratings.h"
#include "train/parts/rating_rows.h"

namespace mfrec::dist {

uint64_t id_hash(std::string_view id);  // FNV-1a, the same on every platform

// Who owns each row of one side.
struct Ownership {
  std::vector<int32_t> owner;               // by global index
  std::vector<uint32_t> local;              // its index among its owner's rows
  std::vector<std::vector<uint32_t>> rows;  // by rank: its rows' global indices, ascending
  size_t size() const { return owner.size(); }
  size_t count(int rank) const { return rows[size_t(rank)].size(); }
  std::vector<int> counts() const;          // rows per rank
  static Ownership of(const IdMap& ids, int ranks);
};

// One half-sweep on this rank: its own rows of the side being solved, their ratings, and the
// exchange that brings the fixed side's rows those ratings name.
struct HalfSweep {
  // By local row, the ratings in the one-process order (users' rows by item, items' rows in the
  // training part's order; two_sides.h), so that each row's sums are formed alike; `other` indexes
  // the received rows.
  RatingRows rows;
  std::vector<uint32_t> send_rows;  // local fixed-side rows to send, grouped by destination rank
  std::vector<int> send_counts, recv_counts;
  size_t received() const;
};

// Builds this rank's half-sweep solving `solved` with `fixed` given: `train` is the whole training
// part (every rank has read it), `target[k]` the value rating k is fitted to. Collective: the ranks
// tell each other which fixed rows they need (once; the lists become the out-blocks).
HalfSweep plan_half_sweep(Comm& comm, const Ratings& train, const std::vector<float>& target, bool solve_users,
                          const Ownership& solved, const Ownership& fixed);

}  // namespace mfrec::dist
