#pragma once
// Draws for Bayesian matrix factorization's hyperparameters: Gamma, Wishart (Bartlett's
// decomposition) and the Normal-Wishart posterior of a Gaussian's mean and precision. Double
// precision throughout (the matrices are small: the latent dimension plus one).
#include <Eigen/Core>

#include "common/random.h"

namespace mfrec {

// Gamma(shape, scale 1) for shape > 0 (Marsaglia & Tsang, "A simple method for generating gamma
// variables", 2000; shape < 1 through Gamma(shape + 1) * U^(1/shape)).
double sample_gamma(Random& rng, double shape);

// A draw of Wishart(scale, nu): d x d, positive definite scale, nu > d - 1; its mean is nu * scale.
Eigen::MatrixXd sample_wishart(Random& rng, const Eigen::MatrixXd& scale, double nu);

struct Gaussian {
  Eigen::VectorXd mean;
  Eigen::MatrixXd precision;
};

// Mean and precision of the Gaussian that the columns of X (d x n) are taken to be drawn from,
// sampled from their Normal-Wishart posterior under the prior mean ~ N(0, (beta0 precision)^-1),
// precision ~ Wishart(I, nu0) (Salakhutdinov & Mnih, "Bayesian probabilistic matrix factorization
// using Markov chain Monte Carlo", ICML 2008; W0 = I, mu0 = 0). For d = 1 this is the Normal-Gamma
// posterior with shape nu0 / 2 and rate 1 / 2.
Gaussian sample_normal_wishart(Random& rng, const Eigen::MatrixXd& X, double beta0, double nu0);
// The same from the columns' count n, mean and scatter sum (x - mean)(x - mean)^T: what a
// distributed sampler sums over its ranks.
Gaussian sample_normal_wishart(Random& rng, double n, const Eigen::VectorXd& mean, const Eigen::MatrixXd& scatter,
                               double beta0, double nu0);

}  // namespace mfrec
