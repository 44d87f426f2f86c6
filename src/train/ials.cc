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
#include "train/rating_rows.h"

namespace mfrec {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One side's interactions as compressed rows with each one's confidence c.
struct Side {
  RatingRows rows;
  std::vector<float> confidence;
};

// The training interactions with their confidence as the value (user means are 0: a plain model).
Ratings with_confidence(const Ratings& train, size_t n_users, const TrainOptions& o) {
  Ratings c;
  c.user = train.user;
  c.item = train.item;
  c.value.resize(train.size());
  std::vector<float> decay(train.size(), 1.0f);
  if (o.recency > 0) {
    if (!train.has_time()) throw UsageError("`recency` needs timestamps, and the training part has none");
    // Per user, interactions by time (ties in file order), counted back from the latest.
    std::vector<std::vector<uint32_t>> rows(n_users);
    for (uint32_t k = 0; k < train.size(); ++k) rows[train.user[k]].push_back(k);
    for (auto& r : rows) {
      std::stable_sort(r.begin(), r.end(), [&](uint32_t a, uint32_t b) { return train.time[a] < train.time[b]; });
      for (size_t at = 0; at < r.size(); ++at) decay[r[at]] = recency_decay(r.size() - 1 - at, o.recency);
    }
  }
  for (size_t k = 0; k < train.size(); ++k) c.value[k] = confidence_of(o.confidence, o.alpha, train.value[k], decay[k]);
  return c;
}

Side side(const Ratings& conf, const Model& m, size_t n, bool by_user) {
  Side s{RatingRows::group(conf, m.user_mean, n, by_user), {}};
  s.confidence = s.rows.target;
  return s;
}

void read_table(const FactorMatrix& f, RowMatrix& out) {
  out.resize(Eigen::Index(f.rows()), Eigen::Index(f.cols()));
  for (size_t r = 0; r < f.rows(); ++r) f.read_row(r, out.row(Eigen::Index(r)).data());
}

class IalsEngine final : public Engine {
 public:
  IalsEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : IalsEngine(model, Confidences{with_confidence(train, model.n_users(), o)}, o) {}

 private:
  struct Confidences {
    Ratings ratings;
  };
  IalsEngine(Model& model, const Confidences& conf, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), k_(model.dim),
        users_(side(conf.ratings, model, model.n_users(), true)), items_(side(conf.ratings, model, model.n_items(), false)) {
    read_table(model.P, X_);
    read_table(model.Q, Y_);
    // Rows without interactions would only add noise to the Gramian: they start (and stay) at zero.
    for (size_t u = 0; u < users_.rows.rows(); ++u)
      if (!users_.rows.count(u)) X_.row(Eigen::Index(u)).setZero();
    for (size_t i = 0; i < items_.rows.rows(); ++i)
      if (!items_.rows.count(i)) Y_.row(Eigen::Index(i)).setZero();
  }

 public:
  // The loss is the objective after the users' half-sweep (new users, the items before their half),
  // from each user's solve at no extra cost: see solve_side.
  double run_epoch(uint32_t) override {
    double objective = solve_side(users_, Y_, X_);
    for (size_t i = 0; i < items_.rows.rows(); ++i)
      if (items_.rows.count(i)) objective += double(lambda(items_.rows.count(i), users_.rows.rows())) * Y_.row(Eigen::Index(i)).squaredNorm();
    solve_side(items_, X_, Y_);
    return users_.rows.target.empty() ? 0.0 : objective / double(users_.rows.target.size());
  }

  void sync() override {
    for (Eigen::Index u = 0; u < X_.rows(); ++u) model_.P.write_row(size_t(u), X_.row(u).data());
    for (Eigen::Index i = 0; i < Y_.rows(); ++i) model_.Q.write_row(size_t(i), Y_.row(i).data());
  }

  FoldInPrior prior(const TrainOptions& o) const override {
    FoldInPrior p;
    p.kind = FoldInPrior::Kind::implicit;
    p.alpha = o.alpha, p.unobserved_weight = o.unobserved_weight, p.reg = o.reg;
    p.reg_exponent = o.reg_exponent, p.confidence = o.confidence, p.recency = o.recency;
    return p;
  }

 private:
  float lambda(size_t count, size_t other_side) const {
    return o_.reg * float(std::pow(double(count) + double(o_.unobserved_weight) * double(other_side), double(o_.reg_exponent)));
  }

  // Solves every row of `out` with F fixed; returns the sum over rows of each row's part of the
  // objective at its new value, L(x) = x^T A x - 2 b.x + sum c = sum c - x.b - x.r with r = b - A x
  // (A x = b - r), so O(k) a row on top of the solve.
  double solve_side(const Side& s, const RowMatrix& F, RowMatrix& out) {
    const Matrix G = (F.transpose() * F) * o_.unobserved_weight;  // w0 F^T F, k x k
    const size_t n_rows = s.rows.rows(), other = size_t(F.rows());
    const bool cg = o_.solver == "cg";
    double objective = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : objective)
    {
      Vector x(k_), r(k_), p(k_), Ap(k_), b(k_);
      Matrix A(k_, k_);
      Gathered g;
      Eigen::LLT<Matrix> llt(k_);
#pragma omp for schedule(dynamic, 32)
      for (size_t row = 0; row < n_rows; ++row) {
        if (!s.rows.count(row)) continue;
        const float lam = lambda(s.rows.count(row), other);
        const uint64_t begin = s.rows.offsets[row], end = s.rows.offsets[row + 1];
        double sum_c = 0;
        for (uint64_t at = begin; at < end; ++at) sum_c += s.confidence[at];
        if (cg) {
          x = out.row(Eigen::Index(row)).transpose();
          g.gather(s, begin, end, F, o_.unobserved_weight);
          conjugate_gradient(g, G, lam, x, r, p, Ap, b, o_.cg_steps);
          objective += sum_c - double(x.dot(b)) - double(x.dot(r));
        } else {
          A = G;
          A.diagonal().array() += lam;
          b.setZero();
          for (uint64_t at = begin; at < end; ++at) {
            const auto q = F.row(Eigen::Index(s.rows.other[at])).transpose();
            const float c = s.confidence[at];
            A.selfadjointView<Eigen::Lower>().rankUpdate(q, c - o_.unobserved_weight);
            b.noalias() += c * q;
          }
          llt.compute(A);
          x = llt.solve(b);
          objective += sum_c - double(x.dot(b));  // exact: r = 0
        }
        out.row(Eigen::Index(row)) = x.transpose();
      }
    }
    return objective;
  }

  // One row's interactions: the other side's rows gathered into one matrix (so that each CG step is
  // two matrix-vector products instead of a loop of dots and axpys), their confidences c and c - w0.
  struct Gathered {
    RowMatrix Fu;
    Vector c, cw, t;
    void gather(const Side& s, uint64_t begin, uint64_t end, const RowMatrix& F, float w0) {
      const Eigen::Index n = Eigen::Index(end - begin);
      Fu.resize(n, F.cols());
      c.resize(n), cw.resize(n), t.resize(n);
      for (Eigen::Index a = 0; a < n; ++a) {
        Fu.row(a) = F.row(Eigen::Index(s.rows.other[begin + uint64_t(a)]));
        c[a] = s.confidence[begin + uint64_t(a)];
        cw[a] = c[a] - w0;
      }
    }
  };

  // A v = G v + lam v + Fu^T ((c - w0) o (Fu v)), without forming A.
  static void apply(const Gathered& g, const Matrix& G, float lam, const Vector& v, Vector& out, Vector& t) {
    out.noalias() = G * v;
    out += lam * v;
    t.noalias() = g.Fu * v;
    t.array() *= g.cw.array();
    out.noalias() += g.Fu.transpose() * t;
  }

  // Leaves the residual b - A x in r and b = Fu^T c in b.
  static void conjugate_gradient(Gathered& g, const Matrix& G, float lam, Vector& x, Vector& r, Vector& p, Vector& Ap,
                                 Vector& b, uint32_t steps) {
    b.noalias() = g.Fu.transpose() * g.c;
    apply(g, G, lam, x, Ap, g.t);
    r = b - Ap;
    p = r;
    float rs_old = r.squaredNorm();
    for (uint32_t step = 0; step < steps && rs_old > 1e-20f; ++step) {
      apply(g, G, lam, p, Ap, g.t);
      const float pAp = p.dot(Ap);
      if (!(pAp > 0)) break;
      const float a = rs_old / pAp;
      x += a * p;
      r -= a * Ap;
      const float rs_new = r.squaredNorm();
      p = r + (rs_new / rs_old) * p;
      rs_old = rs_new;
    }
  }

  TrainOptions o_;
  int threads_;
  uint32_t k_;
  Side users_, items_;
  RowMatrix X_, Y_;  // fp32 working copies of P and Q
};

}  // namespace

std::unique_ptr<Engine> make_ials(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<IalsEngine>(model, train, o);
}

}  // namespace mfrec
