// Preparing a model for scoring, and scoring every item for one user.
#include "common/eigen.h"
#include <algorithm>
#include <cmath>
#include <functional>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {
namespace {

// Unit-length copies of the rows; the indices of all-zero rows go to `void_rows`.
RowMatrix normalized(const RowMatrix& m, std::vector<uint32_t>& void_rows) {
  RowMatrix out = m;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const float norm = out.row(r).norm();
    if (norm > 0 && std::isfinite(norm)) out.row(r) /= norm;
    else out.row(r).setZero(), void_rows.push_back(uint32_t(r));
  }
  return out;
}

// mcmc's model holds the posterior mean, whose factors shrink where the samples disagree; the
// L2 weights it was trained with are not a ridge for it (it has none). A new user's Bayesian
// estimate under a Gaussian prior with the trained users' spread, per column (the columns of its
// rank-2dim representation are far from equal in scale), is the ridge noise variance / variance.
Eigen::VectorXd prior_ridge(const Model& m, const RowMatrix& P, size_t untrained_users) {
  if (m.fold_in.kind != FoldInPrior::Kind::gaussian) return {};
  const size_t n = m.n_users() - untrained_users;  // their rows and biases are zero: they add nothing
  if (!n) return {};
  const bool biased = m.kind == ModelKind::biased;
  const Eigen::Index d = Eigen::Index(m.dim);
  Eigen::VectorXd second_moment(d + (biased ? 1 : 0));
  second_moment.head(d) = P.cast<double>().colwise().squaredNorm().transpose();
  if (biased)
    second_moment(d) = Eigen::Map<const Eigen::VectorXf>(m.user_bias.data(), Eigen::Index(m.n_users())).cast<double>().squaredNorm();
  const double noise = m.fold_in.noise_variance;
  return (noise / (second_moment.array() / double(n) + 1e-12)).matrix();
}

}  // namespace

RowMatrix to_fp32(const FactorMatrix& m) {
  RowMatrix out(Eigen::Index(m.rows()), Eigen::Index(m.cols()));
  for (size_t r = 0; r < m.rows(); ++r) m.read_row(r, out.row(Eigen::Index(r)).data());
  return out;
}

float* scratch_scores(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

Recommender::Recommender(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  if (!model_) throw UsageError("Recommender: no model");
  const Model& m = *model_;
  if (m.P.rows() != m.n_users() || m.Q.rows() != m.n_items() || m.Q.cols() != m.dim || m.user_mean.size() != m.n_users())
    throw DataError("model tables do not match their sizes");
  auto impl = std::make_shared<Impl>();
  impl->Q = to_fp32(m.Q);
  impl->item_bias = Eigen::Map<const Eigen::VectorXf>(m.item_bias.data(), Eigen::Index(m.n_items()));
  if (m.kind == ModelKind::plain) impl->item_bias.setZero();
  impl->Qn = normalized(impl->Q, impl->item_void);
  const RowMatrix P = to_fp32(m.P);
  impl->Pn = normalized(P, impl->user_void);
  impl->fold_in_reg = m.fold_in.reg_per_rating;
  impl->prior_ridge = prior_ridge(m, P, impl->user_void.size());
  if (m.fold_in.kind == FoldInPrior::Kind::mean_user) {
    impl->mean_user = Eigen::VectorXf::Zero(Eigen::Index(m.dim));
    const size_t trained = m.n_users() - impl->user_void.size();
    if (trained) impl->mean_user = P.colwise().sum().transpose() / float(trained);
  }
  if (m.fold_in.kind == FoldInPrior::Kind::implicit) impl->gram = impl->Q.cast<double>().transpose() * impl->Q.cast<double>();
  impl_ = std::move(impl);
  popularity_.assign(m.n_items(), 0);
  for (uint32_t i : m.seen.items)
    if (i < popularity_.size()) ++popularity_[i];
  popularity_desc_ = popularity_;
  std::sort(popularity_desc_.begin(), popularity_desc_.end(), std::greater<>());
}

void Recommender::score_user(uint32_t user, float* out) const {
  const Model& m = *model_;
  if (user >= m.n_users()) throw UsageError("user index out of range");
  Eigen::VectorXf p(Eigen::Index(m.dim));
  m.P.read_row(user, p.data());
  const float base = m.kind == ModelKind::plain ? 0.0f : m.user_mean[user] + m.user_bias[user];
  Eigen::Map<Eigen::VectorXf> s(out, Eigen::Index(m.n_items()));
  s.noalias() = impl_->Q * p;
  s.array() += impl_->item_bias.array() + base;
}

void Recommender::score(const FoldedUser& user, float* out) const {
  const Model& m = *model_;
  if (user.factors.size() != m.dim) throw UsageError("folded-in user has the wrong dimension");
  const Eigen::Map<const Eigen::VectorXf> p(user.factors.data(), Eigen::Index(m.dim));
  Eigen::Map<Eigen::VectorXf> s(out, Eigen::Index(m.n_items()));
  s.noalias() = impl_->Q * p;
  s.array() += impl_->item_bias.array() + (user.mean + user.bias);
}

}  // namespace mfrec
