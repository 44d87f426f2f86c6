// Bayesian matrix factorization by Gibbs sampling (BPMF: Salakhutdinov & Mnih, "Bayesian
// probabilistic matrix factorization using Markov chain Monte Carlo", ICML 2008), with biases as in
// libFM's MCMC (Rendle, "Factorization machines with libFM", 2012).
//
// The model, per training rating (u, i, r) with mu_u the user's mean (0 for `plain`):
//   r - mu_u = b_u + b_i + p_u.q_i + e,   e ~ N(0, 1 / alpha).
// Each user's x_u = [p_u; b_u] is drawn from a Gaussian whose factor block has a Normal-Wishart
// hyperprior (beta0 = 2, nu0 = dim, W0 = I, mu0 = 0) and whose bias a Normal-Gamma one (the same in
// one dimension: nu0 = 1); items alike. alpha is --noise_precision, or (0) drawn every sweep from its
// Gamma(1 + n / 2, rate 1 + SSE / 2) posterior.
//
// One epoch is one Gibbs sweep: alpha; the users' mean and precision (mu, Lambda) given the user
// rows (wishart.h); every user row given the items, in parallel: with z = [q_i; 1] over its ratings,
//   A = Lambda + alpha sum z z^T,   x ~ N(A^-1 (Lambda mu + alpha sum z (r - mu_u - b_i)), A^-1),
// drawn with A's Cholesky factor (A = L L^T, Eigen's LLT) as L^-T (L^-1 b + e), e ~ N(0, I); then
// the items alike. Each row draws from a generator of its own, seeded by (seed, sweep, side, row),
// and the training error that alpha depends on is summed in a fixed order: a seed gives the same
// chain whatever the thread count. Rows without training ratings stay zero.
//
// The prediction is the posterior mean: the average over the sweeps after --burn_in of
// b_u + b_i + p_u.q_i. The biases average. The interactions (1/S) sum_s P_s Q_s^T have rank up to
// S dim, but their spectrum falls steeply past dim, so the engine keeps them at rank 2 dim, as A B^T,
// cut back after each sample by a truncated SVD of the update [a A, c P_s] [a B, c Q_s]^T (thin QRs
// of both sides and the SVD of the small core R_A R_B^T; a, c weigh the old mean and the sample). The
// model stays an ordinary biased MF model, of dim 2 dim, that recommend, fold-in and serve read as
// any other. Rank 2 dim stays within 0.0005 RMSE of the exact average of the samples' predictions,
// closer than rank dim or than thinned samples side by side in a far wider model (BENCHMARKS.md).
// During the burn-in the model holds the current sample (dim --dim).
#include <omp.h>

#include "common/eigen.h"
#include <algorithm>
#include <cmath>

#include "common/random.h"
#include "mfrec/error.h"
#include "train/engine.h"
#include "train/parts/mcmc_parts.h"
#include "train/parts/normal_equations.h"
#include "train/parts/two_sides.h"
#include "train/parts/wishart.h"

namespace mfrec {
namespace {

using namespace mcmc;  // the parts shared with the distributed sampler (mcmc_parts.h)

class McmcEngine final : public Engine {
 public:
  // `lent`: the training part itself, whose columns the user side may be made of (two_sides.h).
  McmcEngine(Model& model, const Ratings& train, Ratings* lent, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), biased_(model.kind == ModelKind::biased),
        k_(Eigen::Index(o.dim)), w_(k_ + (biased_ ? 1 : 0)),
        rank_(std::min<Eigen::Index>(2 * k_, Eigen::Index(std::min(model.n_users(), model.n_items())))),
        sides_(train, lent, model.n_users(), model.n_items(), threads_, TwoSides::less_mean(model.user_mean)), by_user_(sides_.by_user),
        by_item_(sides_.by_item), n_(by_user_.other.size()),
        U_(start(model.P, model.user_bias, by_user_)), V_(start(model.Q, model.item_bias, by_item_)),
        mean_(k_, rank_, biased_, model.n_users(), model.n_items(), threads_) {
    if (model.dim != o.dim) throw UsageError("mcmc: the model's dim differs from the options'");
    sse_ = training_sse();
  }

  // One sweep; returns the mean squared training error of the sample it leaves.
  double run_epoch(uint32_t sweep) override {
    if (o_.noise_precision > 0) {
      alpha_ = o_.noise_precision;
    } else {
      Random rng = generator(o_.seed, sweep, kNoise, 0);
      alpha_ = sample_gamma(rng, 1.0 + double(n_) / 2) / (1.0 + sse_ / 2);
    }
    sample_side(by_user_, V_, U_, generator(o_.seed, sweep, kUserPrior, 0), sweep, kUserRows);
    sample_side(by_item_, U_, V_, generator(o_.seed, sweep, kItemPrior, 0), sweep, kItemRows);
    sse_ = training_sse();
    if (sweep > o_.burn_in) mean_.add(U_, V_, alpha_);
    return n_ ? sse_ / double(n_) : 0.0;
  }

  // RMSE (unclipped) of what the model gets: the current sample, or the posterior mean so far.
  double rmse(const Ratings& ratings) override { return rmse_of(mean_.result(U_, V_), model_.user_mean, ratings); }

  void sync() override { write_result(mean_.result(U_, V_), mean_, alpha_, biased_, model_); }

  bool burning_in() const override { return mean_.kept() == 0; }

  // A new user under a Gaussian prior with the trained users' spread; its ridge scales with the
  // rating noise (recommend/fold_in.cc).
  FoldInPrior prior(const TrainOptions&) const override {
    FoldInPrior p;
    p.kind = FoldInPrior::Kind::gaussian;
    p.noise_variance = model_.meta.value("noise_variance", 1.0);
    return p;
  }

 private:
  // The model's starting rows as columns [p; b]; rows without ratings start (and stay) at zero.
  Matrix start(const FactorMatrix& f, const std::vector<float>& bias, const RatingRows& rows) const {
    Matrix X = Matrix::Zero(w_, Eigen::Index(f.rows()));
    for (size_t r = 0; r < f.rows(); ++r) {
      if (!rows.count(r)) continue;
      f.read_row(r, X.col(Eigen::Index(r)).data());
      if (biased_) X(k_, Eigen::Index(r)) = bias[r];
    }
    return X;
  }

  // The rows' Gaussian prior drawn from its hyperprior given the rows that have ratings: a
  // Normal-Wishart for the factors, a Normal-Gamma for the bias, independent of each other.
  Gaussian draw_prior(const Matrix& X, const RatingRows& rows, Random rng) const {
    std::vector<Eigen::Index> rated;
    for (size_t r = 0; r < rows.rows(); ++r)
      if (rows.count(r)) rated.push_back(Eigen::Index(r));
    Eigen::MatrixXd S(w_, Eigen::Index(rated.size()));
    for (size_t s = 0; s < rated.size(); ++s) S.col(Eigen::Index(s)) = X.col(rated[s]).cast<double>();
    Gaussian g{Eigen::VectorXd::Zero(w_), Eigen::MatrixXd::Zero(w_, w_)};
    const Gaussian f = sample_normal_wishart(rng, S.topRows(k_), 2.0, double(k_));
    g.mean.head(k_) = f.mean;
    g.precision.topLeftCorner(k_, k_) = f.precision;
    if (biased_) {
      const Gaussian b = sample_normal_wishart(rng, S.bottomRows(1), 2.0, 1.0);
      g.mean[k_] = b.mean[0];
      g.precision(k_, k_) = b.precision(0, 0);
    }
    return g;
  }

  // Draws the side's prior, then every row of `out` given the `fixed` side.
  void sample_side(const RatingRows& rows, const Matrix& fixed, Matrix& out, Random prior_rng, uint32_t sweep,
                   Stream stream) {
    const Gaussian prior = draw_prior(out, rows, prior_rng);
    const Matrix Lp = prior.precision.cast<float>();
    const Vector h = (prior.precision * prior.mean).cast<float>();
    Matrix F = fixed;  // features [q; 1]
    if (biased_) F.row(k_).setOnes();
    const float alpha = float(alpha_);
#pragma omp parallel num_threads(threads_)
    {
      RowSampler sampler(w_, k_, biased_);
#pragma omp for schedule(dynamic, 16)
      for (size_t r = 0; r < rows.rows(); ++r) {
        if (!rows.count(r)) continue;
        out.col(Eigen::Index(r)) = sampler.draw(rows, r, F, [&](uint32_t j) { return fixed(k_, j); }, alpha, Lp, h,
                                                generator(o_.seed, sweep, stream, r));
      }
    }
  }

  // Squared training error of the current sample, per user in parallel, summed in user order.
  double training_sse() const {
    std::vector<double> per_user(by_user_.rows(), 0.0);
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 64)
    for (size_t u = 0; u < by_user_.rows(); ++u) {
      const auto p = U_.col(Eigen::Index(u));
      double sse = 0;
      for (uint64_t at = by_user_.offsets[u]; at < by_user_.offsets[u + 1]; ++at) {
        const auto q = V_.col(by_user_.other[at]);
        float pred = p.head(k_).dot(q.head(k_));
        if (biased_) pred += p[k_] + q[k_];
        const double e = double(pred) - by_user_.target[at];
        sse += e * e;
      }
      per_user[u] = sse;
    }
    double sse = 0;
    for (double s : per_user) sse += s;
    return sse;
  }

  TrainOptions o_;
  int threads_;
  bool biased_;
  Eigen::Index k_, w_, rank_;
  TwoSides sides_;
  const RatingRows &by_user_, &by_item_;
  size_t n_;
  Matrix U_, V_;  // the current sample: one column [p; b] per user, per item
  double alpha_ = 1, sse_ = 0;
  PosteriorMean mean_;
};

}  // namespace

std::unique_ptr<Engine> make_mcmc(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<McmcEngine>(model, train, nullptr, o);
}

std::unique_ptr<Engine> make_mcmc_in_place(Model& model, Ratings& train, const TrainOptions& o) {
  return std::make_unique<McmcEngine>(model, train, &train, o);
}

}  // namespace mfrec
