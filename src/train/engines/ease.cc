// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", 2019): the item x item weights
//   B = argmin |X - X B|^2 + reg |B|^2  subject to diag(B) = 0,
// in closed form: P = (X^T X + reg I)^-1, B_ij = -P_ij / P_jj, B_jj = 0, with X the binary user x
// item interaction matrix of the training part. A user's scores are x_u B.
//
// It is kept as an ordinary model of dim = items: a user's row is x_u and item i's row is column i
// of B, so that recommend, fold-in (a new user's row is the indicator of the given items), similar
// (cosine of B's columns) and serve read it as any other. Memory is dense: the Gram matrix and its
// inverse (items^2 floats each) while training, then (users + items) x items floats in the model;
// above --memory_budget_mb the engine stops before allocating.
#include <omp.h>

#include "common/eigen.h"
#include <fmt/format.h>

#include "mfrec/error.h"
#include "train/engine.h"
#include "train/parts/rating_rows.h"

namespace mfrec {
namespace {


class EaseEngine final : public Engine {
 public:
  EaseEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), by_user_(RatingRows::index(train, model.n_users(), true)) {}

  double run_epoch(uint32_t) override {
    const size_t n = model_.n_items(), n_users = model_.n_users();
    const int threads = int(o_.thread_count());
    // X^T X, one block of item rows per thread over every user's items.
    Matrix G = Matrix::Zero(Eigen::Index(n), Eigen::Index(n));
#pragma omp parallel num_threads(threads)
    {
      const size_t t = size_t(omp_get_thread_num()), nt = size_t(omp_get_num_threads());
      const size_t lo = n * t / nt, hi = n * (t + 1) / nt;
      for (size_t u = 0; u < n_users; ++u) {
        const uint64_t b = by_user_.offsets[u], e = by_user_.offsets[u + 1];
        for (uint64_t x = b; x < e; ++x) {
          const uint32_t i = by_user_.other[x];
          if (i < lo || i >= hi) continue;
          for (uint64_t y = b; y < e; ++y) G(Eigen::Index(by_user_.other[y]), Eigen::Index(i)) += 1.0f;
        }
      }
    }
    G.diagonal().array() += o_.reg;
    Eigen::LLT<Matrix> llt(G);
    if (llt.info() != Eigen::Success) throw DataError("ease: X^T X + reg I is not positive definite; use a larger `reg`");
    Matrix P = llt.solve(Matrix::Identity(Eigen::Index(n), Eigen::Index(n)));
    G.resize(0, 0);
    // B = -P / diag(P) by columns; column i of B is item i's row of Q.
    const Eigen::VectorXf d = P.diagonal();
    std::vector<float> row(n);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) row[j] = j == i ? 0.0f : -P(Eigen::Index(j), Eigen::Index(i)) / d(Eigen::Index(i));
      model_.Q.write_row(i, row.data());
    }
    for (size_t u = 0; u < n_users; ++u) {
      std::fill(row.begin(), row.end(), 0.0f);
      for (uint64_t x = by_user_.offsets[u]; x < by_user_.offsets[u + 1]; ++x) row[by_user_.other[x]] = 1.0f;
      model_.P.write_row(u, row.data());
    }
    return 0;
  }

  FoldInPrior prior(const TrainOptions&) const override {
    FoldInPrior p;
    p.kind = FoldInPrior::Kind::items;
    return p;
  }

 private:
  TrainOptions o_;
  RatingRows by_user_;
};

}  // namespace

// The bytes EASE needs for a catalogue: the Gram matrix and its inverse while training, then the
// model's two tables (users x items and items x items).
double ease_bytes(size_t users, size_t items) {
  return 4.0 * double(items) * (2.0 * double(items) + double(users) + double(items));
}

std::unique_ptr<Engine> make_ease(Model& model, const Ratings& train, const TrainOptions& o) {
  const double need = ease_bytes(model.n_users(), model.n_items());
  if (need > o.memory_budget_mb * 1048576.0)
    throw DataError(fmt::format("ease needs {:.0f} MB for {} users and {} items (4 bytes x items x (3 items + users)), "
                                "over the memory budget of {:.0f} MB (`memory_budget_mb`); use ials or bpr, "
                                "or raise the budget if the machine has the memory",
                                need / 1048576.0, model.n_users(), model.n_items(), o.memory_budget_mb));
  if (model.dim != model.n_items()) {  // the model is as wide as the catalogue
    model.dim = uint32_t(model.n_items());
    model.P = FactorMatrix(model.n_users(), model.dim, model.precision());
    model.Q = FactorMatrix(model.n_items(), model.dim, model.precision());
  }
  return std::make_unique<EaseEngine>(model, train, o);
}

}  // namespace mfrec
