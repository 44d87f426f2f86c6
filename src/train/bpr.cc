// Bayesian personalized ranking (Rendle, Freudenthaler, Gantner, Schmidt-Thieme 2009): for sampled
// triples (u, i, j) of a user, an item the user chose and one the user did not, SGD on
//   -log sigmoid(x_uij) + reg (|p_u|^2 + |q_i|^2 + |q_j|^2),   x_uij = p_u.(q_i - q_j),
// with an epoch of as many triples as interactions. The positives are drawn uniformly among the
// interactions; the negatives uniformly among the items (--sampling uniform) or in proportion to
// their interaction counts (popularity), redrawn while the user has interacted with them. The last
// column is an item bias: the user side's last column is held at 1 (so --dim counts it).
//
// Threads run Hogwild (Niu et al. 2011): each takes its share of the epoch's triples from a
// generator of its own and updates the shared rows without locks; the block grid that sgd uses does
// not apply, since a triple touches two item rows drawn independently.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "common/random.h"
#include "mfrec/error.h"
#include "model/kernels.h"
#include "train/engine.h"
#include "train/rating_rows.h"

namespace mfrec {
namespace {

class BprEngine final : public Engine {
 public:
  BprEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), k_(model.dim),
        by_user_(RatingRows::group(train, model.user_mean, model.n_users(), true)),
        user_of_(train.size()), X_(model.n_users() * k_), Y_(model.n_items() * k_) {
    for (size_t u = 0; u < model.n_users(); ++u) {
      model.P.read_row(u, &X_[u * k_]);
      std::sort(by_user_.other.begin() + ptrdiff_t(by_user_.offsets[u]), by_user_.other.begin() + ptrdiff_t(by_user_.offsets[u + 1]));
      for (uint64_t at = by_user_.offsets[u]; at < by_user_.offsets[u + 1]; ++at) user_of_[at] = uint32_t(u);
      X_[u * k_ + k_ - 1] = 1.0f;
    }
    for (size_t i = 0; i < model.n_items(); ++i) {
      model.Q.read_row(i, &Y_[i * k_]);
      Y_[i * k_ + k_ - 1] = 0.0f;
    }
  }

  double run_epoch(uint32_t epoch) override {
    const size_t n = by_user_.other.size(), n_items = model_.n_items();
    if (n == 0 || n_items < 2) return 0;
    const float lr = o_.lr, reg = o_.reg;
    const bool by_popularity = o_.sampling == "popularity";
    double loss = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : loss)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      Random rng((o_.seed * 0x9e3779b97f4a7c15ull) ^ (uint64_t(epoch) << 20) ^ uint64_t(t));
      std::vector<float> pu(k_), grad(k_);
      const size_t samples = n / size_t(nt) + (size_t(t) < n % size_t(nt));
      for (size_t s = 0; s < samples; ++s) {
        const uint64_t at = rng.below(n);
        const uint32_t u = user_of_[at], i = by_user_.other[at];
        const uint32_t* seen = by_user_.other.data() + by_user_.offsets[u];
        const size_t n_seen = by_user_.count(u);
        if (n_seen >= n_items) continue;  // the user chose every item: no negative exists
        uint32_t j;
        do {
          j = by_popularity ? by_user_.other[rng.below(n)] : uint32_t(rng.below(n_items));
        } while (std::binary_search(seen, seen + n_seen, j));
        float* p = &X_[size_t(u) * k_];
        float* qi = &Y_[size_t(i) * k_];
        float* qj = &Y_[size_t(j) * k_];
        float x = 0;
#pragma omp simd reduction(+ : x)
        for (uint32_t c = 0; c < k_; ++c) x += p[c] * (qi[c] - qj[c]);
        // -log sigmoid(x), computed stably; its derivative in x is -sigmoid(-x).
        loss += x > 0 ? std::log1p(std::exp(-double(x))) : -double(x) + std::log1p(std::exp(double(x)));
        const float g = 1.0f / (1.0f + std::exp(x));
        std::copy(p, p + k_, pu.begin());
#pragma omp simd
        for (uint32_t c = 0; c < k_; ++c) {
          p[c] += lr * (g * (qi[c] - qj[c]) - reg * p[c]);
          qi[c] += lr * (g * pu[c] - reg * qi[c]);
          qj[c] += lr * (-g * pu[c] - reg * qj[c]);
        }
        p[k_ - 1] = 1.0f;  // the bias column's user side stays 1
      }
    }
    return loss / double(n);
  }

  void sync() override {
    for (size_t u = 0; u < model_.n_users(); ++u) model_.P.write_row(u, &X_[u * k_]);
    for (size_t i = 0; i < model_.n_items(); ++i) model_.Q.write_row(i, &Y_[i * k_]);
  }

  double rmse(const Ratings&) override { return std::nan(""); }

  // A new user: the iALS closed form on the item rows, a least-squares projection (BPR has none).
  FoldInPrior prior(const TrainOptions& o) const override {
    FoldInPrior p;
    p.kind = FoldInPrior::Kind::implicit;
    p.alpha = 0, p.unobserved_weight = 1, p.reg = std::max(o.reg, 1e-3f), p.reg_exponent = 0;
    return p;
  }

 private:
  TrainOptions o_;
  int threads_;
  uint32_t k_;
  RatingRows by_user_;
  std::vector<uint32_t> user_of_;
  std::vector<float> X_, Y_;
};

}  // namespace

std::unique_ptr<Engine> make_bpr(Model& model, const Ratings& train, const TrainOptions& o) {
  if (model.dim < 2) throw UsageError("bpr needs `dim` of at least 2 (its last column is the item bias)");
  return std::make_unique<BprEngine>(model, train, o);
}

}  // namespace mfrec
