// Distributed Bayesian MF (mcmc.cc's Gibbs sampler) over the ranks' blocks (partition.h). In each
// half-sweep the side's hyperprior is drawn from its rows' sufficient statistics (count, sum, sum
// of outer products) summed over the ranks in one reduction, as in ExaScience's distributed BPMF;
// each rank then receives the fixed rows its ratings name (one all-to-all) and draws its own rows
// with the one-process generators, keyed by the row's global index, so that every rank draws what
// one process would. The sample goes to rank 0 after each sweep: the posterior mean (kept at rank
// 2 dim, mcmc_parts.h) and validation need all of it. What differs from one process is the order of
// the sums (the statistics, the training error behind the noise precision): the chain agrees to
// rounding.
#include <omp.h>

#include "common/eigen.h"
#include <cmath>

#include "dist/partition.h"
#include "dist/rows.h"
#include "dist/solver.h"
#include "train/parts/mcmc_parts.h"

namespace mfrec::dist {
namespace {

class DistMcmc final : public Solver {
 public:
  DistMcmc(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model, ModelKind kind)
      : comm_(comm), o_(o), threads_(int(o.thread_count())), biased_(kind == ModelKind::biased), k_(Eigen::Index(o.dim)),
        w_(k_ + (biased_ ? 1 : 0)), users_(Ownership::of(*d.users, comm.size())),
        items_(Ownership::of(*d.items, comm.size())), n_(d.ratings),
        mean_(k_, std::min<Eigen::Index>(2 * k_, Eigen::Index(std::min(users_.size(), items_.size()))), biased_,
              users_.size(), items_.size(), threads_) {
    const Ratings& train = *d.train;
    std::vector<float> mu(users_.size());
    if (comm.rank() == 0) mu = model->user_mean;
    comm.broadcast(mu.data(), mu.size() * sizeof(float));
    std::vector<float> target(train.size());
    for (size_t k = 0; k < train.size(); ++k) target[k] = train.value[k] - mu[train.user[k]];
    by_user_ = plan_half_sweep(comm, train, target, true, users_, items_);
    by_item_ = plan_half_sweep(comm, train, target, false, items_, users_);
    X_ = start(users_, by_user_, model ? &model->P : nullptr, model ? &model->user_bias : nullptr);
    Y_ = start(items_, by_item_, model ? &model->Q : nullptr, model ? &model->item_bias : nullptr);
    // The first noise precision is drawn from the starting rows' training error.
    std::vector<float> bias;
    const Matrix F = receive(by_item_, X_, bias);
    sse_ = comm_.sum(item_side_sse(F, bias));
  }

  double epoch(uint32_t sweep) override {
    if (o_.noise_precision > 0) {
      alpha_ = o_.noise_precision;
    } else {
      Random rng = mcmc::generator(o_.seed, sweep, mcmc::kNoise, 0);
      alpha_ = sample_gamma(rng, 1.0 + double(n_) / 2) / (1.0 + sse_ / 2);
    }
    half(by_user_, users_, Y_, X_, mcmc::generator(o_.seed, sweep, mcmc::kUserPrior, 0), sweep, mcmc::kUserRows, nullptr);
    double sse = 0;
    half(by_item_, items_, X_, Y_, mcmc::generator(o_.seed, sweep, mcmc::kItemPrior, 0), sweep, mcmc::kItemRows, &sse);
    sse_ = comm_.sum(sse);
    collect(users_, X_, U_);
    collect(items_, Y_, V_);
    if (comm_.rank() == 0 && sweep > o_.burn_in) mean_.add(U_, V_, alpha_);
    return n_ ? sse_ / double(n_) : 0.0;
  }

  // Rank 0 has every row after each sweep: the model gets the current sample or the posterior mean,
  // as mcmc.cc's sync. Nothing to send.
  void gather(Model* model) override {
    if (model) mcmc::write_result(mean_.result(U_, V_), mean_, alpha_, biased_, *model);
  }

  std::optional<double> rmse(const Model& model, const Ratings& ratings) const override {
    return mcmc::rmse_of(mean_.result(U_, V_), model.user_mean, ratings);
  }

  bool burning_in() const override { return mean_.kept() == 0; }

 private:
  // This rank's starting rows as columns [p; b]; rows without ratings start (and stay) at zero.
  Matrix start(const Ownership& own, const HalfSweep& h, const FactorMatrix* table, const std::vector<float>* bias) {
    const std::vector<float> packed = scatter_side(comm_, own, table, bias, int(k_), biased_);
    Matrix X = Eigen::Map<const Matrix>(packed.data(), w_, Eigen::Index(own.count(comm_.rank())));
    for (size_t r = 0; r < h.rows.rows(); ++r)
      if (!h.rows.count(r)) X.col(Eigen::Index(r)).setZero();
    return X;
  }

  // The fixed rows this rank's ratings name, as features (a 1 below the factors) and their biases.
  Matrix receive(const HalfSweep& h, const Matrix& fixed, std::vector<float>& bias) {
    Matrix send(w_, Eigen::Index(h.send_rows.size()));
    for (size_t t = 0; t < h.send_rows.size(); ++t) send.col(Eigen::Index(t)) = fixed.col(Eigen::Index(h.send_rows[t]));
    Matrix F(w_, Eigen::Index(h.received()));
    comm_.exchange_rows(send.data(), h.send_counts, F.data(), h.recv_counts, int(w_));
    bias.assign(biased_ ? size_t(F.cols()) : 0, 0.0f);
    if (biased_)
      for (Eigen::Index j = 0; j < F.cols(); ++j) bias[size_t(j)] = F(k_, j), F(k_, j) = 1.0f;
    return F;
  }

  // The side's prior from the statistics of every rank's rows with ratings, then this rank's rows.
  void half(const HalfSweep& h, const Ownership& own, const Matrix& fixed, Matrix& out, Random prior_rng,
            uint32_t sweep, mcmc::Stream stream, double* sse) {
    // [count, sum x, sum x x^T] in one reduction.
    Eigen::VectorXd stats = Eigen::VectorXd::Zero(1 + w_ + w_ * w_);
    Eigen::Map<Eigen::VectorXd> sum(stats.data() + 1, w_);
    Eigen::Map<Eigen::MatrixXd> outer(stats.data() + 1 + w_, w_, w_);
    for (size_t r = 0; r < h.rows.rows(); ++r) {
      if (!h.rows.count(r)) continue;
      const Eigen::VectorXd x = out.col(Eigen::Index(r)).cast<double>();
      stats[0] += 1;
      sum += x;
      outer.noalias() += x * x.transpose();
    }
    comm_.sum(stats.data(), int(stats.size()));
    const double n = stats[0];
    const Eigen::VectorXd mean = n > 0 ? Eigen::VectorXd(sum / n) : Eigen::VectorXd::Zero(w_);
    const Eigen::MatrixXd scatter = outer - n * mean * mean.transpose();
    const Gaussian prior = mcmc::draw_prior(prior_rng, n, mean, scatter, k_, biased_);
    const Matrix Lp = prior.precision.cast<float>();
    const Vector hp = (prior.precision * prior.mean).cast<float>();

    std::vector<float> bias;
    const Matrix F = receive(h, fixed, bias);
    const float alpha = float(alpha_);
    const std::vector<uint32_t>& global = own.rows[size_t(comm_.rank())];
#pragma omp parallel num_threads(threads_)
    {
      mcmc::RowSampler sampler(w_, k_, biased_);
#pragma omp for schedule(dynamic, 16)
      for (size_t r = 0; r < h.rows.rows(); ++r) {
        if (!h.rows.count(r)) continue;
        out.col(Eigen::Index(r)) = sampler.draw(h.rows, r, F, [&](uint32_t j) { return bias[j]; }, alpha, Lp, hp,
                                                mcmc::generator(o_.seed, sweep, stream, global[r]));
      }
    }
    if (sse) *sse += item_side_sse(F, bias, &out);
  }

  // The squared training error of this rank's items' ratings: F holds the users' rows, `items` the
  // items' (this rank's Y_ unless given).
  double item_side_sse(const Matrix& F, const std::vector<float>& bias, const Matrix* items = nullptr) const {
    const Matrix& Y = items ? *items : Y_;
    const RatingRows& rows = by_item_.rows;
    double sse = 0;
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 64) reduction(+ : sse)
    for (size_t i = 0; i < rows.rows(); ++i) {
      const auto q = Y.col(Eigen::Index(i));
      for (uint64_t at = rows.offsets[i]; at < rows.offsets[i + 1]; ++at) {
        const uint32_t j = rows.other[at];
        float pred = F.col(j).head(k_).dot(q.head(k_));
        if (biased_) pred += bias[j] + q[k_];
        const double e = double(pred) - rows.target[at];
        sse += e * e;
      }
    }
    return sse;
  }

  // Every rank's rows of one side to rank 0, as columns by global index.
  void collect(const Ownership& own, const Matrix& mine, Matrix& all) {
    Matrix got(w_, comm_.rank() == 0 ? Eigen::Index(own.size()) : 0);
    comm_.gather_rows(mine.data(), int(mine.cols()), got.data(), own.counts(), int(w_));
    if (comm_.rank() != 0) return;
    all.resize(w_, Eigen::Index(own.size()));
    Eigen::Index at = 0;
    for (const auto& rows : own.rows)
      for (uint32_t g : rows) all.col(Eigen::Index(g)) = got.col(at++);
  }

  Comm& comm_;
  TrainOptions o_;
  int threads_;
  bool biased_;
  Eigen::Index k_, w_;
  Ownership users_, items_;
  size_t n_;
  HalfSweep by_user_, by_item_;
  Matrix X_, Y_;  // this rank's rows of the current sample, columns [p; b] in local order
  Matrix U_, V_;  // rank 0: every row of the current sample, by global index
  double alpha_ = 1, sse_ = 0;
  mcmc::PosteriorMean mean_;  // rank 0
};

}  // namespace

std::unique_ptr<Solver> make_dist_mcmc(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model,
                                       ModelKind kind) {
  return std::make_unique<DistMcmc>(comm, d, o, model, kind);
}

}  // namespace mfrec::dist
