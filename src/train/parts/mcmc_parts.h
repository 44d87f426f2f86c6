#pragma once
// The parts of the Gibbs sampler (mcmc.cc) that the distributed one (dist/dist_mcmc.cc) shares, so
// that a row is drawn with the same arithmetic and the same random numbers wherever it is drawn:
// each draw's generator, one row's draw, the hyperprior's draw from a side's statistics, and the
// posterior mean kept at rank 2 dim.
#include <omp.h>

#include <cmath>
#include <vector>

#include "common/eigen.h"
#include "common/random.h"
#include "mfrec/model.h"
#include "train/parts/normal_equations.h"
#include "train/parts/rating_rows.h"
#include "train/parts/wishart.h"

namespace mfrec::mcmc {

// The generator of one draw, from (seed, sweep, stream, index) through splitmix64's finaliser.
enum Stream : uint64_t { kNoise, kUserPrior, kItemPrior, kUserRows, kItemRows };
inline uint64_t mix(uint64_t z) { return splitmix64_mix(z + kGoldenGamma); }
inline Random generator(uint64_t seed, uint32_t sweep, Stream stream, uint64_t index) {
  return Random(mix(mix(mix(mix(seed) + sweep) + stream) + index));
}

// While it lives, Eigen's own parallel products (in the QRs) use at most `threads` threads.
class EigenThreads {
 public:
  explicit EigenThreads(int threads) : before_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~EigenThreads() { omp_set_num_threads(before_); }

 private:
  int before_;
};

// The rows' Gaussian prior drawn from its hyperprior: a Normal-Wishart for the factors (the first
// k of w), a Normal-Gamma for the bias, independent of each other; `n` rows with this mean and
// scatter sum, in double.
inline Gaussian draw_prior(Random rng, double n, const Eigen::VectorXd& mean, const Eigen::MatrixXd& scatter,
                           Eigen::Index k, bool biased) {
  const Eigen::Index w = mean.size();
  Gaussian g{Eigen::VectorXd::Zero(w), Eigen::MatrixXd::Zero(w, w)};
  const Gaussian f = sample_normal_wishart(rng, n, mean.head(k), scatter.topLeftCorner(k, k), 2.0, double(k));
  g.mean.head(k) = f.mean;
  g.precision.topLeftCorner(k, k) = f.precision;
  if (biased) {
    const Gaussian b = sample_normal_wishart(rng, n, mean.tail(1), scatter.bottomRightCorner(1, 1), 2.0, 1.0);
    g.mean[k] = b.mean[0];
    g.precision(k, k) = b.precision(0, 0);
  }
  return g;
}

// One row's draw given the other side: with z = [q; 1] over its ratings,
//   A = Lambda + alpha sum z z^T,   x ~ N(A^-1 (Lambda mu + alpha sum z (r - mu_u - b_i)), A^-1),
// by A's Cholesky factor (A = L L^T) as L^-T (L^-1 b + e), e ~ N(0, I).
class RowSampler {
 public:
  RowSampler(Eigen::Index w, Eigen::Index k, bool biased) : k_(k), biased_(biased), eq_(w), z_(w), llt_(w) {}

  // F: the other side's features (a 1 below the factors when biased), bias(j) its biases; Lp and
  // h = Lambda mu the prior's, in fp32.
  template <typename Bias>
  const Vector& draw(const RatingRows& rows, size_t r, const Matrix& F, Bias bias, float alpha, const Matrix& Lp,
                     const Vector& h, Random rng) {
    eq_.gather(rows, r, F, [&](uint32_t j) { return biased_ ? bias(j) : 0.0f; });
    Matrix& A = eq_.A;
    A = alpha * A + Lp;  // LLT reads the lower triangle
    eq_.b = alpha * eq_.b + h;
    llt_.compute(A);
    z_ = eq_.b;
    llt_.matrixL().solveInPlace(z_);
    for (Eigen::Index c = 0; c < z_.size(); ++c) z_[c] += float(rng.normal());
    llt_.matrixU().solveInPlace(z_);
    return z_;
  }

 private:
  Eigen::Index k_;
  bool biased_;
  NormalEquations eq_;
  Vector z_;
  Eigen::LLT<Matrix> llt_;
};

// What the model gets, factors as columns.
struct Result {
  Matrix P, Q;
  std::vector<float> user_bias, item_bias;
};

// The posterior mean over the samples after the burn-in: the biases' average, and the interactions
// (1/S) sum_s P_s Q_s^T kept at rank `rank` as A B^T (see mcmc.cc).
class PosteriorMean {
 public:
  PosteriorMean(Eigen::Index k, Eigen::Index rank, bool biased, size_t users, size_t items, int threads)
      : k_(k), rank_(rank), biased_(biased), threads_(threads), user_bias_sum_(users, 0.0), item_bias_sum_(items, 0.0) {}
  uint32_t kept() const { return kept_; }
  double alpha_sum() const { return alpha_sum_; }
  // Adds the sample U, V (one column [p; b] per user, per item) drawn with noise precision alpha.
  void add(const Matrix& U, const Matrix& V, double alpha);
  // The current sample U, V during the burn-in, the posterior mean after.
  Result result(const Matrix& U, const Matrix& V) const;

 private:
  Eigen::Index k_, rank_;
  bool biased_;
  int threads_;
  uint32_t kept_ = 0;
  double alpha_sum_ = 0;
  Matrix A_, B_;
  std::vector<double> user_bias_sum_, item_bias_sum_;  // times kept_
};

// Unclipped RMSE over `ratings` of the predictions of `m` with the model's user means.
inline double rmse_of(const Result& m, const std::vector<float>& user_mean, const Ratings& ratings) {
  double se = 0;
  for (size_t t = 0; t < ratings.size(); ++t) {
    const uint32_t u = ratings.user[t], i = ratings.item[t];
    const double e = double(user_mean[u]) + m.user_bias[u] + m.item_bias[i] + m.P.col(u).dot(m.Q.col(i)) -
                     ratings.value[t];
    se += e * e;
  }
  return ratings.size() ? std::sqrt(se / double(ratings.size())) : std::nan("");
}

// Puts `m` into `model`, re-shaped when its width is not the model's (the posterior mean is kept at
// rank 2 dim), with the noise variance fold-in's prior ridge scales with (recommend/fold_in.cc):
// the posterior mean's after the burn-in, the current sample's 1 / alpha during it.
inline void write_result(const Result& m, const PosteriorMean& mean, double alpha, bool biased, Model& model) {
  const uint32_t dim = uint32_t(m.P.rows());
  if (model.dim != dim) {
    model.dim = dim;
    model.P = FactorMatrix(model.n_users(), dim, model.precision());
    model.Q = FactorMatrix(model.n_items(), dim, model.precision());
  }
  for (size_t u = 0; u < model.n_users(); ++u) model.P.write_row(u, m.P.col(Eigen::Index(u)).data());
  for (size_t i = 0; i < model.n_items(); ++i) model.Q.write_row(i, m.Q.col(Eigen::Index(i)).data());
  if (biased) model.user_bias = m.user_bias, model.item_bias = m.item_bias;
  model.meta["noise_variance"] = mean.kept() ? double(mean.kept()) / mean.alpha_sum() : 1.0 / alpha;
}

}  // namespace mfrec::mcmc
