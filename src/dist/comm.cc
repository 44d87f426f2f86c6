#include "dist/comm.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mfrec::dist {

Comm& Comm::world() {
  static Comm comm;
  return comm;
}

Comm::Comm() {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

std::vector<int> offsets_of(const std::vector<int>& counts) {
  std::vector<int> at(counts.size() + 1, 0);
  for (size_t r = 0; r < counts.size(); ++r) {
    if (int64_t(at[r]) + counts[r] > INT32_MAX) throw std::length_error("more than 2^31 rows to exchange with the other ranks");
    at[r + 1] = at[r] + counts[r];
  }
  return at;
}

// Counts are in rows, not floats, so that a rank may hold up to 2^31 rows of any width.
MPI_Datatype Comm::row_type(int width) {
  MPI_Datatype t;
  MPI_Type_contiguous(width, MPI_FLOAT, &t);
  MPI_Type_commit(&t);
  return t;
}

void Comm::exchange_rows(const float* send, const std::vector<int>& send_counts, float* recv,
                         const std::vector<int>& recv_counts, int width) {
  const std::vector<int> send_at = offsets_of(send_counts), recv_at = offsets_of(recv_counts);
  MPI_Datatype row = row_type(width);
  MPI_Alltoallv(send, send_counts.data(), send_at.data(), row, recv, recv_counts.data(), recv_at.data(), row,
                MPI_COMM_WORLD);
  MPI_Type_free(&row);
  const uint64_t bytes = uint64_t(width) * sizeof(float);
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    traffic_.sent += uint64_t(send_counts[size_t(r)]) * bytes;
    traffic_.received += uint64_t(recv_counts[size_t(r)]) * bytes;
  }
}

std::vector<uint32_t> Comm::exchange_ids(const std::vector<uint32_t>& send, const std::vector<int>& counts,
                                         std::vector<int>& from) {
  std::vector<int> recv_counts(size_t(size_), 0);
  MPI_Alltoall(counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  from = offsets_of(recv_counts);
  const std::vector<int> send_at = offsets_of(counts);
  std::vector<uint32_t> recv(size_t(from.back()));
  MPI_Alltoallv(send.data(), counts.data(), send_at.data(), MPI_UINT32_T, recv.data(), recv_counts.data(), from.data(),
                MPI_UINT32_T, MPI_COMM_WORLD);
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    traffic_.sent += uint64_t(counts[size_t(r)]) * sizeof(uint32_t) + sizeof(int);
    traffic_.received += uint64_t(recv_counts[size_t(r)]) * sizeof(uint32_t) + sizeof(int);
  }
  return recv;
}

void Comm::scatter_rows(const float* send, const std::vector<int>& counts, float* recv, int width) {
  const std::vector<int> at = offsets_of(counts);
  MPI_Datatype row = row_type(width);
  MPI_Scatterv(send, counts.data(), at.data(), row, recv, counts[size_t(rank_)], row, 0, MPI_COMM_WORLD);
  MPI_Type_free(&row);
  const uint64_t bytes = uint64_t(width) * sizeof(float);
  if (rank_ == 0) traffic_.sent += uint64_t(at.back() - counts[0]) * bytes;
  else traffic_.received += uint64_t(counts[size_t(rank_)]) * bytes;
}

void Comm::gather_rows(const float* send, int count, float* recv, const std::vector<int>& counts, int width) {
  const std::vector<int> at = offsets_of(counts);
  MPI_Datatype row = row_type(width);
  MPI_Gatherv(send, count, row, recv, counts.data(), at.data(), row, 0, MPI_COMM_WORLD);
  MPI_Type_free(&row);
  const uint64_t bytes = uint64_t(width) * sizeof(float);
  if (rank_ == 0) traffic_.received += uint64_t(at.back() - counts[0]) * bytes;
  else traffic_.sent += uint64_t(count) * bytes;
}

void Comm::sum(double* values, int n) {
  // Summed at rank 0 and sent back rather than all-reduced: MPI does not promise that every rank of
  // an all-reduce gets the same bits, and the ranks must agree on each sum (a Gramian, a prior).
  MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : values, rank_ == 0 ? values : nullptr, n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Bcast(values, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (size_ > 1) traffic_.sent += uint64_t(n) * sizeof(double), traffic_.received += uint64_t(n) * sizeof(double);
}

void Comm::broadcast(void* data, size_t bytes) {
  // In pieces: MPI counts are ints.
  for (size_t at = 0; at < bytes; at += size_t(1) << 30) {
    const int n = int(std::min(bytes - at, size_t(1) << 30));
    MPI_Bcast(static_cast<char*>(data) + at, n, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
  if (size_ > 1) {
    if (rank_ == 0) traffic_.sent += bytes * uint64_t(size_ - 1);
    else traffic_.received += bytes;
  }
}

void Comm::send(const void* data, size_t bytes, int to) {
  for (size_t at = 0; at < bytes || at == 0; at += size_t(1) << 30) {
    MPI_Send(static_cast<const char*>(data) + at, int(std::min(bytes - at, size_t(1) << 30)), MPI_BYTE, to, 11,
             MPI_COMM_WORLD);
    if (bytes == 0) break;
  }
  traffic_.sent += bytes;
}

void Comm::receive(void* data, size_t bytes, int from) {
  for (size_t at = 0; at < bytes || at == 0; at += size_t(1) << 30) {
    MPI_Recv(static_cast<char*>(data) + at, int(std::min(bytes - at, size_t(1) << 30)), MPI_BYTE, from, 11,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (bytes == 0) break;
  }
  traffic_.received += bytes;
}

void Comm::shift(const void* send, size_t send_bytes, int to, void* recv, size_t recv_bytes, int from) {
  // In pieces of at most 1 GB (MPI counts are ints), each piece its own message, in order.
  constexpr size_t kPiece = size_t(1) << 30;
  std::vector<MPI_Request> requests;
  int tag = 0;
  for (size_t at = 0; at < recv_bytes; at += kPiece, ++tag)
    MPI_Irecv(static_cast<char*>(recv) + at, int(std::min(recv_bytes - at, kPiece)), MPI_BYTE, from, tag,
              MPI_COMM_WORLD, &requests.emplace_back());
  tag = 0;
  for (size_t at = 0; at < send_bytes; at += kPiece, ++tag)
    MPI_Isend(static_cast<const char*>(send) + at, int(std::min(send_bytes - at, kPiece)), MPI_BYTE, to, tag,
              MPI_COMM_WORLD, &requests.emplace_back());
  MPI_Waitall(int(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  if (to != rank_) traffic_.sent += send_bytes;
  if (from != rank_) traffic_.received += recv_bytes;
}

}  // namespace mfrec::dist
