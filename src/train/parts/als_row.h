#pragma once
// One ALS-WR row solve: the row's normal equations with the other side fixed, the weighted-lambda
// ridge added, solved by Cholesky. The one-process engine (als.cc) and the distributed one
// (dist/dist_als.cc) both call this, so that a row gets the same arithmetic wherever it is solved.
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "train/parts/normal_equations.h"
#include "train/parts/rating_rows.h"

namespace mfrec {

class AlsRowSolver {
 public:
  using Matrix = NormalEquations::Matrix;
  using Vector = NormalEquations::Vector;

  // `dim` factors, and a bias below them when `biased`.
  AlsRowSolver(int dim, bool biased) : k_(dim), biased_(biased), eq_(width()), x_(width()), llt_(width()) {}
  int width() const { return k_ + (biased_ ? 1 : 0); }

  // Row r of `rows` (which must have ratings): F holds the other side's features, one column per
  // index of rows.other, with a 1 below the factors when biased; bias(j) the other side's bias.
  // Returns [factors; bias].
  template <typename Bias>
  const Vector& solve(const RatingRows& rows, size_t r, const Matrix& F, Bias bias, float lambda, float lambda_b) {
    eq_.gather(rows, r, F, [&](uint32_t j) { return biased_ ? bias(j) : 0.0f; });
    Matrix& A = eq_.A;
    const float n = float(rows.count(r));
    A.diagonal().head(k_).array() += lambda * n;
    if (biased_) A(k_, k_) += lambda_b * n;
    llt_.compute(A);  // reads the lower triangle
    if (llt_.info() != Eigen::Success) {
      // Only when lambda is 0 and the row has fewer ratings than unknowns: a minimal ridge.
      A.diagonal().array() += 1e-4f * (1.0f + A.diagonal().cwiseAbs().maxCoeff());
      llt_.compute(A);
    }
    x_ = llt_.solve(eq_.b);
    return x_;
  }

 private:
  int k_;
  bool biased_;
  NormalEquations eq_;
  Vector x_;
  Eigen::LLT<Matrix> llt_;
};

}  // namespace mfrec
