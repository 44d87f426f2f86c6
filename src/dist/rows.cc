#include "dist/rows.h"

namespace mfrec::dist {

std::vector<float> scatter_side(Comm& comm, const Ownership& own, const FactorMatrix* table,
                                const std::vector<float>* bias, int dim, bool biased) {
  const size_t w = size_t(dim) + (biased ? 1 : 0);
  std::vector<float> all;
  if (comm.rank() == 0) {
    all.resize(own.size() * w);
    size_t at = 0;
    for (const auto& rows : own.rows)
      for (uint32_t g : rows) {
        table->read_row(g, all.data() + at);
        if (biased) all[at + size_t(dim)] = (*bias)[g];
        at += w;
      }
  }
  std::vector<float> mine(own.count(comm.rank()) * w);
  comm.scatter_rows(all.data(), own.counts(), mine.data(), int(w));
  return mine;
}

void gather_side(Comm& comm, const Ownership& own, const float* packed, FactorMatrix* table,
                 std::vector<float>* bias, int dim, bool biased) {
  const size_t w = size_t(dim) + (biased ? 1 : 0);
  std::vector<float> all(comm.rank() == 0 ? own.size() * w : 0);
  comm.gather_rows(packed, int(own.count(comm.rank())), all.data(), own.counts(), int(w));
  if (comm.rank() != 0) return;
  size_t at = 0;
  for (const auto& rows : own.rows)
    for (uint32_t g : rows) {
      table->write_row(g, all.data() + at);
      if (biased) (*bias)[g] = all[at + size_t(dim)];
      at += w;
    }
}

}  // namespace mfrec::dist
