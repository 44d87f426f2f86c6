// Distributed iALS: ials.cc's objective and row solves over the ranks' blocks (partition.h). Each
// half-sweep sums the fixed side's Gramian over the ranks (an all-reduce of k x k), sends each rank
// the fixed rows its interactions name (an all-to-all), and solves this rank's rows with the shared
// IalsRowSolver. Every row gets the one-process arithmetic but for the Gramian, whose sum is taken
// in another order: the models agree to rounding, not to the bit.
#include <omp.h>

#include "common/eigen.h"

#include "dist/partition.h"
#include "dist/rows.h"
#include "dist/solver.h"
#include "train/parts/ials_row.h"

namespace mfrec::dist {
namespace {

using RowMatrix = IalsRowMatrix;
using Matrix = IalsRowSolver::Matrix;

class DistIals final : public Solver {
 public:
  DistIals(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model)
      : comm_(comm), o_(o), threads_(int(o.thread_count())), k_(o.dim), users_(Ownership::of(*d.users, comm.size())),
        items_(Ownership::of(*d.items, comm.size())), n_(d.ratings) {
    std::vector<float> own;  // the confidences, unless share_data sent them as the values
    if (!d.confidence) own = confidences(*d.train, users_.size(), o);
    const std::vector<float>& conf = d.confidence ? d.train->value : own;
    HalfSweep by_user = plan_half_sweep(comm, *d.train, conf, true, users_, items_);
    HalfSweep by_item = plan_half_sweep(comm, *d.train, conf, false, items_, users_);
    for_users_ = {std::move(by_user.send_rows), std::move(by_user.send_counts), std::move(by_user.recv_counts)};
    for_items_ = {std::move(by_item.send_rows), std::move(by_item.send_counts), std::move(by_item.recv_counts)};
    users_side_ = std::move(by_user.rows);
    items_side_ = std::move(by_item.rows);
    start(X_, users_, model ? &model->P : nullptr, users_side_);
    start(Y_, items_, model ? &model->Q : nullptr, items_side_);
  }

  double epoch(uint32_t) override {
    double objective = half(users_side_, for_users_, Y_, X_, items_.size());
    for (size_t i = 0; i < items_side_.rows(); ++i)
      if (items_side_.count(i))
        objective += double(ials_lambda(o_, items_side_.count(i), users_.size())) * Y_.row(Eigen::Index(i)).squaredNorm();
    half(items_side_, for_items_, X_, Y_, users_.size());
    objective = comm_.sum(objective);
    return n_ ? objective / double(n_) : 0.0;
  }

  void gather(Model* model) override {
    gather_side(comm_, users_, X_.data(), model ? &model->P : nullptr, nullptr, int(k_), false);
    gather_side(comm_, items_, Y_.data(), model ? &model->Q : nullptr, nullptr, int(k_), false);
  }

 private:
  // Which of this rank's fixed rows go where, and how many rows come from where.
  struct Exchange {
    std::vector<uint32_t> rows;
    std::vector<int> send_counts, recv_counts;
  };

  void start(RowMatrix& rows, const Ownership& own, const FactorMatrix* table, const IalsSide& s) {
    const std::vector<float> packed = scatter_side(comm_, own, table, nullptr, int(k_), false);
    rows = Eigen::Map<const RowMatrix>(packed.data(), Eigen::Index(own.count(comm_.rank())), Eigen::Index(k_));
    // Rows without interactions would only add noise to the Gramian: they start (and stay) at zero.
    for (size_t r = 0; r < s.rows(); ++r)
      if (!s.count(r)) rows.row(Eigen::Index(r)).setZero();
  }

  // Solves this rank's rows of `s` into `out` with the other side fixed (`fixed` this rank's part
  // of it, `other` its size over all ranks); returns their part of the objective.
  double half(const IalsSide& s, const Exchange& x, const RowMatrix& fixed, RowMatrix& out, size_t other) {
    // w0 F^T F over the whole fixed side: each rank's part, summed in double.
    const Matrix part = fixed.transpose() * fixed;
    Eigen::MatrixXd sum = part.cast<double>();
    comm_.sum(sum.data(), int(sum.size()));
    const Matrix G = sum.cast<float>() * o_.unobserved_weight;
    RowMatrix send(static_cast<Eigen::Index>(x.rows.size()), static_cast<Eigen::Index>(k_));
    for (size_t t = 0; t < x.rows.size(); ++t) send.row(Eigen::Index(t)) = fixed.row(Eigen::Index(x.rows[t]));
    size_t n_recv = 0;
    for (int c : x.recv_counts) n_recv += size_t(c);
    RowMatrix F(static_cast<Eigen::Index>(n_recv), static_cast<Eigen::Index>(k_));
    comm_.exchange_rows(send.data(), x.send_counts, F.data(), x.recv_counts, int(k_));
    return ials_solve_rows(s, F, G, other, o_, k_, threads_, out);
  }

  Comm& comm_;
  TrainOptions o_;
  int threads_;
  uint32_t k_;
  Ownership users_, items_;
  Exchange for_users_, for_items_;  // the item rows the users' half needs, the user rows the items' half needs
  IalsSide users_side_, items_side_;
  RowMatrix X_, Y_;  // this rank's rows of P and Q in fp32, in local order
  size_t n_;
};

}  // namespace

std::unique_ptr<Solver> make_dist_ials(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model) {
  return std::make_unique<DistIals>(comm, d, o, model);
}

}  // namespace mfrec::dist
