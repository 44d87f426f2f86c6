// Implicit ALS (Hu, Koren, Volinsky, "Collaborative Filtering for Implicit Feedback Datasets",
// 2008), with the unobserved weight and frequency-scaled L2 of Rendle et al., "Revisiting the
// Performance of iALS on Item Recommendation Benchmarks" (2022).
//
// Every (user, item) pair counts: an interaction (u, i) with value r wants p_u.q_i = 1 with
// confidence c = 1 + alpha f(r); every other pair wants 0 with weight w0 (--unobserved_weight):
//   L = sum_obs c (1 - p.q)^2 + w0 sum_unobs (p.q)^2 + sum_u lambda_u |p_u|^2 + sum_i lambda_i |q_i|^2
// with lambda_u = reg * (n_u + w0 * n_items)^nu (nu: --reg_exponent; 0 gives a plain L2). With the
// items fixed, a user's row solves
//   (w0 Q^T Q + sum_obs (c - w0) q q^T + lambda_u I) p = sum_obs c q,
// where the Gramian Q^T Q is computed once per half-sweep (the trick that makes a sweep cost
// O(nnz k^2 + (users + items) k^3) instead of O(users items k^2)). `cholesky` forms and factors the
// k x k matrix; `cg` (Takacs, Pilaszy, Tikk 2011) runs --cg_steps conjugate-gradient steps from the
// current row, applying the matrix without forming it: O(nnz k + k^2) a step.
#include <omp.h>

#include "common/eigen.h"
#include <algorithm>
#include <cmath>

#include "mfrec/error.h"
#include "model/kernels.h"
#include "train/engine.h"
#include "train/parts/ials_row.h"
#include "train/parts/two_sides.h"

namespace mfrec {
namespace {

using RowMatrix = IalsRowMatrix;
void read_table(const FactorMatrix& f, RowMatrix& out) {
  out.resize(Eigen::Index(f.rows()), Eigen::Index(f.cols()));
  for (size_t r = 0; r < f.rows(); ++r) f.read_row(r, out.row(Eigen::Index(r)).data());
}

class IalsEngine final : public Engine {
 public:
  // `lent`: the training part itself, whose columns the user side may be made of (two_sides.h), the
  // confidences as targets.
  IalsEngine(Model& model, const Ratings& train, Ratings* lent, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), k_(model.dim),
        sides_(train, lent, model.n_users(), model.n_items(), threads_,
               [&](Ratings& rows) { to_confidences(rows, rows.value, model.n_users(), o); }, o.recency > 0),
        users_(sides_.by_user), items_(sides_.by_item) {
    read_table(model.P, X_);
    read_table(model.Q, Y_);
    // Rows without interactions would only add noise to the Gramian: they start (and stay) at zero.
    for (size_t u = 0; u < users_.rows(); ++u)
      if (!users_.count(u)) X_.row(Eigen::Index(u)).setZero();
    for (size_t i = 0; i < items_.rows(); ++i)
      if (!items_.count(i)) Y_.row(Eigen::Index(i)).setZero();
  }

 public:
  // The loss is the objective after the users' half-sweep (new users, the items before their half),
  // from each user's solve at no extra cost: see solve_side.
  double run_epoch(uint32_t) override {
    double objective = solve_side(users_, Y_, X_);
    for (size_t i = 0; i < items_.rows(); ++i)
      if (items_.count(i)) objective += double(ials_lambda(o_, items_.count(i), users_.rows())) * Y_.row(Eigen::Index(i)).squaredNorm();
    solve_side(items_, X_, Y_);
    return users_.target.empty() ? 0.0 : objective / double(users_.target.size());
  }

  void sync() override {
    for (Eigen::Index u = 0; u < X_.rows(); ++u) model_.P.write_row(size_t(u), X_.row(u).data());
    for (Eigen::Index i = 0; i < Y_.rows(); ++i) model_.Q.write_row(size_t(i), Y_.row(i).data());
  }

  FoldInPrior prior(const TrainOptions& o) const override { return ials_prior(o); }

 private:
  // Solves every row of `out` with F fixed; returns the sum over rows of each row's part of the
  // objective at its new value.
  double solve_side(const IalsSide& s, const RowMatrix& F, RowMatrix& out) {
    const Matrix G = (F.transpose() * F) * o_.unobserved_weight;  // w0 F^T F, k x k
    return ials_solve_rows(s, F, G, size_t(F.rows()), o_, k_, threads_, out);
  }

  TrainOptions o_;
  int threads_;
  uint32_t k_;
  TwoSides sides_;
  const IalsSide &users_, &items_;
  RowMatrix X_, Y_;  // fp32 working copies of P and Q
};

}  // namespace

// Defined here, declared in ials_row.h: the distributed engine computes the confidences the same way.
void to_confidences(const Ratings& train, std::vector<float>& value, size_t n_users, const TrainOptions& o) {
  std::vector<float> decay;  // each interaction's recency weight
  if (o.recency > 0) {
    decay.assign(train.size(), 1.0f);
    if (!train.has_time()) throw UsageError("`recency` needs timestamps, and the training part has none");
    // Per user, interactions by time (ties in file order), counted back from the latest.
    std::vector<std::vector<uint32_t>> rows(n_users);
    for (uint32_t k = 0; k < train.size(); ++k) rows[train.user[k]].push_back(k);
    for (auto& r : rows) {
      std::stable_sort(r.begin(), r.end(), [&](uint32_t a, uint32_t b) { return train.time[a] < train.time[b]; });
      for (size_t at = 0; at < r.size(); ++at) decay[r[at]] = recency_decay(r.size() - 1 - at, o.recency);
    }
  }
  for (size_t k = 0; k < train.size(); ++k)
    value[k] = confidence_of(o.confidence, o.alpha, value[k], decay.empty() ? 1.0f : decay[k]);
}

std::vector<float> confidences(const Ratings& train, size_t n_users, const TrainOptions& o) {
  std::vector<float> c = train.value;
  to_confidences(train, c, n_users, o);
  return c;
}

std::unique_ptr<Engine> make_ials(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<IalsEngine>(model, train, nullptr, o);
}

std::unique_ptr<Engine> make_ials_in_place(Model& model, Ratings& train, const TrainOptions& o) {
  return std::make_unique<IalsEngine>(model, train, &train, o);
}

}  // namespace mfrec
