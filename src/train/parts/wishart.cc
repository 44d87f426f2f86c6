#include "common/eigen.h"
#include "train/parts/wishart.h"

#include <cmath>

namespace mfrec {

double sample_gamma(Random& rng, double shape) {
  if (shape < 1) {
    const double u = rng.uniform();
    return sample_gamma(rng, shape + 1) * std::pow(1.0 - u, 1.0 / shape);  // 1 - u in (0, 1]
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();  // (0, 1]
    if (u < 1.0 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

Eigen::MatrixXd sample_wishart(Random& rng, const Eigen::MatrixXd& scale, double nu) {
  // Bartlett: with scale = L L^T and A lower triangular, A_jj^2 ~ chi^2(nu - j) (j 0-based) and
  // A_jk ~ N(0, 1) below the diagonal, L A A^T L^T ~ Wishart(scale, nu).
  const Eigen::Index d = scale.rows();
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    A(j, j) = std::sqrt(2.0 * sample_gamma(rng, (nu - double(j)) / 2.0));
    for (Eigen::Index k = 0; k < j; ++k) A(j, k) = rng.normal();
  }
  const Eigen::MatrixXd LA = scale.llt().matrixL() * A;
  return LA * LA.transpose();
}

Gaussian sample_normal_wishart(Random& rng, const Eigen::MatrixXd& X, double beta0, double nu0) {
  const Eigen::Index d = X.rows();
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(d);
  if (X.cols()) mean = X.rowwise().mean();
  const Eigen::MatrixXd centred = X.colwise() - mean;
  return sample_normal_wishart(rng, double(X.cols()), mean, centred * centred.transpose(), beta0, nu0);
}

Gaussian sample_normal_wishart(Random& rng, double n, const Eigen::VectorXd& mean, const Eigen::MatrixXd& scatter,
                               double beta0, double nu0) {
  const Eigen::Index d = mean.size();
  // W*^-1 = W0^-1 + n S + beta0 n / (beta0 + n) (mean - mu0)(mean - mu0)^T, with W0 = I, mu0 = 0.
  Eigen::MatrixXd w_inv = Eigen::MatrixXd::Identity(d, d) + scatter +
                          (beta0 * n / (beta0 + n)) * mean * mean.transpose();
  w_inv = 0.5 * (w_inv + w_inv.transpose());
  const Eigen::MatrixXd scale = w_inv.llt().solve(Eigen::MatrixXd::Identity(d, d));
  Gaussian g;
  g.precision = sample_wishart(rng, 0.5 * (scale + scale.transpose()), nu0 + n);
  // mean ~ N(n mean / (beta0 + n), ((beta0 + n) precision)^-1): mu* + L^-T z with L L^T the precision.
  Eigen::VectorXd z(d);
  for (Eigen::Index j = 0; j < d; ++j) z[j] = rng.normal();
  const Eigen::LLT<Eigen::MatrixXd> llt((beta0 + n) * g.precision);
  g.mean = (n / (beta0 + n)) * mean + llt.matrixU().solve(z);
  return g;
}

}  // namespace mfrec
