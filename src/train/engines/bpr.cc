// Bayesian personalized ranking (Rendle, Freudenthaler, Gantner, Schmidt-Thieme 2009): for sampled
// triples (u, i, j) of a user, an item the user chose and one the user did not, SGD on
//   -log sigmoid(x_uij) + reg (|p_u|^2 + |q_i|^2 + |q_j|^2) / 2,   x_uij = p_u.(q_i - q_j),
// with an epoch of as many triples as interactions: the users in a random order, as many steps for
// each as it has interactions, each on one of them drawn at random; the negatives uniformly among
// the items (--sampling uniform) or in proportion to their interaction counts (popularity), redrawn
// while the user has interacted with them (a bit per item, set for the user's items while its steps
// run: one load a draw where a search of the user's list would cost a branch miss a level). The
// last column is an item bias: the user side's last column is held at 1 (so --dim counts it).
//
// Threads run Hogwild (Niu et al. 2011): they take users as they come and update the shared item
// rows without locks; the block grid that sgd uses does not apply, since a triple touches two item
// rows drawn independently.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "common/isa.h"
#include "common/random.h"
#include "mfrec/error.h"
#include "model/kernels.h"
#include "train/parts/bpr_step.h"
#include "train/engine.h"
#include "train/parts/rating_rows.h"

namespace mfrec {
namespace {

class BprEngine final : public Engine {
 public:
  BprEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), threads_(int(o.thread_count())), k_(model.dim),
        by_user_(RatingRows::index(train, model.n_users(), true)),
        X_(model.n_users() * k_), Y_(model.n_items() * k_) {
    by_user_.sort_rows(threads_);  // item order: the positives drawn do not depend on the file's order
    for (size_t u = 0; u < model.n_users(); ++u) {
      model.P.read_row(u, &X_[u * k_]);
      X_[u * k_ + k_ - 1] = 1.0f;
    }
    for (size_t i = 0; i < model.n_items(); ++i) {
      model.Q.read_row(i, &Y_[i * k_]);
      Y_[i * k_ + k_ - 1] = 0.0f;
    }
  }

  // One user's steps, each on a positive and a negative drawn for it; a function of its own so that
  // a portable build runs it with the CPU's vector instructions (common/isa.h).
  // `marks`: one bit per item, all clear (and left clear).
  MFREC_MULTIVERSION void user_steps(uint32_t u, Random& rng, float* pu, uint64_t* marks, float lr, float reg,
                                     bool by_popularity, double& loss, size_t& measured) {
    const size_t n = by_user_.other.size(), n_items = model_.n_items();
    const uint32_t* seen = by_user_.other.data() + by_user_.offsets[u];
    const size_t n_seen = by_user_.count(u);
    if (n_seen == 0 || n_seen >= n_items) return;  // no positive, or no negative exists
    for (size_t a = 0; a < n_seen; ++a) marks[seen[a] >> 6] |= uint64_t(1) << (seen[a] & 63);
    auto draw = [&](uint32_t& i, uint32_t& j) {
      i = seen[rng.below(n_seen)];
      do {
        j = by_popularity ? by_user_.other[rng.below(n)] : uint32_t(rng.below(n_items));
      } while (marks[j >> 6] >> (j & 63) & 1);
    };
    float* p = &X_[size_t(u) * k_];
    uint32_t i, j;
    draw(i, j);
    for (size_t a = 0; a < n_seen; ++a) {
      // The next triple is drawn ahead (the same draws in the same order), its item rows fetched
      // while this step runs.
      uint32_t next_i = 0, next_j = 0;
      if (a + 1 < n_seen) {
        draw(next_i, next_j);
        __builtin_prefetch(&Y_[size_t(next_i) * k_]);
        __builtin_prefetch(&Y_[size_t(next_j) * k_]);
      }
      const double v = bpr_step(p, &Y_[size_t(i) * k_], &Y_[size_t(j) * k_], k_, lr, reg, pu);
      p[k_ - 1] = 1.0f;  // the bias column's user side stays 1
      // The loss, -log sigmoid(v), on one step in eight: a report, not worth two calls a step.
      if ((a & 7) == 0) loss += v > 0 ? std::log1p(std::exp(-v)) : -v + std::log1p(std::exp(v)), ++measured;
      i = next_i, j = next_j;
    }
    for (size_t a = 0; a < n_seen; ++a) marks[seen[a] >> 6] = 0;
  }

  double run_epoch(uint32_t epoch) override {
    const size_t n = by_user_.other.size(), n_items = model_.n_items();
    if (n == 0 || n_items < 2) return 0;
    const float lr = o_.lr, reg = o_.reg;
    const bool by_popularity = o_.sampling == "popularity";
    // Users in a new random order each epoch; each user's interactions in a row, each with a
    // negative of its own: the user's row and item list stay in cache across its steps.
    std::vector<uint32_t> order(model_.n_users());
    for (uint32_t u = 0; u < order.size(); ++u) order[u] = u;
    Random(o_.seed * 0x9e3779b97f4a7c15ull + epoch).shuffle(order);
    double loss = 0;
    size_t measured = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : loss, measured)
    {
      Random rng((o_.seed * 0x9e3779b97f4a7c15ull) ^ (uint64_t(epoch) << 20) ^ uint64_t(omp_get_thread_num()));
      std::vector<float> pu(k_);
      std::vector<uint64_t> marks((n_items + 63) / 64, 0);
#pragma omp for schedule(dynamic, 16)
      for (size_t x = 0; x < order.size(); ++x)
        user_steps(order[x], rng, pu.data(), marks.data(), lr, reg, by_popularity, loss, measured);
    }
    return measured ? loss / double(measured) : 0.0;
  }

  void sync() override {
    for (size_t u = 0; u < model_.n_users(); ++u) model_.P.write_row(u, &X_[u * k_]);
    for (size_t i = 0; i < model_.n_items(); ++i) model_.Q.write_row(i, &Y_[i * k_]);
  }

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
  std::vector<float> X_, Y_;
};

}  // namespace

std::unique_ptr<Engine> make_bpr(Model& model, const Ratings& train, const TrainOptions& o) {
  if (model.dim < 2) throw UsageError("bpr needs `dim` of at least 2 (its last column is the item bias)");
  return std::make_unique<BprEngine>(model, train, o);
}

}  // namespace mfrec
