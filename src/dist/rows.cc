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

void scatter_side(Comm& comm, const Ownership& own, const FactorMatrix* table, const std::vector<float>* table_bias,
                  int dim, bool biased, Precision precision, FactorMatrix& rows, std::vector<float>& bias) {
  const std::vector<float> packed = scatter_side(comm, own, table, table_bias, dim, biased);
  const size_t n = own.count(comm.rank()), w = size_t(dim) + (biased ? 1 : 0);
  rows = FactorMatrix(n, size_t(dim), precision);
  bias.assign(n, 0.0f);
  for (size_t r = 0; r < n; ++r) {
    rows.write_row(r, packed.data() + r * w);
    if (biased) bias[r] = packed[r * w + size_t(dim)];
  }
}

void gather_side(Comm& comm, const Ownership& own, const FactorMatrix& rows, const std::vector<float>& bias,
                 bool biased, FactorMatrix* table, std::vector<float>* table_bias) {
  const size_t dim = rows.cols(), w = dim + (biased ? 1 : 0);
  std::vector<float> packed(rows.rows() * w);
  for (size_t r = 0; r < rows.rows(); ++r) {
    rows.read_row(r, packed.data() + r * w);
    if (biased) packed[r * w + dim] = bias[r];
  }
  gather_side(comm, own, packed.data(), table, table_bias, int(dim), biased);
}

}  // namespace mfrec::dist
