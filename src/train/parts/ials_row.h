#pragma once
// One iALS row solve (see ials.cc for the objective), shared by the one-process engine and the
// distributed one (dist/dist_ials.cc) so that a row gets the same arithmetic wherever it is solved.
#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>

#include "mfrec/train.h"
#include "train/parts/rating_rows.h"

namespace mfrec {

using IalsRowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One side's interactions as compressed rows, each one's confidence c as its target.
using IalsSide = RatingRows;

// The confidence of each training interaction, in the training part's order (defined in ials.cc);
// to_confidences turns `value` (train's values, or train.value itself) into them.
std::vector<float> confidences(const Ratings& train, size_t n_users, const TrainOptions& o);
void to_confidences(const Ratings& train, std::vector<float>& value, size_t n_users, const TrainOptions& o);

// How a new user is folded into an iALS model (the same closed form, the options it trained with).
inline FoldInPrior ials_prior(const TrainOptions& o) {
  FoldInPrior p;
  p.kind = FoldInPrior::Kind::implicit;
  p.alpha = o.alpha, p.unobserved_weight = o.unobserved_weight, p.reg = o.reg;
  p.reg_exponent = o.reg_exponent, p.confidence = o.confidence, p.recency = o.recency;
  return p;
}

// The L2 weight of a row with `count` interactions, the other side having `other_side` rows.
inline float ials_lambda(const TrainOptions& o, size_t count, size_t other_side) {
  return o.reg * float(std::pow(double(count) + double(o.unobserved_weight) * double(other_side), double(o.reg_exponent)));
}

class IalsRowSolver {
 public:
  using Matrix = Eigen::MatrixXf;
  using Vector = Eigen::VectorXf;

  IalsRowSolver(uint32_t k, const TrainOptions& o)
      : k_(Eigen::Index(k)), w0_(o.unobserved_weight), steps_(o.cg_steps), cg_(o.solver == "cg"),
        x_(k_), r_(k_), p_(k_), Ap_(k_), b_(k_), A_(k_, k_), llt_(k_) {}

  // Row `row` of `s` (which must have interactions) with F the other side (one row per index of
  // s.other), G = w0 F^T F over the whole other side, `lam` its L2. `x` is the row: the start
  // of CG, the solution on return. Returns the row's part of the objective at the solution,
  // L(x) = x^T A x - 2 b.x + sum c = sum c - x.b - x.r with r = b - A x, so O(k) on top of the solve.
  template <typename Row>
  double solve(const IalsSide& s, size_t row, const IalsRowMatrix& F, const Matrix& G, float lam, Row&& x) {
    const uint64_t begin = s.offsets[row], end = s.offsets[row + 1];
    double sum_c = 0;
    for (uint64_t at = begin; at < end; ++at) sum_c += s.target[at];
    double objective;
    if (cg_) {
      x_ = x.transpose();
      gather(s, begin, end, F);
      conjugate_gradient(G, lam);
      objective = sum_c - double(x_.dot(b_)) - double(x_.dot(r_));
    } else {
      A_ = G;
      A_.diagonal().array() += lam;
      b_.setZero();
      for (uint64_t at = begin; at < end; ++at) {
        const auto q = F.row(Eigen::Index(s.other[at])).transpose();
        const float c = s.target[at];
        A_.selfadjointView<Eigen::Lower>().rankUpdate(q, c - w0_);
        b_.noalias() += c * q;
      }
      llt_.compute(A_);
      x_ = llt_.solve(b_);
      objective = sum_c - double(x_.dot(b_));  // exact: r = 0
    }
    x = x_.transpose();
    return objective;
  }

 private:
  // The row's interactions: the other side's rows gathered into one matrix (so that each CG step is
  // two matrix-vector products instead of a loop of dots and axpys), their confidences c and c - w0.
  void gather(const IalsSide& s, uint64_t begin, uint64_t end, const IalsRowMatrix& F) {
    const Eigen::Index n = Eigen::Index(end - begin);
    Fu_.resize(n, F.cols());
    c_.resize(n), cw_.resize(n), t_.resize(n);
    for (Eigen::Index a = 0; a < n; ++a) {
      Fu_.row(a) = F.row(Eigen::Index(s.other[begin + uint64_t(a)]));
      c_[a] = s.target[begin + uint64_t(a)];
      cw_[a] = c_[a] - w0_;
    }
  }

  // out = A v = G v + lam v + Fu^T ((c - w0) o (Fu v)), without forming A.
  void apply(const Matrix& G, float lam, const Vector& v, Vector& out) {
    out.noalias() = G * v;
    out += lam * v;
    t_.noalias() = Fu_ * v;
    t_.array() *= cw_.array();
    out.noalias() += Fu_.transpose() * t_;
  }

  // Leaves the residual b - A x in r_ and b = Fu^T c in b_.
  void conjugate_gradient(const Matrix& G, float lam) {
    b_.noalias() = Fu_.transpose() * c_;
    apply(G, lam, x_, Ap_);
    r_ = b_ - Ap_;
    p_ = r_;
    float rs_old = r_.squaredNorm();
    for (uint32_t step = 0; step < steps_ && rs_old > 1e-20f; ++step) {
      apply(G, lam, p_, Ap_);
      const float pAp = p_.dot(Ap_);
      if (!(pAp > 0)) break;
      const float a = rs_old / pAp;
      x_ += a * p_;
      r_ -= a * Ap_;
      const float rs_new = r_.squaredNorm();
      p_ = r_ + (rs_new / rs_old) * p_;
      rs_old = rs_new;
    }
  }

  Eigen::Index k_;
  float w0_;
  uint32_t steps_;
  bool cg_;
  Vector x_, r_, p_, Ap_, b_;
  Matrix A_;
  Eigen::LLT<Matrix> llt_;
  IalsRowMatrix Fu_;
  Vector c_, cw_, t_;
};

// Solves every row of `s` that has interactions into `out` with F fixed (G = w0 F^T F over the
// whole other side, of `other` rows), on `threads` threads; returns the sum over rows of each row's
// part of the objective at its new value.
inline double ials_solve_rows(const IalsSide& s, const IalsRowMatrix& F, const Eigen::MatrixXf& G, size_t other,
                              const TrainOptions& o, uint32_t k, int threads, IalsRowMatrix& out) {
  const size_t n_rows = s.rows();
  double objective = 0;
#pragma omp parallel num_threads(threads) reduction(+ : objective)
  {
    IalsRowSolver solver(k, o);
#pragma omp for schedule(dynamic, 32)
    for (size_t row = 0; row < n_rows; ++row) {
      if (!s.count(row)) continue;
      const float lam = ials_lambda(o, s.count(row), other);
      objective += solver.solve(s, row, F, G, lam, out.row(Eigen::Index(row)));
    }
  }
  return objective;
}

}  // namespace mfrec
