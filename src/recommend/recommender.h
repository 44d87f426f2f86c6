#pragma once
// What a Recommender prepares once from its model (private to src/recommend).
#include <Eigen/Dense>

#include "mfrec/recommend.h"

namespace mfrec {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Recommender::Impl {
  RowMatrix Q;                    // items x dim, fp32
  Eigen::VectorXf item_bias;      // zeros for the plain kind
  RowMatrix Qn, Pn;               // unit-length rows (zero rows stay zero), for cosine
  std::vector<uint32_t> item_void, user_void;  // rows without factors: never similar to anything
  float fold_in_reg = 0.05f;      // per-rating L2 weight the model was trained with (see FoldInOptions)
  // For a posterior-mean model (mcmc), in place of fold_in_reg: the ridge a Gaussian prior on the
  // user's [p; b] amounts to, noise variance / the variance of each column over the trained users.
  Eigen::VectorXd prior_ridge;    // empty for the other models
  Eigen::VectorXf mean_user;      // the trained users' mean row (popularity's fold-in)
  Eigen::MatrixXd gram;           // implicit models: Q^T Q, for the iALS closed form; else empty
};

// Rows of a factor table as an fp32 matrix.
RowMatrix to_fp32(const FactorMatrix& m);
// Per-thread scratch of at least n floats (reused across calls on the same thread).
float* scratch_scores(size_t n);

}  // namespace mfrec
