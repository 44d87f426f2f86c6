#include "common/eigen.h"
#include "train/parts/mcmc_parts.h"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

namespace mfrec::mcmc {

// A B^T <- ((t - 1) A B^T + P Q^T) / t with t samples, cut back to its best rank-rank_
// approximation: thin QRs of both sides of [a A, c P] [a B, c Q]^T and the SVD of the small core.
void PosteriorMean::add(const Matrix& U, const Matrix& V, double alpha) {
  ++kept_;
  alpha_sum_ += alpha;
  if (biased_) {
    for (size_t u = 0; u < user_bias_sum_.size(); ++u) user_bias_sum_[u] += U(k_, Eigen::Index(u));
    for (size_t i = 0; i < item_bias_sum_.size(); ++i) item_bias_sum_[i] += V(k_, Eigen::Index(i));
  }
  const float keep = std::sqrt(float(kept_ - 1) / float(kept_)), add = 1.0f / std::sqrt(float(kept_));
  const Eigen::Index have = A_.cols(), width = have + k_;
  Matrix A(U.cols(), width), B(V.cols(), width);
  if (have > 0) {  // the first sample has nothing to keep (A_ is still 0 x 0)
    A.leftCols(have) = keep * A_;
    B.leftCols(have) = keep * B_;
  }
  A.rightCols(k_) = add * U.topRows(k_).transpose();
  B.rightCols(k_) = add * V.topRows(k_).transpose();
  if (width <= rank_) {
    A_ = std::move(A), B_ = std::move(B);
    return;
  }
  const EigenThreads scope(threads_);
  const Eigen::HouseholderQR<Matrix> qa(A), qb(B);
  const Eigen::Index ma = std::min(A.rows(), width), mb = std::min(B.rows(), width);
  const Matrix Ra = qa.matrixQR().topRows(ma).triangularView<Eigen::Upper>();
  const Matrix Rb = qb.matrixQR().topRows(mb).triangularView<Eigen::Upper>();
  const Eigen::BDCSVD<Matrix> svd(Ra * Rb.transpose(), Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::Index r = std::min(rank_, Eigen::Index(svd.singularValues().size()));
  const Vector s = svd.singularValues().head(r).cwiseSqrt();
  A_ = Matrix::Zero(A.rows(), r);
  B_ = Matrix::Zero(B.rows(), r);
  A_.topRows(ma) = svd.matrixU().leftCols(r) * s.asDiagonal();
  B_.topRows(mb) = svd.matrixV().leftCols(r) * s.asDiagonal();
  A_.applyOnTheLeft(qa.householderQ());
  B_.applyOnTheLeft(qb.householderQ());
}

Result PosteriorMean::result(const Matrix& U, const Matrix& V) const {
  Result m;
  m.user_bias.assign(U.cols(), 0.0f);
  m.item_bias.assign(V.cols(), 0.0f);
  if (!kept_) {
    m.P = U.topRows(k_);
    m.Q = V.topRows(k_);
    if (biased_) {
      for (size_t u = 0; u < m.user_bias.size(); ++u) m.user_bias[u] = U(k_, Eigen::Index(u));
      for (size_t i = 0; i < m.item_bias.size(); ++i) m.item_bias[i] = V(k_, Eigen::Index(i));
    }
    return m;
  }
  m.P = A_.transpose();
  m.Q = B_.transpose();
  if (biased_) {
    for (size_t u = 0; u < m.user_bias.size(); ++u) m.user_bias[u] = float(user_bias_sum_[u] / double(kept_));
    for (size_t i = 0; i < m.item_bias.size(); ++i) m.item_bias[i] = float(item_bias_sum_[i] / double(kept_));
  }
  return m;
}

}  // namespace mfrec::mcmc
