#include "dist/partition.h"

#include <algorithm>

namespace mfrec::dist {

uint64_t id_hash(std::string_view id) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<int> Ownership::counts() const {
  std::vector<int> c(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) c[r] = int(rows[r].size());
  return c;
}

Ownership Ownership::of(const IdMap& ids, int ranks) {
  Ownership o;
  o.owner.resize(ids.size());
  o.local.resize(ids.size());
  o.rows.resize(size_t(ranks));
  for (size_t g = 0; g < ids.size(); ++g) {
    const int r = int(id_hash(ids.external(uint32_t(g))) % uint64_t(ranks));
    o.owner[g] = r;
    o.local[g] = uint32_t(o.rows[size_t(r)].size());
    o.rows[size_t(r)].push_back(uint32_t(g));
  }
  return o;
}

size_t HalfSweep::received() const {
  size_t n = 0;
  for (int c : recv_counts) n += size_t(c);
  return n;
}

HalfSweep plan_half_sweep(Comm& comm, const Ratings& train, const std::vector<float>& target, bool solve_users,
                          const Ownership& solved, const Ownership& fixed) {
  const int me = comm.rank(), ranks = comm.size();
  const auto& key = solve_users ? train.user : train.item;
  const auto& other = solve_users ? train.item : train.user;
  HalfSweep h;

  // The fixed rows this rank's ratings name, grouped by owner, ascending within each owner: their
  // place in the received table.
  std::vector<uint32_t> place(fixed.size(), UINT32_MAX);
  std::vector<std::vector<uint32_t>> wanted(static_cast<size_t>(ranks));
  for (size_t k = 0; k < train.size(); ++k) {
    if (solved.owner[key[k]] != me || place[other[k]] != UINT32_MAX) continue;
    place[other[k]] = 0;
    wanted[size_t(fixed.owner[other[k]])].push_back(other[k]);
  }
  h.recv_counts.assign(size_t(ranks), 0);
  std::vector<uint32_t> request;  // their owners' local indices, for the owners to send
  uint32_t at = 0;
  for (int r = 0; r < ranks; ++r) {
    auto& w = wanted[size_t(r)];
    std::sort(w.begin(), w.end());
    h.recv_counts[size_t(r)] = int(w.size());
    for (uint32_t g : w) place[g] = at++, request.push_back(fixed.local[g]);
    std::vector<uint32_t>().swap(w);
  }
  std::vector<int> from;
  h.send_rows = comm.exchange_ids(request, h.recv_counts, from);
  h.send_counts.assign(size_t(ranks), 0);
  for (int r = 0; r < ranks; ++r) h.send_counts[size_t(r)] = from[size_t(r) + 1] - from[size_t(r)];

  // The ratings of this rank's rows as compressed rows, in the one-process order (two_sides.h).
  const size_t n_rows = solved.count(me);
  RatingRows& g = h.rows;
  g.offsets.assign(n_rows + 1, 0);
  for (size_t k = 0; k < train.size(); ++k)
    if (solved.owner[key[k]] == me) ++g.offsets[solved.local[key[k]] + 1];
  for (size_t r = 0; r < n_rows; ++r) g.offsets[r + 1] += g.offsets[r];
  std::vector<uint64_t> fill(g.offsets.begin(), g.offsets.end() - 1);
  g.other.resize(g.offsets.back());
  g.target.resize(g.offsets.back());
  for (size_t k = 0; k < train.size(); ++k) {
    if (solved.owner[key[k]] != me) continue;
    const uint64_t slot = fill[solved.local[key[k]]]++;
    g.other[slot] = other[k];
    g.target[slot] = target[k];
  }
  if (solve_users) g.sort_rows();  // by the items' own indices, then to their received places
  for (uint32_t& o : g.other) o = place[o];
  return h;
}

}  // namespace mfrec::dist
