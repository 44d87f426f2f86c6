#pragma once
// One row's least-squares problem with the other side fixed, as its normal equations:
//   A = sum z z^T (lower triangle),   b = sum z y,   z = F.col(j), y = target - offset(j)
// over the row's ratings (j the other side's index). The features are gathered in chunks, one
// symmetric rank update (a SYRK) each, so that the gather buffer stays small. als solves the
// equations; mcmc draws from the Gaussian they define.
#include <Eigen/Core>
#include <algorithm>

#include "train/parts/rating_rows.h"

namespace mfrec {

struct NormalEquations {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
  static constexpr Eigen::Index kChunk = 256;  // ratings gathered per rank update

  Matrix A;
  Vector b;

  explicit NormalEquations(Eigen::Index width) : A(width, width), b(width), X_(width, kChunk), y_(kChunk) {}

  template <typename Offset>
  void gather(const RatingRows& rows, size_t r, const Matrix& F, Offset offset) {
    A.setZero();
    b.setZero();
    const uint64_t end = rows.offsets[r + 1];
    for (uint64_t at = rows.offsets[r]; at < end; at += uint64_t(kChunk)) {
      const Eigen::Index m = Eigen::Index(std::min<uint64_t>(kChunk, end - at));
      for (Eigen::Index t = 0; t < m; ++t) {
        const uint32_t j = rows.other[at + uint64_t(t)];
        X_.col(t) = F.col(j);
        y_[t] = rows.target[at + uint64_t(t)] - offset(j);
      }
      A.selfadjointView<Eigen::Lower>().rankUpdate(X_.leftCols(m));
      b.noalias() += X_.leftCols(m) * y_.head(m);
    }
  }

 private:
  Matrix X_;
  Vector y_;
};

}  // namespace mfrec
