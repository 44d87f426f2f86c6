// Distributed ALS-WR: als.cc's objective and row solves over the ranks' blocks (partition.h). A
// sweep is two half-sweeps; in each, every rank sends the fixed side's rows the others asked for
// (one all-to-all), then solves its own rows with the shared AlsRowSolver. Each row's ratings come
// in the one-process order, so every row gets the same arithmetic as in one process; only the
// training error's sum is taken in another order.
#include <omp.h>

#include "common/eigen.h"

#include "dist/partition.h"
#include "dist/rows.h"
#include "dist/solver.h"
#include "model/kernels.h"
#include "train/parts/als_row.h"

namespace mfrec::dist {
namespace {

using Matrix = AlsRowSolver::Matrix;

class DistAls final : public Solver {
 public:
  DistAls(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model, ModelKind kind, Precision precision)
      : comm_(comm), o_(o), threads_(int(o.thread_count())), biased_(kind == ModelKind::biased), k_(int(o.dim)),
        users_(Ownership::of(*d.users, comm.size())), items_(Ownership::of(*d.items, comm.size())),
        n_(d.ratings) {
    const Ratings& train = *d.train;
    // The targets r - mu_u, with rank 0's user means (the model's).
    std::vector<float> mean(users_.size());
    if (comm.rank() == 0) mean = model->user_mean;
    comm.broadcast(mean.data(), mean.size() * sizeof(float));
    std::vector<float> target(train.size());
    for (size_t k = 0; k < train.size(); ++k) target[k] = train.value[k] - mean[train.user[k]];
    std::vector<float>().swap(mean);
    by_user_ = plan_half_sweep(comm, train, target, true, users_, items_);
    by_item_ = plan_half_sweep(comm, train, target, false, items_, users_);
    scatter_side(comm, users_, model ? &model->P : nullptr, model ? &model->user_bias : nullptr, k_, biased_, precision,
                 P_, bu_);
    scatter_side(comm, items_, model ? &model->Q : nullptr, model ? &model->item_bias : nullptr, k_, biased_, precision,
                 Q_, bi_);
  }

  double epoch(uint32_t) override {
    solve(by_user_, Q_, bi_, P_, bu_, nullptr);
    double sse = 0;
    solve(by_item_, P_, bu_, Q_, bi_, &sse);
    sse = comm_.sum(sse);
    return n_ ? sse / double(n_) : 0.0;
  }

  void gather(Model* model) override {
    gather_side(comm_, users_, P_, bu_, biased_, model ? &model->P : nullptr, model ? &model->user_bias : nullptr);
    gather_side(comm_, items_, Q_, bi_, biased_, model ? &model->Q : nullptr, model ? &model->item_bias : nullptr);
  }

 private:
  int width() const { return k_ + (biased_ ? 1 : 0); }

  // Solves this rank's rows of one side with the other fixed; with `sse`, adds the squared training
  // errors of those rows' ratings with the new rows (the second half-sweep: both sides are new).
  void solve(const HalfSweep& h, const FactorMatrix& fixed, const std::vector<float>& fixed_bias, FactorMatrix& out,
             std::vector<float>& out_bias, double* sse) {
    const int k = k_, w = width();
    std::vector<float> send(h.send_rows.size() * size_t(w));
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (size_t t = 0; t < h.send_rows.size(); ++t) {
      fixed.read_row(h.send_rows[t], send.data() + t * size_t(w));
      if (biased_) send[t * size_t(w) + size_t(k)] = fixed_bias[h.send_rows[t]];
    }
    // The received rows are the features as als.cc lays them out: one column each, a 1 below the
    // factors where the bias came.
    Matrix F(w, Eigen::Index(h.received()));
    comm_.exchange_rows(send.data(), h.send_counts, F.data(), h.recv_counts, w);
    std::vector<float>().swap(send);
    std::vector<float> bias(biased_ ? size_t(F.cols()) : 0);
    if (biased_)
      for (Eigen::Index j = 0; j < F.cols(); ++j) bias[size_t(j)] = F(k, j), F(k, j) = 1.0f;
    const float lambda = o_.reg, lambda_b = o_.bias_reg();
    const size_t n_rows = h.rows.rows();
    double errors = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : errors)
    {
      AlsRowSolver solver(k, biased_);
      std::vector<float> q(static_cast<size_t>(k));
#pragma omp for schedule(dynamic, 16)
      for (size_t r = 0; r < n_rows; ++r) {
        if (!h.rows.count(r)) continue;  // no ratings: nothing to fit
        const auto& x = solver.solve(h.rows, r, F, [&](uint32_t j) { return bias[j]; }, lambda, lambda_b);
        out.write_row(r, x.data());
        if (biased_) out_bias[r] = x[k];
        if (!sse) continue;
        // As als.cc's training_sse: the stored row, the user's factors first, the user's bias first.
        out.read_row(r, q.data());
        for (uint64_t at = h.rows.offsets[r]; at < h.rows.offsets[r + 1]; ++at) {
          const uint32_t j = h.rows.other[at];
          float pred = kernels::dot(F.col(j).data(), q.data(), uint32_t(k));
          if (biased_) pred += bias[j] + out_bias[r];
          const double e = double(pred) - h.rows.target[at];
          errors += e * e;
        }
      }
    }
    if (sse) *sse += errors;
  }

  Comm& comm_;
  TrainOptions o_;
  int threads_;
  bool biased_;
  int k_;
  Ownership users_, items_;
  HalfSweep by_user_, by_item_;
  FactorMatrix P_, Q_;  // this rank's rows, in local order, in the model's precision
  std::vector<float> bu_, bi_;
  size_t n_;
};

}  // namespace

std::unique_ptr<Solver> make_dist_als(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model,
                                      ModelKind kind, Precision precision) {
  return std::make_unique<DistAls>(comm, d, o, model, kind, precision);
}

}  // namespace mfrec::dist
