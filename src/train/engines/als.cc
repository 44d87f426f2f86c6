// Alternating least squares with biases, weighted-lambda regularisation (ALS-WR: Zhou, Wilkinson,
// Schreiber, Pan, "Large-scale Parallel Collaborative Filtering for the Netflix Prize", 2008).
//
// The objective, over the training ratings (u, i, r) with mu_u the user's mean (0 for `plain`):
//   sum (r - mu_u - b_u - b_i - p_u.q_i)^2 + lambda sum_u n_u |p_u|^2 + lambda sum_i n_i |q_i|^2
//                                          + lambda_b sum_u n_u b_u^2 + lambda_b sum_i n_i b_i^2
// with lambda = --reg, lambda_b = --reg_bias (default: --reg), n_u and n_i the rating counts. An epoch
// (a sweep) solves every user row with the items fixed, then every item row with the users fixed.
// With the other side fixed the objective is a separate least-squares problem per row: for user u,
// x = [p_u; b_u], the features of rating (u, i) are [q_i; 1] and the target is r - mu_u - b_i, so
//   (X^T X + diag(lambda n_u, ..., lambda n_u, lambda_b n_u)) x = X^T y,
// a (dim + 1) x (dim + 1) symmetric positive definite system solved by Cholesky (Eigen's LLT); items
// alike. Each row solve is exact, so the objective never increases from one sweep to the next (up to
// rounding; with bf16 or fp16 storage the written rows are rounded to nearest). Rows without ratings
// are left as they are. The Gram matrix X^T X is one symmetric rank-m update of the gathered features
// (Eigen's rankUpdate, a SYRK), in chunks so that the gather buffer stays small (normal_equations.h).
#include <omp.h>

#include "common/eigen.h"
#include <algorithm>
#include <cmath>

#include "mfrec/error.h"
#include "model/kernels.h"
#include "train/engine.h"
#include "train/parts/als_row.h"
#include "train/parts/two_sides.h"

namespace mfrec {
namespace {

class AlsEngine final : public Engine {
 public:
  // `lent`: the training part itself, whose columns the user side may be made of (two_sides.h).
  AlsEngine(Model& model, const Ratings& train, Ratings* lent, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), biased_(model.kind == ModelKind::biased),
        sides_(train, lent, model.n_users(), model.n_items(), threads_, TwoSides::less_mean(model.user_mean)), by_user_(sides_.by_user),
        by_item_(sides_.by_item), n_(by_user_.other.size()) {
    if (model.dim != o.dim) throw UsageError("als: the model's dim differs from the options'");
  }

  // One sweep: users, then items. Returns the mean squared training error after the sweep (with
  // the parameters it leaves), not during it as the SGD engines do.
  double run_epoch(uint32_t) override {
    solve_side(by_user_, model_.Q, model_.item_bias, model_.P, model_.user_bias);
    solve_side(by_item_, model_.P, model_.user_bias, model_.Q, model_.item_bias);
    return n_ ? training_sse() / double(n_) : 0.0;
  }

 private:
  int width() const { return int(o_.dim) + (biased_ ? 1 : 0); }

  // The fixed side in fp32, one column per row, with a 1 below the factors for the bias.
  Matrix features(const FactorMatrix& fixed) const {
    const int k = int(o_.dim), w = width();
    Matrix F(w, Eigen::Index(fixed.rows()));
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (Eigen::Index j = 0; j < F.cols(); ++j) {
      fixed.read_row(size_t(j), F.col(j).data());
      if (biased_) F(k, j) = 1.0f;
    }
    return F;
  }

  void solve_side(const RatingRows& rows, const FactorMatrix& fixed, const std::vector<float>& fixed_bias,
                  FactorMatrix& out, std::vector<float>& out_bias) {
    const Matrix F = features(fixed);
    const int k = int(o_.dim);
    const float lambda = o_.reg, lambda_b = o_.bias_reg();
    const size_t n_rows = rows.offsets.size() - 1;
#pragma omp parallel num_threads(threads_)
    {
      AlsRowSolver solver(k, biased_);
#pragma omp for schedule(dynamic, 16)
      for (size_t r = 0; r < n_rows; ++r) {
        if (!rows.count(r)) continue;  // no ratings: nothing to fit
        const auto& x = solver.solve(rows, r, F, [&](uint32_t j) { return fixed_bias[j]; }, lambda, lambda_b);
        out.write_row(r, x.data());
        if (biased_) out_bias[r] = x[k];
      }
    }
  }

  double training_sse() const {
    const Matrix Q = features(model_.Q);
    const int k = int(o_.dim);
    const size_t n_users = by_user_.offsets.size() - 1;
    double sse = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : sse)
    {
      Vector p(k);
#pragma omp for schedule(dynamic, 64)
      for (size_t u = 0; u < n_users; ++u) {
        if (!by_user_.count(u)) continue;
        model_.P.read_row(u, p.data());
        const float bu = biased_ ? model_.user_bias[u] : 0.0f;
        for (uint64_t at = by_user_.offsets[u]; at < by_user_.offsets[u + 1]; ++at) {
          const uint32_t i = by_user_.other[at];
          float pred = kernels::dot(p.data(), Q.col(i).data(), uint32_t(k));
          if (biased_) pred += bu + model_.item_bias[i];
          const double e = double(pred) - by_user_.target[at];
          sse += e * e;
        }
      }
    }
    return sse;
  }

  TrainOptions o_;
  int threads_;
  bool biased_;
  TwoSides sides_;
  const RatingRows &by_user_, &by_item_;
  size_t n_;
};

}  // namespace

std::unique_ptr<Engine> make_als(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<AlsEngine>(model, train, nullptr, o);
}

std::unique_ptr<Engine> make_als_in_place(Model& model, Ratings& train, const TrainOptions& o) {
  return std::make_unique<AlsEngine>(model, train, &train, o);
}

}  // namespace mfrec
