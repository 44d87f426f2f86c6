// Fold-in: a new user's factors and bias from a few ratings, the item side held fixed. The
// regularized least-squares problem (see FoldInOptions) is (dim + 1) wide; its normal equations are
// solved by Cholesky (LDLT).
#include "common/eigen.h"
#include <algorithm>
#include <cmath>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {
namespace {

// The iALS closed form for a new user (Hu et al. 2008, with the unobserved weight w0 and the
// frequency-scaled L2 of Rendle et al. 2022): (w0 Q^T Q + sum (c_i - w0) q_i q_i^T + lambda I) p =
// sum c_i q_i, lambda = reg * (n + w0 * n_items)^reg_exponent, the same equations ials solves per row.
// `given` in the order given, the latest last (for --recency); `r` the same deduplicated, by item.
void fold_in_implicit(const Model& m, const RowMatrix& Q, const Eigen::MatrixXd& gram, std::span<const FoldInRating> given,
                      const std::vector<FoldInRating>& r, FoldedUser& u) {
  const FoldInPrior& p = m.fold_in;
  std::vector<uint32_t> later(m.n_items(), 0);  // distinct items given after each one
  if (p.recency > 0) {
    std::vector<uint8_t> seen(m.n_items(), 0);
    uint32_t distinct = 0;
    for (size_t k = given.size(); k-- > 0;)
      if (!seen[given[k].item]) seen[given[k].item] = 1, later[given[k].item] = distinct++;
  }
  const Eigen::Index d = Eigen::Index(m.dim);
  Eigen::MatrixXd A = double(p.unobserved_weight) * gram;
  const double n = double(r.size()) + double(p.unobserved_weight) * double(m.n_items());
  A.diagonal().array() += double(p.reg) * std::pow(n, double(p.reg_exponent)) + 1e-9;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(d);
  for (const auto& x : r) {
    const Eigen::VectorXd q = Q.row(Eigen::Index(x.item)).transpose().cast<double>();
    const double c = confidence_of(p.confidence, p.alpha, x.rating, recency_decay(later[x.item], p.recency));
    A.selfadjointView<Eigen::Lower>().rankUpdate(q, c - double(p.unobserved_weight));
    rhs += c * q;
  }
  const Eigen::VectorXd sol = A.selfadjointView<Eigen::Lower>().ldlt().solve(rhs);
  for (Eigen::Index c = 0; c < d; ++c) u.factors[size_t(c)] = float(sol(c));
}

}  // namespace

FoldedUser Recommender::fold_in(std::span<const FoldInRating> ratings, const FoldInOptions& o) const {
  const Model& m = *model_;
  const Impl& im = *impl_;
  // The last rating of an item counts, as when reading a ratings file.
  std::vector<FoldInRating> r;
  r.reserve(ratings.size());
  for (size_t k = ratings.size(); k-- > 0;) {
    if (ratings[k].item >= m.n_items()) throw UsageError("fold-in: item index out of range");
    if (!std::isfinite(ratings[k].rating)) throw UsageError("fold-in: a rating is not a number");
    r.push_back(ratings[k]);
  }
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
  r.erase(std::unique(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.item == b.item; }), r.end());

  const bool biased = m.kind == ModelKind::biased;
  const Eigen::Index d = Eigen::Index(m.dim), w = d + (biased ? 1 : 0);
  FoldedUser u;
  u.factors.assign(m.dim, 0.0f);
  for (const auto& x : r) u.rated.push_back(x.item);
  switch (m.fold_in.kind) {
    case FoldInPrior::Kind::items:  // EASE: a user's row is the indicator of the items they chose
      for (const auto& x : r) u.factors[x.item] = 1.0f;
      return u;
    case FoldInPrior::Kind::mean_user:  // popularity: every user alike
      u.factors.assign(im.mean_user.data(), im.mean_user.data() + m.dim);
      return u;
    case FoldInPrior::Kind::implicit:
      if (!r.empty()) fold_in_implicit(m, im.Q, im.gram, ratings, r, u);
      return u;
    default: break;
  }
  if (biased) {
    double sum = 0;
    for (const auto& x : r) sum += x.rating;
    u.mean = r.empty() ? m.global_mean : float(sum / double(r.size()));
  }
  if (r.empty()) return u;

  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(w, w);
  if (o.reg_per_rating < 0 && im.prior_ridge.size() == w) {
    A.diagonal() = im.prior_ridge;
  } else {
    const float per_rating = o.reg_per_rating >= 0 ? o.reg_per_rating : im.fold_in_reg;
    const double lambda = double(per_rating) * double(r.size()) + double(std::max(o.reg_min, 0.0f));
    A.diagonal().setConstant(std::max(lambda, 1e-9));
  }
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(w);
  Eigen::VectorXd z(w);
  for (const auto& x : r) {
    z.head(d) = im.Q.row(Eigen::Index(x.item)).transpose().cast<double>();
    if (biased) z(d) = 1.0;
    const double y = double(x.rating) - u.mean - im.item_bias(Eigen::Index(x.item));
    A.selfadjointView<Eigen::Lower>().rankUpdate(z);
    rhs += y * z;
  }
  const Eigen::VectorXd sol = A.selfadjointView<Eigen::Lower>().ldlt().solve(rhs);
  for (Eigen::Index c = 0; c < d; ++c) u.factors[size_t(c)] = float(sol(c));
  if (biased) u.bias = float(sol(d));
  return u;
}

}  // namespace mfrec
