#pragma once
// The ranks of a distributed run (MPI_COMM_WORLD) and the few collectives the distributed engines
// use, each counting the bytes this rank sends to and receives from the others (its share to
// itself is a copy, not traffic, and is not counted).
#include <mpi.h>

#include <cstdint>
#include <vector>

namespace mfrec::dist {

struct Traffic {
  uint64_t sent = 0, received = 0;
  Traffic operator-(const Traffic& o) const { return {sent - o.sent, received - o.received}; }
};

class Comm {
 public:
  static Comm& world();  // MPI must be initialised
  int rank() const { return rank_; }
  int size() const { return size_; }
  const Traffic& traffic() const { return traffic_; }

  // All-to-all of rows of `width` floats: send_counts[r] rows go to rank r from `send` (grouped by
  // rank in rank order), recv_counts[r] rows come from rank r into `recv` (likewise).
  void exchange_rows(const float* send, const std::vector<int>& send_counts, float* recv,
                     const std::vector<int>& recv_counts, int width);
  // All-to-all of index lists: rank r gets send[at[r] .. at[r + 1]); returns what each rank sent
  // here, in rank order, with `from` its offsets per rank.
  std::vector<uint32_t> exchange_ids(const std::vector<uint32_t>& send, const std::vector<int>& counts,
                                     std::vector<int>& from);
  // Rank 0 sends counts[r] rows of `width` floats to each rank r (scatter), or gets them (gather).
  void scatter_rows(const float* send, const std::vector<int>& counts, float* recv, int width);
  void gather_rows(const float* send, int count, float* recv, const std::vector<int>& counts, int width);
  // Sums over every rank, the same bits on every rank (the payload counted once each way).
  void sum(double* values, int n);
  double sum(double value) {
    sum(&value, 1);
    return value;
  }
  void broadcast(void* data, size_t bytes);  // from rank 0
  // Point to point, in pieces of at most 1 GB.
  void send(const void* data, size_t bytes, int to);
  void receive(void* data, size_t bytes, int from);
  // Sends `send_bytes` to rank `to` while receiving `recv_bytes` from rank `from` (a ring's step).
  void shift(const void* send, size_t send_bytes, int to, void* recv, size_t recv_bytes, int from);

 private:
  Comm();
  MPI_Datatype row_type(int width);
  int rank_ = 0, size_ = 1;
  Traffic traffic_;
};

// The counts -> offsets of a grouped buffer (n + 1 entries).
std::vector<int> offsets_of(const std::vector<int>& counts);

}  // namespace mfrec::dist
